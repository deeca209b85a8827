/*
 * test_nat_flow.c - cmocka unit tests of the NAT flow table
 * (net/lwip/nat_flow.h): insert/find/remove, duplicate keys, the TOTAL flow
 * bound (whatever source addresses a guest makes up), LRU eviction as the
 * NAT does it for UDP/ICMP, the bounds derived from the fd limit, the LRU
 * order and touch, and 10000 flows in a small table (long hash chains)
 * checked against the expected contents; IPv6 addresses in a tail only
 * IPv6 flows are allocated with; the shares of VMs on one switch.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/nat_flow.h"
#include "net/vm_share.h"

#define IP(a, b, c, d)                                                    \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | \
	 (uint32_t)(d))
#define GUEST IP(192, 168, 127, 2)

/* A flow as the NAT embeds it: the table only sees struct nat_flow. */
struct test_flow {
	int tag;
	struct nat_flow flow;
	struct nat_lru lru;
	struct nat_key key; /* whole, its addresses the IPv6 tail */
};

#define A6_OFF                                             \
	((ptrdiff_t)offsetof(struct test_flow, key.gip6) - \
	 (ptrdiff_t)offsetof(struct test_flow, flow))
#define LRU_OFF                                       \
	((ptrdiff_t)offsetof(struct test_flow, lru) - \
	 (ptrdiff_t)offsetof(struct test_flow, flow))

static struct nat_key key(uint8_t proto, uint32_t gip, uint16_t gport,
			  uint32_t dip, uint16_t dport)
{
	struct nat_key k;

	memset(&k, 0, sizeof(k));
	k.proto = proto;
	k.gip = gip;
	k.gport = gport;
	k.dip = dip;
	k.dport = dport;
	return k;
}

static void flow_init(struct test_flow *f, struct nat_key k, int tag)
{
	struct nat_table t = {.a6_off = A6_OFF};

	memset(f, 0, sizeof(*f));
	f->tag = tag;
	f->key = k;
	nat_flow_set_key(&t, &f->flow, &k);
}

/* lru_check() - the LRU list holds exactly @n flows, in @order. */
static void lru_check(const struct nat_table *t, struct test_flow **order,
		      size_t n)
{
	const struct nat_flow *f = nat_table_oldest(t), *prev = NULL;
	size_t i = 0;

	for (; f; prev = f, f = nat_flow_lru(t, f)->next, i++) {
		assert_true(i < n);
		assert_ptr_equal(f, &order[i]->flow);
		assert_ptr_equal(nat_flow_lru(t, f)->prev, prev);
	}
	assert_int_equal(i, n);
	assert_ptr_equal(t->lru_tail, prev);
}

static void test_init(void **state)
{
	struct nat_table t;

	(void)state;
	assert_int_equal(nat_table_init(&t, 1000, 10, A6_OFF, LRU_OFF), 0);
	assert_int_equal(t.n_buckets, 1024); /* rounded up to a power of 2 */
	assert_int_equal(t.n_flows, 0);
	assert_null(nat_table_oldest(&t));
	nat_table_fini(&t);
	assert_null(t.buckets);
	assert_int_equal(nat_table_init(&t, 1, 10, A6_OFF, LRU_OFF), 0);
	assert_int_equal(t.n_buckets, 1);
	nat_table_fini(&t);
	assert_int_equal(nat_table_init(&t, 0, 10, A6_OFF, LRU_OFF), 0);
	assert_int_equal(t.n_buckets, 1);
	nat_table_fini(&t);
}

static void test_insert_find_remove(void **state)
{
	struct nat_table t;
	struct test_flow a, b, c;
	struct nat_key k;

	(void)state;
	assert_int_equal(nat_table_init(&t, 64, 100, A6_OFF, LRU_OFF), 0);
	flow_init(&a, key(6, GUEST, 40000, IP(1, 1, 1, 1), 443), 1);
	flow_init(&b, key(17, GUEST, 40000, IP(1, 1, 1, 1), 443), 2);
	flow_init(&c, key(1, GUEST, 7, IP(8, 8, 8, 8), 0), 3);
	assert_int_equal(nat_table_insert(&t, &a.flow, 10), 0);
	assert_int_equal(nat_table_insert(&t, &b.flow, 11), 0);
	assert_int_equal(nat_table_insert(&t, &c.flow, 12), 0);
	assert_int_equal(t.n_flows, 3);
	assert_int_equal(a.lru.last_ms, 10);

	k = key(6, GUEST, 40000, IP(1, 1, 1, 1), 443);
	assert_ptr_equal(nat_table_find(&t, &k), &a.flow);
	k.proto = 17;
	assert_ptr_equal(nat_table_find(&t, &k), &b.flow);
	k = key(1, GUEST, 7, IP(8, 8, 8, 8), 0);
	assert_ptr_equal(nat_table_find(&t, &k), &c.flow);

	/* every field of the key counts */
	k = key(6, GUEST, 40000, IP(1, 1, 1, 1), 443);
	k.gip++;
	assert_null(nat_table_find(&t, &k));
	k = key(6, GUEST, 40001, IP(1, 1, 1, 1), 443);
	assert_null(nat_table_find(&t, &k));
	k = key(6, GUEST, 40000, IP(1, 1, 1, 2), 443);
	assert_null(nat_table_find(&t, &k));
	k = key(6, GUEST, 40000, IP(1, 1, 1, 1), 444);
	assert_null(nat_table_find(&t, &k));
	k = key(1, GUEST, 40000, IP(1, 1, 1, 1), 443);
	assert_null(nat_table_find(&t, &k));

	nat_table_remove(&t, &b.flow);
	assert_int_equal(t.n_flows, 2);
	k = key(17, GUEST, 40000, IP(1, 1, 1, 1), 443);
	assert_null(nat_table_find(&t, &k));
	k.proto = 6;
	assert_ptr_equal(nat_table_find(&t, &k), &a.flow);
	/* removing a flow that is not in the table is a no-op */
	nat_table_remove(&t, &b.flow);
	assert_int_equal(t.n_flows, 2);
	/* and it can be inserted again */
	assert_int_equal(nat_table_insert(&t, &b.flow, 20), 0);
	assert_int_equal(t.n_flows, 3);

	nat_table_remove(&t, &a.flow);
	nat_table_remove(&t, &b.flow);
	nat_table_remove(&t, &c.flow);
	assert_int_equal(t.n_flows, 0);
	assert_null(nat_table_oldest(&t));
	assert_null(t.lru_tail);
	nat_table_fini(&t);
}

