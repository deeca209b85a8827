/*
 * test_dhcp.c - cmocka unit tests of the DHCPv4 codec and server (dhcp/):
 * the DISCOVER/OFFER/REQUEST/ACK exchange, options, NAK, RELEASE, DECLINE,
 * INFORM, pool exhaustion, reclaiming quiet leases, lease expiry, reply
 * addressing, malformed input
 * and resolv.conf parsing.
 *
 * Run as "test-dhcp --write-corpus DIR" it writes the fuzzer's seed corpus
 * (fuzz/corpus/dhcp) from the same request builder instead of testing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/be.h"

#include "dhcp/dhcp_codec.h"
#include "dhcp/dhcp_server.h"

#define IP(a, b, c, d)                                                    \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | \
	 (uint32_t)(d))
#define NET(d) IP(192, 168, 127, d)
#define SEC 1000ull

static const uint8_t mac_static[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};
static const uint8_t mac_a[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t mac_b[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};
static const uint8_t mac_c[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0c};
static const uint8_t mac_d[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0d};
static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* ---- request builder (independent of the codec under test) ---- */

struct pkt {
	uint8_t b[1500];
	size_t len;
};

static void pkt_opt(struct pkt *p, uint8_t code, const void *v, uint8_t n)
{
	p->b[p->len++] = code;
	p->b[p->len++] = n;
	memcpy(p->b + p->len, v, n);
	p->len += n;
}

static void pkt_opt_ip(struct pkt *p, uint8_t code, uint32_t ip)
{
	uint8_t w[4];

	be32_put(w, ip);
	pkt_opt(p, code, w, 4);
}

/* pkt_init() - a BOOTREQUEST of @type from @mac, options open. */
static void pkt_init(struct pkt *p, uint8_t type, const uint8_t *mac,
		     uint32_t xid)
{
	memset(p, 0, sizeof(*p));
	p->b[0] = 1;
	p->b[1] = 1;
	p->b[2] = 6;
	be32_put(p->b + 4, xid);
	memcpy(p->b + 28, mac, 6);
	be32_put(p->b + 236, 0x63825363);
	p->len = 240;
	pkt_opt(p, 53, &type, 1);
}

static void pkt_ciaddr(struct pkt *p, uint32_t ip)
{
	be32_put(p->b + 12, ip);
}

static void pkt_bcast(struct pkt *p)
{
	p->b[10] = 0x80;
}

static void pkt_end(struct pkt *p)
{
	p->b[p->len++] = 255;
	if (p->len < 300)
		p->len = 300;
}

static void mk_discover(struct pkt *p, const uint8_t *mac, uint32_t xid)
{
	static const uint8_t params[] = {1, 3, 6, 15, 26, 28, 51, 119};

	pkt_init(p, DHCP_DISCOVER, mac, xid);
	pkt_opt(p, 55, params, sizeof(params));
	pkt_end(p);
}

static void mk_request(struct pkt *p, const uint8_t *mac, uint32_t xid,
		       uint32_t server_id, uint32_t want)
{
	pkt_init(p, DHCP_REQUEST, mac, xid);
	if (server_id)
		pkt_opt_ip(p, 54, server_id);
	if (want)
		pkt_opt_ip(p, 50, want);
	pkt_end(p);
}

/* ---- reply inspection ---- */

/* opt() - value of the first option @code in a reply, NULL if none. */
static const uint8_t *opt(const uint8_t *r, int len, uint8_t code,
			  uint8_t *olen)
{
	int i = 240;

	while (i < len) {
		uint8_t c = r[i++];

		if (c == 0)
			continue;
		if (c == 255 || i >= len)
			return NULL;
		if (i + 1 + r[i] > len)
			return NULL;
		if (c == code) {
			*olen = r[i];
			return r + i + 1;
		}
		i += 1 + r[i];
	}
	return NULL;
}

/* opt_concat() - all instances of @code joined (RFC 3396). */
static size_t opt_concat(const uint8_t *r, int len, uint8_t code, uint8_t *out)
{
	size_t n = 0;
	int i = 240;

	while (i < len) {
		uint8_t c = r[i++];

		if (c == 0)
			continue;
		if (c == 255)
			break;
		if (c == code) {
			memcpy(out + n, r + i + 1, r[i]);
			n += r[i];
		}
		i += 1 + r[i];
	}
	return n;
}

static uint32_t opt32(const uint8_t *r, int len, uint8_t code)
{
	uint8_t n = 0;
	const uint8_t *v = opt(r, len, code, &n);

	assert_non_null(v);
	assert_int_equal(n, 4);
	return be32_get(v);
}

static uint8_t msg_type(const uint8_t *r, int len)
{
	uint8_t n = 0;
	const uint8_t *v = opt(r, len, 53, &n);

	assert_non_null(v);
	assert_int_equal(n, 1);
	return v[0];
}

static uint32_t yiaddr(const uint8_t *r)
{
	return be32_get(r + 16);
}

/* ---- fixture ---- */

static const char *search_default[] = {"example.com", "corp.example.org"};

static void default_config(struct dhcp_server_config *c)
{
	memset(c, 0, sizeof(*c));
	c->network = NET(0);
	c->netmask = IP(255, 255, 255, 0);
	c->gateway = NET(1);
	c->host_alias = NET(254);
	c->pool_start = NET(3);
	c->pool_end = NET(253);
	c->lease_secs = 3600;
	c->mtu = 1500;
	c->n_static = 1;
	memcpy(c->statics[0].mac, mac_static, 6);
	c->statics[0].ip = NET(2);
	c->n_search = 2;
	c->search[0] = search_default[0];
	c->search[1] = search_default[1];
}

struct ctx {
	struct dhcp_server *s;
	uint8_t out[1500];
	struct dhcp_reply_dst dst;
	uint64_t now;
};

static int setup(void **state)
{
	struct dhcp_server_config c;
	struct ctx *t = calloc(1, sizeof(*t));

	default_config(&c);
	t->s = dhcp_server_create(&c);
	t->now = 1000 * SEC;
	*state = t;
	return t->s ? 0 : -1;
}

static int teardown(void **state)
{
	struct ctx *t = *state;

	dhcp_server_destroy(t->s);
	free(t);
	return 0;
}

static int handle(struct ctx *t, const struct pkt *p)
{
	memset(&t->dst, 0, sizeof(t->dst));
	return dhcp_server_handle(t->s, p->b, p->len, t->now, t->out,
				  sizeof(t->out), &t->dst);
}

/* dora() - DISCOVER then REQUEST the offer; returns the ACKed address. */
static uint32_t dora(struct ctx *t, const uint8_t *mac)
{
	struct pkt p;
	uint32_t ip;
	int n;

	mk_discover(&p, mac, 0x1111);
	n = handle(t, &p);
	assert_true(n >= 300);
	assert_int_equal(msg_type(t->out, n), DHCP_OFFER);
	ip = yiaddr(t->out);
	mk_request(&p, mac, 0x1112, opt32(t->out, n, 54), ip);
	n = handle(t, &p);
	assert_true(n >= 300);
	assert_int_equal(msg_type(t->out, n), DHCP_ACK);
	assert_int_equal(yiaddr(t->out), ip);
	return ip;
}

struct lease_list {
	unsigned int n;
	uint32_t ip[32];
	uint8_t mac[32][6];
};

static void collect(void *arg, uint32_t ip, const uint8_t mac[6])
{
	struct lease_list *l = arg;

	assert_true(l->n < 32);
	l->ip[l->n] = ip;
	memcpy(l->mac[l->n], mac, 6);
	l->n++;
}

static int has_lease(struct ctx *t, uint32_t ip, const uint8_t *mac)
{
	struct lease_list l = {0};
	unsigned int i;

	dhcp_server_foreach_lease(t->s, t->now, collect, &l);
	for (i = 0; i < l.n; i++)
		if (l.ip[i] == ip && (!mac || !memcmp(l.mac[i], mac, 6)))
			return 1;
	return 0;
}

/* ---- tests ---- */

