/*
 * slirp_ext6.c - the guest's IPv6 extension headers taken off for the
 * libslirp backend: libslirp 4.7 takes TCP, UDP and ICMPv6 right after
 * the IPv6 header only, and drops the rest. Which headers a receiver may
 * pass over, and which packets it must drop instead, is pkt6_ext_walk()'s
 * (the lwIP NAT walks them with it too). Pure: no I/O, no libslirp.
 */
#include "net/slirp/slirp_frames.h"

#include <errno.h>
#include <string.h>

#include "net/pkt6.h"
#include "util/be.h"

#define ETH_HLEN_ 14
#define IP6_HLEN_ 40

int slirp_ext6_strip(const uint8_t *frame, size_t len, uint8_t *out, size_t cap)
{
	const uint8_t *ip = frame + ETH_HLEN_;
	size_t plen, hlen, n;
	uint8_t nh;
	int r;

	if (len < ETH_HLEN_ + IP6_HLEN_ || (ip[0] >> 4) != 6)
		return -EINVAL;
	plen = be16_get(ip + 4);
	/* a jumbogram (length 0 and its option) has no place on our link */
	if (!plen || plen > len - ETH_HLEN_ - IP6_HLEN_)
		return -EINVAL;
	r = pkt6_ext_walk(ip, IP6_HLEN_ + plen, &nh, &hlen);
	if (r < 0)
		return r;
	if (hlen == IP6_HLEN_)
		return 0;
	n = ETH_HLEN_ + IP6_HLEN_ + plen - (hlen - IP6_HLEN_);
	if (n > cap)
		return -ENOSPC;
	memcpy(out, frame, ETH_HLEN_ + IP6_HLEN_);
	out[ETH_HLEN_ + 6] = nh;
	be16_put(out + ETH_HLEN_ + 4, (uint16_t)(n - ETH_HLEN_ - IP6_HLEN_));
	memcpy(out + ETH_HLEN_ + IP6_HLEN_, ip + hlen,
	       n - ETH_HLEN_ - IP6_HLEN_);
	return (int)n;
}
