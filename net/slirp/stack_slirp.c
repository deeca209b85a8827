/*
 * stack_slirp.c - the libslirp backend of the stack seam (-stack slirp):
 * libslirp 4.7 embedded on the libuv loop, behind the frame filter of
 * slirp_frames.c.
 *
 * The loop: each iteration a uv_prepare runs slirp_pollfds_fill(), which
 * names the fds libslirp wants polled and for what; each has one uv_poll_t
 * (created when libslirp registers the fd, or when a listener it never
 * registers first shows up; stopped and closed when it unregisters one,
 * which it does before closing it) started with exactly those events, so
 * an idle socket costs nothing. The poll callbacks record what happened;
 * a uv_check hands it back through slirp_pollfds_poll(). A uv_timer wakes
 * the loop for libslirp's TCP timers (the timeout fill asks for: 2 ms
 * while an ACK is delayed, up to 1 s otherwise) and libslirp's own timers
 * are uv_timers too. Time is the env's clock.
 *
 * Addressing (gvproxy's): libslirp's "host" is the host alias .254, which
 * it maps to the host's 127.0.0.1; its DHCP and DNS are off (qcw-net's
 * serve the guest). The gateway .1 is this file's: ping is answered here,
 * UDP goes to the gateway sockets, TCP to a listened port goes to
 * libslirp's guest forward (a unix socket of ours), other ports get a RST.
 */
#include "net/slirp/stack_slirp.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/nat_limits.h"
#include "net/pkt.h"
#include "net/pkt6.h"
#include "net/slirp/slirp_dir.h"
#include "net/slirp/slirp_frames.h"
#include "net/slirp/slirp_priv.h"
#include "util/hash.h"
#include "util/log.h"

#define LOG_SUBSYS LOG_SS_STACK

struct slirp_timer {
	uv_timer_t t;
	struct slirp_timer *next;
	struct slirp_stack *st;
	SlirpTimerId id;
	void *cb_opaque;
};

struct stack_udp {
	struct stack_udp *next;
	uint16_t port;
	stack_udp_recv_fn cb;
	void *arg;
};

static struct slirp_stack *to_st(struct stack *s)
{
	return (struct slirp_stack *)s;
}

void slirp_close_done(struct slirp_stack *st)
{
	if (--st->pending == 0 && st->destroying) {
		free(st->fds);
		free(st->cur);
		free(st->prev);
		free(st->buf);
		free(st->xbuf);
		free(st->ext6buf);
		slirp_reasm_free(&st->reasm4);
		slirp_reasm_free(&st->reasm6);
		slirp_ooo_free(&st->ooo);
		slirp_udp_fini(st);
		free(st);
	}
}

static void handle_closed(uv_handle_t *h)
{
	slirp_close_done(h->data);
}

/* ---- the guest's MACs, for the frames built here ---- */

static struct slirp_mac *mac_slot(struct slirp_stack *st, uint32_t ip)
{
	return &st->macs[(ip ^ ip >> 8) % SLIRP_MAC_SLOTS];
}

void slirp_arp_query(struct slirp_stack *st, uint32_t ip)
{
	struct slirp_xl6 *e = slirp_xl6_of(st, ip);
	uint8_t req[SLIRP_NS_LEN];

	if (e) {
		slirp_build_ns(req, st->cfg.gw_mac, st->cfg.gw_ll6, e->ip6);
		sw_output_buf(st->env.sw, req, SLIRP_NS_LEN);
		st->sent = true;
		return;
	}

	slirp_build_arp_request(req, st->cfg.gw_mac, st->cfg.gateway, ip);
	sw_output_buf(st->env.sw, req, 42);
	st->sent = true;
}

static void mac_of(struct slirp_stack *st, uint32_t ip, uint8_t mac[6])
{
	struct slirp_mac *m = mac_slot(st, ip);

	memcpy(mac, m->ip == ip ? m->mac : st->cfg.device_mac, 6);
}

/*
 * mac_learn() - remember @mac for @ip. A @pinned entry (a DHCP lease, an
 * ARP answer) is replaced only by another pinned one, so made-up IPv4
 * sources cannot push a guest out of the table.
 */
static void mac_learn(struct slirp_stack *st, uint32_t ip, const uint8_t *mac,
		      bool pinned)
{
	struct slirp_mac *m = mac_slot(st, ip);

	if (m->ip == ip) {
		if (pinned || !m->pinned)
			memcpy(m->mac, mac, 6);
		m->pinned |= pinned;
		return;
	}
	if (m->pinned && !pinned)
		return;
	m->ip = ip;
	memcpy(m->mac, mac, 6);
	m->pinned = pinned;
	m->bucket.proven = false;
	m->bucket.tokens = SLIRP_SYN_BURST_NEW;
	m->bucket.ms = slirp_now(st);
}

/* syn_bucket() - the SYN bucket of @ip: its MAC entry or stand-in. */
static struct slirp_syn_bucket *syn_bucket(struct slirp_stack *st, uint32_t ip)
{
	struct slirp_mac *m = mac_slot(st, ip);
	struct slirp_xl6 *e = slirp_xl6_of(st, ip);

	if (e)
		return &e->bucket;
	return m->ip == ip ? &m->bucket : NULL;
}

bool slirp_syn_admit(struct slirp_stack *st, uint32_t ip)
{
	struct slirp_syn_bucket *b = syn_bucket(st, ip);
	uint64_t now = slirp_now(st), grow;
	unsigned int burst, rate;

	if (!b)
		return true; /* not in the table: held before it got here */
	burst = b->proven ? SLIRP_SYN_BURST : SLIRP_SYN_BURST_NEW;
	rate = b->proven ? SLIRP_SYN_RATE : SLIRP_SYN_RATE_NEW;
	grow = (now - b->ms) * rate / 1000;
	if (grow) {
		b->tokens =
			(uint8_t)(b->tokens + grow >= burst ? burst
							    : b->tokens + grow);
		b->ms += grow * 1000 / rate;
	}
	if (b->tokens >= burst) {
		b->tokens = (uint8_t)burst;
		b->ms = now;
	}
	if (!b->tokens)
		return false;
	b->tokens--;
	return true;
}

void slirp_syn_done(struct slirp_stack *st, uint32_t ip)
{
	struct slirp_syn_bucket *b = syn_bucket(st, ip);

	if (!b)
		return;
	b->proven = true;
	if (b->tokens < SLIRP_SYN_BURST)
		b->tokens++;
}

/*
 * slirp_teach() - a gratuitous ARP of @ip into libslirp, from the table:
 * libslirp's own ARP table has 16 entries and answers nothing itself.
 */
bool slirp_teach(struct slirp_stack *st, uint32_t ip)
{
	struct slirp_mac *m = mac_slot(st, ip);
	struct slirp_xl6 *e = slirp_xl6_of(st, ip);
	uint8_t garp[42];

	if (!e && m->ip != ip)
		return false;
	slirp_build_garp(garp, e ? e->mac : m->mac, ip);
	slirp_input(st->slirp, garp, sizeof(garp));
	return true;
}

/*
 * arp_out() - libslirp asks the VMs who has an address: answered from the
 * table for a leased address or one that answered ARP before (libslirp is
 * told before its next poll, which sends what waited), otherwise sent at
 * most SLIRP_ARP_RATE times a second (a SYN flood from made-up addresses
 * makes it ask for each). Return true when the request must not go out.
 */
#define SLIRP_ARP_RATE 64
bool slirp_arp_token(struct slirp_stack *st)
{
	if (slirp_per_second(slirp_now(st), &st->arp_bucket_ms, &st->arp_tokens,
			     SLIRP_ARP_RATE))
		return true;
	st->cnt.arp_query_refused++;
	return false;
}

