/*
 * test_rxchunk.c - receive chunks: references through the sw_ref the
 * switch hands out, the free list reusing chunks of the same size, the
 * bound past which transports stop lending, and draining.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "net/rxchunk.h"

static void test_refs_and_reuse(void **state)
{
	struct rxchunk *a, *b;

	(void)state;
	a = rxchunk_new(4096);
	assert_non_null(a);
	assert_int_equal(rxchunk_live(), 1);
	assert_false(rxchunk_shared(a));
	a->ref.get(a->ref.obj); /* a frame kept by the stack */
	assert_true(rxchunk_shared(a));
	rxchunk_put(a); /* the owner moves on */
	assert_int_equal(rxchunk_live(), 1);
	a->ref.put(a->ref.obj); /* the frame is released */
	assert_int_equal(rxchunk_live(), 0);
	b = rxchunk_new(4096); /* from the free list */
	assert_ptr_equal(a, b);
	assert_int_equal(b->refs, 1);
	rxchunk_put(b);
	b = rxchunk_new(8192); /* another size: a new chunk */
	assert_ptr_not_equal(a, b);
	assert_int_equal(b->cap, 8192);
	rxchunk_put(b);
	rxchunk_put(NULL);
	rxchunk_pool_drain();
	assert_int_equal(rxchunk_live(), 0);
}

static void test_lending_is_bounded(void **state)
{
	struct rxchunk *c[RXCHUNK_MAX_LIVE + 1];
	int i;

	(void)state;
	for (i = 0; i < RXCHUNK_MAX_LIVE; i++) {
		assert_true(rxchunk_may_lend());
		c[i] = rxchunk_new(256);
		assert_non_null(c[i]);
	}
	assert_false(rxchunk_may_lend());
	rxchunk_put(c[0]);
	assert_true(rxchunk_may_lend());
	for (i = 1; i < RXCHUNK_MAX_LIVE; i++)
		rxchunk_put(c[i]);
	assert_int_equal(rxchunk_live(), 0);
	rxchunk_pool_drain();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refs_and_reuse),
		cmocka_unit_test(test_lending_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
