/*
 * nat_icmp.c - the guest's ICMP echo to any address, sent by the host
 * through unprivileged ping sockets (SOCK_DGRAM, IPPROTO_ICMP). The kernel
 * replaces the echo identifier with the socket's own, so each flow (guest
 * address, identifier, destination) has its own socket and replies get
 * the guest's identifier back before they are sent to the guest from the
 * pinged address. Hosts that forbid ping sockets
 * (net.ipv4.ping_group_range) use one shared raw socket instead if
 * qcw-net could open it at start (nat_icmp_raw.c); otherwise they get
 * one clear log line, and the echoes are dropped and counted. The table is bounded like UDP's: when it is full
 * the least recently used flow is closed for the new one.
 */
#include "net/lwip/nat_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lwip/inet_chksum.h"
#include "lwip/prot/icmp.h"

#include "util/log.h"
#include "util/be.h"

struct nat_icmp {
	struct nat_flow flow; /* first; gport = guest's echo id */
	struct nat *nat;
	uv_udp_t sock;
	bool closing;
};

static void nat_icmp_closed_cb(uv_handle_t *h)
{
	free(h->data);
}

static void nat_icmp_close(struct nat_icmp *c)
{
	if (c->closing)
		return;
	c->closing = true;
	nat_table_remove(&c->nat->icmp, &c->flow);
	c->nat->cnt.icmp.flows_open--;
	uv_close((uv_handle_t *)&c->sock, nat_icmp_closed_cb);
}

static void nat_icmp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct nat_icmp *c = h->data;

	(void)suggested;
	buf->base = (char *)c->nat->buf;
	buf->len = 65535;
}

static void nat_icmp_recv_cb(uv_udp_t *s, ssize_t n, const uv_buf_t *buf,
			     const struct sockaddr *addr, unsigned flags)
{
	struct nat_icmp *c = s->data;
	struct nat *nat = c->nat;
	struct icmp_echo_hdr *ih;
	struct pbuf *p;

	if (n <= 0 || !addr || c->closing || (flags & UV_UDP_PARTIAL))
		return;
	if ((size_t)n < sizeof(*ih) || buf->base[0] != ICMP_ER)
		return;
	p = pbuf_alloc(PBUF_IP, (u16_t)n, PBUF_RAM);
	if (!p) {
		nat->cnt.icmp.dropped++;
		return;
	}
	memcpy(p->payload, buf->base, (size_t)n);
	ih = p->payload;
	ih->id = lwip_htons(c->flow.key.gport);
	ih->chksum = 0;
	ih->chksum = inet_chksum_pbuf(p);
	nat->cnt.icmp.bytes_to_guest += (uint64_t)n;
	nat_table_touch(&nat->icmp, &c->flow, uv_now(nat->loop));
	nat_output(nat, p, c->flow.key.dip, c->flow.key.gip, IP_PROTO_ICMP);
}

static struct nat_icmp *nat_icmp_new(struct nat *nat, const struct nat_key *k)
{
	struct nat_icmp *c;
	int fd, r;

	if (nat_table_full(&nat->icmp)) {
		nat->cnt.icmp_evicted++;
		log_rl("nat: %zu ICMP echo flows (the bound), the least "
		       "recently used one is closed",
		       nat->icmp.n_flows);
		nat_icmp_close((struct nat_icmp *)nat_table_oldest(&nat->icmp));
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    IPPROTO_ICMP);
	if (fd < 0) {
		if (!nat->icmp_denied_logged) {
			nat->icmp_denied_logged = true;
			log_warn("nat: ICMP echo is not forwarded: the host "
				 "does not allow unprivileged ping sockets "
				 "(%s; see sysctl net.ipv4.ping_group_range)",
				 strerror(errno));
		}
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return NULL;
	}
	c->nat = nat;
	c->flow.key = *k;
	if (nat_table_insert(&nat->icmp, &c->flow, uv_now(nat->loop)) < 0) {
		close(fd);
		free(c);
		return NULL;
	}
	nat->cnt.icmp.flows_open++;
	nat->cnt.icmp.flows_total++;
	uv_udp_init(nat->loop, &c->sock);
	c->sock.data = c;
	r = uv_udp_open(&c->sock, fd);
	if (r == 0)
		r = uv_udp_recv_start(&c->sock, nat_icmp_alloc_cb,
				      nat_icmp_recv_cb);
	if (r < 0) {
		nat_icmp_close(c);
		return NULL;
	}
	return c;
}

