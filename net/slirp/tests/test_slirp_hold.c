/*
 * test_slirp_hold.c - the ring of held guest frames (slirp_hold.c): frames
 * come back for their key only, oldest first, once; the newest
 * SLIRP_HOLD_SLOTS are kept and a put overwrites the oldest; a frame too
 * long (or empty) is not kept and frees its slot; an emit that puts again
 * sees the frame it was given, whole; an answer counts as solicited only
 * for a source the gateway asked about that has frames held, once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/slirp/slirp_hold.h"

static struct slirp_hold ring;
static uint8_t got[64][SLIRP_HOLD_LEN];
static size_t got_len[64];
static unsigned int ngot;

static void collect(void *arg, const uint8_t *f, size_t len)
{
	(void)arg;
	assert_true(ngot < 64);
	memcpy(got[ngot], f, len);
	got_len[ngot++] = len;
}

static void key6(uint8_t k[16], uint8_t last)
{
	memset(k, 0, 16);
	k[0] = 0xfd;
	k[15] = last;
}

/* frame() - @len bytes, the first two @tag and the count @seq */
static const uint8_t *frame(size_t len, uint8_t tag, uint8_t seq)
{
	static uint8_t f[SLIRP_HOLD_LEN + 1];

	memset(f, seq, sizeof(f));
	f[0] = tag;
	return f;
}

static int setup(void **state)
{
	(void)state;
	memset(&ring, 0, sizeof(ring));
	ngot = 0;
	return 0;
}

static void test_release_by_key_in_order(void **state)
{
	uint8_t a[16], b[16];

	(void)state;
	key6(a, 1);
	key6(b, 2);
	assert_true(slirp_hold_put(&ring, a, frame(60, 'a', 1), 60));
	assert_true(slirp_hold_put(&ring, b, frame(70, 'b', 1), 70));
	assert_true(slirp_hold_put(&ring, a, frame(80, 'a', 2), 80));
	assert_int_equal(slirp_hold_release(&ring, a, collect, NULL), 2);
	assert_int_equal(ngot, 2);
	assert_int_equal(got_len[0], 60);
	assert_int_equal(got[0][1], 1);
	assert_int_equal(got_len[1], 80);
	assert_int_equal(got[1][1], 2);
	/* once only */
	assert_int_equal(slirp_hold_release(&ring, a, collect, NULL), 0);
	assert_int_equal(slirp_hold_release(&ring, b, collect, NULL), 1);
	assert_int_equal(got[2][0], 'b');
	assert_int_equal(got_len[2], 70);
}

static void test_newest_kept(void **state)
{
	uint8_t a[16];
	unsigned int i;

	(void)state;
	key6(a, 7);
	for (i = 0; i < SLIRP_HOLD_SLOTS + 5; i++)
		assert_true(slirp_hold_put(&ring, a,
					   frame(100, 'x', (uint8_t)i), 100));
	assert_int_equal(slirp_hold_release(&ring, a, collect, NULL),
			 SLIRP_HOLD_SLOTS);
	for (i = 0; i < SLIRP_HOLD_SLOTS; i++)
		assert_int_equal(got[i][1], 5 + i); /* oldest first */
}

static void test_too_long_or_empty(void **state)
{
	uint8_t a[16];
	unsigned int i;

	(void)state;
	key6(a, 3);
	assert_true(slirp_hold_put(&ring, a, frame(SLIRP_HOLD_LEN, 'm', 1),
				   SLIRP_HOLD_LEN));
	assert_false(slirp_hold_put(&ring, a, frame(SLIRP_HOLD_LEN + 1, 'n', 2),
				    SLIRP_HOLD_LEN + 1));
	assert_false(slirp_hold_put(&ring, a, frame(0, 'e', 3), 0));
	assert_int_equal(slirp_hold_release(&ring, a, collect, NULL), 1);
	assert_int_equal(got_len[0], SLIRP_HOLD_LEN);
	/* a frame not kept still takes the oldest slot's place */
	for (i = 0; i < SLIRP_HOLD_SLOTS; i++)
		assert_true(slirp_hold_put(&ring, a, frame(50, 'k', 9), 50));
	assert_false(slirp_hold_put(&ring, a, frame(SLIRP_HOLD_LEN + 1, 'n', 4),
				    SLIRP_HOLD_LEN + 1));
	ngot = 0;
	assert_int_equal(slirp_hold_release(&ring, a, collect, NULL),
			 SLIRP_HOLD_SLOTS - 1);
	for (i = 0; i < ngot; i++)
		assert_int_equal(got[i][0], 'k');
}

