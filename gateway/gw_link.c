/*
 * gw_link.c - the gateway's link layer (see gw_link.h).
 *
 * Every frame the switch has for the gateway passes here first: an ARP
 * request for a virtual IP (the gateway, the host alias, configured VIPs)
 * is answered with the gateway's MAC, a DHCP request (UDP to port 67) goes
 * to the DHCP server, whose answer is sent from here; anything else goes
 * to the stack backend untouched (and with the transport's buffer lent, so
 * the data path is one call longer, nothing more). Once a second the DHCP
 * server's expired leases are reported, so the backend unpins them.
 * IPv6 frames go through gw_link6.c first (neighbour discovery, router
 * advertisements, DHCPv6).
 */
#include "gateway/gw_link.h"

#include <stdlib.h>
#include <string.h>

#include "dhcp/dhcp_server.h"
#include "gateway/gw_link_priv.h"
#include "net/pkt.h"
#include "net/pkt6.h"
#include "net/stack.h"
#include "net/switch.h"
#define LOG_SUBSYS LOG_SS_DHCP
#include "util/log.h"

#define GW_LINK_EXPIRE_MS 1000

/* gw_link_dhcp() - true when the frame was a DHCP request (consumed). */
static bool gw_link_dhcp(struct gw_link *l, const uint8_t *frame, size_t len)
{
	struct dhcp_reply_dst dst;
	struct pkt_udp4 u;
	int n;

	if (!l->dhcp || pkt_parse_udp4(frame, len, &u) || u.dport != 67)
		return false;
	l->cnt.dhcp_in++;
	n = dhcp_server_handle(l->dhcp, u.payload, u.len, uv_now(l->loop),
			       l->scratch + 42, sizeof(l->scratch) - 42, &dst);
	if (n <= 0) {
		if (n < 0) {
			l->cnt.dhcp_drops++;
			log_rl("dhcp: malformed request dropped");
		}
		return true;
	}
	n = (int)pkt_build_udp4(l->scratch, l->cfg.gw_mac, dst.mac,
				l->cfg.gateway, dst.ip, 67, 68, (size_t)n);
	sw_output_buf(l->sw, l->scratch, (size_t)n);
	l->cnt.dhcp_out++;
	return true;
}

void gw_link_input(void *arg, const uint8_t *frame, size_t len,
		   const struct sw_ref *keep)
{
	struct gw_link *l = arg;
	uint32_t tip;

	if (pkt_arp_request_for(frame, len, &tip) &&
	    netcfg_is_vip(&l->cfg, tip)) {
		size_t n = pkt_build_arp_reply(l->scratch, frame, l->cfg.gw_mac,
					       tip);

		sw_output_buf(l->sw, l->scratch, n);
		l->cnt.arp_replies++;
		return;
	}
	if (gw_link_dhcp(l, frame, len))
		return;
	if (l->cfg.ipv6 && len >= ETH_HLEN_ &&
	    be16_get(frame + PKT_ETH_TYPE) == ETHTYPE_IP6 &&
	    gw_link6_input(l, frame, len))
		return;
	stack_input(l->st, frame, len, keep);
}

static void gw_link_batch_end(void *arg)
{
	struct gw_link *l = arg;

	stack_batch_end(l->st);
}

static void gw_link_lease_cb(void *arg, uint32_t ip, const uint8_t mac[6],
			     int bound)
{
	struct gw_link *l = arg;

	stack_lease(l->st, ip, mac, bound != 0);
}

static void gw_link_expire_cb(uv_timer_t *t)
{
	struct gw_link *l = t->data;

	/* leases that expired lose their pin in the backend (lease_cb) */
	dhcp_server_expire(l->dhcp, uv_now(l->loop));
}

struct gw_link *gw_link_create(uv_loop_t *loop, struct sw *sw,
			       const struct netcfg *cfg, struct stack *st,
			       struct dhcp_server *dhcp)
{
	struct gw_link *l = calloc(1, sizeof(*l));

	if (!l) {
		log_err("gateway: out of memory");
		return NULL;
	}
	l->loop = loop;
	l->sw = sw;
	l->st = st;
	l->dhcp = dhcp;
	l->cfg = *cfg;
	uv_timer_init(loop, &l->expire);
	l->expire.data = l;
	l->handles = 1;
	if (dhcp) {
		dhcp_server_set_lease_cb(dhcp, gw_link_lease_cb, l);
		uv_timer_start(&l->expire, gw_link_expire_cb, GW_LINK_EXPIRE_MS,
			       GW_LINK_EXPIRE_MS);
		uv_unref((uv_handle_t *)&l->expire);
	}
	gw_link6_start(l);
	sw_set_stack(sw, gw_link_input, l);
	sw_set_stack_batch_end(sw, gw_link_batch_end);
	return l;
}

static void gw_link_free_cb(uv_handle_t *h)
{
	struct gw_link *l = h->data;

	if (--l->handles == 0)
		free(l);
}

void gw_link_destroy(struct gw_link *l)
{
	if (!l)
		return;
	if (l->dhcp)
		dhcp_server_set_lease_cb(l->dhcp, NULL, NULL);
	sw_set_stack(l->sw, NULL, NULL);
	sw_set_stack_batch_end(l->sw, NULL);
	gw_link6_stop(l, gw_link_free_cb);
	uv_close((uv_handle_t *)&l->expire, gw_link_free_cb);
}

const struct gw_link_counters *gw_link_counters(const struct gw_link *l)
{
	return &l->cnt;
}
