/*
 * test_ackhold.c - coalescing of pure ACKs within a batch, both uses.
 * The guest's ACKs (ACKHOLD_IN): a newer ACK (or window) replaces the
 * held one, duplicates all get through, anything else of the connection
 * releases its ACK first, other connections are left alone, frames that
 * are not pure ACKs are never held, a full table flushes, and short frames
 * are only looked at within their length. lwIP's ACKs (ACKHOLD_OUT): the
 * same coalescing and duplicates, but a data/FIN/RST frame of the
 * connection supersedes its held ACK (dropped, counted), a frame in pieces
 * is judged by its header piece, and the batch's end sends what is held.
 * ACKs with the timestamp option are held like those without.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/lwip/ackhold.h"
#include "util/be.h"

struct sink {
	unsigned int n;
	uint32_t ack[64];
	uint16_t sport[64];
};

static void deliver(void *arg, const uint8_t *f, size_t len)
{
	struct sink *s = arg;

	/* a held ACK has no data, and no options but timestamps */
	size_t at = be16_get(f + 12) == 0x86dd ? ACKHOLD_LEN6 - 20
					       : ACKHOLD_LEN - 20;

	assert_true(len == at + 20 || len == at + 20 + ACKHOLD_TS);
	assert_true(s->n < 64);
	s->ack[s->n] = be32_get(f + at + 8);
	s->sport[s->n] = be16_get(f + at);
	s->n++;
}

/* seg() - a TCP segment from the guest, port @sport -> 80. */
static size_t seg(uint8_t *f, uint16_t sport, uint32_t ack, uint16_t win,
		  uint8_t flags, size_t payload)
{
	size_t len = 54 + payload;

	memset(f, 0, len);
	f[12] = 0x08;
	f[14] = 0x45;
	be16_put(f + 16, (uint16_t)(40 + payload));
	f[22] = 64;
	f[23] = 6;
	memcpy(f + 26, "\xc0\xa8\x7f\x02\xc0\xa8\x7f\xfe", 8);
	be16_put(f + 34, sport);
	f[37] = 80;
	be32_put(f + 42, ack);
	f[46] = 0x50;
	f[47] = flags;
	be16_put(f + 48, win);
	return len;
}

static bool in(struct ackhold *h, struct sink *s, uint16_t sport, uint32_t ack,
	       uint16_t win, uint8_t flags, size_t payload)
{
	uint8_t f[2048];
	size_t len = seg(f, sport, ack, win, flags, payload);

	return ackhold_input(h, f, len, deliver, s);
}

/* seg6() - the same segment over IPv6 (guest ::2 -> 2001:db8::1). */
static size_t seg6(uint8_t *f, uint16_t sport, uint32_t ack, uint16_t win,
		   uint8_t flags, size_t payload)
{
	size_t len = 74 + payload;

	memset(f, 0, len);
	f[12] = 0x86;
	f[13] = 0xdd;
	f[14] = 0x60;
	be16_put(f + 18, (uint16_t)(20 + payload));
	f[20] = 6;
	f[21] = 64;
	f[22] = 0xfd;
	f[37] = 2;
	f[38] = 0x20;
	f[39] = 0x01;
	f[53] = 1;
	be16_put(f + 54, sport);
	f[57] = 80;
	be32_put(f + 62, ack);
	f[66] = 0x50;
	f[67] = flags;
	be16_put(f + 68, win);
	return len;
}

static bool in6(struct ackhold *h, struct sink *s, uint16_t sport, uint32_t ack,
		uint8_t flags, size_t payload)
{
	uint8_t f[2048];
	size_t len = seg6(f, sport, ack, 500, flags, payload);

	return ackhold_input(h, f, len, deliver, s);
}

/*
 * IPv6 ACKs are coalesced like IPv4 ones, as flows of their own: an IPv4
 * flow with the same ports is another connection.
 */
static void test_ipv6(void **state)
{
	struct ackhold h;
	struct sink s = {0};

	(void)state;
	ackhold_init(&h, ACKHOLD_IN, 16);
	assert_true(in6(&h, &s, 1000, 100, 0x10, 0));
	assert_true(in6(&h, &s, 1000, 200, 0x10, 0));
	assert_true(in(&h, &s, 1000, 300, 500, 0x10, 0));
	assert_int_equal(h.n, 2);
	assert_int_equal(h.coalesced, 1);
	/* data of the IPv6 flow: its held ACK first, then the segment */
	assert_false(in6(&h, &s, 1000, 250, 0x18, 100));
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ack[0], 200);
	assert_int_equal(h.n, 1);
	/* a SYN is never held */
	assert_false(in6(&h, &s, 2000, 0, 0x02, 0));
	ackhold_flush(&h, deliver, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ack[1], 300);
}

