/*
 * dhcp_server.c - DHCPv4 server state machine (RFC 2131) for the virtual
 * network: static leases by MAC, a dynamic pool with one slot per address,
 * and reply addressing per RFC 2131 4.1. The stack feeds it UDP payloads;
 * it never does I/O, never allocates after create, and takes the time
 * from its caller.
 *
 * Address selection for a DISCOVER (RFC 2131 4.3.1, in this order):
 *   1. the static lease of the client's MAC, if any;
 *   2. the address the MAC holds or last held (a known MAC keeps its IP);
 *   3. the address asked for in option 50, if it is free;
 *   4. the lowest never-used (or cleanly released without memory) address,
 *      then the lowest address whose lease or offer has expired. Using
 *      fresh addresses first keeps an expired client's address for it as
 *      long as the pool allows;
 *   5. when none is left, the live lease or offer whose MAC has been quiet
 *      longest (not heard by the server, not seen on the switch), if
 *      quiet for the quiet time: so 300 MACs that asked once and went
 *      away cannot keep the pool for a lease time (reclaimed).
 *
 * States of a pool slot (the lifetime is judged lazily against "now"):
 *   FREE     --DISCOVER-->  OFFERED (held OFFER_HOLD_MS for the MAC)
 *   OFFERED  --REQUEST-->   BOUND   (lease_secs)
 *   BOUND    --RELEASE-->   FREE    (MAC remembered)
 *   OFFERED/BOUND --DECLINE--> DECLINED (DECLINE_HOLD_MS, MAC forgotten)
 *   any timed state whose time passed is available again
 *   RESERVED: gateway, host alias and static addresses, never offered.
 *
 * Clients are identified by chaddr, not by option 61: the switch, the
 * static leases and gvproxy all key on the MAC, and a VM's NIC has one.
 *
 * dhcp_server_foreach_lease() lists static leases always (gvproxy's leases
 * API does, and tests expect .2 before the guest asks) and dynamic ones
 * while bound.
 *
 * The lease callback (dhcp_server_set_lease_cb) hears of every ACK and of
 * every bound slot leaving BOUND or its MAC: a slot is "pinned" from the
 * ACK that reported it until the report of its end (dhcp_unpin), so each
 * bound report of a dynamic address is followed by exactly one unbound.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/dhcp_codec.h"
#include "dhcp/dhcp_server.h"
#define LOG_SUBSYS LOG_SS_DHCP
#include "util/log.h"

#define DHCP_MAX_POOL 16384
#define DHCP_OFFER_HOLD_MS (60ull * 1000)
#define DHCP_DECLINE_HOLD_MS (10ull * 60 * 1000)
#define DHCP_DEFAULT_LEASE_SECS 3600
#define DHCP_DEFAULT_MTU 1500
#define DHCP_INFINITE_LEASE 0xffffffffu
#define DHCP_NAME_MAX 253
#define DHCP_BROADCAST_IP 0xffffffffu

enum dhcp_lease_state {
	DHCP_LEASE_FREE,
	DHCP_LEASE_OFFERED,
	DHCP_LEASE_BOUND,
	DHCP_LEASE_DECLINED,
	DHCP_LEASE_RESERVED,
};

/*
 * struct dhcp_lease - one pool address. @mac is meaningful when @has_mac:
 * the current holder, or the last one (an expired or released lease keeps
 * it so the client gets the same address back). At most one slot has a
 * given MAC.
 */
struct dhcp_lease {
	uint64_t expires_ms;
	uint64_t heard_ms; /* last DISCOVER/REQUEST of the holder */
	uint8_t mac[6];
	uint8_t state;
	uint8_t has_mac;
	uint8_t pinned; /* reported bound to @mac, not yet unbound */
};

struct dhcp_server {
	struct dhcp_server_config cfg; /* search[] points into names[] */
	uint32_t broadcast;
	uint64_t lease_ms;
	char names[DHCP_MAX_SEARCH][DHCP_NAME_MAX + 1];
	/* option 119 payload; name i ends at search_end[i] */
	uint8_t search_wire[DHCP_MAX_SEARCH * DHCP_DOMAIN_WIRE_MAX];
	uint16_t search_end[DHCP_MAX_SEARCH];
	unsigned int n_search_wire;
	struct dhcp_counters counters;
	uint64_t quiet_ms;
	dhcp_last_seen_fn last_seen;
	void *last_seen_arg;
	dhcp_lease_fn lease_cb;
	void *lease_arg;
	uint32_t n_pool;
	struct dhcp_lease pool[];
};

static const uint8_t dhcp_bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static uint64_t dhcp_deadline(uint64_t now_ms, uint64_t d)
{
	return now_ms > UINT64_MAX - d ? UINT64_MAX : now_ms + d;
}

