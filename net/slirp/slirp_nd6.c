/*
 * slirp_nd6.c - the guest's IPv6 neighbours as the libslirp backend knows
 * them: the MAC last seen from each source address (a slot per address
 * hash, for the frames the backend builds), and whether the guest spoke
 * for the address in neighbour discovery (its solicitation from it, or
 * its advertisement of it). A SYN over IPv6 from an address nobody spoke
 * for is held until the gateway's own solicitation is answered, as IPv4
 * SYNs wait for ARP (stack_slirp.c): libslirp would queue its answer
 * behind a solicitation of its own and walk that queue, formatting each
 * address, on every packet it sends, so a SYN flood from made-up
 * addresses of the /64 would stall the loop.
 */
#include <string.h>

#include "net/slirp/slirp_frames.h"
#include "net/slirp/slirp_priv.h"
#include "net/switch.h"

/* the guest's IPv6 sources: a slot per address, the last MAC seen */
static unsigned int mac6_slot(const uint8_t ip[16])
{
	return (ip[15] ^ ip[14] ^ ip[13] ^ ip[11]) % SLIRP_MAC6_SLOTS;
}

/*
 * mac6_learn() - remember @mac for @ip; as mac_learn(): a @pinned entry
 * (the guest spoke for the address in neighbour discovery) is replaced
 * only by another pinned one, so made-up sources cannot push a guest's
 * address out of the table.
 */
static void mac6_learn(struct slirp_stack *st, const uint8_t ip[16],
		       const uint8_t mac[6], bool pinned)
{
	unsigned int i = mac6_slot(ip);

	if (ip[0] == 0xff || (ip[0] == 0 && ip[1] == 0))
		return; /* multicast, unspecified: not a neighbour */
	if (st->macs6[i].pinned && !pinned)
		return; /* (its own: the MAC stays the one it declared) */
	memcpy(st->macs6[i].ip, ip, 16);
	memcpy(st->macs6[i].mac, mac, 6);
	st->macs6[i].pinned = pinned;
}

static bool mac6_pinned(struct slirp_stack *st, const uint8_t ip[16])
{
	unsigned int i = mac6_slot(ip);

	return st->macs6[i].pinned && !memcmp(st->macs6[i].ip, ip, 16);
}

/*
 * syn6_hold() - a SYN from @p->src6, not pinned: held (a few, the newest)
 * while the gateway asks for the address.
 */
static void syn6_hold(struct slirp_stack *st, const uint8_t *f, size_t len,
		      const struct slirp_pkt *p)
{
	unsigned int i = st->held6_next++ % 16;
	uint8_t ns[SLIRP_NS_LEN];

	st->cnt.policy_drops++;
	if (len <= sizeof(st->held6[i].f)) {
		memcpy(st->held6[i].ip, p->src6, 16);
		st->held6[i].len = (uint16_t)len;
		memcpy(st->held6[i].f, f, len);
	}
	if (!slirp_arp_token(st))
		return;
	slirp_build_ns(ns, st->cfg.gw_mac, st->cfg.gw_ll6, p->src6);
	sw_output_buf(st->env.sw, ns, SLIRP_NS_LEN);
	st->sent = true;
}

/* syn6_release() - @ip was spoken for: its held SYNs go on. */
static void syn6_release(struct slirp_stack *st, const uint8_t ip[16])
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		uint16_t len = st->held6[i].len;

		if (!len || memcmp(st->held6[i].ip, ip, 16))
			continue;
		st->held6[i].len = 0;
		st->cnt.policy_drops--;
		slirp_guest_frame(st, st->held6[i].f, len);
	}
}

/*
 * nd_pin() - the guest's neighbour solicitation (its source address) or
 * advertisement (its target) speaks for an address of the /64: pinned,
 * and the SYNs held for it go on.
 */
static void nd_pin(struct slirp_stack *st, const uint8_t *f,
		   const struct slirp_pkt *p)
{
	const uint8_t *a = p->l4[0] == 135 ? p->src6 : p->l4 + 8;

	if (p->l4len < 24 || !netcfg_guest_src6_ok(&st->cfg, a))
		return;
	if (mac6_pinned(st, a))
		return;
	mac6_learn(st, a, f + 6, true);
	syn6_release(st, a);
}

bool slirp_mac6_find(struct slirp_stack *st, const uint8_t ip[16],
		     uint8_t mac[6])
{
	unsigned int i = mac6_slot(ip);

	if (memcmp(st->macs6[i].ip, ip, 16))
		return false;
	memcpy(mac, st->macs6[i].mac, 6);
	return true;
}

bool slirp_nd6_input(struct slirp_stack *st, const uint8_t *f, size_t len,
		     const struct slirp_pkt *p, enum slirp_verdict v)
{
	mac6_learn(st, p->src6, f + 6, false);
	if (p->proto == 58 && (p->l4[0] == 135 || p->l4[0] == 136)) {
		nd_pin(st, f, p);
		return false;
	}
	if (p->proto != 6 ||
	    (p->tcp_flags & (SLIRP_TCP_SYN | SLIRP_TCP_ACK)) != SLIRP_TCP_SYN ||
	    (v != SLV_SLIRP && v != SLV_GW_TCP) || mac6_pinned(st, p->src6))
		return false;
	syn6_hold(st, f, len, p);
	return true;
}
