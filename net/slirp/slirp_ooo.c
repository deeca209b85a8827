/*
 * slirp_ooo.c - the budget for libslirp's queues of the guest's
 * out-of-order TCP segments (see slirp_ooo.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/slirp/slirp_ooo.h"
#include "util/be.h"
#include "util/hash.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10
#define BUF_OVERHEAD 256 /* libslirp's mbuf header and malloc's */

/* a TCP segment as both directions need it */
struct seg {
	uint8_t key[36];
	uint32_t seq, ack, len; /* len: data, and 1 for a FIN */
	uint8_t flags;
};

/*
 * parse() - the TCP segment in Ethernet frame @f: its key with the guest
 * on the side of @guest_src (else the destination); false if not TCP
 */
static bool parse(const uint8_t *f, size_t len, bool guest_src, struct seg *s)
{
	const uint8_t *ip = f + 14, *a, *b, *t;
	size_t ihl, tot, doff;
	unsigned int alen;

	if (len < 14 + 20)
		return false;
	if (be16_get(f + 12) == 0x0800) {
		ihl = (size_t)(ip[0] & 15) * 4;
		tot = be16_get(ip + 2);
		if ((ip[0] >> 4) != 4 || ip[9] != 6 || ihl < 20 ||
		    tot < ihl + 20 || tot > len - 14 ||
		    (be16_get(ip + 6) & 0x3fff))
			return false;
		a = ip + 12;
		b = ip + 16;
		alen = 4;
	} else if (be16_get(f + 12) == 0x86dd) {
		ihl = 40;
		if (len < 14 + 40 + 20 || (ip[0] >> 4) != 6 || ip[6] != 6)
			return false;
		tot = 40 + (size_t)be16_get(ip + 4);
		if (tot < 60 || tot > len - 14)
			return false;
		a = ip + 8;
		b = ip + 24;
		alen = 16;
	} else {
		return false;
	}
	t = ip + ihl;
	doff = (size_t)(t[12] >> 4) * 4;
	if (doff < 20 || doff > tot - ihl)
		return false;
	memset(s->key, 0, 32);
	memcpy(s->key + 16 - alen, guest_src ? a : b, alen);
	memcpy(s->key + 32 - alen, guest_src ? b : a, alen);
	memcpy(s->key + 32, guest_src ? t : t + 2, 2);
	memcpy(s->key + 34, guest_src ? t + 2 : t, 2);
	s->seq = be32_get(t + 4);
	s->ack = be32_get(t + 8);
	s->flags = t[13];
	s->len = (uint32_t)(tot - ihl - doff) + (s->flags & TCP_FIN ? 1 : 0);
	return true;
}

static struct slirp_ooo_conn *set_of(const struct slirp_ooo *o,
				     const uint8_t key[36])
{
	uint32_t h = hash_fnv1a(key, 36, o->seed);

	h ^= h >> 15;
	return &o->tab[(h & (o->sets - 1)) * SLIRP_OOO_WAYS];
}

static struct slirp_ooo_conn *find(struct slirp_ooo *o, const uint8_t key[36])
{
	struct slirp_ooo_conn *set = set_of(o, key);
	unsigned int w;

	for (w = 0; w < SLIRP_OOO_WAYS; w++)
		if (set[w].used && !memcmp(set[w].key, key, 36))
			return &set[w];
	return NULL;
}

/*
 * add() - a new entry for @key: a free way of its set, else the least
 * recently seen that counts nothing; NULL when every way counts bytes
 */
static struct slirp_ooo_conn *add(struct slirp_ooo *o, const uint8_t key[36])
{
	struct slirp_ooo_conn *set = set_of(o, key), *pick = NULL;
	unsigned int w;

	for (w = 0; w < SLIRP_OOO_WAYS; w++) {
		if (!set[w].used) {
			pick = &set[w];
			break;
		}
		if (!set[w].bytes &&
		    (!pick || (int32_t)(set[w].stamp - pick->stamp) < 0))
			pick = &set[w];
	}
	if (!pick)
		return NULL;
	memset(pick, 0, sizeof(*pick));
	memcpy(pick->key, key, 36);
	pick->used = true;
	return pick;
}

static void release(struct slirp_ooo *o, struct slirp_ooo_conn *c)
{
	o->bytes -= c->bytes;
	c->bytes = 0;
}

int slirp_ooo_init(struct slirp_ooo *o, size_t mtu, unsigned int sets,
		   uint32_t seed)
{
	memset(o, 0, sizeof(*o));
	if (!sets || (sets & (sets - 1)))
		return -EINVAL;
	o->tab = calloc((size_t)sets * SLIRP_OOO_WAYS, sizeof(*o->tab));
	if (!o->tab)
		return -ENOMEM;
	o->sets = sets;
	o->seed = seed;
	o->mtu = mtu;
	return 0;
}

void slirp_ooo_free(struct slirp_ooo *o)
{
	free(o->tab);
	o->tab = NULL;
}

void slirp_ooo_to_guest(struct slirp_ooo *o, const uint8_t *f, size_t len)
{
	struct slirp_ooo_conn *c;
	struct seg s;

	if (!o->tab || !parse(f, len, false, &s))
		return;
	c = find(o, s.key);
	if (s.flags & TCP_RST) {
		if (c) {
			release(o, c);
			c->used = false;
		}
		return;
	}
	if (!(s.flags & TCP_ACK))
		return;
	if (!c) {
		c = add(o, s.key);
		if (!c)
			return;
	}
	c->stamp = ++o->clock;
	if (c->acked && (int32_t)(s.ack - c->rcv_nxt) < 0)
		return; /* an old acknowledgement, reordered */
	c->rcv_nxt = s.ack;
	c->acked = true;
	if (c->bytes && (int32_t)(s.ack - c->end) >= 0)
		release(o, c);
}

bool slirp_ooo_admit(struct slirp_ooo *o, const uint8_t *f, size_t len)
{
	struct slirp_ooo_conn *c;
	struct seg s;
	uint32_t cost;

	if (!o->tab || !parse(f, len, true, &s))
		return true;
	c = find(o, s.key);
	if (s.flags & TCP_RST) {
		if (c) {
			release(o, c);
			c->used = false;
		}
		return true;
	}
	if (s.flags & TCP_SYN) {
		if (c) /* a new connection on the same ports */
			release(o, c);
		else
			c = add(o, s.key);
		if (c) {
			c->acked = false;
			c->stamp = ++o->clock;
		}
		return true;
	}
	if (!s.len)
		return true; /* a pure ACK: nothing is queued */
	if (!c)
		c = add(o, s.key);
	if (!c) {
		o->drops++; /* every way holds a count: judged past it */
		return false;
	}
	c->stamp = ++o->clock;
	if (c->acked && (int32_t)(s.seq - c->rcv_nxt) <= 0)
		return true; /* in order, or a retransmission */
	cost = (uint32_t)(len > o->mtu ? len : o->mtu) + BUF_OVERHEAD;
	if (c->bytes + cost > SLIRP_OOO_CONN ||
	    o->bytes + cost > SLIRP_OOO_ALL) {
		o->drops++;
		return false;
	}
	if (!c->bytes || (int32_t)(s.seq + s.len - c->end) > 0)
		c->end = s.seq + s.len;
	c->bytes += cost;
	o->bytes += cost;
	return true;
}
