/*
 * fuzz_ooo.c - libFuzzer target for the libslirp backend's budget of
 * out-of-order TCP segments (net/slirp/slirp_ooo.c). The input is a
 * sequence of records, each a frame from the guest (to slirp_ooo_admit)
 * or from libslirp (to slirp_ooo_to_guest):
 *
 *   byte 0: bit 0 from libslirp, bit 1 IPv6, bit 2 a raw frame
 *   raw: 2 bytes of length, then that many bytes of frame
 *   else: 1 byte port (of 4 guest ports and 4 guest addresses), 4 bytes
 *         sequence, 4 bytes acknowledgement, 1 byte flags, 2 bytes data
 *         length (at most 1460)
 *
 * What is counted must add up: no connection past SLIRP_OOO_CONN, all of
 * them past SLIRP_OOO_ALL, and the global count the sum of the
 * connections'. The table is small (4 sets), so that sets fill up. A
 * violation traps.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "net/slirp/slirp_ooo.h"
#include "util/be.h"
#include "fuzz.h"

static uint8_t frame[14 + 40 + 20 + 1460];

static size_t build(bool to_guest, bool v6, const uint8_t *r)
{
	uint8_t *ip = frame + 14, *t;
	size_t ihl = v6 ? 40 : 20, n = be16_get(r + 10) % 1461;
	uint16_t gport = (uint16_t)(40000 + (r[0] & 3));
	uint8_t g = (uint8_t)(2 + ((r[0] >> 2) & 3));

	memset(frame, 0, 14 + ihl + 20);
	t = ip + ihl;
	if (v6) {
		be16_put(frame + 12, 0x86dd);
		ip[0] = 0x60;
		be16_put(ip + 4, (uint16_t)(20 + n));
		ip[6] = 6;
		ip[8] = ip[24] = 0xfd;
		ip[23] = to_guest ? 0xfe : g;
		ip[39] = to_guest ? g : 0xfe;
	} else {
		be16_put(frame + 12, 0x0800);
		ip[0] = 0x45;
		be16_put(ip + 2, (uint16_t)(40 + n));
		ip[9] = 6;
		be32_put(ip + 12, to_guest ? 0xc0a87ffe : 0xc0a87f00u | g);
		be32_put(ip + 16, to_guest ? 0xc0a87f00u | g : 0xc0a87ffe);
	}
	be16_put(t, to_guest ? 80 : gport);
	be16_put(t + 2, to_guest ? gport : 80);
	memcpy(t + 4, r + 1, 8);
	t[12] = 5 << 4;
	t[13] = r[9];
	memset(t + 20, 'x', n);
	return 14 + ihl + 20 + n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct slirp_ooo o;
	const uint8_t *p = data, *end = data + size, *f;
	size_t len, sum = 0, i;
	int records = 0;

	if (slirp_ooo_init(&o, 14 + 1500, 4, 7) < 0)
		return 0;
	while (p < end && records++ < 4096) {
		bool to_guest = p[0] & 1, v6 = p[0] & 2, raw = p[0] & 4;

		p++;
		if (raw) {
			if (!fuzz_take_frame(&p, end, &f, &len))
				break;
		} else {
			if (end - p < 12)
				break;
			len = build(to_guest, v6, p);
			f = frame;
			p += 12;
		}
		if (to_guest)
			slirp_ooo_to_guest(&o, f, len);
		else
			slirp_ooo_admit(&o, f, len);
		CHECK(o.bytes <= SLIRP_OOO_ALL);
	}
	for (i = 0; i < (size_t)o.sets * SLIRP_OOO_WAYS; i++) {
		CHECK(o.tab[i].bytes <= SLIRP_OOO_CONN);
		CHECK(o.tab[i].used || !o.tab[i].bytes);
		sum += o.tab[i].bytes;
	}
	CHECK(sum == o.bytes);
	slirp_ooo_free(&o);
	return 0;
}
