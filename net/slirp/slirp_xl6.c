/*
 * slirp_xl6.c - the guest's IPv6 TCP connections to the gateway's
 * listeners and the dials into the guest over IPv6, on libslirp 4.7,
 * whose guest forwards and unix-socket host forwards are IPv4 only.
 *
 * Each IPv6 address of the guest that takes part gets a stand-in IPv4
 * address (one of SLIRP_XL6_SLOTS in a block outside the guest's subnet,
 * st->xl_base); its segments go to libslirp rewritten as IPv4 from the
 * stand-in (slirp_xlat.c), and libslirp's segments to the stand-in come
 * back as IPv6: the gateway's 192.168.127.1 as the gateway's IPv6 address
 * (link-local for a link-local guest), libslirp's host address (where a
 * forward's connections come from) as the host alias PREFIX::fe.
 *
 * A dial's target keeps its stand-in for good (libslirp keeps the host
 * forward); one used only for the gateway is taken back once the guest
 * sent nothing from it for a while (2 s when no handshake of it ever
 * completed: made-up sources, whose SYN-ACKs libslirp retransmits for
 * long; 10 min otherwise). With every slot taken, a new address's SYN
 * gets a RST.
 */
#include <errno.h>
#include <string.h>

#include "net/pkt.h"
#include "net/pkt6.h"
#include "net/slirp/slirp_priv.h"
#include "util/log.h"

#define LOG_SUBSYS LOG_SS_STACK

#define XL6_IDLE_UNPROVEN_MS 2000
#define XL6_IDLE_MS 600000

struct slirp_xl6 *slirp_xl6_of(struct slirp_stack *st, uint32_t v4)
{
	uint32_t i = v4 - st->xl_base;

	return i < SLIRP_XL6_SLOTS && st->xl6[i].used ? &st->xl6[i] : NULL;
}

bool slirp_xl6_mac_known(struct slirp_stack *st, uint32_t ip)
{
	struct slirp_xl6 *e = slirp_xl6_of(st, ip);

	if (!e)
		return false;
	if (!e->mac_known)
		e->mac_known = slirp_mac6_find(st, e->ip6, e->mac);
	return e->mac_known;
}

int slirp_xl6_get(struct slirp_stack *st, const uint8_t ip6[16],
		  const uint8_t *mac, uint32_t *v4)
{
	uint64_t now = slirp_now(st);
	struct slirp_xl6 *e, *pick = NULL;
	unsigned int i;

	for (i = 0; i < SLIRP_XL6_SLOTS; i++) {
		e = &st->xl6[i];
		if (e->used && !memcmp(e->ip6, ip6, 16)) {
			pick = e;
			goto found;
		}
	}
	for (i = 0; i < SLIRP_XL6_SLOTS && !pick; i++) {
		e = &st->xl6[i];
		if (!e->used)
			pick = e;
		else if (!e->dials &&
			 now - e->used_ms >= (e->bucket.proven
						      ? XL6_IDLE_MS
						      : XL6_IDLE_UNPROVEN_MS))
			pick = e;
	}
	if (!pick)
		return -ENOSPC;
	memset(pick, 0, sizeof(*pick));
	pick->used = true;
	memcpy(pick->ip6, ip6, 16);
	pick->bucket.tokens = SLIRP_SYN_BURST_NEW;
	pick->bucket.ms = now;
found:
	if (mac) {
		memcpy(pick->mac, mac, 6);
		pick->mac_known = true;
	}
	pick->used_ms = now;
	*v4 = st->xl_base + (uint32_t)(pick - st->xl6);
	return 0;
}

bool slirp_xl6_out(struct slirp_stack *st, const uint8_t *f, size_t len)
{
	struct slirp_xl6 *e;
	const uint8_t *src6;
	uint32_t src;
	size_t n;

	if (len < 14 + 20)
		return false;
	e = slirp_xl6_of(st, be32_get(f + 14 + 16));
	if (!e) {
		if (slirp_xl6_is(st, be32_get(f + 14 + 16)))
			return true; /* a slot given back: dropped */
		return false;
	}
	src = be32_get(f + 14 + 12);
	if (src == st->cfg.gateway)
		src6 = pkt_ip6_is_ll(e->ip6) ? st->cfg.gw_ll6
					     : st->cfg.gateway6;
	else if (src == st->cfg.host_alias)
		src6 = st->cfg.host_alias6;
	else
		return true;
	n = slirp_xlat_4to6(st->xbuf, st->buf_cap, f, len, src6, e->ip6);
	if (!n)
		return true; /* ICMP errors and such: nothing for IPv6 */
	memcpy(st->xbuf, e->mac, 6);
	memcpy(st->xbuf + 6, st->cfg.gw_mac, 6);
	sw_output_buf(st->env.sw, st->xbuf, n);
	st->sent = true;
	return true;
}

int slirp_xl6_in(struct slirp_stack *st, const uint8_t *f,
		 const struct slirp_pkt *p, uint32_t dst, struct slirp_pkt *p4)
{
	uint32_t v4;
	size_t n;
	int r;

	r = slirp_xl6_get(st, p->src6, f + 6, &v4);
	if (r < 0)
		return r;
	n = slirp_xlat_6to4(st->xbuf, st->buf_cap, f, p, v4, dst);
	if (!n)
		return -EMSGSIZE;
	memset(p4, 0, sizeof(*p4));
	p4->ip = st->xbuf + 14;
	p4->ihl = 20;
	p4->tot = n - 14;
	p4->proto = 6;
	p4->src = v4;
	p4->dst = dst;
	p4->l4 = p4->ip + 20;
	p4->l4len = p->l4len;
	p4->sport = p->sport;
	p4->dport = p->dport;
	p4->tcp_flags = p->tcp_flags;
	return (int)n;
}