static void check_options(const uint8_t *r, int n, uint16_t mtu)
{
	uint8_t wire[512], len = 0;
	const uint8_t *v;
	size_t sl;
	static const uint8_t want_search[] = {
		7,   'e', 'x', 'a', 'm', 'p', 'l', 'e', 3,   'c', 'o',
		'm', 0,	  4,   'c', 'o', 'r', 'p', 7,	'e', 'x', 'a',
		'm', 'p', 'l', 'e', 3,	 'o', 'r', 'g', 0,
	};

	assert_int_equal(r[0], 2);
	assert_int_equal(opt32(r, n, 54), NET(1));
	assert_int_equal(opt32(r, n, 1), IP(255, 255, 255, 0));
	assert_int_equal(opt32(r, n, 3), NET(1));
	assert_int_equal(opt32(r, n, 6), NET(1));
	assert_int_equal(opt32(r, n, 28), NET(255));
	v = opt(r, n, 26, &len);
	assert_non_null(v);
	assert_int_equal(len, 2);
	assert_int_equal(v[0] << 8 | v[1], mtu);
	sl = opt_concat(r, n, 119, wire);
	assert_int_equal(sl, sizeof(want_search));
	assert_memory_equal(wire, want_search, sizeof(want_search));
}

static void test_dora_static(void **state)
{
	struct ctx *t = *state;
	struct pkt p;
	int n;

	mk_discover(&p, mac_static, 0xabcdef01);
	n = handle(t, &p);
	assert_true(n >= 300);
	assert_int_equal(msg_type(t->out, n), DHCP_OFFER);
	assert_int_equal(yiaddr(t->out), NET(2));
	assert_int_equal(be32_get(t->out + 4), 0xabcdef01);
	assert_memory_equal(t->out + 28, mac_static, 6);
	assert_int_equal(opt32(t->out, n, 51), 3600);
	assert_int_equal(opt32(t->out, n, 58), 1800);
	assert_int_equal(opt32(t->out, n, 59), 3150);
	check_options(t->out, n, 1500);
	/* no broadcast flag, no ciaddr: unicast to yiaddr/chaddr */
	assert_int_equal(t->dst.ip, NET(2));
	assert_memory_equal(t->dst.mac, mac_static, 6);

	mk_request(&p, mac_static, 0xabcdef02, NET(1), NET(2));
	n = handle(t, &p);
	assert_int_equal(msg_type(t->out, n), DHCP_ACK);
	assert_int_equal(yiaddr(t->out), NET(2));
	assert_int_equal(opt32(t->out, n, 51), 3600);
	check_options(t->out, n, 1500);

	assert_true(has_lease(t, NET(2), mac_static));
	assert_int_equal(dhcp_server_counters(t->s)->discover, 1);
	assert_int_equal(dhcp_server_counters(t->s)->offer, 1);
	assert_int_equal(dhcp_server_counters(t->s)->request, 1);
	assert_int_equal(dhcp_server_counters(t->s)->ack, 1);
}

static void test_dynamic_second_mac(void **state)
{
	struct ctx *t = *state;

	assert_int_equal(dora(t, mac_static), NET(2));
	assert_int_equal(dora(t, mac_a), NET(3));
	assert_int_equal(dora(t, mac_b), NET(4));
	/* a known MAC keeps its address */
	assert_int_equal(dora(t, mac_a), NET(3));
	assert_true(has_lease(t, NET(3), mac_a));
	assert_true(has_lease(t, NET(4), mac_b));
}

static void test_broadcast_flag(void **state)
{
	struct ctx *t = *state;
	struct pkt p;
	int n;

	pkt_init(&p, DHCP_DISCOVER, mac_a, 1);
	pkt_bcast(&p);
	pkt_end(&p);
	n = handle(t, &p);
	assert_int_equal(msg_type(t->out, n), DHCP_OFFER);
	assert_int_equal(t->dst.ip, 0xffffffff);
	assert_memory_equal(t->dst.mac, bcast_mac, 6);
	assert_int_equal(t->out[10], 0x80); /* flags copied */
}

static void test_mtu_65520(void **state)
{
	struct dhcp_server_config c;
	struct dhcp_server *s;
	struct dhcp_reply_dst dst;
	uint8_t out[1500];
	struct pkt p;
	int n;

	(void)state;
	default_config(&c);
	c.mtu = 65520;
	s = dhcp_server_create(&c);
	assert_non_null(s);
	mk_discover(&p, mac_static, 7);
	n = dhcp_server_handle(s, p.b, p.len, 0, out, sizeof(out), &dst);
	assert_true(n >= 300);
	check_options(out, n, 65520);
	dhcp_server_destroy(s);
}

static void test_nak(void **state)
{
	struct ctx *t = *state;
	struct pkt p;
	int n;

	/* SELECTING with an address other than the one offered */
	mk_discover(&p, mac_a, 1);
	n = handle(t, &p);
	assert_int_equal(yiaddr(t->out), NET(3));
	mk_request(&p, mac_a, 2, NET(1), NET(9));
	n = handle(t, &p);
	assert_int_equal(msg_type(t->out, n), DHCP_NAK);
	assert_int_equal(yiaddr(t->out), 0);
	assert_null(opt(t->out, n, 51, &(uint8_t){0}));
	assert_int_equal(t->dst.ip, 0xffffffff);
	assert_memory_equal(t->dst.mac, bcast_mac, 6);

	/* INIT-REBOOT into a foreign subnet */
	mk_request(&p, mac_b, 3, 0, IP(10, 0, 2, 15));
	n = handle(t, &p);
	assert_int_equal(msg_type(t->out, n), DHCP_NAK);

	/* the static MAC asking for another address */
	mk_request(&p, mac_static, 4, 0, NET(5));
	n = handle(t, &p);
	assert_int_equal(msg_type(t->out, n), DHCP_NAK);

	/* someone else's static address, the gateway, the host alias */
	mk_request(&p, mac_b, 5, 0, NET(2));
	assert_int_equal(msg_type(t->out, handle(t, &p)), DHCP_NAK);
	mk_request(&p, mac_b, 6, 0, NET(1));
	assert_int_equal(msg_type(t->out, handle(t, &p)), DHCP_NAK);
	mk_request(&p, mac_b, 7, 0, NET(254));
	assert_int_equal(msg_type(t->out, handle(t, &p)), DHCP_NAK);

	/* another client's live lease */
	assert_int_equal(dora(t, mac_c), NET(4));
	mk_request(&p, mac_b, 8, 0, NET(4));
	assert_int_equal(msg_type(t->out, handle(t, &p)), DHCP_NAK);

	/* NAK is broadcast even when renewing with a ciaddr */
	pkt_init(&p, DHCP_REQUEST, mac_b, 9);
	pkt_ciaddr(&p, NET(4));
	pkt_end(&p);
	n = handle(t, &p);
	assert_int_equal(msg_type(t->out, n), DHCP_NAK);
	assert_int_equal(t->dst.ip, 0xffffffff);

	/* a REQUEST naming nothing at all */
	mk_request(&p, mac_b, 10, 0, 0);
	assert_int_equal(msg_type(t->out, handle(t, &p)), DHCP_NAK);
	assert_int_equal(dhcp_server_counters(t->s)->nak, 9);
}

static void test_init_reboot_and_renew(void **state)
{
	struct ctx *t = *state;
	struct pkt p;
	int n;

	/* INIT-REBOOT of an unknown client for a free address: granted */
	mk_request(&p, mac_a, 1, 0, NET(50));
	n = handle(t, &p);
	assert_int_equal(msg_type(t->out, n), DHCP_ACK);
	assert_int_equal(yiaddr(t->out), NET(50));
	assert_true(has_lease(t, NET(50), mac_a));

	/* RENEWING: unicast with ciaddr, reply to ciaddr/chaddr */
	t->now += 1800 * SEC;
	pkt_init(&p, DHCP_REQUEST, mac_a, 2);
	pkt_ciaddr(&p, NET(50));
	pkt_bcast(&p);
	pkt_end(&p);
	n = handle(t, &p);
	assert_int_equal(msg_type(t->out, n), DHCP_ACK);
	assert_int_equal(yiaddr(t->out), NET(50));
	assert_int_equal(be32_get(t->out + 12), NET(50));
	assert_int_equal(t->dst.ip, NET(50));
	assert_memory_equal(t->dst.mac, mac_a, 6);
	/* the renewal extended the lease past the first hour */
	t->now += 3000 * SEC;
	assert_true(has_lease(t, NET(50), mac_a));

	/* while bound to .50, asking for .51 is refused */
	mk_request(&p, mac_a, 3, 0, NET(51));
	assert_int_equal(msg_type(t->out, handle(t, &p)), DHCP_NAK);
}

