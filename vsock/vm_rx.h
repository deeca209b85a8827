/*
 * vm_rx.h - qcw-net-vm's receive side, host -> tap: the bytes read from
 * the connection (untrusted: whatever the host end sends) cut into frames
 * with the 2-byte little-endian length gvforwarder speaks. Pure: no I/O.
 * Frames longer than the agent's -mtu + 14 are skipped and counted (the
 * stream stays in step); a length below an Ethernet header cannot be a
 * frame and ends the connection.
 */
#ifndef QCW_VM_RX_H
#define QCW_VM_RX_H

#include <stddef.h>
#include <stdint.h>

struct vm_rx_stats {
	uint64_t frames; /* handed to the tap */
	uint64_t oversize; /* longer than max: skipped */
};

/*
 * vm_rx_fn - one whole frame, borrowed for the call. Return 0 to go on,
 * or a negative value to stop (the tap is full): that frame is not
 * consumed and is offered again by the next vm_rx_parse().
 */
typedef int (*vm_rx_fn)(void *arg, const uint8_t *frame, size_t len);

/*
 * vm_rx_parse() - hand every whole frame in @buf to @fn.
 * @max: the largest frame delivered (the agent's -mtu + 14)
 *
 * Return: bytes consumed (the caller keeps the rest, at most one partial
 * frame of up to 65537 bytes, for the next read), or -EPROTO when a
 * length is below 14 (out of step: reconnect).
 */
long vm_rx_parse(const uint8_t *buf, size_t len, size_t max,
		 struct vm_rx_stats *st, vm_rx_fn fn, void *arg);

/*
 * vm_tx_put_hdr() - the 2-byte LE length of a @len-byte frame (<= 65535)
 * in front of it, for the tap -> host direction.
 */
static inline void vm_tx_put_hdr(uint8_t *hdr, size_t len)
{
	hdr[0] = (uint8_t)len;
	hdr[1] = (uint8_t)(len >> 8);
}

#endif
