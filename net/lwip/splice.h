/*
 * splice.h - one TCP connection of the gateway's stack (an lwIP pcb)
 * joined to a host stream (hstream.h): the data path shared
 * by the NAT (guest -> host), port forwards (host -> guest), the in-VM
 * API and SSH tunnels.
 *
 * Flow control: guest->host data is written (one writev) once per
 * batch of frames from the VM (splice_ctx_flush) and acknowledged to
 * lwIP (tcp_recved, which reopens the guest's window) only once the host socket took it; while the socket is
 * full, received chains wait (for the socket to take more) in a queue that
 * grows with what lwIP delivers: lwIP delivers no more than the window it
 * advertised, and the window only reopens as the host socket drains, so
 * the queue is bounded by TCP_WND bytes (and SPLICE_QUEUE_MAX chains, past
 * which data is refused back to lwIP, which holds it and closes the
 * window). Idle connections hold no queue at all. host->guest: a read
 * never asks for more than lwIP's send buffer can take, and reads pause
 * while the send buffer is full or the switch's queue to the VM is
 * congested. The first SPLICE_RING_AFTER bytes are copied into lwIP;
 * after that a connection reads into a ring lwIP sends from by reference
 * (txring.h), released as the guest acknowledges. lwIP sends what one
 * loop iteration's reads queued at its end, in whole segments.
 *
 * Each direction closes on its own (half-close): FIN from the guest
 * becomes shutdown() of the host socket after the queued data; EOF from
 * the host becomes a FIN after the data lwIP still holds. A reset on
 * either side resets the other.
 *
 * Memory: an idle connection holds its host socket (on POSIX a bare fd in
 * an epoll set, hstream.h), its pcb and this struct, nothing else. What
 * host->guest data needs while lwIP holds it (struct splice_busy: the
 * queue tails, the ring) is taken from a cache in the context with the
 * first read and given back once the guest acknowledged all of it. The queue of received chains exists only while
 * chains wait, a write request only while a write waits for the host
 * socket (both taken from, and given back to, small caches in the
 * context), a shutdown request only until the shutdown completes.
 *
 * Ownership: the owner embeds struct splice and frees itself in
 * ops->closed(), called once from the loop after splice_close().
 */
#ifndef QCW_SPLICE_H
#define QCW_SPLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "net/switch.h" /* SW_MAX_PORTS */
#include "net/lwip/hstream.h"
#include "net/lwip/lwst_tcp_event.h"
#include "net/lwip/qcw_tcp_output.h"

struct tcp_pcb;
struct pbuf;
struct txring;
struct txring_pool;
struct splice_queue;
struct splice_busy;
struct sw;
struct splice;

#define SPLICE_QUEUE_MAX 8192 /* chains; small chains are merged first */
/*
 * What guest->host data waiting for a host socket really costs: each
 * pbuf is counted with the buffer it lives in (lwst_pbuf_cost()), so a
 * guest sending 1-byte segments to a host that does not read fills the
 * budget long before the 4 MiB window. Past either budget the data is
 * refused back to lwIP (ERR_MEM), which holds it, stops acknowledging
 * and retries; nothing acknowledged is dropped.
 */
#define SPLICE_COST_MAX (8u * 1024 * 1024) /* per connection */
#define SPLICE_COST_GLOBAL_DEFAULT (256u * 1024 * 1024)

/*
 * splice_budget_ok() - may a chain costing @cost join a queue of @qn
 * chains costing @conn, while all queues cost @all of @all_max? An empty
 * queue always takes one chain, so no connection waits on the others.
 */
static inline bool splice_budget_ok(size_t conn, size_t all, size_t all_max,
				    uint32_t qn, size_t cost)
{
	return !qn || (conn + cost <= SPLICE_COST_MAX && all + cost <= all_max);
}
#define SPLICE_BUF (1024 * 1024)
/* reads resume (after lwIP's buffer was full) once this much fits */
#define SPLICE_READ_MIN (256 * 1024)

