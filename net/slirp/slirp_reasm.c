/*
 * slirp_reasm.c - the guest's IP fragments put back together for the
 * libslirp backend, so that libslirp and the backend's filter only ever
 * see whole datagrams. IPv6: libslirp 4.7 does not reassemble it. IPv4:
 * libslirp would, but keeps every incomplete datagram for 30 s with no
 * bound (50000 first fragments from a guest made the daemon 66 MB larger),
 * and a datagram in fragments would pass the filter's TCP and UDP checks
 * (SYN hold and budgets), which need whole headers. Pure: no I/O, no
 * libslirp.
 *
 * Each family keeps at most SLIRP_REASM_SLOTS datagrams at once, each in a
 * 64 KiB buffer taken on first use, for at most SLIRP_REASM_MS; a new one
 * past that replaces the oldest. A datagram is keyed by its addresses and
 * identification (and protocol, IPv4). A fragment that overlaps one
 * already held drops the whole datagram (RFC 5722, and RFC 791's
 * reassemblers may), as does one that would make it longer than 65535
 * bytes. IPv6 fragments must follow the IPv6 header directly. The whole
 * datagram takes its headers from the fragment at offset 0.
 */
#include <stdlib.h>
#include <string.h>

#include "net/pkt.h"
#include "net/slirp/slirp_frames.h"
#include "util/be.h"

#define ETH_HLEN_ 14
#define IP6_HLEN_ 40
#define HMAX 60 /* the longest IP header: IPv4 with options */
#define DATA_AT (ETH_HLEN_ + HMAX) /* where the data goes in a buffer */
#define NH_FRAG 44
#define REASM_MAX 65535
#define REASM_BLOCKS (REASM_MAX / 8 + 1)

