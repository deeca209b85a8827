/*
 * slirp_conn.c - host streams of the libslirp backend: gateway listeners
 * (stack_tcp_listen) and dials into the guest (stack_tcp_dial).
 *
 * Listen: libslirp's guest forward (slirp_add_unix) connects a unix
 * socket of ours, in the backend's private directory, when the guest
 * completes a handshake to gateway:port; we accept it (accept4 driven by
 * a uv_poll) and hand the fd to the owner: no relay. libslirp connects
 * inside slirp_input() of the guest's segment, so the backend knows the
 * guest's address and counts the connection open until libslirp
 * unregisters that socket; one past max_conns is closed at once.
 *
 * Dial: one host forward per guest ip:port (slirp_add_hostxfwd with a
 * unix socket address, made on first use and kept); each dial connects
 * to it and relays that connection and the owner's fd on the loop, with
 * a bounded buffer each way (a side is not read while the other's buffer
 * is full), half-close (EOF on one side: shutdown(SHUT_WR) of the other
 * once its buffer is written) and errors resetting both.
 *
 * What the backend can and cannot tell apart: libslirp answers a guest's
 * RST to its SYN by closing the accepted socket, which reads here as EOF
 * (or ECONNRESET when data was waiting), exactly like a guest that
 * accepted and closed at once. So the backend watches the guest's frames
 * itself: a RST+ACK with sequence number 0 from the target's ip:port to
 * the host alias (a refused SYN; an established connection's RST carries
 * a real sequence number) marks the target, and a relay that then ends
 * before the guest sent a byte reports -ECONNREFUSED (and resets the host
 * side). A guest that never answers ends after libslirp's connection
 * timeout (75 s) with no data: -ETIMEDOUT. A guest that accepts and
 * closes without a byte is a normal close (0).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net/pkt.h"
#include "net/slirp/slirp_priv.h"
#include "util/log.h"

#define LOG_SUBSYS LOG_SS_NAT

#define RELAY_BUF (256 * 1024)
#define REFUSAL_WINDOW_MS 2000
#define SYN_TIMEOUT_MS 70000

/* A bounded byte ring: data read from one side, for the other. */
struct rbuf {
	uint8_t *b;
	size_t head, len;
};

struct relay_side {
	uv_poll_t poll;
	struct stack_conn *c;
	int fd;
	int events;
	bool eof; /* read EOF from this fd */
	bool shut; /* we shut its write side */
	struct rbuf out; /* to be written to this fd */
};

struct stack_conn {
	struct stack_conn *next, **pprev;
	struct slirp_stack *st;
	struct slirp_target *t;
	struct stack_conn_owner owner;
	struct relay_side h, s; /* the owner's fd, libslirp's forward */
	uint64_t from_guest, started_ms;
	bool connecting; /* not connected to the forward yet */
	bool arp_wait; /* ... because the guest's MAC is not known yet */
	bool closing, done, reset;
	int err;
	unsigned int closes;
};

/* ---- gateway listeners ---- */

struct slirp_listener *slirp_listener_find(struct slirp_stack *st,
					   uint16_t port)
{
	struct slirp_listener *l;

	for (l = st->listeners; l; l = l->next)
		if (l->port == port)
			return l;
	return NULL;
}

static struct slirp_half *half_find(struct slirp_listener *l, uint32_t ip,
				    uint16_t port)
{
	unsigned int i;

	for (i = 0; i < SLIRP_HALF_MAX; i++)
		if (l->half[i].ms && l->half[i].ip == ip &&
		    l->half[i].port == port)
			return &l->half[i];
	return NULL;
}

bool slirp_half_known(struct slirp_listener *l, const struct slirp_pkt *p)
{
	return half_find(l, p->src, p->sport) != NULL;
}

void slirp_listener_conn(struct slirp_listener *l, uint32_t ip, uint16_t port)
{
	struct slirp_half *h = half_find(l, ip, port);
	uint8_t vm = slirp_input_vm(l->st);
	bool share_over = vm_hold_over(&l->vms, vm, l->max_conns);
	unsigned int i;

	if (h)
		h->ms = 0; /* the handshake completed */
	slirp_syn_done(l->st, ip);
	l->open++;
	vm_hold_add(&l->vms, vm); /* both undone when libslirp lets go */
	if (l->ring_len == SLIRP_PEER_RING) /* not accepted yet: forget one */
		l->ring_head = (l->ring_head + 1) % SLIRP_PEER_RING,
		l->ring_len--;
	i = (l->ring_head + l->ring_len++) % SLIRP_PEER_RING;
	l->ring[i].ip = ip;
	/*
	 * With -keep-serving a VM past its share of the cap is refused too;
	 * libslirp's sockets close only through libslirp, so a VM under its
	 * share cannot take the place of another's connection here.
	 */
	l->ring[i].over = l->open > l->max_conns || share_over;
}

