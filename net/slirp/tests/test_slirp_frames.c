/*
 * test_slirp_frames.c - cmocka tests of the libslirp backend's frame
 * filter and builders (net/slirp/slirp_frames.h): every verdict of the
 * filter on hand-made frames (bad source, loopback, link-local with and
 * without -ec2-metadata-access, other subnet addresses, broadcast and
 * multicast, malformed headers, bad UDP checksums, the gateway's ICMP,
 * UDP and TCP, the host alias and the outside), the echo reply and RST
 * the backend answers with (checksums verified independently), UDP to
 * the guest fragmented past the MTU and put back together here, and the
 * rewrite of libslirp's MAC in IPv4 and ARP frames.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/netcfg.h"
#include "net/pkt.h"
#include "net/slirp/slirp_frames.h"

#define IP(a, b, c, d)                                                    \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | \
	 (uint32_t)(d))

static const uint8_t gw_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
static const uint8_t vm_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};

static struct netcfg cfg;

static int setup(void **state)
{
	netcfg_defaults(&cfg);
	return 0;
}

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

static uint32_t pseudo_sum(uint32_t s, uint32_t d, uint8_t proto, size_t l)
{
	return (s >> 16) + (s & 0xffff) + (d >> 16) + (d & 0xffff) + proto +
	       (uint32_t)l;
}

/*
 * ip_frame() - Ethernet + IPv4 (checksummed) + @l4len bytes of @l4; the
 * L4 checksum is the caller's.
 */
