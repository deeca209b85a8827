/*
 * slirp_udp6big.c - the guest's UDP datagrams over IPv6 longer than the
 * MTU (in fragments, put back together by slirp_frag6.c) on the libslirp
 * backend: libslirp 4.7 takes no IPv6 datagram past its MTU, so these go
 * out through sockets of the backend's own, one per flow (guest address
 * and port, destination and port; slirp_flow6.c), connected to the
 * destination (the host alias is the host's ::1) so that only its answers
 * come back; an answer goes to the guest from the destination, in
 * fragments past the MTU. The flow's shorter datagrams still go through
 * libslirp, from another host port: a peer answering each datagram where
 * it came from (DNS, echo, most request/response protocols) serves both.
 * At most SLIRP_UDP6BIG_MAX flows (the least recently used closed for a
 * new one, UDPEvicted); idle ones close after SLIRP_UDP6BIG_IDLE_MS.
 */
#include <string.h>
#include <sys/socket.h>

#include "net/pkt.h"
#include "net/pkt6.h"
#include "net/slirp/slirp_priv.h"

#define SLIRP_UDP6BIG_IDLE_MS 30000
#define UDP6BIG_RX_BATCH 16
/* the most a UDP payload over IPv6 holds (no jumbograms) */
#define UDP6BIG_MAX_PAYLOAD (65535 - 8)

static void udp6big_polled(uv_poll_t *p, int status, int events)
{
	struct slirp_flow6 *f = p->data;
	struct slirp_stack *st = f->st;
	uint8_t buf[14 + 40 + 8 + UDP6BIG_MAX_PAYLOAD];
	unsigned int i;
	ssize_t n;

	(void)events;
	if (status < 0)
		return;
	for (i = 0; i < UDP6BIG_RX_BATCH; i++) {
		n = recv(f->fd, buf + 62, UDP6BIG_MAX_PAYLOAD, MSG_DONTWAIT);
		if (n < 0)
			break; /* EAGAIN, or an ICMPv6 error queued for it */
		f->used_ms = slirp_now(st);
		st->nat.udp.bytes_to_guest += (uint64_t)n;
		slirp_flow6_to_guest(st, &st->udp6big, buf,
				     pkt_build_udp6(buf, st->cfg.gw_mac, f->mac,
						    f->k.dst6, f->k.src6,
						    f->k.dport, f->k.sport,
						    (size_t)n));
	}
}

void slirp_udp6big_send(struct slirp_stack *st, const uint8_t *frame,
			const struct slirp_pkt *p)
{
	size_t ulen = p->l4len >= 8 ? be16_get(p->l4 + 4) : 0;
	struct slirp_flow6_key k;
	struct slirp_flow6 *f;

	if (st->env.no_nat || ulen < 8 || ulen > p->l4len) {
		st->nat.udp.dropped++;
		return;
	}
	memset(&k, 0, sizeof(k));
	memcpy(k.src6, p->src6, 16);
	memcpy(k.dst6, p->dst6, 16);
	k.sport = p->sport;
	k.dport = p->dport;
	f = slirp_flow6_get(st, &st->udp6big, frame, &k, udp6big_polled);
	if (!f) {
		st->nat.udp.dropped++;
		return;
	}
	if (send(f->fd, p->l4 + 8, ulen - 8, MSG_DONTWAIT) < 0) {
		st->nat.udp.dropped++;
		return;
	}
	st->nat.udp.bytes_to_host += ulen - 8;
}

void slirp_udp6big_init(struct slirp_stack *st)
{
	st->udp6big = (struct slirp_flow6_table){
		.flow = st->udp6big_flow,
		.max = SLIRP_UDP6BIG_MAX,
		.proto = 0,
		.idle_ms = SLIRP_UDP6BIG_IDLE_MS,
		.cnt = &st->nat.udp,
		.evicted = &st->nat.udp_evicted,
		.what = "a UDP datagram over IPv6 past the MTU",
		.socket_hint = "",
	};
}
