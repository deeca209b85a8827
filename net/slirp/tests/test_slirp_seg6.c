/*
 * test_slirp_seg6.c - the cut of a reassembled IPv6 TCP segment longer than
 * the MTU (slirp_seg6.c): the pieces fit the MTU, keep header and options,
 * cover the data in order with the right sequence numbers and valid
 * checksums, PSH and FIN only on the last, CWR only on the first; a
 * segment with SYN, RST or URG, a bad checksum, a malformed header or an
 * MTU with no room is refused and nothing is emitted.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/pkt.h"
#include "net/pkt6.h"
#include "net/slirp/slirp_frames.h"
#include "util/be.h"

#define MAXP 64
static uint8_t pieces[MAXP][1600];
static size_t plen_of[MAXP];
static int npieces;
static uint8_t seg[14 + 40 + 60 + 20000];
static uint8_t out[14 + 1500];

static void collect(void *arg, const uint8_t *f, size_t len)
{
	(void)arg;
	assert_true(npieces < MAXP && len <= sizeof(pieces[0]));
	memcpy(pieces[npieces], f, len);
	plen_of[npieces++] = len;
}

static void tcp_csum(uint8_t *f)
{
	uint8_t *ip = f + 14, *t = ip + 40;
	size_t l4 = be16_get(ip + 4);

	be16_put(t + 16, 0);
	be16_put(t + 16,
		 pkt_csum(t, l4, pkt_pseudo_sum6(ip + 8, ip + 24, 6, l4)));
}

/* tcp6() - a guest's segment with 12 bytes of options and @data bytes */
static size_t tcp6(size_t data, uint8_t flags)
{
	uint8_t *ip = seg + 14, *t = ip + 40;
	size_t i, thl = 32;

	memset(seg, 0, 14 + 40 + thl);
	memset(seg, 0x52, 6);
	memset(seg + 6, 0x5a, 6);
	be16_put(seg + 12, 0x86dd);
	ip[0] = 0x60;
	be16_put(ip + 4, (uint16_t)(thl + data));
	ip[6] = 6;
	ip[7] = 64;
	ip[8] = 0xfd;
	ip[23] = 2;
	ip[24] = 0xfd;
	ip[39] = 0xfe;
	be16_put(t, 40000);
	be16_put(t + 2, 8080);
	be32_put(t + 4, 0xfffff000u); /* the pieces' numbers wrap */
	be32_put(t + 8, 12345);
	t[12] = (uint8_t)(thl / 4) << 4;
	t[13] = flags;
	be16_put(t + 14, 512);
	t[20] = 1; /* NOP NOP timestamps */
	t[21] = 1;
	t[22] = 8;
	t[23] = 10;
	be32_put(t + 24, 0xabcdef01u);
	for (i = 0; i < data; i++)
		t[thl + i] = (uint8_t)(i * 31 + (i >> 8));
	tcp_csum(seg);
	return 14 + 40 + thl + data;
}

static void check_pieces(size_t data, uint8_t flags, size_t mtu)
{
	size_t off = 0, thl = 32;
	int i;

	for (i = 0; i < npieces; i++) {
		uint8_t *f = pieces[i], *t = f + 54;
		size_t l4 = be16_get(f + 14 + 4), n = l4 - thl;
		uint8_t want = flags;

		assert_true(plen_of[i] <= 14 + mtu);
		assert_int_equal(plen_of[i], 54 + l4);
		assert_memory_equal(f, seg, 14 + 40 - 36); /* eth, ver, ... */
		assert_memory_equal(f + 14 + 6, seg + 14 + 6, 34); /* addrs */
		assert_memory_equal(t + 20, seg + 54 + 20, thl - 20); /* opts */
		assert_int_equal(be32_get(t + 4), 0xfffff000u + (uint32_t)off);
		assert_int_equal(be32_get(t + 8), 12345);
		if (i != npieces - 1)
			want &= (uint8_t)~0x09; /* FIN, PSH */
		if (i)
			want &= (uint8_t)~0x80; /* CWR */
		assert_int_equal(t[13], want);
		assert_memory_equal(t + thl, seg + 54 + thl + off, n);
		assert_int_equal(
			pkt_csum(t, l4, pkt_pseudo_sum6(f + 22, f + 38, 6, l4)),
			0);
		off += n;
	}
	assert_int_equal(off, data);
}

static void test_cut(void **state)
{
	size_t len = tcp6(4000, 0x99); /* CWR PSH FIN ACK */

	(void)state;
	npieces = 0;
	assert_int_equal(slirp_tcp6_split(seg, len, 1500, out, sizeof(out),
					  collect, NULL),
			 3);
	assert_int_equal(plen_of[0], 14 + 1500);
	check_pieces(4000, 0x99, 1500);

	len = tcp6(20000, 0x18);
	npieces = 0;
	assert_int_equal(slirp_tcp6_split(seg, len, 1280, out, sizeof(out),
					  collect, NULL),
			 (20000 + 1207) / 1208);
	check_pieces(20000, 0x18, 1280);

	len = tcp6(1428, 0x10); /* fits exactly: one piece, unchanged */
	npieces = 0;
	assert_int_equal(slirp_tcp6_split(seg, len, 1500, out, sizeof(out),
					  collect, NULL),
			 1);
	assert_memory_equal(pieces[0], seg, len);
}

static void test_refused(void **state)
{
	static const uint8_t bad_flags[] = {0x02, 0x12, 0x04, 0x14, 0x30};
	size_t len, i;

	(void)state;
	npieces = 0;
	for (i = 0; i < sizeof(bad_flags); i++) {
		len = tcp6(3000, bad_flags[i]);
		assert_int_equal(slirp_tcp6_split(seg, len, 1500, out,
						  sizeof(out), collect, NULL),
				 -EOPNOTSUPP);
	}
	len = tcp6(3000, 0x10);
	seg[54 + 100] ^= 1; /* damaged on the way */
	assert_int_equal(slirp_tcp6_split(seg, len, 1500, out, sizeof(out),
					  collect, NULL),
			 -EBADMSG);
	len = tcp6(3000, 0x10);
	assert_int_equal(slirp_tcp6_split(seg, len - 1, 1500, out, sizeof(out),
					  collect, NULL),
			 -EINVAL); /* shorter than its header says */
	assert_int_equal(slirp_tcp6_split(seg, 60, 1500, out, sizeof(out),
					  collect, NULL),
			 -EINVAL);
	assert_int_equal(slirp_tcp6_split(seg, len, 1500, out, sizeof(out) - 1,
					  collect, NULL),
			 -EMSGSIZE);
	assert_int_equal(slirp_tcp6_split(seg, len, 40 + 32 + 7, out,
					  sizeof(out), collect, NULL),
			 -EMSGSIZE);
	seg[54 + 12] = 0x40; /* a data offset below 20 bytes */
	assert_int_equal(slirp_tcp6_split(seg, len, 1500, out, sizeof(out),
					  collect, NULL),
			 -EINVAL);
	seg[54 + 12] = 0x80;
	seg[14 + 6] = 17;
	assert_int_equal(slirp_tcp6_split(seg, len, 1500, out, sizeof(out),
					  collect, NULL),
			 -EINVAL);
	assert_int_equal(npieces, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
