/*
 * test_deps.c - cmocka tests of the libraries qcw-net links, on their own
 * (no libqcw): libuv's TCP over loopback, c-ares' channel set-up from the
 * host's resolver configuration and its query builder, jansson, libyaml and
 * http-parser. On Linux these are Debian's -dev packages; in the Windows
 * cross build they are the static subprojects built from Debian's source
 * packages, and this test, run under wine, is the proof that they were
 * built and configured right for Windows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ares.h>
#include <http_parser.h>
#include <jansson.h>
#include <uv.h>
#include <yaml.h>

/* one TCP connection over 127.0.0.1: the client writes, the server reads */
struct deps_tcp {
	uv_tcp_t server;
	uv_tcp_t accepted;
	uv_tcp_t client;
	uv_connect_t conn;
	uv_write_t wr;
	char buf[16];
	size_t got;
	int closed;
};

static void deps_on_close(uv_handle_t *h)
{
	struct deps_tcp *t = h->data;

	t->closed++;
}

static void deps_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct deps_tcp *t = h->data;

	*b = uv_buf_init(t->buf + t->got, (unsigned)(sizeof(t->buf) - t->got));
}

static void deps_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct deps_tcp *t = s->data;

	if (n > 0)
		t->got += (size_t)n;
	if (n < 0 || t->got >= 4) {
		uv_close((uv_handle_t *)&t->accepted, deps_on_close);
		uv_close((uv_handle_t *)&t->server, deps_on_close);
		uv_close((uv_handle_t *)&t->client, deps_on_close);
	}
}

static void deps_on_conn(uv_stream_t *srv, int status)
{
	struct deps_tcp *t = srv->data;

	assert_int_equal(status, 0);
	assert_int_equal(uv_tcp_init(srv->loop, &t->accepted), 0);
	t->accepted.data = t;
	assert_int_equal(uv_accept(srv, (uv_stream_t *)&t->accepted), 0);
	assert_int_equal(uv_read_start((uv_stream_t *)&t->accepted, deps_alloc,
				       deps_on_read),
			 0);
}

static void deps_on_connected(uv_connect_t *c, int status)
{
	struct deps_tcp *t = c->data;
	uv_buf_t b = uv_buf_init("ping", 4);

	assert_int_equal(status, 0);
	assert_int_equal(
		uv_write(&t->wr, (uv_stream_t *)&t->client, &b, 1, NULL), 0);
}

static void test_uv_tcp(void **state)
{
	struct deps_tcp t;
	struct sockaddr_in sin;
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	uv_loop_t loop;

	memset(&t, 0, sizeof(t));
	assert_true(uv_version() >= 0x012800); /* 1.40 */
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &sin), 0);
	assert_int_equal(uv_tcp_init(&loop, &t.server), 0);
	assert_int_equal(uv_tcp_init(&loop, &t.client), 0);
	t.server.data = t.client.data = t.conn.data = &t;
	assert_int_equal(
		uv_tcp_bind(&t.server, (const struct sockaddr *)&sin, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&t.server, 4, deps_on_conn),
			 0);
	assert_int_equal(
		uv_tcp_getsockname(&t.server, (struct sockaddr *)&ss, &len), 0);
	assert_int_equal(uv_tcp_connect(&t.conn, &t.client,
					(const struct sockaddr *)&ss,
					deps_on_connected),
			 0);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(t.got, 4);
	assert_memory_equal(t.buf, "ping", 4);
	assert_int_equal(t.closed, 3);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_cares(void **state)
{
	ares_channel ch;
	unsigned char *q = NULL;
	int qlen = 0;

	assert_int_equal(ares_library_init(ARES_LIB_INIT_ALL), ARES_SUCCESS);
	/* reads the host's resolvers (resolv.conf, or Windows' registry) */
	assert_int_equal(ares_init(&ch), ARES_SUCCESS);
	ares_destroy(ch);
	assert_int_equal(ares_create_query("example.test", 1 /* IN */,
					   1 /* A */, 0x1234, 1, &q, &qlen, 0),
			 ARES_SUCCESS);
	assert_true(qlen > 12);
	assert_int_equal(q[0], 0x12);
	assert_int_equal(q[1], 0x34);
	ares_free_string(q);
	ares_library_cleanup();
}

static void test_jansson(void **state)
{
	json_error_t err;
	json_t *j = json_loads("{\"a\":[1,2,\"x\"],\"b\":true}", 0, &err);
	char *s;

	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "a")), 3);
	assert_true(json_is_true(json_object_get(j, "b")));
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"a\":[1,2,\"x\"],\"b\":true}");
	free(s);
	json_decref(j);
	assert_null(json_loads("{\"a\":", 0, &err));
}

static void test_yaml(void **state)
{
	static const char doc[] = "a: [1, 2]\nb: text\n";
	yaml_parser_t p;
	yaml_event_t ev;
	int scalars = 0, done = 0;

	assert_true(yaml_parser_initialize(&p));
	yaml_parser_set_input_string(&p, (const unsigned char *)doc,
				     sizeof(doc) - 1);
	while (!done) {
		assert_true(yaml_parser_parse(&p, &ev));
		if (ev.type == YAML_SCALAR_EVENT)
			scalars++;
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	assert_int_equal(scalars, 5);
}

static int deps_on_url(http_parser *p, const char *at, size_t len)
{
	memcpy(p->data, at, len < 15 ? len : 15);
	return 0;
}

static void test_http_parser(void **state)
{
	static const char req[] = "POST /services/forwarder/expose HTTP/1.1\r\n"
				  "Content-Length: 0\r\n\r\n";
	char url[16] = "";
	http_parser p;
	http_parser_settings cb;

	memset(&cb, 0, sizeof(cb));
	cb.on_url = deps_on_url;
	http_parser_init(&p, HTTP_REQUEST);
	p.data = url;
	assert_int_equal(http_parser_execute(&p, &cb, req, sizeof(req) - 1),
			 sizeof(req) - 1);
	assert_int_equal(p.method, HTTP_POST);
	assert_string_equal(url, "/services/forwa");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uv_tcp),
		cmocka_unit_test(test_cares),
		cmocka_unit_test(test_jansson),
		cmocka_unit_test(test_yaml),
		cmocka_unit_test(test_http_parser),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
