/*
 * test_notify.c - the client side of the unix socket seam
 * (net/unixsock.h: unixsock_connect()) and the notifications built on it
 * (api/notify.c), on a real loop against a real listener of the same
 * seam. Built and run on Linux and, cross-built, under wine. Where the
 * system has no AF_UNIX (wine 8.0: WSAEAFNOSUPPORT) the round trips
 * cannot run, and the tests check instead that every attempt ends with
 * UV_EAFNOSUPPORT, counted as failed, without a crash or a hang; on a
 * system with AF_UNIX (Linux here, Windows 10 1803 or later) they check
 * the JSON lines the listener receives.
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
#include <uv.h>

#include "api/notify.h"
#include "net/unixsock.h"

#define TEST_CLIENTS 4

struct test_client {
	union {
		uv_handle_t h;
		uv_stream_t s;
		uv_pipe_t pipe;
		uv_tcp_t tcp;
	} u;
	struct test_srv *srv;
	char buf[256];
	size_t len;
};

struct test_srv {
	uv_loop_t loop;
	struct unixsock ls;
	int listen_err; /* unixsock_listen()'s result */
	char path[UNIXSOCK_PATH_MAX];
	struct test_client c[TEST_CLIENTS];
	unsigned int n_clients, n_eof;
	char lines[512]; /* what the clients sent, in order of their EOF */
	/* unixsock_connect() */
	struct unixsock_connect conn;
	union {
		uv_handle_t h;
		uv_stream_t s;
		uv_pipe_t pipe;
		uv_tcp_t tcp;
	} client;
	int connect_calls, connect_status;
};

static void test_alloc_cb(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
	struct test_client *c = h->data;

	(void)sz;
	*b = uv_buf_init(c->buf + c->len,
			 (unsigned int)(sizeof(c->buf) - 1 - c->len));
}

static void test_noop_close(uv_handle_t *h)
{
	(void)h;
}

static void test_read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct test_client *c = st->data;

	(void)b;
	if (n > 0) {
		c->len += (size_t)n;
		return;
	}
	if (n < 0) {
		c->buf[c->len] = 0;
		strncat(c->srv->lines, c->buf,
			sizeof(c->srv->lines) - strlen(c->srv->lines) - 1);
		c->srv->n_eof++;
		uv_close(&c->u.h, test_noop_close);
	}
}

static void test_conn_cb(uv_stream_t *server, int status)
{
	struct test_srv *t = server->data;
	struct test_client *c;

	assert_int_equal(status, 0);
	assert_true(t->n_clients < TEST_CLIENTS);
	c = &t->c[t->n_clients++];
	c->srv = t;
	assert_int_equal(unixsock_accept(&t->ls, &c->u.s), 0);
	c->u.h.data = c;
	assert_int_equal(uv_read_start(&c->u.s, test_alloc_cb, test_read_cb),
			 0);
}

/* test_setup() - a loop and a listener on a fresh path in the temp dir */
static int test_setup(void **state)
{
	struct test_srv *t = calloc(1, sizeof(*t));
	char dir[64];
	size_t dl = sizeof(dir);

	assert_non_null(t);
	assert_int_equal(uv_loop_init(&t->loop), 0);
	assert_int_equal(uv_os_tmpdir(dir, &dl), 0);
	snprintf(t->path, sizeof(t->path), "%.64s/qcw-notify-%d.sock", dir,
		 (int)uv_os_getpid());
	remove(t->path);
	t->listen_err =
		unixsock_listen(&t->loop, &t->ls, t->path, 8, test_conn_cb, t);
	if (t->listen_err)
		print_message("no unix socket listener here (%s): checking "
			      "the refusal instead of the round trip\n",
			      unixsock_strerror(t->listen_err));
	*state = t;
	return 0;
}

static int test_teardown(void **state)
{
	struct test_srv *t = *state;

	unixsock_close(&t->ls, NULL);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&t->loop), 0);
	remove(t->path);
	free(t);
	return 0;
}

/* test_run_until() - run the loop until @done or 10 s have passed */
static void test_run_until(struct test_srv *t, const int *done, int want)
{
	uint64_t end = uv_hrtime() + 10ull * 1000000000ull;

	while (*done < want && uv_hrtime() < end)
		uv_run(&t->loop, UV_RUN_ONCE);
	assert_int_equal(*done, want);
}

static void test_connect_cb(uv_connect_t *req, int status)
{
	struct test_srv *t = req->data;

	t->connect_calls++;
	t->connect_status = status;
}

/* a connect to the listener: a stream that carries bytes to it */
static void test_connect_roundtrip(void **state)
{
	struct test_srv *t = *state;
	uv_write_t w;
	uv_buf_t b = uv_buf_init("hello\n", 6);

	t->conn.req.data = t;
	assert_int_equal(unixsock_connect(&t->loop, &t->conn, &t->client.s,
					  t->path, test_connect_cb),
			 0);
	test_run_until(t, &t->connect_calls, 1);
	if (t->listen_err) {
		assert_int_equal(t->connect_status, t->listen_err);
	} else {
		assert_int_equal(t->connect_status, 0);
		assert_int_equal(uv_write(&w, &t->client.s, &b, 1, NULL), 0);
		uv_close(&t->client.h, test_noop_close);
		test_run_until(t, (const int *)&t->n_eof, 1);
		assert_string_equal(t->lines, "hello\n");
	}
	if (!uv_is_closing(&t->client.h))
		uv_close(&t->client.h, test_noop_close);
	uv_run(&t->loop, UV_RUN_NOWAIT);
	assert_int_equal(t->connect_calls, 1);
}

