/*
 * nat_flow.h - the NATs' flow table (lwIP's NAT, the libslirp backend's
 * UDP): flows keyed by the guest's 5-tuple
 * (protocol, guest address and port, destination address and port; for
 * ICMP echo the port is the echo identifier), IPv4 or IPv6. Intrusive: a
 * flow embeds a struct nat_flow (hash link and a 16-byte key); an IPv6
 * flow's addresses and, in tables whose flows expire when idle, the
 * flow's LRU links lie at offsets from it that the table knows (a6_off,
 * lru_off), so an IPv4 TCP flow carries neither. Each table has a TOTAL
 * bound (the guest chooses its source addresses, so a per-source bound
 * bounds nothing), and the bounds come from the fd limit
 * (nat_limits_compute()). Pure, no I/O.
 */
#ifndef QCW_NAT_FLOW_H
#define QCW_NAT_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/stack.h" /* struct nat_limits */

struct nat_key {
	/*
	 * guest and destination: IPv4 in host byte order; for IPv6 a fold of
	 * gip6/dip6 (nat_key_fold6()), so the hash needs no branch
	 */
	uint32_t gip, dip;
	uint16_t gport, dport;
	uint8_t proto; /* 6, 17, 1, 58 */
	uint8_t v6; /* 1: an IPv6 flow, its addresses in gip6/dip6 */
	uint8_t gip6[16], dip6[16]; /* IPv6 only; zero for IPv4; adjacent */
	uint8_t vm; /* the VM (switch port id + 1) it came from; 0: not known */
};

/*
 * What a flow keeps of its key: struct nat_key without the IPv6
 * addresses, which an IPv6 flow keeps in a tail of NAT_ADDR6_LEN bytes
 * (gip6 then dip6) at the table's a6_off from its struct nat_flow, so an
 * IPv4 flow does not carry 32 bytes of zeros.
 */
struct nat_fkey {
	uint32_t gip, dip;
	uint16_t gport, dport;
	uint8_t proto, v6;
	uint8_t vm; /* not part of the key: whose flow it is (struct nat_key) */
};

/*
 * VMs a table tells apart: switch port ids + 1 (net/switch.h's
 * SW_MAX_PORTS ports), 0 for flows whose VM is not known.
 */
#define NAT_VMS 65

/* nat_vm_of_port() - the VM of switch port @id (sw_input_port()), or 0 */
static inline uint8_t nat_vm_of_port(int id)
{
	return id >= 0 && id < NAT_VMS - 1 ? (uint8_t)(id + 1) : 0;
}

/*
 * nat_vm_share() - what each of @n VMs holding some of a bound of @max may
 * hold: all of it when fewer than two do, else its part, at least one.
 */
static inline size_t nat_vm_share(size_t max, unsigned int n)
{
	if (n < 2)
		return max;
	return max / n ? max / n : 1;
}

#define NAT_ADDR6_LEN 32

/*
 * nat_key_fold6() - the 32 bits of an IPv6 address gip/dip hold: a hash
 * of its four words as they lie in memory (the fold never leaves the
 * process), one multiply each; every IPv6 packet of the NAT folds two.
 */
static inline uint32_t nat_key_fold6(const uint8_t a[16])
{
	uint32_t w[4], h;

	memcpy(w, a, 16);
	h = w[0] * 0x9e3779b1u;
	h = (h ^ w[1]) * 0x9e3779b1u;
	h = (h ^ w[2]) * 0x9e3779b1u;
	return (h ^ w[3]) * 0x9e3779b1u;
}

struct nat_flow {
	struct nat_flow *hnext; /* hash chain */
	struct nat_fkey key;
};

/*
 * A flow's place in its table's LRU list, at the table's lru_off from
 * its struct nat_flow: only tables whose flows expire when idle (UDP,
 * ICMP) have one; TCP flows end with their connection and keep none.
 */
struct nat_lru {
	struct nat_flow *prev, *next; /* oldest first */
	uint64_t last_ms;
};

