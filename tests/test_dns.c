/*
 * test_dns.c - unit tests of the DNS module: the codec (names, compression
 * pointers, limits, EDNS0, truncation), the local zones and their JSON API,
 * and forwarding through c-ares on a real libuv loop against a small DNS
 * server (UDP and TCP on 127.0.0.1, random port) that lives in this file.
 * Every test that creates a loop ends with uv_loop_close() returning 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/be.h"
#include <uv.h>

#include "dns/dns_codec.h"
#include "dns/dns_server.h"
#include "dns/dns_zones.h"
#include "util/log.h"

#define GW 0xc0a87f01u /* 192.168.127.1 */
#define HOST 0xc0a87ffeu /* 192.168.127.254 */

/* ---- helpers: building queries, reading replies ---- */

static size_t put16(uint8_t *b, size_t n, uint16_t v)
{
	b[n] = (uint8_t)(v >> 8);
	b[n + 1] = (uint8_t)v;
	return n + 2;
}

/* mkquery() - a standard query with RD set; @edns 0: no OPT record. */
static size_t mkquery(uint8_t *b, uint16_t id, const char *name, uint16_t type,
		      uint16_t edns)
{
	size_t n, nl;

	memset(b, 0, DNS_HDR_LEN);
	put16(b, 0, id);
	put16(b, 2, DNS_FLAG_RD);
	put16(b, 4, 1);
	assert_int_equal(dns_name_from_text(name, b + DNS_HDR_LEN, &nl), 0);
	n = DNS_HDR_LEN + nl;
	n = put16(b, n, type);
	n = put16(b, n, DNS_C_IN);
	if (edns) {
		put16(b, 10, 1);
		b[n++] = 0;
		n = put16(b, n, DNS_T_OPT);
		n = put16(b, n, edns);
		n = put16(b, n, 0);
		n = put16(b, n, 0);
		n = put16(b, n, 0);
	}
	return n;
}

struct rr {
	uint8_t name[DNS_NAME_MAX];
	size_t name_len;
	uint16_t type, class;
	uint32_t ttl;
	size_t rdata;
	uint16_t rdlen;
};

/* parse_reply() - header and all records (question skipped). */
static int parse_reply(const uint8_t *m, size_t len, struct dns_header *h,
		       struct rr *rrs, int max)
{
	size_t pos = DNS_HDR_LEN;
	int n;

	assert_int_equal(dns_header_parse(m, len, h), 0);
	for (int i = 0; i < h->qdcount; i++) {
		assert_int_equal(dns_name_parse(m, len, &pos, NULL, NULL), 0);
		pos += 4;
	}
	n = h->ancount + h->nscount + h->arcount;
	assert_true(n <= max);
	for (int i = 0; i < n; i++) {
		struct rr *r = &rrs[i];

		assert_int_equal(
			dns_name_parse(m, len, &pos, r->name, &r->name_len), 0);
		assert_true(pos + 10 <= len);
		r->type = be16_get(m + pos);
		r->class = be16_get(m + pos + 2);
		r->ttl = be32_get(m + pos + 4);
		r->rdlen = be16_get(m + pos + 8);
		r->rdata = pos + 10;
		pos += 10 + r->rdlen;
		assert_true(pos <= len);
	}
	assert_int_equal(pos, len);
	return n;
}

static void assert_name(const uint8_t *wire, size_t len, const char *text)
{
	char buf[DNS_TEXT_MAX];

	assert_true(dns_name_to_text(wire, len, buf, sizeof(buf)) >= 0);
	assert_string_equal(buf, text);
}

/* ---- codec ---- */

static void test_name_compression(void **state)
{
	uint8_t m[64] = {0}, name[DNS_NAME_MAX];
	size_t pos, nl;

	memcpy(m + 12,
	       "\x07"
	       "example"
	       "\x03"
	       "com"
	       "\x00",
	       13);
	memcpy(m + 25,
	       "\x03"
	       "www"
	       "\xc0\x0c",
	       6);
	memcpy(m + 31,
	       "\x04"
	       "mail"
	       "\xc0\x19",
	       7);

	pos = 25;
	assert_int_equal(dns_name_parse(m, 38, &pos, name, &nl), 0);
	assert_int_equal(pos, 31);
	assert_int_equal(nl, 17);
	assert_name(name, nl, "www.example.com.");

	pos = 31;
	assert_int_equal(dns_name_parse(m, 38, &pos, name, &nl), 0);
	assert_int_equal(pos, 38);
	assert_name(name, nl, "mail.www.example.com.");

	/* a pointer cut in half */
	pos = 25;
	assert_int_equal(dns_name_parse(m, 30, &pos, name, &nl), -EBADMSG);
	/* reserved label types 01 and 10 */
	m[40] = 0x41;
	pos = 40;
	assert_int_equal(dns_name_parse(m, 64, &pos, NULL, NULL), -EBADMSG);
	m[40] = 0x81;
	assert_int_equal(dns_name_parse(m, 64, &pos, NULL, NULL), -EBADMSG);
}

static void test_pointer_loop(void **state)
{
	uint8_t m[256] = {0};
	size_t pos;

	/* points at itself */
	memcpy(m + 12, "\xc0\x0c", 2);
	pos = 12;
	assert_int_equal(dns_name_parse(m, 14, &pos, NULL, NULL), -EBADMSG);
	/* points forward */
	memcpy(m + 12, "\xc0\x10\x00\x00\x00", 5);
	pos = 12;
	assert_int_equal(dns_name_parse(m, 17, &pos, NULL, NULL), -EBADMSG);
	/* a label then a pointer back to that label: a loop */
	memcpy(m + 12,
	       "\x01"
	       "a"
	       "\xc0\x0c",
	       4);
	pos = 12;
	assert_int_equal(dns_name_parse(m, 16, &pos, NULL, NULL), -EBADMSG);
	/* two names pointing at each other */
	memcpy(m + 12,
	       "\x01"
	       "a"
	       "\xc0\x10"
	       "\x01"
	       "b"
	       "\xc0\x0c",
	       8);
	pos = 16;
	assert_int_equal(dns_name_parse(m, 20, &pos, NULL, NULL), -EBADMSG);

	/* a chain of pointers to pointers: legal, but bounded */
	m[12] = 0;
	for (int i = 0; i < 100; i++) {
		m[13 + 2 * i] = 0xc0;
		m[14 + 2 * i] = (uint8_t)(i ? 13 + 2 * (i - 1) : 12);
	}
	pos = 13 + 2 * (DNS_MAX_JUMPS - 1);
	assert_int_equal(dns_name_parse(m, 213, &pos, NULL, NULL), 0);
	pos = 13 + 2 * DNS_MAX_JUMPS;
	assert_int_equal(dns_name_parse(m, 213, &pos, NULL, NULL), -EBADMSG);
}

static void test_label_and_name_limits(void **state)
{
	char text[400];
	uint8_t wire[DNS_NAME_MAX], m[600] = {0}, out[DNS_NAME_MAX];
	size_t nl, pos;

	/* text: 63-byte label fine, 64 not */
	memset(text, 'a', 63);
	strcpy(text + 63, ".x.");
	assert_int_equal(dns_name_from_text(text, wire, &nl), 0);
	memset(text, 'a', 64);
	strcpy(text + 64, ".x.");
	assert_int_equal(dns_name_from_text(text, wire, &nl), -EINVAL);
	assert_int_equal(dns_name_from_text("a..b", wire, &nl), -EINVAL);

	/* wire: 3x63 + 61 = 255 bytes with the root: fine */
	for (int i = 0; i < 3; i++) {
		m[12 + 64 * i] = 63;
		memset(m + 13 + 64 * i, 'x', 63);
	}
	m[204] = 61;
	memset(m + 205, 'y', 61);
	m[266] = 0;
	pos = 12;
	assert_int_equal(dns_name_parse(m, 267, &pos, out, &nl), 0);
	assert_int_equal(nl, 255);
	/* one byte more: 256 */
	m[204] = 62;
	memset(m + 205, 'y', 62);
	m[267] = 0;
	pos = 12;
	assert_int_equal(dns_name_parse(m, 268, &pos, out, &nl), -EBADMSG);

	/* too long only once a pointer is followed */
	memset(m, 0, sizeof(m));
	m[12] = 63;
	memset(m + 13, 'p', 63);
	m[76] = 63;
	memset(m + 77, 'q', 63);
	m[140] = 0; /* first name: 129 bytes */
	m[141] = 63;
	memset(m + 142, 'r', 63);
	m[205] = 63;
	memset(m + 206, 's', 63);
	m[269] = 0xc0;
	m[270] = 12; /* 128 + 129 = 257 */
	pos = 141;
	assert_int_equal(dns_name_parse(m, 271, &pos, out, &nl), -EBADMSG);
}

