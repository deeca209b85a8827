/*
 * slirp_udp.c - the guest's UDP beyond the gateway on the libslirp
 * backend, over IPv4 and IPv6, by sockets of the backend's own instead of
 * libslirp's: libslirp 4.7 keeps each UDP socket 240 s and cannot be told
 * to close one early, so a guest's burst of flows held the fd budget and
 * its own new flows waited minutes; and it takes no IPv6 datagram past
 * its MTU.
 *
 * As lwIP's NAT does it: one socket per flow (guest address and port,
 * destination and port; the table of net/nat_flow.h), connected to the
 * destination (the host alias is the host's loopback) so that only its
 * answers come back, sent to the guest from that destination, in
 * fragments past the MTU. Flows close after NAT_UDP_IDLE_MS idle (10 s
 * under pressure); at the bound (the fd budget's UDP share, and never
 * past the budget with libslirp's sockets) the least recently used one is
 * closed for the new one (UDPEvicted), so a flood never locks the guest
 * out. A host port that refuses (ICMP port unreachable, seen as
 * ECONNREFUSED) is told to the guest as libslirp tells it: an ICMP port
 * unreachable quoting the flow's last datagram.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/pkt.h"
#include "net/pkt6.h"
#include "net/slirp/slirp_priv.h"
#include "util/be.h"
#include "util/log.h"

#define LOG_SUBSYS LOG_SS_NAT

#define UDP_RX_BATCH 16
#define UDP_MAX_PAYLOAD (65535 - 8) /* over IPv6; IPv4 stops at 65507 */
#define UDP_RX_HDR (14 + 40 + 8) /* room for the IPv6 headers */
#define UDP_QUOTE_MAX (60 + 8) /* an IPv4 header with options, UDP's */

struct slirp_udp {
	struct nat_flow flow; /* first: the table's */
	struct nat_lru lru;
	uint8_t a6[NAT_ADDR6_LEN]; /* IPv6: the guest's, the destination's */
	uv_poll_t poll;
	struct slirp_stack *st;
	int fd;
	uint8_t mac[6]; /* the guest's */
	uint8_t quote_len;
	uint8_t quote[UDP_QUOTE_MAX]; /* last datagram's IP and UDP headers */
};

static struct slirp_udp *udp_of(struct nat_flow *f)
{
	return (struct slirp_udp *)((char *)f -
				    offsetof(struct slirp_udp, flow));
}

int slirp_udp_init(struct slirp_stack *st)
{
	unsigned int max = st->lim.udp ? st->lim.udp : 1;

	return nat_table_init(&st->udp, nat_buckets(max), max,
			      NAT_FLOW_OFF(struct slirp_udp, a6),
			      NAT_FLOW_OFF(struct slirp_udp, lru));
}

static void udp_closed(uv_handle_t *h)
{
	struct slirp_udp *u = h->data;
	struct slirp_stack *st = u->st;

	free(u);
	slirp_close_done(st);
}

/*
 * udp_release() - the flow's handle closes; its fd at once (libuv allows
 * it after uv_close()), so a flood's evictions never hold two fds a flow
 */
static void udp_release(struct slirp_stack *st, struct slirp_udp *u)
{
	st->pending++;
	uv_close((uv_handle_t *)&u->poll, udp_closed);
	close(u->fd);
}

static void udp_close(struct slirp_stack *st, struct slirp_udp *u)
{
	nat_table_remove(&st->udp, &u->flow);
	st->nat.udp.flows_open--;
	udp_release(st, u);
}

/* udp_refused() - the host port refused: ICMP port unreachable to the guest */
static void udp_refused(struct slirp_stack *st, struct slirp_udp *u)
{
	struct nat_key k;
	size_t n = 0;

	st->nat.udp.refused++;
	if (!u->quote_len)
		return;
	nat_flow_key(&st->udp, &u->flow, &k);
	if (!k.v6) {
		n = slirp_build_unreach4(st->buf, st->buf_cap, u->mac,
					 st->cfg.gw_mac, k.dip, k.gip, u->quote,
					 u->quote_len);
	} else {
		uint8_t fake[14 + 40 + 8] = {0};
		struct slirp_pkt q = {0};

		memcpy(fake + 6, u->mac, 6);
		memcpy(fake + 14, u->quote, 48);
		q.ip6 = fake + 14;
		q.src6 = fake + 14 + 8;
		q.l4 = fake + 14 + 40;
		q.l4len = 8;
		n = slirp_build_unreach6(st->buf, st->buf_cap, fake, &q,
					 st->cfg.gw_mac, k.dip6, 4);
	}
	if (n) {
		sw_output_buf(st->env.sw, st->buf, n);
		st->sent = true;
	}
}

