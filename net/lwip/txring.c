/*
 * txring.c - rings of host data sent by reference (see txring.h).
 */
#include "net/lwip/txring.h"

#include <stdlib.h>

#include "lwip/tcp.h"

#include "net/lwip/lwst_tcp_event.h"
#include "util/memalign.h"

#define TXRING_MAGIC 0x71637772u

/*
 * The ring a pcb's segments point into is in the pcb's extension slot
 * (lwst_tcp_ext_id()).
 */

struct txring_pool {
	/*
	 * Rings given back are kept for the next connection or burst
	 * (their pages are already mapped): a few, so idle memory stays
	 * bounded.
	 */
	struct txring *kept[TXRING_POOL];
	unsigned int n_kept, n_live;
	bool closed; /* the owner is gone: the last live ring frees it */
};

struct txring_pool *txring_pool_create(void)
{
	return calloc(1, sizeof(struct txring_pool));
}

void txring_pool_destroy(struct txring_pool *p)
{
	if (!p)
		return;
	while (p->n_kept)
		mem_aligned_free(p->kept[--p->n_kept]);
	if (p->n_live) {
		p->closed = true; /* rings of queued frames come back later */
		return;
	}
	free(p);
}

struct txring *txring_new(struct txring_pool *p)
{
	struct txring *r =
		p->n_kept ? p->kept[--p->n_kept]
			  : mem_aligned_alloc(TXRING_BLOCK, TXRING_BLOCK);

	if (!r)
		return NULL;
	r->magic = TXRING_MAGIC;
	r->refs = 1;
	r->wr = 0;
	r->rel = 0;
	r->pool = p;
	p->n_live++;
	return r;
}

void txring_ref(struct txring *r)
{
	r->refs++;
}

void txring_unref(struct txring *r)
{
	struct txring_pool *p;

	if (!r || --r->refs > 0)
		return;
	r->magic = 0;
	p = r->pool;
	p->n_live--;
	if (!p->closed && p->n_kept < TXRING_POOL) {
		p->kept[p->n_kept++] = r;
		return;
	}
	mem_aligned_free(r);
	if (p->closed && !p->n_live)
		free(p);
}

static void txring_pcb_destroyed(u8_t id, void *data)
{
	(void)id;
	txring_unref(data);
}

static const struct tcp_ext_arg_callbacks txring_pcb_cbs = {
	.destroy = txring_pcb_destroyed,
};

void txring_attach(struct txring *r, struct tcp_pcb *pcb)
{
	u8_t id = lwst_tcp_ext_id();

	txring_ref(r);
	tcp_ext_arg_set_callbacks(pcb, id, &txring_pcb_cbs);
	tcp_ext_arg_set(pcb, id, r);
}

void txring_detach(struct txring *r, struct tcp_pcb *pcb)
{
	u8_t id = lwst_tcp_ext_id();

	if (tcp_ext_arg_get(pcb, id) != r)
		return;
	tcp_ext_arg_set(pcb, id, NULL);
	txring_unref(r);
}

unsigned int txring_live(const struct txring_pool *p)
{
	return p->n_live;
}
