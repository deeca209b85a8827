/*
 * switch.c - learning L2 switch (see switch.h). The CAM is a fixed table
 * keyed by MAC (a handful of VMs is the common case, so a lookup is one
 * hash and one compare); entries age out and, when a port or the table
 * is full, the least recently seen one is replaced. Nothing is allocated
 * per frame and the switch never reads a clock: sw_tick() brings the time.
 */
#include "net/switch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LOG_SUBSYS LOG_SS_SWITCH
#include "net/rxchunk.h"
#include "util/hash.h"
#include "util/log.h"

/*
 * The CAM: SW_CAM_MAX entries in a fixed array, found through a chained
 * hash (bucket heads and chain links are entry indexes), each entry also
 * on its port's recency list (head: most recently seen). A list is kept
 * ordered by @seen_ms without touching it on every frame: an entry moves
 * to the head only when the switch's time (sw_tick()) changed since it
 * was stamped, or when more than SW_CAM_MOVE_GEN new MACs were learnt
 * since it last moved, so a VM that keeps talking through a storm of new
 * MACs stays near the head and is not the one replaced.
 */
#define SW_NIL 0xffffu
#define SW_CAM_BUCKETS (2 * SW_CAM_MAX)
#define SW_CAM_HASH_BITS 11 /* log2(SW_CAM_BUCKETS) */
#define SW_CAM_CHAIN_MAX 8
#define SW_CAM_MOVE_GEN 16

_Static_assert(SW_CAM_BUCKETS == 1u << SW_CAM_HASH_BITS, "hash bits");
_Static_assert(SW_CAM_MAX < SW_NIL, "entry index fits 16 bits");

struct sw_cam_entry {
	uint8_t mac[6];
	uint8_t port;
	uint8_t used;
	uint16_t hnext; /* next in the bucket chain */
	uint16_t prev, next; /* the port's list; free list through @next */
	uint32_t gen; /* sw->gen when it last moved to its list's head */
	uint64_t seen_ms;
};

struct sw_cam_list {
	uint16_t head, tail, n;
};

struct sw {
	uint8_t gw_mac[6];
	/* NULL unless -pcap; beside gw_mac, which every frame reads too */
	sw_capture_fn capture;
	void *capture_arg;
	struct sw_port *ports[SW_MAX_PORTS];
	uint64_t seed;
	uint64_t now_ms;
	uint64_t age_ms; /* 0: never */
	unsigned int port_max;
	uint32_t gen; /* new MACs learnt so far */
	unsigned int n_cam;
	uint16_t free_head;
	uint16_t bucket[SW_CAM_BUCKETS];
	struct sw_cam_list lru[SW_MAX_PORTS];
	struct sw_cam_entry cam[SW_CAM_MAX];
	unsigned int n_congested;
	int in_port; /* the port whose frame the stack has now, or -1 */
	sw_stack_input_fn stack_in;
	void (*stack_end)(void *stack);
	void *stack;
	sw_mac_event_fn mac_ev;
	void *mac_ev_arg;
	sw_drain_fn drain;
	void *drain_arg;
	struct sw_counters cnt;
	struct rxchunk_pool *rxc; /* transports' receive chunks */
};

static void sw_cam_reset(struct sw *sw)
{
	unsigned int i;

	for (i = 0; i < SW_CAM_BUCKETS; i++)
		sw->bucket[i] = SW_NIL;
	for (i = 0; i < SW_MAX_PORTS; i++)
		sw->lru[i].head = sw->lru[i].tail = SW_NIL;
	for (i = 0; i < SW_CAM_MAX; i++)
		sw->cam[i].next =
			(uint16_t)(i + 1 < SW_CAM_MAX ? i + 1 : SW_NIL);
	sw->free_head = 0;
}

struct sw *sw_create(const uint8_t gw_mac[6])
{
	struct sw *sw = calloc(1, sizeof(*sw));

