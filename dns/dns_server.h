/*
 * dns_server.h - the resolver the guest sees at gateway:53. Transport
 * neutral: the stack glue hands it one DNS message (a UDP payload, or one
 * message of a TCP stream without its 2-byte length) and gets the reply
 * through a callback, synchronously for local zones, later for upstream.
 *
 * Local zones answer A and AAAA for their names (exact or regexp records,
 * or the zone's default IP), NOERROR/empty for a local name without an
 * address of the family asked, NXDOMAIN with
 * the zone's SOA for a miss; everything else is relayed to the host's
 * resolvers through c-ares on the libuv loop.
 */
#ifndef QCW_DNS_SERVER_H
#define QCW_DNS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct dns_server;

/*
 * dns_reply_fn - a reply is ready. @msg is borrowed for the call only.
 * Called exactly once per accepted query, unless cancelled first.
 */
typedef void (*dns_reply_fn)(void *arg, const uint8_t *msg, size_t len);

struct dns_server_config {
	uint32_t gateway; /* host byte order, for gateway.<zone> */
	uint32_t host_alias; /* host.<zone> */
	/* AAAA of gateway.<zone> and host.<zone>; NULL (either): none */
	const uint8_t *gateway6, *host_alias6;
	bool no_default_zones; /* true: start with no zones (config file mode) */
	unsigned int timeout_ms; /* upstream timeout per try, default 2000 */
	unsigned int tries; /* default 2 */
	/* NULL: the host's resolvers as c-ares finds them; otherwise a
	 * comma-separated "ip[:port]" list (tests). */
	const char *upstream_servers;
};

/*
 * struct dns_counters - @local_answers: replies from the local zones;
 * @formerr: FORMERR, NOTIMP and BADVERS replies; @servfail: SERVFAIL
 * replies (upstream failed or timed out, too many pending queries);
 * @dropped: queries given no reply at all (no header, or a response).
 * DNS over TCP at the gateway (gateway/gw_dns.c): @tcp_idle_closed:
 * connections closed after the idle timeout; @tcp_paused: times a
 * connection stopped reading queries because its answers were not read.
 */
struct dns_counters {
	uint64_t queries, local_answers, forwarded, servfail, formerr, dropped;
	uint64_t tcp_idle_closed, tcp_paused;
};

struct dns_server *dns_server_create(uv_loop_t *loop,
				     const struct dns_server_config *cfg);
/*
 * dns_server_destroy() - pending callbacks are not called. Accepts NULL.
 * The server's libuv handles are closed, not freed: the caller must run
 * the loop afterwards (e.g. uv_run(loop, UV_RUN_DEFAULT)) so their close
 * callbacks free them. Must not be called from inside a dns_reply_fn.
 */
void dns_server_destroy(struct dns_server *s);

/*
 * dns_server_query() - answer @q (untrusted). @tcp selects the size limit
 * of the reply (UDP: 512 or the EDNS0 size, with TC set when cut; TCP:
 * 65535). Return 0 when @fn will be (or already was) called, -EINVAL when
 * the message is dropped (counted).
 */
int dns_server_query(struct dns_server *s, const uint8_t *q, size_t len,
		     bool tcp, dns_reply_fn fn, void *arg);

/* dns_server_cancel() - forget every pending query whose arg is @arg. */
void dns_server_cancel(struct dns_server *s, void *arg);

/*
 * dns_server_answer_local() - the synchronous half of dns_server_query(),
 * without I/O (the fuzzer's entry point): build into @out (@cap bytes,
 * DNS_LOCAL_REPLY_MAX of dns_codec.h suffice) the reply that needs no
 * upstream: local zones, FORMERR, NOTIMP, BADVERS. Return its length, 0
 * when the query must be forwarded, -EINVAL when it is dropped.
 */
int dns_server_answer_local(struct dns_server *s, const uint8_t *q, size_t len,
			    bool tcp, uint8_t *out, size_t cap);

/* Zone API, JSON shapes of gvproxy's /services/dns/all and /add. */
/* dns_server_zones_json() - malloc'd JSON text of all zones. */
char *dns_server_zones_json(struct dns_server *s);
/*
 * dns_server_add_zone_json() - merge one zone; 0, -EINVAL (+ @err text)
 * or -ENOMEM.
 */
int dns_server_add_zone_json(struct dns_server *s, const char *json, size_t len,
			     char *err, size_t errlen);

const struct dns_counters *dns_server_counters(const struct dns_server *s);

/*
 * struct dns_latency - a fixed-bucket histogram of upstream latency: the
 * time from relaying a query to c-ares' answer or failure (a timeout is
 * observed too). @bucket[i] counts observations <= dns_latency_bound_us[i]
 * (not cumulative); @bucket[DNS_LAT_BUCKETS] the ones above the last
 * bound; @sum_us their total. Updated in place: no allocation per query.
 */
#define DNS_LAT_BUCKETS 13
extern const uint32_t dns_latency_bound_us[DNS_LAT_BUCKETS];
struct dns_latency {
	uint64_t bucket[DNS_LAT_BUCKETS + 1];
	uint64_t count, sum_us;
};

/* dns_latency_observe() - add one observation of @us microseconds. */
void dns_latency_observe(struct dns_latency *h, uint64_t us);
const struct dns_latency *dns_server_latency(const struct dns_server *s);
/* dns_server_tcp_counters() - the same, for the TCP front end to count. */
struct dns_counters *dns_server_tcp_counters(struct dns_server *s);

#endif
