/*
 * metrics.c - one table of counters for /stats and /metrics (metrics.h).
 *
 * Each row names a uint64_t in a snapshot struct by offset, its /stats key
 * (NULL: /metrics only) and its Prometheus family and labels (NULL: /stats
 * only). Rows sharing a family (e.g. qcw_net_drops_total, one sample per
 * reason) may sit anywhere in the tables: the exposition collects every
 * sample first and writes each family once, HELP and TYPE from its first
 * row. Runs per scrape, never on the data path.
 */
#include "api/metrics.h"
#include "util/fmt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"

enum met_type {
	MET_COUNTER,
	MET_GAUGE,
};

struct met_row {
	enum met_sec sec;
	enum met_type type;
	size_t off; /* of a uint64_t in the table's struct */
	const char *json; /* /stats key; NULL: not in /stats */
	const char *name; /* family; NULL: not in /metrics */
	const char *labels; /* this row's labels, "" for none */
	const char *help;
};

#define S(f) offsetof(struct met_snap, f)
#define DROPS "qcw_net_drops_total"
#define DROPS_HELP                                                        \
	"Frames, packets or messages dropped, by reason (per-port queue " \
	"drops "                                                          \
	"are in qcw_net_switch_port_drops_total)"

/* sections in /stats order; rows of a section in its key order */
static const struct met_row met_rows[] = {
	/* Switch (after "Ports") */
	{MET_SW, MET_COUNTER, S(sw.unknown_unicast), "UnknownUnicast", DROPS,
	 "reason=\"switch_unknown_unicast\"", DROPS_HELP},
	{MET_SW, MET_GAUGE, S(sw.cam_entries), "MacEntries",
	 "qcw_net_switch_macs", "", "MACs in the switch's table"},
	{MET_SW, MET_COUNTER, S(sw.cam_learned), "MacLearned",
	 "qcw_net_switch_macs_learned_total", "", "MACs learnt"},
	{MET_SW, MET_COUNTER, S(sw.cam_aged), "MacAged",
	 "qcw_net_switch_macs_aged_total", "", "MACs forgotten after -mac-age"},
	{MET_SW, MET_COUNTER, S(sw.cam_evicted), "MacEvicted",
	 "qcw_net_switch_macs_evicted_total", "",
	 "MACs replaced because the port's or the table's share was full"},
	{MET_SW, MET_COUNTER, S(sw.cam_refused), "MacRefused",
	 "qcw_net_switch_macs_refused_total", "",
	 "MACs not learnt: hash chain full"},
	/* Stack */
	{MET_STACK, MET_COUNTER, S(link.arp_replies), "ArpReplies",
	 "qcw_net_stack_arp_replies_total", "",
	 "ARP requests answered for the virtual addresses"},
	{MET_STACK, MET_COUNTER, S(link.dhcp_in), "DhcpIn",
	 "qcw_net_stack_dhcp_packets_total", "direction=\"from_guest\"",
	 "DHCP packets between the guest and the DHCP server"},
	{MET_STACK, MET_COUNTER, S(link.dhcp_out), "DhcpOut",
	 "qcw_net_stack_dhcp_packets_total", "direction=\"to_guest\"", NULL},
	{MET_STACK, MET_COUNTER, S(link.dhcp_drops), "DhcpDrops", DROPS,
	 "reason=\"stack_dhcp\"", DROPS_HELP},
	{MET_STACK, MET_COUNTER, S(link.ndp_na), "NdpNeighborAdverts",
	 "qcw_net_stack_ndp_sent_total", "type=\"neighbor_advert\"",
	 "IPv6 neighbour and router advertisements sent by the gateway"},
	{MET_STACK, MET_COUNTER, S(link.ndp_ra), "NdpRouterAdverts",
	 "qcw_net_stack_ndp_sent_total", "type=\"router_advert\"", NULL},
	{MET_STACK, MET_COUNTER, S(link.ndp_drops), "NdpDrops", DROPS,
	 "reason=\"stack_ndp\"", DROPS_HELP},
	{MET_STACK, MET_COUNTER, S(link.ndp_limited), "NdpRateLimited", DROPS,
	 "reason=\"stack_ndp_rate\"", DROPS_HELP},
	{MET_STACK, MET_COUNTER, S(link.dhcp6_in), "Dhcp6In",
	 "qcw_net_stack_dhcp6_packets_total", "direction=\"from_guest\"",
	 "DHCPv6 packets between the guest and the DHCPv6 server"},
	{MET_STACK, MET_COUNTER, S(link.dhcp6_out), "Dhcp6Out",
	 "qcw_net_stack_dhcp6_packets_total", "direction=\"to_guest\"", NULL},
	{MET_STACK, MET_COUNTER, S(link.dhcp6_drops), "Dhcp6Drops", DROPS,
	 "reason=\"stack_dhcp6\"", DROPS_HELP},
	{MET_STACK, MET_COUNTER, S(link.dhcp6_limited), "Dhcp6RateLimited",
	 DROPS, "reason=\"stack_dhcp6_rate\"", DROPS_HELP},
	{MET_STACK, MET_COUNTER, S(stack.to_stack), "ToStack",
	 "qcw_net_stack_frames_total", "path=\"lwip\"",
	 "Frames for the gateway, by the path that took them"},
	{MET_STACK, MET_COUNTER, S(stack.nat_in), "NatIn",
	 "qcw_net_stack_frames_total", "path=\"nat\"", NULL},
	{MET_STACK, MET_COUNTER, S(stack.nomem_drops), "NoMemDrops", DROPS,
	 "reason=\"stack_nomem\"", DROPS_HELP},
	{MET_STACK, MET_COUNTER, S(stack.short_drops), "ShortDrops", DROPS,
	 "reason=\"stack_short\"", DROPS_HELP},
	{MET_STACK, MET_COUNTER, S(stack.acks_coalesced), "AcksCoalesced",
	 "qcw_net_stack_acks_coalesced_total", "",
	 "Guest ACKs superseded within one batch"},
	{MET_STACK, MET_COUNTER, S(stack.ooseq_dumps), "OoseqDumps",
	 "qcw_net_stack_ooseq_dumps_total", "",
	 "Out-of-order queues dropped over the global budget"},
	{MET_STACK, MET_COUNTER, S(stack.syn_evicted), "SynEvicted",
	 "qcw_net_stack_syn_evicted_total", "",
	 "Half-open gateway connections dropped from a full backlog"},
	{MET_STACK, MET_COUNTER, S(stack.syn_cookies), "SynCookies",
	 "qcw_net_stack_syn_cookies_total", "",
	 "SYN-ACKs with a cookie sent for a gateway port's full backlog"},
	{MET_STACK, MET_COUNTER, S(stack.syn_cookie_conns), "SynCookieConns",
	 "qcw_net_stack_syn_cookie_conns_total", "",
	 "Gateway connections opened by a SYN cookie's ACK"},
	{MET_STACK, MET_COUNTER, S(stack.tw_evicted), "TimeWaitEvicted",
	 "qcw_net_stack_time_wait_evicted_total", "",
	 "TIME_WAIT connections freed early over the cap"},
	{MET_STACK, MET_COUNTER, S(stack.tw_reused), "TimeWaitReused",
	 "qcw_net_stack_time_wait_reused_total", "",
	 "TIME_WAIT connections freed for a new SYN of the same pair"},
	{MET_STACK, MET_GAUGE, S(stack.pcbs_active), "PcbsActive",
	 "qcw_net_stack_tcp_pcbs", "state=\"active\"",
	 "lwIP TCP connections (sampled once a second)"},
	{MET_STACK, MET_GAUGE, S(stack.pcbs_time_wait), "PcbsTimeWait",
	 "qcw_net_stack_tcp_pcbs", "state=\"time_wait\"", NULL},
	{MET_STACK, MET_GAUGE, S(stack.arp_pins), "ArpPinned",
	 "qcw_net_stack_arp_pinned", "", "DHCP leases pinned in the ARP table"},
	{MET_STACK, MET_COUNTER, S(stack.arp_pin_refused), "ArpPinRefused",
	 "qcw_net_stack_arp_pin_refused_total", "",
	 "Leases not pinned: the pin cap was reached"},
	{MET_STACK, MET_COUNTER, S(stack.arp_query_refused), "ArpQueryRefused",
	 "qcw_net_stack_arp_query_refused_total", "",
	 "Packets dropped: too many unresolved addresses queried at once"},
	{MET_STACK, MET_GAUGE, S(rx_held), "RxHeldBytes",
	 "qcw_net_stack_rx_held_bytes", "",
	 "Frame buffers from the VM held by lwIP and the splices"},
	{MET_STACK, MET_GAUGE, S(host_queued), "HostQueueBytes",
	 "qcw_net_stack_host_queue_bytes", "",
	 "Guest data queued for host sockets"},
	{MET_STACK, MET_COUNTER, S(host_queue_refused), "HostQueueRefused",
	 "qcw_net_stack_host_queue_refused_total", "",
	 "Guest data refused over -host-queue-mib"},
	/* NAT (after "TCP", "UDP", "ICMP") */
	{MET_NAT, MET_COUNTER, S(nat.limit_hits), "LimitHits",
	 "qcw_net_nat_limit_hits_total", "",
	 "SYNs refused because all TCP flows were in use"},
	{MET_NAT, MET_COUNTER, S(nat.blocked_link_local), "BlockedLinkLocal",
	 "qcw_net_nat_blocked_total", "destination=\"link_local\"",
	 "Guest packets to a blocked destination, refused or dropped"},
	{MET_NAT, MET_COUNTER, S(nat.blocked_loopback), "BlockedLoopback",
	 "qcw_net_nat_blocked_total", "destination=\"loopback\"", NULL},
	{MET_NAT, MET_COUNTER, S(nat.bad_source), "BadSource", DROPS,
	 "reason=\"nat_bad_source\"", DROPS_HELP},
	{MET_NAT, MET_COUNTER, S(nat.half_open_evicted), "HalfOpenEvicted",
	 "qcw_net_nat_flows_evicted_total", "proto=\"tcp\"",
	 "NAT flows closed for a new one (TCP: oldest half-open reset)"},
	{MET_NAT, MET_COUNTER, S(nat.vm_share_refused), "VMShareRefused",
	 "qcw_net_nat_vm_share_refused_total", "",
	 "New flows refused because their VM held its share of a table "
	 "shared by several VMs (-keep-serving)"},
	{MET_NAT, MET_COUNTER, S(nat.vm_share_evicted), "VMShareEvicted",
	 "qcw_net_nat_vm_share_evicted_total", "",
	 "Flows closed for another VM's new one: their VM held more than "
	 "its share"},
	{MET_NAT, MET_COUNTER, S(nat.udp_evicted), "UDPEvicted",
	 "qcw_net_nat_flows_evicted_total", "proto=\"udp\"", NULL},
	{MET_NAT, MET_COUNTER, S(nat.icmp_evicted), "ICMPEvicted",
	 "qcw_net_nat_flows_evicted_total", "proto=\"icmp\"", NULL},
	/* NAT.Limits */
	{MET_NAT_LIMITS, MET_GAUGE, S(lim.nofile), "FdLimit",
	 "qcw_net_nat_fd_limit", "", "The fd limit the NAT's bounds come from"},
	{MET_NAT_LIMITS, MET_GAUGE, S(lim.tcp), "TCP",
	 "qcw_net_nat_flows_limit", "proto=\"tcp\"",
	 "The NAT's flow bounds in force"},
	{MET_NAT_LIMITS, MET_GAUGE, S(lim.half_open), "HalfOpen",
	 "qcw_net_nat_flows_limit", "proto=\"tcp_half_open\"", NULL},
	{MET_NAT_LIMITS, MET_GAUGE, S(lim.udp), "UDP",
	 "qcw_net_nat_flows_limit", "proto=\"udp\"", NULL},
	{MET_NAT_LIMITS, MET_GAUGE, S(lim.icmp), "ICMP",
	 "qcw_net_nat_flows_limit", "proto=\"icmp\"", NULL},
	{MET_NAT_LIMITS, MET_GAUGE, S(lim.budget), "Budget",
	 "qcw_net_nat_flows_budget", "",
	 "Host fds the NAT's flows may hold in all"},
	{MET_NAT_LIMITS, MET_GAUGE, S(lim.tcp_min), "TCPMin",
	 "qcw_net_nat_flows_min", "proto=\"tcp\"",
	 "Flows a protocol may always have however full the budget (lwIP)"},
	{MET_NAT_LIMITS, MET_GAUGE, S(lim.udp_min), "UDPMin",
	 "qcw_net_nat_flows_min", "proto=\"udp\"", NULL},
	{MET_NAT_LIMITS, MET_GAUGE, S(lim.icmp_min), "ICMPMin",
	 "qcw_net_nat_flows_min", "proto=\"icmp\"", NULL},
/* DHCP */
#define DHCP_MSG(f, j)                                                    \
	{                                                                 \
		MET_DHCP, MET_COUNTER, S(dhcp.f), j,                      \
			"qcw_net_dhcp_messages_total", "type=\"" #f "\"", \
			"DHCP messages received and sent, by type"        \
	}
	DHCP_MSG(discover, "Discover"),
	DHCP_MSG(offer, "Offer"),
	DHCP_MSG(request, "Request"),
	DHCP_MSG(ack, "Ack"),
	DHCP_MSG(nak, "Nak"),
	DHCP_MSG(release, "Release"),
	DHCP_MSG(inform, "Inform"),
	DHCP_MSG(decline, "Decline"),
#undef DHCP_MSG
	{MET_DHCP, MET_COUNTER, S(dhcp.malformed), "Malformed", DROPS,
	 "reason=\"dhcp_malformed\"", DROPS_HELP},
	{MET_DHCP, MET_COUNTER, S(dhcp.ignored), "Ignored",
	 "qcw_net_dhcp_ignored_total", "",
	 "Well-formed DHCP messages given no reply"},
	{MET_DHCP, MET_COUNTER, S(dhcp.pool_exhausted), "PoolExhausted",
	 "qcw_net_dhcp_pool_exhausted_total", "",
	 "DISCOVERs with no address left to offer"},
	{MET_DHCP, MET_COUNTER, S(dhcp.reclaimed), "Reclaimed",
	 "qcw_net_dhcp_leases_reclaimed_total", "",
	 "Quiet leases given to a new client"},
	{MET_DHCP, MET_GAUGE, S(leases), NULL, "qcw_net_dhcp_leases", "",
	 "Live DHCP leases (static ones included)"},
	/* DNS */
	{MET_DNS, MET_COUNTER, S(dns.queries), "Queries",
	 "qcw_net_dns_queries_total", "", "DNS messages from the guest"},
	{MET_DNS, MET_COUNTER, S(dns.local_answers), "LocalAnswers",
	 "qcw_net_dns_local_answers_total", "",
	 "Queries answered from the local zones"},
	{MET_DNS, MET_COUNTER, S(dns.forwarded), "Forwarded",
	 "qcw_net_dns_forwarded_total", "",
	 "Queries relayed to the host's resolvers"},
	{MET_DNS, MET_COUNTER, S(dns.servfail), "ServFail",
	 "qcw_net_dns_failed_total", "rcode=\"servfail\"",
	 "Error replies: SERVFAIL (upstream failed or timed out, too many "
	 "pending), FORMERR (also NOTIMP, BADVERS)"},
	{MET_DNS, MET_COUNTER, S(dns.formerr), "FormErr",
	 "qcw_net_dns_failed_total", "rcode=\"formerr\"", NULL},
	{MET_DNS, MET_COUNTER, S(dns.dropped), "Dropped", DROPS,
	 "reason=\"dns_not_a_query\"", DROPS_HELP},
	{MET_DNS, MET_COUNTER, S(dns.tcp_idle_closed), "TcpIdleClosed",
	 "qcw_net_dns_tcp_idle_closed_total", "",
	 "DNS-over-TCP connections closed after the idle timeout"},
	{MET_DNS, MET_COUNTER, S(dns.tcp_paused), "TcpPaused",
	 "qcw_net_dns_tcp_paused_total", "",
	 "Times a DNS-over-TCP connection stopped reading: answers unread"},
	/* API */
	{MET_API, MET_COUNTER, S(http.host_refused), "HostConnsRefused",
	 "qcw_net_api_connections_refused_total", "endpoint=\"host\"",
	 "API connections refused: the endpoint's budget was full"},
	{MET_API, MET_COUNTER, S(http.guest_refused), "GuestConnsRefused",
	 "qcw_net_api_connections_refused_total", "endpoint=\"guest\"", NULL},
	{MET_API, MET_COUNTER, S(http.host_timeouts), "HostTimeouts",
	 "qcw_net_api_timeouts_total", "endpoint=\"host\"",
	 "API requests not complete within the timeout"},
	{MET_API, MET_COUNTER, S(http.guest_timeouts), "GuestTimeouts",
	 "qcw_net_api_timeouts_total", "endpoint=\"guest\"", NULL},
	{MET_API, MET_COUNTER, S(guest_requests_refused),
	 "GuestRequestsRefused", "qcw_net_api_guest_requests_refused_total", "",
	 "In-VM expose/unexpose requests refused (403)"},
	/* Forwarder */
	{MET_FWD, MET_GAUGE, S(fwd.rules), "Rules", "qcw_net_forwarder_rules",
	 "", "Port forwarding rules"},
	{MET_FWD, MET_GAUGE, S(fwd.conns_open), "ConnsOpen",
	 "qcw_net_forwarder_connections_open", "",
	 "Forwarded connections open"},
	{MET_FWD, MET_COUNTER, S(fwd.conns_total), "ConnsTotal",
	 "qcw_net_forwarder_connections_total", "",
	 "Forwarded connections accepted"},
	{MET_FWD, MET_COUNTER, S(fwd.conns_refused), "ConnsRefused",
	 "qcw_net_forwarder_connections_refused_total", "",
	 "Forwarded connections refused"},
	{MET_FWD, MET_COUNTER, S(stack.gw_refused), "GatewayRefused",
	 "qcw_net_forwarder_gateway_refused_total", "",
	 "Connections to gateway ports reset past their cap"},
	{MET_FWD, MET_COUNTER, S(stack.gw_vm_evicted), "GatewayVMEvicted",
	 "qcw_net_forwarder_gateway_vm_evicted_total", "",
	 "Gateway connections of the VM holding the most reset for another "
	 "VM's"},
	{MET_FWD, MET_COUNTER, S(fwd.bytes_in), "BytesIn",
	 "qcw_net_forwarder_bytes_total", "direction=\"to_guest\"",
	 "Bytes carried by forwards"},
	{MET_FWD, MET_COUNTER, S(fwd.bytes_out), "BytesOut",
	 "qcw_net_forwarder_bytes_total", "direction=\"to_host\"", NULL},
	{MET_FWD, MET_GAUGE, S(fwd.guest_rules), "GuestRules",
	 "qcw_net_forwarder_guest_rules", "",
	 "Port forwarding rules made through the in-VM API"},
	{MET_FWD, MET_COUNTER, S(fwd.guest_refused), "GuestRulesRefused",
	 "qcw_net_forwarder_guest_rules_refused_total", "",
	 "Exposes from the VM refused at its cap"},
	{MET_FWD, MET_GAUGE, S(fwd.udp_flows), "UDPFlowsOpen",
	 "qcw_net_forwarder_udp_flows_open", "",
	 "UDP forward flows (client address and port) open"},
	{MET_FWD, MET_COUNTER, S(fwd.udp_flows_total), "UDPFlowsTotal",
	 "qcw_net_forwarder_udp_flows_total", "", "UDP forward flows made"},
	{MET_FWD, MET_COUNTER, S(fwd.udp_evicted), "UDPEvicted",
	 "qcw_net_forwarder_udp_evicted_total", "",
	 "UDP forward flows closed at the bound for a new client"},
	{MET_FWD, MET_COUNTER, S(fwd.udp_dropped), "UDPDropped", DROPS,
	 "reason=\"forwarder_udp\"", DROPS_HELP},
	/* SSH tunnels (in /stats' Forwarder object) */
	{MET_FWD, MET_GAUGE, S(fwd.tun_up), "TunnelSessionsUp",
	 "qcw_net_ssh_tunnel_sessions_up", "", "SSH tunnel sessions up"},
	{MET_FWD, MET_COUNTER, S(fwd.tun_sessions), "TunnelSessions",
	 "qcw_net_ssh_tunnel_sessions_total", "",
	 "SSH tunnel sessions established"},
	{MET_FWD, MET_COUNTER, S(fwd.tun_lost), "TunnelSessionsLost",
	 "qcw_net_ssh_tunnel_sessions_lost_total", "",
	 "Established SSH tunnel sessions lost (EOF, error, hung)"},
	{MET_FWD, MET_COUNTER, S(fwd.tun_attempts_failed), "TunnelRetries",
	 "qcw_net_ssh_tunnel_attempts_failed_total", "",
	 "SSH session attempts that failed (each is retried until the "
	 "budget is spent)"},
	{MET_FWD, MET_COUNTER, S(fwd.tun_gave_up), "TunnelGaveUp",
	 "qcw_net_ssh_tunnel_gave_up_total", "",
	 "SSH connection cycles that spent all their attempts"},
	{MET_FWD, MET_COUNTER, S(fwd.tun_open_retries), "TunnelOpenRetries",
	 "qcw_net_ssh_tunnel_channel_retries_total", "",
	 "SSH channel opens refused by the guest and retried"},
	/* process (Prometheus' standard names) */
	{MET_PROC, MET_GAUGE, S(rss_bytes), NULL,
	 "process_resident_memory_bytes", "", "Resident memory size in bytes."},
	{MET_PROC, MET_GAUGE, S(open_fds), NULL, "process_open_fds", "",
	 "Number of open file descriptors."},
};
#undef S

