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

/* ackhold_pure() - IPv4, no options or fragments, TCP ACK only, no data */
static bool ackhold_pure(const uint8_t *f, size_t len)
{
	return len >= ACKHOLD_LEN &&
	       be16_get(f + PKT_ETH_TYPE) == ETHTYPE_IP4 &&
	       f[PKT_IP4] == 0x45 && be16_get(f + PKT_IP4_TOTLEN) == 40 &&
	       f[PKT_IP4_PROTO] == 6 &&
	       (be16_get(f + PKT_IP4_FRAG) & 0x3fff) == 0 &&
	       f[PKT_TCP_OFF] == 0x50 && f[PKT_TCP_FLAGS] == PKT_TCP_ACK_FLAG;
}

/*
 * ackhold_tcp4() - an IPv4 TCP frame long enough to hold its ports: it may
 * belong to a held flow.
 */
static bool ackhold_tcp4(const uint8_t *f, size_t len)
{
	return len >= PKT_TCP + 4 &&
	       be16_get(f + PKT_ETH_TYPE) == ETHTYPE_IP4 &&
	       (f[PKT_IP4] >> 4) == 4 && f[PKT_IP4_PROTO] == 6 &&
	       len >= PKT_IP4 + (size_t)(f[PKT_IP4] & 15) * 4 + 4;
}

/* same connection: addresses, then ports (after @a's IP header, any size) */
static bool ackhold_same_flow(const uint8_t *a, const uint8_t *held)
{
	return !memcmp(a + PKT_IP4_SRC, held + PKT_IP4_SRC, 8) &&
	       !memcmp(a + PKT_IP4 + (a[PKT_IP4] & 15) * 4,
		       held + PKT_TCP_SPORT, 4);
}

static void ackhold_remove(struct ackhold *h, unsigned int i)
{
	memmove(h->held[i], h->held[i + 1],
		(size_t)(h->n - i - 1) * sizeof(h->held[0]));
	h->n--;
}

bool ackhold_input_tcp(struct ackhold *h, const uint8_t *frame, size_t len,
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
			if (h->dir == ACKHOLD_IN)
				deliver(arg, o, ACKHOLD_LEN);
			else
				h->coalesced++;
			ackhold_remove(h, i);
			return false;
		}
		d = (int32_t)(be32_get(frame + PKT_TCP_ACK) -
			      be32_get(o + PKT_TCP_ACK));
		if (d < 0 || (d == 0 && !memcmp(frame + PKT_TCP_WIN,
						o + PKT_TCP_WIN, 2))) {
			/* a duplicate (or older) ACK: the other side sees both */
			deliver(arg, o, ACKHOLD_LEN);
		} else {
			h->coalesced++;
		}
		memcpy(o, frame, ACKHOLD_LEN);
		return true;
	}
	if (!pure)
		return false;
	if (h->n >= h->max)
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
