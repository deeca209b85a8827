/*
 * lwst_conn.c - the seam's TCP primitives on lwIP (net/stack.h): a host
 * stream fd dialled into the guest from the gateway's address, and the
 * gateway's own listeners (DNS over TCP, the in-VM API). Each connection
 * is a splice (splice.c) between an lwIP pcb and the host fd.
 *
 * Gateway listeners hand their owner one end of a socketpair, so the
 * services above the seam see a plain stream. Each gateway connection
 * costs two fds and a splice, so every listener caps the connections open
 * at once; a SYN past the cap still completes in lwIP (the backlog is the
 * only SYN limit, and the stack evicts the oldest half-open connections
 * of a full backlog) and is then reset. Answers toward the guest are
 * bounded per connection (LWST_GW_SND_CAP), and the connection closes
 * fully when the service closes its end, so a guest that never sends its
 * FIN holds nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/tcp.h"

#define LOG_SUBSYS LOG_SS_STACK
#include "net/lwip/splice.h"
#include "net/osock.h"
#include "net/lwip/stack_lwip.h"
#include "net/vm_share.h"
#include "util/log.h"

#define LWST_GW_BACKLOG 255
#define LWST_GW_SND_CAP (64 * 1024)
#define LWST_GW_DEFAULT_CONNS 32 /* when the caller gives 0 */

struct lwst_listener {
	/* first: its pcbs' argument is the listener (lwst_tcp_event.h) */
	const struct lwst_tcp_ops *tcp;
	struct lwst *st;
	stack_accept_fn cb;
	void *arg;
	struct tcp_pcb *pcb, *pcb6; /* the gateway's IPv4, its IPv6 (or NULL) */
	struct lwst_listener *next;
	unsigned int open, max;
	uint16_t port;
	struct vm_hold vms; /* of open, each VM's (-keep-serving) */
};

struct stack_conn {
	struct splice sp; /* the host side inside */
	struct lwst *st;
	struct stack_conn_owner owner;
	struct tcp_pcb *dial; /* while connecting into the guest */
	struct lwst_listener *gw; /* counted by this gateway listener */
	struct stack_conn *prev, *next;
	int err; /* for owner.closed */
	struct inaddr ip;
	uint16_t port;
	uint8_t vm; /* of a gateway listener's connection: whose */
};

/* lwst_gw_uncount() - @c no longer counts for its gateway listener */
static void lwst_gw_uncount(struct stack_conn *c)
{
	if (!c->gw)
		return;
	c->gw->open--;
	vm_hold_del(&c->gw->vms, c->vm);
	c->gw = NULL;
}

static void lwst_conn_closed(struct splice *sp)
{
	struct stack_conn *c = splice_container_of(sp, struct stack_conn, sp);
	struct lwst *st = c->st;
	struct lwst_conns *cs = lwst_conns_of(st);

	if (c->prev)
		c->prev->next = c->next;
	else
		cs->all = c->next;
	if (c->next)
		c->next->prev = c->prev;
	lwst_gw_uncount(c);
	if (c->owner.closed)
		c->owner.closed(c->owner.arg, c->err);
	free(c);
	if (!cs->all)
		lwst_conn_gone(st);
}

static err_t lwst_connected_cb(void *arg, struct tcp_pcb *pcb, err_t err);
static void lwst_conn_err_cb(void *arg, err_t err);

/* lwst_conn_count() - the owner's counters, if it gave any */
static void lwst_conn_count(struct splice *sp, bool to_guest, size_t n)
{
	struct stack_conn *c = splice_container_of(sp, struct stack_conn, sp);
	uint64_t *ctr =
		to_guest ? c->owner.bytes_to_guest : c->owner.bytes_to_host;

	if (ctr)
		*ctr += n;
}

