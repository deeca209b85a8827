/*
 * txq.h - a port's bounded transmit queue of length-prefixed frames.
 *
 * A frame is either referenced (the stack's pbuf stays alive until its
 * bytes were written; no copy) or copied into the queue's byte ring
 * (borrowed frames from another port, frames in pieces). Frames leave in
 * order as iovecs for writev. Bounded both in bytes pending (references
 * included) and in frames. Pure data structure: no I/O.
 */
#ifndef QCW_TXQ_H
#define QCW_TXQ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "net/switch.h"

/* Copied bytes a slot holds before its data: a framing prefix, or that
 * and the Ethernet/IP/TCP headers of a frame whose payload is referenced
 * (SW_HDR_MAX after a 4-byte prefix; a slot is 136 bytes). */
#define TXQ_HDR_MAX 92

struct txq_slot {
	const uint8_t *data;
	struct sw_ref ref; /* ref.obj NULL: data is in the byte ring */
	uint32_t len;
	uint32_t span; /* bytes of the byte ring this frame used */
	uint8_t hdr[TXQ_HDR_MAX]; /* framing, maybe the frame's headers */
	uint8_t hl;
};

struct txq {
	struct txq_slot *slots;
	unsigned int n_slots; /* power of two */
	uint64_t shead, stail; /* monotonic slot counters */
	size_t off; /* bytes of the tail slot already consumed */
	uint8_t *ring;
	size_t ring_cap;
	uint64_t bhead, btail; /* monotonic byte-ring counters */
	size_t pending; /* bytes not yet consumed (headers + frames) */
	size_t max_pending;
};

/* txq_init() - 0 or -ENOMEM. */
int txq_init(struct txq *q, size_t ring_cap, unsigned int n_slots,
	     size_t max_pending);
/* txq_fini() - drops references of frames never written. */
void txq_fini(struct txq *q);

/* txq_push_copy() - queue @hl header bytes and the frame in @iov (copied). */
int txq_push_copy(struct txq *q, const uint8_t *hdr, size_t hl,
		  const struct iovec *iov, int iovcnt, size_t len);
/* txq_push_ref() - queue the header and @data (referenced via @ref). */
int txq_push_ref(struct txq *q, const uint8_t *hdr, size_t hl,
		 const uint8_t *data, size_t len, const struct sw_ref *ref);

/*
 * txq_iov() - up to @max iovecs of the pending bytes from the consumed
 * position on; sets @bytes to their total.
 */
int txq_iov(const struct txq *q, struct iovec *iov, int max, size_t *bytes);

/* txq_consume() - @n bytes were written: release whole frames. */
void txq_consume(struct txq *q, size_t n);

static inline size_t txq_pending(const struct txq *q)
{
	return q->pending;
}

/*
 * txq_report_level() - tell the switch how full the queue is: the fuller
 * of its two bounds (bytes pending, the copy ring), so producers pause
 * before either of them makes the queue drop frames.
 */
static inline void txq_report_level(const struct txq *q, struct sw_port *port)
{
	size_t ring_used = (size_t)(q->bhead - q->btail);

	if (q->ring_cap && (double)ring_used * q->max_pending >
				   (double)q->pending * q->ring_cap)
		sw_port_queue_level(port, ring_used, q->ring_cap);
	else
		sw_port_queue_level(port, q->pending, q->max_pending);
}

#endif
