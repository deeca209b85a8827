/*
 * test_vm_agent.c - cmocka unit tests of qcw-net-vm's pure parts: the
 * frame decoder (vsock/vm_rx.h: whole frames, partial ones kept, oversize
 * frames skipped in step, short lengths refused, a full tap stopping the
 * walk) and the -url forms (vsock/vm_url.h: gvforwarder's vsock, unix and
 * stdio forms, the stdio query turned into -key=value arguments, errors).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vsock/vm_rx.h"
#include "vsock/vm_url.h"

struct sink {
	size_t n, lens[16];
	int refuse_after; /* -1: never */
};

static int sink_fn(void *arg, const uint8_t *f, size_t len)
{
	struct sink *s = arg;

	(void)f;
	if (s->refuse_after >= 0 && (int)s->n >= s->refuse_after)
		return -1;
	s->lens[s->n++] = len;
	return 0;
}

static size_t put(uint8_t *b, size_t len, uint8_t fill)
{
	vm_tx_put_hdr(b, len);
	memset(b + 2, fill, len);
	return len + 2;
}

static void test_rx_frames(void **state)
{
	uint8_t b[4096];
	struct vm_rx_stats st = {0};
	struct sink s = {.refuse_after = -1};
	size_t len = 0;

	(void)state;
	len += put(b + len, 60, 1);
	len += put(b + len, 1514, 2);
	len += put(b + len, 2000, 3); /* over max 1514: skipped */
	len += put(b + len, 14, 4);
	/* a partial frame at the end is left for the next read */
	assert_int_equal(vm_rx_parse(b, len - 1, 1514, &st, sink_fn, &s),
			 62 + 1516 + 2002);
	assert_int_equal(s.n, 2);
	assert_int_equal(st.oversize, 1);
	s.n = 0;
	memset(&st, 0, sizeof(st));
	assert_int_equal(vm_rx_parse(b, len, 1514, &st, sink_fn, &s),
			 (long)len);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.lens[2], 14);
	assert_int_equal(st.frames, 3);
	/* one byte of a length: nothing yet */
	assert_int_equal(vm_rx_parse(b, 1, 1514, &st, sink_fn, &s), 0);
}

static void test_rx_bad_and_full(void **state)
{
	uint8_t b[256];
	struct vm_rx_stats st = {0};
	struct sink s = {.refuse_after = -1};
	size_t len = 0;

	(void)state;
	len += put(b + len, 20, 1);
	b[len] = 13; /* below an Ethernet header: out of step */
	b[len + 1] = 0;
	assert_int_equal(vm_rx_parse(b, len + 2, 1514, &st, sink_fn, &s),
			 -EPROTO);
	b[len] = 0;
	assert_int_equal(vm_rx_parse(b, len + 2, 1514, &st, sink_fn, &s),
			 -EPROTO);
	/* the tap takes one frame, then is full: the rest waits */
	len = 0;
	len += put(b + len, 20, 1);
	len += put(b + len, 30, 2);
	s.n = 0;
	s.refuse_after = 1;
	assert_int_equal(vm_rx_parse(b, len, 1514, &st, sink_fn, &s), 22);
	assert_int_equal(s.n, 1);
}

static void url_ok(const char *s, struct vm_url *u)
{
	char err[256] = "";

	if (vm_url_parse(s, u, err, sizeof(err)))
		fail_msg("vm_url_parse(%s): %s", s, err);
}

static void url_bad(const char *s)
{
	struct vm_url u;
	char err[256] = "";

	assert_int_equal(vm_url_parse(s, &u, err, sizeof(err)), -EINVAL);
	assert_true(err[0]);
}

static void test_url_forms(void **state)
{
	struct vm_url u;

	(void)state;
	url_ok("vsock://2:1024/connect", &u); /* gvforwarder's default */
	assert_int_equal(u.kind, VM_URL_VSOCK);
	assert_int_equal(u.cid, 2);
	assert_int_equal(u.port, 1024);
	assert_string_equal(u.post, "/connect");
	url_ok("vsock://2:4294967294", &u); /* no path: no request */
	assert_string_equal(u.post, "");
	url_ok("unix:///run/qcw/api.sock", &u);
	assert_int_equal(u.kind, VM_URL_UNIX);
	assert_string_equal(u.path, "/run/qcw/api.sock");
	assert_string_equal(u.post, "/connect");
	/* WSL: gvproxy.exe through interop, its flags from the query */
	url_ok("stdio:/mnt/c/Program Files/RedHat/Podman/gvproxy.exe"
	       "?listen-stdio=accept&ssh-port=-1",
	       &u);
	assert_int_equal(u.kind, VM_URL_STDIO);
	assert_string_equal(u.path,
			    "/mnt/c/Program Files/RedHat/Podman/gvproxy.exe");
	assert_int_equal(u.argc, 3);
	assert_string_equal(u.argv[0], u.path);
	assert_string_equal(u.argv[1], "-listen-stdio=accept");
	assert_string_equal(u.argv[2], "-ssh-port=-1");
	assert_null(u.argv[3]);
	assert_string_equal(u.post, "");
	url_ok("stdio:/bin/x?a=%2Fb+c&flag", &u);
	assert_string_equal(u.argv[1], "-a=/b c");
	assert_string_equal(u.argv[2], "-flag=");
	url_ok("stdio:/bin/x", &u);
	assert_int_equal(u.argc, 1);
}

static void test_url_bad(void **state)
{
	(void)state;
	url_bad("");
	url_bad("tcp://127.0.0.1:1024");
	url_bad("vsock://:1024/connect"); /* the agent needs a CID */
	url_bad("vsock://null:1024/dir");
	url_bad("vsock://00000400-FACB-11E6-BD58-64006A7986D3");
	url_bad("vsock://1024/connect"); /* Windows host side short form */
	url_bad("vsock://2:1024/con nect");
	url_bad("vsock://2:x/connect");
	url_bad("stdio:");
	url_bad("stdio:?a=b");
	url_bad("stdio:/bin/x?a=%zz");
	url_bad("stdio:/bin/x?a=%00");
	url_bad("stdio:/bin/x?=v");
	url_bad("stdio:/bin/x?a&b&c&d&e&f&g&h&i&j&k&l&m&n&o&p&q");
	url_bad("unix://");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rx_frames),
		cmocka_unit_test(test_rx_bad_and_full),
		cmocka_unit_test(test_url_forms),
		cmocka_unit_test(test_url_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
