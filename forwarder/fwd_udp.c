/*
 * fwd_udp.c - UDP port forwards: a host UDP socket per rule; each client
 * address gets a flow with its own UDP socket on the gateway (an
 * ephemeral port), so the guest's replies find their way back to that
 * client. Flows idle for 90 s are closed by the forwarder's sweep. Empty
 * datagrams are legal and are forwarded both ways (n == 0 with an address
 * is one; a send is always one buffer, possibly of length 0).
 */
#include "forwarder/fwd_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

struct fwd_udp_flow {
	struct fwd_udp_flow *next;
	struct fwd_rule *rule;
	struct sockaddr_storage client;
	socklen_t client_len;
	struct stack_udp *sock; /* on the gateway, an ephemeral port */
	uint64_t last_ms;
};

static bool fwd_sockaddr_eq(const struct sockaddr_storage *a,
			    const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a,
					 *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (b->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a,
					  *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
	}
	return false;
}

static void fwd_udp_flow_free(struct fwd_udp_flow *fl)
{
	stack_udp_close(fl->rule->f->st, fl->sock);
	free(fl);
}

/* the guest answered: send it to the client this flow belongs to */
static void fwd_udp_from_guest(void *arg, const uint8_t *data, size_t len,
			       const struct inaddr *ip, uint16_t port)
{
	struct fwd_udp_flow *fl = arg;
	struct fwd *f = fl->rule->f;
	uv_buf_t b = uv_buf_init((char *)data, (unsigned int)len);

	(void)ip;
	(void)port;
	if (uv_udp_try_send(&fl->rule->l.udp, &b, 1,
			    (const struct sockaddr *)&fl->client) >= 0)
		f->cnt.bytes_out += len;
	fl->last_ms = uv_now(f->loop);
}

static struct fwd_udp_flow *fwd_udp_flow_get(struct fwd_rule *r,
					     const struct sockaddr *addr)
{
	struct fwd_udp_flow *fl;

	for (fl = r->flows; fl; fl = fl->next)
		if (fwd_sockaddr_eq(&fl->client, addr))
			return fl;
	fl = calloc(1, sizeof(*fl));
	if (!fl)
		return NULL;
	fl->sock = stack_udp_open(r->f->st, 0, fwd_udp_from_guest, fl);
	if (!fl->sock) {
		free(fl);
		return NULL;
	}
	fl->rule = r;
	fl->client_len = addr->sa_family == AF_INET6
				 ? sizeof(struct sockaddr_in6)
				 : sizeof(struct sockaddr_in);
	memcpy(&fl->client, addr, fl->client_len);
	fl->next = r->flows;
	r->flows = fl;
	return fl;
}

static void fwd_udp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct fwd_rule *r = h->data;

	(void)suggested;
	buf->base = (char *)r->f->buf;
	buf->len = sizeof(r->f->buf);
}

static void fwd_udp_recv_cb(uv_udp_t *u, ssize_t n, const uv_buf_t *buf,
			    const struct sockaddr *addr, unsigned flags)
{
	struct fwd_rule *r = u->data;
	struct fwd_udp_flow *fl;

	if (n < 0 || !addr || (flags & UV_UDP_PARTIAL) || n > 65507)
		return; /* n == 0 without an address: nothing more to read */
	fl = fwd_udp_flow_get(r, addr);
	if (!fl)
		return;
	fl->last_ms = uv_now(r->f->loop);
	if (stack_udp_send(r->f->st, fl->sock, &r->ip, r->port, buf->base,
			   (size_t)n) == 0)
		r->f->cnt.bytes_in += (uint64_t)n;
}

int fwd_udp_listen(struct fwd_rule *r, char *err, size_t errlen)
{
	int e = fwd_bind_local(r, true, err, errlen);

	if (e < 0)
		return e;
	e = uv_udp_recv_start(&r->l.udp, fwd_udp_alloc_cb, fwd_udp_recv_cb);
	if (e < 0) {
		snprintf(err, errlen, "listen udp %s: bind: %s", r->local,
			 uv_strerror(e));
		return e;
	}
	return 0;
}

void fwd_udp_close_flows(struct fwd_rule *r)
{
	while (r->flows) {
		struct fwd_udp_flow *fl = r->flows;

		r->flows = fl->next;
		fwd_udp_flow_free(fl);
	}
}

void fwd_udp_sweep_cb(uv_timer_t *t)
{
	struct fwd *f = t->data;
	uint64_t now = uv_now(f->loop);
	struct fwd_rule *r;

	for (r = f->rules; r; r = r->next) {
		struct fwd_udp_flow **pp = &r->flows;

		while (*pp) {
			struct fwd_udp_flow *fl = *pp;

			if (now - fl->last_ms >= FWD_UDP_IDLE_MS) {
				*pp = fl->next;
				fwd_udp_flow_free(fl);
			} else {
				pp = &fl->next;
			}
		}
	}
}