static void test_truncated_messages(void **state)
{
	uint8_t q[512];
	struct dns_query pq;
	size_t len = mkquery(q, 7, "www.example.com.", DNS_T_A, 1232);

	assert_int_equal(dns_query_parse(q, len, &pq), 0);
	for (size_t i = 0; i < len; i++) {
		int rc = dns_query_parse(q, i, &pq);

		if (i < DNS_HDR_LEN)
			assert_int_equal(rc, -EINVAL);
		else
			assert_int_equal(rc, -EBADMSG);
	}
	/* rdlength running past the end */
	q[len - 1] = 4;
	assert_int_equal(dns_query_parse(q, len, &pq), -EBADMSG);
}

static void test_query_header_checks(void **state)
{
	uint8_t q[512];
	struct dns_query pq;
	size_t len = mkquery(q, 7, "a.b.", DNS_T_A, 0);

	q[2] |= 0x80; /* QR: a response, not a query */
	assert_int_equal(dns_query_parse(q, len, &pq), -EINVAL);
	q[2] &= 0x7f;
	q[2] |= 2 << 3; /* opcode STATUS */
	assert_int_equal(dns_query_parse(q, len, &pq), -EOPNOTSUPP);
	assert_true(pq.has_question);
	q[2] &= (uint8_t) ~(0xf << 3);
	q[5] = 2; /* two questions */
	assert_int_equal(dns_query_parse(q, len, &pq), -EBADMSG);
	q[5] = 0;
	assert_int_equal(dns_query_parse(q, len, &pq), -EBADMSG);
	q[5] = 1;
	assert_int_equal(dns_query_parse(q, len, &pq), 0);
	assert_int_equal(pq.hdr.id, 7);
	assert_int_equal(pq.qtype, DNS_T_A);
	assert_false(pq.edns);
}

static void test_edns_size(void **state)
{
	uint8_t q[512];
	struct dns_query pq;
	size_t len;

	len = mkquery(q, 1, "a.b.", DNS_T_A, 0);
	assert_int_equal(dns_query_parse(q, len, &pq), 0);
	assert_int_equal(dns_reply_limit(&pq, false), 512);
	assert_int_equal(dns_reply_limit(&pq, true), 65535);

	len = mkquery(q, 1, "a.b.", DNS_T_A, 1232);
	assert_int_equal(dns_query_parse(q, len, &pq), 0);
	assert_true(pq.edns);
	assert_int_equal(pq.edns_udp, 1232);
	assert_int_equal(dns_reply_limit(&pq, false), 1232);

	len = mkquery(q, 1, "a.b.", DNS_T_A, 100);
	assert_int_equal(dns_query_parse(q, len, &pq), 0);
	assert_int_equal(dns_reply_limit(&pq, false), 512);

	len = mkquery(q, 1, "a.b.", DNS_T_A, 65000);
	assert_int_equal(dns_query_parse(q, len, &pq), 0);
	assert_int_equal(dns_reply_limit(&pq, false), DNS_UDP_MAX);
	assert_int_equal(dns_reply_limit(&pq, true), 65535);

	/* DO bit and version */
	q[len - 4] = 0x80;
	q[len - 5] = 1;
	assert_int_equal(dns_query_parse(q, len, &pq), 0);
	assert_true(pq.edns_do);
	assert_int_equal(pq.edns_version, 1);

	/* two OPT records */
	len = mkquery(q, 1, "a.b.", DNS_T_A, 1232);
	memcpy(q + len, q + len - 11, 11);
	q[11] = 2;
	assert_int_equal(dns_query_parse(q, len + 11, &pq), -EBADMSG);
	/* OPT owned by a name other than the root, compressed to "a.b." */
	len = mkquery(q, 1, "a.b.", DNS_T_A, 1232);
	memmove(q + len - 10, q + len - 11, 11);
	q[len - 11] = 0xc0;
	q[len - 10] = 12;
	assert_int_equal(dns_query_parse(q, len + 1, &pq), -EBADMSG);
	/* a compressed non-OPT additional record pointing at the question */
	q[len - 8] = DNS_T_TXT;
	assert_int_equal(dns_query_parse(q, len + 1, &pq), 0);
	assert_false(pq.edns);
	/* a malformed option inside OPT */
	len = mkquery(q, 1, "a.b.", DNS_T_A, 1232);
	q[len - 1] = 3;
	memset(q + len, 0, 3);
	assert_int_equal(dns_query_parse(q, len + 3, &pq), -EBADMSG);
}

static void test_truncate(void **state)
{
	uint8_t m[1024];
	struct dns_writer w;
	struct dns_query pq;
	uint8_t q[64];
	size_t len = mkquery(q, 0x4242, "big.example.", DNS_T_A, 0);
	int n;

	assert_int_equal(dns_query_parse(q, len, &pq), 0);
	dns_writer_init(&w, m, sizeof(m));
	dns_reply_begin(&w, &pq, 0, false);
	for (int i = 0; i < 40; i++)
		dns_put_a(&w, 12, 60, 0x0a000000u + (uint32_t)i);
	n = dns_writer_finish(&w);
	assert_int_equal(n, 12 + 17 + 40 * 16);
	assert_int_equal(be16_get(m + 6), 40);

	/* fits: untouched */
	assert_int_equal(dns_truncate(m, (size_t)n, 1000), n);
	assert_int_equal(be16_get(m + 2) & DNS_FLAG_TC, 0);
	/* relay under another id, cut to 512 */
	assert_int_equal(dns_relay_fixup(m, (size_t)n, 0x1234, 512), 12 + 17);
	assert_int_equal(be16_get(m), 0x1234);
	assert_true(be16_get(m + 2) & DNS_FLAG_TC);
	assert_int_equal(be16_get(m + 4), 1);
	assert_int_equal(be16_get(m + 6), 0);
	assert_int_equal(be16_get(m + 10), 0);
	assert_int_equal(dns_relay_fixup(m, 11, 1, 512), -EBADMSG);

	/* the writer refuses to overflow */
	dns_writer_init(&w, m, 40);
	dns_reply_begin(&w, &pq, 0, false);
	dns_put_a(&w, 12, 0, 1);
	assert_int_equal(dns_writer_finish(&w), -ENOSPC);
}

static void test_name_text(void **state)
{
	char buf[DNS_TEXT_MAX];
	const uint8_t w[] = "\x03"
			    "a.b"
			    "\x02"
			    "\\\x01"
			    "\x00";

	assert_int_equal(dns_name_to_text(w, sizeof(w) - 1, buf, sizeof(buf)),
			 12);
	assert_string_equal(buf, "a\\.b.\\\\\\001.");
	assert_int_equal(
		dns_name_to_text((const uint8_t *)"", 1, buf, sizeof(buf)), 1);
	assert_string_equal(buf, ".");
	/* a prefix: no root, no trailing dot */
	assert_int_equal(dns_name_to_text(w, 4, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "a\\.b");
}

/* ---- local zones, through the server ---- */

struct local {
	uv_loop_t loop;
	struct dns_server *s;
	uint8_t reply[65536];
	size_t reply_len;
	int replies;
};

static void on_reply(void *arg, const uint8_t *msg, size_t len)
{
	struct local *l = arg;

	assert_true(len <= sizeof(l->reply));
	memcpy(l->reply, msg, len);
	l->reply_len = len;
	l->replies++;
}

static int local_setup(void **state)
{
	struct local *l = calloc(1, sizeof(*l));
	struct dns_server_config cfg = {
		.gateway = GW,
		.host_alias = HOST,
		.upstream_servers = "127.0.0.1:9",
	};

	assert_non_null(l);
	assert_int_equal(uv_loop_init(&l->loop), 0);
	l->s = dns_server_create(&l->loop, &cfg);
	assert_non_null(l->s);
	*state = l;
	return 0;
}

static int local_teardown(void **state)
{
	struct local *l = *state;

	dns_server_destroy(l->s);
	uv_run(&l->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&l->loop), 0);
	free(l);
	return 0;
}

