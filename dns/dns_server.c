/*
 * dns_server.c - the resolver at gateway:53: local zones answered
 * synchronously, everything else relayed as is to the host's resolvers
 * with c-ares, driven by the libuv loop (one uv_poll_t per c-ares socket,
 * announced through ARES_OPT_SOCK_STATE_CB, and one uv_timer_t for c-ares
 * timeouts). No threads.
 *
 * Forwarded queries live in a fixed pool (DNS_MAX_PENDING): when it is
 * full, new ones get SERVFAIL at once instead of queueing. A pool entry
 * stays taken until c-ares calls back, even when cancelled, because c-ares
 * still holds a pointer to it; a cancelled entry just has no reply
 * function any more.
 *
 * Ownership: @relay (the one buffer upstream replies are fixed up in) and
 * the pool are part of struct dns_server, which is freed by the close
 * callback of its timer; each uv_poll_t is freed by its own close callback.
 */
#include "dns/dns_server.h"

#include <ares.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_codec.h"
#include "dns/dns_zones.h"
#define LOG_SUBSYS LOG_SS_DNS
#include "util/log.h"

#define DNS_MAX_PENDING 256
#define DNS_DEFAULT_TIMEOUT_MS 2000
#define DNS_DEFAULT_TRIES 2

/*
 * struct dns_pending - a query sent upstream. @q is kept to build the
 * SERVFAIL reply (id and question) if upstream fails; @limit is the
 * guest's reply size limit.
 */
struct dns_pending {
	struct dns_server *s;
	dns_reply_fn fn; /* NULL: cancelled (or free) */
	void *arg;
	size_t limit;
	uint64_t sent_ns; /* uv_hrtime() when relayed, for the histogram */
	bool busy;
	struct dns_pending *next_free;
	struct dns_query q;
};

/* struct dns_sock - the uv_poll_t watching one c-ares socket. */
struct dns_sock {
	uv_poll_t poll;
	ares_socket_t fd;
	struct dns_server *s;
	struct dns_sock *next;
};

struct dns_server {
	uv_loop_t *loop;
	struct dns_zones *zones;
	ares_channel channel; /* NULL: c-ares failed, local zones only */
	bool lib_init;
	bool destroying;
	uv_timer_t timer;
	struct dns_sock *socks;
	struct dns_pending *free_list;
	struct dns_counters ctr;
	struct dns_latency lat;
	struct dns_pending pending[DNS_MAX_PENDING];
	uint8_t relay[DNS_MSG_MAX];
};

static void dns_timer_arm(struct dns_server *s);

