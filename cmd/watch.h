/*
 * watch.h - "qcw-net stats --watch [--interval N]": a live view of the
 * daemon's rates (per-port Mbit/s and frames/s, NAT flows, DNS queries,
 * drops by reason) from its /stats, redrawn on a terminal or printed as
 * one line per interval otherwise.
 */
#ifndef QCW_WATCH_H
#define QCW_WATCH_H

/*
 * watch_main() - poll the API at @sock every @interval seconds until
 * Ctrl-C. Return: exit status: 0 after Ctrl-C or SIGTERM, 1 when the
 * first sample cannot be had (the reason is printed).
 */
int watch_main(const char *sock, double interval);

#endif
