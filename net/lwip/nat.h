/*
 * nat.h - the gateway's NAT: the guest's TCP, UDP and ICMP echo to any
 * IPv4 address (other than the gateway's own) become host sockets.
 *
 * Flow keys and the flow table are pure (nat_flow.c) and unit-tested; the
 * protocol handlers (nat_tcp.c, nat_udp.c, nat_icmp.c) own host sockets
 * on the libuv loop.
 */
#ifndef QCW_NAT_H
#define QCW_NAT_H

#include <stdbool.h>
#include <stdint.h>

#include "net/netcfg.h"
#include "net/stack.h"

struct nat;
struct pbuf;
struct netif;
struct lwst;

struct nat_limits;

struct nat *nat_create(struct lwst *st);
/* nat_destroy() - close every flow; run the loop afterwards. NULL ok. */
void nat_destroy(struct nat *nat);

/*
 * nat_ip4_input() - an IPv4 packet from the guest for a foreign address;
 * the pbuf holds the whole IP packet. Always consumes @p; returns 1.
 */
int nat_ip4_input(struct nat *nat, struct pbuf *p, struct netif *inp);

/*
 * nat_ip6_input() - the same for an IPv6 packet (nat_ip6.c): to any
 * address but the gateway's own, the host alias's to the host's ::1; @v
 * is netcfg_nat_check6() of its destination, which the caller has.
 */
int nat_ip6_input(struct nat *nat, struct pbuf *p, struct netif *inp,
		  enum netcfg_nat_verdict v);

const struct nat_counters *nat_counters(const struct nat *nat);
/* nat_get_limits() - the bounds in force (see nat_flow.h). */
const struct nat_limits *nat_get_limits(const struct nat *nat);

/*
 * nat_icmp_raw_setup() - before the sandbox closes: when ping sockets are
 * not allowed and a raw ICMP socket can be opened (CAP_NET_RAW), carry
 * the guest's echoes through it (nat_icmp_raw.c). 1 if the raw socket is
 * in use, 0 if not needed or not possible, -errno on failure.
 */
int nat_icmp_raw_setup(struct nat *nat);

#endif
