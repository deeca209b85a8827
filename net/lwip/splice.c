/*
 * splice.c - lwIP pcb <-> host stream data path (see splice.h).
 */
#include "net/lwip/splice.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

#define LOG_SUBSYS LOG_SS_NAT
#include "util/log.h"
#include "net/switch.h"
#include "net/lwip/txring.h"

#define SPLICE_MAX_IOV 64
#define SPLICE_MERGE 32768 /* chains up to this many bytes are merged */
#define SPLICE_DEFER_SEGS 16 /* unsent segments that may wait for more */
#define SPLICE_MERGE_PBUFS 64 /* pbuf_cat walks the chain: keep it short */
/*
 * Only chains under this many bytes join the newest one: larger ones fill
 * TCP_WND before SPLICE_QUEUE_MAX slots (4 MiB / 512 = 8192), and at MSS
 * 1460 the walks of pbuf_cat were 1.4% of a guest->host transfer's time.
 */
#define SPLICE_MERGE_BELOW 512
_Static_assert((size_t)SPLICE_QUEUE_MAX *SPLICE_MERGE_BELOW >= TCP_WND,
	       "unmerged chains fill the window before the queue");
/*
 * Below this MSS the ring costs more than it saves: a copy of a small
 * segment is cheaper than the extra pbuf lwIP allocates to reference it.
 */
#define SPLICE_RING_MSS 4096
/* busy states kept for reuse; more are freed */
#define SPLICE_BCACHE 256

/*
 * A connection with host data in lwIP: what it needs only then. The tail
 * comes first: qcw_tcp_output() finds it through splice.busy.
 */
struct splice_busy {
	struct qcw_tcp_tail tail;
	struct txring *ring; /* host data sent by reference (txring.h) */
	uint32_t copy_unacked; /* copied bytes not yet acked, before ring */
	size_t cost; /* what it holds, as counted in ctx->g_cost */
	uint8_t cost_p1; /* the port (id + 1) it is counted against */
	struct splice_busy *next; /* on ctx->bfree */
};

static inline struct txring *splice_ring_of(const struct splice *sp)
{
	return sp->busy ? sp->busy->ring : NULL;
}

/* splice_busy_get() - sp->busy, taken now if need be; NULL: out of memory */
static struct splice_busy *splice_busy_get(struct splice *sp)
{
	struct splice_ctx *ctx = sp->ctx;
	struct splice_busy *b = sp->busy;

	if (b)
		return b;
	if (ctx->bfree) {
		b = ctx->bfree;
		ctx->bfree = b->next;
		ctx->n_bfree--;
	} else if (!(b = malloc(sizeof(*b)))) {
		return NULL;
	}
	qcw_tcp_tail_reset(&b->tail);
	b->ring = NULL;
	b->copy_unacked = 0;
	b->cost = 0;
	b->cost_p1 = 0;
	sp->busy = b;
	ctx->n_busy++;
	return b;
}

/*
 * splice_charge() - @b holds @cost now, counted against port @p1 (a port
 * id + 1; 0 while not known): in all, and per port.
 */
static void splice_charge(struct splice_ctx *ctx, struct splice_busy *b,
			  size_t cost, unsigned int p1)
{
	ctx->g_cost = ctx->g_cost - b->cost + cost;
	if (b->cost) {
		ctx->g_cost_port[b->cost_p1] -= b->cost;
		if (!ctx->g_cost_port[b->cost_p1])
			ctx->n_cost_ports--;
	}
	if (cost) {
		if (!ctx->g_cost_port[p1])
			ctx->n_cost_ports++;
		ctx->g_cost_port[p1] += cost;
	}
	b->cost = cost;
	b->cost_p1 = (uint8_t)p1;
}

/* splice_port_vms() - ports holding host data, port @p1 counted (>= 1) */
static unsigned int splice_port_vms(const struct splice_ctx *ctx,
				    unsigned int p1)
{
	return ctx->n_cost_ports + (ctx->g_cost_port[p1] ? 0 : 1);
}

/* splice_port_left() - what connections of port @p1 may still hold */
static size_t splice_port_left(const struct splice_ctx *ctx, unsigned int p1)
{
	return splice_to_guest_left(SPLICE_TO_GUEST_MAX, ctx->g_cost,
				    ctx->g_cost_port[p1],
				    splice_port_vms(ctx, p1));
}

/* splice_busy_put() - give sp->busy back (its ring already released). */
static void splice_busy_put(struct splice *sp)
{
	struct splice_ctx *ctx = sp->ctx;
	struct splice_busy *b = sp->busy;

	if (!b)
		return;
	splice_charge(ctx, b, 0, b->cost_p1);
	sp->busy = NULL;
	ctx->n_busy--;
	if (ctx->n_bfree >= SPLICE_BCACHE) {
		free(b);
		return;
	}
	b->next = ctx->bfree;
	ctx->bfree = b;
	ctx->n_bfree++;
}

