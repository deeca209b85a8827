/*
 * frame.c - stream framing codecs (see frame.h).
 */
#include "net/frame.h"

#include <errno.h>

#include "util/be.h"

long frame_next(enum frame_framing f, const uint8_t *buf, size_t len,
		size_t max, const uint8_t **frame, size_t *flen)
{
	size_t hl = frame_hdr_len(f);
	size_t n;

	if (len < hl || len == 0)
		return 0;
	if (f == FRAMING_RAW)
		n = len;
	else if (f == FRAMING_BE32)
		n = be32_get(buf);
	else
		n = (size_t)buf[0] | (size_t)buf[1] << 8;
	if (n < FRAME_MIN_LEN || n > max)
		return -EPROTO;
	if (len - hl < n)
		return 0;
	*frame = buf + hl;
	*flen = n;
	return (long)(hl + n);
}

void frame_put_hdr(enum frame_framing f, uint8_t *hdr, size_t flen)
{
	if (f == FRAMING_BE32) {
		be32_put(hdr, (uint32_t)flen);
	} else if (f == FRAMING_LE16) {
		hdr[0] = (uint8_t)flen;
		hdr[1] = (uint8_t)(flen >> 8);
	}
}