static void test_other_server(void **state)
{
	struct ctx *t = *state;
	struct pkt p;

	mk_discover(&p, mac_a, 1);
	handle(t, &p);
	assert_int_equal(yiaddr(t->out), NET(3));
	mk_request(&p, mac_a, 2, IP(192, 168, 127, 99), NET(3));
	assert_int_equal(handle(t, &p), 0);
	assert_int_equal(dhcp_server_counters(t->s)->ignored, 1);
	/* the offer was withdrawn: .3 is free for somebody else */
	assert_int_equal(dora(t, mac_b), NET(3));
}

static void test_relay_ignored(void **state)
{
	struct ctx *t = *state;
	struct pkt p;

	mk_discover(&p, mac_a, 1);
	be32_put(p.b + 24, IP(10, 1, 1, 1));
	assert_int_equal(handle(t, &p), 0);
	assert_int_equal(dhcp_server_counters(t->s)->ignored, 1);
	assert_int_equal(dhcp_server_counters(t->s)->offer, 0);
}

static void test_release(void **state)
{
	struct ctx *t = *state;
	struct pkt p;

	assert_int_equal(dora(t, mac_a), NET(3));
	assert_int_equal(dora(t, mac_static), NET(2));

	/* a RELEASE by another MAC does nothing */
	pkt_init(&p, DHCP_RELEASE, mac_b, 1);
	pkt_opt_ip(&p, 54, NET(1));
	pkt_ciaddr(&p, NET(3));
	pkt_end(&p);
	assert_int_equal(handle(t, &p), 0);
	assert_true(has_lease(t, NET(3), mac_a));

	pkt_init(&p, DHCP_RELEASE, mac_a, 2);
	pkt_opt_ip(&p, 54, NET(1));
	pkt_ciaddr(&p, NET(3));
	pkt_end(&p);
	assert_int_equal(handle(t, &p), 0);
	assert_false(has_lease(t, NET(3), NULL));
	assert_int_equal(dhcp_server_counters(t->s)->release, 2);

	/* the static lease survives a RELEASE */
	pkt_init(&p, DHCP_RELEASE, mac_static, 3);
	pkt_ciaddr(&p, NET(2));
	pkt_end(&p);
	assert_int_equal(handle(t, &p), 0);
	assert_true(has_lease(t, NET(2), mac_static));

	/* the releasing client gets its address back */
	assert_int_equal(dora(t, mac_a), NET(3));
}

static void test_release_reuse_small_pool(void **state)
{
	struct dhcp_server_config c;
	struct ctx t = {0};
	struct pkt p;

	(void)state;
	default_config(&c);
	c.pool_start = NET(3);
	c.pool_end = NET(3);
	t.s = dhcp_server_create(&c);
	assert_non_null(t.s);
	assert_int_equal(dora(&t, mac_a), NET(3));
	mk_discover(&p, mac_b, 1);
	assert_int_equal(handle(&t, &p), 0);
	pkt_init(&p, DHCP_RELEASE, mac_a, 2);
	pkt_ciaddr(&p, NET(3));
	pkt_end(&p);
	assert_int_equal(handle(&t, &p), 0);
	assert_int_equal(dora(&t, mac_b), NET(3));
	dhcp_server_destroy(t.s);
}

static void test_decline(void **state)
{
	struct ctx *t = *state;
	struct pkt p;

	assert_int_equal(dora(t, mac_a), NET(3));
	pkt_init(&p, DHCP_DECLINE, mac_a, 1);
	pkt_opt_ip(&p, 54, NET(1));
	pkt_opt_ip(&p, 50, NET(3));
	pkt_end(&p);
	assert_int_equal(handle(t, &p), 0);
	assert_int_equal(dhcp_server_counters(t->s)->decline, 1);
	assert_false(has_lease(t, NET(3), NULL));
	/* the declined address is skipped, even for the same client */
	assert_int_equal(dora(t, mac_a), NET(4));
	mk_request(&p, mac_b, 2, 0, NET(3));
	assert_int_equal(msg_type(t->out, handle(t, &p)), DHCP_NAK);
	/* and usable again after the hold time */
	t->now += 11 * 60 * SEC;
	mk_request(&p, mac_b, 3, 0, NET(3));
	assert_int_equal(msg_type(t->out, handle(t, &p)), DHCP_ACK);
	assert_true(has_lease(t, NET(3), mac_b));
}

static void test_decline_foreign_ignored(void **state)
{
	struct ctx *t = *state;
	struct pkt p;

	assert_int_equal(dora(t, mac_a), NET(3));
	pkt_init(&p, DHCP_DECLINE, mac_b, 1);
	pkt_opt_ip(&p, 50, NET(3));
	pkt_end(&p);
	assert_int_equal(handle(t, &p), 0);
	assert_true(has_lease(t, NET(3), mac_a));
}

static void test_inform(void **state)
{
	struct ctx *t = *state;
	struct pkt p;
	uint8_t l;
	int n;

	pkt_init(&p, DHCP_INFORM, mac_a, 0x55);
	pkt_ciaddr(&p, NET(77));
	pkt_end(&p);
	n = handle(t, &p);
	assert_true(n >= 300);
	assert_int_equal(msg_type(t->out, n), DHCP_ACK);
	assert_int_equal(yiaddr(t->out), 0);
	assert_int_equal(be32_get(t->out + 12), NET(77));
	assert_null(opt(t->out, n, 51, &l));
	assert_null(opt(t->out, n, 58, &l));
	assert_null(opt(t->out, n, 59, &l));
	check_options(t->out, n, 1500);
	assert_int_equal(t->dst.ip, NET(77));
	assert_memory_equal(t->dst.mac, mac_a, 6);
	assert_false(has_lease(t, NET(77), NULL));
	assert_int_equal(dhcp_server_counters(t->s)->inform, 1);

	/* INFORM without an address of ours: no reply */
	pkt_init(&p, DHCP_INFORM, mac_a, 0x56);
	pkt_end(&p);
	assert_int_equal(handle(t, &p), 0);
}

static void test_pool_exhaustion(void **state)
{
	struct dhcp_server_config c;
	struct ctx t = {0};
	struct pkt p;

	(void)state;
	default_config(&c);
	c.pool_start = NET(250);
	c.pool_end = NET(254); /* .254 is the host alias: 4 usable */
	c.statics[0].ip = NET(252); /* and a static inside the pool: 3 */
	t.s = dhcp_server_create(&c);
	assert_non_null(t.s);
	assert_int_equal(dora(&t, mac_a), NET(250));
	assert_int_equal(dora(&t, mac_b), NET(251));
	assert_int_equal(dora(&t, mac_c), NET(253));
	mk_discover(&p, mac_d, 1);
	assert_int_equal(handle(&t, &p), 0);
	assert_int_equal(dhcp_server_counters(t.s)->pool_exhausted, 1);
	/* statics are never short of addresses */
	assert_int_equal(dora(&t, mac_static), NET(252));
	dhcp_server_destroy(t.s);
}

static void test_offer_hold_expires(void **state)
{
	struct dhcp_server_config c;
	struct ctx t = {0};
	struct pkt p;

	(void)state;
	default_config(&c);
	c.pool_start = NET(3);
	c.pool_end = NET(3);
	t.s = dhcp_server_create(&c);
	assert_non_null(t.s);
	mk_discover(&p, mac_a, 1);
	assert_true(handle(&t, &p) > 0);
	assert_int_equal(yiaddr(t.out), NET(3));
	mk_discover(&p, mac_b, 2);
	assert_int_equal(handle(&t, &p), 0); /* held for mac_a */
	t.now += 61 * SEC;
	assert_true(handle(&t, &p) > 0);
	assert_int_equal(yiaddr(t.out), NET(3));
	dhcp_server_destroy(t.s);
}

