/*
 * fuzz_slirp_filter.c - libFuzzer target for the libslirp backend's frame
 * filter and builders (net/slirp/slirp_frames.h). The input is one frame
 * from the guest; byte 0's low bit turns -ec2-metadata-access on. The
 * filter must never read past the frame (ASan), and its verdict must hold
 * up: a frame let through to libslirp has a guest source of the subnet
 * and no forbidden destination; a gateway verdict is for the gateway;
 * the replies built from it have valid IPv4 and L4 checksums and go back
 * to the sender's MAC. IPv6 alike (slirp_frames6.c): the NAT66 policy,
 * the gateway's IPv6 replies, and the rewrite of libslirp's IPv6 frames
 * (the input as if libslirp sent it). The TCP translation between IPv6
 * and IPv4 (slirp_xlat.c): a gateway TCP verdict's segment as IPv4 and
 * back to the same IPv6 segment (but a SYN's MSS), the input as an IPv4
 * frame of libslirp's as IPv6, every checksum valid. IPv6 fragments
 * (slirp_reasm.c, slirp_frag6.c): the input as a fragment, and cut into
 * fragments. A TCP segment cut to fit a small MTU (slirp_seg6.c). A
 * violation traps.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/netcfg.h"
#include "net/pkt.h"
#include "net/pkt6.h"
#include "net/slirp/slirp_frames.h"
#include "fuzz.h"

static void sink(void *arg, const struct iovec *iov, int iovcnt, size_t len)
{
	size_t *total = arg;

	*total += len;
	CHECK(iovcnt >= 1 && iov[0].iov_len >= 34);
}

static void sink6(void *arg, const struct iovec *iov, int iovcnt, size_t len)
{
	size_t *total = arg;

	*total += len;
	CHECK(iovcnt == 2 && iov[0].iov_len == 62 && len <= 14 + 1280);
}

/* fuzz_frag6() - the input as a guest's fragment, and cut as libslirp's */
static void fuzz_frag6(const uint8_t *f, size_t flen)
{
	static const uint8_t gw_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
	struct slirp_reasm r;
	const uint8_t *whole;
	size_t total = 0;
	int k;

	memset(&r, 0, sizeof(r));
	k = slirp_reasm6_add(&r, f, flen, 0, &whole);
	/* one fragment alone is whole only as offset 0 without M */
	CHECK(k <= 0 || ((size_t)k == 46 + ((size_t)f[18] << 8 | f[19]) &&
			 whole[14 + 6] == f[54]));
	slirp_reasm_free(&r);
	k = slirp_frag6_out(f, flen, 1280, 7, gw_mac, sink6, &total);
	CHECK(k < 0 || total == (size_t)k * 62 + (flen - 54));
}

/* l4_ok6() - the L4 checksum of the IPv6 frame @f (@n bytes) verifies */
static int l4_ok6(const uint8_t *f, size_t n)
{
	const uint8_t *ip = f + 14;
	size_t plen = (size_t)ip[4] << 8 | ip[5];
	uint32_t s = (uint32_t)plen + ip[6];

	if (n < 54 + plen)
		return 0;
	s += 0xffff & ~pkt_csum(ip + 8, 32, 0);
	return pkt_csum(ip + 40, plen, s) == 0;
}

/* l4_ok4() - the IPv4 header and L4 checksums of frame @f verify */
static int l4_ok4(const uint8_t *f, size_t n)
{
	const uint8_t *ip = f + 14;
	size_t tot = (size_t)ip[2] << 8 | ip[3];

	if (n < 34 || tot < 20 || n < 14 + tot || pkt_csum(ip, 20, 0) != 0)
		return 0;
	return pkt_csum(ip + 20, tot - 20,
			pkt_pseudo_sum((uint32_t)ip[12] << 24 |
					       (uint32_t)ip[13] << 16 |
					       (uint32_t)ip[14] << 8 | ip[15],
				       (uint32_t)ip[16] << 24 |
					       (uint32_t)ip[17] << 16 |
					       (uint32_t)ip[18] << 8 | ip[19],
				       6, tot - 20)) == 0;
}