static size_t ip_frame(uint8_t *f, uint32_t src, uint32_t dst, uint8_t proto,
		       const uint8_t *l4, size_t l4len)
{
	uint8_t *ip = f + 14;

	memcpy(f, gw_mac, 6);
	memcpy(f + 6, vm_mac, 6);
	be16_put(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	be16_put(ip + 2, (uint16_t)(20 + l4len));
	be16_put(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = proto;
	be32_put(ip + 12, src);
	be32_put(ip + 16, dst);
	be16_put(ip + 10, pkt_csum(ip, 20, 0));
	memcpy(ip + 20, l4, l4len);
	return 34 + l4len;
}

static size_t udp_frame(uint8_t *f, uint32_t src, uint32_t dst, uint16_t dport,
			const char *payload, bool good_csum)
{
	uint8_t u[512];
	size_t n = strlen(payload), len;

	be16_put(u, 40000);
	be16_put(u + 2, dport);
	be16_put(u + 4, (uint16_t)(8 + n));
	be16_put(u + 6, 0);
	memcpy(u + 8, payload, n);
	be16_put(u + 6, pkt_csum(u, 8 + n, pseudo_sum(src, dst, 17, 8 + n)));
	if (!good_csum)
		u[6] ^= 0x40;
	len = ip_frame(f, src, dst, 17, u, 8 + n);
	return len;
}

static size_t tcp_frame(uint8_t *f, uint32_t src, uint32_t dst, uint16_t dport,
			uint8_t flags, uint32_t seq, uint32_t ack, size_t plen)
{
	uint8_t t[64] = {0};

	be16_put(t, 41000);
	be16_put(t + 2, dport);
	be32_put(t + 4, seq);
	be32_put(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	be16_put(t + 14, 65535);
	return ip_frame(f, src, dst, 6, t, 20 + plen);
}

static size_t echo_frame(uint8_t *f, uint32_t src, uint32_t dst, size_t plen)
{
	uint8_t i[256];
	size_t k;

	i[0] = 8;
	i[1] = 0;
	be16_put(i + 2, 0);
	be16_put(i + 4, 0x77);
	be16_put(i + 6, 3);
	for (k = 0; k < plen; k++)
		i[8 + k] = (uint8_t)k;
	be16_put(i + 2, pkt_csum(i, 8 + plen, 0));
	return ip_frame(f, src, dst, 1, i, 8 + plen);
}

static enum slirp_verdict verdict(const uint8_t *f, size_t len)
{
	struct slirp_pkt p;

	return slirp_classify(&cfg, f, len, &p);
}

static void test_filter_addresses(void **state)
{
	uint8_t f[600];
	size_t n;

	n = udp_frame(f, IP(192, 168, 127, 2), IP(8, 8, 8, 8), 53, "q", true);
	assert_int_equal(verdict(f, n), SLV_SLIRP);
	n = udp_frame(f, IP(192, 168, 127, 2), IP(192, 168, 127, 254), 53, "q",
		      true);
	assert_int_equal(verdict(f, n), SLV_SLIRP);
	/* sources: outside, the gateway, the host alias, the network */
	n = udp_frame(f, IP(10, 0, 0, 2), IP(8, 8, 8, 8), 53, "q", true);
	assert_int_equal(verdict(f, n), SLV_DROP_SOURCE);
	n = udp_frame(f, IP(192, 168, 127, 1), IP(8, 8, 8, 8), 53, "q", true);
	assert_int_equal(verdict(f, n), SLV_DROP_SOURCE);
	n = udp_frame(f, IP(192, 168, 127, 254), IP(8, 8, 8, 8), 53, "q", true);
	assert_int_equal(verdict(f, n), SLV_DROP_SOURCE);
	n = udp_frame(f, IP(192, 168, 127, 0), IP(8, 8, 8, 8), 53, "q", true);
	assert_int_equal(verdict(f, n), SLV_DROP_SOURCE);
	/* destinations libslirp must not see */
	n = udp_frame(f, IP(192, 168, 127, 2), IP(127, 0, 0, 1), 53, "q", true);
	assert_int_equal(verdict(f, n), SLV_DROP_LOOPBACK);
	n = udp_frame(f, IP(192, 168, 127, 2), IP(0, 1, 2, 3), 53, "q", true);
	assert_int_equal(verdict(f, n), SLV_DROP_LOOPBACK);
	n = udp_frame(f, IP(192, 168, 127, 2), IP(169, 254, 169, 254), 80, "q",
		      true);
	assert_int_equal(verdict(f, n), SLV_DROP_LINK_LOCAL);
	cfg.ec2_metadata_access = true;
	assert_int_equal(verdict(f, n), SLV_SLIRP);
	cfg.ec2_metadata_access = false;
	n = udp_frame(f, IP(192, 168, 127, 2), IP(192, 168, 127, 3), 53, "q",
		      true);
	assert_int_equal(verdict(f, n), SLV_DROP_SUBNET);
	n = udp_frame(f, IP(192, 168, 127, 2), IP(192, 168, 127, 255), 53, "q",
		      true);
	assert_int_equal(verdict(f, n), SLV_DROP_CAST);
	n = udp_frame(f, IP(192, 168, 127, 2), IP(255, 255, 255, 255), 67, "q",
		      true);
	assert_int_equal(verdict(f, n), SLV_DROP_CAST);
	n = udp_frame(f, IP(192, 168, 127, 2), IP(224, 0, 0, 251), 5353, "q",
		      true);
	assert_int_equal(verdict(f, n), SLV_DROP_CAST);
}

static void test_filter_malformed(void **state)
{
	uint8_t f[600];
	size_t n, k;

	n = udp_frame(f, IP(192, 168, 127, 2), IP(8, 8, 8, 8), 53, "hello",
		      true);
	/* every truncation is refused, never read past */
	for (k = 0; k < n; k++) {
		uint8_t *c = malloc(k ? k : 1);

		memcpy(c, f, k);
		assert_true(verdict(c, k) == SLV_DROP_MALFORMED ||
			    (k >= 14 && k < 34 && verdict(c, k) != SLV_SLIRP));
		free(c);
	}
	f[14 + 10] ^= 1; /* header checksum */
	assert_int_equal(verdict(f, n), SLV_DROP_MALFORMED);
	f[14 + 10] ^= 1;
	f[14] = 0x44; /* IHL 16 */
	assert_int_equal(verdict(f, n), SLV_DROP_MALFORMED);
	f[14] = 0x45;
	/* an IPv4 header as IPv6 (test_slirp_frames6.c has IPv6), others */
	be16_put(f + 12, 0x86dd);
	assert_int_equal(verdict(f, n), SLV_DROP_MALFORMED);
	be16_put(f + 12, 0x88cc);
	assert_int_equal(verdict(f, n), SLV_DROP_OTHER);
}

static void test_filter_gateway(void **state)
{
	uint8_t f[600];
	struct slirp_pkt p;
	size_t n;

	n = udp_frame(f, IP(192, 168, 127, 2), IP(192, 168, 127, 1), 53,
		      "query", true);
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_GW_UDP);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.l4len, 8 + 5);
	assert_memory_equal(p.l4 + 8, "query", 5);
	n = udp_frame(f, IP(192, 168, 127, 2), IP(192, 168, 127, 1), 53,
		      "query", false);
	assert_int_equal(verdict(f, n), SLV_DROP_MALFORMED);
	/* no checksum is fine for UDP */
	n = udp_frame(f, IP(192, 168, 127, 2), IP(192, 168, 127, 1), 53,
		      "query", true);
	be16_put(f + 34 + 6, 0);
	assert_int_equal(verdict(f, n), SLV_GW_UDP);

	n = echo_frame(f, IP(192, 168, 127, 2), IP(192, 168, 127, 1), 32);
	assert_int_equal(verdict(f, n), SLV_GW_ICMP);
	n = tcp_frame(f, IP(192, 168, 127, 2), IP(192, 168, 127, 1), 80,
		      SLIRP_TCP_SYN, 1000, 0, 0);
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_GW_TCP);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.tcp_flags, SLIRP_TCP_SYN);
	/* a fragment for the gateway */
	f[14 + 6] = 0x20;
	f[14 + 10] = f[14 + 11] = 0;
	be16_put(f + 14 + 10, pkt_csum(f + 14, 20, 0));
	assert_int_equal(verdict(f, n), SLV_DROP_OTHER);
}

