/*
 * gw_link.h - the gateway's link layer, between the switch and the stack
 * backend: it answers ARP requests for the gateway's virtual addresses and
 * serves DHCP from pure code (dhcp/), tells the backend about leases, and
 * hands every other frame for the gateway to the backend (net/stack.h).
 * With IPv6 (netcfg.ipv6) it also answers neighbour solicitations for the
 * gateway's IPv6 addresses, sends router advertisements (on solicitation
 * and periodically) and answers DHCPv6 (gw_link6.c).
 * The same for every backend, so DHCP, ARP, NDP and RAs behave alike on
 * all: on libslirp too, these frames never reach the backend.
 */
#ifndef QCW_GW_LINK_H
#define QCW_GW_LINK_H

#include <stdint.h>
#include <uv.h>

#include "net/netcfg.h"
#include "net/switch.h"

struct gw_link;
struct stack;
struct sw;
struct dhcp_server;

/*
 * struct gw_link_counters - @ndp_drops: router or neighbour solicitations
 * failing RFC 4861's checks; @ndp_limited: valid ones not answered over
 * the rate limit; @dhcp6_drops: malformed or discarded DHCPv6 messages
 * (bad UDP checksum included); @dhcp6_limited: over the rate limit.
 */
struct gw_link_counters {
	uint64_t arp_replies; /* answered for virtual IPs */
	uint64_t dhcp_in, dhcp_out, dhcp_drops;
	uint64_t ndp_na, ndp_ra, ndp_drops, ndp_limited;
	uint64_t dhcp6_in, dhcp6_out, dhcp6_drops, dhcp6_limited;
};

/*
 * gw_link_create() - take the switch's stack port for @st, with @dhcp
 * (NULL: no DHCP server) and @cfg (copied). NULL on error (logged).
 */
struct gw_link *gw_link_create(uv_loop_t *loop, struct sw *sw,
			       const struct netcfg *cfg, struct stack *st,
			       struct dhcp_server *dhcp);
/* gw_link_destroy() - give the port back; NULL ok; run the loop after. */
void gw_link_destroy(struct gw_link *l);

const struct gw_link_counters *gw_link_counters(const struct gw_link *l);

/*
 * gw_link_input() - a frame from the VM for the gateway (the switch calls
 * it; fuzzers and tests may too).
 */
void gw_link_input(void *link, const uint8_t *frame, size_t len,
		   const struct sw_ref *keep);

#endif