/* ask() - a query answered synchronously; returns the reply length. */
static size_t ask(struct local *l, const char *name, uint16_t type,
		  uint16_t edns)
{
	uint8_t q[512];
	size_t len = mkquery(q, 0x5151, name, type, edns);
	int before = l->replies;

	assert_int_equal(dns_server_query(l->s, q, len, false, on_reply, l), 0);
	assert_int_equal(l->replies, before + 1);
	return l->reply_len;
}

static uint32_t ask_a(struct local *l, const char *name)
{
	struct dns_header h;
	struct rr rrs[4];
	size_t len = ask(l, name, DNS_T_A, 0);

	parse_reply(l->reply, len, &h, rrs, 4);
	assert_int_equal(be16_get(l->reply), 0x5151);
	assert_int_equal(DNS_RCODE(h.flags), DNS_RCODE_NOERROR);
	assert_int_equal(h.ancount, 1);
	assert_int_equal(rrs[0].type, DNS_T_A);
	assert_int_equal(rrs[0].ttl, 0);
	assert_int_equal(rrs[0].rdlen, 4);
	return be32_get(l->reply + rrs[0].rdata);
}

static void assert_nxdomain(struct local *l, const char *name, uint16_t type,
			    const char *zone)
{
	struct dns_header h;
	struct rr rrs[4];
	size_t len = ask(l, name, type, 0);

	parse_reply(l->reply, len, &h, rrs, 4);
	assert_int_equal(DNS_RCODE(h.flags), DNS_RCODE_NXDOMAIN);
	assert_true(h.flags & DNS_FLAG_AA);
	assert_int_equal(h.ancount, 0);
	assert_int_equal(h.nscount, 1);
	assert_int_equal(rrs[0].type, DNS_T_SOA);
	assert_name(rrs[0].name, rrs[0].name_len, zone);
}

static void test_zone_exact(void **state)
{
	struct local *l = *state;
	struct dns_header h;
	struct dns_query pq;

	assert_int_equal(ask_a(l, "gateway.containers.internal."), GW);
	assert_int_equal(ask_a(l, "host.containers.internal."), HOST);
	assert_int_equal(ask_a(l, "host.docker.internal."), HOST);
	assert_int_equal(ask_a(l, "GateWay.Docker.INTERNAL."), GW);

	/* flags: QR, AA, RA, RD copied; the question echoed in its case */
	dns_header_parse(l->reply, l->reply_len, &h);
	assert_int_equal(h.flags,
			 DNS_FLAG_QR | DNS_FLAG_AA | DNS_FLAG_RD | DNS_FLAG_RA);
	l->reply[2] &= 0x7f;
	assert_int_equal(dns_query_parse(l->reply, l->reply_len, &pq), 0);
	assert_name(pq.qname, pq.qname_len, "GateWay.Docker.INTERNAL.");
	assert_int_equal(dns_server_counters(l->s)->local_answers, 4);
}

static void test_zone_regexp(void **state)
{
	struct local *l = *state;
	const char *z = "{\"Name\":\"test.internal.\",\"Records\":["
			"{\"Regexp\":\"^web-[0-9]+$\",\"IP\":\"10.0.0.5\"},"
			"{\"Name\":\"web-1\",\"IP\":\"10.0.0.6\"}]}";
	char err[128];

	assert_int_equal(
		dns_server_add_zone_json(l->s, z, strlen(z), err, sizeof(err)),
		0);
	assert_int_equal(ask_a(l, "web-12.test.internal."), 0x0a000005);
	/* the regexp comes first, so it wins over the exact name */
	assert_int_equal(ask_a(l, "web-1.test.internal."), 0x0a000005);
	assert_int_equal(ask_a(l, "WEB-7.test.internal."), 0x0a000005);
	assert_nxdomain(l, "web-x.test.internal.", DNS_T_A, "test.internal.");
	assert_nxdomain(l, "a.web-1.test.internal.", DNS_T_A, "test.internal.");
}

static void test_zone_default_ip(void **state)
{
	struct local *l = *state;
	const char *z = "{\"Name\":\"dflt.internal\",\"Records\":["
			"{\"Name\":\"x\",\"IP\":\"10.2.2.2\"}],"
			"\"DefaultIP\":\"10.1.1.1\"}";

	assert_int_equal(dns_server_add_zone_json(l->s, z, strlen(z), NULL, 0),
			 0);
	assert_int_equal(ask_a(l, "x.dflt.internal."), 0x0a020202);
	assert_int_equal(ask_a(l, "anything.dflt.internal."), 0x0a010101);
	assert_int_equal(ask_a(l, "a.b.c.dflt.internal."), 0x0a010101);
}

static void test_nxdomain_soa(void **state)
{
	struct local *l = *state;
	struct dns_header h;
	struct rr rrs[4];
	uint8_t name[DNS_NAME_MAX];
	size_t pos, nl, len;

	assert_nxdomain(l, "nothere.containers.internal.", DNS_T_A,
			"containers.internal.");
	len = l->reply_len;
	parse_reply(l->reply, len, &h, rrs, 4);
	/* MNAME and RNAME inside the zone, negative TTL 0 */
	pos = rrs[0].rdata;
	assert_int_equal(dns_name_parse(l->reply, len, &pos, name, &nl), 0);
	assert_name(name, nl, "ns.containers.internal.");
	assert_int_equal(dns_name_parse(l->reply, len, &pos, name, &nl), 0);
	assert_name(name, nl, "hostmaster.containers.internal.");
	assert_int_equal(pos + 20, rrs[0].rdata + rrs[0].rdlen);
	assert_true(be32_get(l->reply + pos) > 0); /* serial */
	assert_int_equal(be32_get(l->reply + pos + 16), 0); /* minimum */
	assert_nxdomain(l, "NotHere.Docker.Internal.", DNS_T_AAAA,
			"Docker.Internal.");
}

static void test_aaaa_empty(void **state)
{
	struct local *l = *state;
	struct dns_header h;
	struct rr rrs[4];
	uint8_t q[512], out[DNS_LOCAL_REPLY_MAX];
	size_t len;

	len = ask(l, "host.containers.internal.", DNS_T_AAAA, 0);
	parse_reply(l->reply, len, &h, rrs, 4);
	assert_int_equal(DNS_RCODE(h.flags), DNS_RCODE_NOERROR);
	assert_true(h.flags & DNS_FLAG_AA);
	assert_int_equal(h.ancount, 0);
	assert_int_equal(h.nscount, 1);
	assert_int_equal(rrs[0].type, DNS_T_SOA);

	/* other types, and the zone apex, are not local */
	len = mkquery(q, 1, "host.containers.internal.", DNS_T_MX, 0);
	assert_int_equal(
		dns_server_answer_local(l->s, q, len, false, out, sizeof(out)),
		0);
	len = mkquery(q, 1, "nothere.containers.internal.", DNS_T_TXT, 0);
	assert_int_equal(
		dns_server_answer_local(l->s, q, len, false, out, sizeof(out)),
		0);
	len = mkquery(q, 1, "containers.internal.", DNS_T_A, 0);
	assert_int_equal(
		dns_server_answer_local(l->s, q, len, false, out, sizeof(out)),
		0);
	len = mkquery(q, 1, "xcontainers.internal.", DNS_T_A, 0);
	assert_int_equal(
		dns_server_answer_local(l->s, q, len, false, out, sizeof(out)),
		0);
	/* class CH is not ours either */
	len = mkquery(q, 1, "host.containers.internal.", DNS_T_A, 0);
	q[len - 1] = 3;
	assert_int_equal(
		dns_server_answer_local(l->s, q, len, false, out, sizeof(out)),
		0);
}

/* ask_aaaa() - the one AAAA answer to @name (NOERROR) into @ip6 */
static void ask_aaaa(struct local *l, const char *name, uint8_t ip6[16])
{
	struct dns_header h;
	struct rr rrs[4];
	size_t len = ask(l, name, DNS_T_AAAA, 0);

	parse_reply(l->reply, len, &h, rrs, 4);
	assert_int_equal(DNS_RCODE(h.flags), DNS_RCODE_NOERROR);
	assert_true(h.flags & DNS_FLAG_AA);
	assert_int_equal(h.ancount, 1);
	assert_int_equal(rrs[0].type, DNS_T_AAAA);
	assert_int_equal(rrs[0].class, DNS_C_IN);
	assert_int_equal(rrs[0].rdlen, 16);
	memcpy(ip6, l->reply + rrs[0].rdata, 16);
}

