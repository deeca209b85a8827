/*
 * nat_priv.h - state shared by the NAT's protocol handlers.
 */
#ifndef QCW_NAT_PRIV_H
#define QCW_NAT_PRIV_H

#include <netinet/in.h>
#include <uv.h>

#include "lwip/ip.h"
#include "lwip/pbuf.h"

#include "net/lwip/nat.h"
#include "net/nat_flow.h"
#include "net/netcfg.h"
#include "net/lwip/stack_lwip.h"

#define NAT_ICMP_IDLE_MS 10000
#define NAT_HOST_BUF (65536)

struct nat_tcp_listener;
struct nat_tcp;
struct nat_tcp_hs;
struct nat_icmp_raw;

struct nat {
	struct lwst *st;
	uv_loop_t *loop;
	struct netif *netif;
	const struct netcfg *cfg;
	struct nat_table tcp, udp, icmp;
	struct nat_pool pool; /* the three share lim.budget */
	struct nat_limits lim;
	/* TCP flows whose guest handshake is not done, oldest first */
	struct nat_tcp_hs *ho_head, *ho_tail;
	unsigned int n_half_open;
	struct nat_tcp_listener **listeners;
	size_t n_listener_buckets;
	uv_timer_t sweep;
	struct nat_counters cnt;
	bool icmp_denied_logged;
	struct nat_icmp_raw *icmp_raw; /* raw ICMP fallback, or NULL */
	bool closing;
	uint8_t buf[NAT_HOST_BUF]; /* UDP/ICMP host reads land here */
};

/*
 * The IPv4 or IPv6 packet being dispatched (header still in front of the
 * payload; @hlen covers an IPv6 packet's extension headers too).
 */
struct nat_pkt {
	struct pbuf *p;
	struct netif *inp;
	uint32_t src, dst; /* IPv4, host order; IPv6: nat_key_fold6() */
	uint16_t hlen;
	uint8_t proto;
	uint8_t v6;
	uint8_t src6[16], dst6[16]; /* IPv6 only */
};

/*
 * A datagram flow (nat_dgram.c): UDP, or ICMP echo through a ping socket;
 * its key's proto (IP_PROTO_UDP, IP_PROTO_ICMP) says which.
 */
struct nat_dgram {
	struct nat_flow flow; /* first */
	struct nat_lru lru;
	/* the whole key (the table's IPv6 tail); ICMP: gport = echo id */
	struct nat_key key;
	struct nat *nat;
	uv_udp_t sock;
	bool closing;
};

/*
 * The table's a6_off (nat_flow.h) of flows of @type that keep their whole
 * key in @key beside their struct nat_flow flow.
 */
#define NAT_KEY_A6_OFF(type, key) \
	((ptrdiff_t)offsetof(type, key.gip6) - (ptrdiff_t)offsetof(type, flow))

/*
 * nat_dgram_get() - the flow of @k, touched; a new one (host socket
 * opened, the least recently used flow closed if the table is full) if
 * there is none. NULL when no host socket could be had.
 */
struct nat_dgram *nat_dgram_get(struct nat *nat, const struct nat_key *k);
/*
 * nat_dgram_send() - @n buffers as one datagram to the host through @d's
 * socket, to @to (NULL: the socket is connected); counted either way.
 */
void nat_dgram_send(struct nat_dgram *d, const uv_buf_t *b, unsigned int n,
		    const struct sockaddr *to);
void nat_dgram_close(struct nat_dgram *d);
/* nat_dgram_sweep() - close @proto's flows idle too long, LRU first. */
void nat_dgram_sweep(struct nat *nat, uint8_t proto, uint64_t now);
/* nat_dgram_fini() - close every flow of @proto. */
void nat_dgram_fini(struct nat *nat, uint8_t proto);

/*
 * What differs per protocol (nat_udp.c, nat_icmp.c). *_open(): open or
 * connect the new flow's socket, 0 or a negative errno (logged).
 * *_from_host(): the host sent @n bytes (in the NAT's buffer) on @d's
 * socket: the packet for the guest, transport header in front, or NULL
 * to drop it.
 */
int nat_udp_open(struct nat_dgram *d);
int nat_icmp_open(struct nat_dgram *d);
struct pbuf *nat_udp_from_host(struct nat_dgram *d, const uint8_t *buf,
			       size_t n, unsigned int flags);
