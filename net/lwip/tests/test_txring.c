/*
 * test_txring.c - rings of host data sent by reference: the address of
 * any byte leads back to its ring, free space is contiguous up to the
 * end and wraps once released, a pcb's reference goes when lwIP frees
 * the pcb (or when detached), and a pool destroyed by its owner while a
 * queued frame still holds a ring frees that ring (and itself) when the
 * frame lets go (LeakSanitizer checks nothing is left).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lwip/init.h"
#include "lwip/tcp.h"
#include "net/lwip/txring.h"

static void test_of_and_room(void **state)
{
	struct txring_pool *p = txring_pool_create();
	struct txring *r = txring_new(p);
	uint8_t *at;
	size_t room;

	(void)state;
	assert_non_null(r);
	assert_int_equal(txring_live(p), 1);
	assert_true(((uintptr_t)r & (TXRING_BLOCK - 1)) == 0);
	room = txring_room(r, &at);
	assert_ptr_equal(at, txring_data(r));
	assert_int_equal(room, TXRING_CAP);
	assert_ptr_equal(txring_of(at), r);
	assert_ptr_equal(txring_of(at + TXRING_CAP - 1), r);

	r->wr = TXRING_CAP - 100; /* nearly full */
	room = txring_room(r, &at);
	assert_int_equal(room, 100);
	assert_ptr_equal(at, txring_data(r) + TXRING_CAP - 100);
	r->rel = 5000; /* the start was acknowledged: room up to the end */
	room = txring_room(r, &at);
	assert_int_equal(room, 100);
	r->wr = TXRING_CAP; /* wrapped: room at the start, up to rel */
	room = txring_room(r, &at);
	assert_ptr_equal(at, txring_data(r));
	assert_int_equal(room, 5000);
	r->rel = r->wr; /* all released */
	room = txring_room(r, &at);
	assert_int_equal(room, TXRING_CAP);
	txring_unref(r);
	assert_int_equal(txring_live(p), 0);
	txring_unref(NULL);
	/* given back to the pool: the next one is the same block */
	assert_ptr_equal(txring_new(p), r);
	assert_int_equal(r->wr, 0);
	assert_int_equal(r->rel, 0);
	assert_ptr_equal(r->pool, p);
	txring_unref(r);
	txring_pool_destroy(p);
}

static void test_refs_with_pcb(void **state)
{
	struct txring_pool *p = txring_pool_create();
	struct txring *r = txring_new(p);
	struct tcp_pcb *pcb;

	(void)state;
	lwip_init();
	assert_non_null(r);
	pcb = tcp_new();
	assert_non_null(pcb);
	txring_attach(r, pcb);
	assert_int_equal(r->refs, 2);
	txring_ref(r); /* a queued frame */
	tcp_abort(pcb); /* lwIP frees the pcb: its reference goes */
	assert_int_equal(r->refs, 2);
	txring_unref(r); /* the frame was written */
	assert_int_equal(r->refs, 1);

	pcb = tcp_new();
	assert_non_null(pcb);
	txring_attach(r, pcb);
	txring_detach(r, pcb);
	assert_int_equal(r->refs, 1);
	txring_detach(r, pcb); /* twice: nothing more */
	assert_int_equal(r->refs, 1);
	tcp_abort(pcb);
	assert_int_equal(r->refs, 1);
	txring_unref(r);
	assert_int_equal(txring_live(p), 0);
	txring_pool_destroy(p);
}

/* the backend goes while a port still queues frames of two rings */
static void test_pool_outlived(void **state)
{
	struct txring_pool *p = txring_pool_create();
	struct txring *kept, *a, *b;

	(void)state;
	assert_non_null(p);
	kept = txring_new(p);
	assert_non_null(kept);
	txring_unref(kept); /* kept for reuse: freed at destroy */
	a = txring_new(p);
	b = txring_new(p);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_equal(a, kept);
	txring_ref(a); /* a queued frame of each */
	txring_ref(b);
	txring_unref(a); /* the splices are gone */
	txring_unref(b);
	txring_pool_destroy(p); /* the backend is destroyed */
	assert_int_equal(a->refs, 1);
	txring_unref(a); /* written: freed, not kept */
	txring_unref(b); /* the last: the pool goes with it */
	txring_pool_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_of_and_room),
		cmocka_unit_test(test_refs_with_pcb),
		cmocka_unit_test(test_pool_outlived),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