static void dns_timer_cb(uv_timer_t *t)
{
	struct dns_server *s = t->data;

	ares_process_fd(s->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_timer_arm(s);
}

/* dns_timer_arm() - wake up when c-ares next has a timeout to handle. */
static void dns_timer_arm(struct dns_server *s)
{
	struct timeval tv, *tvp;
	uint64_t ms;

	if (!s->channel || s->destroying)
		return;
	tvp = ares_timeout(s->channel, NULL, &tv);
	if (!tvp) {
		uv_timer_stop(&s->timer);
		return;
	}
	/* round up, so the timer never fires just before the deadline */
	ms = (uint64_t)tvp->tv_sec * 1000 +
	     ((uint64_t)tvp->tv_usec + 999) / 1000;
	uv_timer_start(&s->timer, dns_timer_cb, ms, 0);
}

static void dns_sock_close_cb(uv_handle_t *h)
{
	free(h->data);
}

static void dns_poll_cb(uv_poll_t *h, int status, int events)
{
	struct dns_sock *ds = h->data;
	struct dns_server *s = ds->s;
	ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;

	if (status < 0) {
		/* let c-ares find the error itself */
		rfd = ds->fd;
		wfd = ds->fd;
	} else {
		if (events & UV_READABLE)
			rfd = ds->fd;
		if (events & UV_WRITABLE)
			wfd = ds->fd;
	}
	/* may close this very handle through dns_sock_state_cb() */
	ares_process_fd(s->channel, rfd, wfd);
	dns_timer_arm(s);
}

/*
 * dns_sock_state_cb() - c-ares opened, changed or is about to close one of
 * its sockets. On close it calls this before closing the fd, so the poll
 * handle stops watching the fd while it is still open.
 */
static void dns_sock_state_cb(void *data, ares_socket_t fd, int readable,
			      int writable)
{
	struct dns_server *s = data;
	struct dns_sock **pp, *ds;
	int events, rc;

	for (pp = &s->socks; *pp && (*pp)->fd != fd; pp = &(*pp)->next)
		;
	ds = *pp;
	if (!readable && !writable) {
		if (ds) {
			*pp = ds->next;
			uv_close((uv_handle_t *)&ds->poll, dns_sock_close_cb);
		}
		return;
	}
	if (!ds) {
		ds = calloc(1, sizeof(*ds));
		if (!ds) {
			log_err("dns: out of memory watching a c-ares socket");
			return;
		}
		rc = uv_poll_init_socket(s->loop, &ds->poll, fd);
		if (rc) {
			log_err("dns: cannot watch c-ares socket %d: %s",
				(int)fd, uv_strerror(rc));
			free(ds);
			return;
		}
		ds->fd = fd;
		ds->s = s;
		ds->poll.data = ds;
		ds->next = s->socks;
		s->socks = ds;
	}
	events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
	rc = uv_poll_start(&ds->poll, events, dns_poll_cb);
	if (rc)
		log_err("dns: cannot poll c-ares socket %d: %s", (int)fd,
			uv_strerror(rc));
}

static void pending_release(struct dns_server *s, struct dns_pending *p)
{
	p->busy = false;
	p->fn = NULL;
	p->arg = NULL;
	p->next_free = s->free_list;
	s->free_list = p;
}

/*
 * dns_ares_cb() - c-ares is done with a forwarded query: relay its answer
 * under the guest's id (c-ares sent its own), cut to the guest's limit, or
 * SERVFAIL. Also runs, with ARES_EDESTRUCTION, inside ares_destroy().
 */
static void dns_ares_cb(void *arg, int status, int timeouts,
			unsigned char *abuf, int alen)
{
	struct dns_pending *p = arg;
	struct dns_server *s = p->s;
	uint8_t err[DNS_LOCAL_REPLY_MAX];
	dns_reply_fn fn = p->fn;
	void *uarg = p->arg;
	const uint8_t *msg = NULL;
	int n = -1;

	if (s->destroying)
		return;
	/* uv_hrtime() is a vDSO clock read, no syscall */
	dns_latency_observe(&s->lat, (uv_hrtime() - p->sent_ns) / 1000);
	if (fn && status == ARES_SUCCESS && abuf && alen > 0 &&
	    (size_t)alen <= sizeof(s->relay)) {
		memcpy(s->relay, abuf, (size_t)alen);
		n = dns_relay_fixup(s->relay, (size_t)alen, p->q.hdr.id,
				    p->limit);
		msg = s->relay;
	}
	if (fn && n < 0) {
		log_debug("dns: upstream failed after %d timeouts: %s",
			  timeouts, ares_strerror(status));
		n = dns_build_error(&p->q, DNS_RCODE_SERVFAIL, err,
				    sizeof(err));
		msg = err;
		s->ctr.servfail++;
	}
	/* release first: @fn may query again or cancel */
	pending_release(s, p);
	if (fn && n >= 0)
		fn(uarg, msg, (size_t)n);
}

static int reply_servfail(struct dns_server *s, const struct dns_query *q,
			  bool tcp, dns_reply_fn fn, void *arg)
{
	uint8_t out[DNS_LOCAL_REPLY_MAX];
	int n = dns_build_error(q, DNS_RCODE_SERVFAIL, out, sizeof(out));

	if (n < 0) {
		s->ctr.dropped++;
		return -EINVAL;
	}
	s->ctr.servfail++;
	fn(arg, out, dns_truncate(out, (size_t)n, dns_reply_limit(q, tcp)));
	return 0;
}

/* dns_debug_query() - the debug line of one query from the guest */
static void dns_debug_query(const struct dns_query *q, bool tcp,
			    const char *how)
{
	char name[DNS_TEXT_MAX];

	if (!q->has_question ||
	    dns_name_to_text(q->qname, q->qname_len, name, sizeof(name)) < 0)
		snprintf(name, sizeof(name), "-");
	log_debug("dns: query %s type %u over %s: %s", name, q->qtype,
		  tcp ? "tcp" : "udp", how);
}

/* answer_local() - dns_server_answer_local() keeping the parsed query. */
static int answer_local(struct dns_server *s, const uint8_t *msg, size_t len,
			bool tcp, struct dns_query *q, uint8_t *out, size_t cap)
{
	unsigned int rcode;
	int n;

	switch (dns_query_parse(msg, len, q)) {
	case 0:
		break;
	case -EOPNOTSUPP:
		rcode = DNS_RCODE_NOTIMP;
		goto error;
	case -EBADMSG:
		log_rl("dns: malformed query (%zu bytes), FORMERR", len);
		rcode = DNS_RCODE_FORMERR;
		goto error;
	default:
		log_rl("dns: dropped a %zu-byte message that is no query", len);
		s->ctr.dropped++;
		return -EINVAL;
	}
	if (q->edns && q->edns_version != 0) {
		rcode = DNS_RCODE_BADVERS;
		goto error;
	}
	n = dns_zones_answer(s->zones, q, out, cap);
	if (n == 0)
		return 0;
	if (n < 0) {
		n = dns_build_error(q, DNS_RCODE_SERVFAIL, out, cap);
		if (n < 0)
			goto drop;
		s->ctr.servfail++;
	} else {
		s->ctr.local_answers++;
	}
	return (int)dns_truncate(out, (size_t)n, dns_reply_limit(q, tcp));
error:
	n = dns_build_error(q, rcode, out, cap);
	if (n < 0)
		goto drop;
	s->ctr.formerr++;
	return (int)dns_truncate(out, (size_t)n, dns_reply_limit(q, tcp));
drop:
	s->ctr.dropped++;
	return -EINVAL;
}

/**
 * dns_server_answer_local() - parse a query and build the reply that
 * needs no upstream (local zones, FORMERR, NOTIMP, BADVERS).
 * @s: server
 * @q: query bytes (untrusted)
 * @len: length of @q
 * @tcp: the query came over TCP (reply size limit)
 * @out: destination, DNS_LOCAL_REPLY_MAX bytes suffice
 * @cap: room in @out
 *
 * Return: reply length, 0 when the query must be forwarded, -EINVAL when
 * it is dropped (counted).
 */
int dns_server_answer_local(struct dns_server *s, const uint8_t *q, size_t len,
			    bool tcp, uint8_t *out, size_t cap)
{
	struct dns_query pq;
	int n = answer_local(s, q, len, tcp, &pq, out, cap);

	/* a query left for upstream is counted by dns_server_query() */
	if (n != 0)
		s->ctr.queries++;
	if (n > 0 && log_debug_on(LOG_SS_DNS))
		dns_debug_query(&pq, tcp, "local");
	return n;
}

/**
 * dns_server_query() - answer one DNS message from the guest.
 * @s: server
 * @q: the message (untrusted), borrowed for the call
 * @len: its length
 * @tcp: it came over TCP (reply limit 65535 instead of 512/EDNS0 size)
 * @fn: reply callback, called synchronously for local answers and
 *      errors, from the loop for forwarded queries
 * @arg: for @fn, and the key for dns_server_cancel()
 *
 * Forwarded queries are sent as they are (any type, EDNS0 and DNSSEC bits
 * included); upstream failure or timeout gives SERVFAIL, never silence.
 *
 * Return: 0 when @fn will be (or was) called, -EINVAL when dropped.
 */
int dns_server_query(struct dns_server *s, const uint8_t *q, size_t len,
		     bool tcp, dns_reply_fn fn, void *arg)
{
	uint8_t out[DNS_LOCAL_REPLY_MAX];
	struct dns_query pq;
	struct dns_pending *p;
	int n;

	s->ctr.queries++;
	n = answer_local(s, q, len, tcp, &pq, out, sizeof(out));
	if (n < 0)
		return -EINVAL;
	if (log_debug_on(LOG_SS_DNS))
		dns_debug_query(&pq, tcp, n > 0 ? "local" : "upstream");
	if (n > 0) {
		fn(arg, out, (size_t)n);
		return 0;
	}
	if (!s->channel || s->destroying)
		return reply_servfail(s, &pq, tcp, fn, arg);
	p = s->free_list;
	if (!p) {
		log_rl("dns: %d queries pending upstream, SERVFAIL",
		       DNS_MAX_PENDING);
		return reply_servfail(s, &pq, tcp, fn, arg);
	}
	s->free_list = p->next_free;
	p->busy = true;
	p->fn = fn;
	p->arg = arg;
	p->limit = dns_reply_limit(&pq, tcp);
	p->q = pq;
	p->sent_ns = uv_hrtime();
	s->ctr.forwarded++;
	/* may call dns_ares_cb() right away (e.g. no usable server) */
	ares_send(s->channel, q, (int)len, dns_ares_cb, p);
	dns_timer_arm(s);
	return 0;
}

/**
 * dns_server_cancel() - make sure no pending reply for @arg is delivered.
 * @s: server
 * @arg: the arg given to dns_server_query()
 */
void dns_server_cancel(struct dns_server *s, void *arg)
{
	for (size_t i = 0; i < DNS_MAX_PENDING; i++) {
		struct dns_pending *p = &s->pending[i];

		if (p->busy && p->arg == arg) {
			p->fn = NULL;
			p->arg = NULL;
		}
	}
}

static int dns_ares_init(struct dns_server *s,
			 const struct dns_server_config *cfg)
{
	struct ares_options o;
	int rc;

	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		log_err("dns: c-ares: %s", ares_strerror(rc));
		return -EIO;
	}
	s->lib_init = true;
	memset(&o, 0, sizeof(o));
	o.sock_state_cb = dns_sock_state_cb;
	o.sock_state_cb_data = s;
	o.timeout = (int)(cfg->timeout_ms ? cfg->timeout_ms
					  : DNS_DEFAULT_TIMEOUT_MS);
	o.tries = (int)(cfg->tries ? cfg->tries : DNS_DEFAULT_TRIES);
	rc = ares_init_options(&s->channel, &o,
			       ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS |
				       ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		/* not fatal: local names still resolve */
		log_warn("dns: no upstream (c-ares: %s), forwarding fails",
			 ares_strerror(rc));
		s->channel = NULL;
		return 0;
	}
	if (cfg->upstream_servers) {
		rc = ares_set_servers_ports_csv(s->channel,
						cfg->upstream_servers);
		if (rc != ARES_SUCCESS) {
			log_err("dns: bad upstream server list \"%s\": %s",
				cfg->upstream_servers, ares_strerror(rc));
			return -EINVAL;
		}
	}
	return 0;
}

