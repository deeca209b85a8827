/*
 * dns_zones.c - local zones: storage, lookup, the replies they give, and
 * the JSON shapes of gvproxy's /services/dns/all and /services/dns/add.
 * See dns_zones.h for the matching rules.
 */
#include "dns/dns_zones.h"
#include "dns/dns_regex.h"
#include "util/fmt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Labels of a name: at most 127 of 1 byte each in 255 bytes. */
#define DNS_LABELS_MAX 128

struct dns_record {
	char *name; /* NULL: unset (JSON "") */
	char *regexp; /* source text; NULL: unset (JSON null) */
	struct dns_regex *re; /* compiled when @regexp is set */
	bool has4, has6; /* at least one */
	uint32_t ip;
	uint8_t ip6[16];
};

/*
 * struct dns_zone - @recs holds the records lowest priority first: a
 * lookup walks it from the end, so a merge (whose new records go in front
 * of the old ones) appends to the old array instead of copying it, and
 * the array grows geometrically: adding N records costs O(N).
 */
struct dns_zone {
	char *name; /* presentation form, always with the trailing dot */
	uint8_t wire[DNS_NAME_MAX]; /* lower case */
	size_t wire_len;
	int nlabels;
	struct dns_record **recs;
	size_t nrecs, cap;
	bool recs_null; /* Go's nil slice: "Records":null in the JSON */
	bool has_default, has_default6;
	uint32_t default_ip;
	uint8_t default_ip6[16];
	uint32_t serial;
};

struct dns_zones {
	struct dns_zone **zones;
	size_t n;
	uint32_t serial; /* bumped on every change, copied into the SOA */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	QCW_PRINTF(3, 4);

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void record_free(struct dns_record *r)
{
	if (!r)
		return;
	dns_regex_free(r->re);
	free(r->regexp);
	free(r->name);
	free(r);
}

static void zone_free(struct dns_zone *zone)
{
	if (!zone)
		return;
	for (size_t i = 0; i < zone->nrecs; i++)
		record_free(zone->recs[i]);
	free(zone->recs);
	free(zone->name);
	free(zone);
}

static struct dns_zone *zone_new(const char *name, char *err, size_t errlen)
{
	struct dns_zone *zone;
	size_t n = strlen(name);
	int labels;
	size_t offs[DNS_LABELS_MAX];

