/*
 * gw_dns.h - the DNS service at the gateway's address inside the virtual
 * network: UDP and TCP port 53 on the stack seam's gateway sockets
 * (net/stack.h); queries go to dns/dns_server.
 */
#ifndef QCW_GW_DNS_H
#define QCW_GW_DNS_H

#include <uv.h>

struct gw_dns;
struct stack;
struct dns_server;

/*
 * gw_dns_create() - DNS on the gateway's UDP and TCP port 53; at most
 * @max_conns TCP connections at once (stack_tcp_listen()).
 */
struct gw_dns *gw_dns_create(uv_loop_t *loop, struct stack *st,
			     struct dns_server *dns, unsigned int max_conns);
/* gw_dns_destroy() - before dns_server_destroy(). NULL ok. */
void gw_dns_destroy(struct gw_dns *g);

#endif
