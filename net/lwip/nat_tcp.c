/*
 * nat_tcp.c - the guest's TCP connections to any address, proxied to host
 * sockets.
 *
 * Handshake: a SYN for an unknown 4-tuple is held while qcw-net connects
 * the host socket. Only when that connect succeeds is the SYN fed to lwIP
 * through a listening pcb bound to the destination address and port
 * (shared by all pending SYNs to that endpoint, reference counted); a
 * failed connect answers the guest with a RST, so the guest sees
 * "connection refused" exactly when the host does.
 *
 * State of a flow (one per connection):
 *   CONNECTING  host connect in flight, SYN held, retransmitted SYNs dropped
 *   HANDSHAKE   SYN given to lwIP (pcb in SYN_RCVD), waiting for the ACK
 *   OPEN        data both ways; each direction closes on its own (EOF/FIN)
 *   CLOSED      both directions done or reset; waiting for the handle close
 *
 * Once the guest's handshake completes, the connection's data path is a
 * splice (splice.c): flow control, half-close and resets both ways.
 *
 * Memory: what only the handshake needs (the connect request, the held
 * SYN, the SYN_RCVD pcb, the listener, the half-open list) lives in a
 * struct nat_tcp_hs allocated with the flow and freed when the guest's
 * handshake completes, so an open connection keeps the splice, its table
 * entry and lwIP's pcb only. A flow closed while its host connect is in
 * flight keeps the nat_tcp_hs until the connect callback (which runs,
 * cancelled, before the splice's closed callback) frees it.
 *
 * Bounds (nat_flow.h): the table holds at most lim.tcp flows. CONNECTING
 * and HANDSHAKE flows are "half-open" and kept on their own list, oldest
 * first: at lim.half_open, or when the table is full, the oldest is reset
 * for the new SYN; a SYN for a table full of open flows gets a RST. So a
 * flood of SYNs from made-up sources ties up
 * a bounded number of fds and a real handshake still gets through.
 */
#include "net/lwip/nat_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/tcp.h"
#include "lwip/tcp.h"

#define LOG_SUBSYS LOG_SS_NAT
#include "util/log.h"
#include "util/be.h"
#include "net/lwip/splice.h"

/* probes then every TCP_KEEPINTVL_DEFAULT ms, TCP_KEEPCNT_DEFAULT of them
 * (lwipopts.h) */
#define NAT_TCP_KEEPIDLE_MS 60000

enum nat_tcp_state {
	NAT_TCP_CONNECTING,
	NAT_TCP_HANDSHAKE,
	NAT_TCP_OPEN,
	NAT_TCP_CLOSED,
};

struct nat_tcp_listener {
	struct nat_tcp_listener *next;
	struct nat_key key; /* its destination end: dip (dip6), dport */
	unsigned int refs;
	struct tcp_pcb *pcb;
};

/* A flow's handshake: CONNECTING and HANDSHAKE only. */
struct nat_tcp_hs {
	/* first: the SYN_RCVD pcb's argument is hs (lwst_tcp_event.h) */
	const struct lwst_tcp_ops *tcp;
	struct nat_tcp *t;
	struct tcp_pcb *pcb; /* HANDSHAKE: lwIP's SYN_RCVD pcb */
	struct nat_tcp_listener *listener; /* held during HANDSHAKE */
	struct pbuf *syn; /* CONNECTING: the held SYN (whole IP packet) */
	struct nat_tcp_hs *ho_prev, *ho_next;
	uint16_t syn_hlen;
	bool connecting; /* connect in flight: its callback frees this */
	bool half_open; /* on nat->ho_head's list */
};

struct nat_tcp {
	struct splice sp; /* the host socket lives in here */
	struct nat_tcp_hs *hs; /* until the guest's handshake completes */
	/* its state and NAT_TCP_IN_TABLE live in sp.owner_bits */
	struct nat_flow flow;
	/* IPv6 flows only (allocated by family): gip6, dip6 (nat_flow.h) */
	uint8_t a6[];
};

ptrdiff_t nat_tcp_a6_off(void)
{
	return (ptrdiff_t)offsetof(struct nat_tcp, a6) -
	       (ptrdiff_t)offsetof(struct nat_tcp, flow);
}