#define P(f) offsetof(struct sw_port_counters, f)
/* a port's counters; samples also get port="<id>",kind="<transport>" */
static const struct met_row met_port_rows[] = {
	{MET_SW, MET_COUNTER, P(rx_frames), "RxFrames",
	 "qcw_net_switch_port_frames_total", "direction=\"from_guest\"",
	 "Frames through a switch port"},
	{MET_SW, MET_COUNTER, P(rx_bytes), "RxBytes",
	 "qcw_net_switch_port_bytes_total", "direction=\"from_guest\"",
	 "Bytes through a switch port"},
	{MET_SW, MET_COUNTER, P(rx_drops), "RxDrops",
	 "qcw_net_switch_port_drops_total", "direction=\"from_guest\"",
	 "Frames dropped at a switch port (from the guest: unknown unicast, "
	 "bad frames; to the guest: queue full)"},
	{MET_SW, MET_COUNTER, P(tx_frames), "TxFrames",
	 "qcw_net_switch_port_frames_total", "direction=\"to_guest\"", NULL},
	{MET_SW, MET_COUNTER, P(tx_bytes), "TxBytes",
	 "qcw_net_switch_port_bytes_total", "direction=\"to_guest\"", NULL},
	{MET_SW, MET_COUNTER, P(tx_drops), "TxDrops",
	 "qcw_net_switch_port_drops_total", "direction=\"to_guest\"", NULL},
};
#undef P

