/*
 * test_pcap_dump.c - cmocka unit tests of the -pcap capture
 * (net/pcap_dump.h): frames written are read back by libpcap's own reader
 * (pcap_open_offline) byte for byte, with their lengths, while the file is
 * still open and after it was closed; frames in pieces are gathered;
 * frames over the snapshot length are truncated and say so; records reach
 * the disk once per loop iteration (uv_prepare) and never half a record;
 * a write error (file size limit) stops the capture, detaches it from the
 * switch and leaves a file of whole records; the file is created 0600.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/pcap_dump.h"

static const uint8_t gw_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
static const uint8_t vm_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};

struct tmpfile {
	char path[64];
};

static void tmp_path(struct tmpfile *t)
{
	int fd;

	strcpy(t->path, "/tmp/test-pcap-XXXXXX");
	fd = mkstemp(t->path);
	assert_true(fd >= 0);
	close(fd);
	unlink(t->path); /* capture_open() creates it */
}

/* mkframe() - @len bytes from @src to @dst, a pattern seeded by @seed. */
static void mkframe(uint8_t *f, const uint8_t *dst, const uint8_t *src,
		    size_t len, unsigned int seed)
{
	size_t i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	for (i = 14; i < len; i++)
		f[i] = (uint8_t)(i * 7 + seed);
}

struct rec {
	size_t caplen, len;
	uint8_t *data;
};

/*
 * read_all() - every record of @path by libpcap's reader: the count, or
 * -1 if the reader fails (a bad header, a cut record). Fills @out.
 */
static int read_all(const char *path, struct rec *out, int max)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *p = pcap_open_offline(path, err);
	int n = 0, r;

	if (!p)
		return -1;
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	assert_int_equal(pcap_snapshot(p), CAPTURE_SNAPLEN);
	while ((r = pcap_next_ex(p, &h, &d)) == 1) {
		if (n < max) {
			out[n].caplen = h->caplen;
			out[n].len = h->len;
			out[n].data = malloc(h->caplen);
			assert_non_null(out[n].data);
			memcpy(out[n].data, d, h->caplen);
		}
		n++;
	}
	pcap_close(p);
	return r == PCAP_ERROR_BREAK ? n : -1;
}

static void free_recs(struct rec *r, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(r[i].data);
}

/* Frames whole and in pieces, read back while open and after closing. */
static void test_roundtrip(void **state)
{
	static uint8_t f[3][1500], big[70000];
	struct tmpfile t;
	struct capture *c;
	struct rec r[8];
	struct iovec iov[3];
	struct stat st;
	int err = 0, n;

	(void)state;
	tmp_path(&t);
	c = capture_open(t.path, &err);
	assert_non_null(c);
	assert_int_equal(stat(t.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* the header is on disk at once: an empty capture reads */
	assert_int_equal(read_all(t.path, r, 8), 0);

	mkframe(f[0], gw_mac, vm_mac, 60, 1);
	mkframe(f[1], vm_mac, gw_mac, 1500, 2);
	mkframe(f[2], vm_mac, gw_mac, 342, 3);
	iov[0] = (struct iovec){f[0], 60};
	capture_frame(c, iov, 1, 60);
	iov[0] = (struct iovec){f[1], 14};
	iov[1] = (struct iovec){f[1] + 14, 40};
	iov[2] = (struct iovec){f[1] + 54, 1446};
	capture_frame(c, iov, 3, 1500);
	iov[0] = (struct iovec){f[2], 54};
	iov[1] = (struct iovec){f[2] + 54, 288};
	capture_frame(c, iov, 2, 342);
	/* buffered until a flush */
	assert_int_equal(read_all(t.path, r, 8), 0);
	assert_int_equal(capture_flush(c), 0);
	n = read_all(t.path, r, 8);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].len, 60);
	assert_int_equal(r[0].caplen, 60);
	assert_memory_equal(r[0].data, f[0], 60);
	assert_int_equal(r[1].len, 1500);
	assert_memory_equal(r[1].data, f[1], 1500);
	assert_int_equal(r[2].len, 342);
	assert_memory_equal(r[2].data, f[2], 342);
	free_recs(r, n);

	/* over the snapshot length: truncated, the real length kept */
	mkframe(big, vm_mac, gw_mac, sizeof(big), 4);
	iov[0] = (struct iovec){big, 14};
	iov[1] = (struct iovec){big + 14, sizeof(big) - 14};
	capture_frame(c, iov, 2, sizeof(big));
	iov[0] = (struct iovec){big, sizeof(big)};
	capture_frame(c, iov, 1, sizeof(big));
	assert_int_equal(capture_counters(c)->truncated, 2);
	assert_int_equal(capture_counters(c)->frames, 5);
	capture_close(c);
	n = read_all(t.path, r, 8);
	assert_int_equal(n, 5);
	assert_int_equal(r[3].len, sizeof(big));
	assert_int_equal(r[3].caplen, CAPTURE_SNAPLEN);
	assert_memory_equal(r[3].data, big, CAPTURE_SNAPLEN);
	assert_int_equal(r[4].caplen, CAPTURE_SNAPLEN);
	assert_memory_equal(r[4].data, big, CAPTURE_SNAPLEN);
	free_recs(r, n);
	unlink(t.path);
	capture_close(NULL);
}

