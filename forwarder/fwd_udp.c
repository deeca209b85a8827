/*
 * fwd_udp.c - UDP port forwards: a host UDP socket per rule; each client
 * address gets a flow with its own UDP socket on the gateway (an
 * ephemeral port), so the guest's replies find their way back to that
 * client. The flows of all rules are one table (net/nat_flow.h, keyed by
 * rule and client address and port), bounded by FWD_UDP_MAX_FLOWS: a
 * client past the bound closes the least recently used flow
 * (UDPEvicted), so a flood from many source ports costs a bounded table
 * and never locks new clients out, nor the stack's port search (each
 * flow holds a gateway port). Flows idle for 90 s (10 s while over an
 * eighth of the bound) are closed by the forwarder's sweep. Empty
 * datagrams are legal and are forwarded both ways (n == 0 with an address
 * is one; a send is always one buffer, possibly of length 0).
 */
#include "forwarder/fwd_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/be.h"
#include "util/log.h"

struct fwd_udp_flow {
	struct nat_flow flow; /* in the forwarder's table: rule, client */
	struct nat_lru lru;
	uint8_t a6[NAT_ADDR6_LEN]; /* an IPv6 client's address (the key's) */
	struct fwd_rule *rule;
	struct sockaddr_storage client;
	struct stack_udp *sock; /* on the gateway, an ephemeral port */
};

#define FWD_UDP_OF(f) ((struct fwd_udp_flow *)(void *)(f))

int fwd_udp_init(struct fwd *f)
{
	return nat_table_init(&f->udp, nat_buckets(FWD_UDP_MAX_FLOWS),
			      FWD_UDP_MAX_FLOWS,
			      NAT_FLOW_OFF(struct fwd_udp_flow, a6),
			      NAT_FLOW_OFF(struct fwd_udp_flow, lru));
}

/*
 * fwd_udp_key() - the flow of client @addr on rule @r: the rule's id in
 * the destination, the client's address and port as the "guest"'s
 */
static int fwd_udp_key(struct nat_key *k, const struct fwd_rule *r,
		       const struct sockaddr *addr)
{
	memset(k, 0, sizeof(*k));
	k->proto = 17;
	k->dip = r->id;
	if (addr->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)addr;

		k->gip = be32_get((const uint8_t *)&a->sin_addr);
		k->gport = be16_get((const uint8_t *)&a->sin_port);
		return 0;
	}
	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)addr;

		k->v6 = 1;
		memcpy(k->gip6, &a->sin6_addr, 16);
		k->gip = nat_key_fold6(k->gip6);
		k->gport = be16_get((const uint8_t *)&a->sin6_port);
		return 0;
	}
	return -EAFNOSUPPORT;
}

static void fwd_udp_flow_free(struct fwd *f, struct fwd_udp_flow *fl)
{
	nat_table_remove(&f->udp, &fl->flow);
	stack_udp_close(f->st, fl->sock);
	f->cnt.udp_flows--;
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
	nat_table_touch(&f->udp, &fl->flow, uv_now(f->loop));
}

/*
 * fwd_udp_flow_get() - client @addr's flow on @r, made when new; at
 * FWD_UDP_MAX_FLOWS (all rules) the least recently used one is closed
 * for it, so that a flood of sources never locks new clients out.
 */
static struct fwd_udp_flow *fwd_udp_flow_get(struct fwd_rule *r,
					     const struct sockaddr *addr)
{
	struct fwd *f = r->f;
	struct fwd_udp_flow *fl;
	struct nat_flow *old;
	struct nat_key k;

	if (fwd_udp_key(&k, r, addr) < 0)
		return NULL;
	old = nat_table_find(&f->udp, &k);
	if (old)
		return FWD_UDP_OF(old);
	if (nat_table_full(&f->udp)) {
		old = nat_table_oldest(&f->udp);
		if (!old)
			return NULL;
		fwd_udp_flow_free(f, FWD_UDP_OF(old));
		f->cnt.udp_evicted++;
		log_rl("forwarder: %u UDP flows of forwards at once, the "
		       "least recently used closed for a new client",
		       FWD_UDP_MAX_FLOWS);
	}
	fl = calloc(1, sizeof(*fl));
	if (!fl)
		return NULL;
	fl->sock = stack_udp_open(f->st, 0, fwd_udp_from_guest, fl);
	if (!fl->sock) {
		free(fl);
		return NULL;
	}
	fl->rule = r;
	memcpy(&fl->client, addr,
	       addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					   : sizeof(struct sockaddr_in));
	nat_flow_set_key(&f->udp, &fl->flow, &k);
	if (nat_table_insert(&f->udp, &fl->flow, uv_now(f->loop)) < 0) {
		stack_udp_close(f->st, fl->sock);
		free(fl);
		return NULL;
	}
	f->cnt.udp_flows++;
	f->cnt.udp_flows_total++;
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
	if (!fl) {
		r->f->cnt.udp_dropped++;
		return;
	}
	nat_table_touch(&r->f->udp, &fl->flow, uv_now(r->f->loop));
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

/* fwd_udp_close_flows() - @r's flows (the rule goes); all with NULL. */
void fwd_udp_close_flows(struct fwd *f, struct fwd_rule *r)
{
	struct nat_flow *n, *next;

	for (n = f->udp.lru_head; n; n = next) {
		next = nat_flow_lru(&f->udp, n)->next;
		if (!r || FWD_UDP_OF(n)->rule == r)
			fwd_udp_flow_free(f, FWD_UDP_OF(n));
	}
}

/* fwd_udp_sweep_cb() - flows idle FWD_UDP_IDLE_MS (10 s under pressure) */
void fwd_udp_sweep_cb(uv_timer_t *t)
{
	struct fwd *f = t->data;
	uint64_t now = uv_now(f->loop);
	struct nat_flow *n;

	while ((n = f->udp.lru_head) != NULL &&
	       nat_flow_expired(&f->udp, n, now, FWD_UDP_IDLE_MS))
		fwd_udp_flow_free(f, FWD_UDP_OF(n));
}
