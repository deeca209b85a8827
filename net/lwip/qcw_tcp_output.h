/*
 * qcw_tcp_output.h - tcp_output() and tcp_write() that remember where a
 * connection's unacked and unsent queues end (see qcw_tcp_output.c).
 */
#ifndef QCW_TCP_OUTPUT_H
#define QCW_TCP_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/tcp.h"

struct tcp_seg;

/* The last segments of a pcb's unacked and unsent queues, and their ends. */
struct qcw_tcp_tail {
	struct tcp_seg *seg;
	struct tcp_seg *useg; /* last unsent segment */
	uint32_t end; /* seg's seqno + length: pcb->snd_nxt while valid */
	uint32_t uend; /* useg's seqno + length: pcb->snd_lbb while valid */
};

/*
 * qcw_tcp_tail_use() - a pcb whose recv event goes to @recv
 * (lwst_tcp_event.h) has, @off bytes into its callback argument, a pointer to its struct qcw_tcp_tail (NULL:
 * none now): no extension slot in every pcb (lwIP's ext args cost 16
 * bytes each per pcb). One such @recv.
 */
void qcw_tcp_tail_use(tcp_recv_fn recv, size_t off);
/*
 * qcw_tcp_tail_reset() - forget what @t remembers (a new pcb). A pcb stops
 * using its tail when its argument (or the argument's recv) changes.
 */
void qcw_tcp_tail_reset(struct qcw_tcp_tail *t);

/*
 * qcw_tcp_ack_later_use() - the pure ACK lwIP builds for every second
 * segment the guest sends is, in a batch of frames, superseded by the
 * next one before it leaves (ackhold.h): a quarter of the daemon's
 * instructions in a guest->host transfer went into building such ACKs.
 * For a pcb of qcw_tcp_tail_use()'s @recv whose argument @later says will
 * call qcw_tcp_ack_owed() before the batch ends, qcw_tcp_output() builds
 * no empty ACK: TF_ACK_NOW stays set and the ACK goes out then, once, with
 * the window as it is then.
 */
void qcw_tcp_ack_later_use(bool (*later)(const void *arg));
/* qcw_tcp_ack_owed() - the ACK @pcb owes (TF_ACK_NOW) goes out, if any */
void qcw_tcp_ack_owed(struct tcp_pcb *pcb);

#endif
