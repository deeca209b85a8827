/*
 * stack_lwip.c - lwIP as the gateway stack: the lwIP backend of the seam
 * (net/stack.h, stack_lwip.h).
 *
 * Frames from the gateway link (gateway/gw_link.c, which answers ARP for
 * the virtual IPs and DHCP itself): each becomes one pbuf, lent where the
 * transport lends its buffer, else copied, and goes to lwIP's
 * ethernet_input. lwIP's ip4_input
 * calls qcw_lwip_ip4_input_hook() for every IPv4 packet: packets for the
 * gateway's own address stay with lwIP (ICMP echo, DNS, the in-VM API),
 * packets for any other address go to the NAT. IPv6 alike, through
 * qcw_lwip_ip6_input_hook() (stack_lwip6.c).
 *
 * Frames from lwIP: linkoutput hands the pbuf chain to the switch as an
 * iovec, so the only copy is into the port's transmit ring.
 *
 * Timers: lwIP's timeouts run from a uv_check (after each loop iteration)
 * and a uv_timer armed to lwIP's next deadline.
 *
 * ARP pins: every address the DHCP server binds (an ACK) is a static entry
 * of lwIP's ARP table until the lease ends (released, declined, expired,
 * reclaimed, or handed to another MAC: the new ACK replaces the MAC). lwIP
 * recycles its oldest resolved entry first when a reply needs ARP for an
 * unknown address, so a flood of SYNs from made-up addresses of the subnet
 * used to push the guest out of the table, and its next connection waited
 * for ARP behind the flood; a static entry is never recycled, nor changed
 * by ARP frames. At most STACK_ARP_PINS (half the table), so unpinned
 * hosts (a guest with a static IP, no DHCP) keep normal ARP.
 *
 * ARP queries: lwIP would also give every unresolved address a pending
 * entry, recycling resolved ones when the table is full. The netif's
 * output (stack_netif_output) lets at most STACK_ARP_QUERIES unresolved
 * addresses of the subnet be queried per ARP_MAXPENDING seconds; beyond
 * that the packet is dropped (as on a wire: TCP sends it again), so the
 * table keeps room and a resolved host without a lease (static IP) stays
 * in it during a flood. A host not yet resolved may wait until the flood
 * eases: a guest that uses DHCP never waits.
 */
#include "net/lwip/stack_lwip.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/ip4_frag.h"
#include "net/lwip/qcw_lwip_hooks.h"
#include "lwip/init.h"
#include "lwip/ip.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#define LOG_SUBSYS LOG_SS_STACK
#include "util/log.h"
#include "net/lwip/nat.h"
#include "net/lwip/ackhold.h"
#include "net/lwip/syncookie.h"
#include "net/pkt6.h"
#include "util/hash.h"
#include "net/nat_flow.h"
#include "net/frame.h"
#include "net/pkt.h"
#include "net/lwip/splice.h"
#include "net/lwip/txring.h"

#define STACK_MAX_IOV 64
/* connections whose pure ACK is held in a batch: lwIP's, the guest's */
#define STACK_ACK_HOLD_OUT 32
#define STACK_ACK_HOLD_IN 16
/*
 * Copied frames go into buffers of a size class at most 1.5 times their
 * length (one 64 KiB class for all frames over 2 KiB was 7 times an MTU
 * 9000 frame: guest->host data waiting for the host socket is budgeted
 * at the buffers' real size, SPLICE_COST_MAX, and at that ratio a 4 MiB
 * window exceeded it, so lwIP refused data, then dropped the guest's next
 * segments, and MTU 9000 uploads stalled in retransmissions). Each class
 * keeps up to 2 MiB of freed buffers (at least STACK_RX_KEEP_MIN), all
 * classes together STACK_RX_CACHE_MAX.
 */
#define STACK_RX_CLASSES 11
static const uint32_t stack_rx_caps[STACK_RX_CLASSES] = {
	2048,  3072,  4096,  6144,  8192,	12288,
	16384, 24576, 32768, 49152, 65536 + 64,
};
_Static_assert(FRAME_MAX_LEN <= 65536 + 64, "the largest class holds a frame");
#define STACK_RX_KEEP_BYTES (2u << 20)
#define STACK_RX_KEEP_MIN 64
#define STACK_RX_CACHE_MAX (8u << 20)

#define STACK_RX_KEEP_REFS 4096
/*
 * Out-of-order segments: lwIP caps them per connection (lwipopts.h);
 * all connections together may hold this much in receive buffers beyond
 * what the splices queue for host sockets, after which a connection that
 * queues another out-of-order segment loses its whole out-of-order queue
 * (never acknowledged: the guest sends it again).
 */
#define STACK_OOSEQ_GLOBAL (32u * 1024 * 1024)
/*
 * Connections in TIME_WAIT (lwIP keeps them 2 minutes, unbounded with
 * pools from malloc; every segment that matches no active pcb walks
 * them): past this many the oldest go, checked once a second.
 */
#define STACK_TW_MAX 4096
#define STACK_PCB_SWEEP_MS 1000
/* half-open connections of a gateway listener evicted at once, of 255 */
#define STACK_GW_EVICT 128
/* a full gateway backlog is searched for unresolved sources this often */
#define STACK_GW_SCAN_MS 10
/* DHCP leases pinned in lwIP's ARP table (see the top of the file) */
#define STACK_ARP_PINS (ARP_TABLE_SIZE / 2)
/* unresolved addresses queried at once; lwIP keeps them pending <= 5 s */
#define STACK_ARP_QUERIES (ARP_TABLE_SIZE / 4)
#define STACK_ARP_QUERY_MS 6000

/*
 * A received frame becomes a pbuf without a copy when its transport lends
 * the buffer it was read into (a reference on it, struct sw_ref; cap 0
 * here); otherwise it is copied once, into a pbuf from one of two free
 * lists (small frames, jumbo frames). Either way the data path does not
 * call malloc per frame; lwIP hands the pbuf back through stack_rx_free().
 */
struct stack_rxbuf {
	struct pbuf_custom pc;
	struct stack_rxbuf *next;
	uint32_t cap; /* 0: data is in the lent buffer, held by keep */
	uint32_t cost; /* counted in rx_held while alive */
	struct sw_ref keep;
	uint8_t data[];
};