	zone = calloc(1, sizeof(*zone));
	if (!zone)
		goto nomem;
	if (dns_name_from_text(name, zone->wire, &zone->wire_len) ||
	    zone->wire_len < 2) {
		set_err(err, errlen, "invalid zone name \"%s\"", name);
		free(zone);
		return NULL;
	}
	for (size_t i = 0; i < zone->wire_len; i++)
		if (zone->wire[i] >= 'A' && zone->wire[i] <= 'Z')
			zone->wire[i] = (uint8_t)(zone->wire[i] + 'a' - 'A');
	labels = dns_name_labels(zone->wire, zone->wire_len, offs,
				 DNS_LABELS_MAX);
	zone->nlabels = labels;
	/* gvproxy zones are written with the trailing dot; add it if missing */
	zone->name = malloc(n + 2);
	if (!zone->name)
		goto nomem;
	memcpy(zone->name, name, n + 1);
	if (name[n - 1] != '.')
		strcpy(zone->name + n, ".");
	return zone;
nomem:
	set_err(err, errlen, "out of memory");
	zone_free(zone);
	return NULL;
}

/* zone_reserve() - room for @n records in @zone->recs (doubling). */
static int zone_reserve(struct dns_zone *zone, size_t n)
{
	struct dns_record **recs;
	size_t cap = zone->cap ? zone->cap : 8;

	if (n <= zone->cap)
		return 0;
	while (cap < n) {
		if (cap > SIZE_MAX / 2 / sizeof(*recs))
			return -ENOMEM;
		cap *= 2;
	}
	if (zone->recs)
		recs = realloc(zone->recs, cap * sizeof(*recs));
	else
		recs = malloc(cap * sizeof(*recs));
	if (!recs)
		return -ENOMEM;
	zone->recs = recs;
	zone->cap = cap;
	return 0;
}

/* zone_reverse() - records parsed first-wins into the stored order. */
static void zone_reverse(struct dns_zone *zone)
{
	size_t i, j;

	for (i = 0, j = zone->nrecs; i + 1 < j; i++, j--) {
		struct dns_record *t = zone->recs[i];

		zone->recs[i] = zone->recs[j - 1];
		zone->recs[j - 1] = t;
	}
}

/*
 * zone_add_record() - append a record in parse order (first wins); the
 * caller reverses the zone with zone_reverse() once all are added.
 */
/* an address of either family, as a record or a default holds it */
struct dns_ip {
	bool has4, has6;
	uint32_t ip;
	uint8_t ip6[16];
};

static int zone_add_record(struct dns_zone *zone, const char *name,
			   const char *regexp, const struct dns_ip *ip,
			   char *err, size_t errlen)
{
	struct dns_record *r;
	int rc;

	r = calloc(1, sizeof(*r));
	if (!r)
		goto nomem;
	r->has4 = ip->has4;
	r->has6 = ip->has6;
	r->ip = ip->ip;
	memcpy(r->ip6, ip->ip6, 16);
	if (name && *name) {
		r->name = strdup(name);
		if (!r->name)
			goto nomem;
	}
	if (regexp) {
		char msg[128];

		rc = dns_regex_compile(&r->re, regexp, msg, sizeof(msg));
		if (rc == -ENOMEM)
			goto nomem;
		if (rc) {
			set_err(err, errlen, "invalid regexp \"%s\": %s",
				regexp, msg);
			free(r->name);
			free(r);
			return -EINVAL;
		}
		r->regexp = strdup(regexp);
		if (!r->regexp)
			goto nomem;
	}
	if (zone_reserve(zone, zone->nrecs + 1))
		goto nomem;
	zone->recs[zone->nrecs++] = r;
	return 0;
nomem:
	set_err(err, errlen, "out of memory");
	record_free(r);
	return -ENOMEM;
}

/*
 * zones_merge() - gvproxy's addZone(): a zone with the same name is
 * replaced by @zone, whose records are followed by the old ones (so the
 * new ones win); otherwise @zone goes at the end. Takes @zone.
 */
static int zones_merge(struct dns_zones *z, struct dns_zone *zone)
{
	struct dns_zone **zones;

	zone->serial = ++z->serial;
	for (size_t i = 0; i < z->n; i++) {
		struct dns_zone *old = z->zones[i];

		if (strcasecmp(old->name, zone->name))
			continue;
		/* stored lowest priority first: old ones, then the new */
		if (zone_reserve(old, old->nrecs + zone->nrecs)) {
			zone_free(zone);
			return -ENOMEM;
		}
		if (zone->nrecs)
			memcpy(old->recs + old->nrecs, zone->recs,
			       zone->nrecs * sizeof(*zone->recs));
		old->nrecs += zone->nrecs;
		free(zone->recs);
		zone->recs = old->recs;
		zone->nrecs = old->nrecs;
		zone->cap = old->cap;
		/* Go: append(nil, old...) stays nil only if old is empty */
		if (zone->nrecs)
			zone->recs_null = false;
		old->recs = NULL;
		old->nrecs = old->cap = 0;
		zone_free(old);
		z->zones[i] = zone;
		return 0;
	}
	zones = realloc(z->zones, (z->n + 1) * sizeof(*zones));
	if (!zones) {
		zone_free(zone);
		return -ENOMEM;
	}
	z->zones = zones;
	z->zones[z->n++] = zone;
	return 0;
}

/**
 * dns_zones_create() - an empty zone list.
 *
 * Return: the list, or NULL when out of memory.
 */
struct dns_zones *dns_zones_create(void)
{
	return calloc(1, sizeof(struct dns_zones));
}

/**
 * dns_zones_destroy() - free the list, its zones and records.
 * @z: list, or NULL
 */
void dns_zones_destroy(struct dns_zones *z)
{
	if (!z)
		return;
	for (size_t i = 0; i < z->n; i++)
		zone_free(z->zones[i]);
	free(z->zones);
	free(z);
}

/**
 * dns_zones_add_defaults() - gvproxy's zones: containers.internal. and
 * docker.internal., each with gateway and host records.
 * @z: list
 * @gateway: address of gateway.<zone>, host byte order
 * @host_alias: address of host.<zone>
 * @gateway6, @host_alias6: their IPv6 addresses (AAAA), NULL: none. The
 *	JSON of /services/dns/all shows a record's IPv4 address only, as
 *	gvproxy's does.
 *
 * Return: 0 or -ENOMEM.
 */
int dns_zones_add_defaults(struct dns_zones *z, uint32_t gateway,
			   uint32_t host_alias, const uint8_t *gateway6,
			   const uint8_t *host_alias6)
{
	static const char *const names[] = {"containers.internal.",
					    "docker.internal."};
	struct dns_ip gw = {.has4 = true, .ip = gateway};
	struct dns_ip host = {.has4 = true, .ip = host_alias};

	if (gateway6 && host_alias6) {
		gw.has6 = host.has6 = true;
		memcpy(gw.ip6, gateway6, 16);
		memcpy(host.ip6, host_alias6, 16);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct dns_zone *zone = zone_new(names[i], NULL, 0);

		if (!zone)
			return -ENOMEM;
		if (zone_add_record(zone, "gateway", NULL, &gw, NULL, 0) ||
		    zone_add_record(zone, "host", NULL, &host, NULL, 0)) {
			zone_free(zone);
			return -ENOMEM;
		}
		zone_reverse(zone);
		if (zones_merge(z, zone))
			return -ENOMEM;
	}
	return 0;
}

/* Go's encoding/json matches keys case-insensitively when not exact. */
static json_t *json_get_ci(json_t *obj, const char *key)
{
	const char *k;
	json_t *v, *exact = json_object_get(obj, key);

	if (exact)
		return exact;
	json_object_foreach(obj, k, v)
	{
		if (!strcasecmp(k, key))
			return v;
	}
	return NULL;
}

/* A string member that may be absent or null; -EINVAL for other types. */
static int json_opt_string(json_t *obj, const char *key, const char **out)
{
	json_t *v = json_get_ci(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -EINVAL;
	*out = json_string_value(v);
	return 0;
}

/* parse_ip() - an IPv4 or IPv6 address in text form. */
static int parse_ip(const char *s, struct dns_ip *ip)
{
	struct in_addr a;

	memset(ip, 0, sizeof(*ip));
	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &a) == 1) {
		ip->has4 = true;
		ip->ip = ntohl(a.s_addr);
		return 0;
	}
	if (inet_pton(AF_INET6, s, ip->ip6) == 1) {
		ip->has6 = true;
		return 0;
	}
	return -EINVAL;
}

