/*
 * ndp.c - router-side neighbour discovery codec (see ndp.h). Every read
 * of the frame is checked against its length; the builders write at most
 * what they are given room for.
 */
#include "gateway/ndp.h"

#include <errno.h>
#include <string.h>

#include "net/pkt6.h"

#define NDP_HLIM 255
#define NDP_RS_LEN 8
#define NDP_NS_LEN 24
#define NDP_RA_LEN 16

static const uint8_t ndp_all_nodes[16] = {0xff, 2, [15] = 1};

bool ndp_icmp6_csum_ok(const uint8_t src[16], const uint8_t dst[16],
		       const uint8_t *icmp, size_t len)
{
	return pkt_csum(icmp, len,
			pkt_pseudo_sum6(src, dst, PKT_PROTO_ICMP6, len)) == 0;
}

/* ndp_opts() - walk the options at @o; -EINVAL on a bad one. */
static int ndp_opts(const uint8_t *o, size_t len, struct ndp_msg *m)
{
	while (len) {
		size_t n;

		if (len < 8 || o[1] == 0)
			return -EINVAL;
		n = (size_t)o[1] * 8;
		if (n > len)
			return -EINVAL;
		/* the first source link-layer option for Ethernet counts */
		if (o[0] == NDP_OPT_SLLA && n == 8 && !m->sll)
			m->sll = o + 2;
		o += n;
		len -= n;
	}
	return 0;
}

int ndp_parse(const uint8_t *frame, size_t len, struct ndp_msg *m)
{
	struct pkt_ip6 ip;
	const uint8_t *icmp;
	size_t min;

	if (pkt_parse_ip6(frame, len, &ip) || ip.next != PKT_PROTO_ICMP6 ||
	    ip.len < 4)
		return 0;
	icmp = ip.payload;
	if (icmp[0] != NDP_RS && icmp[0] != NDP_NS)
		return 0;
	memset(m, 0, sizeof(*m));
	m->type = icmp[0];
	m->eth_src = ip.eth_src;
	m->src = ip.src;
	m->dst = ip.dst;
	min = m->type == NDP_RS ? NDP_RS_LEN : NDP_NS_LEN;
	if (ip.hlim != NDP_HLIM || icmp[1] != 0 || ip.len < min ||
	    !ndp_icmp6_csum_ok(ip.src, ip.dst, icmp, ip.len))
		return -EINVAL;
	if (pkt_ip6_is_mcast(ip.src) || ndp_opts(icmp + min, ip.len - min, m))
		return -EINVAL;
	if (m->type == NDP_NS) {
		uint8_t sol[16];

		m->target = icmp + 8;
		if (pkt_ip6_is_mcast(m->target))
			return -EINVAL;
		pkt_ip6_solicited(sol, m->target);
		if (pkt_ip6_is_unspec(m->src) && memcmp(m->dst, sol, 16))
			return -EINVAL;
	}
	if (pkt_ip6_is_unspec(m->src) && m->sll)
		return -EINVAL;
	return 1;
}

/* ndp_finish() - the ICMPv6 checksum of the @len bytes at @icmp. */
static void ndp_finish(uint8_t *icmp, size_t len, const uint8_t src[16],
		       const uint8_t dst[16])
{
	be16_put(icmp + 2, 0);
	be16_put(icmp + 2,
		 pkt_csum(icmp, len,
			  pkt_pseudo_sum6(src, dst, PKT_PROTO_ICMP6, len)));
}

size_t ndp_build_na(uint8_t *out, const struct ndp_msg *ns,
		    const uint8_t mac[6], bool router)
{
	uint8_t *icmp = out + PKT_IP6_PAYLOAD;
	const uint8_t *dst = ns->src;
	uint8_t dmac[6];
	uint8_t flags = router ? NDP_NA_ROUTER : 0;

	if (pkt_ip6_is_unspec(ns->src)) {
		dst = ndp_all_nodes; /* RFC 4861 7.2.4: DAD gets all nodes */
		pkt_mcast_mac6(dmac, dst);
		flags |= NDP_NA_OVERRIDE;
	} else {
		memcpy(dmac, ns->sll ? ns->sll : ns->eth_src, 6);
		flags |= NDP_NA_SOLICITED | NDP_NA_OVERRIDE;
	}
	pkt_put_eth(out, dmac, mac, ETHTYPE_IP6);
	pkt_put_ip6(out + PKT_IP6, NDP_NS_LEN + 8, PKT_PROTO_ICMP6, NDP_HLIM,
		    ns->target, dst);
	icmp[0] = NDP_NA;
	icmp[1] = 0;
	icmp[4] = flags;
	icmp[5] = icmp[6] = icmp[7] = 0;
	memcpy(icmp + 8, ns->target, 16);
	icmp[24] = NDP_OPT_TLLA;
	icmp[25] = 1;
	memcpy(icmp + 26, mac, 6);
	ndp_finish(icmp, NDP_NS_LEN + 8, ns->target, dst);
	return NDP_NA_FRAME_LEN;
}

