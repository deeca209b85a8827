/*
 * pkt.c - header readers and builders (see pkt.h).
 */
#include "net/pkt.h"

#include <errno.h>
#include <string.h>

int pkt_parse_udp4(const uint8_t *f, size_t len, struct pkt_udp4 *u)
{
	const uint8_t *ip = f + ETH_HLEN_, *udp;
	size_t ihl, tot, ulen;

	if (len < ETH_HLEN_ + 20 + 8 || be16_get(f + 12) != ETHTYPE_IP4)
		return -EINVAL;
	if ((ip[0] >> 4) != 4 || ip[9] != 17)
		return -EINVAL;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = be16_get(ip + 2);
	if (ihl < 20 || tot < ihl + 8 || tot > len - ETH_HLEN_)
		return -EINVAL;
	if (be16_get(ip + 6) & 0x3fff) /* MF or offset: a fragment */
		return -EINVAL;
	udp = ip + ihl;
	ulen = be16_get(udp + 4);
	if (ulen < 8 || ulen > tot - ihl)
		return -EINVAL;
	u->eth_src = f + 6;
	u->src = be32_get(ip + 12);
	u->dst = be32_get(ip + 16);
	u->sport = be16_get(udp);
	u->dport = be16_get(udp + 2);
	u->payload = udp + 8;
	u->len = ulen - 8;
	return 0;
}

bool pkt_arp_request_for(const uint8_t *f, size_t len, uint32_t *tip)
{
	const uint8_t *a = f + ETH_HLEN_;

	if (len < ETH_HLEN_ + 28 || be16_get(f + 12) != ETHTYPE_ARP_)
		return false;
	if (be16_get(a) != 1 || be16_get(a + 2) != ETHTYPE_IP4 || a[4] != 6 ||
	    a[5] != 4 || be16_get(a + 6) != 1)
		return false;
	*tip = be32_get(a + 24);
	return true;
}

size_t pkt_build_arp_reply(uint8_t *out, const uint8_t *req,
			   const uint8_t mac[6], uint32_t ip)
{
	const uint8_t *ra = req + ETH_HLEN_;
	uint8_t *a = out + ETH_HLEN_;

	memcpy(out, ra + 8, 6); /* to the sender's hardware address */
	memcpy(out + 6, mac, 6);
	be16_put(out + 12, ETHTYPE_ARP_);
	be16_put(a, 1);
	be16_put(a + 2, ETHTYPE_IP4);
	a[4] = 6;
	a[5] = 4;
	be16_put(a + 6, 2);
	memcpy(a + 8, mac, 6);
	be32_put(a + 14, ip);
	memcpy(a + 18, ra + 8, 10); /* sender MAC + IP become the target */
	return ETH_HLEN_ + 28;
}

uint16_t pkt_csum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += be16_get(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t pkt_build_udp4(uint8_t *out, const uint8_t src_mac[6],
		      const uint8_t dst_mac[6], uint32_t src, uint32_t dst,
		      uint16_t sport, uint16_t dport, size_t plen)
{
	uint8_t *ip = out + ETH_HLEN_, *udp = ip + 20;
	uint32_t sum;
	uint16_t c;

	memcpy(out, dst_mac, 6);
	memcpy(out + 6, src_mac, 6);
	be16_put(out + 12, ETHTYPE_IP4);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	be16_put(ip + 2, (uint16_t)(20 + 8 + plen));
	ip[8] = 64;
	ip[9] = 17;
	be32_put(ip + 12, src);
	be32_put(ip + 16, dst);
	be16_put(ip + 10, pkt_csum(ip, 20, 0));
	be16_put(udp, sport);
	be16_put(udp + 2, dport);
	be16_put(udp + 4, (uint16_t)(8 + plen));
	be16_put(udp + 6, 0);
	sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 17 +
	      (uint32_t)(8 + plen);
	c = pkt_csum(udp, 8 + plen, sum);
	be16_put(udp + 6, c ? c : 0xffff);
	return ETH_HLEN_ + 20 + 8 + plen;
}
