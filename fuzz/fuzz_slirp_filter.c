/*
 * fuzz_slirp_filter.c - libFuzzer target for the libslirp backend's frame
 * filter and builders (net/slirp/slirp_frames.h). The input is one frame
 * from the guest; byte 0's low bit turns -ec2-metadata-access on. The
 * filter must never read past the frame (ASan), and its verdict must hold
 * up: a frame let through to libslirp has a guest source of the subnet
 * and no forbidden destination; a gateway verdict is for the gateway;
 * the replies built from it have valid IPv4 and L4 checksums and go back
 * to the sender's MAC. A violation traps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/netcfg.h"
#include "net/pkt.h"
#include "net/slirp/slirp_frames.h"

#define CHECK(c)                          \
	do {                              \
		if (!(c))                 \
			__builtin_trap(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *arg, const struct iovec *iov, int iovcnt, size_t len)
{
	size_t *total = arg;

	*total += len;
	CHECK(iovcnt >= 1 && iov[0].iov_len >= 34);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t gw_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
	static uint8_t out[65536 + 14];
	struct netcfg cfg;
	struct slirp_pkt p;
	enum slirp_verdict v;
	uint8_t *f, hdr[42];
	size_t flen, n, total = 0;

	if (size < 1)
		return 0;
	netcfg_defaults(&cfg);
	cfg.ec2_metadata_access = data[0] & 1;
	/* a copy of exactly the frame's size, so ASan sees every overread */
	flen = size - 1;
	f = malloc(flen ? flen : 1);
	if (!f)
		return 0;
	memcpy(f, data + 1, flen);
	v = slirp_classify(&cfg, f, flen, &p);
	if (p.ip && v < SLV_DROP_MALFORMED) {
		CHECK(netcfg_guest_src_ok(&cfg, p.src));
		CHECK(p.dst == cfg.gateway || netcfg_nat_allowed(&cfg, p.dst));
		CHECK(p.ihl >= 20 && p.ihl + 14 <= flen && p.tot <= flen - 14);
		if ((p.dst & cfg.netmask) == cfg.network)
			CHECK(p.dst == cfg.gateway || p.dst == cfg.host_alias);
	}
	if (v == SLV_GW_ICMP || v == SLV_GW_UDP || v == SLV_GW_TCP)
		CHECK(p.dst == cfg.gateway && !p.frag);
	if (v == SLV_GW_ICMP) {
		n = slirp_build_echo_reply(out, sizeof(out), f, &p, gw_mac);
		if (n) {
			CHECK(!memcmp(out, f + 6, 6));
			CHECK(pkt_csum(out + 14, 20, 0) == 0);
			CHECK(pkt_csum(out + 34, n - 34, 0) == 0);
		}
	}
	if (v == SLV_GW_TCP) {
		n = slirp_build_rst(out, f, &p, gw_mac);
		CHECK(n == 0 || n == SLIRP_RST_LEN);
		if (n)
			CHECK(pkt_csum(out + 14, 20, 0) == 0);
	}
	if (v == SLV_GW_UDP) {
		struct slirp_udp_out o = {
			.src_mac = gw_mac,
			.dst_mac = f + 6,
			.src = cfg.gateway,
			.dst = p.src,
			.sport = p.dport,
			.dport = p.sport,
			.mtu = (uint16_t)(68 + data[0]),
		};
		/* echo the payload back, fragmented at a small MTU */
		CHECK(slirp_udp_frames(&o, p.l4 + 8, p.l4len - 8, sink,
				       &total) >= 1);
	}
	if (flen >= 14)
		CHECK(slirp_out_rewrite(hdr, f, flen, gw_mac) >= 14);
	free(f);
	return 0;
}
