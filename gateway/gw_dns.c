/*
 * gw_dns.c - DNS at gateway:53 (see gw_dns.h).
 *
 * Both ride on the stack seam (net/stack.h), so they work on any backend.
 *
 * UDP: local answers are built into a buffer of this struct and sent at
 * once, with no allocation; only queries relayed upstream get a small
 * context (the client's address) until their answer arrives.
 * TCP: the guest's connection arrives as one end of a socketpair; each
 * 2-byte length-prefixed query is answered on the same connection, with
 * several queries in flight. A connection stops reading queries while
 * GW_DNS_TCP_WQ_MAX bytes of its answers (or, while some of its own wait,
 * GW_DNS_TCP_WQ_GLOBAL of all connections' answers) wait to be written: a
 * guest that does not read its answers holds that much, not a queue that
 * grows with its queries, and not the other connections' answers.
 * A connection without a complete query for GW_DNS_TCP_IDLE_MS (and none
 * pending) is closed, as RFC 7766 lets a server do; how many connections
 * may be open is the gateway listener's cap (gw_dns_create()).
 */
#include "gateway/gw_dns.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "dns/dns_codec.h"
#include "dns/dns_server.h"
#include "net/osock.h"
#include "net/stack.h"
#include "util/be.h"
#define LOG_SUBSYS LOG_SS_DNS
#include "util/log.h"

#define GW_DNS_TCP_MAX_PENDING 64
#define GW_DNS_TCP_WQ_MAX (64 * 1024)
#define GW_DNS_TCP_WQ_GLOBAL (1024 * 1024)
#define GW_DNS_TCP_IDLE_MS 10000

struct gw_dns_udp_ctx {
	struct gw_dns *g;
	struct gw_dns_udp_ctx *prev, *next;
	struct inaddr addr;
	uint16_t port;
};

struct gw_dns_tcp {
	struct gw_dns *g;
	struct gw_dns_tcp *prev, *next;
	union {
		uv_handle_t h;
		uv_pipe_t pipe;
		uv_tcp_t tcp; /* Windows: the socket is TCP (net/osock.h) */
	} pipe;
	uv_timer_t idle;
	uint8_t rx[2 + 65535];
	size_t rx_len;
	size_t wq; /* answer bytes given to uv_write, not yet written */
	unsigned int pending;
	int handles; /* open handles: freed when both are closed */
	bool closing;
	bool in_read;
	bool paused; /* reading stopped: answers not read */
};

struct gw_dns {
	struct stack *st;
	uv_loop_t *loop;
	struct dns_server *dns;
	struct stack_udp *udp;
	struct gw_dns_udp_ctx *udp_pending;
	struct gw_dns_tcp *tcp_conns;
	size_t tcp_wq; /* all connections' wq */
	uint8_t q[65535];
	uint8_t out[DNS_LOCAL_REPLY_MAX];
};

static void gw_dns_udp_send(struct gw_dns *g, const struct inaddr *addr,
			    uint16_t port, const uint8_t *msg, size_t len)
{
	stack_udp_send(g->st, g->udp, addr, port, msg, len);
}

