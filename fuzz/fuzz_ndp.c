/*
 * fuzz_ndp.c - libFuzzer target for the router's neighbour discovery codec
 * (gateway/ndp.h) and the IPv6 readers (net/pkt6.h): every input is one
 * Ethernet frame. A solicitation that passes is answered as the gateway
 * link would (a neighbour advertisement for its target, a router
 * advertisement to its source); the input is also used as the DNSSL name
 * list, with a buffer size taken from it, so the name walker and the cut
 * by whole names see arbitrary bytes. Every frame built must parse back as
 * IPv6/ICMPv6 with a good checksum and fit its buffer; a violation traps.
 * The seed corpus is fuzz/corpus/ndp, written by "test-ndp --write-corpus".
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/ndp.h"
#include "net/pkt6.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check(const uint8_t *f, size_t n, size_t cap)
{
	struct pkt_ip6 ip;

	if (n > cap || pkt_parse_ip6(f, n, &ip) ||
	    ip.len != n - PKT_IP6_PAYLOAD || ip.next != PKT_PROTO_ICMP6 ||
	    ip.hlim != 255 ||
	    !ndp_icmp6_csum_ok(ip.src, ip.dst, ip.payload, ip.len))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
	static const uint8_t all[16] = {0xff, 2, [15] = 1};
	struct ndp_ra_cfg c;
	struct ndp_msg m;
	struct pkt_udp6 u;
	uint8_t out[1600];
	size_t n, cap;
	int rc;

	rc = ndp_parse(data, size, &m);
	if (rc != -EINVAL && rc != 0 && rc != 1)
		__builtin_trap();
	memset(&c, 0, sizeof(c));
	memcpy(c.mac, mac, 6);
	c.src[0] = 0xfe;
	c.src[1] = 0x80;
	c.prefix[0] = 0xfd;
	c.mtu = 1500;
	c.have_rdnss = size & 1;
	c.router_lifetime = 1800;
	c.dnssl = data;
	c.dnssl_len = size;
	if (rc == 1 && m.type == NDP_NS) {
		n = ndp_build_na(out, &m, mac, true);
		fuzz_check(out, n, NDP_NA_FRAME_LEN);
	}
	cap = size ? 100 + data[0] * 6u : sizeof(out);
	if (cap > sizeof(out))
		cap = sizeof(out);
	n = ndp_build_ra(out, cap, &c, mac,
			 rc == 1 && !pkt_ip6_is_unspec(m.src) ? m.src : all);
	if (n)
		fuzz_check(out, n, cap);
	(void)pkt_parse_udp6(data, size, &u);
	return 0;
}
