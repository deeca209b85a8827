/*
 * test_slirp_frag6.c - IPv6 fragments on the libslirp backend
 * (slirp_frag6.c): a datagram cut by slirp_frag6_out() at the MTU comes
 * back whole from slirp_reasm6_add() in any order; overlapping,
 * contradicting, oversized and malformed fragments drop their datagram;
 * a datagram left incomplete expires; interleaved datagrams stay apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/slirp/slirp_frames.h"

#define MAXF 64
static uint8_t frags[MAXF][1600];
static size_t flen[MAXF];
static int nfrags;

static void collect(void *arg, const struct iovec *iov, int iovcnt, size_t len)
{
	size_t off = 0;
	int i;

	(void)arg;
	assert_true(nfrags < MAXF && len <= sizeof(frags[0]));
	for (i = 0; i < iovcnt; i++) {
		memcpy(frags[nfrags] + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	assert_int_equal(off, len);
	flen[nfrags++] = len;
}

/* dgram() - an Ethernet + IPv6 + UDP-ish datagram of @plen bytes */
static size_t dgram(uint8_t *f, size_t plen, uint8_t fill)
{
	size_t i;

	memset(f, 0, 54);
	f[12] = 0x86;
	f[13] = 0xdd;
	f[14] = 0x60;
	f[14 + 4] = (uint8_t)(plen >> 8);
	f[14 + 5] = (uint8_t)plen;
	f[14 + 6] = 17;
	f[14 + 7] = 64;
	f[14 + 8] = 0xfd;
	f[14 + 23] = 2;
	f[14 + 24] = 0xfd;
	f[14 + 39] = 0xfe;
	for (i = 0; i < plen; i++)
		f[54 + i] = (uint8_t)(fill + i * 7);
	return 54 + plen;
}

static const uint8_t mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};

static void test_roundtrip(void **state)
{
	static uint8_t f[14 + 40 + 65535];
	struct slirp_reasm r;
	const uint8_t *out = NULL;
	size_t n = dgram(f, 4008, 3);
	int i, k;

	(void)state;
	memset(&r, 0, sizeof(r));
	nfrags = 0;
	assert_int_equal(slirp_frag6_out(f, n, 1500, 77, mac, collect, NULL),
			 3);
	for (i = 0; i < nfrags; i++) {
		assert_true(flen[i] <= 14 + 1500);
		assert_memory_equal(frags[i] + 6, mac, 6);
		assert_int_equal(frags[i][14 + 6], 44);
		assert_int_equal(frags[i][54], 17);
	}
	/* last first, then the first, then the middle */
	assert_int_equal(slirp_reasm6_add(&r, frags[2], flen[2], 10, &out), 0);
	assert_int_equal(slirp_reasm6_add(&r, frags[0], flen[0], 11, &out), 0);
	k = slirp_reasm6_add(&r, frags[1], flen[1], 12, &out);
	assert_int_equal(k, (int)n);
	assert_int_equal(out[14 + 6], 17);
	assert_memory_equal(out + 14, f + 14, 6);
	assert_memory_equal(out + 54, f + 54, 4008);
	/* the slot is free again: the same fragments make it once more */
	for (i = 0; i < nfrags - 1; i++)
		assert_int_equal(
			slirp_reasm6_add(&r, frags[i], flen[i], 20, &out), 0);
	assert_int_equal(slirp_reasm6_add(&r, frags[2], flen[2], 20, &out),
			 (int)n);
	slirp_reasm_free(&r);
}

static void test_refused(void **state)
{
	static uint8_t f[14 + 40 + 65535];
	struct slirp_reasm r;
	const uint8_t *out;
	uint8_t bad[1600];
	size_t n = dgram(f, 3000, 9);

	(void)state;
	memset(&r, 0, sizeof(r));
	nfrags = 0;
	assert_int_equal(slirp_frag6_out(f, n, 1280, 5, mac, collect, NULL), 3);
	/* overlap: the first twice drops the datagram */
	assert_int_equal(slirp_reasm6_add(&r, frags[0], flen[0], 1, &out), 0);
	assert_int_equal(slirp_reasm6_add(&r, frags[0], flen[0], 1, &out), -1);
	assert_int_equal(slirp_reasm6_add(&r, frags[1], flen[1], 1, &out), 0);
	assert_int_equal(slirp_reasm6_add(&r, frags[2], flen[2], 1, &out), 0);
	/* a middle fragment whose length is not a multiple of 8 */
	memcpy(bad, frags[1], flen[1]);
	bad[14 + 5]--;
	assert_int_equal(slirp_reasm6_add(&r, bad, flen[1] - 1, 1, &out), -1);
	/* past 65535 bytes */
	memcpy(bad, frags[2], flen[2]);
	bad[14 + 40 + 2] = 0xff;
	bad[14 + 40 + 3] = 0xf8;
	assert_int_equal(slirp_reasm6_add(&r, bad, flen[2], 1, &out), -1);
	/* truncated, a payload length past the frame, not a fragment */
	assert_int_equal(slirp_reasm6_add(&r, frags[0], 60, 1, &out), -1);
	assert_int_equal(slirp_reasm6_add(&r, frags[0], flen[0] - 1, 1, &out),
			 -1);
	assert_int_equal(slirp_reasm6_add(&r, f, n, 1, &out), -1);
	/* not a whole datagram, MTU below IPv6's minimum */
	assert_int_equal(slirp_frag6_out(f, n - 1, 1500, 1, mac, collect, NULL),
			 -1);
	assert_int_equal(slirp_frag6_out(f, n, 1000, 1, mac, collect, NULL),
			 -1);
	slirp_reasm_free(&r);
}

static void test_expiry_and_interleave(void **state)
{
	static uint8_t a[14 + 40 + 65535], b[14 + 40 + 65535];
	uint8_t fa[4][1600], fb[4][1600];
	size_t la[4], lb[4], na = dgram(a, 2500, 1), nb = dgram(b, 2500, 2);
	struct slirp_reasm r;
	const uint8_t *out;
	int i;

	(void)state;
	memset(&r, 0, sizeof(r));
	nfrags = 0;
	slirp_frag6_out(a, na, 1500, 1, mac, collect, NULL);
	slirp_frag6_out(b, nb, 1500, 2, mac, collect, NULL);
	assert_int_equal(nfrags, 4);
	for (i = 0; i < 2; i++) {
		memcpy(fa[i], frags[i], flen[i]);
		la[i] = flen[i];
		memcpy(fb[i], frags[2 + i], flen[2 + i]);
		lb[i] = flen[2 + i];
	}
	/* interleaved: each comes back whole, with its own bytes */
	assert_int_equal(slirp_reasm6_add(&r, fa[0], la[0], 0, &out), 0);
	assert_int_equal(slirp_reasm6_add(&r, fb[0], lb[0], 0, &out), 0);
	assert_int_equal(slirp_reasm6_add(&r, fa[1], la[1], 0, &out), (int)na);
	assert_memory_equal(out + 54, a + 54, 2500);
	assert_int_equal(slirp_reasm6_add(&r, fb[1], lb[1], 0, &out), (int)nb);
	assert_memory_equal(out + 54, b + 54, 2500);
	/* an incomplete one expires: its second half alone is not enough */
	assert_int_equal(slirp_reasm6_add(&r, fa[0], la[0], 100, &out), 0);
	assert_int_equal(
		slirp_reasm6_add(&r, fa[1], la[1], 100 + SLIRP_REASM_MS, &out),
		0);
	assert_true(r.expired >= 1);
	slirp_reasm_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_expiry_and_interleave),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
