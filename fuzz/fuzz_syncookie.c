/*
 * fuzz_syncookie.c - libFuzzer target for the SYN cookies of the
 * gateway's ports (net/lwip/syncookie.c): the MSS option parser over a
 * guest's TCP header, and the cookie made from what it found for a
 * connection taken from the input, which must check for that connection
 * (with that MSS) and not for its neighbour, in IPv4 and in IPv6; the
 * SYN-ACK built for it must carry that MSS back. A violation traps.
 *
 * Input: 12 bytes of connection (addresses, ports), 8 of time (ms), then
 * the TCP header and options; the IPv6 addresses are the input's first
 * 16 bytes and the 16 after its fourth.
 */
#include <stdint.h>
#include <string.h>

#include "net/lwip/syncookie.h"
#include "util/be.h"
#include "fuzz.h"

static void fuzz_one(struct syncookie_tuple *t, uint64_t now, uint16_t mss)
{
	uint8_t f[SYNCOOKIE_SYNACK6_LEN];
	uint16_t use, back;
	size_t n, hl = t->v6 ? 14 + 40 : 14 + 20;
	uint32_t isn;

	isn = syncookie_make(0x5eed, t, now, mss, &use);
	if (use > (mss ? mss : 536) && use != 536)
		__builtin_trap();
	back = syncookie_check(0x5eed, t, now, isn);
	if (back != use)
		__builtin_trap();
	if (now + SYNCOOKIE_SLOT_MS > now &&
	    syncookie_check(0x5eed, t, now + SYNCOOKIE_SLOT_MS, isn) != use)
		__builtin_trap();
	n = syncookie_build_synack(f, f, f, t, isn, 1, use);
	if (n != hl + 24 || syncookie_syn_mss(f + hl, 24) != use ||
	    be32_get(f + hl + 4) != isn)
		__builtin_trap();
	t->sport ^= 1;
	(void)syncookie_check(0x5eed, t, now, isn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct syncookie_tuple t;
	uint64_t now;
	uint16_t mss;

	if (size < 20)
		return 0;
	memset(&t, 0, sizeof(t));
	t.saddr = be32_get(data);
	t.daddr = be32_get(data + 4);
	t.sport = be16_get(data + 8);
	t.dport = be16_get(data + 10);
	now = (uint64_t)be32_get(data + 12) << 32 | be32_get(data + 16);
	mss = syncookie_syn_mss(data + 20, size - 20);
	fuzz_one(&t, now, mss);
	t.sport ^= 1; /* back to the input's */
	t.v6 = true;
	memcpy(t.saddr6, data, 16);
	memcpy(t.daddr6, data + 4, 16);
	fuzz_one(&t, now, mss);
	return 0;
}
