/*
 * slirp_xlat.c - TCP segments between IPv6 and IPv4 for the libslirp
 * backend (see slirp_frames.h): libslirp 4.7's guest forwards (the
 * gateway's listeners) and its host forwards over a unix socket (the
 * dials into the guest) are IPv4 only, so the backend carries the guest's
 * IPv6 connections of both kinds through them as IPv4 connections of a
 * stand-in address, rewriting each segment's IP header and checksum.
 * Pure: no I/O, no libslirp; every read is bounded by the lengths checked.
 */
#include <string.h>

#include "net/pkt.h"
#include "net/pkt6.h"
#include "net/slirp/slirp_frames.h"
#include "util/be.h"

#define IP4_HLEN_ 20
#define IP6_HLEN_ 40
#define NH_TCP 6

size_t slirp_xlat_6to4(uint8_t *out, size_t cap, const uint8_t *frame,
		       const struct slirp_pkt *p, uint32_t src, uint32_t dst)
{
	size_t n = ETH_HLEN_ + IP4_HLEN_ + p->l4len;
	uint8_t *t = out + ETH_HLEN_ + IP4_HLEN_;

	if (!p->ip6 || p->proto != NH_TCP || p->l4len < 20 ||
	    p->l4len > 0xffff - IP4_HLEN_ || n > cap)
		return 0;
	pkt_put_eth(out, frame, frame + 6, ETHTYPE_IP4);
	pkt_put_ip4(out + ETH_HLEN_, 0, (uint16_t)(IP4_HLEN_ + p->l4len), 0,
		    0x4000, NH_TCP, src, dst);
	memcpy(t, p->l4, p->l4len);
	be16_put(t + 16, 0);
	be16_put(t + 16, pkt_csum(t, p->l4len,
				  pkt_pseudo_sum(src, dst, NH_TCP, p->l4len)));
	return n;
}

/* mss_lower() - a SYN's MSS option @by bytes lower (not below 536). */
static void mss_lower(uint8_t *t, size_t off, unsigned int by)
{
	size_t i = 20;

	while (i < off && t[i] != 0) {
		if (t[i] == 1) { /* NOP */
			i++;
			continue;
		}
		if (i + 1 >= off || t[i + 1] < 2 || i + t[i + 1] > off)
			return;
		if (t[i] == 2 && t[i + 1] == 4) {
			unsigned int mss = be16_get(t + i + 2);

			if (mss >= 536 + by)
				be16_put(t + i + 2, (uint16_t)(mss - by));
			return;
		}
		i += t[i + 1];
	}
}

size_t slirp_xlat_4to6(uint8_t *out, size_t cap, const uint8_t *frame,
		       size_t len, const uint8_t src6[16],
		       const uint8_t dst6[16])
{
	const uint8_t *ip = frame + ETH_HLEN_;
	size_t ihl, tot, l4len, off, n;
	uint8_t *t = out + ETH_HLEN_ + IP6_HLEN_;

	if (len < ETH_HLEN_ + IP4_HLEN_ ||
	    be16_get(frame + 12) != ETHTYPE_IP4 || (ip[0] >> 4) != 4)
		return 0;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = be16_get(ip + 2);
	if (ihl < IP4_HLEN_ || tot < ihl + 20 || tot > len - ETH_HLEN_ ||
	    ip[9] != NH_TCP || (be16_get(ip + 6) & 0x3fff))
		return 0;
	l4len = tot - ihl;
	n = ETH_HLEN_ + IP6_HLEN_ + l4len;
	off = (size_t)(ip[ihl + 12] >> 4) * 4;
	if (off < 20 || off > l4len || n > cap)
		return 0;
	pkt_put_eth(out, frame, frame + 6, 0x86dd);
	pkt_put_ip6(out + ETH_HLEN_, (uint16_t)l4len, NH_TCP, 64, src6, dst6);
	memcpy(t, ip + ihl, l4len);
	if (t[13] & SLIRP_TCP_SYN) /* the IPv6 header is 20 bytes longer */
		mss_lower(t, off, IP6_HLEN_ - IP4_HLEN_);
	be16_put(t + 16, 0);
	be16_put(t + 16, pkt_csum(t, l4len,
				  pkt_pseudo_sum6(src6, dst6, NH_TCP, l4len)));
	return n;
}
