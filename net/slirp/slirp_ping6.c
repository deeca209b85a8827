/*
 * slirp_ping6.c - the guest's ICMPv6 echo to IPv6 addresses beyond the
 * host alias on the libslirp backend (libslirp 4.7 answers only its own
 * address): sent by the host through unprivileged ping sockets (AF_INET6,
 * SOCK_DGRAM, IPPROTO_ICMPV6; the kernel fills in the checksum and puts
 * the socket's own identifier in), one per flow (guest address, echo
 * identifier, destination; slirp_flow6.c), connected to the destination
 * so only its replies come back; a reply goes to the guest from the
 * pinged address with the guest's identifier. At most SLIRP_PING6_MAX
 * flows (the least recently used is closed for a new one: IcmpEvicted);
 * idle ones close after SLIRP_PING6_IDLE_MS. A host that forbids ping
 * sockets (net.ipv4.ping_group_range) gets a rate-limited log line and
 * the echoes are dropped and counted (ICMP.Dropped).
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "net/pkt.h"
#include "net/pkt6.h"
#include "net/slirp/slirp_priv.h"

#define SLIRP_PING6_IDLE_MS 10000
#define PING6_RX_BATCH 16

/*
 * ping6_reply() - the echo reply @n bytes at @out + 54 (room for the
 * headers before it) of @f's to the guest, in fragments past the MTU.
 */
static void ping6_reply(struct slirp_flow6 *f, uint8_t *out, size_t n)
{
	struct slirp_stack *st = f->st;
	uint8_t *ic = out + 14 + 40;

	if (n < 8 || ic[0] != 129) {
		st->nat.icmp.dropped++;
		return;
	}
	pkt_put_eth(out, f->mac, st->cfg.gw_mac, 0x86dd);
	pkt_put_ip6(out + 14, (uint16_t)n, 58, 64, f->k.dst6, f->k.src6);
	ic[1] = 0;
	be16_put(ic + 4, f->k.sport);
	be16_put(ic + 2, 0);
	be16_put(ic + 2,
		 pkt_csum(ic, n, pkt_pseudo_sum6(f->k.dst6, f->k.src6, 58, n)));
	st->nat.icmp.bytes_to_guest += n;
	slirp_frame6_to_guest(st, out, 14 + 40 + n, st->ping6.cnt);
}

static void ping6_polled(uv_poll_t *p, int status, int events)
{
	struct slirp_flow6 *f = p->data;
	uint8_t buf[14 + 40 + 65535];
	unsigned int i;
	ssize_t n;

	(void)events;
	slirp_poll_resume(p, status, ping6_polled); /* an ICMPv6 error's */
	for (i = 0; i < PING6_RX_BATCH; i++) {
		n = recv(f->fd, buf + 54, sizeof(buf) - 54, MSG_DONTWAIT);
		if (n < 0)
			break; /* EAGAIN, or an ICMPv6 error queued for it */
		f->used_ms = slirp_now(f->st);
		ping6_reply(f, buf, (size_t)n);
	}
}

void slirp_ping6_send(struct slirp_stack *st, const uint8_t *frame,
		      const struct slirp_pkt *p)
{
	struct slirp_flow6_key k;
	struct slirp_flow6 *f;

	if (st->env.no_nat || p->l4len < 8 ||
	    pkt_csum(p->l4, p->l4len,
		     pkt_pseudo_sum6(p->src6, p->dst6, 58, p->l4len)) != 0) {
		st->nat.icmp.dropped++;
		return;
	}
	memset(&k, 0, sizeof(k));
	memcpy(k.src6, p->src6, 16);
	memcpy(k.dst6, p->dst6, 16);
	k.sport = be16_get(p->l4 + 4);
	f = slirp_flow6_get(st, &st->ping6, frame, &k, ping6_polled);
	if (!f) {
		st->nat.icmp.dropped++;
		return;
	}
	if (send(f->fd, p->l4, p->l4len, MSG_DONTWAIT) < 0) {
		st->nat.icmp.dropped++;
		return;
	}
	st->nat.icmp.bytes_to_host += p->l4len;
}

void slirp_ping6_init(struct slirp_stack *st)
{
	st->ping6 = (struct slirp_flow6_table){
		.flow = st->ping6_flow,
		.max = SLIRP_PING6_MAX,
		.proto = IPPROTO_ICMPV6,
		.idle_ms = SLIRP_PING6_IDLE_MS,
		.cnt = &st->nat.icmp,
		.evicted = &st->nat.icmp_evicted,
		.what = "ping -6",
		.socket_hint = " (ping sockets, which this host may forbid: "
			       "net.ipv4.ping_group_range)",
	};
}