static void test_duplicate(void **state)
{
	struct nat_table t;
	struct test_flow a, dup;

	(void)state;
	assert_int_equal(nat_table_init(&t, 16, 100, A6_OFF, LRU_OFF), 0);
	flow_init(&a, key(6, GUEST, 1, IP(1, 2, 3, 4), 80), 1);
	flow_init(&dup, key(6, GUEST, 1, IP(1, 2, 3, 4), 80), 2);
	assert_int_equal(nat_table_insert(&t, &a.flow, 0), 0);
	assert_int_equal(nat_table_insert(&t, &dup.flow, 0), -EEXIST);
	assert_int_equal(nat_table_insert(&t, &a.flow, 0), -EEXIST);
	assert_int_equal(t.n_flows, 1);
	/* the failed insert did not count */
	assert_false(nat_table_full(&t));
	lru_check(&t, (struct test_flow *[]){&a}, 1);
	nat_table_remove(&t, &a.flow);
	assert_int_equal(nat_table_insert(&t, &dup.flow, 0), 0);
	assert_ptr_equal(nat_table_find(&t, &dup.key), &dup.flow);
	nat_table_remove(&t, &dup.flow);
	nat_table_fini(&t);
}

static struct nat_key key6(uint8_t proto, uint8_t glast, uint16_t gport,
			   uint8_t dlast, uint16_t dport)
{
	static const uint8_t pfx[8] = {0xfd, 0x71, 0x63, 0x77, 0x6e, 0x65};
	struct nat_key k;

	memset(&k, 0, sizeof(k));
	k.proto = proto;
	k.v6 = 1;
	memcpy(k.gip6, pfx, 8);
	k.gip6[15] = glast;
	k.dip6[0] = 0x20;
	k.dip6[1] = 0x01;
	k.dip6[15] = dlast;
	k.gip = nat_key_fold6(k.gip6);
	k.dip = nat_key_fold6(k.dip6);
	k.gport = gport;
	k.dport = dport;
	return k;
}

/*
 * IPv6 flows: told apart by every byte of their addresses, never equal
 * to an IPv4 flow whose numbers happen to match the fold.
 */
static void test_ipv6_keys(void **state)
{
	struct test_flow a, b, c, v4;
	struct nat_table t;
	struct nat_key k;

	(void)state;
	assert_int_equal(nat_table_init(&t, 16, 100, A6_OFF, LRU_OFF), 0);
	flow_init(&a, key6(6, 0x10, 1000, 1, 80), 1);
	flow_init(&b, key6(6, 0x11, 1000, 1, 80), 2);
	flow_init(&c, key6(17, 0x10, 1000, 1, 80), 3);
	k = key6(6, 0x10, 1000, 1, 80);
	flow_init(&v4, key(6, k.gip, 1000, k.dip, 80), 4);
	assert_int_equal(nat_table_insert(&t, &a.flow, 0), 0);
	assert_int_equal(nat_table_insert(&t, &b.flow, 0), 0);
	assert_int_equal(nat_table_insert(&t, &c.flow, 0), 0);
	assert_int_equal(nat_table_insert(&t, &v4.flow, 0), 0);
	assert_ptr_equal(nat_table_find(&t, &k), &a.flow);
	/* same fold, other address bytes: not the same flow */
	k.dip6[7] ^= 1;
	assert_null(nat_table_find(&t, &k));
	k = key6(6, 0x10, 1000, 1, 80);
	k.v6 = 0;
	assert_ptr_equal(nat_table_find(&t, &k), &v4.flow);
	assert_int_equal(nat_table_insert(&t, &a.flow, 0), -EEXIST);
	nat_table_remove(&t, &a.flow);
	nat_table_remove(&t, &b.flow);
	nat_table_remove(&t, &c.flow);
	nat_table_remove(&t, &v4.flow);
	assert_int_equal(t.n_flows, 0);
	nat_table_fini(&t);
}

