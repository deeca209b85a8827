/*
 * slirp_frames.c - the libslirp backend's filter and frame builders (see
 * slirp_frames.h). Every read is bounded by the lengths checked in
 * slirp_classify(); the builders only read what it vouched for.
 */
#include "net/slirp/slirp_frames.h"

#include <errno.h>
#include <string.h>

#include "net/pkt.h"

#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define ETHTYPE_IP6_ 0x86dd

static enum slirp_verdict classify_arp(const struct netcfg *cfg,
				       const uint8_t *f, size_t len)
{
	const uint8_t *a = f + ETH_HLEN_;
	uint32_t sip;

	if (len < ETH_HLEN_ + 28 || be16_get(a) != 1 ||
	    be16_get(a + 2) != ETHTYPE_IP4 || a[4] != 6 || a[5] != 4)
		return SLV_DROP_MALFORMED;
	sip = be32_get(a + 14);
	if (sip == 0) /* a probe: nothing libslirp could learn */
		return SLV_DROP_OTHER;
	if (!netcfg_guest_src_ok(cfg, sip))
		return SLV_DROP_SOURCE;
	return SLV_SLIRP;
}

/* gateway() - the verdict on a datagram for the gateway itself. */
static enum slirp_verdict gateway(struct slirp_pkt *p)
{
	size_t off;

	if (p->frag) /* nothing at the gateway takes fragments */
		return SLV_DROP_OTHER;
	switch (p->proto) {
	case IPPROTO_ICMP_:
		if (p->l4len < 8)
			return SLV_DROP_MALFORMED;
		return p->l4[0] == 8 && p->l4[1] == 0 ? SLV_GW_ICMP
						      : SLV_DROP_OTHER;
	case IPPROTO_UDP_:
		if (p->l4len < 8 || be16_get(p->l4 + 4) < 8 ||
		    be16_get(p->l4 + 4) > p->l4len)
			return SLV_DROP_MALFORMED;
		p->l4len = be16_get(p->l4 + 4);
		return slirp_udp_ok(p) ? SLV_GW_UDP : SLV_DROP_MALFORMED;
	case IPPROTO_TCP_:
		if (p->l4len < 20)
			return SLV_DROP_MALFORMED;
		off = (size_t)(p->l4[12] >> 4) * 4;
		if (off < 20 || off > p->l4len)
			return SLV_DROP_MALFORMED;
		return SLV_GW_TCP;
	default:
		return SLV_DROP_OTHER;
	}
}

enum slirp_verdict slirp_classify(const struct netcfg *cfg, const uint8_t *f,
				  size_t len, struct slirp_pkt *p)
{
	const uint8_t *ip = f + ETH_HLEN_;
	uint32_t bcast = cfg->network | ~cfg->netmask;
	size_t ihl, tot;

	memset(p, 0, sizeof(*p));
	if (len < ETH_HLEN_)
		return SLV_DROP_MALFORMED;
	switch (be16_get(f + 12)) {
	case ETHTYPE_IP4:
		break;
	case ETHTYPE_ARP_:
		return classify_arp(cfg, f, len);
	case ETHTYPE_IP6_:
		return slirp_classify6(cfg, f, len, p);
	default:
		return SLV_DROP_OTHER;
	}
	if (len < ETH_HLEN_ + 20 || (ip[0] >> 4) != 4)
		return SLV_DROP_MALFORMED;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = be16_get(ip + 2);
	if (ihl < 20 || tot < ihl || tot > len - ETH_HLEN_ ||
	    pkt_csum(ip, ihl, 0) != 0)
		return SLV_DROP_MALFORMED;
	p->ip = ip;
	p->ihl = ihl;
	p->tot = tot;
	p->proto = ip[9];
	p->src = be32_get(ip + 12);
	p->dst = be32_get(ip + 16);
	p->frag = (be16_get(ip + 6) & 0x3fff) != 0;
	p->l4 = ip + ihl;
	p->l4len = tot - ihl;
	if (!p->frag &&
	    (p->proto == IPPROTO_TCP_ || p->proto == IPPROTO_UDP_) &&
	    p->l4len >= 4) {
		p->sport = be16_get(p->l4);
		p->dport = be16_get(p->l4 + 2);
		if (p->proto == IPPROTO_TCP_ && p->l4len >= 14)
			p->tcp_flags = p->l4[13];
	}

	if (p->dst >= 0xe0000000u || p->dst == bcast)
		return SLV_DROP_CAST;
	if (!netcfg_guest_src_ok(cfg, p->src))
		return SLV_DROP_SOURCE;
	if ((p->dst & cfg->netmask) == cfg->network) {
		if (p->dst == cfg->gateway)
			return gateway(p);
		if (p->dst == cfg->host_alias)
			return SLV_SLIRP;
		return SLV_DROP_SUBNET;
	}
	switch (netcfg_nat_check(cfg, p->dst)) {
	case NETCFG_NAT_LOOPBACK:
		return SLV_DROP_LOOPBACK;
	case NETCFG_NAT_LINK_LOCAL:
		return SLV_DROP_LINK_LOCAL;
	case NETCFG_NAT_LOCAL:
		return SLV_DROP_CAST;
	default:
		return SLV_SLIRP;
	}
}