struct pbuf *nat_icmp_from_host(struct nat_dgram *d, const uint8_t *buf,
				size_t n, unsigned int flags);
/*
 * nat_udp_refused() - @d's destination port refused (the host's ICMP port
 * unreachable, ECONNREFUSED on its socket): the guest is told so, an
 * ICMP (v6) port unreachable from the destination quoting the flow's
 * headers, as libslirp and passt tell it.
 */
void nat_udp_refused(struct nat_dgram *d);

/*
 * nat_dispatch() - @pk (either family) with the policy's @verdict on its
 * destination: refused, or to its protocol's handler. Consumes @pk.
 */
void nat_dispatch(struct nat *nat, struct nat_pkt *pk,
		  enum netcfg_nat_verdict verdict);
void nat_tcp_input(struct nat *nat, struct nat_pkt *pk);
/* nat_tcp_refuse() - answer a SYN in @pk with a RST; frees the packet. */
void nat_tcp_refuse(struct nat *nat, struct nat_pkt *pk);
void nat_udp_input(struct nat *nat, struct nat_pkt *pk);
void nat_icmp_input(struct nat *nat, struct nat_pkt *pk);

int nat_tcp_init(struct nat *nat);
/* nat_tcp_a6_off() - the TCP table's a6_off (nat_flow.h). */
ptrdiff_t nat_tcp_a6_off(void);
void nat_tcp_fini(struct nat *nat);
void nat_icmp_fini(struct nat *nat);
void nat_icmp_sweep(struct nat *nat, uint64_t now);
/* nat_icmp_raw.c: echo flows through the shared raw socket */
/* nat_icmp_raw_send() - an echo request @msg of flow @k out (id rewritten) */
void nat_icmp_raw_send(struct nat *nat, const struct nat_key *k, uint8_t *msg,
		       size_t len);
void nat_icmp_raw_sweep(struct nat *nat, uint64_t now);
void nat_icmp_raw_fini(struct nat *nat);
/*
 * nat_icmp_raw_carries() - whether the raw path (when open) takes the
 * echoes of @k: IPv4 only on POSIX (IPv6 uses ping sockets), both
 * families on Windows (its ICMP API is the only way out).
 */
bool nat_icmp_raw_carries(const struct nat_key *k);

/*
 * nat_unreach() - tell the guest the packet in @pk (IP header in front)
 * was refused: ICMP destination unreachable, administratively prohibited,
 * from the gateway. Does not free @pk.
 */
void nat_unreach(struct nat *nat, struct nat_pkt *pk);

/* nat_key_from_pkt() - the flow key of @pk's guest end and destination. */
void nat_key_from_pkt(struct nat_key *k, const struct nat_pkt *pk,
		      uint8_t proto, uint16_t gport, uint16_t dport);
/* nat_key_ip() - the guest's (@guest) or destination's address of @k. */
void nat_key_ip(const struct nat_key *k, bool guest, ip_addr_t *a);
/* nat_pkt_ip() - the source (@src) or destination address of @pk. */
void nat_pkt_ip(const struct nat_pkt *pk, bool src, ip_addr_t *a);
/*
 * nat_host_sockaddr() - where the host socket of @k goes: its destination
 * after the host-alias lookup (IPv4 or IPv6), port @k->dport.
 */
socklen_t nat_host_sockaddr(const struct nat *nat, const struct nat_key *k,
			    struct sockaddr_storage *ss);
/* nat_set_ip_data() - point lwIP's current-packet globals at @pk. */
void nat_set_ip_data(struct nat_pkt *pk);
void nat_clear_ip_data(void);

/*
 * nat_output() - send @p (transport header and payload) to the guest of
 * flow @k from the address it talked to, IPv4 or IPv6. Frees @p.
 */
void nat_output(struct nat *nat, struct pbuf *p, const struct nat_key *k);

/* nat_host_addr() - the host-side address for destination @dip. */
static inline uint32_t nat_host_addr(const struct nat *nat, uint32_t dip)
{
	return netcfg_nat_lookup(nat->cfg, dip);
}

static inline void nat_ip_from_host(ip_addr_t *a, uint32_t ip)
{
	ip_addr_set_ip4_u32_val(*a, lwip_htonl(ip));
}

#endif
