/*
 * test_slirp_reasm4.c - the guest's IPv4 fragments put back together for
 * the libslirp backend (slirp_reasm4_add() in slirp_reasm.c): a datagram
 * comes back whole in any order, with the first fragment's header and
 * options, its total length, no MF nor offset, DF as it was and a valid
 * header checksum; datagrams that differ only in protocol or
 * identification stay apart; overlapping, contradicting, oversized and
 * malformed fragments drop their datagram; one left incomplete expires,
 * and no more than SLIRP_REASM_SLOTS are kept at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/pkt.h"
#include "net/slirp/slirp_frames.h"
#include "util/be.h"

static uint8_t frame[14 + 60 + 2000];
static uint8_t data[65536];

/*
 * frag() - a fragment of datagram @id (protocol @proto, header @ihl bytes)
 * holding data [@off, @off + @n) of data[], MF per @more, DF per @df
 */
static size_t frag(uint16_t id, uint8_t proto, size_t ihl, size_t off, size_t n,
		   bool more, bool df)
{
	uint8_t *ip = frame + 14;
	size_t i;

	memset(frame, 0, 14 + ihl);
	be16_put(frame + 12, 0x0800);
	ip[0] = (uint8_t)(0x40 | ihl / 4);
	be16_put(ip + 2, (uint16_t)(ihl + n));
	be16_put(ip + 4, id);
	be16_put(ip + 6,
		 (uint16_t)((df ? 0x4000 : 0) | (more ? 0x2000 : 0) | off / 8));
	ip[8] = 64;
	ip[9] = proto;
	be32_put(ip + 12, 0xc0a87f02);
	be32_put(ip + 16, 0xc0a87ffe);
	for (i = 20; i < ihl; i++)
		ip[i] = 1; /* NOP options */
	be16_put(ip + 10, pkt_csum(ip, ihl, 0));
	memcpy(ip + ihl, data + off, n);
	return 14 + ihl + n;
}

static void fill(void)
{
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + i / 251);
}

/* whole_ok() - @w (@n bytes) is the datagram of @len data, header @ihl */
static void whole_ok(const uint8_t *w, int n, size_t len, size_t ihl, bool df)
{
	const uint8_t *ip = w + 14;

	assert_int_equal(n, (int)(14 + ihl + len));
	assert_int_equal((ip[0] & 15) * 4, (int)ihl);
	assert_int_equal(be16_get(ip + 2), ihl + len);
	assert_int_equal(be16_get(ip + 6), df ? 0x4000 : 0);
	assert_int_equal(pkt_csum(ip, ihl, 0), 0);
	assert_int_equal(be16_get(w + 12), 0x0800);
	assert_memory_equal(ip + ihl, data, len);
}

static void test_in_any_order(void **state)
{
	struct slirp_reasm r;
	const uint8_t *w = NULL;
	size_t n;
	int k;

	(void)state;
	fill();
	memset(&r, 0, sizeof(r));
	/* last, first (with 8 bytes of options), middle */
	n = frag(7, 17, 20, 2960, 100, false, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), 0);
	n = frag(7, 17, 28, 0, 1480, true, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 1, &w), 0);
	n = frag(7, 17, 20, 1480, 1480, true, false);
	k = slirp_reasm4_add(&r, frame, n, 2, &w);
	whole_ok(w, k, 3060, 28, false);
	/* the slot is free again: the same again, with DF */
	n = frag(7, 17, 20, 0, 1480, true, true);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 3, &w), 0);
	n = frag(7, 17, 20, 1480, 520, false, true);
	k = slirp_reasm4_add(&r, frame, n, 3, &w);
	whole_ok(w, k, 2000, 20, true);
	slirp_reasm_free(&r);
}

static void test_apart_by_proto_and_id(void **state)
{
	struct slirp_reasm r;
	const uint8_t *w = NULL;
	size_t n;
	int k;

	(void)state;
	fill();
	memset(&r, 0, sizeof(r));
	n = frag(9, 17, 20, 0, 1000, true, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), 0);
	n = frag(9, 6, 20, 0, 1000, true, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), 0);
	n = frag(10, 17, 20, 1000, 8, false, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), 0);
	n = frag(9, 6, 20, 1000, 24, false, false);
	k = slirp_reasm4_add(&r, frame, n, 0, &w);
	whole_ok(w, k, 1024, 20, false);
	assert_int_equal(w[14 + 9], 6);
	n = frag(9, 17, 20, 1000, 16, false, false);
	k = slirp_reasm4_add(&r, frame, n, 0, &w);
	whole_ok(w, k, 1016, 20, false);
	assert_int_equal(w[14 + 9], 17);
	slirp_reasm_free(&r);
}

