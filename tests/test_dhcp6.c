/*
 * test_dhcp6.c - cmocka unit tests of the stateless DHCPv6 server
 * (dhcp/dhcp6.h): INFORMATION-REQUEST answered with the server's DUID-LL,
 * the echoed client id, DNS servers and search list; SOLICIT answered
 * with NoAddrsAvail and SOL_MAX_RT; REQUEST, RENEW, RELEASE, REBIND and
 * CONFIRM; the RFC 8415 section 16 discards; malformed messages and a
 * short output buffer.
 *
 * Run as "test-dhcp6 --write-corpus DIR" it writes the fuzzer's seed
 * corpus (fuzz/corpus/dhcp6) from the same message builder instead.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp/dhcp6.h"
#include "dhcp/dhcp_codec.h"
#include "util/be.h"

static const uint8_t gw_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
static const uint8_t gw6[16] = {0xfd, 0x71, 0x63, 0x77, 0x6e, 0x65, [15] = 1};
/* a client's DUID-LLT */
static const uint8_t cid[14] = {0,    1,    0,	  1,	0x2c, 0x3d, 0x4e,
				0x5f, 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};

/* ---- message builder (independent of the codec under test) ---- */

struct msg {
	uint8_t b[2048];
	size_t len;
};

static void msg_init(struct msg *m, uint8_t type, uint32_t xid)
{
	m->b[0] = type;
	m->b[1] = (uint8_t)(xid >> 16);
	m->b[2] = (uint8_t)(xid >> 8);
	m->b[3] = (uint8_t)xid;
	m->len = 4;
}

static void msg_opt(struct msg *m, uint16_t code, const void *v, uint16_t n)
{
	be16_put(m->b + m->len, code);
	be16_put(m->b + m->len + 2, n);
	memcpy(m->b + m->len + 4, v, n);
	m->len += 4 + (size_t)n;
}

static void msg_cid(struct msg *m)
{
	msg_opt(m, 1, cid, sizeof(cid));
}

static void msg_sid(struct msg *m)
{
	uint8_t duid[10] = {0, 3, 0, 1};

	memcpy(duid + 4, gw_mac, 6);
	msg_opt(m, 2, duid, sizeof(duid));
}

static void msg_common(struct msg *m)
{
	msg_opt(m, 8, "\0\0", 2); /* elapsed time */
	msg_opt(m, 6, "\0\x17\0\x18\0\x20", 6); /* ORO: 23, 24, 32 */
}

static void msg_ia_na(struct msg *m)
{
	msg_opt(m, 3, "\x0e\xef\x0c\xee\0\0\0\0\0\0\0\0", 12);
}

static void mk_info(struct msg *m)
{
	msg_init(m, DHCP6_INFORMATION_REQUEST, 0xabcdef);
	msg_cid(m);
	msg_common(m);
}

static void mk_solicit(struct msg *m)
{
	msg_init(m, DHCP6_SOLICIT, 0x010203);
	msg_cid(m);
	msg_common(m);
	msg_ia_na(m);
}

/* find option @code in a reply; its data length in @n, NULL if absent */
static const uint8_t *find_opt(const uint8_t *r, size_t len, uint16_t code,
			       size_t *n)
{
	size_t off = 4;

	while (off + 4 <= len) {
		uint16_t c = be16_get(r + off), l = be16_get(r + off + 2);

		assert_true(off + 4 + l <= len);
		if (c == code) {
			*n = l;
			return r + off + 4;
		}
		off += 4 + (size_t)l;
	}
	assert_int_equal(off, len);
	return NULL;
}

static void cfg_init(struct dhcp6_server_config *c)
{
	int n;

	memset(c, 0, sizeof(*c));
	dhcp6_duid_ll(c->duid, gw_mac);
	c->n_dns = 1;
	memcpy(c->dns[0], gw6, 16);
	n = dhcp_encode_domain("example.com", c->search, sizeof(c->search));
	assert_true(n > 0);
	c->search_len = (size_t)n;
	n = dhcp_encode_domain("corp.example.org", c->search + c->search_len,
			       sizeof(c->search) - c->search_len);
	assert_true(n > 0);
	c->search_len += (size_t)n;
	c->info_refresh_secs = 3600;
}

static int answer(const struct dhcp6_server_config *c, const struct msg *m,
		  uint8_t *out)
{
	return dhcp6_server_reply(c, m->b, m->len, out, DHCP6_REPLY_MAX);
}

