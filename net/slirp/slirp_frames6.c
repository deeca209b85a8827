/*
 * slirp_frames6.c - the IPv6 side of the libslirp backend's frame filter
 * (see slirp_frames.h): what a guest's IPv6 frame is (for libslirp, for
 * the gateway's own addresses, or dropped by the NAT66 policy), and the
 * few IPv6 frames the backend writes itself (a RST, an echo reply of the
 * gateway, a UDP datagram from a gateway socket) or rewrites on their
 * way from libslirp to the guest. Pure: no I/O, no libslirp.
 *
 * The gateway's neighbour discovery, router advertisements and DHCPv6 are
 * qcw-net's (gateway/): libslirp's router advertisements are dropped and
 * the link-layer address in its neighbour messages becomes the gateway's
 * MAC, so the guest has one router and one MAC for the gateway's
 * addresses and the host alias.
 */
#include "net/slirp/slirp_frames.h"

#include <string.h>

#include "net/pkt.h"
#include "net/pkt6.h"
#include "util/be.h"

#define ETH_HLEN_ 14
#define IP6_HLEN_ 40
#define NH_TCP 6
#define NH_UDP 17
#define NH_ICMP6 58
#define ICMP6_DST_UNREACH 1
#define ICMP6_ECHO_REQ 128
#define ICMP6_ECHO_REP 129
#define ICMP6_RS 133
#define ICMP6_RA 134
#define ICMP6_NS 135
#define ICMP6_NA 136

/* to one of the gateway's own addresses */
static enum slirp_verdict gateway6(struct slirp_pkt *p)
{
	switch (p->proto) {
	case NH_ICMP6:
		return p->l4[0] == ICMP6_ECHO_REQ && p->l4[1] == 0
			       ? SLV_GW_ICMP
			       : SLV_DROP_OTHER;
	case NH_UDP:
		if (be16_get(p->l4 + 4) < 8 || be16_get(p->l4 + 4) > p->l4len)
			return SLV_DROP_MALFORMED;
		p->l4len = be16_get(p->l4 + 4);
		return pkt_csum(p->l4, p->l4len,
				pkt_pseudo_sum6(p->src6, p->dst6, NH_UDP,
						p->l4len)) == 0
			       ? SLV_GW_UDP
			       : SLV_DROP_MALFORMED;
	case NH_TCP:
		return SLV_GW_TCP;
	default:
		return SLV_DROP_OTHER;
	}
}

enum slirp_verdict slirp_classify6(const struct netcfg *cfg, const uint8_t *f,
				   size_t len, struct slirp_pkt *p)
{
	const uint8_t *ip = f + ETH_HLEN_;
	size_t plen;

	if (!cfg->ipv6)
		return SLV_DROP_OTHER;
	if (len < ETH_HLEN_ + IP6_HLEN_ || (ip[0] >> 4) != 6)
		return SLV_DROP_MALFORMED;
	plen = be16_get(ip + 4);
	if (plen > len - ETH_HLEN_ - IP6_HLEN_)
		return SLV_DROP_MALFORMED;
	p->ip6 = ip;
	p->src6 = ip + 8;
	p->dst6 = ip + 24;
	p->proto = ip[6];
	p->l4 = ip + IP6_HLEN_;
	p->l4len = plen;
	p->tot = IP6_HLEN_ + plen;
	/* extension headers and fragments: nothing here takes them */
	if (p->proto != NH_TCP && p->proto != NH_UDP && p->proto != NH_ICMP6)
		return SLV_DROP_OTHER;
	if (p->l4len < (p->proto == NH_TCP   ? 20u
			: p->proto == NH_UDP ? 8u
					     : 4u))
		return SLV_DROP_MALFORMED;
	if (p->proto != NH_ICMP6) {
		p->sport = be16_get(p->l4);
		p->dport = be16_get(p->l4 + 2);
		if (p->proto == NH_TCP) {
			size_t off = (size_t)(p->l4[12] >> 4) * 4;

			if (off < 20 || off > p->l4len)
				return SLV_DROP_MALFORMED;
			p->tcp_flags = p->l4[13];
		}
	}
	if (p->proto == NH_ICMP6 &&
	    (p->l4[0] == ICMP6_NS || p->l4[0] == ICMP6_NA))
		/* libslirp learns the guest's MAC from them (and answers the
		 * host alias when the gateway link did not) */
		return ip[7] == 255 ? SLV_SLIRP : SLV_DROP_MALFORMED;
	if (p->dst6[0] == 0xff)
		return SLV_DROP_CAST; /* RS, MLD, DHCPv6: the gateway's */
	if (!netcfg_guest_src6_ok(cfg, p->src6))
		return SLV_DROP_SOURCE;
	if (netcfg_is_gw6(cfg, p->dst6))
		return gateway6(p);
	if (!memcmp(p->dst6, cfg->host_alias6, 16))
		return SLV_SLIRP;
	if (netcfg_in_prefix6(cfg, p->dst6))
		return SLV_DROP_SUBNET;
	switch (netcfg_nat_check6(cfg, p->dst6)) {
	case NETCFG_NAT_LOOPBACK:
		return SLV_DROP_LOOPBACK;
	case NETCFG_NAT_LINK_LOCAL:
		return SLV_DROP_LINK_LOCAL;
	case NETCFG_NAT_LOCAL:
		return SLV_DROP_CAST;
	default:
		/* libslirp 4.7 cannot send ICMPv6 echo beyond itself */
		if (p->proto != NH_ICMP6)
			return SLV_SLIRP;
		return p->l4[0] == ICMP6_ECHO_REQ && p->l4[1] == 0 &&
				       p->l4len >= 8
			       ? SLV_PING6
			       : SLV_DROP_OTHER;
	}
}