struct lwst {
	struct stack base;
	struct stack_clock clock;
	struct lwst_conns conns; /* lwst_conn.c */
	uv_loop_t *loop;
	struct sw *sw;
	struct netcfg cfg;
	struct netif netif;
	uv_timer_t timer;
	uv_check_t check;
	struct nat *nat;
	struct lwst_nb6 nb6; /* guest MACs learned from IPv6 (stack_lwip6.c) */
	struct stack_counters cnt;
	struct splice_ctx splice;
	struct txring_pool *rings; /* host data sent by reference (txring.h) */
	struct stack_rxbuf *free_cls[STACK_RX_CLASSES], *free_refs;
	int handles_closing;
	bool in_batch;
	bool dying; /* destroyed, waiting for handles and connections */
	unsigned int n_cls[STACK_RX_CLASSES], n_refs;
	size_t rx_cached; /* bytes of the buffers on free_cls */
	/*
	 * Pure ACKs of a batch of frames from the VM (ackhold.h): the
	 * guest's, before lwIP; lwIP's, before the VM (lwIP acknowledges
	 * every second segment: that spares the VM's side, virtio queue or
	 * the lab's tap, tens of frames per batch).
	 */
	struct ackhold in_acks, out_acks;
	size_t rx_held; /* bytes of receive buffers lwIP or a splice holds */
	uint64_t pcb_sweep_at; /* loop time of the next TIME_WAIT count */
	uint64_t rand; /* LWIP_RAND's state, never 0 */
	/* SYN cookies for the gateway's ports (syncookie.h) */
	uint64_t cookie_key;
	uint64_t cookies_until; /* lwIP's clock: ACKs are checked until */
	uint64_t gw_scan_at; /* lwIP's clock: a full backlog's next scan */
	bool isn_forced; /* the next ISN lwIP takes is isn (a cookie's) */
	bool drop_synack; /* lwIP's SYN-ACK to an ACKed cookie: not sent */
	uint32_t isn;
	unsigned int n_pins;
	uint32_t pins[STACK_ARP_PINS]; /* addresses with a static ARP entry */
	size_t arp_hint; /* ARP table index of the last resolved address */
	struct {
		uint32_t ip;
		uint64_t until; /* lwIP's clock (stack_lwip_now) */
	} queries[STACK_ARP_QUERIES]; /* unresolved addresses being queried */
};

/*
 * lwIP is one instance per process (NO_SYS, its state in its own
 * globals): its callbacks without a context (sys_now, LWIP_RAND, the IPv4
 * input hook, the out-of-order limit, the free function of received
 * pbufs) find the backend through this pointer, set while the instance
 * lives; a second backend in the same process is refused. Everything else
 * (clock, pools, counters, ACK coalescing, the PRNG) is in struct lwst.
 * The only other process state of the backend: lwIP's extension-argument
 * ids (txring.c, qcw_tcp_output.c), which lwIP hands out once per process.
 */
static struct lwst *stack_the;

uint64_t lwst_now(const struct lwst *st)
{
	return st->clock.now_ms ? st->clock.now_ms(st->clock.arg)
				: uv_now(st->loop);
}

u32_t sys_now(void);
u32_t sys_now(void)
{
	return stack_the ? (u32_t)lwst_now(stack_the) : 0;
}

/* qcw_lwip_rand() - LWIP_RAND (ports, ISNs): xorshift64 in the backend */
uint32_t qcw_lwip_rand(void)
{
	struct lwst *st = stack_the;
	uint64_t x;

	if (!st) /* lwIP used without a backend (unit tests) */
		return (uint32_t)((uv_hrtime() * 0x9e3779b97f4a7c15ull) >> 32);
	x = st->rand;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	st->rand = x;
	return (uint32_t)x;
}

/*
 * qcw_lwip_tcp_isn() - LWIP_HOOK_TCP_ISN: a cookie's number for the SYN
 * the cookie's ACK brought back (lwst_gw_cookie_ack()), else a random one.
 */
uint32_t qcw_lwip_tcp_isn(const struct ip_addr *lip, uint16_t lport,
			  const struct ip_addr *rip, uint16_t rport)
{
	struct lwst *st = stack_the;

	(void)lip;
	(void)lport;
	(void)rip;
	(void)rport;
	if (st && st->isn_forced) {
		st->isn_forced = false;
		return st->isn;
	}
	return qcw_lwip_rand();
}

void qcw_lwip_diag(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_debug("lwip: %s", buf);
}

/* stack_send_held() - a pure ACK of lwIP's, held in the batch, goes out. */
static void stack_send_held(void *arg, const uint8_t *f, size_t len)
{
	struct lwst *st = arg;

	sw_output_buf(st->sw, f, len);
}

/*
 * stack_hold_ack() - true when @p, a frame lwIP sends during a batch, was
 * a pure ACK and is now held; other frames of a connection with a held
 * ACK make that ACK obsolete (they carry a newer one).
 */
static bool stack_hold_ack(struct lwst *st, struct pbuf *p)
{
	uint8_t f[ACKHOLD_CAP];
	const uint8_t *frame = p->payload;
	size_t len = p->len;

	if ((p->tot_len == ACKHOLD_LEN || p->tot_len == ACKHOLD_LEN6 ||
	     p->tot_len == ACKHOLD_LEN + ACKHOLD_TS ||
	     p->tot_len == ACKHOLD_LEN6 + ACKHOLD_TS) &&
	    p->len < p->tot_len) {
		/* a frame of an ACK's size in pieces: look at it whole */
		if (pbuf_copy_partial(p, f, p->tot_len, 0) != p->tot_len)
			return false;
		frame = f;
		len = p->tot_len;
	}
	return ackhold_input(&st->out_acks, frame, len, stack_send_held, st);
}

static void stack_deliver_held(void *arg, const uint8_t *frame, size_t len);

static void lwst_end_batch(void *arg)
{
	struct lwst *st = arg;

	st->in_batch = false;
	ackhold_flush(&st->in_acks, stack_deliver_held, st);
	st->cnt.acks_coalesced = st->in_acks.coalesced;
	/* frees the received frames the host sockets took (rxchunk.h) */
	splice_ctx_flush(&st->splice);
	ackhold_flush(&st->out_acks, stack_send_held, st);
}

static void stack_pbuf_get(void *obj)
{
	pbuf_ref(obj);
}

static void stack_pbuf_put(void *obj)
{
	pbuf_free(obj);
}