/* half_evict() - reset @h's connection inside libslirp, as its guest would. */
static void half_evict(struct slirp_listener *l, struct slirp_half *h,
		       const uint8_t *frame)
{
	struct slirp_stack *st = l->st;
	uint8_t rst[SLIRP_RST_LEN];

	/* in SYN-RECEIVED libslirp takes a RST at the guest's ISN + 1 */
	slirp_build_tcp(rst, frame, frame + 6, h->ip, h->port, st->cfg.gateway,
			l->port, h->isn + 1, 0, SLIRP_TCP_RST);
	h->ms = 0;
	slirp_input(st->slirp, rst, sizeof(rst));
	st->cnt.syn_evicted++;
	log_rl("stack slirp: %u half-open connections to the gateway's port "
	       "%u (the bound): the oldest reset",
	       SLIRP_HALF_MAX, l->port);
}

void slirp_half_segment(struct slirp_listener *l, const struct slirp_pkt *p,
			const uint8_t *frame)
{
	uint64_t now = slirp_now(l->st);
	struct slirp_half *h = half_find(l, p->src, p->sport), *free = NULL,
			  *old = NULL;
	unsigned int i;

	if (p->tcp_flags & (SLIRP_TCP_RST | SLIRP_TCP_FIN)) {
		if (h)
			h->ms = 0;
		return;
	}
	if ((p->tcp_flags & (SLIRP_TCP_SYN | SLIRP_TCP_ACK)) != SLIRP_TCP_SYN ||
	    h)
		return;
	/*
	 * The victim: the oldest from an address that never answered ARP
	 * nor had a lease (made-up sources cannot; the guest did), else
	 * the oldest, as the lwIP backend does.
	 */
	for (i = 0; i < SLIRP_HALF_MAX && !free; i++) {
		struct slirp_half *e = &l->half[i];
		bool e_real, o_real;

		if (!e->ms || now - e->ms >= SLIRP_HALF_MS) {
			free = e; /* libslirp dropped it by now */
			continue;
		}
		e_real = slirp_mac_pinned(l->st, e->ip);
		o_real = old && slirp_mac_pinned(l->st, old->ip);
		if (!old || (o_real && !e_real) ||
		    (o_real == e_real && e->ms < old->ms))
			old = e;
	}
	if (!free) {
		half_evict(l, old, frame);
		free = old;
	}
	free->ip = p->src;
	free->port = p->sport;
	free->isn = be32_get(p->l4 + 4);
	free->ms = now ? now : 1;
}

static void listener_accept(uv_poll_t *p, int status, int events)
{
	struct slirp_listener *l = p->data;
	struct slirp_stack *st = l->st;
	uint32_t ip;
	struct inaddr peer;
	bool over;
	int fd;

	for (;;) {
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_rl("stack slirp: accept on the gateway's "
				       "port %u: %s",
				       l->port, strerror(errno));
			return;
		}
		ip = 0;
		over = false;
		if (l->ring_len) {
			ip = l->ring[l->ring_head].ip;
			over = l->ring[l->ring_head].over;
			l->ring_head = (l->ring_head + 1) % SLIRP_PEER_RING;
			l->ring_len--;
		}
		if (over) {
			st->cnt.gw_refused++;
			log_rl("stack slirp: %u connections to the gateway's "
			       "port %u (the cap), one more closed",
			       l->max_conns, l->port);
			close(fd);
			continue;
		}
		if (slirp_xl6_of(st, ip)) /* an IPv6 guest's stand-in */
			peer = inaddr_v6(slirp_xl6_of(st, ip)->ip6);
		else
			peer = inaddr_v4(ip);
		l->cb(l->arg, fd, &peer);
	}
}

static void listener_closed(uv_handle_t *h)
{
	struct slirp_listener *l = h->data;
	struct slirp_stack *st = l->st;

	close(l->fd);
	free(l);
	slirp_close_done(st);
}