/*
 * struct splice_sndstate - what decides how much host data lwIP can take:
 * its free send buffer (pcb->snd_buf, 32 bits with window scaling: not
 * tcp_sndbuf(), which stops at 64 KiB and made every read 64 KiB), its
 * send queue in pbufs, the MSS, the connection's cap (0: none) and the
 * bytes it holds unacknowledged, and the ring's free bytes (SIZE_MAX
 * without a ring).
 */
struct splice_sndstate {
	size_t snd_buf, queuelen, queuelen_max, mss, cap, held, ring_free;
	size_t all_left; /* of SPLICE_TO_GUEST_MAX, all connections' */
};

/* splice_room_of() - bytes one read may bring (tcp_write cannot fail). */
static inline size_t splice_room_of(const struct splice_sndstate *s)
{
	size_t room = s->snd_buf, segs;

	if (s->queuelen + 4 >= s->queuelen_max)
		return 0;
	segs = s->queuelen_max - 4 - s->queuelen;
	if (room > segs * s->mss)
		room = segs * s->mss;
	if (room > SPLICE_BUF)
		room = SPLICE_BUF;
	if (s->cap)
		room = s->held >= s->cap	 ? 0
		       : room > s->cap - s->held ? s->cap - s->held
						 : room;
	if (room > s->ring_free)
		room = s->ring_free;
	if (room > s->all_left)
		room = s->all_left;
	return room;
}

/*
 * splice_read_want() - the room a stopped connection waits for before it
 * reads again: SPLICE_READ_MIN (of lwIP's 4 MiB), or half the cap.
 */
static inline size_t splice_read_want(const struct splice_sndstate *s)
{
	if (s->cap && s->cap / 2 < SPLICE_READ_MIN)
		return s->cap / 2;
	return SPLICE_READ_MIN;
}
/*
 * Host->guest bytes copied into lwIP (MSS under SPLICE_RING_MSS) are
 * shared: each of @busy connections with data in lwIP may hold
 * SPLICE_SHARE_TOTAL / busy unacknowledged, but never less than
 * SPLICE_SHARE_MIN (0: no bound beyond lwIP's 4 MiB). One stream keeps
 * lwIP's whole send buffer; several do not each keep 4 MiB of MSS-sized
 * pbufs and segments in flight (4 streams at MTU 1500: 0.82 -> 0.54 CPU
 * s/GB, throughput the same; one stream needs more than 1 MiB, and at MTU
 * 65520 sixteen 64 KiB segments in flight lost 10 %, so rings are not
 * bounded).
 */
#define SPLICE_SHARE_TOTAL (4u * 1024 * 1024)
#define SPLICE_SHARE_MIN (512u * 1024)

static inline size_t splice_share_of(unsigned int busy)
{
	size_t share;

	if (busy <= 1)
		return 0;
	share = SPLICE_SHARE_TOTAL / busy;
	return share < SPLICE_SHARE_MIN ? SPLICE_SHARE_MIN : share;
}

/*
 * Host data all connections may hold in lwIP until the guest acknowledges
 * it, at real cost (SPLICE_SEG_COST for each segment's pbufs on top of its
 * bytes): each connection's own bound (lwIP's 4 MiB, the share of copied
 * data above) times the number of connections is not a bound, and a guest
 * that opens many connections to senders and acknowledges nothing (or
 * offers a tiny MSS: 8192 segments of a byte each) would otherwise grow
 * the daemon without end. Past it connections wait, on the blocked list,
 * for acknowledgements to free some; but a connection holding less than
 * SPLICE_TO_GUEST_FLOOR may always fill up to it, so that every one
 * (a gateway service's, a new download) still makes progress while
 * connections that acknowledge nothing hold the rest.
 */
#define SPLICE_TO_GUEST_MAX (128u << 20)
#define SPLICE_TO_GUEST_FLOOR (64u << 10)
#define SPLICE_SEG_COST 256

