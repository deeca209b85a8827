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

	if (len < ETH_HLEN_ + 20 + 8 || pkt_get16(f + 12) != ETHTYPE_IP4)
		return -EINVAL;
	if ((ip[0] >> 4) != 4 || ip[9] != 17)
		return -EINVAL;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = pkt_get16(ip + 2);
	if (ihl < 20 || tot < ihl + 8 || tot > len - ETH_HLEN_)
		return -EINVAL;
	if (pkt_get16(ip + 6) & 0x3fff) /* MF or offset: a fragment */
		return -EINVAL;
	udp = ip + ihl;
	ulen = pkt_get16(udp + 4);
	if (ulen < 8 || ulen > tot - ihl)
		return -EINVAL;
	u->eth_src = f + 6;
	u->src = pkt_get32(ip + 12);
	u->dst = pkt_get32(ip + 16);
	u->sport = pkt_get16(udp);
	u->dport = pkt_get16(udp + 2);
	u->payload = udp + 8;
	u->len = ulen - 8;
	return 0;
}

bool pkt_arp_request_for(const uint8_t *f, size_t len, uint32_t *tip)
{
	const uint8_t *a = f + ETH_HLEN_;

	if (len < ETH_HLEN_ + 28 || pkt_get16(f + 12) != ETHTYPE_ARP_)
		return false;
	if (pkt_get16(a) != 1 || pkt_get16(a + 2) != ETHTYPE_IP4 || a[4] != 6 ||
	    a[5] != 4 || pkt_get16(a + 6) != 1)
		return false;
	*tip = pkt_get32(a + 24);
	return true;
}

size_t pkt_build_arp_reply(uint8_t *out, const uint8_t *req,
			   const uint8_t mac[6], uint32_t ip)
{
	const uint8_t *ra = req + ETH_HLEN_;
	uint8_t *a = out + ETH_HLEN_;

	memcpy(out, ra + 8, 6); /* to the sender's hardware address */
	memcpy(out + 6, mac, 6);
	pkt_put16(out + 12, ETHTYPE_ARP_);
	pkt_put16(a, 1);
	pkt_put16(a + 2, ETHTYPE_IP4);
	a[4] = 6;
	a[5] = 4;
	pkt_put16(a + 6, 2);
	memcpy(a + 8, mac, 6);
	pkt_put32(a + 14, ip);
	memcpy(a + 18, ra + 8, 10); /* sender MAC + IP become the target */
	return ETH_HLEN_ + 28;
}

uint16_t pkt_csum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
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
	pkt_put16(out + 12, ETHTYPE_IP4);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	pkt_put16(ip + 2, (uint16_t)(20 + 8 + plen));
	ip[8] = 64;
	ip[9] = 17;
	pkt_put32(ip + 12, src);
	pkt_put32(ip + 16, dst);
	pkt_put16(ip + 10, pkt_csum(ip, 20, 0));
	pkt_put16(udp, sport);
	pkt_put16(udp + 2, dport);
	pkt_put16(udp + 4, (uint16_t)(8 + plen));
	pkt_put16(udp + 6, 0);
	sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 17 +
	      (uint32_t)(8 + plen);
	c = pkt_csum(udp, 8 + plen, sum);
	pkt_put16(udp + 6, c ? c : 0xffff);
	return ETH_HLEN_ + 20 + 8 + plen;
}
