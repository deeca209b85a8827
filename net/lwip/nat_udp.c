/*
 * nat_udp.c - the guest's UDP to any address: one host socket per flow
 * (guest address and port, destination address and port), connected to
 * the destination so only its replies come back; replies are sent to the
 * guest from the original destination. Reassembled datagrams up to 65507
 * bytes go out whole; lwIP fragments large replies to the guest's MTU.
 * An empty datagram is legal and goes out as one (one zero-length buffer:
 * libuv refuses a send of no buffers). Flows idle for 90 s (10 s when the
 * table is under pressure, see nat_priv.h) are closed by the NAT's sweep;
 * when the table is full, the least recently used flow is closed for the
 * new one, so idle flows never lock a guest out.
 */
#include "net/lwip/nat_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/inet_chksum.h"
#include "lwip/prot/udp.h"

#define LOG_SUBSYS LOG_SS_NAT
#include "util/log.h"
#include "util/be.h"

#define NAT_UDP_MAX_IOV 64

struct nat_udp {
	struct nat_flow flow; /* first */
	struct nat *nat;
	uv_udp_t sock;
	bool closing;
};

static void nat_udp_closed_cb(uv_handle_t *h)
{
	free(h->data);
}

static void nat_udp_close(struct nat_udp *u)
{
	if (u->closing)
		return;
	u->closing = true;
	nat_table_remove(&u->nat->udp, &u->flow);
	u->nat->cnt.udp.flows_open--;
	uv_close((uv_handle_t *)&u->sock, nat_udp_closed_cb);
}

static void nat_udp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct nat_udp *u = h->data;

	(void)suggested;
	buf->base = (char *)u->nat->buf;
	buf->len = 65535;
}

static void nat_udp_recv_cb(uv_udp_t *s, ssize_t n, const uv_buf_t *buf,
			    const struct sockaddr *addr, unsigned flags)
{
	struct nat_udp *u = s->data;
	struct nat *nat = u->nat;
	struct udp_hdr *uh;
	struct pbuf *p;
	ip_addr_t src, dst;

	(void)addr;
	if (n < 0 || u->closing) {
		return;
	}
	if (n == 0 && !addr)
		return; /* nothing more to read */
	if (flags & UV_UDP_PARTIAL || n > 65507) {
		nat->cnt.udp.dropped++;
		return;
	}
	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)n, PBUF_RAM);
	if (!p) {
		nat->cnt.udp.dropped++;
		return;
	}
	memcpy(p->payload, buf->base, (size_t)n);
	if (pbuf_add_header(p, UDP_HLEN)) {
		pbuf_free(p);
		return;
	}
	uh = p->payload;
	uh->src = lwip_htons(u->flow.key.dport);
	uh->dest = lwip_htons(u->flow.key.gport);
	uh->len = lwip_htons((u16_t)p->tot_len);
	uh->chksum = 0;
	nat_ip_from_host(&src, u->flow.key.dip);
	nat_ip_from_host(&dst, u->flow.key.gip);
	uh->chksum = ip_chksum_pseudo(p, IP_PROTO_UDP, p->tot_len, &src, &dst);
	if (uh->chksum == 0)
		uh->chksum = 0xffff;
	nat->cnt.udp.bytes_to_guest += (uint64_t)n;
	nat_table_touch(&nat->udp, &u->flow, uv_now(nat->loop));
	nat_output(nat, p, u->flow.key.dip, u->flow.key.gip, IP_PROTO_UDP);
}

