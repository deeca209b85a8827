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
 * Flow control: guest->host data is written with uv_try_write and only
 * acknowledged to lwIP (tcp_recved, which reopens the window) once the
 * host socket took it; when the socket is full, up to NAT_TCP_QUEUE
 * received chains wait for one embedded uv_write, and further data is
 * refused back to lwIP (which holds it and shrinks the window).
 * host->guest: a read never asks for more than lwIP's send buffer can
 * take, so tcp_write never fails for space; reads pause while the send
 * buffer is full or the switch's queue to the VM is congested.
 */
#include "nat_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/tcp.h"
#include "lwip/tcp.h"

#include "log.h"

#define NAT_TCP_QUEUE 64
#define NAT_TCP_MAX_IOV 64
#define NAT_TCP_KEEPIDLE_MS 60000
#define NAT_TCP_KEEPINTVL_MS 10000
#define NAT_TCP_KEEPCNT 6

enum nat_tcp_state {
	NAT_TCP_CONNECTING,
	NAT_TCP_HANDSHAKE,
	NAT_TCP_OPEN,
	NAT_TCP_CLOSED,
};

struct nat_tcp_listener {
	struct nat_tcp_listener *next;
	uint32_t ip;
	uint16_t port;
	unsigned int refs;
	struct tcp_pcb *pcb;
};

struct nat_tcp {
	struct nat_flow flow; /* first */
	struct nat *nat;
	enum nat_tcp_state state;
	struct tcp_pcb *pcb;
	struct nat_tcp_listener *listener; /* held during HANDSHAKE */
	struct pbuf *syn; /* CONNECTING: the held SYN (whole IP packet) */
	uint16_t syn_hlen;
	uv_tcp_t host;
	uv_connect_t creq;
	uv_write_t wreq;
	uv_shutdown_t sreq;
	struct pbuf *q[NAT_TCP_QUEUE]; /* guest->host chains not yet written */
	uint8_t qn;
	uint16_t q_off; /* bytes of q[0] already written */
	size_t inflight; /* bytes in the uv_write request */
	bool writing;
	bool in_table;
	bool guest_eof; /* FIN from the guest */
	bool host_shut; /* host write side shut down */
	bool host_eof; /* EOF from the host; FIN queued to the guest */
	bool reading;
	bool read_blocked; /* on nat->blocked */
	bool aborted; /* tcp_abort() was called on our pcb */
	bool dirty; /* on nat->dirty: queued data to write this iteration */
	struct nat_tcp *dnext;
	struct nat_tcp *bnext;
};

static void nat_tcp_close(struct nat_tcp *t, bool reset_host);
static void nat_tcp_flush(struct nat_tcp *t);
static void nat_tcp_start_read(struct nat_tcp *t);
static void nat_tcp_err_cb(void *arg, err_t err);

static void nat_tcp_flush_cb(uv_check_t *h)
{
	struct nat *nat = h->data;

	uv_check_stop(h);
	while (nat->dirty) {
		struct nat_tcp *t = nat->dirty;

		nat->dirty = t->dnext;
		t->dirty = false;
		nat_tcp_flush(t);
		if (t->pcb && t->pcb->refused_data && t->qn < NAT_TCP_QUEUE)
			tcp_process_refused_data(t->pcb);
	}
}

int nat_tcp_init(struct nat *nat)
{
	uv_check_init(nat->loop, &nat->flush);
	nat->flush.data = nat;
	uv_unref((uv_handle_t *)&nat->flush);
	nat->n_listener_buckets = 1024;
	nat->listeners = calloc(nat->n_listener_buckets,
				sizeof(*nat->listeners));
	return nat->listeners ? 0 : -ENOMEM;
}

static size_t nat_lhash(struct nat *nat, uint32_t ip, uint16_t port)
{
	return ((ip * 2654435761u) ^ port) & (nat->n_listener_buckets - 1);
}

static err_t nat_tcp_accept(void *arg, struct tcp_pcb *newpcb, err_t err);

