/*
 * test_frame.c - cmocka unit tests of the stream framing codecs
 * (net/frame.h): QEMU's 4-byte big-endian and vpnkit's 2-byte
 * little-endian length prefixes; whole frames, several frames in one
 * buffer, partial headers and bodies, and the length bounds (0, 13, 14,
 * the maximum, one past it, 0xFFFFFFFF).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/frame.h"

static const enum frame_framing framings[] = {FRAMING_BE32, FRAMING_LE16};

/* put_frame() - append a @flen-byte frame (bytes seeded by @seed). */
static size_t put_frame(enum frame_framing f, uint8_t *out, size_t flen,
			uint8_t seed)
{
	size_t hl = frame_hdr_len(f), i;

	frame_put_hdr(f, out, flen);
	for (i = 0; i < flen; i++)
		out[hl + i] = (uint8_t)(seed + i);
	return hl + flen;
}

/* put_raw_len() - write a raw length prefix, even one out of range. */
static void put_raw_len(enum frame_framing f, uint8_t *out, uint32_t n)
{
	if (f == FRAMING_BE32) {
		out[0] = (uint8_t)(n >> 24);
		out[1] = (uint8_t)(n >> 16);
		out[2] = (uint8_t)(n >> 8);
		out[3] = (uint8_t)n;
	} else {
		out[0] = (uint8_t)n;
		out[1] = (uint8_t)(n >> 8);
	}
}

static void test_hdr_len(void **state)
{
	(void)state;
	assert_int_equal(frame_hdr_len(FRAMING_BE32), 4);
	assert_int_equal(frame_hdr_len(FRAMING_LE16), 2);
	assert_int_equal(frame_hdr_len(FRAMING_RAW), 0);
}

/* FRAMING_RAW (/connect beside -listen-bess/-vfkit): one read, one frame */
static void test_raw(void **state)
{
	uint8_t b[100], h[4] = {0xaa, 0xaa, 0xaa, 0xaa};
	const uint8_t *f = NULL;
	size_t fl = 0;

	(void)state;
	memset(b, 7, sizeof(b));
	assert_int_equal(frame_next(FRAMING_RAW, b, 0, 1514, &f, &fl), 0);
	assert_int_equal(frame_next(FRAMING_RAW, b, 13, 1514, &f, &fl),
			 -EPROTO);
	assert_int_equal(frame_next(FRAMING_RAW, b, 60, 1514, &f, &fl), 60);
	assert_ptr_equal(f, b);
	assert_int_equal(fl, 60);
	assert_int_equal(frame_next(FRAMING_RAW, b, 100, 99, &f, &fl), -EPROTO);
	frame_put_hdr(FRAMING_RAW, h, 60);
	assert_int_equal(h[0], 0xaa);
}

static void test_put_hdr_byte_order(void **state)
{
	uint8_t h[4];

	(void)state;
	memset(h, 0xaa, sizeof(h));
	frame_put_hdr(FRAMING_BE32, h, 0x01020304);
	assert_int_equal(h[0], 0x01);
	assert_int_equal(h[1], 0x02);
	assert_int_equal(h[2], 0x03);
	assert_int_equal(h[3], 0x04);

	memset(h, 0xaa, sizeof(h));
	frame_put_hdr(FRAMING_LE16, h, 0x0102);
	assert_int_equal(h[0], 0x02);
	assert_int_equal(h[1], 0x01);
	/* LE16 writes exactly two bytes */
	assert_int_equal(h[2], 0xaa);
	assert_int_equal(h[3], 0xaa);
}

static void test_whole_frame(void **state)
{
	uint8_t buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		enum frame_framing f = framings[i];
		size_t hl = frame_hdr_len(f);
		size_t n = put_frame(f, buf, 60, 7);
		const uint8_t *frame = NULL;
		size_t flen = 0;
		long r;

		r = frame_next(f, buf, n, FRAME_MAX_LEN, &frame, &flen);
		assert_int_equal(r, (long)(hl + 60));
		assert_ptr_equal(frame, buf + hl);
		assert_int_equal(flen, 60);
		assert_int_equal(frame[0], 7);
		assert_int_equal(frame[59], (uint8_t)(7 + 59));
	}
}

static void test_whole_frame_with_trailing_bytes(void **state)
{
	uint8_t buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		enum frame_framing f = framings[i];
		size_t hl = frame_hdr_len(f);
		size_t n = put_frame(f, buf, 20, 1);
		const uint8_t *frame;
		size_t flen;

		/* the start of the next header follows: only one frame */
		buf[n] = 0;
		assert_int_equal(
			frame_next(f, buf, n + 1, FRAME_MAX_LEN, &frame, &flen),
			(long)(hl + 20));
		assert_int_equal(flen, 20);
	}
}

