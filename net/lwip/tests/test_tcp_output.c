/*
 * test_tcp_output.c - qcw_tcp_output() and qcw_tcp_write(): lwIP's
 * tcp_output() and tcp_write() with remembered tails of the unacked and
 * unsent queues, driven by a scripted peer that drops segments, sends
 * duplicate ACKs and lets retransmission timeouts fire, with the sender
 * refilling as ACKs arrive or queueing everything at once. After every
 * step both queues must be ordered and contiguous, and whenever a
 * remembered tail would be trusted it must be a live member of its queue
 * (a freed one is caught by ASan in the sanitizer run). The peer must
 * receive every byte, in order. And the ACK its owner sends later
 * (qcw_tcp_ack_later_use()): none built while deferred, one when owed,
 * duplicate ACKs and other connections never deferred.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/be.h"

#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#include "net/lwip/lwst_tcp_event.h"
#include "net/lwip/qcw_tcp_output.h"

#define T_MAX_FRAMES 4096
#define T_FRAME 1600

static const uint8_t our_mac[6] = {0x02, 0, 0, 0, 0, 1};
static const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 2};

static struct netif nif;
static uint8_t frames[T_MAX_FRAMES][T_FRAME];
static size_t frame_len[T_MAX_FRAMES];
static unsigned int n_frames;
static uint64_t rng = 0x2545f4914f6cdd1dull;

static struct tcp_pcb *pcb;
static struct qcw_tcp_tail tail;
static uint32_t written, peer_rcv_nxt, peer_iss = 1000;
static uint32_t our_iss, delivered;
static int connected, refill;
static uint32_t total;
static unsigned int n_lost, n_dupacks, n_timer, n_trusted, n_utrusted;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static uint8_t pattern(uint32_t i)
{
	return (uint8_t)(i * 7 + (i >> 9));
}

static err_t cap_output(struct netif *n, struct pbuf *p)
{
	(void)n;
	assert_true(n_frames < T_MAX_FRAMES);
	assert_true(p->tot_len <= T_FRAME);
	frame_len[n_frames] =
		pbuf_copy_partial(p, frames[n_frames], p->tot_len, 0);
	n_frames++;
	return ERR_OK;
}

static err_t nif_init(struct netif *n)
{
	n->output = etharp_output;
	n->linkoutput = cap_output;
	n->mtu = 1500;
	n->hwaddr_len = 6;
	memcpy(n->hwaddr, our_mac, 6);
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
		   NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
	return ERR_OK;
}

/*
 * peer_send_data() - a segment from the peer (10.0.0.2:80) into lwIP,
 * with @dlen bytes of data.
 */
static void peer_send_data(uint8_t flags, uint32_t seq, uint32_t ack, int mss,
			   size_t dlen)
{
	uint8_t f[1514] = {0};
	size_t thl = mss ? 24 : 20, len = 14 + 20 + thl + dlen;
	struct pbuf *p;

	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = (uint8_t)((20 + thl + dlen) >> 8);
	f[17] = (uint8_t)(20 + thl + dlen);
	f[22] = 64;
	f[23] = 6;
	be32_put(f + 26, 0x0a000002);
	be32_put(f + 30, 0x0a000001);
	f[34] = 0;
	f[35] = 80;
	f[36] = (uint8_t)(pcb->local_port >> 8);
	f[37] = (uint8_t)pcb->local_port;
	be32_put(f + 38, seq);
	be32_put(f + 42, ack);
	f[46] = (uint8_t)((thl / 4) << 4);
	f[47] = flags;
	f[48] = 0xff; /* window 65535, no scaling */
	f[49] = 0xff;
	if (mss) {
		f[54] = 2;
		f[55] = 4;
		f[56] = (uint8_t)(1460 >> 8);
		f[57] = (uint8_t)(1460 & 0xff);
	}
	assert_true(len <= sizeof(f));
	memset(f + 14 + 20 + thl, 'd', dlen);
	p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
	assert_non_null(p);
	pbuf_take(p, f, (u16_t)len);
	if (nif.input(p, &nif) != ERR_OK)
		pbuf_free(p);
}

