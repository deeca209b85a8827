/*
 * test_chksum.c - qcw_lwip_chksum() against a plain 16-bit reference sum
 * for every length 0..300 at every alignment 0..7, a 64 KiB buffer, and
 * known RFC 1071 vectors; the copy-and-sum (portable and AVX2) up to 1600
 * bytes at every source and destination alignment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

unsigned short qcw_lwip_chksum(const void *data, int len);
unsigned short qcw_chksum_portable(const void *data, int len);
unsigned short qcw_chksum_avx2(const void *data, int len);
int qcw_chksum_have_avx2(void);
unsigned short qcw_lwip_chksum_copy(void *dst, const void *src,
				    unsigned short len);
unsigned short qcw_chksum_copy_portable(void *dst, const void *src, size_t len);
unsigned short qcw_chksum_copy_avx2(void *dst, const void *src, size_t len);

/* reference: bytes paired as (p[0], p[1]) big-endian, folded */
static uint16_t ref_sum_be(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* qcw_lwip_chksum's value read back as the bytes it stands for */
static uint16_t as_be(uint16_t host_repr)
{
	uint8_t b[2];

	memcpy(b, &host_repr, 2);
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void test_all_lengths_alignments(void **state)
{
	uint8_t buf[320 + 8];
	size_t off, n;

	(void)state;
	srand(1);
	for (n = 0; n < sizeof(buf); n++)
		buf[n] = (uint8_t)rand();
	for (off = 0; off < 8; off++)
		for (n = 0; n <= 300; n++) {
			assert_int_equal(
				as_be(qcw_lwip_chksum(buf + off, (int)n)),
				ref_sum_be(buf + off, n));
			assert_int_equal(
				as_be(qcw_chksum_portable(buf + off, (int)n)),
				ref_sum_be(buf + off, n));
			if (qcw_chksum_have_avx2())
				assert_int_equal(as_be(qcw_chksum_avx2(
							 buf + off, (int)n)),
						 ref_sum_be(buf + off, n));
		}
}

static void test_big_and_carries(void **state)
{
	size_t n = 65536 + 3;
	uint8_t *b = malloc(n);

	(void)state;
	memset(b, 0xff, n); /* maximal carries */
	assert_int_equal(as_be(qcw_lwip_chksum(b, (int)n)), ref_sum_be(b, n));
	assert_int_equal(as_be(qcw_chksum_portable(b, (int)n)),
			 ref_sum_be(b, n));
	if (qcw_chksum_have_avx2())
		assert_int_equal(as_be(qcw_chksum_avx2(b, (int)n)),
				 ref_sum_be(b, n));
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(as_be(qcw_lwip_chksum(b + 1, (int)n - 1)),
			 ref_sum_be(b + 1, n - 1));
	free(b);
}

/* one copy-and-sum function over every length 0..1600 at every alignment
 * of source and destination (random bytes, then all-ones for the carries) */
typedef unsigned short (*copy_fn)(void *, const void *, size_t);

static unsigned short lwip_copy(void *d, const void *s, size_t n)
{
	return qcw_lwip_chksum_copy(d, s, (unsigned short)n);
}

static void check_copy(copy_fn fn)
{
	static uint8_t src[1600 + 8], dst[1600 + 16];
	size_t off, n;
	int fill;

	for (fill = 0; fill < 2; fill++) {
		srand(2);
		for (n = 0; n < sizeof(src); n++)
			src[n] = fill ? 0xff : (uint8_t)rand();
		for (off = 0; off < 8; off++) {
			for (n = 0; n <= 1600; n += n < 300 ? 1 : 37) {
				memset(dst, 0xaa, sizeof(dst));
				assert_int_equal(as_be(fn(dst + (7 - off),
							  src + off, n)),
						 ref_sum_be(src + off, n));
				assert_memory_equal(dst + (7 - off), src + off,
						    n);
				/* nothing written past the end */
				assert_int_equal(dst[7 - off + n], 0xaa);
			}
		}
	}
}

static void test_copy(void **state)
{
	(void)state;
	check_copy(lwip_copy);
	check_copy(qcw_chksum_copy_portable);
	if (qcw_chksum_have_avx2())
		check_copy(qcw_chksum_copy_avx2);
}

static void test_rfc1071_vector(void **state)
{
	/* RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 */
	static const uint8_t v[] = {0x00, 0x01, 0xf2, 0x03,
				    0xf4, 0xf5, 0xf6, 0xf7};

	(void)state;
	assert_int_equal(as_be(qcw_lwip_chksum(v, 8)), 0xddf2);
	assert_int_equal(qcw_lwip_chksum(v, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_lengths_alignments),
		cmocka_unit_test(test_big_and_carries),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_rfc1071_vector),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
