/*
 * stack_lwip6.c - the lwIP backend's IPv6 link: the gateway's addresses
 * on lwIP's interface, the IPv6 input hook, and how lwIP's IPv6 packets
 * find the guest's MAC.
 *
 * Addresses: the gateway's link-local address (gw_ll6) and its address
 * in the /64 (gateway6), static, valid at once (no DAD: the gateway link
 * answers neighbour solicitations for them, gateway/). lwIP sends no
 * router solicitation, no MLD report, and takes no address of its own.
 *
 * Input: lwIP's ip6_input calls the hook for every IPv6 packet; packets
 * for the gateway's own addresses and for multicast groups stay with lwIP
 * (ICMPv6 echo, neighbour advertisements, the seam's listeners on
 * gateway6), any other destination goes to the NAT (nat_ip6.c), the host
 * alias's to the host's ::1. With -ipv6=false every IPv6 packet is
 * dropped here.
 *
 * Neighbours: lwIP would resolve the guest's address by neighbour
 * solicitation before its first packet to it, and again when its cache
 * entry goes stale, holding packets meanwhile. Instead the hook learns the
 * source MAC of the guest's own packets (a small table, the entry of the
 * last packet checked first, so the data path costs one compare); lwIP's
 * packets to a learned address go straight out, and only an address never
 * seen (a dial to a guest that has not spoken yet) is left to lwIP's
 * neighbour discovery. A flood of made-up sources recycles the table
 * round-robin; the next packet of the real guest teaches it again.
 */
#include "net/lwip/stack_lwip.h"

#include <errno.h>
#include <string.h>

#include "lwip/ethip6.h"
#include "lwip/ip6.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "netif/ethernet.h"

#include "net/lwip/nat.h"
#include "net/lwip/qcw_lwip_hooks.h"
#include "net/lwip/syncookie.h"
#include "net/pkt6.h"
#include "util/be.h"
#define LOG_SUBSYS LOG_SS_STACK
#include "util/log.h"

int lwst_ip_set(ip_addr_t *out, const struct inaddr *a)
{
	if (a->af == AF_INET) {
		ip_addr_set_ip4_u32_val(*out, lwip_htonl(a->u.v4));
		return 0;
	}
	if (a->af != AF_INET6)
		return -EAFNOSUPPORT;
	ip_addr_set_zero_ip6(out);
	memcpy(ip_2_ip6(out)->addr, a->u.v6, 16);
	return 0;
}

struct inaddr lwst_inaddr(const ip_addr_t *a)
{
	if (IP_IS_V6(a))
		return inaddr_v6((const uint8_t *)ip_2_ip6(a)->addr);
	return inaddr_v4(lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(a))));
}

void lwst6_netif_setup(struct lwst *st, struct lwst_nb6 *nb)
{
	const struct netcfg *cfg = lwst_netcfg(st);
	struct netif *netif = lwst_netif(st);
	ip6_addr_t a;

	memset(nb, 0, sizeof(*nb));
	if (!cfg->ipv6)
		return;
	netif->output_ip6 = lwst6_output;
	memset(&a, 0, sizeof(a));
	memcpy(a.addr, cfg->gw_ll6, 16);
	netif_ip6_addr_set(netif, 0, &a);
	netif_ip6_addr_set_state(netif, 0, IP6_ADDR_PREFERRED);
	memcpy(a.addr, cfg->gateway6, 16);
	netif_ip6_addr_set(netif, 1, &a);
	netif_ip6_addr_set_state(netif, 1, IP6_ADDR_PREFERRED);
}

/* lwst6_learn() - the guest's packet in @p came from the MAC before it. */
static void lwst6_learn(struct lwst_nb6 *nb, const struct pbuf *p)
{
	const uint8_t *ip = p->payload;
	const uint8_t *mac = ip - SIZEOF_ETH_HDR + 6; /* Ethernet source */
	struct lwst_nb6_entry *e = &nb->e[nb->hint];
	unsigned int i;

	if (ip[8] == 0xff || !memcmp(ip + 8, "\0\0\0\0\0\0\0\0\0\0\0\0", 12))
		return; /* multicast, unspecified or v4-mapped: no neighbour */
	if (!memcmp(e->ip, ip + 8, 16) && !memcmp(e->mac, mac, 6))
		return;
	for (i = 0; i < LWST_NB6_SIZE; i++) {
		e = &nb->e[i];
		if (e->used && !memcmp(e->ip, ip + 8, 16))
			break;
	}
	if (i == LWST_NB6_SIZE) {
		i = nb->next;
		nb->next = (nb->next + 1) % LWST_NB6_SIZE;
		e = &nb->e[i];
		memcpy(e->ip, ip + 8, 16);
		e->used = true;
	}
	memcpy(e->mac, mac, 6);
	nb->hint = i;
}