static int dhcp_in_subnet(const struct dhcp_server *s, uint32_t ip)
{
	return (ip & s->cfg.netmask) == s->cfg.network;
}

/* dhcp_timed_live() - 1 if a timed state (offer, lease, decline) holds. */
static int dhcp_timed_live(const struct dhcp_lease *e, uint64_t now_ms)
{
	switch (e->state) {
	case DHCP_LEASE_OFFERED:
	case DHCP_LEASE_BOUND:
	case DHCP_LEASE_DECLINED:
		return now_ms < e->expires_ms;
	default:
		return 0;
	}
}

static int dhcp_available(const struct dhcp_lease *e, uint64_t now_ms)
{
	return e->state != DHCP_LEASE_RESERVED && !dhcp_timed_live(e, now_ms);
}

static int dhcp_owned_by(const struct dhcp_lease *e, const uint8_t *mac)
{
	return e->has_mac && !memcmp(e->mac, mac, 6);
}

static long dhcp_pool_index(const struct dhcp_server *s, uint32_t ip)
{
	if (!s->n_pool || ip < s->cfg.pool_start ||
	    ip - s->cfg.pool_start >= s->n_pool)
		return -1;
	return (long)(ip - s->cfg.pool_start);
}

static const struct dhcp_static_lease *
dhcp_static_by_mac(const struct dhcp_server *s, const uint8_t *mac)
{
	unsigned int i;

	for (i = 0; i < s->cfg.n_static; i++)
		if (!memcmp(s->cfg.statics[i].mac, mac, 6))
			return &s->cfg.statics[i];
	return NULL;
}

static long dhcp_find_mac(const struct dhcp_server *s, const uint8_t *mac)
{
	uint32_t i;

	for (i = 0; i < s->n_pool; i++)
		if (dhcp_owned_by(&s->pool[i], mac))
			return (long)i;
	return -1;
}

/* dhcp_unpin() - report the end of slot @idx's binding, if reported. */
static void dhcp_unpin(struct dhcp_server *s, long idx)
{
	struct dhcp_lease *e = &s->pool[idx];

	if (!e->pinned)
		return;
	e->pinned = 0;
	if (s->lease_cb)
		s->lease_cb(s->lease_arg, s->cfg.pool_start + (uint32_t)idx,
			    e->mac, 0);
}

/* dhcp_pin() - report @mac bound to @ip (slot @idx, or -1: static). */
static void dhcp_pin(struct dhcp_server *s, long idx, uint32_t ip,
		     const uint8_t *mac)
{
	if (idx >= 0)
		s->pool[idx].pinned = 1;
	if (s->lease_cb)
		s->lease_cb(s->lease_arg, ip, mac, 1);
}

/* dhcp_set() - give slot @idx to @mac in @state, keeping MACs unique. */
static void dhcp_set(struct dhcp_server *s, long idx, const uint8_t *mac,
		     enum dhcp_lease_state state, uint64_t expires_ms)
{
	long old = dhcp_find_mac(s, mac);
	struct dhcp_lease *e = &s->pool[idx];

	if (old >= 0 && old != idx) {
		dhcp_unpin(s, old);
		s->pool[old].has_mac = 0;
	}
	/* another holder, or no longer bound: that binding ended */
	if (e->pinned && (memcmp(e->mac, mac, 6) || state != DHCP_LEASE_BOUND))
		dhcp_unpin(s, idx);
	memcpy(e->mac, mac, 6);
	e->has_mac = 1;
	e->state = (uint8_t)state;
	e->expires_ms = expires_ms;
}

/* dhcp_last_heard() - the latest sign of life of @e's holder. */
static uint64_t dhcp_last_heard(const struct dhcp_server *s,
				const struct dhcp_lease *e)
{
	uint64_t t = e->heard_ms, seen;

	if (s->last_seen && !s->last_seen(s->last_seen_arg, e->mac, &seen) &&
	    seen > t)
		t = seen;
	return t;
}

/*
 * dhcp_quietest() - the live dynamic offer or lease whose holder has been
 * quiet longest, if for the quiet time at least; -1 if none.
 */
static long dhcp_quietest(const struct dhcp_server *s, uint64_t now_ms)
{
	uint64_t best_t = 0;
	long i, best = -1;

	for (i = 0; i < (long)s->n_pool; i++) {
		const struct dhcp_lease *e = &s->pool[i];
		uint64_t t;

		if ((e->state != DHCP_LEASE_BOUND &&
		     e->state != DHCP_LEASE_OFFERED) ||
		    !e->has_mac || !dhcp_timed_live(e, now_ms))
			continue;
		t = dhcp_last_heard(s, e);
		if (t > now_ms || now_ms - t < s->quiet_ms)
			continue;
		if (best < 0 || t < best_t) {
			best = i;
			best_t = t;
		}
	}
	return best;
}

