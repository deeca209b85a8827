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
 *
 * The chunks and their free list belong to a pool, owned by the switch
 * (sw_rxchunks()): transports take it from their switch. Each chunk
 * remembers its pool; a chunk still held when the owner destroys the pool
 * (a frame a stack keeps) is freed at its last release, and the pool
 * itself with the last of them, so neither outlives its use nor leaks.
 * One loop thread: the counters need no atomics.
 */
#ifndef QCW_RXCHUNK_H
#define QCW_RXCHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/switch.h"

#define RXCHUNK_MAX_LIVE 64
#define RXCHUNK_KEEP_FREE 8

struct rxchunk_pool;

struct rxchunk {
	unsigned int refs;
	size_t cap;
	struct rxchunk *next; /* on the free list */
	struct rxchunk_pool *pool;
	struct sw_ref ref; /* get/put on this chunk, for the switch */
	uint8_t data[];
};

/* rxchunk_pool_create() - an empty pool, or NULL. */
struct rxchunk_pool *rxchunk_pool_create(void);
/*
 * rxchunk_pool_destroy() - the owner lets go: the free list is freed now,
 * chunks still held later (the pool with the last one). NULL ok.
 */
void rxchunk_pool_destroy(struct rxchunk_pool *p);
/* rxchunk_new() - a chunk of @cap bytes with one reference, or NULL. */
struct rxchunk *rxchunk_new(struct rxchunk_pool *p, size_t cap);
/* rxchunk_get()/rxchunk_put() - sw_ref callbacks; @obj is the chunk. */
void rxchunk_get(void *obj);
void rxchunk_put(void *obj);
/* rxchunk_shared() - somebody besides the owner holds @c. */
static inline bool rxchunk_shared(const struct rxchunk *c)
{
	return c->refs > 1;
}
/* rxchunk_may_lend() - false once too many chunks of @p are alive. */
bool rxchunk_may_lend(const struct rxchunk_pool *p);
/* rxchunk_live() - chunks of @p in existence (not on the free list). */
unsigned int rxchunk_live(const struct rxchunk_pool *p);

#endif