#define N(f) offsetof(struct nat_proto_counters, f)
/* one protocol's NAT counters; samples also get proto="tcp|udp|icmp" */
static const struct met_row met_nat_rows[] = {
	{MET_NAT, MET_GAUGE, N(flows_open), "FlowsOpen",
	 "qcw_net_nat_flows_open", "", "NAT flows open"},
	{MET_NAT, MET_COUNTER, N(flows_total), "FlowsTotal",
	 "qcw_net_nat_flows_total", "", "NAT flows opened"},
	{MET_NAT, MET_COUNTER, N(bytes_to_host), "BytesToHost",
	 "qcw_net_nat_bytes_total", "direction=\"to_host\"",
	 "Payload bytes carried by the NAT"},
	{MET_NAT, MET_COUNTER, N(bytes_to_guest), "BytesToGuest",
	 "qcw_net_nat_bytes_total", "direction=\"to_guest\"", NULL},
	{MET_NAT, MET_COUNTER, N(refused), "Refused",
	 "qcw_net_nat_refused_total", "",
	 "NAT flows refused (RST or ICMP unreachable to the guest)"},
	{MET_NAT, MET_COUNTER, N(dropped), "Dropped", DROPS, "reason=\"nat\"",
	 DROPS_HELP},
};
#undef N

