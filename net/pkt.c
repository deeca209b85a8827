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

void pkt_put_eth(uint8_t *out, const uint8_t dst[6], const uint8_t src[6],
		 uint16_t type)
{
	memcpy(out, dst, 6);
	memcpy(out + 6, src, 6);
	be16_put(out + 12, type);
}

void pkt_put_ip4(uint8_t *ip, uint8_t tos, uint16_t tot, uint16_t id,
		 uint16_t frag, uint8_t proto, uint32_t src, uint32_t dst)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[1] = tos;
	be16_put(ip + 2, tot);
	be16_put(ip + 4, id);
	be16_put(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	be32_put(ip + 12, src);
	be32_put(ip + 16, dst);
	be16_put(ip + 10, pkt_csum(ip, 20, 0));
}

void pkt_put_arp(uint8_t *a, uint16_t op, const uint8_t sha[6], uint32_t sip,
		 const uint8_t *tha, uint32_t tip)
{
	be16_put(a, 1);
	be16_put(a + 2, ETHTYPE_IP4);
	a[4] = 6;
	a[5] = 4;
	be16_put(a + 6, op);
	memcpy(a + 8, sha, 6);
	be32_put(a + 14, sip);
	if (tha)
		memcpy(a + 18, tha, 6);
	else
		memset(a + 18, 0, 6);
	be32_put(a + 24, tip);
}

size_t pkt_build_arp_reply(uint8_t *out, const uint8_t *req,
			   const uint8_t mac[6], uint32_t ip)
{
	const uint8_t *ra = req + ETH_HLEN_;

	/* to the sender's hardware address; its MAC and IP become the target */
	pkt_put_eth(out, ra + 8, mac, ETHTYPE_ARP_);
	pkt_put_arp(out + ETH_HLEN_, 2, mac, ip, ra + 8, be32_get(ra + 14));
	return ETH_HLEN_ + 28;
}

void pkt_put_tcp(uint8_t t[20], uint16_t sport, uint16_t dport, uint32_t seq,
		 uint32_t ack, uint8_t flags)
{
	memset(t, 0, 20);
	be16_put(t, sport);
	be16_put(t + 2, dport);
	be32_put(t + 4, seq);
	be32_put(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
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
	uint16_t c;

	pkt_put_eth(out, dst_mac, src_mac, ETHTYPE_IP4);
	pkt_put_ip4(ip, 0, (uint16_t)(20 + 8 + plen), 0, 0, 17, src, dst);
	be16_put(udp, sport);
	be16_put(udp + 2, dport);
	be16_put(udp + 4, (uint16_t)(8 + plen));
	be16_put(udp + 6, 0);
	c = pkt_csum(udp, 8 + plen, pkt_pseudo_sum(src, dst, 17, 8 + plen));
	be16_put(udp + 6, c ? c : 0xffff);
	return ETH_HLEN_ + 20 + 8 + plen;
}
