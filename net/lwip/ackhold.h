/*
 * ackhold.h - coalescing of pure TCP ACKs within one batch of frames, in
 * both directions of the lwIP backend: the guest's ACKs before lwIP sees
 * them (ACKHOLD_IN), and lwIP's ACKs before they go to the VM
 * (ACKHOLD_OUT).
 *
 * A receiver of a bulk transfer acknowledges every second segment; each
 * ACK costs lwIP a full input pass (in) or the VM's side a frame of its
 * queue (out). Within one batch (one read of the VM's socket) only the
 * newest ACK of a connection carries information, so an ACK is held,
 * replaced by a later one of the same connection (a newer acknowledgement
 * or a window update), and delivered when the batch ends. Duplicate ACKs
 * (same number and window, or an older number) are all delivered, so the
 * other side's fast retransmit still counts them.
 *
 * Another frame of a connection with a held ACK (data, FIN, RST):
 *  - ACKHOLD_IN: the held ACK is delivered first, then the frame passes
 *    (lwIP sees the guest's segments in their order);
 *  - ACKHOLD_OUT: the held ACK is dropped, superseded (lwIP's segment
 *    carries the same or a newer acknowledgement and window).
 *
 * IPv4 and IPv6 (no extension headers) alike, with or without the
 * timestamp option (ACKHOLD_TS). Pure data structure over
 * frame bytes (offsets of net/pkt.h): no I/O, no lwIP.
 */
#ifndef QCW_ACKHOLD_H
#define QCW_ACKHOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/pkt.h"

#define ACKHOLD_MAX 32 /* connections held at most, either direction */
#define ACKHOLD_LEN PKT_TCP4_LEN /* Ethernet + IPv4 + TCP, no options */
#define ACKHOLD_LEN6 (ETH_HLEN_ + 40 + 20) /* the same over IPv6 */
/*
 * The only TCP options a held ACK may carry: NOP, NOP, timestamps (RFC
 * 7323, appendix A), as Linux and lwIP put them on every segment once
 * both sides agreed on timestamps.
 */
#define ACKHOLD_TS 12
#define ACKHOLD_CAP (ACKHOLD_LEN6 + ACKHOLD_TS)

enum ackhold_dir {
	ACKHOLD_IN, /* the guest's ACKs: other frames deliver the held one */
	ACKHOLD_OUT, /* the stack's ACKs: other frames supersede it */
};

typedef void (*ackhold_deliver_fn)(void *arg, const uint8_t *frame, size_t len);

struct ackhold {
	enum ackhold_dir dir;
	unsigned int n, max;
	uint64_t coalesced; /* ACKs replaced or superseded, never delivered */
	uint8_t held[ACKHOLD_MAX][ACKHOLD_CAP];
	uint8_t held_len[ACKHOLD_MAX]; /* ACKHOLD_LEN(6), + ACKHOLD_TS */
	uint8_t held_at[ACKHOLD_MAX]; /* where its TCP header starts */
};

/* ackhold_init() - empty, for @dir, holding up to @max (<= ACKHOLD_MAX). */
void ackhold_init(struct ackhold *h, enum ackhold_dir dir, unsigned int max);

/* ackhold_input_tcp() - ackhold_input() of a TCP frame with its ports */
bool ackhold_input_tcp(struct ackhold *h, const uint8_t *frame, size_t len,
		       ackhold_deliver_fn deliver, void *arg);

/*
 * ackhold_input() - a frame of the batch, @len bytes contiguous at @frame
 * (for a frame in pieces: its first piece, which holds the headers).
 * Returns true when it was a pure ACK and is now held (the caller is done
 * with it); otherwise the caller passes the frame on, after any ACK held
 * for its connection was delivered through @deliver (ACKHOLD_IN) or
 * dropped (ACKHOLD_OUT). A duplicate ACK delivers the held one before it
 * is held itself.
 */
static inline bool ackhold_input(struct ackhold *h, const uint8_t *frame,
				 size_t len, ackhold_deliver_fn deliver,
				 void *arg)
{
	uint16_t et;

	/* anything but TCP is never held nor of a held flow */
	if (len < PKT_TCP + 4)
		return false;
	et = be16_get(frame + PKT_ETH_TYPE);
	if (et == ETHTYPE_IP4 ? frame[PKT_IP4_PROTO] != 6
			      : et != 0x86dd || frame[PKT_IP4 + 6] != 6)
		return false;
	return ackhold_input_tcp(h, frame, len, deliver, arg);
}

/* ackhold_held() - some ACK is held (the batch's end has work to do). */
static inline bool ackhold_held(const struct ackhold *h)
{
	return h->n != 0;
}

/* ackhold_flush() - the batch ended: deliver every held ACK, in order. */
void ackhold_flush(struct ackhold *h, ackhold_deliver_fn deliver, void *arg);

#endif