/* the pcb's argument is the splice, c, from the dial on */
static const struct splice_ops lwst_conn_ops = {
	.tcp =
		{
			.recv = splice_tcp_recv,
			.sent = splice_tcp_sent,
			.connected = lwst_connected_cb,
			.err = lwst_conn_err_cb,
		},
	.closed = lwst_conn_closed,
	.count = lwst_conn_count,
};

static struct stack_conn *lwst_conn_new(struct lwst *st, bool pipe,
					const struct stack_conn_owner *owner)
{
	struct lwst_conns *cs = lwst_conns_of(st);
	struct stack_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->st = st;
	if (owner)
		c->owner = *owner;
	splice_init(&c->sp, lwst_splice_ctx(st), &lwst_conn_ops, pipe);
	c->next = cs->all;
	if (c->next)
		c->next->prev = c;
	cs->all = c;
	return c;
}

static void lwst_conn_end(struct stack_conn *c, bool reset)
{
	if (c->dial) {
		tcp_arg(c->dial, NULL);
		tcp_abort(c->dial);
		c->dial = NULL;
	}
	splice_close(&c->sp, reset);
}

void lwst_conn_close(struct stack *base, struct stack_conn *c, bool reset)
{
	(void)base;
	lwst_conn_end(c, reset);
}

static err_t lwst_connected_cb(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct stack_conn *c = arg;

	(void)err;
	c->dial = NULL;
	splice_start(&c->sp, pcb);
	return ERR_OK;
}

static void lwst_conn_err_cb(void *arg, err_t err)
{
	struct stack_conn *c = arg;

	if (!c->dial) {
		splice_tcp_err(&c->sp, err); /* started */
		return;
	}
	c->dial = NULL; /* freed by lwIP */
	c->err = err == ERR_RST ? -ECONNREFUSED : -ETIMEDOUT;
	lwst_conn_end(c, false);
}

/*
 * lwst_dial() - connect to @c->ip:@c->port in the guest from the gateway
 * (IPv6: from the gateway address lwIP picks for the destination's scope,
 * gateway6 or the link-local one).
 */
static int lwst_dial(struct stack_conn *c)
{
	bool v6 = c->ip.af == AF_INET6;
	struct tcp_pcb *pcb =
		tcp_new_ip_type(v6 ? IPADDR_TYPE_V6 : IPADDR_TYPE_V4);
	ip_addr_t gw, dst;

	if (!pcb)
		return -ENOMEM;
	if (v6)
		ip_addr_copy(gw, *IP6_ADDR_ANY);
	else
		ip_addr_set_ip4_u32_val(
			gw, lwip_htonl(lwst_netcfg(c->st)->gateway));
	lwst_ip_set(&dst, &c->ip);
	if (tcp_bind(pcb, &gw, 0) != ERR_OK) {
		tcp_abort(pcb);
		return -EADDRINUSE;
	}
	c->dial = pcb;
	tcp_arg(pcb, c); /* lwst_conn_ops.tcp */
	if (tcp_connect(pcb, &dst, c->port, NULL) != ERR_OK) {
		c->dial = NULL;
		tcp_arg(pcb, NULL);
		tcp_abort(pcb);
		return -ENOMEM;
	}
	lwst_kick_timers(c->st);
	return 0;
}

int lwst_tcp_dial(struct stack *base, int fd, const struct inaddr *ip,
		  uint16_t port, const struct stack_conn_owner *owner,
		  struct stack_conn **out)
{
	struct lwst *st = (struct lwst *)base;
	bool pipe = !osock_is_tcp(fd);
	struct stack_conn *c;
	int r;

	if (out)
		*out = NULL;
	if (ip->af != AF_INET &&
	    (ip->af != AF_INET6 || !lwst_netcfg(st)->ipv6)) {
		osock_close(fd);
		return -EAFNOSUPPORT;
	}
	c = lwst_conn_new(st, pipe, owner);
	if (!c) {
		osock_close(fd);
		return -ENOMEM;
	}
	c->ip = *ip;
	c->port = port;
	r = splice_open(&c->sp, fd);
	if (r < 0) {
		osock_close(fd);
		c->err = r;
		lwst_conn_end(c, false);
		return r;
	}
	r = lwst_dial(c);
	if (r < 0) {
		c->err = r;
		lwst_conn_end(c, false);
		return r;
	}
	if (out)
		*out = c;
	return 0;
}