/* ndp_name_len() - wire length of the name at @p, 0 when malformed. */
static size_t ndp_name_len(const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		if (p[off] == 0)
			return off + 1;
		if (p[off] > 63)
			return 0;
		off += 1 + (size_t)p[off];
	}
	return 0;
}

/* ndp_put_dnssl() - option 31 with the whole names that fit @room. */
static size_t ndp_put_dnssl(uint8_t *o, size_t room, const struct ndp_ra_cfg *c)
{
	size_t names = 0, n, tot;

	while (names < c->dnssl_len) {
		n = ndp_name_len(c->dnssl + names, c->dnssl_len - names);
		if (!n || 8 + names + n > room || 8 + names + n > 255 * 8)
			break;
		names += n;
	}
	if (!names)
		return 0;
	tot = (8 + names + 7) & ~(size_t)7;
	if (tot > room)
		return 0;
	memset(o, 0, tot);
	o[0] = NDP_OPT_DNSSL;
	o[1] = (uint8_t)(tot / 8);
	be32_put(o + 4, c->dns_lifetime);
	memcpy(o + 8, c->dnssl, names);
	return tot;
}

size_t ndp_build_ra(uint8_t *out, size_t cap, const struct ndp_ra_cfg *c,
		    const uint8_t dst_mac[6], const uint8_t dst[16])
{
	uint8_t *icmp = out + PKT_IP6_PAYLOAD, *o;
	size_t fixed = NDP_RA_LEN + 8 + 32 + (c->mtu ? 8 : 0) +
		       (c->have_rdnss ? 24 : 0);
	size_t len;

	if (cap < PKT_IP6_PAYLOAD + fixed)
		return 0;
	memset(icmp, 0, fixed);
	icmp[0] = NDP_RA;
	icmp[4] = 64; /* the hop limit hosts should use */
	icmp[5] = c->flags & (NDP_RA_MANAGED | NDP_RA_OTHER);
	be16_put(icmp + 6, c->router_lifetime);
	o = icmp + NDP_RA_LEN;
	o[0] = NDP_OPT_SLLA;
	o[1] = 1;
	memcpy(o + 2, c->mac, 6);
	o += 8;
	if (c->mtu) {
		o[0] = NDP_OPT_MTU;
		o[1] = 1;
		be32_put(o + 4, c->mtu);
		o += 8;
	}
	o[0] = NDP_OPT_PREFIX;
	o[1] = 4;
	o[2] = 64;
	o[3] = 0xc0; /* on-link, autonomous */
	be32_put(o + 4, c->valid_lifetime);
	be32_put(o + 8, c->preferred_lifetime);
	memcpy(o + 16, c->prefix, 8); /* a /64: the rest stays zero */
	o += 32;
	if (c->have_rdnss) {
		o[0] = NDP_OPT_RDNSS;
		o[1] = 3;
		be32_put(o + 4, c->dns_lifetime);
		memcpy(o + 8, c->rdnss, 16);
		o += 24;
	}
	len = fixed;
	if (c->dnssl_len)
		len += ndp_put_dnssl(o, cap - PKT_IP6_PAYLOAD - fixed, c);
	pkt_put_eth(out, dst_mac, c->mac, ETHTYPE_IP6);
	pkt_put_ip6(out + PKT_IP6, (uint16_t)len, PKT_PROTO_ICMP6, NDP_HLIM,
		    c->src, dst);
	ndp_finish(icmp, len, c->src, dst);
	return PKT_IP6_PAYLOAD + len;
}
