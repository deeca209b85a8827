/*
 * slirp_frag6.c - IPv6 fragments for the libslirp backend, which 4.7
 * neither reassembles nor fragments (see slirp_frames.h): the guest's
 * fragments are put back together here before the filter sees the whole
 * datagram, and libslirp's datagrams longer than the link's MTU are cut
 * into fragments on their way to the guest. Pure: no I/O, no libslirp.
 *
 * Reassembly (RFC 8200 4.5) keeps at most SLIRP_REASM6_SLOTS datagrams
 * at once, each in a 64 KiB buffer taken on first use, for at most
 * SLIRP_REASM6_MS; a new one past that replaces the oldest. Fragments
 * must follow the IPv6 header directly; a fragment that overlaps one
 * already held drops the whole datagram (RFC 5722), as does one that
 * would make it longer than 65535 bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "net/pkt.h"
#include "net/pkt6.h"
#include "net/slirp/slirp_frames.h"
#include "util/be.h"

#define IP6_HLEN_ 40
#define NH_FRAG 44
#define REASM6_MAX 65535
#define REASM6_BLOCKS (REASM6_MAX / 8 + 1)

static void slot_free(struct slirp_reasm6_slot *s)
{
	s->used = false;
	memset(s->have, 0, sizeof(s->have));
	s->total = 0;
}

/* blocks_clear() - none of the 8-byte blocks [@a, @b) is held yet. */
static bool blocks_clear(const uint8_t *have, size_t a, size_t b)
{
	size_t i;

	for (i = a; i < b; i++)
		if (have[i / 8] & (1u << (i % 8)))
			return false;
	return true;
}

static void blocks_set(uint8_t *have, size_t a, size_t b)
{
	size_t i;

	for (i = a; i < b; i++)
		have[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* slot_for() - the slot of (@src, @dst, @id), or a free / the oldest. */
static struct slirp_reasm6_slot *
slot_for(struct slirp_reasm6 *r, const uint8_t *ip, uint32_t id, uint64_t now)
{
	struct slirp_reasm6_slot *s, *pick = NULL;
	unsigned int i;

	for (i = 0; i < SLIRP_REASM6_SLOTS; i++) {
		s = &r->slot[i];
		if (s->used && now - s->ms >= SLIRP_REASM6_MS) {
			slot_free(s);
			r->expired++;
		}
		if (s->used && s->id == id && !memcmp(s->src, ip + 8, 16) &&
		    !memcmp(s->dst, ip + 24, 16))
			return s;
	}
	for (i = 0; i < SLIRP_REASM6_SLOTS; i++) {
		s = &r->slot[i];
		if (!s->used) {
			pick = s;
			break;
		}
		if (!pick || s->ms < pick->ms)
			pick = s;
	}
	if (pick->used) {
		slot_free(pick);
		r->expired++;
	}
	if (!pick->buf) {
		pick->buf = malloc(14 + IP6_HLEN_ + REASM6_MAX);
		if (!pick->buf)
			return NULL;
	}
	pick->used = true;
	pick->id = id;
	pick->ms = now;
	memcpy(pick->src, ip + 8, 16);
	memcpy(pick->dst, ip + 24, 16);
	return pick;
}

int slirp_reasm6_add(struct slirp_reasm6 *r, const uint8_t *frame, size_t len,
		     uint64_t now, const uint8_t **out)
{
	const uint8_t *ip = frame + 14, *fh = ip + IP6_HLEN_;
	struct slirp_reasm6_slot *s;
	size_t plen, dlen, off, end;
	bool more;

	if (len < 14 + IP6_HLEN_ + 8 || ip[6] != NH_FRAG)
		return -1;
	plen = be16_get(ip + 4);
	if (plen < 8 || plen > len - 14 - IP6_HLEN_)
		return -1;
	dlen = plen - 8;
	off = (size_t)(be16_get(fh + 2) & 0xfff8);
	more = fh[3] & 1;
	end = off + dlen;
	if ((more && (dlen == 0 || dlen % 8)) || end > REASM6_MAX)
		return -1;
	s = slot_for(r, ip, be32_get(fh + 4), now);
	if (!s)
		return -1;
	if (!blocks_clear(s->have, off / 8, (end + 7) / 8) ||
	    (s->total && (end > s->total || (!more && end != s->total))) ||
	    (!more && !blocks_clear(s->have, (end + 7) / 8, REASM6_BLOCKS))) {
		slot_free(s); /* overlapping or contradicting: all of it */
		return -1;
	}
	if (!more)
		s->total = end;
	if (off == 0) { /* the first: its headers start the datagram */
		memcpy(s->buf, frame, 14 + IP6_HLEN_);
		s->nh = fh[0];
	}
	memcpy(s->buf + 14 + IP6_HLEN_ + off, fh + 8, dlen);
	blocks_set(s->have, off / 8, (end + 7) / 8);
	if (!s->total)
		return 0;
	/* complete when every block below the total is in */
	for (off = 0; off < (s->total + 7) / 8; off++)
		if (!(s->have[off / 8] & (1u << (off % 8))))
			return 0;
	be16_put(s->buf + 14 + 4, (uint16_t)s->total);
	s->buf[14 + 6] = s->nh;
	s->used = false;
	memset(s->have, 0, sizeof(s->have));
	end = s->total;
	s->total = 0;
	*out = s->buf;
	return (int)(14 + IP6_HLEN_ + end);
}

void slirp_reasm6_free(struct slirp_reasm6 *r)
{
	unsigned int i;

	for (i = 0; i < SLIRP_REASM6_SLOTS; i++) {
		free(r->slot[i].buf);
		r->slot[i].buf = NULL;
		r->slot[i].used = false;
	}
}

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
