/*
 * test_ndp.c - cmocka unit tests of the router's neighbour discovery codec
 * (gateway/ndp.h) and the IPv6 header helpers (net/pkt6.h): solicitations
 * that pass and fail RFC 4861's checks (hop limit, checksum, code, length,
 * options of length 0 or past the end, multicast target, duplicate address
 * detection rules), frames that are not solicitations, the neighbour
 * advertisement's addressing and flags, the router advertisement's options
 * (SLLA, MTU, prefix, RDNSS, DNSSL padded and cut by whole names), the UDP
 * builder and parser. Checksums are verified with an independent sum.
 *
 * Run as "test-ndp --write-corpus DIR" it writes the fuzzer's seed corpus
 * (fuzz/corpus/ndp) instead.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/ndp.h"
#include "net/pkt6.h"

static const uint8_t gw_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
static const uint8_t vm_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};
static const uint8_t gw6[16] = {0xfd, 0x71, 0x63, 0x77, 0x6e, 0x65, [15] = 1};
static const uint8_t gw_ll[16] = {0xfe, 0x80, [8] = 0x58, 0x94, 0xef,
				  0xff, 0xfe, 0xe4,	  0x0c, 0xdd};
static const uint8_t vm_ll[16] = {0xfe, 0x80, [8] = 0x58, 0x94, 0xef,
				  0xff, 0xfe, 0xe4,	  0x0c, 0xee};
static const uint8_t unspec[16];
static const uint8_t all_nodes[16] = {0xff, 2, [15] = 1};
static const uint8_t all_routers[16] = {0xff, 2, [15] = 2};

/* ---- frame builder and checker (independent of the code under test) ---- */

static uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i < len; i++)
		sum += i % 2 ? p[i] : (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* ref_l4_ok() - the L4 checksum of an IPv6 frame verifies */
static bool ref_l4_ok(const uint8_t *f)
{
	const uint8_t *ip = f + 14;
	size_t plen = (size_t)ip[4] << 8 | ip[5];
	uint8_t ph[40] = {0};
	uint32_t s;

	memcpy(ph, ip + 8, 32);
	ph[34] = (uint8_t)(plen >> 8);
	ph[35] = (uint8_t)plen;
	ph[39] = ip[6];
	s = ref_sum(ph, 40, 0);
	s = ref_sum(ip + 40, plen, s);
	return s == 0xffff;
}

struct frame {
	uint8_t b[1600];
	size_t len;
};

/* mk_icmp() - Ethernet + IPv6 + the ICMPv6 bytes @icmp, checksum set */
static void mk_icmp(struct frame *f, const uint8_t *dmac, const uint8_t *src,
		    const uint8_t *dst, uint8_t hlim, const uint8_t *icmp,
		    size_t n)
{
	uint8_t *ip = f->b + 14, *l4 = ip + 40;
	uint8_t ph[40] = {0};
	uint32_t s;

	memcpy(f->b, dmac, 6);
	memcpy(f->b + 6, vm_mac, 6);
	f->b[12] = 0x86;
	f->b[13] = 0xdd;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[4] = (uint8_t)(n >> 8);
	ip[5] = (uint8_t)n;
	ip[6] = 58;
	ip[7] = hlim;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	memcpy(l4, icmp, n);
	l4[2] = l4[3] = 0;
	memcpy(ph, src, 16);
	memcpy(ph + 16, dst, 16);
	ph[34] = (uint8_t)(n >> 8);
	ph[35] = (uint8_t)n;
	ph[39] = 58;
	s = ref_sum(l4, n, ref_sum(ph, 40, 0));
	l4[2] = (uint8_t)(~s >> 8);
	l4[3] = (uint8_t)~s;
	f->len = 14 + 40 + n;
}

static void solicited(uint8_t out[16], const uint8_t ip[16])
{
	static const uint8_t pre[13] = {0xff, 2, [11] = 1, 0xff};

	memcpy(out, pre, 13);
	memcpy(out + 13, ip + 13, 3);
}

/* mk_ns() - NS for @target from @src (SLLA when @sll) */
static void mk_ns(struct frame *f, const uint8_t *src, const uint8_t *target,
		  bool sll)
{
	uint8_t icmp[32] = {135}, dst[16], dmac[6] = {0x33, 0x33};

	memcpy(icmp + 8, target, 16);
	icmp[24] = 1;
	icmp[25] = 1;
	memcpy(icmp + 26, vm_mac, 6);
	solicited(dst, target);
	memcpy(dmac + 2, dst + 12, 4);
	mk_icmp(f, dmac, src, dst, 255, icmp, sll ? 32 : 24);
}

static void mk_rs(struct frame *f, const uint8_t *src, bool sll)
{
	uint8_t icmp[16] = {133}, dmac[6] = {0x33, 0x33, 0, 0, 0, 2};

	icmp[8] = 1;
	icmp[9] = 1;
	memcpy(icmp + 10, vm_mac, 6);
	mk_icmp(f, dmac, src, all_routers, 255, icmp, sll ? 16 : 8);
}

/* ---- tests ---- */

static void test_ns_unicast_source(void **state)
{
	struct frame f;
	struct ndp_msg m;
	uint8_t out[NDP_NA_FRAME_LEN];
	const uint8_t *ip = out + 14, *icmp = out + 54;
	size_t n;

	(void)state;
	mk_ns(&f, vm_ll, gw6, true);
	assert_int_equal(ndp_parse(f.b, f.len, &m), 1);
	assert_int_equal(m.type, NDP_NS);
	assert_memory_equal(m.target, gw6, 16);
	assert_non_null(m.sll);
	assert_memory_equal(m.sll, vm_mac, 6);
	n = ndp_build_na(out, &m, gw_mac, true);
	assert_int_equal(n, NDP_NA_FRAME_LEN);
	assert_memory_equal(out, vm_mac, 6);
	assert_memory_equal(out + 6, gw_mac, 6);
	assert_int_equal(out[12] << 8 | out[13], 0x86dd);
	assert_int_equal(ip[0] >> 4, 6);
	assert_int_equal(ip[4] << 8 | ip[5], 32);
	assert_int_equal(ip[6], 58);
	assert_int_equal(ip[7], 255);
	assert_memory_equal(ip + 8, gw6, 16);
	assert_memory_equal(ip + 24, vm_ll, 16);
	assert_int_equal(icmp[0], 136);
	assert_int_equal(icmp[1], 0);
	assert_int_equal(icmp[4], 0x80 | 0x40 | 0x20);
	assert_memory_equal(icmp + 8, gw6, 16);
	assert_int_equal(icmp[24], 2);
	assert_int_equal(icmp[25], 1);
	assert_memory_equal(icmp + 26, gw_mac, 6);
	assert_true(ref_l4_ok(out));

	/* without SLLA: to the Ethernet source; R clear when asked */
	mk_ns(&f, vm_ll, gw_ll, false);
	assert_int_equal(ndp_parse(f.b, f.len, &m), 1);
	assert_null(m.sll);
	ndp_build_na(out, &m, gw_mac, false);
	assert_memory_equal(out, vm_mac, 6);
	assert_int_equal(icmp[4], 0x40 | 0x20);
	assert_true(ref_l4_ok(out));
}

static void test_ns_dad(void **state)
{
	static const uint8_t mc_all[6] = {0x33, 0x33, 0, 0, 0, 1};
	struct frame f;
	struct ndp_msg m;
	uint8_t out[NDP_NA_FRAME_LEN];

	(void)state;
	/* the guest's DAD for an address of ours: defended to all nodes */
	mk_ns(&f, unspec, gw6, false);
	assert_int_equal(ndp_parse(f.b, f.len, &m), 1);
	ndp_build_na(out, &m, gw_mac, true);
	assert_memory_equal(out, mc_all, 6);
	assert_memory_equal(out + 14 + 24, all_nodes, 16);
	assert_int_equal(out[54 + 4], 0x80 | 0x20); /* not solicited */
	assert_true(ref_l4_ok(out));
	/* DAD with a source link-layer option is invalid */
	mk_ns(&f, unspec, gw6, true);
	assert_int_equal(ndp_parse(f.b, f.len, &m), -EINVAL);
	/* DAD to anything but the solicited-node group is invalid */
	mk_ns(&f, unspec, gw6, false);
	memcpy(f.b + 14 + 24, gw6, 16);
	{
		uint8_t icmp[24];

		memcpy(icmp, f.b + 54, 24);
		mk_icmp(&f, gw_mac, unspec, gw6, 255, icmp, 24);
	}
	assert_int_equal(ndp_parse(f.b, f.len, &m), -EINVAL);
}

static void test_ns_invalid(void **state)
{
	struct frame f;
	struct ndp_msg m;
	uint8_t icmp[40];
	uint8_t mc_target[16] = {0xff, 2, [15] = 1};

	(void)state;
	/* hop limit not 255 */
	mk_ns(&f, vm_ll, gw6, true);
	f.b[14 + 7] = 254;
	assert_int_equal(ndp_parse(f.b, f.len, &m), -EINVAL);
	/* bad checksum */
	mk_ns(&f, vm_ll, gw6, true);
	f.b[54 + 2] ^= 1;
	assert_int_equal(ndp_parse(f.b, f.len, &m), -EINVAL);
	/* code 1 */
	mk_ns(&f, vm_ll, gw6, true);
	memcpy(icmp, f.b + 54, 32);
	icmp[1] = 1;
	mk_icmp(&f, gw_mac, vm_ll, gw6, 255, icmp, 32);
	assert_int_equal(ndp_parse(f.b, f.len, &m), -EINVAL);
	/* shorter than an NS */
	icmp[1] = 0;
	mk_icmp(&f, gw_mac, vm_ll, gw6, 255, icmp, 20);
	assert_int_equal(ndp_parse(f.b, f.len, &m), -EINVAL);
	/* an option of length 0 */
	icmp[25] = 0;
	mk_icmp(&f, gw_mac, vm_ll, gw6, 255, icmp, 32);
	assert_int_equal(ndp_parse(f.b, f.len, &m), -EINVAL);
	/* an option past the end */
	icmp[25] = 2;
	mk_icmp(&f, gw_mac, vm_ll, gw6, 255, icmp, 32);
	assert_int_equal(ndp_parse(f.b, f.len, &m), -EINVAL);
	/* 4 bytes of option: shorter than one unit */
	icmp[25] = 1;
	mk_icmp(&f, gw_mac, vm_ll, gw6, 255, icmp, 28);
	assert_int_equal(ndp_parse(f.b, f.len, &m), -EINVAL);
	/* a multicast target */
	mk_ns(&f, vm_ll, mc_target, false);
	assert_int_equal(ndp_parse(f.b, f.len, &m), -EINVAL);
	/* a multicast source */
	mk_ns(&f, all_nodes, gw6, false);
	assert_int_equal(ndp_parse(f.b, f.len, &m), -EINVAL);
	/* the IPv6 payload length past the frame: not IPv6 we read */
	mk_ns(&f, vm_ll, gw6, true);
	assert_int_equal(ndp_parse(f.b, f.len - 1, &m), 0);
	/* options after the first SLLA are walked too */
	mk_ns(&f, vm_ll, gw6, true);
	memcpy(icmp, f.b + 54, 32);
	memset(icmp + 32, 0, 8);
	icmp[32] = 14; /* nonce option, one unit */
	icmp[33] = 1;
	mk_icmp(&f, gw_mac, vm_ll, gw6, 255, icmp, 40);
	assert_int_equal(ndp_parse(f.b, f.len, &m), 1);
	icmp[33] = 0;
	mk_icmp(&f, gw_mac, vm_ll, gw6, 255, icmp, 40);
	assert_int_equal(ndp_parse(f.b, f.len, &m), -EINVAL);
}

static void test_rs(void **state)
{
	struct frame f;
	struct ndp_msg m;
	uint8_t icmp[8] = {133};

	(void)state;
	mk_rs(&f, vm_ll, true);
	assert_int_equal(ndp_parse(f.b, f.len, &m), 1);
	assert_int_equal(m.type, NDP_RS);
	assert_null(m.target);
	assert_memory_equal(m.sll, vm_mac, 6);
	mk_rs(&f, unspec, false);
	assert_int_equal(ndp_parse(f.b, f.len, &m), 1);
	mk_rs(&f, unspec, true);
	assert_int_equal(ndp_parse(f.b, f.len, &m), -EINVAL);
	mk_icmp(&f, gw_mac, vm_ll, all_routers, 255, icmp, 4);
	assert_int_equal(ndp_parse(f.b, f.len, &m), -EINVAL);
	mk_icmp(&f, gw_mac, vm_ll, all_routers, 64, icmp, 8);
	assert_int_equal(ndp_parse(f.b, f.len, &m), -EINVAL);
}

static void test_not_solicitations(void **state)
{
	struct frame f;
	struct ndp_msg m;
	uint8_t icmp[32] = {128}; /* echo request */
	size_t i;

	(void)state;
	mk_icmp(&f, gw_mac, vm_ll, gw_ll, 64, icmp, 16);
	assert_int_equal(ndp_parse(f.b, f.len, &m), 0);
	icmp[0] = 136; /* the guest's NA: the stack's */
	mk_icmp(&f, gw_mac, vm_ll, gw_ll, 255, icmp, 32);
	assert_int_equal(ndp_parse(f.b, f.len, &m), 0);
	icmp[0] = 135; /* NS inside UDP */
	mk_icmp(&f, gw_mac, vm_ll, gw_ll, 255, icmp, 32);
	f.b[14 + 6] = 17;
	assert_int_equal(ndp_parse(f.b, f.len, &m), 0);
	/* an IPv4 frame; truncations of an NS below its IPv6 header */
	f.b[12] = 8;
	f.b[13] = 0;
	assert_int_equal(ndp_parse(f.b, f.len, &m), 0);
	mk_ns(&f, vm_ll, gw6, true);
	for (i = 0; i < 14 + 40 + 4; i++)
		assert_int_equal(ndp_parse(f.b, i, &m), 0);
	/* version 4 in an IPv6 frame */
	f.b[14] = 0x40;
	assert_int_equal(ndp_parse(f.b, f.len, &m), 0);
}

/* find RA option @type; NULL if absent */
static const uint8_t *ra_opt(const uint8_t *f, size_t len, uint8_t type)
{
	size_t off = 14 + 40 + 16;

	while (off < len) {
		assert_true(off + 8 <= len);
		assert_true(f[off + 1] > 0);
		assert_true(off + f[off + 1] * 8u <= len);
		if (f[off] == type)
			return f + off;
		off += f[off + 1] * 8u;
	}
	return NULL;
}

static void ra_cfg(struct ndp_ra_cfg *c, uint8_t *dnssl, size_t dnssl_len)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->mac, gw_mac, 6);
	memcpy(c->src, gw_ll, 16);
	memcpy(c->prefix, gw6, 8);
	c->flags = NDP_RA_OTHER;
	c->mtu = 1500;
	c->router_lifetime = 1800;
	c->valid_lifetime = 86400;
	c->preferred_lifetime = 14400;
	c->have_rdnss = true;
	memcpy(c->rdnss, gw6, 16);
	c->dns_lifetime = 1800;
	c->dnssl = dnssl;
	c->dnssl_len = dnssl_len;
}