/* udp_to_guest() - @n bytes the host sent, at st->udp_rx + UDP_RX_HDR */
static void udp_to_guest(struct slirp_stack *st, struct slirp_udp *u, size_t n)
{
	uint8_t *buf = st->udp_rx;
	struct nat_key k;

	nat_flow_key(&st->udp, &u->flow, &k);
	if (!k.v6) {
		uint8_t *hdr;
		struct slirp_udp_out o = {
			.src_mac = st->cfg.gw_mac,
			.dst_mac = u->mac,
			.src = k.dip,
			.dst = k.gip,
			.sport = k.dport,
			.dport = k.gport,
			.id = st->ip_id++,
			.mtu = st->cfg.mtu,
		};

		hdr = buf + UDP_RX_HDR;
		if (slirp_udp_frames(&o, hdr, n, slirp_emit, st) < 0)
			st->nat.udp.dropped++;
	} else {
		slirp_frame6_to_guest(st, buf,
				      pkt_build_udp6(buf, st->cfg.gw_mac,
						     u->mac, k.dip6, k.gip6,
						     k.dport, k.gport, n),
				      &st->nat.udp);
	}
	st->sent = true;
}

static void udp_polled(uv_poll_t *p, int status, int events)
{
	struct slirp_udp *u = p->data;
	struct slirp_stack *st = u->st;
	unsigned int i;
	ssize_t n;

	(void)events;
	slirp_poll_resume(p, status, udp_polled); /* a closed port's error */
	for (i = 0; i < UDP_RX_BATCH; i++) {
		n = recv(u->fd, st->udp_rx + UDP_RX_HDR, UDP_MAX_PAYLOAD,
			 MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ECONNREFUSED) {
				udp_refused(st, u);
				continue; /* recv() took the error */
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				st->nat.udp.dropped++;
			break;
		}
		st->nat.udp.bytes_to_guest += (uint64_t)n;
		nat_table_touch(&st->udp, &u->flow, slirp_now(st));
		udp_to_guest(st, u, (size_t)n);
	}
}

/* udp_open() - a connected socket for @k; 0 or -errno */
static int udp_open(struct slirp_stack *st, struct slirp_udp *u,
		    const struct nat_key *k)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	int fd, r;

	if (!k->v6) {
		struct sockaddr_in *sa = (struct sockaddr_in *)&ss;

		sa->sin_family = AF_INET;
		sa->sin_port = htons(k->dport);
		sa->sin_addr.s_addr =
			htonl(k->dip == st->cfg.host_alias ? INADDR_LOOPBACK
							   : k->dip);
		sl = sizeof(*sa);
	} else {
		struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&ss;

		sa->sin6_family = AF_INET6;
		sa->sin6_port = htons(k->dport);
		if (!memcmp(k->dip6, st->cfg.host_alias6, 16))
			sa->sin6_addr = in6addr_loopback;
		else
			memcpy(&sa->sin6_addr, k->dip6, 16);
		sl = sizeof(*sa);
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (struct sockaddr *)&ss, sl) < 0
		    ? -errno
		    : uv_poll_init(st->env.loop, &u->poll, fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	u->fd = fd;
	u->poll.data = u;
	uv_poll_start(&u->poll, UV_READABLE, udp_polled);
	return 0;
}

/*
 * udp_room() - make room for one flow: at the table's bound, or with the
 * fds libslirp holds at the budget, the least recently used flow goes.
 * False when there is none to close and no room.
 */
static bool udp_room(struct slirp_stack *st)
{
	while (nat_table_full(&st->udp) ||
	       st->nfds + st->udp.n_flows >= st->lim.budget) {
		struct nat_flow *f = nat_table_oldest(&st->udp);

		if (!f)
			return false;
		st->nat.udp_evicted++;
		log_rl("stack slirp: %zu UDP flows (the bound), the least "
		       "recently used one is closed",
		       st->udp.n_flows);
		udp_close(st, udp_of(f));
	}
	return true;
}

