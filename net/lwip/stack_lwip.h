/*
 * stack_lwip.h - the lwIP backend of the stack seam (net/stack.h), seen
 * from the rest of the backend: the netif that joins lwIP to the switch,
 * lwIP's timers on the libuv loop, and the hook that hands traffic for
 * any address beyond the gateway to the NAT.
 *
 * lwIP is one global instance (NO_SYS): one struct lwst per process,
 * which lwIP's callbacks without a context (sys_now, the input hook)
 * reach through the backend's one pointer to it.
 */
#ifndef QCW_STACK_LWIP_H
#define QCW_STACK_LWIP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "lwip/err.h"
#include "lwip/ip_addr.h"

#include "net/netcfg.h"
#include "net/stack.h"
#include "net/switch.h"

struct lwst;
struct nat;
struct netif;
struct pbuf;

extern const struct stack_backend stack_lwip_backend;

struct netif *lwst_netif(struct lwst *st);
/* lwst_splice_ctx() - shared state of the TCP data paths (splice.h). */
struct splice_ctx *lwst_splice_ctx(struct lwst *st);
/*
 * lwst_input_vm() - the VM (switch port id + 1, net/nat_flow.h) whose
 * frame the stack is taking now; 0 outside a frame's input.
 */
uint8_t lwst_input_vm(struct lwst *st);
/*
 * lwst_splice_nat() - the NAT of the stack whose splice context is @ctx
 * (NULL once the NAT is destroyed): a connection need not keep it.
 */
struct nat *lwst_splice_nat(struct splice_ctx *ctx);
const struct netcfg *lwst_netcfg(const struct lwst *st);
uv_loop_t *lwst_loop(struct lwst *st);
struct sw *lwst_switch(struct lwst *st);
struct stack_counters *lwst_counters(struct lwst *st);
/* lwst_now() - lwIP's clock (the env's), in ms. */
uint64_t lwst_now(const struct lwst *st);

struct tcp_pcb;
/*
 * lwst_pcb_of_pair() - whether @pcb is of the connection @gip:@gport (the
 * guest's end) <-> @lip:@lport (lwIP's end).
 */
bool lwst_pcb_of_pair(const struct tcp_pcb *pcb, const ip_addr_t *gip,
		      uint16_t gport, const ip_addr_t *lip, uint16_t lport);

/*
 * lwst_tcp_tw_reuse() - a new SYN from the guest for the connection
 * @gip:@gport <-> @lip:@lport (either family): free a TIME_WAIT pcb of
 * that pair, as Linux accepts a new SYN in TIME_WAIT. lwIP would answer
 * the SYN with an ACK of the old connection, the guest resets, and its
 * connect times out. Returns 1 when one was freed.
 */
int lwst_tcp_tw_reuse(struct lwst *st, const ip_addr_t *gip, uint16_t gport,
		      const ip_addr_t *lip, uint16_t lport);

/*
 * lwst_gw_segment() - a TCP segment for one of the gateway's own ports, its
 * header whole at @tcp (@len bytes of segment), of the connection @t:
 * with the listener's backlog full a SYN gets a SYN cookie instead of a
 * pcb, and an ACK that brings a cookie back becomes a connection
 * (syncookie.h). Returns true when the segment was taken (the caller
 * frees it), false to hand it to lwIP.
 */
struct syncookie_tuple;
bool lwst_gw_segment(struct lwst *st, const struct syncookie_tuple *t,
		     const uint8_t *tcp, size_t len, struct netif *inp);

/* stack_lwip6.c: the IPv6 link (addresses, input hook, neighbours) */
#define LWST_NB6_SIZE 16
struct lwst_nb6_entry {
	uint8_t ip[16];
	uint8_t mac[6];
	bool used;
};
struct lwst_nb6 {
	struct lwst_nb6_entry e[LWST_NB6_SIZE];
	unsigned int hint, next;
	uint64_t nd_fallback; /* packets left to lwIP's neighbour discovery */
};
struct lwst_nb6 *lwst_nb6_of(struct lwst *st);
/* lwst_gw_addrs() - lwIP's form of @t's guest (@g) and gateway (@d) */
void lwst_gw_addrs(const struct syncookie_tuple *t, ip_addr_t *g, ip_addr_t *d);
/*
 * lwst_gw_tw_reuse() - a SYN of @t to a gateway port: a TIME_WAIT pcb of
 * its pair goes (lwst_tcp_tw_reuse())
 */
void lwst_gw_tw_reuse(struct lwst *st, const struct syncookie_tuple *t);
/* lwst6_mac_of() - the MAC learned for the guest's address @ip, or NULL */
const uint8_t *lwst6_mac_of(struct lwst *st, const uint8_t ip[16]);
/* lwst6_netif_setup() - the gateway's IPv6 addresses (cfg->ipv6). */
void lwst6_netif_setup(struct lwst *st, struct lwst_nb6 *nb);
/* lwst6_input() - the IPv6 input hook's work; 1 when consumed. */
int lwst6_input(struct lwst *st, struct nat *nat, struct pbuf *p,
		struct netif *inp);
err_t lwst6_output(struct netif *netif, struct pbuf *p, const ip6_addr_t *dst);
/* lwst_ip_set() - lwIP's form of @a (IPv4 or IPv6); -EAFNOSUPPORT. */
int lwst_ip_set(ip_addr_t *out, const struct inaddr *a);
/* lwst_inaddr() - the seam's form of lwIP's @a. */
struct inaddr lwst_inaddr(const ip_addr_t *a);

/* lwst_kick_timers() - re-arm the timer after lwIP state changed. */
void lwst_kick_timers(struct lwst *st);

/* lwst_conn.c: the seam's TCP primitives (gateway listeners, dials) */
struct lwst_conns {
	struct stack_conn *all;
	struct lwst_listener *listeners;
};
struct lwst_conns *lwst_conns_of(struct lwst *st);
int lwst_tcp_dial(struct stack *base, int fd, const struct inaddr *ip,
		  uint16_t port, const struct stack_conn_owner *owner,
		  struct stack_conn **out);
void lwst_conn_close(struct stack *base, struct stack_conn *c, bool reset);
int lwst_tcp_listen(struct stack *base, uint16_t port, unsigned int max_conns,
		    stack_accept_fn cb, void *arg);
void lwst_tcp_unlisten(struct stack *base, uint16_t port);
/* lwst_conn_fini() - at destroy: close every listener and connection. */
void lwst_conn_fini(struct lwst *st);
/* lwst_conn_gone() - the last connection may have been the instance's. */
void lwst_conn_gone(struct lwst *st);

/* lwst_udp.c: the seam's UDP sockets on the gateway */
struct stack_udp *lwst_udp_open(struct stack *base, uint16_t port,
				stack_udp_recv_fn cb, void *arg);
int lwst_udp_send(struct stack *base, struct stack_udp *u,
		  const struct inaddr *ip, uint16_t port, const void *data,
		  size_t len);
void lwst_udp_close(struct stack *base, struct stack_udp *u);

#endif
