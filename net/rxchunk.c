/*
 * rxchunk.c - reference-counted receive buffers (see rxchunk.h). One
 * loop thread: the counters need no atomics.
 */
#include "net/rxchunk.h"

#include <stdlib.h>

struct rxchunk_pool {
	struct rxchunk *free_list;
	unsigned int n_free, n_live;
	bool closed; /* the owner is gone: the last live chunk frees it */
};

struct rxchunk_pool *rxchunk_pool_create(void)
{
	return calloc(1, sizeof(struct rxchunk_pool));
}

static void rxchunk_pool_drain(struct rxchunk_pool *p)
{
	while (p->free_list) {
		struct rxchunk *c = p->free_list;

		p->free_list = c->next;
		free(c);
	}
	p->n_free = 0;
}

void rxchunk_pool_destroy(struct rxchunk_pool *p)
{
	if (!p)
		return;
	rxchunk_pool_drain(p);
	if (p->n_live) {
		p->closed = true;
		return;
	}
	free(p);
}

struct rxchunk *rxchunk_new(struct rxchunk_pool *p, size_t cap)
{
	struct rxchunk *c = NULL, **pp;

	for (pp = &p->free_list; *pp; pp = &(*pp)->next) {
		if ((*pp)->cap == cap) {
			c = *pp;
			*pp = c->next;
			p->n_free--;
			break;
		}
	}
	if (!c) {
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->pool = p;
		c->ref.get = rxchunk_get;
		c->ref.put = rxchunk_put;
		c->ref.obj = c;
	}
	c->refs = 1;
	c->next = NULL;
	p->n_live++;
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
	struct rxchunk_pool *p;

	if (!c || --c->refs > 0)
		return;
	p = c->pool;
	p->n_live--;
	if (!p->closed && p->n_free < RXCHUNK_KEEP_FREE) {
		c->next = p->free_list;
		p->free_list = c;
		p->n_free++;
		return;
	}
	free(c);
	if (p->closed && !p->n_live)
		free(p);
}

bool rxchunk_may_lend(const struct rxchunk_pool *p)
{
	return p->n_live < RXCHUNK_MAX_LIVE;
}

unsigned int rxchunk_live(const struct rxchunk_pool *p)
{
	return p->n_live;
}
