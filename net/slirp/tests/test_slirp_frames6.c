/*
 * test_slirp_frames6.c - the libslirp backend's IPv6 frame filter and
 * builders (slirp_frames6.c): the NAT66 policy on the guest's frames, the
 * gateway's echo replies, RSTs and UDP frames (checksums checked against
 * a plain reference sum), and the rewrite of libslirp's neighbour
 * messages and router advertisements.
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
static uint8_t guest6[16], foreign6[16];

static int setup(void **state)
{
	(void)state;
	netcfg_defaults(&cfg);
	memcpy(guest6, cfg.prefix6, 16);
	guest6[15] = 2;
	memset(foreign6, 0, 16);
	foreign6[0] = 0x20;
	foreign6[1] = 0x01;
	foreign6[2] = 0x0d;
	foreign6[3] = 0xb8;
	foreign6[15] = 1;
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

/* l4_ok() - the L4 checksum of the IPv6 frame @f verifies */
static int l4_ok(const uint8_t *f)
{
	const uint8_t *ip = f + 14;
	size_t plen = (size_t)ip[4] << 8 | ip[5];
	uint32_t s = sum16(ip + 8, 32, (uint32_t)plen + ip[6]);

	return sum16(ip + 40, plen, s) == 0xffff;
}

/* frame() - Ethernet + IPv6 + @l4 (its checksum at @csum_off filled) */
static size_t frame(uint8_t *f, const uint8_t *src, const uint8_t *dst,
		    uint8_t nh, const uint8_t *l4, size_t n, size_t csum_off)
{
	uint8_t *ip = f + 14;
	uint32_t s;

	memcpy(f, gw_mac, 6);
	memcpy(f + 6, vm_mac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	memset(ip, 0, 8);
	ip[0] = 0x60;
	ip[4] = (uint8_t)(n >> 8);
	ip[5] = (uint8_t)n;
	ip[6] = nh;
	ip[7] = 64;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	memcpy(ip + 40, l4, n);
	ip[40 + csum_off] = ip[41 + csum_off] = 0;
	s = ~sum16(ip + 40, n, sum16(ip + 8, 32, (uint32_t)n + nh)) & 0xffff;
	ip[40 + csum_off] = (uint8_t)(s >> 8);
	ip[41 + csum_off] = (uint8_t)s;
	return 54 + n;
}

static size_t syn(uint8_t *f, const uint8_t *src, const uint8_t *dst)
{
	uint8_t t[20] = {0x9c, 0x40, 0, 80, 0,	  0,	0x10, 0,
			 0,    0,    0, 0,  0x50, 0x02, 0xff, 0xff};

	return frame(f, src, dst, 6, t, sizeof(t), 16);
}

static size_t echo(uint8_t *f, const uint8_t *dst)
{
	uint8_t e[16] = {128, 0, 0, 0, 0x12, 0x34, 0, 1, 'q', 'c', 'w'};

	return frame(f, guest6, dst, 58, e, sizeof(e), 2);
}

static void test_classify6(void **state)
{
	uint8_t f[256], a[16];
	struct slirp_pkt p;
	size_t n;

	(void)state;
	n = syn(f, guest6, foreign6);
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_SLIRP);
	assert_non_null(p.ip6);
	assert_null(p.ip);
	assert_int_equal(p.dport, 80);
	n = syn(f, guest6, cfg.host_alias6);
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_SLIRP);
	n = syn(f, guest6, cfg.gateway6);
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_GW_TCP);
	memcpy(a, cfg.prefix6, 16);
	a[15] = 9; /* another address of the /64 */
	n = syn(f, guest6, a);
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_DROP_SUBNET);
	memset(a, 0, 16);
	a[0] = 0xfe;
	a[1] = 0x80;
	a[15] = 0x34;
	n = syn(f, guest6, a);
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_DROP_LINK_LOCAL);
	memset(a, 0, 16);
	a[15] = 1; /* ::1 */
	n = syn(f, guest6, a);
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_DROP_LOOPBACK);
	n = syn(f, foreign6, foreign6); /* a source not the guest's */
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_DROP_SOURCE);
	n = echo(f, cfg.gateway6);
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_GW_ICMP);
	n = echo(f, foreign6); /* libslirp 4.7 cannot: a ping socket's */
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_PING6);
	f[54] = 129; /* an echo reply (checksum aside): not for the host */
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_DROP_OTHER);
	n = echo(f, cfg.host_alias6); /* libslirp's own address */
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_SLIRP);
	/* truncated: shorter than its header, or than its payload length */
	n = syn(f, guest6, foreign6);
	assert_int_equal(slirp_classify(&cfg, f, 40, &p), SLV_DROP_MALFORMED);
	assert_int_equal(slirp_classify(&cfg, f, n - 1, &p),
			 SLV_DROP_MALFORMED);
	cfg.ipv6 = false;
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_DROP_OTHER);
	cfg.ipv6 = true;
}