static struct nat_tcp_listener *nat_listener_get(struct nat *nat, uint32_t ip,
						 uint16_t port)
{
	struct nat_tcp_listener **b = &nat->listeners[nat_lhash(nat, ip, port)];
	struct nat_tcp_listener *l;
	struct tcp_pcb *pcb, *lpcb;
	ip_addr_t a;

	for (l = *b; l; l = l->next) {
		if (l->ip == ip && l->port == port) {
			l->refs++;
			return l;
		}
	}
	pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
	if (!pcb)
		return NULL;
	ip_set_option(pcb, SOF_REUSEADDR);
	nat_ip_from_host(&a, ip);
	if (tcp_bind(pcb, &a, port) != ERR_OK) {
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
	l->ip = ip;
	l->port = port;
	l->refs = 1;
	l->pcb = lpcb;
	tcp_arg(lpcb, NULL);
	tcp_accept(lpcb, nat_tcp_accept);
	l->next = *b;
	*b = l;
	return l;
}

static void nat_listener_put(struct nat *nat, struct nat_tcp_listener *l)
{
	struct nat_tcp_listener **pp;

	if (--l->refs > 0)
		return;
	for (pp = &nat->listeners[nat_lhash(nat, l->ip, l->port)]; *pp;
	     pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	tcp_close(l->pcb);
	free(l);
}

static void nat_tcp_handle_closed(uv_handle_t *h)
{
	free(h->data);
}

static void nat_tcp_unblock(struct nat_tcp *t)
{
	struct nat_tcp **pp;

	if (!t->read_blocked)
		return;
	for (pp = &t->nat->blocked; *pp; pp = &(*pp)->bnext) {
		if (*pp == t) {
			*pp = t->bnext;
			break;
		}
	}
	t->read_blocked = false;
}

/* nat_tcp_detach_pcb() - forget the lwIP side without touching it. */
static void nat_tcp_detach_pcb(struct nat_tcp *t)
{
	if (!t->pcb)
		return;
	tcp_arg(t->pcb, NULL);
	tcp_recv(t->pcb, NULL);
	tcp_sent(t->pcb, NULL);
	tcp_err(t->pcb, NULL);
	t->pcb = NULL;
}

static void nat_tcp_close(struct nat_tcp *t, bool reset_host)
{
	struct nat *nat = t->nat;
	int i;

	if (t->state == NAT_TCP_CLOSED)
		return;
	t->state = NAT_TCP_CLOSED;
	if (t->in_table) {
		nat_table_remove(&nat->tcp, &t->flow);
		t->in_table = false;
		nat->cnt.tcp.flows_open--;
	}
	nat_tcp_unblock(t);
	if (t->dirty) {
		struct nat_tcp **pp;

		for (pp = &nat->dirty; *pp; pp = &(*pp)->dnext) {
			if (*pp == t) {
				*pp = t->dnext;
				break;
			}
		}
		t->dirty = false;
	}
	if (t->listener) {
		nat_listener_put(nat, t->listener);
		t->listener = NULL;
	}
	if (t->syn) {
		pbuf_free(t->syn);
		t->syn = NULL;
	}
	for (i = 0; i < t->qn; i++)
		pbuf_free(t->q[i]);
	t->qn = 0;
	if (t->pcb) {
		struct tcp_pcb *pcb = t->pcb;

		nat_tcp_detach_pcb(t);
		if (reset_host || tcp_close(pcb) != ERR_OK) {
			t->aborted = true;
			tcp_abort(pcb);
		}
	}
	t->host.data = t;
	if (reset_host && uv_is_active((uv_handle_t *)&t->host))
		uv_tcp_close_reset(&t->host, nat_tcp_handle_closed);
	else if (!uv_is_closing((uv_handle_t *)&t->host))
		uv_close((uv_handle_t *)&t->host, nat_tcp_handle_closed);
}

/* nat_tcp_maybe_done() - both directions finished: close gracefully. */
static void nat_tcp_maybe_done(struct nat_tcp *t)
{
	if (t->state != NAT_TCP_OPEN || !t->guest_eof || !t->host_eof ||
	    t->qn || t->writing)
		return;
	nat_tcp_close(t, false);
}

static void nat_tcp_rst_syn(struct nat *nat, struct nat_pkt *pk)
{
	struct tcp_hdr *th =
		(struct tcp_hdr *)((uint8_t *)pk->p->payload + pk->hlen);
	ip_addr_t src, dst;
	u32_t seq;

	if (pk->p->len < pk->hlen + TCP_HLEN)
		return;
	seq = lwip_ntohl(th->seqno);
	nat_ip_from_host(&src, pk->src);
	nat_ip_from_host(&dst, pk->dst);
	/* from the destination to the guest: ACK the SYN, then reset */
	tcp_rst(NULL, 0, seq + 1, &dst, &src, lwip_ntohs(th->dest),
		lwip_ntohs(th->src));
}

/* nat_tcp_to_lwip() - feed a TCP segment (IP header in front) to lwIP. */
static void nat_tcp_to_lwip(struct nat_pkt *pk)
{
	nat_set_ip_data(pk);
	if (pbuf_remove_header(pk->p, pk->hlen)) {
		pbuf_free(pk->p);
	} else {
		tcp_input(pk->p, pk->inp);
	}
	nat_clear_ip_data();
}

static void nat_tcp_connect_cb(uv_connect_t *req, int status)
{
	struct nat_tcp *t = req->data;
	struct nat *nat = t->nat;
	struct nat_pkt pk;
	struct tcp_pcb *pcb;
	ip_addr_t gip, dip;

	if (t->state != NAT_TCP_CONNECTING)
		return; /* closed meanwhile */
	pk.p = t->syn;
	pk.inp = nat->netif;
	pk.hlen = t->syn_hlen;
	pk.src = t->flow.key.gip;
	pk.dst = t->flow.key.dip;
	pk.proto = IP_PROTO_TCP;
	if (status < 0) {
		char a[16];

		nat->cnt.tcp.refused++;
		log_debug("nat: tcp connect to %s:%u failed: %s",
			  netcfg_ip_str(nat_host_addr(nat, t->flow.key.dip), a),
			  t->flow.key.dport, uv_strerror(status));
		nat_tcp_rst_syn(nat, &pk);
		nat_tcp_close(t, false);
		return;
	}
	t->listener = nat_listener_get(nat, t->flow.key.dip, t->flow.key.dport);
	if (!t->listener) {
		log_rl("nat: cannot create a listening pcb, connection reset");
		nat_tcp_rst_syn(nat, &pk);
		nat_tcp_close(t, true);
		return;
	}
	t->syn = NULL;
	t->state = NAT_TCP_HANDSHAKE;
	nat_tcp_to_lwip(&pk);
	/* lwIP put the new SYN_RCVD pcb at the head of the active list */
	nat_ip_from_host(&gip, t->flow.key.gip);
	nat_ip_from_host(&dip, t->flow.key.dip);
	for (pcb = tcp_active_pcbs; pcb; pcb = pcb->next) {
		if (pcb->remote_port == t->flow.key.gport &&
		    pcb->local_port == t->flow.key.dport &&
		    ip_addr_cmp(&pcb->remote_ip, &gip) &&
		    ip_addr_cmp(&pcb->local_ip, &dip))
			break;
	}
	if (!pcb || pcb->state != SYN_RCVD) {
		nat_tcp_close(t, true);
		return;
	}
	t->pcb = pcb;
	tcp_arg(pcb, t);
	tcp_err(pcb, nat_tcp_err_cb);
}

static void nat_tcp_err_cb(void *arg, err_t err)
{
	struct nat_tcp *t = arg;

	if (!t)
		return;
	/* lwIP already freed the pcb: reset or timeout on the guest side */
	t->pcb = NULL;
	if (t->state == NAT_TCP_HANDSHAKE && t->listener) {
		nat_listener_put(t->nat, t->listener);
		t->listener = NULL;
	}
	log_debug("nat: guest side of a tcp connection ended: %s",
		  err == ERR_RST ? "reset" : "aborted");
	nat_tcp_close(t, true);
}

/* nat_tcp_recved() - reopen the guest's window by @n bytes. */
static void nat_tcp_recved(struct nat_tcp *t, size_t n)
{
	t->nat->cnt.tcp.bytes_to_host += n;
	while (n && t->pcb) {
		u16_t c = n > 0xffff ? 0xffff : (u16_t)n;

		tcp_recved(t->pcb, c);
		n -= c;
	}
}

/* nat_tcp_iov() - iovecs of the queued chains after the written offset. */
static int nat_tcp_iov(struct nat_tcp *t, uv_buf_t *iov, size_t *total)
{
	size_t off = t->q_off;
	int n = 0, i;

	*total = 0;
	for (i = 0; i < t->qn && n < NAT_TCP_MAX_IOV; i++) {
		struct pbuf *q;

		for (q = t->q[i]; q && n < NAT_TCP_MAX_IOV; q = q->next) {
			if (off >= q->len) {
				off -= q->len;
				continue;
			}
			iov[n] = uv_buf_init((char *)q->payload + off,
					     (unsigned int)(q->len - off));
			*total += q->len - off;
			off = 0;
			n++;
		}
	}
	return n;
}

/* nat_tcp_consume() - @n bytes of the queue reached the host socket. */
static void nat_tcp_consume(struct nat_tcp *t, size_t n)
{
	nat_tcp_recved(t, n);
	while (n && t->qn) {
		size_t left = (size_t)t->q[0]->tot_len - t->q_off;

		if (n < left) {
			t->q_off = (uint16_t)(t->q_off + n);
			return;
		}
		n -= left;
		pbuf_free(t->q[0]);
		memmove(&t->q[0], &t->q[1], (size_t)(t->qn - 1) * sizeof(t->q[0]));
		t->qn--;
		t->q_off = 0;
	}
}

static void nat_tcp_shutdown_cb(uv_shutdown_t *req, int status)
{
	(void)req;
	(void)status;
}

static void nat_tcp_write_cb(uv_write_t *req, int status)
{
	struct nat_tcp *t = req->data;

	t->writing = false;
	if (t->state == NAT_TCP_CLOSED)
		return;
	if (status < 0) {
		nat_tcp_close(t, true);
		return;
	}
	nat_tcp_consume(t, t->inflight);
	t->inflight = 0;
	nat_tcp_flush(t);
	/* room again: let lwIP deliver what it held back */
	if (t->pcb && t->pcb->refused_data && t->qn < NAT_TCP_QUEUE)
		tcp_process_refused_data(t->pcb);
}

/* nat_tcp_flush() - write queued guest data to the host socket. */
static void nat_tcp_flush(struct nat_tcp *t)
{
	uv_buf_t iov[NAT_TCP_MAX_IOV];
	size_t total;
	int n, r;

	while (!t->writing && t->qn && t->state == NAT_TCP_OPEN) {
		n = nat_tcp_iov(t, iov, &total);
		r = uv_try_write((uv_stream_t *)&t->host, iov, (unsigned int)n);
		if (r < 0 && r != UV_EAGAIN) {
			nat_tcp_close(t, true);
			return;
		}
		if (r > 0) {
			nat_tcp_consume(t, (size_t)r);
			if ((size_t)r == total)
				continue;
			n = nat_tcp_iov(t, iov, &total);
		}
		t->inflight = total;
		t->writing = true;
		t->wreq.data = t;
		r = uv_write(&t->wreq, (uv_stream_t *)&t->host, iov,
			     (unsigned int)n, nat_tcp_write_cb);
		if (r < 0) {
			t->writing = false;
			nat_tcp_close(t, true);
			return;
		}
	}
	if (!t->qn && !t->writing && t->guest_eof && !t->host_shut &&
	    t->state == NAT_TCP_OPEN) {
		t->host_shut = true;
		t->sreq.data = t;
		uv_shutdown(&t->sreq, (uv_stream_t *)&t->host,
			    nat_tcp_shutdown_cb);
		nat_tcp_maybe_done(t);
	}
}

static err_t nat_tcp_recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
			     err_t err)
{
	struct nat_tcp *t = arg;

	(void)pcb;
	(void)err;
	if (!t) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (!p) {
		t->guest_eof = true;
		nat_tcp_flush(t);
		nat_tcp_maybe_done(t);
		return t->aborted ? ERR_ABRT : ERR_OK;
	}
	if (t->state != NAT_TCP_OPEN) {
		pbuf_free(p);
		return t->aborted ? ERR_ABRT : ERR_OK;
	}
	if (t->qn == NAT_TCP_QUEUE) {
		nat_tcp_flush(t);
		if (t->qn == NAT_TCP_QUEUE)
			return ERR_MEM; /* lwIP keeps it and retries later */
	}
	t->q[t->qn++] = p;
	/*
	 * Write at the end of this loop iteration, so that all segments
	 * from one read of the VM's socket leave in one writev.
	 */
	if (!t->dirty) {
		t->dirty = true;
		t->dnext = t->nat->dirty;
		t->nat->dirty = t;
		uv_check_start(&t->nat->flush, nat_tcp_flush_cb);
	}
	/* a failed write aborted the pcb from inside its callback */
	return t->aborted ? ERR_ABRT : ERR_OK;
}

static void nat_tcp_read_block(struct nat_tcp *t)
{
	if (t->reading) {
		uv_read_stop((uv_stream_t *)&t->host);
		t->reading = false;
	}
	if (!t->read_blocked) {
		t->read_blocked = true;
		t->bnext = t->nat->blocked;
		t->nat->blocked = t;
	}
}

/* nat_tcp_room() - bytes lwIP can take now without failing tcp_write. */
static size_t nat_tcp_room(struct nat_tcp *t)
{
	size_t room, segs, mss;

	if (!t->pcb || t->host_eof)
		return 0;
	room = tcp_sndbuf(t->pcb);
	mss = tcp_mss(t->pcb) ? tcp_mss(t->pcb) : 536;
	if (tcp_sndqueuelen(t->pcb) + 4 >= TCP_SND_QUEUELEN)
		return 0;
	segs = TCP_SND_QUEUELEN - 4 - tcp_sndqueuelen(t->pcb);
	if (room > segs * mss)
		room = segs * mss;
	if (room > NAT_HOST_BUF)
		room = NAT_HOST_BUF;
	return room;
}

static void nat_tcp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct nat_tcp *t = h->data;
	size_t room = nat_tcp_room(t);

	(void)suggested;
	if (sw_congested(stack_switch(t->nat->st)))
		room = 0;
	buf->base = (char *)t->nat->buf;
	buf->len = room;
}