/*
 * slirp_pin_token() - a guest brings up a handful of addresses; one that
 * announces made-up addresses of the subnet (each would have its SYNs go
 * to libslirp, whose answers queue behind ARP or neighbour discovery and
 * are walked on every packet it sends) gets SLIRP_PIN_RATE a second, the
 * rest are learned unpinned and their SYNs held (slirp_hold.h).
 */
bool slirp_pin_token(struct slirp_stack *st)
{
	if (slirp_per_second(slirp_now(st), &st->pin_ms, &st->pin_tokens,
			     SLIRP_PIN_RATE))
		return true;
	log_rl("stack slirp: more than %u new addresses a second announced "
	       "by the guest (ARP, neighbour discovery): the rest not "
	       "trusted, their SYNs wait",
	       SLIRP_PIN_RATE);
	return false;
}

static bool arp_out(struct slirp_stack *st, const uint8_t *f, size_t len)
{
	uint32_t tip;

	if (!pkt_arp_request_for(f, len, &tip))
		return false;
	if (slirp_mac_pinned(st, tip)) {
		unsigned int i;

		for (i = 0; i < st->nteach && st->teach[i] != tip; i++)
			;
		if (i == st->nteach &&
		    st->nteach < sizeof(st->teach) / sizeof(st->teach[0]))
			st->teach[st->nteach++] = tip;
		st->force_poll = true;
		return true;
	}
	return !slirp_arp_token(st);
}

static void stack_slirp_input(struct stack *s, const uint8_t *f, size_t len,
			      const struct sw_ref *keep);

void slirp_guest_frame(void *st, const uint8_t *f, size_t len)
{
	stack_slirp_input(&((struct slirp_stack *)st)->base, f, len, NULL);
}

/*
 * syn_hold() - a SYN from @p->src, which never answered ARP nor had a
 * lease: libslirp would queue its SYN-ACK behind an ARP request (and walk
 * that queue on every packet it sends: a SYN flood from made-up addresses
 * of the subnet brings it to a crawl). The gateway asks who has the
 * address and holds the SYN (a few, the newest) until the answer.
 */
static void syn_hold(struct slirp_stack *st, const uint8_t *f, size_t len,
		     uint32_t src)
{
	uint8_t key[16];

	st->cnt.policy_drops++;
	slirp_hold_key4(key, src);
	slirp_hold_put(&st->held4, key, f, len);
	if (slirp_arp_token(st)) {
		slirp_hold_asked(&st->held4, key);
		slirp_arp_query(st, src);
	}
}

/* syn_release() - @ip answered ARP: its held SYNs go to libslirp. */
static void syn_release(struct slirp_stack *st, uint32_t ip)
{
	uint8_t key[16];

	slirp_hold_key4(key, ip);
	st->cnt.policy_drops -=
		slirp_hold_release(&st->held4, key, slirp_guest_frame, st);
}

static void mac6_of(struct slirp_stack *st, const uint8_t ip[16],
		    uint8_t mac[6])
{
	if (!slirp_mac6_find(st, ip, mac))
		memcpy(mac, st->cfg.device_mac, 6);
}

/* ---- libslirp's callbacks ---- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct slirp_stack *st = opaque;
	const uint8_t *f = buf;
	uint8_t hdr[128];
	struct iovec iov[2];
	size_t hl;

	slirp_ooo_to_guest(&st->ooo, f, len);
	if (len >= 14 && f[12] == 0x86 && f[13] == 0xdd) {
		int r;

		if (len > (size_t)st->cfg.mtu + 14) {
			/* libslirp 4.7 does not fragment IPv6 */
			if (slirp_frag6_out(f, len, st->cfg.mtu, st->frag6_id++,
					    st->cfg.gw_mac, slirp_emit, st) > 0)
				st->sent = true;
			else
				st->cnt.policy_drops++;
			return (ssize_t)len;
		}
		r = slirp_out_rewrite6(hdr, sizeof(hdr), f, len,
				       st->cfg.gw_mac);

		if (r < 0)
			return (ssize_t)len;
		hl = (size_t)r;
	} else if (len >= 34 && f[12] == 0x08 && f[13] == 0x00 &&
		   slirp_xl6_is(st, be32_get(f + 30)) &&
		   slirp_xl6_out(st, f, len)) {
		return (ssize_t)len; /* to a stand-in: as IPv6 */
	} else {
		hl = slirp_out_rewrite(hdr, buf, len, st->cfg.gw_mac);
		if (!hl || arp_out(st, buf, len))
			return (ssize_t)len;
	}
	iov[0].iov_base = hdr;
	iov[0].iov_len = hl;
	iov[1].iov_base = (uint8_t *)buf + hl;
	iov[1].iov_len = len - hl;
	sw_output(st->env.sw, iov, len > hl ? 2 : 1, len);
	st->sent = true;
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	log_rl("slirp: guest error: %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
	return (int64_t)slirp_now(opaque) * 1000000;
}

static void timer_fired(uv_timer_t *t)
{
	struct slirp_timer *tm = t->data;

	slirp_handle_timer(tm->st->slirp, tm->id, tm->cb_opaque);
}

static void timer_closed(uv_handle_t *h)
{
	struct slirp_timer *tm = h->data;
	struct slirp_stack *st = tm->st;

	free(tm);
	slirp_close_done(st);
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct slirp_stack *st = opaque;
	struct slirp_timer *tm = calloc(1, sizeof(*tm));

	if (!tm)
		return NULL;
	uv_timer_init(st->env.loop, &tm->t);
	tm->t.data = tm;
	tm->st = st;
	tm->id = id;
	tm->cb_opaque = cb_opaque;
	tm->next = st->timers;
	st->timers = tm;
	return tm;
}

static void timer_close(struct slirp_timer *tm)
{
	tm->st->pending++;
	uv_close((uv_handle_t *)&tm->t, timer_closed);
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct slirp_stack *st = opaque;
	struct slirp_timer **pp;

	for (pp = &st->timers; *pp; pp = &(*pp)->next) {
		if (*pp == timer) {
			*pp = (*pp)->next;
			timer_close(timer);
			return;
		}
	}
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct slirp_timer *tm = timer;
	int64_t delay = expire_ms - (int64_t)slirp_now(opaque);

	if (tm)
		uv_timer_start(&tm->t, timer_fired,
			       delay > 0 ? (uint64_t)delay : 0, 0);
}

uint8_t slirp_input_vm(const struct slirp_stack *st)
{
	return nat_vm_of_port(st->env.sw ? sw_input_port(st->env.sw) : -1);
}

static void fd_closed(uv_handle_t *h)
{
	struct slirp_fd *e = h->data;
	struct slirp_stack *st = e->st;

	free(e);
	slirp_close_done(st);
}

/*
 * trim_maybe() - libslirp gives every TCP connection two 128 KiB buffers
 * from the heap, which stay resident after a burst of connections is
 * gone (the daemon keeps freed memory in the heap for lwIP's sake): when
 * the fds libslirp holds fell to a quarter of a peak of at least 256,
 * hand the free pages back once.
 */
static void trim_maybe(struct slirp_stack *st)
{
	st->nfds--;
	if (st->nfds_peak >= 256 && st->nfds < st->nfds_peak / 4) {
		st->nfds_peak = st->nfds;
#ifdef __GLIBC__
		malloc_trim(0);
#endif
	}
}

/*
 * listener_let_go() - @e, libslirp's connection to a gateway listener,
 * no longer counts for the listener's cap (once: its owner closed its
 * end, or libslirp let go of it).
 */
