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
 * new one, so idle flows never lock a guest out. The flow table, sweep
 * and counters are nat_dgram.c's, shared with ICMP echo.
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
#include "net/pkt.h"
#include "net/pkt6.h"

#define NAT_UDP_MAX_IOV 64

int nat_udp_open(struct nat_dgram *d)
{
	const struct nat_key *k = &d->key;
	struct sockaddr_storage sa;
	char a[INET6_ADDRSTRLEN];
	int r;

	nat_host_sockaddr(d->nat, k, &sa);
	r = uv_udp_connect(&d->sock, (struct sockaddr *)&sa);
	if (r < 0)
		log_rl("nat: udp socket to %s:%u failed: %s",
		       nat_key_str(k, false, a), k->dport, uv_strerror(r));
	return r;
}

struct pbuf *nat_udp_from_host(struct nat_dgram *d, const uint8_t *buf,
			       size_t n, unsigned int flags)
{
	const struct nat_key *k = &d->key;
	struct udp_hdr *uh;
	struct pbuf *p;
	ip_addr_t src, dst;

	if (flags & UV_UDP_PARTIAL || n > 65507) {
		d->nat->cnt.udp.dropped++;
		return NULL;
	}
	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)n, PBUF_RAM);
	if (!p) {
		d->nat->cnt.udp.dropped++;
		return NULL;
	}
	memcpy(p->payload, buf, n);
	if (pbuf_add_header(p, UDP_HLEN)) {
		pbuf_free(p);
		return NULL;
	}
	uh = p->payload;
	uh->src = lwip_htons(k->dport);
	uh->dest = lwip_htons(k->gport);
	uh->len = lwip_htons((u16_t)p->tot_len);
	uh->chksum = 0;
	nat_key_ip(k, false, &src);
	nat_key_ip(k, true, &dst);
	uh->chksum = ip_chksum_pseudo(p, IP_PROTO_UDP, p->tot_len, &src, &dst);
	if (uh->chksum == 0)
		uh->chksum = 0xffff;
	return p;
}

void nat_udp_refused(struct nat_dgram *d)
{
	const struct nat_key *k = &d->key;
	size_t ihl = k->v6 ? 40 : 20;
	struct nat_key ik = *k;
	ip_addr_t src, dst;
	struct pbuf *p;
	uint8_t *m, *q;

	d->nat->cnt.udp.refused++;
	p = pbuf_alloc(PBUF_IP, (u16_t)(8 + ihl + 8), PBUF_RAM);
	if (!p)
		return;
	m = p->payload;
	q = m + 8;
	memset(m, 0, 8 + ihl + 8);
	/* the quote: the flow's datagram as the guest sent it, no payload */
	if (k->v6) {
		m[0] = 1; /* ICMPv6 destination unreachable */
		m[1] = 4; /* port unreachable */
		pkt_put_ip6(q, 8, IP_PROTO_UDP, 64, k->gip6, k->dip6);
	} else {
		m[0] = 3; /* destination unreachable */
		m[1] = 3; /* port unreachable */
		pkt_put_ip4(q, 0, 28, 0, 0, IP_PROTO_UDP, k->gip, k->dip);
	}
	be16_put(q + ihl, k->gport);
	be16_put(q + ihl + 2, k->dport);
	be16_put(q + ihl + 4, 8);
	ik.proto = k->v6 ? IP6_NEXTH_ICMP6 : IP_PROTO_ICMP;
	if (k->v6) {
		nat_key_ip(k, false, &src);
		nat_key_ip(k, true, &dst);
		be16_put(m + 2, lwip_ntohs(ip6_chksum_pseudo(
					p, IP6_NEXTH_ICMP6, p->tot_len,
					ip_2_ip6(&src), ip_2_ip6(&dst))));
	} else {
		be16_put(m + 2, lwip_ntohs(inet_chksum(m, (u16_t)p->tot_len)));
	}
	nat_output(d->nat, p, &ik);
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
	struct nat_dgram *u;
	struct nat_key k;
	size_t ulen;
	int n;

	if (p->len < pk->hlen + UDP_HLEN)
		goto drop;
	uh = (const uint8_t *)p->payload + pk->hlen;
	ulen = be16_get(uh + 4);
	if (ulen < UDP_HLEN || ulen > (size_t)p->tot_len - pk->hlen)
		goto drop;
	nat_key_from_pkt(&k, pk, IP_PROTO_UDP, be16_get(uh), be16_get(uh + 2));
	u = nat_dgram_get(nat, &k);
	if (!u) {
		nat_unreach(nat, pk); /* no socket to be had */
		goto drop;
	}
	n = nat_udp_iov(p, pk->hlen + UDP_HLEN, ulen - UDP_HLEN, iov);
	if (n < 0)
		goto drop; /* too many pieces */
	nat_dgram_send(u, iov, (unsigned int)n, NULL);
	pbuf_free(p);
	return;
drop:
	nat->cnt.udp.dropped++;
	pbuf_free(p);
}