static void test_many_frames(void **state)
{
	static const size_t lens[] = {14, 60, 1514, 15, 64, 9000, 14, 100};
	const size_t nlens = sizeof(lens) / sizeof(lens[0]);
	uint8_t *buf = malloc(32768);
	size_t i, k;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < 2; i++) {
		enum frame_framing f = framings[i];
		size_t hl = frame_hdr_len(f), len = 0, off = 0;

		for (k = 0; k < nlens; k++)
			len += put_frame(f, buf + len, lens[k], (uint8_t)k);
		for (k = 0; k < nlens; k++) {
			const uint8_t *frame;
			size_t flen;
			long r = frame_next(f, buf + off, len - off,
					    FRAME_MAX_LEN, &frame, &flen);

			assert_int_equal(r, (long)(hl + lens[k]));
			assert_ptr_equal(frame, buf + off + hl);
			assert_int_equal(flen, lens[k]);
			assert_int_equal(frame[0], (uint8_t)k);
			assert_int_equal(frame[flen - 1],
					 (uint8_t)(k + flen - 1));
			off += (size_t)r;
		}
		assert_int_equal(off, len);
		/* nothing left: need more bytes */
		{
			const uint8_t *frame;
			size_t flen;

			assert_int_equal(frame_next(f, buf + off, 0,
						    FRAME_MAX_LEN, &frame,
						    &flen),
					 0);
		}
	}
	free(buf);
}

static void test_partial_header(void **state)
{
	uint8_t buf[64];
	size_t i, k;

	(void)state;
	for (i = 0; i < 2; i++) {
		enum frame_framing f = framings[i];
		size_t hl = frame_hdr_len(f);

		put_frame(f, buf, 40, 0);
		for (k = 0; k < hl; k++) {
			const uint8_t *frame = NULL;
			size_t flen = 12345;

			assert_int_equal(frame_next(f, buf, k, FRAME_MAX_LEN,
						    &frame, &flen),
					 0);
			/* outputs are untouched when no frame is found */
			assert_null(frame);
			assert_int_equal(flen, 12345);
		}
		/* a partial header is not judged, even a bad one */
		memset(buf, 0xff, sizeof(buf));
		for (k = 0; k < hl; k++) {
			const uint8_t *frame;
			size_t flen;

			assert_int_equal(frame_next(f, buf, k, FRAME_MAX_LEN,
						    &frame, &flen),
					 0);
		}
	}
}

static void test_partial_body(void **state)
{
	uint8_t buf[128];
	size_t i, k;

	(void)state;
	for (i = 0; i < 2; i++) {
		enum frame_framing f = framings[i];
		size_t n = put_frame(f, buf, 60, 0);

		for (k = frame_hdr_len(f); k < n; k++) {
			const uint8_t *frame;
			size_t flen;

			assert_int_equal(frame_next(f, buf, k, FRAME_MAX_LEN,
						    &frame, &flen),
					 0);
		}
		{
			const uint8_t *frame;
			size_t flen;

			assert_int_equal(frame_next(f, buf, n, FRAME_MAX_LEN,
						    &frame, &flen),
					 (long)n);
		}
	}
}

/* next_with_len() - frame_next on a header claiming @n and @have bytes. */
static long next_with_len(enum frame_framing f, uint32_t n, size_t have,
			  size_t max, size_t *flen)
{
	static uint8_t buf[4 + FRAME_MAX_LEN + 16];
	const uint8_t *frame = NULL;
	long r;

	memset(buf, 0x5a, sizeof(buf));
	put_raw_len(f, buf, n);
	r = frame_next(f, buf, have, max, &frame, flen);
	if (r > 0)
		assert_ptr_equal(frame, buf + frame_hdr_len(f));
	return r;
}

static void test_length_bounds(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		enum frame_framing f = framings[i];
		size_t hl = frame_hdr_len(f), flen = 0;

		/* below an Ethernet header: the stream is broken */
		assert_int_equal(next_with_len(f, 0, hl, FRAME_MAX_LEN, &flen),
				 -EPROTO);
		assert_int_equal(next_with_len(f, 1, hl, FRAME_MAX_LEN, &flen),
				 -EPROTO);
		assert_int_equal(
			next_with_len(f, 13, hl + 13, FRAME_MAX_LEN, &flen),
			-EPROTO);
		/* 14 is the smallest frame */
		assert_int_equal(
			next_with_len(f, 14, hl + 13, FRAME_MAX_LEN, &flen), 0);
		assert_int_equal(
			next_with_len(f, 14, hl + 14, FRAME_MAX_LEN, &flen),
			(long)(hl + 14));
		assert_int_equal(flen, 14);
	}
}