static struct nat_udp *nat_udp_new(struct nat *nat, const struct nat_key *k)
{
	struct sockaddr_in sa;
	struct nat_udp *u;
	char a[16];
	int r;

	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->nat = nat;
	u->flow.key = *k;
	if (nat_table_full(&nat->udp)) {
		nat->cnt.udp_evicted++;
		log_rl("nat: %zu UDP flows (the bound), the least recently "
		       "used one is closed",
		       nat->udp.n_flows);
		nat_udp_close((struct nat_udp *)nat_table_oldest(&nat->udp));
	}
	if (nat_table_insert(&nat->udp, &u->flow, uv_now(nat->loop)) < 0) {
		free(u);
		return NULL;
	}
	nat->cnt.udp.flows_open++;
	nat->cnt.udp.flows_total++;
	if (log_debug_on(LOG_SS_NAT)) {
		char g[16], d[16];

		log_debug("nat: udp flow %s:%u -> %s:%u",
			  netcfg_ip_str(k->gip, g), k->gport,
			  netcfg_ip_str(k->dip, d), k->dport);
	}
	uv_udp_init(nat->loop, &u->sock);
	u->sock.data = u;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(k->dport);
	sa.sin_addr.s_addr = htonl(nat_host_addr(nat, k->dip));
	r = uv_udp_connect(&u->sock, (struct sockaddr *)&sa);
	if (r == 0)
		r = uv_udp_recv_start(&u->sock, nat_udp_alloc_cb,
				      nat_udp_recv_cb);
	if (r < 0) {
		log_rl("nat: udp socket to %s:%u failed: %s",
		       netcfg_ip_str(k->dip, a), k->dport, uv_strerror(r));
		nat_udp_close(u);
		return NULL;
	}
	return u;
}

/* the payload as iovecs straight from the (reassembled) chain; -1 if
 * it has more pieces than @iov holds */
static int nat_udp_iov(struct pbuf *p, size_t off, size_t len, uv_buf_t *iov)
{
	struct pbuf *q;
	int n = 0;

	for (q = p; q && len && n < NAT_UDP_MAX_IOV; q = q->next) {
		size_t take;

		if (off >= q->len) {
			off -= q->len;
			continue;
		}
		take = q->len - off;
		if (take > len)
			take = len;
		iov[n++] = uv_buf_init((char *)q->payload + off,
				       (unsigned int)take);
		len -= take;
		off = 0;
	}
	if (len)
		return -1;
	if (n == 0) /* an empty datagram: one empty buffer */
		iov[n++] = uv_buf_init((char *)p->payload, 0);
	return n;
}

void nat_udp_input(struct nat *nat, struct nat_pkt *pk)
{
	struct pbuf *p = pk->p;
	uv_buf_t iov[NAT_UDP_MAX_IOV];
	const uint8_t *uh;
	struct nat_udp *u;
	struct nat_key k;
	size_t ulen;
	int n, r;

	if (p->len < pk->hlen + UDP_HLEN)
		goto drop;
	uh = (const uint8_t *)p->payload + pk->hlen;
	ulen = be16_get(uh + 4);
	if (ulen < UDP_HLEN || ulen > (size_t)p->tot_len - pk->hlen)
		goto drop;
	k.gip = pk->src;
	k.dip = pk->dst;
	k.gport = be16_get(uh);
	k.dport = be16_get(uh + 2);
	k.proto = IP_PROTO_UDP;
	u = (struct nat_udp *)nat_table_find(&nat->udp, &k);
	if (!u)
		u = nat_udp_new(nat, &k);
	if (!u) {
		nat_unreach(nat, pk); /* no socket to be had */
		goto drop;
	}
	nat_table_touch(&nat->udp, &u->flow, uv_now(nat->loop));
	n = nat_udp_iov(p, pk->hlen + UDP_HLEN, ulen - UDP_HLEN, iov);
	if (n < 0)
		goto drop; /* too many pieces */
	r = uv_udp_try_send(&u->sock, iov, (unsigned int)n, NULL);
	if (r < 0) {
		nat->cnt.udp.dropped++;
	} else {
		nat->cnt.udp.bytes_to_host += (uint64_t)r;
	}
	pbuf_free(p);
	return;
drop:
	nat->cnt.udp.dropped++;
	pbuf_free(p);
}

void nat_udp_sweep(struct nat *nat, uint64_t now)
{
	struct nat_flow *f;

	while ((f = nat_table_oldest(&nat->udp)) &&
	       nat_flow_expired(&nat->udp, f, now, NAT_UDP_IDLE_MS))
		nat_udp_close((struct nat_udp *)f);
}

void nat_udp_fini(struct nat *nat)
{
	struct nat_flow *f;

	while ((f = nat_table_oldest(&nat->udp)))
		nat_udp_close((struct nat_udp *)f);
}
