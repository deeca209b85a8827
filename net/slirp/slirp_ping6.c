/*
 * slirp_ping6.c - the guest's ICMPv6 echo to IPv6 addresses beyond the
 * host alias on the libslirp backend (libslirp 4.7 answers only its own
 * address): sent by the host through unprivileged ping sockets (AF_INET6,
 * SOCK_DGRAM, IPPROTO_ICMPV6; the kernel fills in the checksum and puts
 * the socket's own identifier in), one per flow (guest address, echo
 * identifier, destination), connected to the destination so only its
 * replies come back; a reply goes to the guest from the pinged address
 * with the guest's identifier. At most SLIRP_PING6_MAX flows (the least
 * recently used is closed for a new one: IcmpEvicted); idle ones close
 * after SLIRP_PING6_IDLE_MS. A host that forbids ping sockets
 * (net.ipv4.ping_group_range) gets one rate-limited log line and the
 * echoes are dropped and counted (ICMP.Dropped).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/pkt.h"
#include "net/pkt6.h"
#include "net/slirp/slirp_priv.h"
#include "util/log.h"

#define LOG_SUBSYS LOG_SS_NAT

#define SLIRP_PING6_IDLE_MS 10000
#define PING6_RX_BATCH 16

struct slirp_ping6 {
	uv_poll_t poll;
	struct slirp_stack *st;
	int fd;
	uint8_t src6[16], dst6[16], mac[6];
	uint16_t id; /* the guest's */
	uint64_t used_ms;
};

static void ping6_closed(uv_handle_t *h)
{
	struct slirp_ping6 *f = h->data;
	struct slirp_stack *st = f->st;

	close(f->fd);
	free(f);
	slirp_close_done(st);
}

static void ping6_close(struct slirp_stack *st, unsigned int i)
{
	struct slirp_ping6 *f = st->ping6[i];

	st->ping6[i] = NULL;
	st->nat.icmp.flows_open--;
	st->pending++;
	uv_close((uv_handle_t *)&f->poll, ping6_closed);
}

static void emit_frag(void *arg, const struct iovec *iov, int iovcnt,
		      size_t len)
{
	struct slirp_stack *st = arg;

	sw_output(st->env.sw, iov, iovcnt, len);
}

/*
 * ping6_reply() - the echo reply @n bytes at @out + 54 (room for the
 * headers before it) of @f's to the guest, in fragments past the MTU.
 */
static void ping6_reply(struct slirp_ping6 *f, uint8_t *out, size_t n)
{
	struct slirp_stack *st = f->st;
	uint8_t *ic = out + 14 + 40;

	if (n < 8 || ic[0] != 129) {
		st->nat.icmp.dropped++;
		return;
	}
	pkt_put_eth(out, f->mac, st->cfg.gw_mac, 0x86dd);
	pkt_put_ip6(out + 14, (uint16_t)n, 58, 64, f->dst6, f->src6);
	ic[1] = 0;
	be16_put(ic + 4, f->id);
	be16_put(ic + 2, 0);
	be16_put(ic + 2,
		 pkt_csum(ic, n, pkt_pseudo_sum6(f->dst6, f->src6, 58, n)));
	st->nat.icmp.bytes_to_guest += n;
	if (40 + n <= st->cfg.mtu)
		sw_output_buf(st->env.sw, out, 14 + 40 + n);
	else if (slirp_frag6_out(out, 14 + 40 + n, st->cfg.mtu, st->frag6_id++,
				 st->cfg.gw_mac, emit_frag, st) < 0)
		st->nat.icmp.dropped++;
	st->sent = true;
}

