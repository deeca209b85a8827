/*
 * nat_flow.c - the NAT flow table (see nat_flow.h): a chained hash table
 * sized at start-up (no rehash on the data path) plus, for tables that
 * have one, an LRU list, so the idle sweep only looks at flows that may
 * have expired.
 */
#include "net/nat_flow.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

/*
 * nat_hash() - @k's bucket in @t, keyed with the table's random seed: the
 * guest chooses its addresses and ports (and an IPv6 fold can be aimed at
 * any value), so without the key it could put every flow in one chain
 */
static size_t nat_hash(const struct nat_table *t, const struct nat_fkey *k)
{
	uint64_t h = ((uint64_t)k->gip ^ t->seed) * 0x9e3779b97f4a7c15ull;

	h ^= (((uint64_t)k->dip << 32 | (uint32_t)k->gport << 16 | k->dport) ^
	      (t->seed >> 32 | t->seed << 32)) *
	     0xc2b2ae3d27d4eb4full;
	h ^= (uint32_t)k->proto << 1 | k->v6;
	h ^= h >> 29;
	return (size_t)h & (t->n_buckets - 1);
}

/* gip6 and dip6 are one NAT_ADDR6_LEN-byte run, as in a flow's tail */
_Static_assert(offsetof(struct nat_key, dip6) ==
		       offsetof(struct nat_key, gip6) + 16,
	       "nat_key: gip6, dip6 adjacent");

static void nat_fkey_of(struct nat_fkey *fk, const struct nat_key *k)
{
	memset(fk, 0, sizeof(*fk));
	fk->gip = k->gip;
	fk->dip = k->dip;
	fk->gport = k->gport;
	fk->dport = k->dport;
	fk->proto = k->proto;
	fk->v6 = k->v6;
	fk->vm = k->vm < NAT_VMS ? k->vm : 0;
}

/* @a6: the key's IPv6 addresses (NAT_ADDR6_LEN bytes), read if v6 */
static bool nat_fkey_eq(const struct nat_fkey *a, const uint8_t *a6,
			const struct nat_fkey *b, const uint8_t *b6)
{
	return a->gip == b->gip && a->dip == b->dip && a->gport == b->gport &&
	       a->dport == b->dport && a->proto == b->proto && a->v6 == b->v6 &&
	       (!a->v6 || !memcmp(a6, b6, NAT_ADDR6_LEN));
}

static struct nat_flow *nat_find(const struct nat_table *t,
				 const struct nat_fkey *k, const uint8_t *a6)
{
	struct nat_flow *f = t->buckets[nat_hash(t, k)];

	for (; f; f = f->hnext)
		if (nat_fkey_eq(&f->key, nat_flow_a6(t, f), k, a6))
			return f;
	return NULL;
}

void nat_flow_set_key(const struct nat_table *t, struct nat_flow *f,
		      const struct nat_key *k)
{
	nat_fkey_of(&f->key, k);
	if (k->v6)
		memcpy(nat_flow_a6(t, f), k->gip6, NAT_ADDR6_LEN);
}

void nat_flow_key(const struct nat_table *t, const struct nat_flow *f,
		  struct nat_key *k)
{
	memset(k, 0, sizeof(*k));
	k->gip = f->key.gip;
	k->dip = f->key.dip;
	k->gport = f->key.gport;
	k->dport = f->key.dport;
	k->proto = f->key.proto;
	k->v6 = f->key.v6;
	k->vm = f->key.vm;
	if (k->v6)
		memcpy(k->gip6, nat_flow_a6(t, f), NAT_ADDR6_LEN);
}

int nat_table_init(struct nat_table *t, size_t n_buckets, size_t max_flows,
		   ptrdiff_t a6_off, ptrdiff_t lru_off)
{
	size_t n = 1;

	memset(t, 0, sizeof(*t));
	while (n < n_buckets)
		n <<= 1;
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->n_buckets = n;
	t->seed = hash_seed(t);
	t->max_flows = max_flows;
	t->a6_off = a6_off;
	t->lru_off = lru_off;
	return 0;
}

void nat_pool_init(struct nat_pool *p, size_t budget)
{
	memset(p, 0, sizeof(*p));
	p->budget = budget;
}

/* nat_table_owed() - what @t's minimum still holds for it in its pool */
static size_t nat_table_owed(const struct nat_table *t)
{
	return t->n_flows < t->pool_min ? t->pool_min - t->n_flows : 0;
}

void nat_table_pool(struct nat_table *t, struct nat_pool *p, size_t min)
{
	t->pool = p;
	t->pool_min = min;
	p->owed += min;
}

void nat_table_fini(struct nat_table *t)
{
	struct nat_pool *p = t->pool;

	if (p) {
		p->used -= t->n_flows;
		p->owed -= nat_table_owed(t);
		t->pool = NULL;
	}
	free(t->buckets);
	t->buckets = NULL;
}

struct nat_flow *nat_table_find(const struct nat_table *t,
				const struct nat_key *k)
{
	struct nat_fkey fk;

	nat_fkey_of(&fk, k);
	return nat_find(t, &fk, k->gip6);
}

static void nat_lru_append(struct nat_table *t, struct nat_flow *f)
{
	struct nat_lru *l = nat_flow_lru(t, f);

	l->next = NULL;
	l->prev = t->lru_tail;
	if (t->lru_tail)
		nat_flow_lru(t, t->lru_tail)->next = f;
	else
		t->lru_head = f;
	t->lru_tail = f;
}

static void nat_lru_unlink(struct nat_table *t, struct nat_flow *f)
{
	struct nat_lru *l = nat_flow_lru(t, f);

	if (l->prev)
		nat_flow_lru(t, l->prev)->next = l->next;
	else
		t->lru_head = l->next;
	if (l->next)
		nat_flow_lru(t, l->next)->prev = l->prev;
	else
		t->lru_tail = l->prev;
	l->prev = l->next = NULL;
}

