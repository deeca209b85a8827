/*
 * test_budget.c - the budgets of what a guest makes qcw-net hold: guest
 * data queued for a host socket is counted at the cost of the buffers it
 * lives in (a 1-byte segment in a 2 KiB frame buffer costs 2 KiB), an
 * empty queue always takes one chain, and past the per-connection or the
 * global budget a chain is refused; the out-of-order limit is lwIP's own
 * while the stack is within its global budget. And the other way: how
 * much host data one read may bring into lwIP, and when a connection
 * that stopped reading reads again; the share of host->guest bytes in
 * flight between busy connections.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lwip/init.h"
#include "lwip/pbuf.h"
#include "net/lwip/splice.h"

static void test_budget_per_connection(void **state)
{
	size_t g = SPLICE_COST_GLOBAL_DEFAULT;

	(void)state;
	/* an empty queue takes a chain whatever it costs */
	assert_true(splice_budget_ok(0, g, g, 0, 65536));
	assert_true(splice_budget_ok(SPLICE_COST_MAX - 2048, 0, g, 3, 2048));
	assert_false(splice_budget_ok(SPLICE_COST_MAX - 2047, 0, g, 3, 2048));
	/* 1-byte segments in 2 KiB buffers: about 4096, not 4 Mi of them */
	{
		size_t conn = 0, n = 0;

		while (splice_budget_ok(conn, conn, g, (uint32_t)n,
					2048 + 64)) {
			conn += 2048 + 64;
			n++;
		}
		assert_in_range(n, 3000, 4200);
	}
}

static void test_budget_global(void **state)
{
	(void)state;
	assert_true(splice_budget_ok(0, 1000, 4096, 1, 3096));
	assert_false(splice_budget_ok(0, 1001, 4096, 1, 3096));
	/* over the global budget, a connection with nothing queued still
	 * gets one chain */
	assert_true(splice_budget_ok(0, 1u << 30, 4096, 0, 3096));
}

static void test_cost_of_plain_pbuf(void **state)
{
	struct pbuf *p = pbuf_alloc(PBUF_RAW, 100, PBUF_RAM);

	(void)state;
	assert_non_null(p);
	/* not a frame buffer of the stack: the pbuf and its bytes */
	assert_int_equal(lwst_pbuf_cost(p), sizeof(*p) + 100);
	pbuf_free(p);
}

static void test_ooseq_limit_without_stack(void **state)
{
	(void)state;
	assert_int_equal(qcw_ooseq_limit(4096, 1), 4096);
	assert_int_equal(qcw_ooseq_limit(1u << 22, 0), 1u << 22);
}

static struct splice_sndstate sndstate_idle(void)
{
	struct splice_sndstate s = {
		.snd_buf = 4u << 20,
		.queuelen = 0,
		.queuelen_max = 8192,
		.mss = 8960,
		.cap = 0,
		.held = 0,
		.ring_free = SIZE_MAX,
		.all_left = SPLICE_TO_GUEST_MAX,
	};

	return s;
}

static void test_room_past_64k(void **state)
{
	struct splice_sndstate s = sndstate_idle();

	(void)state;
	/* a scaled window's free buffer counts whole, up to a read's buffer */
	assert_int_equal(splice_room_of(&s), SPLICE_BUF);
	s.snd_buf = 300 * 1024;
	assert_int_equal(splice_room_of(&s), 300 * 1024);
	s.ring_free = 100000;
	assert_int_equal(splice_room_of(&s), 100000);
}

static void test_room_limits(void **state)
{
	struct splice_sndstate s = sndstate_idle();

	(void)state;
	/* the send queue's pbufs: none left (4 kept spare) means no room */
	s.queuelen = s.queuelen_max - 4;
	assert_int_equal(splice_room_of(&s), 0);
	s.queuelen = s.queuelen_max - 14; /* 10 segments */
	assert_int_equal(splice_room_of(&s), 10 * s.mss);
	/* the cap counts what lwIP holds unacknowledged */
	s = sndstate_idle();
	s.cap = 65536;
	s.held = 65536;
	assert_int_equal(splice_room_of(&s), 0);
	s.held = 70000;
	assert_int_equal(splice_room_of(&s), 0);
	s.held = 1000;
	assert_int_equal(splice_room_of(&s), 64536);
	/* what all connections hold: none left, none; a little, that much */
	s.all_left = 0;
	assert_int_equal(splice_room_of(&s), 0);
	s.all_left = 5000;
	assert_int_equal(splice_room_of(&s), 5000);
}