/*
 * splice_to_guest_left() - what the connections of one VM (switch port)
 * may still bring into lwIP, of a budget of @max of which all VMs hold
 * @all and this one @mine, @n VMs holding some (this one counted): while
 * it is the only one, all that is free; else what is left of its share,
 * @max / @n, as long as all of them hold under 2 * @max. So a VM whose
 * connections acknowledge nothing, even one that took the whole budget
 * before the others came, keeps what it holds but brings no more, while
 * each of the others fills its share (vm_budget.sh: a download beside
 * such a VM had only the floor, 64 KiB in flight, and took 3 times as
 * long); the VMs under their shares hold under @max together, so all of
 * it stays under 2 * @max.
 */
static inline size_t splice_to_guest_left(size_t max, size_t all, size_t mine,
					  unsigned int n)
{
	size_t share, left;

	if (n < 2)
		return all < max ? max - all : 0;
	if (all >= 2 * max)
		return 0;
	share = max / n;
	left = mine < share ? share - mine : 0;
	return left < 2 * max - all ? left : 2 * max - all;
}

/* host->guest bytes copied into lwIP before a connection gets a ring */
#define SPLICE_RING_AFTER (256 * 1024)

#define splice_container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))

struct splice_ops {
	/*
	 * first: lwIP's events for the pcb, whose argument is the splice
	 * (lwst_tcp_event.h): SPLICE_TCP_OPS, plus what the owner needs
	 * before splice_start() (accept, connected; an err function that
	 * passes to splice_tcp_err() once started)
	 */
	struct lwst_tcp_ops tcp;
	void (*closed)(struct splice *sp);
	/* splice_connect()'s outcome: 0, -errno, UV_ECANCELED if closed */
	void (*connected)(struct splice *sp, int status);
	/*
	 * @n bytes moved to the guest (@to_guest) or the host, for the
	 * owner's counters (NULL: none): the owner finds them from @sp, so
	 * no connection carries pointers to them (16 bytes each)
	 */
	void (*count)(struct splice *sp, bool to_guest, size_t n);
};

/* Shared by all splices of one stack: the read buffer, the lists. */
struct splice_ctx {
	uv_loop_t *loop;
	struct sw *sw;
	/*
	 * host reads waiting for the switch or the budget, a list per switch
	 * port (by port_p1: [0] for connections whose port is not known), so
	 * that a port's drain looks at its own and a stuck VM's connections
	 * cost the others nothing; doubly linked, so a close unlinks in O(1)
	 */
	struct splice *blocked[SW_MAX_PORTS + 1];
	unsigned int n_blocked;
	unsigned int blocked_hi; /* lists in use are below it */
	struct splice *dirty; /* guest data to write this iteration */
	struct splice *pending; /* host data for lwIP to send this iteration */
	uv_check_t flush;
	size_t q_cost; /* all splices' queued guest->host data, real cost */
	size_t g_cost; /* all splices' host data in lwIP, real cost */
	/* of it, each port's (by port_p1), and how many hold some */
	size_t g_cost_port[SW_MAX_PORTS + 1];
	unsigned int n_cost_ports;
	size_t q_cost_max; /* SPLICE_COST_GLOBAL_DEFAULT unless configured */
	uint64_t q_refused; /* chains refused back to lwIP over a budget */
	struct txring_pool *rings; /* the backend's (txring.h) */
	struct hstream_ctx hs; /* the host sockets' (hstream.h) */
	uv_close_cb close_cb; /* splice_ctx_close()'s */
	void *close_data;
	struct splice_busy *bfree; /* busy states kept for reuse */
	unsigned int n_bfree;
	unsigned int n_busy; /* connections with host data in lwIP */
	struct splice_queue *qfree; /* empty queues kept for reuse */
	unsigned int n_qfree;
	uint8_t buf[SPLICE_BUF]; /* host reads land here; lwIP copies */
};

