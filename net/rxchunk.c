/*
 * rxchunk.c - reference-counted receive buffers (see rxchunk.h). One
 * loop thread: the counters need no atomics.
 */
#include "net/rxchunk.h"

#include <stdlib.h>

static struct rxchunk *rxchunk_free_list;
static unsigned int rxchunk_n_free, rxchunk_n_live;

struct rxchunk *rxchunk_new(size_t cap)
{
	struct rxchunk *c = NULL, **pp;

	for (pp = &rxchunk_free_list; *pp; pp = &(*pp)->next) {
		if ((*pp)->cap == cap) {
			c = *pp;
			*pp = c->next;
			rxchunk_n_free--;
			break;
		}
	}
	if (!c) {
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->ref.get = rxchunk_get;
		c->ref.put = rxchunk_put;
		c->ref.obj = c;
	}
	c->refs = 1;
	c->next = NULL;
	rxchunk_n_live++;
	return c;
}

void rxchunk_get(void *obj)
{
	struct rxchunk *c = obj;

	c->refs++;
}

void rxchunk_put(void *obj)
{
	struct rxchunk *c = obj;

	if (!c || --c->refs > 0)
		return;
	rxchunk_n_live--;
	if (rxchunk_n_free < RXCHUNK_KEEP_FREE) {
		c->next = rxchunk_free_list;
		rxchunk_free_list = c;
		rxchunk_n_free++;
		return;
	}
	free(c);
}

bool rxchunk_may_lend(void)
{
	return rxchunk_n_live < RXCHUNK_MAX_LIVE;
}

unsigned int rxchunk_live(void)
{
	return rxchunk_n_live;
}

void rxchunk_pool_drain(void)
{
	while (rxchunk_free_list) {
		struct rxchunk *c = rxchunk_free_list;

		rxchunk_free_list = c->next;
		free(c);
	}
	rxchunk_n_free = 0;
}
