/*
 * ackhold.h - coalescing of the guest's pure TCP ACKs within one batch of
 * frames from the VM, before lwIP sees them.
 *
 * A guest receiving a bulk transfer acknowledges every second segment;
 * each ACK costs lwIP a full input pass and an output attempt. Within one
 * batch (one read of the VM's socket) only the newest ACK of a connection
 * carries information, so an ACK is held, replaced by a later one of the
 * same connection, and delivered when anything else of that connection
 * arrives or the batch ends. Duplicate ACKs (same number and window) are
 * all delivered, so lwIP's fast retransmit still counts them. Pure data
 * structure over frame bytes: no I/O, no lwIP.
 */
#ifndef QCW_ACKHOLD_H
#define QCW_ACKHOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACKHOLD_MAX 16
#define ACKHOLD_LEN 54 /* Ethernet + IPv4 + TCP, no options */

typedef void (*ackhold_deliver_fn)(void *arg, const uint8_t *frame, size_t len);

struct ackhold {
	unsigned int n;
	uint64_t coalesced; /* ACKs replaced by a newer one, never delivered */
	uint8_t held[ACKHOLD_MAX][ACKHOLD_LEN];
};

/*
 * ackhold_input() - a frame from the guest. Returns true when it was a
 * pure ACK and is now held (the caller is done with it); otherwise any
 * ACK held for its connection has been delivered through @deliver first
 * and the caller passes the frame on.
 */
bool ackhold_input(struct ackhold *h, const uint8_t *frame, size_t len,
		   ackhold_deliver_fn deliver, void *arg);

/* ackhold_flush() - the batch ended: deliver every held ACK, in order. */
void ackhold_flush(struct ackhold *h, ackhold_deliver_fn deliver, void *arg);

#endif