int nat_table_insert(struct nat_table *t, struct nat_flow *f, uint64_t now)
{
	size_t h;

	if (nat_find(t, &f->key, nat_flow_a6(t, f)))
		return -EEXIST;
	if (nat_table_full(t))
		return -EMFILE;
	h = nat_hash(t, &f->key);
	f->hnext = t->buckets[h];
	t->buckets[h] = f;
	if (t->lru_off != NAT_NO_LRU) {
		nat_flow_lru(t, f)->last_ms = now;
		nat_lru_append(t, f);
	}
	if (t->pool) {
		t->pool->used++;
		if (t->n_flows < t->pool_min)
			t->pool->owed--;
	}
	t->n_flows++;
	if (!t->by_vm[f->key.vm]++ && f->key.vm)
		t->n_vms++;
	return 0;
}

void nat_table_remove(struct nat_table *t, struct nat_flow *f)
{
	struct nat_flow **pp = &t->buckets[nat_hash(t, &f->key)];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == f) {
			*pp = f->hnext;
			f->hnext = NULL;
			if (t->lru_off != NAT_NO_LRU)
				nat_lru_unlink(t, f);
			t->n_flows--;
			if (t->pool) {
				t->pool->used--;
				if (t->n_flows < t->pool_min)
					t->pool->owed++;
			}
			if (!--t->by_vm[f->key.vm] && f->key.vm)
				t->n_vms--;
			return;
		}
	}
}

void nat_table_touch(struct nat_table *t, struct nat_flow *f, uint64_t now)
{
	if (t->lru_off == NAT_NO_LRU)
		return;
	nat_flow_lru(t, f)->last_ms = now;
	if (t->lru_tail != f) {
		nat_lru_unlink(t, f);
		nat_lru_append(t, f);
	}
}

/* the VMs holding flows in @t once @vm holds one */
static unsigned int nat_vms_with(const struct nat_table *t, uint8_t vm)
{
	return t->n_vms + (vm && !t->by_vm[vm]);
}

size_t nat_table_bound(const struct nat_table *t)
{
	const struct nat_pool *p = t->pool;
	size_t room;

	if (!p)
		return t->max_flows;
	room = p->used + p->owed < p->budget ? p->budget - p->used - p->owed
					     : 0;
	room += nat_table_owed(t);
	return t->n_flows + room < t->max_flows ? t->n_flows + room
						: t->max_flows;
}

size_t nat_table_vm_share(const struct nat_table *t, uint8_t vm)
{
	/* more VMs than flows: one each, and the table's own rules */
	return nat_vm_share(nat_table_bound(t), vm ? nat_vms_with(t, vm) : 0);
}

bool nat_table_vm_over(const struct nat_table *t, uint8_t vm)
{
	return vm && vm < NAT_VMS && nat_vms_with(t, vm) >= 2 &&
	       t->by_vm[vm] >= nat_table_vm_share(t, vm);
}

#define NAT_PICK_LRU 32 /* LRU flows looked at for a VM's own */
#define NAT_PICK_MAX 4096 /* flows a walk looks at, at most */

/* nat_table_vm_pick() - a flow of @vm (see nat_table_vm_victim()) */
static struct nat_flow *nat_table_vm_pick(struct nat_table *t, uint8_t vm)
{
	struct nat_flow *f;
	size_t seen = 0, n, i;

	if (!t->by_vm[vm])
		return NULL;
	if (t->lru_off != NAT_NO_LRU) {
		f = t->lru_head;
		for (; f && seen < NAT_PICK_LRU; f = nat_flow_lru(t, f)->next) {
			if (f->key.vm == vm)
				return f;
			seen++;
		}
	}
	for (n = 0; n < t->n_buckets && seen < NAT_PICK_MAX; n++) {
		i = (t->pick_at + n) & (t->n_buckets - 1);
		for (f = t->buckets[i]; f; f = f->hnext) {
			if (f->key.vm == vm) {
				t->pick_at = i + 1;
				return f;
			}
			seen++;
		}
	}
	t->pick_at += n;
	return NULL;
}

struct nat_flow *nat_table_vm_victim(struct nat_table *t, uint8_t vm)
{
	unsigned int i, big = 0;

	if (!vm || vm >= NAT_VMS || nat_vms_with(t, vm) < 2)
		return NULL;
	if (t->by_vm[vm] >= nat_table_vm_share(t, vm))
		return nat_table_vm_pick(t, vm);
	if (!nat_table_full(t))
		return NULL;
	for (i = 1; i < NAT_VMS; i++)
		if (t->by_vm[i] > t->by_vm[big])
			big = i;
	return big == vm ? NULL : nat_table_vm_pick(t, (uint8_t)big);
}

struct nat_flow *nat_table_oldest(const struct nat_table *t)
{
	size_t i;

	if (t->lru_off != NAT_NO_LRU || !t->n_flows)
		return t->lru_head;
	for (i = 0; i < t->n_buckets; i++)
		if (t->buckets[i])
			return t->buckets[i];
	return NULL;
}

const char *nat_key_str(const struct nat_key *k, bool guest,
			char buf[NAT_ADDRSTRLEN])
{
	uint32_t v4;

	if (k->v6)
		return inet_ntop(AF_INET6, guest ? k->gip6 : k->dip6, buf,
				 NAT_ADDRSTRLEN);
	v4 = htonl(guest ? k->gip : k->dip);
	return inet_ntop(AF_INET, &v4, buf, NAT_ADDRSTRLEN);
}