/*
 * dhcp_choose() - the address to offer @mac (see the top of the file).
 * @idx is set to its pool slot, or -1 for a static address.
 * Return: the address, or 0 if the pool is exhausted.
 */
static uint32_t dhcp_choose(const struct dhcp_server *s,
			    const struct dhcp_msg *m, uint64_t now_ms,
			    long *idx)
{
	const struct dhcp_static_lease *st = dhcp_static_by_mac(s, m->chaddr);
	long i;

	*idx = -1;
	if (st)
		return st->ip;
	i = dhcp_find_mac(s, m->chaddr);
	if (i >= 0) {
		*idx = i;
		return s->cfg.pool_start + (uint32_t)i;
	}
	if (m->have & DHCP_HAVE_REQUESTED_IP) {
		i = dhcp_pool_index(s, m->requested_ip);
		if (i >= 0 && dhcp_available(&s->pool[i], now_ms)) {
			*idx = i;
			return m->requested_ip;
		}
	}
	for (i = 0; i < (long)s->n_pool; i++) {
		if (s->pool[i].state == DHCP_LEASE_FREE &&
		    !s->pool[i].has_mac) {
			*idx = i;
			return s->cfg.pool_start + (uint32_t)i;
		}
	}
	for (i = 0; i < (long)s->n_pool; i++) {
		if (dhcp_available(&s->pool[i], now_ms)) {
			*idx = i;
			return s->cfg.pool_start + (uint32_t)i;
		}
	}
	return 0;
}

/*
 * dhcp_may_bind() - whether @mac may have @ip now (RFC 2131 4.3.2).
 * Return: the pool slot (>= 0), -1 for the client's static address, or
 * -2 if not (the caller NAKs).
 */
static long dhcp_may_bind(const struct dhcp_server *s, const uint8_t *mac,
			  uint32_t ip, uint64_t now_ms)
{
	const struct dhcp_static_lease *st = dhcp_static_by_mac(s, mac);
	const struct dhcp_lease *e;
	long idx, other;

	if (st)
		return ip == st->ip ? -1 : -2;
	idx = dhcp_pool_index(s, ip);
	if (idx < 0)
		return -2;
	e = &s->pool[idx];
	if (e->state == DHCP_LEASE_RESERVED)
		return -2;
	if (e->state == DHCP_LEASE_DECLINED && dhcp_timed_live(e, now_ms))
		return -2;
	if (dhcp_owned_by(e, mac))
		return idx;
	if (!dhcp_available(e, now_ms))
		return -2;
	/*
	 * A free address nobody holds: grant it (e.g. a guest rebooting
	 * after qcw-net restarted and lost its table), unless the client
	 * holds a live offer or lease elsewhere, which it must use.
	 */
	other = dhcp_find_mac(s, mac);
	if (other >= 0 && dhcp_timed_live(&s->pool[other], now_ms))
		return -2;
	return idx;
}

/* dhcp_reply_limit() - most bytes the reply may have (RFC 2131 2, 2132 9.10). */
static size_t dhcp_reply_limit(const struct dhcp_server *s,
			       const struct dhcp_msg *m, size_t cap)
{
	size_t lim = DHCP_DEFAULT_MAX_PAYLOAD;

	if ((m->have & DHCP_HAVE_MAX_MSG_SIZE) && m->max_msg_size > 576)
		lim = (size_t)m->max_msg_size - 28;
	if (s->cfg.mtu >= 576 && (size_t)s->cfg.mtu - 28 < lim)
		lim = (size_t)s->cfg.mtu - 28;
	return lim < cap ? lim : cap;
}

static void dhcp_reply_dst_for(const struct dhcp_msg *m, uint8_t type,
			       uint32_t yiaddr, struct dhcp_reply_dst *dst)
{
	if (type != DHCP_NAK && m->ciaddr) {
		dst->ip = m->ciaddr;
		memcpy(dst->mac, m->chaddr, 6);
	} else if (type == DHCP_NAK || (m->flags & DHCP_FLAG_BROADCAST) ||
		   !yiaddr) {
		dst->ip = DHCP_BROADCAST_IP;
		memcpy(dst->mac, dhcp_bcast_mac, 6);
	} else {
		dst->ip = yiaddr;
		memcpy(dst->mac, m->chaddr, 6);
	}
}

/*
 * dhcp_add_search() - option 119 with as many whole domains as fit (the
 * first ones, the most relevant in resolv.conf order); none if not even
 * the first fits.
 */
static void dhcp_add_search(const struct dhcp_server *s, struct dhcp_builder *b)
{
	unsigned int k = s->n_search_wire;

	while (k > 0) {
		size_t n = s->search_end[k - 1];

		if (!dhcp_build_long_opt(b, DHCP_OPT_DOMAIN_SEARCH,
					 s->search_wire, n))
			return;
		k--;
	}
}