static void test_newer_ack_replaces(void **state)
{
	struct ackhold h;
	struct sink s = {0};

	(void)state;
	ackhold_init(&h, ACKHOLD_IN, 16);
	assert_true(in(&h, &s, 1000, 100, 500, 0x10, 0));
	assert_true(in(&h, &s, 1000, 200, 500, 0x10, 0));
	assert_true(in(&h, &s, 1000, 200, 900, 0x10, 0)); /* window update */
	assert_int_equal(s.n, 0);
	ackhold_flush(&h, deliver, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ack[0], 200);
	assert_int_equal(h.coalesced, 2);
	assert_int_equal(h.n, 0);
	ackhold_flush(&h, deliver, &s);
	assert_int_equal(s.n, 1);
}

static void test_duplicates_all_delivered(void **state)
{
	struct ackhold h;
	struct sink s = {0};
	int i;

	(void)state;
	ackhold_init(&h, ACKHOLD_IN, 16);
	for (i = 0; i < 4; i++)
		assert_true(in(&h, &s, 1000, 100, 500, 0x10, 0));
	ackhold_flush(&h, deliver, &s);
	assert_int_equal(s.n, 4);
	assert_int_equal(h.coalesced, 0);
	/* an older ACK (reordered): both reach lwIP, in order */
	assert_true(in(&h, &s, 1000, 300, 500, 0x10, 0));
	assert_true(in(&h, &s, 1000, 250, 500, 0x10, 0));
	ackhold_flush(&h, deliver, &s);
	assert_int_equal(s.n, 6);
	assert_int_equal(s.ack[4], 300);
	assert_int_equal(s.ack[5], 250);
}

static void test_other_segment_releases_first(void **state)
{
	struct ackhold h;
	struct sink s = {0};

	(void)state;
	ackhold_init(&h, ACKHOLD_IN, 16);
	assert_true(in(&h, &s, 1000, 100, 500, 0x10, 0));
	assert_true(in(&h, &s, 2000, 700, 500, 0x10, 0));
	/* data of flow 1000: its ACK goes first, flow 2000's stays */
	assert_false(in(&h, &s, 1000, 150, 500, 0x18, 100));
	assert_int_equal(s.n, 1);
	assert_int_equal(s.sport[0], 1000);
	assert_int_equal(s.ack[0], 100);
	/* a FIN of flow 2000 */
	assert_false(in(&h, &s, 2000, 700, 500, 0x11, 0));
	assert_int_equal(s.n, 2);
	assert_int_equal(s.sport[1], 2000);
	assert_int_equal(h.n, 0);
}

static void test_not_pure_never_held(void **state)
{
	struct ackhold h;
	struct sink s = {0};
	uint8_t f[2048];
	size_t len;

	(void)state;
	ackhold_init(&h, ACKHOLD_IN, 16);
	assert_false(in(&h, &s, 1000, 1, 500, 0x12, 0)); /* SYN+ACK */
	assert_false(in(&h, &s, 1000, 1, 500, 0x14, 0)); /* RST+ACK */
	assert_false(in(&h, &s, 1000, 1, 500, 0x11, 0)); /* FIN+ACK */
	assert_false(in(&h, &s, 1000, 1, 500, 0x10, 1)); /* data */
	len = seg(f, 1000, 1, 500, 0x10, 0);
	f[46] = 0x60; /* TCP options */
	assert_false(ackhold_input(&h, f, len, deliver, &s));
	len = seg(f, 1000, 1, 500, 0x10, 0);
	f[20] = 0x20; /* more fragments */
	assert_false(ackhold_input(&h, f, len, deliver, &s));
	len = seg(f, 1000, 1, 500, 0x10, 0);
	f[23] = 17; /* UDP */
	assert_false(ackhold_input(&h, f, len, deliver, &s));
	assert_int_equal(h.n, 0);
	assert_int_equal(s.n, 0);
}

static void test_full_table_flushes(void **state)
{
	struct ackhold h;
	struct sink s = {0};
	uint16_t i;

	(void)state;
	ackhold_init(&h, ACKHOLD_IN, 16);
	for (i = 0; i < 16; i++)
		assert_true(in(&h, &s, (uint16_t)(3000 + i), 5, 500, 0x10, 0));
	assert_int_equal(s.n, 0);
	assert_true(in(&h, &s, 4000, 5, 500, 0x10, 0));
	assert_int_equal(s.n, 16);
	assert_int_equal(h.n, 1);
}