static void nat_tcp_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct nat_tcp *t = s->data;
	err_t e;

	if (n == UV_ENOBUFS) {
		nat_tcp_read_block(t);
		return;
	}
	if (n == 0 || t->state != NAT_TCP_OPEN || !t->pcb)
		return;
	if (n < 0) {
		uv_read_stop(s);
		t->reading = false;
		if (n != UV_EOF) {
			/* host reset: reset the guest too */
			nat_tcp_close(t, true);
			return;
		}
		t->host_eof = true;
		tcp_shutdown(t->pcb, 0, 1);
		nat_tcp_maybe_done(t);
		return;
	}
	t->nat->cnt.tcp.bytes_to_guest += (uint64_t)n;
	for (size_t off = 0; off < (size_t)n;) {
		size_t c = (size_t)n - off;
		u8_t fl = TCP_WRITE_FLAG_COPY;

		if (c > 0xffff) {
			c = 0xffff;
			fl |= TCP_WRITE_FLAG_MORE;
		}
		e = tcp_write(t->pcb, buf->base + off, (u16_t)c, fl);
		if (e != ERR_OK) {
			/* cannot happen: reads are sized to the room */
			log_rl("nat: lwIP refused %zu bytes (%d), connection reset",
			       c, (int)e);
			nat_tcp_close(t, true);
			return;
		}
		off += c;
	}
	tcp_output(t->pcb);
}

