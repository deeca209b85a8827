/*
 * gw_link6.c - the gateway link's IPv6 half (see gw_link.h): neighbour
 * advertisements for the gateway's addresses, router advertisements and
 * stateless DHCPv6, from raw frames, in front of every stack backend.
 *
 * Neighbour solicitations for the gateway's global and link-local
 * addresses and for the host alias are answered here (also a guest's
 * duplicate address detection for one of them, which is defended); a
 * solicitation for any other address, the guest's own included, goes to
 * the stack untouched: the gateway never claims an address it does not
 * own. Router solicitations are answered with a router advertisement,
 * unicast to the soliciting address, or to all nodes when it came from
 * the unspecified address (not more often than every 3 s, RFC 4861
 * MIN_DELAY_BETWEEN_RAS). Unsolicited advertisements start with the
 * guest's first frame: one at once, two more 4 s apart, then one every
 * 200-600 s (RFC 4861 6.2.4, MinRtrAdvInterval = MaxRtrAdvInterval / 3),
 * with a router lifetime and DNS lifetimes of 3 x MaxRtrAdvInterval.
 * DHCPv6 to ff02::1:2 (or to the gateway) on port 547 is answered by the
 * stateless server (dhcp/dhcp6.h) from the link-local address.
 * Answers are rate-limited by token buckets; invalid and over-limit
 * frames are dropped, counted and logged at a limited rate.
 */
#include <string.h>

#include "dhcp/dhcp_server.h"
#include "gateway/gw_link_priv.h"
#include "net/pkt6.h"
#include "net/switch.h"
#define LOG_SUBSYS LOG_SS_DHCP
#include "util/log.h"

#define GW6_RA_MAX_INTERVAL_S 600
#define GW6_RA_MIN_INTERVAL_S 200
#define GW6_RA_INITIAL 3
#define GW6_RA_INITIAL_MS 4000
#define GW6_RA_MCAST_GAP_MS 3000
#define GW6_LIFETIME_S (3 * GW6_RA_MAX_INTERVAL_S)
#define GW6_PREFIX_VALID_S 86400
#define GW6_PREFIX_PREFERRED_S 14400
#define GW6_INFO_REFRESH_S 3600
#define GW6_ND_RATE 100 /* NA + RA a second */
#define GW6_DHCP_RATE 20 /* DHCPv6 replies a second */
/* the DHCPv6 search list: room for a reply in one frame */
#define GW6_SEARCH_MAX 1024

static const uint8_t gw6_all_nodes[16] = {0xff, 2, [15] = 1};
static const uint8_t gw6_dhcp_servers[16] = {0xff, 2, [13] = 1, [15] = 2};

bool gw_rl_take(struct gw_rl *r, uint64_t now_ms)
{
	if (now_ms > r->last_ms) {
		uint64_t add = (now_ms - r->last_ms) * r->rate / 1000;

		if (add) {
			r->tokens = add >= r->rate || r->tokens + add > r->rate
					    ? r->rate
					    : r->tokens + (uint32_t)add;
			r->last_ms = now_ms;
		}
	}
	if (!r->tokens)
		return false;
	r->tokens--;
	return true;
}

/* gw6_frame_cap() - the most a frame to the guest may hold (-mtu) */
static size_t gw6_frame_cap(const struct gw_link *l)
{
	size_t mtu = l->cfg.mtu >= 1280 ? l->cfg.mtu : 1280;

	if (mtu + ETH_HLEN_ > sizeof(l->scratch))
		return sizeof(l->scratch);
	return mtu + ETH_HLEN_;
}

/* gw6_send_ra() - a router advertisement to @dst at @dst_mac */
static void gw6_send_ra(struct gw_link *l, const uint8_t dst_mac[6],
			const uint8_t dst[16])
{
	size_t n = ndp_build_ra(l->scratch, gw6_frame_cap(l), &l->v6.ra,
				dst_mac, dst);

	if (!n)
		return;
	sw_output_buf(l->sw, l->scratch, n);
	l->cnt.ndp_ra++;
}