	if (!sw) {
		log_err("switch: out of memory");
		return NULL;
	}
	sw->rxc = rxchunk_pool_create();
	if (!sw->rxc) {
		log_err("switch: out of memory");
		free(sw);
		return NULL;
	}
	memcpy(sw->gw_mac, gw_mac, 6);
	sw->seed = hash_seed(sw); /* so a guest cannot aim at a bucket */
	sw->age_ms = SW_CAM_AGE_MS;
	sw->port_max = SW_CAM_PORT_MAX;
	sw->in_port = -1;
	sw_cam_reset(sw);
	return sw;
}

void sw_destroy(struct sw *sw)
{
	if (!sw)
		return;
	rxchunk_pool_destroy(sw->rxc);
	free(sw);
}

struct rxchunk_pool *sw_rxchunks(struct sw *sw)
{
	return sw->rxc;
}

void sw_set_stack(struct sw *sw, sw_stack_input_fn fn, void *stack)
{
	sw->stack_in = fn;
	sw->stack = stack;
}

void sw_set_stack_batch_end(struct sw *sw, void (*fn)(void *stack))
{
	sw->stack_end = fn;
}

void sw_input_end(struct sw_port *port)
{
	struct sw *sw = port->sw;

	if (sw && port->id >= 0 && sw->stack_end) {
		sw->in_port = port->id;
		sw->stack_end(sw->stack);
		sw->in_port = -1;
	}
}

void sw_set_mac_event(struct sw *sw, sw_mac_event_fn fn, void *arg)
{
	sw->mac_ev = fn;
	sw->mac_ev_arg = arg;
}

void sw_set_capture(struct sw *sw, sw_capture_fn fn, void *arg)
{
	sw->capture = fn;
	sw->capture_arg = arg;
}

void sw_set_drain(struct sw *sw, sw_drain_fn fn, void *arg)
{
	sw->drain = fn;
	sw->drain_arg = arg;
}

void sw_set_cam_limits(struct sw *sw, uint64_t age_ms, unsigned int port_max)
{
	sw->age_ms = age_ms;
	if (port_max < 1)
		port_max = 1;
	sw->port_max = port_max < SW_CAM_MAX ? port_max : SW_CAM_MAX;
}

static unsigned int sw_mac_hash(const struct sw *sw, const uint8_t *mac)
{
	uint64_t x = (uint64_t)mac[0] | (uint64_t)mac[1] << 8 |
		     (uint64_t)mac[2] << 16 | (uint64_t)mac[3] << 24 |
		     (uint64_t)mac[4] << 32 | (uint64_t)mac[5] << 40;

	x ^= sw->seed;
	x *= 0x9e3779b97f4a7c15ull;
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	return (unsigned int)(x >> (64 - SW_CAM_HASH_BITS));
}

static struct sw_cam_entry *sw_cam_find(const struct sw *sw, const uint8_t *mac)
{
	uint16_t i = sw->bucket[sw_mac_hash(sw, mac)];

	while (i != SW_NIL) {
		const struct sw_cam_entry *e = &sw->cam[i];

		if (!memcmp(e->mac, mac, 6))
			return (struct sw_cam_entry *)e;
		i = e->hnext;
	}
	return NULL;
}

static uint16_t sw_idx(const struct sw *sw, const struct sw_cam_entry *e)
{
	return (uint16_t)(e - sw->cam);
}

static void sw_list_unlink(struct sw *sw, struct sw_cam_entry *e)
{
	struct sw_cam_list *l = &sw->lru[e->port];

	if (e->prev != SW_NIL)
		sw->cam[e->prev].next = e->next;
	else
		l->head = e->next;
	if (e->next != SW_NIL)
		sw->cam[e->next].prev = e->prev;
	else
		l->tail = e->prev;
	l->n--;
}

static void sw_list_push(struct sw *sw, struct sw_cam_entry *e)
{
	struct sw_cam_list *l = &sw->lru[e->port];
	uint16_t i = sw_idx(sw, e);

	e->prev = SW_NIL;
	e->next = l->head;
	if (l->head != SW_NIL)
		sw->cam[l->head].prev = i;
	else
		l->tail = i;
	l->head = i;
	l->n++;
	e->gen = sw->gen;
}