/*
 * nat_icmp_echo() - the guest's echo request in @pk: its flow key and the
 * ICMP message as one buffer (in the pbuf, or flattened into nat->buf when
 * reassembled). 1 for an echo request, 0 for another type (not
 * forwarded), -1 when malformed.
 */
static int nat_icmp_echo(struct nat *nat, struct nat_pkt *pk, struct nat_key *k,
			 uint8_t **msg, size_t *len)
{
	struct pbuf *p = pk->p;
	uint8_t *ih;

	*len = (size_t)p->tot_len - pk->hlen;
	if (*len < 8 || p->len < pk->hlen + 8)
		return -1;
	ih = (uint8_t *)p->payload + pk->hlen;
	if (ih[0] != ICMP_ECHO)
		return 0;
	k->gip = pk->src;
	k->dip = pk->dst;
	k->gport = be16_get(ih + 4);
	k->dport = 0;
	k->proto = IP_PROTO_ICMP;
	if (p->next) {
		/* a reassembled echo: flatten into the shared buffer */
		if (*len > sizeof(nat->buf) ||
		    pbuf_copy_partial(p, nat->buf, (u16_t)*len, pk->hlen) !=
			    *len)
			return -1;
		ih = nat->buf;
	}
	*msg = ih;
	return 1;
}

/* nat_icmp_sock_send() - @msg out through the flow's ping socket. */
static void nat_icmp_sock_send(struct nat *nat, const struct nat_key *k,
			       uint8_t *msg, size_t len)
{
	struct sockaddr_in sa;
	struct nat_icmp *c;
	uv_buf_t b;

	c = (struct nat_icmp *)nat_table_find(&nat->icmp, k);
	if (!c)
		c = nat_icmp_new(nat, k);
	if (!c) {
		nat->cnt.icmp.dropped++;
		return;
	}
	nat_table_touch(&nat->icmp, &c->flow, uv_now(nat->loop));
	b = uv_buf_init((char *)msg, (unsigned int)len);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(nat_host_addr(nat, k->dip));
	if (uv_udp_try_send(&c->sock, &b, 1, (struct sockaddr *)&sa) < 0)
		nat->cnt.icmp.dropped++;
	else
		nat->cnt.icmp.bytes_to_host += len;
}

void nat_icmp_input(struct nat *nat, struct nat_pkt *pk)
{
	struct nat_key k;
	uint8_t *msg;
	size_t len;
	int r;

	r = nat_icmp_echo(nat, pk, &k, &msg, &len);
	if (r < 0)
		nat->cnt.icmp.dropped++;
	else if (r > 0 && nat->icmp_raw)
		nat_icmp_raw_send(nat, &k, msg, len);
	else if (r > 0)
		nat_icmp_sock_send(nat, &k, msg, len);
	pbuf_free(pk->p);
}

void nat_icmp_sweep(struct nat *nat, uint64_t now)
{
	struct nat_flow *f;

	if (nat->icmp_raw)
		nat_icmp_raw_sweep(nat, now);
	while ((f = nat_table_oldest(&nat->icmp)) &&
	       nat_flow_expired(&nat->icmp, f, now, NAT_ICMP_IDLE_MS))
		nat_icmp_close((struct nat_icmp *)f);
}

void nat_icmp_fini(struct nat *nat)
{
	struct nat_flow *f;

	if (nat->icmp_raw)
		nat_icmp_raw_fini(nat);
	while ((f = nat_table_oldest(&nat->icmp)))
		nat_icmp_close((struct nat_icmp *)f);
}
