/*
 * ackhold.c - coalescing of pure TCP ACKs within a batch (see ackhold.h).
 */
#include "net/lwip/ackhold.h"

#include <string.h>

#include "util/be.h"

void ackhold_init(struct ackhold *h, enum ackhold_dir dir, unsigned int max)
{
	h->dir = dir;
	h->n = 0;
	h->max = max && max <= ACKHOLD_MAX ? max : ACKHOLD_MAX;
	h->coalesced = 0;
}

/*
 * ackhold_tcp_at() - where the TCP header of an IPv4 or IPv6 TCP frame
 * long enough to hold its ports starts (it may belong to a held flow), or
 * 0; *@v6 says which family.
 */
static size_t ackhold_tcp_at(const uint8_t *f, size_t len, bool *v6)
{
	size_t at;

	*v6 = be16_get(f + PKT_ETH_TYPE) == 0x86dd;
	if (*v6)
		return (f[PKT_IP4] >> 4) == 6 && f[PKT_IP4 + 6] == 6 &&
				       len >= ACKHOLD_LEN6 - 20 + 4
			       ? ACKHOLD_LEN6 - 20
			       : 0;
	if (be16_get(f + PKT_ETH_TYPE) != ETHTYPE_IP4 ||
	    (f[PKT_IP4] >> 4) != 4 || f[PKT_IP4_PROTO] != 6)
		return 0;
	at = PKT_IP4 + (size_t)(f[PKT_IP4] & 15) * 4;
	return len >= at + 4 ? at : 0;
}

/*
 * ackhold_pure() - the length of a pure ACK (no IP options, extension
 * headers or fragments, TCP ACK only, no data, no TCP options but
 * timestamps) of the TCP frame whose header is at @at, or 0
 */
static size_t ackhold_pure(const uint8_t *f, size_t len, size_t at, bool v6)
{
	size_t n = v6 ? ACKHOLD_LEN6 : ACKHOLD_LEN, opt;

	if (len < n || at != n - 20 || f[at + 13] != PKT_TCP_ACK_FLAG)
		return 0;
	if (f[at + 12] == 0x50)
		opt = 0;
	else if (f[at + 12] == 0x80 && len >= n + ACKHOLD_TS &&
		 be32_get(f + at + 20) == 0x0101080a)
		opt = ACKHOLD_TS;
	else
		return 0;
	if (v6)
		return be16_get(f + PKT_IP4 + 4) == 20 + opt ? n + opt : 0;
	return be16_get(f + PKT_IP4_TOTLEN) == 40 + opt &&
			       (be16_get(f + PKT_IP4_FRAG) & 0x3fff) == 0
		       ? n + opt
		       : 0;
}

/* same connection: family, addresses, then ports (at @at in @a) */
static bool ackhold_same_flow(const uint8_t *a, size_t at, bool v6,
			      const uint8_t *held, size_t hat)
{
	if (at != hat)
		return false; /* the other family */
	return !memcmp(a + (v6 ? PKT_IP4 + 8 : PKT_IP4_SRC),
		       held + (v6 ? PKT_IP4 + 8 : PKT_IP4_SRC), v6 ? 32 : 8) &&
	       !memcmp(a + at, held + hat, 4);
}

static void ackhold_remove(struct ackhold *h, unsigned int i)
{
	memmove(h->held[i], h->held[i + 1],
		(size_t)(h->n - i - 1) * sizeof(h->held[0]));
	memmove(h->held_len + i, h->held_len + i + 1, (size_t)(h->n - i - 1));
	memmove(h->held_at + i, h->held_at + i + 1, (size_t)(h->n - i - 1));
	h->n--;
}

bool ackhold_input_tcp(struct ackhold *h, const uint8_t *frame, size_t len,
		       ackhold_deliver_fn deliver, void *arg)
{
	bool v6;
	size_t at = ackhold_tcp_at(frame, len, &v6);
	size_t pure = at ? ackhold_pure(frame, len, at, v6) : 0;
	unsigned int i;

	if (!pure && (!h->n || !at))
		return false;
	for (i = 0; i < h->n; i++) {
		uint8_t *o = h->held[i];
		size_t olen = h->held_len[i];
		int32_t d;

		if (!ackhold_same_flow(frame, at, v6, o, h->held_at[i]))
			continue;
		if (!pure) {
			if (h->dir == ACKHOLD_IN)
				deliver(arg, o, olen);
			else
				h->coalesced++;
			ackhold_remove(h, i);
			return false;
		}
		d = (int32_t)(be32_get(frame + at + 8) - be32_get(o + at + 8));
		if (d < 0 ||
		    (d == 0 && !memcmp(frame + at + 14, o + at + 14, 2))) {
			/* a duplicate (or older) ACK: the other side sees both */
			deliver(arg, o, olen);
		} else {
			h->coalesced++;
		}
		memcpy(o, frame, pure);
		h->held_len[i] = (uint8_t)pure;
		return true;
	}
	if (!pure)
		return false;
	if (h->n >= h->max)
		ackhold_flush(h, deliver, arg);
	memcpy(h->held[h->n], frame, pure);
	h->held_at[h->n] = (uint8_t)at;
	h->held_len[h->n++] = (uint8_t)pure;
	return true;
}

void ackhold_flush(struct ackhold *h, ackhold_deliver_fn deliver, void *arg)
{
	unsigned int i, n = h->n;

	h->n = 0; /* deliver() may feed frames back in */
	for (i = 0; i < n; i++)
		deliver(arg, h->held[i], h->held_len[i]);
}