/* every prefix of a real ACK, in an exact-size buffer: none is held */
static void test_short_frames(void **state)
{
	struct ackhold h;
	struct sink s = {0};
	uint8_t f[64];
	size_t len = seg(f, 1000, 9, 500, 0x10, 0), i;

	(void)state;
	ackhold_init(&h, ACKHOLD_IN, 16);
	assert_true(in(&h, &s, 1000, 5, 500, 0x10, 0));
	for (i = 0; i < len; i++) {
		uint8_t *c = malloc(i ? i : 1);

		assert_non_null(c);
		memcpy(c, f, i);
		assert_false(ackhold_input(&h, c, i, deliver, &s));
		free(c);
	}
	/* the held ACK got through once (a cut frame of its flow may free it) */
	assert_int_equal(h.n + s.n, 1);
}

/* lwIP's ACKs to the guest: newer ACKs and window updates coalesce */
static void test_out_coalesces(void **state)
{
	struct ackhold h;
	struct sink s = {0};

	(void)state;
	ackhold_init(&h, ACKHOLD_OUT, 32);
	assert_true(in(&h, &s, 80, 1000, 500, 0x10, 0));
	assert_true(in(&h, &s, 80, 3000, 500, 0x10, 0));
	assert_true(in(&h, &s, 81, 7, 500, 0x10, 0)); /* another connection */
	assert_true(in(&h, &s, 80, 3000, 800, 0x10, 0)); /* window update */
	assert_int_equal(s.n, 0);
	assert_true(ackhold_held(&h));
	ackhold_flush(&h, deliver, &s); /* the batch ends */
	assert_false(ackhold_held(&h));
	assert_int_equal(s.n, 2);
	assert_int_equal(s.sport[0], 80);
	assert_int_equal(s.ack[0], 3000);
	assert_int_equal(s.sport[1], 81);
	assert_int_equal(h.coalesced, 2);
}

/* a duplicate ACK of lwIP's (fast retransmit) reaches the guest each time */
static void test_out_duplicates_delivered(void **state)
{
	struct ackhold h;
	struct sink s = {0};
	int i;

	(void)state;
	ackhold_init(&h, ACKHOLD_OUT, 32);
	for (i = 0; i < 3; i++)
		assert_true(in(&h, &s, 80, 1000, 500, 0x10, 0));
	assert_int_equal(s.n, 2); /* the first two, as their copies came */
	ackhold_flush(&h, deliver, &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ack[2], 1000);
	assert_int_equal(h.coalesced, 0);
}

/* data, FIN or RST of the connection carry a newer ACK: the held one goes */
static void test_out_segment_supersedes(void **state)
{
	struct ackhold h;
	struct sink s = {0};

	(void)state;
	ackhold_init(&h, ACKHOLD_OUT, 32);
	assert_true(in(&h, &s, 80, 1000, 500, 0x10, 0));
	assert_true(in(&h, &s, 81, 2000, 500, 0x10, 0));
	assert_false(in(&h, &s, 80, 1500, 500, 0x18, 1400)); /* data */
	assert_int_equal(s.n, 0); /* dropped, not sent */
	assert_int_equal(h.coalesced, 1);
	assert_false(in(&h, &s, 81, 2000, 500, 0x11, 0)); /* FIN */
	assert_int_equal(h.coalesced, 2);
	assert_false(ackhold_held(&h));
	assert_true(in(&h, &s, 80, 1600, 500, 0x10, 0));
	assert_false(in(&h, &s, 80, 1600, 500, 0x14, 0)); /* RST */
	assert_false(in(&h, &s, 82, 1, 500, 0x12, 0)); /* SYN: not held */
	ackhold_flush(&h, deliver, &s);
	assert_int_equal(s.n, 0);
}

/*
 * A segment in pieces: only its first piece (the headers, 54 bytes) is
 * looked at; the IP length says it carries data, so it is not held and
 * supersedes the connection's ACK.
 */
static void test_out_header_piece(void **state)
{
	struct ackhold h;
	struct sink s = {0};
	uint8_t f[2048];

	(void)state;
	ackhold_init(&h, ACKHOLD_OUT, 32);
	assert_true(in(&h, &s, 80, 1000, 500, 0x10, 0));
	seg(f, 80, 1200, 500, 0x10, 1400);
	assert_false(ackhold_input(&h, f, ACKHOLD_LEN, deliver, &s));
	assert_false(ackhold_held(&h));
	assert_int_equal(h.coalesced, 1);
	assert_int_equal(s.n, 0);
}

/* the bound given at init: a full table sends what it holds first */
static void test_out_full_table(void **state)
{
	struct ackhold h;
	struct sink s = {0};
	uint16_t i;

	(void)state;
	ackhold_init(&h, ACKHOLD_OUT, 32);
	for (i = 0; i < 32; i++)
		assert_true(in(&h, &s, (uint16_t)(3000 + i), 5, 500, 0x10, 0));
	assert_int_equal(s.n, 0);
	assert_true(in(&h, &s, 4000, 5, 500, 0x10, 0));
	assert_int_equal(s.n, 32);
	assert_int_equal(h.n, 1);
	ackhold_init(&h, ACKHOLD_OUT, 1000); /* clamped to ACKHOLD_MAX */
	assert_int_equal(h.max, ACKHOLD_MAX);
}

