/*
 * test_syncookie.c - SYN cookies (syncookie.h): a cookie checks for its
 * own connection in its slot and the next, not for another connection,
 * another key or a later slot; the MSS comes back as the largest of the
 * table not over the guest's; the MSS option parser takes what is there
 * and nothing beyond the header; the frames built carry valid checksums.
 * The same for IPv6 connections, whose cookies differ from IPv4's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/lwip/syncookie.h"
#include "net/pkt.h"
#include "net/pkt6.h"
#include "util/be.h"

static const struct syncookie_tuple tup = {
	.saddr = 0xc0a87f02, .daddr = 0xc0a87f01, .sport = 40000, .dport = 53};

/*
 * cookie_in_slots() - a cookie made for @t at @t0 with @mss: that MSS back
 * in its slot and the next, nothing in the one after. Returns the cookie.
 */
static uint32_t cookie_in_slots(const struct syncookie_tuple *t, uint64_t t0,
				uint16_t mss)
{
	uint16_t use;
	uint32_t isn = syncookie_make(42, t, t0, mss, &use);

	assert_int_equal(use, mss);
	assert_int_equal(syncookie_check(42, t, t0, isn), mss);
	assert_int_equal(syncookie_check(42, t, t0 + SYNCOOKIE_SLOT_MS, isn),
			 mss);
	assert_int_equal(
		syncookie_check(42, t, t0 + 2 * SYNCOOKIE_SLOT_MS, isn), 0);
	return isn;
}

static void test_check_own_slot(void **state)
{
	struct syncookie_tuple o = tup;
	uint64_t t0 = 5 * SYNCOOKIE_SLOT_MS + 17;
	uint32_t isn = cookie_in_slots(&tup, t0, 1460);

	(void)state;
	assert_int_equal(syncookie_check(43, &tup, t0, isn), 0);
	assert_int_equal(syncookie_check(42, &tup, t0, isn + 8), 0);
	o.sport++;
	assert_int_equal(syncookie_check(42, &o, t0, isn), 0);
	o = tup;
	o.saddr++;
	assert_int_equal(syncookie_check(42, &o, t0, isn), 0);
}

static void test_mss_table(void **state)
{
	static const struct {
		uint16_t in, out;
	} c[] = {{0, 536},     {100, 536},     {536, 536},
		 {1400, 1360}, {1460, 1460},   {8960, 8960},
		 {9000, 8960}, {65495, 65480}, {65535, 65480}};
	unsigned int i;
	uint16_t mss;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint32_t isn = syncookie_make(7, &tup, 1000, c[i].in, &mss);

		assert_int_equal(mss, c[i].out);
		assert_int_equal(syncookie_check(7, &tup, 1000, isn), c[i].out);
	}
}

static void test_syn_mss(void **state)
{
	uint8_t h[60] = {0};

	(void)state;
	h[12] = 5 << 4;
	assert_int_equal(syncookie_syn_mss(h, 20), 0);
	/* NOP, NOP, MSS 1460 */
	h[12] = 6 << 4;
	memcpy(h + 20, "\x02\x04\x05\xb4", 4);
	assert_int_equal(syncookie_syn_mss(h, 24), 1460);
	assert_int_equal(syncookie_syn_mss(h, 23), 0); /* offset past len */
	h[12] = 7 << 4;
	memcpy(h + 20, "\x01\x01\x02\x04\x23\x28\x00\x00", 8);
	assert_int_equal(syncookie_syn_mss(h, 28), 9000);
	/* SACK permitted, window scale, then MSS */
	h[12] = 8 << 4;
	memcpy(h + 20, "\x04\x02\x03\x03\x07\x02\x04\x05\xb4\x00\x00\x00", 12);
	assert_int_equal(syncookie_syn_mss(h, 32), 1460);
	/* a bad length, an MSS cut by the header's end, end of options */
	memcpy(h + 20, "\x03\x01\x02\x04\x05\xb4\x00\x00\x00\x00\x00\x00", 12);
	assert_int_equal(syncookie_syn_mss(h, 32), 0);
	memcpy(h + 20, "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x02\x04", 12);
	assert_int_equal(syncookie_syn_mss(h, 32), 0);
	memcpy(h + 20, "\x00\x02\x04\x05\xb4\x00\x00\x00\x00\x00\x00\x00", 12);
	assert_int_equal(syncookie_syn_mss(h, 32), 0);
	memcpy(h + 20, "\x02\x03\x05\xb4\x00\x00\x00\x00\x00\x00\x00\x00", 12);
	assert_int_equal(syncookie_syn_mss(h, 32), 0);
	h[12] = 4 << 4; /* a data offset under 20 */
	assert_int_equal(syncookie_syn_mss(h, 32), 0);
	assert_int_equal(syncookie_syn_mss(h, 10), 0);
}

