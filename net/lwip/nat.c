/*
 * nat.c - NAT dispatcher (see nat.h): validates the IPv4 header of a
 * packet lwIP's input hook passed on (IPv6: nat_ip6.c), reassembles
 * fragments, applies the source and destination policy, and hands the
 * packet to the TCP, UDP or ICMP handler. A sweep timer expires idle UDP and ICMP flows from the
 * LRU end. The tables' bounds come from the fd limit (nat_flow.h).
 */
#include "net/lwip/nat_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/icmp.h"
#include "lwip/icmp6.h"
#include "lwip/ip6.h"
#include "lwip/ip4_frag.h"
#include "lwip/prot/ip4.h"
#include "lwip/tcp.h"

#include "util/log.h"
#include "net/pkt.h"
#include "net/lwip/splice.h"

static void nat_sweep_cb(uv_timer_t *t)
{
	struct nat *nat = t->data;
	uint64_t now = uv_now(nat->loop);

	nat_dgram_sweep(nat, IP_PROTO_UDP, now);
	nat_icmp_sweep(nat, now);
}

struct nat *nat_create(struct lwst *st)
{
	struct nat *nat = calloc(1, sizeof(*nat));
	const struct netcfg *cfg = lwst_netcfg(st);

	if (!nat) {
		log_err("nat: out of memory");
		return NULL;
	}
	nat->st = st;
	nat->loop = lwst_loop(st);
	nat->netif = lwst_netif(st);
	nat->cfg = cfg;
	nat_limits_get(&nat->lim, nat->cfg->max_flows, NAT_PER_PROTOCOL);
	if (nat_table_init(&nat->tcp, nat_buckets(nat->lim.tcp), nat->lim.tcp,
			   nat_tcp_a6_off(), NAT_NO_LRU) ||
	    nat_table_init(&nat->udp, nat_buckets(nat->lim.udp), nat->lim.udp,
			   NAT_KEY_A6_OFF(struct nat_dgram, key),
			   NAT_FLOW_OFF(struct nat_dgram, lru)) ||
	    nat_table_init(&nat->icmp, nat_buckets(nat->lim.icmp),
			   nat->lim.icmp, NAT_KEY_A6_OFF(struct nat_dgram, key),
			   NAT_FLOW_OFF(struct nat_dgram, lru)) ||
	    nat_tcp_init(nat)) {
		log_err("nat: out of memory");
		nat_table_fini(&nat->tcp);
		nat_table_fini(&nat->udp);
		nat_table_fini(&nat->icmp);
		free(nat);
		return NULL;
	}
	nat_pool_init(&nat->pool, nat->lim.budget);
	nat_table_pool(&nat->tcp, &nat->pool, nat->lim.tcp_min);
	nat_table_pool(&nat->udp, &nat->pool, nat->lim.udp_min);
	nat_table_pool(&nat->icmp, &nat->pool, nat->lim.icmp_min);
	uv_timer_init(nat->loop, &nat->sweep);
	nat->sweep.data = nat;
	uv_timer_start(&nat->sweep, nat_sweep_cb, 5000, 5000);
	uv_unref((uv_handle_t *)&nat->sweep);
	return nat;
}

static void nat_free_cb(uv_handle_t *h)
{
	struct nat *nat = h->data;

	nat_table_fini(&nat->tcp);
	nat_table_fini(&nat->udp);
	nat_table_fini(&nat->icmp);
	free(nat->listeners);
	free(nat);
}

void nat_destroy(struct nat *nat)
{
	if (!nat)
		return;
	nat->closing = true;
	nat_tcp_fini(nat);
	nat_dgram_fini(nat, IP_PROTO_UDP);
	nat_icmp_fini(nat);
	uv_close((uv_handle_t *)&nat->sweep, nat_free_cb);
}

const struct nat_counters *nat_counters(const struct nat *nat)
{
	return &nat->cnt;
}

const struct nat_limits *nat_get_limits(const struct nat *nat)
{
	return &nat->lim;
}

void nat_unreach(struct nat *nat, struct nat_pkt *pk)
{
	(void)nat;
	if (pk->v6) {
		/* lwIP answers from its current-packet globals */
		nat_set_ip_data(pk);
		icmp6_dest_unreach(pk->p, ICMP6_DUR_PROHIBITED);
		nat_clear_ip_data();
		return;
	}
	/* RFC 1812 code 13: communication administratively prohibited */
	icmp_dest_unreach(pk->p, (enum icmp_dur_type)13);
}