static void listener_let_go(struct slirp_fd *e)
{
	struct slirp_listener *l;

	if (!e->listen_port || e->gone)
		return;
	e->gone = true;
	l = slirp_listener_find(e->st, e->listen_port);
	if (l && l->open) {
		l->open--;
		vm_hold_del(&l->vms, e->vm);
	}
}

static void fd_drop(struct slirp_stack *st, int fd)
{
	struct slirp_fd *e;

	if (fd < 0 || (size_t)fd >= st->fds_cap || !st->fds[fd])
		return;
	e = st->fds[fd];
	st->fds[fd] = NULL;
	vm_hold_del(&st->vm_fds, e->vm);
	trim_maybe(st);
	listener_let_go(e);
	st->pending++;
	uv_close((uv_handle_t *)&e->poll, fd_closed);
}

static void fd_polled(uv_poll_t *p, int status, int events)
{
	struct slirp_fd *e = p->data;
	int r = 0;

	if (status < 0) {
		/* libuv stopped the handle: started again at the next fill */
		r = SLIRP_POLL_ERR;
		e->events = 0;
	} else {
		if (events & UV_READABLE)
			r |= SLIRP_POLL_IN;
		if (events & UV_WRITABLE)
			r |= SLIRP_POLL_OUT;
		if (events & UV_PRIORITIZED)
			r |= SLIRP_POLL_PRI;
		if (events & UV_DISCONNECT)
			r |= SLIRP_POLL_HUP;
	}
	/* the owner closed its end: no longer open for the cap */
	if (r & (SLIRP_POLL_HUP | SLIRP_POLL_ERR))
		listener_let_go(e);
	e->revents |= r;
	e->st->any_revents = true;
}

/* fd_get() - the entry of @fd, made if there is none (NULL: no memory). */
static struct slirp_fd *fd_get(struct slirp_stack *st, int fd)
{
	struct slirp_fd *e;

	if ((size_t)fd >= st->fds_cap) {
		size_t cap = st->fds_cap ? st->fds_cap : 256;
		struct slirp_fd **n;

		while (cap <= (size_t)fd)
			cap *= 2;
		n = realloc(st->fds, cap * sizeof(*n));
		if (!n)
			return NULL;
		memset(n + st->fds_cap, 0, (cap - st->fds_cap) * sizeof(*n));
		st->fds = n;
		st->fds_cap = cap;
	}
	if (st->fds[fd])
		return st->fds[fd];
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	if (uv_poll_init(st->env.loop, &e->poll, fd) < 0) {
		free(e);
		return NULL;
	}
	e->poll.data = e;
	e->st = st;
	e->fd = fd;
	/* libslirp opens sockets inside slirp_input() of the guest's frame */
	e->vm = slirp_input_vm(st);
	vm_hold_add(&st->vm_fds, e->vm);
	st->fds[fd] = e;
	if (++st->nfds > st->nfds_peak)
		st->nfds_peak = st->nfds;
	return e;
}

static void cb_register_poll_fd(int fd, void *opaque)
{
	struct slirp_stack *st = opaque;
	struct slirp_fd *e;

	if (fd < 0)
		return;
	/* a number reused without an unregister: forget the old entry */
	if ((size_t)fd < st->fds_cap && st->fds[fd])
		fd_drop(st, fd);
	e = fd_get(st, fd);
	if (!e) {
		log_rl("slirp: cannot poll fd %d (out of memory)", fd);
		return;
	}
	if (st->cur_listener) {
		/* libslirp's connection to a gateway listener (open_unix) */
		e->listen_port = st->cur_listener->port;
		slirp_listener_conn(st->cur_listener, st->cur_src,
				    st->cur_sport);
	}
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
	fd_drop(opaque, fd);
}

static void cb_notify(void *opaque)
{
}

/*
 * fix_backlog() - libslirp 4.7 listens on a host forward's socket with a
 * backlog of 1 and never registers it; seen first in a fill, one of ours
 * (in st->dir) gets a real backlog so concurrent dials are not refused.
 */
static void fix_backlog(struct slirp_stack *st, int fd)
{
	struct sockaddr_un sa;
	socklen_t sl = sizeof(sa);
	size_t dl = strlen(st->dir);

	if (getsockname(fd, (struct sockaddr *)&sa, &sl) == 0 &&
	    sa.sun_family == AF_UNIX && !strncmp(sa.sun_path, st->dir, dl) &&
	    sa.sun_path[dl] == '/')
		listen(fd, SOMAXCONN);
}

static int add_poll(int fd, int events, void *opaque)
{
	struct slirp_stack *st = opaque;
	struct slirp_fd *e;
	bool fresh = fd >= 0 && ((size_t)fd >= st->fds_cap || !st->fds[fd]);
	int uv = 0;

	if (fd < 0 || !(e = fd_get(st, fd)))
		return -1;
	if (fresh)
		fix_backlog(st, fd);
	if (st->ncur == st->pcap) {
		size_t cap = st->pcap ? st->pcap * 2 : 64;
		struct slirp_pollent *a = realloc(st->cur, cap * sizeof(*a)),
				     *b;

		if (!a)
			return -1;
		st->cur = a;
		b = realloc(st->prev, cap * sizeof(*b));
		if (!b)
			return -1;
		st->prev = b;
		st->pcap = cap;
	}
	if (events & SLIRP_POLL_IN)
		uv |= UV_READABLE;
	if (events & SLIRP_POLL_OUT)
		uv |= UV_WRITABLE;
	if (events & SLIRP_POLL_PRI)
		uv |= UV_PRIORITIZED;
	if ((events & SLIRP_POLL_IN) && e->listen_port)
		uv |= UV_DISCONNECT;
	if (e->gen != st->gen) {
		e->gen = st->gen;
		e->want = 0;
		e->revents = 0;
	}
	e->want |= uv;
	st->cur[st->ncur].fd = fd;
	st->cur[st->ncur].events = events;
	return (int)st->ncur++;
}

static int get_revents(int idx, void *opaque)
{
	struct slirp_stack *st = opaque;
	struct slirp_fd *e;
	int fd;

	if (idx < 0 || (size_t)idx >= st->ncur)
		return 0;
	fd = st->cur[idx].fd;
	if ((size_t)fd >= st->fds_cap || !(e = st->fds[fd]))
		return 0;
	return e->revents &
	       (st->cur[idx].events | SLIRP_POLL_ERR | SLIRP_POLL_HUP);
}

static void tick_fired(uv_timer_t *t)
{
	/* only wakes the loop: the check that follows runs libslirp */
}