/* More than the buffer holds: the file only ever has whole records. */
static void test_whole_records(void **state)
{
	static uint8_t f[60000];
	struct tmpfile t;
	struct capture *c;
	struct iovec iov = {f, sizeof(f)};
	struct rec r[1];
	int err = 0, i, n, prev = 0;

	(void)state;
	tmp_path(&t);
	c = capture_open(t.path, &err);
	assert_non_null(c);
	mkframe(f, vm_mac, gw_mac, sizeof(f), 5);
	for (i = 0; i < 20; i++) {
		capture_frame(c, &iov, 1, sizeof(f));
		n = read_all(t.path, r, 0);
		assert_true(n >= prev); /* never a cut record (-1) */
		assert_true(n <= i + 1);
		prev = n;
	}
	assert_true(prev > 0); /* the buffer was written out on the way */
	assert_true(capture_counters(c)->flushes >= 4);
	capture_close(c);
	assert_int_equal(read_all(t.path, r, 0), 20);
	unlink(t.path);
}

struct sink_port {
	struct sw_port port;
	unsigned int n;
};

static int sink_send(struct sw_port *port, const struct iovec *iov, int iovcnt,
		     size_t len)
{
	(void)iov;
	(void)iovcnt;
	(void)len;
	((struct sink_port *)port)->n++;
	return 0;
}

static const struct sw_port_ops sink_ops = {.send = sink_send};

static void timer_cb(uv_timer_t *t)
{
	(void)t;
}

static void stack_in(void *stack, const uint8_t *frame, size_t len,
		     const struct sw_ref *keep)
{
	(void)frame;
	(void)len;
	(void)keep;
	(*(unsigned int *)stack)++;
}

/*
 * Through the switch on a loop: both directions are captured, and reach
 * the disk by the end of one loop iteration without a call to flush.
 */
static void test_switch_loop(void **state)
{
	struct sink_port p = {.port = {.ops = &sink_ops, .id = -1}};
	uint8_t f[2][200];
	unsigned int n_stack = 0;
	struct tmpfile t;
	struct capture *c;
	struct sw *sw;
	struct rec r[4];
	uv_loop_t loop;
	uv_timer_t tm; /* something alive: the capture's handle is not */
	int err = 0, n;

	(void)state;
	tmp_path(&t);
	assert_int_equal(uv_loop_init(&loop), 0);
	sw = sw_create(gw_mac);
	assert_non_null(sw);
	sw_set_stack(sw, stack_in, &n_stack);
	assert_int_equal(sw_port_attach(sw, &p.port, "sink"), 0);
	c = capture_open(t.path, &err);
	assert_non_null(c);
	assert_int_equal(capture_start(c, &loop, sw), 0);

	mkframe(f[0], gw_mac, vm_mac, 200, 6);
	sw_input(&p.port, f[0], 200); /* VM -> gateway */
	mkframe(f[1], vm_mac, gw_mac, 150, 7);
	sw_output_ref(sw, f[1], 150, NULL); /* gateway -> VM */
	assert_int_equal(n_stack, 1);
	assert_int_equal(p.n, 1);
	assert_int_equal(read_all(t.path, r, 4), 0);
	uv_timer_init(&loop, &tm);
	uv_timer_start(&tm, timer_cb, 0, 0);
	uv_run(&loop, UV_RUN_NOWAIT); /* the prepare handle flushes */
	n = read_all(t.path, r, 4);
	assert_int_equal(n, 2);
	assert_memory_equal(r[0].data, f[0], 200);
	assert_memory_equal(r[1].data, f[1], 150);
	free_recs(r, n);
	assert_int_equal(capture_counters(c)->flushes, 1);

	/* closed: the switch no longer calls it */
	capture_close(c);
	sw_input(&p.port, f[0], 200);
	assert_int_equal(n_stack, 2);
	uv_close((uv_handle_t *)&tm, NULL);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	sw_port_detach(&p.port);
	sw_destroy(sw);
	assert_int_equal(read_all(t.path, r, 0), 2);
	unlink(t.path);
}

/*
 * A write error (here the file size limit, as a full disk would): one
 * log line, the capture stops and leaves the switch, the network goes on,
 * and the file keeps whole records only.
 */
static void test_write_error(void **state)
{
	struct sink_port p = {.port = {.ops = &sink_ops, .id = -1}};
	static uint8_t f[1500];
	unsigned int n_stack = 0, i;
	struct rlimit old, lim;
	struct tmpfile t;
	struct capture *c;
	struct sw *sw;
	struct rec r[1];
	int err = 0;

	(void)state;
	tmp_path(&t);
	sw = sw_create(gw_mac);
	assert_non_null(sw);
	sw_set_stack(sw, stack_in, &n_stack);
	assert_int_equal(sw_port_attach(sw, &p.port, "sink"), 0);
	c = capture_open(t.path, &err);
	assert_non_null(c);
	assert_int_equal(capture_start(c, NULL, sw), 0);

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 100000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	mkframe(f, gw_mac, vm_mac, sizeof(f), 8);
	for (i = 0; i < 1000; i++) {
		sw_input(&p.port, f, sizeof(f));
		if (i % 10 == 9)
			capture_flush(c);
	}
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);

	assert_int_equal(n_stack, 1000); /* the network went on */
	assert_false(capture_running(c));
	assert_int_equal(capture_counters(c)->error, -EFBIG);
	assert_true(capture_counters(c)->frames < 100);
	assert_int_equal(capture_flush(c), -EFBIG);
	/* whole records only: every one that reached the disk reads */
	assert_int_equal(read_all(t.path, r, 0),
			 (int)capture_counters(c)->flushes * 10);
	capture_close(c);
	sw_port_detach(&p.port);
	sw_destroy(sw);
	unlink(t.path);
}

static void test_open_fails(void **state)
{
	int err = 0;

	(void)state;
	assert_null(capture_open("/nonexistent-dir/x.pcap", &err));
	assert_int_equal(err, -ENOENT);
	/* a full disk at once: the header cannot be written */
	err = 0;
	assert_null(capture_open("/dev/full", &err));
	assert_int_equal(err, -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_whole_records),
		cmocka_unit_test(test_switch_loop),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_open_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