/*
 * dhcp_reply() - build an OFFER, ACK or NAK for @m into @out.
 * @with_lease: add lease, renewal and rebinding times (not for INFORM)
 * Return: the length, or -ENOSPC.
 */
static int dhcp_reply(struct dhcp_server *s, const struct dhcp_msg *m,
		      uint8_t type, uint32_t yiaddr, int with_lease,
		      uint8_t *out, size_t cap, struct dhcp_reply_dst *dst)
{
	static const char nak_msg[] = "address not available";
	const struct dhcp_server_config *c = &s->cfg;
	uint32_t t = c->lease_secs;
	struct dhcp_builder b;

	/* Every builder call returns 0 or -ENOSPC, hence the || chains. */
	if (dhcp_build_start(&b, out, dhcp_reply_limit(s, m, cap), m,
			     DHCP_OP_BOOTREPLY,
			     type == DHCP_ACK ? m->ciaddr : 0, yiaddr, 0) ||
	    dhcp_build_opt_u8(&b, DHCP_OPT_MSG_TYPE, type) ||
	    dhcp_build_opt_u32(&b, DHCP_OPT_SERVER_ID, c->gateway))
		return -ENOSPC;
	if (type == DHCP_NAK) {
		if (dhcp_build_opt(&b, DHCP_OPT_MESSAGE, nak_msg,
				   sizeof(nak_msg) - 1))
			return -ENOSPC;
		goto done;
	}
	if (with_lease && dhcp_build_opt_u32(&b, DHCP_OPT_LEASE_TIME, t))
		return -ENOSPC;
	if (with_lease && t != DHCP_INFINITE_LEASE &&
	    (dhcp_build_opt_u32(&b, DHCP_OPT_RENEWAL_TIME, t / 2) ||
	     dhcp_build_opt_u32(&b, DHCP_OPT_REBINDING_TIME,
				(uint32_t)((uint64_t)t * 7 / 8))))
		return -ENOSPC;
	if (dhcp_build_opt_u32(&b, DHCP_OPT_SUBNET_MASK, c->netmask) ||
	    dhcp_build_opt_u32(&b, DHCP_OPT_ROUTER, c->gateway) ||
	    dhcp_build_opt_u32(&b, DHCP_OPT_DNS, c->gateway) ||
	    dhcp_build_opt_u32(&b, DHCP_OPT_BROADCAST, s->broadcast) ||
	    dhcp_build_opt_u16(&b, DHCP_OPT_MTU, c->mtu))
		return -ENOSPC;
	dhcp_add_search(s, &b);
done:
	dhcp_reply_dst_for(m, type, yiaddr, dst);
	if (type == DHCP_NAK)
		s->counters.nak++;
	else if (type == DHCP_OFFER)
		s->counters.offer++;
	else
		s->counters.ack++;
	log_debug("dhcp: %s %u.%u.%u.%u to %02x:%02x:%02x:%02x:%02x:%02x",
		  type == DHCP_NAK     ? "NAK"
		  : type == DHCP_OFFER ? "OFFER"
				       : "ACK",
		  yiaddr >> 24, (yiaddr >> 16) & 255, (yiaddr >> 8) & 255,
		  yiaddr & 255, m->chaddr[0], m->chaddr[1], m->chaddr[2],
		  m->chaddr[3], m->chaddr[4], m->chaddr[5]);
	return dhcp_build_finish(&b);
}

static int dhcp_on_discover(struct dhcp_server *s, const struct dhcp_msg *m,
			    uint64_t now_ms, uint8_t *out, size_t cap,
			    struct dhcp_reply_dst *dst)
{
	long idx;
	uint32_t ip = dhcp_choose(s, m, now_ms, &idx);