static void test_refused(void **state)
{
	struct slirp_reasm r;
	const uint8_t *w = NULL;
	size_t n;

	(void)state;
	fill();
	memset(&r, 0, sizeof(r));
	/* overlapping: the datagram goes, the rest then never completes */
	n = frag(1, 17, 20, 0, 1000, true, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), 0);
	n = frag(1, 17, 20, 992, 16, false, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), -1);
	n = frag(1, 17, 20, 1000, 16, false, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), 0);
	/* two different ends */
	n = frag(2, 17, 20, 1000, 16, false, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), 0);
	n = frag(2, 17, 20, 2000, 16, false, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), -1);
	/* data past the end already known */
	n = frag(3, 17, 20, 1000, 16, false, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), 0);
	n = frag(3, 17, 20, 1008, 16, true, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), -1);
	/* a non-last fragment not a multiple of 8, or empty */
	n = frag(4, 17, 20, 0, 1001, true, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), -1);
	n = frag(4, 17, 20, 0, 0, true, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), -1);
	/* over 65535 bytes in all */
	n = frag(5, 17, 20, 65528, 8, false, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), -1);
	/* within 65535 only without the first fragment's 40 bytes of options */
	n = frag(6, 17, 20, 65480, 8, false, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), 0);
	/* malformed: short, not IPv4, header or total length wrong */
	n = frag(8, 17, 20, 0, 8, true, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, 14 + 19, 0, &w), -1);
	frame[14] = 0x65;
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), -1);
	frame[14] = 0x44;
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), -1);
	frame[14] = 0x45;
	assert_int_equal(slirp_reasm4_add(&r, frame, n - 1, 0, &w), -1);
	be16_put(frame + 16, 19);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), -1);
	slirp_reasm_free(&r);
}

static void test_options_too_long(void **state)
{
	struct slirp_reasm r;
	const uint8_t *w = NULL;
	size_t n, off;

	(void)state;
	fill();
	memset(&r, 0, sizeof(r));
	/* data of 65480 + 8 = 65488 bytes, with a 60-byte first header */
	n = frag(6, 17, 60, 0, 1480, true, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), 0);
	for (off = 1480; off < 65480; off += 1480) {
		size_t d = 65480 - off < 1480 ? 65480 - off : 1480;

		n = frag(6, 17, 20, off, d, true, false);
		assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), 0);
	}
	n = frag(6, 17, 20, 65480, 8, false, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), -1);
	slirp_reasm_free(&r);
}

static void test_expiry_and_bound(void **state)
{
	struct slirp_reasm r;
	const uint8_t *w = NULL;
	size_t n;
	uint16_t id;
	int k;

	(void)state;
	fill();
	memset(&r, 0, sizeof(r));
	n = frag(1, 17, 20, 0, 8, true, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, 0, &w), 0);
	/* too late: the first part expired, this one starts over */
	n = frag(1, 17, 20, 8, 8, false, false);
	assert_int_equal(slirp_reasm4_add(&r, frame, n, SLIRP_REASM_MS, &w), 0);
	assert_int_equal(r.expired, 1);
	/* a flood of first fragments: only the newest few are kept */
	for (id = 100; id < 100 + 1000; id++) {
		n = frag(id, 17, 20, 0, 8, true, false);
		assert_int_equal(
			slirp_reasm4_add(&r, frame, n, SLIRP_REASM_MS + id, &w),
			0);
	}
	for (k = 0; k < SLIRP_REASM_SLOTS; k++)
		assert_true(r.slot[k].used &&
			    r.slot[k].id >= (17u << 16 | 1096));
	n = frag(1099, 17, 20, 8, 8, false, false);
	k = slirp_reasm4_add(&r, frame, n, SLIRP_REASM_MS + 1100, &w);
	whole_ok(w, k, 16, 20, false);
	slirp_reasm_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_any_order),
		cmocka_unit_test(test_apart_by_proto_and_id),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_options_too_long),
		cmocka_unit_test(test_expiry_and_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
