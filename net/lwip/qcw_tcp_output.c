/*
 * qcw_tcp_output.c - tcp_output() without a walk of the whole unacked
 * queue on every call.
 *
 * lwIP 2.1's tcp_output() finds the last segment of pcb->unacked by
 * walking the list from its head each time it has data to send. With
 * windows of several MiB at MSS 1460 that list holds thousands of
 * segments and the walk runs after every ACK from the guest: a quarter of
 * qcw-net's CPU time in a host->guest transfer went there. lwipopts.h
 * renames every call of tcp_output() outside lwIP's tcp_out.c to
 * qcw_tcp_output(). For a connection with a struct qcw_tcp_tail (every
 * spliced connection with data in flight: found through its callback
 * argument, qcw_tcp_tail_use()),
 * it hands lwIP a one-segment view of the
 * queue (pcb->unacked = its remembered tail) for the duration of the
 * call, so lwIP appends the segments it sends right there, then puts the
 * real head back and advances the remembered tail over what was added.
 *
 * The remembered tail is trusted only while it is provably still the
 * tail: the queue is not empty, nothing was sent behind our back
 * (pcb->snd_nxt is where the tail ends), and it is not yet acknowledged
 * (so lwIP has not freed it). Otherwise the list is walked once, as lwIP
 * would. A retransmission, which lwIP inserts into the middle of the
 * queue, always takes lwIP's own path.
 *
 * tcp_write() walks the unsent queue the same way to append to it, which
 * costs as much while the guest's window holds a few MiB back; it gets
 * the same treatment (qcw_tcp_write(), pcb->unsent = its remembered
 * tail). That tail is trusted while it ends where the buffered data ends
 * (pcb->snd_lbb) and has not been sent (it ends after pcb->snd_nxt, so
 * it is neither on the unacked queue nor acknowledged and freed).
 */
#define QCW_LWIP_REAL_TCP_OUTPUT 1 /* tcp_output/tcp_write are lwIP's */
#include "net/lwip/qcw_tcp_output.h"

#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "net/lwip/lwst_tcp_event.h"

static tcp_recv_fn qcw_tail_recv;
static size_t qcw_tail_off;
static bool (*qcw_ack_later)(const void *arg);

static u32_t qcw_seg_end(const struct tcp_seg *s)
{
	return lwip_ntohl(s->tcphdr->seqno) + TCP_TCPLEN(s);
}

static struct tcp_seg *qcw_seg_last(struct tcp_seg *s)
{
	while (s && s->next)
		s = s->next;
	return s;
}

void qcw_tcp_tail_use(tcp_recv_fn recv, size_t off)
{
	qcw_tail_recv = recv;
	qcw_tail_off = off;
}

void qcw_tcp_tail_reset(struct qcw_tcp_tail *t)
{
	t->seg = NULL;
	t->end = 0;
	t->useg = NULL;
	t->uend = 0;
}

void qcw_tcp_ack_later_use(bool (*later)(const void *arg))
{
	qcw_ack_later = later;
}

/* qcw_ours() - whether @pcb's argument is of qcw_tcp_tail_use()'s recv */
static bool qcw_ours(const struct tcp_pcb *pcb)
{
	return qcw_tail_recv && pcb->state != LISTEN && pcb->callback_arg &&
	       lwst_tcp_ops_of(pcb->callback_arg)->recv == qcw_tail_recv;
}

/* qcw_tail_of() - @pcb's remembered tail, or NULL (a listener has none) */
static struct qcw_tcp_tail *qcw_tail_of(struct tcp_pcb *pcb)
{
	if (!qcw_ours(pcb))
		return NULL;
	return *(struct qcw_tcp_tail **)((char *)pcb->callback_arg +
					 qcw_tail_off);
}

static void qcw_tail_note(struct qcw_tcp_tail *t, struct tcp_seg *last)
{
	t->seg = last;
	t->end = last ? qcw_seg_end(last) : 0;
}

static err_t qcw_tcp_output_now(struct tcp_pcb *pcb)
{
	struct qcw_tcp_tail *t = qcw_tail_of(pcb);
	struct tcp_seg *head, *tail;
	err_t err;

	/* lwIP ignores calls during its own input processing of @pcb */
	if (!t || !pcb->unsent || tcp_input_pcb == pcb)
		return tcp_output(pcb);
	head = pcb->unacked;
	if (!head) {
		err = tcp_output(pcb);
		qcw_tail_note(t, qcw_seg_last(pcb->unacked));
		return err;
	}
	if (t->seg && t->end == pcb->snd_nxt &&
	    TCP_SEQ_GT(t->end, pcb->lastack) && !t->seg->next)
		tail = t->seg;
	else
		tail = qcw_seg_last(head);
	if (TCP_SEQ_LT(lwip_ntohl(pcb->unsent->tcphdr->seqno),
		       lwip_ntohl(tail->tcphdr->seqno))) {
		/* a retransmitted segment goes back before the tail */
		t->seg = NULL;
		return tcp_output(pcb);
	}
	pcb->unacked = tail;
	err = tcp_output(pcb);
	pcb->unacked = head;
	qcw_tail_note(t, qcw_seg_last(tail));
	return err;
}

err_t qcw_tcp_output(struct tcp_pcb *pcb);
err_t qcw_tcp_output(struct tcp_pcb *pcb)
{
	/* an empty ACK its owner sends once, later in the batch */
	if (!pcb->unsent && (pcb->flags & TF_ACK_NOW) && qcw_ack_later &&
	    tcp_input_pcb != pcb && qcw_ours(pcb) &&
	    qcw_ack_later(pcb->callback_arg))
		return ERR_OK;
	return qcw_tcp_output_now(pcb);
}

void qcw_tcp_ack_owed(struct tcp_pcb *pcb)
{
	if (pcb->flags & TF_ACK_NOW)
		qcw_tcp_output_now(pcb);
}

err_t qcw_tcp_write(struct tcp_pcb *pcb, const void *data, u16_t len,
		    u8_t apiflags);
err_t qcw_tcp_write(struct tcp_pcb *pcb, const void *data, u16_t len,
		    u8_t apiflags)
{
	struct qcw_tcp_tail *t = qcw_tail_of(pcb);
	struct tcp_seg *head, *tail;
	err_t err;

	if (!t)
		return tcp_write(pcb, data, len, apiflags);
	head = pcb->unsent;
	if (!head) {
		err = tcp_write(pcb, data, len, apiflags);
		tail = qcw_seg_last(pcb->unsent);
	} else {
		if (t->useg && t->uend == pcb->snd_lbb &&
		    TCP_SEQ_GT(t->uend, pcb->snd_nxt) && !t->useg->next)
			tail = t->useg;
		else
			tail = qcw_seg_last(head);
		pcb->unsent = tail; /* lwIP appends after its last unsent */
		err = tcp_write(pcb, data, len, apiflags);
		pcb->unsent = head;
		tail = qcw_seg_last(tail);
	}
	t->useg = tail;
	t->uend = tail ? qcw_seg_end(tail) : 0;
	return err;
}