/* A frame whose payload lies in a txring: the ring lives while queued. */
static void stack_ring_get(void *obj)
{
	struct pbuf *p = obj;

	pbuf_ref(p);
	txring_ref(txring_of(p->next->payload));
}

static void stack_ring_put(void *obj)
{
	struct pbuf *p = obj;
	struct txring *r = txring_of(p->next->payload);

	pbuf_free(p);
	txring_unref(r);
}

/* stack_is_synack() - lwIP's frame @p is a TCP SYN-ACK (IPv4 or IPv6) */
static bool stack_is_synack(const struct pbuf *p)
{
	const uint8_t *f = p->payload;
	uint16_t type =
		p->len >= PKT_ETH_TYPE + 2 ? be16_get(f + PKT_ETH_TYPE) : 0;

	if (type == ETHTYPE_IP4)
		return p->len >= PKT_TCP4_LEN && f[PKT_IP4_PROTO] == 6 &&
		       (f[PKT_TCP_FLAGS] & 0x12) == 0x12;
	return type == ETHTYPE_IP6 && p->len >= PKT_IP6_PAYLOAD + 20 &&
	       f[PKT_IP6 + 6] == 6 && (f[PKT_IP6_PAYLOAD + 13] & 0x12) == 0x12;
}

static err_t stack_linkoutput(struct netif *netif, struct pbuf *p)
{
	struct lwst *st = netif->state;
	struct iovec iov[STACK_MAX_IOV];
	struct pbuf *q;
	int n = 0;

	if (st->drop_synack && stack_is_synack(p))
		return ERR_OK; /* the guest had the cookie's SYN-ACK */
	if ((st->in_batch || ackhold_held(&st->out_acks)) &&
	    stack_hold_ack(st, p))
		return ERR_OK;
	if (p->next && !p->next->next && p->next->type_internal == PBUF_ROM) {
		/*
		 * Headers and host data lwIP sends from a connection's ring
		 * (splice.c): the port copies the headers and keeps the data
		 * by reference, no copy of the payload.
		 */
		struct sw_ref ref = {stack_ring_get, stack_ring_put, p};

		sw_output_ref_hdr(st->sw, p->payload, p->len, p->next->payload,
				  p->next->len, &ref);
		return ERR_OK;
	}
	if (!p->next) {
		/*
		 * One piece (TCP segments written by tcp_write are): the port
		 * keeps a reference and writes the pbuf itself, no copy.
		 */
		struct sw_ref ref = {stack_pbuf_get, stack_pbuf_put, p};

		sw_output_ref(st->sw, p->payload, p->len, &ref);
		return ERR_OK;
	}

	for (q = p; q; q = q->next) {
		if (n == STACK_MAX_IOV) {
			log_rl("stack: frame of %u bytes in too many pieces, "
			       "dropped",
			       p->tot_len);
			return ERR_OK;
		}
		if (q->len == 0)
			continue;
		iov[n].iov_base = q->payload;
		iov[n].iov_len = q->len;
		n++;
	}
	if (n)
		sw_output(st->sw, iov, n, p->tot_len);
	return ERR_OK;
}

/* stack_arp_resolved() - @dst has a stable or static ARP entry. */
static bool stack_arp_resolved(struct lwst *st, const ip4_addr_t *dst)
{
	const ip4_addr_t *found;
	struct eth_addr *mac;
	struct netif *n;
	ip4_addr_t *ip;
	ssize_t i;

	/* O(1) for the address of the last packet, else a scan of the table */
	if (etharp_get_entry(st->arp_hint, &ip, &n, &mac) &&
	    ip4_addr_cmp(ip, dst))
		return true;
	i = etharp_find_addr(NULL, dst, &mac, &found);
	if (i < 0)
		return false;
	st->arp_hint = (size_t)i;
	return true;
}

/* stack_arp_query_ok() - whether lwIP may query @ip now (see the top). */
static bool stack_arp_query_ok(struct lwst *st, uint32_t ip)
{
	uint64_t now = lwst_now(st);
	int i, free = -1;

	for (i = 0; i < STACK_ARP_QUERIES; i++) {
		if (st->queries[i].until <= now) {
			if (free < 0)
				free = i;
		} else if (st->queries[i].ip == ip) {
			return true;
		}
	}
	if (free < 0)
		return false;
	st->queries[free].ip = ip;
	st->queries[free].until = now + STACK_ARP_QUERY_MS;
	return true;
}

/*
 * stack_netif_output() - lwIP's etharp_output, with a bound on the
 * unresolved addresses of the subnet it queries (see the top of the file).
 */
static err_t stack_netif_output(struct netif *netif, struct pbuf *p,
				const ip4_addr_t *dst)
{
	struct lwst *st = netif->state;
	uint32_t ip = lwip_ntohl(ip4_addr_get_u32(dst));

	if ((ip & st->cfg.netmask) != st->cfg.network ||
	    ip == (st->cfg.network | ~st->cfg.netmask) ||
	    stack_arp_resolved(st, dst) || stack_arp_query_ok(st, ip))
		return etharp_output(netif, p, dst);
	st->cnt.arp_query_refused++;
	log_rl("stack: ARP queries for %u unresolved addresses pending, a "
	       "packet for %u.%u.%u.%u dropped",
	       STACK_ARP_QUERIES, ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
	       ip & 0xff);
	return ERR_OK; /* lost as on a wire: TCP sends it again */
}

static err_t stack_netif_init(struct netif *netif)
{
	struct lwst *st = netif->state;

	netif->name[0] = 'g';
	netif->name[1] = 'w';
	netif->output = stack_netif_output;
	netif->linkoutput = stack_linkoutput;
	netif->mtu = st->cfg.mtu;
	netif->hwaddr_len = 6;
	memcpy(netif->hwaddr, st->cfg.gw_mac, 6);
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
		       NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
	return ERR_OK;
}

static void stack_timer_cb(uv_timer_t *t)
{
	(void)t;
	/* the check handle runs lwIP's timeouts right after this */
}

void lwst_kick_timers(struct lwst *st)
{
	u32_t next;

	sys_check_timeouts();
	next = sys_timeouts_sleeptime();
	if (next == SYS_TIMEOUTS_SLEEPTIME_INFINITE)
		uv_timer_stop(&st->timer);
	else
		uv_timer_start(&st->timer, stack_timer_cb, next ? next : 1, 0);
}

