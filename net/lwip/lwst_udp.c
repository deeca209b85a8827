/*
 * lwst_udp.c - the seam's UDP sockets on the gateway's addresses, on lwIP
 * udp pcbs, one for IPv4 and one for IPv6 sharing the port (net/stack.h): the DNS server at :53 and the UDP port
 * forwards' flows (one pcb per host client, from an ephemeral port).
 *
 * A datagram from the guest reaches the owner as one contiguous buffer:
 * lwIP's pbuf as it is when it is in one piece (every frame that was not
 * reassembled from fragments), else copied once into a buffer of the
 * socket.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/udp.h"

#define LOG_SUBSYS LOG_SS_STACK
#include "net/lwip/stack_lwip.h"
#include "util/log.h"

struct stack_udp {
	struct udp_pcb *pcb, *pcb6; /* the gateway's IPv4, its IPv6 (or NULL) */
	stack_udp_recv_fn cb;
	void *arg;
	uint8_t *flat; /* for datagrams lwIP holds in pieces, on demand */
};

static void lwst_udp_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
			  const ip_addr_t *addr, u16_t port)
{
	struct stack_udp *u = arg;
	struct inaddr ip = lwst_inaddr(addr);

	(void)pcb;
	if (p->len == p->tot_len) {
		u->cb(u->arg, p->payload, p->len, &ip, port);
	} else {
		if (!u->flat)
			u->flat = malloc(0xffff);
		if (u->flat)
			u->cb(u->arg, u->flat,
			      pbuf_copy_partial(p, u->flat, 0xffff, 0), &ip,
			      port);
	}
	pbuf_free(p);
}

struct stack_udp *lwst_udp_open(struct stack *base, uint16_t port,
				stack_udp_recv_fn cb, void *arg)
{
	struct lwst *st = (struct lwst *)base;
	struct stack_udp *u = calloc(1, sizeof(*u));
	ip_addr_t gw;

	if (!u)
		return NULL;
	u->pcb = udp_new_ip_type(IPADDR_TYPE_V4);
	ip_addr_set_ip4_u32_val(gw, lwip_htonl(lwst_netcfg(st)->gateway));
	if (!u->pcb || udp_bind(u->pcb, &gw, port) != ERR_OK)
		goto fail;
	if (lwst_netcfg(st)->ipv6) {
		/* the same port (an ephemeral one as lwIP chose it) on every
		 * IPv6 address of the gateway: lwIP picks the source */
		u->pcb6 = udp_new_ip_type(IPADDR_TYPE_V6);
		if (!u->pcb6 || udp_bind(u->pcb6, IP6_ADDR_ANY,
					 u->pcb->local_port) != ERR_OK)
			goto fail;
		udp_recv(u->pcb6, lwst_udp_recv, u);
	}
	u->cb = cb;
	u->arg = arg;
	udp_recv(u->pcb, lwst_udp_recv, u);
	return u;
fail:
	if (u->pcb)
		udp_remove(u->pcb);
	if (u->pcb6)
		udp_remove(u->pcb6);
	free(u);
	return NULL;
}

int lwst_udp_send(struct stack *base, struct stack_udp *u,
		  const struct inaddr *ip, uint16_t port, const void *data,
		  size_t len)
{
	struct pbuf *p;
	ip_addr_t dst;
	err_t e;

	(void)base;
	if (lwst_ip_set(&dst, ip) < 0 || (ip->af == AF_INET6 && !u->pcb6))
		return -EAFNOSUPPORT;
	if (len > 0xffff - 8 - (ip->af == AF_INET6 ? 40 : 20))
		return -EMSGSIZE;
	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
	if (!p)
		return -ENOMEM;
	memcpy(p->payload, data, len);
	e = udp_sendto(ip->af == AF_INET6 ? u->pcb6 : u->pcb, p, &dst, port);
	pbuf_free(p);
	return e == ERR_OK ? 0 : -EIO;
}

void lwst_udp_close(struct stack *base, struct stack_udp *u)
{
	(void)base;
	if (!u)
		return;
	udp_remove(u->pcb);
	if (u->pcb6)
		udp_remove(u->pcb6);
	free(u->flat);
	free(u);
}