/* on_prepare() - what libslirp wants polled, onto the uv_polls. */
static void on_prepare(uv_prepare_t *h)
{
	struct slirp_stack *st = h->data;
	struct slirp_pollent *t;
	uint32_t timeout = UINT32_MAX, t_conn;
	uint64_t now;
	size_t i;

	t = st->prev;
	st->prev = st->cur;
	st->cur = t;
	st->nprev = st->ncur;
	st->ncur = 0;
	st->gen++;
	slirp_pollfds_fill(st->slirp, &timeout, add_poll, st);
	for (i = 0; i < st->ncur; i++) {
		struct slirp_fd *e = st->fds[st->cur[i].fd];

		if (!e || e->want == e->events)
			continue;
		if (e->want)
			uv_poll_start(&e->poll, e->want, fd_polled);
		else
			uv_poll_stop(&e->poll);
		e->events = e->want;
	}
	/* fds polled last time and not now */
	for (i = 0; i < st->nprev; i++) {
		int fd = st->prev[i].fd;
		struct slirp_fd *e =
			(size_t)fd < st->fds_cap ? st->fds[fd] : NULL;

		if (e && e->gen != st->gen && e->events) {
			uv_poll_stop(&e->poll);
			e->events = 0;
		}
	}
	st->filled = true;
	if ((st->nat.icmp.flows_open || st->nat.udp.flows_open) &&
	    slirp_now(st) - st->ping6_sweep_ms >= 1000) {
		st->ping6_sweep_ms = slirp_now(st);
		slirp_flow6_sweep(st, &st->ping6, false);
		slirp_udp_sweep(st, false);
	}
	t_conn = slirp_conn_retry(st);
	if (timeout > t_conn)
		timeout = t_conn;
	if (st->force_poll) /* set by libslirp's output in the last poll */
		timeout = 0;
	now = slirp_now(st);
	/* keep an earlier wake-up: a busy loop must not postpone it */
	if (!uv_is_active((uv_handle_t *)&st->tick) ||
	    now + timeout < st->deadline_ms || now >= st->deadline_ms) {
		st->deadline_ms = now + timeout;
		uv_timer_start(&st->tick, tick_fired, timeout, 0);
	}
}

/* on_check() - libslirp reads, writes, accepts and runs its TCP timers. */
static void on_check(uv_check_t *h)
{
	struct slirp_stack *st = h->data;
	unsigned int i;

	if (st->filled && (st->any_revents || st->force_poll ||
			   slirp_now(st) >= st->deadline_ms)) {
		st->any_revents = false;
		st->force_poll = false;
		for (i = 0; i < st->nteach; i++)
			slirp_teach(st, st->teach[i]);
		st->nteach = 0;
		slirp_pollfds_poll(st->slirp, 0, get_revents, st);
		st->filled = false;
	}
	if (st->sent) {
		st->sent = false;
		sw_flush(st->env.sw);
	}
}

static const SlirpCb slirp_callbacks = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_unregister_poll_fd,
	.notify = cb_notify,
	.timer_new_opaque = cb_timer_new_opaque,
};

static struct in_addr in4(uint32_t ip)
{
	struct in_addr a = {.s_addr = htonl(ip)};

	return a;
}

/* warn_unsupported() - the configuration libslirp cannot carry out. */
static void warn_unsupported(const struct netcfg *c)
{
	char v[16], h[16];
	unsigned int i;

	for (i = 0; i < c->n_nat; i++) {
		if (c->nat[i].virt == c->host_alias &&
		    c->nat[i].host == 0x7f000001)
			continue;
		log_warn("stack slirp: NAT %s -> %s is not carried out: "
			 "libslirp maps only its host address (the host "
			 "alias) to 127.0.0.1",
			 netcfg_ip_str(c->nat[i].virt, v),
			 netcfg_ip_str(c->nat[i].host, h));
	}
	for (i = 0; i < c->n_vips; i++) {
		if (c->vips[i] == c->host_alias)
			continue;
		log_warn("stack slirp: traffic to the gateway virtual IP %s "
			 "is dropped (libslirp has no such table); only its "
			 "ARP is answered",
			 netcfg_ip_str(c->vips[i], v));
	}
}

static void stack_slirp_destroy(struct stack *s);

/* create_failed() - what stack_slirp_create() had made of @st, freed */
static struct stack *create_failed(struct slirp_stack *st)
{
	free(st->buf);
	free(st->xbuf);
	slirp_ooo_free(&st->ooo);
	slirp_udp_fini(st);
	free(st);
	return NULL;
}

static struct stack *stack_slirp_create(const struct stack_env *env)
{
	struct slirp_stack *st = calloc(1, sizeof(*st));
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char a[16], b[16];
	SlirpConfig sc;
	int r;

	if (!st) {
		log_err("stack slirp: out of memory");
		return NULL;
	}
	st->base.be = &stack_slirp_backend;
	st->env = *env;
	st->cfg = *env->cfg;
	st->env.cfg = &st->cfg;
	st->udp_next_port = 49152;
	nat_limits_get(&st->lim, st->cfg.max_flows, NAT_ONE_POOL);
	st->buf_cap = (size_t)st->cfg.mtu + 14;
	st->buf = malloc(st->buf_cap);
	st->xbuf = malloc(st->buf_cap);
	slirp_ping6_init(st);
	/* the stand-ins of the guest's IPv6 addresses (slirp_xl6.c) */
	st->xl_base = (st->cfg.network & 0xffffff00u) == 0xc6336400u
			      ? 0xcb007100u /* 203.0.113.0 */
			      : 0xc6336400u; /* 198.51.100.0 */
	if (!st->buf || !st->xbuf ||
	    slirp_ooo_init(&st->ooo, st->buf_cap, SLIRP_OOO_SETS,
			   (uint32_t)hash_seed(st)) < 0 ||
	    slirp_udp_init(st) < 0) {
		log_err("stack slirp: out of memory");
		return create_failed(st);
	}
	if (!rt || !*rt || strlen(rt) >= 48)
		rt = "/tmp"; /* the sockets' paths must fit sun_path */
	r = slirp_dir_make(st->dir, sizeof(st->dir), rt);
	if (r < 0) {
		log_err("stack slirp: cannot make a private directory under "
			"%s: %s",
			rt, strerror(-r));
		st->dir[0] = '\0';
		return create_failed(st);
	}
#ifdef __GLIBC__
	/*
	 * libslirp gives every TCP connection two 128 KiB buffers (and
	 * reallocs them once the MSS is known). From the heap, which the
	 * daemon pads for lwIP's segments, a realloc that moves copies
	 * them whole and they stay resident; mapped, a buffer costs the
	 * pages it uses, grows by mremap and goes back with its connection.
	 * The daemon's heap settings are lwIP's; there is no lwIP here.
	 */
	mallopt(M_TOP_PAD, 0);
	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
#endif
	memset(&sc, 0, sizeof(sc));
	sc.version = 4;
	sc.restricted = 0;
	sc.in_enabled = true;
	sc.vnetwork = in4(st->cfg.network);
	sc.vnetmask = in4(st->cfg.netmask);
	sc.vhost = in4(st->cfg.host_alias); /* -> the host's 127.0.0.1 */
	sc.vnameserver = in4(st->cfg.host_alias); /* unused: DNS is off */
	sc.vdhcp_start = in4(st->cfg.device);
	sc.in6_enabled = st->cfg.ipv6;
	if (st->cfg.ipv6) {
		/*
		 * libslirp's "host" is the host alias PREFIX::fe (-> ::1); its
		 * name server address is the gateway's, which never reaches
		 * libslirp (the gateway's own traffic is this file's).
		 */
		memcpy(&sc.vprefix_addr6, st->cfg.prefix6, 16);
		sc.vprefix_len = 64;
		memcpy(&sc.vhost6, st->cfg.host_alias6, 16);
		memcpy(&sc.vnameserver6, st->cfg.gateway6, 16);
	}
	sc.if_mtu = st->cfg.mtu;
	sc.if_mru = st->cfg.mtu;
	sc.disable_dns = true;
	sc.disable_dhcp = true;

	uv_prepare_init(env->loop, &st->prep);
	st->prep.data = st;
	uv_check_init(env->loop, &st->check);
	st->check.data = st;
	uv_timer_init(env->loop, &st->tick);
	st->tick.data = st;
	st->slirp = slirp_new(&sc, &slirp_callbacks, st);
	if (!st->slirp) {
		log_err("stack slirp: libslirp refused its configuration");
		stack_slirp_destroy(&st->base);
		return NULL;
	}
	uv_prepare_start(&st->prep, on_prepare);
	uv_check_start(&st->check, on_check);
	warn_unsupported(&st->cfg);
	if (st->cfg.ec2_metadata_access)
		log_info("stack slirp: 169.254/16 reachable "
			 "(-ec2-metadata-access)");
	log_info("stack slirp: libslirp %s, gateway %s, host alias %s -> "
		 "127.0.0.1",
		 slirp_version_string(), netcfg_ip_str(st->cfg.gateway, a),
		 netcfg_ip_str(st->cfg.host_alias, b));
	return &st->base;
}