/* A flow as nat_tcp.c lays it out: IPv6 addresses in a tail by family. */
struct tail_flow {
	struct nat_flow flow;
	uint8_t a6[];
};

static struct tail_flow *tail_flow_new(const struct nat_table *t,
				       const struct nat_key *k)
{
	struct tail_flow *f =
		calloc(1, sizeof(*f) + (k->v6 ? NAT_ADDR6_LEN : 0));

	assert_non_null(f);
	nat_flow_set_key(t, &f->flow, k);
	return f;
}

/*
 * An IPv4 flow has no tail (allocated without it, so a read of it is
 * out of bounds under ASan), an IPv6 flow with the same folded addresses
 * has one: found apart, and the whole key comes back from either.
 */
static void test_tail_by_family(void **state)
{
	const ptrdiff_t off = (ptrdiff_t)offsetof(struct tail_flow, a6);
	struct nat_key k6 = key6(6, 0x10, 1000, 1, 80), k4, back;
	struct tail_flow *f4, *f6, *g6;
	struct nat_table t;

	(void)state;
	k4 = key(6, k6.gip, 1000, k6.dip, 80);
	assert_int_equal(sizeof(struct nat_flow), 24); /* no IPv6, no LRU */
	/* one chain; no LRU list, as for TCP */
	assert_int_equal(nat_table_init(&t, 1, 100, off, NAT_NO_LRU), 0);
	f4 = tail_flow_new(&t, &k4);
	f6 = tail_flow_new(&t, &k6);
	assert_int_equal(nat_table_insert(&t, &f4->flow, 0), 0);
	assert_int_equal(nat_table_insert(&t, &f6->flow, 0), 0);
	assert_ptr_equal(nat_table_find(&t, &k4), &f4->flow);
	assert_ptr_equal(nat_table_find(&t, &k6), &f6->flow);
	/* without an LRU list "oldest" is any flow (teardown) */
	assert_true(nat_table_oldest(&t) == &f4->flow ||
		    nat_table_oldest(&t) == &f6->flow);
	assert_memory_equal(f6->a6, k6.gip6, 16);
	assert_memory_equal(f6->a6 + 16, k6.dip6, 16);
	nat_flow_key(&t, &f6->flow, &back);
	assert_memory_equal(&back, &k6, sizeof(back));
	nat_flow_key(&t, &f4->flow, &back);
	assert_memory_equal(&back, &k4, sizeof(back));
	/* the same IPv6 key again, in its own tail: a duplicate */
	g6 = tail_flow_new(&t, &k6);
	assert_int_equal(nat_table_insert(&t, &g6->flow, 0), -EEXIST);
	/* one byte of the guest address differs: another flow */
	nat_flow_a6(&t, &g6->flow)[3] ^= 1;
	assert_int_equal(nat_table_insert(&t, &g6->flow, 0), 0);
	assert_ptr_equal(nat_table_find(&t, &k6), &f6->flow);
	nat_table_remove(&t, &f6->flow);
	assert_null(nat_table_find(&t, &k6));
	assert_ptr_equal(nat_table_find(&t, &k4), &f4->flow);
	nat_table_remove(&t, &f4->flow);
	assert_ptr_equal(nat_table_oldest(&t), &g6->flow);
	nat_table_remove(&t, &g6->flow);
	assert_int_equal(t.n_flows, 0);
	assert_null(nat_table_oldest(&t));
	free(f4);
	free(f6);
	free(g6);
	nat_table_fini(&t);
}

/*
 * The bound is on the table, not per source: a guest that makes up
 * source addresses (issue 11: 2 x 16384 SYNs from two invented sources
 * reached the fd limit) meets the same bound as one that does not.
 */
static void test_total_limit(void **state)
{
	struct test_flow f[6];
	struct nat_table t;
	int i;

	(void)state;
	assert_int_equal(nat_table_init(&t, 16, 4, A6_OFF, LRU_OFF), 0);
	for (i = 0; i < 6; i++)
		flow_init(&f[i],
			  key(6, IP(10, 0, 0, (uint8_t)(1 + i)), 1000,
			      IP(1, 1, 1, 1), 80),
			  i);
	for (i = 0; i < 4; i++) {
		assert_false(nat_table_full(&t));
		assert_int_equal(nat_table_insert(&t, &f[i].flow, 0), 0);
	}
	assert_true(nat_table_full(&t));
	assert_int_equal(nat_table_insert(&t, &f[4].flow, 0), -EMFILE);
	assert_int_equal(nat_table_insert(&t, &f[5].flow, 0), -EMFILE);
	assert_int_equal(t.n_flows, 4);
	assert_null(nat_table_find(&t, &f[4].key));
	/* a duplicate is still a duplicate when full */
	assert_int_equal(nat_table_insert(&t, &f[0].flow, 0), -EEXIST);

	/* removing one makes room for exactly one */
	nat_table_remove(&t, &f[1].flow);
	assert_false(nat_table_full(&t));
	assert_int_equal(nat_table_insert(&t, &f[4].flow, 0), 0);
	assert_int_equal(nat_table_insert(&t, &f[5].flow, 0), -EMFILE);
	for (i = 0; i < 5; i++)
		nat_table_remove(&t, &f[i].flow);
	assert_int_equal(t.n_flows, 0);
	nat_table_fini(&t);
}