static void dns_server_close_cb(uv_handle_t *h)
{
	free(h->data);
}

/**
 * dns_server_create() - a resolver on @loop.
 * @loop: the loop c-ares is driven from
 * @cfg: configuration (copied; NULL means all defaults)
 *
 * Return: the server, or NULL (logged) on failure.
 */
struct dns_server *dns_server_create(uv_loop_t *loop,
				     const struct dns_server_config *cfg)
{
	static const struct dns_server_config defaults;
	struct dns_server *s;
	int rc;

	if (!cfg)
		cfg = &defaults;
	s = calloc(1, sizeof(*s));
	if (!s) {
		log_err("dns: out of memory");
		return NULL;
	}
	s->loop = loop;
	for (size_t i = DNS_MAX_PENDING; i-- > 0;) {
		s->pending[i].s = s;
		s->pending[i].next_free = s->free_list;
		s->free_list = &s->pending[i];
	}
	s->zones = dns_zones_create();
	if (!s->zones ||
	    (!cfg->no_default_zones &&
	     dns_zones_add_defaults(s->zones, cfg->gateway, cfg->host_alias,
				    cfg->gateway6, cfg->host_alias6))) {
		log_err("dns: out of memory");
		goto fail;
	}
	rc = dns_ares_init(s, cfg);
	if (rc)
		goto fail;
	rc = uv_timer_init(loop, &s->timer);
	if (rc) {
		log_err("dns: timer: %s", uv_strerror(rc));
		goto fail;
	}
	s->timer.data = s;
	return s;
fail:
	/* no handle exists yet: free synchronously */
	s->destroying = true;
	if (s->channel)
		ares_destroy(s->channel);
	if (s->lib_init)
		ares_library_cleanup();
	dns_zones_destroy(s->zones);
	free(s);
	return NULL;
}

