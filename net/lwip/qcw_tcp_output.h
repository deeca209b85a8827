/*
 * qcw_tcp_output.h - tcp_output() and tcp_write() that remember where a
 * connection's unacked and unsent queues end (see qcw_tcp_output.c).
 */
#ifndef QCW_TCP_OUTPUT_H
#define QCW_TCP_OUTPUT_H

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

#endif
