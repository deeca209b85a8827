/*
 * fuzz_syncookie.c - libFuzzer target for the SYN cookies of the
 * gateway's ports (net/lwip/syncookie.c): the MSS option parser over a
 * guest's TCP header, and the cookie made from what it found for a
 * connection taken from the input, which must check for that connection
 * (with that MSS) and not for its neighbour. A violation traps.
 *
 * Input: 12 bytes of connection (addresses, ports), 8 of time (ms), then
 * the TCP header and options.
 */
#include <stdint.h>
#include <string.h>

#include "net/lwip/syncookie.h"
#include "util/be.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct syncookie_tuple t;
	uint16_t mss, use, back;
	uint64_t now;
	uint32_t isn;

	if (size < 20)
		return 0;
	t.saddr = be32_get(data);
	t.daddr = be32_get(data + 4);
	t.sport = be16_get(data + 8);
	t.dport = be16_get(data + 10);
	now = (uint64_t)be32_get(data + 12) << 32 | be32_get(data + 16);
	mss = syncookie_syn_mss(data + 20, size - 20);
	isn = syncookie_make(0x5eed, &t, now, mss, &use);
	if (use > (mss ? mss : 536) && use != 536)
		__builtin_trap();
	back = syncookie_check(0x5eed, &t, now, isn);
	if (back != use)
		__builtin_trap();
	if (now + SYNCOOKIE_SLOT_MS > now &&
	    syncookie_check(0x5eed, &t, now + SYNCOOKIE_SLOT_MS, isn) != use)
		__builtin_trap();
	t.sport ^= 1;
	(void)syncookie_check(0x5eed, &t, now, isn);
	return 0;
}