#define NROWS(t) (sizeof(t) / sizeof((t)[0]))

static uint64_t met_val(const void *base, const struct met_row *r)
{
	uint64_t v;

	memcpy(&v, (const char *)base + r->off, sizeof(v));
	return v;
}

static void met_json_rows(json_t *o, const struct met_row *rows, size_t n,
			  const void *base, int sec)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rows[i].json &&
		    (sec < 0 || rows[i].sec == (enum met_sec)sec))
			json_object_set_new(o, rows[i].json,
					    json_integer((json_int_t)met_val(
						    base, &rows[i])));
}

/**
 * met_json_section() - the /stats keys of one section.
 * @o: the section's object
 * @m: the snapshot
 * @sec: the section
 */
void met_json_section(json_t *o, const struct met_snap *m, enum met_sec sec)
{
	met_json_rows(o, met_rows, NROWS(met_rows), m, (int)sec);
}

/**
 * met_json_port() - a switch port's /stats counters.
 * @o: the port's object
 * @c: its counters
 */
void met_json_port(json_t *o, const struct sw_port_counters *c)
{
	met_json_rows(o, met_port_rows, NROWS(met_port_rows), c, -1);
}

/**
 * met_json_nat_proto() - one protocol's NAT counters for /stats.
 * @o: the protocol's object
 * @c: its counters
 */