/* assert_nodata() - NOERROR, no answer, the zone's SOA */
static void assert_nodata(struct local *l, const char *name, uint16_t type)
{
	struct dns_header h;
	struct rr rrs[4];
	size_t len = ask(l, name, type, 0);

	parse_reply(l->reply, len, &h, rrs, 4);
	assert_int_equal(DNS_RCODE(h.flags), DNS_RCODE_NOERROR);
	assert_int_equal(h.ancount, 0);
	assert_int_equal(h.nscount, 1);
	assert_int_equal(rrs[0].type, DNS_T_SOA);
}

static const uint8_t gw6[16] = {0xfd, 0x71, 0x63, 0x77, 0x6e, 0x65, [15] = 1};
static const uint8_t host6[16] = {0xfd, 0x71, 0x63,	  0x77,
				  0x6e, 0x65, [15] = 0xfe};

static int local6_setup(void **state)
{
	struct local *l = calloc(1, sizeof(*l));
	struct dns_server_config cfg = {
		.gateway = GW,
		.host_alias = HOST,
		.gateway6 = gw6,
		.host_alias6 = host6,
		.upstream_servers = "127.0.0.1:9",
	};

	assert_non_null(l);
	assert_int_equal(uv_loop_init(&l->loop), 0);
	l->s = dns_server_create(&l->loop, &cfg);
	assert_non_null(l->s);
	*state = l;
	return 0;
}

/*
 * With the network's IPv6 addresses, the built-in names answer AAAA
 * (and A as before); zones added through the API hold IPv6 records, and
 * a name with records of both families answers each from its own.
 */
static void test_aaaa_local(void **state)
{
	struct local *l = *state;
	uint8_t ip6[16], want[16] = {0xfd, 0, [15] = 5};
	const char *z = "{\"Name\":\"v6.internal\",\"Records\":["
			"{\"Name\":\"both\",\"IP\":\"10.0.0.5\"},"
			"{\"Name\":\"only6\",\"IP\":\"fd00::5\"},"
			"{\"Name\":\"both\",\"IP\":\"fd00::5\"},"
			"{\"Regexp\":\"^re[0-9]$\",\"IP\":\"FD00:0::5\"}],"
			"\"DefaultIP\":\"fd00::6\"}";
	char *json;

	ask_aaaa(l, "host.containers.internal.", ip6);
	assert_memory_equal(ip6, host6, 16);
	ask_aaaa(l, "Gateway.Docker.Internal.", ip6);
	assert_memory_equal(ip6, gw6, 16);
	ask_aaaa(l, "host.docker.internal.", ip6);
	assert_memory_equal(ip6, host6, 16);
	assert_int_equal(ask_a(l, "host.containers.internal."), HOST);
	assert_int_equal(ask_a(l, "gateway.containers.internal."), GW);
	assert_nxdomain(l, "nothere.containers.internal.", DNS_T_AAAA,
			"containers.internal.");
	/* /services/dns/all keeps gvproxy's shape: the IPv4 address only */
	json = dns_server_zones_json(l->s);
	assert_null(strstr(json, "fd71"));
	free(json);

	assert_int_equal(dns_server_add_zone_json(l->s, z, strlen(z), NULL, 0),
			 0);
	ask_aaaa(l, "only6.v6.internal.", ip6);
	assert_memory_equal(ip6, want, 16);
	assert_nodata(l, "only6.v6.internal.", DNS_T_A);
	ask_aaaa(l, "both.v6.internal.", ip6);
	assert_memory_equal(ip6, want, 16);
	assert_int_equal(ask_a(l, "both.v6.internal."), 0x0a000005);
	ask_aaaa(l, "re7.v6.internal.", ip6);
	assert_memory_equal(ip6, want, 16);
	/* the default IP, IPv6 here: AAAA answered, A without data */
	want[15] = 6;
	ask_aaaa(l, "anything.v6.internal.", ip6);
	assert_memory_equal(ip6, want, 16);
	assert_nodata(l, "anything.v6.internal.", DNS_T_A);
	json = dns_server_zones_json(l->s);
	assert_non_null(strstr(json, "{\"Name\":\"only6\",\"IP\":\"fd00::5\","
				     "\"Regexp\":null}"));
	assert_non_null(strstr(json, "\"DefaultIP\":\"fd00::6\"}"));
	free(json);
}

/*
 * The gateway's UDP path asks dns_server_answer_local() first and
 * dns_server_query() only for what is left for upstream: each query is
 * counted once either way (local answers were not counted at all, so the
 * query rate of stats --watch stayed 0 for host.containers.internal).
 */
static void test_queries_counted_once(void **state)
{
	struct local *l = *state;
	const struct dns_counters *c = dns_server_counters(l->s);
	uint8_t q[512], out[DNS_LOCAL_REPLY_MAX];
	uint64_t before = c->queries;
	size_t len;

	len = mkquery(q, 1, "host.containers.internal.", DNS_T_A, 0);
	assert_true(dns_server_answer_local(l->s, q, len, false, out,
					    sizeof(out)) > 0);
	assert_int_equal(c->queries, before + 1);
	len = mkquery(q, 2, "host.containers.internal.", DNS_T_MX, 0);
	assert_int_equal(
		dns_server_answer_local(l->s, q, len, false, out, sizeof(out)),
		0);
	assert_int_equal(c->queries, before + 1);
	assert_int_equal(dns_server_query(l->s, q, len, false, on_reply, l), 0);
	assert_int_equal(c->queries, before + 2);
}

static void test_local_edns(void **state)
{
	struct local *l = *state;
	struct dns_header h;
	struct rr rrs[4];
	size_t len = ask(l, "gateway.containers.internal.", DNS_T_A, 4096);

	parse_reply(l->reply, len, &h, rrs, 4);
	assert_int_equal(h.ancount, 1);
	assert_int_equal(h.arcount, 1);
	assert_int_equal(rrs[1].type, DNS_T_OPT);
	assert_int_equal(rrs[1].name_len, 1);
}

static void test_zone_order(void **state)
{
	struct local *l = *state;
	const char *z = "{\"Name\":\"internal.\",\"DefaultIP\":\"10.9.9.9\"}";

	assert_int_equal(dns_server_add_zone_json(l->s, z, strlen(z), NULL, 0),
			 0);
	/* containers.internal. comes first and decides its names */
	assert_int_equal(ask_a(l, "gateway.containers.internal."), GW);
	assert_nxdomain(l, "nothere.containers.internal.", DNS_T_A,
			"containers.internal.");
	assert_int_equal(ask_a(l, "foo.internal."), 0x0a090909);
}

static void test_zone_merge(void **state)
{
	struct local *l = *state;
	const char *z = "{\"Name\":\"containers.internal.\",\"Records\":["
			"{\"Name\":\"gateway\",\"IP\":\"10.0.0.1\"},"
			"{\"Name\":\"new\",\"IP\":\"10.0.0.2\"}]}";
	const char *want =
		"[{\"Name\":\"containers.internal.\",\"Records\":["
		"{\"Name\":\"gateway\",\"IP\":\"10.0.0.1\",\"Regexp\":null},"
		"{\"Name\":\"new\",\"IP\":\"10.0.0.2\",\"Regexp\":null},"
		"{\"Name\":\"gateway\",\"IP\":\"192.168.127.1\",\"Regexp\":"
		"null},"
		"{\"Name\":\"host\",\"IP\":\"192.168.127.254\",\"Regexp\":null}"
		"],"
		"\"DefaultIP\":\"\"},"
		"{\"Name\":\"docker.internal.\",\"Records\":["
		"{\"Name\":\"gateway\",\"IP\":\"192.168.127.1\",\"Regexp\":"
		"null},"
		"{\"Name\":\"host\",\"IP\":\"192.168.127.254\",\"Regexp\":null}"
		"],"
		"\"DefaultIP\":\"\"}]";
	char *json;

	assert_int_equal(dns_server_add_zone_json(l->s, z, strlen(z), NULL, 0),
			 0);
	assert_int_equal(ask_a(l, "gateway.containers.internal."), 0x0a000001);
	assert_int_equal(ask_a(l, "new.containers.internal."), 0x0a000002);
	assert_int_equal(ask_a(l, "host.containers.internal."), HOST);
	assert_int_equal(ask_a(l, "gateway.docker.internal."), GW);
	json = dns_server_zones_json(l->s);
	assert_non_null(json);
	assert_string_equal(json, want);
	free(json);

	/* a merge takes the new zone's DefaultIP, even when empty */
	z = "{\"Name\":\"docker.internal.\",\"DefaultIP\":\"10.3.3.3\"}";
	assert_int_equal(dns_server_add_zone_json(l->s, z, strlen(z), NULL, 0),
			 0);
	assert_int_equal(ask_a(l, "other.docker.internal."), 0x0a030303);
	z = "{\"Name\":\"docker.internal.\"}";
	assert_int_equal(dns_server_add_zone_json(l->s, z, strlen(z), NULL, 0),
			 0);
	assert_nxdomain(l, "other.docker.internal.", DNS_T_A,
			"docker.internal.");
	assert_int_equal(ask_a(l, "host.docker.internal."), HOST);
}