/* fuzz_xlat() - the guest's IPv6 TCP @p to IPv4 and back */
static void fuzz_xlat(const struct netcfg *cfg, const uint8_t *f,
		      const struct slirp_pkt *p, uint8_t *out, size_t cap)
{
	static uint8_t back[65536 + 14];
	size_t n4, n6;

	n4 = slirp_xlat_6to4(out, cap, f, p, 0xc6336401, cfg->gateway);
	if (!n4)
		return;
	CHECK(n4 == 34 + p->l4len && l4_ok4(out, n4));
	n6 = slirp_xlat_4to6(back, sizeof(back), out, n4, p->dst6, p->src6);
	if (!n6)
		return; /* a data offset past the segment */
	CHECK(n6 == 54 + p->l4len && l4_ok6(back, n6));
	if (!(p->l4[13] & 0x02)) /* a SYN's MSS may differ */
		CHECK(!memcmp(back + 54 + 18, p->l4 + 18, p->l4len - 18));
}

struct cut {
	size_t mtu, data;
	uint32_t next_seq;
	int n;
};

static void cut_piece(void *arg, const uint8_t *f, size_t len)
{
	struct cut *c = arg;
	size_t plen = (size_t)f[18] << 8 | f[19];
	size_t thl = (size_t)(f[54 + 12] >> 4) * 4;
	uint32_t seq = (uint32_t)f[58] << 24 | (uint32_t)f[59] << 16 |
		       (uint32_t)f[60] << 8 | f[61];

	CHECK(len <= 14 + c->mtu && len == 54 + plen && l4_ok6(f, len));
	CHECK(!c->n || seq == c->next_seq);
	c->next_seq = seq + (uint32_t)(plen - thl);
	c->data += plen - thl;
	c->n++;
}

/*
 * fuzz_cut() - the guest's IPv6 TCP segment @p cut at a small MTU
 * (slirp_seg6.c), once as it is and once with its checksum made right:
 * every piece fits and verifies, the data adds up, the numbers follow on
 */
static void fuzz_cut(const uint8_t *f, size_t flen, const struct slirp_pkt *p,
		     uint8_t *out, size_t cap)
{
	static uint8_t fixed[65536 + 14];
	size_t mtu = 80 + (size_t)f[flen - 1] * 5, n = 54 + p->l4len;
	struct cut c = {.mtu = mtu};
	int k;

	k = slirp_tcp6_split(f, flen, mtu, out, cap, cut_piece, &c);
	CHECK(k < 0 ||
	      (k == c.n && c.data == p->l4len - (size_t)(p->l4[12] >> 4) * 4));
	if (n > sizeof(fixed))
		return;
	memcpy(fixed, f, n);
	fixed[54 + 16] = fixed[54 + 17] = 0;
	k = (int)pkt_csum(fixed + 54, p->l4len,
			  pkt_pseudo_sum6(p->src6, p->dst6, 6, p->l4len));
	fixed[54 + 16] = (uint8_t)(k >> 8);
	fixed[54 + 17] = (uint8_t)k;
	c = (struct cut){.mtu = mtu};
	k = slirp_tcp6_split(fixed, n, mtu, out, cap, cut_piece, &c);
	CHECK(k != -EBADMSG && k != -EINVAL);
	CHECK(k < 0 ||
	      (k == c.n && c.data == p->l4len - (size_t)(p->l4[12] >> 4) * 4));
}