/* splice_account() - what @sp holds in lwIP now, in ctx->g_cost. */
static void splice_account(struct splice *sp)
{
	struct splice_busy *b = sp->busy;
	size_t cost;

	if (!b || !sp->pcb)
		return;
	cost = (size_t)(u32_t)(sp->pcb->snd_lbb - sp->pcb->lastack) +
	       (size_t)tcp_sndqueuelen(sp->pcb) * SPLICE_SEG_COST;
	splice_charge(sp->ctx, b, cost, sp->port_p1);
}

/* slots of a new queue; empty queues of this size are kept for reuse */
#define SPLICE_Q_FIRST 16
#define SPLICE_QCACHE 64

/*
 * Received chains waiting for the host socket: a ring of pbuf chains,
 * there only while chains are queued. It is taken with the first chain
 * and given back when the last one is written, to a cache in the context
 * when of the first size (no malloc per batch), so an idle connection
 * holds none.
 */
struct splice_queue {
	struct splice_queue *next; /* on ctx->qfree */
	uint32_t cap, head, n;
	uint16_t off; /* bytes of the oldest chain already written */
	uint16_t last_n; /* pbufs in the newest chain (bounds merging) */
	size_t cost; /* real cost of the queue (lwst_pbuf_cost) */
	struct pbuf *slot[]; /* cap of them, a power of two */
};

/* splice_qn() - chains queued on @sp. */
static inline uint32_t splice_qn(const struct splice *sp)
{
	return sp->q ? sp->q->n : 0;
}

static inline struct pbuf **splice_q(struct splice *sp, uint32_t i)
{
	return &sp->q->slot[(sp->q->head + i) & (sp->q->cap - 1)];
}

static struct splice_queue *splice_queue_new(struct splice_ctx *ctx,
					     uint32_t cap)
{
	struct splice_queue *q = NULL;

	if (cap == SPLICE_Q_FIRST && ctx->qfree) {
		q = ctx->qfree;
		ctx->qfree = q->next;
		ctx->n_qfree--;
	} else {
		q = malloc(sizeof(*q) + cap * sizeof(q->slot[0]));
		if (!q)
			return NULL;
	}
	memset(q, 0, sizeof(*q));
	q->cap = cap;
	return q;
}

static void splice_queue_free(struct splice_ctx *ctx, struct splice_queue *q)
{
	if (!q)
		return;
	if (q->cap != SPLICE_Q_FIRST || ctx->n_qfree >= SPLICE_QCACHE) {
		free(q);
		return;
	}
	q->next = ctx->qfree;
	ctx->qfree = q;
	ctx->n_qfree++;
}

static size_t splice_chain_cost(const struct pbuf *p, uint16_t *n)
{
	size_t c = 0;

	*n = 0;
	for (; p; p = p->next, (*n)++)
		c += lwst_pbuf_cost(p);
	return c;
}

/*
 * splice_q_push() - queue a chain from lwIP; a small one (under
 * SPLICE_MERGE_BELOW) joins the newest queued chain (pbuf_cat keeps
 * tot_len within 16 bits). -ENOMEM when the
 * queue is at its limit or over its cost budget (per connection or of all
 * connections): lwIP then keeps the data and closes the window.
 */
static int splice_q_push(struct splice *sp, struct pbuf *p)
{
	struct splice_ctx *ctx = sp->ctx;
	struct splice_queue *q = sp->q;
	uint32_t qn = splice_qn(sp);
	uint16_t n;
	size_t cost = splice_chain_cost(p, &n);

	if (!splice_budget_ok(q ? q->cost : 0, ctx->q_cost, ctx->q_cost_max, qn,
			      cost)) {
		ctx->q_refused++;
		return -ENOMEM;
	}
	if (qn) {
		struct pbuf *last = *splice_q(sp, qn - 1);

		if (p->tot_len < SPLICE_MERGE_BELOW &&
		    (size_t)last->tot_len + p->tot_len <= SPLICE_MERGE &&
		    q->last_n + n <= SPLICE_MERGE_PBUFS) {
			pbuf_cat(last, p);
			q->last_n = (uint16_t)(q->last_n + n);
			q->cost += cost;
			ctx->q_cost += cost;
			return 0;
		}
	}
	if (!q || q->n == q->cap) {
		uint32_t ncap = q ? q->cap * 2 : SPLICE_Q_FIRST, i;
		struct splice_queue *nq;

		if (ncap > SPLICE_QUEUE_MAX) {
			ctx->q_refused++;
			return -ENOMEM;
		}
		nq = splice_queue_new(ctx, ncap);
		if (!nq)
			return -ENOMEM;
		if (q) {
			nq->n = q->n;
			nq->off = q->off;
			nq->last_n = q->last_n;
			nq->cost = q->cost;
		}
		for (i = 0; i < qn; i++)
			nq->slot[i] = *splice_q(sp, i);
		splice_queue_free(ctx, q);
		sp->q = q = nq;
	}
	*splice_q(sp, q->n++) = p;
	q->last_n = n;
	q->cost += cost;
	ctx->q_cost += cost;
	return 0;
}