/*
 * realloc() calls made by qcw-net's code, counted through the linker's
 * --wrap=realloc (dns/meson.build links test-dns with it): adding records
 * must take amortised O(1) reallocs, not one per record.
 */
void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);
static unsigned long n_realloc;

void *__wrap_realloc(void *p, size_t n)
{
	n_realloc++;
	return __real_realloc(p, n);
}

#define BIG_ZONE 20000

static void test_zone_20000_records_one_add(void **state)
{
	struct local *l = *state;
	size_t cap = (size_t)BIG_ZONE * 48 + 64, off = 0;
	char *z = malloc(cap);
	char name[32];
	unsigned int i;

	assert_non_null(z);
	off += (size_t)snprintf(z + off, cap - off,
				"{\"Name\":\"big.internal.\",\"Records\":[");
	for (i = 0; i < BIG_ZONE; i++)
		off += (size_t)snprintf(
			z + off, cap - off,
			"%s{\"Name\":\"h%u\",\"IP\":\"10.%u.%u.%u\"}",
			i ? "," : "", i, i >> 16, (i >> 8) & 255, i & 255);
	off += (size_t)snprintf(z + off, cap - off, "]}");
	assert_true(off < cap);
	n_realloc = 0;
	assert_int_equal(dns_server_add_zone_json(l->s, z, off, NULL, 0), 0);
	/* geometric growth: about log2(20000) = 15, not 20000 */
	assert_true(n_realloc <= 40);
	free(z);
	assert_int_equal(ask_a(l, "h0.big.internal."), 0x0a000000);
	assert_int_equal(ask_a(l, "h19999.big.internal."), 0x0a004e1f);
	snprintf(name, sizeof(name), "h%u.big.internal.", BIG_ZONE / 2);
	assert_int_equal(ask_a(l, name), 0x0a000000 | BIG_ZONE / 2);
}

static void test_zone_20000_records_one_by_one(void **state)
{
	struct local *l = *state;
	char z[128], *json;
	unsigned int i;
	int n;

	n_realloc = 0;
	for (i = 0; i < BIG_ZONE; i++) {
		n = snprintf(z, sizeof(z),
			     "{\"Name\":\"one.internal.\",\"Records\":[{"
			     "\"Name\":\"h%u\",\"IP\":\"10.%u.%u.%u\"}]}",
			     i % (BIG_ZONE / 2), i >> 16, (i >> 8) & 255,
			     i & 255);
		assert_int_equal(
			dns_server_add_zone_json(l->s, z, (size_t)n, NULL, 0),
			0);
	}
	/* each merge appends to the zone's array: O(log n) reallocs in all */
	assert_true(n_realloc <= 200);
	/* the newer record of a name wins */
	assert_int_equal(ask_a(l, "h0.one.internal."), 10u << 24 | 10000);
	assert_int_equal(ask_a(l, "h9999.one.internal."), 10u << 24 | 19999);
	/* and is listed first */
	json = dns_server_zones_json(l->s);
	assert_non_null(json);
	assert_non_null(strstr(json,
			       "{\"Name\":\"one.internal.\",\"Records\":["
			       "{\"Name\":\"h9999\",\"IP\":\"10.0.78.31\","
			       "\"Regexp\":null},{\"Name\":\"h9998\""));
	free(json);
}

static void test_json_shape(void **state)
{
	struct local *l = *state;
	const char *defaults =
		"[{\"Name\":\"containers.internal.\",\"Records\":["
		"{\"Name\":\"gateway\",\"IP\":\"192.168.127.1\",\"Regexp\":"
		"null},"
		"{\"Name\":\"host\",\"IP\":\"192.168.127.254\",\"Regexp\":null}"
		"],"
		"\"DefaultIP\":\"\"},"
		"{\"Name\":\"docker.internal.\",\"Records\":["
		"{\"Name\":\"gateway\",\"IP\":\"192.168.127.1\",\"Regexp\":"
		"null},"
		"{\"Name\":\"host\",\"IP\":\"192.168.127.254\",\"Regexp\":null}"
		"],"
		"\"DefaultIP\":\"\"}";
	/* lower-case keys are accepted, like Go's decoder does */
	const char *z = "{\"name\":\"x.internal\",\"records\":["
			"{\"regexp\":\"^a<b>&c$\",\"ip\":\"10.0.0.7\"}],"
			"\"defaultIP\":\"10.0.0.8\"}";
	char *json, want[2048];

	json = dns_server_zones_json(l->s);
	snprintf(want, sizeof(want), "%s]", defaults);
	assert_string_equal(json, want);
	free(json);

	assert_int_equal(dns_server_add_zone_json(l->s, z, strlen(z), NULL, 0),
			 0);
	json = dns_server_zones_json(l->s);
	snprintf(want, sizeof(want),
		 "%s,{\"Name\":\"x.internal.\",\"Records\":["
		 "{\"Name\":\"\",\"IP\":\"10.0.0.7\","
		 "\"Regexp\":\"^a\\u003cb\\u003e\\u0026c$\"}],"
		 "\"DefaultIP\":\"10.0.0.8\"}]",
		 defaults);
	assert_string_equal(json, want);
	free(json);

	/* Go's nil slice: Records absent or null gives null, [] gives [] */
	z = "{\"Name\":\"e1.\"}";
	assert_int_equal(dns_server_add_zone_json(l->s, z, strlen(z), NULL, 0),
			 0);
	z = "{\"Name\":\"e2.\",\"Records\":[]}";
	assert_int_equal(dns_server_add_zone_json(l->s, z, strlen(z), NULL, 0),
			 0);
	json = dns_server_zones_json(l->s);
	assert_non_null(strstr(json, ",{\"Name\":\"e1.\",\"Records\":null,"
				     "\"DefaultIP\":\"\"},"
				     "{\"Name\":\"e2.\",\"Records\":[],"
				     "\"DefaultIP\":\"\"}]"));
	free(json);
}