static int parse_record(struct dns_zone *zone, json_t *rec, size_t idx,
			char *err, size_t errlen)
{
	const char *name, *ip_s, *re;
	struct dns_ip ip;

	if (!json_is_object(rec)) {
		set_err(err, errlen, "record %zu is not an object", idx);
		return -EINVAL;
	}
	if (json_opt_string(rec, "Name", &name) ||
	    json_opt_string(rec, "IP", &ip_s) ||
	    json_opt_string(rec, "Regexp", &re)) {
		set_err(err, errlen,
			"record %zu: Name, IP and Regexp must be strings", idx);
		return -EINVAL;
	}
	if (re && !*re)
		re = NULL;
	if ((!name || !*name) && !re) {
		set_err(err, errlen, "record %zu has neither Name nor Regexp",
			idx);
		return -EINVAL;
	}
	if (parse_ip(ip_s, &ip)) {
		set_err(err, errlen, "record %zu: invalid IP address \"%s\"",
			idx, ip_s ? ip_s : "");
		return -EINVAL;
	}
	return zone_add_record(zone, name, re, &ip, err, errlen) ? -EINVAL : 0;
}

static struct dns_zone *parse_zone(json_t *root, char *err, size_t errlen)
{
	const char *name, *def;
	struct dns_zone *zone;
	json_t *recs;

	if (!json_is_object(root)) {
		set_err(err, errlen, "zone must be a JSON object");
		return NULL;
	}
	if (json_opt_string(root, "Name", &name) || !name || !*name) {
		set_err(err, errlen, "zone Name must be a non-empty string");
		return NULL;
	}
	zone = zone_new(name, err, errlen);
	if (!zone)
		return NULL;
	recs = json_get_ci(root, "Records");
	zone->recs_null = !recs || json_is_null(recs);
	if (!zone->recs_null) {
		size_t i;
		json_t *rec;

		if (!json_is_array(recs)) {
			set_err(err, errlen, "Records must be an array");
			goto fail;
		}
		json_array_foreach(recs, i, rec)
		{
			if (parse_record(zone, rec, i, err, errlen))
				goto fail;
		}
	}
	if (json_opt_string(root, "DefaultIP", &def)) {
		set_err(err, errlen, "DefaultIP must be a string");
		goto fail;
	}
	if (def && *def) {
		struct dns_ip ip;

		if (parse_ip(def, &ip)) {
			set_err(err, errlen, "invalid DefaultIP \"%s\"", def);
			goto fail;
		}
		zone->has_default = ip.has4;
		zone->default_ip = ip.ip;
		zone->has_default6 = ip.has6;
		memcpy(zone->default_ip6, ip.ip6, 16);
	}
	zone_reverse(zone);
	return zone;
fail:
	zone_free(zone);
	return NULL;
}

