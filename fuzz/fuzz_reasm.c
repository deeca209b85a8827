/*
 * fuzz_reasm.c - libFuzzer target for the libslirp backend's reassembly of
 * the guest's IPv4 and IPv6 fragments (net/slirp/slirp_reasm.c). The input
 * is a sequence of records, each one fragment handed to the IPv4 or IPv6
 * table, with a clock that moves forward:
 *
 *   byte 0: bit 0 the family (IPv6 if set), bit 1 a raw frame, bits 2-7
 *           the milliseconds to advance (times 100)
 *   raw: 2 bytes of length, then that many bytes of frame
 *   else: 1 byte id, 2 bytes offset (in 8-byte units), 1 byte data length
 *         (in 8-byte units), 1 byte flags (bit 0 more, bit 1 DF, bits 2-5
 *         IPv4 options in 4-byte words, bit 6 protocol 6 instead of 17),
 *         the data taken from the input's tail
 *
 * A datagram that comes back whole must be well-formed: IPv4 with a valid
 * header checksum, its total length the frame's, neither MF nor an offset;
 * IPv6 with its payload length the frame's and no fragment header first;
 * never longer than 65535 bytes of IP. A violation traps.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "net/pkt.h"
#include "net/slirp/slirp_frames.h"
#include "util/be.h"
#include "fuzz.h"

static uint8_t frame[14 + 60 + 8 + 255 * 8];

/* build() - a structured fragment from the 5 bytes at @r: its length */
static size_t build(bool v6, const uint8_t *r, const uint8_t *fill,
		    size_t nfill)
{
	size_t off = (size_t)be16_get(r + 1) * 8, dlen = (size_t)r[3] * 8;
	size_t ihl = v6 ? 40 : 20 + (size_t)((r[4] >> 2) & 15) * 4, hdr, i;
	bool more = r[4] & 1;
	uint8_t *ip = frame + 14;

	if (!v6 && ihl > 60)
		ihl = 60;
	hdr = 14 + ihl + (v6 ? 8 : 0);
	memset(frame, 0, hdr);
	for (i = 0; i < dlen; i++)
		frame[hdr + i] = nfill ? fill[i % nfill] : (uint8_t)i;
	if (v6) {
		be16_put(frame + 12, 0x86dd);
		ip[0] = 0x60;
		be16_put(ip + 4, (uint16_t)(8 + dlen));
		ip[6] = 44;
		ip[7] = 64;
		ip[8] = 0xfd;
		ip[23] = 2;
		ip[24] = 0xfd;
		ip[39] = 0xfe;
		ip[40] = r[4] & 0x40 ? 6 : 17;
		be16_put(ip + 42, (uint16_t)((off & 0xfff8) | more));
		be32_put(ip + 44, r[0]);
	} else {
		be16_put(frame + 12, 0x0800);
		ip[0] = (uint8_t)(0x40 | ihl / 4);
		be16_put(ip + 2, (uint16_t)(ihl + dlen));
		be16_put(ip + 4, r[0]);
		be16_put(ip + 6, (uint16_t)((r[4] & 2 ? 0x4000 : 0) |
					    (more ? 0x2000 : 0) |
					    ((off / 8) & 0x1fff)));
		ip[8] = 64;
		ip[9] = r[4] & 0x40 ? 6 : 17;
		be32_put(ip + 12, 0xc0a87f02);
		be32_put(ip + 16, 0xc0a87ffe);
		memset(ip + 20, 1, ihl - 20);
		be16_put(ip + 10, pkt_csum(ip, ihl, 0));
	}
	return hdr + dlen;
}

static void check_whole(bool v6, const uint8_t *w, int n)
{
	const uint8_t *ip = w + 14;
	size_t ihl;

	CHECK(n >= 14 + 20 && n <= 14 + 65535);
	if (v6) {
		CHECK(n >= 14 + 40 && be16_get(w + 12) == 0x86dd);
		CHECK((size_t)be16_get(ip + 4) == (size_t)n - 54);
		return;
	}
	ihl = (size_t)(ip[0] & 15) * 4;
	CHECK(be16_get(w + 12) == 0x0800 && ihl >= 20);
	CHECK((size_t)be16_get(ip + 2) == (size_t)n - 14);
	CHECK((be16_get(ip + 6) & 0x3fff) == 0);
	CHECK(pkt_csum(ip, ihl, 0) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slirp_reasm r4, r6;
	const uint8_t *p = data, *end = data + size, *w;
	uint64_t now = 0;
	int records = 0;

	memset(&r4, 0, sizeof(r4));
	memset(&r6, 0, sizeof(r6));
	while (p < end && records++ < 256) {
		bool v6 = p[0] & 1, raw = p[0] & 2;
		const uint8_t *f;
		size_t len;
		int n;

		now += (uint64_t)(p[0] >> 2) * 100;
		p++;
		if (raw) {
			if (!fuzz_take_frame(&p, end, &f, &len))
				break;
		} else {
			if (end - p < 5)
				break;
			len = build(v6, p, p + 5, (size_t)(end - p) - 5);
			p += 5;
			f = frame;
		}
		n = v6 ? slirp_reasm6_add(&r6, f, len, now, &w)
		       : slirp_reasm4_add(&r4, f, len, now, &w);
		CHECK(n >= -1);
		if (n > 0)
			check_whole(v6, w, n);
	}
	slirp_reasm_free(&r4);
	slirp_reasm_free(&r6);
	return 0;
}
