/*
 * nat_dgram.c - the flow handling the datagram NATs share: UDP
 * (nat_udp.c) and ICMP echo through ping sockets (nat_icmp.c). A flow is
 * one host socket (a uv_udp_t) for one key of the guest's; this file
 * finds or opens it (closing the least recently used flow when the table
 * is at its bound, so idle flows never lock a guest out), counts what
 * moves both ways, reads what the host sends back into the NAT's shared
 * buffer, expires idle flows (NAT_UDP_IDLE_MS / NAT_ICMP_IDLE_MS, or
 * NAT_BUSY_IDLE_MS under pressure, nat_priv.h) and closes them. The
 * protocol files hold only what differs: how the host socket is opened,
 * how the guest's packet becomes a host datagram, and how the host's
 * answer becomes a packet for the guest. Dispatch by protocol number.
 */
#include "net/lwip/nat_priv.h"

#include <stdlib.h>

#define LOG_SUBSYS LOG_SS_NAT
#include "util/log.h"

static struct nat_table *nat_dgram_table(struct nat *nat, uint8_t proto)
{
	return proto == IP_PROTO_UDP ? &nat->udp : &nat->icmp;
}

static struct nat_proto_counters *nat_dgram_cnt(struct nat *nat, uint8_t proto)
{
	return proto == IP_PROTO_UDP ? &nat->cnt.udp : &nat->cnt.icmp;
}

static void nat_dgram_closed_cb(uv_handle_t *h)
{
	free(h->data);
}

void nat_dgram_close(struct nat_dgram *d)
{
	struct nat *nat = d->nat;
	uint8_t proto = d->key.proto;

	if (d->closing)
		return;
	d->closing = true;
	nat_table_remove(nat_dgram_table(nat, proto), &d->flow);
	nat_dgram_cnt(nat, proto)->flows_open--;
	uv_close((uv_handle_t *)&d->sock, nat_dgram_closed_cb);
}

static void nat_dgram_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct nat_dgram *d = h->data;

	(void)suggested;
	buf->base = (char *)d->nat->buf;
	buf->len = 65535;
}

static void nat_dgram_recv_cb(uv_udp_t *s, ssize_t n, const uv_buf_t *buf,
			      const struct sockaddr *addr, unsigned flags)
{
	struct nat_dgram *d = s->data;
	struct nat *nat = d->nat;
	const struct nat_key *k = &d->key;
	struct pbuf *p;

	if (n == UV_ECONNREFUSED && k->proto == IP_PROTO_UDP && !d->closing)
		nat_udp_refused(d);
	if (n < 0 || d->closing || (n == 0 && !addr))
		return; /* an error, or nothing more to read */
	if (k->proto == IP_PROTO_UDP)
		p = nat_udp_from_host(d, (const uint8_t *)buf->base, (size_t)n,
				      flags);
	else
		p = nat_icmp_from_host(d, (const uint8_t *)buf->base, (size_t)n,
				       flags);
	if (!p)
		return;
	nat_dgram_cnt(nat, k->proto)->bytes_to_guest += (uint64_t)n;
	nat_table_touch(nat_dgram_table(nat, k->proto), &d->flow,
			uv_now(nat->loop));
	nat_output(nat, p, k);
}

/* nat_dgram_evict() - the table of @proto is full: its LRU flow goes. */
static void nat_dgram_evict(struct nat *nat, uint8_t proto)
{
	struct nat_table *t = nat_dgram_table(nat, proto);
	bool udp = proto == IP_PROTO_UDP;

	if (udp)
		nat->cnt.udp_evicted++;
	else
		nat->cnt.icmp_evicted++;
	log_rl("nat: %zu %s flows (the bound), the least recently used one "
	       "is closed",
	       t->n_flows, udp ? "UDP" : "ICMP echo");
	nat_dgram_close((struct nat_dgram *)nat_table_oldest(t));
}