static void splice_q_pop(struct splice *sp)
{
	struct splice_queue *q = sp->q;
	struct pbuf *p = *splice_q(sp, 0);
	uint16_t n;
	size_t cost = splice_chain_cost(p, &n);

	q->cost -= cost;
	sp->ctx->q_cost -= cost;
	pbuf_free(p);
	q->head = (q->head + 1) & (q->cap - 1);
	q->n--;
	q->off = 0;
	if (!q->n) {
		splice_queue_free(sp->ctx, q);
		sp->q = NULL;
	}
}

static void splice_flush(struct splice *sp);
static void splice_start_read(struct splice *sp);

void splice_ctx_flush(struct splice_ctx *ctx)
{
	while (ctx->dirty) {
		struct splice *sp = ctx->dirty;

		ctx->dirty = sp->dnext;
		sp->dirty = false;
		splice_flush(sp);
		if (sp->pcb && sp->pcb->refused_data)
			tcp_process_refused_data(sp->pcb);
		/* the ACK lwIP owes the guest (splice_ack_later()), once */
		if (sp->pcb && !sp->dirty)
			qcw_tcp_ack_owed(sp->pcb);
	}
}

/*
 * splice_ack_later() - a connection with guest data to write in this batch
 * acknowledges it at the batch's end (splice_ctx_flush()), after the write
 * reopened its window: lwIP need not build an ACK for every second segment.
 */
static bool splice_ack_later(const void *arg)
{
	const struct splice *sp = arg;

	return sp->dirty && !sp->closing;
}

/*
 * splice_ctx_send() - lwIP sends what the host reads of this iteration
 * queued: the data of consecutive reads fills whole segments instead of
 * leaving a short one after each read.
 */
static void splice_ctx_send(struct splice_ctx *ctx)
{
	if (!ctx->pending)
		return;
	while (ctx->pending) {
		struct splice *sp = ctx->pending;

		ctx->pending = sp->pnext;
		sp->pending = false;
		if (sp->pcb && !sp->closing)
			tcp_output(sp->pcb);
	}
	/* the ports' own flush ran already in this loop phase, or not yet */
	sw_flush(ctx->sw);
}

static void splice_flush_cb(uv_check_t *h)
{
	struct splice_ctx *ctx = h->data;

	uv_check_stop(h);
	splice_ctx_flush(ctx);
	splice_ctx_send(ctx);
	/* closed host streams: their owners free them now, not in a caller */
	hstream_ctx_reap(&ctx->hs);
}

int splice_ctx_init(struct splice_ctx *ctx, uv_loop_t *loop, struct sw *sw)
{
	ctx->loop = loop;
	ctx->sw = sw;
	memset(ctx->blocked, 0, sizeof(ctx->blocked));
	ctx->n_blocked = 0;
	ctx->blocked_hi = 0;
	ctx->dirty = NULL;
	ctx->pending = NULL;
	ctx->q_cost = 0;
	if (!ctx->q_cost_max)
		ctx->q_cost_max = SPLICE_COST_GLOBAL_DEFAULT;
	ctx->q_refused = 0;
	ctx->qfree = NULL;
	ctx->n_qfree = 0;
	ctx->bfree = NULL;
	ctx->n_bfree = 0;
	ctx->n_busy = 0;
	/* a spliced pcb's queue tails: in its splice's busy state */
	qcw_tcp_tail_use(splice_tcp_recv, offsetof(struct splice, busy));
	qcw_tcp_ack_later_use(splice_ack_later);
	uv_check_init(loop, &ctx->flush);
	ctx->flush.data = ctx;
	uv_unref((uv_handle_t *)&ctx->flush);
	return hstream_ctx_init(&ctx->hs, loop);
}

static void splice_ctx_closed_cb(uv_handle_t *h)
{
	struct splice_ctx *ctx =
		splice_container_of(h, struct splice_ctx, flush);

	/* the last splices closed since the last iteration */
	hstream_ctx_reap(&ctx->hs);
	h->data = ctx->close_data;
	ctx->close_cb(h);
}