/**
 * dns_zones_add_json() - add or merge one zone given in gvproxy's JSON.
 * @z: list
 * @json: text of one zone object, not necessarily NUL-terminated
 * @len: length of @json
 * @err: receives a message on failure (may be NULL)
 * @errlen: room in @err
 *
 * Keys are matched like Go's encoding/json (exact, else ignoring case).
 * Name is required; each record needs an "IP" (IPv4 or IPv6) and a Name or Regexp.
 *
 * Return: 0, -EINVAL (bad JSON, name, IP or regexp), or -ENOMEM.
 */
int dns_zones_add_json(struct dns_zones *z, const char *json, size_t len,
		       char *err, size_t errlen)
{
	json_error_t jerr;
	struct dns_zone *zone;
	json_t *root;
	int rc;

	root = json_loadb(json, len, 0, &jerr);
	if (!root) {
		set_err(err, errlen, "invalid JSON: %s", jerr.text);
		return -EINVAL;
	}
	zone = parse_zone(root, err, errlen);
	json_decref(root);
	if (!zone)
		return -EINVAL;
	rc = zones_merge(z, zone);
	if (rc)
		set_err(err, errlen, "out of memory");
	return rc;
}

/* ip_json() - the IPv4 address when there is one, else the IPv6 one */
static json_t *ip_json(bool has4, uint32_t ip, const uint8_t *ip6)
{
	char buf[INET6_ADDRSTRLEN];
	struct in_addr a = {.s_addr = htonl(ip)};

	if (has4)
		inet_ntop(AF_INET, &a, buf, sizeof(buf));
	else
		inet_ntop(AF_INET6, ip6, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *zone_json(const struct dns_zone *zone)
{
	json_t *obj = json_object(), *recs = json_array();

	for (size_t i = zone->nrecs; i-- > 0;) {
		const struct dns_record *r = zone->recs[i];
		json_t *ro = json_object();

		json_object_set_new(ro, "Name",
				    json_string(r->name ? r->name : ""));
		json_object_set_new(ro, "IP", ip_json(r->has4, r->ip, r->ip6));
		json_object_set_new(ro, "Regexp",
				    r->regexp ? json_string(r->regexp)
					      : json_null());
		json_array_append_new(recs, ro);
	}
	json_object_set_new(obj, "Name", json_string(zone->name));
	if (zone->recs_null && !zone->nrecs) {
		json_decref(recs);
		recs = json_null();
	}
	json_object_set_new(obj, "Records", recs);
	json_object_set_new(obj, "DefaultIP",
			    zone->has_default || zone->has_default6
				    ? ip_json(zone->has_default,
					      zone->default_ip,
					      zone->default_ip6)
				    : json_string(""));
	return obj;
}

/*
 * go_escape() - Go's json.Encoder escapes <, > and & (and U+2028/2029)
 * inside strings; those bytes can only occur inside strings in JSON text,
 * so a plain rewrite of the whole text is exact.
 */
static char *go_escape(char *s)
{
	size_t n = 0, extra = 0;
	char *out, *o;

	for (; s[n]; n++) {
		if (s[n] == '<' || s[n] == '>' || s[n] == '&')
			extra += 5;
		else if ((unsigned char)s[n] == 0xe2)
			extra += 3; /* maybe U+2028/2029: 3 bytes become 6 */
	}
	out = malloc(n + extra + 1);
	if (!out)
		return NULL;
	o = out;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '<' || c == '>' || c == '&') {
			o += sprintf(o, "\\u%04x", c);
		} else if (c == 0xe2 && i + 2 < n &&
			   (unsigned char)s[i + 1] == 0x80 &&
			   ((unsigned char)s[i + 2] == 0xa8 ||
			    (unsigned char)s[i + 2] == 0xa9)) {
			o += sprintf(o, "\\u%04x",
				     (unsigned char)s[i + 2] == 0xa8 ? 0x2028
								     : 0x2029);
			i += 2;
		} else {
			*o++ = (char)c;
		}
	}
	*o = '\0';
	return out;
}

/**
 * dns_zones_to_json() - all zones in the shape of gvproxy's
 * /services/dns/all, without the trailing newline.
 * @z: list
 *
 * Return: malloc'd text, or NULL when out of memory.
 */
char *dns_zones_to_json(const struct dns_zones *z)
{
	json_t *arr = json_array();
	char *text, *out;

	if (!arr)
		return NULL;
	for (size_t i = 0; i < z->n; i++)
		json_array_append_new(arr, zone_json(z->zones[i]));
	text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	if (!text)
		return NULL;
	out = go_escape(text);
	free(text);
	return out;
}

static bool wire_eq_nocase(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x + 'a' - 'A');
		if (x != y)
			return false;
	}
	return true;
}

