/*
 * qcw_tcp_output.h - tcp_output() and tcp_write() that remember where a
 * connection's unacked and unsent queues end (see qcw_tcp_output.c).
 */
#ifndef QCW_TCP_OUTPUT_H
#define QCW_TCP_OUTPUT_H

#include <stdint.h>

struct tcp_pcb;
struct tcp_seg;

/* The last segments of a pcb's unacked and unsent queues, and their ends. */
struct qcw_tcp_tail {
	struct tcp_seg *seg;
	struct tcp_seg *useg; /* last unsent segment */
	uint32_t end; /* seg's seqno + length: pcb->snd_nxt while valid */
	uint32_t uend; /* useg's seqno + length: pcb->snd_lbb while valid */
};

/* qcw_tcp_tail_attach() - remember the tail of @pcb's queue in @t. */
void qcw_tcp_tail_attach(struct tcp_pcb *pcb, struct qcw_tcp_tail *t);
/* qcw_tcp_tail_detach() - forget it (before @t's memory goes away). */
void qcw_tcp_tail_detach(struct tcp_pcb *pcb);

#endif
