/*
 * nat_icmp_raw.c - the guest's ICMP echo through one raw ICMP socket,
 * for hosts that forbid ping sockets (net.ipv4.ping_group_range, "1 0"
 * by default in a new namespace) when qcw-net has CAP_NET_RAW at start.
 * The socket is opened before the sandbox closes and needs no capability
 * afterwards; every echo flow shares it.
 *
 * A raw socket keeps the echo identifier it is given and receives every
 * ICMP message of the namespace, so each flow (guest address, guest id,
 * destination) gets a host id of its own: echoes leave with it (checksum
 * adjusted), and a reply is taken only if it is an echo reply (type 0,
 * also filtered in the kernel with ICMP_FILTER) whose id names an open
 * flow and whose source is that flow's host address; the guest's id goes
 * back in before it is sent to the guest. Flows expire like ping-socket
 * ones (NAT_ICMP_IDLE_MS) and are bounded (NAT_ICMP_RAW_MAX).
 *
 * This is the POSIX part of the NAT's ICMP echo (also nat_icmp_open(),
 * the ping sockets); Windows builds nat_icmp_win.c in its place.
 */
#include "net/lwip/nat_priv.h"

#include <errno.h>
#include <linux/icmp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lwip/prot/icmp.h"

#include "util/be.h"
#include "util/log.h"

#define NAT_ICMP_RAW_MAX 1024
#define NAT_ICMP_RAW_BURST 64 /* replies read per wakeup */

struct nat_icmp_raw_flow {
	struct nat_flow flow; /* first */
	struct nat_lru lru;
	struct nat_key key; /* whole (the IPv6 tail); gport = echo id */
	uint16_t hid; /* the id on the host side */
	uint32_t haddr; /* host address pinged, host order */
};

struct nat_icmp_raw {
	struct nat *nat;
	int fd;
	uv_poll_t poll;
	struct nat_table flows;
	unsigned int n_flows;
	uint16_t next_hid;
	struct nat_icmp_raw_flow *by_hid[65536];
};