static void stack_slirp_destroy(struct stack *s)
{
	struct slirp_stack *st = to_st(s);
	struct stack_udp *u;
	size_t i;

	if (!st)
		return;
	st->destroying = true;
	slirp_conn_shutdown(st);
	slirp_flow6_sweep(st, &st->ping6, true);
	slirp_udp_sweep(st, true);
	if (st->slirp)
		slirp_cleanup(st->slirp); /* unregisters (closes) every fd */
	st->slirp = NULL;
	for (i = 0; i < st->fds_cap; i++)
		fd_drop(st, (int)i);
	while (st->timers) {
		struct slirp_timer *tm = st->timers;

		st->timers = tm->next;
		timer_close(tm);
	}
	for (i = 0; i < SLIRP_UDP_BUCKETS; i++)
		while ((u = st->udps[i])) {
			st->udps[i] = u->next;
			free(u);
		}
	if (st->dir[0])
		rmdir(st->dir);
	st->pending += 3;
	uv_close((uv_handle_t *)&st->prep, handle_closed);
	uv_close((uv_handle_t *)&st->check, handle_closed);
	uv_close((uv_handle_t *)&st->tick, handle_closed);
}

/* ---- frames from the guest ---- */

/* send_rst() - answer the TCP segment @p of @frame with a RST. */
static void send_rst(struct slirp_stack *st, const uint8_t *frame,
		     const struct slirp_pkt *p)
{
	uint8_t rst[SLIRP_RST6_LEN];
	size_t n;

	if (p->ip6) {
		n = slirp_build_rst6(rst, frame, p, st->cfg.gw_mac);
		if (n)
			sw_output_buf(st->env.sw, rst, n);
		return;
	}
	n = slirp_build_rst(st->buf, frame, p, st->cfg.gw_mac);

	if (n)
		sw_output_buf(st->env.sw, st->buf, n);
}

/* pkt_addr() - @p's source (@src) or destination address as text */
static const char *pkt_addr(const struct slirp_pkt *p, bool src, char *buf)
{
	struct inaddr a = p->ip6 ? inaddr_v6(src ? p->src6 : p->dst6)
				 : inaddr_v4(src ? p->src : p->dst);

	return inaddr_str(&a, buf);
}

/*
 * unreach6() - the guest's IPv6 datagram @f to a destination the host has
 * no route to: an ICMPv6 unreachable from the gateway, at once (libslirp
 * would drop it without a word; slirp_route6.c). Code 1, prohibited, as
 * on lwIP: Linux reports "no route" (code 0) to a connected UDP socket
 * only with IPV6_RECVERR, so the application would wait on anyway.
 */
static void unreach6(struct slirp_stack *st, const uint8_t *f,
		     const struct slirp_pkt *p)
{
	char a[INADDR_STRLEN];
	size_t n = slirp_build_unreach6(st->buf, st->buf_cap, f, p,
					st->cfg.gw_mac, st->cfg.gateway6, 1);

	st->nat.udp.refused++;
	log_rl("stack slirp: UDP to %s: the host has no route to it",
	       pkt_addr(p, false, a));
	if (n)
		sw_output_buf(st->env.sw, st->buf, n);
}

/*
 * udp6_no_route() - true (the guest told) when @p is UDP over IPv6 to a
 * destination beyond the host alias that the host has no route to
 */
static bool udp6_no_route(struct slirp_stack *st, const uint8_t *f,
			  const struct slirp_pkt *p)
{
	if (!p->ip6 || p->proto != 17 ||
	    !memcmp(p->dst6, st->cfg.host_alias6, 16) ||
	    slirp_route6_ok(&st->route6, p->dst6, uv_now(st->env.loop)))
		return false;
	unreach6(st, f, p);
	return true;
}

static void drop(struct slirp_stack *st, enum slirp_verdict v,
		 const uint8_t *frame, const struct slirp_pkt *p)
{
	char a[INADDR_STRLEN], b[INADDR_STRLEN];

	switch (v) {
	case SLV_DROP_MALFORMED:
		st->cnt.short_drops++;
		log_rl("stack slirp: malformed frame from the guest, dropped");
		return;
	case SLV_DROP_SOURCE:
		st->nat.bad_source++;
		log_rl("stack slirp: packet from %s, not a guest address, "
		       "dropped",
		       pkt_addr(p, true, a));
		return;
	case SLV_DROP_LOOPBACK:
		st->nat.blocked_loopback++;
		break;
	case SLV_DROP_LINK_LOCAL:
		st->nat.blocked_link_local++;
		break;
	case SLV_DROP_SUBNET:
		st->cnt.policy_drops++;
		break;
	default:
		/* broadcast, multicast, IPv6: a guest's normal chatter */
		st->cnt.policy_drops++;
		log_debug("stack slirp: frame dropped: %s",
			  slirp_verdict_name(v));
		return;
	}
	log_rl("stack slirp: %s -> %s refused (%s)", pkt_addr(p, true, a),
	       pkt_addr(p, false, b), slirp_verdict_name(v));
	/* TCP is refused as a host would (lwIP's NAT does the same) */
	send_rst(st, frame, p);
}

static struct stack_udp *udp_find(struct slirp_stack *st, uint16_t port)
{
	struct stack_udp *u;

	for (u = st->udps[port % SLIRP_UDP_BUCKETS]; u; u = u->next)
		if (u->port == port)
			return u;
	return NULL;
}

/* deliver_udp() - a datagram to the gateway's open UDP port @u. */
static void deliver_udp(struct stack_udp *u, const struct slirp_pkt *p)
{
	struct inaddr src = p->ip6 ? inaddr_v6(p->src6) : inaddr_v4(p->src);

	u->cb(u->arg, p->l4 + 8, p->l4len - 8, &src, p->sport);
}

/*
 * ooo_admit() - may the guest's TCP frame @f go to libslirp? Not an
 * out-of-order segment past libslirp's budget (slirp_ooo.h).
 */
static bool ooo_admit(struct slirp_stack *st, const uint8_t *f, size_t len)
{
	if (slirp_ooo_admit(&st->ooo, f, len))
		return true;
	st->cnt.ooseq_dumps++;
	log_rl("stack slirp: out-of-order TCP segments from the guest past "
	       "libslirp's budget (%u KiB a connection, %u MiB in all): "
	       "dropped",
	       SLIRP_OOO_CONN >> 10, SLIRP_OOO_ALL >> 20);
	return false;
}

/*
 * gw_tcp() - the guest's TCP segment @p (@f, @len bytes) to the gateway:
 * IPv4 (an IPv6 one translated by gw_tcp6()) to libslirp's guest forward
 * of a listened port, or a RST.
 */