static struct slirp_udp *udp_get(struct slirp_stack *st, const uint8_t *frame,
				 const struct nat_key *k)
{
	struct nat_flow *f = nat_table_find(&st->udp, k);
	struct slirp_udp *u;
	struct nat_key mine;
	char a[NAT_ADDRSTRLEN];
	int r;

	if (f) {
		u = udp_of(f);
		nat_table_touch(&st->udp, f, slirp_now(st));
		memcpy(u->mac, frame + 6, 6);
		return u;
	}
	mine = *k;
	mine.vm = slirp_input_vm(st);
	/* -keep-serving: a VM at its share replaces one of its own flows */
	f = nat_table_vm_victim(&st->udp, mine.vm);
	if (f) {
		st->nat.vm_share_evicted++;
		log_rl("stack slirp: %zu UDP flows shared by %u VMs, one of a "
		       "VM at or over its share (%zu) is closed",
		       st->udp.n_flows, st->udp.n_vms,
		       nat_table_vm_share(&st->udp, f->key.vm));
		udp_close(st, udp_of(f));
	}
	if (!udp_room(st))
		return NULL;
	if (!st->udp_rx) {
		st->udp_rx = malloc(UDP_RX_HDR + UDP_MAX_PAYLOAD);
		if (!st->udp_rx)
			return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->st = st;
	memcpy(u->mac, frame + 6, 6);
	r = udp_open(st, u, k);
	if (r < 0) {
		log_rl("stack slirp: UDP socket to %s:%u: %s; dropped",
		       nat_key_str(k, false, a), k->dport, strerror(-r));
		free(u);
		return NULL;
	}
	nat_flow_set_key(&st->udp, &u->flow, &mine);
	if (nat_table_insert(&st->udp, &u->flow, slirp_now(st)) < 0) {
		udp_release(st, u);
		return NULL;
	}
	st->nat.udp.flows_open++;
	st->nat.udp.flows_total++;
	return u;
}

void slirp_udp_send(struct slirp_stack *st, const uint8_t *frame,
		    const struct slirp_pkt *p)
{
	size_t ulen = p->l4len >= 8 ? be16_get(p->l4 + 4) : 0;
	const uint8_t *ip = p->ip6 ? p->ip6 : p->ip;
	struct nat_key k = {0};
	struct slirp_udp *u;
	size_t q;

	if (ulen < 8 || ulen > p->l4len) {
		st->nat.udp.dropped++;
		return;
	}
	k.proto = 17;
	k.gport = p->sport;
	k.dport = p->dport;
	if (p->ip6) {
		k.v6 = 1;
		memcpy(k.gip6, p->src6, 16);
		memcpy(k.dip6, p->dst6, 16);
		k.gip = nat_key_fold6(k.gip6);
		k.dip = nat_key_fold6(k.dip6);
	} else {
		k.gip = p->src;
		k.dip = p->dst;
	}
	u = udp_get(st, frame, &k);
	if (!u) {
		st->nat.udp.dropped++;
		return;
	}
	/* the quote: IPv4 with its options, IPv6 without extension headers */
	q = (size_t)(p->l4 - ip) + 8;
	if (q <= sizeof(u->quote) && (!p->ip6 || q == 40 + 8)) {
		memcpy(u->quote, ip, q);
		u->quote_len = (uint8_t)q;
	}
	if (send(u->fd, p->l4 + 8, ulen - 8, MSG_DONTWAIT) < 0) {
		if (errno == ECONNREFUSED)
			udp_refused(st, u);
		else
			st->nat.udp.dropped++;
		return;
	}
	st->nat.udp.bytes_to_host += ulen - 8;
}

void slirp_udp_sweep(struct slirp_stack *st, bool all)
{
	uint64_t now = slirp_now(st);
	struct nat_flow *f;

	while ((f = nat_table_oldest(&st->udp)) &&
	       (all || nat_flow_expired(&st->udp, f, now, NAT_UDP_IDLE_MS)))
		udp_close(st, udp_of(f));
}

void slirp_udp_fini(struct slirp_stack *st)
{
	nat_table_fini(&st->udp);
	free(st->udp_rx);
	st->udp_rx = NULL;
}