int splice_ctx_close(struct splice_ctx *ctx, uv_close_cb cb, void *data)
{
	ctx->close_cb = cb;
	ctx->close_data = data;
	uv_close((uv_handle_t *)&ctx->flush, splice_ctx_closed_cb);
	return 1 + hstream_ctx_close(&ctx->hs, cb, data);
}

enum splice_list { SPLICE_DIRTY, SPLICE_PENDING };

static struct splice **splice_next(struct splice *sp, enum splice_list l)
{
	return l == SPLICE_DIRTY ? &sp->dnext : &sp->pnext;
}

static void splice_unlist(struct splice **head, struct splice *sp,
			  enum splice_list l)
{
	struct splice **pp;

	for (pp = head; *pp; pp = splice_next(*pp, l)) {
		if (*pp == sp) {
			*pp = *splice_next(sp, l);
			return;
		}
	}
}

/* splice_block_add() - @sp onto the head of the blocked list at @head. */
static void splice_block_add(struct splice **head, struct splice *sp)
{
	sp->bnext = *head;
	if (sp->bnext)
		sp->bnext->bpprev = &sp->bnext;
	sp->bpprev = head;
	*head = sp;
}

/* splice_unblock() - @sp off whichever blocked list it is on, in O(1). */
static void splice_unblock(struct splice *sp)
{
	if (sp->blocked) {
		*sp->bpprev = sp->bnext;
		if (sp->bnext)
			sp->bnext->bpprev = sp->bpprev;
		sp->blocked = false;
		sp->ctx->n_blocked--;
	}
}

void hstream_on_closed(struct splice *sp)
{
	sp->ops->closed(sp);
}

void hstream_on_connected(struct splice *sp, int status)
{
	sp->ops->connected(sp, status);
}

static void splice_detach_pcb(struct splice *sp)
{
	if (!sp->pcb)
		return;
	tcp_arg(sp->pcb, NULL);
	sp->pcb = NULL;
}

void splice_close(struct splice *sp, bool reset)
{
	if (sp->closing)
		return;
	sp->closing = true;
	splice_unblock(sp);
	if (sp->dirty) {
		splice_unlist(&sp->ctx->dirty, sp, SPLICE_DIRTY);
		sp->dirty = false;
	}
	if (sp->pending) {
		splice_unlist(&sp->ctx->pending, sp, SPLICE_PENDING);
		sp->pending = false;
	}
	while (splice_qn(sp))
		splice_q_pop(sp);
	/* the pcb keeps its own reference while lwIP still sends from it */
	if (sp->busy) {
		txring_unref(sp->busy->ring);
		sp->busy->ring = NULL;
		splice_busy_put(sp);
	}
	splice_queue_free(sp->ctx, sp->q);
	sp->q = NULL;
	if (sp->pcb) {
		struct tcp_pcb *pcb = sp->pcb;

		splice_detach_pcb(sp);
		if (reset || tcp_close(pcb) != ERR_OK) {
			sp->aborted = true;
			tcp_abort(pcb);
		}
	}
	hstream_close(&sp->host, &sp->ctx->hs, reset);
	uv_check_start(&sp->ctx->flush, splice_flush_cb);
}

static void splice_maybe_done(struct splice *sp)
{
	if (sp->closing || !sp->guest_eof || !sp->host_eof || splice_qn(sp) ||
	    sp->writing)
		return;
	splice_close(sp, false);
}

void splice_tcp_err(void *arg, err_t err)
{
	struct splice *sp = arg;

	if (!sp)
		return;
	sp->pcb = NULL; /* lwIP freed it */
	log_debug("splice: guest side ended: %s",
		  err == ERR_RST ? "reset" : "aborted");
	splice_close(sp, true);
}

static void splice_recved(struct splice *sp, size_t n)
{
	if (sp->ops->count)
		sp->ops->count(sp, false, n);
	while (n && sp->pcb) {
		u16_t c = n > 0xffff ? 0xffff : (u16_t)n;

		tcp_recved(sp->pcb, c);
		n -= c;
	}
}

static int splice_iov(struct splice *sp, uv_buf_t *iov, size_t *total)
{
	size_t off = sp->q ? sp->q->off : 0;
	int n = 0, i;

	*total = 0;
	for (i = 0; i < (int)splice_qn(sp) && n < SPLICE_MAX_IOV; i++) {
		struct pbuf *q;

		for (q = *splice_q(sp, (uint32_t)i); q && n < SPLICE_MAX_IOV;
		     q = q->next) {
			if (off >= q->len) {
				off -= q->len;
				continue;
			}
			iov[n] = uv_buf_init((char *)q->payload + off,
					     (unsigned int)(q->len - off));
			*total += q->len - off;
			off = 0;
			n++;
		}
	}
	return n;
}