static void gw_tcp(struct slirp_stack *st, const uint8_t *f, size_t len,
		   const struct slirp_pkt *p)
{
	struct slirp_listener *l = slirp_listener_find(st, p->dport);

	if (l && l->ring_len >= SLIRP_PEER_RING - 1) {
		/* so many unaccepted that libslirp's connect could block */
		st->cnt.gw_refused++;
		log_rl("stack slirp: %u connections to the gateway's port %u "
		       "not accepted yet, segment dropped",
		       l->ring_len, l->port);
		return;
	}
	if (l &&
	    (p->tcp_flags & (SLIRP_TCP_SYN | SLIRP_TCP_ACK)) == SLIRP_TCP_SYN &&
	    !slirp_half_known(l, p) && !slirp_syn_admit(st, p->src)) {
		char a[INADDR_STRLEN];

		st->cnt.gw_refused++;
		log_rl("stack slirp: %s sends more SYNs to the gateway than it "
		       "completes (port %u): over its budget, dropped",
		       pkt_addr(p, true, a), p->dport);
		return;
	}
	if (l && !ooo_admit(st, f, len))
		return;
	if (l) {
		slirp_half_segment(l, p, f);
		st->cur_listener = l;
		st->cur_src = p->src;
		st->cur_sport = p->sport;
		st->cnt.to_stack++;
		slirp_input(st->slirp, f, (int)len);
		st->cur_listener = NULL;
		return;
	}
	st->cnt.policy_drops++;
	log_debug("stack slirp: TCP to the gateway's port %u: reset", p->dport);
	send_rst(st, f, p);
}

/*
 * gw_tcp6() - the guest's IPv6 TCP to the gateway: to a listened port
 * through libslirp's (IPv4) guest forward as its stand-in (slirp_xl6.c),
 * to any other port a RST.
 */
static void gw_tcp6(struct slirp_stack *st, const uint8_t *f,
		    const struct slirp_pkt *p)
{
	char a[INADDR_STRLEN];
	struct slirp_pkt p4;
	int n;

	if (!slirp_listener_find(st, p->dport)) {
		st->cnt.policy_drops++;
		send_rst(st, f, p);
		return;
	}
	n = slirp_xl6_in(st, f, p, st->cfg.gateway, &p4);
	if (n < 0) {
		st->cnt.gw_refused++;
		log_rl("stack slirp: TCP from %s to the gateway's port %u "
		       "refused: %s",
		       pkt_addr(p, true, a), p->dport,
		       n == -ENOSPC ? "all IPv6 stand-ins in use"
				    : strerror(-n));
		send_rst(st, f, p);
		return;
	}
	gw_tcp(st, st->xbuf, (size_t)n, &p4);
}

/*
 * dial6_reply() - the guest's IPv6 TCP segment @p to the host alias on a
 * dial's connection (from the target's port of an address with a
 * stand-in) goes to libslirp's host forward as IPv4: true when it did.
 */
static bool dial6_reply(struct slirp_stack *st, const uint8_t *f,
			const struct slirp_pkt *p)
{
	struct slirp_pkt p4;
	unsigned int i;
	int n;

	for (i = 0; i < SLIRP_XL6_SLOTS; i++)
		if (st->xl6[i].used && st->xl6[i].dials &&
		    !memcmp(st->xl6[i].ip6, p->src6, 16))
			break;
	if (i == SLIRP_XL6_SLOTS ||
	    !slirp_target_known(st, st->xl_base + i, p->sport))
		return false;
	n = slirp_xl6_in(st, f, p, st->cfg.host_alias, &p4);
	if (n < 0)
		return false;
	if ((p4.tcp_flags & (SLIRP_TCP_RST | SLIRP_TCP_ACK)) ==
		    (SLIRP_TCP_RST | SLIRP_TCP_ACK) &&
	    be32_get(p4.l4 + 4) == 0)
		slirp_guest_rst(st, p4.src, p4.sport);
	if (!ooo_admit(st, st->xbuf, (size_t)n))
		return true;
	st->cnt.to_stack++;
	slirp_input(st->slirp, st->xbuf, n);
	return true;
}

/*
 * slirp_vm_over() - with -keep-serving, VM @vm holds its share of the
 * flows' budget: its fds of libslirp's and its UDP flows against the
 * budget divided among the VMs holding any (with @vm). libslirp's TCP
 * sockets close only through libslirp, so unlike lwIP's NAT a VM under
 * its share cannot take the place of another VM's connection: the one at
 * its share is refused, which leaves the rest of the budget to the others.
 */
static bool slirp_vm_over(const struct slirp_stack *st, uint8_t vm)
{
	unsigned int i, n = 0;

	if (!vm)
		return false;
	for (i = 1; i < NAT_VMS; i++)
		if (i == vm || st->vm_fds.by_vm[i] || st->udp.by_vm[i])
			n++;
	return n >= 2 && (size_t)st->vm_fds.by_vm[vm] + st->udp.by_vm[vm] >=
				 nat_vm_share(st->lim.budget, n);
}

/*
 * slirp_vm_refuse() - the guest's new TCP connection @p, from a VM at its
 * share (slirp_vm_over()), refused with a RST (VMShareRefused). True when
 * @f was consumed.
 */
static bool slirp_vm_refuse(struct slirp_stack *st, const uint8_t *f,
			    const struct slirp_pkt *p)
{
	uint8_t vm;

	/* a new connection only: not asked for every segment */
	if (p->proto != 6 ||
	    (p->tcp_flags & (SLIRP_TCP_SYN | SLIRP_TCP_ACK)) != SLIRP_TCP_SYN)
		return false;
	vm = slirp_input_vm(st);
	if (!slirp_vm_over(st, vm))
		return false;
	st->nat.vm_share_refused++;
	st->nat.tcp.refused++;
	send_rst(st, f, p);
	log_rl("stack slirp: a VM holds %u of the flows' budget of %u, its "
	       "share: its new connection refused",
	       st->vm_fds.by_vm[vm] + st->udp.by_vm[vm], st->lim.budget);
	return true;
}

/*
 * slirp_over_budget() - libslirp's sockets and the backend's UDP flows
 * hold the whole fd budget: a new TCP connection of the guest is refused
 * here with a RST (its connect fails at once) while the segments of open
 * ones go on; ICMP cannot tell a new flow from an old one at this point,
 * so every echo beyond the gateway is refused until sockets close (UDP
 * makes room for itself: slirp_udp.c). True when @f was consumed.
 */
static bool slirp_over_budget(struct slirp_stack *st, const uint8_t *f,
			      const struct slirp_pkt *p)
{
	if (p->proto == 6) {
		if ((p->tcp_flags & (SLIRP_TCP_SYN | SLIRP_TCP_ACK)) !=
		    SLIRP_TCP_SYN)
			return false;
		st->nat.limit_hits++;
		st->nat.tcp.refused++;
		send_rst(st, f, p);
	} else {
		st->nat.icmp.dropped++;
	}
	log_rl("stack slirp: %zu sockets open, the flows' budget of %u fds "
	       "(from the fd limit %llu): a new flow refused",
	       st->nfds + st->udp.n_flows, st->lim.budget,
	       (unsigned long long)st->lim.nofile);
	return true;
}

/*
 * big_echo6() - the guest's reassembled ping of the host alias, longer
 * than the MTU, which libslirp 4.7 (answering its own address's pings
 * itself) would refuse as too big: answered here as libslirp answers a
 * short one, the reply in fragments. True when @p was such a ping.
 */
static bool big_echo6(struct slirp_stack *st, const uint8_t *f,
		      const struct slirp_pkt *p)
{
	size_t cap = 14 + 40 + p->l4len, n;
	uint8_t *out;

	if (p->proto != 58 || p->l4len < 8 || p->l4[0] != 128 ||
	    memcmp(p->dst6, st->cfg.host_alias6, 16))
		return false;
	out = malloc(cap); /* a rare frame: not worth a 64 KiB buffer */
	n = out ? slirp_build_echo_reply6(out, cap, f, p, st->cfg.gw_mac) : 0;
	if (!n || slirp_frag6_out(out, n, st->cfg.mtu, st->frag6_id++,
				  st->cfg.gw_mac, slirp_emit, st) <= 0)
		st->cnt.nomem_drops++;
	free(out);
	return true;
}