void met_json_nat_proto(json_t *o, const struct nat_proto_counters *c)
{
	met_json_rows(o, met_nat_rows, NROWS(met_nat_rows), c, -1);
}

/* ---- the snapshot ---- */

static void met_count_lease(void *arg, uint32_t ip, const uint8_t mac[6])
{
	(void)ip;
	(void)mac;
	(*(uint64_t *)arg)++;
}

static void met_port_cb(void *arg, const struct sw_port *p)
{
	struct met_snap *m = arg;
	struct met_port *mp;

	if (m->nports >= SW_MAX_PORTS)
		return;
	mp = &m->ports[m->nports++];
	mp->id = p->id;
	mp->kind = p->kind ? p->kind : "";
	mp->congested = p->congested;
	mp->cnt = p->cnt;
}

/**
 * met_proc_read() - this process' resident memory and open fds, from
 * /proc/self/statm and /proc/self/fd (read-only opens and getdents64:
 * allowed by the sandbox).
 * @rss_bytes: resident bytes
 * @open_fds: open descriptors (the one listing them not counted)
 *
 * Return: 0, or -errno (then the values are 0).
 */
int met_proc_read(uint64_t *rss_bytes, uint64_t *open_fds)
{
	unsigned long long size, rss;
	struct dirent *e;
	char buf[128];
	ssize_t n;
	DIR *d;
	int fd;

	*rss_bytes = 0;
	*open_fds = 0;
	fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	if (sscanf(buf, "%llu %llu", &size, &rss) != 2)
		return -EIO;
	*rss_bytes = (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE);
	d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			(*open_fds)++;
	if (*open_fds)
		(*open_fds)--; /* opendir's own */
	closedir(d);
	return 0;
}

