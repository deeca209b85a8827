/*
 * gw_dns.h - the DNS service at the gateway's address inside the virtual
 * network: UDP port 53 on an lwIP pcb, TCP port 53 through the
 * forwarder's gateway listener; queries go to dns/dns_server.
 */
#ifndef QCW_GW_DNS_H
#define QCW_GW_DNS_H

struct gw_dns;
struct stack;
struct fwd;
struct dns_server;

/*
 * gw_dns_create() - DNS on the gateway's UDP and TCP port 53; at most
 * @max_conns TCP connections at once (fwd_gateway_listen()).
 */
struct gw_dns *gw_dns_create(struct stack *st, struct fwd *fwd,
			     struct dns_server *dns, unsigned int max_conns);
/* gw_dns_destroy() - before dns_server_destroy(). NULL ok. */
void gw_dns_destroy(struct gw_dns *g);

#endif