static void test_json_errors(void **state)
{
	struct local *l = *state;
	static const char *const bad[] = {
		"{",
		"[]",
		"{\"Records\":[]}",
		"{\"Name\":\"\"}",
		"{\"Name\":\"a..b\"}",
		"{\"Name\":5}",
		"{\"Name\":\"x.\",\"Records\":{}}",
		"{\"Name\":\"x.\",\"Records\":[5]}",
		"{\"Name\":\"x.\",\"Records\":[{\"Name\":\"a\"}]}",
		"{\"Name\":\"x.\",\"Records\":[{\"Name\":\"a\",\"IP\":\"1.2."
		"3\"}]}",
		"{\"Name\":\"x.\",\"Records\":[{\"Name\":\"a\",\"IP\":\"1::2::"
		"3\"}]}",
		"{\"Name\":\"x.\",\"Records\":[{\"IP\":\"1.2.3.4\"}]}",
		"{\"Name\":\"x.\",\"Records\":[{\"Regexp\":\"(\",\"IP\":\"1.2."
		"3.4\"}]}",
		"{\"Name\":\"x.\",\"DefaultIP\":\"nope\"}",
		"{\"Name\":\"x.\",\"DefaultIP\":7}",
	};
	char *before = dns_server_zones_json(l->s), *after;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";

		assert_int_equal(dns_server_add_zone_json(l->s, bad[i],
							  strlen(bad[i]), err,
							  sizeof(err)),
				 -EINVAL);
		assert_true(err[0] != '\0');
	}
	after = dns_server_zones_json(l->s);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void test_no_default_zones(void **state)
{
	uv_loop_t loop;
	struct dns_server_config cfg = {.no_default_zones = true,
					.upstream_servers = "127.0.0.1:9"};
	struct dns_server *s;
	char *json;

	assert_int_equal(uv_loop_init(&loop), 0);
	s = dns_server_create(&loop, &cfg);
	assert_non_null(s);
	json = dns_server_zones_json(s);
	assert_string_equal(json, "[]");
	free(json);
	dns_server_destroy(s);
	dns_server_destroy(NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_errors_replies(void **state)
{
	struct local *l = *state;
	const struct dns_counters *c = dns_server_counters(l->s);
	struct dns_header h;
	struct rr rrs[4];
	uint8_t q[512];
	size_t len;

	/* too short for a header: dropped */
	assert_int_equal(dns_server_query(l->s, q, 11, false, on_reply, l),
			 -EINVAL);
	/* a response: dropped */
	len = mkquery(q, 9, "host.containers.internal.", DNS_T_A, 0);
	q[2] |= 0x80;
	assert_int_equal(dns_server_query(l->s, q, len, false, on_reply, l),
			 -EINVAL);
	assert_int_equal(c->dropped, 2);
	assert_int_equal(l->replies, 0);

	/* header only, qdcount 1: FORMERR without a question */
	len = mkquery(q, 0x7777, "host.containers.internal.", DNS_T_A, 0);
	assert_int_equal(dns_server_query(l->s, q, 12, false, on_reply, l), 0);
	parse_reply(l->reply, l->reply_len, &h, rrs, 4);
	assert_int_equal(h.id, 0x7777);
	assert_int_equal(DNS_RCODE(h.flags), DNS_RCODE_FORMERR);
	assert_int_equal(h.qdcount, 0);
	assert_true(h.flags & DNS_FLAG_QR);

	/* question fine, garbage record after it: FORMERR with the question */
	q[7] = 1;
	assert_int_equal(dns_server_query(l->s, q, len + 3, false, on_reply, l),
			 0);
	parse_reply(l->reply, l->reply_len, &h, rrs, 4);
	assert_int_equal(DNS_RCODE(h.flags), DNS_RCODE_FORMERR);
	assert_int_equal(h.qdcount, 1);
	q[7] = 0;

	/* opcode 2: NOTIMP */
	q[2] = 2 << 3;
	assert_int_equal(dns_server_query(l->s, q, len, false, on_reply, l), 0);
	parse_reply(l->reply, l->reply_len, &h, rrs, 4);
	assert_int_equal(DNS_RCODE(h.flags), DNS_RCODE_NOTIMP);
	assert_int_equal(DNS_OPCODE(h.flags), 2);

	/* EDNS version 1: BADVERS (16 = 1 in the OPT, 0 in the header) */
	len = mkquery(q, 0x7777, "host.containers.internal.", DNS_T_A, 1232);
	q[len - 5] = 1;
	assert_int_equal(dns_server_query(l->s, q, len, false, on_reply, l), 0);
	parse_reply(l->reply, l->reply_len, &h, rrs, 4);
	assert_int_equal(DNS_RCODE(h.flags), 0);
	assert_int_equal(h.arcount, 1);
	assert_int_equal(rrs[0].type, DNS_T_OPT);
	assert_int_equal(rrs[0].ttl >> 24, 1);

	assert_int_equal(c->formerr, 4);
	assert_int_equal(c->queries, 6);
}

/* ---- upstream: a small DNS server on the same loop ---- */

struct fake_conn {
	uv_tcp_t tcp;
	struct fake_dns *f;
	uint8_t buf[4096];
	size_t len;
	struct fake_conn *next;
};

struct fake_dns {
	uv_udp_t udp;
	uv_tcp_t tcp;
	int port;
	struct fake_conn *conns;
	unsigned int udp_queries, tcp_queries;
	uint16_t last_id;
};

struct fake_write {
	uv_write_t req;
	uint8_t data[];
};

/* fake_answer() - the reply the fake upstream gives; 0: stay silent. */
static size_t fake_answer(struct fake_dns *f, const uint8_t *q, size_t qlen,
			  bool tcp, uint8_t *r, size_t cap)
{
	struct dns_query pq;
	char name[DNS_TEXT_MAX];
	size_t n, qend, limit = 512;
	uint16_t an = 0;

	if (dns_query_parse(q, qlen, &pq))
		return 0;
	f->last_id = pq.hdr.id;
	if (pq.edns && pq.edns_udp > 512)
		limit = pq.edns_udp;
	dns_name_to_text(pq.qname, pq.qname_len, name, sizeof(name));
	if (!strcmp(name, "silent.example."))
		return 0;
	qend = DNS_HDR_LEN + pq.qname_len + 4;
	memcpy(r, q, qend);
	r[2] = (uint8_t)(0x80 | (q[2] & 0x01));
	r[3] = 0x80;
	memset(r + 6, 0, 6);
	n = qend;
	if (!strcmp(name, "a.example.") && pq.qtype == DNS_T_A) {
		n = put16(r, n, 0xc00c);
		n = put16(r, n, DNS_T_A);
		n = put16(r, n, DNS_C_IN);
		n = put16(r, n, 0);
		n = put16(r, n, 300);
		n = put16(r, n, 4);
		memcpy(r + n, "\x01\x02\x03\x04", 4);
		n += 4;
		an = 1;
	} else if (!strcmp(name, "a.example.") && pq.qtype == DNS_T_MX) {
		n = put16(r, n, 0xc00c);
		n = put16(r, n, DNS_T_MX);
		n = put16(r, n, DNS_C_IN);
		n = put16(r, n, 0);
		n = put16(r, n, 300);
		n = put16(r, n, 9);
		n = put16(r, n, 10);
		/* "mail" + a pointer to "example." inside the question */
		memcpy(r + n,
		       "\x04"
		       "mail"
		       "\xc0\x0e",
		       7);
		n += 7;
		an = 1;
	} else if (!strcmp(name, "a.example.") && pq.qtype == DNS_T_TXT) {
		n = put16(r, n, 0xc00c);
		n = put16(r, n, DNS_T_TXT);
		n = put16(r, n, DNS_C_IN);
		n = put16(r, n, 0);
		n = put16(r, n, 300);
		n = put16(r, n, 12);
		memcpy(r + n,
		       "\x0b"
		       "hello world",
		       12);
		n += 12;
		an = 1;
	} else if (!strcmp(name, "big.example.")) {
		for (an = 0; an < 40 && n + 16 <= cap; an++) {
			n = put16(r, n, 0xc00c);
			n = put16(r, n, DNS_T_A);
			n = put16(r, n, DNS_C_IN);
			n = put16(r, n, 0);
			n = put16(r, n, 300);
			n = put16(r, n, 4);
			r[n++] = 10;
			r[n++] = 0;
			r[n++] = 0;
			r[n++] = (uint8_t)an;
		}
	} else {
		r[3] |= DNS_RCODE_NXDOMAIN;
	}
	put16(r, 6, an);
	if (!tcp && n > limit) {
		r[2] |= 0x02; /* TC */
		memset(r + 6, 0, 6);
		n = qend;
	}
	return n;
}

static void fake_udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
			  const struct sockaddr *addr, unsigned int flags)
{
	struct fake_dns *f = h->data;
	uint8_t r[4096];
	size_t n;

	if (nread > 0 && addr) {
		f->udp_queries++;
		n = fake_answer(f, (const uint8_t *)buf->base, (size_t)nread,
				false, r, sizeof(r));
		if (n) {
			uv_buf_t b = uv_buf_init((char *)r, (unsigned int)n);

			assert_int_equal(uv_udp_try_send(h, &b, 1, addr),
					 (int)n);
		}
	}
	free(buf->base);
}

static void fake_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	buf->base = malloc(65536);
	buf->len = buf->base ? 65536 : 0;
}

static void fake_conn_close_cb(uv_handle_t *h)
{
	struct fake_conn *c = h->data, **pp;

	for (pp = &c->f->conns; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	free(c);
}

static void fake_write_cb(uv_write_t *req, int status)
{
	free(req);
}

static void fake_conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct fake_conn *c = h->data;

	buf->base = (char *)c->buf + c->len;
	buf->len = sizeof(c->buf) - c->len;
}