/* sw_cam_remove() - forget @e (hash, list), tell the MAC event hook. */
static void sw_cam_remove(struct sw *sw, struct sw_cam_entry *e)
{
	uint16_t *pp = &sw->bucket[sw_mac_hash(sw, e->mac)];
	uint16_t i = sw_idx(sw, e);

	while (*pp != i)
		pp = &sw->cam[*pp].hnext;
	*pp = e->hnext;
	sw_list_unlink(sw, e);
	e->used = 0;
	e->next = sw->free_head;
	sw->free_head = i;
	sw->cnt.cam_entries = --sw->n_cam;
	if (sw->mac_ev)
		sw->mac_ev(sw->mac_ev_arg, e->mac, false);
}

/* sw_cam_victim() - the entry to replace: the biggest port's oldest. */
static struct sw_cam_entry *sw_cam_victim(struct sw *sw)
{
	unsigned int i, best = 0;

	for (i = 1; i < SW_MAX_PORTS; i++)
		if (sw->lru[i].n > sw->lru[best].n ||
		    (sw->lru[i].n == sw->lru[best].n && sw->lru[i].n &&
		     sw->cam[sw->lru[i].tail].seen_ms <
			     sw->cam[sw->lru[best].tail].seen_ms))
			best = i;
	return &sw->cam[sw->lru[best].tail];
}

/* sw_cam_evict() - replace @e; @why says which limit was reached. */
static void sw_cam_evict(struct sw *sw, struct sw_cam_entry *e, const char *why)
{
	sw->cnt.cam_evicted++;
	log_rl("switch: %s, replacing the least recently seen MAC "
	       "%02x:%02x:%02x:%02x:%02x:%02x",
	       why, e->mac[0], e->mac[1], e->mac[2], e->mac[3], e->mac[4],
	       e->mac[5]);
	sw_cam_remove(sw, e);
}

/*
 * sw_cam_learn() - @mac was seen on @port. A new MAC replaces, when its
 * port holds port_max MACs already, that port's least recently seen one,
 * and when the table is full the least recently seen MAC of the port
 * holding the most: a port's storm never evicts another port's MACs
 * while that port holds fewer. Only an overlong hash chain (never by
 * chance with a random key) makes it refuse.
 */
static void sw_cam_learn(struct sw *sw, const uint8_t *mac, int port)
{
	struct sw_cam_entry *e = sw_cam_find(sw, mac);
	unsigned int h, chain = 0;
	uint16_t i;

	if (e) {
		/* a MAC that moved to another port */
		sw_list_unlink(sw, e);
		if (sw->lru[port].n >= sw->port_max)
			sw_cam_evict(sw, &sw->cam[sw->lru[port].tail],
				     "port at its MAC limit");
		e->port = (uint8_t)port;
		e->seen_ms = sw->now_ms;
		sw_list_push(sw, e);
		return;
	}
	h = sw_mac_hash(sw, mac);
	for (i = sw->bucket[h]; i != SW_NIL; i = sw->cam[i].hnext)
		chain++;
	if (chain >= SW_CAM_CHAIN_MAX) {
		sw->cnt.cam_refused++;
		log_rl("switch: MAC hash chain full, not learning "
		       "%02x:%02x:%02x:%02x:%02x:%02x",
		       mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
		return;
	}
	if (sw->lru[port].n >= sw->port_max)
		sw_cam_evict(sw, &sw->cam[sw->lru[port].tail],
			     "port at its MAC limit");
	else if (sw->free_head == SW_NIL)
		sw_cam_evict(sw, sw_cam_victim(sw), "MAC table full");
	i = sw->free_head;
	e = &sw->cam[i];
	sw->free_head = e->next;
	memcpy(e->mac, mac, 6);
	e->used = 1;
	e->port = (uint8_t)port;
	e->seen_ms = sw->now_ms;
	e->hnext = sw->bucket[h];
	sw->bucket[h] = i;
	sw->gen++;
	sw_list_push(sw, e);
	sw->cnt.cam_entries = ++sw->n_cam;
	sw->cnt.cam_learned++;
	log_debug("switch: learned %02x:%02x:%02x:%02x:%02x:%02x on port %d",
		  mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], port);
	if (sw->mac_ev)
		sw->mac_ev(sw->mac_ev_arg, mac, true);
}

