/*
 * test_gw_link.c - cmocka unit tests of the gateway link's IPv6 half
 * (gateway/gw_link6.c) on a real switch and loop, with a stack backend
 * that only counts the frames it is given: neighbour solicitations for
 * the gateway's three addresses answered and for any other address passed
 * on, router solicitations answered unicast or (at most every 3 s) to all
 * nodes, the first unsolicited advertisement on the guest's first frame,
 * DHCPv6 INFORMATION-REQUEST answered from the link-local address, drops
 * and rate limits counted, and nothing of it with IPv6 off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <uv.h>

#include <cmocka.h>

#include "gateway/gw_link.h"
#include "net/netcfg.h"
#include "net/pkt6.h"
#include "net/stack.h"
#include "net/switch.h"
#include "util/log.h"

static const uint8_t vm_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};
static const uint8_t vm_ll[16] = {0xfe, 0x80, [8] = 0x58, 0x94, 0xef,
				  0xff, 0xfe, 0xe4,	  0x0c, 0xee};
static const uint8_t unspec[16];

/* ---- a stack that counts, a port that keeps the last frames ---- */

struct fake_stack {
	struct stack base;
	unsigned int frames;
};

static void fake_input(struct stack *st, const uint8_t *frame, size_t len,
		       const struct sw_ref *keep)
{
	(void)frame;
	(void)len;
	(void)keep;
	((struct fake_stack *)st)->frames++;
}

static void fake_batch_end(struct stack *st)
{
	(void)st;
}

static const struct stack_backend fake_be = {
	.name = "fake",
	.input = fake_input,
	.batch_end = fake_batch_end,
};

#define KEEP 8

struct env {
	uv_loop_t loop;
	struct netcfg cfg;
	struct sw *sw;
	struct fake_stack st;
	struct gw_link *link;
	struct sw_port port;
	uv_timer_t alive; /* keeps the loop alive (see env_new()) */
	unsigned int sent;
	uint8_t last[KEEP][1600];
	size_t last_len[KEEP];
};

