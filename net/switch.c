/*
 * switch.c - learning L2 switch (see switch.h). The CAM is a small
 * open-addressed table keyed by MAC; a handful of VMs is the common case,
 * so lookups are one or two probes and nothing is allocated per frame.
 */
#include "switch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct sw_cam_entry {
	uint8_t mac[6];
	int8_t used; /* 0 empty, 1 used, -1 tombstone */
	int port;
};

struct sw {
	uint8_t gw_mac[6];
	struct sw_port *ports[SW_MAX_PORTS];
	struct sw_cam_entry cam[SW_CAM_SIZE];
	unsigned int n_cam;
	unsigned int n_congested;
	sw_stack_input_fn stack_in;
	void (*stack_end)(void *stack);
	void *stack;
	sw_mac_event_fn mac_ev;
	void *mac_ev_arg;
	sw_drain_fn drain;
	void *drain_arg;
	uint64_t unknown_unicast;
};

struct sw *sw_create(const uint8_t gw_mac[6])
{
	struct sw *sw = calloc(1, sizeof(*sw));

	if (!sw) {
		log_err("switch: out of memory");
		return NULL;
	}
	memcpy(sw->gw_mac, gw_mac, 6);
	return sw;
}

void sw_destroy(struct sw *sw)
{
	free(sw);
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

	if (sw && port->id >= 0 && sw->stack_end)
		sw->stack_end(sw->stack);
}

void sw_set_mac_event(struct sw *sw, sw_mac_event_fn fn, void *arg)
{
	sw->mac_ev = fn;
	sw->mac_ev_arg = arg;
}

void sw_set_drain(struct sw *sw, sw_drain_fn fn, void *arg)
{
	sw->drain = fn;
	sw->drain_arg = arg;
}

static unsigned int sw_mac_hash(const uint8_t *mac)
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 16777619u;
	return h % SW_CAM_SIZE;
}

static struct sw_cam_entry *sw_cam_find(struct sw *sw, const uint8_t *mac)
{
	unsigned int i, h = sw_mac_hash(mac);

	for (i = 0; i < SW_CAM_SIZE; i++) {
		struct sw_cam_entry *e = &sw->cam[(h + i) % SW_CAM_SIZE];

		if (e->used == 0)
			return NULL;
		if (e->used == 1 && !memcmp(e->mac, mac, 6))
			return e;
	}
	return NULL;
}

static void sw_cam_learn(struct sw *sw, const uint8_t *mac, int port)
{
	struct sw_cam_entry *e = sw_cam_find(sw, mac);
	unsigned int i, h;

	if (e) {
		e->port = port; /* a MAC that moved to another port */
		return;
	}
	if (sw->n_cam >= SW_CAM_SIZE / 2) {
		log_rl("switch: CAM table full, not learning more MACs");
		return;
	}
	h = sw_mac_hash(mac);
	for (i = 0; i < SW_CAM_SIZE; i++) {
		e = &sw->cam[(h + i) % SW_CAM_SIZE];
		if (e->used != 1)
			break;
	}
	memcpy(e->mac, mac, 6);
	e->used = 1;
	e->port = port;
	sw->n_cam++;
	if (sw->mac_ev)
		sw->mac_ev(sw->mac_ev_arg, mac, true);
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
	unsigned int i;

	if (!sw || port->id < 0)
		return;
	sw_port_set_congested(port, false);
	for (i = 0; i < SW_CAM_SIZE; i++) {
		struct sw_cam_entry *e = &sw->cam[i];

		if (e->used == 1 && e->port == port->id) {
			e->used = -1;
			sw->n_cam--;
			if (sw->mac_ev)
				sw->mac_ev(sw->mac_ev_arg, e->mac, false);
		}
	}
	/* Rebuild the table when only tombstones are left, so probes stay short. */
	if (sw->n_cam == 0)
		memset(sw->cam, 0, sizeof(sw->cam));
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
	/* Learn unicast source MACs only; a multicast source is bogus. */
	if (!(frame[6] & 1)) {
		e = sw_cam_find(sw, frame + 6);
		if (!e || e->port != port->id)
			sw_cam_learn(sw, frame + 6, port->id);
	}
	if (!memcmp(frame, sw->gw_mac, 6)) {
		if (sw->stack_in)
			sw->stack_in(sw->stack, frame, len, keep);
		return;
	}
	iov.iov_base = (void *)frame;
	iov.iov_len = len;
	if (frame[0] & 1) {
		/* broadcast and multicast: the stack and every other port */
		/* borrowed only: the other ports still read it after */
		if (sw->stack_in)
			sw->stack_in(sw->stack, frame, len, NULL);
		sw_flood(sw, port->id, &iov, 1, len);
		return;
	}
	e = sw_cam_find(sw, frame);
	if (!e) {
		port->cnt.rx_drops++;
		sw->unknown_unicast++;
		return;
	}
	if (e->port != port->id && sw->ports[e->port])
		sw_port_send(sw->ports[e->port], &iov, 1, len);
}

void sw_output(struct sw *sw, const struct iovec *iov, int iovcnt, size_t len)
{
	const uint8_t *dst = iov[0].iov_base;
	struct sw_cam_entry *e;

	if (iov[0].iov_len < 6)
		return;
	if (dst[0] & 1) {
		sw_flood(sw, -1, iov, iovcnt, len);
		return;
	}
	e = sw_cam_find(sw, dst);
	if (e && sw->ports[e->port])
		sw_port_send(sw->ports[e->port], iov, iovcnt, len);
	else
		sw->unknown_unicast++;
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
	struct iovec iov[2] = {{(void *)hdr, hl}, {(void *)data, len}};
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

void sw_output_ref_hdr(struct sw *sw, const uint8_t *hdr, size_t hl,
		       const uint8_t *data, size_t len,
		       const struct sw_ref *ref)
{
	const uint8_t *dst = hl ? hdr : data;
	struct sw_cam_entry *e;
	int i;

	if ((hl ? hl : len) < 6)
		return;
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
		sw->unknown_unicast++;
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
	if (sw->n_congested == 0 && sw->drain)
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

	for (i = 0; i < SW_CAM_SIZE; i++)
		if (sw->cam[i].used == 1)
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