static const struct lwst_nb6_entry *lwst6_lookup(struct lwst_nb6 *nb,
						 const uint8_t ip[16])
{
	unsigned int i;

	if (nb->e[nb->hint].used && !memcmp(nb->e[nb->hint].ip, ip, 16))
		return &nb->e[nb->hint];
	for (i = 0; i < LWST_NB6_SIZE; i++) {
		if (nb->e[i].used && !memcmp(nb->e[i].ip, ip, 16)) {
			nb->hint = i;
			return &nb->e[i];
		}
	}
	return NULL;
}

const uint8_t *lwst6_mac_of(struct lwst *st, const uint8_t ip[16])
{
	const struct lwst_nb6_entry *e = lwst6_lookup(lwst_nb6_of(st), ip);

	return e ? e->mac : NULL;
}

err_t lwst6_output(struct netif *netif, struct pbuf *p, const ip6_addr_t *dst)
{
	struct lwst_nb6 *nb = lwst_nb6_of(netif->state);
	const struct lwst_nb6_entry *e;
	struct eth_addr to;

	if (ip6_addr_ismulticast(dst))
		return ethip6_output(netif, p, dst);
	e = lwst6_lookup(nb, (const uint8_t *)dst->addr);
	if (!e) {
		nb->nd_fallback++;
		return ethip6_output(netif, p, dst); /* lwIP's ND */
	}
	memcpy(to.addr, e->mac, 6);
	return ethernet_output(netif, p, (const struct eth_addr *)netif->hwaddr,
			       &to, ETHTYPE_IPV6);
}

/*
 * lwst6_ext_short() - the extension headers of @p are malformed as
 * pkt6_ext_walk() sees them: one runs past its data (or its first pbuf),
 * hop-by-hop options not first, more than PKT6_MAX_EXT. lwIP's ip6_input()
 * reads a header's length before it looks whether the header is there, so
 * such a packet for the gateway stops here; one the walk refuses for an
 * option lwIP answers itself (a parameter problem).
 */
static bool lwst6_ext_short(const struct pbuf *p)
{
	const uint8_t *ip = p->payload;
	size_t avail = IP6_HLEN + ((size_t)ip[4] << 8 | ip[5]);
	uint8_t next;
	size_t hlen;

	if (!pkt6_ext_is(ip[6]))
		return false;
	if (avail > p->len)
		avail = p->len;
	return pkt6_ext_walk(ip, avail, &next, &hlen) == -EINVAL;
}

int lwst6_input(struct lwst *st, struct nat *nat, struct pbuf *p,
		struct netif *inp)
{
	const struct netcfg *cfg = lwst_netcfg(st);
	const uint8_t *ip = p->payload;
	enum netcfg_nat_verdict v;

	if (!cfg->ipv6) {
		pbuf_free(p);
		return 1;
	}
	if (p->len < IP6_HLEN)
		return 0; /* lwIP drops it */
	lwst6_learn(lwst_nb6_of(st), p);
	v = netcfg_nat_check6(cfg, ip + 24);
	if (v == NETCFG_NAT_LOCAL && lwst6_ext_short(p)) {
		lwst_counters(st)->short_drops++;
		log_rl("lwip: IPv6 packet for the gateway with an extension "
		       "header past its end, dropped");
		pbuf_free(p);
		return 1;
	}
	if (v == NETCFG_NAT_LOCAL && ip[6] == IP6_NEXTH_TCP &&
	    p->len >= IP6_HLEN + 14) {
		const uint8_t *tcp = ip + IP6_HLEN;
		size_t len = p->len - IP6_HLEN;
		struct syncookie_tuple t;

		syncookie_tuple_set(&t, true, ip + 8, ip + 24, tcp);
		/* a SYN to a gateway port: free a TIME_WAIT pcb of its pair */
		if ((tcp[13] & 0x12) == 0x02)
			lwst_gw_tw_reuse(st, &t);
		/* a header cut short is lwIP's to drop */
		if (len < 20 || len < (size_t)(tcp[12] >> 4) * 4)
			return 0;
		if (lwst_gw_segment(st, &t, tcp, len, inp)) {
			pbuf_free(p);
			return 1;
		}
		return 0;
	}
	if (v == NETCFG_NAT_LOCAL)
		return 0;
	lwst_counters(st)->nat_in++;
	if (nat)
		return nat_ip6_input(nat, p, inp, v);
	pbuf_free(p);
	return 1;
}
