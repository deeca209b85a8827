/*
 * test_budget.c - the budgets of what a guest makes qcw-net hold: guest
 * data queued for a host socket is counted at the cost of the buffers it
 * lives in (a 1-byte segment in a 2 KiB frame buffer costs 2 KiB), an
 * empty queue always takes one chain, and past the per-connection or the
 * global budget a chain is refused; the out-of-order limit is lwIP's own
 * while the stack is within its global budget.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_per_connection),
		cmocka_unit_test(test_budget_global),
		cmocka_unit_test(test_cost_of_plain_pbuf),
		cmocka_unit_test(test_ooseq_limit_without_stack),
	};

	lwip_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
