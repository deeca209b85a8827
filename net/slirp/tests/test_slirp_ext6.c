/*
 * test_slirp_ext6.c - the guest's IPv6 extension headers taken off for
 * libslirp (slirp_ext6.c): hop-by-hop, destination options and a routing
 * header without segments left go, in a chain too, and the rest of the
 * packet is intact with its next header and length set; an option that
 * must be understood, segments left, hop-by-hop options not first, a
 * jumbogram and headers past the payload are refused; a packet without
 * them is left alone.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/pkt6.h"
#include "net/slirp/slirp_frames.h"

static uint8_t f[2048], out[2048];

/* pkt() - Ethernet + IPv6 with next header @nh and @ext (@el bytes of
 * extension headers) then a 12-byte UDP datagram; the frame's length */
static size_t pkt(uint8_t nh, const uint8_t *ext, size_t el)
{
	size_t plen = el + 12, i;

	memset(f, 0, sizeof(f));
	f[12] = 0x86;
	f[13] = 0xdd;
	f[14] = 0x60;
	f[14 + 4] = (uint8_t)(plen >> 8);
	f[14 + 5] = (uint8_t)plen;
	f[14 + 6] = nh;
	f[14 + 7] = 64;
	f[14 + 8] = 0xfd;
	f[14 + 39] = 0xfe;
	if (el)
		memcpy(f + 54, ext, el);
	for (i = 0; i < 12; i++)
		f[54 + el + i] = (uint8_t)(0xa0 + i);
	return 54 + plen;
}

static void assert_udp_left(int n)
{
	size_t i;

	assert_int_equal(n, 54 + 12);
	assert_int_equal(out[14 + 6], 17);
	assert_int_equal(out[14 + 4] << 8 | out[14 + 5], 12);
	assert_memory_equal(out, f, 14 + 4); /* MACs, version, flow label */
	assert_memory_equal(out + 14 + 7, f + 14 + 7,
			    33); /* hop limit, addrs */
	for (i = 0; i < 12; i++)
		assert_int_equal(out[54 + i], 0xa0 + i);
}

static void test_hopopts_padn(void **state)
{
	/* next UDP, length 0 (8 bytes), PadN of 4 */
	static const uint8_t hbh[8] = {17, 0, 1, 4, 0, 0, 0, 0};
	size_t len = pkt(0, hbh, sizeof(hbh));

	(void)state;
	assert_true(pkt6_ext_is(0));
	assert_true(pkt6_ext_is(43));
	assert_true(pkt6_ext_is(60));
	assert_false(pkt6_ext_is(44));
	assert_false(pkt6_ext_is(17));
	assert_udp_left(slirp_ext6_strip(f, len, out, sizeof(out)));
	/* Ethernet padding past the payload is left off */
	assert_udp_left(slirp_ext6_strip(f, len + 20, out, sizeof(out)));
}

static void test_chain(void **state)
{
	/* hop-by-hop (router alert, Pad1 x2), routing (type 2, none left),
	 * destination options (PadN 4) of 16 bytes, then UDP */
	static const uint8_t ext[] = {
		43, 0, 5, 2,  0, 0, 0, 0, /* HBH: router alert */
		60, 0, 2, 0,  0, 0, 0, 0, /* routing type 2, segments left 0 */
		17, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* dst */
	};
	size_t len = pkt(0, ext, sizeof(ext));

	(void)state;
	assert_udp_left(slirp_ext6_strip(f, len, out, sizeof(out)));
}

static void test_stops_at_fragment(void **state)
{
	/* destination options, then a fragment header: it stays first */
	static const uint8_t ext[] = {44, 0, 1, 4, 0, 0, 0, 0,
				      17, 0, 0, 1, 0, 0, 0, 7};
	size_t len = pkt(60, ext, sizeof(ext));
	int n;

	(void)state;
	n = slirp_ext6_strip(f, len, out, sizeof(out));
	assert_int_equal(n, 54 + 8 + 12);
	assert_int_equal(out[14 + 6], 44);
	assert_memory_equal(out + 54, ext + 8, 8);
}

static void test_refused(void **state)
{
	static const uint8_t must[8] = {17, 0, 0x42, 4, 0, 0, 0, 0};
	static const uint8_t jumbo[8] = {17, 0, 0xc2, 4, 0, 1, 0, 0};
	static const uint8_t left[8] = {17, 0, 0, 1, 0, 0, 0, 0};
	static const uint8_t hbh2[16] = {0,  0, 1, 4, 0, 0, 0, 0,
					 17, 0, 1, 4, 0, 0, 0, 0};
	static const uint8_t long_hdr[8] = {17, 4, 1, 4, 0, 0, 0, 0};
	static const uint8_t opt_past[8] = {17, 0, 1, 9, 0, 0, 0, 0};
	size_t len;

	(void)state;
	len = pkt(60, must, sizeof(must));
	assert_int_equal(slirp_ext6_strip(f, len, out, sizeof(out)),
			 -EOPNOTSUPP);
	len = pkt(0, jumbo, sizeof(jumbo));
	assert_int_equal(slirp_ext6_strip(f, len, out, sizeof(out)),
			 -EOPNOTSUPP);
	f[14 + 4] = f[14 + 5] = 0; /* and a payload length of 0 */
	assert_int_equal(slirp_ext6_strip(f, len, out, sizeof(out)), -EINVAL);
	len = pkt(43, left, sizeof(left));
	assert_int_equal(slirp_ext6_strip(f, len, out, sizeof(out)),
			 -EOPNOTSUPP);
	len = pkt(60, hbh2, sizeof(hbh2)); /* hop-by-hop after another */
	assert_int_equal(slirp_ext6_strip(f, len, out, sizeof(out)), -EINVAL);
	len = pkt(60, long_hdr, sizeof(long_hdr)); /* 40 bytes claimed */
	assert_int_equal(slirp_ext6_strip(f, len, out, sizeof(out)), -EINVAL);
	len = pkt(60, opt_past, sizeof(opt_past)); /* option past its header */
	assert_int_equal(slirp_ext6_strip(f, len, out, sizeof(out)), -EINVAL);
	len = pkt(60, must, sizeof(must));
	f[14 + 5] += 30; /* payload length past the frame */
	assert_int_equal(slirp_ext6_strip(f, len, out, sizeof(out)), -EINVAL);
	assert_int_equal(slirp_ext6_strip(f, 50, out, sizeof(out)), -EINVAL);
	len = pkt(60, opt_past, 0); /* a header cut short */
	assert_int_equal(slirp_ext6_strip(f, len, out, sizeof(out)), -EINVAL);
	len = pkt(0, (const uint8_t[8]){17, 0, 1, 4}, 8);
	assert_int_equal(slirp_ext6_strip(f, len, out, 60), -ENOSPC);
}

static void test_none(void **state)
{
	size_t len = pkt(17, NULL, 0);

	(void)state;
	assert_int_equal(slirp_ext6_strip(f, len, out, sizeof(out)), 0);
	f[14] = 0x45; /* not IPv6 */
	assert_int_equal(slirp_ext6_strip(f, len, out, sizeof(out)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hopopts_padn),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_stops_at_fragment),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