#define NAT_TCP_STATE_MASK 3u
#define NAT_TCP_IN_TABLE 4u

static inline enum nat_tcp_state nat_tcp_state(const struct nat_tcp *t)
{
	return (enum nat_tcp_state)(t->sp.owner_bits & NAT_TCP_STATE_MASK);
}

/* nat_tcp_nat() - the flow's NAT (no pointer to it in every flow) */
static inline struct nat *nat_tcp_nat(struct nat_tcp *t)
{
	return lwst_splice_nat(t->sp.ctx);
}

/* nat_tcp_key() - the flow's whole key */
static void nat_tcp_key(struct nat_tcp *t, struct nat_key *k)
{
	nat_flow_key(&nat_tcp_nat(t)->tcp, &t->flow, k);
}

static inline void nat_tcp_set_state(struct nat_tcp *t, enum nat_tcp_state s)
{
	t->sp.owner_bits =
		(uint8_t)((t->sp.owner_bits & ~NAT_TCP_STATE_MASK) | s);
}

static void nat_tcp_connect_cb(struct splice *sp, int status);
static err_t nat_tcp_accept(void *arg, struct tcp_pcb *newpcb, err_t err);
static void nat_tcp_hs_pcb_freed(u8_t id, void *data);

/*
 * The SYN_RCVD pcb's events: its accept. lwIP's event API reports no
 * error for a pcb that dies in SYN_RCVD (a reset, its SYN-ACKs timing
 * out, an abort): its extension slot watches it (lwst_tcp_watch()).
 */
static const struct lwst_tcp_ops nat_tcp_hs_tcp = {
	.accept = nat_tcp_accept,
};
static const struct tcp_ext_arg_callbacks nat_tcp_hs_watch = {
	.destroy = nat_tcp_hs_pcb_freed,
};

int nat_tcp_init(struct nat *nat)
{
	nat->n_listener_buckets = 1024;
	nat->listeners =
		calloc(nat->n_listener_buckets, sizeof(*nat->listeners));
	return nat->listeners ? 0 : -ENOMEM;
}

static size_t nat_lhash(struct nat *nat, uint32_t ip, uint16_t port)
{
	return ((ip * 2654435761u) ^ port) & (nat->n_listener_buckets - 1);
}

/* nat_listener_key() - the destination end of flow @k */
static void nat_listener_key(struct nat_key *lk, const struct nat_key *k)
{
	memset(lk, 0, sizeof(*lk));
	lk->dip = k->dip;
	lk->dport = k->dport;
	lk->v6 = k->v6;
	memcpy(lk->dip6, k->dip6, 16);
}

static struct nat_tcp_listener *nat_listener_get(struct nat *nat,
						 const struct nat_key *k)
{
	struct nat_tcp_listener **b =
		&nat->listeners[nat_lhash(nat, k->dip, k->dport)];
	struct nat_tcp_listener *l;
	struct tcp_pcb *pcb, *lpcb;
	struct nat_key lk;
	ip_addr_t a;

	nat_listener_key(&lk, k);
	for (l = *b; l; l = l->next) {
		if (!memcmp(&l->key, &lk, sizeof(lk))) {
			l->refs++;
			return l;
		}
	}
	pcb = tcp_new_ip_type(k->v6 ? IPADDR_TYPE_V6 : IPADDR_TYPE_V4);
	if (!pcb)
		return NULL;
	ip_set_option(pcb, SOF_REUSEADDR);
	nat_key_ip(k, false, &a);
	if (tcp_bind(pcb, &a, k->dport) != ERR_OK) {
		tcp_abort(pcb);
		return NULL;
	}
	lpcb = tcp_listen_with_backlog(pcb, 255);
	if (!lpcb) {
		tcp_abort(pcb);
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		tcp_close(lpcb);
		return NULL;
	}
	l->key = lk;
	l->refs = 1;
	l->pcb = lpcb;
	/* no argument: a SYN_RCVD pcb gets its flow's hs, or is refused */
	tcp_arg(lpcb, NULL);
	l->next = *b;
	*b = l;
	return l;
}