static void splice_consume(struct splice *sp, size_t n)
{
	splice_recved(sp, n);
	while (n && splice_qn(sp)) {
		size_t left = (size_t)(*splice_q(sp, 0))->tot_len - sp->q->off;

		if (n < left) {
			sp->q->off = (uint16_t)(sp->q->off + n);
			return;
		}
		n -= left;
		splice_q_pop(sp);
	}
}

void splice_ctx_fini(struct splice_ctx *ctx)
{
	while (ctx->qfree) {
		struct splice_queue *q = ctx->qfree;

		ctx->qfree = q->next;
		free(q);
	}
	ctx->n_qfree = 0;
	while (ctx->bfree) {
		struct splice_busy *b = ctx->bfree;

		ctx->bfree = b->next;
		free(b);
	}
	ctx->n_bfree = 0;
	hstream_ctx_fini(&ctx->hs);
}

void hstream_on_written(struct splice *sp, int status, size_t n)
{
	sp->writing = false;
	if (sp->closing)
		return;
	if (status < 0) {
		splice_close(sp, true);
		return;
	}
	splice_consume(sp, n);
	splice_flush(sp);
	if (sp->pcb && sp->pcb->refused_data)
		tcp_process_refused_data(sp->pcb);
	splice_maybe_done(sp);
}

/* splice_flush() - write queued guest data to the host socket. */
static void splice_flush(struct splice *sp)
{
	uv_buf_t iov[SPLICE_MAX_IOV];
	size_t total;
	ssize_t r;
	int n;

	while (!sp->writing && splice_qn(sp) && !sp->closing) {
		n = splice_iov(sp, iov, &total);
		r = hstream_write(&sp->host, &sp->ctx->hs, iov, (unsigned int)n,
				  total);
		if (r < 0) {
			splice_close(sp, true);
			return;
		}
		splice_consume(sp, (size_t)r);
		if ((size_t)r < total)
			sp->writing = true; /* hstream_on_written() follows */
	}
	if (!splice_qn(sp) && !sp->writing && sp->guest_eof && !sp->host_shut &&
	    !sp->closing) {
		sp->host_shut = true;
		if (hstream_shutdown(&sp->host, &sp->ctx->hs) < 0)
			splice_close(sp, true);
		else
			splice_maybe_done(sp);
	}
}

/*
 * splice_congested() - the port the connection's guest is behind is above
 * its high-water mark (any port while that port is not known yet): a
 * paused or hostile VM holds up its own connections, not everyone's.
 */
static inline bool splice_congested(const struct splice *sp)
{
	const struct sw *sw = sp->ctx->sw;

	if (!sw_congested(sw))
		return false;
	return !sp->port_p1 || sw_port_id_congested(sw, sp->port_p1 - 1);
}

_Static_assert(SW_MAX_PORTS < 255, "a port id + 1 fits in port_p1");

/*
 * splice_note_port() - called from lwIP's callbacks for the guest's
 * segments: remember the port they came in on.
 */
static inline void splice_note_port(struct splice *sp)
{
	int id = sw_input_port(sp->ctx->sw);

	if (id >= 0)
		sp->port_p1 = (uint8_t)(id + 1);
}

err_t splice_tcp_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct splice *sp = arg;
	struct splice_ctx *ctx;

	(void)pcb;
	(void)err;
	if (!sp) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	ctx = sp->ctx;
	splice_note_port(sp);
	if (!p) {
		sp->guest_eof = true;
		splice_flush(sp);
		splice_maybe_done(sp);
		return sp->aborted ? ERR_ABRT : ERR_OK;
	}
	if (sp->closing) {
		pbuf_free(p);
		return sp->aborted ? ERR_ABRT : ERR_OK;
	}
	if (splice_q_push(sp, p) < 0)
		return ERR_MEM; /* lwIP keeps it and retries later */
	/*
	 * Write once the frames of this read of the VM's socket are all in
	 * (splice_ctx_flush() from the stack's batch end, or the end of this
	 * loop iteration), so that they leave in one writev.
	 */
	if (!sp->dirty) {
		sp->dirty = true;
		sp->dnext = ctx->dirty;
		ctx->dirty = sp;
		uv_check_start(&ctx->flush, splice_flush_cb);
	}
	return ERR_OK;
}

static void splice_read_block(struct splice *sp)
{
	if (sp->reading) {
		hstream_read_stop(&sp->host, &sp->ctx->hs);
		sp->reading = false;
	}
	if (!sp->blocked) {
		sp->blocked = true;
		sp->ctx->n_blocked++;
		if (sp->port_p1 >= sp->ctx->blocked_hi)
			sp->ctx->blocked_hi = sp->port_p1 + 1u;
		splice_block_add(&sp->ctx->blocked[sp->port_p1], sp);
	}
}

