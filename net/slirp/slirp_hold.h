/*
 * slirp_hold.h - frames of the guest held for a while, keyed by their
 * source address: the libslirp backend holds a SYN from an IPv4 address
 * that never answered ARP (stack_slirp.c) and a frame from an IPv6 address
 * nobody spoke for in neighbour discovery (slirp_nd6.c) until the gateway's
 * question about the address is answered. A ring of the newest few: a
 * flood from made-up sources only ever overwrites its own frames. Pure: no
 * I/O, no libslirp.
 */
#ifndef QCW_NET_SLIRP_HOLD_H
#define QCW_NET_SLIRP_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/slirp/slirp_frames.h"

#define SLIRP_HOLD_SLOTS 16
#define SLIRP_HOLD_LEN (14 + 1500) /* longer frames are not kept */

struct slirp_hold {
	struct {
		/* the source: an IPv6 address, or IPv4 as ::ffff:a.b.c.d */
		uint8_t key[16];
		uint16_t len; /* 0: free */
		uint8_t f[SLIRP_HOLD_LEN];
	} slot[SLIRP_HOLD_SLOTS];
	unsigned int next; /* puts so far: the oldest slot is next's */
	/* the sources the gateway asked about, the newest few */
	uint8_t asked[SLIRP_HOLD_SLOTS][16];
	unsigned int asked_next;
};

/* slirp_hold_key4() - @ip (host order) as a key: ::ffff:a.b.c.d */
void slirp_hold_key4(uint8_t key[16], uint32_t ip);

/*
 * slirp_hold_put() - keep @f (@len bytes) from @key in the oldest slot
 * (what was there is lost); false when it is too long to keep
 */
bool slirp_hold_put(struct slirp_hold *h, const uint8_t key[16],
		    const uint8_t *f, size_t len);

/* slirp_hold_asked() - the gateway asked who @key is (ARP, ND) */
void slirp_hold_asked(struct slirp_hold *h, const uint8_t key[16]);

/*
 * slirp_hold_answered() - @key speaks (ARP, ND): true when the gateway
 * asked about it (the question is then used up) and frames from it are
 * held, so the answer was solicited
 */
bool slirp_hold_answered(struct slirp_hold *h, const uint8_t key[16]);

/*
 * slirp_hold_release() - each frame kept from @key, oldest first, to @emit
 * (from a copy, its slot freed first, so @emit may put again); returns
 * how many
 */
unsigned int slirp_hold_release(struct slirp_hold *h, const uint8_t key[16],
				slirp_frame_fn emit, void *arg);

#endif