static void nat_listener_put(struct nat *nat, struct nat_tcp_listener *l)
{
	struct nat_tcp_listener **pp;

	if (--l->refs > 0)
		return;
	for (pp = &nat->listeners[nat_lhash(nat, l->key.dip, l->key.dport)];
	     *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	tcp_close(l->pcb);
	free(l);
}

static void nat_tcp_ho_add(struct nat *nat, struct nat_tcp_hs *hs)
{
	hs->half_open = true;
	hs->ho_next = NULL;
	hs->ho_prev = nat->ho_tail;
	if (nat->ho_tail)
		nat->ho_tail->ho_next = hs;
	else
		nat->ho_head = hs;
	nat->ho_tail = hs;
	nat->n_half_open++;
}

static void nat_tcp_ho_del(struct nat *nat, struct nat_tcp_hs *hs)
{
	if (!hs->half_open)
		return;
	hs->half_open = false;
	if (hs->ho_prev)
		hs->ho_prev->ho_next = hs->ho_next;
	else
		nat->ho_head = hs->ho_next;
	if (hs->ho_next)
		hs->ho_next->ho_prev = hs->ho_prev;
	else
		nat->ho_tail = hs->ho_prev;
	hs->ho_prev = hs->ho_next = NULL;
	nat->n_half_open--;
}

/*
 * nat_tcp_hs_end() - the handshake is over (done or abandoned): give back
 * what it holds; free it unless its connect callback is still to come.
 */
static void nat_tcp_hs_end(struct nat_tcp *t)
{
	struct nat_tcp_hs *hs = t->hs;

	if (!hs)
		return;
	nat_tcp_ho_del(nat_tcp_nat(t), hs);
	if (hs->listener) {
		nat_listener_put(nat_tcp_nat(t), hs->listener);
		hs->listener = NULL;
	}
	if (hs->syn) {
		pbuf_free(hs->syn);
		hs->syn = NULL;
	}
	if (hs->pcb) {
		tcp_arg(hs->pcb, NULL);
		lwst_tcp_unwatch(hs->pcb);
		tcp_abort(hs->pcb);
		hs->pcb = NULL;
	}
	if (!hs->connecting) {
		free(hs);
		t->hs = NULL;
	}
}

static void nat_tcp_untable(struct nat_tcp *t)
{
	struct nat *nat = nat_tcp_nat(t);

	if (t->sp.owner_bits & NAT_TCP_IN_TABLE) {
		nat_table_remove(&nat->tcp, &t->flow);
		t->sp.owner_bits &= (uint8_t)~NAT_TCP_IN_TABLE;
		nat->cnt.tcp.flows_open--;
	}
}

/* The splice closed its host handle: the flow is gone. */
static void nat_tcp_closed(struct splice *sp)
{
	struct nat_tcp *t = splice_container_of(sp, struct nat_tcp, sp);

	nat_tcp_untable(t);
	free(t->hs); /* NULL: a connect callback runs before this one */
	free(t);
}

/* nat_tcp_count() - the NAT's TCP byte counters (splice_ops.count) */
static void nat_tcp_count(struct splice *sp, bool to_guest, size_t n)
{
	struct nat *nat = lwst_splice_nat(sp->ctx);

	if (to_guest)
		nat->cnt.tcp.bytes_to_guest += n;
	else
		nat->cnt.tcp.bytes_to_host += n;
}

static const struct splice_ops nat_tcp_splice_ops = {
	.tcp = SPLICE_TCP_OPS,
	.closed = nat_tcp_closed,
	.connected = nat_tcp_connect_cb,
	.count = nat_tcp_count,
};

static void nat_tcp_close(struct nat_tcp *t, bool reset)
{
	if (nat_tcp_state(t) == NAT_TCP_CLOSED)
		return;
	nat_tcp_set_state(t, NAT_TCP_CLOSED);
	nat_tcp_untable(t);
	nat_tcp_hs_end(t);
	splice_close(&t->sp, reset);
}

static void nat_tcp_rst_syn(struct nat *nat, struct nat_pkt *pk)
{
	struct tcp_hdr *th =
		(struct tcp_hdr *)((uint8_t *)pk->p->payload + pk->hlen);
	ip_addr_t src, dst;
	u32_t seq;

	(void)nat;
	if (pk->p->len < pk->hlen + TCP_HLEN)
		return;
	seq = lwip_ntohl(th->seqno);
	nat_pkt_ip(pk, true, &src);
	nat_pkt_ip(pk, false, &dst);
	/* from the destination to the guest: ACK the SYN, then reset */
	tcp_rst(NULL, 0, seq + 1, &dst, &src, lwip_ntohs(th->dest),
		lwip_ntohs(th->src));
}

void nat_tcp_refuse(struct nat *nat, struct nat_pkt *pk)
{
	const uint8_t *th = (const uint8_t *)pk->p->payload + pk->hlen;

	nat->cnt.tcp.refused++;
	if (pk->p->len >= pk->hlen + TCP_HLEN &&
	    (th[13] & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN)
		nat_tcp_rst_syn(nat, pk);
	pbuf_free(pk->p);
}

/* the packet view of a flow's held SYN */
static void nat_tcp_syn_pkt(struct nat_tcp *t, struct nat_pkt *pk)
{
	pk->p = t->hs->syn;
	pk->inp = nat_tcp_nat(t)->netif;
	pk->hlen = t->hs->syn_hlen;
	pk->src = t->flow.key.gip;
	pk->dst = t->flow.key.dip;
	pk->proto = IP_PROTO_TCP;
	pk->v6 = t->flow.key.v6;
	if (pk->v6) {
		memcpy(pk->src6, t->a6, 16);
		memcpy(pk->dst6, t->a6 + 16, 16);
	}
}

/*
 * nat_tcp_reset() - reset flow @t to make room: the guest gets a RST for
 * its SYN (CONNECTING) or lwIP's abort sends one (HANDSHAKE, OPEN).
 */
static void nat_tcp_reset(struct nat *nat, struct nat_tcp *t)
{
	struct nat_pkt pk;

	if (nat_tcp_state(t) == NAT_TCP_CONNECTING && t->hs && t->hs->syn) {
		nat_tcp_syn_pkt(t, &pk);
		nat_tcp_rst_syn(nat, &pk);
	}
	nat_tcp_close(t, true);
}

/* nat_tcp_evict_half_open() - reset the oldest half-open flow. */
static void nat_tcp_evict_half_open(struct nat *nat)
{
	nat->cnt.half_open_evicted++;
	log_rl("nat: %u TCP connections half-open (the bound), the oldest "
	       "is reset",
	       nat->n_half_open);
	nat_tcp_reset(nat, nat->ho_head->t);
}

/*
 * nat_tcp_evict_for_vm() - a SYN of a VM under its share of a full table
 * shared with other VMs: a connection of the VM holding the most is reset
 * (nat_table_vm_victim()).
 */
static void nat_tcp_evict_for_vm(struct nat *nat, const struct nat_key *k)
{
	struct nat_flow *f = nat_table_vm_victim(&nat->tcp, k->vm);

	if (!f)
		return;
	nat->cnt.vm_share_evicted++;
	log_rl("nat: %zu TCP flows shared by %u VMs (the bound), one of the "
	       "VM holding the most is reset",
	       nat->tcp.n_flows, nat->tcp.n_vms);
	nat_tcp_reset(nat, splice_container_of(f, struct nat_tcp, flow));
}

/* nat_tcp_to_lwip() - feed a TCP segment (IP header in front) to lwIP. */
static void nat_tcp_to_lwip(struct nat_pkt *pk)
{
	nat_set_ip_data(pk);
	if (pbuf_remove_header(pk->p, pk->hlen))
		pbuf_free(pk->p);
	else
		tcp_input(pk->p, pk->inp);
	nat_clear_ip_data();
}

static void nat_tcp_connect_cb(struct splice *sp, int status)
{
	struct nat_tcp *t = splice_container_of(sp, struct nat_tcp, sp);
	struct nat_tcp_hs *hs = t->hs;
	struct nat *nat = nat_tcp_nat(t);
	struct nat_pkt pk;
	struct nat_key k;
	struct tcp_pcb *pcb;
	ip_addr_t gip, dip;

	hs->connecting = false;
	if (nat_tcp_state(t) != NAT_TCP_CONNECTING) {
		/* closed meanwhile: nat_tcp_hs_end() left hs to us */
		free(hs);
		t->hs = NULL;
		return;
	}
	nat_tcp_syn_pkt(t, &pk);
	nat_tcp_key(t, &k);
	if (status < 0) {
		char a[INET6_ADDRSTRLEN];

		nat->cnt.tcp.refused++;
		log_debug("nat: tcp connect to %s:%u failed: %s",
			  nat_key_str(&k, false, a), k.dport,
			  uv_strerror(status));
		nat_tcp_rst_syn(nat, &pk);
		nat_tcp_close(t, false);
		return;
	}
	hs->listener = nat_listener_get(nat, &k);
	if (!hs->listener) {
		log_rl("nat: cannot create a listening pcb, connection reset");
		nat_tcp_rst_syn(nat, &pk);
		nat_tcp_close(t, true);
		return;
	}
	hs->syn = NULL;
	nat_tcp_set_state(t, NAT_TCP_HANDSHAKE);
	nat_key_ip(&k, true, &gip);
	nat_key_ip(&k, false, &dip);
	if (tcp_tw_pcbs) /* the guest reuses a port lwIP still holds */
		lwst_tcp_tw_reuse(nat->st, &gip, k.gport, &dip, k.dport);
	nat_tcp_to_lwip(&pk);
	/*
	 * lwIP put the new SYN_RCVD pcb at the head of the active list; no
	 * walk of the list per SYN. Not there: lwIP dropped the SYN (its
	 * listener's backlog is full).
	 */
	pcb = tcp_active_pcbs;
	if (pcb && !lwst_pcb_of_pair(pcb, &gip, t->flow.key.gport, &dip,
				     t->flow.key.dport))
		pcb = NULL;
	if (!pcb || pcb->state != SYN_RCVD) {
		nat_tcp_close(t, true);
		return;
	}
	/* the accept event receives the new pcb's arg: this handshake */
	hs->pcb = pcb;
	tcp_arg(pcb, hs);
	lwst_tcp_watch(pcb, &nat_tcp_hs_watch, hs);
}

/* lwIP freed the SYN_RCVD pcb (from inside lwIP): no handshake */
static void nat_tcp_hs_pcb_freed(u8_t id, void *data)
{
	struct nat_tcp_hs *hs = data;

	(void)id;
	if (!hs)
		return;
	hs->pcb = NULL;
	nat_tcp_close(hs->t, true);
}

static err_t nat_tcp_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
	struct nat_tcp_hs *hs = arg;
	struct nat_tcp *t = hs->t;

	if (err != ERR_OK || hs->pcb != newpcb) {
		/* not this handshake's pcb (cannot happen): no events to hs */
		tcp_arg(newpcb, NULL);
		if (hs->pcb == newpcb) {
			nat_tcp_close(t, true); /* aborts it */
			return ERR_ABRT;
		}
		tcp_abort(newpcb);
		return ERR_ABRT;
	}
	lwst_tcp_unwatch(newpcb);
	hs->pcb = NULL; /* the splice's now */
	nat_tcp_hs_end(t);
	nat_tcp_set_state(t, NAT_TCP_OPEN);
	ip_set_option(newpcb, SOF_KEEPALIVE);
	newpcb->keep_idle = NAT_TCP_KEEPIDLE_MS;
	splice_keepalive(&t->sp, NAT_TCP_KEEPIDLE_MS / 1000);
	splice_start(&t->sp, newpcb);
	return ERR_OK;
}

/* nat_tcp_new() - a SYN for an unknown flow: start the host connect. */
static void nat_tcp_new(struct nat *nat, struct nat_pkt *pk,
			const struct nat_key *k)
{
	struct sockaddr_storage sa;
	struct nat_tcp_hs *hs;
	struct nat_tcp *t;
	char a[INET6_ADDRSTRLEN];
	int r;

	if (nat_table_vm_over(&nat->tcp, k->vm)) {
		nat->cnt.vm_share_refused++;
		log_rl("nat: the VM of %s holds its share of TCP flows (%zu "
		       "of %zu, %u VMs), connection refused",
		       nat_key_str(k, true, a),
		       nat_table_vm_share(&nat->tcp, k->vm), nat->tcp.max_flows,
		       nat->tcp.n_vms);
		nat_tcp_refuse(nat, pk);
		return;
	}
	nat_tcp_evict_for_vm(nat, k);
	if (nat->n_half_open && (nat->n_half_open >= nat->lim.half_open ||
				 nat_table_full(&nat->tcp)))
		nat_tcp_evict_half_open(nat);
	if (nat_table_full(&nat->tcp)) {
		nat->cnt.limit_hits++;
		log_rl("nat: %zu TCP flows (at most %zu; %zu of %zu NAT flows "
		       "in all), connection from %s refused",
		       nat->tcp.n_flows, nat->tcp.max_flows, nat->pool.used,
		       nat->pool.budget, nat_key_str(k, true, a));
		nat_tcp_refuse(nat, pk);
		return;
	}
	t = calloc(1, sizeof(*t) + (k->v6 ? NAT_ADDR6_LEN : 0));
	hs = calloc(1, sizeof(*hs));
	if (!t || !hs) {
		free(t);
		free(hs);
		nat->cnt.tcp.dropped++;
		pbuf_free(pk->p);
		return;
	}
	t->hs = hs;
	hs->tcp = &nat_tcp_hs_tcp;
	hs->t = t;
	splice_init(&t->sp, lwst_splice_ctx(nat->st), &nat_tcp_splice_ops,
		    false);
	nat_flow_set_key(&nat->tcp, &t->flow, k);
	r = nat_table_insert(&nat->tcp, &t->flow, uv_now(nat->loop));
	if (r < 0) { /* full, or a duplicate: neither can happen here */
		nat_tcp_refuse(nat, pk);
		nat_tcp_set_state(t, NAT_TCP_CLOSED);
		splice_close(&t->sp, false); /* nat_tcp_closed() frees it */
		return;
	}
	t->sp.owner_bits |= NAT_TCP_IN_TABLE;
	nat_tcp_ho_add(nat, hs);
	nat->cnt.tcp.flows_open++;
	nat->cnt.tcp.flows_total++;
	if (log_debug_on(LOG_SS_NAT)) {
		char g[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

		log_debug("nat: tcp flow %s:%u -> %s:%u",
			  nat_key_str(k, true, g), k->gport,
			  nat_key_str(k, false, d), k->dport);
	}
	hs->syn = pk->p;
	hs->syn_hlen = pk->hlen;
	nat_tcp_set_state(t, NAT_TCP_CONNECTING);
	nat_host_sockaddr(nat, k, &sa);
	r = splice_connect(&t->sp, (struct sockaddr *)&sa);
	hs->connecting = r == 0;
	if (r < 0) {
		nat->cnt.tcp.refused++;
		hs->syn = NULL; /* still owned by the caller's packet */
		nat_tcp_rst_syn(nat, pk);
		pbuf_free(pk->p);
		nat_tcp_close(t, false);
	}
}

void nat_tcp_input(struct nat *nat, struct nat_pkt *pk)
{
	const uint8_t *th;
	struct nat_flow *f;
	struct nat_key k;
	uint8_t flags;

	if (pk->p->len < pk->hlen + TCP_HLEN) {
		/* only a reassembled packet can split its header */
		nat->cnt.tcp.dropped++;
		pbuf_free(pk->p);
		return;
	}
	th = (const uint8_t *)pk->p->payload + pk->hlen;
	flags = th[13] & (TCP_SYN | TCP_ACK | TCP_RST);
	if (flags != TCP_SYN) {
		nat_tcp_to_lwip(pk); /* lwIP finds the pcb, or answers RST */
		return;
	}
	nat_key_from_pkt(&k, pk, IP_PROTO_TCP, be16_get(th), be16_get(th + 2));
	f = nat_table_find(&nat->tcp, &k);
	if (!f) {
		k.vm = lwst_input_vm(nat->st);
		nat_tcp_new(nat, pk, &k);
		return;
	}
	if (nat_tcp_state(splice_container_of(f, struct nat_tcp, flow)) ==
	    NAT_TCP_CONNECTING) {
		pbuf_free(pk->p); /* a retransmitted SYN while we connect */
		return;
	}
	nat_tcp_to_lwip(pk);
}

void nat_tcp_fini(struct nat *nat)
{
	struct nat_flow *f;

	while ((f = nat_table_oldest(&nat->tcp)))
		nat_tcp_close(splice_container_of(f, struct nat_tcp, flow),
			      true);
}