/* A fake switch: which MACs were seen when. */
struct fake_sw {
	unsigned int n;
	uint8_t mac[8][6];
	uint64_t seen[8];
};

static int fake_seen(void *arg, const uint8_t mac[6], uint64_t *seen_ms)
{
	struct fake_sw *f = arg;
	unsigned int i;

	for (i = 0; i < f->n; i++) {
		if (!memcmp(f->mac[i], mac, 6)) {
			*seen_ms = f->seen[i];
			return 0;
		}
	}
	return -ENOENT;
}

static int seen_now(void *arg, const uint8_t mac[6], uint64_t *seen_ms)
{
	(void)mac;
	*seen_ms = *(const uint64_t *)arg;
	return 0;
}

static void test_lease_expiry(void **state)
{
	struct dhcp_server_config c;
	struct ctx t = {0};
	struct pkt p;

	(void)state;
	default_config(&c);
	c.pool_start = NET(3);
	c.pool_end = NET(4);
	t.s = dhcp_server_create(&c);
	assert_non_null(t.s);
	/* every client keeps talking: no lease is quiet, none reclaimed */
	dhcp_server_set_quiet(t.s, 0, seen_now, &t.now);
	t.now = 5 * SEC;
	assert_int_equal(dora(&t, mac_a), NET(3));
	assert_int_equal(dora(&t, mac_b), NET(4));
	mk_discover(&p, mac_c, 1);
	assert_int_equal(handle(&t, &p), 0);

	t.now += 3599 * SEC;
	assert_true(has_lease(&t, NET(3), mac_a));
	assert_int_equal(handle(&t, &p), 0);
	t.now += 1 * SEC;
	assert_false(has_lease(&t, NET(3), NULL));
	assert_false(has_lease(&t, NET(4), NULL));
	/* a known MAC gets its expired address back ... */
	assert_int_equal(dora(&t, mac_b), NET(4));
	/* ... and an expired one is reusable by others */
	assert_int_equal(dora(&t, mac_c), NET(3));
	assert_true(has_lease(&t, NET(3), mac_c));
	/* the old holder now gets nothing: both are taken */
	mk_discover(&p, mac_a, 2);
	assert_int_equal(handle(&t, &p), 0);
	dhcp_server_destroy(t.s);
}

/*
 * Pool exhausted: a new client gets the lease of the client quiet
 * longest (not heard, not seen on the switch) once quiet for the quiet
 * time; one seen on the switch keeps its lease; the static never waits.
 */
static void test_reclaim_quiet(void **state)
{
	struct dhcp_server_config c;
	struct fake_sw sw = {0};
	struct ctx t = {0};
	struct pkt p;
	int n;

	(void)state;
	default_config(&c);
	c.pool_start = NET(250);
	c.pool_end = NET(254);
	c.statics[0].ip = NET(252);
	t.s = dhcp_server_create(&c);
	assert_non_null(t.s);
	dhcp_server_set_quiet(t.s, 30 * SEC, fake_seen, &sw);
	t.now = 100 * SEC;
	assert_int_equal(dora(&t, mac_a), NET(250));
	t.now += SEC;
	assert_int_equal(dora(&t, mac_b), NET(251));
	assert_int_equal(dora(&t, mac_c), NET(253));
	mk_discover(&p, mac_d, 1);
	t.now += 28 * SEC;
	assert_int_equal(handle(&t, &p), 0); /* nobody quiet for 30 s yet */
	assert_int_equal(dhcp_server_counters(t.s)->reclaimed, 0);
	/* a was heard first but is still talking on the switch */
	memcpy(sw.mac[0], mac_a, 6);
	sw.seen[0] = t.now;
	sw.n = 1;
	t.now += 2 * SEC;
	assert_int_equal(dora(&t, mac_d), NET(251));
	assert_int_equal(dhcp_server_counters(t.s)->reclaimed, 1);
	assert_true(has_lease(&t, NET(251), mac_d));
	assert_true(has_lease(&t, NET(250), mac_a));
	/* b's renewal is refused: its address went to d */
	pkt_init(&p, DHCP_REQUEST, mac_b, 7);
	pkt_ciaddr(&p, NET(251));
	pkt_end(&p);
	n = handle(&t, &p);
	assert_true(n > 0);
	assert_int_equal(msg_type(t.out, n), DHCP_NAK);
	/* the static lease is never reclaimed nor short */
	assert_int_equal(dora(&t, mac_static), NET(252));
	/* b comes back: c is the quiet one now */
	assert_int_equal(dora(&t, mac_b), NET(253));
	assert_int_equal(dhcp_server_counters(t.s)->reclaimed, 2);
	/* everyone left is fresh: no reclaim, no offer */
	mk_discover(&p, mac_c, 9);
	assert_int_equal(handle(&t, &p), 0);
	assert_int_equal(dhcp_server_counters(t.s)->reclaimed, 2);
	dhcp_server_destroy(t.s);
}

/*
 * The lease callback as the stack uses it (ARP pins): a model table of
 * ip -> MAC where every unbound report must name the pin it ends.
 */
struct pin_model {
	unsigned int n, events;
	uint32_t ip[16];
	uint8_t mac[16][6];
};

static long pin_find(const struct pin_model *m, uint32_t ip)
{
	unsigned int i;

	for (i = 0; i < m->n; i++)
		if (m->ip[i] == ip)
			return (long)i;
	return -1;
}

static void pin_cb(void *arg, uint32_t ip, const uint8_t mac[6], int bound)
{
	struct pin_model *m = arg;
	long i = pin_find(m, ip);

	m->events++;
	if (!bound) {
		assert_true(i >= 0);
		assert_memory_equal(m->mac[i], mac, 6);
		m->n--;
		m->ip[i] = m->ip[m->n];
		memcpy(m->mac[i], m->mac[m->n], 6);
		return;
	}
	if (i < 0) {
		assert_true(m->n < 16);
		i = (long)m->n++;
	}
	m->ip[i] = ip;
	memcpy(m->mac[i], mac, 6);
}

static int pinned_to(const struct pin_model *m, uint32_t ip, const uint8_t *mac)
{
	long i = pin_find(m, ip);

	return i >= 0 && !memcmp(m->mac[i], mac, 6);
}

/*
 * Every ACK pins its address to the client's MAC; a release, a decline,
 * an expiry and a reclaim end the pin, and an address handed to another
 * MAC is reported unbound from the old MAC, then bound to the new one.
 */