/*
 * listener_free() - close @l. libslirp's guest forward of the port stays
 * (the port is only marked retired): libslirp 4.7's
 * slirp_remove_guestfwd() leaks the forward's socket path, which
 * slirp_cleanup() frees. The guest's segments to a port nobody listens on
 * never reach libslirp (gw_tcp() resets them), and listening again on
 * the port reuses the forward: its path is the same.
 */
static void listener_free(struct slirp_listener *l)
{
	l->st->retired[l->port / 8] |= (uint8_t)(1u << (l->port % 8));
	unlink(l->path);
	l->st->pending++;
	uv_close((uv_handle_t *)&l->poll, listener_closed);
}

/* unix_listener() - a listening unix socket at @path, or -errno. */
static int unix_listener(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, SOMAXCONN) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int slirp_tcp_listen(struct stack *s, uint16_t port, unsigned int max_conns,
		     stack_accept_fn cb, void *arg)
{
	struct slirp_stack *st = (struct slirp_stack *)s;
	struct in_addr gw = {.s_addr = htonl(st->cfg.gateway)};
	struct slirp_listener *l;
	int r;

	if (slirp_listener_find(st, port))
		return -EADDRINUSE;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->st = st;
	l->port = port;
	l->max_conns = max_conns ? max_conns : 32;
	l->cb = cb;
	l->arg = arg;
	snprintf(l->path, sizeof(l->path), "%s/l%u", st->dir, port);
	l->fd = unix_listener(l->path);
	if (l->fd < 0) {
		r = l->fd;
		free(l);
		return r;
	}
	if (st->retired[port / 8] & (1u << (port % 8))) {
		st->retired[port / 8] &= (uint8_t) ~(1u << (port % 8));
	} else if (slirp_add_unix(st->slirp, l->path, &gw, port) < 0) {
		log_err("stack slirp: libslirp refused a forward of the "
			"gateway's port %u",
			port);
		close(l->fd);
		unlink(l->path);
		free(l);
		return -EADDRINUSE;
	}
	uv_poll_init(st->env.loop, &l->poll, l->fd);
	l->poll.data = l;
	uv_poll_start(&l->poll, UV_READABLE, listener_accept);
	l->next = st->listeners;
	st->listeners = l;
	return 0;
}

void slirp_tcp_unlisten(struct stack *s, uint16_t port)
{
	struct slirp_stack *st = (struct slirp_stack *)s;
	struct slirp_listener **pp, *l;

	for (pp = &st->listeners; (l = *pp); pp = &l->next) {
		if (l->port == port) {
			*pp = l->next;
			listener_free(l);
			return;
		}
	}
}

/* ---- dial targets ---- */

static struct slirp_target *target_get(struct slirp_stack *st, uint32_t ip,
				       uint16_t port)
{
	struct sockaddr_un ha = {.sun_family = AF_UNIX};
	struct sockaddr_in ga = {.sin_family = AF_INET};
	struct slirp_target *t;

	for (t = st->targets; t; t = t->next)
		if (t->ip == ip && t->port == port)
			return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ip = ip;
	t->port = port;
	snprintf(t->path, sizeof(t->path), "%s/d%08x-%u", st->dir, ip, port);
	memcpy(ha.sun_path, t->path, strlen(t->path) + 1);
	ga.sin_addr.s_addr = htonl(ip);
	ga.sin_port = htons(port);
	unlink(t->path);
	if (slirp_add_hostxfwd(st->slirp, (struct sockaddr *)&ha, sizeof(ha),
			       (struct sockaddr *)&ga, sizeof(ga), 0) < 0) {
		log_rl("stack slirp: cannot forward to the guest's port %u: "
		       "%s",
		       port, strerror(errno));
		free(t);
		return NULL;
	}
	if (slirp_xl6_of(st, ip)) {
		/* an IPv6 target: its stand-in stays while the forward does */
		slirp_xl6_of(st, ip)->dials++;
		st->ndials6++;
	}
	t->next = st->targets;
	st->targets = t;
	return t;
}

bool slirp_target_known(struct slirp_stack *st, uint32_t ip, uint16_t port)
{
	struct slirp_target *t;

	for (t = st->targets; t; t = t->next)
		if (t->ip == ip && t->port == port)
			return true;
	return false;
}

