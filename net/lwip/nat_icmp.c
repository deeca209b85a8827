/*
 * nat_icmp.c - the guest's ICMP echo to any address, sent by the host
 * through unprivileged ping sockets (SOCK_DGRAM, IPPROTO_ICMP; for IPv6
 * AF_INET6 and IPPROTO_ICMPV6, whose checksum the kernel fills in). The kernel
 * replaces the echo identifier with the socket's own, so each flow (guest
 * address, identifier, destination) has its own socket and replies get
 * the guest's identifier back before they are sent to the guest from the
 * pinged address. Hosts that forbid ping sockets
 * (net.ipv4.ping_group_range) use one shared raw socket instead if
 * qcw-net could open it at start (nat_icmp_raw.c, which also opens the
 * ping sockets: the POSIX part); Windows has no ping sockets and sends
 * every echo through its ICMP API (nat_icmp_win.c); otherwise they get
 * one clear log line, and the echoes are dropped and counted. The flow
 * table, its bound (the least recently used flow is closed for a new one),
 * the sweep and the counters are nat_dgram.c's, shared with UDP.
 */
#include "net/lwip/nat_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/inet_chksum.h"
#include "lwip/ip6.h"
#include "lwip/prot/icmp.h"
#include "lwip/prot/icmp6.h"

#include "util/log.h"
#include "util/be.h"

struct pbuf *nat_icmp_from_host(struct nat_dgram *d, const uint8_t *buf,
				size_t n, unsigned int flags)
{
	const struct nat_key *k = &d->key;
	struct icmp_echo_hdr *ih;
	struct pbuf *p;

	if (n < sizeof(*ih) || (flags & UV_UDP_PARTIAL) ||
	    buf[0] != (k->v6 ? ICMP6_TYPE_EREP : ICMP_ER))
		return NULL;
	p = pbuf_alloc(PBUF_IP, (u16_t)n, PBUF_RAM);
	if (!p) {
		d->nat->cnt.icmp.dropped++;
		return NULL;
	}
	memcpy(p->payload, buf, n);
	ih = p->payload;
	ih->id = lwip_htons(k->gport);
	ih->chksum = 0;
	if (k->v6) {
		ip_addr_t src, dst;

		nat_key_ip(k, false, &src);
		nat_key_ip(k, true, &dst);
		ih->chksum = ip6_chksum_pseudo(p, IP6_NEXTH_ICMP6, p->tot_len,
					       ip_2_ip6(&src), ip_2_ip6(&dst));
	} else {
		ih->chksum = inet_chksum_pbuf(p);
	}
	return p;
}

/*
 * nat_icmp_echo() - the guest's echo request in @pk: its flow key and the
 * ICMP message as one buffer (in the pbuf, or flattened into nat->buf when
 * reassembled). 1 for an echo request, 0 for another type (not
 * forwarded), -1 when malformed.
 */
static int nat_icmp_echo(struct nat *nat, struct nat_pkt *pk, struct nat_key *k,
			 uint8_t **msg, size_t *len)
{
	struct pbuf *p = pk->p;
	uint8_t *ih;

	*len = (size_t)p->tot_len - pk->hlen;
	if (*len < 8 || p->len < pk->hlen + 8)
		return -1;
	ih = (uint8_t *)p->payload + pk->hlen;
	if (ih[0] != (pk->v6 ? ICMP6_TYPE_EREQ : ICMP_ECHO))
		return 0;
	nat_key_from_pkt(k, pk, pk->proto, be16_get(ih + 4), 0);
	if (p->next) {
		/* a reassembled echo: flatten into the shared buffer */
		if (*len > sizeof(nat->buf) ||
		    pbuf_copy_partial(p, nat->buf, (u16_t)*len, pk->hlen) !=
			    *len)
			return -1;
		ih = nat->buf;
	}
	*msg = ih;
	return 1;
}

/* nat_icmp_sock_send() - @msg out through the flow's ping socket. */
static void nat_icmp_sock_send(struct nat *nat, const struct nat_key *k,
			       uint8_t *msg, size_t len)
{
	struct sockaddr_storage sa;
	struct nat_dgram *c;
	uv_buf_t b;

	c = nat_dgram_get(nat, k);
	if (!c) {
		nat->cnt.icmp.dropped++;
		return;
	}
	b = uv_buf_init((char *)msg, (unsigned int)len);
	/* port 0: ping sockets take no port (dport is 0 in the key) */
	nat_host_sockaddr(nat, k, &sa);
	nat_dgram_send(c, &b, 1, (struct sockaddr *)&sa);
}

void nat_icmp_input(struct nat *nat, struct nat_pkt *pk)
{
	struct nat_key k;
	uint8_t *msg;
	size_t len;
	int r;

	r = nat_icmp_echo(nat, pk, &k, &msg, &len);
	if (r < 0)
		nat->cnt.icmp.dropped++;
	else if (r > 0 && nat->icmp_raw && nat_icmp_raw_carries(&k))
		nat_icmp_raw_send(nat, &k, msg, len);
	else if (r > 0)
		nat_icmp_sock_send(nat, &k, msg, len);
	pbuf_free(pk->p);
}

void nat_icmp_sweep(struct nat *nat, uint64_t now)
{
	if (nat->icmp_raw)
		nat_icmp_raw_sweep(nat, now);
	nat_dgram_sweep(nat, IP_PROTO_ICMP, now);
}

void nat_icmp_fini(struct nat *nat)
{
	if (nat->icmp_raw)
		nat_icmp_raw_fini(nat);
	nat_dgram_fini(nat, IP_PROTO_ICMP);
}