static void test_ra(void **state)
{
	static const uint8_t mc_all[6] = {0x33, 0x33, 0, 0, 0, 1};
	static uint8_t dnssl[] = "\x07"
				 "example\x03"
				 "com\x00\x04"
				 "corp\x07"
				 "example\x03"
				 "org"; /* 13 + 18 bytes */
	struct ndp_ra_cfg c;
	uint8_t out[1600];
	const uint8_t *o, *ip = out + 14, *icmp = out + 54;
	size_t n;

	(void)state;
	ra_cfg(&c, dnssl, sizeof(dnssl));
	n = ndp_build_ra(out, sizeof(out), &c, mc_all, all_nodes);
	assert_int_equal(n, 14 + 40 + 16 + 8 + 8 + 32 + 24 + 40);
	assert_memory_equal(out, mc_all, 6);
	assert_memory_equal(out + 6, gw_mac, 6);
	assert_int_equal(ip[7], 255);
	assert_memory_equal(ip + 8, gw_ll, 16);
	assert_memory_equal(ip + 24, all_nodes, 16);
	assert_int_equal(ip[4] << 8 | ip[5], n - 54);
	assert_true(ref_l4_ok(out));
	assert_int_equal(icmp[0], 134);
	assert_int_equal(icmp[1], 0);
	assert_int_equal(icmp[4], 64);
	assert_int_equal(icmp[5], 0x40); /* O, not M */
	assert_int_equal(icmp[6] << 8 | icmp[7], 1800);
	o = ra_opt(out, n, 1);
	assert_non_null(o);
	assert_memory_equal(o + 2, gw_mac, 6);
	o = ra_opt(out, n, 5);
	assert_non_null(o);
	assert_int_equal(o[7] | o[6] << 8, 1500);
	o = ra_opt(out, n, 3);
	assert_non_null(o);
	assert_int_equal(o[1], 4);
	assert_int_equal(o[2], 64);
	assert_int_equal(o[3], 0xc0);
	assert_int_equal(o[4] << 24 | o[5] << 16 | o[6] << 8 | o[7], 86400);
	assert_int_equal(o[8] << 24 | o[9] << 16 | o[10] << 8 | o[11], 14400);
	assert_memory_equal(o + 16, gw6, 8);
	assert_memory_equal(o + 24, unspec, 8);
	o = ra_opt(out, n, 25);
	assert_non_null(o);
	assert_int_equal(o[1], 3);
	assert_memory_equal(o + 8, gw6, 16);
	o = ra_opt(out, n, 31);
	assert_non_null(o);
	assert_int_equal(o[1], 5); /* 8 + 31 bytes, padded to 40 */
	assert_int_equal(o[7], 0x08);
	assert_int_equal(o[6], 0x07);
	assert_memory_equal(o + 8, dnssl, sizeof(dnssl));
	assert_int_equal(o[8 + 31], 0);

	/* room for the first name only; then for none */
	n = ndp_build_ra(out, 14 + 40 + 16 + 8 + 8 + 32 + 24 + 24, &c, mc_all,
			 all_nodes);
	o = ra_opt(out, n, 31);
	assert_non_null(o);
	assert_int_equal(o[1], 3);
	assert_true(ref_l4_ok(out));
	n = ndp_build_ra(out, 14 + 40 + 16 + 8 + 8 + 32 + 24 + 8, &c, mc_all,
			 all_nodes);
	assert_null(ra_opt(out, n, 31));
	assert_true(ref_l4_ok(out));
	/* not even the fixed options fit */
	assert_int_equal(ndp_build_ra(out, 100, &c, mc_all, all_nodes), 0);
	/* a malformed list is left out, no MTU, no RDNSS */
	dnssl[0] = 200;
	c.mtu = 0;
	c.have_rdnss = false;
	n = ndp_build_ra(out, sizeof(out), &c, vm_mac, vm_ll);
	assert_int_equal(n, 14 + 40 + 16 + 8 + 32);
	assert_null(ra_opt(out, n, 31));
	assert_null(ra_opt(out, n, 5));
	assert_true(ref_l4_ok(out));
	dnssl[0] = 7;
}