static void test_read_again_threshold(void **state)
{
	struct splice_sndstate s = sndstate_idle();

	(void)state;
	assert_int_equal(splice_read_want(&s), SPLICE_READ_MIN);
	/* a full buffer that got 100 KiB back: not worth a read yet */
	s.snd_buf = 100 * 1024;
	assert_false(splice_room_of(&s) > splice_read_want(&s));
	s.snd_buf = SPLICE_READ_MIN + 1;
	assert_true(splice_room_of(&s) > splice_read_want(&s));
	/* a small cap: half of it */
	s = sndstate_idle();
	s.cap = 64 * 1024;
	s.held = 40 * 1024;
	assert_int_equal(splice_read_want(&s), 32 * 1024);
	assert_false(splice_room_of(&s) > splice_read_want(&s));
	s.held = 20 * 1024;
	assert_true(splice_room_of(&s) > splice_read_want(&s));
	/* nothing free: never "worth" a read */
	s = sndstate_idle();
	s.snd_buf = 0;
	assert_false(splice_room_of(&s) > splice_read_want(&s));
}

static void test_share_between_streams(void **state)
{
	struct splice_sndstate s = sndstate_idle();
	unsigned int n;

	(void)state;
	/* one stream (or none counted yet): lwIP's buffer, no bound */
	assert_int_equal(splice_share_of(0), 0);
	assert_int_equal(splice_share_of(1), 0);
	assert_int_equal(splice_share_of(2), SPLICE_SHARE_TOTAL / 2);
	assert_int_equal(splice_share_of(4), 1024 * 1024);
	/* many: the floor, and the total grows past SPLICE_SHARE_TOTAL */
	assert_int_equal(splice_share_of(8), SPLICE_SHARE_MIN);
	assert_int_equal(splice_share_of(1000), SPLICE_SHARE_MIN);
	for (n = 2; n < 64; n++) {
		assert_true(splice_share_of(n) >= SPLICE_SHARE_MIN);
		assert_true(splice_share_of(n) <= splice_share_of(n - 1) ||
			    n == 2);
	}
	/*
	 * each stream under the floor's bound can always read again: its
	 * want is at most half of it
	 */
	s.cap = splice_share_of(1000);
	s.held = s.cap;
	assert_int_equal(splice_room_of(&s), 0);
	s.held = s.cap / 2 - 1;
	assert_true(splice_room_of(&s) > splice_read_want(&s));
	/* four streams: 1 MiB in flight each */
	s.cap = splice_share_of(4);
	s.held = 1000 * 1024;
	assert_int_equal(splice_room_of(&s), 24 * 1024);
}

/*
 * The budget of host data in lwIP between VMs: one VM alone has all that
 * is free; with several, each its share of what it does not hold, even
 * when one of them took all of it before; never past twice the budget.
 */
static void test_to_guest_vm_share(void **state)
{
	const size_t max = SPLICE_TO_GUEST_MAX;
	size_t all, hog, vm[4];
	unsigned int i, round;

	(void)state;
	/* alone (or the first): the budget as before */
	assert_int_equal(splice_to_guest_left(max, 0, 0, 1), max);
	assert_int_equal(splice_to_guest_left(max, max - 10, max - 10, 1), 10);
	assert_int_equal(splice_to_guest_left(max, max + 5, max + 5, 0), 0);
	/* a VM that holds all of it, a second comes: half, the first none */
	assert_int_equal(splice_to_guest_left(max, max, 0, 2), max / 2);
	assert_int_equal(splice_to_guest_left(max, max, max, 2), 0);
	assert_int_equal(splice_to_guest_left(max, max + max / 2, max / 2, 2),
			 0);
	/* at twice the budget in all nothing more, whoever asks */
	assert_int_equal(splice_to_guest_left(max, 2 * max, 0, 3), 0);
	assert_int_equal(splice_to_guest_left(max, 2 * max - 7, 0, 3), 7);
	/*
	 * Simulated: a hog holds all of it; three VMs take turns bringing
	 * what they may. Each ends with its share (a third with the hog
	 * counted: four hold some), the total under twice the budget.
	 */
	hog = max;
	memset(vm, 0, sizeof(vm));
	for (round = 0; round < 10; round++) {
		for (i = 0; i < 3; i++) {
			unsigned int n = 1 + (vm[0] > 0) + (vm[1] > 0) +
					 (vm[2] > 0) + (vm[i] ? 0 : 1);
			size_t got;

			all = hog + vm[0] + vm[1] + vm[2];
			got = splice_to_guest_left(max, all, vm[i], n);
			vm[i] += got > max / 16 ? max / 16 : got;
			assert_true(hog + vm[0] + vm[1] + vm[2] < 2 * max);
		}
	}
	for (i = 0; i < 3; i++)
		assert_int_equal(vm[i], max / 4);
	assert_int_equal(splice_to_guest_left(max, hog + 3 * (max / 4), hog, 4),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_per_connection),
		cmocka_unit_test(test_budget_global),
		cmocka_unit_test(test_cost_of_plain_pbuf),
		cmocka_unit_test(test_ooseq_limit_without_stack),
		cmocka_unit_test(test_room_past_64k),
		cmocka_unit_test(test_room_limits),
		cmocka_unit_test(test_read_again_threshold),
		cmocka_unit_test(test_share_between_streams),
		cmocka_unit_test(test_to_guest_vm_share),
	};

	lwip_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