static void test_lease_events(void **state)
{
	struct dhcp_server_config c;
	struct pin_model m = {0};
	struct fake_sw sw = {0};
	struct ctx t = {0};
	struct pkt p;
	unsigned int ev;

	(void)state;
	default_config(&c);
	c.pool_start = NET(250);
	c.pool_end = NET(253);
	c.statics[0].ip = NET(2);
	t.s = dhcp_server_create(&c);
	assert_non_null(t.s);
	dhcp_server_set_quiet(t.s, 30 * SEC, fake_seen, &sw);
	dhcp_server_set_lease_cb(t.s, pin_cb, &m);
	t.now = 100 * SEC;

	/* an OFFER pins nothing, the ACK does; statics too */
	mk_discover(&p, mac_a, 1);
	assert_true(handle(&t, &p) > 0);
	assert_int_equal(m.events, 0);
	assert_int_equal(dora(&t, mac_a), NET(250));
	assert_true(pinned_to(&m, NET(250), mac_a));
	assert_int_equal(dora(&t, mac_static), NET(2));
	assert_true(pinned_to(&m, NET(2), mac_static));
	assert_int_equal(dora(&t, mac_b), NET(251));
	assert_int_equal(dora(&t, mac_c), NET(252));
	assert_int_equal(dora(&t, mac_d), NET(253));
	assert_int_equal(m.n, 5);

	/* a renewal keeps the pin */
	pkt_init(&p, DHCP_REQUEST, mac_a, 2);
	pkt_ciaddr(&p, NET(250));
	pkt_end(&p);
	assert_int_equal(msg_type(t.out, handle(&t, &p)), DHCP_ACK);
	assert_true(pinned_to(&m, NET(250), mac_a));

	/* released: unpinned; the static is never unpinned */
	pkt_init(&p, DHCP_RELEASE, mac_b, 3);
	pkt_ciaddr(&p, NET(251));
	pkt_opt_ip(&p, 54, NET(1));
	pkt_end(&p);
	assert_int_equal(handle(&t, &p), 0);
	assert_int_equal(pin_find(&m, NET(251)), -1);
	pkt_init(&p, DHCP_RELEASE, mac_static, 4);
	pkt_ciaddr(&p, NET(2));
	pkt_end(&p);
	handle(&t, &p);
	assert_true(pinned_to(&m, NET(2), mac_static));

	/* declined: unpinned */
	pkt_init(&p, DHCP_DECLINE, mac_c, 5);
	pkt_opt_ip(&p, 54, NET(1));
	pkt_opt_ip(&p, 50, NET(252));
	pkt_end(&p);
	assert_int_equal(handle(&t, &p), 0);
	assert_int_equal(pin_find(&m, NET(252)), -1);

	/*
	 * Pool full (.251 taken again by b, .252 declined): a new MAC gets
	 * the quiet d's address; the pin moves to the new MAC.
	 */
	assert_int_equal(dora(&t, mac_b), NET(251));
	t.now += 31 * SEC;
	memcpy(sw.mac[0], mac_a, 6);
	memcpy(sw.mac[1], mac_b, 6);
	sw.seen[0] = sw.seen[1] = t.now;
	sw.n = 2;
	{
		static const uint8_t mac_e[6] = {2, 0, 0, 0, 0, 0x0e};

		ev = m.events;
		assert_int_equal(dora(&t, mac_e), NET(253));
		assert_int_equal(dhcp_server_counters(t.s)->reclaimed, 1);
		assert_true(pinned_to(&m, NET(253), mac_e));
		assert_int_equal(m.events, ev + 2); /* unbound d, bound e */
	}

	/* expiry: reported by the sweep, once */
	t.now += 3600 * SEC;
	ev = m.events;
	dhcp_server_expire(t.s, t.now);
	assert_int_equal(m.events, ev + 3); /* a, b, e */
	assert_int_equal(m.n, 1);
	assert_true(pinned_to(&m, NET(2), mac_static));
	dhcp_server_expire(t.s, t.now);
	assert_int_equal(m.events, ev + 3);

	/* expired but not yet swept, then taken by another MAC */
	assert_int_equal(dora(&t, mac_a), NET(250));
	t.now += 3601 * SEC;
	mk_request(&p, mac_d, 6, 0, NET(250));
	assert_int_equal(msg_type(t.out, handle(&t, &p)), DHCP_ACK);
	assert_true(pinned_to(&m, NET(250), mac_d));
	/* the same MAC moves to another address: the old pin ends */
	mk_request(&p, mac_d, 7, 0, NET(251));
	t.now += 3601 * SEC;
	assert_int_equal(msg_type(t.out, handle(&t, &p)), DHCP_ACK);
	assert_true(pinned_to(&m, NET(251), mac_d));
	assert_int_equal(pin_find(&m, NET(250)), -1);
	dhcp_server_destroy(t.s);
}

/*
 * 300 MACs ask once and go away: the pool is not bound for a lease time,
 * a new client gets an address once they are quiet, and the static MAC
 * gets its own throughout.
 */
static void test_reclaim_after_300_macs(void **state)
{
	struct ctx *t = *state;
	uint8_t mac[6] = {0x02, 0x42, 0, 0, 0, 0};
	unsigned int i, bound = 0;
	struct pkt p;

	dhcp_server_set_quiet(t->s, 0, NULL, NULL); /* default: 300 s */
	for (i = 0; i < 300; i++) {
		int n;

		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		mk_discover(&p, mac, i);
		n = handle(t, &p);
		if (n <= 0)
			continue;
		mk_request(&p, mac, i, NET(1), yiaddr(t->out));
		n = handle(t, &p);
		if (n > 0 && msg_type(t->out, n) == DHCP_ACK)
			bound++;
	}
	assert_int_equal(bound, 251); /* .3 to .253 */
	assert_int_equal(dhcp_server_counters(t->s)->pool_exhausted, 49);
	assert_int_equal(dora(t, mac_static), NET(2));
	mk_discover(&p, mac_a, 1);
	t->now += 299 * SEC;
	assert_int_equal(handle(t, &p), 0);
	t->now += SEC;
	for (i = 0; i < 5; i++) {
		uint8_t m[6] = {0x02, 0x77, 0, 0, 0, (uint8_t)i};

		assert_int_equal(dora(t, m), NET(3 + i));
	}
	assert_int_equal(dhcp_server_counters(t->s)->reclaimed, 5);
	assert_int_equal(dora(t, mac_static), NET(2));
}

static void test_requested_ip_in_discover(void **state)
{
	struct ctx *t = *state;
	struct pkt p;

	pkt_init(&p, DHCP_DISCOVER, mac_a, 1);
	pkt_opt_ip(&p, 50, NET(42));
	pkt_end(&p);
	assert_true(handle(t, &p) > 0);
	assert_int_equal(yiaddr(t->out), NET(42));
	/* but not a reserved one */
	pkt_init(&p, DHCP_DISCOVER, mac_b, 2);
	pkt_opt_ip(&p, 50, NET(254));
	pkt_end(&p);
	assert_true(handle(t, &p) > 0);
	assert_int_equal(yiaddr(t->out), NET(3));
}

static void test_foreach_order(void **state)
{
	struct dhcp_server_config c;
	struct ctx t = {0};
	struct lease_list l = {0};

	(void)state;
	default_config(&c);
	c.n_static = 3;
	c.statics[0].ip = NET(200);
	memcpy(c.statics[1].mac, mac_d, 6);
	c.statics[1].ip = NET(2);
	memcpy(c.statics[2].mac, mac_static, 6);
	c.statics[2].mac[5] = 0xef;
	c.statics[2].ip = NET(4);
	t.s = dhcp_server_create(&c);
	assert_non_null(t.s);
	assert_int_equal(dora(&t, mac_a), NET(3));
	assert_int_equal(dora(&t, mac_b), NET(5));
	dhcp_server_foreach_lease(t.s, t.now, collect, &l);
	assert_int_equal(l.n, 5);
	assert_int_equal(l.ip[0], NET(2));
	assert_memory_equal(l.mac[0], mac_d, 6);
	assert_int_equal(l.ip[1], NET(3));
	assert_int_equal(l.ip[2], NET(4));
	assert_int_equal(l.ip[3], NET(5));
	assert_int_equal(l.ip[4], NET(200));
	dhcp_server_destroy(t.s);
}

static void expect_malformed(struct ctx *t, const uint8_t *b, size_t len)
{
	uint64_t before = dhcp_server_counters(t->s)->malformed;

	assert_int_equal(dhcp_server_handle(t->s, b, len, t->now, t->out,
					    sizeof(t->out), &t->dst),
			 -EINVAL);
	assert_int_equal(dhcp_server_counters(t->s)->malformed, before + 1);
}