static bool record_match(const struct dns_record *r, const char *prefix)
{
	if (r->name && !strcasecmp(r->name, prefix))
		return true;
	return r->re && dns_regex_match(r->re, prefix);
}

/**
 * dns_zones_lookup() - resolve a name against the local zones.
 * @z: list
 * @wire: uncompressed wire name (as in struct dns_query)
 * @len: its length
 * @m: result
 */
void dns_zones_lookup(const struct dns_zones *z, const uint8_t *wire,
		      size_t len, struct dns_zone_match *m)
{
	size_t offs[DNS_LABELS_MAX];
	char prefix[DNS_TEXT_MAX];
	int n = dns_name_labels(wire, len, offs, DNS_LABELS_MAX);

	memset(m, 0, sizeof(*m));
	m->result = DNS_ZONE_NONE;
	if (n <= 0)
		return;
	for (size_t i = 0; i < z->n; i++) {
		const struct dns_zone *zone = z->zones[i];
		size_t start;

		if (n <= zone->nlabels)
			continue;
		start = offs[n - zone->nlabels];
		if (len - start != zone->wire_len ||
		    !wire_eq_nocase(wire + start, zone->wire, zone->wire_len))
			continue;
		m->zone_off = start;
		m->serial = zone->serial;
		m->result = DNS_ZONE_NXDOMAIN;
		if (dns_name_to_text(wire, start, prefix, sizeof(prefix)) < 0)
			return;
		/* per family, the first matching record that has one */
		for (size_t r = zone->nrecs; r-- > 0;) {
			const struct dns_record *rec = zone->recs[r];

			if (!record_match(rec, prefix))
				continue;
			m->result = DNS_ZONE_FOUND;
			if (rec->has4 && !m->has4) {
				m->has4 = true;
				m->ip = rec->ip;
			}
			if (rec->has6 && !m->has6) {
				m->has6 = true;
				memcpy(m->ip6, rec->ip6, 16);
			}
			if (m->has4 && m->has6)
				return;
		}
		if (m->result == DNS_ZONE_FOUND)
			return;
		if (zone->has_default || zone->has_default6) {
			m->result = DNS_ZONE_FOUND;
			m->has4 = zone->has_default;
			m->ip = zone->default_ip;
			m->has6 = zone->has_default6;
			memcpy(m->ip6, zone->default_ip6, 16);
		}
		return;
	}
}

/**
 * dns_zones_answer() - the local reply to a parsed query, if any.
 * @z: list
 * @q: a query for which dns_query_parse() returned 0
 * @out: destination (DNS_LOCAL_REPLY_MAX bytes always suffice)
 * @cap: room in @out
 *
 * Class IN only: A and AAAA get the address of their family; a local name
 * without one gets NOERROR with no answer; A and AAAA of a missing name in a zone get
 * NXDOMAIN. Both negative forms carry the zone's SOA (TTL 0, like the
 * A records: zones change at run time). Everything else is not local.
 *
 * Return: the reply length, 0 when the query is not for a local zone,
 * or -ENOSPC.
 */
int dns_zones_answer(const struct dns_zones *z, const struct dns_query *q,
		     uint8_t *out, size_t cap)
{
	struct dns_zone_match m;
	struct dns_writer w;

	if (!q->has_question || q->qclass != DNS_C_IN ||
	    (q->qtype != DNS_T_A && q->qtype != DNS_T_AAAA))
		return 0;
	dns_zones_lookup(z, q->qname, q->qname_len, &m);
	if (m.result == DNS_ZONE_NONE)
		return 0;
	dns_writer_init(&w, out, cap);
	if (m.result == DNS_ZONE_FOUND && q->qtype == DNS_T_A && m.has4) {
		dns_reply_begin(&w, q, DNS_RCODE_NOERROR, true);
		dns_put_a(&w, DNS_HDR_LEN, 0, m.ip);
	} else if (m.result == DNS_ZONE_FOUND && q->qtype == DNS_T_AAAA &&
		   m.has6) {
		dns_reply_begin(&w, q, DNS_RCODE_NOERROR, true);
		dns_put_aaaa(&w, DNS_HDR_LEN, 0, m.ip6);
	} else {
		dns_reply_begin(&w, q,
				m.result == DNS_ZONE_FOUND ? DNS_RCODE_NOERROR
							   : DNS_RCODE_NXDOMAIN,
				true);
		dns_put_soa(&w, (uint16_t)(DNS_HDR_LEN + m.zone_off), 0,
			    m.serial, 0);
	}
	if (q->edns)
		dns_put_opt(&w, DNS_EDNS_PAYLOAD, DNS_RCODE_NOERROR);
	return dns_writer_finish(&w);
}