_Static_assert(SPLICE_READ_MIN * 2 <= TCP_SND_BUF &&
		       SPLICE_READ_MIN < SPLICE_BUF,
	       "a stopped read must be able to start again");

static void splice_sndstate(struct splice *sp, struct splice_sndstate *s)
{
	const struct txring *ring = splice_ring_of(sp);
	size_t own;

	s->snd_buf = sp->pcb->snd_buf;
	s->queuelen = tcp_sndqueuelen(sp->pcb);
	s->queuelen_max = TCP_SND_QUEUELEN;
	s->mss = tcp_mss(sp->pcb) ? tcp_mss(sp->pcb) : 536;
	/* copied data only: rings of 64 KiB segments need their 4 MiB */
	s->cap =
		s->mss < SPLICE_RING_MSS ? splice_share_of(sp->ctx->n_busy) : 0;
	if (sp->snd_cap && (!s->cap || sp->snd_cap < s->cap))
		s->cap = sp->snd_cap;
	s->held = (u32_t)(sp->pcb->snd_lbb - sp->pcb->lastack);
	s->ring_free =
		ring ? TXRING_CAP - (size_t)(ring->wr - ring->rel) : SIZE_MAX;
	s->all_left = splice_port_left(sp->ctx, sp->port_p1);
	own = sp->busy ? sp->busy->cost : 0;
	if (own < SPLICE_TO_GUEST_FLOOR &&
	    s->all_left < SPLICE_TO_GUEST_FLOOR - own)
		s->all_left = SPLICE_TO_GUEST_FLOOR - own;
}

/* splice_room() - bytes lwIP can take now without failing tcp_write. */
static size_t splice_room(struct splice *sp)
{
	struct splice_sndstate s;

	if (!sp->pcb || sp->host_eof || sp->closing)
		return 0;
	splice_sndstate(sp, &s);
	return splice_room_of(&s);
}

/*
 * splice_ring() - a connection that has moved SPLICE_RING_AFTER bytes to
 * the guest reads into a ring lwIP sends from by reference; before that
 * (and if the ring cannot be had) host data is copied into lwIP.
 */
static struct txring *splice_ring(struct splice *sp)
{
	struct splice_busy *b = sp->busy;

	if (!b || b->ring || sp->host_read < SPLICE_RING_AFTER || !sp->pcb ||
	    tcp_mss(sp->pcb) < SPLICE_RING_MSS)
		return splice_ring_of(sp);
	b->ring = txring_new(sp->ctx->rings);
	if (!b->ring)
		return NULL;
	txring_attach(b->ring, sp->pcb);
	/* everything lwIP holds now was copied: acked before ring bytes */
	b->copy_unacked = (uint32_t)(sp->pcb->snd_lbb - sp->pcb->lastack);
	return b->ring;
}

/*
 * Reads are cut to whole segments where a read holds few of them (MSS from
 * SPLICE_WHOLE_SEGS_MSS, reads of two segments or more): a read of 1 MiB
 * at an MSS of 65480 would end in a segment of 1088 bytes, a frame of its
 * own for the VM to take (MTU 65520 host->guest: 17.0k -> 16.2k frames per
 * GB, +3-4 % in all three cells of two runs); at an MSS of 8960 such a
 * tail is one frame in 117, and cutting it measured nothing but noise.
 */
#define SPLICE_WHOLE_SEGS_MSS 16384
#define SPLICE_WHOLE_SEGS_MIN 2

/*
 * splice_seg_data() - the data a full segment of @pcb carries: its MSS
 * less the options every segment has (the timestamp, 12 bytes, once
 * agreed). Reads and writes cut to the MSS itself leave 12 bytes over per
 * segment, which lwIP chains onto the next as a second pbuf: a frame in
 * pieces, copied into the port's queue instead of sent by reference.
 */
static size_t splice_seg_data(const struct tcp_pcb *pcb)
{
	size_t mss = tcp_mss(pcb);
	size_t opt = pcb->flags & TF_TIMESTAMP ? LWIP_TCP_OPT_LEN_TS_OUT : 0;

	return mss > opt ? mss - opt : mss;
}