static void fake_conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct fake_conn *c = s->data;
	uint8_t r[4096];

	if (nread < 0 || (nread == 0 && c->len == sizeof(c->buf))) {
		if (!uv_is_closing((uv_handle_t *)s))
			uv_close((uv_handle_t *)s, fake_conn_close_cb);
		return;
	}
	c->len += (size_t)nread;
	while (c->len >= 2 && c->len >= 2 + (size_t)be16_get(c->buf)) {
		size_t mlen = be16_get(c->buf), n;

		c->f->tcp_queries++;
		n = fake_answer(c->f, c->buf + 2, mlen, true, r, sizeof(r));
		if (n) {
			struct fake_write *w = malloc(sizeof(*w) + n + 2);
			uv_buf_t b;

			put16(w->data, 0, (uint16_t)n);
			memcpy(w->data + 2, r, n);
			b = uv_buf_init((char *)w->data, (unsigned int)n + 2);
			assert_int_equal(
				uv_write(&w->req, s, &b, 1, fake_write_cb), 0);
		}
		memmove(c->buf, c->buf + 2 + mlen, c->len - 2 - mlen);
		c->len -= 2 + mlen;
	}
}

static void fake_accept(uv_stream_t *server, int status)
{
	struct fake_dns *f = server->data;
	struct fake_conn *c = calloc(1, sizeof(*c));

	assert_int_equal(status, 0);
	assert_non_null(c);
	assert_int_equal(uv_tcp_init(server->loop, &c->tcp), 0);
	c->tcp.data = c;
	c->f = f;
	c->next = f->conns;
	f->conns = c;
	assert_int_equal(uv_accept(server, (uv_stream_t *)&c->tcp), 0);
	assert_int_equal(uv_read_start((uv_stream_t *)&c->tcp, fake_conn_alloc,
				       fake_conn_read),
			 0);
}

/* fake_start() - UDP and TCP on one random port of 127.0.0.1. */
static void fake_start(uv_loop_t *loop, struct fake_dns *f)
{
	struct sockaddr_in sa;
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	memset(f, 0, sizeof(*f));
	for (int attempt = 0; attempt < 20; attempt++) {
		assert_int_equal(uv_udp_init(loop, &f->udp), 0);
		assert_int_equal(uv_tcp_init(loop, &f->tcp), 0);
		uv_ip4_addr("127.0.0.1", 0, &sa);
		assert_int_equal(
			uv_udp_bind(&f->udp, (struct sockaddr *)&sa, 0), 0);
		len = sizeof(ss);
		uv_udp_getsockname(&f->udp, (struct sockaddr *)&ss, &len);
		f->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		uv_ip4_addr("127.0.0.1", f->port, &sa);
		if (!uv_tcp_bind(&f->tcp, (struct sockaddr *)&sa, 0) &&
		    !uv_listen((uv_stream_t *)&f->tcp, 8, fake_accept))
			break;
		uv_close((uv_handle_t *)&f->udp, NULL);
		uv_close((uv_handle_t *)&f->tcp, NULL);
		uv_run(loop, UV_RUN_NOWAIT);
		f->port = 0;
	}
	assert_true(f->port > 0);
	f->udp.data = f;
	f->tcp.data = f;
	assert_int_equal(uv_udp_recv_start(&f->udp, fake_alloc, fake_udp_recv),
			 0);
}

static void fake_stop(struct fake_dns *f)
{
	uv_close((uv_handle_t *)&f->udp, NULL);
	uv_close((uv_handle_t *)&f->tcp, NULL);
	for (struct fake_conn *c = f->conns; c; c = c->next)
		if (!uv_is_closing((uv_handle_t *)&c->tcp))
			uv_close((uv_handle_t *)&c->tcp, fake_conn_close_cb);
}

struct up {
	uv_loop_t loop;
	struct fake_dns fake;
	struct dns_server *s;
	uv_timer_t guard;
	char servers[64];
	uint8_t reply[65536];
	size_t reply_len;
	int replies;
	bool waiting;
};

static void up_reply(void *arg, const uint8_t *msg, size_t len)
{
	struct up *u = arg;

	memcpy(u->reply, msg, len);
	u->reply_len = len;
	u->replies++;
	/* a synchronous reply must not stop the next uv_run() */
	if (u->waiting)
		uv_stop(&u->loop);
}

static void up_guard_cb(uv_timer_t *t)
{
	uv_stop(t->loop);
}

static void up_create(struct up *u, const char *servers, unsigned int tmo)
{
	struct dns_server_config cfg = {
		.gateway = GW,
		.host_alias = HOST,
		.timeout_ms = tmo,
		.tries = 2,
		.upstream_servers = servers,
	};

	u->s = dns_server_create(&u->loop, &cfg);
	assert_non_null(u->s);
}

static int up_setup(void **state)
{
	struct up *u = calloc(1, sizeof(*u));

	assert_non_null(u);
	assert_int_equal(uv_loop_init(&u->loop), 0);
	assert_int_equal(uv_timer_init(&u->loop, &u->guard), 0);
	fake_start(&u->loop, &u->fake);
	snprintf(u->servers, sizeof(u->servers), "127.0.0.1:%d", u->fake.port);
	up_create(u, u->servers, 1000);
	*state = u;
	return 0;
}

static int up_teardown(void **state)
{
	struct up *u = *state;

	dns_server_destroy(u->s);
	fake_stop(&u->fake);
	uv_close((uv_handle_t *)&u->guard, NULL);
	uv_run(&u->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&u->loop), 0);
	free(u);
	return 0;
}

/* up_ask() - send a query and run the loop until its reply (or @ms). */
static void up_ask(struct up *u, uint16_t id, const char *name, uint16_t type,
		   uint16_t edns, bool tcp, unsigned int ms)
{
	uint8_t q[512];
	size_t len = mkquery(q, id, name, type, edns);

	u->replies = 0;
	assert_int_equal(dns_server_query(u->s, q, len, tcp, up_reply, u), 0);
	if (!u->replies) {
		uv_timer_start(&u->guard, up_guard_cb, ms, 0);
		u->waiting = true;
		uv_run(&u->loop, UV_RUN_DEFAULT);
		u->waiting = false;
		uv_timer_stop(&u->guard);
	}
}

static void test_upstream_forward(void **state)
{
	struct up *u = *state;
	struct dns_header h;
	struct rr rrs[4];
	struct dns_query pq;
	uint8_t name[DNS_NAME_MAX];
	size_t pos, nl;

	up_ask(u, 0xbeef, "a.example.", DNS_T_A, 0, false, 5000);
	assert_int_equal(u->replies, 1);
	parse_reply(u->reply, u->reply_len, &h, rrs, 4);
	assert_int_equal(h.id, 0xbeef);
	assert_int_equal(DNS_RCODE(h.flags), 0);
	assert_int_equal(h.ancount, 1);
	assert_int_equal(be32_get(u->reply + rrs[0].rdata), 0x01020304);
	u->reply[2] &= 0x7f;
	assert_int_equal(dns_query_parse(u->reply, u->reply_len, &pq), 0);
	assert_name(pq.qname, pq.qname_len, "a.example.");

	up_ask(u, 0x1111, "a.example.", DNS_T_MX, 0, false, 5000);
	assert_int_equal(u->replies, 1);
	parse_reply(u->reply, u->reply_len, &h, rrs, 4);
	assert_int_equal(h.id, 0x1111);
	assert_int_equal(h.ancount, 1);
	assert_int_equal(rrs[0].type, DNS_T_MX);
	pos = rrs[0].rdata + 2;
	assert_int_equal(
		dns_name_parse(u->reply, u->reply_len, &pos, name, &nl), 0);
	assert_name(name, nl, "mail.example.");

	up_ask(u, 0x2222, "a.example.", DNS_T_TXT, 1232, true, 5000);
	assert_int_equal(u->replies, 1);
	parse_reply(u->reply, u->reply_len, &h, rrs, 4);
	assert_int_equal(h.id, 0x2222);
	assert_int_equal(rrs[0].type, DNS_T_TXT);
	assert_memory_equal(u->reply + rrs[0].rdata,
			    "\x0b"
			    "hello world",
			    12);

	/* NXDOMAIN from upstream is relayed as is */
	up_ask(u, 0x3333, "nope.example.", DNS_T_A, 0, false, 5000);
	assert_int_equal(u->replies, 1);
	parse_reply(u->reply, u->reply_len, &h, rrs, 4);
	assert_int_equal(h.id, 0x3333);
	assert_int_equal(DNS_RCODE(h.flags), DNS_RCODE_NXDOMAIN);

	/* local names still answered synchronously */
	up_ask(u, 0x4444, "host.containers.internal.", DNS_T_A, 0, false, 10);
	assert_int_equal(u->replies, 1);
	assert_int_equal(dns_server_counters(u->s)->forwarded, 4);
	assert_int_equal(dns_server_counters(u->s)->local_answers, 1);
	assert_int_equal(u->fake.udp_queries, 4);
}

