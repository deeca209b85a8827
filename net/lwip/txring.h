/*
 * txring.h - a connection's ring of host data that lwIP sends by
 * reference (tcp_write without copy), so bytes read from a host socket
 * reach the VM's socket without being copied in between.
 *
 * Host reads land in the ring's free space; lwIP's segments point into it
 * (PBUF_ROM); bytes are released as the guest acknowledges them. The ring
 * is one aligned block, so the ring of any byte lwIP sends by reference is
 * found from the byte's address (txring_of()). References: the splice
 * that writes into it, the pcb whose segments point into it (dropped when
 * lwIP frees the pcb), and each frame a port queued by reference.
 *
 * Rings come from a pool that the lwIP backend owns (struct lwst): a few
 * rings given back are kept for the next connection (their pages are
 * mapped). Each ring remembers its pool. When the backend goes, the pool
 * is destroyed: the kept rings are freed, and rings still referenced by
 * frames a port has queued are freed when the last frame releases them,
 * the pool itself with the last of them, so nothing outlives its use and
 * nothing leaks.
 *
 * A frame a port still holds may be a retransmission of bytes the guest
 * acknowledged meanwhile; their place in the ring may hold newer bytes by
 * the time it is written, and the guest discards the frame on its
 * checksum, as it would discard any duplicate.
 */
#ifndef QCW_TXRING_H
#define QCW_TXRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tcp_pcb;
struct txring_pool;

#define TXRING_BLOCK (4u << 20) /* size and alignment of the block */
#define TXRING_HDR 64
#define TXRING_CAP (TXRING_BLOCK - TXRING_HDR)
#define TXRING_POOL 4 /* rings kept for reuse once given back */

struct txring {
	uint32_t magic;
	uint32_t refs;
	uint64_t wr; /* bytes written in, monotonic */
	uint64_t rel; /* bytes released (acknowledged), monotonic */
	struct txring_pool *pool;
};

/* txring_pool_create() - an empty pool, or NULL. */
struct txring_pool *txring_pool_create(void);
/*
 * txring_pool_destroy() - the owner lets go: kept rings are freed now,
 * rings still referenced when their last reference goes (the pool with
 * the last of them). NULL ok.
 */
void txring_pool_destroy(struct txring_pool *p);
/* txring_new() - a ring of @p with one reference, or NULL. */
struct txring *txring_new(struct txring_pool *p);
void txring_ref(struct txring *r);
void txring_unref(struct txring *r);

static inline uint8_t *txring_data(struct txring *r)
{
	return (uint8_t *)r + TXRING_HDR;
}

/* txring_of() - the ring @p points into (p from txring_data()). */
static inline struct txring *txring_of(const void *p)
{
	return (struct txring *)((uintptr_t)p & ~(uintptr_t)(TXRING_BLOCK - 1));
}

/* txring_room() - contiguous free bytes at the write position. */
static inline size_t txring_room(const struct txring *r, uint8_t **at)
{
	size_t used = (size_t)(r->wr - r->rel);
	size_t pos = (size_t)(r->wr % TXRING_CAP);
	size_t room = TXRING_CAP - used;

	if (room > TXRING_CAP - pos)
		room = TXRING_CAP - pos;
	*at = txring_data((struct txring *)r) + pos;
	return room;
}

/*
 * txring_attach() - @pcb's segments will point into @r: the pcb holds a
 * reference until lwIP frees it.
 */
void txring_attach(struct txring *r, struct tcp_pcb *pcb);

/* txring_detach() - drop @pcb's reference (nothing of it is in flight). */
void txring_detach(struct txring *r, struct tcp_pcb *pcb);

/* txring_live() - rings of @p in existence (tests). */
unsigned int txring_live(const struct txring_pool *p);

#endif