static void check_ids(const uint8_t *r, int n, bool with_cid)
{
	static const uint8_t duid[10] = {0,    3,    0,	   1,	 0x5a,
					 0x94, 0xef, 0xe4, 0x0c, 0xdd};
	const uint8_t *v;
	size_t l;

	v = find_opt(r, (size_t)n, 2, &l);
	assert_non_null(v);
	assert_int_equal(l, 10);
	assert_memory_equal(v, duid, 10);
	v = find_opt(r, (size_t)n, 1, &l);
	if (!with_cid) {
		assert_null(v);
		return;
	}
	assert_non_null(v);
	assert_int_equal(l, sizeof(cid));
	assert_memory_equal(v, cid, sizeof(cid));
}

static uint16_t status_of(const uint8_t *r, int n)
{
	const uint8_t *v;
	size_t l;

	v = find_opt(r, (size_t)n, 13, &l);
	assert_non_null(v);
	assert_true(l >= 2);
	return be16_get(v);
}

static void test_info_request(void **state)
{
	struct dhcp6_server_config c;
	uint8_t out[DHCP6_REPLY_MAX];
	static const uint8_t want_search[] = "\x07"
					     "example\x03"
					     "com\x00\x04"
					     "corp\x07"
					     "example\x03"
					     "org";
	const uint8_t *v;
	struct msg m;
	size_t l;
	int n;

	(void)state;
	cfg_init(&c);
	mk_info(&m);
	n = answer(&c, &m, out);
	assert_true(n > 0);
	assert_int_equal(out[0], DHCP6_REPLY);
	assert_memory_equal(out + 1, "\xab\xcd\xef", 3);
	check_ids(out, n, true);
	v = find_opt(out, (size_t)n, 23, &l);
	assert_non_null(v);
	assert_int_equal(l, 16);
	assert_memory_equal(v, gw6, 16);
	v = find_opt(out, (size_t)n, 24, &l);
	assert_non_null(v);
	assert_int_equal(l, sizeof(want_search));
	assert_memory_equal(v, want_search, sizeof(want_search));
	v = find_opt(out, (size_t)n, 32, &l);
	assert_non_null(v);
	assert_int_equal(be32_get(v), 3600);
	assert_null(find_opt(out, (size_t)n, 13, &l));

	/* without a client id (allowed), with our server id */
	msg_init(&m, DHCP6_INFORMATION_REQUEST, 7);
	msg_sid(&m);
	n = answer(&c, &m, out);
	assert_true(n > 0);
	check_ids(out, n, false);
	/* no search list, no DNS: those options are left out */
	c.search_len = 0;
	c.n_dns = 0;
	n = answer(&c, &m, out);
	assert_null(find_opt(out, (size_t)n, 23, &l));
	assert_null(find_opt(out, (size_t)n, 24, &l));
}

static void test_info_request_discards(void **state)
{
	struct dhcp6_server_config c;
	uint8_t out[DHCP6_REPLY_MAX];
	struct msg m;

	(void)state;
	cfg_init(&c);
	/* another server's id */
	msg_init(&m, DHCP6_INFORMATION_REQUEST, 7);
	msg_opt(&m, 2, "\0\3\0\1\1\2\3\4\5\6", 10);
	assert_int_equal(answer(&c, &m, out), -EINVAL);
	/* an IA in an information request */
	mk_info(&m);
	msg_ia_na(&m);
	assert_int_equal(answer(&c, &m, out), -EINVAL);
}

static void test_solicit(void **state)
{
	struct dhcp6_server_config c;
	uint8_t out[DHCP6_REPLY_MAX];
	const uint8_t *v;
	struct msg m;
	size_t l;
	int n;

	(void)state;
	cfg_init(&c);
	mk_solicit(&m);
	n = answer(&c, &m, out);
	assert_true(n > 0);
	assert_int_equal(out[0], DHCP6_ADVERTISE);
	assert_memory_equal(out + 1, "\x01\x02\x03", 3);
	check_ids(out, n, true);
	assert_int_equal(status_of(out, n), DHCP6_ST_NO_ADDRS_AVAIL);
	v = find_opt(out, (size_t)n, 82, &l);
	assert_non_null(v);
	assert_int_equal(l, 4);
	assert_int_equal(be32_get(v), 3600);
	/* nothing to configure an address with */
	assert_null(find_opt(out, (size_t)n, 3, &l));

	/* RFC 8415 16.2: a solicit with a server id, or without client id */
	msg_sid(&m);
	assert_int_equal(answer(&c, &m, out), -EINVAL);
	msg_init(&m, DHCP6_SOLICIT, 1);
	msg_ia_na(&m);
	assert_int_equal(answer(&c, &m, out), -EINVAL);
}