	if (!ip && (idx = dhcp_quietest(s, now_ms)) >= 0) {
		struct dhcp_lease *e = &s->pool[idx];

		s->counters.reclaimed++;
		log_rl("dhcp: pool exhausted, %u.%u.%u.%u reclaimed from the "
		       "quiet %02x:%02x:%02x:%02x:%02x:%02x",
		       (s->cfg.pool_start + (uint32_t)idx) >> 24,
		       ((s->cfg.pool_start + (uint32_t)idx) >> 16) & 0xff,
		       ((s->cfg.pool_start + (uint32_t)idx) >> 8) & 0xff,
		       (s->cfg.pool_start + (uint32_t)idx) & 0xff, e->mac[0],
		       e->mac[1], e->mac[2], e->mac[3], e->mac[4], e->mac[5]);
		dhcp_unpin(s, idx);
		e->state = DHCP_LEASE_FREE;
		e->has_mac = 0;
		ip = s->cfg.pool_start + (uint32_t)idx;
	}
	if (!ip) {
		s->counters.pool_exhausted++;
		log_rl("dhcp: pool exhausted, no offer for "
		       "%02x:%02x:%02x:%02x:%02x:%02x",
		       m->chaddr[0], m->chaddr[1], m->chaddr[2], m->chaddr[3],
		       m->chaddr[4], m->chaddr[5]);
		return 0;
	}
	if (idx >= 0) {
		struct dhcp_lease *e = &s->pool[idx];

		/* An offer must not cut a live lease of the same client. */
		if (!(e->state == DHCP_LEASE_BOUND &&
		      dhcp_owned_by(e, m->chaddr) &&
		      dhcp_timed_live(e, now_ms)))
			dhcp_set(s, idx, m->chaddr, DHCP_LEASE_OFFERED,
				 dhcp_deadline(now_ms, DHCP_OFFER_HOLD_MS));
		e->heard_ms = now_ms;
	}
	return dhcp_reply(s, m, DHCP_OFFER, ip, 1, out, cap, dst);
}

/* dhcp_forget_offer() - the client took another server's offer. */
static void dhcp_forget_offer(struct dhcp_server *s, const uint8_t *mac)
{
	long idx = dhcp_find_mac(s, mac);

	/* An offer never taken is no binding worth remembering. */
	if (idx >= 0 && s->pool[idx].state == DHCP_LEASE_OFFERED) {
		s->pool[idx].state = DHCP_LEASE_FREE;
		s->pool[idx].has_mac = 0;
	}
}

static int dhcp_on_request(struct dhcp_server *s, const struct dhcp_msg *m,
			   uint64_t now_ms, uint8_t *out, size_t cap,
			   struct dhcp_reply_dst *dst)
{
	uint32_t ip;
	long idx;
	int n;

	if ((m->have & DHCP_HAVE_SERVER_ID) && m->server_id != s->cfg.gateway) {
		dhcp_forget_offer(s, m->chaddr);
		s->counters.ignored++;
		return 0;
	}
	/* SELECTING and INIT-REBOOT name it in option 50; RENEWING and
	 * REBINDING in ciaddr (RFC 2131 4.3.2). */
	if (m->have & DHCP_HAVE_REQUESTED_IP)
		ip = m->requested_ip;
	else
		ip = m->ciaddr;
	if (!ip || !dhcp_in_subnet(s, ip))
		return dhcp_reply(s, m, DHCP_NAK, 0, 0, out, cap, dst);

	idx = dhcp_may_bind(s, m->chaddr, ip, now_ms);
	if (idx == -2)
		return dhcp_reply(s, m, DHCP_NAK, 0, 0, out, cap, dst);
	if (idx >= 0) {
		dhcp_set(s, idx, m->chaddr, DHCP_LEASE_BOUND,
			 dhcp_deadline(now_ms, s->lease_ms));
		s->pool[idx].heard_ms = now_ms;
	}
	n = dhcp_reply(s, m, DHCP_ACK, ip, 1, out, cap, dst);
	if (n > 0)
		dhcp_pin(s, idx, ip, m->chaddr);
	return n;
}

static int dhcp_on_release(struct dhcp_server *s, const struct dhcp_msg *m)
{
	long idx = dhcp_pool_index(s, m->ciaddr);
	struct dhcp_lease *e;

	if ((m->have & DHCP_HAVE_SERVER_ID) && m->server_id != s->cfg.gateway)
		goto ignore;
	if (idx < 0)
		goto ignore; /* static or foreign: nothing to free */
	e = &s->pool[idx];
	if (!dhcp_owned_by(e, m->chaddr) ||
	    (e->state != DHCP_LEASE_BOUND && e->state != DHCP_LEASE_OFFERED))
		goto ignore;
	dhcp_unpin(s, idx);
	e->state = DHCP_LEASE_FREE; /* the MAC stays remembered */
	return 0;
ignore:
	s->counters.ignored++;
	return 0;
}

static int dhcp_on_decline(struct dhcp_server *s, const struct dhcp_msg *m,
			   uint64_t now_ms)
{
	long idx = dhcp_pool_index(s, m->requested_ip);
	struct dhcp_lease *e;

	if (((m->have & DHCP_HAVE_SERVER_ID) &&
	     m->server_id != s->cfg.gateway) ||
	    !(m->have & DHCP_HAVE_REQUESTED_IP) || idx < 0)
		goto ignore;
	e = &s->pool[idx];
	/* Only the holder may decline, or a guest could poison the pool. */
	if (!dhcp_owned_by(e, m->chaddr) ||
	    (e->state != DHCP_LEASE_BOUND && e->state != DHCP_LEASE_OFFERED))
		goto ignore;
	log_rl("dhcp: %u.%u.%u.%u declined (address in use?)",
	       m->requested_ip >> 24, (m->requested_ip >> 16) & 0xff,
	       (m->requested_ip >> 8) & 0xff, m->requested_ip & 0xff);
	dhcp_unpin(s, idx);
	e->state = DHCP_LEASE_DECLINED;
	e->has_mac = 0;
	e->expires_ms = dhcp_deadline(now_ms, DHCP_DECLINE_HOLD_MS);
	return 0;
ignore:
	s->counters.ignored++;
	return 0;
}