static void test_malformed(void **state)
{
	struct ctx *t = *state;
	struct pkt p;
	size_t l;

	mk_discover(&p, mac_a, 1);
	/* truncated anywhere before the options */
	for (l = 0; l < 240; l++)
		expect_malformed(t, p.b, l);
	expect_malformed(t, NULL, 0);

	mk_discover(&p, mac_a, 1);
	p.b[236] ^= 1; /* magic cookie */
	expect_malformed(t, p.b, p.len);
	mk_discover(&p, mac_a, 1);
	p.b[0] = 2; /* BOOTREPLY */
	expect_malformed(t, p.b, p.len);
	mk_discover(&p, mac_a, 1);
	p.b[1] = 6; /* IEEE 802 */
	expect_malformed(t, p.b, p.len);
	mk_discover(&p, mac_a, 1);
	p.b[2] = 16;
	expect_malformed(t, p.b, p.len);
	mk_discover(&p, bcast_mac, 1); /* multicast chaddr */
	expect_malformed(t, p.b, p.len);

	/* plain BOOTP: no message type */
	pkt_init(&p, DHCP_DISCOVER, mac_a, 1);
	p.len = 240;
	pkt_end(&p);
	expect_malformed(t, p.b, p.len);

	/* message type of the wrong length */
	pkt_init(&p, DHCP_DISCOVER, mac_a, 1);
	p.b[241] = 2;
	pkt_end(&p);
	expect_malformed(t, p.b, p.len);

	/* option running past the end of the buffer */
	pkt_init(&p, DHCP_DISCOVER, mac_a, 1);
	p.b[p.len++] = 12;
	p.b[p.len++] = 40;
	memset(p.b + p.len, 'x', 10);
	p.len += 10;
	expect_malformed(t, p.b, p.len);
	/* option code as the very last byte */
	pkt_init(&p, DHCP_DISCOVER, mac_a, 1);
	p.b[p.len++] = 12;
	expect_malformed(t, p.b, p.len);
	/* requested IP with 3 bytes */
	pkt_init(&p, DHCP_DISCOVER, mac_a, 1);
	pkt_opt(&p, 50, "\xc0\xa8\x7f", 3);
	pkt_end(&p);
	expect_malformed(t, p.b, p.len);

	assert_int_equal(dhcp_server_counters(t->s)->offer, 0);
}

static void test_tolerated(void **state)
{
	struct ctx *t = *state;
	struct pkt p;

	/* no end option and no padding: still fine */
	pkt_init(&p, DHCP_DISCOVER, mac_a, 1);
	assert_true(handle(t, &p) > 0);
	/* unknown message type: ignored, not malformed */
	pkt_init(&p, 42, mac_a, 1);
	pkt_end(&p);
	assert_int_equal(handle(t, &p), 0);
	/* a server message type sent to the server */
	pkt_init(&p, DHCP_OFFER, mac_a, 1);
	pkt_end(&p);
	assert_int_equal(handle(t, &p), 0);
	assert_int_equal(dhcp_server_counters(t->s)->ignored, 2);
	assert_int_equal(dhcp_server_counters(t->s)->malformed, 0);
}

static void test_overload(void **state)
{
	struct ctx *t = *state;
	struct pkt p;
	int n;

	/* message type and requested IP carried in 'file' and 'sname' */
	pkt_init(&p, DHCP_DISCOVER, mac_a, 1);
	p.len = 240;
	pkt_opt(&p, 52, "\x03", 1);
	pkt_end(&p);
	p.b[108] = 53;
	p.b[109] = 1;
	p.b[110] = DHCP_DISCOVER;
	p.b[111] = 255;
	p.b[44] = 50;
	p.b[45] = 4;
	be32_put(p.b + 46, NET(99));
	p.b[50] = 255;
	n = handle(t, &p);
	assert_int_equal(msg_type(t->out, n), DHCP_OFFER);
	assert_int_equal(yiaddr(t->out), NET(99));

	/* an option in 'file' that runs past the field */
	pkt_init(&p, DHCP_DISCOVER, mac_a, 1);
	pkt_opt(&p, 52, "\x01", 1);
	pkt_end(&p);
	p.b[108 + 126] = 12;
	p.b[108 + 127] = 5;
	expect_malformed(t, p.b, p.len);

	/* bad overload value */
	pkt_init(&p, DHCP_DISCOVER, mac_a, 1);
	pkt_opt(&p, 52, "\x07", 1);
	pkt_end(&p);
	expect_malformed(t, p.b, p.len);
}

static void test_garbage(void **state)
{
	struct ctx *t = *state;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	static uint8_t buf[800];
	struct pkt p;
	int i;

	for (i = 0; i < 200000; i++) {
		size_t len, j, k;
		int rc;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		len = (size_t)(x % sizeof(buf));
		if (i & 1) {
			/* mutate a valid request in a few places */
			mk_discover(&p, (i & 2) ? mac_a : mac_static, 1);
			p.b[242] = (uint8_t)(1 + (x >> 20) % 8);
			memcpy(buf, p.b, p.len);
			if (len < p.len)
				len = p.len;
			memset(buf + p.len, 0, sizeof(buf) - p.len);
			for (k = 0; k < 4; k++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				j = 240 + (size_t)(x % 100);
				buf[j] = (uint8_t)(x >> 32);
			}
		} else {
			for (j = 0; j < len; j++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				buf[j] = (uint8_t)x;
			}
		}
		rc = dhcp_server_handle(t->s, buf, len, t->now + (uint64_t)i,
					t->out, 576, &t->dst);
		assert_true(rc == -EINVAL || (rc >= 0 && rc <= 576));
	}
}

static void test_enospc(void **state)
{
	struct ctx *t = *state;
	struct pkt p;

	mk_discover(&p, mac_a, 1);
	assert_int_equal(dhcp_server_handle(t->s, p.b, p.len, t->now, t->out,
					    299, &t->dst),
			 -ENOSPC);
	/* nothing was reserved by the failed call */
	assert_int_equal(dhcp_server_counters(t->s)->discover, 0);
	assert_int_equal(dhcp_server_handle(t->s, p.b, p.len, t->now, t->out,
					    300, &t->dst),
			 300);
}

static void test_search_size_limits(void **state)
{
	static char names[6][200];
	struct dhcp_server_config c;
	struct dhcp_server *s;
	struct dhcp_reply_dst dst;
	uint8_t out[1500], wire[2048];
	struct pkt p;
	size_t sl;
	int n, i;

	(void)state;
	default_config(&c);
	c.n_search = 6;
	for (i = 0; i < 6; i++) {
		/* 3 labels of 60 + ".com": 188 bytes in wire format */
		memset(names[i], 'a' + i, 182);
		names[i][60] = names[i][121] = '.';
		memcpy(names[i] + 182, ".com", 5);
		c.search[i] = names[i];
	}
	s = dhcp_server_create(&c);
	assert_non_null(s);

	/* default 576-byte limit: only the first name fits */
	mk_discover(&p, mac_a, 1);
	n = dhcp_server_handle(s, p.b, p.len, 0, out, sizeof(out), &dst);
	assert_true(n > 0 && n <= 548);
	sl = opt_concat(out, n, 119, wire);
	assert_int_equal(sl, 188);
	assert_int_equal(wire[0], 60);
	assert_int_equal(wire[1], 'a');

	/* with option 57 = 1500 everything fits, split per RFC 3396 */
	pkt_init(&p, DHCP_DISCOVER, mac_a, 1);
	pkt_opt(&p, 57, "\x05\xdc", 2);
	pkt_end(&p);
	n = dhcp_server_handle(s, p.b, p.len, 0, out, sizeof(out), &dst);
	assert_true(n > 548 && n <= 1472);
	sl = opt_concat(out, n, 119, wire);
	assert_int_equal(sl, 6 * 188);
	dhcp_server_destroy(s);

	/* an invalid name is skipped, the others kept */
	default_config(&c);
	c.search[0] = "bad..name";
	s = dhcp_server_create(&c);
	assert_non_null(s);
	n = dhcp_server_handle(s, p.b, p.len, 0, out, sizeof(out), &dst);
	sl = opt_concat(out, n, 119, wire);
	assert_int_equal(sl, 18);
	assert_memory_equal(wire,
			    "\x04"
			    "corp\x07"
			    "example\x03"
			    "org",
			    18);
	dhcp_server_destroy(s);
}