/*
 * check_synack_tcp() - the TCP header of a cookie's SYN-ACK at @tcp, for
 * the guest's SYN 1000 of @t, with the ISN 0x12345678 and @mss; its
 * checksum's pseudo-header sum is @sum.
 */
static void check_synack_tcp(const uint8_t *tcp,
			     const struct syncookie_tuple *t, uint16_t mss,
			     uint32_t sum)
{
	assert_int_equal(be16_get(tcp), t->dport);
	assert_int_equal(be16_get(tcp + 2), t->sport);
	assert_int_equal(be32_get(tcp + 4), 0x12345678);
	assert_int_equal(be32_get(tcp + 8), 1001);
	assert_int_equal(tcp[13], 0x12);
	assert_int_equal(syncookie_syn_mss(tcp, 24), mss);
	assert_int_equal(pkt_csum(tcp, 24, sum), 0);
}

static void test_frames(void **state)
{
	static const uint8_t gm[6] = {2, 0, 0, 0, 0, 2},
			     wm[6] = {2, 0, 0, 0, 0, 1};
	uint8_t f[SYNCOOKIE_SYNACK_LEN], s[SYNCOOKIE_SYN_LEN];
	const uint8_t *ip = f + 14, *tcp = f + 34;

	(void)state;
	assert_int_equal(
		syncookie_build_synack(f, gm, wm, &tup, 0x12345678, 1000, 1460),
		SYNCOOKIE_SYNACK_LEN);
	assert_memory_equal(f, gm, 6);
	assert_int_equal(pkt_csum(ip, 20, 0), 0);
	assert_int_equal(be32_get(ip + 12), tup.daddr);
	check_synack_tcp(tcp, &tup, 1460,
			 pkt_pseudo_sum(tup.daddr, tup.saddr, 6, 24));
	assert_int_equal(syncookie_build_syn(s, &tup, 999, 500, 8960),
			 SYNCOOKIE_SYN_LEN);
	assert_int_equal(pkt_csum(s, 20, 0), 0);
	assert_int_equal(be32_get(s + 12), tup.saddr);
	assert_int_equal(be32_get(s + 24), 999);
	assert_int_equal(s[33], 0x02);
	assert_int_equal(be16_get(s + 34), 500);
	assert_int_equal(syncookie_syn_mss(s + 20, 24), 8960);
}

static struct syncookie_tuple tup6(void)
{
	struct syncookie_tuple t = tup;

	t.v6 = true;
	memcpy(t.saddr6, "\xfd\x71\x63\x77\x6e\x65\0\0\0\0\0\0\0\0\0\x42", 16);
	memcpy(t.daddr6, "\xfd\x71\x63\x77\x6e\x65\0\0\0\0\0\0\0\0\0\x01", 16);
	return t;
}

static void test_check_v6(void **state)
{
	struct syncookie_tuple t = tup6(), o;
	uint64_t t0 = 9 * SYNCOOKIE_SLOT_MS + 5;
	uint32_t isn = cookie_in_slots(&t, t0, 1440);
	unsigned int i;

	(void)state;
	/* every byte of both addresses counts */
	for (i = 0; i < 32; i++) {
		o = t;
		if (i < 16)
			o.saddr6[i] ^= 0x10;
		else
			o.daddr6[i - 16] ^= 0x10;
		assert_int_equal(syncookie_check(42, &o, t0, isn), 0);
	}
	/* the IPv4 connection of the same ports is another */
	o = t;
	o.v6 = false;
	assert_int_equal(syncookie_check(42, &o, t0, isn), 0);
}