const char *slirp_verdict_name(enum slirp_verdict v)
{
	switch (v) {
	case SLV_SLIRP:
		return "to libslirp";
	case SLV_GW_ICMP:
		return "gateway ping";
	case SLV_GW_UDP:
		return "gateway UDP";
	case SLV_GW_TCP:
		return "gateway TCP";
	case SLV_PING6:
		return "ping -6 beyond the host alias";
	case SLV_DROP_MALFORMED:
		return "malformed";
	case SLV_DROP_SOURCE:
		return "not a guest source address";
	case SLV_DROP_LOOPBACK:
		return "to the host's loopback";
	case SLV_DROP_LINK_LOCAL:
		return "to link-local (169.254/16, fe80::/10)";
	case SLV_DROP_SUBNET:
		return "to another address of the subnet";
	case SLV_DROP_CAST:
		return "broadcast or multicast";
	case SLV_DROP_OTHER:
		return "not for this stack";
	}
	return "?";
}

size_t slirp_build_echo_reply(uint8_t *out, size_t cap, const uint8_t *frame,
			      const struct slirp_pkt *p,
			      const uint8_t gw_mac[6])
{
	size_t n = p->l4len, flen = ETH_HLEN_ + 20 + p->l4len;
	uint8_t *icmp = out + ETH_HLEN_ + 20;

	if (p->frag || p->proto != IPPROTO_ICMP_ || n < 8 || p->l4[0] != 8 ||
	    p->l4[1] != 0 || flen > cap || pkt_csum(p->l4, n, 0) != 0)
		return 0;
	pkt_put_eth(out, frame + 6, gw_mac, ETHTYPE_IP4);
	pkt_put_ip4(out + ETH_HLEN_, p->ip[1], (uint16_t)(20 + n),
		    be16_get(p->ip + 4), 0, IPPROTO_ICMP_, p->dst, p->src);
	memcpy(icmp, p->l4, n);
	icmp[0] = 0;
	be16_put(icmp + 2, 0);
	be16_put(icmp + 2, pkt_csum(icmp, n, 0));
	return flen;
}

size_t slirp_build_unreach4(uint8_t *out, size_t cap, const uint8_t dst_mac[6],
			    const uint8_t gw_mac[6], uint32_t from, uint32_t to,
			    const uint8_t *quote, size_t qlen)
{
	size_t flen = ETH_HLEN_ + 20 + 8 + qlen;
	uint8_t *icmp = out + ETH_HLEN_ + 20;

	if (flen > cap || qlen < 28 || qlen > 60 + 8)
		return 0;
	pkt_put_eth(out, dst_mac, gw_mac, ETHTYPE_IP4);
	pkt_put_ip4(out + ETH_HLEN_, 0, (uint16_t)(20 + 8 + qlen), 0, 0,
		    IPPROTO_ICMP_, from, to);
	icmp[0] = 3; /* destination unreachable */
	icmp[1] = 3; /* port unreachable */
	memset(icmp + 2, 0, 6);
	memcpy(icmp + 8, quote, qlen);
	be16_put(icmp + 2, pkt_csum(icmp, 8 + qlen, 0));
	return flen;
}

size_t slirp_build_tcp(uint8_t out[SLIRP_RST_LEN], const uint8_t dst_mac[6],
		       const uint8_t src_mac[6], uint32_t src, uint16_t sport,
		       uint32_t dst, uint16_t dport, uint32_t seq, uint32_t ack,
		       uint8_t flags)
{
	uint8_t *t = out + ETH_HLEN_ + 20;

	pkt_put_eth(out, dst_mac, src_mac, ETHTYPE_IP4);
	pkt_put_ip4(out + ETH_HLEN_, 0, 40, 0, 0x4000, IPPROTO_TCP_, src, dst);
	pkt_put_tcp(t, sport, dport, seq, ack, flags);
	be16_put(t + 16, pkt_csum(t, 20, pkt_pseudo_sum(src, dst, 6, 20)));
	return SLIRP_RST_LEN;
}