/* sw_cam_seen() - the per-frame part: a known source MAC on its port. */
static inline void sw_cam_seen(struct sw *sw, struct sw_cam_entry *e)
{
	if (e->seen_ms == sw->now_ms && sw->gen - e->gen <= SW_CAM_MOVE_GEN)
		return;
	e->seen_ms = sw->now_ms;
	if (sw->lru[e->port].head != sw_idx(sw, e)) {
		sw_list_unlink(sw, e);
		sw_list_push(sw, e);
	} else {
		e->gen = sw->gen;
	}
}

void sw_tick(struct sw *sw, uint64_t now_ms)
{
	unsigned int p;

	sw->now_ms = now_ms;
	if (!sw->age_ms)
		return;
	for (p = 0; p < SW_MAX_PORTS; p++) {
		struct sw_cam_list *l = &sw->lru[p];

		while (l->tail != SW_NIL &&
		       now_ms >= sw->cam[l->tail].seen_ms &&
		       now_ms - sw->cam[l->tail].seen_ms >= sw->age_ms) {
			sw->cnt.cam_aged++;
			sw_cam_remove(sw, &sw->cam[l->tail]);
		}
	}
}

int sw_mac_last_seen(const struct sw *sw, const uint8_t mac[6],
		     uint64_t *seen_ms)
{
	const struct sw_cam_entry *e = sw_cam_find(sw, mac);

	if (!e)
		return -ENOENT;
	*seen_ms = e->seen_ms;
	return 0;
}

const struct sw_counters *sw_counters(const struct sw *sw)
{
	return &sw->cnt;
}

int sw_port_attach(struct sw *sw, struct sw_port *port, const char *kind)
{
	int i;

	for (i = 0; i < SW_MAX_PORTS; i++) {
		if (!sw->ports[i]) {
			sw->ports[i] = port;
			port->sw = sw;
			port->id = i;
			port->kind = kind;
			port->congested = false;
			return 0;
		}
	}
	port->id = -1;
	return -ENOSPC;
}

void sw_port_detach(struct sw_port *port)
{
	struct sw *sw = port->sw;

	if (!sw || port->id < 0)
		return;
	sw_port_set_congested(port, false);
	while (sw->lru[port->id].head != SW_NIL)
		sw_cam_remove(sw, &sw->cam[sw->lru[port->id].head]);
	sw->ports[port->id] = NULL;
	port->id = -1;
}

static void sw_port_send(struct sw_port *port, const struct iovec *iov,
			 int iovcnt, size_t len)
{
	int r = port->ops->send(port, iov, iovcnt, len);

	if (r == 0) {
		port->cnt.tx_frames++;
		port->cnt.tx_bytes += len;
	} else {
		port->cnt.tx_drops++;
	}
}

static void sw_flood(struct sw *sw, int except, const struct iovec *iov,
		     int iovcnt, size_t len)
{
	int i;

	for (i = 0; i < SW_MAX_PORTS; i++)
		if (sw->ports[i] && i != except)
			sw_port_send(sw->ports[i], iov, iovcnt, len);
}

/*
 * The capture calls are out of line and marked cold: with no capture the
 * data path keeps its code layout and pays the pointer test alone.
 */
#define SW_COLD __attribute__((noinline, cold))

/* sw_capture_contig() - a contiguous frame into the capture (-pcap). */
static SW_COLD void sw_capture_contig(struct sw *sw, const uint8_t *frame,
				      size_t len)
{
	struct iovec iov = {.iov_base = (void *)frame, .iov_len = len};

	sw->capture(sw->capture_arg, &iov, 1, len);
}

void sw_input(struct sw_port *port, const uint8_t *frame, size_t len)
{
	sw_input_keep(port, frame, len, NULL);
}

