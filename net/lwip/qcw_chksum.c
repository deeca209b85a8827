/*
 * qcw_chksum.c - the Internet checksum lwIP uses (LWIP_CHKSUM in
 * lwipopts.h). lwIP's portable version adds 16 bits at a time; this one
 * adds 64-bit words with end-around carry, several times faster on the
 * 64 KiB segments of MTU 65520. Same contract as lwIP's: the one's
 * complement sum (not inverted) of the bytes paired as they lie in memory,
 * in the host's representation, whatever the pointer's alignment; and the
 * fused copy-and-sum that tcp_write uses.
 */
#include <stdint.h>
#include <string.h>

#include "lwip/arch.h"

u16_t qcw_lwip_chksum(const void *data, int len);
u16_t qcw_lwip_chksum_copy(void *dst, const void *src, u16_t len);

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
 * qcw_lwip_chksum_copy() - memcpy and checksum in one pass (lwIP's
 * LWIP_CHKSUM_COPY, used by tcp_write with LWIP_CHECKSUM_ON_COPY): the
 * data is read once instead of twice.
 */
u16_t qcw_lwip_chksum_copy(void *dst, const void *src, u16_t len)
{
	const uint8_t *s = src;
	uint8_t *d = dst;
	uint64_t sum = 0, w;
	size_t n = len;

	while (n >= 32) {
		uint64_t a, b, c, e;

		memcpy(&a, s, 8);
		memcpy(&b, s + 8, 8);
		memcpy(&c, s + 16, 8);
		memcpy(&e, s + 24, 8);
		memcpy(d, &a, 8);
		memcpy(d + 8, &b, 8);
		memcpy(d + 16, &c, 8);
		memcpy(d + 24, &e, 8);
		sum = qcw_add_carry(sum, a);
		sum = qcw_add_carry(sum, b);
		sum = qcw_add_carry(sum, c);
		sum = qcw_add_carry(sum, e);
		s += 32;
		d += 32;
		n -= 32;
	}
	while (n >= 8) {
		memcpy(&w, s, 8);
		memcpy(d, &w, 8);
		sum = qcw_add_carry(sum, w);
		s += 8;
		d += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, s, n);
	memcpy(d, s, n);
	return qcw_fold(qcw_add_carry(sum, w));
}

u16_t qcw_lwip_chksum(const void *data, int len)
{
	const uint8_t *p = data;
	uint64_t sum = 0, w;
	size_t n = len > 0 ? (size_t)len : 0;

	while (n >= 32) {
		uint64_t a, b, c, d;

		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		memcpy(&c, p + 16, 8);
		memcpy(&d, p + 24, 8);
		sum = qcw_add_carry(sum, a);
		sum = qcw_add_carry(sum, b);
		sum = qcw_add_carry(sum, c);
		sum = qcw_add_carry(sum, d);
		p += 32;
		n -= 32;
	}
	while (n >= 8) {
		memcpy(&w, p, 8);
		sum = qcw_add_carry(sum, w);
		p += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, p, n); /* the tail, zero-padded, keeps its pairing */
	sum = qcw_add_carry(sum, w);
	return qcw_fold(sum);
}