struct splice {
	const struct splice_ops *ops; /* first: the pcb's argument is sp */
	struct splice_ctx *ctx;
	struct hstream host; /* the host socket (hstream.h) */
	struct tcp_pcb *pcb;
	/*
	 * While lwIP holds host data of this connection: the ends of the
	 * pcb's queues (qcw_tcp_output.h) and the ring it sends from; NULL
	 * when idle.
	 */
	struct splice_busy *busy;
	struct splice_queue *q; /* received chains waiting, or NULL */
	struct splice *bnext, *dnext, *pnext; /* on blocked, dirty, pending */
	struct splice **bpprev; /* what points at it on its blocked list */
	/* bytes read from the host, counted up to SPLICE_RING_AFTER only */
	uint32_t host_read;
	uint32_t snd_cap; /* 0, or bound on unacked host->guest bytes */
	/* bits: one connection's flags fit in two bytes, not twelve */
	bool started : 1, closing : 1;
	bool writing : 1, reading : 1;
	bool guest_eof : 1, host_shut : 1, host_eof : 1;
	bool blocked : 1, dirty : 1, pending : 1, aborted : 1;
	bool close_on_host_eof : 1; /* a gateway service: its close ends all */
	uint8_t owner_bits; /* the owner's (splice_init() keeps them) */
	/* the switch port the guest's segments came in on, + 1 (0: none yet) */
	uint8_t port_p1;
};

/*
 * lwst_pbuf_cost() - bytes of memory @p (one pbuf, not its chain) keeps
 * alive: the receive buffer of a frame from the VM, or the pbuf itself.
 * Defined by the stack (stack_lwip.c).
 */
size_t lwst_pbuf_cost(const struct pbuf *p);

int splice_ctx_init(struct splice_ctx *ctx, uv_loop_t *loop, struct sw *sw);
/*
 * splice_ctx_close() - close the context's libuv handles, once every
 * splice was asked to close: splices closed but not yet reported are
 * reported (ops->closed()) first. Returns how many handles; each gets @cb
 * with @data in its handle's data.
 */
int splice_ctx_close(struct splice_ctx *ctx, uv_close_cb cb, void *data);
/*
 * splice_ctx_fini() - free the caches; after the last splice of @ctx
 * closed and splice_ctx_close()'s handles did.
 */
void splice_ctx_fini(struct splice_ctx *ctx);
/*
 * splice_ctx_flush() - write the guest data received so far to the host
 * sockets (a batch of frames from the VM ended). Also runs by itself at
 * the end of each loop iteration.
 */
void splice_ctx_flush(struct splice_ctx *ctx);
/* splice_ctx_resume() - the switch drained: restart paused host reads. */
void splice_ctx_resume(struct splice_ctx *ctx);

/* lwIP's events for a started splice's pcb (struct splice_ops.tcp) */
err_t splice_tcp_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
		      err_t err);
err_t splice_tcp_sent(void *arg, struct tcp_pcb *pcb, u16_t len);
void splice_tcp_err(void *arg, err_t err);
#define SPLICE_TCP_OPS                                            \
	{                                                         \
		.recv = splice_tcp_recv, .sent = splice_tcp_sent, \
		.err = splice_tcp_err,                            \
	}

/* splice_init() - init the host stream (a unix socket when @pipe). */
void splice_init(struct splice *sp, struct splice_ctx *ctx,
		 const struct splice_ops *ops, bool pipe);
/* splice_open() - the host side is connected socket @fd: 0 or -errno. */
int splice_open(struct splice *sp, int fd);
/*
 * splice_connect() - connect the host side to @sa: 0 and later
 * ops->connected(), or -errno now (no callback).
 */
int splice_connect(struct splice *sp, const struct sockaddr *sa);
/* splice_keepalive() - TCP keepalive on the host socket after @idle_s. */
void splice_keepalive(struct splice *sp, unsigned int idle_s);

/* splice_start() - both sides are connected: move data. */
void splice_start(struct splice *sp, struct tcp_pcb *pcb);

/*
 * splice_close() - end the connection now: with @reset both sides get a
 * reset, else lwIP closes gracefully (FIN) and the host handle is closed.
 * Idempotent; works before splice_start() too.
 */
void splice_close(struct splice *sp, bool reset);

#endif