/*
 * stack_pcb_sweep() - count lwIP's connections (for /stats) and free the
 * oldest TIME_WAIT ones past STACK_TW_MAX (new ones are at the head).
 */
static void stack_pcb_sweep(struct lwst *st)
{
	struct tcp_pcb *pcb, *next;
	uint64_t n = 0;

	for (pcb = tcp_active_pcbs; pcb; pcb = pcb->next)
		n++;
	st->cnt.pcbs_active = n;
	n = 0;
	for (pcb = tcp_tw_pcbs; pcb; pcb = next) {
		next = pcb->next;
		if (++n > STACK_TW_MAX) {
			tcp_abort(pcb); /* TIME_WAIT: freed, nothing sent */
			st->cnt.tw_evicted++;
		}
	}
	st->cnt.pcbs_time_wait = n > STACK_TW_MAX ? STACK_TW_MAX : n;
}

bool lwst_pcb_of_pair(const struct tcp_pcb *pcb, const ip_addr_t *g,
		      uint16_t gport, const ip_addr_t *l, uint16_t lport)
{
	return pcb->remote_port == gport && pcb->local_port == lport &&
	       ip_addr_cmp(&pcb->remote_ip, g) &&
	       ip_addr_cmp(&pcb->local_ip, l);
}

int lwst_tcp_tw_reuse(struct lwst *st, const ip_addr_t *g, uint16_t gport,
		      const ip_addr_t *l, uint16_t lport)
{
	struct tcp_pcb *pcb;

	/* bounded: STACK_TW_MAX, and only for a SYN that starts a flow */
	for (pcb = tcp_tw_pcbs; pcb; pcb = pcb->next) {
		if (lwst_pcb_of_pair(pcb, g, gport, l, lport)) {
			tcp_abort(pcb); /* TIME_WAIT: freed, nothing sent */
			st->cnt.tw_reused++;
			return 1;
		}
	}
	return 0;
}

static void stack_check_cb(uv_check_t *c)
{
	struct lwst *st = c->data;

	if (uv_now(st->loop) >= st->pcb_sweep_at) {
		st->pcb_sweep_at = uv_now(st->loop) + STACK_PCB_SWEEP_MS;
		stack_pcb_sweep(st);
	}

	/* a batch nobody ended (sw_input_end()) ends with the iteration */
	if (st->in_batch || ackhold_held(&st->in_acks) ||
	    ackhold_held(&st->out_acks))
		lwst_end_batch(st);
	lwst_kick_timers(st);
}

static void stack_drain_cb(void *arg)
{
	struct lwst *st = arg;

	splice_ctx_resume(&st->splice);
}

static void lwst_destroy(struct stack *base);

static struct stack *lwst_create(const struct stack_env *env)
{
	const struct netcfg *cfg = env->cfg;
	struct lwst *st;
	ip4_addr_t ip, mask, gw;

	if (stack_the) {
		log_err("stack: lwIP is already running in this process");
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		log_err("stack: out of memory");
		return NULL;
	}
	st->rings = txring_pool_create();
	if (!st->rings) {
		log_err("stack: out of memory");
		free(st);
		return NULL;
	}
	st->base.be = &stack_lwip_backend;
	st->loop = env->loop;
	st->sw = env->sw;
	st->cfg = *cfg;
	st->clock = env->clock;
	st->rand = 0x9e3779b97f4a7c15ull ^ (uint64_t)uv_hrtime();
	if (!st->rand)
		st->rand = 0x9e3779b97f4a7c15ull;
	st->cookie_key = hash_seed(st) ^ (uint64_t)uv_hrtime();
	ackhold_init(&st->in_acks, ACKHOLD_IN, STACK_ACK_HOLD_IN);
	ackhold_init(&st->out_acks, ACKHOLD_OUT, STACK_ACK_HOLD_OUT);
	stack_the = st;
	lwip_init();
	ip4_addr_set_u32(&ip, lwip_htonl(cfg->gateway));
	ip4_addr_set_u32(&mask, lwip_htonl(cfg->netmask));
	ip4_addr_set_zero(&gw);
	if (!netif_add(&st->netif, &ip, &mask, &gw, st, stack_netif_init,
		       ethernet_input)) {
		log_err("stack: cannot add the gateway interface");
		stack_the = NULL;
		txring_pool_destroy(st->rings);
		free(st);
		return NULL;
	}
	lwst6_netif_setup(st, &st->nb6);
	netif_set_default(&st->netif);
	netif_set_up(&st->netif);
	netif_set_link_up(&st->netif);
	uv_timer_init(st->loop, &st->timer);
	uv_check_init(st->loop, &st->check);
	st->check.data = st;
	uv_check_start(&st->check, stack_check_cb);
	uv_unref((uv_handle_t *)&st->timer);
	uv_unref((uv_handle_t *)&st->check);
	splice_ctx_init(&st->splice, st->loop, st->sw);
	st->splice.rings = st->rings;
	if (env->host_queue_max)
		st->splice.q_cost_max = env->host_queue_max;
	sw_set_drain(st->sw, stack_drain_cb, st);
	if (env->no_nat)
		return &st->base;
	st->nat = nat_create(st);
	if (!st->nat) {
		lwst_destroy(&st->base);
		return NULL;
	}
	return &st->base;
}

static void stack_rx_drain(struct stack_rxbuf **head)
{
	while (*head) {
		struct stack_rxbuf *b = *head;

		*head = b->next;
		free(b);
	}
}

/*
 * lwst_free_if_done() - after lwst_destroy(): free the instance once its
 * own handles are closed and the last connection's host handle is too
 * (their close callbacks still use the splice context and the lists).
 */
static void lwst_free_if_done(struct lwst *st)
{
	if (st->handles_closing > 0 || st->conns.all)
		return;
	for (unsigned int i = 0; i < STACK_RX_CLASSES; i++)
		stack_rx_drain(&st->free_cls[i]);
	stack_rx_drain(&st->free_refs);
	/* rings of frames a port still queues are freed when written */
	txring_pool_destroy(st->rings);
	splice_ctx_fini(&st->splice);
	free(st);
}

static void stack_free_cb(uv_handle_t *h)
{
	struct lwst *st = h->data;

	/* the timer, the check and the splice flush live inside st */
	st->handles_closing--;
	lwst_free_if_done(st);
}

void lwst_conn_gone(struct lwst *st)
{
	if (st->dying)
		lwst_free_if_done(st);
}