/*
 * big_tcp6() - the guest's reassembled TCP segment over IPv6, longer than
 * the MTU, which libslirp 4.7 would refuse as too big: cut into segments
 * that fit (slirp_seg6.c), each then taken as one of the guest's own.
 */
static void big_tcp6(struct slirp_stack *st, const uint8_t *f, size_t len,
		     const struct slirp_pkt *p)
{
	size_t cap = 14 + (size_t)st->cfg.mtu;
	uint8_t *out = malloc(cap); /* a rare frame: not worth a buffer */
	char a[INADDR_STRLEN];
	int n;

	n = out ? slirp_tcp6_split(f, len, st->cfg.mtu, out, cap,
				   slirp_guest_frame, st)
		: -ENOMEM;
	free(out);
	if (n == -ENOMEM) {
		st->cnt.nomem_drops++;
	} else if (n == -EBADMSG || n == -EINVAL) {
		drop(st, SLV_DROP_MALFORMED, f, p);
	} else if (n < 0) {
		st->cnt.policy_drops++;
		log_rl("stack slirp: a TCP segment of %zu bytes over IPv6 in "
		       "fragments from %s dropped: %s",
		       p->tot, pkt_addr(p, true, a),
		       n == -EOPNOTSUPP ? "SYN, RST or URG set"
					: "the MTU leaves no room for data");
	}
}

/*
 * fragment() - the guest's IP fragment @p: held until its datagram is
 * whole (slirp_reasm.c), which then goes through the filter as any other.
 */
static void fragment(struct slirp_stack *st, const uint8_t *f, size_t len,
		     const struct slirp_pkt *p)
{
	const uint8_t *whole;
	char a[INADDR_STRLEN];
	int n;

	if (p->ip6)
		n = slirp_reasm6_add(&st->reasm6, f, len, slirp_now(st),
				     &whole);
	else
		n = slirp_reasm4_add(&st->reasm4, f, len, slirp_now(st),
				     &whole);
	if (n == 0)
		return;
	if (n < 0 || (p->ip6 && whole[14 + 6] == 44)) {
		st->cnt.policy_drops++;
		log_rl("stack slirp: IP fragment from %s dropped (malformed, "
		       "overlapping, over 64 KiB or fragmented twice)",
		       pkt_addr(p, true, a));
		return;
	}
	stack_slirp_input(&st->base, whole, (size_t)n, NULL);
}

#define EXT6_BUF (14 + 40 + 65535)

/*
 * ext6() - the guest's IPv6 packet @p with hop-by-hop, routing or
 * destination options headers: on without them (slirp_ext6.c), or
 * dropped and counted when one must not be passed over.
 */
static void ext6(struct slirp_stack *st, const uint8_t *f, size_t len,
		 const struct slirp_pkt *p)
{
	char a[INADDR_STRLEN];
	int n;

	if (!st->ext6buf)
		st->ext6buf = malloc(EXT6_BUF);
	n = st->ext6buf ? slirp_ext6_strip(f, len, st->ext6buf, EXT6_BUF)
			: -ENOMEM;
	if (n <= 0) {
		st->cnt.policy_drops++;
		log_rl("stack slirp: an IPv6 packet from %s dropped: %s",
		       pkt_addr(p, true, a),
		       n == -EOPNOTSUPP ? "an option it must not skip, or "
					  "a routing header with segments left"
					: "malformed extension headers");
		return;
	}
	/* (the copy starts with its upper-layer header: no second pass) */
	stack_slirp_input(&st->base, st->ext6buf, (size_t)n, NULL);
}

/*
 * count_in() - a frame of the guest's @p for libslirp or the backend's UDP:
 * to the stack, and to the NAT unless for the host alias (or an echo)
 */
static void count_in(struct slirp_stack *st, const struct slirp_pkt *p)
{
	st->cnt.to_stack++;
	if ((p->ip && p->dst != st->cfg.host_alias) ||
	    (p->ip6 && p->proto != 58 &&
	     memcmp(p->dst6, st->cfg.host_alias6, 16)))
		st->cnt.nat_in++;
}

static void stack_slirp_input(struct stack *s, const uint8_t *f, size_t len,
			      const struct sw_ref *keep)
{
	struct slirp_stack *st = to_st(s);
	enum slirp_verdict v;
	struct slirp_pkt p;
	struct stack_udp *u;
	size_t n;

	if (len > (size_t)INT32_MAX)
		return;
	v = slirp_classify(&st->cfg, f, len, &p);
	if (v == SLV_DROP_OTHER && p.ip6 && pkt6_ext_is(p.proto) &&
	    f != st->ext6buf) {
		ext6(st, f, len, &p);
		return;
	}
	if ((v == SLV_DROP_OTHER && p.ip6 && p.proto == 44) ||
	    (v == SLV_SLIRP && !p.ip6 && p.frag)) {
		fragment(st, f, len, &p);
		return;
	}
	if (v >= SLV_DROP_MALFORMED) {
		drop(st, v, f, &p);
		return;
	}
	if (p.ip6 && p.proto == 6 && p.tot > st->cfg.mtu) {
		big_tcp6(st, f, len, &p);
		return;
	}
	if (p.ip6) {
		if (slirp_nd6_input(st, f, len, &p, v))
			return;
	} else if (p.ip) {
		mac_learn(st, p.src, f + 6, false);
		if (p.proto == 6 &&
		    (p.tcp_flags & (SLIRP_TCP_SYN | SLIRP_TCP_ACK)) ==
			    SLIRP_TCP_SYN &&
		    !slirp_mac_pinned(st, p.src)) {
			syn_hold(st, f, len, p.src);
			return;
		}
	} else if (v == SLV_SLIRP) { /* ARP: the sender's MAC and address */
		uint32_t sip = be32_get(f + 28);
		bool was = slirp_mac_pinned(st, sip);
		uint8_t key[16];

		/*
		 * Trusted: the answer to the gateway's question about a held
		 * SYN's source (at most SLIRP_ARP_RATE a second), or
		 * SLIRP_PIN_RATE others a second; the rest are learned
		 * (libslirp still answers them).
		 */
		slirp_hold_key4(key, sip);
		if (!was && (!sip || (!slirp_hold_answered(&st->held4, key) &&
				      !slirp_pin_token(st))))
			mac_learn(st, sip, f + 22, false);
		else
			mac_learn(st, sip, f + 22, true);
		if (!was && slirp_mac_pinned(st, sip)) {
			slirp_input(st->slirp, f, (int)len);
			st->force_poll = true;
			syn_release(st, sip);
			return;
		}
	}
	switch (v) {
	case SLV_SLIRP:
		if (p.ip6 && p.tot > st->cfg.mtu && big_echo6(st, f, &p))
			return;
		if (p.proto == 17) {
			/* UDP is the backend's own (slirp_udp.c) */
			if (st->env.no_nat) { /* fuzzers: nothing leaves */
				st->cnt.policy_drops++;
				return;
			}
			if (udp6_no_route(st, f, &p))
				return;
			count_in(st, &p);
			slirp_udp_send(st, f, &p);
			return;
		}
		if (p.ip6 && p.tot > st->cfg.mtu) {
			/* reassembled here: libslirp 4.7 answers "too big" */
			st->cnt.policy_drops++;
			log_rl("stack slirp: an IPv6 datagram of %zu bytes in "
			       "fragments dropped: libslirp 4.7 takes IPv6 "
			       "datagrams up to the MTU (%u) only",
			       p.tot, st->cfg.mtu);
			return;
		}
		if (st->env.no_nat && (p.ip || (p.ip6 && p.proto != 58))) {
			/* fuzzers: nothing leaves */
			st->cnt.policy_drops++;
			return;
		}
		if (p.ip6 && p.proto == 6 && st->ndials6 &&
		    !memcmp(p.dst6, st->cfg.host_alias6, 16) &&
		    dial6_reply(st, f, &p))
			return;
		if ((p.ip || (p.ip6 && p.proto != 58)) &&
		    slirp_vm_refuse(st, f, &p))
			return;
		if ((p.ip || (p.ip6 && p.proto != 58)) &&
		    st->nfds + st->udp.n_flows >= st->lim.budget &&
		    slirp_over_budget(st, f, &p))
			return;
		if (p.proto == 6 && p.dst == st->cfg.host_alias &&
		    (p.tcp_flags & (SLIRP_TCP_RST | SLIRP_TCP_ACK)) ==
			    (SLIRP_TCP_RST | SLIRP_TCP_ACK) &&
		    p.l4len >= 20 && be32_get(p.l4 + 4) == 0)
			slirp_guest_rst(st, p.src, p.sport);
		count_in(st, &p);
		/*
		 * An ARP reply may resolve what libslirp holds back for it,
		 * sent only from slirp_pollfds_poll(): run it this iteration.
		 */
		if (!p.ip)
			st->force_poll = true;
		if (p.proto == 6 && !ooo_admit(st, f, len))
			return;
		slirp_input(st->slirp, f, (int)len);
		return;
	case SLV_GW_ICMP:
		n = p.ip6 ? slirp_build_echo_reply6(st->buf, st->buf_cap, f, &p,
						    st->cfg.gw_mac)
			  : slirp_build_echo_reply(st->buf, st->buf_cap, f, &p,
						   st->cfg.gw_mac);
		if (!n) {
			drop(st, SLV_DROP_MALFORMED, f, &p);
			return;
		}
		sw_output_buf(st->env.sw, st->buf, n);
		return;
	case SLV_GW_UDP:
		u = udp_find(st, p.dport);
		if (!u) {
			st->cnt.policy_drops++;
			log_rl("stack slirp: UDP to the gateway's port %u, "
			       "which is closed: dropped",
			       p.dport);
			return;
		}
		deliver_udp(u, &p);
		return;
	case SLV_PING6:
		slirp_ping6_send(st, f, &p);
		return;
	case SLV_GW_TCP:
		if (p.ip6)
			gw_tcp6(st, f, &p);
		else
			gw_tcp(st, f, len, &p);
		return;
	default:
		return;
	}
}

