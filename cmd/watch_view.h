/*
 * watch_view.h - the numbers behind "qcw-net stats --watch": rates
 * between two /stats samples, and the two ways they are printed (a screen
 * for a terminal, one line per interval for a log). Pure: JSON in, text
 * out, no I/O and no clock, so unit tests drive it with canned samples.
 *
 * Directions are the VM's ports as the switch sees them: "in" is what a
 * VM sent (the port's Rx counters), "out" what it was sent (Tx); a
 * download in the guest is "out".
 *
 * Drops are not a hand-kept list: every integer counter anywhere in /stats
 * whose name says it counts something lost or turned away (watch_is_drop())
 * is one, so a counter added to the API later shows up by itself.
 */
#ifndef QCW_WATCH_VIEW_H
#define QCW_WATCH_VIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WATCH_MAX_PORTS 32
#define WATCH_MAX_DROPS 96
#define WATCH_NAME_MAX 64

enum watch_proto {
	WATCH_TCP,
	WATCH_UDP,
	WATCH_ICMP,
	WATCH_N_PROTO,
};

struct watch_port {
	long long id;
	char kind[16];
	double in_mbps, out_mbps; /* Mbit/s: from the VM, to the VM */
	double in_fps, out_fps; /* frames/s */
	double drops_ps; /* the port's RxDrops + TxDrops per second */
};

/* struct watch_drop - one drop counter: where it is in /stats and its rate */
struct watch_drop {
	char name
		[WATCH_NAME_MAX]; /* e.g. "NAT.TCP.Refused", "Switch.Ports[1].RxDrops" */
	double rate; /* per second */
	uint64_t total; /* since the daemon started */
};

struct watch_view {
	double dt; /* seconds between the two samples */
	unsigned int n_ports;
	struct watch_port ports[WATCH_MAX_PORTS];
	struct watch_port all; /* sum over the ports */
	struct {
		uint64_t open;
		double new_ps;
	} nat[WATCH_N_PROTO];
	double dns_qps, dns_local_ps, dns_upstream_ps, dns_failed_ps;
	unsigned int n_drops; /* counters with a nonzero total, busiest first */
	struct watch_drop drops[WATCH_MAX_DROPS];
	double drops_ps; /* sum of every drop counter's rate */
	uint64_t drops_total;
};

/*
 * watch_is_drop() - 1 when a /stats counter named @leaf counts something
 * dropped, refused, evicted, blocked, malformed, timed out... (the name's
 * words decide, e.g. "Dropped", "HostConnsRefused", "MacEvicted").
 */
bool watch_is_drop(const char *leaf);

/*
 * watch_compute() - the rates between two /stats objects taken @dt
 * seconds apart. @prev may be NULL (the first sample: every rate 0). A
 * counter that went down (the daemon restarted) counts as rate 0.
 * Return: 0, or -EINVAL when @cur is not a JSON object.
 */
int watch_compute(const json_t *prev, const json_t *cur, double dt,
		  struct watch_view *v);

/*
 * watch_format_line() - one log line: @stamp, then key=value pairs of the
 * main rates (sums over ports, flows, DNS, drops with up to 3 reasons).
 * Return: its length (without the NUL; cut to @cap - 1), newline included.
 */
size_t watch_format_line(const struct watch_view *v, const char *stamp,
			 char *out, size_t cap);

/*
 * watch_format_screen() - the terminal screen: @title on top, then ports,
 * NAT, DNS and drops; each line cut to @cols, at most @rows lines; lines
 * end with erase-to-end-of-line, the screen starts with cursor-home and
 * ends with erase-below, so redrawing never flickers or leaves debris.
 * @v may be NULL (no rates yet): @note is shown instead.
 * Return: its length (without the NUL; cut to @cap - 1).
 */
size_t watch_format_screen(const struct watch_view *v, const char *title,
			   const char *note, int cols, int rows, char *out,
			   size_t cap);

#endif