/*
 * stack_drain_reass() - free the fragments of datagrams never completed:
 * lwIP keeps them until they age out, and LeakSanitizer cannot see them
 * (its list pointers sit unaligned in the IP headers). Called with the
 * netif gone, so the ICMP "time exceeded" the ageing sends has no route.
 */
static void stack_drain_reass(void)
{
#if IP_REASSEMBLY
	int i;

	for (i = 0; i <= IP_REASS_MAXAGE; i++)
		ip_reass_tmr();
#endif
}

static void lwst_destroy(struct stack *base)
{
	struct lwst *st = (struct lwst *)base;

	if (!st)
		return;
	st->dying = true;
	lwst_conn_fini(st);
	nat_destroy(st->nat);
	st->nat = NULL;
	sw_set_drain(st->sw, NULL, NULL);
	netif_remove(&st->netif);
	stack_drain_reass();
	stack_the = NULL;
	st->timer.data = st;
	st->handles_closing =
		2 + splice_ctx_close(&st->splice, stack_free_cb, st);
	uv_close((uv_handle_t *)&st->timer, stack_free_cb);
	uv_close((uv_handle_t *)&st->check, stack_free_cb);
}

static long stack_pin_find(const struct lwst *st, uint32_t ip)
{
	unsigned int i;

	for (i = 0; i < st->n_pins; i++)
		if (st->pins[i] == ip)
			return (long)i;
	return -1;
}

/*
 * lwst_lease() - the lease op: pin @ip to @mac in lwIP's ARP table
 * while the lease is bound (see the top of the file). An ACK to a new
 * MAC overwrites the pin, so a VM taking over an address gets its
 * traffic at once.
 */
static void lwst_lease(struct stack *base, uint32_t ip, const uint8_t mac[6],
		       bool bound)
{
	struct lwst *st = (struct lwst *)base;
	long i = stack_pin_find(st, ip);
	struct eth_addr ea;
	ip4_addr_t a;

	ip4_addr_set_u32(&a, lwip_htonl(ip));
	if (!bound) {
		if (i < 0)
			return;
		etharp_remove_static_entry(&a);
		st->pins[i] = st->pins[--st->n_pins];
		st->cnt.arp_pins = st->n_pins;
		return;
	}
	if (i < 0 && st->n_pins == STACK_ARP_PINS) {
		st->cnt.arp_pin_refused++;
		log_rl("stack: %u DHCP leases pinned in the ARP table already, "
		       "%u.%u.%u.%u left to normal ARP",
		       STACK_ARP_PINS, ip >> 24, (ip >> 16) & 0xff,
		       (ip >> 8) & 0xff, ip & 0xff);
		return;
	}
	memcpy(ea.addr, mac, 6);
	if (etharp_add_static_entry(&a, &ea) != ERR_OK) {
		st->cnt.arp_pin_refused++;
		log_rl("stack: cannot pin %u.%u.%u.%u in the ARP table",
		       ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
		       ip & 0xff);
	} else if (i < 0) {
		st->pins[st->n_pins++] = ip;
	}
	st->cnt.arp_pins = st->n_pins;
}

struct splice_ctx *lwst_splice_ctx(struct lwst *st)
{
	return &st->splice;
}

uint8_t lwst_input_vm(struct lwst *st)
{
	const struct sw *sw = st->splice.sw;

	return nat_vm_of_port(sw ? sw_input_port(sw) : -1);
}

_Static_assert(SW_MAX_PORTS + 1 == NAT_VMS, "a table tells every port apart");

struct nat *lwst_splice_nat(struct splice_ctx *ctx)
{
	return splice_container_of(ctx, struct lwst, splice)->nat;
}

struct lwst_nb6 *lwst_nb6_of(struct lwst *st)
{
	return &st->nb6;
}

struct netif *lwst_netif(struct lwst *st)
{
	return &st->netif;
}

const struct netcfg *lwst_netcfg(const struct lwst *st)
{
	return &st->cfg;
}

uv_loop_t *lwst_loop(struct lwst *st)
{
	return st->loop;
}

struct sw *lwst_switch(struct lwst *st)
{
	return st->sw;
}

struct stack_counters *lwst_counters(struct lwst *st)
{
	return &st->cnt;
}

struct lwst_conns *lwst_conns_of(struct lwst *st)
{
	return &st->conns;
}

static void lwst_stats(const struct stack *base, struct stack_stats *out)
{
	const struct lwst *st = (const struct lwst *)base;

	const struct tcp_pcb *pcb;

	memset(out, 0, sizeof(*out));
	out->stack = st->cnt;
	/* counted now: the sweep counts only once a second */
	out->stack.pcbs_active = 0;
	for (pcb = tcp_active_pcbs; pcb; pcb = pcb->next)
		out->stack.pcbs_active++;
	out->rx_held = st->rx_held;
	out->host_queued = st->splice.q_cost;
	out->host_queue_refused = st->splice.q_refused;
	if (st->nat) {
		out->nat = *nat_counters(st->nat);
		out->limits = *nat_get_limits(st->nat);
	}
}

static int lwst_prepare(struct stack *base)
{
	struct lwst *st = (struct lwst *)base;

	return st->nat ? nat_icmp_raw_setup(st->nat) : 0;
}

/* stack_rx_class() - the smallest class that holds @len bytes */
static unsigned int stack_rx_class(size_t len)
{
	unsigned int c = 0;

	while (c < STACK_RX_CLASSES - 1 && stack_rx_caps[c] < len)
		c++;
	return c;
}

/* stack_rx_keep() - how many freed buffers class @c keeps */
static unsigned int stack_rx_keep(unsigned int c)
{
	unsigned int n = STACK_RX_KEEP_BYTES / stack_rx_caps[c];

	return n > STACK_RX_KEEP_MIN ? n : STACK_RX_KEEP_MIN;
}

static void stack_rx_free(struct pbuf *p)
{
	struct stack_rxbuf *b = (struct stack_rxbuf *)p;
	struct lwst *st = stack_the; /* NULL once the stack is gone */

	if (st)
		st->rx_held -= b->cost;
	if (b->cap == 0) {
		b->keep.put(b->keep.obj);
		if (st && st->n_refs < STACK_RX_KEEP_REFS) {
			b->next = st->free_refs;
			st->free_refs = b;
			st->n_refs++;
		} else {
			free(b);
		}
		return;
	}
	if (st) {
		unsigned int c = stack_rx_class(b->cap);

		if (st->n_cls[c] < stack_rx_keep(c) &&
		    st->rx_cached + b->cap <= STACK_RX_CACHE_MAX) {
			b->next = st->free_cls[c];
			st->free_cls[c] = b;
			st->n_cls[c]++;
			st->rx_cached += b->cap;
			return;
		}
	}
	free(b);
}

