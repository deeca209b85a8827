/*
 * frame.h - pure framing codecs of the frame transports: QEMU's stream
 * framing (4-byte big-endian length + Ethernet frame) and vpnkit/stdio's
 * (2-byte little-endian length + frame). No I/O: a transport hands in the
 * bytes it read and gets back whole frames, borrowed from its buffer.
 */
#ifndef QCW_FRAME_H
#define QCW_FRAME_H

#include <stddef.h>
#include <stdint.h>

enum frame_framing {
	FRAMING_BE32, /* qemu -netdev stream / socket */
	FRAMING_LE16, /* hyperkit/vpnkit, stdio, gvforwarder */
	/*
	 * No prefix: one read is one frame, frames are written back to
	 * back. gvproxy's /connect speaks this on a stream when -listen-bess
	 * or -listen-vfkit is given (their datagram "protocol"); a peer must
	 * send one frame per write and read as fast as frames come.
	 */
	FRAMING_RAW,
};

#define FRAME_MIN_LEN 14 /* an Ethernet header */
#define FRAME_MAX_LEN (65535 + 14) /* MTU 65535 payload + Ethernet header */

/* frame_hdr_len() - bytes of length prefix for @f. */
static inline size_t frame_hdr_len(enum frame_framing f)
{
	return f == FRAMING_BE32 ? 4 : f == FRAMING_LE16 ? 2 : 0;
}

/*
 * frame_next() - find the first frame in @buf.
 * @f:      framing
 * @buf:    bytes received so far (untrusted)
 * @len:    number of bytes in @buf
 * @max:    largest frame accepted (<= FRAME_MAX_LEN)
 * @frame:  set to the frame's first byte (inside @buf)
 * @flen:   set to the frame's length
 *
 * FRAMING_RAW: all of @buf is one frame (0 when @len is 0).
 *
 * Return: bytes consumed (> 0) when a whole frame was found, 0 when more
 * bytes are needed, -EPROTO when the length prefix is out of range
 * (below FRAME_MIN_LEN or above @max): the stream cannot be resynchronised
 * and the connection must be closed.
 */
long frame_next(enum frame_framing f, const uint8_t *buf, size_t len,
		size_t max, const uint8_t **frame, size_t *flen);

/* frame_put_hdr() - write the length prefix of a @flen-byte frame. */
void frame_put_hdr(enum frame_framing f, uint8_t *hdr, size_t flen);

#endif
