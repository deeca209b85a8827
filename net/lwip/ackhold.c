/*
 * ackhold.c - coalescing of the guest's pure ACKs (see ackhold.h).
 */
#include "net/lwip/ackhold.h"

#include <string.h>

#include "net/pkt.h"

/* ackhold_pure() - IPv4, no options or fragments, TCP ACK only, no data */
static bool ackhold_pure(const uint8_t *f, size_t len)
{
	return len >= ACKHOLD_LEN && f[12] == 0x08 && f[13] == 0x00 &&
	       f[14] == 0x45 && be16_get(f + 16) == 40 && f[23] == 6 &&
	       (be16_get(f + 20) & 0x3fff) == 0 && f[46] == 0x50 &&
	       f[47] == 0x10;
}

/*
 * ackhold_tcp4() - an IPv4 TCP frame long enough to hold its ports: it may
 * belong to a held flow.
 */
static bool ackhold_tcp4(const uint8_t *f, size_t len)
{
	return len >= 14 + 20 + 4 && f[12] == 0x08 && f[13] == 0x00 &&
	       (f[14] >> 4) == 4 && f[23] == 6 &&
	       len >= 14 + (size_t)(f[14] & 15) * 4 + 4;
}

static bool ackhold_same_flow(const uint8_t *a, const uint8_t *b)
{
	/* addresses, then the ports right after a 20-byte IP header */
	return !memcmp(a + 26, b + 26, 8) &&
	       !memcmp(a + 14 + (a[14] & 15) * 4, b + 34, 4);
}

static void ackhold_remove(struct ackhold *h, unsigned int i)
{
	memmove(h->held[i], h->held[i + 1],
		(size_t)(h->n - i - 1) * sizeof(h->held[0]));
	h->n--;
}

bool ackhold_input(struct ackhold *h, const uint8_t *frame, size_t len,
		   ackhold_deliver_fn deliver, void *arg)
{
	bool pure = ackhold_pure(frame, len);
	unsigned int i;

	if (!pure && (!h->n || !ackhold_tcp4(frame, len)))
		return false;
	for (i = 0; i < h->n; i++) {
		uint8_t *o = h->held[i];
		int32_t d;

		if (!ackhold_same_flow(frame, o))
			continue;
		if (!pure) {
			deliver(arg, o, ACKHOLD_LEN);
			ackhold_remove(h, i);
			return false;
		}
		d = (int32_t)(be32_get(frame + 42) - be32_get(o + 42));
		if (d < 0 || (d == 0 && !memcmp(frame + 48, o + 48, 2))) {
			/* a duplicate (or older) ACK: lwIP must see both */
			deliver(arg, o, ACKHOLD_LEN);
		} else {
			h->coalesced++;
		}
		memcpy(o, frame, ACKHOLD_LEN);
		return true;
	}
	if (!pure)
		return false;
	if (h->n == ACKHOLD_MAX)
		ackhold_flush(h, deliver, arg);
	memcpy(h->held[h->n++], frame, ACKHOLD_LEN);
	return true;
}

void ackhold_flush(struct ackhold *h, ackhold_deliver_fn deliver, void *arg)
{
	unsigned int i, n = h->n;

	h->n = 0; /* deliver() may feed frames back in */
	for (i = 0; i < n; i++)
		deliver(arg, h->held[i], ACKHOLD_LEN);
}
