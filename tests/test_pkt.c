/*
 * test_pkt.c - cmocka unit tests of the packet helpers (net/pkt.h): the
 * IPv4/UDP parser on valid and malformed frames (truncated, bad IHL,
 * fragments, UDP length past the end), ARP request detection and reply
 * building, the UDP builder's IPv4 and UDP checksums (verified by an
 * independent one's-complement sum over the pseudo header), and the
 * Internet checksum on known vectors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/pkt.h"
#include "net/pkt6.h"

#define IP(a, b, c, d)                                                    \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | \
	 (uint32_t)(d))

static const uint8_t gw_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
static const uint8_t vm_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* ref_sum() - one's-complement sum of 16-bit words, not inverted. */
static uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i < len; i++)
		sum += i % 2 ? p[i] : (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/*
 * udp_frame() - a hand-made Ethernet/IPv4/UDP frame with @plen payload
 * bytes (checksums left zero: the parser does not check them).
 */
static size_t udp_frame(uint8_t *f, size_t plen)
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	size_t i;

	memcpy(f, gw_mac, 6);
	memcpy(f + 6, vm_mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	be16_put(ip + 2, (uint16_t)(28 + plen));
	ip[6] = 0x40; /* DF is fine */
	ip[8] = 64;
	ip[9] = 17;
	be32_put(ip + 12, IP(0, 0, 0, 0));
	be32_put(ip + 16, IP(255, 255, 255, 255));
	be16_put(udp, 68);
	be16_put(udp + 2, 67);
	be16_put(udp + 4, (uint16_t)(8 + plen));
	be16_put(udp + 6, 0);
	for (i = 0; i < plen; i++)
		udp[8 + i] = (uint8_t)(i + 1);
	return 42 + plen;
}

static void test_get_put(void **state)
{
	uint8_t b[4];

	(void)state;
	be16_put(b, 0xabcd);
	assert_int_equal(b[0], 0xab);
	assert_int_equal(b[1], 0xcd);
	assert_int_equal(be16_get(b), 0xabcd);
	be32_put(b, 0xc0a87f01);
	assert_int_equal(b[0], 0xc0);
	assert_int_equal(b[3], 0x01);
	assert_int_equal(be32_get(b), 0xc0a87f01);
	be32_put(b, 0xffffffffu);
	assert_int_equal(be32_get(b), 0xffffffffu);
}

static void test_parse_udp4_valid(void **state)
{
	uint8_t f[200];
	struct pkt_udp4 u;
	size_t len = udp_frame(f, 10);

	(void)state;
	assert_int_equal(pkt_parse_udp4(f, len, &u), 0);
	assert_ptr_equal(u.eth_src, f + 6);
	assert_int_equal(u.src, 0);
	assert_int_equal(u.dst, 0xffffffffu);
	assert_int_equal(u.sport, 68);
	assert_int_equal(u.dport, 67);
	assert_ptr_equal(u.payload, f + 42);
	assert_int_equal(u.len, 10);

	/* an empty datagram */
	len = udp_frame(f, 0);
	assert_int_equal(pkt_parse_udp4(f, len, &u), 0);
	assert_int_equal(u.len, 0);

	/* Ethernet padding past the IP total length is ignored */
	len = udp_frame(f, 2);
	memset(f + len, 0xee, 60 - len);
	assert_int_equal(pkt_parse_udp4(f, 60, &u), 0);
	assert_int_equal(u.len, 2);

	/* a UDP length shorter than the IP payload is believed */
	len = udp_frame(f, 20);
	be16_put(f + 34 + 4, 8 + 5);
	assert_int_equal(pkt_parse_udp4(f, len, &u), 0);
	assert_int_equal(u.len, 5);
}

static void test_parse_udp4_options(void **state)
{
	uint8_t f[200];
	struct pkt_udp4 u;
	size_t len;

	(void)state;
	/* IHL 6: four bytes of options move the UDP header */
	len = udp_frame(f, 8);
	memmove(f + 38, f + 34, len - 34);
	memset(f + 34, 1, 4); /* four NOPs */
	f[14] = 0x46;
	be16_put(f + 16, (uint16_t)(24 + 8 + 8));
	len += 4;
	assert_int_equal(pkt_parse_udp4(f, len, &u), 0);
	assert_int_equal(u.sport, 68);
	assert_int_equal(u.dport, 67);
	assert_ptr_equal(u.payload, f + 46);
	assert_int_equal(u.len, 8);
}

static void test_parse_udp4_truncated(void **state)
{
	uint8_t f[200];
	struct pkt_udp4 u;
	size_t len = udp_frame(f, 10), n;

	(void)state;
	/* cut anywhere: never accepted, never read past @len (ASan) */
	for (n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		assert_non_null(copy);
		memcpy(copy, f, n);
		assert_int_equal(pkt_parse_udp4(copy, n, &u), -EINVAL);
		free(copy);
	}
	/* IP total length past the frame */
	be16_put(f + 16, (uint16_t)(28 + 11));
	assert_int_equal(pkt_parse_udp4(f, len, &u), -EINVAL);
	/* IP total length too short for a UDP header */
	be16_put(f + 16, 27);
	assert_int_equal(pkt_parse_udp4(f, len, &u), -EINVAL);
}

static void test_parse_udp4_bad_ihl(void **state)
{
	uint8_t f[200];
	struct pkt_udp4 u;
	size_t len = udp_frame(f, 10);
	int ihl;

	(void)state;
	for (ihl = 0; ihl < 5; ihl++) {
		f[14] = (uint8_t)(0x40 | ihl);
		assert_int_equal(pkt_parse_udp4(f, len, &u), -EINVAL);
	}
	/* IHL 15 (60 bytes) leaves no room for UDP in a 38-byte datagram */
	f[14] = 0x4f;
	assert_int_equal(pkt_parse_udp4(f, len, &u), -EINVAL);
	/* IHL 7: the UDP length is then read from payload bytes, too big */
	f[14] = 0x47;
	assert_int_equal(pkt_parse_udp4(f, len, &u), -EINVAL);
}

static void test_parse_udp4_not_udp4(void **state)
{
	uint8_t f[200];
	struct pkt_udp4 u;
	size_t len;

	(void)state;
	len = udp_frame(f, 10);
	f[14] = 0x65; /* version 6 */
	assert_int_equal(pkt_parse_udp4(f, len, &u), -EINVAL);
	len = udp_frame(f, 10);
	f[23] = 6; /* TCP */
	assert_int_equal(pkt_parse_udp4(f, len, &u), -EINVAL);
	len = udp_frame(f, 10);
	f[12] = 0x86; /* IPv6 ethertype */
	f[13] = 0xdd;
	assert_int_equal(pkt_parse_udp4(f, len, &u), -EINVAL);
	len = udp_frame(f, 10);
	f[13] = 0x06; /* ARP */
	assert_int_equal(pkt_parse_udp4(f, len, &u), -EINVAL);
}

static void test_parse_udp4_fragment(void **state)
{
	uint8_t f[200];
	struct pkt_udp4 u;
	size_t len = udp_frame(f, 10);

	(void)state;
	be16_put(f + 20, 0x2000); /* MF */
	assert_int_equal(pkt_parse_udp4(f, len, &u), -EINVAL);
	be16_put(f + 20, 0x0001); /* offset 8 */
	assert_int_equal(pkt_parse_udp4(f, len, &u), -EINVAL);
	be16_put(f + 20, 0x1fff); /* largest offset */
	assert_int_equal(pkt_parse_udp4(f, len, &u), -EINVAL);
	be16_put(f + 20, 0x4000); /* DF only */
	assert_int_equal(pkt_parse_udp4(f, len, &u), 0);
	be16_put(f + 20, 0x0000);
	assert_int_equal(pkt_parse_udp4(f, len, &u), 0);
}

static void test_parse_udp4_udp_len(void **state)
{
	uint8_t f[200];
	struct pkt_udp4 u;
	size_t len = udp_frame(f, 10);

	(void)state;
	be16_put(f + 38, 8 + 11); /* past the IP payload */
	assert_int_equal(pkt_parse_udp4(f, len, &u), -EINVAL);
	be16_put(f + 38, 0xffff);
	assert_int_equal(pkt_parse_udp4(f, len, &u), -EINVAL);
	be16_put(f + 38, 7); /* shorter than its header */
	assert_int_equal(pkt_parse_udp4(f, len, &u), -EINVAL);
	be16_put(f + 38, 0);
	assert_int_equal(pkt_parse_udp4(f, len, &u), -EINVAL);
	be16_put(f + 38, 8 + 10);
	assert_int_equal(pkt_parse_udp4(f, len, &u), 0);
}

/* arp_request() - who-has @tip, from vm_mac/.2 (42 bytes). */
static size_t arp_request(uint8_t *f, uint32_t tip)
{
	uint8_t *a = f + 14;

	memcpy(f, bcast, 6);
	memcpy(f + 6, vm_mac, 6);
	be16_put(f + 12, 0x0806);
	be16_put(a, 1);
	be16_put(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	be16_put(a + 6, 1);
	memcpy(a + 8, vm_mac, 6);
	be32_put(a + 14, IP(192, 168, 127, 2));
	memset(a + 18, 0, 6);
	be32_put(a + 24, tip);
	return 42;
}

static void test_arp_request_for(void **state)
{
	uint8_t f[64];
	uint32_t tip = 0;
	size_t len;

	(void)state;
	len = arp_request(f, IP(192, 168, 127, 254));
	assert_true(pkt_arp_request_for(f, len, &tip));
	assert_int_equal(tip, IP(192, 168, 127, 254));
	/* with Ethernet padding to 60 bytes */
	memset(f + len, 0, 60 - len);
	assert_true(pkt_arp_request_for(f, 60, &tip));

	/* too short, at every length */
	for (len = 0; len < 42; len++)
		assert_false(pkt_arp_request_for(f, len, &tip));

	len = arp_request(f, IP(192, 168, 127, 1));
	be16_put(f + 20, 2); /* a reply */
	assert_false(pkt_arp_request_for(f, len, &tip));
	len = arp_request(f, IP(192, 168, 127, 1));
	be16_put(f + 14, 6); /* hardware type IEEE 802 */
	assert_false(pkt_arp_request_for(f, len, &tip));
	len = arp_request(f, IP(192, 168, 127, 1));
	be16_put(f + 16, 0x86dd);
	assert_false(pkt_arp_request_for(f, len, &tip));
	len = arp_request(f, IP(192, 168, 127, 1));
	f[18] = 8;
	assert_false(pkt_arp_request_for(f, len, &tip));
	len = arp_request(f, IP(192, 168, 127, 1));
	f[19] = 16;
	assert_false(pkt_arp_request_for(f, len, &tip));
	len = arp_request(f, IP(192, 168, 127, 1));
	be16_put(f + 12, 0x0800);
	assert_false(pkt_arp_request_for(f, len, &tip));
}

static void test_arp_reply(void **state)
{
	uint8_t req[42], out[64];
	const uint8_t *a = out + 14;
	size_t n;

	(void)state;
	arp_request(req, IP(192, 168, 127, 254));
	memset(out, 0xcc, sizeof(out));
	n = pkt_build_arp_reply(out, req, gw_mac, IP(192, 168, 127, 254));
	assert_int_equal(n, 42);
	assert_int_equal(out[42], 0xcc); /* nothing written past it */
	assert_memory_equal(out, vm_mac, 6); /* unicast to the asker */
	assert_memory_equal(out + 6, gw_mac, 6);
	assert_int_equal(be16_get(out + 12), 0x0806);
	assert_int_equal(be16_get(a), 1);
	assert_int_equal(be16_get(a + 2), 0x0800);
	assert_int_equal(a[4], 6);
	assert_int_equal(a[5], 4);
	assert_int_equal(be16_get(a + 6), 2);
	assert_memory_equal(a + 8, gw_mac, 6);
	assert_int_equal(be32_get(a + 14), IP(192, 168, 127, 254));
	assert_memory_equal(a + 18, vm_mac, 6);
	assert_int_equal(be32_get(a + 24), IP(192, 168, 127, 2));
	/* a reply is not a request */
	{
		uint32_t tip;

		assert_false(pkt_arp_request_for(out, n, &tip));
	}
}

/* check_udp4_csums() - the IPv4 and UDP checksums of @f verify. */
static void check_udp4_csums(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14, *udp = ip + 20;
	size_t ulen = len - 34;
	uint32_t ph;

	assert_int_equal(ref_sum(ip, 20, 0), 0xffff);
	assert_int_equal(pkt_csum(ip, 20, 0), 0);
	assert_int_equal(be16_get(udp + 4), ulen);
	assert_int_not_equal(be16_get(udp + 6), 0); /* 0 means "none" */
	/* pseudo header: src, dst, zero, protocol, UDP length */
	ph = ref_sum(ip + 12, 8, 0);
	ph += 17 + (uint32_t)ulen;
	assert_int_equal(ref_sum(udp, ulen, ph), 0xffff);
}

static void test_build_udp4(void **state)
{
	uint8_t f[1600];
	struct pkt_udp4 u;
	size_t len, plen, i;

	(void)state;
	for (plen = 0; plen < 600; plen += 37) {
		for (i = 0; i < plen; i++)
			f[42 + i] = (uint8_t)(i * 7 + plen);
		len = pkt_build_udp4(f, gw_mac, vm_mac, IP(192, 168, 127, 1),
				     IP(192, 168, 127, 2), 67, 68, plen);
		assert_int_equal(len, 42 + plen);
		assert_memory_equal(f, vm_mac, 6);
		assert_memory_equal(f + 6, gw_mac, 6);
		assert_int_equal(be16_get(f + 12), 0x0800);
		assert_int_equal(f[14], 0x45);
		assert_int_equal(be16_get(f + 16), 28 + plen);
		assert_int_equal(f[22], 64);
		check_udp4_csums(f, len);
		/* and it parses back */
		assert_int_equal(pkt_parse_udp4(f, len, &u), 0);
		assert_int_equal(u.src, IP(192, 168, 127, 1));
		assert_int_equal(u.dst, IP(192, 168, 127, 2));
		assert_int_equal(u.sport, 67);
		assert_int_equal(u.dport, 68);
		assert_int_equal(u.len, plen);
		assert_ptr_equal(u.payload, f + 42);
	}
	/* broadcast destination, odd payload */
	f[42] = 0x5a;
	len = pkt_build_udp4(f, gw_mac, bcast, IP(192, 168, 127, 1),
			     0xffffffffu, 67, 68, 1);
	check_udp4_csums(f, len);
}

/*
 * A payload whose checksum computes to zero must be sent as 0xffff (zero
 * means "no checksum" in UDP over IPv4) and still verify.
 */
static void test_build_udp4_zero_csum(void **state)
{
	uint8_t f[64];
	uint32_t sum;
	uint16_t fill;

	(void)state;
	/* choose two payload bytes so that the sum is 0xffff before ~ */
	memset(f + 42, 0, 2);
	pkt_build_udp4(f, gw_mac, vm_mac, IP(10, 0, 0, 1), IP(10, 0, 0, 2),
		       1000, 2000, 2);
	be16_put(f + 40, 0);
	sum = ref_sum(f + 26, 8, 17 + 10);
	sum = ref_sum(f + 34, 10, sum);
	fill = (uint16_t)(0xffff - sum);
	be16_put(f + 42, fill);
	pkt_build_udp4(f, gw_mac, vm_mac, IP(10, 0, 0, 1), IP(10, 0, 0, 2),
		       1000, 2000, 2);
	assert_int_equal(be16_get(f + 40), 0xffff);
	check_udp4_csums(f, 44);
}

static void test_csum_vectors(void **state)
{
	/* RFC 1071 section 3 */
	static const uint8_t rfc1071[] = {0x00, 0x01, 0xf2, 0x03,
					  0xf4, 0xf5, 0xf6, 0xf7};
	/* an IPv4 header with its checksum 0xb861 */
	static const uint8_t iph[20] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	uint8_t h[20];
	static const uint8_t one = 0x01;

	(void)state;
	assert_int_equal(pkt_csum(rfc1071, sizeof(rfc1071), 0),
			 (uint16_t)~0xddf2);
	assert_int_equal(pkt_csum(iph, 20, 0), 0);
	memcpy(h, iph, 20);
	h[10] = h[11] = 0;
	assert_int_equal(pkt_csum(h, 20, 0), 0xb861);
	/* empty, odd length, seeds with carries */
	assert_int_equal(pkt_csum(NULL, 0, 0), 0xffff);
	assert_int_equal(pkt_csum(&one, 1, 0), 0xfeff);
	assert_int_equal(pkt_csum(NULL, 0, 0x1234), 0xedcb);
	assert_int_equal(pkt_csum(NULL, 0, 0x1ffff), 0xfffe);
	assert_int_equal(pkt_csum(rfc1071, 7, 0),
			 (uint16_t)~ref_sum(rfc1071, 7, 0));
}

static void test_csum_random(void **state)
{
	uint8_t *buf = malloc(65536);
	uint32_t x = 12345;
	size_t i, len;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < 65536; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	/* all ones: the largest sums, checks the carry folding */
	memset(buf + 60000, 0xff, 5536);
	for (len = 0; len <= 65535; len = len * 3 + 1) {
		assert_int_equal(pkt_csum(buf, len, 0),
				 (uint16_t)~ref_sum(buf, len, 0));
		assert_int_equal(pkt_csum(buf + 1, len, 0xabcd),
				 (uint16_t)~ref_sum(buf + 1, len, 0xabcd));
	}
	assert_int_equal(pkt_csum(buf, 65535, 0),
			 (uint16_t)~ref_sum(buf, 65535, 0));
	assert_int_equal(pkt_csum(buf + 60000, 5536, 0),
			 (uint16_t)~ref_sum(buf + 60000, 5536, 0));
	free(buf);
}

/* pkt6_ext_walk(): the extension headers a receiver passes over */
static void test_ext6_walk(void **state)
{
	uint8_t ip[40 + 8 * (PKT6_MAX_EXT + 1)];
	uint8_t nh = 0xff;
	size_t hlen = 0;
	int i;

	(void)state;
	memset(ip, 0, sizeof(ip));
	ip[0] = 0x60;
	ip[6] = 17; /* none */
	assert_int_equal(pkt6_ext_walk(ip, 40, &nh, &hlen), 0);
	assert_int_equal(nh, 17);
	assert_int_equal(hlen, 40);
	/* hop-by-hop (router alert) -> routing (none left) -> UDP */
	ip[6] = 0;
	memcpy(ip + 40, (const uint8_t[8]){43, 0, 5, 2, 0, 0, 0, 0}, 8);
	memcpy(ip + 48, (const uint8_t[8]){17, 0, 2, 0, 0, 0, 0, 0}, 8);
	assert_int_equal(pkt6_ext_walk(ip, 56, &nh, &hlen), 0);
	assert_int_equal(nh, 17);
	assert_int_equal(hlen, 56);
	assert_int_equal(pkt6_ext_walk(ip, 55, &nh, &hlen), -EINVAL);
	ip[48 + 3] = 1; /* segments left */
	assert_int_equal(pkt6_ext_walk(ip, 56, &nh, &hlen), -EOPNOTSUPP);
	ip[48 + 3] = 0;
	ip[40 + 2] = 0x82; /* unknown, "discard and report" */
	assert_int_equal(pkt6_ext_walk(ip, 56, &nh, &hlen), -EOPNOTSUPP);
	ip[40 + 2] = 0x22; /* unknown, "skip" */
	assert_int_equal(pkt6_ext_walk(ip, 56, &nh, &hlen), 0);
	ip[40 + 3] = 5; /* its length past the header */
	assert_int_equal(pkt6_ext_walk(ip, 56, &nh, &hlen), -EINVAL);
	/* hop-by-hop second */
	ip[6] = 60;
	memcpy(ip + 40, (const uint8_t[8]){0, 0, 1, 4, 0, 0, 0, 0}, 8);
	assert_int_equal(pkt6_ext_walk(ip, 56, &nh, &hlen), -EINVAL);
	/* a chain of PKT6_MAX_EXT is walked, one more is refused */
	for (i = 0; i <= PKT6_MAX_EXT; i++)
		memcpy(ip + 40 + 8 * i, (const uint8_t[8]){60, 0, 1, 4}, 8);
	assert_int_equal(pkt6_ext_walk(ip, sizeof(ip), &nh, &hlen), -EINVAL);
	ip[40 + 8 * (PKT6_MAX_EXT - 1)] = 6;
	assert_int_equal(pkt6_ext_walk(ip, sizeof(ip), &nh, &hlen), 0);
	assert_int_equal(nh, 6);
	assert_int_equal(hlen, 40 + 8 * PKT6_MAX_EXT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_put),
		cmocka_unit_test(test_parse_udp4_valid),
		cmocka_unit_test(test_parse_udp4_options),
		cmocka_unit_test(test_parse_udp4_truncated),
		cmocka_unit_test(test_parse_udp4_bad_ihl),
		cmocka_unit_test(test_parse_udp4_not_udp4),
		cmocka_unit_test(test_parse_udp4_fragment),
		cmocka_unit_test(test_parse_udp4_udp_len),
		cmocka_unit_test(test_arp_request_for),
		cmocka_unit_test(test_arp_reply),
		cmocka_unit_test(test_build_udp4),
		cmocka_unit_test(test_build_udp4_zero_csum),
		cmocka_unit_test(test_csum_vectors),
		cmocka_unit_test(test_csum_random),
		cmocka_unit_test(test_ext6_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
