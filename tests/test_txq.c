/*
 * test_txq.c - the transmit queue: order of copied and referenced frames,
 * partial writes across frame boundaries, references dropped exactly once
 * when written (or at fini), the byte ring wrapping, and both bounds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/txq.h"

static int refs;

static void get(void *o)
{
	(void)o;
	refs++;
}

static void put(void *o)
{
	(void)o;
	refs--;
}

/* gather what txq_iov() would write into @out */
static size_t drain(struct txq *q, uint8_t *out, size_t max_write)
{
	struct iovec iov[64];
	size_t bytes, n = 0;
	int k, i;

	k = txq_iov(q, iov, 64, &bytes);
	for (i = 0; i < k && n < max_write; i++) {
		size_t c = iov[i].iov_len;

		if (c > max_write - n)
			c = max_write - n;
		memcpy(out + n, iov[i].iov_base, c);
		n += c;
	}
	txq_consume(q, n);
	return n;
}

static void test_order_and_partial(void **state)
{
	static const uint8_t a[] = "AAAAAAAAAAAAAAAA", b[] = "BBBBBBBBBBBBBBBB";
	struct sw_ref ref = {get, put, (void *)b};
	struct iovec iov[2] = {{.iov_base = (void *)a, .iov_len = 8},
			       {.iov_base = (void *)(a + 8), .iov_len = 8}};
	uint8_t hdr[2] = {0, 16}, out[256];
	struct txq q;
	size_t n = 0;

	(void)state;
	refs = 0;
	assert_int_equal(txq_init(&q, 1024, 8, 4096), 0);
	assert_int_equal(txq_push_copy(&q, hdr, 2, iov, 2, 16), 0);
	assert_int_equal(txq_push_ref(&q, hdr, 2, b, 16, &ref), 0);
	assert_int_equal(refs, 1);
	assert_int_equal(txq_pending(&q), 36);
	/* write 5 bytes at a time: crosses headers and frames */
	while (txq_pending(&q))
		n += drain(&q, out + n, 5);
	assert_int_equal(n, 36);
	assert_memory_equal(out, hdr, 2);
	assert_memory_equal(out + 2, a, 16);
	assert_memory_equal(out + 18, hdr, 2);
	assert_memory_equal(out + 20, b, 16);
	assert_int_equal(refs, 0);
	txq_fini(&q);
}

static void test_bounds_and_fini(void **state)
{
	static uint8_t data[100];
	struct sw_ref ref = {get, put, data};
	struct iovec iov = {.iov_base = data, .iov_len = 100};
	uint8_t hdr[4] = {0}, out[512];
	struct txq q;
	int i;

	(void)state;
	refs = 0;
	assert_int_equal(txq_init(&q, 250, 4, 10000), 0);
	/* the byte ring holds two 100-byte copies, not three */
	assert_int_equal(txq_push_copy(&q, hdr, 4, &iov, 1, 100), 0);
	assert_int_equal(txq_push_copy(&q, hdr, 4, &iov, 1, 100), 0);
	assert_int_equal(txq_push_copy(&q, hdr, 4, &iov, 1, 100), -ENOBUFS);
	/* slots: 4 in all */
	assert_int_equal(txq_push_ref(&q, hdr, 4, data, 100, &ref), 0);
	assert_int_equal(txq_push_ref(&q, hdr, 4, data, 100, &ref), 0);
	assert_int_equal(txq_push_ref(&q, hdr, 4, data, 100, &ref), -ENOBUFS);
	assert_int_equal(refs, 2);
	/* drain one copy: the ring wraps for the next one */
	assert_int_equal(drain(&q, out, 104), 104);
	assert_int_equal(txq_push_copy(&q, hdr, 4, &iov, 1, 100), 0);
	txq_fini(&q); /* drops the two references never written */
	assert_int_equal(refs, 0);

	/* the byte bound counts referenced frames too */
	assert_int_equal(txq_init(&q, 1024, 64, 250), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(txq_push_ref(&q, hdr, 4, data, 100, &ref), 0);
	assert_int_equal(txq_push_ref(&q, hdr, 4, data, 100, &ref), -ENOBUFS);
	txq_fini(&q);
	assert_int_equal(refs, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_partial),
		cmocka_unit_test(test_bounds_and_fini),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
