/*
 * slirp_route6.h - whether the host has a route to an IPv6 destination,
 * remembered for a while (slirp_route6.c).
 */
#ifndef QCW_SLIRP_ROUTE6_H
#define QCW_SLIRP_ROUTE6_H

#include <stdbool.h>
#include <stdint.h>

#define SLIRP_ROUTE6_SLOTS 16
#define SLIRP_ROUTE6_KEEP_MS 2000

struct slirp_route6_slot {
	uint8_t dst[16];
	bool ok;
	uint64_t until_ms; /* 0: empty */
};

struct slirp_route6 {
	struct slirp_route6_slot slot[SLIRP_ROUTE6_SLOTS];
	unsigned int next; /* the slot the next new destination takes */
};

/*
 * slirp_route6_ok() - false when the host has no route to @dst (asked now,
 * or within SLIRP_ROUTE6_KEEP_MS before @now_ms); zeroed @c is empty
 */
bool slirp_route6_ok(struct slirp_route6 *c, const uint8_t dst[16],
		     uint64_t now_ms);

#endif