/*
 * UDP and ICMP: when full, the least recently used flow makes room, so
 * a new flow never fails because old ones pile up; busy flows survive.
 */
static void test_lru_evict(void **state)
{
	const unsigned int max = 100, n = 1000;
	struct test_flow *f = calloc(n, sizeof(*f));
	struct nat_table t;
	struct nat_flow *o;
	unsigned int i, evicted = 0;

	(void)state;
	assert_non_null(f);
	assert_int_equal(nat_table_init(&t, 64, max, A6_OFF, LRU_OFF), 0);
	for (i = 0; i < n; i++) {
		flow_init(&f[i],
			  key(17, GUEST, (uint16_t)(10000 + i), IP(9, 9, 9, 9),
			      53),
			  (int)i);
		/* flow 0 is busy: the guest uses it between new flows */
		if (i)
			nat_table_touch(&t, &f[0].flow, i);
		if (nat_table_full(&t)) {
			o = nat_table_oldest(&t);
			assert_ptr_not_equal(o, &f[0].flow);
			nat_table_remove(&t, o);
			evicted++;
		}
		assert_int_equal(nat_table_insert(&t, &f[i].flow, i), 0);
		assert_true(t.n_flows <= max);
	}
	assert_int_equal(evicted, n - max);
	assert_int_equal(t.n_flows, max);
	/* the busy flow and the newest max - 1 are left */
	assert_ptr_equal(nat_table_find(&t, &f[0].key), &f[0].flow);
	for (i = 1; i < n; i++)
		assert_ptr_equal(nat_table_find(&t, &f[i].key),
				 i >= n - max + 1 ? &f[i].flow : NULL);
	while ((o = nat_table_oldest(&t)))
		nat_table_remove(&t, o);
	nat_table_fini(&t);
	free(f);
}

/*
 * vm_open() - what the NAT does for a new flow of VM @vm (nat_dgram.c with
 * an LRU list, nat_tcp.c without): 1 inserted, 0 refused (TCP over its
 * share, or full with no victim).
 */
static int vm_open(struct nat_table *t, struct test_flow *f, uint8_t vm,
		   unsigned int i, bool tcp)
{
	struct nat_flow *v;

	flow_init(f,
		  key(tcp ? 6 : 17, GUEST + vm, (uint16_t)(1000 + i),
		      IP(9, 9, 9, 9), 80),
		  (int)i);
	f->key.vm = vm;
	nat_flow_set_key(t, &f->flow, &f->key);
	if (tcp && nat_table_vm_over(t, vm))
		return 0;
	v = nat_table_vm_victim(t, vm);
	if (v) {
		assert_true(tcp ? v->key.vm != vm : true);
		nat_table_remove(t, v);
	} else if (nat_table_full(t)) {
		if (tcp)
			return 0;
		nat_table_remove(t, nat_table_oldest(t));
	}
	assert_int_equal(nat_table_insert(t, &f->flow, i), 0);
	return 1;
}

/*
 * vm_share.h (the gateway's listeners): alone a VM may hold the whole
 * bound; a second VM taking its first makes the share half; the VM holding
 * the most is found; VM 0 (the host) is counted by no one; a bound smaller
 * than the VMs still leaves each one; counts go back to none.
 */
static void test_vm_hold(void **state)
{
	struct vm_hold h;
	unsigned int i;

	(void)state;
	memset(&h, 0, sizeof(h));
	for (i = 0; i < 8; i++)
		vm_hold_add(&h, 3);
	assert_int_equal(h.n_vms, 1);
	assert_false(vm_hold_over(&h, 3, 8)); /* alone: all 8 */
	assert_int_equal(vm_hold_share(&h, 3, 8), 8);
	assert_int_equal(vm_hold_share(&h, 5, 8), 4); /* once 5 holds one */
	vm_hold_add(&h, 5);
	assert_int_equal(h.n_vms, 2);
	assert_true(vm_hold_over(&h, 3, 8));
	assert_false(vm_hold_over(&h, 5, 8));
	assert_int_equal(vm_hold_biggest(&h), 3);
	vm_hold_add(&h, 0); /* the host's: not a VM's */
	assert_int_equal(h.n_vms, 2);
	assert_false(vm_hold_over(&h, 0, 8));
	assert_int_equal(vm_hold_share(&h, 0, 8), 8);
	assert_int_equal(vm_hold_share(&h, 7, 2), 1); /* 3 VMs, a bound of 2 */
	vm_hold_add(&h, NAT_VMS); /* out of range: ignored */
	assert_int_equal(h.n_vms, 2);
	for (i = 0; i < 8; i++)
		vm_hold_del(&h, 3);
	vm_hold_del(&h, 3); /* one too many: stays at none */
	assert_int_equal(h.by_vm[3], 0);
	assert_int_equal(h.n_vms, 1);
	assert_false(vm_hold_over(&h, 5, 8)); /* alone again */
	vm_hold_del(&h, 5);
	assert_int_equal(h.n_vms, 0);
	assert_int_equal(vm_hold_biggest(&h), 0);
}

