/*
 * test_slirp_xlat.c - the libslirp backend's TCP translation between IPv6
 * and IPv4 (slirp_xlat.c) and its neighbour solicitation builder: a
 * guest's IPv6 segment to IPv4 and libslirp's answer back, checksums
 * checked against a plain reference sum, a SYN's MSS lowered by 20 and
 * nothing else changed, frames it must refuse (not TCP, fragments,
 * truncated, too big for the buffer).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/netcfg.h"
#include "net/slirp/slirp_frames.h"

static const uint8_t gw_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
static const uint8_t vm_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};
static struct netcfg cfg;
static uint8_t guest6[16];

static int setup(void **state)
{
	(void)state;
	netcfg_defaults(&cfg);
	memcpy(guest6, cfg.prefix6, 16);
	guest6[15] = 2;
	return 0;
}

/* sum16() - one's-complement sum, not inverted, of @len bytes */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t s)
{
	size_t i;

	for (i = 0; i < len; i++)
		s += i % 2 ? p[i] : (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* l4_ok6() / l4_ok4() - the L4 checksum of the frame @f verifies */
static int l4_ok6(const uint8_t *f)
{
	const uint8_t *ip = f + 14;
	size_t plen = (size_t)ip[4] << 8 | ip[5];

	return sum16(ip + 40, plen,
		     sum16(ip + 8, 32, (uint32_t)plen + ip[6])) == 0xffff;
}

static int l4_ok4(const uint8_t *f)
{
	const uint8_t *ip = f + 14;
	size_t tot = (size_t)ip[2] << 8 | ip[3], ihl = (size_t)(ip[0] & 15) * 4;

	return sum16(ip, ihl, 0) == 0xffff &&
	       sum16(ip + ihl, tot - ihl,
		     sum16(ip + 12, 8, (uint32_t)(tot - ihl) + ip[9])) ==
		       0xffff;
}

/* seg6() - the guest's IPv6 TCP segment: a SYN with MSS 1440, or data */
static size_t seg6(uint8_t *f, bool syn)
{
	static const uint8_t syn_t[24] = {
		0x9c, 0x40, 0,	  53,	1, 2, 3, 4, 0, 0, 0,	0,
		0x60, 0x02, 0xff, 0xff, 0, 0, 0, 0, 2, 4, 0x05, 0xa0};
	static const uint8_t data_t[25] = {
		0x9c, 0x40, 0, 53, 1, 2, 3, 5,	 9,   9,   9,	9,  0x50,
		0x18, 0x10, 0, 0,  0, 0, 0, 'h', 'e', 'l', 'l', 'o'};
	const uint8_t *t = syn ? syn_t : data_t;
	size_t n = syn ? sizeof(syn_t) : sizeof(data_t);
	uint8_t *ip = f + 14;
	uint32_t s;

	memcpy(f, gw_mac, 6);
	memcpy(f + 6, vm_mac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	memset(ip, 0, 8);
	ip[0] = 0x60;
	ip[5] = (uint8_t)n;
	ip[6] = 6;
	ip[7] = 64;
	memcpy(ip + 8, guest6, 16);
	memcpy(ip + 24, cfg.gateway6, 16);
	memcpy(ip + 40, t, n);
	s = ~sum16(ip + 40, n, sum16(ip + 8, 32, (uint32_t)n + 6)) & 0xffff;
	ip[56] = (uint8_t)(s >> 8);
	ip[57] = (uint8_t)s;
	return 54 + n;
}

static void test_6to4_and_back(void **state)
{
	uint8_t f[128], v4[128], back[128];
	uint32_t stand = 0xc6336405;
	struct slirp_pkt p;
	size_t n, n4, n6;

	(void)state;
	n = seg6(f, false);
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_GW_TCP);
	n4 = slirp_xlat_6to4(v4, sizeof(v4), f, &p, stand, cfg.gateway);
	assert_int_equal(n4, n - 20);
	assert_int_equal(v4[12], 0x08);
	assert_int_equal(v4[13], 0x00);
	assert_memory_equal(v4, f, 12); /* the same MACs */
	assert_int_equal(v4[14 + 9], 6);
	assert_int_equal(v4[14 + 12], 0xc6);
	assert_int_equal(v4[14 + 15], 5);
	assert_int_equal(v4[14 + 19], 1); /* 192.168.127.1 */
	assert_true(l4_ok4(v4));
	/* ports, sequence numbers, flags and payload are the guest's */
	assert_memory_equal(v4 + 34, f + 54, 16);
	assert_memory_equal(v4 + 34 + 18, f + 54 + 18, n - 54 - 18);

	/* and libslirp's IPv4 frame back to the guest as IPv6 */
	n6 = slirp_xlat_4to6(back, sizeof(back), v4, n4, cfg.gateway6, guest6);
	assert_int_equal(n6, n);
	assert_int_equal(back[12], 0x86);
	assert_int_equal(back[13], 0xdd);
	assert_memory_equal(back + 14 + 8, cfg.gateway6, 16);
	assert_memory_equal(back + 14 + 24, guest6, 16);
	assert_int_equal(back[14 + 6], 6);
	assert_true(l4_ok6(back));
	assert_memory_equal(back + 54, f + 54, 16);
	assert_memory_equal(back + 54 + 18, f + 54 + 18, n - 54 - 18);
}

static void test_syn_mss(void **state)
{
	uint8_t f[128], v4[128], back[128];
	struct slirp_pkt p;
	size_t n, n4;

	(void)state;
	n = seg6(f, true);
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_GW_TCP);
	n4 = slirp_xlat_6to4(v4, sizeof(v4), f, &p, 0xc6336400, cfg.gateway);
	assert_int_not_equal(n4, 0);
	/* 6 -> 4: the guest's MSS is left as it is (it fits IPv4) */
	assert_int_equal(v4[34 + 22] << 8 | v4[34 + 23], 1440);
	assert_non_null(memchr(v4, 0, n4));
	/* 4 -> 6: libslirp's MSS for IPv4 is 20 too big for IPv6 */
	n = slirp_xlat_4to6(back, sizeof(back), v4, n4, cfg.gateway6, guest6);
	assert_int_equal(back[54 + 22] << 8 | back[54 + 23], 1420);
	assert_true(l4_ok6(back));
	/* never below 536 */
	v4[34 + 22] = 0x02;
	v4[34 + 23] = 0x18; /* 536 */
	n = slirp_xlat_4to6(back, sizeof(back), v4, n4, cfg.gateway6, guest6);
	assert_int_equal(back[54 + 22] << 8 | back[54 + 23], 536);
	/* an option list that runs past the header: left alone */
	v4[34 + 20] = 2;
	v4[34 + 21] = 9;
	n = slirp_xlat_4to6(back, sizeof(back), v4, n4, cfg.gateway6, guest6);
	assert_int_not_equal(n, 0);
	assert_int_equal(back[54 + 22] << 8 | back[54 + 23], 536);
}

static void test_refused(void **state)
{
	uint8_t f[128], v4[128], back[128];
	struct slirp_pkt p;
	size_t n, n4;

	(void)state;
	n = seg6(f, false);
	slirp_classify(&cfg, f, n, &p);
	/* no room */
	assert_int_equal(slirp_xlat_6to4(v4, n - 21, f, &p, 1, 2), 0);
	n4 = slirp_xlat_6to4(v4, sizeof(v4), f, &p, 0xc6336400, cfg.gateway);
	assert_int_equal(
		slirp_xlat_4to6(back, n4 + 19, v4, n4, cfg.gateway6, guest6),
		0);
	/* not TCP, a fragment, truncated, a data offset past the segment */
	v4[14 + 9] = 17;
	assert_int_equal(slirp_xlat_4to6(back, sizeof(back), v4, n4,
					 cfg.gateway6, guest6),
			 0);
	v4[14 + 9] = 6;
	v4[14 + 6] = 0x20; /* MF */
	assert_int_equal(slirp_xlat_4to6(back, sizeof(back), v4, n4,
					 cfg.gateway6, guest6),
			 0);
	v4[14 + 6] = 0x40;
	assert_int_equal(slirp_xlat_4to6(back, sizeof(back), v4, n4 - 1,
					 cfg.gateway6, guest6),
			 0);
	assert_int_equal(slirp_xlat_4to6(back, sizeof(back), v4, 20,
					 cfg.gateway6, guest6),
			 0);
	v4[34 + 12] = 0xf0;
	assert_int_equal(slirp_xlat_4to6(back, sizeof(back), v4, n4,
					 cfg.gateway6, guest6),
			 0);
	/* an IPv4 packet is not an IPv6 one */
	n = seg6(f, false);
	slirp_classify(&cfg, f, n, &p);
	p.ip6 = NULL;
	assert_int_equal(slirp_xlat_6to4(v4, sizeof(v4), f, &p, 1, 2), 0);
}

static void test_ns(void **state)
{
	uint8_t f[SLIRP_NS_LEN];

	(void)state;
	assert_int_equal(slirp_build_ns(f, gw_mac, cfg.gw_ll6, guest6),
			 SLIRP_NS_LEN);
	/* to the target's solicited-node group, 33:33:ff:xx:xx:xx */
	assert_int_equal(f[0], 0x33);
	assert_int_equal(f[2], 0xff);
	assert_int_equal(f[5], guest6[15]);
	assert_memory_equal(f + 6, gw_mac, 6);
	assert_int_equal(f[14 + 7], 255);
	assert_int_equal(f[14 + 24], 0xff);
	assert_int_equal(f[14 + 25], 0x02);
	assert_int_equal(f[14 + 36], 0xff);
	assert_int_equal(f[14 + 39], guest6[15]);
	assert_int_equal(f[54], 135);
	assert_memory_equal(f + 54 + 8, guest6, 16);
	assert_int_equal(f[54 + 24], 1);
	assert_memory_equal(f + 54 + 26, gw_mac, 6);
	assert_true(l4_ok6(f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_6to4_and_back, setup),
		cmocka_unit_test_setup(test_syn_mss, setup),
		cmocka_unit_test_setup(test_refused, setup),
		cmocka_unit_test_setup(test_ns, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
