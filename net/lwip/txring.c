/*
 * txring.c - rings of host data sent by reference (see txring.h).
 */
#include "net/lwip/txring.h"

#include <stdlib.h>

#include "lwip/tcp.h"

#define TXRING_MAGIC 0x71637772u

static u8_t txring_arg_id;
static int txring_arg_id_set;
static unsigned int txring_n_live;
/*
 * Rings given back are kept for the next connection or burst (their pages
 * are already mapped): a few, so idle memory stays bounded.
 */
static struct txring *txring_pool[TXRING_POOL];
static unsigned int txring_n_pool;
static bool txring_pool_off; /* the backend is gone: free, do not keep */

struct txring *txring_new(void)
{
	struct txring *r = txring_n_pool
				   ? txring_pool[--txring_n_pool]
				   : aligned_alloc(TXRING_BLOCK, TXRING_BLOCK);

	if (!r)
		return NULL;
	r->magic = TXRING_MAGIC;
	r->refs = 1;
	r->wr = 0;
	r->rel = 0;
	txring_n_live++;
	return r;
}

void txring_ref(struct txring *r)
{
	r->refs++;
}

void txring_unref(struct txring *r)
{
	if (!r || --r->refs > 0)
		return;
	r->magic = 0;
	txring_n_live--;
	if (!txring_pool_off && txring_n_pool < TXRING_POOL) {
		txring_pool[txring_n_pool++] = r;
		return;
	}
	free(r);
}

void txring_pool_enable(bool on)
{
	txring_pool_off = !on;
	if (on)
		return;
	while (txring_n_pool)
		free(txring_pool[--txring_n_pool]);
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
	if (!txring_arg_id_set) {
		txring_arg_id = tcp_ext_arg_alloc_id();
		txring_arg_id_set = 1;
	}
	txring_ref(r);
	tcp_ext_arg_set_callbacks(pcb, txring_arg_id, &txring_pcb_cbs);
	tcp_ext_arg_set(pcb, txring_arg_id, r);
}

void txring_detach(struct txring *r, struct tcp_pcb *pcb)
{
	if (!txring_arg_id_set || tcp_ext_arg_get(pcb, txring_arg_id) != r)
		return;
	tcp_ext_arg_set(pcb, txring_arg_id, NULL);
	txring_unref(r);
}

unsigned int txring_live(void)
{
	return txring_n_live;
}