/* put_ip6() - Ethernet and IPv6 headers; the L4 length is @plen. */
static void put_ip6(uint8_t *out, const uint8_t dst_mac[6],
		    const uint8_t src_mac[6], const uint8_t *src,
		    const uint8_t *dst, uint8_t nh, size_t plen)
{
	pkt_put_eth(out, dst_mac, src_mac, 0x86dd);
	pkt_put_ip6(out + ETH_HLEN_, (uint16_t)plen, nh, 64, src, dst);
}

size_t slirp_build_rst6(uint8_t out[SLIRP_RST6_LEN], const uint8_t *frame,
			const struct slirp_pkt *p, const uint8_t gw_mac[6])
{
	uint8_t *t = out + ETH_HLEN_ + IP6_HLEN_;
	uint32_t seq, ack;
	uint8_t flags;

	if (!p->ip6 || p->proto != NH_TCP ||
	    !slirp_rst_for(p, &seq, &ack, &flags))
		return 0;
	pkt_put_tcp(t, p->dport, p->sport, seq, ack, flags);
	put_ip6(out, frame + 6, gw_mac, p->dst6, p->src6, NH_TCP, 20);
	be16_put(
		t + 16,
		pkt_csum(t, 20, pkt_pseudo_sum6(p->dst6, p->src6, NH_TCP, 20)));
	return SLIRP_RST6_LEN;
}

size_t slirp_build_echo_reply6(uint8_t *out, size_t cap, const uint8_t *frame,
			       const struct slirp_pkt *p,
			       const uint8_t gw_mac[6])
{
	size_t n = ETH_HLEN_ + IP6_HLEN_ + p->l4len;
	uint8_t *ic = out + ETH_HLEN_ + IP6_HLEN_;

	if (!p->ip6 || p->l4len < 8 || n > cap)
		return 0;
	put_ip6(out, frame + 6, gw_mac, p->dst6, p->src6, NH_ICMP6, p->l4len);
	memcpy(ic, p->l4, p->l4len);
	ic[0] = ICMP6_ECHO_REP;
	be16_put(ic + 2, 0);
	be16_put(ic + 2, pkt_csum(ic, p->l4len,
				  pkt_pseudo_sum6(p->dst6, p->src6, NH_ICMP6,
						  p->l4len)));
	return n;
}