void nat_set_ip_data(struct nat_pkt *pk)
{
	ip_data.current_netif = pk->inp;
	ip_data.current_input_netif = pk->inp;
	ip_data.current_ip_header_tot_len = pk->hlen;
	if (pk->v6) {
		ip_data.current_ip4_header = NULL;
		ip_data.current_ip6_header = (struct ip6_hdr *)pk->p->payload;
	} else {
		ip_data.current_ip6_header = NULL;
		ip_data.current_ip4_header = (struct ip_hdr *)pk->p->payload;
	}
	nat_pkt_ip(pk, false, &ip_data.current_iphdr_dest);
	nat_pkt_ip(pk, true, &ip_data.current_iphdr_src);
}

void nat_clear_ip_data(void)
{
	ip_data.current_netif = NULL;
	ip_data.current_input_netif = NULL;
	ip_data.current_ip4_header = NULL;
	ip_data.current_ip6_header = NULL;
	ip_data.current_ip_header_tot_len = 0;
	ip_addr_set_zero_ip4(&ip_data.current_iphdr_src);
	ip_addr_set_zero_ip4(&ip_data.current_iphdr_dest);
}

void nat_output(struct nat *nat, struct pbuf *p, const struct nat_key *k)
{
	ip_addr_t s, d;

	nat_key_ip(k, false, &s);
	nat_key_ip(k, true, &d);
	if (k->v6)
		ip6_output_if_src(p, ip_2_ip6(&s), ip_2_ip6(&d), IP_DEFAULT_TTL,
				  0, k->proto, nat->netif);
	else
		ip4_output_if_src(p, ip_2_ip4(&s), ip_2_ip4(&d), IP_DEFAULT_TTL,
				  0, k->proto, nat->netif);
	pbuf_free(p);
}

int nat_ip4_input(struct nat *nat, struct pbuf *p, struct netif *inp)
{
	struct ip_hdr *iph = (struct ip_hdr *)p->payload;
	struct nat_pkt pk;
	uint16_t tot;

	pk.hlen = (uint16_t)IPH_HL_BYTES(iph);
	tot = lwip_ntohs(IPH_LEN(iph));
	if (pk.hlen < IP_HLEN || pk.hlen > p->len || tot < pk.hlen ||
	    tot > p->tot_len) {
		log_rl("nat: malformed IPv4 header from the guest, dropped");
		pbuf_free(p);
		return 1;
	}
	if (tot < p->tot_len)
		pbuf_realloc(p, tot);
	if (IPH_OFFSET(iph) & PP_HTONS(IP_OFFMASK | IP_MF)) {
		p = ip4_reass(p);
		if (!p)
			return 1;
		iph = (struct ip_hdr *)p->payload;
		pk.hlen = (uint16_t)IPH_HL_BYTES(iph);
	}
	pk.p = p;
	pk.inp = inp;
	pk.src = lwip_ntohl(iph->src.addr);
	pk.dst = lwip_ntohl(iph->dest.addr);
	pk.proto = IPH_PROTO(iph);
	pk.v6 = 0;
	if (!netcfg_guest_src_ok(nat->cfg, pk.src)) {
		char a[16];

		/* spoofed: it would only fill the tables */
		nat->cnt.bad_source++;
		log_rl("nat: packet from %s, not a guest address, dropped",
		       netcfg_ip_str(pk.src, a));
		pbuf_free(p);
		return 1;
	}
	nat_dispatch(nat, &pk, netcfg_nat_check(nat->cfg, pk.dst));
	return 1;
}

void nat_dispatch(struct nat *nat, struct nat_pkt *pk,
		  enum netcfg_nat_verdict verdict)
{
	if (verdict != NETCFG_NAT_ALLOW) {
		char a[INET6_ADDRSTRLEN];
		struct nat_key k;

		/* NETCFG_NAT_LOCAL never comes here: the input hook keeps it */
		if (verdict == NETCFG_NAT_LINK_LOCAL)
			nat->cnt.blocked_link_local++;
		else if (verdict == NETCFG_NAT_LOOPBACK)
			nat->cnt.blocked_loopback++;
		nat_key_from_pkt(&k, pk, pk->proto, 0, 0);
		log_rl("nat: the guest may not reach %s, refused",
		       nat_key_str(&k, false, a));
		if (pk->proto == IP_PROTO_TCP)
			nat_tcp_refuse(nat, pk);
		else
			pbuf_free(pk->p);
		return;
	}
	switch (pk->proto) {
	case IP_PROTO_TCP:
		nat_tcp_input(nat, pk);
		break;
	case IP_PROTO_UDP:
		nat_udp_input(nat, pk);
		break;
	case IP_PROTO_ICMP:
	case IP6_NEXTH_ICMP6:
		/* not ICMPv4 in IPv6 or the reverse */
		if ((pk->proto == IP6_NEXTH_ICMP6) == (pk->v6 != 0))
			nat_icmp_input(nat, pk);
		else
			pbuf_free(pk->p);
		break;
	default:
		pbuf_free(pk->p);
		break;
	}
}
