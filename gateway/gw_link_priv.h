/*
 * gw_link_priv.h - the gateway link's state, shared by its IPv4 half
 * (gw_link.c: ARP, DHCPv4) and its IPv6 half (gw_link6.c: neighbour
 * discovery, router advertisements, DHCPv6). Private to gateway/.
 */
#ifndef QCW_GW_LINK_PRIV_H
#define QCW_GW_LINK_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "dhcp/dhcp6.h"
#include "gateway/gw_link.h"
#include "gateway/ndp.h"
#include "net/netcfg.h"

/* a token bucket: @rate replies a second, bursts of @rate */
struct gw_rl {
	uint64_t last_ms;
	uint32_t tokens, rate;
};

/* gw_rl_take() - one token, refilled from @now_ms; false when empty. */
bool gw_rl_take(struct gw_rl *r, uint64_t now_ms);

struct gw_link6 {
	uv_timer_t ra_timer;
	bool timer_on;
	bool guest_seen; /* a frame came: the initial RAs are under way */
	unsigned int initial_left; /* initial RAs still to send */
	uint64_t last_mcast_ra_ms; /* 0: none yet */
	struct gw_rl nd_rl, dhcp_rl;
	struct ndp_ra_cfg ra;
	struct dhcp6_server_config d6;
};

struct gw_link {
	uv_loop_t *loop;
	struct sw *sw;
	struct stack *st;
	struct dhcp_server *dhcp;
	struct netcfg cfg;
	uv_timer_t expire;
	int handles; /* open uv handles; freed when the last one closes */
	struct gw_link_counters cnt;
	struct gw_link6 v6;
	uint8_t scratch[1600];
};

/*
 * gw_link6_start() - set up the IPv6 half when cfg.ipv6 (nothing
 * otherwise): the RA and DHCPv6 contents and the RA timer.
 */
void gw_link6_start(struct gw_link *l);
/* gw_link6_stop() - close the RA timer (counted in l->handles). */
void gw_link6_stop(struct gw_link *l, uv_close_cb cb);
/*
 * gw_link6_input() - true when an IPv6 frame from the guest was the
 * gateway link's to answer or drop (consumed); false: the stack's.
 */
bool gw_link6_input(struct gw_link *l, const uint8_t *frame, size_t len);

#endif
