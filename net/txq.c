/*
 * txq.c - bounded transmit queue of frames (see txq.h).
 */
#include "net/txq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int txq_init(struct txq *q, size_t ring_cap, unsigned int n_slots,
	     size_t max_pending)
{
	unsigned int n = 1;

	memset(q, 0, sizeof(*q));
	while (n < n_slots)
		n <<= 1;
	q->slots = calloc(n, sizeof(*q->slots));
	q->ring = malloc(ring_cap);
	if (!q->slots || !q->ring) {
		free(q->slots);
		free(q->ring);
		q->slots = NULL;
		q->ring = NULL;
		return -ENOMEM;
	}
	q->n_slots = n;
	q->ring_cap = ring_cap;
	q->max_pending = max_pending;
	return 0;
}

static struct txq_slot *txq_slot(const struct txq *q, uint64_t i)
{
	return &q->slots[i & (q->n_slots - 1)];
}

void txq_fini(struct txq *q)
{
	while (q->stail != q->shead) {
		struct txq_slot *s = txq_slot(q, q->stail++);

		if (s->ref.obj)
			s->ref.put(s->ref.obj);
	}
	free(q->slots);
	free(q->ring);
	q->slots = NULL;
	q->ring = NULL;
}

static struct txq_slot *txq_new_slot(struct txq *q, const uint8_t *hdr,
				     size_t hl, size_t len)
{
	struct txq_slot *s;

	if (q->shead - q->stail == q->n_slots ||
	    q->pending + hl + len > q->max_pending || hl > sizeof(s->hdr))
		return NULL;
	s = txq_slot(q, q->shead);
	if (hl)
		memcpy(s->hdr, hdr, hl);
	s->hl = (uint8_t)hl;
	s->len = (uint32_t)len;
	s->span = 0;
	s->ref.obj = NULL;
	return s;
}

int txq_push_copy(struct txq *q, const uint8_t *hdr, size_t hl,
		  const struct iovec *iov, int iovcnt, size_t len)
{
	struct txq_slot *s = txq_new_slot(q, hdr, hl, len);
	size_t pos, span, off = 0;
	int i;

	if (!s || len > q->ring_cap)
		return -ENOBUFS;
	/* contiguous in the ring: skip the end when the frame won't fit */
	pos = (size_t)(q->bhead % q->ring_cap);
	span = len;
	if (q->ring_cap - pos < len) {
		span += q->ring_cap - pos;
		pos = 0;
	}
	if (q->ring_cap - (size_t)(q->bhead - q->btail) < span)
		return -ENOBUFS;
	for (i = 0; i < iovcnt && off < len; i++) {
		size_t n = iov[i].iov_len;

		if (n > len - off)
			n = len - off;
		memcpy(q->ring + pos + off, iov[i].iov_base, n);
		off += n;
	}
	s->data = q->ring + pos;
	s->span = (uint32_t)span;
	q->bhead += span;
	q->shead++;
	q->pending += hl + len;
	return 0;
}

int txq_push_ref(struct txq *q, const uint8_t *hdr, size_t hl,
		 const uint8_t *data, size_t len, const struct sw_ref *ref)
{
	struct txq_slot *s = txq_new_slot(q, hdr, hl, len);

	if (!s)
		return -ENOBUFS;
	s->data = data;
	s->ref = *ref;
	ref->get(ref->obj);
	q->shead++;
	q->pending += hl + len;
	return 0;
}

int txq_iov(const struct txq *q, struct iovec *iov, int max, size_t *bytes)
{
	size_t skip = q->off;
	uint64_t i;
	int n = 0;

	*bytes = 0;
	for (i = q->stail; i != q->shead && n + 2 <= max; i++) {
		const struct txq_slot *s = txq_slot(q, i);

		if (skip < s->hl) {
			iov[n].iov_base = (void *)(s->hdr + skip);
			iov[n].iov_len = s->hl - skip;
			*bytes += iov[n].iov_len;
			n++;
			skip = 0;
		} else {
			skip -= s->hl;
		}
		if (skip < s->len) {
			iov[n].iov_base = (void *)(s->data + skip);
			iov[n].iov_len = s->len - skip;
			*bytes += iov[n].iov_len;
			n++;
		}
		skip = 0;
	}
	return n;
}

void txq_consume(struct txq *q, size_t n)
{
	q->pending -= n;
	n += q->off;
	while (q->stail != q->shead) {
		struct txq_slot *s = txq_slot(q, q->stail);
		size_t whole = (size_t)s->hl + s->len;

		if (n < whole)
			break;
		n -= whole;
		if (s->ref.obj)
			s->ref.put(s->ref.obj);
		q->btail += s->span;
		q->stail++;
	}
	q->off = n;
}
