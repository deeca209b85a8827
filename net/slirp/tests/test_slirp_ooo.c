/*
 * test_slirp_ooo.c - the budget for libslirp's out-of-order queues
 * (slirp_ooo.c): segments at or before what libslirp acknowledged pass
 * uncounted; those past it are counted at least an MTU-sized buffer each
 * and dropped past a connection's or the global budget; an acknowledgement
 * past all of them, or a RST either way, gives the count back; segments
 * before libslirp's first acknowledgement count; connections stay apart,
 * over IPv4 and IPv6; frames that are not TCP pass.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/slirp/slirp_ooo.h"
#include "util/be.h"

#define MTU (14 + 1500)
#define COST (MTU + 256)

static uint8_t f[14 + 40 + 20 + 1500];

/*
 * tcp() - a TCP frame: @to_guest from libslirp (peer to guest), else the
 * guest's; @v6 over IPv6; guest port @gport; @n bytes of data
 */
static size_t tcp(bool v6, bool to_guest, uint16_t gport, uint32_t seq,
		  uint32_t ack, uint8_t flags, size_t n)
{
	uint8_t *ip = f + 14, *t;
	static const uint8_t g6[16] = {0xfd, [15] = 2},
			     p6[16] = {0xfd, [15] = 0xfe};
	size_t ihl = v6 ? 40 : 20;

	memset(f, 0, sizeof(f));
	t = ip + ihl;
	if (v6) {
		be16_put(f + 12, 0x86dd);
		ip[0] = 0x60;
		be16_put(ip + 4, (uint16_t)(20 + n));
		ip[6] = 6;
		memcpy(ip + 8, to_guest ? p6 : g6, 16);
		memcpy(ip + 24, to_guest ? g6 : p6, 16);
	} else {
		be16_put(f + 12, 0x0800);
		ip[0] = 0x45;
		be16_put(ip + 2, (uint16_t)(20 + 20 + n));
		ip[9] = 6;
		be32_put(ip + 12, to_guest ? 0xc0a87ffe : 0xc0a87f02);
		be32_put(ip + 16, to_guest ? 0xc0a87f02 : 0xc0a87ffe);
	}
	be16_put(t, to_guest ? 80 : gport);
	be16_put(t + 2, to_guest ? gport : 80);
	be32_put(t + 4, seq);
	be32_put(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	return 14 + ihl + 20 + n;
}

static struct slirp_ooo o;

static int setup(void **state)
{
	(void)state;
	return slirp_ooo_init(&o, MTU, SLIRP_OOO_SETS, 1234);
}

static int teardown(void **state)
{
	(void)state;
	slirp_ooo_free(&o);
	return 0;
}

/* conn() - a connection whose next byte libslirp expects is @nxt */
static void conn(bool v6, uint16_t gport, uint32_t nxt)
{
	size_t n = tcp(v6, false, gport, nxt - 1, 0, 0x02, 0);

	assert_true(slirp_ooo_admit(&o, f, n));
	n = tcp(v6, true, gport, 5000, nxt, 0x12, 0);
	slirp_ooo_to_guest(&o, f, n);
}

static void test_in_order_free(void **state)
{
	size_t n;
	int i;

	(void)state;
	conn(false, 1000, 100);
	for (i = 0; i < 1000; i++) {
		n = tcp(false, false, 1000, 100 + (uint32_t)i * 1000, 5001,
			0x18, 1000);
		assert_true(slirp_ooo_admit(&o, f, n));
		n = tcp(false, true, 1000, 5001, 100 + (uint32_t)(i + 1) * 1000,
			0x10, 0);
		slirp_ooo_to_guest(&o, f, n);
	}
	/* a retransmission of old data, a pure ACK */
	n = tcp(false, false, 1000, 100, 5001, 0x18, 1000);
	assert_true(slirp_ooo_admit(&o, f, n));
	n = tcp(false, false, 1000, 1000100, 5001, 0x10, 0);
	assert_true(slirp_ooo_admit(&o, f, n));
	assert_int_equal(o.bytes, 0);
	assert_int_equal(o.drops, 0);
}

static void test_conn_budget_and_release(void **state)
{
	size_t n;
	uint32_t i, max = SLIRP_OOO_CONN / COST;

	(void)state;
	conn(false, 1001, 100);
	conn(true, 1001, 100); /* the same ports over IPv6: apart */
	for (i = 0; i < max; i++) {
		n = tcp(false, false, 1001, 102 + i * 2, 5001, 0x18, 1);
		assert_true(slirp_ooo_admit(&o, f, n));
	}
	assert_int_equal(o.bytes, max * COST);
	n = tcp(false, false, 1001, 102 + max * 2, 5001, 0x18, 1);
	assert_false(slirp_ooo_admit(&o, f, n));
	assert_int_equal(o.drops, 1);
	/* the other connection is not limited by this one's count */
	n = tcp(true, false, 1001, 102, 5001, 0x18, 1);
	assert_true(slirp_ooo_admit(&o, f, n));
	assert_int_equal(o.bytes, (max + 1) * COST);
	/* an ACK short of the furthest keeps the count, one past frees it */
	n = tcp(false, true, 1001, 5001, 102 + max, 0x10, 0);
	slirp_ooo_to_guest(&o, f, n);
	assert_int_equal(o.bytes, (max + 1) * COST);
	n = tcp(false, true, 1001, 5001, 102 + max * 2, 0x10, 0);
	slirp_ooo_to_guest(&o, f, n);
	assert_int_equal(o.bytes, COST);
	/* the IPv6 one ends with a RST from the guest */
	n = tcp(true, false, 1001, 100, 5001, 0x14, 0);
	assert_true(slirp_ooo_admit(&o, f, n));
	assert_int_equal(o.bytes, 0);
}

static void test_global_budget(void **state)
{
	size_t n;
	uint32_t per = SLIRP_OOO_CONN / COST, i;
	uint16_t c;
	unsigned int admitted = 0;

	(void)state;
	for (c = 0; c < 64; c++) {
		conn(false, (uint16_t)(2000 + c), 100);
		for (i = 0; i < per; i++) {
			n = tcp(false, false, (uint16_t)(2000 + c), 102 + i * 2,
				5001, 0x18, 1);
			admitted += slirp_ooo_admit(&o, f, n);
		}
	}
	assert_true(o.bytes <= SLIRP_OOO_ALL);
	assert_int_equal(admitted, SLIRP_OOO_ALL / COST);
	assert_true(o.drops > 0);
	/* a RST from libslirp gives one connection's share back */
	n = tcp(false, true, 2000, 5001, 100, 0x14, 0);
	slirp_ooo_to_guest(&o, f, n);
	assert_int_equal(o.bytes, (SLIRP_OOO_ALL / COST - per) * COST);
	n = tcp(false, false, 2063, 102 + 4000, 5001, 0x18, 1);
	assert_true(slirp_ooo_admit(&o, f, n));
}

static void test_before_first_ack(void **state)
{
	size_t n;

	(void)state;
	n = tcp(false, false, 3000, 999, 0, 0x02, 0);
	assert_true(slirp_ooo_admit(&o, f, n));
	/* data and a FIN before libslirp's SYN-ACK: counted */
	n = tcp(false, false, 3000, 1000, 0, 0x18, 100);
	assert_true(slirp_ooo_admit(&o, f, n));
	n = tcp(false, false, 3000, 1100, 0, 0x11, 0);
	assert_true(slirp_ooo_admit(&o, f, n));
	assert_int_equal(o.bytes, 2 * COST);
	/* the SYN-ACK acknowledges the SYN only: still counted */
	n = tcp(false, true, 3000, 7000, 1000, 0x12, 0);
	slirp_ooo_to_guest(&o, f, n);
	assert_int_equal(o.bytes, 2 * COST);
	/* past the FIN: given back; an older ACK changes nothing */
	n = tcp(false, true, 3000, 7001, 1101, 0x10, 0);
	slirp_ooo_to_guest(&o, f, n);
	assert_int_equal(o.bytes, 0);
	n = tcp(false, true, 3000, 7001, 1000, 0x10, 0);
	slirp_ooo_to_guest(&o, f, n);
	n = tcp(false, false, 3000, 1101, 7001, 0x10, 0);
	assert_true(slirp_ooo_admit(&o, f, n));
	assert_int_equal(o.bytes, 0);
}

static void test_not_tcp(void **state)
{
	size_t n = tcp(false, false, 4000, 1, 0, 0x18, 10);

	(void)state;
	f[14 + 9] = 17;
	assert_true(slirp_ooo_admit(&o, f, n));
	f[14 + 9] = 6;
	be16_put(f + 14 + 6, 0x2000); /* a fragment */
	assert_true(slirp_ooo_admit(&o, f, n));
	assert_true(slirp_ooo_admit(&o, f, 30));
	be16_put(f + 12, 0x0806);
	assert_true(slirp_ooo_admit(&o, f, n));
	n = tcp(false, false, 4000, 1, 0, 0x18, 10);
	f[14 + 20 + 12] = 15 << 4; /* data offset past the segment */
	assert_true(slirp_ooo_admit(&o, f, n));
	assert_int_equal(o.bytes, 0);
}

/* a set whose every way counts bytes: a new connection's data dropped */
static void test_set_full(void **state)
{
	size_t n;
	uint16_t c;
	unsigned int dropped = 0;

	(void)state;
	slirp_ooo_free(&o);
	assert_int_equal(slirp_ooo_init(&o, MTU, 3, 1), -EINVAL);
	assert_int_equal(slirp_ooo_init(&o, MTU, 1, 1), 0);
	for (c = 0; c < SLIRP_OOO_WAYS; c++) {
		conn(false, (uint16_t)(5000 + c), 100);
		n = tcp(false, false, (uint16_t)(5000 + c), 102, 5001, 0x18, 1);
		assert_true(slirp_ooo_admit(&o, f, n));
	}
	/* a ninth: no way for it, its data dropped; its SYN passes */
	n = tcp(false, false, 5100, 99, 0, 0x02, 0);
	assert_true(slirp_ooo_admit(&o, f, n));
	n = tcp(false, false, 5100, 100, 5001, 0x18, 10);
	dropped += !slirp_ooo_admit(&o, f, n);
	assert_int_equal(dropped, 1);
	/* one released: its way is taken again */
	n = tcp(false, true, 5000, 5001, 103, 0x10, 0);
	slirp_ooo_to_guest(&o, f, n);
	n = tcp(false, false, 5100, 100, 5001, 0x18, 10);
	assert_true(slirp_ooo_admit(&o, f, n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_in_order_free, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_conn_budget_and_release,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_global_budget, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_before_first_ack, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_not_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_full, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
