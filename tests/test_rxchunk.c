/*
 * test_rxchunk.c - receive chunks: references through the sw_ref the
 * switch hands out, the free list reusing chunks of the same size, the
 * bound past which transports stop lending, pools independent of each
 * other, and a pool destroyed by its owner while chunks are still held
 * (freed at their last release: LeakSanitizer checks nothing is left).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "net/rxchunk.h"

static void test_refs_and_reuse(void **state)
{
	struct rxchunk_pool *p = rxchunk_pool_create();
	struct rxchunk *a, *b;

	(void)state;
	assert_non_null(p);
	a = rxchunk_new(p, 4096);
	assert_non_null(a);
	assert_int_equal(rxchunk_live(p), 1);
	assert_false(rxchunk_shared(a));
	a->ref.get(a->ref.obj); /* a frame kept by the stack */
	assert_true(rxchunk_shared(a));
	rxchunk_put(a); /* the owner moves on */
	assert_int_equal(rxchunk_live(p), 1);
	a->ref.put(a->ref.obj); /* the frame is released */
	assert_int_equal(rxchunk_live(p), 0);
	b = rxchunk_new(p, 4096); /* from the free list */
	assert_ptr_equal(a, b);
	assert_int_equal(b->refs, 1);
	rxchunk_put(b);
	b = rxchunk_new(p, 8192); /* another size: a new chunk */
	assert_ptr_not_equal(a, b);
	assert_int_equal(b->cap, 8192);
	rxchunk_put(b);
	rxchunk_put(NULL);
	assert_int_equal(rxchunk_live(p), 0);
	rxchunk_pool_destroy(p);
}

static void test_lending_is_bounded(void **state)
{
	struct rxchunk_pool *p = rxchunk_pool_create(), *q;
	struct rxchunk *c[RXCHUNK_MAX_LIVE + 1];
	int i;

	(void)state;
	assert_non_null(p);
	for (i = 0; i < RXCHUNK_MAX_LIVE; i++) {
		assert_true(rxchunk_may_lend(p));
		c[i] = rxchunk_new(p, 256);
		assert_non_null(c[i]);
	}
	assert_false(rxchunk_may_lend(p));
	/* another switch's pool is not affected */
	q = rxchunk_pool_create();
	assert_non_null(q);
	assert_true(rxchunk_may_lend(q));
	rxchunk_pool_destroy(q);
	rxchunk_put(c[0]);
	assert_true(rxchunk_may_lend(p));
	for (i = 1; i < RXCHUNK_MAX_LIVE; i++)
		rxchunk_put(c[i]);
	assert_int_equal(rxchunk_live(p), 0);
	rxchunk_pool_destroy(p);
}

/* the switch goes first, a stack still holds frames of two chunks */
static void test_pool_outlived(void **state)
{
	struct rxchunk_pool *p = rxchunk_pool_create();
	struct rxchunk *a, *b, *spare;

	(void)state;
	assert_non_null(p);
	spare = rxchunk_new(p, 512);
	rxchunk_put(spare); /* on the free list: freed at destroy */
	a = rxchunk_new(p, 512);
	b = rxchunk_new(p, 1024);
	assert_non_null(a);
	assert_non_null(b);
	rxchunk_pool_destroy(p);
	a->ref.put(a->ref.obj); /* freed, not kept: the pool is closed */
	b->ref.get(b->ref.obj);
	rxchunk_put(b);
	b->ref.put(b->ref.obj); /* the last one frees the pool too */
	rxchunk_pool_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refs_and_reuse),
		cmocka_unit_test(test_lending_is_bounded),
		cmocka_unit_test(test_pool_outlived),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
