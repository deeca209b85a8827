/*
 * stack.h - the gateway's TCP/IP stack (lwIP backend): the netif that
 * joins lwIP to the switch, lwIP's timers on the libuv loop, the fast
 * paths served before lwIP (ARP for virtual IPs, DHCP), and the hook that
 * hands traffic for any other address to the NAT.
 *
 * lwIP is one global instance (NO_SYS), so there is one struct stack per
 * process.
 */
#ifndef QCW_STACK_LWIP_H
#define QCW_STACK_LWIP_H

#include <stdint.h>
#include <uv.h>

#include "net/netcfg.h"
#include "net/switch.h"

struct stack;
struct dhcp_server;
struct nat;
struct netif;

struct stack_counters {
	uint64_t arp_replies; /* answered for virtual IPs */
	uint64_t dhcp_in, dhcp_out, dhcp_drops;
	uint64_t to_lwip, nat_in;
	uint64_t nomem_drops;
	uint64_t short_drops; /* too short for their ARP/IPv4 header */
	uint64_t acks_coalesced; /* guest ACKs superseded within a batch */
	uint64_t ooseq_dumps; /* out-of-order queues dropped, global budget */
	uint64_t syn_evicted; /* half-open gateway connections dropped */
	uint64_t tw_evicted; /* TIME_WAIT connections freed early */
	uint64_t tw_reused; /* TIME_WAIT freed for a new SYN of the same pair */
	uint64_t pcbs_active, pcbs_time_wait; /* lwIP's lists, once a second */
	uint64_t arp_pins; /* DHCP leases pinned in the ARP table now */
	uint64_t arp_pin_refused; /* leases left unpinned: table share full */
	uint64_t arp_query_refused; /* packets dropped: too many ARP queries */
};

/* stack_create() - bring up lwIP on @sw with @cfg (copied). */
struct stack *stack_create(uv_loop_t *loop, struct sw *sw,
			   const struct netcfg *cfg);
void stack_destroy(struct stack *st);

void stack_set_dhcp(struct stack *st, struct dhcp_server *dhcp);
void stack_set_nat(struct stack *st, struct nat *nat);

/* stack_input() - sw_stack_input_fn: a frame for the gateway. */
void stack_input(void *st, const uint8_t *frame, size_t len,
		 const struct sw_ref *keep);

struct netif *stack_netif(struct stack *st);
/* stack_splice_ctx() - shared state of the TCP data paths (splice.h). */
struct splice_ctx *stack_splice_ctx(struct stack *st);
const struct netcfg *stack_netcfg(const struct stack *st);
uv_loop_t *stack_loop(struct stack *st);
struct sw *stack_switch(struct stack *st);
const struct stack_counters *stack_counters(const struct stack *st);
/*
 * stack_rx_held() - bytes of frame buffers from the VM that lwIP and the
 * splices hold; stack_queued() - of those, queued for host sockets,
 * with stack_queue_refused() chains refused over a budget (splice.h).
 */
size_t stack_rx_held(const struct stack *st);
size_t stack_queued(const struct stack *st);
uint64_t stack_queue_refused(const struct stack *st);
/* stack_set_queue_max() - the budget of all splices' queues, in bytes. */
void stack_set_queue_max(struct stack *st, size_t bytes);

/*
 * stack_tcp_tw_reuse() - a new SYN from the guest for the connection
 * @gip:@gport <-> @lip:@lport (host byte order): free a TIME_WAIT pcb of
 * that pair, as Linux accepts a new SYN in TIME_WAIT. lwIP would answer
 * the SYN with an ACK of the old connection, the guest resets, and its
 * connect times out. Returns 1 when one was freed.
 */
int stack_tcp_tw_reuse(struct stack *st, uint32_t gip, uint16_t gport,
		       uint32_t lip, uint16_t lport);

/*
 * stack_clock_skew_ms - added to the loop's clock for lwIP's timers: 0,
 * except in a fuzzer (fuzz/fuzz_nat_seq.c), which moves time forward.
 */
extern uint64_t stack_clock_skew_ms;

/* stack_kick_timers() - re-arm the timer after lwIP state changed. */
void stack_kick_timers(struct stack *st);

#endif