static void slot_free(struct slirp_reasm_slot *s)
{
	s->used = false;
	memset(s->have, 0, sizeof(s->have));
	s->total = 0;
	s->hlen = 0;
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
static struct slirp_reasm_slot *slot_for(struct slirp_reasm *r,
					 const uint8_t src[16],
					 const uint8_t dst[16], uint32_t id,
					 uint64_t now)
{
	struct slirp_reasm_slot *s, *pick = NULL;
	unsigned int i;

	for (i = 0; i < SLIRP_REASM_SLOTS; i++) {
		s = &r->slot[i];
		if (s->used && now - s->ms >= SLIRP_REASM_MS) {
			slot_free(s);
			r->expired++;
		}
		if (s->used && s->id == id && !memcmp(s->src, src, 16) &&
		    !memcmp(s->dst, dst, 16))
			return s;
	}
	for (i = 0; i < SLIRP_REASM_SLOTS; i++) {
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
		pick->buf = malloc(DATA_AT + REASM_MAX);
		if (!pick->buf)
			return NULL;
	}
	pick->used = true;
	pick->id = id;
	pick->ms = now;
	memcpy(pick->src, src, 16);
	memcpy(pick->dst, dst, 16);
	return pick;
}

/*
 * put() - the data [@off, @off + @dlen) of @s's datagram from @frame (its
 * IP header @hlen bytes; @more: not the last fragment): the data's whole
 * length once every part is in, 0 while parts are missing, -1 when the
 * datagram is dropped
 */
static int put(struct slirp_reasm_slot *s, const uint8_t *frame, size_t hlen,
	       const uint8_t *data, size_t dlen, size_t off, bool more)
{
	size_t end = off + dlen, b;

	if (!blocks_clear(s->have, off / 8, (end + 7) / 8) ||
	    (s->total && (end > s->total || (!more && end != s->total))) ||
	    (!more && !blocks_clear(s->have, (end + 7) / 8, REASM_BLOCKS))) {
		slot_free(s); /* overlapping or contradicting: all of it */
		return -1;
	}
	if (!more)
		s->total = end;
	if (off == 0) { /* the first: its headers start the datagram */
		memcpy(s->buf + DATA_AT - hlen - ETH_HLEN_, frame,
		       ETH_HLEN_ + hlen);
		s->hlen = (uint8_t)hlen;
	}
	memcpy(s->buf + DATA_AT + off, data, dlen);
	blocks_set(s->have, off / 8, (end + 7) / 8);
	if (!s->total)
		return 0;
	/* complete when every block below the total is in */
	for (b = 0; b < (s->total + 7) / 8; b++)
		if (!(s->have[b / 8] & (1u << (b % 8))))
			return 0;
	end = s->total;
	s->used = false;
	memset(s->have, 0, sizeof(s->have));
	s->total = 0;
	return (int)end;
}

int slirp_reasm6_add(struct slirp_reasm *r, const uint8_t *frame, size_t len,
		     uint64_t now, const uint8_t **out)
{
	const uint8_t *ip = frame + ETH_HLEN_, *fh = ip + IP6_HLEN_;
	struct slirp_reasm_slot *s;
	size_t plen, dlen, off;
	uint8_t *f;
	bool more;
	int n;

	if (len < ETH_HLEN_ + IP6_HLEN_ + 8 || be16_get(frame + 12) != 0x86dd ||
	    ip[6] != NH_FRAG)
		return -1;
	plen = be16_get(ip + 4);
	if (plen < 8 || plen > len - ETH_HLEN_ - IP6_HLEN_)
		return -1;
	dlen = plen - 8;
	off = (size_t)(be16_get(fh + 2) & 0xfff8);
	more = fh[3] & 1;
	if ((more && (dlen == 0 || dlen % 8)) || off + dlen > REASM_MAX)
		return -1;
	s = slot_for(r, ip + 8, ip + 24, be32_get(fh + 4), now);
	if (!s)
		return -1;
	if (off == 0)
		s->nh = fh[0];
	n = put(s, frame, IP6_HLEN_, fh + 8, dlen, off, more);
	if (n <= 0)
		return n;
	f = s->buf + DATA_AT - IP6_HLEN_ - ETH_HLEN_;
	be16_put(f + ETH_HLEN_ + 4, (uint16_t)n);
	f[ETH_HLEN_ + 6] = s->nh;
	*out = f;
	return ETH_HLEN_ + IP6_HLEN_ + n;
}

int slirp_reasm4_add(struct slirp_reasm *r, const uint8_t *frame, size_t len,
		     uint64_t now, const uint8_t **out)
{
	const uint8_t *ip = frame + ETH_HLEN_;
	uint8_t src[16] = {0}, dst[16] = {0};
	struct slirp_reasm_slot *s;
	size_t ihl, tot, dlen, off;
	uint16_t fo;
	uint8_t *f;
	bool more;
	int n;

	if (len < ETH_HLEN_ + 20 || be16_get(frame + 12) != 0x0800 ||
	    (ip[0] >> 4) != 4)
		return -1;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = be16_get(ip + 2);
	if (ihl < 20 || tot < ihl || tot > len - ETH_HLEN_)
		return -1;
	fo = be16_get(ip + 6);
	off = (size_t)(fo & 0x1fff) * 8;
	more = fo & 0x2000;
	dlen = tot - ihl;
	if ((more && (dlen == 0 || dlen % 8)) || off + dlen + 20 > REASM_MAX)
		return -1;
	memcpy(src + 12, ip + 12, 4);
	memcpy(dst + 12, ip + 16, 4);
	s = slot_for(r, src, dst, (uint32_t)ip[9] << 16 | be16_get(ip + 4),
		     now);
	if (!s)
		return -1;
	n = put(s, frame, ihl, ip + ihl, dlen, off, more);
	if (n <= 0)
		return n;
	ihl = s->hlen;
	if (ihl + (size_t)n > REASM_MAX)
		return -1; /* (the first fragment's options made it too long) */
	f = s->buf + DATA_AT - ihl - ETH_HLEN_;
	be16_put(f + ETH_HLEN_ + 2, (uint16_t)(ihl + (size_t)n));
	be16_put(f + ETH_HLEN_ + 6, fo & 0x4000); /* DF kept, MF and offset 0 */
	be16_put(f + ETH_HLEN_ + 10, 0);
	be16_put(f + ETH_HLEN_ + 10, pkt_csum(f + ETH_HLEN_, ihl, 0));
	*out = f;
	return (int)(ETH_HLEN_ + ihl) + n;
}

void slirp_reasm_free(struct slirp_reasm *r)
{
	unsigned int i;

	for (i = 0; i < SLIRP_REASM_SLOTS; i++) {
		free(r->slot[i].buf);
		r->slot[i].buf = NULL;
		r->slot[i].used = false;
	}
}