/* gw6_send_mcast_ra() - to all nodes, at most every 3 s; false: too soon */
static bool gw6_send_mcast_ra(struct gw_link *l)
{
	uint64_t now = uv_now(l->loop);
	uint8_t mac[6];

	if (l->v6.last_mcast_ra_ms &&
	    now - l->v6.last_mcast_ra_ms < GW6_RA_MCAST_GAP_MS)
		return false;
	l->v6.last_mcast_ra_ms = now ? now : 1;
	pkt_mcast_mac6(mac, gw6_all_nodes);
	gw6_send_ra(l, mac, gw6_all_nodes);
	return true;
}

/* gw6_next_ms() - when the next unsolicited advertisement is due */
static uint64_t gw6_next_ms(struct gw_link *l)
{
	uint64_t span = (GW6_RA_MAX_INTERVAL_S - GW6_RA_MIN_INTERVAL_S) * 1000;

	if (l->v6.initial_left)
		return GW6_RA_INITIAL_MS;
	/* uniformly in [min, max]: hrtime's low bits are random enough */
	return GW6_RA_MIN_INTERVAL_S * 1000ull + uv_hrtime() / 1000 % span;
}

static void gw6_ra_timer_cb(uv_timer_t *t)
{
	struct gw_link *l = t->data;

	if (l->v6.initial_left)
		l->v6.initial_left--;
	l->v6.last_mcast_ra_ms = 0; /* the schedule's own are never late */
	gw6_send_mcast_ra(l);
	uv_timer_start(t, gw6_ra_timer_cb, gw6_next_ms(l), 0);
}

/* gw6_guest_seen() - the guest's first frame starts the advertisements */
static void gw6_guest_seen(struct gw_link *l)
{
	if (l->v6.guest_seen)
		return;
	l->v6.guest_seen = true;
	l->v6.initial_left = GW6_RA_INITIAL;
	uv_timer_start(&l->v6.ra_timer, gw6_ra_timer_cb, 0, 0);
}

/* gw6_is_ours() - the gateway answers neighbour discovery for @ip */
static bool gw6_is_ours(const struct gw_link *l, const uint8_t ip[16])
{
	return netcfg_is_gw6(&l->cfg, ip) ||
	       !memcmp(ip, l->cfg.host_alias6, 16);
}

/* gw6_ndp() - true when the frame was an RS or NS for the gateway */
static bool gw6_ndp(struct gw_link *l, const uint8_t *frame, size_t len)
{
	struct ndp_msg m;
	int rc = ndp_parse(frame, len, &m);

	if (rc == 0)
		return false;
	if (rc < 0) {
		l->cnt.ndp_drops++;
		log_rl("ndp: invalid solicitation dropped");
		return true;
	}
	if (m.type == NDP_NS && !gw6_is_ours(l, m.target))
		return false; /* someone else's, the guest's own DAD too */
	if (m.type == NDP_RS && pkt_ip6_is_unspec(m.src)) {
		if (!gw6_send_mcast_ra(l))
			l->cnt.ndp_limited++;
		return true;
	}
	if (!gw_rl_take(&l->v6.nd_rl, uv_now(l->loop))) {
		l->cnt.ndp_limited++;
		log_rl("ndp: solicitations over the rate limit dropped");
		return true;
	}
	if (m.type == NDP_NS) {
		size_t n = ndp_build_na(l->scratch, &m, l->cfg.gw_mac, true);

		sw_output_buf(l->sw, l->scratch, n);
		l->cnt.ndp_na++;
	} else {
		gw6_send_ra(l, m.sll ? m.sll : m.eth_src, m.src);
	}
	return true;
}