static void test_length_max_be32(void **state)
{
	const enum frame_framing f = FRAMING_BE32;
	size_t flen = 0;

	(void)state;
	assert_int_equal(next_with_len(f, FRAME_MAX_LEN, 4 + FRAME_MAX_LEN - 1,
				       FRAME_MAX_LEN, &flen),
			 0);
	assert_int_equal(next_with_len(f, FRAME_MAX_LEN, 4 + FRAME_MAX_LEN,
				       FRAME_MAX_LEN, &flen),
			 (long)(4 + FRAME_MAX_LEN));
	assert_int_equal(flen, FRAME_MAX_LEN);
	/* max + 1 is refused from the header alone, before the body */
	assert_int_equal(
		next_with_len(f, FRAME_MAX_LEN + 1, 4, FRAME_MAX_LEN, &flen),
		-EPROTO);
	assert_int_equal(next_with_len(f, FRAME_MAX_LEN + 1,
				       4 + FRAME_MAX_LEN + 1, FRAME_MAX_LEN,
				       &flen),
			 -EPROTO);
	assert_int_equal(next_with_len(f, 0xffffffffu, 4, FRAME_MAX_LEN, &flen),
			 -EPROTO);
	assert_int_equal(next_with_len(f, 0x80000000u, 4, FRAME_MAX_LEN, &flen),
			 -EPROTO);
	assert_int_equal(
		next_with_len(f, 0x00010000u + 14, 4, FRAME_MAX_LEN, &flen),
		-EPROTO);
}

static void test_length_max_le16(void **state)
{
	const enum frame_framing f = FRAMING_LE16;
	size_t flen = 0;

	(void)state;
	/* 0xffff is the largest LE16 length and within FRAME_MAX_LEN */
	assert_int_equal(
		next_with_len(f, 0xffff, 2 + 0xffff - 1, FRAME_MAX_LEN, &flen),
		0);
	assert_int_equal(
		next_with_len(f, 0xffff, 2 + 0xffff, FRAME_MAX_LEN, &flen),
		(long)(2 + 0xffff));
	assert_int_equal(flen, 0xffff);
	/* 0xFFFFFFFF written as LE16 reads back as 0xffff: fine */
	assert_int_equal(
		next_with_len(f, 0xffffffffu, 2 + 0xffff, FRAME_MAX_LEN, &flen),
		(long)(2 + 0xffff));
}

static void test_custom_max(void **state)
{
	size_t i, flen = 0;

	(void)state;
	for (i = 0; i < 2; i++) {
		enum frame_framing f = framings[i];
		size_t hl = frame_hdr_len(f);

		assert_int_equal(next_with_len(f, 1514, hl + 1514, 1514, &flen),
				 (long)(hl + 1514));
		assert_int_equal(next_with_len(f, 1515, hl, 1514, &flen),
				 -EPROTO);
		assert_int_equal(next_with_len(f, 14, hl + 14, 14, &flen),
				 (long)(hl + 14));
		assert_int_equal(next_with_len(f, 15, hl + 15, 14, &flen),
				 -EPROTO);
	}
}

/* A stream fed one byte at a time yields the same frames. */
static void test_byte_by_byte(void **state)
{
	static const size_t lens[] = {14, 300, 15, 1514};
	uint8_t stream[4096], rx[4096];
	size_t i, k;

	(void)state;
	for (i = 0; i < 2; i++) {
		enum frame_framing f = framings[i];
		size_t len = 0, rx_len = 0, pos, got = 0;

		for (k = 0; k < 4; k++)
			len += put_frame(f, stream + len, lens[k],
					 (uint8_t)(k * 31));
		for (pos = 0; pos < len; pos++) {
			const uint8_t *frame;
			size_t flen;
			long r;

			rx[rx_len++] = stream[pos];
			r = frame_next(f, rx, rx_len, FRAME_MAX_LEN, &frame,
				       &flen);
			assert_true(r >= 0);
			if (!r)
				continue;
			assert_int_equal(r, (long)rx_len);
			assert_int_equal(flen, lens[got]);
			assert_int_equal(frame[0], (uint8_t)(got * 31));
			got++;
			rx_len = 0;
		}
		assert_int_equal(got, 4);
		assert_int_equal(rx_len, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hdr_len),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_put_hdr_byte_order),
		cmocka_unit_test(test_whole_frame),
		cmocka_unit_test(test_whole_frame_with_trailing_bytes),
		cmocka_unit_test(test_many_frames),
		cmocka_unit_test(test_partial_header),
		cmocka_unit_test(test_partial_body),
		cmocka_unit_test(test_length_bounds),
		cmocka_unit_test(test_length_max_be32),
		cmocka_unit_test(test_length_max_le16),
		cmocka_unit_test(test_custom_max),
		cmocka_unit_test(test_byte_by_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
