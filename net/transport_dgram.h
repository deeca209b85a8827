/*
 * transport_dgram.h - message transports, one frame per message:
 * vfkit/krunkit's unixgram socket (-listen-vfkit unixgram://path; the peer
 * is learnt from its first datagram, a leading "VFKT" handshake datagram
 * is consumed) and User-Mode Linux's BESS SOCK_SEQPACKET socket
 * (-listen-bess unixpacket://path; one peer accepted). Frames are read
 * with recvmmsg and written with sendmmsg in batches.
 */
#ifndef QCW_TRANSPORT_DGRAM_H
#define QCW_TRANSPORT_DGRAM_H

#include <stdbool.h>
#include <uv.h>

#include "net/switch.h"
#include "util/url.h"

struct td_port;

/* The peer went away (bess) or the socket failed; @had_frames as in ts. */
typedef void (*td_closed_fn)(void *arg, int status, bool had_frames);

struct td_port *td_listen(uv_loop_t *loop, struct sw *sw, const struct url *u,
			  td_closed_fn on_closed, void *arg);
/* td_close() - stop, unlink the socket file. NULL ok. */
void td_close(struct td_port *p);

#endif