/*
 * ts() - @f (a segment of seg() or seg6() of @len bytes, no payload) with
 * the timestamp option: NOP, NOP, kind 8, length 10, TSval, TSecr, or
 * with the 12 bytes of a SACK block (@sack) instead. Returns the new length.
 */
static size_t ts(uint8_t *f, size_t len, uint32_t tsval, bool sack)
{
	bool v6 = be16_get(f + 12) == 0x86dd;
	size_t at = v6 ? ACKHOLD_LEN6 - 20 : ACKHOLD_LEN - 20;

	assert_int_equal(len, at + 20);
	if (v6)
		be16_put(f + 18, 32);
	else
		be16_put(f + 16, 52);
	f[at + 12] = 0x80;
	be32_put(f + at + 20, sack ? 0x0101050a : 0x0101080a);
	be32_put(f + at + 24, tsval);
	be32_put(f + at + 28, 77);
	return len + ACKHOLD_TS;
}

/*
 * With timestamps agreed (every segment carries the option), pure ACKs are
 * coalesced as before, both ways and both families, and the one delivered
 * is the newest whole (its timestamp too); an ACK with any other option
 * (SACK) is not held, nor is the header piece of a data segment.
 */
static void test_timestamps(void **state)
{
	struct ackhold h;
	struct sink s = {0};
	uint8_t f[2048], o[ACKHOLD_CAP];
	size_t len, at = ACKHOLD_LEN - 20;
	int dir;

	(void)state;
	for (dir = 0; dir < 2; dir++) {
		memset(&s, 0, sizeof(s));
		ackhold_init(&h, dir ? ACKHOLD_OUT : ACKHOLD_IN, 16);
		len = ts(f, seg(f, 1000, 100, 500, 0x10, 0), 1, false);
		assert_true(ackhold_input(&h, f, len, deliver, &s));
		len = ts(f, seg(f, 1000, 200, 500, 0x10, 0), 2, false);
		assert_true(ackhold_input(&h, f, len, deliver, &s));
		len = ts(f, seg6(f, 1000, 300, 500, 0x10, 0), 3, false);
		assert_true(ackhold_input(&h, f, len, deliver, &s));
		len = ts(f, seg6(f, 1000, 400, 500, 0x10, 0), 4, false);
		assert_true(ackhold_input(&h, f, len, deliver, &s));
		assert_int_equal(h.n, 2);
		assert_int_equal(h.coalesced, 2);
		assert_int_equal(h.held_len[0], ACKHOLD_LEN + ACKHOLD_TS);
		memcpy(o, h.held[0], ACKHOLD_LEN + ACKHOLD_TS);
		assert_int_equal(be32_get(o + at + 24), 2);
		/* a plain ACK of the same flow replaces one with the option */
		len = seg(f, 1000, 250, 500, 0x10, 0);
		assert_true(ackhold_input(&h, f, len, deliver, &s));
		assert_int_equal(h.held_len[0], ACKHOLD_LEN);
		/* SACK: not held; it releases (IN) or supersedes (OUT) */
		len = ts(f, seg(f, 1000, 250, 500, 0x10, 0), 5, true);
		assert_false(ackhold_input(&h, f, len, deliver, &s));
		assert_int_equal(s.n, dir ? 0u : 1u);
		/* the 66-byte header piece of a data segment with the option */
		len = ts(f, seg(f, 2000, 9, 500, 0x10, 0), 6, false);
		be16_put(f + 16, 52 + 1400);
		assert_false(ackhold_input(&h, f, len, deliver, &s));
		ackhold_flush(&h, deliver, &s);
		assert_int_equal(s.n, dir ? 1u : 2u);
		assert_int_equal(s.ack[s.n - 1], 400);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newer_ack_replaces),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_duplicates_all_delivered),
		cmocka_unit_test(test_other_segment_releases_first),
		cmocka_unit_test(test_not_pure_never_held),
		cmocka_unit_test(test_full_table_flushes),
		cmocka_unit_test(test_short_frames),
		cmocka_unit_test(test_out_coalesces),
		cmocka_unit_test(test_out_duplicates_delivered),
		cmocka_unit_test(test_out_segment_supersedes),
		cmocka_unit_test(test_out_header_piece),
		cmocka_unit_test(test_out_full_table),
		cmocka_unit_test(test_timestamps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
