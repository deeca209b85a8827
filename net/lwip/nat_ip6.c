/*
 * nat_ip6.c - the NAT's IPv6 side (NAT66): validates the IPv6 header of a
 * packet lwIP's IPv6 input hook passed on, reassembles fragments with
 * lwIP's ip6_reass (hop-by-hop headers in front of the Fragment header
 * taken off first), steps over hop-by-hop, routing and destination
 * options headers, checks the source (an address of the guest's /64 or a
 * link-local one) and hands the packet to the dispatcher shared with
 * IPv4 (nat.c) under the IPv6 policy netcfg_nat_check6(). Also the
 * address helpers every handler uses for either family: flow keys from
 * packets, lwIP addresses and host sockaddrs from flow keys.
 */
#include "net/lwip/nat_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "lwip/ip6.h"
#include "lwip/ip6_frag.h"
#include "lwip/prot/ip6.h"

#define LOG_SUBSYS LOG_SS_NAT
#include "net/pkt6.h"
#include "util/log.h"

void nat_key_from_pkt(struct nat_key *k, const struct nat_pkt *pk,
		      uint8_t proto, uint16_t gport, uint16_t dport)
{
	memset(k, 0, sizeof(*k));
	k->gip = pk->src;
	k->dip = pk->dst;
	k->gport = gport;
	k->dport = dport;
	k->proto = proto;
	if (pk->v6) {
		k->v6 = 1;
		memcpy(k->gip6, pk->src6, 16);
		memcpy(k->dip6, pk->dst6, 16);
	}
}

static void nat_ip6_set(ip_addr_t *a, const uint8_t b[16])
{
	ip_addr_set_zero_ip6(a);
	memcpy(ip_2_ip6(a)->addr, b, 16);
}

void nat_key_ip(const struct nat_key *k, bool guest, ip_addr_t *a)
{
	if (k->v6)
		nat_ip6_set(a, guest ? k->gip6 : k->dip6);
	else
		nat_ip_from_host(a, guest ? k->gip : k->dip);
}

void nat_pkt_ip(const struct nat_pkt *pk, bool src, ip_addr_t *a)
{
	if (pk->v6)
		nat_ip6_set(a, src ? pk->src6 : pk->dst6);
	else
		nat_ip_from_host(a, src ? pk->src : pk->dst);
}

socklen_t nat_host_sockaddr(const struct nat *nat, const struct nat_key *k,
			    struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (k->v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(k->dport);
		memcpy(&s6->sin6_addr, netcfg_nat_lookup6(nat->cfg, k->dip6),
		       16);
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(k->dport);
		s4->sin_addr.s_addr = htonl(nat_host_addr(nat, k->dip));
		return sizeof(*s4);
	}
}

/*
 * nat_ip6_reass() - a fragment (its Fragment header right after the IPv6
 * header) to lwIP's reassembly: the whole datagram, IPv6 header in front
 * and the Fragment header gone, or NULL (kept or dropped by lwIP).
 */
static struct pbuf *nat_ip6_reass(struct nat_pkt *pk)
{
	struct pbuf *p = pk->p;

	if (p->len < IP6_HLEN + 8) {
		pbuf_free(p);
		return NULL;
	}
	pk->hlen = IP6_HLEN + 8;
	nat_set_ip_data(pk);
	pbuf_remove_header(p, IP6_HLEN);
	p = ip6_reass(p);
	nat_clear_ip_data();
	return p;
}

/*
 * nat_ip6_upper() - the upper-layer protocol of @pk and the length of all
 * headers before it (pk->hlen), past the extension headers a host may
 * pass over (pkt6_ext_walk()); a Fragment header counts as the upper
 * layer here (nat_ip6_input() reassembles, then asks again). -EINVAL when
 * malformed, -EOPNOTSUPP when the packet must be dropped for an option or
 * a routing header.
 */
static int nat_ip6_upper(struct nat_pkt *pk)
{
	uint8_t next;
	size_t hlen;
	int r = pkt6_ext_walk(pk->p->payload, pk->p->len, &next, &hlen);

	if (r < 0)
		return r;
	pk->hlen = (uint16_t)hlen;
	pk->proto = next;
	return 0;
}

/*
 * nat_ip6_unfrag_off() - the headers in front of @pk's Fragment header
 * (hop-by-hop and the like: the unfragmentable part RFC 8200 4.5 repeats
 * in each fragment, walked by nat_ip6_upper()) taken off in place, the
 * IPv6 header moved up over them, so that the Fragment header follows it
 * as ip6_reass() wants.
 */
static void nat_ip6_unfrag_off(struct nat_pkt *pk)
{
	size_t cut = pk->hlen - IP6_HLEN, plen;
	uint8_t *h = pk->p->payload;

	if (!cut)
		return;
	plen = ((size_t)h[4] << 8 | h[5]) - cut;
	memmove(h + cut, h, IP6_HLEN);
	pbuf_remove_header(pk->p, cut);
	h = pk->p->payload;
	h[4] = (uint8_t)(plen >> 8);
	h[5] = (uint8_t)plen;
	h[6] = IP6_NEXTH_FRAGMENT;
}

int nat_ip6_input(struct nat *nat, struct pbuf *p, struct netif *inp,
		  enum netcfg_nat_verdict v)
{
	const uint8_t *h = p->payload;
	struct nat_pkt pk;
	size_t plen;
	int r;

	memset(&pk, 0, sizeof(pk));
	pk.p = p;
	pk.inp = inp;
	pk.v6 = 1;
	plen = (size_t)h[4] << 8 | h[5];
	if (p->len < IP6_HLEN || plen + IP6_HLEN > p->tot_len) {
		log_rl("nat: malformed IPv6 header from the guest, dropped");
		pbuf_free(p);
		return 1;
	}
	if (plen + IP6_HLEN < p->tot_len)
		pbuf_realloc(p, (u16_t)(plen + IP6_HLEN));
	memcpy(pk.src6, h + 8, 16);
	memcpy(pk.dst6, h + 24, 16);
	pk.src = nat_key_fold6(pk.src6);
	pk.dst = nat_key_fold6(pk.dst6);
	if (!netcfg_guest_src6_ok(nat->cfg, pk.src6)) {
		char a[INET6_ADDRSTRLEN];

		nat->cnt.bad_source++;
		log_rl("nat: packet from %s, not a guest address, dropped",
		       inet_ntop(AF_INET6, pk.src6, a, sizeof(a)));
		pbuf_free(p);
		return 1;
	}
	r = nat_ip6_upper(&pk);
	if (r == 0 && pk.proto == IP6_NEXTH_FRAGMENT) {
		nat_ip6_unfrag_off(&pk);
		pk.p = nat_ip6_reass(&pk);
		if (!pk.p)
			return 1;
		r = nat_ip6_upper(&pk); /* the whole datagram's */
		if (r == 0 && pk.proto == IP6_NEXTH_FRAGMENT)
			r = -EINVAL; /* fragmented twice */
	}
	if (r < 0) {
		log_rl("nat: IPv6 packet with headers not carried (or an "
		       "option that must be understood), dropped");
		pbuf_free(pk.p);
		return 1;
	}
	nat_dispatch(nat, &pk, v);
	return 1;
}