static int dhcp_on_inform(struct dhcp_server *s, const struct dhcp_msg *m,
			  uint8_t *out, size_t cap, struct dhcp_reply_dst *dst)
{
	if (!m->ciaddr || !dhcp_in_subnet(s, m->ciaddr)) {
		s->counters.ignored++;
		return 0;
	}
	return dhcp_reply(s, m, DHCP_ACK, 0, 0, out, cap, dst);
}

static int dhcp_mac_ok(const uint8_t *mac)
{
	static const uint8_t zero[6];

	return !(mac[0] & 1) && memcmp(mac, zero, 6);
}

int dhcp_server_handle(struct dhcp_server *s, const uint8_t *req, size_t len,
		       uint64_t now_ms, uint8_t *out, size_t cap,
		       struct dhcp_reply_dst *dst)
{
	struct dhcp_msg m;

	if (!s)
		return -EINVAL;
	if (dhcp_msg_parse(req, len, &m) || m.op != DHCP_OP_BOOTREQUEST ||
	    m.htype != DHCP_HTYPE_ETHER || m.hlen != 6 || !m.msg_type ||
	    !dhcp_mac_ok(m.chaddr)) {
		s->counters.malformed++;
		log_rl("dhcp: dropped a malformed request (%zu bytes)", len);
		return -EINVAL;
	}
	/* A caller bug, not the guest's: check before any state changes. */
	if (!out || cap < DHCP_MIN_MSG_LEN || !dst)
		return -ENOSPC;
	if (m.giaddr) {
		/* No relays on a virtual network: a guest forging one. */
		s->counters.ignored++;
		return 0;
	}

	switch (m.msg_type) {
	case DHCP_DISCOVER:
		s->counters.discover++;
		return dhcp_on_discover(s, &m, now_ms, out, cap, dst);
	case DHCP_REQUEST:
		s->counters.request++;
		return dhcp_on_request(s, &m, now_ms, out, cap, dst);
	case DHCP_RELEASE:
		s->counters.release++;
		return dhcp_on_release(s, &m);
	case DHCP_DECLINE:
		s->counters.decline++;
		return dhcp_on_decline(s, &m, now_ms);
	case DHCP_INFORM:
		s->counters.inform++;
		return dhcp_on_inform(s, &m, out, cap, dst);
	default:
		/* Server-to-client types, or extensions we do not serve. */
		s->counters.ignored++;
		return 0;
	}
}

void dhcp_server_foreach_lease(struct dhcp_server *s, uint64_t now_ms,
			       void (*fn)(void *arg, uint32_t ip,
					  const uint8_t mac[6]),
			       void *arg)
{
	unsigned int k = 0;
	uint32_t i;

	if (!s || !fn)
		return;
	/* Merge the statics (sorted at create) with the pool (by IP). */
	for (i = 0; i < s->n_pool; i++) {
		const struct dhcp_lease *e = &s->pool[i];
		uint32_t ip = s->cfg.pool_start + i;

		while (k < s->cfg.n_static && s->cfg.statics[k].ip < ip) {
			fn(arg, s->cfg.statics[k].ip, s->cfg.statics[k].mac);
			k++;
		}
		if (e->state == DHCP_LEASE_BOUND && e->has_mac &&
		    dhcp_timed_live(e, now_ms))
			fn(arg, ip, e->mac);
	}
	for (; k < s->cfg.n_static; k++)
		fn(arg, s->cfg.statics[k].ip, s->cfg.statics[k].mac);
}

const struct dhcp_counters *dhcp_server_counters(const struct dhcp_server *s)
{
	return &s->counters;
}

size_t dhcp_server_search_wire(const struct dhcp_server *s,
			       const uint8_t **wire)
{
	*wire = s->search_wire;
	return s->n_search_wire ? s->search_end[s->n_search_wire - 1] : 0;
}

static void dhcp_log_ip(const char *what, uint32_t ip)
{
	log_err("dhcp: %s %u.%u.%u.%u", what, ip >> 24, (ip >> 16) & 0xff,
		(ip >> 8) & 0xff, ip & 0xff);
}

/*
 * dhcp_check_config() - reject a configuration that would make the server
 * hand out an address it must not. Return: 0 or -EINVAL (logged).
 */
