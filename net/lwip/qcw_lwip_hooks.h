/*
 * qcw_lwip_hooks.h - declarations of the functions lwipopts.h plugs into
 * lwIP's hooks; included by lwIP's own sources (LWIP_HOOK_FILENAME).
 */
#ifndef QCW_LWIP_HOOKS_H
#define QCW_LWIP_HOOKS_H

struct pbuf;
struct netif;

/* Return non-zero when the packet was consumed (and freed) by qcw-net. */
int qcw_lwip_ip4_input_hook(struct pbuf *p, struct netif *inp);
int qcw_lwip_ip6_input_hook(struct pbuf *p, struct netif *inp);

#endif