/* no socket at the path: an error through the callback, once */
static void test_connect_absent(void **state)
{
	struct test_srv *t = *state;
	char path[UNIXSOCK_PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s.absent", t->path);
	remove(path);
	t->conn.req.data = t;
	assert_int_equal(unixsock_connect(&t->loop, &t->conn, &t->client.s,
					  path, test_connect_cb),
			 0);
	test_run_until(t, &t->connect_calls, 1);
	assert_true(t->connect_status < 0);
	uv_close(&t->client.h, test_noop_close);
	uv_run(&t->loop, UV_RUN_NOWAIT);
	assert_int_equal(t->connect_calls, 1);
}

/* closed before the connect is through: UV_ECANCELED, exactly once */
static void test_connect_cancel(void **state)
{
	struct test_srv *t = *state;

	t->conn.req.data = t;
	assert_int_equal(unixsock_connect(&t->loop, &t->conn, &t->client.s,
					  t->path, test_connect_cb),
			 0);
	uv_close(&t->client.h, test_noop_close);
	test_run_until(t, &t->connect_calls, 1);
	uv_run(&t->loop, UV_RUN_NOWAIT);
	assert_int_equal(t->connect_calls, 1);
	assert_int_equal(t->connect_status, UV_ECANCELED);
}

/* a path too long for sun_path: refused at once, the handle closable */
static void test_connect_too_long(void **state)
{
	struct test_srv *t = *state;
	char path[UNIXSOCK_PATH_MAX + 8];

	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = 0;
	assert_int_equal(unixsock_connect(&t->loop, &t->conn, &t->client.s,
					  path, test_connect_cb),
			 UV_ENAMETOOLONG);
	uv_close(&t->client.h, test_noop_close);
	uv_run(&t->loop, UV_RUN_NOWAIT);
	assert_int_equal(t->connect_calls, 0);
}

static int test_notify_done(const struct notify *n)
{
	const struct notify_counters *c = notify_counters(n);

	return (int)(c->sent + c->failed);
}

/* gvproxy's JSON lines, one connection each, in order */
static void test_notify_lines(void **state)
{
	static const uint8_t mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};
	struct test_srv *t = *state;
	char url[UNIXSOCK_PATH_MAX + 16];
	struct notify *n;
	uint64_t end = uv_hrtime() + 10ull * 1000000000ull;

	snprintf(url, sizeof(url), "unix://%s", t->path);
	n = notify_create(&t->loop, url);
	assert_non_null(n);
	notify_send(n, NOTIFY_READY, NULL);
	notify_mac_event(n, mac, true);
	notify_mac_event(n, mac, false);
	while (test_notify_done(n) < 3 && uv_hrtime() < end)
		uv_run(&t->loop, UV_RUN_ONCE);
	assert_int_equal(test_notify_done(n), 3);
	if (t->listen_err) {
		assert_int_equal(notify_counters(n)->failed, 3);
	} else {
		assert_int_equal(notify_counters(n)->sent, 3);
		test_run_until(t, (const int *)&t->n_eof, 3);
		assert_string_equal(
			t->lines,
			"{\"notification_type\":\"ready\"}\n"
			"{\"notification_type\":\"connection_established\","
			"\"mac_address\":\"5a:94:ef:e4:0c:ee\"}\n"
			"{\"notification_type\":\"connection_closed\","
			"\"mac_address\":\"5a:94:ef:e4:0c:ee\"}\n");
	}
	assert_int_equal(notify_counters(n)->dropped, 0);
	notify_destroy(n);
	uv_run(&t->loop, UV_RUN_NOWAIT);
}

/* nobody at the path: counted as failed, the queue moves on */
static void test_notify_absent(void **state)
{
	struct test_srv *t = *state;
	char url[UNIXSOCK_PATH_MAX + 32];
	struct notify *n;
	uint64_t end = uv_hrtime() + 10ull * 1000000000ull;

	snprintf(url, sizeof(url), "unix://%s.absent", t->path);
	n = notify_create(&t->loop, url);
	assert_non_null(n);
	notify_send(n, NOTIFY_READY, NULL);
	notify_send(n, NOTIFY_HYPERVISOR_ERROR, NULL);
	while (test_notify_done(n) < 2 && uv_hrtime() < end)
		uv_run(&t->loop, UV_RUN_ONCE);
	assert_int_equal(notify_counters(n)->failed, 2);
	assert_int_equal(notify_counters(n)->sent, 0);
	notify_destroy(n);
	uv_run(&t->loop, UV_RUN_NOWAIT);
}

/* destroyed with events queued and one connecting: freed, no callback */
static void test_notify_destroy_busy(void **state)
{
	struct test_srv *t = *state;
	char url[UNIXSOCK_PATH_MAX + 16];
	struct notify *n;
	int i;

	snprintf(url, sizeof(url), "unix://%s", t->path);
	n = notify_create(&t->loop, url);
	assert_non_null(n);
	for (i = 0; i < NOTIFY_QUEUE + 5; i++)
		notify_send(n, NOTIFY_READY, NULL);
	assert_int_equal(notify_counters(n)->dropped, 5);
	notify_destroy(n);
	/* the loop ends once the handles are closed and n is freed */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connect_roundtrip,
						test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_connect_absent, test_setup,
						test_teardown),
		cmocka_unit_test_setup_teardown(test_connect_cancel, test_setup,
						test_teardown),
		cmocka_unit_test_setup_teardown(test_connect_too_long,
						test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_notify_lines, test_setup,
						test_teardown),
		cmocka_unit_test_setup_teardown(test_notify_absent, test_setup,
						test_teardown),
		cmocka_unit_test_setup_teardown(test_notify_destroy_busy,
						test_setup, test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