static int dhcp_check_config(const struct dhcp_server_config *c)
{
	uint32_t host = ~c->netmask;
	uint32_t net = c->network & c->netmask;
	uint32_t bcast = net | host;
	unsigned int i, j;

	/* contiguous, with at least 2 host bits */
	if ((host & (host + 1)) || host < 3) {
		log_err("dhcp: invalid netmask %08x", c->netmask);
		return -EINVAL;
	}
	if ((c->gateway & c->netmask) != net || c->gateway == net ||
	    c->gateway == bcast) {
		dhcp_log_ip("gateway outside the subnet:", c->gateway);
		return -EINVAL;
	}
	if (c->pool_start || c->pool_end) {
		if ((c->pool_start & c->netmask) != net ||
		    (c->pool_end & c->netmask) != net || c->pool_start == net ||
		    c->pool_end == bcast || c->pool_start > c->pool_end) {
			log_err("dhcp: invalid pool %08x-%08x", c->pool_start,
				c->pool_end);
			return -EINVAL;
		}
	}
	if (c->n_static > DHCP_MAX_STATIC || c->n_search > DHCP_MAX_SEARCH) {
		log_err("dhcp: too many static leases or search domains");
		return -EINVAL;
	}
	for (i = 0; i < c->n_static; i++) {
		const struct dhcp_static_lease *st = &c->statics[i];

		if ((st->ip & c->netmask) != net || st->ip == net ||
		    st->ip == bcast || st->ip == c->gateway ||
		    st->ip == c->host_alias) {
			dhcp_log_ip("static lease not usable:", st->ip);
			return -EINVAL;
		}
		if (!dhcp_mac_ok(st->mac)) {
			dhcp_log_ip("static lease with a bad MAC:", st->ip);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (c->statics[j].ip == st->ip ||
			    !memcmp(c->statics[j].mac, st->mac, 6)) {
				dhcp_log_ip("duplicate static lease:", st->ip);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* dhcp_prepare_search() - copy the names and pre-encode option 119. */
static void dhcp_prepare_search(struct dhcp_server *s,
				const struct dhcp_server_config *c)
{
	size_t off = 0;
	unsigned int i;

	s->cfg.n_search = 0;
	for (i = 0; i < c->n_search; i++) {
		const char *name = c->search[i];
		int n;

		if (!name || strlen(name) > DHCP_NAME_MAX)
			goto bad;
		n = dhcp_encode_domain(name, s->search_wire + off,
				       sizeof(s->search_wire) - off);
		if (n < 0)
			goto bad;
		off += (size_t)n;
		strcpy(s->names[s->cfg.n_search], name);
		s->cfg.search[s->cfg.n_search] = s->names[s->cfg.n_search];
		s->search_end[s->n_search_wire++] = (uint16_t)off;
		s->cfg.n_search++;
		continue;
	bad:
		log_warn("dhcp: skipping invalid search domain %.64s",
			 name ? name : "(null)");
	}
	for (i = s->cfg.n_search; i < DHCP_MAX_SEARCH; i++)
		s->cfg.search[i] = NULL;
}

/* dhcp_sort_statics() - by IP, so foreach can merge them with the pool. */
static void dhcp_sort_statics(struct dhcp_server_config *c)
{
	unsigned int i, j;

	for (i = 1; i < c->n_static; i++) {
		struct dhcp_static_lease t = c->statics[i];

		for (j = i; j > 0 && c->statics[j - 1].ip > t.ip; j--)
			c->statics[j] = c->statics[j - 1];
		c->statics[j] = t;
	}
}

static void dhcp_reserve(struct dhcp_server *s, uint32_t ip)
{
	long idx = dhcp_pool_index(s, ip);

	if (idx >= 0)
		s->pool[idx].state = DHCP_LEASE_RESERVED;
}

struct dhcp_server *dhcp_server_create(const struct dhcp_server_config *cfg)
{
	struct dhcp_server *s;
	uint64_t n_pool = 0;
	unsigned int i;

	if (!cfg) {
		log_err("dhcp: no configuration");
		return NULL;
	}
	if (dhcp_check_config(cfg))
		return NULL;
	if (cfg->pool_start || cfg->pool_end)
		n_pool = (uint64_t)cfg->pool_end - cfg->pool_start + 1;
	if (n_pool > DHCP_MAX_POOL) {
		log_warn("dhcp: pool of %llu addresses cut to %u",
			 (unsigned long long)n_pool, DHCP_MAX_POOL);
		n_pool = DHCP_MAX_POOL;
	}

	s = calloc(1, sizeof(*s) + (size_t)n_pool * sizeof(s->pool[0]));
	if (!s) {
		log_err("dhcp: out of memory");
		return NULL;
	}
	s->cfg = *cfg;
	s->cfg.network &= s->cfg.netmask;
	if (!s->cfg.lease_secs)
		s->cfg.lease_secs = DHCP_DEFAULT_LEASE_SECS;
	if (!s->cfg.mtu)
		s->cfg.mtu = DHCP_DEFAULT_MTU;
	s->n_pool = (uint32_t)n_pool;
	if (s->n_pool)
		s->cfg.pool_end = s->cfg.pool_start + s->n_pool - 1;
	s->broadcast = s->cfg.network | ~s->cfg.netmask;
	s->lease_ms = (uint64_t)s->cfg.lease_secs * 1000;
	s->quiet_ms = DHCP_QUIET_MS_DEFAULT;
	dhcp_sort_statics(&s->cfg);
	dhcp_prepare_search(s, cfg);

	dhcp_reserve(s, s->cfg.gateway);
	if (s->cfg.host_alias)
		dhcp_reserve(s, s->cfg.host_alias);
	for (i = 0; i < s->cfg.n_static; i++)
		dhcp_reserve(s, s->cfg.statics[i].ip);
	return s;
}

void dhcp_server_set_quiet(struct dhcp_server *s, uint64_t quiet_ms,
			   dhcp_last_seen_fn fn, void *arg)
{
	s->quiet_ms = quiet_ms ? quiet_ms : DHCP_QUIET_MS_DEFAULT;
	s->last_seen = fn;
	s->last_seen_arg = arg;
}

void dhcp_server_set_lease_cb(struct dhcp_server *s, dhcp_lease_fn fn,
			      void *arg)
{
	s->lease_cb = fn;
	s->lease_arg = arg;
}

void dhcp_server_expire(struct dhcp_server *s, uint64_t now_ms)
{
	uint32_t i;

	if (!s)
		return;
	for (i = 0; i < s->n_pool; i++) {
		const struct dhcp_lease *e = &s->pool[i];

		if (e->pinned && (e->state != DHCP_LEASE_BOUND ||
				  !dhcp_timed_live(e, now_ms)))
			dhcp_unpin(s, (long)i);
	}
}

void dhcp_server_destroy(struct dhcp_server *s)
{
	free(s);
}

/*
 * dhcp_resolv_set() - replace @names[0..*@n) by the words of @rest,
 * as resolv.conf does for each "search" or "domain" line.
 */
static int dhcp_resolv_set(char *rest, char **names, unsigned int *n)
{
	static const char sep[] = " \t\r\n";
	char *save = NULL, *tok;

	while (*n > 0)
		free(names[--*n]);
	for (tok = strtok_r(rest, sep, &save); tok && *n < DHCP_MAX_SEARCH;
	     tok = strtok_r(NULL, sep, &save)) {
		names[*n] = strdup(tok);
		if (!names[*n])
			return -ENOMEM;
		(*n)++;
	}
	return 0;
}

int dhcp_search_from_resolv_conf(const char *path,
				 struct dhcp_server_config *cfg)
{
	char *names[DHCP_MAX_SEARCH];
	unsigned int n = 0, i;
	char line[1024];
	int rc = 0;
	FILE *f;

	if (!path || !cfg)
		return -EINVAL;
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		size_t l = strlen(line);
		char *p = line;

		/* The tail of an over-long line is not a line of its own. */
		if (l == sizeof(line) - 1 && line[l - 1] != '\n') {
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				;
		}
		if (!strncmp(p, "search", 6))
			p += 6;
		else if (!strncmp(p, "domain", 6))
			p += 6;
		else
			continue;
		if (*p != ' ' && *p != '\t')
			continue;
		rc = dhcp_resolv_set(p, names, &n);
		if (rc)
			break;
	}
	if (ferror(f) && !rc)
		rc = -EIO;
	fclose(f);
	if (rc) {
		while (n > 0)
			free(names[--n]);
		return rc;
	}
	for (i = 0; i < n; i++)
		cfg->search[i] = names[i];
	for (; i < DHCP_MAX_SEARCH; i++)
		cfg->search[i] = NULL;
	cfg->n_search = n;
	return 0;
}

void dhcp_search_free(struct dhcp_server_config *cfg)
{
	unsigned int i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->n_search && i < DHCP_MAX_SEARCH; i++) {
		free((void *)(uintptr_t)cfg->search[i]);
		cfg->search[i] = NULL;
	}
	cfg->n_search = 0;
}

void dhcp_server_config_init(struct dhcp_server_config *c, uint32_t network,
			     uint32_t netmask, uint32_t gateway,
			     uint32_t host_alias, uint16_t mtu)
{
	memset(c, 0, sizeof(*c));
	c->network = network;
	c->netmask = netmask;
	c->gateway = gateway;
	c->host_alias = host_alias;
	c->pool_start = network + 1;
	c->pool_end = (network | ~netmask) - 1;
	c->lease_secs = 3600;
	c->mtu = mtu;
}