/*
 * lwst_gw_victim() - with -keep-serving, for a new connection of a VM
 * under its share of @l's cap: the oldest connection of the VM holding
 * the most, or NULL.
 */
static struct stack_conn *lwst_gw_victim(struct lwst_listener *l, uint8_t vm)
{
	uint8_t big = vm_hold_biggest(&l->vms);
	struct stack_conn *c, *oldest = NULL;

	if (!vm || !big || big == vm)
		return NULL;
	for (c = lwst_conns_of(l->st)->all; c; c = c->next) /* newest first */
		if (c->gw == l && c->vm == big)
			oldest = c;
	return oldest;
}

/*
 * lwst_gw_admit() - whether VM @vm may have one more connection of @l:
 * past its share of the cap while other VMs hold some, no; at the cap, a
 * VM under its share takes the place of the oldest connection of the VM
 * holding the most (reset), as lwIP's NAT does with its flows.
 */
static bool lwst_gw_admit(struct lwst_listener *l, uint8_t vm)
{
	struct stack_conn *v;

	if (vm_hold_over(&l->vms, vm, l->max)) {
		lwst_counters(l->st)->gw_refused++;
		log_rl("stack: a VM holds its share (%zu) of the %u "
		       "connections to the gateway's port %u, connection reset",
		       vm_hold_share(&l->vms, vm, l->max), l->max, l->port);
		return false;
	}
	if (l->open < l->max)
		return true;
	v = lwst_gw_victim(l, vm);
	if (!v) {
		lwst_counters(l->st)->gw_refused++;
		log_rl("stack: %u connections to the gateway's port %u "
		       "(limit), connection reset",
		       l->open, l->port);
		return false;
	}
	lwst_counters(l->st)->gw_vm_evicted++;
	log_rl("stack: %u connections to the gateway's port %u (limit), one "
	       "of the VM holding the most reset for another VM's",
	       l->open, l->port);
	lwst_gw_uncount(v);
	lwst_conn_end(v, true);
	return true;
}