/**
 * met_snap_fill() - read every counter now.
 * @m: the snapshot to fill
 * @x: the daemon's parts (any may be NULL)
 * @http: the API server's counters, or NULL
 * @guest_requests_refused: in-VM requests the API refused
 * @now_ms: the loop's time, for lease expiry
 */
void met_snap_fill(struct met_snap *m, const struct api_ctx *x,
		   const struct http_counters *http,
		   uint64_t guest_requests_refused, uint64_t now_ms)
{
	memset(m, 0, sizeof(*m));
	if (x->sw) {
		m->have[MET_SW] = true;
		m->sw = *sw_counters(x->sw);
		sw_foreach_port(x->sw, met_port_cb, m);
	}
	if (x->link)
		m->link = *gw_link_counters(x->link);
	if (x->stack) {
		struct stack_stats ss;

		stack_get_stats(x->stack, &ss);
		m->have[MET_STACK] = true;
		m->stack = ss.stack;
		m->rx_held = ss.rx_held;
		m->host_queued = ss.host_queued;
		m->host_queue_refused = ss.host_queue_refused;
		m->have[MET_NAT] = m->have[MET_NAT_LIMITS] = true;
		m->nat = ss.nat;
		m->lim.nofile = ss.limits.nofile;
		m->lim.tcp = ss.limits.tcp;
		m->lim.half_open = ss.limits.half_open;
		m->lim.udp = ss.limits.udp;
		m->lim.icmp = ss.limits.icmp;
		m->lim.budget = ss.limits.budget;
		m->lim.tcp_min = ss.limits.tcp_min;
		m->lim.udp_min = ss.limits.udp_min;
		m->lim.icmp_min = ss.limits.icmp_min;
	}
	if (x->dhcp) {
		m->have[MET_DHCP] = true;
		m->dhcp = *dhcp_server_counters(x->dhcp);
		dhcp_server_foreach_lease(x->dhcp, now_ms, met_count_lease,
					  &m->leases);
	}
	if (x->dns) {
		m->have[MET_DNS] = true;
		m->dns = *dns_server_counters(x->dns);
		m->dns_lat = *dns_server_latency(x->dns);
	}
	if (http) {
		m->have[MET_API] = true;
		m->http = *http;
		m->guest_requests_refused = guest_requests_refused;
	}
	if (x->fwd) {
		m->have[MET_FWD] = true;
		m->fwd = *fwd_counters(x->fwd);
	}
	m->have[MET_PROC] = met_proc_read(&m->rss_bytes, &m->open_fds) == 0;
}