static void test_key4(void **state)
{
	uint8_t k[16], k2[16];
	static const uint8_t want[16] = {0, 0, 0,    0,	   0,	0,   0,	  0,
					 0, 0, 0xff, 0xff, 192, 168, 127, 2};

	(void)state;
	slirp_hold_key4(k, 0xc0a87f02);
	assert_memory_equal(k, want, 16);
	slirp_hold_key4(k2, 0xc0a87f03);
	assert_true(slirp_hold_put(&ring, k, frame(64, '4', 1), 64));
	assert_int_equal(slirp_hold_release(&ring, k2, collect, NULL), 0);
	assert_int_equal(slirp_hold_release(&ring, k, collect, NULL), 1);
}

/* an emit that holds again (the frame goes round the ring) */
static void put_again(void *arg, const uint8_t *f, size_t len)
{
	uint8_t *k = arg;
	unsigned int i;

	collect(NULL, f, len);
	for (i = 0; i < SLIRP_HOLD_SLOTS; i++)
		slirp_hold_put(&ring, k, frame(40, 'z', 0), 40);
}

static void test_emit_puts_again(void **state)
{
	uint8_t a[16], b[16];

	(void)state;
	key6(a, 4);
	key6(b, 5);
	assert_true(slirp_hold_put(&ring, a, frame(900, 'p', 1), 900));
	assert_true(slirp_hold_put(&ring, a, frame(901, 'p', 2), 901));
	assert_int_equal(slirp_hold_release(&ring, a, put_again, b), 1);
	assert_int_equal(got_len[0], 900);
	assert_int_equal(got[0][0], 'p');
	assert_int_equal(got[0][899], 1);
	/* the ring is b's now, 16 times */
	assert_int_equal(slirp_hold_release(&ring, b, collect, NULL),
			 SLIRP_HOLD_SLOTS);
}

static void test_answered(void **state)
{
	uint8_t a[16], b[16], zero[16] = {0};
	unsigned int i;

	(void)state;
	key6(a, 8);
	key6(b, 9);
	/* asked, nothing held: not solicited (and the question used up) */
	slirp_hold_asked(&ring, a);
	assert_false(slirp_hold_answered(&ring, a));
	/* held, not asked */
	assert_true(slirp_hold_put(&ring, a, frame(60, 'a', 1), 60));
	assert_false(slirp_hold_answered(&ring, a));
	/* held and asked: once */
	slirp_hold_asked(&ring, a);
	assert_false(slirp_hold_answered(&ring, b));
	assert_true(slirp_hold_answered(&ring, a));
	assert_false(slirp_hold_answered(&ring, a));
	/* the newest questions only; the unspecified address never */
	slirp_hold_asked(&ring, a);
	for (i = 0; i < SLIRP_HOLD_SLOTS; i++)
		slirp_hold_asked(&ring, b);
	assert_false(slirp_hold_answered(&ring, a));
	assert_false(slirp_hold_answered(&ring, zero));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_release_by_key_in_order, setup),
		cmocka_unit_test_setup(test_newest_kept, setup),
		cmocka_unit_test_setup(test_too_long_or_empty, setup),
		cmocka_unit_test_setup(test_key4, setup),
		cmocka_unit_test_setup(test_emit_puts_again, setup),
		cmocka_unit_test_setup(test_answered, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