/*
 * VMs sharing a table (-keep-serving): one VM alone may fill it; a second
 * then gets its half (the first's flows make room), the first no more than
 * its share while the second holds flows, and all of it again alone; the
 * per-VM counts follow inserts and removes. For an LRU table (UDP) and one
 * without (TCP), where a VM over its share is refused.
 */
static void test_vm_shares(void **state)
{
	const unsigned int max = 64, n = 1000;
	struct test_flow *f = calloc(n, sizeof(*f));
	struct nat_table t;
	struct nat_flow *o;
	unsigned int i, j, tcp, got;

	(void)state;
	assert_non_null(f);
	for (tcp = 0; tcp < 2; tcp++) {
		assert_int_equal(nat_table_init(&t, 32, max, A6_OFF,
						tcp ? NAT_NO_LRU : LRU_OFF),
				 0);
		/* VM 1 alone: all of the table */
		for (i = 0, got = 0; i < max + 10; i++)
			got += (unsigned int)vm_open(&t, &f[i], 1, i, tcp);
		assert_int_equal(t.n_flows, max);
		assert_int_equal(t.by_vm[1], max);
		assert_int_equal(t.n_vms, 1);
		assert_int_equal(got, tcp ? max : max + 10);
		assert_int_equal(nat_table_vm_share(&t, 1), max);
		assert_false(nat_table_vm_over(&t, 1));
		/* VM 2 comes: its share is half, taken from VM 1 */
		assert_int_equal(nat_table_vm_share(&t, 2), max / 2);
		for (j = 0; j < max / 2; j++, i++)
			assert_int_equal(vm_open(&t, &f[i], 2, i, tcp), 1);
		assert_int_equal(t.by_vm[2], max / 2);
		assert_int_equal(t.by_vm[1], max / 2);
		assert_int_equal(t.n_vms, 2);
		/* both at their share: each replaces its own, or is refused */
		assert_true(nat_table_vm_over(&t, 1));
		assert_int_equal(vm_open(&t, &f[i], 1, i, tcp), !tcp);
		i++;
		assert_int_equal(vm_open(&t, &f[i], 2, i, tcp), !tcp);
		i++;
		assert_int_equal(t.by_vm[1], max / 2);
		assert_int_equal(t.by_vm[2], max / 2);
		/* a third VM: a third each, from the one holding the most */
		for (j = 0; j < max / 3; j++, i++)
			assert_int_equal(vm_open(&t, &f[i], 3, i, tcp), 1);
		assert_int_equal(t.by_vm[3], max / 3);
		assert_true(t.by_vm[1] >= max / 3 && t.by_vm[2] >= max / 3);
		assert_int_equal(t.n_flows, max);
		/* VM 2 and 3 go: VM 1 may fill it again */
		for (j = 0; j < i; j++)
			if (f[j].key.vm != 1 &&
			    nat_table_find(&t, &f[j].key) == &f[j].flow)
				nat_table_remove(&t, &f[j].flow);
		assert_int_equal(t.n_vms, 1);
		assert_false(nat_table_vm_over(&t, 1));
		while (t.n_flows < max) {
			assert_int_equal(vm_open(&t, &f[i], 1, i, tcp), 1);
			i++;
		}
		assert_int_equal(t.by_vm[1], max);
		/* more VMs than flows: a share of one, never of none */
		t.n_vms = 64;
		assert_int_equal(nat_table_vm_share(&t, 2), 1);
		assert_false(nat_table_vm_over(&t, 2));
		t.n_vms = 1;
		/* flows of no known VM (0) keep the table's own rules */
		assert_null(nat_table_vm_victim(&t, 0));
		assert_false(nat_table_vm_over(&t, 0));
		while ((o = nat_table_oldest(&t)))
			nat_table_remove(&t, o);
		assert_int_equal(t.n_vms, 0);
		assert_int_equal(t.by_vm[1], 0);
		nat_table_fini(&t);
	}
	free(f);
}