static void peer_send(uint8_t flags, uint32_t seq, uint32_t ack, int mss)
{
	peer_send_data(flags, seq, ack, mss, 0);
}

static void fill(void)
{
	static uint8_t buf[16384];

	while (written < total && tcp_sndbuf(pcb) > 0 &&
	       tcp_sndqueuelen(pcb) + 16 < TCP_SND_QUEUELEN) {
		uint32_t n = tcp_sndbuf(pcb), i;

		if (n > sizeof(buf))
			n = sizeof(buf);
		if (n > total - written)
			n = total - written;
		for (i = 0; i < n; i++)
			buf[i] = pattern(written + i);
		if (tcp_write(pcb, buf, (u16_t)n,
			      TCP_WRITE_FLAG_COPY | TCP_WRITE_FLAG_MORE) !=
		    ERR_OK)
			break;
		written += n;
	}
	tcp_output(pcb); /* qcw_tcp_output, through lwipopts.h */
}

static err_t on_sent(void *arg, struct tcp_pcb *tpcb, u16_t len)
{
	(void)arg;
	(void)tpcb;
	(void)len;
	if (refill)
		fill();
	return ERR_OK;
}

/* the peer sends no data; this callback only marks the pcb for its tail */
static err_t on_recv(void *arg, struct tcp_pcb *tpcb, struct pbuf *p, err_t err)
{
	(void)arg;
	(void)err;
	if (p) {
		tcp_recved(tpcb, p->tot_len);
		pbuf_free(p);
	}
	return ERR_OK;
}

static err_t on_connected(void *arg, struct tcp_pcb *tpcb, err_t err)
{
	(void)arg;
	(void)tpcb;
	assert_int_equal(err, ERR_OK);
	connected = 1;
	fill();
	return ERR_OK;
}

/* the pcb's argument: its events first, then a pointer to the tail */
static const struct lwst_tcp_ops test_tcp = {
	.recv = on_recv,
	.sent = on_sent,
	.connected = on_connected,
};
static struct test_arg {
	const struct lwst_tcp_ops *tcp;
	struct qcw_tcp_tail *tail;
} targ = {&test_tcp, &tail};

/* in_list() - whether @x is on the list @l; @last gets its last segment */
static int in_list(struct tcp_seg *l, const struct tcp_seg *x,
		   struct tcp_seg **last)
{
	int found = 0;

	for (*last = NULL; l; l = l->next) {
		if (*last)
			assert_int_equal(lwip_ntohl((*last)->tcphdr->seqno) +
						 TCP_TCPLEN(*last),
					 lwip_ntohl(l->tcphdr->seqno));
		found |= l == x;
		*last = l;
	}
	return found;
}

/*
 * check_queue() - both queues are ordered and contiguous, and whenever a
 * remembered tail would be trusted it is on its queue.
 */
static void check_queue(void)
{
	struct tcp_seg *last;
	int member;

	member = in_list(pcb->unacked, tail.seg, &last);
	if (pcb->unacked && tail.seg && tail.end == pcb->snd_nxt &&
	    TCP_SEQ_GT(tail.end, pcb->lastack)) {
		assert_true(member);
		n_trusted += tail.seg == last;
	}
	member = in_list(pcb->unsent, tail.useg, &last);
	if (pcb->unsent && tail.useg && tail.uend == pcb->snd_lbb &&
	    TCP_SEQ_GT(tail.uend, pcb->snd_nxt)) {
		assert_true(member);
		n_utrusted += tail.useg == last;
	}
}