#define NAT_NO_LRU ((ptrdiff_t)0) /* lru_off of a table without a list */
/* where @member of @type lies from its struct nat_flow flow (lru_off, a6_off) */
#define NAT_FLOW_OFF(type, member) \
	((ptrdiff_t)offsetof(type, member) - (ptrdiff_t)offsetof(type, flow))

/*
 * nat_buckets() - the buckets for a table of @max_flows flows: about two
 * flows a chain at the bound, 64 Ki buckets at most
 */
static inline size_t nat_buckets(unsigned int max_flows)
{
	return max_flows / 2 < 65536 ? max_flows / 2 : 65536;
}

/*
 * A budget that tables share (lwIP's NAT: TCP, UDP and ICMP within the fd
 * budget): each table attached may always hold its minimum, and beyond it
 * whatever of the budget is neither held nor owed to the others' minimums.
 * used + owed <= budget holds as long as the minimums add up to at most
 * the budget.
 */
struct nat_pool {
	size_t budget;
	size_t used; /* flows in all tables attached */
	size_t owed; /* minimums not yet taken up: sum of (min - n_flows) */
};

struct nat_table {
	struct nat_flow **buckets;
	size_t n_buckets; /* power of two */
	size_t n_flows;
	size_t max_flows; /* total bound, whatever the source address */
	uint64_t seed; /* the hash's random key (util/hash.h) */
	struct nat_flow *lru_head, *lru_tail;
	/* where an IPv6 flow's addresses are, from its struct nat_flow */
	ptrdiff_t a6_off;
	/* where a flow's struct nat_lru is, or NAT_NO_LRU */
	ptrdiff_t lru_off;
	/* flows of each VM (by struct nat_key's vm), VMs (not 0) with any */
	uint32_t by_vm[NAT_VMS];
	unsigned int n_vms;
	size_t pick_at; /* the bucket nat_table_vm_pick() goes on from */
	struct nat_pool *pool; /* shared budget, or NULL: max_flows only */
	size_t pool_min; /* of it, what this table may always hold */
};

/*
 * nat_table_init() - @n_buckets rounded up to a power of two; the flows'
 * IPv6 addresses at @a6_off bytes from their struct nat_flow, their
 * struct nat_lru at @lru_off (or NAT_NO_LRU).
 */
int nat_table_init(struct nat_table *t, size_t n_buckets, size_t max_flows,
		   ptrdiff_t a6_off, ptrdiff_t lru_off);
void nat_table_fini(struct nat_table *t);

struct nat_flow *nat_table_find(const struct nat_table *t,
				const struct nat_key *k);
/*
 * nat_table_insert() - @f, its key set (nat_flow_set_key()): 0, -EEXIST,
 * or -EMFILE when the table is full.
 */
int nat_table_insert(struct nat_table *t, struct nat_flow *f, uint64_t now);
/*
 * nat_pool_init() / nat_table_pool() - @t (empty) draws on @p, which it
 * keeps @min of for itself (the caller keeps the minimums within the
 * budget). Tables are detached by nat_table_fini().
 */
void nat_pool_init(struct nat_pool *p, size_t budget);
void nat_table_pool(struct nat_table *t, struct nat_pool *p, size_t min);

/*
 * nat_table_full() - the next insert would fail with -EMFILE: at its own
 * bound, or over its minimum with the shared budget spent.
 */
static inline bool nat_table_full(const struct nat_table *t)
{
	const struct nat_pool *p = t->pool;

	return t->n_flows >= t->max_flows || (p && t->n_flows >= t->pool_min &&
					      p->used + p->owed >= p->budget);
}
void nat_table_remove(struct nat_table *t, struct nat_flow *f);
/* nat_flow_lru() - @f's place in the LRU list; tables with one only. */
static inline struct nat_lru *nat_flow_lru(const struct nat_table *t,
					   const struct nat_flow *f)
{
	return (struct nat_lru *)((char *)f + t->lru_off);
}
/* nat_flow_a6() - @f's IPv6 addresses (gip6, dip6); IPv6 flows only. */
static inline uint8_t *nat_flow_a6(const struct nat_table *t,
				   const struct nat_flow *f)
{
	return (uint8_t *)f + t->a6_off;
}
/*
 * nat_flow_set_key() - @f's key from @k (IPv6: addresses into its tail);
 * before nat_table_insert().
 */