static void test_no_search(void **state)
{
	struct dhcp_server_config c;
	struct dhcp_server *s;
	struct dhcp_reply_dst dst;
	uint8_t out[600], l;
	struct pkt p;
	int n;

	(void)state;
	default_config(&c);
	c.n_search = 0;
	c.lease_secs = 0; /* defaults */
	c.mtu = 0;
	s = dhcp_server_create(&c);
	assert_non_null(s);
	mk_discover(&p, mac_a, 1);
	n = dhcp_server_handle(s, p.b, p.len, 0, out, sizeof(out), &dst);
	assert_true(n > 0);
	assert_null(opt(out, n, 119, &l));
	assert_int_equal(opt32(out, n, 51), 3600);
	assert_non_null(opt(out, n, 26, &l));
	dhcp_server_destroy(s);
}

static void test_bad_config(void **state)
{
	struct dhcp_server_config c;

	(void)state;
	dhcp_server_destroy(NULL);
	assert_null(dhcp_server_create(NULL));
	default_config(&c);
	c.netmask = IP(255, 0, 255, 0);
	assert_null(dhcp_server_create(&c));
	default_config(&c);
	c.gateway = IP(10, 0, 0, 1);
	assert_null(dhcp_server_create(&c));
	default_config(&c);
	c.statics[0].ip = NET(255);
	assert_null(dhcp_server_create(&c));
	default_config(&c);
	c.statics[0].ip = NET(1);
	assert_null(dhcp_server_create(&c));
	default_config(&c);
	c.statics[0].ip = IP(10, 0, 0, 2);
	assert_null(dhcp_server_create(&c));
	default_config(&c);
	c.n_static = 2;
	c.statics[1] = c.statics[0];
	c.statics[1].ip = NET(9);
	assert_null(dhcp_server_create(&c));
	default_config(&c);
	c.pool_end = NET(255);
	assert_null(dhcp_server_create(&c));
	default_config(&c);
	c.pool_start = NET(10);
	c.pool_end = NET(9);
	assert_null(dhcp_server_create(&c));
	default_config(&c);
	c.n_static = DHCP_MAX_STATIC + 1;
	assert_null(dhcp_server_create(&c));
}

static void test_no_pool(void **state)
{
	struct dhcp_server_config c;
	struct ctx t = {0};
	struct pkt p;

	(void)state;
	default_config(&c);
	c.pool_start = c.pool_end = 0;
	t.s = dhcp_server_create(&c);
	assert_non_null(t.s);
	assert_int_equal(dora(&t, mac_static), NET(2));
	mk_discover(&p, mac_a, 1);
	assert_int_equal(handle(&t, &p), 0);
	mk_request(&p, mac_a, 1, 0, NET(3));
	assert_int_equal(msg_type(t.out, handle(&t, &p)), DHCP_NAK);
	dhcp_server_destroy(t.s);
}

static void test_big_pool_capped(void **state)
{
	struct dhcp_server_config c;
	struct ctx t = {0};

	(void)state;
	default_config(&c);
	c.network = IP(10, 0, 0, 0);
	c.netmask = IP(255, 0, 0, 0);
	c.gateway = IP(10, 0, 0, 1);
	c.host_alias = IP(10, 255, 255, 254);
	c.statics[0].ip = IP(10, 0, 0, 2);
	c.pool_start = IP(10, 0, 0, 3);
	c.pool_end = IP(10, 255, 255, 253);
	t.s = dhcp_server_create(&c);
	assert_non_null(t.s);
	assert_int_equal(dora(&t, mac_a), IP(10, 0, 0, 3));
	dhcp_server_destroy(t.s);
}

static void test_encode_domain(void **state)
{
	uint8_t out[300];
	char longname[300];

	(void)state;
	assert_int_equal(dhcp_encode_domain("a.bc", out, sizeof(out)), 6);
	assert_memory_equal(out,
			    "\x01"
			    "a\x02"
			    "bc",
			    6);
	assert_int_equal(dhcp_encode_domain("a.bc.", out, sizeof(out)), 6);
	assert_int_equal(dhcp_encode_domain("", out, sizeof(out)), -EINVAL);
	assert_int_equal(dhcp_encode_domain(".", out, sizeof(out)), -EINVAL);
	assert_int_equal(dhcp_encode_domain("a..b", out, sizeof(out)), -EINVAL);
	assert_int_equal(dhcp_encode_domain("a b", out, sizeof(out)), -EINVAL);
	assert_int_equal(dhcp_encode_domain("a.bc", out, 5), -ENOSPC);
	memset(longname, 'x', 64);
	longname[64] = 0;
	assert_int_equal(dhcp_encode_domain(longname, out, sizeof(out)),
			 -EINVAL);
	longname[63] = 0;
	assert_int_equal(dhcp_encode_domain(longname, out, sizeof(out)), 65);
	/* 4 x 63-byte labels: 4 * 64 + 1 = 257 > 255 */
	memset(longname, 'y', 255);
	longname[63] = longname[127] = longname[191] = '.';
	longname[255] = 0;
	assert_int_equal(dhcp_encode_domain(longname, out, sizeof(out)),
			 -EINVAL);
}

static void test_builder(void **state)
{
	struct dhcp_builder b;
	struct dhcp_msg req = {0}, m;
	uint8_t out[600], data[300];
	int n;

	(void)state;
	assert_int_equal(dhcp_build_start(&b, out, 299, &req, 2, 0, 0, 0),
			 -ENOSPC);
	req.htype = 1;
	req.hlen = 6;
	req.xid = 0x01020304;
	assert_int_equal(dhcp_build_start(&b, out, 310, &req, 2, 0, NET(7), 0),
			 0);
	assert_int_equal(dhcp_build_opt_u8(&b, 53, DHCP_ACK), 0);
	memset(data, 1, sizeof(data));
	assert_int_equal(dhcp_build_long_opt_size(300), 304);
	assert_int_equal(dhcp_build_long_opt(&b, 119, data, 300), -ENOSPC);
	assert_int_equal(b.len, 243);
	/* 310 - 243 = 67: one byte stays for the end option */
	assert_int_equal(dhcp_build_opt(&b, 12, data, 65), -ENOSPC);
	assert_int_equal(dhcp_build_opt(&b, 12, data, 64), 0);
	assert_int_equal(dhcp_build_opt_u8(&b, 1, 0), -ENOSPC);
	n = dhcp_build_finish(&b);
	assert_int_equal(n, 310);
	assert_int_equal(out[309], 255);
	assert_int_equal(dhcp_msg_parse(out, (size_t)n, &m), 0);
	assert_int_equal(m.op, 2);
	assert_int_equal(m.xid, 0x01020304);
	assert_int_equal(m.yiaddr, NET(7));
	assert_int_equal(m.msg_type, DHCP_ACK);

	assert_int_equal(dhcp_build_start(&b, out, 600, &req, 2, 0, 0, 0), 0);
	assert_int_equal(dhcp_build_long_opt(&b, 119, data, 300), 0);
	assert_int_equal(b.len, 240 + 304);
	n = dhcp_build_finish(&b);
	assert_int_equal(n, 545);
}

static void test_parse_fields(void **state)
{
	struct dhcp_msg m;
	struct pkt p;

	(void)state;
	pkt_init(&p, DHCP_REQUEST, mac_a, 0xdeadbeef);
	pkt_opt(&p, 61, "\x01\x02\x00\x00\x00\x00\x0a", 7);
	pkt_opt(&p, 55, "\x01\x03\x06\x77", 4);
	pkt_opt(&p, 57, "\x05\xdc", 2);
	pkt_opt_ip(&p, 54, NET(1));
	pkt_opt_ip(&p, 50, NET(3));
	pkt_opt_ip(&p, 50, NET(4)); /* the first instance wins */
	p.b[p.len++] = 0; /* pad */
	pkt_end(&p);
	pkt_ciaddr(&p, NET(8));
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &m), 0);
	assert_int_equal(m.xid, 0xdeadbeef);
	assert_int_equal(m.msg_type, DHCP_REQUEST);
	assert_int_equal(m.ciaddr, NET(8));
	assert_int_equal(m.requested_ip, NET(3));
	assert_int_equal(m.server_id, NET(1));
	assert_int_equal(m.max_msg_size, 1500);
	assert_int_equal(m.client_id_len, 7);
	assert_int_equal(m.client_id[0], 1);
	assert_true(dhcp_msg_has_param(&m, 119));
	assert_false(dhcp_msg_has_param(&m, 26));
	assert_true(m.have & DHCP_HAVE_CLIENT_ID);
	/* client id too short */
	pkt_init(&p, DHCP_REQUEST, mac_a, 1);
	pkt_opt(&p, 61, "\x01", 1);
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &m), -EINVAL);
}

