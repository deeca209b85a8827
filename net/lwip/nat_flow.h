/*
 * nat_flow.h - the NAT's flow table: flows keyed by the guest's 5-tuple
 * (protocol, guest address and port, destination address and port; for
 * ICMP echo the port is the echo identifier). Intrusive: a flow embeds a
 * struct nat_flow. Each table has a TOTAL bound (the guest chooses its
 * source addresses, so a per-source bound bounds nothing), and the bounds
 * come from the fd limit (nat_limits_compute()). Pure, no I/O.
 */
#ifndef QCW_NAT_FLOW_H
#define QCW_NAT_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/stack.h" /* struct nat_limits */

struct nat_key {
	uint32_t gip, dip; /* guest and destination, host byte order */
	uint16_t gport, dport;
	uint8_t proto; /* 6, 17, 1 */
};

struct nat_flow {
	struct nat_key key;
	struct nat_flow *hnext; /* hash chain */
	struct nat_flow *lprev, *lnext; /* LRU list (oldest first) */
	uint64_t last_ms;
};

struct nat_table {
	struct nat_flow **buckets;
	size_t n_buckets; /* power of two */
	size_t n_flows;
	size_t max_flows; /* total bound, whatever the source address */
	struct nat_flow *lru_head, *lru_tail;
};

/* nat_table_init() - @n_buckets rounded up to a power of two. */
int nat_table_init(struct nat_table *t, size_t n_buckets, size_t max_flows);
void nat_table_fini(struct nat_table *t);

struct nat_flow *nat_table_find(const struct nat_table *t,
				const struct nat_key *k);
/* nat_table_insert() - 0, -EEXIST, or -EMFILE when the table is full. */
int nat_table_insert(struct nat_table *t, struct nat_flow *f, uint64_t now);
/* nat_table_full() - the next insert would fail with -EMFILE. */
static inline bool nat_table_full(const struct nat_table *t)
{
	return t->n_flows >= t->max_flows;
}
void nat_table_remove(struct nat_table *t, struct nat_flow *f);
/* nat_table_touch() - mark @f used at @now (moves it to the LRU tail). */
void nat_table_touch(struct nat_table *t, struct nat_flow *f, uint64_t now);
/* nat_table_oldest() - least recently used flow, or NULL. */
struct nat_flow *nat_table_oldest(const struct nat_table *t);

#include "net/nat_limits.h"

#endif
