/*
 * fuzz_netns.h - a private network for fuzz targets that open real host
 * sockets (fuzz_nat_seq.c): nothing they send can leave the machine.
 */
#ifndef QCW_FUZZ_NETNS_H
#define QCW_FUZZ_NETNS_H

#include <stdint.h>

/*
 * fz_netns_enter() - move the process into a new network namespace (and a
 * user namespace when not root) with only "lo" up; traps unless a datagram
 * to a TEST-NET address then fails at once with ENETUNREACH. Call it while
 * the process has one thread.
 */
void fz_netns_enter(void);

/*
 * fz_netns_peer() - fork the "host": on 127.0.0.1, @echo_port echoes (TCP
 * and UDP) and @sink_port accepts TCP and never reads. Returns once they
 * listen; the child dies with its parent, and its fds are not the
 * caller's.
 */
void fz_netns_peer(uint16_t echo_port, uint16_t sink_port);

#endif