/* ---- the text exposition ---- */

struct met_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void met_printf(struct met_buf *b, const char *fmt, ...)
	QCW_PRINTF(2, 3);

static void met_printf(struct met_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 16384;
		char *q;

		while (cap - b->len <= (size_t)n)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q) {
			b->oom = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
}

/* one sample: a row of a table and where its value and extra labels are */
struct met_sample {
	const struct met_row *row;
	uint64_t v;
	char labels[96]; /* the instance's, e.g. port="1",kind="qemu" */
};

/* met_label_value() - @s as a label value: \, " and newlines escaped. */
static void met_label_value(char *out, size_t len, const char *s)
{
	size_t k = 0;

	for (; *s && k + 3 < len; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n') {
			out[k++] = '\\';
			out[k++] = *s == '\n' ? 'n' : *s;
		} else {
			out[k++] = *s;
		}
	}
	out[k] = 0;
}

static size_t met_add(struct met_sample *sm, size_t n,
		      const struct met_row *rows, size_t nrows,
		      const void *base, const bool *have, const char *labels)
{
	size_t i;

	for (i = 0; i < nrows; i++) {
		if (!rows[i].name || (have && !have[rows[i].sec]))
			continue;
		sm[n].row = &rows[i];
		sm[n].v = met_val(base, &rows[i]);
		snprintf(sm[n].labels, sizeof(sm[n].labels), "%s", labels);
		n++;
	}
	return n;
}