static void stack_slirp_batch_end(struct stack *s)
{
}

static void stack_slirp_lease(struct stack *s, uint32_t ip,
			      const uint8_t mac[6], bool bound)
{
	struct slirp_stack *st = to_st(s);

	if (bound) {
		mac_learn(st, ip, mac, true);
		slirp_teach(st, ip);
	}
}

/* ---- gateway UDP ---- */

static struct stack_udp *stack_slirp_udp_open(struct stack *s, uint16_t port,
					      stack_udp_recv_fn cb, void *arg)
{
	struct slirp_stack *st = to_st(s);
	struct stack_udp *u;
	unsigned int tries;

	for (tries = 0; !port && tries < 16384; tries++) {
		uint16_t p = st->udp_next_port;

		st->udp_next_port = p == 65535 ? 49152 : p + 1;
		if (!udp_find(st, p))
			port = p;
	}
	if (!port || udp_find(st, port))
		return NULL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->port = port;
	u->cb = cb;
	u->arg = arg;
	u->next = st->udps[port % SLIRP_UDP_BUCKETS];
	st->udps[port % SLIRP_UDP_BUCKETS] = u;
	return u;
}

void slirp_emit(void *arg, const struct iovec *iov, int iovcnt, size_t len)
{
	struct slirp_stack *st = arg;

	sw_output(st->env.sw, iov, iovcnt, len);
}

/* udp_send6() - one frame from the gateway address of @ip's scope */
static int udp_send6(struct slirp_stack *st, struct stack_udp *u,
		     const struct inaddr *ip, uint16_t port, const void *data,
		     size_t len)
{
	bool ll = pkt_ip6_is_ll(ip->u.v6);
	uint8_t mac[6];
	size_t n;

	if (len + 8 + 40 > st->cfg.mtu)
		return -EMSGSIZE; /* no IPv6 fragments from here */
	mac6_of(st, ip->u.v6, mac);
	n = slirp_build_udp6(st->buf, st->buf_cap, mac, st->cfg.gw_mac,
			     ll ? st->cfg.gw_ll6 : st->cfg.gateway6, u->port,
			     ip->u.v6, port, data, len);
	if (!n)
		return -EMSGSIZE;
	sw_output_buf(st->env.sw, st->buf, n);
	return 0;
}

static int stack_slirp_udp_send(struct stack *s, struct stack_udp *u,
				const struct inaddr *ip, uint16_t port,
				const void *data, size_t len)
{
	struct slirp_stack *st = to_st(s);
	uint8_t mac[6];
	struct slirp_udp_out o = {
		.src_mac = st->cfg.gw_mac,
		.dst_mac = mac,
		.src = st->cfg.gateway,
		.dst = ip->af == AF_INET ? ip->u.v4 : 0,
		.sport = u->port,
		.dport = port,
		.id = st->ip_id++,
		.mtu = st->cfg.mtu,
	};
	int r;

	if (ip->af == AF_INET6 && st->cfg.ipv6)
		return udp_send6(st, u, ip, port, data, len);
	if (ip->af != AF_INET)
		return -EAFNOSUPPORT;
	mac_of(st, ip->u.v4, mac);
	r = slirp_udp_frames(&o, data, len, slirp_emit, st);
	return r < 0 ? r : 0;
}

static void stack_slirp_udp_close(struct stack *s, struct stack_udp *u)
{
	struct slirp_stack *st = to_st(s);
	struct stack_udp **pp;

	for (pp = &st->udps[u->port % SLIRP_UDP_BUCKETS]; *pp;
	     pp = &(*pp)->next) {
		if (*pp == u) {
			*pp = u->next;
			free(u);
			return;
		}
	}
}

static void stack_slirp_stats(const struct stack *s, struct stack_stats *out)
{
	const struct slirp_stack *st = (const struct slirp_stack *)s;
	unsigned int i;

	memset(out, 0, sizeof(*out));
	out->stack = st->cnt;
	out->stack.pcbs_active = st->nconns;
	for (i = 0; i < SLIRP_MAC_SLOTS; i++) /* leased or ARP-answering */
		out->stack.arp_pins += st->macs[i].pinned;
	out->nat = st->nat;
	out->limits = st->lim;
}

const struct stack_backend stack_slirp_backend = {
	.name = "slirp",
	.summary = "libslirp (QEMU's user networking) on the loop",
	.create = stack_slirp_create,
	.destroy = stack_slirp_destroy,
	.input = stack_slirp_input,
	.batch_end = stack_slirp_batch_end,
	.lease = stack_slirp_lease,
	.tcp_dial = slirp_tcp_dial,
	.conn_close = slirp_conn_close,
	.tcp_listen = slirp_tcp_listen,
	.tcp_unlisten = slirp_tcp_unlisten,
	.udp_open = stack_slirp_udp_open,
	.udp_send = stack_slirp_udp_send,
	.udp_close = stack_slirp_udp_close,
	.stats = stack_slirp_stats,
};