size_t slirp_build_unreach6(uint8_t *out, size_t cap, const uint8_t *frame,
			    const struct slirp_pkt *p, const uint8_t gw_mac[6],
			    const uint8_t from[16], uint8_t code)
{
	size_t quoted = IP6_HLEN_ + p->l4len, plen;
	uint8_t *ic = out + ETH_HLEN_ + IP6_HLEN_;

	if (!p->ip6 || p->l4 != p->ip6 + IP6_HLEN_)
		return 0; /* the quote starts at the IPv6 header */
	/* RFC 4443 2.4: the error fits the minimum MTU of 1280 */
	if (quoted > 1280 - IP6_HLEN_ - 8)
		quoted = 1280 - IP6_HLEN_ - 8;
	plen = 8 + quoted;
	if (ETH_HLEN_ + IP6_HLEN_ + plen > cap)
		return 0;
	put_ip6(out, frame + 6, gw_mac, from, p->src6, NH_ICMP6, plen);
	ic[0] = ICMP6_DST_UNREACH;
	ic[1] = code;
	memset(ic + 2, 0, 6);
	memcpy(ic + 8, p->ip6, quoted);
	be16_put(ic + 2,
		 pkt_csum(ic, plen,
			  pkt_pseudo_sum6(from, p->src6, NH_ICMP6, plen)));
	return ETH_HLEN_ + IP6_HLEN_ + plen;
}

size_t slirp_build_udp6(uint8_t *out, size_t cap, const uint8_t dst_mac[6],
			const uint8_t src_mac[6], const uint8_t src[16],
			uint16_t sport, const uint8_t dst[16], uint16_t dport,
			const void *data, size_t len)
{
	if (ETH_HLEN_ + IP6_HLEN_ + 8 + len > cap || len > 0xffff - 8)
		return 0;
	memcpy(out + ETH_HLEN_ + IP6_HLEN_ + 8, data, len);
	return pkt_build_udp6(out, src_mac, dst_mac, src, dst, sport, dport,
			      len);
}

int slirp_out_rewrite6(uint8_t *hdr, size_t cap, const uint8_t *frame,
		       size_t len, const uint8_t gw_mac[6])
{
	const uint8_t *ip = frame + ETH_HLEN_;
	uint8_t *ic = hdr + ETH_HLEN_ + IP6_HLEN_;
	size_t plen, off;

	if (len < ETH_HLEN_)
		return -1;
	if (len < ETH_HLEN_ + IP6_HLEN_ + 4 || ip[6] != NH_ICMP6 ||
	    (ip[IP6_HLEN_] != ICMP6_NS && ip[IP6_HLEN_] != ICMP6_NA &&
	     ip[IP6_HLEN_] != ICMP6_RA)) {
		memcpy(hdr, frame, ETH_HLEN_);
		memcpy(hdr + 6, gw_mac, 6);
		return ETH_HLEN_;
	}
	if (ip[IP6_HLEN_] == ICMP6_RA)
		return -1; /* the gateway's router advertisements only */
	plen = be16_get(ip + 4);
	if (len > cap || ETH_HLEN_ + IP6_HLEN_ + plen > len || plen < 24)
		return -1;
	/* a neighbour message: its link-layer option says the gateway */
	memcpy(hdr, frame, len);
	memcpy(hdr + 6, gw_mac, 6);
	for (off = 24; off + 8 <= plen && ic[off + 1]; off += ic[off + 1] * 8u)
		if ((ic[off] == 1 || ic[off] == 2) && ic[off + 1] == 1)
			memcpy(ic + off + 2, gw_mac, 6);
	be16_put(ic + 2, 0);
	be16_put(ic + 2,
		 pkt_csum(ic, plen,
			  pkt_pseudo_sum6(ip + 8, ip + 24, NH_ICMP6, plen)));
	return (int)len;
}

size_t slirp_build_ns(uint8_t out[SLIRP_NS_LEN], const uint8_t mac[6],
		      const uint8_t src[16], const uint8_t target[16])
{
	uint8_t dst[16], dmac[6] = {0x33, 0x33};
	uint8_t *ic = out + ETH_HLEN_ + IP6_HLEN_;

	pkt_ip6_solicited(dst, target);
	memcpy(dmac + 2, dst + 12, 4);
	pkt_put_eth(out, dmac, mac, 0x86dd);
	pkt_put_ip6(out + ETH_HLEN_, 32, NH_ICMP6, 255, src, dst);
	memset(ic, 0, 32);
	ic[0] = ICMP6_NS;
	memcpy(ic + 8, target, 16);
	ic[24] = 1; /* source link-layer address */
	ic[25] = 1;
	memcpy(ic + 26, mac, 6);
	be16_put(ic + 2,
		 pkt_csum(ic, 32, pkt_pseudo_sum6(src, dst, NH_ICMP6, 32)));
	return SLIRP_NS_LEN;
}