static void test_filter_arp(void **state)
{
	uint8_t f[64];

	slirp_build_garp(f, vm_mac, IP(192, 168, 127, 2));
	assert_int_equal(verdict(f, 42), SLV_SLIRP);
	assert_int_equal(verdict(f, 41), SLV_DROP_MALFORMED);
	slirp_build_garp(f, vm_mac, IP(10, 1, 1, 1));
	assert_int_equal(verdict(f, 42), SLV_DROP_SOURCE);
	slirp_build_garp(f, vm_mac, 0);
	assert_int_equal(verdict(f, 42), SLV_DROP_OTHER);
}

static void test_arp_request(void **state)
{
	uint8_t f[42];

	assert_int_equal(slirp_build_arp_request(f, gw_mac,
						 IP(192, 168, 127, 1),
						 IP(192, 168, 127, 2)),
			 42);
	assert_memory_equal(f, "\xff\xff\xff\xff\xff\xff", 6);
	assert_memory_equal(f + 6, gw_mac, 6);
	assert_int_equal(be16_get(f + 12), 0x0806);
	assert_int_equal(be16_get(f + 20), 1); /* a request */
	assert_memory_equal(f + 22, gw_mac, 6);
	assert_int_equal(be32_get(f + 28), IP(192, 168, 127, 1));
	assert_int_equal(be32_get(f + 38), IP(192, 168, 127, 2));
	/* the gateway's own request is not a guest's: libslirp never sees it */
	assert_int_equal(verdict(f, 42), SLV_DROP_SOURCE);
}

static void test_echo_reply(void **state)
{
	uint8_t f[600], out[600];
	struct slirp_pkt p;
	size_t n, r;

	n = echo_frame(f, IP(192, 168, 127, 2), IP(192, 168, 127, 1), 56);
	assert_int_equal(slirp_classify(&cfg, f, n, &p), SLV_GW_ICMP);
	r = slirp_build_echo_reply(out, sizeof(out), f, &p, gw_mac);
	assert_int_equal(r, n);
	assert_memory_equal(out, vm_mac, 6);
	assert_memory_equal(out + 6, gw_mac, 6);
	assert_int_equal(be32_get(out + 14 + 12), IP(192, 168, 127, 1));
	assert_int_equal(be32_get(out + 14 + 16), IP(192, 168, 127, 2));
	assert_int_equal(ref_sum(out + 14, 20, 0), 0xffff);
	assert_int_equal(out[34], 0);
	assert_int_equal(ref_sum(out + 34, 8 + 56, 0), 0xffff);
	assert_memory_equal(out + 38, f + 38, 4 + 56); /* id, seq, data */
	/* too small a buffer, a bad checksum */
	assert_int_equal(slirp_build_echo_reply(out, n - 1, f, &p, gw_mac), 0);
	f[40] ^= 1;
	assert_int_equal(
		slirp_build_echo_reply(out, sizeof(out), f, &p, gw_mac), 0);
}