static int port_send(struct sw_port *port, const struct iovec *iov, int iovcnt,
		     size_t len)
{
	struct env *e =
		(struct env *)((char *)port - offsetof(struct env, port));
	unsigned int k = e->sent++ % KEEP;
	size_t off = 0;

	for (int i = 0; i < iovcnt; i++) {
		assert_true(off + iov[i].iov_len <= sizeof(e->last[k]));
		memcpy(e->last[k] + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	assert_int_equal(off, len);
	e->last_len[k] = len;
	return 0;
}

static const struct sw_port_ops port_ops = {.send = port_send};

/* the frame sent @back frames ago (0: the last) */
static const uint8_t *sent_frame(struct env *e, unsigned int back)
{
	assert_true(e->sent > back);
	return e->last[(e->sent - 1 - back) % KEEP];
}

static void alive_cb(uv_timer_t *t)
{
	(void)t;
}

static struct env *env_new(bool ipv6)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	assert_int_equal(uv_loop_init(&e->loop), 0);
	netcfg_defaults(&e->cfg);
	e->cfg.ipv6 = ipv6;
	e->sw = sw_create(e->cfg.gw_mac);
	assert_non_null(e->sw);
	e->st.base.be = &fake_be;
	e->link = gw_link_create(&e->loop, e->sw, &e->cfg, &e->st.base, NULL);
	assert_non_null(e->link);
	e->port.ops = &port_ops;
	e->port.id = -1;
	assert_int_equal(sw_port_attach(e->sw, &e->port, "test"), 0);
	/* the link's timers are unreferenced: a loop with only them would
	 * not run at all */
	uv_timer_init(&e->loop, &e->alive);
	uv_timer_start(&e->alive, alive_cb, 1000000, 0);
	return e;
}

static void env_free(struct env *e)
{
	gw_link_destroy(e->link);
	uv_close((uv_handle_t *)&e->alive, NULL);
	sw_port_detach(&e->port);
	assert_int_equal(uv_run(&e->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&e->loop), 0);
	sw_destroy(e->sw);
	free(e);
}

/* ---- frames ---- */

struct frame {
	uint8_t b[256];
	size_t len;
};

static void mk_ip6(struct frame *f, const uint8_t *dmac, const uint8_t *src,
		   const uint8_t *dst, uint8_t next, uint8_t hlim,
		   const uint8_t *l4, size_t n)
{
	uint8_t *p = f->b + PKT_IP6_PAYLOAD;
	size_t ck = next == PKT_PROTO_UDP ? 6 : 2;
	uint16_t c;

	pkt_put_eth(f->b, dmac, vm_mac, ETHTYPE_IP6);
	pkt_put_ip6(f->b + PKT_IP6, (uint16_t)n, next, hlim, src, dst);
	memcpy(p, l4, n);
	p[ck] = p[ck + 1] = 0;
	c = pkt_csum(p, n, pkt_pseudo_sum6(src, dst, next, n));
	be16_put(p + ck, c);
	f->len = PKT_IP6_PAYLOAD + n;
}

static void mk_ns(struct frame *f, const uint8_t *src, const uint8_t *target)
{
	uint8_t icmp[32] = {135}, dst[16], dmac[6];

	memcpy(icmp + 8, target, 16);
	icmp[24] = 1;
	icmp[25] = 1;
	memcpy(icmp + 26, vm_mac, 6);
	pkt_ip6_solicited(dst, target);
	pkt_mcast_mac6(dmac, dst);
	mk_ip6(f, dmac, src, dst, PKT_PROTO_ICMP6, 255, icmp,
	       pkt_ip6_is_unspec(src) ? 24 : 32);
}

static void mk_rs(struct frame *f, const uint8_t *src)
{
	static const uint8_t all_routers[16] = {0xff, 2, [15] = 2};
	uint8_t icmp[8] = {133}, dmac[6];

	pkt_mcast_mac6(dmac, all_routers);
	mk_ip6(f, dmac, src, all_routers, PKT_PROTO_ICMP6, 255, icmp, 8);
}

static void mk_info_request(struct frame *f)
{
	static const uint8_t servers[16] = {0xff, 2, [13] = 1, [15] = 2};
	uint8_t udp[8 + 4 + 14] = {0x02, 0x22, 0x02, 0x23, 0, 26, 0, 0, 11, 1,
				   2,	 3,    0,    1,	   0, 10, 0, 3, 0,  1};
	uint8_t dmac[6];

	memcpy(udp + 20, vm_mac, 6);
	pkt_mcast_mac6(dmac, servers);
	mk_ip6(f, dmac, vm_ll, servers, PKT_PROTO_UDP, 1, udp, sizeof(udp));
}

static void input(struct env *e, const struct frame *f)
{
	sw_input(&e->port, f->b, f->len);
	sw_input_end(&e->port);
}

static const struct gw_link_counters *cnt(struct env *e)
{
	return gw_link_counters(e->link);
}

/* ---- tests ---- */

static void test_first_frame_ra_and_ns(void **state)
{
	struct env *e = env_new(true);
	const uint8_t *f;
	struct frame fr;
	unsigned int before;

	(void)state;
	mk_ns(&fr, vm_ll, e->cfg.gateway6);
	input(e, &fr);
	assert_int_equal(cnt(e)->ndp_na, 1);
	f = sent_frame(e, 0);
	assert_memory_equal(f, vm_mac, 6);
	assert_int_equal(f[PKT_IP6_PAYLOAD], 136);
	assert_memory_equal(f + PKT_IP6_PAYLOAD + 8, e->cfg.gateway6, 16);
	assert_int_equal(e->st.frames, 0);
	/* the first frame started the advertisements: one at once */
	uv_run(&e->loop, UV_RUN_NOWAIT);
	assert_int_equal(cnt(e)->ndp_ra, 1);
	f = sent_frame(e, 0);
	assert_memory_equal(f, "\x33\x33\0\0\0\x01", 6);
	assert_int_equal(f[PKT_IP6_PAYLOAD], 134);

	/* the link-local address and the host alias too */
	mk_ns(&fr, vm_ll, e->cfg.gw_ll6);
	input(e, &fr);
	mk_ns(&fr, unspec, e->cfg.host_alias6);
	input(e, &fr);
	assert_int_equal(cnt(e)->ndp_na, 3);
	assert_memory_equal(sent_frame(e, 0), "\x33\x33\0\0\0\x01", 6);
	/* the guest's own address (its DAD): the stack's, unanswered */
	before = e->sent;
	{
		uint8_t mine[16];

		memcpy(mine, e->cfg.prefix6, 8);
		memcpy(mine + 8, vm_ll + 8, 8);
		mk_ns(&fr, unspec, mine);
	}
	input(e, &fr);
	assert_int_equal(e->sent, before);
	assert_int_equal(e->st.frames, 1);
	assert_int_equal(cnt(e)->ndp_na, 3);
	env_free(e);
}

static void test_rs(void **state)
{
	struct env *e = env_new(true);
	const uint8_t *f;
	struct frame fr;

	(void)state;
	mk_rs(&fr, vm_ll);
	input(e, &fr);
	f = sent_frame(e, 0);
	assert_memory_equal(f, vm_mac, 6);
	assert_int_equal(f[PKT_IP6_PAYLOAD], 134);
	assert_memory_equal(f + PKT_IP6 + 24, vm_ll, 16);
	assert_memory_equal(f + PKT_IP6 + 8, e->cfg.gw_ll6, 16);
	assert_int_equal(cnt(e)->ndp_ra, 1);
	/* from ::, to all nodes, not twice within 3 s (the loop's clock
	 * does not move here); the timer's own one is never held back */
	uv_run(&e->loop, UV_RUN_NOWAIT);
	assert_int_equal(cnt(e)->ndp_ra, 2);
	mk_rs(&fr, unspec);
	input(e, &fr);
	assert_int_equal(cnt(e)->ndp_ra, 2);
	assert_int_equal(cnt(e)->ndp_limited, 1);
	assert_int_equal(e->st.frames, 0);
	env_free(e);
}

static void test_dhcp6(void **state)
{
	struct env *e = env_new(true);
	struct pkt_udp6 u;
	const uint8_t *f;
	struct frame fr;

	(void)state;
	mk_info_request(&fr);
	input(e, &fr);
	assert_int_equal(cnt(e)->dhcp6_in, 1);
	assert_int_equal(cnt(e)->dhcp6_out, 1);
	f = sent_frame(e, 0);
	assert_int_equal(
		pkt_parse_udp6(f, e->last_len[(e->sent - 1) % KEEP], &u), 0);
	assert_memory_equal(u.ip.src, e->cfg.gw_ll6, 16);
	assert_memory_equal(u.ip.dst, vm_ll, 16);
	assert_int_equal(u.sport, 547);
	assert_int_equal(u.dport, 546);
	assert_int_equal(u.payload[0], 7); /* REPLY */
	assert_memory_equal(u.payload + 1, "\x01\x02\x03", 3);
	/* the DNS server option holds gateway6 */
	assert_non_null(memmem(u.payload, u.len, e->cfg.gateway6, 16));
	/* a bad UDP checksum: dropped, counted, not the stack's */
	mk_info_request(&fr);
	fr.b[fr.len - 1] ^= 1;
	input(e, &fr);
	assert_int_equal(cnt(e)->dhcp6_drops, 1);
	assert_int_equal(cnt(e)->dhcp6_out, 1);
	assert_int_equal(e->st.frames, 0);
	env_free(e);
}

static void test_drops_and_limits(void **state)
{
	struct env *e = env_new(true);
	struct frame fr;
	int i;

	(void)state;
	/* hop limit 64: invalid */
	mk_ns(&fr, vm_ll, e->cfg.gateway6);
	fr.b[PKT_IP6 + 7] = 64;
	input(e, &fr);
	assert_int_equal(cnt(e)->ndp_drops, 1);
	assert_int_equal(cnt(e)->ndp_na, 0);
	/* a flood: 100 answered (the bucket), the rest counted */
	mk_ns(&fr, vm_ll, e->cfg.gateway6);
	for (i = 0; i < 500; i++)
		input(e, &fr);
	assert_int_equal(cnt(e)->ndp_na, 100);
	assert_int_equal(cnt(e)->ndp_limited, 400);
	mk_info_request(&fr);
	for (i = 0; i < 100; i++)
		input(e, &fr);
	assert_int_equal(cnt(e)->dhcp6_out, 20);
	assert_int_equal(cnt(e)->dhcp6_limited, 80);
	assert_int_equal(e->st.frames, 0);
	env_free(e);
}

static void test_ipv6_off(void **state)
{
	struct env *e = env_new(false);
	struct frame fr;

	(void)state;
	mk_ns(&fr, vm_ll, e->cfg.gateway6);
	input(e, &fr);
	mk_rs(&fr, vm_ll);
	input(e, &fr);
	mk_info_request(&fr);
	input(e, &fr);
	uv_run(&e->loop, UV_RUN_NOWAIT);
	assert_int_equal(e->sent, 0);
	assert_int_equal(e->st.frames, 3);
	assert_int_equal(cnt(e)->ndp_na + cnt(e)->ndp_ra + cnt(e)->dhcp6_in, 0);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_frame_ra_and_ns),
		cmocka_unit_test(test_rs),
		cmocka_unit_test(test_dhcp6),
		cmocka_unit_test(test_drops_and_limits),
		cmocka_unit_test(test_ipv6_off),
	};

	log_set_level(LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
