/*
 * pkt6.c - IPv6 header readers and builders (see pkt6.h).
 */
#include "net/pkt6.h"

#include <errno.h>
#include <string.h>

int pkt_parse_ip6(const uint8_t *f, size_t len, struct pkt_ip6 *p)
{
	const uint8_t *ip = f + PKT_IP6;
	size_t plen;

	if (len < PKT_IP6_PAYLOAD || be16_get(f + PKT_ETH_TYPE) != ETHTYPE_IP6)
		return -EINVAL;
	if ((ip[0] >> 4) != 6)
		return -EINVAL;
	plen = be16_get(ip + 4);
	if (plen > len - PKT_IP6_PAYLOAD)
		return -EINVAL;
	p->eth_dst = f;
	p->eth_src = f + 6;
	p->next = ip[6];
	p->hlim = ip[7];
	p->src = ip + 8;
	p->dst = ip + 24;
	p->payload = ip + PKT_IP6_HLEN;
	p->len = plen;
	return 0;
}

uint32_t pkt_pseudo_sum6(const uint8_t src[16], const uint8_t dst[16],
			 uint8_t next, size_t len)
{
	uint32_t sum = next + (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
	int i;

	for (i = 0; i < 16; i += 2)
		sum += be16_get(src + i) + be16_get(dst + i);
	return sum;
}

int pkt_parse_udp6(const uint8_t *f, size_t len, struct pkt_udp6 *u)
{
	const uint8_t *udp;
	size_t ulen;

	if (pkt_parse_ip6(f, len, &u->ip) || u->ip.next != PKT_PROTO_UDP ||
	    u->ip.len < 8)
		return -EINVAL;
	udp = u->ip.payload;
	ulen = be16_get(udp + 4);
	if (ulen < 8 || ulen > u->ip.len)
		return -EINVAL;
	/* a zero checksum is not allowed over IPv6; a good one sums to 0 */
	if (!be16_get(udp + 6) ||
	    pkt_csum(
		    udp, ulen,
		    pkt_pseudo_sum6(u->ip.src, u->ip.dst, PKT_PROTO_UDP, ulen)))
		return -EINVAL;
	u->sport = be16_get(udp);
	u->dport = be16_get(udp + 2);
	u->payload = udp + 8;
	u->len = ulen - 8;
	return 0;
}

void pkt_put_ip6(uint8_t *ip, uint16_t plen, uint8_t next, uint8_t hlim,
		 const uint8_t src[16], const uint8_t dst[16])
{
	ip[0] = 0x60;
	ip[1] = ip[2] = ip[3] = 0;
	be16_put(ip + 4, plen);
	ip[6] = next;
	ip[7] = hlim;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
}

size_t pkt_build_udp6(uint8_t *out, const uint8_t src_mac[6],
		      const uint8_t dst_mac[6], const uint8_t src[16],
		      const uint8_t dst[16], uint16_t sport, uint16_t dport,
		      size_t plen)
{
	uint8_t *udp = out + PKT_IP6_PAYLOAD;
	uint8_t hlim = pkt_ip6_is_ll(dst) || pkt_ip6_is_mcast(dst) ? 255 : 64;
	uint16_t c;

	pkt_put_eth(out, dst_mac, src_mac, ETHTYPE_IP6);
	pkt_put_ip6(out + PKT_IP6, (uint16_t)(8 + plen), PKT_PROTO_UDP, hlim,
		    src, dst);
	be16_put(udp, sport);
	be16_put(udp + 2, dport);
	be16_put(udp + 4, (uint16_t)(8 + plen));
	be16_put(udp + 6, 0);
	c = pkt_csum(udp, 8 + plen,
		     pkt_pseudo_sum6(src, dst, PKT_PROTO_UDP, 8 + plen));
	be16_put(udp + 6, c ? c : 0xffff);
	return PKT_IP6_PAYLOAD + 8 + plen;
}

void pkt_mcast_mac6(uint8_t mac[6], const uint8_t ip[16])
{
	mac[0] = mac[1] = 0x33;
	memcpy(mac + 2, ip + 12, 4);
}

bool pkt_ip6_is_unspec(const uint8_t ip[16])
{
	static const uint8_t zero[16];

	return !memcmp(ip, zero, 16);
}

void pkt_ip6_solicited(uint8_t out[16], const uint8_t ip[16])
{
	static const uint8_t pre[13] = {0xff, 0x02, 0, 0, 0,	0,   0,
					0,    0,    0, 0, 0x01, 0xff};

	memcpy(out, pre, 13);
	memcpy(out + 13, ip + 13, 3);
}

/* ext_options_ok() - the TLVs of an options header @h of @hl bytes */
static int ext_options_ok(const uint8_t *h, size_t hl)
{
	size_t i = 2;

	while (i < hl) {
		if (h[i] == 0) { /* Pad1 */
			i++;
			continue;
		}
		if (i + 2 > hl || i + 2 + h[i + 1] > hl)
			return -EINVAL;
		/* "skip over this option" only when the high bits are 00 */
		if (h[i] >> 6)
			return -EOPNOTSUPP;
		i += 2 + (size_t)h[i + 1];
	}
	return 0;
}

int pkt6_ext_walk(const uint8_t *ip, size_t avail, uint8_t *upper, size_t *hlen)
{
	size_t off = PKT_IP6_HLEN, hl;
	uint8_t nh;
	int i, r;

	if (avail < PKT_IP6_HLEN)
		return -EINVAL;
	nh = ip[6];
	for (i = 0; pkt6_ext_is(nh); i++) {
		const uint8_t *h = ip + off;

		if (i == PKT6_MAX_EXT || (nh == 0 && i) || off + 8 > avail)
			return -EINVAL;
		hl = ((size_t)h[1] + 1) * 8;
		if (off + hl > avail)
			return -EINVAL;
		if (nh == 43) {
			if (h[3]) /* segments left */
				return -EOPNOTSUPP;
		} else if ((r = ext_options_ok(h, hl)) < 0) {
			return r;
		}
		nh = h[0];
		off += hl;
	}
	*upper = nh;
	*hlen = off;
	return 0;
}
