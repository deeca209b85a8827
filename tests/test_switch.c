/*
 * test_switch.c - cmocka unit tests of the learning L2 switch
 * (net/switch.h) with fake ports whose send() records frames: MAC
 * learning and moves, unicast forwarding, broadcast/multicast flooding
 * (to the stack and the other ports, never back), frames for the gateway
 * MAC (stack only), unknown unicast (dropped, counted), detach (MACs
 * forgotten, events), frames from the stack, congestion and the drain
 * callback, per-port counters and totals, port limits, and the CAM's
 * ageing and replacement of the least recently seen MAC when full, and
 * the capture tap (-pcap) seeing every frame once.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/switch.h"

#define MAX_REC 8

struct fake_port {
	struct sw_port port; /* first: container_of by cast */
	int ret; /* what send() returns */
	unsigned int n_sent; /* send() calls */
	int last_iovcnt;
	size_t last_len;
	uint8_t last[2048];
};

static int fake_send(struct sw_port *port, const struct iovec *iov, int iovcnt,
		     size_t len)
{
	struct fake_port *fp = (struct fake_port *)port;
	size_t off = 0;
	int i;

	fp->n_sent++;
	fp->last_iovcnt = iovcnt;
	fp->last_len = len;
	for (i = 0; i < iovcnt; i++) {
		assert_true(off + iov[i].iov_len <= sizeof(fp->last));
		memcpy(fp->last + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	assert_int_equal(off, len);
	return fp->ret;
}

static const struct sw_port_ops fake_ops = {.send = fake_send};

/* a port that takes header + referenced payload (as the stream port) */
static unsigned int n_ref_hdr;
static size_t ref_hdr_hl;

static int fake_send_ref_hdr(struct sw_port *port, const uint8_t *hdr,
			     size_t hl, const uint8_t *data, size_t len,
			     const struct sw_ref *ref)
{
	(void)port;
	(void)hdr;
	(void)data;
	(void)len;
	(void)ref;
	n_ref_hdr++;
	ref_hdr_hl = hl;
	return 0;
}

static const struct sw_port_ops fake_ref_ops = {
	.send = fake_send, .send_ref_hdr = fake_send_ref_hdr};

struct mac_ev {
	uint8_t mac[6];
	bool established;
};

struct fixture {
	struct sw *sw;
	struct fake_port p[3];
	/* stack input */
	unsigned int n_stack;
	size_t stack_len;
	uint8_t stack_last[2048];
	const struct sw_ref *stack_keep;
	int stack_port; /* sw_input_port() inside the last stack input */
	/* MAC events */
	unsigned int n_ev;
	struct mac_ev ev[512];
	/* drain */
	unsigned int n_drain;
};

static const uint8_t gw_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0x0b};
static const uint8_t mac_c[6] = {0x02, 0, 0, 0, 0, 0x0c};
static const uint8_t mac_x[6] = {0x02, 0, 0, 0, 0, 0x99}; /* never seen */
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};

static void stack_in(void *arg, const uint8_t *frame, size_t len,
		     const struct sw_ref *keep)
{
	struct fixture *fx = arg;

	fx->n_stack++;
	fx->stack_port = sw_input_port(fx->sw);
	fx->stack_keep = keep;
	fx->stack_len = len;
	assert_true(len <= sizeof(fx->stack_last));
	memcpy(fx->stack_last, frame, len);
}

static void mac_event(void *arg, const uint8_t mac[6], bool established)
{
	struct fixture *fx = arg;

	/* counts all, records the first ones */
	if (fx->n_ev < 512) {
		memcpy(fx->ev[fx->n_ev].mac, mac, 6);
		fx->ev[fx->n_ev].established = established;
	}
	fx->n_ev++;
}

static void drain(void *arg)
{
	struct fixture *fx = arg;

	fx->n_drain++;
}

