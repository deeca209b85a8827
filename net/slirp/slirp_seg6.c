/*
 * slirp_seg6.c - a guest's TCP segment over IPv6 longer than the MTU (sent
 * in fragments, put back together by slirp_frag6.c) cut into segments
 * that fit, for libslirp 4.7, which takes no IPv6 datagram past its MTU
 * and would answer Packet Too Big (see slirp_frames.h).
 *
 * TCP is a byte stream, so the cut changes nothing the receiver sees: each
 * piece carries the connection's header and options with its own part of
 * the sequence space; PSH and FIN ride on the last piece, CWR on the
 * first. A segment with SYN, RST or URG is not cut (a SYN's data, a RST's
 * and the urgent pointer belong to the one segment). The whole segment's
 * checksum is verified first, so a damaged one is not given fresh
 * checksums. Pure: no I/O, no libslirp.
 */
#include <errno.h>
#include <string.h>

#include "net/pkt.h"
#include "net/pkt6.h"
#include "net/slirp/slirp_frames.h"
#include "util/be.h"

#define ETH_HLEN_ 14
#define IP6_HLEN_ 40
#define NH_TCP 6
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_URG 0x20
#define TCP_CWR 0x80

/* piece() - the part [@off, @off + @n) of the data of segment @f in @out */
static size_t piece(uint8_t *out, const uint8_t *f, size_t thl, size_t off,
		    size_t n, bool last)
{
	const uint8_t *ip = f + ETH_HLEN_;
	uint8_t *t = out + ETH_HLEN_ + IP6_HLEN_;
	uint8_t flags = ip[IP6_HLEN_ + 13];

	memcpy(out, f, ETH_HLEN_ + IP6_HLEN_ + thl);
	memcpy(t + thl, ip + IP6_HLEN_ + thl + off, n);
	be16_put(out + ETH_HLEN_ + 4, (uint16_t)(thl + n));
	be32_put(t + 4, be32_get(t + 4) + (uint32_t)off);
	if (!last)
		flags &= (uint8_t) ~(TCP_FIN | TCP_PSH);
	if (off)
		flags &= (uint8_t)~TCP_CWR;
	t[13] = flags;
	be16_put(t + 16, 0);
	be16_put(t + 16,
		 pkt_csum(t, thl + n,
			  pkt_pseudo_sum6(ip + 8, ip + 24, NH_TCP, thl + n)));
	return ETH_HLEN_ + IP6_HLEN_ + thl + n;
}

int slirp_tcp6_split(const uint8_t *frame, size_t len, size_t mtu, uint8_t *out,
		     size_t cap, slirp_frame_fn emit, void *arg)
{
	const uint8_t *ip = frame + ETH_HLEN_, *t = ip + IP6_HLEN_;
	size_t plen, thl, data, per, off, n;
	int count = 0;

	if (len < ETH_HLEN_ + IP6_HLEN_ + 20 ||
	    be16_get(frame + 12) != 0x86dd || (ip[0] >> 4) != 6 ||
	    ip[6] != NH_TCP)
		return -EINVAL;
	plen = be16_get(ip + 4);
	thl = (size_t)(t[12] >> 4) * 4;
	if (plen > len - ETH_HLEN_ - IP6_HLEN_ || thl < 20 || thl > plen)
		return -EINVAL;
	if (pkt_csum(t, plen, pkt_pseudo_sum6(ip + 8, ip + 24, NH_TCP, plen)))
		return -EBADMSG;
	if (t[13] & (TCP_SYN | TCP_RST | TCP_URG))
		return -EOPNOTSUPP;
	if (mtu < IP6_HLEN_ + thl + 8 || cap < ETH_HLEN_ + mtu)
		return -EMSGSIZE;
	per = mtu - IP6_HLEN_ - thl;
	data = plen - thl;
	off = 0;
	do {
		n = data - off < per ? data - off : per;
		emit(arg, out, piece(out, frame, thl, off, n, off + n == data));
		count++;
		off += n;
	} while (off < data);
	return count;
}