static void ping6_polled(uv_poll_t *p, int status, int events)
{
	struct slirp_ping6 *f = p->data;
	uint8_t buf[14 + 40 + 65535];
	unsigned int i;
	ssize_t n;

	(void)events;
	if (status < 0)
		return;
	for (i = 0; i < PING6_RX_BATCH; i++) {
		n = recv(f->fd, buf + 54, sizeof(buf) - 54, MSG_DONTWAIT);
		if (n < 0)
			break; /* EAGAIN, or an ICMPv6 error queued for it */
		f->used_ms = slirp_now(f->st);
		ping6_reply(f, buf, (size_t)n);
	}
}

/* ping6_flow() - the open flow of @p, or a new one (NULL: none). */
static struct slirp_ping6 *ping6_flow(struct slirp_stack *st,
				      const uint8_t *frame,
				      const struct slirp_pkt *p, uint16_t id)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
	struct slirp_ping6 *f;
	unsigned int i, pick = SLIRP_PING6_MAX, old = SLIRP_PING6_MAX;
	int fd;

	for (i = 0; i < SLIRP_PING6_MAX; i++) {
		f = st->ping6[i];
		if (!f) {
			if (pick == SLIRP_PING6_MAX)
				pick = i;
			continue;
		}
		if (f->id == id && !memcmp(f->src6, p->src6, 16) &&
		    !memcmp(f->dst6, p->dst6, 16))
			return f;
		if (old == SLIRP_PING6_MAX ||
		    f->used_ms < st->ping6[old]->used_ms)
			old = i;
	}
	if (pick == SLIRP_PING6_MAX) {
		ping6_close(st, old);
		st->nat.icmp_evicted++;
		pick = old;
	}
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    IPPROTO_ICMPV6);
	if (fd < 0) {
		log_rl("stack slirp: ping -6 needs ping sockets, which this "
		       "host forbids (net.ipv4.ping_group_range): %s; echo "
		       "dropped",
		       strerror(errno));
		return NULL;
	}
	memcpy(&sa.sin6_addr, p->dst6, 16);
	f = calloc(1, sizeof(*f));
	if (!f || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    uv_poll_init(st->env.loop, &f->poll, fd) < 0) {
		log_rl("stack slirp: ping -6 of a host address: %s",
		       f ? strerror(errno) : "out of memory");
		free(f);
		close(fd);
		return NULL;
	}
	f->poll.data = f;
	f->st = st;
	f->fd = fd;
	f->id = id;
	memcpy(f->src6, p->src6, 16);
	memcpy(f->dst6, p->dst6, 16);
	memcpy(f->mac, frame + 6, 6);
	uv_poll_start(&f->poll, UV_READABLE, ping6_polled);
	st->ping6[pick] = f;
	st->nat.icmp.flows_open++;
	st->nat.icmp.flows_total++;
	return f;
}

void slirp_ping6_send(struct slirp_stack *st, const uint8_t *frame,
		      const struct slirp_pkt *p)
{
	struct slirp_ping6 *f;

	if (st->env.no_nat || p->l4len < 8 ||
	    pkt_csum(p->l4, p->l4len,
		     pkt_pseudo_sum6(p->src6, p->dst6, 58, p->l4len)) != 0) {
		st->nat.icmp.dropped++;
		return;
	}
	f = ping6_flow(st, frame, p, be16_get(p->l4 + 4));
	if (!f) {
		st->nat.icmp.dropped++;
		return;
	}
	memcpy(f->mac, frame + 6, 6);
	f->used_ms = slirp_now(st);
	if (send(f->fd, p->l4, p->l4len, MSG_DONTWAIT) < 0) {
		st->nat.icmp.dropped++;
		return;
	}
	st->nat.icmp.bytes_to_host += p->l4len;
}

void slirp_ping6_sweep(struct slirp_stack *st, bool all)
{
	uint64_t now = slirp_now(st);
	unsigned int i;

	for (i = 0; i < SLIRP_PING6_MAX; i++)
		if (st->ping6[i] &&
		    (all || now - st->ping6[i]->used_ms >= SLIRP_PING6_IDLE_MS))
			ping6_close(st, i);
}