static void gw_dns_udp_reply(void *arg, const uint8_t *msg, size_t len)
{
	struct gw_dns_udp_ctx *c = arg;
	struct gw_dns *g = c->g;

	gw_dns_udp_send(g, &c->addr, c->port, msg, len);
	if (c->prev)
		c->prev->next = c->next;
	else
		g->udp_pending = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

static void gw_dns_udp_recv(void *arg, const uint8_t *msg, size_t len,
			    const struct inaddr *addr, uint16_t port)
{
	struct gw_dns *g = arg;
	struct gw_dns_udp_ctx *c;
	int n;

	if (len > sizeof(g->q))
		len = sizeof(g->q);
	memcpy(g->q, msg, len);
	n = dns_server_answer_local(g->dns, g->q, len, false, g->out,
				    sizeof(g->out));
	if (n > 0) {
		gw_dns_udp_send(g, addr, port, g->out, (size_t)n);
		return;
	}
	if (n < 0)
		return; /* dropped and counted by the resolver */
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->g = g;
	c->addr = *addr;
	c->port = port;
	c->next = g->udp_pending;
	if (c->next)
		c->next->prev = c;
	g->udp_pending = c;
	if (dns_server_query(g->dns, g->q, len, false, gw_dns_udp_reply, c) <
	    0) {
		g->udp_pending = c->next;
		if (c->next)
			c->next->prev = NULL;
		free(c);
	}
}

/* ---- TCP ---- */

static void gw_dns_tcp_closed_cb(uv_handle_t *h)
{
	struct gw_dns_tcp *t = h->data;

	if (--t->handles == 0)
		free(t);
}

static void gw_dns_tcp_close(struct gw_dns_tcp *t)
{
	struct gw_dns *g = t->g;

	if (t->closing)
		return;
	t->closing = true;
	dns_server_cancel(g->dns, t);
	g->tcp_wq -= t->wq; /* the canceled writes' callbacks see closing */
	if (t->prev)
		t->prev->next = t->next;
	else
		g->tcp_conns = t->next;
	if (t->next)
		t->next->prev = t->prev;
	uv_close((uv_handle_t *)&t->pipe, gw_dns_tcp_closed_cb);
	uv_close((uv_handle_t *)&t->idle, gw_dns_tcp_closed_cb);
}

static void gw_dns_tcp_idle_cb(uv_timer_t *h)
{
	struct gw_dns_tcp *t = h->data;

	if (t->pending) {
		/* the resolver answers or fails each query within its timeout */
		uv_timer_start(&t->idle, gw_dns_tcp_idle_cb, GW_DNS_TCP_IDLE_MS,
			       0);
		return;
	}
	dns_server_tcp_counters(t->g->dns)->tcp_idle_closed++;
	log_debug("dns: TCP connection idle for %u ms, closed",
		  GW_DNS_TCP_IDLE_MS);
	gw_dns_tcp_close(t);
}

struct gw_dns_wreq {
	uv_write_t req;
	struct gw_dns_tcp *t;
	size_t len;
	uint8_t buf[];
};

static void gw_dns_tcp_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

/*
 * gw_dns_tcp_full() - answers wait: take no more queries for now. The
 * bound over all connections stops only those with answers of their own
 * waiting: connections that do not read their answers (another VM's, with
 * -keep-serving) hold it, and one whose answers are all written still
 * takes its queries.
 */
static bool gw_dns_tcp_full(const struct gw_dns_tcp *t)
{
	return t->pending >= GW_DNS_TCP_MAX_PENDING ||
	       t->wq >= GW_DNS_TCP_WQ_MAX ||
	       (t->wq && t->g->tcp_wq >= GW_DNS_TCP_WQ_GLOBAL);
}

/* gw_dns_tcp_resume() - a paused connection may read again. */
static void gw_dns_tcp_resume(struct gw_dns_tcp *t)
{
	if (t->closing || t->in_read || !t->paused || gw_dns_tcp_full(t))
		return;
	t->paused = false;
	gw_dns_tcp_read_cb((uv_stream_t *)&t->pipe, 0, NULL);
}

static void gw_dns_tcp_write_cb(uv_write_t *req, int status)
{
	struct gw_dns_wreq *w = (struct gw_dns_wreq *)req;
	struct gw_dns_tcp *t = w->t, *o, *next;
	struct gw_dns *g = t->g;
	bool was_full;

	(void)status;
	if (t->closing) {
		free(w);
		return;
	}
	was_full = g->tcp_wq >= GW_DNS_TCP_WQ_GLOBAL;
	t->wq -= w->len;
	g->tcp_wq -= w->len;
	free(w);
	gw_dns_tcp_resume(t);
	if (was_full && g->tcp_wq < GW_DNS_TCP_WQ_GLOBAL) {
		for (o = g->tcp_conns; o; o = next) {
			next = o->next; /* a resumed one may close */
			gw_dns_tcp_resume(o);
		}
	}
}

static void gw_dns_tcp_reply(void *arg, const uint8_t *msg, size_t len)
{
	struct gw_dns_tcp *t = arg;
	struct gw_dns_wreq *w;
	uv_buf_t b;

	t->pending--;
	if (t->closing || len > 0xffff)
		return;
	w = malloc(sizeof(*w) + 2 + len);
	if (!w) {
		gw_dns_tcp_close(t);
		return;
	}
	w->t = t;
	w->len = 2 + len;
	be16_put(w->buf, (uint16_t)len);
	memcpy(w->buf + 2, msg, len);
	b = uv_buf_init((char *)w->buf, (unsigned int)(2 + len));
	if (uv_write(&w->req, (uv_stream_t *)&t->pipe, &b, 1,
		     gw_dns_tcp_write_cb) < 0) {
		free(w);
		gw_dns_tcp_close(t);
		return;
	}
	t->wq += w->len;
	t->g->tcp_wq += w->len;
	/* a full pipeline was paused: take more queries now */
	gw_dns_tcp_resume(t);
}

static void gw_dns_tcp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct gw_dns_tcp *t = h->data;

	(void)suggested;
	buf->base = (char *)t->rx + t->rx_len;
	buf->len = sizeof(t->rx) - t->rx_len;
}