static void met_sample_line(struct met_buf *b, const struct met_sample *s)
{
	const char *rl = s->row->labels;
	bool any = s->labels[0] || rl[0];

	met_printf(b, "%s%s%s%s%s%s %llu\n", s->row->name, any ? "{" : "",
		   s->labels, s->labels[0] && rl[0] ? "," : "", rl,
		   any ? "}" : "", (unsigned long long)s->v);
}

static void met_histogram(struct met_buf *b, const struct dns_latency *h)
{
	static const char name[] = "qcw_net_dns_upstream_duration_seconds";
	uint64_t cum = 0;
	unsigned int i;

	met_printf(b,
		   "# HELP %s Time from relaying a query upstream to the "
		   "answer or failure\n# TYPE %s histogram\n",
		   name, name);
	for (i = 0; i < DNS_LAT_BUCKETS; i++) {
		cum += h->bucket[i];
		met_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name,
			   dns_latency_bound_us[i] / 1e6,
			   (unsigned long long)cum);
	}
	met_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name,
		   (unsigned long long)h->count);
	met_printf(b, "%s_sum %.6f\n%s_count %llu\n", name, h->sum_us / 1e6,
		   name, (unsigned long long)h->count);
}

/**
 * met_text() - the Prometheus text exposition (format 0.0.4) of @m.
 * @m: the snapshot
 * @len: set to the text's length
 *
 * Return: the malloc'd text, or NULL when out of memory.
 */
char *met_text(const struct met_snap *m, size_t *len)
{
	static const char *const protos[] = {"tcp", "udp", "icmp"};
	const struct nat_proto_counters *pc[] = {&m->nat.tcp, &m->nat.udp,
						 &m->nat.icmp};
	size_t max = NROWS(met_rows) + m->nports * NROWS(met_port_rows) +
		     3 * NROWS(met_nat_rows);
	struct met_sample *sm = calloc(max, sizeof(*sm));
	struct met_buf b = {0};
	char lab[96], kind[40];
	bool *done;
	size_t n = 0, i, j;

	done = calloc(max, sizeof(*done));
	if (!sm || !done)
		goto oom;
	n = met_add(sm, n, met_rows, NROWS(met_rows), m, m->have, "");
	for (i = 0; i < m->nports; i++) {
		met_label_value(kind, sizeof(kind), m->ports[i].kind);
		snprintf(lab, sizeof(lab), "port=\"%d\",kind=\"%s\"",
			 m->ports[i].id, kind);
		n = met_add(sm, n, met_port_rows, NROWS(met_port_rows),
			    &m->ports[i].cnt, NULL, lab);
	}
	for (i = 0; m->have[MET_NAT] && i < 3; i++) {
		snprintf(lab, sizeof(lab), "proto=\"%s\"", protos[i]);
		n = met_add(sm, n, met_nat_rows, NROWS(met_nat_rows), pc[i],
			    NULL, lab);
	}
	/* each family once, its samples together, in first-seen order */
	for (i = 0; i < n; i++) {
		const struct met_row *r = sm[i].row;

		if (done[i])
			continue;
		met_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", r->name,
			   r->help ? r->help : "", r->name,
			   r->type == MET_COUNTER ? "counter" : "gauge");
		for (j = i; j < n; j++) {
			if (done[j] || strcmp(sm[j].row->name, r->name))
				continue;
			met_sample_line(&b, &sm[j]);
			done[j] = true;
		}
	}
	if (m->have[MET_DNS])
		met_histogram(&b, &m->dns_lat);
	if (!b.p && !b.oom)
		b.p = calloc(1, 1);
	if (b.oom || !b.p)
		goto oom;
	free(sm);
	free(done);
	*len = b.len;
	return b.p;
oom:
	free(sm);
	free(done);
	free(b.p);
	return NULL;
}