/**
 * dns_server_destroy() - stop resolving; pending replies are never
 * delivered. The poll handles and the timer are closed here and freed by
 * their close callbacks (the server memory with the timer's), so the
 * caller must run the loop afterwards. Not from inside a dns_reply_fn.
 * @s: server, or NULL
 */
void dns_server_destroy(struct dns_server *s)
{
	if (!s)
		return;
	s->destroying = true;
	/* runs dns_ares_cb (ignored) and dns_sock_state_cb for each socket */
	if (s->channel)
		ares_destroy(s->channel);
	s->channel = NULL;
	while (s->socks) {
		struct dns_sock *ds = s->socks;

		s->socks = ds->next;
		uv_close((uv_handle_t *)&ds->poll, dns_sock_close_cb);
	}
	if (s->lib_init)
		ares_library_cleanup();
	dns_zones_destroy(s->zones);
	s->zones = NULL;
	uv_close((uv_handle_t *)&s->timer, dns_server_close_cb);
}

/**
 * dns_server_zones_json() - all zones as gvproxy's /services/dns/all.
 * @s: server
 *
 * Return: malloc'd JSON text (no trailing newline), NULL if out of memory.
 */
char *dns_server_zones_json(struct dns_server *s)
{
	return dns_zones_to_json(s->zones);
}