static void nat_tcp_start_read(struct nat_tcp *t)
{
	if (t->reading || t->host_eof || t->state != NAT_TCP_OPEN)
		return;
	nat_tcp_unblock(t);
	if (uv_read_start((uv_stream_t *)&t->host, nat_tcp_alloc_cb,
			  nat_tcp_read_cb) == 0)
		t->reading = true;
}

void nat_tcp_resume_all(struct nat *nat)
{
	while (nat->blocked && !sw_congested(stack_switch(nat->st))) {
		struct nat_tcp *t = nat->blocked;

		nat_tcp_unblock(t);
		if (nat_tcp_room(t))
			nat_tcp_start_read(t);
	}
}

static err_t nat_tcp_sent_cb(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct nat_tcp *t = arg;

	(void)pcb;
	(void)len;
	if (t && !t->reading && !t->host_eof && t->state == NAT_TCP_OPEN &&
	    !sw_congested(stack_switch(t->nat->st)) &&
	    nat_tcp_room(t) > tcp_sndbuf(t->pcb) / 2)
		nat_tcp_start_read(t);
	return ERR_OK;
}

static err_t nat_tcp_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
	struct nat_tcp *t = arg;

	if (!t || err != ERR_OK || t->pcb != newpcb) {
		tcp_abort(newpcb);
		return ERR_ABRT;
	}
	nat_listener_put(t->nat, t->listener);
	t->listener = NULL;
	t->state = NAT_TCP_OPEN;
	tcp_nagle_disable(newpcb);
	ip_set_option(newpcb, SOF_KEEPALIVE);
	newpcb->keep_idle = NAT_TCP_KEEPIDLE_MS;
	newpcb->keep_intvl = NAT_TCP_KEEPINTVL_MS;
	newpcb->keep_cnt = NAT_TCP_KEEPCNT;
	tcp_recv(newpcb, nat_tcp_recv_cb);
	tcp_sent(newpcb, nat_tcp_sent_cb);
	uv_tcp_keepalive(&t->host, 1, NAT_TCP_KEEPIDLE_MS / 1000);
	uv_tcp_nodelay(&t->host, 1);
	nat_tcp_start_read(t);
	return ERR_OK;
}