void slirp_guest_rst(struct slirp_stack *st, uint32_t ip, uint16_t port)
{
	struct slirp_target *t;

	for (t = st->targets; t; t = t->next) {
		if (t->ip == ip && t->port == port) {
			if (t->refusals < 64)
				t->refusals++;
			t->refusal_ms = slirp_now(st);
			return;
		}
	}
}

/* ---- relays ---- */

static size_t rb_space(const struct rbuf *r)
{
	return RELAY_BUF - r->len;
}

/* rb_read() - read from @fd into @r: bytes, 0 at EOF, -errno. */
static ssize_t rb_read(struct rbuf *r, int fd)
{
	size_t tail = (r->head + r->len) % RELAY_BUF, sp = rb_space(r);
	struct iovec iov[2];
	int n = 1;
	ssize_t k;

	iov[0].iov_base = r->b + tail;
	iov[0].iov_len = tail + sp <= RELAY_BUF ? sp : RELAY_BUF - tail;
	if (iov[0].iov_len < sp) {
		iov[1].iov_base = r->b;
		iov[1].iov_len = sp - iov[0].iov_len;
		n = 2;
	}
	k = readv(fd, iov, n);
	if (k < 0)
		return -errno;
	r->len += (size_t)k;
	return k;
}

/* rb_write() - write what @r holds to @fd: bytes, -errno. */
static ssize_t rb_write(struct rbuf *r, int fd)
{
	struct iovec iov[2];
	int n = 1;
	ssize_t k;

	iov[0].iov_base = r->b + r->head;
	iov[0].iov_len =
		r->head + r->len <= RELAY_BUF ? r->len : RELAY_BUF - r->head;
	if (iov[0].iov_len < r->len) {
		iov[1].iov_base = r->b;
		iov[1].iov_len = r->len - iov[0].iov_len;
		n = 2;
	}
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};

	k = sendmsg(fd, &mh, MSG_NOSIGNAL);
	if (k < 0)
		return -errno;
	r->head = (r->head + (size_t)k) % RELAY_BUF;
	r->len -= (size_t)k;
	if (!r->len)
		r->head = 0;
	return k;
}

static void relay_update(struct stack_conn *c);