/* Bounds from the fd limit: totals, headroom always left, shares fit. */
static void test_limits(void **state)
{
	static const uint64_t nofile[] = {64,	 256,	1024,	 4096,
					  20000, 65536, 1048576, 1ull << 32};
	struct nat_limits l;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(nofile) / sizeof(nofile[0]); i++) {
		nat_limits_compute(&l, nofile[i], 0, NAT_PER_PROTOCOL);
		assert_int_equal(l.nofile, nofile[i]);
		assert_false(l.clamped);
		assert_true(l.tcp >= NAT_MIN_FLOWS && l.udp >= NAT_MIN_FLOWS);
		assert_true(l.half_open > 0 && l.half_open <= l.tcp);
		assert_true(l.icmp > 0 && l.icmp <= NAT_ICMP_MAX);
		/* every minimum within its most, all of them within the budget */
		assert_true(l.tcp_min <= l.tcp && l.udp_min <= l.udp &&
			    l.icmp_min <= l.icmp && l.icmp_min > 0);
		assert_true((uint64_t)l.tcp_min + l.udp_min + l.icmp_min <=
			    l.budget);
		/* TCP may take all the others' minimums leave */
		assert_int_equal(l.tcp, l.budget - l.udp_min - l.icmp_min);
		assert_true(l.udp <= l.budget && l.icmp <= l.budget);
		assert_true(l.budget <= NAT_DEFAULT_MAX_FLOWS);
		/* the headroom: a quarter, at least 256 fds */
		if (nofile[i] >= 1024) {
			assert_true(l.budget <= nofile[i] - nofile[i] / 4);
			assert_true(l.budget <=
				    nofile[i] - NAT_FD_HEADROOM_MIN);
		}
	}
	nat_limits_compute(&l, 1024, 0, NAT_PER_PROTOCOL);
	assert_int_equal(l.budget, 768);
	assert_int_equal(l.tcp_min, 384);
	assert_int_equal(l.udp_min, 96);
	assert_int_equal(l.icmp_min, 24);
	assert_int_equal(l.tcp, 648);
	assert_int_equal(l.half_open, 192);
	assert_int_equal(l.udp, 288);
	assert_int_equal(l.icmp, 96);
	/* 10 000 connections fit in an fd limit of 20 000 */
	nat_limits_compute(&l, 20000, 0, NAT_PER_PROTOCOL);
	assert_int_equal(l.budget, 15000);
	assert_true(l.tcp >= 12000);
	assert_true(l.udp < 20000 - 256);
	/* -max-flows: taken as given below the fd limit's headroom */
	nat_limits_compute(&l, 1048576, 400000, NAT_PER_PROTOCOL);
	assert_false(l.clamped);
	assert_int_equal(l.budget, 400000);
	assert_int_equal(l.tcp_min, 200000);
	/* ICMP's minimum is at most its most, NAT_ICMP_MAX */
	assert_int_equal(l.tcp, 400000 - 50000 - NAT_ICMP_MAX);
	assert_int_equal(l.udp, 150000);
	nat_limits_compute(&l, 1024, 100000, NAT_PER_PROTOCOL);
	assert_true(l.clamped);
	assert_int_equal(l.budget, 1024 - NAT_FD_HEADROOM_MIN);
	nat_limits_compute(&l, 1048576, 64, NAT_PER_PROTOCOL);
	assert_int_equal(l.budget, 64);
	assert_int_equal(l.tcp_min, 32);
	assert_int_equal(l.tcp, 64 - 8 - 2);
	assert_int_equal(l.half_open, 16);
	/* one pool (libslirp): TCP may take it all, UDP its share, no minimum */
	nat_limits_compute(&l, 20000, 0, NAT_ONE_POOL);
	assert_int_equal(l.budget, 15000);
	assert_int_equal(l.tcp, 15000);
	assert_int_equal(l.udp, 15000 * 3 / 8);
	assert_int_equal(l.half_open, 15000 / 4);
	assert_int_equal(l.tcp_min + l.udp_min + l.icmp_min, 0);
}

/* pool_fill() - insert flows of @base.. into @t until it is full */
static size_t pool_fill(struct nat_table *t, struct test_flow *f, size_t n,
			uint8_t proto, uint16_t base)
{
	size_t i;

	for (i = 0; i < n && !nat_table_full(t); i++) {
		flow_init(&f[i],
			  key(proto, GUEST, (uint16_t)(base + i),
			      IP(9, 9, 9, 9), 80),
			  (int)i);
		assert_int_equal(nat_table_insert(t, &f[i].flow, 0), 0);
	}
	return i;
}

/*
 * Tables sharing a budget (the NAT's TCP, UDP and ICMP): one alone takes
 * up to its own most; the others still get their minimums in full after
 * it has (and could hold no more: nat_table_bound()); at the budget a
 * table over its minimum is full, and each flow removed lets one in
 * again; used + owed never passes the budget.
 */