/* fuzz_v6() - the IPv6 checks of one classified frame @f */
static void fuzz_v6(const struct netcfg *cfg, const uint8_t *f, size_t flen,
		    const struct slirp_pkt *p, enum slirp_verdict v,
		    uint8_t *out, size_t cap)
{
	static const uint8_t gw_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
	bool nd = p->proto == 58 && p->l4len >= 1 &&
		  (p->l4[0] == 135 || p->l4[0] == 136);
	size_t n;

	CHECK(p->src6 == f + 22 && p->dst6 == f + 38 && p->tot + 14 <= flen &&
	      p->l4 + p->l4len <= f + flen);
	if (v == SLV_SLIRP && !nd) {
		CHECK(netcfg_nat_check6(cfg, p->dst6) == NETCFG_NAT_ALLOW ||
		      !memcmp(p->dst6, cfg->host_alias6, 16));
		CHECK(netcfg_guest_src6_ok(cfg, p->src6));
	}
	if (v == SLV_GW_ICMP || v == SLV_GW_UDP || v == SLV_GW_TCP)
		CHECK(netcfg_is_gw6(cfg, p->dst6));
	if (v == SLV_PING6)
		CHECK(netcfg_nat_check6(cfg, p->dst6) == NETCFG_NAT_ALLOW &&
		      netcfg_guest_src6_ok(cfg, p->src6) && p->proto == 58 &&
		      p->l4len >= 8 && p->l4[0] == 128);
	if (v == SLV_SLIRP && p->proto == 17) {
		/* what the guest hears for a destination without a route */
		n = slirp_build_unreach6(out, cap, f, p, gw_mac, cfg->gateway6,
					 1);
		CHECK(n == 0 || (n <= 14 + 1280 && l4_ok6(out, n) &&
				 !memcmp(out, f + 6, 6)));
	}
	if (v == SLV_GW_ICMP) {
		n = slirp_build_echo_reply6(out, cap, f, p, gw_mac);
		CHECK(n == 0 || (l4_ok6(out, n) && !memcmp(out, f + 6, 6)));
	}
	if (v == SLV_GW_TCP) {
		n = slirp_build_rst6(out, f, p, gw_mac);
		CHECK(n == 0 || (n == SLIRP_RST6_LEN && l4_ok6(out, n)));
		fuzz_xlat(cfg, f, p, out, cap);
	}
	if (p->proto == 6 && (v == SLV_SLIRP || v == SLV_GW_TCP))
		fuzz_cut(f, flen, p, out, cap);
	if (v == SLV_GW_UDP) {
		n = slirp_build_udp6(out, cap, f + 6, gw_mac, p->dst6, p->dport,
				     p->src6, p->sport, p->l4 + 8,
				     p->l4len - 8);
		CHECK(n != 0 && l4_ok6(out, n));
	}
}

/*
 * fuzz_ext6() - the input without its IPv6 extension headers: an IPv6
 * header whose next header is none of them, the payload length its own,
 * the upper layer intact; and through the filter again
 */
static void fuzz_ext6(const struct netcfg *cfg, const uint8_t *f, size_t flen,
		      uint8_t *out, size_t cap)
{
	struct slirp_pkt p;
	int n = slirp_ext6_strip(f, flen, out, cap);
	size_t plen;

	if (n <= 0)
		return;
	CHECK((size_t)n >= 54 && (size_t)n < flen);
	plen = (size_t)out[18] << 8 | out[19];
	CHECK(plen == (size_t)n - 54 && !pkt6_ext_is(out[20]));
	CHECK(!memcmp(out, f, 18) && !memcmp(out + 21, f + 21, 33));
	/* the upper layer is the last plen bytes of the input's payload */
	CHECK(!memcmp(out + 54, f + 54 + ((size_t)f[18] << 8 | f[19]) - plen,
		      plen));
	(void)slirp_classify(cfg, out, (size_t)n, &p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t gw_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
	static uint8_t out[65536 + 14];
	struct netcfg cfg;
	struct slirp_pkt p;
	enum slirp_verdict v;
	uint8_t *f, hdr[128];
	int r;
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
	if (p.ip6 && v < SLV_DROP_MALFORMED)
		fuzz_v6(&cfg, f, flen, &p, v, out, sizeof(out));
	if (p.ip6)
		goto rewrite;
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
rewrite:
	if (flen >= 14)
		CHECK(slirp_out_rewrite(hdr, f, flen, gw_mac) >= 14);
	/* as if libslirp sent it to an IPv6 guest's stand-in */
	n = slirp_xlat_4to6(out, sizeof(out), f, flen, cfg.gateway6,
			    cfg.host_alias6);
	CHECK(n == 0 || (n <= flen + 20 && l4_ok6(out, n)));
	if (flen >= 14 && f[12] == 0x86 && f[13] == 0xdd) {
		fuzz_frag6(f, flen);
		fuzz_ext6(&cfg, f, flen, out, sizeof(out));
	}
	/* libslirp's IPv6 frames only come here */
	if (flen >= 14 && f[12] == 0x86 && f[13] == 0xdd) {
		r = slirp_out_rewrite6(hdr, sizeof(hdr), f, flen, gw_mac);
		CHECK(r < 0 || (r >= 14 && (size_t)r <= flen &&
				!memcmp(hdr + 6, gw_mac, 6)));
	}
	free(f);
	return 0;
}