/* peer_step() - the peer reads what lwIP sent and answers. */
static void peer_step(void)
{
	unsigned int i, n = n_frames, accepted = 0;
	static uint8_t copy[T_MAX_FRAMES][T_FRAME];
	static size_t clen[T_MAX_FRAMES];

	memcpy(copy, frames, sizeof(frames[0]) * n);
	memcpy(clen, frame_len, sizeof(frame_len[0]) * n);
	n_frames = 0;
	for (i = 0; i < n; i++) {
		const uint8_t *f = copy[i];
		size_t ihl = (size_t)(f[14] & 15) * 4, th = 14 + ihl;
		size_t thl = (size_t)(f[th + 12] >> 4) * 4;
		size_t tot = (size_t)f[16] << 8 | f[17];
		uint32_t seq = be32_get(f + th + 4), len, j;
		const uint8_t *data = f + th + thl;

		assert_true(clen[i] >= th + thl);
		len = (uint32_t)(tot - ihl - thl);
		if (f[th + 13] & TCP_SYN)
			continue;
		if (!len)
			continue;
		if (rnd(100) < 2) {
			n_lost++;
			continue; /* lost on the way */
		}
		if (seq != peer_rcv_nxt) {
			peer_send(TCP_ACK, peer_iss + 1, peer_rcv_nxt, 0);
			n_dupacks++;
			continue; /* out of order: a duplicate ACK */
		}
		for (j = 0; j < len; j++)
			assert_int_equal(data[j], pattern(delivered + j));
		delivered += len;
		peer_rcv_nxt += len;
		if (++accepted % 2 == 0 || rnd(4) == 0)
			peer_send(TCP_ACK, peer_iss + 1, peer_rcv_nxt, 0);
		check_queue();
	}
	if (accepted % 2)
		peer_send(TCP_ACK, peer_iss + 1, peer_rcv_nxt, 0);
	check_queue();
}

/*
 * run_transfer() - @size bytes to the peer; with @more the sender keeps
 * the queue full as ACKs arrive, else everything is queued at once (the
 * last segment then ends both the data and the queues).
 */
/* connect() - a fresh lwIP connected to the peer; @arg the pcb's argument */
static void connect(void *arg)
{
	ip4_addr_t ip, mask, gw, peer;
	ip_addr_t to;
	struct eth_addr pm;

	written = delivered = 0;
	connected = 0;
	n_frames = n_lost = n_dupacks = n_timer = n_trusted = n_utrusted = 0;
	lwip_init();
	IP4_ADDR(&ip, 10, 0, 0, 1);
	IP4_ADDR(&mask, 255, 255, 255, 0);
	IP4_ADDR(&gw, 0, 0, 0, 0);
	IP4_ADDR(&peer, 10, 0, 0, 2);
	assert_non_null(netif_add(&nif, &ip, &mask, &gw, NULL, nif_init,
				  ethernet_input));
	netif_set_default(&nif);
	netif_set_up(&nif);
	memcpy(pm.addr, peer_mac, 6);
	assert_int_equal(etharp_add_static_entry(&peer, &pm), ERR_OK);

	n_frames = 0; /* the gratuitous ARP */
	pcb = tcp_new();
	assert_non_null(pcb);
	qcw_tcp_tail_reset(&tail);
	qcw_tcp_tail_use(on_recv, offsetof(struct test_arg, tail));
	tcp_arg(pcb, arg);
	tcp_nagle_disable(pcb);
	ip_addr_copy_from_ip4(to, peer);
	assert_int_equal(tcp_connect(pcb, &to, 80, NULL), ERR_OK);
	assert_int_equal(n_frames, 1); /* the SYN */
	our_iss = be32_get(frames[0] + 14 + 20 + 4);
	n_frames = 0;
	peer_rcv_nxt = our_iss + 1;
	peer_send(TCP_SYN | TCP_ACK, peer_iss, our_iss + 1, 1);
	assert_true(connected);
}

static void disconnect(void)
{
	tcp_arg(pcb, NULL);
	tcp_abort(pcb);
	netif_remove(&nif);
}

static void run_transfer(uint32_t size, int more)
{
	int idle = 0, steps = 0;

	total = size;
	refill = more;
	connect(&targ);

	while (delivered < total && steps++ < 200000) {
		if (n_frames) {
			idle = 0;
			peer_step();
			continue;
		}
		/* nothing in flight reached the peer: let timers fire */
		tcp_tmr();
		n_timer++;
		if (++idle > 5000)
			break;
	}
	print_message("%d steps, %u segments lost, %u duplicate ACKs, %u "
		      "timer ticks, tail trusted %u times\n",
		      steps, n_lost, n_dupacks, n_timer, n_trusted);
	/* the script must have exercised loss, recovery and the fast path */
	assert_true(n_lost > 2 && n_dupacks > 2 && n_timer > 0);
	assert_true(n_trusted > 10);
	if (more)
		assert_true(n_utrusted > 10);
	assert_int_equal(delivered, total);
	assert_int_equal(written, total);
	disconnect();
}