static void test_unreach4(void **state)
{
	uint8_t quote[68], out[200];
	size_t n;

	(void)state;
	memset(quote, 0x45, sizeof(quote));
	/* a datagram's IPv4 header and UDP header: 28 bytes quoted */
	n = slirp_build_unreach4(out, sizeof(out), vm_mac, gw_mac,
				 IP(192, 168, 127, 254), IP(192, 168, 127, 2),
				 quote, 28);
	assert_int_equal(n, 14 + 20 + 8 + 28);
	assert_memory_equal(out, vm_mac, 6);
	assert_memory_equal(out + 6, gw_mac, 6);
	assert_int_equal(out[14 + 9], 1); /* ICMP */
	assert_int_equal(be16_get(out + 14 + 2), 20 + 8 + 28);
	assert_int_equal(be32_get(out + 14 + 12), IP(192, 168, 127, 254));
	assert_int_equal(be32_get(out + 14 + 16), IP(192, 168, 127, 2));
	assert_int_equal(ref_sum(out + 14, 20, 0), 0xffff);
	assert_int_equal(out[34], 3); /* unreachable */
	assert_int_equal(out[35], 3); /* port */
	assert_int_equal(ref_sum(out + 34, 8 + 28, 0), 0xffff);
	assert_memory_equal(out + 42, quote, 28);
	/* IP options: up to 68 bytes; beyond, too short, too small a buffer */
	assert_int_equal(slirp_build_unreach4(out, sizeof(out), vm_mac, gw_mac,
					      1, 2, quote, 68),
			 14 + 20 + 8 + 68);
	assert_int_equal(slirp_build_unreach4(out, sizeof(out), vm_mac, gw_mac,
					      1, 2, quote, 69),
			 0);
	assert_int_equal(slirp_build_unreach4(out, sizeof(out), vm_mac, gw_mac,
					      1, 2, quote, 27),
			 0);
	assert_int_equal(slirp_build_unreach4(out, 14 + 20 + 8 + 27, vm_mac,
					      gw_mac, 1, 2, quote, 28),
			 0);
}

static void test_rst(void **state)
{
	uint8_t f[600], out[SLIRP_RST_LEN];
	struct slirp_pkt p;
	size_t n;

	/* a SYN: RST+ACK acknowledging it, sequence 0 */
	n = tcp_frame(f, IP(192, 168, 127, 2), IP(192, 168, 127, 1), 81,
		      SLIRP_TCP_SYN, 1000, 0, 0);
	slirp_classify(&cfg, f, n, &p);
	assert_int_equal(slirp_build_rst(out, f, &p, gw_mac), SLIRP_RST_LEN);
	assert_memory_equal(out, vm_mac, 6);
	assert_int_equal(be16_get(out + 34), 81);
	assert_int_equal(be16_get(out + 36), 41000);
	assert_int_equal(be32_get(out + 38), 0);
	assert_int_equal(be32_get(out + 42), 1001);
	assert_int_equal(out[47], SLIRP_TCP_RST | SLIRP_TCP_ACK);
	assert_int_equal(ref_sum(out + 14, 20, 0), 0xffff);
	assert_int_equal(ref_sum(out + 34, 20,
				 pseudo_sum(IP(192, 168, 127, 1),
					    IP(192, 168, 127, 2), 6, 20)),
			 0xffff);
	/* an ACK with 10 bytes: RST at its ack number */
	n = tcp_frame(f, IP(192, 168, 127, 2), IP(192, 168, 127, 1), 81,
		      SLIRP_TCP_ACK, 5000, 777, 10);
	slirp_classify(&cfg, f, n, &p);
	assert_int_equal(slirp_build_rst(out, f, &p, gw_mac), SLIRP_RST_LEN);
	assert_int_equal(be32_get(out + 38), 777);
	assert_int_equal(out[47], SLIRP_TCP_RST);
	/* never a RST for a RST */
	n = tcp_frame(f, IP(192, 168, 127, 2), IP(192, 168, 127, 1), 81,
		      SLIRP_TCP_RST, 5000, 0, 0);
	slirp_classify(&cfg, f, n, &p);
	assert_int_equal(slirp_build_rst(out, f, &p, gw_mac), 0);
}

struct collect {
	uint8_t frames[64][1600];
	size_t lens[64];
	int n;
};