bool slirp_rst_for(const struct slirp_pkt *p, uint32_t *seq, uint32_t *ack,
		   uint8_t *flags)
{
	const uint8_t *th = p->l4;
	size_t off;

	if (p->l4len < 20)
		return false;
	off = (size_t)(th[12] >> 4) * 4;
	if (off < 20 || off > p->l4len || (th[13] & SLIRP_TCP_RST))
		return false;
	if (th[13] & SLIRP_TCP_ACK) {
		*seq = be32_get(th + 8);
		*ack = 0;
		*flags = SLIRP_TCP_RST;
	} else {
		*seq = 0;
		*ack = be32_get(th + 4) + (uint32_t)(p->l4len - off) +
		       !!(th[13] & SLIRP_TCP_SYN) + !!(th[13] & SLIRP_TCP_FIN);
		*flags = SLIRP_TCP_RST | SLIRP_TCP_ACK;
	}
	return true;
}

size_t slirp_build_rst(uint8_t out[SLIRP_RST_LEN], const uint8_t *frame,
		       const struct slirp_pkt *p, const uint8_t gw_mac[6])
{
	uint32_t seq, ack;
	uint8_t flags;

	if (p->frag || p->proto != IPPROTO_TCP_ ||
	    !slirp_rst_for(p, &seq, &ack, &flags))
		return 0;
	return slirp_build_tcp(out, frame + 6, gw_mac, p->dst, p->dport, p->src,
			       p->sport, seq, ack, flags);
}

bool slirp_udp_ok(const struct slirp_pkt *p)
{
	if (p->l4len < 8 || be16_get(p->l4 + 6) == 0)
		return p->l4len >= 8;
	return pkt_csum(p->l4, p->l4len,
			pkt_pseudo_sum(p->src, p->dst, IPPROTO_UDP_,
				       p->l4len)) == 0;
}

int slirp_udp_frames(const struct slirp_udp_out *o, const void *data,
		     size_t len, slirp_emit_fn emit, void *arg)
{
	const uint8_t *d = data;
	size_t total = 8 + len, maxp, off, chunk;
	uint8_t hdr[SLIRP_UDP_HDR_MAX];
	struct iovec iov[2];
	uint16_t sum;
	int n = 0;

	if (len > 65535 - 20 - 8)
		return -EMSGSIZE;
	if (o->mtu < 68)
		return -EINVAL;
	maxp = (size_t)(o->mtu - 20) & ~(size_t)7;
	/* the UDP header and checksum once, over the whole datagram */
	be16_put(hdr + 34, o->sport);
	be16_put(hdr + 36, o->dport);
	be16_put(hdr + 38, (uint16_t)total);
	sum = pkt_csum(d, len,
		       pkt_pseudo_sum(o->src, o->dst, IPPROTO_UDP_, total) +
			       o->sport + o->dport + (uint32_t)total);
	be16_put(hdr + 40, sum ? sum : 0xffff);
	for (off = 0; off < total; off += chunk) {
		size_t hl = off ? 34 : 42, dlen;
		uint16_t frag = (uint16_t)(off / 8);

		chunk = total - off < maxp ? total - off : maxp;
		if (off + chunk < total)
			frag |= 0x2000; /* MF */
		else if (off == 0)
			frag = 0x4000; /* DF: it fits */
		pkt_put_eth(hdr, o->dst_mac, o->src_mac, ETHTYPE_IP4);
		pkt_put_ip4(hdr + ETH_HLEN_, 0, (uint16_t)(20 + chunk), o->id,
			    frag, IPPROTO_UDP_, o->src, o->dst);
		dlen = off ? chunk : chunk - 8;
		iov[0].iov_base = hdr;
		iov[0].iov_len = hl;
		iov[1].iov_base = (void *)(d + (off ? off - 8 : 0));
		iov[1].iov_len = dlen;
		emit(arg, iov, dlen ? 2 : 1, hl + dlen);
		n++;
	}
	return n;
}

size_t slirp_out_rewrite(uint8_t hdr[42], const uint8_t *frame, size_t len,
			 const uint8_t gw_mac[6])
{
	if (len < ETH_HLEN_)
		return 0;
	if (be16_get(frame + 12) == ETHTYPE_ARP_ && len >= 42) {
		memcpy(hdr, frame, 42);
		memcpy(hdr + 6, gw_mac, 6);
		memcpy(hdr + ETH_HLEN_ + 8, gw_mac, 6);
		return 42;
	}
	memcpy(hdr, frame, ETH_HLEN_);
	memcpy(hdr + 6, gw_mac, 6);
	return ETH_HLEN_;
}

size_t slirp_build_arp_request(uint8_t out[42], const uint8_t mac[6],
			       uint32_t sip, uint32_t tip)
{
	static const uint8_t bc[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	pkt_put_eth(out, bc, mac, ETHTYPE_ARP_);
	pkt_put_arp(out + ETH_HLEN_, 1, mac, sip, NULL, tip);
	return 42;
}

size_t slirp_build_garp(uint8_t out[42], const uint8_t mac[6], uint32_t ip)
{
	return slirp_build_arp_request(out, mac, ip, ip);
}