static err_t lwst_gw_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct lwst_listener *l = arg;
	struct stack_conn *c;
	struct inaddr peer;
	int sv[2], r;
	bool pipe;
	uint8_t vm;

	if (err != ERR_OK || !l)
		return ERR_VAL;
	vm = lwst_input_vm(l->st);
	if (!lwst_gw_admit(l, vm)) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	r = osock_pair(sv);
	if (r < 0) {
		lwst_counters(l->st)->gw_refused++;
		log_rl("stack: gateway port %u: socketpair: %s, connection "
		       "reset",
		       l->port, strerror(-r));
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	pipe = !osock_is_tcp(sv[0]);
	c = lwst_conn_new(l->st, pipe, NULL);
	if (!c || splice_open(&c->sp, sv[0]) < 0) {
		if (c)
			lwst_conn_end(c, false);
		osock_close(sv[0]);
		osock_close(sv[1]);
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->gw = l;
	c->vm = vm;
	l->open++;
	vm_hold_add(&l->vms, vm);
	c->sp.snd_cap = LWST_GW_SND_CAP;
	c->sp.close_on_host_eof = true;
	splice_start(&c->sp, pcb);
	peer = lwst_inaddr(&pcb->remote_ip);
	l->cb(l->arg, sv[1], &peer);
	return ERR_OK;
}

/*
 * lwst_listen_pcb() - a listening pcb on @addr:@port for @l, or NULL
 * (*@err: -ENOMEM or -EADDRINUSE).
 */
static const struct lwst_tcp_ops lwst_gw_tcp = {
	.accept = lwst_gw_accept,
};

static struct tcp_pcb *lwst_listen_pcb(struct lwst_listener *l,
				       const ip_addr_t *addr, uint16_t port,
				       int *err)
{
	struct tcp_pcb *pcb, *lpcb;

	*err = -ENOMEM;
	pcb = tcp_new_ip_type(IP_GET_TYPE(addr));
	if (!pcb)
		return NULL;
	if (tcp_bind(pcb, addr, port) != ERR_OK) {
		tcp_abort(pcb);
		*err = -EADDRINUSE;
		return NULL;
	}
	/* half-open connections: the stack evicts the oldest past this */
	lpcb = tcp_listen_with_backlog(pcb, LWST_GW_BACKLOG);
	if (!lpcb) {
		tcp_abort(pcb);
		return NULL;
	}
	tcp_arg(lpcb, l); /* l->tcp: lwst_gw_accept */
	return lpcb;
}

static void lwst_listen_pcb_close(struct tcp_pcb *pcb)
{
	if (!pcb)
		return;
	tcp_arg(pcb, NULL);
	tcp_close(pcb);
}

/*
 * lwst_tcp_listen() - the gateway's IPv4 address and, with IPv6, every
 * IPv6 address of the gateway (a pcb on IPv6's any address: only packets
 * for the gateway's own addresses reach lwIP's TCP unasked, the NAT's
 * SYNs go to listeners on their exact destination).
 */
int lwst_tcp_listen(struct stack *base, uint16_t port, unsigned int max_conns,
		    stack_accept_fn cb, void *arg)
{
	struct lwst *st = (struct lwst *)base;
	struct lwst_listener *l = calloc(1, sizeof(*l));
	ip_addr_t gw;
	int r;

	if (!l)
		return -ENOMEM;
	l->tcp = &lwst_gw_tcp;
	ip_addr_set_ip4_u32_val(gw, lwip_htonl(lwst_netcfg(st)->gateway));
	l->pcb = lwst_listen_pcb(l, &gw, port, &r);
	if (l->pcb && lwst_netcfg(st)->ipv6) {
		l->pcb6 = lwst_listen_pcb(l, IP6_ADDR_ANY, port, &r);
		if (!l->pcb6) {
			lwst_listen_pcb_close(l->pcb);
			l->pcb = NULL;
		}
	}
	if (!l->pcb) {
		free(l);
		return r;
	}
	l->st = st;
	l->cb = cb;
	l->arg = arg;
	l->port = port;
	l->max = max_conns ? max_conns : LWST_GW_DEFAULT_CONNS;
	l->next = lwst_conns_of(st)->listeners;
	lwst_conns_of(st)->listeners = l;
	return 0;
}

static void lwst_listener_free(struct lwst_listener *l)
{
	struct stack_conn *c;

	for (c = lwst_conns_of(l->st)->all; c; c = c->next)
		if (c->gw == l)
			c->gw = NULL;
	lwst_listen_pcb_close(l->pcb);
	lwst_listen_pcb_close(l->pcb6);
	lwst_tcp_forget(l);
	free(l);
}

void lwst_tcp_unlisten(struct stack *base, uint16_t port)
{
	struct lwst_listener **pp =
		&lwst_conns_of((struct lwst *)base)->listeners;

	while (*pp) {
		struct lwst_listener *l = *pp;

		if (l->port == port) {
			*pp = l->next;
			lwst_listener_free(l);
		} else {
			pp = &l->next;
		}
	}
}

void lwst_conn_fini(struct lwst *st)
{
	struct lwst_conns *cs = lwst_conns_of(st);
	struct stack_conn *c, *next;

	while (cs->listeners) {
		struct lwst_listener *l = cs->listeners;

		cs->listeners = l->next;
		lwst_listener_free(l);
	}
	/* their owners hear closed() from the loop once the splices closed */
	for (c = cs->all; c; c = next) {
		next = c->next;
		lwst_conn_end(c, true);
	}
}
