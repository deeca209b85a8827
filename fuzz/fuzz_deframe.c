/*
 * fuzz_deframe.c - libFuzzer target for the stream framing codecs
 * (net/frame.h). The input is a byte stream delivered to a simulated
 * transport receive buffer in chunks whose sizes the first input bytes
 * pick, for both framings. Every frame found chunk by chunk must be the
 * frame found by parsing the whole stream at once, at the same offset;
 * consumed counts must match the header; an -EPROTO must happen at the
 * same place in both; the bytes left over must be the same. FRAMING_RAW
 * (one read, one frame) is fed the same chunks. A violation
 * traps.
 *
 * Input layout: byte 0: bits 0-2 number of chunk sizes - 1, bit 3 use a
 * small maximum frame length (14 + 8 * byte 1), then that many chunk
 * size bytes (0 means "everything left"), then the stream.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/frame.h"
#include "fuzz.h"

/* check_frame() - the invariants of one successful frame_next() call. */
static void check_frame(enum frame_framing f, const uint8_t *buf, size_t len,
			size_t max, long r, const uint8_t *frame, size_t flen)
{
	size_t hl = frame_hdr_len(f);
	uint8_t hdr[4];

	CHECK(r > 0 && (size_t)r <= len);
	CHECK((size_t)r == hl + flen);
	CHECK(frame == buf + hl);
	CHECK(flen >= FRAME_MIN_LEN && flen <= max);
	/* writing the header back gives the bytes that were read */
	frame_put_hdr(f, hdr, flen);
	CHECK(!memcmp(hdr, buf, hl));
}

/* fuzz_raw() - FRAMING_RAW: each read (chunk) is one frame or refused. */
static void fuzz_raw(const uint8_t *chunks, size_t n_chunks, size_t max,
		     const uint8_t *s, size_t size)
{
	size_t pos = 0, k = 0;

	while (pos < size) {
		size_t n = chunks[k++ % n_chunks] * 64u + 1;
		const uint8_t *fr = NULL;
		size_t fl = 0;
		long r;

		if (n > size - pos)
			n = size - pos;
		r = frame_next(FRAMING_RAW, s + pos, n, max, &fr, &fl);
		if (n < FRAME_MIN_LEN || n > max) {
			CHECK(r == -EPROTO);
		} else {
			CHECK(r == (long)n && fl == n && fr == s + pos);
		}
		pos += n;
	}
}

static void fuzz_one(enum frame_framing f, const uint8_t *chunks,
		     size_t n_chunks, size_t max, const uint8_t *s, size_t size)
{
	uint8_t *rx = malloc(size ? size : 1);
	size_t rx_len = 0, pos = 0, ref_off = 0, k = 0;
	bool broken = false;

	if (!rx)
		return;
	while (pos < size && !broken) {
		size_t n = chunks[k++ % n_chunks], off = 0;

		if (n == 0 || n > size - pos)
			n = size - pos;
		memcpy(rx + rx_len, s + pos, n);
		rx_len += n;
		pos += n;
		for (;;) {
			const uint8_t *fr = NULL, *rfr = NULL;
			size_t fl = 0, rfl = 0;
			long r = frame_next(f, rx + off, rx_len - off, max, &fr,
					    &fl);
			/* the same stream position, parsed with all bytes */
			long rr = frame_next(f, s + ref_off, size - ref_off,
					     max, &rfr, &rfl);

			if (r == 0) {
				/* the reference needs more bytes than we have */
				CHECK(rr <= 0 || (size_t)rr > rx_len - off);
				CHECK(rr != -EPROTO ||
				      rx_len - off < frame_hdr_len(f));
				break;
			}
			if (r < 0) {
				CHECK(r == -EPROTO);
				CHECK(rr == -EPROTO);
				CHECK(rx_len - off >= frame_hdr_len(f));
				broken = true; /* the connection is closed */
				break;
			}
			check_frame(f, rx + off, rx_len - off, max, r, fr, fl);
			check_frame(f, s + ref_off, size - ref_off, max, rr,
				    rfr, rfl);
			CHECK(r == rr && fl == rfl);
			CHECK(!memcmp(fr, rfr, fl));
			off += (size_t)r;
			ref_off += (size_t)rr;
		}
		/* the transport moves the unparsed tail to the front */
		memmove(rx, rx + off, rx_len - off);
		rx_len -= off;
	}
	if (!broken) {
		const uint8_t *fr;
		size_t fl;

		/* all fed: what is left is an incomplete frame, same bytes */
		CHECK(rx_len == size - ref_off);
		CHECK(!memcmp(rx, s + ref_off, rx_len));
		CHECK(frame_next(f, rx, rx_len, max, &fr, &fl) == 0);
	}
	free(rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n_chunks, max = FRAME_MAX_LEN;

	if (size < 2)
		return 0;
	n_chunks = (size_t)(data[0] & 7) + 1;
	if (data[0] & 8)
		max = FRAME_MIN_LEN + 8 * (size_t)data[1];
	if (size < 1 + n_chunks)
		return 0;
	fuzz_one(FRAMING_BE32, data + 1, n_chunks, max, data + 1 + n_chunks,
		 size - 1 - n_chunks);
	fuzz_one(FRAMING_LE16, data + 1, n_chunks, max, data + 1 + n_chunks,
		 size - 1 - n_chunks);
	fuzz_raw(data + 1, n_chunks, max, data + 1 + n_chunks,
		 size - 1 - n_chunks);
	return 0;
}