/* gw6_dhcp() - true when the UDP datagram @ip was DHCPv6 for the gateway */
static bool gw6_dhcp(struct gw_link *l, const uint8_t *frame, size_t len,
		     const struct pkt_ip6 *ip)
{
	uint8_t *out = l->scratch + PKT_IP6_PAYLOAD + 8;
	size_t cap = gw6_frame_cap(l) - PKT_IP6_PAYLOAD - 8;
	struct dhcp6_msg m;
	struct pkt_udp6 u;
	int n;

	if (ip->len < 8 || be16_get(ip->payload + 2) != DHCP6_SERVER_PORT ||
	    (memcmp(ip->dst, gw6_dhcp_servers, 16) && !gw6_is_ours(l, ip->dst)))
		return false;
	l->cnt.dhcp6_in++;
	if (pkt_parse_udp6(frame, len, &u) ||
	    dhcp6_msg_parse(u.payload, u.len, &m)) {
		l->cnt.dhcp6_drops++;
		log_rl("dhcp6: malformed datagram dropped");
		return true;
	}
	if (!gw_rl_take(&l->v6.dhcp_rl, uv_now(l->loop))) {
		l->cnt.dhcp6_limited++;
		log_rl("dhcp6: messages over the rate limit dropped");
		return true;
	}
	n = dhcp6_server_reply(&l->v6.d6, u.payload, u.len, out, cap);
	if (n <= 0) {
		if (n < 0) {
			l->cnt.dhcp6_drops++;
			log_rl("dhcp6: message discarded (RFC 8415 16)");
		}
		return true;
	}
	n = (int)pkt_build_udp6(l->scratch, l->cfg.gw_mac, ip->eth_src,
				l->cfg.gw_ll6, ip->src, DHCP6_SERVER_PORT,
				u.sport, (size_t)n);
	sw_output_buf(l->sw, l->scratch, (size_t)n);
	l->cnt.dhcp6_out++;
	return true;
}

bool gw_link6_input(struct gw_link *l, const uint8_t *frame, size_t len)
{
	struct pkt_ip6 ip;

	gw6_guest_seen(l);
	/* one look at the header: the data path (TCP) passes straight on */
	if (pkt_parse_ip6(frame, len, &ip))
		return false;
	if (ip.next == PKT_PROTO_ICMP6)
		return gw6_ndp(l, frame, len);
	if (ip.next == PKT_PROTO_UDP)
		return gw6_dhcp(l, frame, len, &ip);
	return false;
}

/* gw6_search() - the search list, whole names up to GW6_SEARCH_MAX */
static void gw6_search(struct gw_link *l)
{
	const uint8_t *w = NULL;
	size_t n = l->dhcp ? dhcp_server_search_wire(l->dhcp, &w) : 0;
	size_t off = 0, end = 0;

	while (off < n) {
		size_t at = off;

		while (at < n && w[at])
			at += 1 + (size_t)w[at];
		if (at >= n || at + 1 > GW6_SEARCH_MAX)
			break;
		off = end = at + 1;
	}
	if (end)
		memcpy(l->v6.d6.search, w, end);
	l->v6.d6.search_len = end;
}

void gw_link6_start(struct gw_link *l)
{
	struct gw_link6 *v = &l->v6;

	if (!l->cfg.ipv6)
		return;
	v->nd_rl.rate = v->nd_rl.tokens = GW6_ND_RATE;
	v->dhcp_rl.rate = v->dhcp_rl.tokens = GW6_DHCP_RATE;
	dhcp6_duid_ll(v->d6.duid, l->cfg.gw_mac);
	v->d6.n_dns = 1;
	memcpy(v->d6.dns[0], l->cfg.gateway6, 16);
	v->d6.info_refresh_secs = GW6_INFO_REFRESH_S;
	gw6_search(l);
	memcpy(v->ra.mac, l->cfg.gw_mac, 6);
	memcpy(v->ra.src, l->cfg.gw_ll6, 16);
	memcpy(v->ra.prefix, l->cfg.prefix6, 16);
	v->ra.flags = NDP_RA_OTHER; /* SLAAC, plus DHCPv6 for other info */
	v->ra.mtu = l->cfg.mtu;
	v->ra.router_lifetime = GW6_LIFETIME_S;
	v->ra.valid_lifetime = GW6_PREFIX_VALID_S;
	v->ra.preferred_lifetime = GW6_PREFIX_PREFERRED_S;
	v->ra.have_rdnss = true;
	memcpy(v->ra.rdnss, l->cfg.gateway6, 16);
	v->ra.dns_lifetime = GW6_LIFETIME_S;
	v->ra.dnssl = v->d6.search;
	v->ra.dnssl_len = v->d6.search_len;
	uv_timer_init(l->loop, &v->ra_timer);
	v->ra_timer.data = l;
	uv_unref((uv_handle_t *)&v->ra_timer);
	v->timer_on = true;
	l->handles++;
}

void gw_link6_stop(struct gw_link *l, uv_close_cb cb)
{
	if (!l->v6.timer_on)
		return;
	l->v6.timer_on = false;
	uv_close((uv_handle_t *)&l->v6.ra_timer, cb);
}
