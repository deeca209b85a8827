/*
 * fuzz_vpnkit.c - libFuzzer target for vpnkit's handshake (net/vpnkit.h):
 * the input is fed in chunks whose sizes byte 0 picks; every step must
 * consume at most what it was given, reply only with a whole message
 * (the 49-byte echo, then the 258-byte reply with the MTU offered and a
 * unicast MAC), and never leave VPNKIT_DONE. A violation traps.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "net/vpnkit.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[VPNKIT_OUT_MAX], buf[512];
	size_t have = 0, pos = 1, step;
	struct vpnkit_hs hs;

	if (size < 1)
		return 0;
	step = (size_t)(data[0] % 60) + 1;
	vpnkit_hs_init(&hs, 1500, 7);
	while (pos < size) {
		size_t n = size - pos < step ? size - pos : step, ol = 99;
		enum vpnkit_state before = hs.state;
		long r;

		if (n > sizeof(buf) - have)
			n = sizeof(buf) - have;
		memcpy(buf + have, data + pos, n);
		have += n;
		pos += n;
		for (;;) {
			r = vpnkit_hs_step(&hs, buf, have, out, &ol);
			CHECK(r == -EPROTO || (r >= 0 && (size_t)r <= have));
			if (r <= 0)
				break;
			CHECK(before != VPNKIT_DONE);
			if (before == VPNKIT_WANT_INIT) {
				CHECK(r == VPNKIT_INIT_LEN && ol == (size_t)r);
				CHECK(!memcmp(out, buf, ol));
			} else {
				CHECK(r == VPNKIT_CMD_LEN);
				CHECK(ol == VPNKIT_REPLY_LEN && out[0] == 1);
				CHECK((out[1] | out[2] << 8) == 1500);
				CHECK(!(out[5] & 1));
				CHECK(strlen(hs.uuid) == 36);
			}
			memmove(buf, buf + r, have - (size_t)r);
			have -= (size_t)r;
			before = hs.state;
		}
		if (r < 0)
			return 0; /* closed */
		if (hs.state == VPNKIT_DONE)
			return 0; /* frames from here on */
		CHECK(ol == 0);
	}
	return 0;
}