void sw_input_keep(struct sw_port *port, const uint8_t *frame, size_t len,
		   const struct sw_ref *keep)
{
	struct sw *sw = port->sw;
	struct sw_cam_entry *e;
	struct iovec iov;

	port->cnt.rx_frames++;
	port->cnt.rx_bytes += len;
	/* detached (closing): learning it would store port id -1 */
	if (len < 14 || port->id < 0) {
		port->cnt.rx_drops++;
		return;
	}
	if (sw->capture)
		sw_capture_contig(sw, frame, len);
	/* Learn unicast source MACs only; a multicast source is bogus. */
	if (!(frame[6] & 1)) {
		e = sw_cam_find(sw, frame + 6);
		if (e && e->port == port->id)
			sw_cam_seen(sw, e);
		else
			sw_cam_learn(sw, frame + 6, port->id);
	}
	if (!memcmp(frame, sw->gw_mac, 6)) {
		if (sw->stack_in) {
			sw->in_port = port->id;
			sw->stack_in(sw->stack, frame, len, keep);
			sw->in_port = -1;
		}
		return;
	}
	iov.iov_base = (void *)frame;
	iov.iov_len = len;
	if (frame[0] & 1) {
		/* broadcast and multicast: the stack and every other port */
		/* borrowed only: the other ports still read it after */
		if (sw->stack_in) {
			sw->in_port = port->id;
			sw->stack_in(sw->stack, frame, len, NULL);
			sw->in_port = -1;
		}
		sw_flood(sw, port->id, &iov, 1, len);
		return;
	}
	e = sw_cam_find(sw, frame);
	if (!e) {
		port->cnt.rx_drops++;
		sw->cnt.unknown_unicast++;
		return;
	}
	if (e->port != port->id && sw->ports[e->port])
		sw_port_send(sw->ports[e->port], &iov, 1, len);
}

static SW_COLD void sw_capture_iov(struct sw *sw, const struct iovec *iov,
				   int iovcnt, size_t len)
{
	sw->capture(sw->capture_arg, iov, iovcnt, len);
}

void sw_output(struct sw *sw, const struct iovec *iov, int iovcnt, size_t len)
{
	const uint8_t *dst = iov[0].iov_base;
	struct sw_cam_entry *e;

	if (iov[0].iov_len < 6)
		return;
	if (sw->capture)
		sw_capture_iov(sw, iov, iovcnt, len);
	if (dst[0] & 1) {
		sw_flood(sw, -1, iov, iovcnt, len);
		return;
	}
	e = sw_cam_find(sw, dst);
	if (e && sw->ports[e->port])
		sw_port_send(sw->ports[e->port], iov, iovcnt, len);
	else
		sw->cnt.unknown_unicast++;
}

/*
 * sw_port_send_refs() - a frame of @hl copied header bytes (maybe none)
 * and a referenced payload, by the port's reference op when it has the
 * right one, else copied.
 */
static void sw_port_send_refs(struct sw_port *port, const uint8_t *hdr,
			      size_t hl, const uint8_t *data, size_t len,
			      const struct sw_ref *ref)
{
	struct iovec iov[2] = {{.iov_base = (void *)hdr, .iov_len = hl},
			       {.iov_base = (void *)data, .iov_len = len}};
	int r;

	if (!hl && port->ops->send_ref)
		r = port->ops->send_ref(port, data, len, ref);
	else if (hl && hl <= SW_HDR_MAX && port->ops->send_ref_hdr)
		r = port->ops->send_ref_hdr(port, hdr, hl, data, len, ref);
	else {
		sw_port_send(port, hl ? iov : iov + 1, hl ? 2 : 1, hl + len);
		return;
	}
	if (r == 0) {
		port->cnt.tx_frames++;
		port->cnt.tx_bytes += hl + len;
	} else {
		port->cnt.tx_drops++;
	}
}