static void test_transfer_with_loss(void **state)
{
	(void)state;
	run_transfer(4u * 1024 * 1024, 1);
}

static void test_queued_at_once_with_loss(void **state)
{
	(void)state;
	run_transfer(512u * 1024, 0);
}

static int defer_acks;

static bool later(const void *arg)
{
	assert_ptr_equal(arg, &targ);
	return defer_acks;
}

/* ack_of() - the acknowledgement number of captured frame @i, a pure ACK */
static uint32_t ack_of(unsigned int i)
{
	assert_int_equal(frame_len[i], 14 + 20 + 20);
	assert_int_equal(frames[i][14 + 20 + 13], TCP_ACK);
	return be32_get(frames[i] + 14 + 20 + 8);
}

static void test_ack_later(void **state)
{
	uint32_t seq = peer_iss + 1, ack;

	(void)state;
	total = 0;
	qcw_tcp_ack_later_use(later);
	connect(&targ);
	ack = our_iss + 1;
	n_frames = 0; /* the handshake's ACK */

	/* deferred: the second segment sets TF_ACK_NOW, no ACK is built */
	defer_acks = 1;
	peer_send_data(TCP_ACK, seq, ack, 0, 1000);
	peer_send_data(TCP_ACK | TCP_PSH, seq + 1000, ack, 0, 1000);
	seq += 2000;
	assert_int_equal(n_frames, 0);
	assert_true(pcb->flags & TF_ACK_NOW);
	/* owed: one ACK of both, once */
	qcw_tcp_ack_owed(pcb);
	assert_int_equal(n_frames, 1);
	assert_int_equal(ack_of(0), seq);
	assert_false(pcb->flags & TF_ACK_NOW);
	qcw_tcp_ack_owed(pcb);
	assert_int_equal(n_frames, 1);

	/* not deferred: the ACK leaves with the second segment */
	n_frames = 0;
	defer_acks = 0;
	peer_send_data(TCP_ACK, seq, ack, 0, 1000);
	peer_send_data(TCP_ACK, seq + 1000, ack, 0, 1000);
	seq += 2000;
	assert_int_equal(n_frames, 1);
	assert_int_equal(ack_of(0), seq);

	/* a segment out of order: its duplicate ACK leaves at once */
	n_frames = 0;
	defer_acks = 1;
	peer_send_data(TCP_ACK, seq + 1000, ack, 0, 1000);
	assert_int_equal(n_frames, 1);
	assert_int_equal(ack_of(0), seq);
	peer_send_data(TCP_ACK, seq, ack, 0, 1000); /* fills the gap */
	seq += 2000;
	assert_int_equal(n_frames, 1); /* lwIP delays this one's ACK */
	peer_send_data(TCP_ACK, seq, ack, 0, 1000);
	seq += 1000;
	assert_int_equal(n_frames, 1);
	qcw_tcp_ack_owed(pcb);
	assert_int_equal(n_frames, 2);
	assert_int_equal(ack_of(1), seq);

	/* a pcb whose recv is not qcw_tcp_tail_use()'s is never deferred */
	n_frames = 0;
	defer_acks = 1;
	qcw_tcp_tail_use(NULL, 0);
	peer_send_data(TCP_ACK, seq, ack, 0, 1000);
	peer_send_data(TCP_ACK, seq + 1000, ack, 0, 1000);
	assert_int_equal(n_frames, 1);
	assert_int_equal(ack_of(0), seq + 2000);

	qcw_tcp_ack_later_use(NULL);
	disconnect();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transfer_with_loss),
		cmocka_unit_test(test_queued_at_once_with_loss),
		cmocka_unit_test(test_ack_later),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