/* stack_rx_lent() - a pbuf over the frame where it lies, holding @keep. */
static struct pbuf *stack_rx_lent(struct lwst *st, const uint8_t *frame,
				  size_t len, const struct sw_ref *keep)
{
	struct stack_rxbuf *b = st->free_refs;

	if (b) {
		st->free_refs = b->next;
		st->n_refs--;
	} else {
		b = malloc(sizeof(*b));
		if (!b)
			return NULL;
		b->cap = 0;
	}
	b->pc.custom_free_function = stack_rx_free;
	b->cost = (uint32_t)(sizeof(*b) + len);
	st->rx_held += b->cost;
	b->keep = *keep;
	keep->get(keep->obj);
	return pbuf_alloced_custom(PBUF_RAW, (u16_t)len, PBUF_REF, &b->pc,
				   (void *)frame, (u16_t)len);
}

static struct pbuf *stack_rx_alloc(struct lwst *st, const uint8_t *frame,
				   size_t len, const struct sw_ref *keep)
{
	unsigned int c;
	struct stack_rxbuf *b;

	if (keep)
		return stack_rx_lent(st, frame, len, keep);
	c = stack_rx_class(len);
	if (len > stack_rx_caps[c])
		return NULL; /* cannot be: frames end at FRAME_MAX_LEN */
	if (st->free_cls[c]) {
		b = st->free_cls[c];
		st->free_cls[c] = b->next;
		st->n_cls[c]--;
		st->rx_cached -= b->cap;
	} else {
		uint32_t cap = stack_rx_caps[c];

		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->cap = cap;
	}
	b->pc.custom_free_function = stack_rx_free;
	b->cost = (uint32_t)(sizeof(*b) + b->cap);
	st->rx_held += b->cost;
	memcpy(b->data, frame, len);
	return pbuf_alloced_custom(PBUF_RAW, (u16_t)len, PBUF_RAM, &b->pc,
				   b->data, (u16_t)len);
}

static void stack_to_lwip(struct lwst *st, const uint8_t *frame, size_t len,
			  const struct sw_ref *keep)
{
	struct pbuf *p = stack_rx_alloc(st, frame, len, keep);

	if (!p) {
		st->cnt.nomem_drops++;
		log_rl("stack: out of memory, frame dropped");
		return;
	}
	st->cnt.to_stack++;
	if (st->netif.input(p, &st->netif) != ERR_OK)
		pbuf_free(p);
}

/* stack_deliver_held() - a held ACK of the guest goes to lwIP (copied). */
static void stack_deliver_held(void *arg, const uint8_t *frame, size_t len)
{
	stack_to_lwip(arg, frame, len, NULL);
}

/*
 * stack_frame_short() - an ARP, IPv4 or IPv6 frame shorter than its header:
 * lwIP 2.1 reads those headers before it checks the length, past the
 * end of a frame that is not padded.
 */
static bool stack_frame_short(const uint8_t *f, size_t len)
{
	if (len < 14)
		return true;
	if (f[12] == 0x08 && f[13] == 0x06)
		return len < 14 + 28;
	if (f[12] == 0x08 && f[13] == 0x00)
		return len < 14 + 20 || len < 14 + (size_t)(f[14] & 15) * 4;
	if (f[12] == 0x86 && f[13] == 0xdd)
		return len < 14 + 40;
	return false;
}

static void lwst_input(struct stack *base, const uint8_t *frame, size_t len,
		       const struct sw_ref *keep)
{
	struct lwst *st = (struct lwst *)base;

	st->in_batch = true;
	if (stack_frame_short(frame, len)) {
		st->cnt.short_drops++;
		log_rl("stack: frame of %zu bytes too short for its header, "
		       "dropped",
		       len);
		return;
	}
	if (len > 0xffff) {
		st->cnt.nomem_drops++;
		return;
	}
	if (ackhold_input(&st->in_acks, frame, len, stack_deliver_held, st))
		return;
	stack_to_lwip(st, frame, len, keep);
}

static void lwst_batch_end(struct stack *base)
{
	lwst_end_batch(base);
}

size_t lwst_pbuf_cost(const struct pbuf *p)
{
	const struct pbuf_custom *pc = (const struct pbuf_custom *)p;

	if ((p->flags & PBUF_FLAG_IS_CUSTOM) &&
	    pc->custom_free_function == stack_rx_free)
		return ((const struct stack_rxbuf *)p)->cost;
	return sizeof(*p) + p->len;
}

/*
 * qcw_ooseq_limit() - lwIP's out-of-order limit of a connection, @max
 * while all of them are within the global budget, else 0 (counted once
 * per segment, by the call with @count).
 */
unsigned int qcw_ooseq_limit(unsigned int max, int count)
{
	struct lwst *st = stack_the;
	size_t queued;

	if (!st)
		return max;
	queued = st->splice.q_cost < st->rx_held ? st->splice.q_cost
						 : st->rx_held;
	if (st->rx_held - queued <= STACK_OOSEQ_GLOBAL)
		return max;
	if (!count)
		return 0;
	st->cnt.ooseq_dumps++;
	log_rl("stack: out-of-order segments over %u MiB in all, a "
	       "connection's queue dropped",
	       STACK_OOSEQ_GLOBAL >> 20);
	return 0;
}

static bool stack_arp_known(const ip4_addr_t *ip)
{
	struct eth_addr *mac;
	const ip4_addr_t *found;

	return etharp_find_addr(NULL, ip, &mac, &found) >= 0;
}

/* lwst_gw_listener() - the gateway's listener of @port: IPv4, or @v6 */
static struct tcp_pcb_listen *lwst_gw_listener(struct lwst *st, uint16_t port,
					       bool v6)
{
	struct tcp_pcb_listen *l;

	/* the gateway's listeners: its IPv4 address, IPv6's any address */
	for (l = tcp_listen_pcbs.listen_pcbs; l; l = l->next)
		if (l->local_port == port &&
		    (v6 ? IP_IS_V6_VAL(l->local_ip) &&
				     ip_addr_isany_val(l->local_ip)
			: IP_IS_V4_VAL(l->local_ip) &&
				     ip4_addr_get_u32(ip_2_ip4(&l->local_ip)) ==
					     lwip_htonl(st->cfg.gateway)))
			return l;
	return NULL;
}