static void fake_init(struct fake_port *fp)
{
	memset(fp, 0, sizeof(*fp));
	fp->port.ops = &fake_ops;
	fp->port.id = -1;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	int i;

	if (!fx)
		return -1;
	fx->sw = sw_create(gw_mac);
	if (!fx->sw)
		return -1;
	sw_set_stack(fx->sw, stack_in, fx);
	sw_set_mac_event(fx->sw, mac_event, fx);
	sw_set_drain(fx->sw, drain, fx);
	for (i = 0; i < 3; i++) {
		fake_init(&fx->p[i]);
		if (sw_port_attach(fx->sw, &fx->p[i].port, "fake"))
			return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int i;

	for (i = 0; i < 3; i++)
		sw_port_detach(&fx->p[i].port);
	sw_destroy(fx->sw);
	free(fx);
	return 0;
}

/* mkframe() - an Ethernet frame of @len bytes from @src to @dst. */
static size_t mkframe(uint8_t *f, const uint8_t *dst, const uint8_t *src,
		      size_t len)
{
	size_t i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	for (i = 14; i < len; i++)
		f[i] = (uint8_t)i;
	return len;
}

static void input(struct fake_port *from, const uint8_t *dst,
		  const uint8_t *src, size_t len)
{
	uint8_t f[1600];

	assert_true(len <= sizeof(f));
	sw_input(&from->port, f, mkframe(f, dst, src, len));
}

struct cam_find {
	const uint8_t *mac;
	int port;
	unsigned int n;
};

static void cam_cb(void *arg, const uint8_t mac[6], int port)
{
	struct cam_find *c = arg;

	c->n++;
	if (!memcmp(mac, c->mac, 6))
		c->port = port;
}

/* cam_port() - the port @mac was learnt on, or -1; @n gets the CAM size. */
static int cam_port(const struct sw *sw, const uint8_t *mac, unsigned int *n)
{
	struct cam_find c = {.mac = mac, .port = -1};

	sw_foreach_cam(sw, cam_cb, &c);
	if (n)
		*n = c.n;
	return c.port;
}

static void reset_records(struct fixture *fx)
{
	int i;

	fx->n_stack = 0;
	fx->n_ev = 0;
	fx->n_drain = 0;
	for (i = 0; i < 3; i++)
		fx->p[i].n_sent = 0;
}

static void test_attach_ids(void **state)
{
	struct fixture *fx = *state;
	struct fake_port extra;

	assert_int_equal(fx->p[0].port.id, 0);
	assert_int_equal(fx->p[1].port.id, 1);
	assert_int_equal(fx->p[2].port.id, 2);
	assert_ptr_equal(fx->p[0].port.sw, fx->sw);
	assert_string_equal(fx->p[0].port.kind, "fake");
	/* a freed id is reused */
	sw_port_detach(&fx->p[1].port);
	assert_int_equal(fx->p[1].port.id, -1);
	fake_init(&extra);
	assert_int_equal(sw_port_attach(fx->sw, &extra.port, "x"), 0);
	assert_int_equal(extra.port.id, 1);
	sw_port_detach(&extra.port);
	/* detach twice is harmless */
	sw_port_detach(&extra.port);
	assert_int_equal(extra.port.id, -1);
}

static void test_learning(void **state)
{
	struct fixture *fx = *state;
	unsigned int n;

	assert_int_equal(cam_port(fx->sw, mac_a, &n), -1);
	assert_int_equal(n, 0);
	input(&fx->p[0], bcast, mac_a, 60);
	assert_int_equal(cam_port(fx->sw, mac_a, &n), fx->p[0].port.id);
	assert_int_equal(n, 1);
	assert_int_equal(fx->n_ev, 1);
	assert_memory_equal(fx->ev[0].mac, mac_a, 6);
	assert_true(fx->ev[0].established);

	/* seen again on the same port: no new event */
	input(&fx->p[0], gw_mac, mac_a, 60);
	assert_int_equal(fx->n_ev, 1);

	/* learning also happens on unicast frames, even to unknown MACs */
	input(&fx->p[1], mac_x, mac_b, 60);
	assert_int_equal(cam_port(fx->sw, mac_b, &n), fx->p[1].port.id);
	assert_int_equal(n, 2);
	assert_int_equal(fx->n_ev, 2);
	assert_memory_equal(fx->ev[1].mac, mac_b, 6);

	/* a multicast source MAC is bogus and not learnt */
	input(&fx->p[2], bcast, mcast, 60);
	assert_int_equal(cam_port(fx->sw, mcast, &n), -1);
	assert_int_equal(n, 2);
	assert_int_equal(fx->n_ev, 2);
}

static void test_mac_moves(void **state)
{
	struct fixture *fx = *state;
	unsigned int n;

	input(&fx->p[0], bcast, mac_a, 60);
	input(&fx->p[1], bcast, mac_a, 60);
	assert_int_equal(cam_port(fx->sw, mac_a, &n), fx->p[1].port.id);
	assert_int_equal(n, 1);
	/* unicast to it now goes to the new port only */
	input(&fx->p[2], bcast, mac_c, 60);
	reset_records(fx);
	input(&fx->p[2], mac_a, mac_c, 60);
	assert_int_equal(fx->p[0].n_sent, 0);
	assert_int_equal(fx->p[1].n_sent, 1);
	/* detaching the old port does not forget the moved MAC */
	sw_port_detach(&fx->p[0].port);
	assert_int_equal(cam_port(fx->sw, mac_a, NULL), 1);
}

static void test_unicast(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[100];

	input(&fx->p[0], bcast, mac_a, 60);
	input(&fx->p[1], bcast, mac_b, 60);
	reset_records(fx);

	sw_input(&fx->p[0].port, f, mkframe(f, mac_b, mac_a, 100));
	assert_int_equal(fx->p[1].n_sent, 1);
	assert_int_equal(fx->p[1].last_len, 100);
	assert_memory_equal(fx->p[1].last, f, 100);
	assert_int_equal(fx->p[0].n_sent, 0);
	assert_int_equal(fx->p[2].n_sent, 0);
	assert_int_equal(fx->n_stack, 0);

	sw_input(&fx->p[1].port, f, mkframe(f, mac_a, mac_b, 70));
	assert_int_equal(fx->p[0].n_sent, 1);
	assert_int_equal(fx->p[0].last_len, 70);
	assert_memory_equal(fx->p[0].last, f, 70);
	assert_int_equal(fx->p[1].n_sent, 1);
	assert_int_equal(fx->p[2].n_sent, 0);
	assert_int_equal(fx->n_stack, 0);

	/* to a MAC on the sender's own port: not sent back */
	input(&fx->p[0], mac_a, mac_a, 60);
	assert_int_equal(fx->p[0].n_sent, 1);
	assert_int_equal(fx->p[0].port.cnt.rx_drops, 0);
}

static void test_broadcast(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[200];
	int i;

	sw_input(&fx->p[0].port, f, mkframe(f, bcast, mac_a, 200));
	assert_int_equal(fx->n_stack, 1);
	assert_int_equal(fx->stack_len, 200);
	assert_memory_equal(fx->stack_last, f, 200);
	assert_int_equal(fx->p[0].n_sent, 0); /* never back to the source */
	for (i = 1; i < 3; i++) {
		assert_int_equal(fx->p[i].n_sent, 1);
		assert_int_equal(fx->p[i].last_len, 200);
		assert_memory_equal(fx->p[i].last, f, 200);
	}

	/* multicast is flooded the same way */
	reset_records(fx);
	sw_input(&fx->p[1].port, f, mkframe(f, mcast, mac_b, 80));
	assert_int_equal(fx->n_stack, 1);
	assert_int_equal(fx->p[0].n_sent, 1);
	assert_int_equal(fx->p[1].n_sent, 0);
	assert_int_equal(fx->p[2].n_sent, 1);
}

static void test_broadcast_without_stack(void **state)
{
	struct fixture *fx = *state;

	sw_set_stack(fx->sw, NULL, NULL);
	input(&fx->p[0], bcast, mac_a, 60);
	input(&fx->p[0], gw_mac, mac_a, 60);
	assert_int_equal(fx->n_stack, 0);
	assert_int_equal(fx->p[1].n_sent, 1);
	assert_int_equal(fx->p[2].n_sent, 1);
}

static void test_gateway_mac(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[64];

	input(&fx->p[1], bcast, mac_b, 60);
	reset_records(fx);
	sw_input(&fx->p[0].port, f, mkframe(f, gw_mac, mac_a, 64));
	assert_int_equal(fx->n_stack, 1);
	assert_int_equal(fx->stack_len, 64);
	assert_memory_equal(fx->stack_last, f, 64);
	assert_int_equal(fx->p[0].n_sent, 0);
	assert_int_equal(fx->p[1].n_sent, 0);
	assert_int_equal(fx->p[2].n_sent, 0);
	assert_int_equal(fx->p[0].port.cnt.rx_drops, 0);
	/* the stack learns which port the frame came in on, then only */
	assert_int_equal(fx->stack_port, fx->p[0].port.id);
	input(&fx->p[2], bcast, mac_c, 60);
	assert_int_equal(fx->stack_port, fx->p[2].port.id);
	assert_int_equal(sw_input_port(fx->sw), -1);
}

/* A lent buffer reaches the stack for its MAC only, never for a flood. */
static void test_keep_only_for_gateway(void **state)
{
	struct fixture *fx = *state;
	struct sw_ref ref = {NULL, NULL, fx};
	uint8_t f[64];

	sw_input_keep(&fx->p[0].port, f, mkframe(f, gw_mac, mac_a, 60), &ref);
	assert_int_equal(fx->n_stack, 1);
	assert_ptr_equal(fx->stack_keep, &ref);
	sw_input_keep(&fx->p[0].port, f, mkframe(f, bcast, mac_a, 60), &ref);
	assert_int_equal(fx->n_stack, 2);
	assert_null(fx->stack_keep);
	assert_int_equal(fx->p[1].n_sent, 1);
	input(&fx->p[0], gw_mac, mac_a, 60);
	assert_int_equal(fx->n_stack, 3);
	assert_null(fx->stack_keep);
}

static void test_unknown_unicast(void **state)
{
	struct fixture *fx = *state;

	input(&fx->p[0], mac_x, mac_a, 60);
	assert_int_equal(fx->n_stack, 0);
	assert_int_equal(fx->p[0].n_sent, 0);
	assert_int_equal(fx->p[1].n_sent, 0);
	assert_int_equal(fx->p[2].n_sent, 0);
	assert_int_equal(fx->p[0].port.cnt.rx_drops, 1);
	assert_int_equal(fx->p[0].port.cnt.rx_frames, 1);
	assert_int_equal(fx->p[0].port.cnt.rx_bytes, 60);
	input(&fx->p[0], mac_x, mac_a, 60);
	assert_int_equal(fx->p[0].port.cnt.rx_drops, 2);
}

static void test_short_frame(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[14];
	size_t len;

	mkframe(f, bcast, mac_a, 14);
	for (len = 0; len < 14; len++)
		sw_input(&fx->p[0].port, f, len);
	assert_int_equal(fx->p[0].port.cnt.rx_drops, 14);
	assert_int_equal(fx->p[0].port.cnt.rx_frames, 14);
	assert_int_equal(fx->n_stack, 0);
	assert_int_equal(fx->n_ev, 0);
	assert_int_equal(fx->p[1].n_sent, 0);
	/* exactly a header is a frame */
	sw_input(&fx->p[0].port, f, 14);
	assert_int_equal(fx->n_stack, 1);
	assert_int_equal(fx->p[1].n_sent, 1);
	assert_int_equal(fx->p[0].port.cnt.rx_drops, 14);
}

static void test_detach(void **state)
{
	struct fixture *fx = *state;
	uint8_t mac_a2[6];
	unsigned int n, i, closed = 0;

	memcpy(mac_a2, mac_a, 6);
	mac_a2[5] = 0xa2;
	input(&fx->p[0], bcast, mac_a, 60);
	input(&fx->p[0], bcast, mac_a2, 60);
	input(&fx->p[1], bcast, mac_b, 60);
	reset_records(fx);

	sw_port_detach(&fx->p[0].port);
	assert_int_equal(fx->p[0].port.id, -1);
	assert_int_equal(fx->n_ev, 2);
	for (i = 0; i < fx->n_ev; i++) {
		assert_false(fx->ev[i].established);
		if (!memcmp(fx->ev[i].mac, mac_a, 6) ||
		    !memcmp(fx->ev[i].mac, mac_a2, 6))
			closed++;
	}
	assert_int_equal(closed, 2);
	assert_int_equal(cam_port(fx->sw, mac_a, &n), -1);
	assert_int_equal(n, 1);
	assert_int_equal(cam_port(fx->sw, mac_b, NULL), 1);

	/* frames to the forgotten MAC are unknown unicast now */
	input(&fx->p[1], mac_a, mac_b, 60);
	assert_int_equal(fx->p[0].n_sent, 0);
	assert_int_equal(fx->p[1].port.cnt.rx_drops, 1);
	/* and broadcast no longer reaches the detached port */
	input(&fx->p[1], bcast, mac_b, 60);
	assert_int_equal(fx->p[0].n_sent, 0);
	assert_int_equal(fx->p[2].n_sent, 1);

	/* the last MACs go too */
	sw_port_detach(&fx->p[1].port);
	assert_int_equal(cam_port(fx->sw, mac_b, &n), -1);
	assert_int_equal(n, 0);
	assert_int_equal(fx->n_ev, 3);
	assert_memory_equal(fx->ev[2].mac, mac_b, 6);
	assert_false(fx->ev[2].established);

	/* re-attached, a port learns again and emits the event again */
	assert_int_equal(sw_port_attach(fx->sw, &fx->p[0].port, "fake"), 0);
	input(&fx->p[0], bcast, mac_a, 60);
	assert_int_equal(fx->n_ev, 4);
	assert_true(fx->ev[3].established);
	assert_int_equal(cam_port(fx->sw, mac_a, NULL), fx->p[0].port.id);
}

static void test_output_from_stack(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[300];
	struct iovec iov[3];

	input(&fx->p[1], bcast, mac_b, 60);
	reset_records(fx);

	/* unicast in three pieces to a learnt MAC */
	mkframe(f, mac_b, gw_mac, 300);
	iov[0].iov_base = f;
	iov[0].iov_len = 14;
	iov[1].iov_base = f + 14;
	iov[1].iov_len = 100;
	iov[2].iov_base = f + 114;
	iov[2].iov_len = 186;
	sw_output(fx->sw, iov, 3, 300);
	assert_int_equal(fx->p[1].n_sent, 1);
	assert_int_equal(fx->p[1].last_iovcnt, 3);
	assert_int_equal(fx->p[1].last_len, 300);
	assert_memory_equal(fx->p[1].last, f, 300);
	assert_int_equal(fx->p[0].n_sent, 0);
	assert_int_equal(fx->p[2].n_sent, 0);
	assert_int_equal(fx->n_stack, 0); /* never looped back */
	assert_int_equal(fx->p[1].port.cnt.tx_frames, 1);
	assert_int_equal(fx->p[1].port.cnt.tx_bytes, 300);

	/* broadcast reaches every port */
	mkframe(f, bcast, gw_mac, 60);
	iov[0].iov_len = 60;
	sw_output(fx->sw, iov, 1, 60);
	assert_int_equal(fx->p[0].n_sent, 1);
	assert_int_equal(fx->p[1].n_sent, 2);
	assert_int_equal(fx->p[2].n_sent, 1);
	assert_int_equal(fx->n_stack, 0);

	/* unknown unicast is dropped */
	mkframe(f, mac_x, gw_mac, 60);
	sw_output(fx->sw, iov, 1, 60);
	assert_int_equal(fx->p[0].n_sent, 1);
	assert_int_equal(fx->p[1].n_sent, 2);
	assert_int_equal(fx->p[2].n_sent, 1);

	/* a first piece shorter than a MAC is dropped, not read past */
	iov[0].iov_len = 5;
	sw_output(fx->sw, iov, 1, 5);
	assert_int_equal(fx->p[0].n_sent + fx->p[1].n_sent + fx->p[2].n_sent,
			 4);
}

/* Header + referenced payload: copied whole by a port without the op. */
static void test_output_ref_hdr_fallback(void **state)
{
	struct fixture *fx = *state;
	struct sw_ref ref = {NULL, NULL, fx};
	uint8_t f[200];

	input(&fx->p[1], bcast, mac_b, 60);
	reset_records(fx);
	mkframe(f, mac_b, gw_mac, 200);
	sw_output_ref_hdr(fx->sw, f, 54, f + 54, 146, &ref);
	assert_int_equal(fx->p[1].n_sent, 1);
	assert_int_equal(fx->p[1].last_iovcnt, 2);
	assert_int_equal(fx->p[1].last_len, 200);
	assert_memory_equal(fx->p[1].last, f, 200);
	assert_int_equal(fx->p[1].port.cnt.tx_bytes, 200);
	/* a header shorter than a MAC is dropped, not read past */
	sw_output_ref_hdr(fx->sw, f, 5, f + 5, 100, &ref);
	assert_int_equal(fx->p[1].n_sent, 1);
	/* sw_output_ref(): the whole frame is the payload */
	sw_output_ref(fx->sw, f, 200, &ref);
	assert_int_equal(fx->p[1].n_sent, 2);
	assert_int_equal(fx->p[1].last_iovcnt, 1);
	assert_memory_equal(fx->p[1].last, f, 200);
}

/*
 * The headers of an IPv6 TCP segment (14 + 40 + 20 bytes, and 86 with the
 * timestamp option) go by the port's reference op as IPv4's (54, 66) do:
 * its payload is never copied.
 */
static void test_output_ref_hdr_ipv6(void **state)
{
	struct fixture *fx = *state;
	struct sw_ref ref = {NULL, NULL, fx};
	uint8_t f[200];

	fx->p[1].port.ops = &fake_ref_ops;
	input(&fx->p[1], bcast, mac_b, 60);
	reset_records(fx);
	n_ref_hdr = 0;
	mkframe(f, mac_b, gw_mac, 200);
	sw_output_ref_hdr(fx->sw, f, 54, f + 54, 146, &ref);
	assert_int_equal(n_ref_hdr, 1);
	assert_int_equal(ref_hdr_hl, 54);
	sw_output_ref_hdr(fx->sw, f, 74, f + 74, 126, &ref);
	assert_int_equal(n_ref_hdr, 2);
	assert_int_equal(ref_hdr_hl, 74);
	sw_output_ref_hdr(fx->sw, f, 86, f + 86, 114, &ref);
	assert_int_equal(n_ref_hdr, 3);
	assert_int_equal(ref_hdr_hl, 86);
	assert_int_equal(fx->p[1].n_sent, 0);
	assert_int_equal(fx->p[1].port.cnt.tx_frames, 3);
	/* longer than any port keeps: the whole frame is copied */
	sw_output_ref_hdr(fx->sw, f, SW_HDR_MAX + 1, f + SW_HDR_MAX + 1,
			  200 - SW_HDR_MAX - 1, &ref);
	assert_int_equal(n_ref_hdr, 3);
	assert_int_equal(fx->p[1].n_sent, 1);
	assert_int_equal(fx->p[1].last_len, 200);
	fx->p[1].port.ops = &fake_ops;
}

static void test_tx_drops(void **state)
{
	struct fixture *fx = *state;

	input(&fx->p[1], bcast, mac_b, 60);
	fx->p[1].ret = -ENOBUFS;
	input(&fx->p[0], mac_b, mac_a, 60);
	assert_int_equal(fx->p[1].n_sent, 1);
	assert_int_equal(fx->p[1].port.cnt.tx_drops, 1);
	assert_int_equal(fx->p[1].port.cnt.tx_frames, 0);
	fx->p[1].ret = -EPIPE;
	input(&fx->p[0], bcast, mac_a, 60);
	assert_int_equal(fx->p[1].port.cnt.tx_drops, 2);
	/* the other flooded port still got its copy */
	assert_int_equal(fx->p[2].port.cnt.tx_frames, 2);
	assert_int_equal(fx->p[2].port.cnt.tx_drops, 0);
}

static void test_counters(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[100];
	struct iovec iov = {.iov_base = f, .iov_len = 100};

	input(&fx->p[0], bcast, mac_a, 60); /* p1, p2 tx 60 */
	input(&fx->p[1], mac_a, mac_b, 70); /* p0 tx 70 */
	input(&fx->p[2], gw_mac, mac_c, 80); /* stack */
	mkframe(f, mac_c, gw_mac, 100);
	sw_output(fx->sw, &iov, 1, 100); /* p2 tx 100 */

	assert_int_equal(fx->p[0].port.cnt.rx_frames, 1);
	assert_int_equal(fx->p[0].port.cnt.rx_bytes, 60);
	assert_int_equal(fx->p[1].port.cnt.rx_bytes, 70);
	assert_int_equal(fx->p[2].port.cnt.rx_bytes, 80);
	assert_int_equal(fx->p[0].port.cnt.tx_frames, 1);
	assert_int_equal(fx->p[0].port.cnt.tx_bytes, 70);
	assert_int_equal(fx->p[1].port.cnt.tx_frames, 1);
	assert_int_equal(fx->p[1].port.cnt.tx_bytes, 60);
	assert_int_equal(fx->p[2].port.cnt.tx_frames, 2);
	assert_int_equal(fx->p[2].port.cnt.tx_bytes, 160);
	assert_int_equal(sw_bytes_received(fx->sw), 60 + 70 + 80);
	assert_int_equal(sw_bytes_sent(fx->sw), 60 + 60 + 70 + 100);
}

static void test_congestion_drain(void **state)
{
	struct fixture *fx = *state;

	assert_false(sw_congested(fx->sw));
	sw_port_set_congested(&fx->p[0].port, true);
	assert_true(fx->p[0].port.congested);
	assert_true(sw_congested(fx->sw));
	/* setting it twice counts once */
	sw_port_set_congested(&fx->p[0].port, true);
	sw_port_set_congested(&fx->p[1].port, true);
	assert_true(sw_congested(fx->sw));

	assert_true(sw_port_id_congested(fx->sw, fx->p[0].port.id));
	assert_true(sw_port_id_congested(fx->sw, fx->p[1].port.id));
	assert_false(sw_port_id_congested(fx->sw, fx->p[2].port.id));
	assert_false(sw_port_id_congested(fx->sw, -1));
	assert_false(sw_port_id_congested(fx->sw, SW_MAX_PORTS));

	/*
	 * Each port that drains calls the drain, so that producers for it go
	 * on while another port stays congested (a VM that reads nothing).
	 */
	sw_port_set_congested(&fx->p[0].port, false);
	assert_true(sw_congested(fx->sw)); /* p1 still is */
	assert_false(sw_port_id_congested(fx->sw, fx->p[0].port.id));
	assert_true(sw_port_id_congested(fx->sw, fx->p[1].port.id));
	assert_int_equal(fx->n_drain, 1);
	sw_port_set_congested(&fx->p[1].port, false);
	assert_false(sw_congested(fx->sw));
	assert_int_equal(fx->n_drain, 2);
	/* already clear: no second drain */
	sw_port_set_congested(&fx->p[1].port, false);
	assert_int_equal(fx->n_drain, 2);

	/* a congested port that goes away releases the switch */
	sw_port_set_congested(&fx->p[2].port, true);
	assert_true(sw_congested(fx->sw));
	sw_port_detach(&fx->p[2].port);
	assert_false(sw_congested(fx->sw));
	assert_int_equal(fx->n_drain, 3);
	assert_false(fx->p[2].port.congested);

	/* a port re-attached starts uncongested */
	fx->p[2].port.congested = true;
	assert_int_equal(sw_port_attach(fx->sw, &fx->p[2].port, "fake"), 0);
	assert_false(fx->p[2].port.congested);
	assert_false(sw_congested(fx->sw));
}

static void test_congestion_after_detach(void **state)
{
	struct fixture *fx = *state;

	/* a detached port reporting congestion must not wedge the switch */
	sw_port_detach(&fx->p[0].port);
	sw_port_set_congested(&fx->p[0].port, true);
	assert_false(sw_congested(fx->sw));
	sw_port_set_congested(&fx->p[0].port, false);
	assert_false(sw_congested(fx->sw));
	assert_int_equal(fx->n_drain, 0);
}

/* A frame handed in by a port after its detach is dropped, not learnt. */
static void test_input_after_detach(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[60];
	struct iovec iov = {.iov_base = f, .iov_len = 60};
	unsigned int n;

	input(&fx->p[1], bcast, mac_b, 60);
	sw_port_detach(&fx->p[0].port);
	reset_records(fx);
	input(&fx->p[0], mac_b, mac_a, 60);
	input(&fx->p[0], bcast, mac_a, 60);
	input(&fx->p[0], gw_mac, mac_a, 60);
	assert_int_equal(fx->p[1].n_sent, 0);
	assert_int_equal(fx->p[2].n_sent, 0);
	assert_int_equal(fx->n_stack, 0);
	assert_int_equal(fx->n_ev, 0);
	assert_int_equal(cam_port(fx->sw, mac_a, &n), -1);
	assert_int_equal(n, 1);
	assert_int_equal(fx->p[0].port.cnt.rx_drops, 3);
	/* and the stack's frames to that MAC go nowhere */
	mkframe(f, mac_a, gw_mac, 60);
	sw_output(fx->sw, &iov, 1, 60);
	assert_int_equal(fx->p[1].n_sent + fx->p[2].n_sent, 0);
}

static void test_drain_without_callback(void **state)
{
	struct fixture *fx = *state;

	sw_set_drain(fx->sw, NULL, NULL);
	sw_port_set_congested(&fx->p[0].port, true);
	sw_port_set_congested(&fx->p[0].port, false);
	assert_false(sw_congested(fx->sw));
	assert_int_equal(fx->n_drain, 0);
}

struct port_walk {
	unsigned int n;
	int ids[SW_MAX_PORTS];
};

static void port_cb(void *arg, const struct sw_port *port)
{
	struct port_walk *w = arg;

	w->ids[w->n++] = port->id;
}

static void test_port_limit(void **state)
{
	struct fixture *fx = *state;
	struct fake_port *extra = calloc(SW_MAX_PORTS, sizeof(*extra));
	struct port_walk w = {0};
	int i;

	assert_non_null(extra);
	for (i = 0; i < SW_MAX_PORTS - 3; i++) {
		fake_init(&extra[i]);
		assert_int_equal(sw_port_attach(fx->sw, &extra[i].port, "x"),
				 0);
		assert_int_equal(extra[i].port.id, i + 3);
	}
	fake_init(&extra[i]);
	assert_int_equal(sw_port_attach(fx->sw, &extra[i].port, "x"), -ENOSPC);
	assert_int_equal(extra[i].port.id, -1);
	sw_foreach_port(fx->sw, port_cb, &w);
	assert_int_equal(w.n, SW_MAX_PORTS);
	for (i = 0; i < SW_MAX_PORTS; i++)
		assert_int_equal(w.ids[i], i);
	/* broadcast reaches all 63 others */
	input(&fx->p[0], bcast, mac_a, 60);
	for (i = 0; i < SW_MAX_PORTS - 3; i++)
		assert_int_equal(extra[i].n_sent, 1);
	for (i = 0; i < SW_MAX_PORTS - 3; i++)
		sw_port_detach(&extra[i].port);
	free(extra);
}

static void mac_n(uint8_t *mac, unsigned int n)
{
	mac[0] = 0x02;
	mac[1] = 0x42;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

/* storm() - @n frames from new source MACs (base @base) on @fp. */
static void storm(struct fake_port *fp, unsigned int base, unsigned int n)
{
	uint8_t mac[6];
	unsigned int i;

	for (i = 0; i < n; i++) {
		mac_n(mac, base + i);
		input(fp, gw_mac, mac, 60);
	}
}

/* reaches() - a unicast frame from @from to @dst arrives at @to. */
static bool reaches(struct fake_port *from, const uint8_t *dst,
		    const uint8_t *src, struct fake_port *to)
{
	unsigned int before = to->n_sent;

	input(from, dst, src, 60);
	return to->n_sent == before + 1;
}

/*
 * After a storm of 10 000 source MACs on one port, the VM's own MAC (not
 * learnt before) and a new VM on another port are learnt and reachable:
 * the table replaces old entries instead of refusing new ones.
 */
static void test_cam_storm_then_new_macs(void **state)
{
	struct fixture *fx = *state;

	storm(&fx->p[0], 0, 10000);
	input(&fx->p[0], gw_mac, mac_a, 60);
	input(&fx->p[2], gw_mac, mac_c, 60);
	assert_true(reaches(&fx->p[1], mac_a, mac_b, &fx->p[0]));
	assert_true(reaches(&fx->p[1], mac_c, mac_b, &fx->p[2]));
	assert_int_equal(cam_port(fx->sw, mac_a, NULL), 0);
	assert_int_equal(cam_port(fx->sw, mac_c, NULL), 2);
}

/* One port's storm never evicts another port's MACs (per-port cap). */
static void test_cam_port_cap(void **state)
{
	struct fixture *fx = *state;
	const struct sw_counters *c = sw_counters(fx->sw);
	unsigned int n;

	input(&fx->p[1], gw_mac, mac_b, 60);
	storm(&fx->p[0], 0, 10000);
	cam_port(fx->sw, mac_b, &n);
	assert_int_equal(cam_port(fx->sw, mac_b, NULL), 1);
	assert_int_equal(n, SW_CAM_PORT_MAX + 1);
	assert_int_equal(c->cam_entries, SW_CAM_PORT_MAX + 1);
	assert_int_equal(c->cam_learned, 10001);
	assert_int_equal(c->cam_evicted, 10000 - SW_CAM_PORT_MAX);
	/* learnt and forgotten MACs were all announced */
	assert_int_equal(fx->n_ev, 10001 + 10000 - SW_CAM_PORT_MAX);
	assert_true(reaches(&fx->p[2], mac_b, mac_c, &fx->p[1]));
	/* the newest storm MACs are the ones kept */
	{
		uint8_t mac[6];

		mac_n(mac, 9999);
		assert_int_equal(cam_port(fx->sw, mac, NULL), 0);
		mac_n(mac, 0);
		assert_int_equal(cam_port(fx->sw, mac, NULL), -1);
	}
}

/*
 * Without a per-port cap, a full table replaces the oldest MAC of the
 * port holding the most, so the port with one MAC keeps it.
 */
static void test_cam_table_full(void **state)
{
	struct fixture *fx = *state;
	const struct sw_counters *c = sw_counters(fx->sw);

	sw_set_cam_limits(fx->sw, SW_CAM_AGE_MS, SW_CAM_MAX);
	input(&fx->p[1], gw_mac, mac_b, 60);
	storm(&fx->p[0], 0, 3 * SW_CAM_MAX);
	assert_int_equal(c->cam_entries, SW_CAM_MAX);
	assert_int_equal(c->cam_evicted, 2 * SW_CAM_MAX + 1);
	assert_int_equal(cam_port(fx->sw, mac_b, NULL), 1);
	input(&fx->p[2], gw_mac, mac_c, 60);
	assert_int_equal(cam_port(fx->sw, mac_c, NULL), 2);
	assert_int_equal(cam_port(fx->sw, mac_b, NULL), 1);
}

/* The least recently seen MAC is replaced, not the oldest learnt. */
static void test_cam_lru(void **state)
{
	struct fixture *fx = *state;
	uint8_t mac[6];
	unsigned int i;

	sw_tick(fx->sw, 1000);
	storm(&fx->p[0], 0, SW_CAM_PORT_MAX); /* port 0 full */
	sw_tick(fx->sw, 2000);
	mac_n(mac, 0);
	input(&fx->p[0], gw_mac, mac, 60); /* the first one talks again */
	storm(&fx->p[0], 100000, 1);
	assert_int_equal(cam_port(fx->sw, mac, NULL), 0);
	mac_n(mac, 1);
	assert_int_equal(cam_port(fx->sw, mac, NULL), -1);

	/* a VM that keeps talking through a storm stays, even in one tick */
	input(&fx->p[0], gw_mac, mac_a, 60);
	for (i = 0; i < 100; i++) {
		storm(&fx->p[0], 200000 + i * 100, 100);
		input(&fx->p[0], gw_mac, mac_a, 60);
	}
	assert_int_equal(cam_port(fx->sw, mac_a, NULL), 0);
	assert_true(reaches(&fx->p[1], mac_a, mac_b, &fx->p[0]));
}

/* MACs unseen for the ageing time are forgotten (and announced). */
static void test_cam_aging(void **state)
{
	struct fixture *fx = *state;
	const struct sw_counters *c = sw_counters(fx->sw);
	uint64_t seen;

	sw_tick(fx->sw, 1000);
	input(&fx->p[0], gw_mac, mac_a, 60);
	input(&fx->p[1], gw_mac, mac_b, 60);
	assert_int_equal(sw_mac_last_seen(fx->sw, mac_a, &seen), 0);
	assert_int_equal(seen, 1000);
	sw_tick(fx->sw, 200000);
	input(&fx->p[1], gw_mac, mac_b, 60);
	assert_int_equal(sw_mac_last_seen(fx->sw, mac_b, &seen), 0);
	assert_int_equal(seen, 200000);
	sw_tick(fx->sw, 1000 + SW_CAM_AGE_MS - 1);
	assert_int_equal(cam_port(fx->sw, mac_a, NULL), 0);
	fx->n_ev = 0;
	sw_tick(fx->sw, 1000 + SW_CAM_AGE_MS);
	assert_int_equal(cam_port(fx->sw, mac_a, NULL), -1);
	assert_int_equal(sw_mac_last_seen(fx->sw, mac_a, &seen), -ENOENT);
	assert_int_equal(fx->n_ev, 1);
	assert_false(fx->ev[0].established);
	assert_memory_equal(fx->ev[0].mac, mac_a, 6);
	assert_int_equal(c->cam_aged, 1);
	assert_int_equal(cam_port(fx->sw, mac_b, NULL), 1);
	/* forgotten: frames to it are unknown unicast until it talks again */
	assert_false(reaches(&fx->p[1], mac_a, mac_b, &fx->p[0]));
	input(&fx->p[0], gw_mac, mac_a, 60);
	assert_true(reaches(&fx->p[1], mac_a, mac_b, &fx->p[0]));
	/* 0 disables ageing */
	sw_set_cam_limits(fx->sw, 0, SW_CAM_PORT_MAX);
	sw_tick(fx->sw, 100 * SW_CAM_AGE_MS);
	assert_int_equal(cam_port(fx->sw, mac_b, NULL), 1);
}

/* A small per-port cap (a flag) holds too; moving a MAC counts on its new port. */
static void test_cam_small_cap_and_move(void **state)
{
	struct fixture *fx = *state;
	unsigned int n;

	sw_set_cam_limits(fx->sw, SW_CAM_AGE_MS, 2);
	input(&fx->p[0], gw_mac, mac_a, 60);
	input(&fx->p[1], gw_mac, mac_b, 60);
	input(&fx->p[1], gw_mac, mac_c, 60);
	input(&fx->p[1], gw_mac, mac_a, 60); /* moves; evicts mac_b */
	assert_int_equal(cam_port(fx->sw, mac_a, &n), 1);
	assert_int_equal(n, 2);
	assert_int_equal(cam_port(fx->sw, mac_b, NULL), -1);
	assert_int_equal(cam_port(fx->sw, mac_c, NULL), 1);
	sw_port_detach(&fx->p[1].port);
	cam_port(fx->sw, mac_a, &n);
	assert_int_equal(n, 0);
	assert_int_equal(sw_counters(fx->sw)->cam_entries, 0);
}

/*
 * Ports come and go while others keep their MACs, leaving tombstones in
 * the CAM: every live MAC must stay reachable and the table must keep
 * accepting new ones.
 */
static void test_cam_churn(void **state)
{
	struct fixture *fx = *state;
	unsigned int round, i, n, base = 0;
	uint8_t mac[6];

	for (i = 0; i < 20; i++) {
		mac_n(mac, 0x100000 + i);
		input(&fx->p[1], bcast, mac, 60);
	}
	for (round = 0; round < 50; round++) {
		for (i = 0; i < 100; i++) {
			mac_n(mac, base + i);
			input(&fx->p[0], bcast, mac, 60);
		}
		cam_port(fx->sw, mac_a, &n);
		assert_int_equal(n, round ? 121 : 120); /* + mac_c */
		for (i = 0; i < 100; i++) {
			unsigned int before = fx->p[0].n_sent;

			mac_n(mac, base + i);
			input(&fx->p[2], mac, mac_c, 60);
			assert_int_equal(fx->p[0].n_sent, before + 1);
		}
		for (i = 0; i < 20; i++) {
			unsigned int before = fx->p[1].n_sent;

			mac_n(mac, 0x100000 + i);
			input(&fx->p[2], mac, mac_c, 60);
			assert_int_equal(fx->p[1].n_sent, before + 1);
		}
		sw_port_detach(&fx->p[0].port);
		assert_int_equal(sw_port_attach(fx->sw, &fx->p[0].port, "f"),
				 0);
		base += 100;
	}
	/* every MAC learnt and forgotten was announced */
	assert_int_equal(fx->n_ev, 20 + 1 + 50 * 200);
}

struct tap {
	unsigned int n;
	int iovcnt[8];
	size_t len[8];
	uint8_t frame[8][400];
	struct sw *clear; /* clears the tap from inside the call */
};

static void tap_cb(void *arg, const struct iovec *iov, int iovcnt, size_t len)
{
	struct tap *t = arg;
	size_t off = 0;
	int i;

	assert_true(t->n < 8);
	t->iovcnt[t->n] = iovcnt;
	t->len[t->n] = len;
	for (i = 0; i < iovcnt; i++) {
		assert_true(off + iov[i].iov_len <= sizeof(t->frame[0]));
		memcpy(t->frame[t->n] + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	assert_int_equal(off, len);
	t->n++;
	if (t->clear)
		sw_set_capture(t->clear, NULL, NULL);
}

/*
 * The capture tap (-pcap) sees every frame once, whatever its way: to the
 * stack, to another port, flooded, dropped as unknown; from the stack in
 * pieces, as one referenced frame, as header + payload; and nothing once
 * it is cleared (also from inside its own call).
 */
static void test_capture_tap(void **state)
{
	struct fixture *fx = *state;
	struct sw_ref ref = {NULL, NULL, fx};
	struct tap *t = calloc(1, sizeof(*t));
	struct iovec iov[2];
	uint8_t f[300];

	assert_non_null(t);
	input(&fx->p[1], bcast, mac_b, 60); /* before the tap: not seen */
	sw_set_capture(fx->sw, tap_cb, t);
	input(&fx->p[0], gw_mac, mac_a, 100); /* to the stack */
	input(&fx->p[0], bcast, mac_a, 60); /* stack + 2 ports: once */
	input(&fx->p[0], mac_b, mac_a, 70); /* to port 1 */
	input(&fx->p[0], mac_x, mac_a, 80); /* unknown: dropped, still seen */
	sw_input(&fx->p[0].port, f, 10); /* a runt: not an Ethernet frame */
	assert_int_equal(t->n, 4);
	assert_int_equal(t->len[0], 100);
	assert_int_equal(t->len[1], 60);
	assert_int_equal(t->len[2], 70);
	assert_int_equal(t->len[3], 80);
	assert_int_equal(t->iovcnt[0], 1);
	assert_memory_equal(t->frame[2], mac_b, 6);
	assert_memory_equal(t->frame[2] + 6, mac_a, 6);
	assert_int_equal(fx->p[1].port.cnt.tx_frames, 2); /* bcast + unicast */

	/* from the stack: pieces, referenced, header + payload, flooded */
	memset(t, 0, sizeof(*t));
	mkframe(f, mac_b, gw_mac, 300);
	iov[0] = (struct iovec){.iov_base = f, .iov_len = 14};
	iov[1] = (struct iovec){.iov_base = f + 14, .iov_len = 286};
	sw_output(fx->sw, iov, 2, 300);
	sw_output_ref(fx->sw, f, 200, &ref);
	sw_output_ref_hdr(fx->sw, f, 54, f + 54, 146, &ref);
	mkframe(f, bcast, gw_mac, 64);
	sw_output_ref(fx->sw, f, 64, &ref);
	assert_int_equal(t->n, 4);
	assert_int_equal(t->iovcnt[0], 2);
	assert_int_equal(t->len[0], 300);
	assert_int_equal(t->iovcnt[1], 1);
	assert_int_equal(t->len[1], 200);
	assert_int_equal(t->iovcnt[2], 2);
	assert_int_equal(t->len[2], 200);
	assert_memory_equal(t->frame[3], bcast, 6);
	mkframe(f, mac_b, gw_mac, 300);
	assert_memory_equal(t->frame[0], f, 300);
	assert_memory_equal(t->frame[2], f, 200);

	/* cleared from inside its call: that frame still goes its way */
	memset(t, 0, sizeof(*t));
	t->clear = fx->sw;
	reset_records(fx);
	input(&fx->p[0], mac_b, mac_a, 70);
	input(&fx->p[0], mac_b, mac_a, 70);
	sw_output(fx->sw, iov, 2, 300);
	assert_int_equal(t->n, 1);
	assert_int_equal(fx->p[1].n_sent, 3);
	free(t);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_attach_ids),
		T(test_learning),
		T(test_mac_moves),
		T(test_unicast),
		T(test_broadcast),
		T(test_broadcast_without_stack),
		T(test_gateway_mac),
		T(test_keep_only_for_gateway),
		T(test_output_ref_hdr_fallback),
		T(test_output_ref_hdr_ipv6),
		T(test_unknown_unicast),
		T(test_short_frame),
		T(test_detach),
		T(test_output_from_stack),
		T(test_tx_drops),
		T(test_counters),
		T(test_congestion_drain),
		T(test_congestion_after_detach),
		T(test_input_after_detach),
		T(test_drain_without_callback),
		T(test_port_limit),
		T(test_cam_storm_then_new_macs),
		T(test_cam_port_cap),
		T(test_cam_table_full),
		T(test_cam_lru),
		T(test_cam_aging),
		T(test_cam_small_cap_and_move),
		T(test_cam_churn),
		T(test_capture_tap),
	};
#undef T

	sw_destroy(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