/* ---- resolv.conf ---- */

static int write_tmp(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/test_dhcp_resolv_XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void test_resolv_conf(void **state)
{
	struct dhcp_server_config c;
	char path[64];

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(write_tmp(path,
				   "# generated\n"
				   "nameserver 10.0.0.1\n"
				   "search one.example two.example\n"
				   "options ndots:2\n"
				   "domain local.lan\n"
				   "search\ta.example  b.example\t c.example\n"
				   "searchx nope\n"
				   ";search commented.out\n"),
			 0);
	assert_int_equal(dhcp_search_from_resolv_conf(path, &c), 0);
	unlink(path);
	assert_int_equal(c.n_search, 3);
	assert_string_equal(c.search[0], "a.example");
	assert_string_equal(c.search[1], "b.example");
	assert_string_equal(c.search[2], "c.example");
	assert_null(c.search[3]);
	dhcp_search_free(&c);
	assert_int_equal(c.n_search, 0);
	assert_null(c.search[0]);

	/* domain after search wins; more than 6 names are cut */
	assert_int_equal(write_tmp(path, "search a b c d e f g h\n"
					 "domain corp.example\n"),
			 0);
	assert_int_equal(dhcp_search_from_resolv_conf(path, &c), 0);
	assert_int_equal(c.n_search, 1);
	assert_string_equal(c.search[0], "corp.example");
	dhcp_search_free(&c);
	unlink(path);

	assert_int_equal(write_tmp(path, "search a b c d e f g h"), 0);
	assert_int_equal(dhcp_search_from_resolv_conf(path, &c), 0);
	assert_int_equal(c.n_search, DHCP_MAX_SEARCH);
	assert_string_equal(c.search[5], "f");
	dhcp_search_free(&c);
	unlink(path);

	/* no search line: zero domains */
	memset(&c, 0, sizeof(c));
	assert_int_equal(write_tmp(path, "nameserver 1.1.1.1\n"), 0);
	assert_int_equal(dhcp_search_from_resolv_conf(path, &c), 0);
	assert_int_equal(c.n_search, 0);
	unlink(path);

	assert_int_equal(
		dhcp_search_from_resolv_conf("/nonexistent/resolv", &c),
		-ENOENT);
}

static void test_resolv_conf_to_server(void **state)
{
	struct dhcp_server_config c;
	struct dhcp_server *s;
	struct dhcp_reply_dst dst;
	uint8_t out[600], wire[600];
	struct pkt p;
	char path[64];
	int n;

	(void)state;
	default_config(&c);
	c.n_search = 0;
	assert_int_equal(
		write_tmp(path, "search example.com corp.example.org\n"), 0);
	assert_int_equal(dhcp_search_from_resolv_conf(path, &c), 0);
	unlink(path);
	s = dhcp_server_create(&c);
	dhcp_search_free(&c); /* the server keeps its own copy */
	assert_non_null(s);
	mk_discover(&p, mac_a, 1);
	n = dhcp_server_handle(s, p.b, p.len, 0, out, sizeof(out), &dst);
	assert_true(n > 0);
	assert_int_equal(opt_concat(out, n, 119, wire), 31);
	check_options(out, n, 1500);
	dhcp_server_destroy(s);
}

/* ---- seed corpus for fuzz/fuzz_dhcp.c ---- */

static int write_seed(const char *dir, const char *name, const struct pkt *p)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return -1;
	}
	if (fwrite(p->b, 1, p->len, f) != p->len) {
		fclose(f);
		return -1;
	}
	return fclose(f) ? -1 : 0;
}

static int write_corpus(const char *dir)
{
	struct pkt p;
	int rc = 0;

	mk_discover(&p, mac_static, 0x11);
	rc |= write_seed(dir, "discover-static", &p);

	pkt_init(&p, DHCP_DISCOVER, mac_a, 0x12);
	pkt_bcast(&p);
	pkt_opt(&p, 61, "\x01\x02\x00\x00\x00\x00\x0a", 7);
	pkt_opt(&p, 57, "\x05\xdc", 2);
	pkt_opt(&p, 55, "\x01\x03\x06\x0c\x0f\x1a\x1c\x33\x3a\x3b\x77", 11);
	pkt_end(&p);
	rc |= write_seed(dir, "discover-dynamic-broadcast", &p);

	mk_request(&p, mac_static, 0x13, NET(1), NET(2));
	rc |= write_seed(dir, "request-selecting", &p);

	mk_request(&p, mac_a, 0x14, 0, NET(3));
	rc |= write_seed(dir, "request-init-reboot", &p);

	pkt_init(&p, DHCP_REQUEST, mac_a, 0x15);
	pkt_ciaddr(&p, NET(3));
	pkt_end(&p);
	rc |= write_seed(dir, "request-renew", &p);

	pkt_init(&p, DHCP_RELEASE, mac_a, 0x16);
	pkt_ciaddr(&p, NET(3));
	pkt_opt_ip(&p, 54, NET(1));
	pkt_end(&p);
	rc |= write_seed(dir, "release", &p);

	pkt_init(&p, DHCP_DECLINE, mac_a, 0x17);
	pkt_opt_ip(&p, 50, NET(3));
	pkt_opt_ip(&p, 54, NET(1));
	pkt_end(&p);
	rc |= write_seed(dir, "decline", &p);

	pkt_init(&p, DHCP_INFORM, mac_b, 0x18);
	pkt_ciaddr(&p, NET(77));
	pkt_opt(&p, 55, "\x01\x03\x06\x77", 4);
	pkt_end(&p);
	rc |= write_seed(dir, "inform", &p);

	pkt_init(&p, DHCP_DISCOVER, mac_b, 0x19);
	p.len = 240;
	pkt_opt(&p, 52, "\x03", 1);
	pkt_end(&p);
	p.b[108] = 53;
	p.b[109] = 1;
	p.b[110] = DHCP_DISCOVER;
	p.b[111] = 255;
	p.b[44] = 50;
	p.b[45] = 4;
	be32_put(p.b + 46, NET(99));
	p.b[50] = 255;
	rc |= write_seed(dir, "discover-overload", &p);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dora_static, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dynamic_second_mac, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_broadcast_flag, setup,
						teardown),
		cmocka_unit_test(test_mtu_65520),
		cmocka_unit_test_setup_teardown(test_nak, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_reboot_and_renew,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_server, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_relay_ignored, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_release, setup, teardown),
		cmocka_unit_test(test_release_reuse_small_pool),
		cmocka_unit_test_setup_teardown(test_decline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decline_foreign_ignored,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_inform, setup, teardown),
		cmocka_unit_test(test_pool_exhaustion),
		cmocka_unit_test(test_offer_hold_expires),
		cmocka_unit_test(test_lease_expiry),
		cmocka_unit_test(test_reclaim_quiet),
		cmocka_unit_test(test_lease_events),
		cmocka_unit_test_setup_teardown(test_reclaim_after_300_macs,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_requested_ip_in_discover,
						setup, teardown),
		cmocka_unit_test(test_foreach_order),
		cmocka_unit_test_setup_teardown(test_malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tolerated, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_overload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enospc, setup, teardown),
		cmocka_unit_test(test_search_size_limits),
		cmocka_unit_test(test_no_search),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_no_pool),
		cmocka_unit_test(test_big_pool_capped),
		cmocka_unit_test(test_encode_domain),
		cmocka_unit_test(test_builder),
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_resolv_conf),
		cmocka_unit_test(test_resolv_conf_to_server),
	};

	if (argc == 3 && !strcmp(argv[1], "--write-corpus"))
		return write_corpus(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