static void test_pool(void **state)
{
	struct nat_limits l;
	struct nat_pool p;
	struct nat_table tcp, udp, icmp;
	struct test_flow *ft, *fu, *fi;
	size_t nt, nu, ni, i;

	(void)state;
	nat_limits_compute(&l, 1024, 0, NAT_PER_PROTOCOL);
	ft = calloc(l.budget, sizeof(*ft));
	fu = calloc(l.budget, sizeof(*fu));
	fi = calloc(l.budget, sizeof(*fi));
	assert_true(ft && fu && fi);
	assert_int_equal(nat_table_init(&tcp, 64, l.tcp, A6_OFF, NAT_NO_LRU),
			 0);
	assert_int_equal(nat_table_init(&udp, 64, l.udp, A6_OFF, LRU_OFF), 0);
	assert_int_equal(nat_table_init(&icmp, 64, l.icmp, A6_OFF, LRU_OFF), 0);
	nat_pool_init(&p, l.budget);
	nat_table_pool(&tcp, &p, l.tcp_min);
	nat_table_pool(&udp, &p, l.udp_min);
	nat_table_pool(&icmp, &p, l.icmp_min);

	/* TCP alone: all it may have, more than a fixed half */
	nt = pool_fill(&tcp, ft, l.budget, 6, 1000);
	assert_int_equal(nt, l.tcp);
	assert_true(nt > l.budget / 2);
	assert_true(p.used + p.owed <= p.budget);
	/* what each could hold now (VMs' shares are parts of it) */
	assert_int_equal(nat_table_bound(&tcp), l.tcp);
	assert_int_equal(nat_table_bound(&udp), l.udp_min);
	assert_int_equal(nat_table_bound(&icmp), l.icmp_min);
	/* the others still get their minimums, and no more */
	nu = pool_fill(&udp, fu, l.budget, 17, 1000);
	assert_int_equal(nu, l.udp_min);
	ni = pool_fill(&icmp, fi, l.budget, 1, 1000);
	assert_int_equal(ni, l.icmp_min);
	assert_int_equal(p.used, l.budget);
	assert_int_equal(p.owed, 0);
	assert_true(nat_table_full(&tcp) && nat_table_full(&udp) &&
		    nat_table_full(&icmp));
	/* a TCP flow gone: one flow of any table may come in */
	nat_table_remove(&tcp, &ft[nt - 1].flow);
	assert_false(nat_table_full(&udp));
	assert_false(nat_table_full(&tcp));
	flow_init(&fu[nu],
		  key(17, GUEST, (uint16_t)(1000 + nu), IP(9, 9, 9, 9), 80), 0);
	assert_int_equal(nat_table_insert(&udp, &fu[nu].flow, 0), 0);
	nu++;
	assert_true(nat_table_full(&tcp));
	assert_int_equal(nat_table_insert(&tcp, &ft[nt - 1].flow, 0), -EMFILE);
	nt--;
	/* TCP down to below its minimum: it may fill up to it again */
	for (i = 0; i < nt - l.tcp_min + 10; i++)
		nat_table_remove(&tcp, &ft[i].flow);
	assert_true(p.used + p.owed <= p.budget);
	/* UDP takes free budget up to its own most, TCP's minimum kept */
	nu += pool_fill(&udp, fu + nu, l.budget - nu, 17,
			(uint16_t)(1000 + nu));
	assert_int_equal(udp.n_flows, l.udp);
	assert_true(p.used + p.owed <= p.budget);
	/* TCP: its 10 short of the minimum, and what is free besides */
	i = p.budget - p.used - p.owed;
	assert_int_equal(pool_fill(&tcp, ft, l.budget, 6, 30000), 10 + i);
	assert_true(nat_table_full(&tcp));
	assert_int_equal(p.used + p.owed, p.budget);
	/* with all of it spent, ICMP at its minimum is full */
	assert_int_equal(icmp.n_flows, l.icmp_min);
	assert_true(nat_table_full(&icmp));
	/* detached: the pool is as if they had never been */
	nat_table_fini(&tcp);
	nat_table_fini(&udp);
	nat_table_fini(&icmp);
	assert_int_equal(p.used, 0);
	assert_int_equal(p.owed, 0);
	free(ft);
	free(fu);
	free(fi);
}

static void test_lru(void **state)
{
	struct test_flow a, b, c, d;
	struct nat_table t;

	(void)state;
	assert_int_equal(nat_table_init(&t, 16, 100, A6_OFF, LRU_OFF), 0);
	flow_init(&a, key(6, GUEST, 1, IP(1, 1, 1, 1), 80), 1);
	flow_init(&b, key(6, GUEST, 2, IP(1, 1, 1, 1), 80), 2);
	flow_init(&c, key(6, GUEST, 3, IP(1, 1, 1, 1), 80), 3);
	flow_init(&d, key(6, GUEST, 4, IP(1, 1, 1, 1), 80), 4);
	assert_int_equal(nat_table_insert(&t, &a.flow, 100), 0);
	lru_check(&t, (struct test_flow *[]){&a}, 1);
	assert_int_equal(nat_table_insert(&t, &b.flow, 200), 0);
	assert_int_equal(nat_table_insert(&t, &c.flow, 300), 0);
	lru_check(&t, (struct test_flow *[]){&a, &b, &c}, 3);
	assert_ptr_equal(nat_table_oldest(&t), &a.flow);

	/* touching the oldest moves it to the tail */
	nat_table_touch(&t, &a.flow, 400);
	assert_int_equal(a.lru.last_ms, 400);
	lru_check(&t, (struct test_flow *[]){&b, &c, &a}, 3);
	/* touching the middle one */
	nat_table_touch(&t, &c.flow, 500);
	lru_check(&t, (struct test_flow *[]){&b, &a, &c}, 3);
	/* touching the tail keeps the order and updates the time */
	nat_table_touch(&t, &c.flow, 600);
	assert_int_equal(c.lru.last_ms, 600);
	lru_check(&t, (struct test_flow *[]){&b, &a, &c}, 3);

	/* removal from head, middle and tail keeps the list whole */
	assert_int_equal(nat_table_insert(&t, &d.flow, 700), 0);
	lru_check(&t, (struct test_flow *[]){&b, &a, &c, &d}, 4);
	nat_table_remove(&t, &a.flow);
	lru_check(&t, (struct test_flow *[]){&b, &c, &d}, 3);
	nat_table_remove(&t, &b.flow);
	lru_check(&t, (struct test_flow *[]){&c, &d}, 2);
	nat_table_remove(&t, &d.flow);
	lru_check(&t, (struct test_flow *[]){&c}, 1);
	nat_table_touch(&t, &c.flow, 800);
	lru_check(&t, (struct test_flow *[]){&c}, 1);
	nat_table_remove(&t, &c.flow);
	lru_check(&t, NULL, 0);
	nat_table_fini(&t);
}