static bool lwst_gw_full(const struct tcp_pcb_listen *l)
{
	return l && l->accepts_pending >= l->backlog;
}

/*
 * lwst_gw_evict() - drop up to @max of @l's half-open pcbs. New pcbs go
 * to the head: the oldest are last. Those from an address with no
 * resolved ARP entry go first (made-up sources cannot answer ARP; the
 * guest did), then, unless @unresolved_only, the oldest of addresses
 * without a DHCP lease, then the oldest others. Returns how many went.
 */
static unsigned int lwst_gw_evict(struct lwst *st, struct tcp_pcb_listen *l,
				  bool v6, bool unresolved_only,
				  unsigned int max)
{
	static struct tcp_pcb *v[256];
	struct tcp_pcb *pcb;
	unsigned int n = 0, i, k = 0;

	for (pcb = tcp_active_pcbs; pcb && n < 256; pcb = pcb->next)
		if (pcb->state == SYN_RCVD && pcb->listener == l)
			v[n++] = pcb;
	for (i = n; !v6 && i-- > 0 && k < max;) {
		if (!stack_arp_known(ip_2_ip4(&v[i]->remote_ip))) {
			tcp_abandon(v[i], 0);
			v[i] = NULL;
			k++;
		}
	}
	for (i = n; !v6 && !unresolved_only && i-- > 0 && k < max;) {
		if (v[i] &&
		    stack_pin_find(st, lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(
					       &v[i]->remote_ip)))) < 0) {
			tcp_abandon(v[i], 0);
			v[i] = NULL;
			k++;
		}
	}
	for (i = n; !unresolved_only && i-- > 0 && k < max;) {
		if (v[i]) {
			tcp_abandon(v[i], 0);
			k++;
		}
	}
	st->cnt.syn_evicted += k;
	if (k)
		log_rl("stack: SYN flood at the gateway's port %u: the oldest "
		       "half-open connections dropped",
		       l->local_port);
	return k;
}

/*
 * lwst_gw_syn() - a SYN for the gateway's own port @port that cannot have
 * a cookie (the first fragment of an IPv4 SYN): when its listener's backlog (every
 * half-open connection counts, lwIP 2.1) is full, the oldest half of
 * them go, so a flood of SYNs from made-up sources keeps a bounded list
 * of pcbs and a real client still gets in.
 */
static void lwst_gw_syn(struct lwst *st, uint16_t port, bool v6)
{
	struct tcp_pcb_listen *l = lwst_gw_listener(st, port, v6);

	if (lwst_gw_full(l))
		lwst_gw_evict(st, l, v6, false, STACK_GW_EVICT);
}

/*
 * lwst_gw_guest_mac() - the MAC of @t's guest address, NULL when unknown:
 * IPv4's from lwIP's ARP table (an address that never answered ARP has
 * none), IPv6's from the neighbours learned off the guest's packets.
 */
static const uint8_t *lwst_gw_guest_mac(struct lwst *st,
					const struct syncookie_tuple *t)
{
	const ip4_addr_t *found;
	struct eth_addr *mac;
	ip4_addr_t g;

	if (t->v6)
		return lwst6_mac_of(st, t->saddr6);
	ip4_addr_set_u32(&g, lwip_htonl(t->saddr));
	if (etharp_find_addr(NULL, &g, &mac, &found) < 0)
		return NULL;
	return mac->addr;
}

void lwst_gw_addrs(const struct syncookie_tuple *t, ip_addr_t *g, ip_addr_t *d)
{
	struct inaddr a = t->v6 ? inaddr_v6(t->saddr6) : inaddr_v4(t->saddr);
	struct inaddr b = t->v6 ? inaddr_v6(t->daddr6) : inaddr_v4(t->daddr);

	lwst_ip_set(g, &a);
	lwst_ip_set(d, &b);
}

void lwst_gw_tw_reuse(struct lwst *st, const struct syncookie_tuple *t)
{
	ip_addr_t g, l;

	if (!tcp_tw_pcbs)
		return;
	lwst_gw_addrs(t, &g, &l);
	lwst_tcp_tw_reuse(st, &g, t->sport, &l, t->dport);
}

/*
 * lwst_gw_cookie_syn() - a SYN for a gateway port, its TCP header whole
 * at @tcp (@len bytes of segment there). With the listener's backlog
 * full, room is made from IPv4 sources that cannot answer ARP (a scan
 * every STACK_GW_SCAN_MS at most: one per SYN took the whole CPU under a
 * flood); otherwise the SYN gets a cookie instead (syncookie.h), or is
 * dropped when the guest's address has no MAC known (an IPv4 source that
 * cannot answer ARP either). Returns true when the SYN was taken (the
 * caller frees it).
 */
static bool lwst_gw_cookie_syn(struct lwst *st, const struct syncookie_tuple *t,
			       const uint8_t *tcp, size_t len)
{
	struct tcp_pcb_listen *l = lwst_gw_listener(st, t->dport, t->v6);
	uint8_t f[SYNCOOKIE_SYNACK6_LEN];
	const uint8_t *mac;
	uint16_t mss, ours;
	ip_addr_t g, d;
	uint32_t isn;
	uint64_t now;
	size_t n;

	if (!lwst_gw_full(l))
		return false;
	/* a scan of the backlog at most every STACK_GW_SCAN_MS */
	now = lwst_now(st);
	if (!t->v6 && now >= st->gw_scan_at) {
		st->gw_scan_at = now + STACK_GW_SCAN_MS;
		if (lwst_gw_evict(st, l, false, true, STACK_GW_EVICT))
			return false;
	}
	mac = lwst_gw_guest_mac(st, t);
	if (!mac) {
		st->cnt.syn_evicted++; /* dropped as from a full backlog */
		return true;
	}
	isn = syncookie_make(st->cookie_key, t, now,
			     syncookie_syn_mss(tcp, len), &mss);
	/* what lwIP advertises in its own SYN-ACKs on this link */
	lwst_gw_addrs(t, &g, &d);
	ours = tcp_eff_send_mss_netif(TCP_MSS, &st->netif, &g);
	n = syncookie_build_synack(f, mac, st->cfg.gw_mac, t, isn,
				   be32_get(tcp + 4), ours);
	sw_output_buf(st->sw, f, n);
	st->cnt.syn_cookies++;
	st->cookies_until = now + 2 * SYNCOOKIE_SLOT_MS;
	return true;
}