/* sw_capture_refs() - a frame of header and payload into the capture. */
static SW_COLD void sw_capture_refs(struct sw *sw, const uint8_t *hdr,
				    size_t hl, const uint8_t *data, size_t len)
{
	struct iovec iov[2] = {{.iov_base = (void *)hdr, .iov_len = hl},
			       {.iov_base = (void *)data, .iov_len = len}};

	if (hl)
		sw->capture(sw->capture_arg, iov, 2, hl + len);
	else
		sw->capture(sw->capture_arg, iov + 1, 1, len);
}

void sw_output_ref_hdr(struct sw *sw, const uint8_t *hdr, size_t hl,
		       const uint8_t *data, size_t len,
		       const struct sw_ref *ref)
{
	const uint8_t *dst = hl ? hdr : data;
	struct sw_cam_entry *e;
	int i;

	if ((hl ? hl : len) < 6)
		return;
	if (sw->capture)
		sw_capture_refs(sw, hdr, hl, data, len);
	if (dst[0] & 1) {
		for (i = 0; i < SW_MAX_PORTS; i++)
			if (sw->ports[i])
				sw_port_send_refs(sw->ports[i], hdr, hl, data,
						  len, ref);
		return;
	}
	e = sw_cam_find(sw, dst);
	if (e && sw->ports[e->port])
		sw_port_send_refs(sw->ports[e->port], hdr, hl, data, len, ref);
	else
		sw->cnt.unknown_unicast++;
}

void sw_output_ref(struct sw *sw, const uint8_t *data, size_t len,
		   const struct sw_ref *ref)
{
	sw_output_ref_hdr(sw, NULL, 0, data, len, ref);
}

void sw_flush(struct sw *sw)
{
	int i;

	for (i = 0; i < SW_MAX_PORTS; i++)
		if (sw->ports[i] && sw->ports[i]->ops->flush)
			sw->ports[i]->ops->flush(sw->ports[i]);
}

bool sw_congested(const struct sw *sw)
{
	return sw->n_congested > 0;
}

int sw_input_port(const struct sw *sw)
{
	return sw->in_port;
}

bool sw_port_id_congested(const struct sw *sw, int id)
{
	const struct sw_port *p =
		id >= 0 && id < SW_MAX_PORTS ? sw->ports[id] : NULL;

	return p && p->congested;
}

void sw_port_queue_level(struct sw_port *port, size_t used, size_t cap)
{
	if (!port->congested && used > cap / 2)
		sw_port_set_congested(port, true);
	else if (port->congested && used < cap / 4)
		sw_port_set_congested(port, false);
}

void sw_port_set_congested(struct sw_port *port, bool congested)
{
	struct sw *sw = port->sw;

	/* a detached port must not leave the switch congested for ever */
	if (!sw || port->id < 0 || port->congested == congested)
		return;
	port->congested = congested;
	if (congested) {
		sw->n_congested++;
		return;
	}
	sw->n_congested--;
	/* producers waiting for this port read again (others stay waiting) */
	if (sw->drain)
		sw->drain(sw->drain_arg);
}

uint64_t sw_bytes_sent(const struct sw *sw)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < SW_MAX_PORTS; i++)
		if (sw->ports[i])
			n += sw->ports[i]->cnt.tx_bytes;
	return n;
}

uint64_t sw_bytes_received(const struct sw *sw)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < SW_MAX_PORTS; i++)
		if (sw->ports[i])
			n += sw->ports[i]->cnt.rx_bytes;
	return n;
}

void sw_foreach_cam(const struct sw *sw,
		    void (*fn)(void *arg, const uint8_t mac[6], int port),
		    void *arg)
{
	unsigned int i;

	for (i = 0; i < SW_CAM_MAX; i++)
		if (sw->cam[i].used)
			fn(arg, sw->cam[i].mac, sw->cam[i].port);
}

void sw_foreach_port(const struct sw *sw,
		     void (*fn)(void *arg, const struct sw_port *port),
		     void *arg)
{
	int i;

	for (i = 0; i < SW_MAX_PORTS; i++)
		if (sw->ports[i])
			fn(arg, sw->ports[i]);
}