void hstream_on_alloc(struct splice *sp, char **base, size_t *len)
{
	size_t room = splice_congested(sp) ? 0 : splice_room(sp), seg;
	struct txring *r;
	uint8_t *at;

	*base = (char *)sp->ctx->buf;
	/* without one (out of memory) data is copied and the tails walked */
	if (room)
		splice_busy_get(sp);
	if (room && (r = splice_ring(sp)) != NULL) {
		size_t contig = txring_room(r, &at);

		*base = (char *)at;
		if (room > contig)
			room = contig;
	}
	seg = splice_seg_data(sp->pcb);
	if (room && seg >= SPLICE_WHOLE_SEGS_MSS &&
	    room >= SPLICE_WHOLE_SEGS_MIN * seg)
		room -= room % seg;
	*len = room;
}

void hstream_on_read(struct splice *sp, ssize_t n, char *base)
{
	size_t off, mss, chunk;
	bool by_ref;
	err_t e;

	if (n == UV_ENOBUFS) {
		splice_read_block(sp);
		return;
	}
	if (n == 0 || sp->closing || !sp->pcb)
		return;
	if (n < 0) {
		hstream_read_stop(&sp->host, &sp->ctx->hs);
		sp->reading = false;
		if (n != UV_EOF) {
			splice_close(sp,
				     true); /* host reset: reset the guest */
			return;
		}
		sp->host_eof = true;
		if (sp->close_on_host_eof) {
			/* lwIP sends what it holds, then its FIN, alone */
			splice_close(sp, false);
			return;
		}
		tcp_shutdown(sp->pcb, 0, 1);
		splice_maybe_done(sp);
		return;
	}
	if (sp->ops->count)
		sp->ops->count(sp, true, (size_t)n);
	if (sp->host_read < SPLICE_RING_AFTER)
		sp->host_read = (uint64_t)n >= SPLICE_RING_AFTER - sp->host_read
					? SPLICE_RING_AFTER
					: sp->host_read + (uint32_t)n;
	by_ref = splice_ring_of(sp) && base != (char *)sp->ctx->buf;
	/*
	 * Whole segments per call, and MORE always: without it lwIP sizes the
	 * last segment's pbuf to its data (no Nagle), and the next write
	 * would chain a second pbuf to it; a frame in pieces cannot be sent
	 * by reference and costs a copy in the port's queue.
	 */
	mss = splice_seg_data(sp->pcb);
	chunk = mss && mss <= 0xffff ? (0xffff / mss) * mss : 0xffff;
	for (off = 0; off < (size_t)n;) {
		size_t c = (size_t)n - off;

		if (c > chunk)
			c = chunk;
		e = tcp_write(sp->pcb, base + off, (u16_t)c,
			      by_ref ? TCP_WRITE_FLAG_MORE
				     : TCP_WRITE_FLAG_COPY |
					       TCP_WRITE_FLAG_MORE);
		if (e != ERR_OK) {
			/* cannot happen: reads are sized to the room */
			log_rl("splice: lwIP refused %zu bytes (%d), "
			       "connection reset",
			       c, (int)e);
			splice_close(sp, true);
			return;
		}
		off += c;
	}
	if (by_ref)
		sp->busy->ring->wr += (uint64_t)n;
	splice_account(sp);
	/*
	 * Send at the end of the iteration, so that the next read completes
	 * this one's last segment; but not with a long unsent queue, which
	 * each tcp_write() walks from its head.
	 */
	if (sp->pcb->snd_lbb - sp->pcb->snd_nxt > SPLICE_DEFER_SEGS * mss) {
		tcp_output(sp->pcb);
		return;
	}
	if (!sp->pending) {
		sp->pending = true;
		sp->pnext = sp->ctx->pending;
		sp->ctx->pending = sp;
		uv_check_start(&sp->ctx->flush, splice_flush_cb);
	}
}

static void splice_start_read(struct splice *sp)
{
	if (sp->reading || sp->host_eof || sp->closing || !sp->started)
		return;
	splice_unblock(sp);
	if (hstream_read_start(&sp->host, &sp->ctx->hs) == 0)
		sp->reading = true;
}

/*
 * splice_read_again() - a connection not reading reads again once lwIP can
 * take a read worth its syscall (splice_read_want()) and the switch is
 * not congested (when it is, the connection waits on the blocked list for
 * the drain). Room only grows when the guest acknowledges, so each
 * acknowledgement (splice_tcp_sent) asks again.
 */
static void splice_read_again(struct splice *sp)
{
	struct splice_sndstate s;
	size_t room;

	if (sp->reading || sp->host_eof || sp->closing || !sp->started ||
	    !sp->pcb)
		return;
	if (splice_congested(sp)) {
		splice_read_block(sp);
		return;
	}
	splice_sndstate(sp, &s);
	room = splice_room_of(&s);
	/* (past the budget, what the floor leaves is worth a read) */
	if (room > splice_read_want(&s) || (room && room == s.all_left))
		splice_start_read(sp);
	else if (!s.all_left)
		splice_read_block(sp); /* until others' data is acknowledged */
}