static void test_udp6(void **state)
{
	uint8_t out[200];
	struct pkt_udp6 u;
	struct pkt_ip6 ip;
	uint8_t sol[16], mac[6];
	size_t n;

	(void)state;
	memcpy(out + 62, "hello", 5);
	n = pkt_build_udp6(out, gw_mac, vm_mac, gw_ll, vm_ll, 547, 546, 5);
	assert_int_equal(n, 62 + 5);
	assert_true(ref_l4_ok(out));
	assert_int_equal(out[14 + 7], 255);
	assert_int_equal(pkt_parse_udp6(out, n, &u), 0);
	assert_int_equal(u.sport, 547);
	assert_int_equal(u.dport, 546);
	assert_int_equal(u.len, 5);
	assert_memory_equal(u.payload, "hello", 5);
	assert_int_equal(pkt_parse_ip6(out, n, &ip), 0);
	assert_int_equal(ip.next, 17);
	/* a global destination gets hop limit 64 */
	n = pkt_build_udp6(out, gw_mac, vm_mac, gw6, gw6, 1, 2, 5);
	assert_int_equal(out[14 + 7], 64);
	/* a bad checksum, a zero checksum, a UDP length past the payload */
	out[62] ^= 1;
	assert_int_equal(pkt_parse_udp6(out, n, &u), -EINVAL);
	out[62] ^= 1;
	out[60] = out[61] = 0;
	assert_int_equal(pkt_parse_udp6(out, n, &u), -EINVAL);
	n = pkt_build_udp6(out, gw_mac, vm_mac, gw6, gw6, 1, 2, 5);
	out[59] = 14;
	assert_int_equal(pkt_parse_udp6(out, n, &u), -EINVAL);
	assert_int_equal(pkt_parse_udp6(out, 61, &u), -EINVAL);
	/* solicited-node group and multicast MAC */
	pkt_ip6_solicited(sol, gw6);
	solicited(out, gw6);
	assert_memory_equal(sol, out, 16);
	pkt_mcast_mac6(mac, sol);
	assert_memory_equal(mac, "\x33\x33\xff\x00\x00\x01", 6);
	assert_true(pkt_ip6_is_ll(gw_ll));
	assert_false(pkt_ip6_is_ll(gw6));
	assert_true(pkt_ip6_is_unspec(unspec));
}