static void test_other_client_messages(void **state)
{
	struct dhcp6_server_config c;
	uint8_t out[DHCP6_REPLY_MAX];
	struct msg m;
	int n;

	(void)state;
	cfg_init(&c);
	msg_init(&m, DHCP6_REQUEST, 9);
	msg_cid(&m);
	msg_sid(&m);
	msg_ia_na(&m);
	n = answer(&c, &m, out);
	assert_true(n > 0);
	assert_int_equal(out[0], DHCP6_REPLY);
	assert_int_equal(status_of(out, n), DHCP6_ST_NO_ADDRS_AVAIL);

	m.b[0] = DHCP6_RENEW;
	n = answer(&c, &m, out);
	assert_true(n > 0);
	assert_int_equal(status_of(out, n), DHCP6_ST_NO_BINDING);

	m.b[0] = DHCP6_RELEASE;
	n = answer(&c, &m, out);
	assert_true(n > 0);
	assert_int_equal(status_of(out, n), DHCP6_ST_SUCCESS);
	m.b[0] = DHCP6_DECLINE;
	assert_true(answer(&c, &m, out) > 0);

	/* a request for another server */
	msg_init(&m, DHCP6_REQUEST, 9);
	msg_cid(&m);
	msg_opt(&m, 2, "\0\3\0\1\1\2\3\4\5\6", 10);
	assert_int_equal(answer(&c, &m, out), -EINVAL);
	/* a request without server id */
	msg_init(&m, DHCP6_REQUEST, 9);
	msg_cid(&m);
	assert_int_equal(answer(&c, &m, out), -EINVAL);

	/* rebind and confirm: valid, not ours to answer */
	msg_init(&m, DHCP6_REBIND, 9);
	msg_cid(&m);
	msg_ia_na(&m);
	assert_int_equal(answer(&c, &m, out), 0);
	m.b[0] = DHCP6_CONFIRM;
	assert_int_equal(answer(&c, &m, out), 0);
}

static void test_not_client_messages(void **state)
{
	static const uint8_t types[] = {DHCP6_ADVERTISE,
					DHCP6_REPLY,
					DHCP6_RECONFIGURE,
					DHCP6_RELAY_FORW,
					DHCP6_RELAY_REPL,
					0,
					14,
					255};
	struct dhcp6_server_config c;
	uint8_t out[DHCP6_REPLY_MAX];
	struct msg m;
	size_t i;

	(void)state;
	cfg_init(&c);
	for (i = 0; i < sizeof(types); i++) {
		msg_init(&m, types[i], 1);
		msg_cid(&m);
		msg_sid(&m);
		assert_int_equal(answer(&c, &m, out), -EINVAL);
	}
}

static void test_malformed(void **state)
{
	struct dhcp6_server_config c;
	uint8_t out[DHCP6_REPLY_MAX];
	uint8_t big[200];
	struct msg m;
	size_t i;

	(void)state;
	cfg_init(&c);
	mk_info(&m);
	/* every truncation of a valid message inside an option header or
	 * its data is malformed; cutting at an option boundary is not */
	for (i = 0; i < m.len; i++) {
		int rc = dhcp6_server_reply(&c, m.b, i, out, sizeof(out));

		if (i == 4 || i == 4 + 18 || i == 4 + 18 + 6)
			assert_true(rc > 0);
		else
			assert_int_equal(rc, -EINVAL);
	}
	/* an option length past the end */
	mk_info(&m);
	be16_put(m.b + m.len - 2 - 6, 7);
	assert_int_equal(answer(&c, &m, out), -EINVAL);
	/* client ids: too short, too long, twice */
	msg_init(&m, DHCP6_INFORMATION_REQUEST, 1);
	msg_opt(&m, 1, "\0\1", 2);
	assert_int_equal(answer(&c, &m, out), -EINVAL);
	memset(big, 7, sizeof(big));
	msg_init(&m, DHCP6_INFORMATION_REQUEST, 1);
	msg_opt(&m, 1, big, 131);
	assert_int_equal(answer(&c, &m, out), -EINVAL);
	msg_init(&m, DHCP6_INFORMATION_REQUEST, 1);
	msg_opt(&m, 1, big, 130);
	assert_true(answer(&c, &m, out) > 0);
	msg_cid(&m);
	assert_int_equal(answer(&c, &m, out), -EINVAL);
	/* an odd option request list, a 3-byte elapsed time, rapid commit
	 * with data, a short IA_NA */
	msg_init(&m, DHCP6_INFORMATION_REQUEST, 1);
	msg_opt(&m, 6, "\0\x17\0", 3);
	assert_int_equal(answer(&c, &m, out), -EINVAL);
	msg_init(&m, DHCP6_INFORMATION_REQUEST, 1);
	msg_opt(&m, 8, "\0\0\0", 3);
	assert_int_equal(answer(&c, &m, out), -EINVAL);
	msg_init(&m, DHCP6_SOLICIT, 1);
	msg_cid(&m);
	msg_opt(&m, 14, "x", 1);
	assert_int_equal(answer(&c, &m, out), -EINVAL);
	msg_init(&m, DHCP6_SOLICIT, 1);
	msg_cid(&m);
	msg_opt(&m, 3, "\0\0\0\0", 4);
	assert_int_equal(answer(&c, &m, out), -EINVAL);
	/* unknown options are skipped */
	mk_info(&m);
	msg_opt(&m, 999, "abc", 3);
	assert_true(answer(&c, &m, out) > 0);
}

