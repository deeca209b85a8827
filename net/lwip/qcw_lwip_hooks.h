/*
 * qcw_lwip_hooks.h - declarations of the functions lwipopts.h plugs into
 * lwIP's hooks; included by lwIP's own sources (LWIP_HOOK_FILENAME).
 */
#ifndef QCW_LWIP_HOOKS_H
#define QCW_LWIP_HOOKS_H

#include <stdint.h>

struct pbuf;
struct netif;
struct ip_addr;

/* Return non-zero when the packet was consumed (and freed) by qcw-net. */
int qcw_lwip_ip4_input_hook(struct pbuf *p, struct netif *inp);
int qcw_lwip_ip6_input_hook(struct pbuf *p, struct netif *inp);
/* LWIP_HOOK_TCP_ISN: a SYN cookie's number, else a random one */
uint32_t qcw_lwip_tcp_isn(const struct ip_addr *lip, uint16_t lport,
			  const struct ip_addr *rip, uint16_t rport);

#endif
