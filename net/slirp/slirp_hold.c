/*
 * slirp_hold.c - the ring of guest frames held until their source address
 * is known (see slirp_hold.h).
 */
#include <string.h>

#include "net/slirp/slirp_hold.h"
#include "util/be.h"

void slirp_hold_key4(uint8_t key[16], uint32_t ip)
{
	memset(key, 0, 10);
	key[10] = 0xff;
	key[11] = 0xff;
	be32_put(key + 12, ip);
}

bool slirp_hold_put(struct slirp_hold *h, const uint8_t key[16],
		    const uint8_t *f, size_t len)
{
	unsigned int i = h->next++ % SLIRP_HOLD_SLOTS;

	h->slot[i].len = 0;
	if (!len || len > SLIRP_HOLD_LEN)
		return false;
	memcpy(h->slot[i].key, key, 16);
	memcpy(h->slot[i].f, f, len);
	h->slot[i].len = (uint16_t)len;
	return true;
}

void slirp_hold_asked(struct slirp_hold *h, const uint8_t key[16])
{
	memcpy(h->asked[h->asked_next++ % SLIRP_HOLD_SLOTS], key, 16);
}

bool slirp_hold_answered(struct slirp_hold *h, const uint8_t key[16])
{
	static const uint8_t none[16];
	unsigned int i;

	if (!memcmp(key, none, 16))
		return false;
	for (i = 0; i < SLIRP_HOLD_SLOTS; i++)
		if (!memcmp(h->asked[i], key, 16))
			break;
	if (i == SLIRP_HOLD_SLOTS)
		return false;
	memset(h->asked[i], 0, 16);
	for (i = 0; i < SLIRP_HOLD_SLOTS; i++)
		if (h->slot[i].len && !memcmp(h->slot[i].key, key, 16))
			return true;
	return false;
}

unsigned int slirp_hold_release(struct slirp_hold *h, const uint8_t key[16],
				slirp_frame_fn emit, void *arg)
{
	uint8_t f[SLIRP_HOLD_LEN];
	unsigned int i, k, n = 0;
	uint16_t len;

	for (k = 0; k < SLIRP_HOLD_SLOTS; k++) {
		i = (h->next + k) % SLIRP_HOLD_SLOTS;
		len = h->slot[i].len;
		if (!len || memcmp(h->slot[i].key, key, 16))
			continue;
		memcpy(f, h->slot[i].f, len); /* (emit may put over the slot) */
		h->slot[i].len = 0;
		n++;
		emit(arg, f, len);
	}
	return n;
}