/*
 * lwst_gw_cookie_ack() - an ACK for a gateway port (its TCP header at
 * @tcp) while cookies are out: when it brings back a cookie and lwIP has
 * no connection of its pair, the guest's SYN is rebuilt for lwIP (room
 * made in the backlog if need be), whose pcb takes the cookie as its ISN
 * and whose SYN-ACK is not sent again; the ACK itself then completes the
 * connection in lwIP.
 */
static void lwst_gw_cookie_ack(struct lwst *st, const struct syncookie_tuple *t,
			       const uint8_t *tcp, struct netif *inp)
{
	size_t len = t->v6 ? SYNCOOKIE_SYN6_LEN : SYNCOOKIE_SYN_LEN;
	struct tcp_pcb_listen *l;
	const uint8_t *mac = NULL;
	struct tcp_pcb *pcb;
	ip_addr_t g, d;
	struct pbuf *q;
	uint32_t ack = be32_get(tcp + 8);
	uint16_t mss;

	mss = syncookie_check(st->cookie_key, t, lwst_now(st), ack - 1);
	if (!mss)
		return;
	l = lwst_gw_listener(st, t->dport, t->v6);
	if (!l)
		return;
	if (t->v6 && !(mac = lwst6_mac_of(st, t->saddr6)))
		return;
	lwst_gw_addrs(t, &g, &d);
	for (pcb = tcp_active_pcbs; pcb; pcb = pcb->next)
		if (lwst_pcb_of_pair(pcb, &g, t->sport, &d, t->dport))
			return; /* a connection of the pair already */
	if (lwst_gw_full(l) && !lwst_gw_evict(st, l, t->v6, false, 1))
		return;
	/* IPv6 input learns the guest's MAC from the Ethernet header: one
	 * in front of the rebuilt SYN, as the guest's frame had */
	q = pbuf_alloc(PBUF_RAW, (uint16_t)(SIZEOF_ETH_HDR + len), PBUF_RAM);
	if (!q) {
		st->cnt.nomem_drops++;
		return;
	}
	if (mac)
		pkt_put_eth(q->payload, st->cfg.gw_mac, mac, ETHTYPE_IP6);
	pbuf_remove_header(q, SIZEOF_ETH_HDR);
	syncookie_build_syn(q->payload, t, be32_get(tcp + 4) - 1,
			    be16_get(tcp + 14), mss);
	st->isn = ack - 1;
	st->isn_forced = true;
	st->drop_synack = true;
	if (t->v6)
		ip6_input(q, inp);
	else
		ip4_input(q, inp);
	st->isn_forced = false;
	st->drop_synack = false;
	/* lwIP put the new SYN_RCVD pcb at the head of the active list */
	pcb = tcp_active_pcbs;
	if (pcb && pcb->state == SYN_RCVD && pcb->lastack == ack - 1 &&
	    lwst_pcb_of_pair(pcb, &g, t->sport, &d, t->dport))
		st->cnt.syn_cookie_conns++;
}

bool lwst_gw_segment(struct lwst *st, const struct syncookie_tuple *t,
		     const uint8_t *tcp, size_t len, struct netif *inp)
{
	if ((tcp[13] & 0x12) == 0x02)
		return lwst_gw_cookie_syn(st, t, tcp, len);
	if ((tcp[13] & 0x16) == 0x10 && st->cookies_until > lwst_now(st))
		lwst_gw_cookie_ack(st, t, tcp, inp);
	return false;
}

int qcw_lwip_ip4_input_hook(struct pbuf *p, struct netif *inp)
{
	struct lwst *st = stack_the;
	const uint8_t *ip = p->payload;
	uint32_t dst;

	if (!st || p->len < 20)
		return 0; /* lwIP drops it */
	dst = be32_get(ip + 16);
	if (dst == st->cfg.gateway && ip[9] == 6) {
		size_t hl = (size_t)(ip[0] & 15) * 4;

		bool whole = (be16_get(ip + 6) & 0x3fff) == 0 &&
			     p->len >= hl + 20 &&
			     p->len >= hl + (size_t)(ip[hl + 12] >> 4) * 4;

		struct syncookie_tuple t;

		if (p->len < hl + 14)
			return 0; /* lwIP's to drop */
		syncookie_tuple_set(&t, false, ip + 12, ip + 16, ip + hl);
		/* a first fragment of a SYN is left to lwIP's backlog */
		if ((ip[hl + 13] & 0x12) == 0x02) {
			lwst_gw_tw_reuse(st, &t);
			if (!whole)
				lwst_gw_syn(st, t.dport, false);
		}
		if (whole &&
		    lwst_gw_segment(st, &t, ip + hl, p->len - hl, inp)) {
			pbuf_free(p);
			return 1;
		}
		return 0;
	}
	if (netcfg_nat_check(&st->cfg, dst) == NETCFG_NAT_LOCAL)
		return 0; /* lwIP's: its own, or dropped */
	st->cnt.nat_in++;
	if (st->nat)
		return nat_ip4_input(st->nat, p, inp);
	pbuf_free(p);
	return 1;
}

int qcw_lwip_ip6_input_hook(struct pbuf *p, struct netif *inp)
{
	struct lwst *st = stack_the;

	return st ? lwst6_input(st, st->nat, p, inp) : 0;
}

const struct stack_backend stack_lwip_backend = {
	.name = "lwip",
	.summary = "lwIP, built by qcw-net with its own lwipopts.h (default)",
	.create = lwst_create,
	.destroy = lwst_destroy,
	.prepare = lwst_prepare,
	.input = lwst_input,
	.batch_end = lwst_batch_end,
	.lease = lwst_lease,
	.tcp_dial = lwst_tcp_dial,
	.conn_close = lwst_conn_close,
	.tcp_listen = lwst_tcp_listen,
	.tcp_unlisten = lwst_tcp_unlisten,
	.udp_open = lwst_udp_open,
	.udp_send = lwst_udp_send,
	.udp_close = lwst_udp_close,
	.stats = lwst_stats,
};
