/*
 * stack.h - the gateway's TCP/IP stack (lwIP backend): the netif that
 * joins lwIP to the switch, lwIP's timers on the libuv loop, the fast
 * paths served before lwIP (ARP for virtual IPs, DHCP), and the hook that
 * hands traffic for any other address to the NAT.
 *
 * lwIP is one global instance (NO_SYS), so there is one struct stack per
 * process.
 */
#ifndef QCW_STACK_H
#define QCW_STACK_H

#include <stdint.h>
#include <uv.h>

#include "netcfg.h"
#include "switch.h"

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
 * stack_clock_skew_ms - added to the loop's clock for lwIP's timers: 0,
 * except in a fuzzer (fuzz/fuzz_nat_seq.c), which moves time forward.
 */
extern uint64_t stack_clock_skew_ms;

/* stack_kick_timers() - re-arm the timer after lwIP state changed. */
void stack_kick_timers(struct stack *st);

#endif
