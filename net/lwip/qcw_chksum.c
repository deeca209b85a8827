/*
 * qcw_chksum.c - the Internet checksum lwIP uses (LWIP_CHKSUM in
 * lwipopts.h). lwIP's portable version adds 16 bits at a time; this one
 * keeps eight independent 64-bit sums of 32-bit words (portable C), or
 * on x86-64 CPUs with AVX2 sums 64 bytes a step, several times faster on
 * the 64 KiB segments of MTU 65520 (host data sent by reference is summed
 * here once, see net/lwip/txring.h). Same contract as lwIP's: the one's
 * complement sum (not inverted) of the bytes paired as they lie in memory,
 * in the host's representation, whatever the pointer's alignment; and the
 * fused copy-and-sum that tcp_write uses (host data copied into lwIP's
 * segments, MSS under SPLICE_RING_MSS), in AVX2 too where there is AVX2.
 */
#include <stdint.h>
#include <string.h>

#include "lwip/arch.h"

u16_t qcw_lwip_chksum(const void *data, int len);
u16_t qcw_lwip_chksum_copy(void *dst, const void *src, u16_t len);
u16_t qcw_chksum_copy_portable(void *dst, const void *src, size_t len);
u16_t qcw_chksum_copy_avx2(void *dst, const void *src, size_t len);
u16_t qcw_chksum_portable(const void *data, int len);
u16_t qcw_chksum_avx2(const void *data, int len);
int qcw_chksum_have_avx2(void);

/* x86-64 with GCC or clang: an AVX2 variant chosen at run time */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define QCW_CHKSUM_AVX2 1
#else
#define QCW_CHKSUM_AVX2 0
#endif

static inline uint64_t qcw_add_carry(uint64_t a, uint64_t b)
{
	uint64_t s = a + b;

	return s + (s < b);
}

static inline u16_t qcw_fold(uint64_t sum)
{
	uint64_t t = (sum & 0xffffffffu) + (sum >> 32);

	t = (t & 0xffffffffu) + (t >> 32);
	t = (t & 0xffff) + (t >> 16);
	t = (t & 0xffff) + (t >> 16);
	t = (t & 0xffff) + (t >> 16);
	return (u16_t)t;
}

/*
 * qcw_sum_tail() - add the last @n bytes (fewer than one step of the
 * loops below) to @sum and fold it.
 */
static u16_t qcw_sum_tail(uint64_t sum, const uint8_t *p, size_t n)
{
	uint64_t w;

	while (n >= 8) {
		memcpy(&w, p, 8);
		sum = qcw_add_carry(sum, w);
		p += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, p, n); /* the tail, zero-padded, keeps its pairing */
	return qcw_fold(qcw_add_carry(sum, w));
}

/*
 * qcw_sum32() - 32-bit words into eight independent 64-bit sums (no carry
 * to propagate until the end: 2^32 words fit), so the adds do not wait on
 * each other; about twice the speed of one carried sum. With @d, the bytes
 * are also stored there as they are read (lwIP's LWIP_CHKSUM_COPY, used by
 * tcp_write with LWIP_CHECKSUM_ON_COPY: the data is read once, not twice).
 * Inlined into both callers, so the plain sum has no test of @d left.
 */
static inline __attribute__((always_inline)) u16_t
qcw_sum32(uint8_t *d, const uint8_t *p, size_t n)
{
	uint64_t a[8] = {0}, sum = 0;
	unsigned int k;

	while (n >= 32) {
		uint32_t x[8];

		memcpy(x, p, 32);
		if (d) {
			memcpy(d, x, 32);
			d += 32;
		}
		for (k = 0; k < 8; k++)
			a[k] += x[k];
		p += 32;
		n -= 32;
	}
	for (k = 0; k < 8; k++)
		sum = qcw_add_carry(sum, a[k]);
	if (d)
		memcpy(d, p, n);
	return qcw_sum_tail(sum, p, n);
}

u16_t qcw_chksum_portable(const void *data, int len)
{
	return qcw_sum32(NULL, data, len > 0 ? (size_t)len : 0);
}

u16_t qcw_chksum_copy_portable(void *dst, const void *src, size_t len)
{
	return qcw_sum32(dst, src, len);
}

#if QCW_CHKSUM_AVX2
typedef uint32_t qcw_v8u32 __attribute__((vector_size(32)));
typedef uint64_t qcw_v4u64 __attribute__((vector_size(32)));

/*
 * qcw_sum64_avx2() - 64 bytes a step: each 32-bit lane adds the 16-bit
 * halves of two words (under 2^18), then lanes widen into 64-bit sums;
 * with @d, each 64 bytes are also stored there (at MTU 1500 the copy of
 * host data into lwIP's segments was a fifth of the backend's time with
 * an 8-byte loop). Inlined into both callers, as qcw_sum32().
 */
static inline __attribute__((always_inline, target("avx2"))) u16_t
qcw_sum64_avx2(uint8_t *d, const uint8_t *p, size_t n)
{
	const qcw_v8u32 lo16 = {0xffff, 0xffff, 0xffff, 0xffff,
				0xffff, 0xffff, 0xffff, 0xffff};
	const qcw_v4u64 lo32 = {0xffffffffu, 0xffffffffu, 0xffffffffu,
				0xffffffffu};
	qcw_v4u64 even = {0}, odd = {0};
	uint64_t sum = 0;
	unsigned int k;

	while (n >= 64) {
		qcw_v8u32 x, y, s;

		memcpy(&x, p, 32);
		memcpy(&y, p + 32, 32);
		if (d) {
			memcpy(d, &x, 32);
			memcpy(d + 32, &y, 32);
			d += 64;
		}
		s = (x & lo16) + (x >> 16) + (y & lo16) + (y >> 16);
		even += (qcw_v4u64)s & lo32;
		odd += (qcw_v4u64)s >> 32;
		p += 64;
		n -= 64;
	}
	for (k = 0; k < 4; k++)
		sum += even[k] + odd[k];
	if (d)
		memcpy(d, p, n);
	return qcw_sum_tail(sum, p, n);
}

__attribute__((target("avx2"))) u16_t qcw_chksum_avx2(const void *data, int len)
{
	return qcw_sum64_avx2(NULL, data, len > 0 ? (size_t)len : 0);
}

__attribute__((target("avx2"))) u16_t
qcw_chksum_copy_avx2(void *dst, const void *src, size_t len)
{
	return qcw_sum64_avx2(dst, src, len);
}
#endif

int qcw_chksum_have_avx2(void)
{
#if QCW_CHKSUM_AVX2
	static int have = -1;

	if (have < 0) {
		__builtin_cpu_init();
		have = __builtin_cpu_supports("avx2") ? 1 : 0;
	}
	return have;
#else
	return 0;
#endif
}

u16_t qcw_lwip_chksum(const void *data, int len)
{
#if QCW_CHKSUM_AVX2
	if (len >= 256 && qcw_chksum_have_avx2())
		return qcw_chksum_avx2(data, len);
#endif
	return qcw_chksum_portable(data, len);
}

u16_t qcw_lwip_chksum_copy(void *dst, const void *src, u16_t len)
{
#if QCW_CHKSUM_AVX2
	if (len >= 128 && qcw_chksum_have_avx2())
		return qcw_chksum_copy_avx2(dst, src, len);
#endif
	return qcw_chksum_copy_portable(dst, src, len);
}