static void test_small_buffer(void **state)
{
	struct dhcp6_server_config c;
	uint8_t out[DHCP6_REPLY_MAX];
	uint8_t big[DHCP6_DUID_MAX];
	struct msg m;
	int full;
	size_t cap;

	(void)state;
	cfg_init(&c);
	mk_info(&m);
	full = answer(&c, &m, out);
	assert_true(full > 0);
	for (cap = 0; cap < (size_t)full; cap++)
		assert_int_equal(dhcp6_server_reply(&c, m.b, m.len, out, cap),
				 -ENOSPC);
	assert_int_equal(dhcp6_server_reply(&c, m.b, m.len, out, (size_t)full),
			 full);
	/* the largest reply fits the advertised bound */
	c.n_dns = DHCP6_MAX_DNS;
	memset(c.search, 1, sizeof(c.search));
	c.search_len = sizeof(c.search);
	msg_init(&m, DHCP6_INFORMATION_REQUEST, 1);
	memset(big, 9, sizeof(big));
	msg_opt(&m, 1, big, sizeof(big));
	assert_true(answer(&c, &m, out) > 0);
}

static void test_oro(void **state)
{
	struct dhcp6_msg p;
	struct msg m;

	(void)state;
	mk_info(&m);
	assert_int_equal(dhcp6_msg_parse(m.b, m.len, &p), 0);
	assert_int_equal(p.type, DHCP6_INFORMATION_REQUEST);
	assert_int_equal(p.xid, 0xabcdef);
	assert_true(dhcp6_msg_wants(&p, 23));
	assert_true(dhcp6_msg_wants(&p, 24));
	assert_false(dhcp6_msg_wants(&p, 25));
	assert_int_equal(p.client_id_len, sizeof(cid));
}

static int write_seed(const char *dir, const char *name, const struct msg *m)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(m->b, 1, m->len, f) != m->len) {
		perror(path);
		if (f)
			fclose(f);
		return 1;
	}
	return fclose(f) != 0;
}

static int write_corpus(const char *dir)
{
	struct msg m;
	int rc = 0;

	mk_info(&m);
	rc |= write_seed(dir, "information-request", &m);
	mk_solicit(&m);
	rc |= write_seed(dir, "solicit", &m);
	msg_opt(&m, 14, "", 0);
	rc |= write_seed(dir, "solicit-rapid-commit", &m);
	msg_init(&m, DHCP6_REQUEST, 5);
	msg_cid(&m);
	msg_sid(&m);
	msg_ia_na(&m);
	rc |= write_seed(dir, "request", &m);
	m.b[0] = DHCP6_RENEW;
	rc |= write_seed(dir, "renew", &m);
	m.b[0] = DHCP6_RELEASE;
	rc |= write_seed(dir, "release", &m);
	msg_init(&m, DHCP6_REBIND, 6);
	msg_cid(&m);
	msg_opt(&m, 25, "\0\0\0\1\0\0\0\0\0\0\0\0", 12);
	rc |= write_seed(dir, "rebind-pd", &m);
	return rc;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info_request),
		cmocka_unit_test(test_info_request_discards),
		cmocka_unit_test(test_solicit),
		cmocka_unit_test(test_other_client_messages),
		cmocka_unit_test(test_not_client_messages),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_oro),
	};

	if (argc == 3 && !strcmp(argv[1], "--write-corpus"))
		return write_corpus(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