static void collect(void *arg, const struct iovec *iov, int iovcnt, size_t len)
{
	struct collect *c = arg;
	size_t off = 0;
	int i;

	assert_true(c->n < 64);
	for (i = 0; i < iovcnt; i++) {
		memcpy(c->frames[c->n] + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	assert_int_equal(off, len);
	c->lens[c->n++] = len;
}

static void test_udp_frames(void **state)
{
	static struct collect c;
	static uint8_t data[4096], dgram[8 + 4096];
	struct slirp_udp_out o = {
		.src_mac = gw_mac,
		.dst_mac = vm_mac,
		.src = IP(192, 168, 127, 1),
		.dst = IP(192, 168, 127, 2),
		.sport = 53,
		.dport = 40000,
		.id = 99,
		.mtu = 1500,
	};
	size_t i, got = 0;
	int k;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	/* fits: one frame, DF, valid checksums */
	memset(&c, 0, sizeof(c));
	assert_int_equal(slirp_udp_frames(&o, data, 100, collect, &c), 1);
	assert_int_equal(c.lens[0], 14 + 20 + 8 + 100);
	assert_int_equal(be16_get(c.frames[0] + 20), 0x4000);
	assert_int_equal(ref_sum(c.frames[0] + 14, 20, 0), 0xffff);
	assert_int_equal(ref_sum(c.frames[0] + 34, 108,
				 pseudo_sum(o.src, o.dst, 17, 108)),
			 0xffff);
	/* 4096 bytes at MTU 1500: three fragments, put back together */
	memset(&c, 0, sizeof(c));
	assert_int_equal(slirp_udp_frames(&o, data, 4096, collect, &c), 3);
	for (k = 0; k < c.n; k++) {
		const uint8_t *ip = c.frames[k] + 14;
		size_t off = (size_t)(be16_get(ip + 6) & 0x1fff) * 8,
		       plen = be16_get(ip + 2) - 20u;

		assert_true(c.lens[k] <= 14 + 1500u);
		assert_int_equal(ref_sum(ip, 20, 0), 0xffff);
		assert_int_equal(be16_get(ip + 4), 99);
		assert_int_equal(!!(be16_get(ip + 6) & 0x2000), k < c.n - 1);
		assert_true(off + plen <= sizeof(dgram));
		memcpy(dgram + off, ip + 20, plen);
		got += plen;
	}
	assert_int_equal(got, 8 + 4096);
	assert_int_equal(be16_get(dgram + 4), 8 + 4096);
	assert_memory_equal(dgram + 8, data, 4096);
	assert_int_equal(ref_sum(dgram, 8 + 4096,
				 pseudo_sum(o.src, o.dst, 17, 8 + 4096)),
			 0xffff);
	assert_int_equal(slirp_udp_frames(&o, data, 70000, collect, &c),
			 -EMSGSIZE);
	o.mtu = 60;
	assert_int_equal(slirp_udp_frames(&o, data, 10, collect, &c), -EINVAL);
}

static void test_out_rewrite(void **state)
{
	static const uint8_t slirp_mac[6] = {0x52, 0x55, 0xc0,
					     0xa8, 0x7f, 0xfe};
	uint8_t f[64], hdr[42];

	/* ARP: source and sender hardware address */
	slirp_build_garp(f, slirp_mac, IP(192, 168, 127, 254));
	memset(f + 42, 0, 22);
	assert_int_equal(slirp_out_rewrite(hdr, f, 64, gw_mac), 42);
	assert_memory_equal(hdr + 6, gw_mac, 6);
	assert_memory_equal(hdr + 22, gw_mac, 6);
	assert_memory_equal(hdr + 28, f + 28, 14);
	/* IPv4: the Ethernet source only */
	memcpy(f, vm_mac, 6);
	memcpy(f + 6, slirp_mac, 6);
	be16_put(f + 12, 0x0800);
	assert_int_equal(slirp_out_rewrite(hdr, f, 60, gw_mac), 14);
	assert_memory_equal(hdr, vm_mac, 6);
	assert_memory_equal(hdr + 6, gw_mac, 6);
	assert_int_equal(slirp_out_rewrite(hdr, f, 13, gw_mac), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_filter_addresses, setup),
		cmocka_unit_test_setup(test_filter_malformed, setup),
		cmocka_unit_test_setup(test_filter_gateway, setup),
		cmocka_unit_test_setup(test_filter_arp, setup),
		cmocka_unit_test_setup(test_arp_request, setup),
		cmocka_unit_test_setup(test_echo_reply, setup),
		cmocka_unit_test_setup(test_rst, setup),
		cmocka_unit_test_setup(test_unreach4, setup),
		cmocka_unit_test_setup(test_udp_frames, setup),
		cmocka_unit_test_setup(test_out_rewrite, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