static void test_gateway_udp_and_builders6(void **state)
{
	uint8_t u[12] = {0x13, 0x88, 0, 53, 0, 12, 0, 0, 'a', 'b', 'c', 'd'};
	uint8_t f[256], out[256];
	struct slirp_pkt p;
	size_t n;

	(void)state;
	n = frame(f, guest6, cfg.gateway6, 17, u, sizeof(u), 6);
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_GW_UDP);
	f[n - 1] ^= 1; /* a bad checksum */
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_DROP_MALFORMED);

	n = echo(f, cfg.gateway6);
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_GW_ICMP);
	n = slirp_build_echo_reply6(out, sizeof(out), f, &p, gw_mac);
	assert_int_equal(n, 54 + 16);
	assert_int_equal(out[54], 129);
	assert_memory_equal(out + 14 + 8, cfg.gateway6, 16);
	assert_memory_equal(out + 14 + 24, guest6, 16);
	assert_true(l4_ok(out));

	n = syn(f, guest6, foreign6);
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_SLIRP);
	n = slirp_build_rst6(out, f, &p, gw_mac);
	assert_int_equal(n, SLIRP_RST6_LEN);
	assert_int_equal(out[54 + 13], 0x14); /* RST+ACK */
	assert_int_equal(out[54 + 11], 0x01); /* ack = ISN 4096 + 1 */
	assert_true(l4_ok(out));

	n = slirp_build_udp6(out, sizeof(out), vm_mac, gw_mac, cfg.gateway6, 53,
			     guest6, 5000, "xyz", 3);
	assert_int_equal(n, 54 + 8 + 3);
	assert_true(l4_ok(out));
	assert_int_equal(slirp_build_udp6(out, 60, vm_mac, gw_mac, cfg.gateway6,
					  53, guest6, 5000, "xyz", 3),
			 0);
}

/* the ICMPv6 "no route" for a guest datagram, and the cut at 1280 bytes */
static void test_unreach6(void **state)
{
	static uint8_t big[1400], f[1600], out[1600];
	uint8_t u[12] = {0x13, 0x88, 0, 9, 0, 12, 0, 0, 'a', 'b', 'c', 'd'};
	struct slirp_pkt p;
	size_t n, m;

	(void)state;
	n = frame(f, guest6, foreign6, 17, u, sizeof(u), 6);
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_SLIRP);
	m = slirp_build_unreach6(out, sizeof(out), f, &p, gw_mac, cfg.gateway6,
				 0);
	assert_int_equal(m, 14 + 40 + 8 + 40 + sizeof(u));
	assert_memory_equal(out, vm_mac, 6);
	assert_memory_equal(out + 6, gw_mac, 6);
	assert_int_equal(out[14 + 6], 58);
	assert_memory_equal(out + 14 + 8, cfg.gateway6, 16);
	assert_memory_equal(out + 14 + 24, guest6, 16);
	assert_int_equal(out[54], 1); /* destination unreachable */
	assert_int_equal(out[55], 0); /* no route */
	assert_memory_equal(out + 62, f + 14, 40 + sizeof(u)); /* the quote */
	assert_true(l4_ok(out));
	/* too small a buffer: nothing */
	assert_int_equal(slirp_build_unreach6(out, m - 1, f, &p, gw_mac,
					      cfg.gateway6, 0),
			 0);

	/* a large datagram: the error stops at the IPv6 minimum MTU */
	big[0] = 0x13;
	big[1] = 0x88;
	big[3] = 9;
	big[4] = (uint8_t)(sizeof(big) >> 8);
	big[5] = (uint8_t)sizeof(big);
	n = frame(f, guest6, foreign6, 17, big, sizeof(big), 6);
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_SLIRP);
	m = slirp_build_unreach6(out, sizeof(out), f, &p, gw_mac, cfg.gateway6,
				 0);
	assert_int_equal(m, 14 + 1280);
	assert_true(l4_ok(out));
}

static void test_out_rewrite6(void **state)
{
	uint8_t na[32] = {136, 0, 0, 0, 0x60};
	uint8_t ra[24] = {134};
	uint8_t f[256], hdr[128];
	uint8_t slirp_mac[6] = {0x52, 0x56, 0, 0, 0, 0xfe};
	size_t n;
	int r;

	(void)state;
	memcpy(na + 8, cfg.host_alias6, 16);
	na[24] = 2; /* target link-layer address */
	na[25] = 1;
	memcpy(na + 26, slirp_mac, 6);
	n = frame(f, cfg.host_alias6, guest6, 58, na, sizeof(na), 2);
	memcpy(f + 6, slirp_mac, 6);
	r = slirp_out_rewrite6(hdr, sizeof(hdr), f, n, gw_mac);
	assert_int_equal(r, (int)n);
	assert_memory_equal(hdr + 6, gw_mac, 6);
	assert_memory_equal(hdr + 54 + 26, gw_mac, 6);
	assert_true(l4_ok(hdr));

	n = frame(f, cfg.gw_ll6, guest6, 58, ra, sizeof(ra), 2);
	assert_int_equal(slirp_out_rewrite6(hdr, sizeof(hdr), f, n, gw_mac),
			 -1);

	n = syn(f, foreign6, guest6); /* anything else: the MAC only */
	assert_int_equal(slirp_out_rewrite6(hdr, sizeof(hdr), f, n, gw_mac),
			 14);
	assert_memory_equal(hdr + 6, gw_mac, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_classify6, setup),
		cmocka_unit_test_setup(test_gateway_udp_and_builders6, setup),
		cmocka_unit_test_setup(test_unreach6, setup),
		cmocka_unit_test_setup(test_out_rewrite6, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