/**
 * dns_server_add_zone_json() - gvproxy's /services/dns/add.
 * @s: server
 * @json: one zone object (not necessarily NUL-terminated)
 * @len: length of @json
 * @err: receives the reason on failure (may be NULL)
 * @errlen: room in @err
 *
 * Return: 0, -EINVAL (bad JSON, name, IP or regexp) or -ENOMEM.
 */
int dns_server_add_zone_json(struct dns_server *s, const char *json, size_t len,
			     char *err, size_t errlen)
{
	int rc = dns_zones_add_json(s->zones, json, len, err, errlen);

	if (rc)
		log_warn("dns: zone not added: %s",
			 err && errlen ? err : "invalid");
	return rc;
}

/**
 * dns_server_counters() - the server's counters.
 * @s: server
 *
 * Return: a pointer valid until dns_server_destroy().
 */
const struct dns_counters *dns_server_counters(const struct dns_server *s)
{
	return &s->ctr;
}

/* Prometheus' default buckets below 10 s, and 0.5 ms for a local resolver */
const uint32_t dns_latency_bound_us[DNS_LAT_BUCKETS] = {
	500,	1000,	2500,	5000,	 10000,	  25000,   50000,
	100000, 250000, 500000, 1000000, 2500000, 5000000,
};

/**
 * dns_latency_observe() - count one upstream latency.
 * @h: the histogram
 * @us: the latency in microseconds
 */
void dns_latency_observe(struct dns_latency *h, uint64_t us)
{
	unsigned int i = 0;

	while (i < DNS_LAT_BUCKETS && us > dns_latency_bound_us[i])
		i++;
	h->bucket[i]++;
	h->count++;
	h->sum_us += us;
}

/**
 * dns_server_latency() - the upstream latency histogram.
 * @s: server
 *
 * Return: a pointer valid until dns_server_destroy().
 */
const struct dns_latency *dns_server_latency(const struct dns_server *s)
{
	return &s->lat;
}

struct dns_counters *dns_server_tcp_counters(struct dns_server *s)
{
	return (struct dns_counters *)dns_server_counters(s);
}