/*
 * splice_port_waits() - the connections on blocked list @i (a port id + 1,
 * 0 for an unknown port) wait for the switch still: a look at the port,
 * not at each of them.
 */
static bool splice_port_waits(const struct splice_ctx *ctx, unsigned int i)
{
	return sw_congested(ctx->sw) &&
	       (!i || sw_port_id_congested(ctx->sw, (int)i - 1));
}

/*
 * splice_port_short() - the connections of port @i (id + 1) have less than
 * an eighth of their share of the budget to bring: not worth waking them.
 */
static bool splice_port_short(const struct splice_ctx *ctx, unsigned int i)
{
	return splice_port_left(ctx, i) <
	       SPLICE_TO_GUEST_MAX / splice_port_vms(ctx, i) / 8;
}

/*
 * splice_resume_lists() - the blocked connections read again where their
 * port is not congested; @budget (an acknowledgement freed some of the
 * budget): only on ports with an eighth of their share free, so a VM over
 * its share, whose connections would stop again at once, costs nothing.
 */
static void splice_resume_lists(struct splice_ctx *ctx, bool budget)
{
	struct splice *chain, *sp;
	unsigned int i;

	for (i = 0; i < ctx->blocked_hi && ctx->n_blocked; i++) {
		if (!ctx->blocked[i] || splice_port_waits(ctx, i) ||
		    (budget && splice_port_short(ctx, i)))
			continue;
		/*
		 * Each once: the list moves to @chain, and one still without
		 * room goes back on a list of the context. One closed while
		 * another reads again unlinks itself from @chain.
		 */
		chain = ctx->blocked[i];
		ctx->blocked[i] = NULL;
		chain->bpprev = &chain;
		while ((sp = chain) != NULL) {
			splice_unblock(sp);
			splice_read_again(sp);
		}
	}
}

void splice_ctx_resume(struct splice_ctx *ctx)
{
	splice_resume_lists(ctx, false);
}

err_t splice_tcp_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct splice *sp = arg;

	struct splice_busy *b = sp ? sp->busy : NULL;

	if (sp)
		splice_note_port(sp);
	if (b && b->ring) {
		/* acknowledged bytes leave lwIP in order: copied ones first */
		uint64_t l = len, c = l < b->copy_unacked ? l : b->copy_unacked;

		b->copy_unacked -= (uint32_t)c;
		l -= c;
		if (l > b->ring->wr - b->ring->rel)
			l = b->ring->wr - b->ring->rel; /* the FIN */
		b->ring->rel += l;
		if (b->ring->rel == b->ring->wr && !b->copy_unacked) {
			/*
			 * All of it acknowledged: give the 4 MiB back (to the
			 * pool of a few), so an idle connection holds none;
			 * the next read takes a ring again.
			 */
			txring_detach(b->ring, pcb);
			txring_unref(b->ring);
			b->ring = NULL;
		}
	}
	/* all host data acknowledged: the connection is idle again */
	if (b && !b->ring && pcb->snd_lbb == pcb->lastack)
		splice_busy_put(sp);
	else if (b)
		splice_account(sp);
	if (sp)
		splice_read_again(sp);
	/* others waiting for the budget: once an eighth of their share is free */
	if (sp && sp->ctx->n_blocked)
		splice_resume_lists(sp->ctx, true);
	return ERR_OK;
}

void splice_init(struct splice *sp, struct splice_ctx *ctx,
		 const struct splice_ops *ops, bool pipe)
{
	uint8_t owner_bits = sp->owner_bits;

	memset(sp, 0, sizeof(*sp));
	sp->owner_bits = owner_bits; /* the owner may have set them first */
	sp->ctx = ctx;
	sp->ops = ops;
	hstream_init(&sp->host, &ctx->hs, pipe);
}

int splice_open(struct splice *sp, int fd)
{
	return hstream_open(&sp->host, &sp->ctx->hs, fd);
}

int splice_connect(struct splice *sp, const struct sockaddr *sa)
{
	return hstream_connect(&sp->host, &sp->ctx->hs, sa);
}

void splice_keepalive(struct splice *sp, unsigned int idle_s)
{
	hstream_keepalive(&sp->host, idle_s);
}

void splice_start(struct splice *sp, struct tcp_pcb *pcb)
{
	sp->pcb = pcb;
	sp->started = true;
	splice_note_port(sp); /* (lwIP's accept or connected: the guest's) */
	tcp_arg(pcb, sp); /* sp->ops->tcp: SPLICE_TCP_OPS */
	tcp_nagle_disable(pcb);
	hstream_nodelay(&sp->host);
	splice_start_read(sp);
}