static void gw_dns_tcp_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct gw_dns_tcp *t = s->data;
	size_t off = 0;

	(void)buf;
	if (n < 0) {
		gw_dns_tcp_close(t);
		return;
	}
	t->rx_len += (size_t)n;
	t->in_read = true;
	while (!t->closing && t->rx_len - off >= 2 && !gw_dns_tcp_full(t)) {
		size_t mlen = be16_get(t->rx + off);

		if (t->rx_len - off < 2 + mlen)
			break;
		uv_timer_start(&t->idle, gw_dns_tcp_idle_cb, GW_DNS_TCP_IDLE_MS,
			       0);
		t->pending++;
		if (dns_server_query(t->g->dns, t->rx + off + 2, mlen, true,
				     gw_dns_tcp_reply, t) < 0)
			t->pending--;
		off += 2 + mlen;
	}
	t->in_read = false;
	if (t->closing)
		return;
	if (off) {
		memmove(t->rx, t->rx + off, t->rx_len - off);
		t->rx_len -= off;
	}
	if (gw_dns_tcp_full(t)) {
		if (!t->paused && t->pending < GW_DNS_TCP_MAX_PENDING)
			dns_server_tcp_counters(t->g->dns)->tcp_paused++;
		t->paused = true;
		uv_read_stop(s);
	} else if (!uv_is_active((uv_handle_t *)s)) {
		t->paused = false;
		uv_read_start(s, gw_dns_tcp_alloc_cb, gw_dns_tcp_read_cb);
	}
}

static void gw_dns_tcp_accept(void *arg, int fd, const struct inaddr *peer)
{
	struct gw_dns *g = arg;
	struct gw_dns_tcp *t = calloc(1, sizeof(*t));

	(void)peer;
	if (!t) {
		osock_close(fd);
		return;
	}
	t->g = g;
	if (osock_is_tcp(fd))
		uv_tcp_init(g->loop, &t->pipe.tcp);
	else
		uv_pipe_init(g->loop, &t->pipe.pipe, 0);
	uv_timer_init(g->loop, &t->idle);
	t->pipe.h.data = t;
	t->idle.data = t;
	t->handles = 2;
	if ((t->pipe.h.type == UV_TCP ? uv_tcp_open(&t->pipe.tcp, fd)
				      : uv_pipe_open(&t->pipe.pipe, fd)) < 0) {
		osock_close(fd);
		t->closing = true;
		uv_close((uv_handle_t *)&t->pipe, gw_dns_tcp_closed_cb);
		uv_close((uv_handle_t *)&t->idle, gw_dns_tcp_closed_cb);
		return;
	}
	t->next = g->tcp_conns;
	if (t->next)
		t->next->prev = t;
	g->tcp_conns = t;
	uv_timer_start(&t->idle, gw_dns_tcp_idle_cb, GW_DNS_TCP_IDLE_MS, 0);
	uv_read_start((uv_stream_t *)&t->pipe, gw_dns_tcp_alloc_cb,
		      gw_dns_tcp_read_cb);
}

struct gw_dns *gw_dns_create(uv_loop_t *loop, struct stack *st,
			     struct dns_server *dns, unsigned int max_conns)
{
	struct gw_dns *g = calloc(1, sizeof(*g));
	int r;

	if (!g)
		return NULL;
	g->st = st;
	g->loop = loop;
	g->dns = dns;
	g->udp = stack_udp_open(st, 53, gw_dns_udp_recv, g);
	if (!g->udp) {
		log_err("dns: cannot bind UDP port 53 on the gateway");
		free(g);
		return NULL;
	}
	r = stack_tcp_listen(st, 53, max_conns, gw_dns_tcp_accept, g);
	if (r < 0) {
		log_err("dns: cannot listen on TCP port 53 on the gateway");
		stack_udp_close(st, g->udp);
		free(g);
		return NULL;
	}
	return g;
}

void gw_dns_destroy(struct gw_dns *g)
{
	if (!g)
		return;
	while (g->tcp_conns)
		gw_dns_tcp_close(g->tcp_conns);
	while (g->udp_pending) {
		struct gw_dns_udp_ctx *c = g->udp_pending;

		g->udp_pending = c->next;
		dns_server_cancel(g->dns, c);
		free(c);
	}
	stack_tcp_unlisten(g->st, 53);
	stack_udp_close(g->st, g->udp);
	free(g);
}
