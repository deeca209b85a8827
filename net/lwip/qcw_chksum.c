/*
 * qcw_chksum.c - the Internet checksum lwIP uses (LWIP_CHKSUM in
 * lwipopts.h). lwIP's portable version adds 16 bits at a time; this one
 * adds 64-bit words with end-around carry, several times faster on the
 * 64 KiB segments of MTU 65520. Same contract as lwIP's: the one's
 * complement sum (not inverted) of the bytes paired as they lie in memory,
 * in the host's representation, whatever the pointer's alignment.
 */
#include <stdint.h>
#include <string.h>

#include "lwip/arch.h"

u16_t qcw_lwip_chksum(const void *data, int len);

static inline uint64_t qcw_add_carry(uint64_t a, uint64_t b)
{
	uint64_t s = a + b;

	return s + (s < b);
}

u16_t qcw_lwip_chksum(const void *data, int len)
{
	const uint8_t *p = data;
	uint64_t sum = 0, w;
	size_t n = len > 0 ? (size_t)len : 0;
	uint64_t t;

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
	t = (sum & 0xffffffffu) + (sum >> 32);
	t = (t & 0xffffffffu) + (t >> 32);
	t = (t & 0xffff) + (t >> 16);
	t = (t & 0xffff) + (t >> 16);
	t = (t & 0xffff) + (t >> 16);
	return (u16_t)t;
}
