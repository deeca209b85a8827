/*
 * rxchunk.h - reference-counted receive buffers, so the stack can keep a
 * frame from the VM in place instead of copying it.
 *
 * A transport reads into its current chunk and hands the frames to the
 * switch together with a struct sw_ref on the chunk. A consumer that
 * keeps a frame past the call (the lwIP stack, for a segment the host
 * socket has not taken yet) takes a reference. After the read, a chunk
 * somebody still holds is replaced: the transport moves the partial frame
 * at its end into a fresh chunk, and the old one returns to a small free
 * list once the last frame in it is released.
 *
 * Memory is bounded: past RXCHUNK_MAX_LIVE chunks in existence a
 * transport offers no reference and consumers copy, as before.
 */
#ifndef QCW_RXCHUNK_H
#define QCW_RXCHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/switch.h"

#define RXCHUNK_MAX_LIVE 64
#define RXCHUNK_KEEP_FREE 8

struct rxchunk {
	unsigned int refs;
	size_t cap;
	struct rxchunk *next; /* on the free list */
	struct sw_ref ref; /* get/put on this chunk, for the switch */
	uint8_t data[];
};

/* rxchunk_new() - a chunk of @cap bytes with one reference, or NULL. */
struct rxchunk *rxchunk_new(size_t cap);
/* rxchunk_get()/rxchunk_put() - sw_ref callbacks; @obj is the chunk. */
void rxchunk_get(void *obj);
void rxchunk_put(void *obj);
/* rxchunk_shared() - somebody besides the owner holds @c. */
static inline bool rxchunk_shared(const struct rxchunk *c)
{
	return c->refs > 1;
}
/* rxchunk_may_lend() - false once too many chunks are alive. */
bool rxchunk_may_lend(void);
/* rxchunk_live() - chunks in existence (not on the free list). */
unsigned int rxchunk_live(void);
/* rxchunk_pool_drain() - free the free list (at exit, for leak checks). */
void rxchunk_pool_drain(void);

#endif