static int write_seed(const char *dir, const char *name, const struct frame *f)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	if (!fp || fwrite(f->b, 1, f->len, fp) != f->len) {
		perror(path);
		if (fp)
			fclose(fp);
		return 1;
	}
	return fclose(fp) != 0;
}

static int write_corpus(const char *dir)
{
	struct frame f;
	int rc = 0;

	mk_ns(&f, vm_ll, gw6, true);
	rc |= write_seed(dir, "ns-global", &f);
	mk_ns(&f, vm_ll, gw_ll, false);
	rc |= write_seed(dir, "ns-link-local", &f);
	mk_ns(&f, unspec, gw6, false);
	rc |= write_seed(dir, "ns-dad", &f);
	mk_rs(&f, vm_ll, true);
	rc |= write_seed(dir, "rs", &f);
	mk_rs(&f, unspec, false);
	rc |= write_seed(dir, "rs-unspecified", &f);
	return rc;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ns_unicast_source),
		cmocka_unit_test(test_ns_dad),
		cmocka_unit_test(test_ns_invalid),
		cmocka_unit_test(test_rs),
		cmocka_unit_test(test_not_solicitations),
		cmocka_unit_test(test_ra),
		cmocka_unit_test(test_udp6),
	};

	if (argc == 3 && !strcmp(argv[1], "--write-corpus"))
		return write_corpus(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