/* nat_icmp_raw_sum_id() - RFC 1624 update of @sum for id @from -> @to. */
static uint16_t nat_icmp_raw_sum_id(uint16_t sum, uint16_t from, uint16_t to)
{
	uint32_t s = (uint16_t)~sum;

	s += (uint16_t)~from;
	s += to;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void nat_icmp_raw_set_id(uint8_t *ih, uint16_t id)
{
	be16_put(ih + 2,
		 nat_icmp_raw_sum_id(be16_get(ih + 2), be16_get(ih + 4), id));
	be16_put(ih + 4, id);
}

static void nat_icmp_raw_close(struct nat_icmp_raw *r,
			       struct nat_icmp_raw_flow *f)
{
	nat_table_remove(&r->flows, &f->flow);
	r->by_hid[f->hid] = NULL;
	r->n_flows--;
	r->nat->cnt.icmp.flows_open--;
	free(f);
}

static struct nat_icmp_raw_flow *nat_icmp_raw_new(struct nat_icmp_raw *r,
						  const struct nat_key *k)
{
	struct nat *nat = r->nat;
	struct nat_icmp_raw_flow *f;
	unsigned int i;

	if (r->n_flows >= NAT_ICMP_RAW_MAX) {
		nat->cnt.limit_hits++;
		log_rl("nat: ICMP echo flow limit (%d) reached, dropped",
		       NAT_ICMP_RAW_MAX);
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	/* at most NAT_ICMP_RAW_MAX ids are taken: a free one is near */
	for (i = 0; r->by_hid[r->next_hid] && i < 65536; i++)
		r->next_hid++;
	f->key = *k;
	nat_flow_set_key(&r->flows, &f->flow, k);
	f->hid = r->next_hid++;
	f->haddr = nat_host_addr(nat, k->dip);
	if (nat_table_insert(&r->flows, &f->flow, uv_now(nat->loop)) < 0) {
		nat->cnt.limit_hits++;
		free(f);
		return NULL;
	}
	r->by_hid[f->hid] = f;
	r->n_flows++;
	nat->cnt.icmp.flows_open++;
	nat->cnt.icmp.flows_total++;
	return f;
}

/* nat_icmp_raw_reply() - one datagram from the raw socket (IP header on). */
static void nat_icmp_raw_reply(struct nat_icmp_raw *r, const uint8_t *b,
			       size_t n)
{
	struct nat *nat = r->nat;
	struct nat_icmp_raw_flow *f;
	size_t hl, len;
	uint32_t src;
	struct pbuf *p;

	if (n < 20 || (b[0] >> 4) != 4)
		return;
	hl = (size_t)(b[0] & 0xf) * 4;
	if (hl < 20 || n < hl + 8 || b[hl] != ICMP_ER || b[hl + 1] != 0)
		return; /* not an echo reply: not ours */
	f = r->by_hid[be16_get(b + hl + 4)];
	src = be32_get(b + 12);
	if (!f || f->haddr != src)
		return; /* another process's ping, or a stray reply */
	len = n - hl;
	p = pbuf_alloc(PBUF_IP, (u16_t)len, PBUF_RAM);
	if (!p) {
		nat->cnt.icmp.dropped++;
		log_rl("nat: out of memory for an ICMP echo reply, dropped");
		return;
	}
	memcpy(p->payload, b + hl, len);
	nat_icmp_raw_set_id(p->payload, f->key.gport);
	nat->cnt.icmp.bytes_to_guest += len;
	nat_table_touch(&r->flows, &f->flow, uv_now(nat->loop));
	nat_output(nat, p, &f->key);
}

static void nat_icmp_raw_poll_cb(uv_poll_t *h, int status, int events)
{
	struct nat_icmp_raw *r = h->data;
	int i;

	if (status < 0 || !(events & UV_READABLE))
		return;
	for (i = 0; i < NAT_ICMP_RAW_BURST; i++) {
		ssize_t n = recv(r->fd, r->nat->buf, sizeof(r->nat->buf), 0);

		if (n < 0)
			break; /* EAGAIN, or an error we will see again */
		nat_icmp_raw_reply(r, r->nat->buf, (size_t)n);
	}
}

void nat_icmp_raw_send(struct nat *nat, const struct nat_key *k, uint8_t *msg,
		       size_t len)
{
	struct nat_icmp_raw *r = nat->icmp_raw;
	struct nat_icmp_raw_flow *f;
	struct sockaddr_in sa;

	f = (struct nat_icmp_raw_flow *)nat_table_find(&r->flows, k);
	if (!f)
		f = nat_icmp_raw_new(r, k);
	if (!f) {
		nat->cnt.icmp.dropped++;
		return;
	}
	nat_table_touch(&r->flows, &f->flow, uv_now(nat->loop));
	nat_icmp_raw_set_id(msg, f->hid);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(f->haddr);
	if (sendto(r->fd, msg, len, MSG_DONTWAIT, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		nat->cnt.icmp.dropped++;
		log_rl("nat: ICMP echo to the host failed: %s",
		       strerror(errno));
	} else {
		nat->cnt.icmp.bytes_to_host += len;
	}
}

/* the raw socket is IPv4's; IPv6 echoes go through ping sockets */
bool nat_icmp_raw_carries(const struct nat_key *k)
{
	return !k->v6;
}

void nat_icmp_raw_sweep(struct nat *nat, uint64_t now)
{
	struct nat_icmp_raw *r = nat->icmp_raw;
	struct nat_flow *f;

	while ((f = nat_table_oldest(&r->flows)) &&
	       now - nat_flow_lru(&r->flows, f)->last_ms >= NAT_ICMP_IDLE_MS)
		nat_icmp_raw_close(r, (struct nat_icmp_raw_flow *)f);
}

static void nat_icmp_raw_free_cb(uv_handle_t *h)
{
	struct nat_icmp_raw *r = h->data;

	close(r->fd);
	nat_table_fini(&r->flows);
	free(r);
}

void nat_icmp_raw_fini(struct nat *nat)
{
	struct nat_icmp_raw *r = nat->icmp_raw;
	struct nat_flow *f;

	while ((f = nat_table_oldest(&r->flows)))
		nat_icmp_raw_close(r, (struct nat_icmp_raw_flow *)f);
	nat->icmp_raw = NULL;
	uv_close((uv_handle_t *)&r->poll, nat_icmp_raw_free_cb);
}

/*
 * nat_icmp_open() - a flow's unprivileged ping socket (the kernel puts its
 * own echo id in and takes it out of replies).
 */
int nat_icmp_open(struct nat_dgram *d)
{
	struct nat *nat = d->nat;
	bool v6 = d->key.v6;
	int fd, r;

	fd = socket(v6 ? AF_INET6 : AF_INET,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	if (fd < 0) {
		r = -errno;
		if (!nat->icmp_denied_logged) {
			nat->icmp_denied_logged = true;
			log_warn("nat: ICMP echo is not forwarded: the host "
				 "does not allow unprivileged ping sockets "
				 "(%s; see sysctl net.ipv4.ping_group_range)",
				 strerror(-r));
		}
		return r;
	}
	r = uv_udp_open(&d->sock, fd);
	if (r < 0)
		close(fd); /* not the handle's: uv_close() will not */
	return r;
}

/* nat_icmp_ping_allowed() - may this process open a ping socket? */
static bool nat_icmp_ping_allowed(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int nat_icmp_raw_setup(struct nat *nat)
{
	struct icmp_filter flt = {.data = ~(1u << ICMP_ECHOREPLY)};
	struct nat_icmp_raw *r;
	int fd;

	if (nat->icmp_raw)
		return 1;
	if (nat_icmp_ping_allowed())
		return 0;
	fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    IPPROTO_ICMP);
	if (fd < 0)
		return 0; /* no CAP_NET_RAW: echoes are refused, logged once */
	/* only echo replies wake us; checked again on receipt */
	if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &flt, sizeof(flt)) < 0)
		log_warn("nat: ICMP_FILTER on the raw socket: %s",
			 strerror(errno));
	r = calloc(1, sizeof(*r));
	if (!r ||
	    nat_table_init(&r->flows, 256, NAT_ICMP_RAW_MAX,
			   NAT_KEY_A6_OFF(struct nat_icmp_raw_flow, key),
			   NAT_FLOW_OFF(struct nat_icmp_raw_flow, lru)) < 0) {
		free(r);
		close(fd);
		return -ENOMEM;
	}
	r->nat = nat;
	r->fd = fd;
	r->next_hid = (uint16_t)(getpid() ^ 0x5a5a);
	if (uv_poll_init(nat->loop, &r->poll, fd) < 0) {
		nat_table_fini(&r->flows);
		free(r);
		close(fd);
		return -EIO;
	}
	r->poll.data = r;
	uv_poll_start(&r->poll, UV_READABLE, nat_icmp_raw_poll_cb);
	uv_unref((uv_handle_t *)&r->poll);
	nat->icmp_raw = r;
	log_info("nat: ping sockets are not allowed here "
		 "(net.ipv4.ping_group_range): ICMP echo goes through a raw "
		 "socket");
	return 1;
}