static void side_closed(uv_handle_t *h)
{
	struct relay_side *sd = h->data;
	struct stack_conn *c = sd->c;
	struct slirp_stack *st = c->st;

	if (++c->closes < 2)
		return;
	if (c->reset) {
		struct linger lg = {.l_onoff = 1, .l_linger = 0};

		setsockopt(c->h.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(c->h.fd);
	close(c->s.fd);
	free(c->h.out.b);
	free(c->s.out.b);
	if (c->owner.closed)
		c->owner.closed(c->owner.arg, c->err);
	free(c);
	slirp_close_done(st);
}

/* relay_end() - both fds go, @owner->closed(@err) once they are. */
static void relay_end(struct stack_conn *c, int err, bool reset)
{
	if (c->done)
		return;
	c->done = true;
	c->err = err;
	c->reset = reset;
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	c->st->nconns--;
	c->st->pending++;
	uv_close((uv_handle_t *)&c->h.poll, side_closed);
	uv_close((uv_handle_t *)&c->s.poll, side_closed);
}

/*
 * guest_eof() - libslirp closed its side before the guest sent a byte:
 * refused (a RST to the SYN was seen), timed out, or an empty connection.
 */
static int guest_eof_err(struct stack_conn *c)
{
	uint64_t now = slirp_now(c->st);

	if (c->from_guest)
		return 0;
	if (c->t->refusals && now - c->t->refusal_ms <= REFUSAL_WINDOW_MS) {
		c->t->refusals--;
		return -ECONNREFUSED;
	}
	if (now - c->started_ms >= SYN_TIMEOUT_MS)
		return -ETIMEDOUT;
	return 0;
}

/* side_io() - readable/writable @sd, whose peer is @peer. */
static void side_io(struct stack_conn *c, struct relay_side *sd,
		    struct relay_side *peer, int events)
{
	bool guest = sd == &c->s;
	uint64_t *ctr;
	ssize_t k;
	int e;

	if ((events & UV_WRITABLE) && sd->out.len) {
		k = rb_write(&sd->out, sd->fd);
		if (k < 0 && k != -EAGAIN && k != -EINTR) {
			relay_end(c, guest ? guest_eof_err(c) : (int)k, true);
			return;
		}
		if (k > 0) {
			ctr = guest ? c->owner.bytes_to_guest
				    : c->owner.bytes_to_host;
			if (ctr)
				*ctr += (uint64_t)k;
		}
	}
	if ((events & (UV_READABLE | UV_DISCONNECT)) && !sd->eof &&
	    rb_space(&peer->out)) {
		k = rb_read(&peer->out, sd->fd);
		if (k == 0) {
			sd->eof = true;
			if (guest && (e = guest_eof_err(c)) < 0) {
				relay_end(c, e, true);
				return;
			}
		} else if (k < 0 && k != -EAGAIN && k != -EINTR) {
			relay_end(c, guest ? guest_eof_err(c) : (int)k, true);
			return;
		} else if (k > 0 && guest) {
			c->from_guest += (uint64_t)k;
		}
	}
	relay_update(c);
}

static void side_polled(uv_poll_t *p, int status, int events)
{
	struct relay_side *sd = p->data;
	struct stack_conn *c = sd->c;
	struct relay_side *peer = sd == &c->h ? &c->s : &c->h;

	if (status < 0) {
		sd->events = 0;
		relay_end(c, sd == &c->s ? guest_eof_err(c) : -EIO, true);
		return;
	}
	side_io(c, sd, peer, events);
}

static void side_want(struct relay_side *sd, int ev)
{
	if (ev == sd->events)
		return;
	if (ev)
		uv_poll_start(&sd->poll, ev, side_polled);
	else
		uv_poll_stop(&sd->poll);
	sd->events = ev;
}

/* relay_update() - half-closes, the end, and what to poll for next. */
static void relay_update(struct stack_conn *c)
{
	struct relay_side *sides[2] = {&c->h, &c->s};
	int i;

	if (c->done || c->connecting)
		return;
	for (i = 0; i < 2; i++) {
		struct relay_side *sd = sides[i], *peer = sides[1 - i];

		/* the peer said EOF and everything it sent is written */
		if ((peer->eof || c->closing) && !sd->out.len && !sd->shut) {
			shutdown(sd->fd, SHUT_WR);
			sd->shut = true;
		}
	}
	if ((c->h.shut && c->s.shut) ||
	    (c->closing && !c->h.out.len && !c->s.out.len)) {
		relay_end(c, 0, false);
		return;
	}
	for (i = 0; i < 2; i++) {
		struct relay_side *sd = sides[i], *peer = sides[1 - i];
		int ev = 0;

		if (!sd->eof && !c->closing && rb_space(&peer->out))
			ev |= UV_READABLE;
		if (sd->out.len)
			ev |= UV_WRITABLE;
		side_want(sd, ev);
	}
}

/* relay_connect() - connect to the target's forward: 0, -EAGAIN, -errno. */
static int relay_connect(struct stack_conn *c)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memcpy(sa.sun_path, c->t->path, strlen(c->t->path) + 1);
	if (connect(c->s.fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return 0;
	return errno == EAGAIN || errno == EINPROGRESS ? -EAGAIN : -errno;
}

/* ARP_RETRY_MS - how often the gateway asks for a guest it is to dial */
#define ARP_RETRY_MS 1000

uint32_t slirp_conn_retry(struct slirp_stack *st)
{
	uint64_t now = slirp_now(st);
	uint32_t wait = UINT32_MAX;
	struct stack_conn *c, *next;
	int r;

	for (c = st->conns; c; c = next) {
		next = c->next;
		if (!c->connecting)
			continue;
		if (c->arp_wait && !slirp_mac_known(st, c->t->ip)) {
			/*
			 * libslirp would ARP once and drop its SYN a second
			 * later, retrying only after its 6 s initial RTO: the
			 * connection waits here until the guest answers.
			 */
			if (now - c->t->arp_ms >= ARP_RETRY_MS) {
				slirp_arp_query(st, c->t->ip);
				c->t->arp_ms = now;
			}
			if (wait > ARP_RETRY_MS - (now - c->t->arp_ms))
				wait = (uint32_t)(ARP_RETRY_MS -
						  (now - c->t->arp_ms));
			continue;
		}
		if (c->arp_wait)
			slirp_teach(st, c->t->ip);
		c->arp_wait = false;
		r = relay_connect(c);
		if (r == -EAGAIN) {
			wait = wait < 5 ? wait : 5;
			continue;
		}
		c->connecting = false;
		if (r < 0) {
			relay_end(c, r, true);
			continue;
		}
		relay_update(c);
	}
	return wait;
}

int slirp_tcp_dial(struct stack *s, int fd, const struct inaddr *ip,
		   uint16_t port, const struct stack_conn_owner *owner,
		   struct stack_conn **out)
{
	struct slirp_stack *st = (struct slirp_stack *)s;
	struct slirp_target *t;
	struct stack_conn *c;
	uint32_t v4;
	int r;

	if (ip->af == AF_INET6 && st->cfg.ipv6) {
		/*
		 * libslirp 4.7 aborts on a unix host forward to an IPv6
		 * guest address (its accept makes the connection IPv4): the
		 * forward goes to the address's IPv4 stand-in, whose
		 * segments are IPv6 on the link (slirp_xl6.c).
		 */
		r = slirp_xl6_get(st, ip->u.v6, NULL, &v4);
		if (r < 0) {
			log_rl("stack slirp: no IPv6 stand-in left for a "
			       "dial into the guest (%u in use by forwards)",
			       SLIRP_XL6_SLOTS);
			close(fd);
			return -ECONNREFUSED;
		}
	} else if (ip->af == AF_INET) {
		v4 = ip->u.v4;
	} else {
		close(fd);
		return -EAFNOSUPPORT;
	}
	t = target_get(st, v4, port);
	if (!t) {
		close(fd);
		return -ECONNREFUSED;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->h.out.b = malloc(RELAY_BUF);
	c->s.out.b = malloc(RELAY_BUF);
	c->s.fd =
		socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!c->h.out.b || !c->s.out.b || c->s.fd < 0) {
		r = c->s.fd < 0 ? -errno : -ENOMEM;
		if (c->s.fd >= 0)
			close(c->s.fd);
		free(c->h.out.b);
		free(c->s.out.b);
		free(c);
		close(fd);
		return r;
	}
	c->st = st;
	c->t = t;
	c->owner = *owner;
	c->h.fd = fd;
	c->h.c = c;
	c->s.c = c;
	c->started_ms = slirp_now(st);
	uv_poll_init(st->env.loop, &c->s.poll, c->s.fd); /* a new socket */
	c->s.poll.data = &c->s;
	if (uv_poll_init(st->env.loop, &c->h.poll, fd) < 0) {
		/* the owner's fd is polled elsewhere: close ours alone */
		c->owner.closed = NULL;
		c->done = true;
		c->closes = 1;
		st->pending++;
		uv_close((uv_handle_t *)&c->s.poll, side_closed);
		return -EBADF;
	}
	c->h.poll.data = &c->h;
	c->s.poll.data = &c->s;
	c->next = st->conns;
	c->pprev = &st->conns;
	if (st->conns)
		st->conns->pprev = &c->next;
	st->conns = c;
	st->nconns++;
	if (!slirp_mac_known(st, v4)) {
		/* connected once the guest answers the gateway's ARP (NS) */
		c->connecting = true;
		c->arp_wait = true;
		if (slirp_now(st) - t->arp_ms >= 100) {
			slirp_arp_query(st, v4);
			t->arp_ms = slirp_now(st);
		}
	} else if (slirp_teach(st, v4), (r = relay_connect(c)) == -EAGAIN) {
		c->connecting = true;
	} else if (r < 0) {
		relay_end(c, r, true);
		return 0;
	}
	if (out)
		*out = c;
	relay_update(c);
	return 0;
}

void slirp_conn_close(struct stack *s, struct stack_conn *c, bool reset)
{
	if (c->done)
		return;
	if (reset || c->connecting) {
		relay_end(c, 0, true);
		return;
	}
	c->closing = true;
	relay_update(c);
}

void slirp_conn_shutdown(struct slirp_stack *st)
{
	struct slirp_listener *l;
	struct slirp_target *t;

	while (st->conns)
		relay_end(st->conns, 0, true);
	while ((l = st->listeners)) {
		st->listeners = l->next;
		listener_free(l);
	}
	while ((t = st->targets)) {
		struct sockaddr_un ha = {.sun_family = AF_UNIX};

		st->targets = t->next;
		memcpy(ha.sun_path, t->path, strlen(t->path) + 1);
		if (st->slirp)
			slirp_remove_hostxfwd(st->slirp, (struct sockaddr *)&ha,
					      sizeof(ha), 0);
		unlink(t->path);
		free(t);
	}
}