/* An idle sweep as the NAT does it: expire from the head while old. */
static void test_lru_sweep(void **state)
{
	struct test_flow f[10];
	struct nat_table t;
	struct nat_flow *o;
	int i, n = 0;

	(void)state;
	assert_int_equal(nat_table_init(&t, 16, 100, A6_OFF, LRU_OFF), 0);
	for (i = 0; i < 10; i++) {
		flow_init(&f[i],
			  key(17, GUEST, (uint16_t)i, IP(9, 9, 9, 9), 53), i);
		assert_int_equal(
			nat_table_insert(&t, &f[i].flow, (uint64_t)i * 1000),
			0);
	}
	/* flows 2 and 5 stay busy */
	nat_table_touch(&t, &f[2].flow, 20000);
	nat_table_touch(&t, &f[5].flow, 20000);
	while ((o = nat_table_oldest(&t)) &&
	       nat_flow_lru(&t, o)->last_ms + 10000 <= 21000) {
		nat_table_remove(&t, o);
		n++;
	}
	assert_int_equal(n, 8);
	assert_int_equal(t.n_flows, 2);
	lru_check(&t, (struct test_flow *[]){&f[2], &f[5]}, 2);
	nat_table_remove(&t, &f[2].flow);
	nat_table_remove(&t, &f[5].flow);
	nat_table_fini(&t);
}

/*
 * 10000 flows in 64 buckets (chains of ~150), inserted, looked up,
 * touched and removed in a scrambled order; after every phase the table
 * must hold exactly the flows expected.
 */
static void test_many_flows(void **state)
{
	const unsigned int n = 10000;
	struct test_flow *f = calloc(n, sizeof(*f));
	bool *live = calloc(n, sizeof(*live));
	struct nat_table t;
	unsigned int i, count, step, phase, last;
	struct nat_flow *it;

	(void)state;
	assert_non_null(f);
	assert_non_null(live);
	assert_int_equal(nat_table_init(&t, 64, 100000, A6_OFF, LRU_OFF), 0);
	for (i = 0; i < n; i++) {
		/* keys that differ in one field at a time */
		uint8_t proto = (uint8_t)(i % 3 == 0 ? 6 : i % 3 == 1 ? 17 : 1);

		flow_init(&f[i],
			  key(proto, IP(192, 168, 127, 2 + i % 4),
			      (uint16_t)(i / 12), IP(10, 0, 0, i % 3),
			      (uint16_t)(80 + i % 2)),
			  (int)i);
	}
	/* sanity: all keys distinct */
	for (i = 0; i < n; i++) {
		assert_int_equal(nat_table_insert(&t, &f[i].flow, i), 0);
		live[i] = true;
	}
	assert_int_equal(t.n_flows, n);
	for (i = 0; i < n; i++) {
		struct nat_key k = f[i].key;

		assert_ptr_equal(nat_table_find(&t, &k), &f[i].flow);
		assert_int_equal(nat_table_insert(&t, &f[i].flow, 0), -EEXIST);
	}

	/* remove every third flow, in a scrambled order (7919 is prime) */
	for (step = 0, i = 0; step < n; step++, i = (i + 7919) % n) {
		if (i % 3 == 0) {
			nat_table_remove(&t, &f[i].flow);
			live[i] = false;
		}
	}
	for (i = 0; i < n; i++) {
		struct nat_key k = f[i].key;

		assert_ptr_equal(nat_table_find(&t, &k),
				 live[i] ? &f[i].flow : NULL);
	}
	/* touch the odd ones: the LRU then has evens first, then odds */
	for (i = 1; i < n; i += 2)
		if (live[i])
			nat_table_touch(&t, &f[i].flow, n + i);
	count = 0;
	phase = 0;
	last = 0;
	for (it = nat_table_oldest(&t); it; it = nat_flow_lru(&t, it)->next) {
		const struct test_flow *tf =
			(const struct test_flow *)((const char *)it -
						   offsetof(struct test_flow,
							    flow));
		unsigned int tag = (unsigned int)tf->tag;

		if (tag % 2)
			phase = 1;
		assert_int_equal(tag % 2, phase);
		if (count && tag % 2 == last % 2)
			assert_true(tag > last);
		last = tag;
		count++;
	}
	assert_int_equal(count, t.n_flows);
	assert_int_equal(count, n - (n + 2) / 3);

	for (i = 0; i < n; i++)
		if (live[i])
			nat_table_remove(&t, &f[i].flow);
	assert_int_equal(t.n_flows, 0);
	assert_null(nat_table_oldest(&t));
	for (i = 0; i < t.n_buckets; i++)
		assert_null(t.buckets[i]);
	nat_table_fini(&t);
	free(live);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_insert_find_remove),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_ipv6_keys),
		cmocka_unit_test(test_tail_by_family),
		cmocka_unit_test(test_total_limit),
		cmocka_unit_test(test_lru_evict),
		cmocka_unit_test(test_vm_shares),
		cmocka_unit_test(test_vm_hold),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_lru),
		cmocka_unit_test(test_lru_sweep),
		cmocka_unit_test(test_many_flows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