void nat_flow_set_key(const struct nat_table *t, struct nat_flow *f,
		      const struct nat_key *k);
/* nat_flow_key() - the whole key of @f. */
void nat_flow_key(const struct nat_table *t, const struct nat_flow *f,
		  struct nat_key *k);
/*
 * nat_table_touch() - mark @f used at @now (moves it to the LRU tail);
 * tables with an LRU list only.
 */
void nat_table_touch(struct nat_table *t, struct nat_flow *f, uint64_t now);
/* UDP flows close after NAT_UDP_IDLE_MS idle (both stacks' NATs). */
#define NAT_UDP_IDLE_MS 90000
/*
 * Beyond an eighth of its bound a table is under pressure (a flood, a
 * port scan): its flows idle for NAT_BUSY_IDLE_MS are closed as well, so
 * fds come back soon after a burst while a normal guest keeps its flows
 * for the full idle time.
 */
#define NAT_BUSY_IDLE_MS 10000

/*
 * nat_flow_expired() - the sweep closes @f (the oldest flow of @t, which
 * has an LRU list) at @now when idle for @idle_ms, or NAT_BUSY_IDLE_MS
 * under pressure.
 */
static inline bool nat_flow_expired(const struct nat_table *t,
				    const struct nat_flow *f, uint64_t now,
				    uint64_t idle_ms)
{
	uint64_t idle = now - nat_flow_lru(t, f)->last_ms;

	return idle >= idle_ms ||
	       (idle >= NAT_BUSY_IDLE_MS && t->n_flows > t->max_flows / 8);
}

/*
 * Several VMs on one switch (-keep-serving) share a table: while more than
 * one holds flows in it, each VM's share is the bound over their number
 * (a VM opening its first flow counted in). A VM at its share makes room
 * among its own flows; a VM under it, with the table full, takes the place
 * of a flow of the VM holding the most. So a VM that filled the table
 * before the others came, or floods it, leaves each other VM its share.
 * With one VM nothing changes.
 */

/*
 * nat_table_bound() - the flows @t could hold now: its own bound, or less
 * while the budget it shares is held by the other tables.
 */
size_t nat_table_bound(const struct nat_table *t);
/* nat_table_vm_share() - the flows VM @vm may hold in @t now. */
size_t nat_table_vm_share(const struct nat_table *t, uint8_t vm);
/* nat_table_vm_over() - @vm shares @t with other VMs and holds its share. */
bool nat_table_vm_over(const struct nat_table *t, uint8_t vm);
/*
 * nat_table_vm_victim() - the flow that goes for a new one of @vm: one of
 * @vm's own when it holds its share, else, with @t full, one of the VM
 * holding the most; NULL when neither (the table's own rules apply) or
 * when none was found within a bounded walk. The least recently used of
 * the first few flows of the LRU list (tables with one), else the next
 * found by a walk of the buckets that goes on where the last stopped: the
 * buckets are in a random order (keyed hash), so a VM holding 1/n of the
 * table is found within about n flows.
 */
struct nat_flow *nat_table_vm_victim(struct nat_table *t, uint8_t vm);

/*
 * nat_table_oldest() - least recently used flow, or NULL. Without an LRU
 * list: any flow, found by a walk of the buckets (for a teardown).
 */
struct nat_flow *nat_table_oldest(const struct nat_table *t);

#include "net/nat_limits.h"

#define NAT_ADDRSTRLEN 46 /* INET6_ADDRSTRLEN */
/* nat_key_str() - the guest's (@guest) or destination's address, text. */
const char *nat_key_str(const struct nat_key *k, bool guest,
			char buf[NAT_ADDRSTRLEN]);

#endif