/* nat_tcp_new() - a SYN for an unknown flow: start the host connect. */
static void nat_tcp_new(struct nat *nat, struct nat_pkt *pk,
			const struct nat_key *k)
{
	struct sockaddr_in sa;
	struct nat_tcp *t;
	char a[16];
	int r;

	t = calloc(1, sizeof(*t));
	if (!t) {
		nat->cnt.tcp.dropped++;
		pbuf_free(pk->p);
		return;
	}
	t->nat = nat;
	t->flow.key = *k;
	r = nat_table_insert(&nat->tcp, &t->flow, uv_now(nat->loop));
	if (r < 0) {
		nat->cnt.limit_hits++;
		nat->cnt.tcp.refused++;
		log_rl("nat: guest %s has %u open flows (limit), connection refused",
		       netcfg_ip_str(k->gip, a),
		       nat_table_guest_flows(&nat->tcp, k->gip));
		nat_tcp_rst_syn(nat, pk);
		pbuf_free(pk->p);
		free(t);
		return;
	}
	t->in_table = true;
	nat->cnt.tcp.flows_open++;
	nat->cnt.tcp.flows_total++;
	t->syn = pk->p;
	t->syn_hlen = pk->hlen;
	t->state = NAT_TCP_CONNECTING;
	uv_tcp_init(nat->loop, &t->host);
	t->host.data = t;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(k->dport);
	sa.sin_addr.s_addr = htonl(nat_host_addr(nat, k->dip));
	t->creq.data = t;
	r = uv_tcp_connect(&t->creq, &t->host, (struct sockaddr *)&sa,
			   nat_tcp_connect_cb);
	if (r < 0) {
		nat->cnt.tcp.refused++;
		nat_tcp_rst_syn(nat, pk);
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
	if ((pk->dst & 0xffff0000u) == 0xa9fe0000u &&
	    !nat->cfg->ec2_metadata_access) {
		if (flags == TCP_SYN)
			nat_tcp_rst_syn(nat, pk);
		nat->cnt.tcp.refused++;
		pbuf_free(pk->p);
		return;
	}
	if (flags != TCP_SYN) {
		nat_tcp_to_lwip(pk); /* lwIP finds the pcb, or answers RST */
		return;
	}
	k.gip = pk->src;
	k.dip = pk->dst;
	k.gport = (uint16_t)(th[0] << 8 | th[1]);
	k.dport = (uint16_t)(th[2] << 8 | th[3]);
	k.proto = IP_PROTO_TCP;
	f = nat_table_find(&nat->tcp, &k);
	if (!f) {
		nat_tcp_new(nat, pk, &k);
		return;
	}
	if (((struct nat_tcp *)f)->state == NAT_TCP_CONNECTING) {
		pbuf_free(pk->p); /* a retransmitted SYN while we connect */
		return;
	}
	nat_tcp_to_lwip(pk);
}

void nat_tcp_fini(struct nat *nat)
{
	struct nat_flow *f;

	while ((f = nat_table_oldest(&nat->tcp)))
		nat_tcp_close((struct nat_tcp *)f, true);
}