/* nat_dgram_new() - a flow for @k with its host socket, or NULL. */
static struct nat_dgram *nat_dgram_new(struct nat *nat, const struct nat_key *k)
{
	struct nat_table *t = nat_dgram_table(nat, k->proto);
	uint8_t vm = lwst_input_vm(nat->st); /* its flows' shares */
	struct nat_flow *v = nat_table_vm_victim(t, vm);
	struct nat_dgram *d;
	int r;

	if (v) {
		nat->cnt.vm_share_evicted++;
		log_rl("nat: %zu %s flows shared by %u VMs, one of a VM at or "
		       "over its share (%zu) is closed",
		       t->n_flows,
		       k->proto == IP_PROTO_UDP ? "UDP" : "ICMP echo", t->n_vms,
		       nat_table_vm_share(t, v->key.vm));
		nat_dgram_close((struct nat_dgram *)v);
	} else if (nat_table_full(t)) {
		nat_dgram_evict(nat, k->proto);
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->nat = nat;
	d->key = *k;
	d->key.vm = vm;
	nat_flow_set_key(t, &d->flow, &d->key);
	if (nat_table_insert(t, &d->flow, uv_now(nat->loop)) < 0) {
		free(d);
		return NULL;
	}
	nat_dgram_cnt(nat, k->proto)->flows_open++;
	uv_udp_init(nat->loop, &d->sock);
	d->sock.data = d;
	r = k->proto == IP_PROTO_UDP ? nat_udp_open(d) : nat_icmp_open(d);
	if (r == 0)
		r = uv_udp_recv_start(&d->sock, nat_dgram_alloc_cb,
				      nat_dgram_recv_cb);
	if (r < 0) {
		nat_dgram_close(d);
		return NULL;
	}
	nat_dgram_cnt(nat, k->proto)->flows_total++;
	if (log_debug_on(LOG_SS_NAT)) {
		char g[INET6_ADDRSTRLEN], a[INET6_ADDRSTRLEN];

		log_debug("nat: %s flow %s:%u -> %s:%u",
			  k->proto == IP_PROTO_UDP ? "udp" : "icmp",
			  nat_key_str(k, true, g), k->gport,
			  nat_key_str(k, false, a), k->dport);
	}
	return d;
}

struct nat_dgram *nat_dgram_get(struct nat *nat, const struct nat_key *k)
{
	struct nat_table *t = nat_dgram_table(nat, k->proto);
	struct nat_dgram *d = (struct nat_dgram *)nat_table_find(t, k);

	if (!d)
		return nat_dgram_new(nat, k); /* inserted as the newest */
	nat_table_touch(t, &d->flow, uv_now(nat->loop));
	return d;
}

void nat_dgram_send(struct nat_dgram *d, const uv_buf_t *b, unsigned int n,
		    const struct sockaddr *to)
{
	struct nat_proto_counters *c = nat_dgram_cnt(d->nat, d->key.proto);
	int r = uv_udp_try_send(&d->sock, b, n, to);

	if (r < 0)
		c->dropped++;
	else
		c->bytes_to_host += (uint64_t)r;
}

void nat_dgram_sweep(struct nat *nat, uint8_t proto, uint64_t now)
{
	struct nat_table *t = nat_dgram_table(nat, proto);
	uint64_t idle =
		proto == IP_PROTO_UDP ? NAT_UDP_IDLE_MS : NAT_ICMP_IDLE_MS;
	struct nat_flow *f;

	while ((f = nat_table_oldest(t)) && nat_flow_expired(t, f, now, idle))
		nat_dgram_close((struct nat_dgram *)f);
}

void nat_dgram_fini(struct nat *nat, uint8_t proto)
{
	struct nat_table *t = nat_dgram_table(nat, proto);
	struct nat_flow *f;

	while ((f = nat_table_oldest(t)))
		nat_dgram_close((struct nat_dgram *)f);
}
