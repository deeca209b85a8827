/*
 * slirp_frag6.c - libslirp's IPv6 datagrams longer than the link's MTU cut
 * into fragments on their way to the guest (libslirp 4.7 does not
 * fragment IPv6; the guest's fragments are put back together by
 * slirp_reasm.c). Pure: no I/O, no libslirp.
 */
#include <string.h>

#include "net/pkt.h"
#include "net/pkt6.h"
#include "net/slirp/slirp_frames.h"
#include "util/be.h"

#define IP6_HLEN_ 40
#define NH_FRAG 44

int slirp_frag6_out(const uint8_t *frame, size_t len, size_t mtu, uint32_t id,
		    const uint8_t src_mac[6], slirp_emit_fn emit, void *arg)
{
	const uint8_t *ip = frame + 14;
	size_t plen, chunk, off;
	uint8_t hdr[14 + IP6_HLEN_ + 8];
	struct iovec iov[2];
	int n = 0;

	if (len < 14 + IP6_HLEN_ || mtu < 1280)
		return -1;
	plen = be16_get(ip + 4);
	if (plen != len - 14 - IP6_HLEN_)
		return -1;
	chunk = (mtu - IP6_HLEN_ - 8) & ~(size_t)7;
	for (off = 0; off < plen; off += chunk) {
		size_t d = plen - off < chunk ? plen - off : chunk;
		bool more = off + d < plen;

		memcpy(hdr, frame, 14 + IP6_HLEN_);
		memcpy(hdr + 6, src_mac, 6);
		be16_put(hdr + 14 + 4, (uint16_t)(d + 8));
		hdr[14 + 6] = NH_FRAG;
		hdr[14 + IP6_HLEN_] = ip[6];
		hdr[14 + IP6_HLEN_ + 1] = 0;
		be16_put(hdr + 14 + IP6_HLEN_ + 2, (uint16_t)(off | more));
		be32_put(hdr + 14 + IP6_HLEN_ + 4, id);
		iov[0].iov_base = hdr;
		iov[0].iov_len = sizeof(hdr);
		iov[1].iov_base = (void *)(ip + IP6_HLEN_ + off);
		iov[1].iov_len = d;
		emit(arg, iov, 2, sizeof(hdr) + d);
		n++;
	}
	return n;
}
