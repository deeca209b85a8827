/*
 * dns_zones.h - the local zones of the resolver (gvproxy's
 * containers.internal. and docker.internal., plus any added through the
 * API): an ordered list of zones, each with records matched by exact name
 * or by POSIX extended regexp (dns_regex.h: the same on every platform),
 * and an optional default IP.
 *
 * A record holds an IPv4 address, an IPv6 address or (the built-in
 * gateway and host records, when the network has IPv6) both: A queries
 * take the first matching record with an IPv4 address, AAAA queries the
 * first with an IPv6 one; a name that matches only records of the other
 * family exists without data (NOERROR, no answer). The default IP, of
 * either family, works the same way.
 *
 * A query name belongs to the first zone whose name is a proper suffix of
 * it (whole labels, case-insensitive). The labels in front of the zone, in
 * presentation form ("gateway", "a.b"), are compared with each record in
 * order: equal to its name (case-insensitive) or matched by its regexp.
 * The first record that matches wins, then the default IP; otherwise the
 * name does not exist (NXDOMAIN with the zone's SOA).
 *
 * Regexps are compiled when a zone is added; lookups do not allocate.
 */
#ifndef QCW_DNS_ZONES_H
#define QCW_DNS_ZONES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dns_codec.h"

struct dns_zones;

enum dns_zone_result {
	DNS_ZONE_NONE, /* not in any local zone */
	DNS_ZONE_FOUND, /* @ip is the answer */
	DNS_ZONE_NXDOMAIN, /* in a zone, but no such name */
};

/*
 * struct dns_zone_match - outcome of dns_zones_lookup(). @zone_off is where
 * the zone's name starts inside the looked-up wire name.
 */
struct dns_zone_match {
	enum dns_zone_result result;
	bool has4, has6; /* which of @ip, @ip6 hold an answer */
	uint32_t ip;
	uint8_t ip6[16];
	size_t zone_off;
	uint32_t serial;
};

struct dns_zones *dns_zones_create(void);
void dns_zones_destroy(struct dns_zones *z);
int dns_zones_add_defaults(struct dns_zones *z, uint32_t gateway,
			   uint32_t host_alias, const uint8_t *gateway6,
			   const uint8_t *host_alias6);
int dns_zones_add_json(struct dns_zones *z, const char *json, size_t len,
		       char *err, size_t errlen);
char *dns_zones_to_json(const struct dns_zones *z);
void dns_zones_lookup(const struct dns_zones *z, const uint8_t *wire,
		      size_t len, struct dns_zone_match *m);
int dns_zones_answer(const struct dns_zones *z, const struct dns_query *q,
		     uint8_t *out, size_t cap);

#endif
