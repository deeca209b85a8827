/*
 * slirp_nd6.c - the guest's IPv6 neighbours as the libslirp backend knows
 * them: the MAC last seen from each source address (a slot per address
 * hash, for the frames the backend builds), and whether the guest spoke
 * for the address in neighbour discovery: its duplicate address detection
 * of it, a solicitation from it, or an advertisement of it. A frame for
 * libslirp (TCP, UDP, an echo of the host alias) from an address nobody
 * spoke for is held until the gateway's own solicitation is answered, as
 * IPv4 SYNs wait for ARP (stack_slirp.c): libslirp would queue each answer
 * behind a solicitation of its own and walk that queue, formatting every
 * address in it, on every packet it sends, so a flood from made-up
 * addresses of the /64 (SYNs, or UDP a host service answers) would stall
 * the loop. A real guest's addresses are pinned by their duplicate address
 * detection before any traffic; one configured without it pays one
 * neighbour round trip on its first packet.
 */
#include <string.h>

#include "net/slirp/slirp_frames.h"
#include "net/slirp/slirp_priv.h"
#include "net/switch.h"

/*
 * the guest's IPv6 sources: a slot per address (FNV-1a of all of it: an
 * interface's link-local and SLAAC addresses share their last 8 bytes and
 * must not share a slot), the last MAC seen
 */
static unsigned int mac6_slot(const uint8_t ip[16])
{
	uint32_t h = 2166136261u;
	unsigned int i;

	for (i = 0; i < 16; i++)
		h = (h ^ ip[i]) * 16777619u;
	return h % SLIRP_MAC6_SLOTS;
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
 * hold6() - a frame from @p->src6, not pinned: held (a few, the newest)
 * while the gateway asks for the address.
 */
static void hold6(struct slirp_stack *st, const uint8_t *f, size_t len,
		  const struct slirp_pkt *p)
{
	unsigned int i = st->held6_next++ % SLIRP_HELD6_MAX;
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

/* release6() - @ip was spoken for: its held frames go on, in order. */
static void release6(struct slirp_stack *st, const uint8_t ip[16])
{
	unsigned int i, k;
	uint16_t len;

	for (k = 0; k < SLIRP_HELD6_MAX; k++) {
		i = (st->held6_next + k) % SLIRP_HELD6_MAX;
		len = st->held6[i].len;
		if (!len || memcmp(st->held6[i].ip, ip, 16))
			continue;
		st->held6[i].len = 0;
		st->cnt.policy_drops--;
		slirp_guest_frame(st, st->held6[i].f, len);
	}
}

/*
 * nd_pin() - the guest's neighbour solicitation (its source address; the
 * target of a duplicate address detection, from ::) or advertisement (its
 * target) speaks for an address of the /64: pinned, and the frames held
 * for it go on.
 */
static void nd_pin(struct slirp_stack *st, const uint8_t *f,
		   const struct slirp_pkt *p)
{
	static const uint8_t unspec[16];
	const uint8_t *a = p->l4[0] == 135 && memcmp(p->src6, unspec, 16)
				   ? p->src6
				   : p->l4 + 8;

	if (p->l4len < 24 || !netcfg_guest_src6_ok(&st->cfg, a))
		return;
	if (mac6_pinned(st, a))
		return;
	mac6_learn(st, a, f + 6, true);
	release6(st, a);
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
	if ((v != SLV_SLIRP && v != SLV_GW_TCP) || mac6_pinned(st, p->src6))
		return false;
	hold6(st, f, len, p);
	return true;
}