static void test_upstream_big(void **state)
{
	struct up *u = *state;
	struct dns_header h;
	struct rr rrs[64];

	/* UDP guest: c-ares gets it whole over TCP, we cut it with TC */
	up_ask(u, 0xaaaa, "big.example.", DNS_T_A, 0, false, 5000);
	assert_int_equal(u->replies, 1);
	assert_true(u->reply_len <= 512);
	parse_reply(u->reply, u->reply_len, &h, rrs, 64);
	assert_int_equal(h.id, 0xaaaa);
	assert_true(h.flags & DNS_FLAG_TC);
	assert_int_equal(h.qdcount, 1);
	assert_int_equal(h.ancount, 0);
	assert_true(u->fake.tcp_queries >= 1);

	/* TCP guest: the whole answer */
	up_ask(u, 0xbbbb, "big.example.", DNS_T_A, 0, true, 5000);
	assert_int_equal(u->replies, 1);
	assert_int_equal(u->reply_len, 12 + 17 + 40 * 16);
	parse_reply(u->reply, u->reply_len, &h, rrs, 64);
	assert_int_equal(h.id, 0xbbbb);
	assert_false(h.flags & DNS_FLAG_TC);
	assert_int_equal(h.ancount, 40);

	/* UDP guest with EDNS0 4096: fits, whole */
	up_ask(u, 0xcccc, "big.example.", DNS_T_A, 4096, false, 5000);
	assert_int_equal(u->replies, 1);
	assert_int_equal(u->reply_len, 12 + 17 + 40 * 16);
	parse_reply(u->reply, u->reply_len, &h, rrs, 64);
	assert_int_equal(h.id, 0xcccc);
	assert_int_equal(h.ancount, 40);

	/* UDP guest with EDNS0 600: cut */
	up_ask(u, 0xdddd, "big.example.", DNS_T_A, 600, false, 5000);
	assert_int_equal(u->replies, 1);
	assert_true(u->reply_len <= 600);
	parse_reply(u->reply, u->reply_len, &h, rrs, 64);
	assert_true(h.flags & DNS_FLAG_TC);
}

static void assert_servfail(struct up *u, uint16_t id)
{
	struct dns_header h;
	struct rr rrs[4];

	assert_int_equal(u->replies, 1);
	parse_reply(u->reply, u->reply_len, &h, rrs, 4);
	assert_int_equal(h.id, id);
	assert_int_equal(DNS_RCODE(h.flags), DNS_RCODE_SERVFAIL);
	assert_int_equal(h.qdcount, 1);
}

static void test_upstream_silent(void **state)
{
	struct up *u = *state;
	uint64_t t0;

	dns_server_destroy(u->s);
	up_create(u, u->servers, 200);
	t0 = uv_hrtime();
	up_ask(u, 0x5555, "silent.example.", DNS_T_A, 0, false, 5000);
	assert_servfail(u, 0x5555);
	/* two tries: 200 ms, then 400 ms */
	assert_true(uv_hrtime() - t0 < 3000000000ull);
	assert_true(uv_hrtime() - t0 >= 200000000ull);
	assert_int_equal(dns_server_counters(u->s)->servfail, 1);
}

static void test_upstream_dead(void **state)
{
	struct up *u = *state;
	char servers[64];
	uint64_t t0;

	/* the fake server's port, once the fake server is gone */
	snprintf(servers, sizeof(servers), "127.0.0.1:%d", u->fake.port);
	fake_stop(&u->fake);
	uv_run(&u->loop, UV_RUN_NOWAIT);
	dns_server_destroy(u->s);
	up_create(u, servers, 500);
	t0 = uv_hrtime();
	up_ask(u, 0x6666, "a.example.", DNS_T_A, 0, false, 5000);
	assert_servfail(u, 0x6666);
	assert_true(uv_hrtime() - t0 < 3000000000ull);
	/* teardown closes the fake server again: give it fresh handles */
	fake_start(&u->loop, &u->fake);
}

static void count_reply(void *arg, const uint8_t *msg, size_t len)
{
	(*(int *)arg)++;
}

static void test_cancel(void **state)
{
	struct up *u = *state;
	uint8_t q[512];
	size_t len = mkquery(q, 1, "silent.example.", DNS_T_A, 0);
	int other = 0;

	dns_server_destroy(u->s);
	up_create(u, u->servers, 100);
	u->replies = 0;
	assert_int_equal(dns_server_query(u->s, q, len, false, up_reply, u), 0);
	assert_int_equal(dns_server_query(u->s, q, len, false, up_reply, u), 0);
	assert_int_equal(
		dns_server_query(u->s, q, len, false, count_reply, &other), 0);
	dns_server_cancel(u->s, u);
	/* the timeout passes: only the uncancelled one gets SERVFAIL */
	uv_timer_start(&u->guard, up_guard_cb, 1000, 0);
	uv_run(&u->loop, UV_RUN_DEFAULT);
	assert_int_equal(u->replies, 0);
	assert_int_equal(other, 1);
	assert_int_equal(dns_server_counters(u->s)->servfail, 1);

	/* destroy with a query in flight: its callback never runs */
	assert_int_equal(dns_server_query(u->s, q, len, false, up_reply, u), 0);
	dns_server_destroy(u->s);
	uv_run(&u->loop, UV_RUN_NOWAIT);
	assert_int_equal(u->replies, 0);
	up_create(u, u->servers, 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_compression),
		cmocka_unit_test(test_pointer_loop),
		cmocka_unit_test(test_label_and_name_limits),
		cmocka_unit_test(test_truncated_messages),
		cmocka_unit_test(test_query_header_checks),
		cmocka_unit_test(test_edns_size),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_name_text),
		cmocka_unit_test_setup_teardown(test_zone_exact, local_setup,
						local_teardown),
		cmocka_unit_test_setup_teardown(test_zone_regexp, local_setup,
						local_teardown),
		cmocka_unit_test_setup_teardown(test_zone_default_ip,
						local_setup, local_teardown),
		cmocka_unit_test_setup_teardown(test_nxdomain_soa, local_setup,
						local_teardown),
		cmocka_unit_test_setup_teardown(test_aaaa_empty, local_setup,
						local_teardown),
		cmocka_unit_test_setup_teardown(test_aaaa_local, local6_setup,
						local_teardown),
		cmocka_unit_test_setup_teardown(test_queries_counted_once,
						local_setup, local_teardown),
		cmocka_unit_test_setup_teardown(test_local_edns, local_setup,
						local_teardown),
		cmocka_unit_test_setup_teardown(test_zone_order, local_setup,
						local_teardown),
		cmocka_unit_test_setup_teardown(test_zone_20000_records_one_add,
						local_setup, local_teardown),
		cmocka_unit_test_setup_teardown(
			test_zone_20000_records_one_by_one, local_setup,
			local_teardown),
		cmocka_unit_test_setup_teardown(test_zone_merge, local_setup,
						local_teardown),
		cmocka_unit_test_setup_teardown(test_json_shape, local_setup,
						local_teardown),
		cmocka_unit_test_setup_teardown(test_json_errors, local_setup,
						local_teardown),
		cmocka_unit_test(test_no_default_zones),
		cmocka_unit_test_setup_teardown(test_errors_replies,
						local_setup, local_teardown),
		cmocka_unit_test_setup_teardown(test_upstream_forward, up_setup,
						up_teardown),
		cmocka_unit_test_setup_teardown(test_upstream_big, up_setup,
						up_teardown),
		cmocka_unit_test_setup_teardown(test_upstream_silent, up_setup,
						up_teardown),
		cmocka_unit_test_setup_teardown(test_upstream_dead, up_setup,
						up_teardown),
		cmocka_unit_test_setup_teardown(test_cancel, up_setup,
						up_teardown),
	};

	log_set_level(LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
