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
#include "util/hash.h"
#include "util/log.h"

/*
 * The guest's IPv6 sources, the last MAC seen from each: a set of
 * SLIRP_MAC6_WAYS entries per hash of the whole address (FNV-1a: an
 * interface's link-local and SLAAC addresses share their last 8 bytes),
 * so a guest's few addresses do not push each other out.
 */
static struct slirp_nb6 *nb6_set(struct slirp_stack *st, const uint8_t ip[16])
{
	uint32_t h = hash_fnv1a(ip, 16, 0);

	return &st->macs6[h % (SLIRP_MAC6_SLOTS / SLIRP_MAC6_WAYS) *
			  SLIRP_MAC6_WAYS];
}

static struct slirp_nb6 *nb6_find(struct slirp_stack *st, const uint8_t ip[16])
{
	struct slirp_nb6 *set = nb6_set(st, ip);
	unsigned int w;

	for (w = 0; w < SLIRP_MAC6_WAYS; w++)
		if (!memcmp(set[w].ip, ip, 16))
			return &set[w];
	return NULL;
}

/*
 * mac6_learn() - remember @mac for @ip; as mac_learn(): a @pinned entry
 * (the guest spoke for the address in neighbour discovery) is replaced
 * only by another pinned one, the least recently used of its set, so
 * made-up sources cannot push a guest's address out of the table.
 */
static void mac6_learn(struct slirp_stack *st, const uint8_t ip[16],
		       const uint8_t mac[6], bool pinned)
{
	struct slirp_nb6 *e = nb6_find(st, ip), *set, *pick = NULL;
	unsigned int w;

	if (ip[0] == 0xff || (ip[0] == 0 && ip[1] == 0))
		return; /* multicast, unspecified: not a neighbour */
	if (e && e->pinned && !pinned) {
		e->stamp = ++st->nb6_clock; /* in use: kept over idle ones */
		return; /* the MAC stays the one it declared */
	}
	if (!e) {
		set = nb6_set(st, ip);
		for (w = 0; w < SLIRP_MAC6_WAYS; w++) {
			e = &set[w];
			if (pinned && !e->pinned)
				break; /* (an unpinned one beats the oldest) */
			if ((pinned || !e->pinned) &&
			    (!pick || (int32_t)(e->stamp - pick->stamp) < 0))
				pick = e;
		}
		if (w == SLIRP_MAC6_WAYS)
			e = pick;
		if (!e)
			return; /* all pinned: a made-up source is not kept */
		memcpy(e->ip, ip, 16);
	}
	memcpy(e->mac, mac, 6);
	e->pinned = pinned; /* (a pinned entry got here only if @pinned) */
	e->stamp = ++st->nb6_clock;
}

static bool mac6_pinned(struct slirp_stack *st, const uint8_t ip[16])
{
	const struct slirp_nb6 *e = nb6_find(st, ip);

	return e && e->pinned;
}

/*
 * hold6() - a frame from @p->src6, not pinned: held (a few, the newest)
 * while the gateway asks for the address.
 */
static void hold6(struct slirp_stack *st, const uint8_t *f, size_t len,
		  const struct slirp_pkt *p)
{
	uint8_t ns[SLIRP_NS_LEN];

	st->cnt.policy_drops++;
	slirp_hold_put(&st->held6, p->src6, f, len);
	if (!slirp_arp_token(st))
		return;
	slirp_hold_asked(&st->held6, p->src6);
	slirp_build_ns(ns, st->cfg.gw_mac, st->cfg.gw_ll6, p->src6);
	sw_output_buf(st->env.sw, ns, SLIRP_NS_LEN);
	st->sent = true;
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
	/* an answer for a held frame is (the gateway asked), others a few */
	if (!slirp_hold_answered(&st->held6, a) && !slirp_pin_token(st))
		return;
	mac6_learn(st, a, f + 6, true);
	st->cnt.policy_drops -=
		slirp_hold_release(&st->held6, a, slirp_guest_frame, st);
}

bool slirp_mac6_find(struct slirp_stack *st, const uint8_t ip[16],
		     uint8_t mac[6])
{
	const struct slirp_nb6 *e = nb6_find(st, ip);

	if (!e)
		return false;
	memcpy(mac, e->mac, 6);
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