static void test_frames_v6(void **state)
{
	static const uint8_t gm[6] = {2, 0, 0, 0, 0, 2},
			     wm[6] = {2, 0, 0, 0, 0, 1};
	struct syncookie_tuple t = tup6();
	uint8_t f[SYNCOOKIE_SYNACK6_LEN], s[SYNCOOKIE_SYN6_LEN];
	const uint8_t *ip = f + 14, *tcp = f + 54;
	struct pkt_ip6 p;

	(void)state;
	assert_int_equal(
		syncookie_build_synack(f, gm, wm, &t, 0x12345678, 1000, 1440),
		SYNCOOKIE_SYNACK6_LEN);
	assert_memory_equal(f, gm, 6);
	assert_int_equal(be16_get(f + 12), ETHTYPE_IP6);
	assert_int_equal(pkt_parse_ip6(f, sizeof(f), &p), 0);
	assert_int_equal(p.next, 6);
	assert_int_equal(p.len, 24);
	assert_memory_equal(ip + 8, t.daddr6, 16);
	assert_memory_equal(ip + 24, t.saddr6, 16);
	check_synack_tcp(tcp, &t, 1440,
			 pkt_pseudo_sum6(t.daddr6, t.saddr6, 6, 24));
	assert_int_equal(syncookie_build_syn(s, &t, 999, 500, 4016),
			 SYNCOOKIE_SYN6_LEN);
	assert_int_equal(s[0] >> 4, 6);
	assert_int_equal(s[6], 6);
	assert_memory_equal(s + 8, t.saddr6, 16);
	assert_int_equal(be32_get(s + 44), 999);
	assert_int_equal(s[53], 0x02);
	assert_int_equal(be16_get(s + 54), 500);
	assert_int_equal(syncookie_syn_mss(s + 40, 24), 4016);
	assert_int_equal(pkt_csum(s + 40, 24,
				  pkt_pseudo_sum6(t.saddr6, t.daddr6, 6, 24)),
			 0);
}

/* A tuple from a packet's bytes: addresses and ports of either family. */
static void test_tuple_set(void **state)
{
	static const uint8_t s4[4] = {192, 168, 127, 2},
			     d4[4] = {192, 168, 127, 1};
	static const uint8_t tcp[4] = {0xc3, 0x50, 0x00, 0x35};
	uint8_t s6[16] = {0xfd, 0x71, 0x63, 0x77, 0x6e, 0x65, [15] = 2};
	uint8_t d6[16] = {0xfd, 0x71, 0x63, 0x77, 0x6e, 0x65, [15] = 1};
	struct syncookie_tuple t;

	(void)state;
	memset(&t, 0xa5, sizeof(t));
	syncookie_tuple_set(&t, false, s4, d4, tcp);
	assert_false(t.v6);
	assert_int_equal(t.saddr, 0xc0a87f02);
	assert_int_equal(t.daddr, 0xc0a87f01);
	assert_int_equal(t.sport, 50000);
	assert_int_equal(t.dport, 53);
	/* nothing left over from before: the IPv6 fields are zero */
	assert_int_equal(t.saddr6[0] | t.daddr6[15], 0);
	syncookie_tuple_set(&t, true, s6, d6, tcp);
	assert_true(t.v6);
	assert_memory_equal(t.saddr6, s6, 16);
	assert_memory_equal(t.daddr6, d6, 16);
	assert_int_equal(t.saddr | t.daddr, 0);
	assert_int_equal(t.sport, 50000);
	assert_int_equal(t.dport, 53);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_own_slot),
		cmocka_unit_test(test_mss_table),
		cmocka_unit_test(test_syn_mss),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_check_v6),
		cmocka_unit_test(test_frames_v6),
		cmocka_unit_test(test_tuple_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
