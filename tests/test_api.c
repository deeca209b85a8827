/*
 * test_api.c - cmocka tests of the control API (api/api.c) and its
 * HTTP server (api/http_server.c), over real sockets: a libuv loop
 * runs the server in a second thread while the test drives plain blocking
 * clients and checks status lines, headers, bodies and JSON shapes. Also
 * the notification sender (api/notify.c) and memory connections.
 *
 * The port forwarder is a fake defined here (the real one needs the lwIP
 * stack); it records rules the way forwarder/fwd.c documents. Every test
 * ends with uv_loop_close() == 0, so a leaked handle fails it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <http_parser.h>
#include <jansson.h>
#include <uv.h>

#include "dhcp/dhcp_server.h"
#include "dns/dns_server.h"
#include "api/api.h"
#include "util/sockpath.h"
#include "forwarder/fwd.h"
#include "api/http_server.h"
#include "api/metrics.h"
#include "api/notify.h"
#include "net/netcfg.h"
#include "net/switch.h"
#include "net/transport_stream.h"

#define GUEST_IP 0xc0a87f02u /* 192.168.127.2 */

/* ---- a fake rule table with fwd.h's interface ---- */

struct fake_rule {
	enum fwd_proto proto;
	char local[256], remote[512];
};

static struct fake_rule fake_rules[32];
static int fake_n;
static int fake_fwd_obj;
#define FAKE_FWD ((struct fwd *)&fake_fwd_obj)
static uint32_t fake_splice_ip;
static uint16_t fake_splice_port;
static struct fwd_counters fake_counters;

const char *fwd_proto_name(enum fwd_proto p)
{
	static const char *const n[] = {"tcp", "udp", "unix", "npipe"};

	return (unsigned int)p < 4 ? n[p] : "?";
}

int fwd_proto_parse(const char *s, enum fwd_proto *p)
{
	int i;

	if (!s || !*s) {
		*p = FWD_TCP;
		return 0;
	}
	for (i = 0; i < 4; i++) {
		if (!strcmp(s, fwd_proto_name((enum fwd_proto)i))) {
			*p = (enum fwd_proto)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int fake_find(enum fwd_proto proto, const char *local)
{
	int i;

	for (i = 0; i < fake_n; i++)
		if (fake_rules[i].proto == proto &&
		    !strcmp(fake_rules[i].local, local))
			return i;
	return -1;
}

static bool fake_last_guest; /* the last expose's caller was the VM */

int fwd_expose_as(struct fwd *f, enum fwd_proto proto, const char *local,
		  const char *remote, bool guest, char *err, size_t errlen)
{
	assert_ptr_equal(f, FAKE_FWD);
	fake_last_guest = guest;
	if (fake_find(proto, local) >= 0) {
		snprintf(err, errlen, "proxy already running for %s on %s",
			 fwd_proto_name(proto), local);
		return -EEXIST;
	}
	if (!strcmp(local, "127.0.0.1:1")) {
		snprintf(err, errlen,
			 "listen tcp 127.0.0.1:1: bind: permission denied");
		return -EACCES;
	}
	if (fake_n == 32)
		return -ENOSPC;
	fake_rules[fake_n].proto = proto;
	snprintf(fake_rules[fake_n].local, 256, "%s", local);
	snprintf(fake_rules[fake_n].remote, 512, "%s", remote);
	fake_n++;
	fake_counters.rules = (uint64_t)fake_n;
	return 0;
}

int fwd_unexpose(struct fwd *f, enum fwd_proto proto, const char *local,
		 char *err, size_t errlen)
{
	int i = fake_find(proto, local);

	assert_ptr_equal(f, FAKE_FWD);
	if (i < 0) {
		snprintf(err, errlen, "proxy not found");
		return -ENOENT;
	}
	fake_rules[i] = fake_rules[--fake_n];
	fake_counters.rules = (uint64_t)fake_n;
	return 0;
}

static int fake_cmp(const void *a, const void *b)
{
	const struct fake_rule *x = a, *y = b;
	int r = strcmp(x->local, y->local);

	return r ? r
		 : strcmp(fwd_proto_name(x->proto), fwd_proto_name(y->proto));
}

void fwd_foreach(struct fwd *f,
		 void (*fn)(void *arg, enum fwd_proto proto, const char *local,
			    const char *remote),
		 void *arg)
{
	struct fake_rule sorted[32];
	int i;

	assert_ptr_equal(f, FAKE_FWD);
	memcpy(sorted, fake_rules, sizeof(sorted));
	qsort(sorted, (size_t)fake_n, sizeof(sorted[0]), fake_cmp);
	for (i = 0; i < fake_n; i++)
		fn(arg, sorted[i].proto, sorted[i].local, sorted[i].remote);
}

int fwd_splice_fd(struct fwd *f, int fd, uint32_t ip, uint16_t port)
{
	assert_ptr_equal(f, FAKE_FWD);
	fake_splice_ip = ip;
	fake_splice_port = port;
	if (write(fd, "X", 1) != 1) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

const struct fwd_counters *fwd_counters(const struct fwd *f)
{
	(void)f;
	return &fake_counters;
}

/* ---- the server under test, on a loop in a second thread ---- */

struct tsrv {
	uv_loop_t loop;
	uv_async_t stop;
	pthread_t th;
	struct api *api;
	struct sw *sw;
	struct dhcp_server *dhcp;
	struct dns_server *dns;
	struct netcfg net;
	char dir[64];
	char path[128]; /* -listen: full API */
	char svc[128]; /* -services: no /connect */
	char fdsock[128]; /* a listening socket handed to the server */
	int guest_fd; /* our end of an in-VM (gateway:80) connection */
	int connects; /* /connect hijacks seen */
	int extra[64]; /* our ends of tsrv_extra_guests more in-VM conns */
};

/* in-VM connections tsrv_start() adopts besides guest_fd (before the
 * loop thread starts: adoption happens on the loop thread) */
static int tsrv_extra_guests;
static unsigned int tsrv_guest_timeout_ms;

static void tsrv_connect_cb(void *arg, int fd)
{
	struct tsrv *s = arg;

	s->connects++;
	/* frames would start now: no HTTP response may precede them */
	if (write(fd, "FRAMES", 6) != 6)
		fail();
	close(fd);
}

static void tsrv_stop_cb(uv_async_t *a)
{
	struct tsrv *s = a->data;

	api_destroy(s->api);
	dns_server_destroy(s->dns);
	uv_close((uv_handle_t *)a, NULL);
}

static void *tsrv_thread(void *arg)
{
	struct tsrv *s = arg;

	uv_run(&s->loop, UV_RUN_DEFAULT);
	return NULL;
}

static struct dhcp_server *tsrv_dhcp(const struct netcfg *n)
{
	struct dhcp_server_config c;

	memset(&c, 0, sizeof(c));
	c.network = n->network;
	c.netmask = n->netmask;
	c.gateway = n->gateway;
	c.host_alias = n->host_alias;
	c.pool_start = n->network + 3;
	c.pool_end = n->network + 253;
	c.lease_secs = 3600;
	c.mtu = 1500;
	c.n_static = 1;
	memcpy(c.statics[0].mac, n->device_mac, 6);
	c.statics[0].ip = n->device;
	return dhcp_server_create(&c);
}

static void tsrv_start(struct tsrv *s, unsigned int timeout_ms, bool with_dns)
{
	struct api_ctx ctx;
	char url[160];
	struct inaddr guest = inaddr_v4(GUEST_IP);
	int sv[2];

	memset(s, 0, sizeof(s[0]));
	fake_n = 0;
	snprintf(s->dir, sizeof(s->dir), "/tmp/test-api-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/api.sock", s->dir);
	snprintf(s->svc, sizeof(s->svc), "%s/services.sock", s->dir);
	assert_int_equal(uv_loop_init(&s->loop), 0);
	netcfg_defaults(&s->net);
	s->sw = sw_create(s->net.gw_mac);
	s->dhcp = tsrv_dhcp(&s->net);
	assert_non_null(s->sw);
	assert_non_null(s->dhcp);
	if (with_dns) {
		struct dns_server_config dc = {
			.gateway = s->net.gateway,
			.host_alias = s->net.host_alias,
			.upstream_servers = "127.0.0.1:9",
		};

		s->dns = dns_server_create(&s->loop, &dc);
		assert_non_null(s->dns);
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.sw = s->sw;
	ctx.dhcp = s->dhcp;
	ctx.net = &s->net;
	ctx.dns = s->dns;
	ctx.fwd = FAKE_FWD;
	ctx.connect = tsrv_connect_cb;
	ctx.connect_arg = s;
	s->api = api_create(&s->loop, &ctx);
	assert_non_null(s->api);
	if (timeout_ms)
		http_server_set_timeout(api_http(s->api), timeout_ms);
	snprintf(url, sizeof(url), "unix://%s", s->path);
	assert_int_equal(api_listen(s->api, url, true), 0);
	snprintf(url, sizeof(url), "unix://%s", s->svc);
	assert_int_equal(api_listen(s->api, url, false), 0);
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		snprintf(s->fdsock, sizeof(s->fdsock), "%s/fd.sock", s->dir);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", s->fdsock);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)),
				 0);
		assert_int_equal(listen(fd, 8), 0);
		assert_int_equal(http_server_listen_fd(api_http(s->api), fd, 0),
				 0);
	}
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	if (tsrv_guest_timeout_ms)
		http_server_set_guest_timeout(api_http(s->api),
					      tsrv_guest_timeout_ms);
	api_gateway_conn(s->api, sv[1], &guest);
	s->guest_fd = sv[0];
	for (int i = 0; i < tsrv_extra_guests; i++) {
		assert_int_equal(
			socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			0);
		api_gateway_conn(s->api, sv[1], &guest);
		s->extra[i] = sv[0];
	}
	uv_async_init(&s->loop, &s->stop, tsrv_stop_cb);
	s->stop.data = s;
	assert_int_equal(pthread_create(&s->th, NULL, tsrv_thread, s), 0);
}

static void tsrv_stop(struct tsrv *s)
{
	struct stat st;

	uv_async_send(&s->stop);
	assert_int_equal(pthread_join(s->th, NULL), 0);
	assert_int_equal(uv_loop_close(&s->loop), 0);
	close(s->guest_fd);
	for (int i = 0; i < tsrv_extra_guests; i++)
		close(s->extra[i]);
	tsrv_extra_guests = 0;
	tsrv_guest_timeout_ms = 0;
	sw_destroy(s->sw);
	dhcp_server_destroy(s->dhcp);
	/* the server unlinks its socket files */
	assert_int_not_equal(stat(s->path, &st), 0);
	assert_int_not_equal(stat(s->svc, &st), 0);
	/* a handed-over listener's file is its maker's */
	assert_int_equal(unlink(s->fdsock), 0);
	assert_int_equal(rmdir(s->dir), 0);
}

/* ---- a blocking client that reads responses one by one ---- */

struct cli {
	int fd;
	char buf[256 * 1024];
	size_t len;
};

struct resp {
	int status;
	unsigned int major, minor;
	char ctype[256];
	char conn[256];
	bool has_date, has_clen;
	char body[64 * 1024];
	size_t body_len;
	bool done;
	char hname[64];
	size_t hname_len;
	char hval[256];
	size_t hval_len;
	bool in_value;
};

static void cli_open(struct cli *c, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 5};

	c->len = 0;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static void cli_fd(struct cli *c, int fd)
{
	struct timeval tv = {.tv_sec = 5};

	c->len = 0;
	c->fd = fd;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static void cli_send(struct cli *c, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t k = send(c->fd, s, n, MSG_NOSIGNAL);

		assert_true(k > 0);
		s += k;
		n -= (size_t)k;
	}
}

static void cli_sends(struct cli *c, const char *s)
{
	cli_send(c, s, strlen(s));
}

static void resp_header_done(struct resp *r)
{
	if (!r->in_value)
		return;
	r->hname[r->hname_len] = 0;
	r->hval[r->hval_len] = 0;
	if (!strcasecmp(r->hname, "content-type"))
		snprintf(r->ctype, sizeof(r->ctype), "%s", r->hval);
	else if (!strcasecmp(r->hname, "connection"))
		snprintf(r->conn, sizeof(r->conn), "%s", r->hval);
	else if (!strcasecmp(r->hname, "date"))
		r->has_date = true;
	else if (!strcasecmp(r->hname, "content-length"))
		r->has_clen = true;
	r->hname_len = r->hval_len = 0;
	r->in_value = false;
}

static int resp_on_field(http_parser *p, const char *at, size_t n)
{
	struct resp *r = p->data;

	resp_header_done(r);
	assert_true(r->hname_len + n < sizeof(r->hname));
	memcpy(r->hname + r->hname_len, at, n);
	r->hname_len += n;
	return 0;
}

static int resp_on_value(http_parser *p, const char *at, size_t n)
{
	struct resp *r = p->data;

	r->in_value = true;
	assert_true(r->hval_len + n < sizeof(r->hval));
	memcpy(r->hval + r->hval_len, at, n);
	r->hval_len += n;
	return 0;
}

static int resp_on_headers(http_parser *p)
{
	resp_header_done(p->data);
	return 0;
}

static int resp_on_body(http_parser *p, const char *at, size_t n)
{
	struct resp *r = p->data;

	assert_true(r->body_len + n < sizeof(r->body));
	memcpy(r->body + r->body_len, at, n);
	r->body_len += n;
	r->body[r->body_len] = 0;
	return 0;
}

static int resp_on_complete(http_parser *p)
{
	struct resp *r = p->data;

	r->status = (int)p->status_code;
	r->major = p->http_major;
	r->minor = p->http_minor;
	r->done = true;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings resp_settings = {
	.on_header_field = resp_on_field,
	.on_header_value = resp_on_value,
	.on_headers_complete = resp_on_headers,
	.on_body = resp_on_body,
	.on_message_complete = resp_on_complete,
};

/* cli_read() - the next response (bytes after it stay buffered). */
static void cli_read(struct cli *c, struct resp *r)
{
	http_parser p;

	memset(r, 0, sizeof(*r));
	http_parser_init(&p, HTTP_RESPONSE);
	p.data = r;
	for (;;) {
		size_t n =
			http_parser_execute(&p, &resp_settings, c->buf, c->len);
		ssize_t k;

		if (r->done) {
			memmove(c->buf, c->buf + n, c->len - n);
			c->len -= n;
			return;
		}
		assert_int_equal(HTTP_PARSER_ERRNO(&p), HPE_OK);
		/* all buffered bytes were consumed: read more */
		c->len = 0;
		k = recv(c->fd, c->buf, sizeof(c->buf), 0);
		assert_true(k > 0);
		c->len = (size_t)k;
	}
}

/* cli_expect_eof() - the server closed the connection. */
static void cli_expect_eof(struct cli *c)
{
	char b[256];

	assert_int_equal(c->len, 0);
	assert_int_equal(recv(c->fd, b, sizeof(b), 0), 0);
}

/* cli_post() - a POST with a computed Content-Length. */
static void cli_post(struct cli *c, const char *url, const char *body)
{
	char head[512];

	snprintf(
		head, sizeof(head),
		"POST %s HTTP/1.1\r\nHost: x\r\n"
		"Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
		url, strlen(body));
	cli_sends(c, head);
	cli_sends(c, body);
}

/* cli_skip_head() - a response to HEAD: status line and headers only. */
static void cli_skip_head(struct cli *c, const char *status_line)
{
	char *end;

	while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
		ssize_t k = recv(c->fd, c->buf + c->len,
				 sizeof(c->buf) - c->len, 0);

		assert_true(k > 0);
		c->len += (size_t)k;
	}
	assert_memory_equal(c->buf, status_line, strlen(status_line));
	end += 4;
	c->len -= (size_t)(end - c->buf);
	memmove(c->buf, end, c->len);
}

static void cli_close(struct cli *c)
{
	close(c->fd);
}

/* request() - one request on a new connection to @path. */
static void request(const char *path, const char *method, const char *url,
		    const char *body, struct resp *r)
{
	static struct cli c;
	char head[1024];

	cli_open(&c, path);
	snprintf(head, sizeof(head),
		 "%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n",
		 method, url, body ? strlen(body) : 0);
	cli_sends(&c, head);
	if (body)
		cli_sends(&c, body);
	cli_read(&c, r);
	cli_close(&c);
}

static json_t *resp_json(const struct resp *r)
{
	json_error_t e;
	json_t *j;

	assert_true(r->body_len > 0);
	assert_int_equal(r->body[r->body_len - 1], '\n');
	j = json_loads(r->body, 0, &e);
	assert_non_null(j);
	return j;
}

#define TEXT "text/plain; charset=utf-8"

/* ---- tests ---- */

static void test_read_routes(void **state)
{
	struct tsrv s;
	struct resp r;
	json_t *j;

	(void)state;
	tsrv_start(&s, 0, false);

	request(s.path, "GET", "/services/forwarder/all", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, TEXT);
	assert_true(r.has_date && r.has_clen);
	assert_string_equal(r.body, "[]\n");

	request(s.path, "GET", "/leases", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body,
			    "{\"192.168.127.1\":\"5a:94:ef:e4:0c:dd\","
			    "\"192.168.127.2\":\"5a:94:ef:e4:0c:ee\"}\n");
	request(s.path, "POST", "/services/dhcp/leases?x=1", "", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body,
			    "{\"192.168.127.1\":\"5a:94:ef:e4:0c:dd\","
			    "\"192.168.127.2\":\"5a:94:ef:e4:0c:ee\"}\n");

	request(s.path, "GET", "/cam", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{}\n");

	request(s.path, "GET", "/stats", NULL, &r);
	assert_int_equal(r.status, 200);
	j = resp_json(&r);
	assert_true(json_is_integer(json_object_get(j, "BytesSent")));
	assert_true(json_is_integer(json_object_get(j, "BytesReceived")));
	assert_true(json_is_array(
		json_object_get(json_object_get(j, "Switch"), "Ports")));
	assert_true(json_is_object(json_object_get(j, "DHCP")));
	assert_true(json_is_integer(
		json_object_get(json_object_get(j, "Forwarder"), "Rules")));
	assert_null(json_object_get(j, "NAT")); /* no NAT in this test */
	json_decref(j);

	/* no DNS server: an empty zone list, and adding is unavailable */
	request(s.path, "GET", "/services/dns/all", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "[]\n");
	request(s.path, "POST", "/services/dns/add", "{\"Name\":\"a.\"}", &r);
	assert_int_equal(r.status, 503);

	request(s.path, "GET", "/nope", NULL, &r);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.ctype, TEXT);
	assert_string_equal(r.body, "404 page not found\n");
	request(s.path, "GET", "/services/forwarder/all/", NULL, &r);
	assert_int_equal(r.status, 404);
	request(s.path, "GET", "/", NULL, &r);
	assert_int_equal(r.status, 404);

	/* percent-encoded path, absolute-form URL */
	request(s.path, "GET", "/%63am", NULL, &r);
	assert_int_equal(r.status, 200);
	request(s.path, "GET", "http://host/cam", NULL, &r);
	assert_int_equal(r.status, 200);
	/* the listener made elsewhere serves too (no /connect there) */
	request(s.fdsock, "GET", "/cam", NULL, &r);
	assert_int_equal(r.status, 200);
	request(s.fdsock, "GET", "/connect", NULL, &r);
	assert_int_equal(r.status, 404);
	tsrv_stop(&s);
}

static void test_post_only(void **state)
{
	static const char *const urls[] = {"/services/forwarder/expose",
					   "/services/forwarder/unexpose",
					   "/services/dns/add"};
	struct tsrv s;
	struct resp r;
	size_t i;

	(void)state;
	tsrv_start(&s, 0, false);
	for (i = 0; i < 3; i++) {
		request(s.path, "GET", urls[i], NULL, &r);
		assert_int_equal(r.status, 400);
		assert_string_equal(r.body, "post only\n");
		request(s.path, "PUT", urls[i], "{}", &r);
		assert_int_equal(r.status, 400);
		assert_string_equal(r.body, "post only\n");
	}
	tsrv_stop(&s);
}

static void test_expose(void **state)
{
	struct tsrv s;
	struct resp r;

	(void)state;
	tsrv_start(&s, 0, false);
	request(s.path, "POST", "/services/forwarder/expose",
		"{\"local\":\"127.0.0.1:8080\",\"remote\":\"192.168.127.2:80\","
		"\"protocol\":\"tcp\"}",
		&r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	assert_string_equal(r.ctype, "");
	assert_false(fake_last_guest); /* the host's: no cap */
	/* protocol defaults to tcp; a duplicate is gvproxy's 500 */
	request(s.path, "POST", "/services/forwarder/expose",
		"{\"local\":\"127.0.0.1:8080\",\"remote\":\"192.168.127.2:"
		"81\"}",
		&r);
	assert_int_equal(r.status, 500);
	assert_string_equal(
		r.body, "proxy already running for tcp on 127.0.0.1:8080\n");
	/* same local, other protocol; field names match case-insensitively */
	request(s.path, "POST", "/services/forwarder/expose",
		"{\"Local\":\"127.0.0.1:8080\",\"REMOTE\":\"192.168.127.2:53\","
		"\"protocol\":\"udp\"}",
		&r);
	assert_int_equal(r.status, 200);
	request(s.path, "POST", "/services/forwarder/expose",
		"{\"local\":\"/tmp/x.sock\",\"remote\":\"tcp://"
		"192.168.127.2:22\","
		"\"protocol\":\"unix\"} trailing data is ignored",
		&r);
	assert_int_equal(r.status, 200);
	request(s.path, "POST", "/services/forwarder/expose",
		"{\"local\":\":9090\",\"remote\":\"192.168.127.3:90&<>\"}", &r);
	assert_int_equal(r.status, 200);

	request(s.path, "GET", "/services/forwarder/all", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(
		r.body, "[{\"local\":\"/tmp/x.sock\",\"remote\":\"tcp://"
			"192.168.127.2:22\",\"protocol\":\"unix\"},"
			"{\"local\":\"127.0.0.1:8080\",\"remote\":\"192.168."
			"127.2:80\",\"protocol\":\"tcp\"},"
			"{\"local\":\"127.0.0.1:8080\",\"remote\":\"192.168."
			"127.2:53\",\"protocol\":\"udp\"},"
			"{\"local\":\":9090\",\"remote\":\"192.168.127.3:"
			"90\\u0026\\u003c\\u003e\",\"protocol\":\"tcp\"}]\n");

	/* errors */
	request(s.path, "POST", "/services/forwarder/expose",
		"{\"local\":", &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.ctype, TEXT);
	request(s.path, "POST", "/services/forwarder/expose", "", &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.body, "EOF\n");
	request(s.path, "POST", "/services/forwarder/expose", "[1]", &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.body, "json: cannot unmarshal array into Go "
				    "value of type types.ExposeRequest\n");
	request(s.path, "POST", "/services/forwarder/expose", "{\"local\":5}",
		&r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.body,
			    "json: cannot unmarshal number into Go struct "
			    "field ExposeRequest.local of type string\n");
	request(s.path, "POST", "/services/forwarder/expose",
		"{\"local\":\"127.0.0.1:1\",\"remote\":\"1.2.3.4:5\","
		"\"protocol\":\"sctp\"}",
		&r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.body, "unknown protocol sctp\n");
	request(s.path, "POST", "/services/forwarder/expose",
		"{\"local\":\"127.0.0.1:2\",\"remote\":\"192.168.127.2\"}", &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.body,
			    "address 192.168.127.2: missing port in address\n");
	/* no caller IP on a host unix socket */
	request(s.path, "POST", "/services/forwarder/expose",
		"{\"local\":\"127.0.0.1:2\",\"remote\":\":80\"}", &r);
	assert_int_equal(r.status, 400);
	/* a listen error from the forwarder */
	request(s.path, "POST", "/services/forwarder/expose",
		"{\"local\":\"127.0.0.1:1\",\"remote\":\"192.168.127.2:1\"}",
		&r);
	assert_int_equal(r.status, 500);
	assert_string_equal(
		r.body, "listen tcp 127.0.0.1:1: bind: permission denied\n");

	/* unexpose */
	request(s.path, "POST", "/services/forwarder/unexpose",
		"{\"local\":\"127.0.0.1:8080\"}", &r);
	assert_int_equal(r.status, 200);
	request(s.path, "POST", "/services/forwarder/unexpose",
		"{\"local\":\"127.0.0.1:8080\"}", &r);
	assert_int_equal(r.status, 500);
	assert_string_equal(r.body, "proxy not found\n");
	request(s.path, "POST", "/services/forwarder/unexpose",
		"{\"local\":\"127.0.0.1:8080\",\"protocol\":\"udp\"}", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(fake_n, 2);
	tsrv_stop(&s);
}

/* The in-VM endpoint: forwarder routes only, the guest's IP as caller. */
static void test_guest_endpoint(void **state)
{
	struct tsrv s;
	struct resp r;
	struct cli c;

	(void)state;
	tsrv_start(&s, 0, false);
	cli_fd(&c, s.guest_fd);
	cli_post(&c, "/services/forwarder/expose",
		 "{\"local\":\":8080\",\"remote\":\":80\",\"protocol\":"
		 "\"tcp\"}");
	cli_read(&c, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(fake_n, 1);
	assert_string_equal(fake_rules[0].remote, "192.168.127.2:80");
	assert_string_equal(fake_rules[0].local, ":8080");
	assert_true(fake_last_guest); /* counted against the VM's cap */
	cli_sends(&c,
		  "GET /services/forwarder/all HTTP/1.1\r\nHost: x\r\n\r\n");
	cli_read(&c, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body,
			    "[{\"local\":\":8080\",\"remote\":"
			    "\"192.168.127.2:80\",\"protocol\":\"tcp\"}]\n");
	cli_sends(&c, "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n"
		      "GET /leases HTTP/1.1\r\nHost: x\r\n\r\n"
		      "GET /connect HTTP/1.1\r\nHost: x\r\n\r\n"
		      "GET /tunnel?ip=192.168.127.2&port=22 HTTP/1.1\r\n\r\n");
	cli_read(&c, &r);
	assert_int_equal(r.status, 404);
	cli_read(&c, &r);
	assert_int_equal(r.status, 404);
	cli_read(&c, &r);
	assert_int_equal(r.status, 404);
	cli_read(&c, &r);
	assert_int_equal(r.status, 404);
	assert_int_equal(s.connects, 0);
	tsrv_stop(&s);
}

static void test_pipelined(void **state)
{
	struct tsrv s;
	struct resp r;
	struct cli c;
	int i;

	(void)state;
	tsrv_start(&s, 0, false);
	cli_open(&c, s.path);
	cli_sends(
		&c,
		"GET /cam HTTP/1.1\r\nHost: x\r\n\r\n"
		"POST /services/forwarder/expose HTTP/1.1\r\nHost: x\r\n"
		"Transfer-Encoding: chunked\r\n\r\n"
		"10\r\n{\"local\":\"1.2.3.\r\n"
		"20;ext=1\r\n4:5\",\"remote\":\"192.168.127.2:5\"}\r\n0\r\n\r\n"
		"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
		"HEAD /services/forwarder/all HTTP/1.1\r\nHost: x\r\n\r\n"
		"GET /services/forwarder/all HTTP/1.1\r\nHost: x\r\n\r\n");
	cli_read(&c, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{}\n");
	cli_read(&c, &r);
	assert_int_equal(r.status, 200);
	cli_read(&c, &r);
	assert_int_equal(r.status, 404);
	/* HEAD: headers only */
	cli_skip_head(&c, "HTTP/1.1 200 OK\r\n");
	cli_read(&c, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body,
			    "[{\"local\":\"1.2.3.4:5\",\"remote\":"
			    "\"192.168.127.2:5\",\"protocol\":\"tcp\"}]\n");
	/*
	 * Many at once, more than one read buffer's worth, in one write: a
	 * client that pipelines must not wait for its sends to finish before
	 * reading, since the server stops reading while its answers are not
	 * taken (each small send costs ~1 KiB of a unix socket's buffer).
	 */
	{
		static const char one[] =
			"GET /cam HTTP/1.1\r\nHost: x\r\n\r\n";
		char *many = malloc(2000 * (sizeof(one) - 1));

		assert_non_null(many);
		for (i = 0; i < 2000; i++)
			memcpy(many + (size_t)i * (sizeof(one) - 1), one,
			       sizeof(one) - 1);
		cli_send(&c, many, 2000 * (sizeof(one) - 1));
		free(many);
	}
	for (i = 0; i < 2000; i++) {
		cli_read(&c, &r);
		assert_int_equal(r.status, 200);
	}
	cli_sends(&c, "GET /cam HTTP/1.1\r\nConnection: close\r\n\r\n");
	cli_read(&c, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.conn, "close");
	cli_expect_eof(&c);
	cli_close(&c);
	tsrv_stop(&s);
}

static void test_split_bytes(void **state)
{
	static const char req[] =
		"POST /services/forwarder/expose HTTP/1.1\r\n"
		"Host: x\r\nContent-Length: 50\r\n\r\n"
		"{\"local\":\"127.0.0.1:7\",\"remote\":\"192.168.127.2:7\"}";
	struct tsrv s;
	struct resp r;
	struct cli c;
	size_t i;

	(void)state;
	tsrv_start(&s, 0, false);
	cli_open(&c, s.path);
	for (i = 0; i < sizeof(req) - 1; i++) {
		cli_send(&c, req + i, 1);
		if (i % 16 == 0)
			usleep(200);
	}
	cli_read(&c, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(fake_n, 1);
	cli_close(&c);
	tsrv_stop(&s);
}

static void test_bad_requests(void **state)
{
	struct tsrv s;
	struct resp r;
	struct cli c;
	char *big;

	(void)state;
	tsrv_start(&s, 0, false);
	/* garbage: 400 and close, and the server keeps serving */
	cli_open(&c, s.path);
	cli_sends(&c, "\x01\x02 garbage \xff\r\n\r\n");
	cli_read(&c, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.body, "400 Bad Request");
	assert_string_equal(r.conn, "close");
	cli_expect_eof(&c);
	cli_close(&c);

	cli_open(&c, s.path);
	cli_sends(&c, "GET /cam HTTP/1.1\r\nContent-Length: x\r\n\r\n");
	cli_read(&c, &r);
	assert_int_equal(r.status, 400);
	cli_expect_eof(&c);
	cli_close(&c);

	/* a good request, then garbage on the same connection */
	cli_open(&c, s.path);
	cli_sends(&c, "GET /cam HTTP/1.1\r\n\r\nBLAH\x7f / HTTP/9\r\n\r\n");
	cli_read(&c, &r);
	assert_int_equal(r.status, 200);
	cli_read(&c, &r);
	assert_int_equal(r.status, 400);
	cli_expect_eof(&c);
	cli_close(&c);

	/* bad percent-encoding */
	request(s.path, "GET", "/c%zzam", NULL, &r);
	assert_int_equal(r.status, 400);

	/* body over the limit, announced: 413 at once */
	cli_open(&c, s.path);
	cli_sends(&c, "POST /services/forwarder/expose HTTP/1.1\r\n"
		      "Content-Length: 2000000\r\n\r\n{");
	cli_read(&c, &r);
	assert_int_equal(r.status, 413);
	cli_expect_eof(&c);
	cli_close(&c);

	/* body over the limit, chunked */
	cli_open(&c, s.path);
	cli_sends(&c, "POST /services/dns/add HTTP/1.1\r\n"
		      "Transfer-Encoding: chunked\r\n\r\n");
	big = malloc(HTTP_MAX_BODY + 64);
	assert_non_null(big);
	memset(big, ' ', HTTP_MAX_BODY + 64);
	cli_sends(&c, "100040\r\n");
	cli_send(&c, big, 0x100040);
	free(big);
	cli_read(&c, &r);
	assert_int_equal(r.status, 413);
	cli_close(&c);

	/* a body of exactly the limit is fine */
	cli_open(&c, s.path);
	{
		char head[200];

		snprintf(head, sizeof(head),
			 "POST /services/forwarder/expose HTTP/1.1\r\n"
			 "Content-Length: %d\r\n\r\n",
			 HTTP_MAX_BODY);
		cli_sends(&c, head);
		big = malloc(HTTP_MAX_BODY);
		assert_non_null(big);
		memset(big, ' ', HTTP_MAX_BODY);
		memcpy(big, "[]", 2);
		cli_send(&c, big, HTTP_MAX_BODY);
		free(big);
	}
	cli_read(&c, &r);
	assert_int_equal(r.status, 400); /* an array is not a request */
	cli_close(&c);

	/* headers over the limit: 431 */
	cli_open(&c, s.path);
	cli_sends(&c, "GET /cam HTTP/1.1\r\n");
	big = malloc(HTTP_MAX_HEAD + 100);
	assert_non_null(big);
	memset(big, 'a', HTTP_MAX_HEAD + 100);
	memcpy(big, "X-Big: ", 7);
	cli_send(&c, big, HTTP_MAX_HEAD + 100);
	free(big);
	cli_read(&c, &r);
	assert_int_equal(r.status, 431);
	cli_close(&c);

	/* a URL over the limit */
	cli_open(&c, s.path);
	cli_sends(&c, "GET /");
	big = malloc(HTTP_MAX_URL);
	assert_non_null(big);
	memset(big, 'u', HTTP_MAX_URL);
	cli_send(&c, big, HTTP_MAX_URL);
	free(big);
	cli_read(&c, &r);
	assert_int_equal(r.status, 431);
	cli_close(&c);

	/* still serving */
	request(s.path, "GET", "/cam", NULL, &r);
	assert_int_equal(r.status, 200);
	tsrv_stop(&s);
}

static void test_http10_and_continue(void **state)
{
	struct tsrv s;
	struct resp r;
	struct cli c;

	(void)state;
	tsrv_start(&s, 0, false);
	cli_open(&c, s.path);
	cli_sends(&c, "GET /cam HTTP/1.0\r\n\r\n");
	cli_read(&c, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.minor, 0);
	cli_expect_eof(&c);
	cli_close(&c);

	cli_open(&c, s.path);
	cli_sends(&c, "GET /cam HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	cli_read(&c, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.conn, "keep-alive");
	cli_sends(&c, "GET /cam HTTP/1.0\r\n\r\n");
	cli_read(&c, &r);
	assert_int_equal(r.status, 200);
	cli_expect_eof(&c);
	cli_close(&c);

	/* Expect: 100-continue gets an interim response before the body */
	cli_open(&c, s.path);
	cli_sends(&c, "POST /services/forwarder/expose HTTP/1.1\r\n"
		      "Expect: 100-Continue\r\nContent-Length: 50\r\n\r\n");
	cli_read(&c, &r);
	assert_int_equal(r.status, 100);
	cli_sends(&c,
		  "{\"local\":\"127.0.0.1:7\",\"remote\":\"192.168.127.2:7\"}");
	cli_read(&c, &r);
	assert_int_equal(r.status, 200);
	cli_close(&c);
	tsrv_stop(&s);
}

static void test_timeout(void **state)
{
	struct tsrv s;
	struct resp r;
	struct cli c;

	(void)state;
	tsrv_start(&s, 200, false);
	/* a request that never completes is cut off */
	cli_open(&c, s.path);
	cli_sends(&c, "GET /cam HTTP/1.1\r\nHost:");
	cli_expect_eof(&c);
	cli_close(&c);
	/* an idle keep-alive connection too, after being served */
	cli_open(&c, s.path);
	cli_sends(&c, "GET /cam HTTP/1.1\r\n\r\n");
	cli_read(&c, &r);
	assert_int_equal(r.status, 200);
	cli_expect_eof(&c);
	cli_close(&c);
	tsrv_stop(&s);
}

static void test_connect(void **state)
{
	struct tsrv s;
	struct resp r;
	struct cli c;
	char b[64];
	ssize_t n;

	(void)state;
	tsrv_start(&s, 0, false);
	/* -listen: hijacked, no HTTP response at all, frames at once */
	cli_open(&c, s.path);
	cli_sends(&c, "POST /connect HTTP/1.1\r\nHost: unix\r\n\r\n");
	n = recv(c.fd, b, sizeof(b), MSG_WAITALL);
	assert_int_equal(n, 6);
	assert_memory_equal(b, "FRAMES", 6);
	cli_close(&c);
	assert_int_equal(s.connects, 1);
	/* -services: no /connect */
	request(s.svc, "POST", "/connect", NULL, &r);
	assert_int_equal(r.status, 404);
	request(s.svc, "GET", "/stats", NULL, &r);
	assert_int_equal(r.status, 200);

	/* /tunnel: raw "OK", then the spliced guest connection */
	cli_open(&c, s.svc);
	cli_sends(&c, "POST /tunnel?ip=192.168.127.2&port=22 HTTP/1.1\r\n\r\n");
	n = recv(c.fd, b, sizeof(b), MSG_WAITALL);
	assert_int_equal(n, 3);
	assert_memory_equal(b, "OKX", 3);
	cli_close(&c);
	assert_int_equal(fake_splice_ip, GUEST_IP);
	assert_int_equal(fake_splice_port, 22);
	request(s.path, "GET", "/tunnel?port=22", NULL, &r);
	assert_int_equal(r.status, 500);
	assert_string_equal(r.body, "ip is mandatory\n");
	request(s.path, "GET", "/tunnel?ip=192.168.127.2&port=x", NULL, &r);
	assert_int_equal(r.status, 500);
	assert_string_equal(r.body,
			    "strconv.Atoi: parsing \"x\": invalid syntax\n");
	request(s.path, "GET", "/tunnel?ip=300.1.1.1&port=22", NULL, &r);
	assert_int_equal(r.status, 500);
	tsrv_stop(&s);
}

static void test_dns_routes(void **state)
{
	struct tsrv s;
	struct resp r;
	json_t *j;

	(void)state;
	tsrv_start(&s, 0, true);
	request(s.path, "GET", "/services/dns/all", NULL, &r);
	assert_int_equal(r.status, 200);
	j = resp_json(&r);
	assert_true(json_is_array(j));
	json_decref(j);
	request(s.path, "POST", "/services/dns/add",
		"{\"Name\":\"test.internal.\",\"Records\":[{\"Name\":\"db\","
		"\"IP\":\"192.168.127.3\"}],\"DefaultIP\":\"\"}",
		&r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	request(s.path, "GET", "/services/dns/all", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"test.internal.\""));
	request(s.path, "POST", "/services/dns/add", "{bad", &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.ctype, TEXT);
	request(s.path, "GET", "/stats", NULL, &r);
	j = resp_json(&r);
	assert_true(json_is_object(json_object_get(j, "DNS")));
	json_decref(j);
	tsrv_stop(&s);
}

/*
 * met_check_format() - the text is well-formed 0.0.4 as Prometheus reads
 * it: every sample follows its own family's # TYPE (histograms: _bucket,
 * _sum, _count), each family appears once, HELP before TYPE, lines end
 * with a newline. Returns the number of families.
 */
static int met_check_format(const char *t)
{
	static char seen[256][96];
	char fam[96] = "", type[16] = "";
	int nfam = 0, i;

	while (*t) {
		const char *nl = strchr(t, '\n');
		char name[96];
		size_t n;

		assert_non_null(nl);
		if (!strncmp(t, "# HELP ", 7)) {
			assert_int_equal(sscanf(t + 7, "%95s", fam), 1);
			type[0] = 0;
		} else if (!strncmp(t, "# TYPE ", 7)) {
			assert_int_equal(sscanf(t + 7, "%95s %15s", name, type),
					 2);
			assert_string_equal(name, fam); /* HELP came first */
			for (i = 0; i < nfam; i++)
				assert_string_not_equal(seen[i], fam);
			assert_true(nfam < 256);
			snprintf(seen[nfam++], sizeof(seen[0]), "%s", fam);
		} else {
			n = strcspn(t, "{ ");
			assert_true(n < sizeof(name));
			memcpy(name, t, n);
			name[n] = 0;
			assert_true(type[0]);
			if (!strcmp(type, "histogram")) {
				size_t f = strlen(fam);

				assert_memory_equal(name, fam, f);
				assert_true(!strcmp(name + f, "_bucket") ||
					    !strcmp(name + f, "_sum") ||
					    !strcmp(name + f, "_count"));
			} else {
				assert_string_equal(name, fam);
			}
		}
		t = nl + 1;
	}
	return nfam;
}

/* met_sample_value() - the value of the sample line starting @line. */
static long long met_sample_value(const char *text, const char *line)
{
	const char *p = strstr(text, line);

	if (!p)
		print_error("no sample %s\n", line);
	assert_non_null(p);
	return strtoll(p + strlen(line), NULL, 10);
}

/* GET /metrics: Prometheus' text format on the host API, 404 in the VM. */
static void test_metrics(void **state)
{
	struct tsrv s;
	struct resp r;
	struct cli c;

	(void)state;
	memset(&fake_counters, 0, sizeof(fake_counters));
	tsrv_start(&s, 0, true);
	request(s.path, "GET", "/metrics", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype,
			    "text/plain; version=0.0.4; charset=utf-8");
	assert_true(met_check_format(r.body) > 20);
	assert_non_null(strstr(r.body, "# TYPE qcw_net_drops_total counter\n"));
	assert_non_null(strstr(
		r.body, "qcw_net_drops_total{reason=\"dhcp_malformed\"} 0\n"));
	assert_non_null(
		strstr(r.body, "# TYPE qcw_net_forwarder_rules gauge\n"));
	assert_int_equal(met_sample_value(r.body, "\nqcw_net_forwarder_rules "),
			 0);
	assert_int_equal(met_sample_value(r.body, "\nqcw_net_dhcp_leases "), 1);
	assert_true(
		met_sample_value(r.body, "\nprocess_resident_memory_bytes ") >
		1000000);
	assert_true(met_sample_value(r.body, "\nprocess_open_fds ") > 3);
	assert_int_equal(met_sample_value(r.body,
					  "\nqcw_net_dns_upstream_duration_"
					  "seconds_bucket{le=\"+Inf\"} "),
			 0);
	assert_null(strstr(r.body, "qcw_net_nat_")); /* no NAT here */
	request(s.path, "POST", "/services/forwarder/expose",
		"{\"local\":\":8080\",\"remote\":\"192.168.127.2:80\"}", &r);
	assert_int_equal(r.status, 200);
	request(s.svc, "GET", "/metrics", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(met_sample_value(r.body, "\nqcw_net_forwarder_rules "),
			 1);

	/* never inside the VM */
	cli_fd(&c, s.guest_fd);
	cli_sends(&c, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	cli_read(&c, &r);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.body, "404 page not found\n");
	tsrv_stop(&s);
}

/* met_text() of a made-up snapshot: labels, families across tables. */
static void test_metrics_text(void **state)
{
	struct met_snap *m = calloc(1, sizeof(*m));
	struct dns_latency h = {0};
	char *t;
	size_t n;

	(void)state;
	assert_non_null(m);
	m->have[MET_SW] = m->have[MET_NAT] = m->have[MET_DNS] = true;
	m->have[MET_STACK] = true;
	m->nports = 2;
	m->ports[0].id = 0;
	m->ports[0].kind = "qemu";
	m->ports[0].cnt.rx_bytes = 1234;
	m->ports[0].cnt.tx_frames = 7;
	m->ports[1].id = 5;
	m->ports[1].kind = "we\"ird\\";
	m->ports[1].cnt.tx_drops = 3;
	m->nat.tcp.flows_open = 2;
	m->nat.udp.bytes_to_guest = 99;
	m->nat.icmp.dropped = 4;
	m->stack.short_drops = 6;
	m->sw.unknown_unicast = 8;
	dns_latency_observe(&h, 300); /* 0.3 ms */
	dns_latency_observe(&h, 1000); /* on a bound: counted there */
	dns_latency_observe(&h, 30000);
	dns_latency_observe(&h, 9000000); /* above the last bound */
	m->dns_lat = h;
	t = met_text(m, &n);
	assert_non_null(t);
	assert_int_equal(strlen(t), n);
	met_check_format(t);
	assert_non_null(strstr(
		t, "qcw_net_switch_port_bytes_total{port=\"0\",kind=\"qemu\","
		   "direction=\"from_guest\"} 1234\n"));
	assert_non_null(strstr(
		t, "qcw_net_switch_port_frames_total{port=\"0\",kind=\"qemu\","
		   "direction=\"to_guest\"} 7\n"));
	assert_non_null(strstr(t, "qcw_net_switch_port_drops_total{port=\"5\","
				  "kind=\"we\\\"ird\\\\\","
				  "direction=\"to_guest\"} 3\n"));
	assert_non_null(strstr(t, "qcw_net_nat_flows_open{proto=\"tcp\"} 2\n"));
	assert_non_null(strstr(t, "qcw_net_nat_bytes_total{proto=\"udp\","
				  "direction=\"to_guest\"} 99\n"));
	/* one drops family: the switch's, the stack's and the NAT's rows */
	assert_non_null(strstr(
		t,
		"qcw_net_drops_total{reason=\"switch_unknown_unicast\"} 8\n"));
	assert_non_null(
		strstr(t, "qcw_net_drops_total{reason=\"stack_short\"} 6\n"));
	assert_non_null(strstr(
		t, "qcw_net_drops_total{proto=\"icmp\",reason=\"nat\"} 4\n"));
	/* cumulative buckets, sum in seconds */
	assert_non_null(strstr(t, "qcw_net_dns_upstream_duration_seconds_"
				  "bucket{le=\"0.0005\"} 1\n"));
	assert_non_null(strstr(t, "qcw_net_dns_upstream_duration_seconds_"
				  "bucket{le=\"0.001\"} 2\n"));
	assert_non_null(strstr(t, "qcw_net_dns_upstream_duration_seconds_"
				  "bucket{le=\"0.025\"} 2\n"));
	assert_non_null(strstr(t, "qcw_net_dns_upstream_duration_seconds_"
				  "bucket{le=\"0.05\"} 3\n"));
	assert_non_null(strstr(
		t,
		"qcw_net_dns_upstream_duration_seconds_bucket{le=\"5\"} 3\n"));
	assert_non_null(strstr(t, "qcw_net_dns_upstream_duration_seconds_"
				  "bucket{le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(
		t, "qcw_net_dns_upstream_duration_seconds_sum 9.031300\n"));
	assert_non_null(
		strstr(t, "qcw_net_dns_upstream_duration_seconds_count 4\n"));
	/* parts not running are left out */
	assert_null(strstr(t, "qcw_net_dhcp_"));
	assert_null(strstr(t, "qcw_net_forwarder_"));
	free(t);
	free(m);
}

/*
 * The in-VM API's policy: unix and npipe rules and ssh-tunnel:// remotes
 * are refused with 403 and one fixed text whatever the path (a regular
 * file, a FIFO, a symlink, nothing), before the forwarder sees them; the
 * host API still passes them on. tcp/udp (Podman's use) keeps working.
 */
static void test_guest_policy(void **state)
{
	static const char *const kinds[] = {"file", "fifo", "link", "none",
					    "dir"};
	char path[160], body[512], first[512] = "";
	struct tsrv s;
	struct resp r;
	struct stat st;
	struct cli c;
	json_t *j;
	size_t i;
	int fd;

	(void)state;
	tsrv_start(&s, 0, false);
	cli_fd(&c, s.guest_fd);
	snprintf(path, sizeof(path), "%s/file", s.dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	snprintf(path, sizeof(path), "%s/fifo", s.dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/link", s.dir);
	assert_int_equal(symlink("file", path), 0);
	snprintf(path, sizeof(path), "%s/dir", s.dir);
	assert_int_equal(mkdir(path, 0700), 0);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		/* unix local */
		snprintf(body, sizeof(body),
			 "{\"local\":\"%s/%s\",\"remote\":\"tcp://"
			 "192.168.127.2:22\",\"protocol\":\"unix\"}",
			 s.dir, kinds[i]);
		cli_post(&c, "/services/forwarder/expose", body);
		cli_read(&c, &r);
		assert_int_equal(r.status, 403);
		if (!first[0])
			snprintf(first, sizeof(first), "%.500s", r.body);
		assert_string_equal(r.body, first); /* no existence oracle */
		/* ssh-tunnel remote with a key= anywhere (a FIFO too) */
		snprintf(body, sizeof(body),
			 "{\"local\":\"%s/t.sock\",\"remote\":\"ssh-tunnel://"
			 "root@192.168.127.2/run/x.sock?key=%s/%s\","
			 "\"protocol\":\"unix\"}",
			 s.dir, s.dir, kinds[i]);
		cli_post(&c, "/services/forwarder/expose", body);
		cli_read(&c, &r);
		assert_int_equal(r.status, 403);
		assert_string_equal(r.body, first);
		/* and unexpose */
		snprintf(body, sizeof(body),
			 "{\"local\":\"%s/%s\",\"protocol\":\"unix\"}", s.dir,
			 kinds[i]);
		cli_post(&c, "/services/forwarder/unexpose", body);
		cli_read(&c, &r);
		assert_int_equal(r.status, 403);
		assert_string_equal(r.body, first);
	}
	assert_non_null(strstr(first, "host API"));
	cli_post(&c, "/services/forwarder/expose",
		 "{\"local\":\"//./pipe/x\",\"remote\":\"tcp://"
		 "192.168.127.2:22\",\"protocol\":\"npipe\"}");
	cli_read(&c, &r);
	assert_int_equal(r.status, 403);
	cli_post(&c, "/services/forwarder/expose",
		 "{\"local\":\":2222\",\"remote\":\"SSH-TUNNEL://root@"
		 "192.168.127.2/x?key=/etc/shadow\",\"protocol\":\"tcp\"}");
	cli_read(&c, &r);
	assert_int_equal(r.status, 403);
	assert_int_equal(fake_n, 0); /* the forwarder never saw one */
	/* the files are untouched */
	snprintf(path, sizeof(path), "%s/file", s.dir);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode) && st.st_size == 4);
	snprintf(path, sizeof(path), "%s/link", s.dir);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* Podman's use still works, tcp and udp */
	cli_post(&c, "/services/forwarder/expose",
		 "{\"local\":\"127.0.0.1:8080\",\"remote\":\":80\"}");
	cli_read(&c, &r);
	assert_int_equal(r.status, 200);
	cli_post(&c, "/services/forwarder/expose",
		 "{\"local\":\":5353\",\"remote\":\":53\",\"protocol\":"
		 "\"udp\"}");
	cli_read(&c, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(fake_n, 2);
	/* the host API may still manage unix forwards */
	snprintf(body, sizeof(body),
		 "{\"local\":\"%s/h.sock\",\"remote\":\"tcp://"
		 "192.168.127.2:22\",\"protocol\":\"unix\"}",
		 s.dir);
	request(s.path, "POST", "/services/forwarder/expose", body, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(fake_n, 3);
	/* counted */
	request(s.path, "GET", "/stats", NULL, &r);
	assert_int_equal(r.status, 200);
	j = resp_json(&r);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(j, "API"),
						   "GuestRequestsRefused")),
		3 * 5 + 2);
	json_decref(j);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", s.dir, kinds[i]);
		if (strcmp(kinds[i], "dir"))
			unlink(path);
		else
			rmdir(path);
	}
	tsrv_stop(&s);
}

/*
 * The in-VM connections have a budget of their own (32) and a short
 * timeout: more guest connections than that are closed at once, and the
 * host API keeps answering; a slow guest request is cut off.
 */
static void test_guest_budget(void **state)
{
	struct tsrv s;
	struct resp r;
	struct cli c;
	json_t *j, *api;
	char b[64];
	int i, closed = 0;

	(void)state;
	tsrv_extra_guests = 40;
	tsrv_guest_timeout_ms = 300;
	tsrv_start(&s, 0, false);
	/* the host is served while the guest holds its whole budget */
	request(s.path, "GET", "/stats", NULL, &r);
	assert_int_equal(r.status, 200);
	j = resp_json(&r);
	api = json_object_get(j, "API");
	assert_non_null(api);
	assert_int_equal(
		json_integer_value(json_object_get(api, "GuestConnsRefused")),
		40 - (HTTP_MAX_GUEST_CONNS - 1));
	assert_int_equal(
		json_integer_value(json_object_get(api, "HostConnsRefused")),
		0);
	json_decref(j);
	/* the refused ones (the last 9) were closed at once */
	for (i = HTTP_MAX_GUEST_CONNS - 1; i < 40; i++)
		if (recv(s.extra[i], b, sizeof(b), MSG_DONTWAIT) == 0)
			closed++;
	assert_int_equal(closed, 40 - (HTTP_MAX_GUEST_CONNS - 1));
	/* slowloris: an unfinished guest request is cut off (300 ms) */
	cli_fd(&c, s.guest_fd);
	cli_sends(&c, "GET /services/forwarder/all HTTP/1.1\r\nHost:");
	cli_expect_eof(&c);
	request(s.path, "GET", "/stats", NULL, &r);
	j = resp_json(&r);
	api = json_object_get(j, "API");
	assert_true(json_integer_value(json_object_get(api, "GuestTimeouts")) >=
		    1);
	assert_int_equal(
		json_integer_value(json_object_get(api, "HostTimeouts")), 0);
	json_decref(j);
	tsrv_stop(&s);
}

static sig_atomic_t alarm_fired;

static void alarm_cb(int sig)
{
	(void)sig;
	alarm_fired = 1;
}

/*
 * The one rule for unix socket paths (sockpath_claim(), used by the
 * API listeners, forwards, SSH tunnels and the QEMU/vfkit listeners):
 * only a stale socket is removed; files, symlinks, directories and FIFOs
 * are refused and left alone; a too long path is refused, not truncated;
 * a live listener with a full backlog is "in use" without blocking.
 */
static void test_unix_path_rule(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct sigaction act, old;
	char dir[64], p[512];
	struct stat st;
	int fd, l, i, fds[64], nfds = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test-api-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/none", dir);
	assert_int_equal(sockpath_claim(p, SOCK_STREAM), 0);
	snprintf(p, sizeof(p), "%s/file", dir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(sockpath_claim(p, SOCK_STREAM), -EEXIST);
	assert_int_equal(lstat(p, &st), 0);
	snprintf(p, sizeof(p), "%s/fifo", dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(sockpath_claim(p, SOCK_STREAM), -EEXIST);
	assert_int_equal(lstat(p, &st), 0);
	snprintf(p, sizeof(p), "%s/d", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(sockpath_claim(p, SOCK_STREAM), -EEXIST);
	/* a stale socket, and a symlink to it (refused: not followed) */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/stale", dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/link", dir);
	assert_int_equal(symlink("stale", p), 0);
	assert_int_equal(sockpath_claim(p, SOCK_STREAM), -EEXIST);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(sockpath_claim(sa.sun_path, SOCK_STREAM), 0);
	assert_int_not_equal(lstat(sa.sun_path, &st), 0);
	/* longer than sun_path: refused, nothing bound under a short name */
	memset(p, 'a', sizeof(p));
	snprintf(p, sizeof(p), "%s/", dir);
	p[strlen(p)] = 'a';
	p[sizeof(sa.sun_path) + 10] = 0;
	assert_int_equal(sockpath_claim(p, SOCK_STREAM), -ENAMETOOLONG);
	/* a live listener whose backlog is full: in use, at once */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/live", dir);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 0), 0);
	for (nfds = 0; nfds < 64; nfds++) {
		fds[nfds] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(fds[nfds], (struct sockaddr *)&sa, sizeof(sa)) <
		    0) {
			close(fds[nfds]);
			break;
		}
	}
	assert_true(nfds < 64); /* the backlog is full now */
	memset(&act, 0, sizeof(act));
	act.sa_handler = alarm_cb; /* no SA_RESTART: a blocked connect ends */
	sigaction(SIGALRM, &act, &old);
	alarm(2);
	assert_int_equal(sockpath_claim(sa.sun_path, SOCK_STREAM), -EADDRINUSE);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	assert_int_equal(alarm_fired, 0);
	assert_int_equal(lstat(sa.sun_path, &st), 0);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	close(l);
	/* a datagram socket nobody owns is stale too; a live one in use */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/dgram", dir);
	l = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(sockpath_claim(sa.sun_path, SOCK_DGRAM), -EADDRINUSE);
	close(l);
	assert_int_equal(sockpath_claim(sa.sun_path, SOCK_DGRAM), 0);
	assert_non_null(strstr(sockpath_strerror(-EEXIST), "not a socket"));
	for (i = 0; i < 6; i++) {
		static const char *const n[] = {"file", "fifo", "link",
						"live", "none", "stale"};

		snprintf(p, sizeof(p), "%s/%s", dir, n[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/d", dir);
	rmdir(p);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- listener errors ---- */

static void test_listen_errors(void **state)
{
	struct http_server *srv;
	uv_loop_t loop;
	char dir[64], url[160], err[256];
	int fd;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test-api-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(uv_loop_init(&loop), 0);
	srv = http_server_create(&loop, NULL, NULL);
	snprintf(url, sizeof(url), "unix://%s/a.sock", dir);
	assert_int_equal(http_server_listen(srv, url, 0, err, sizeof(err)), 0);
	/* a live owner is an error */
	assert_int_equal(http_server_listen(srv, url, 0, err, sizeof(err)),
			 -EADDRINUSE);
	/* a regular file is not replaced */
	snprintf(url, sizeof(url), "%s/file", dir);
	fd = open(url, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(url, sizeof(url), "unix://%s/file", dir);
	assert_int_equal(http_server_listen(srv, url, 0, err, sizeof(err)),
			 -EEXIST);
	snprintf(url, sizeof(url), "%s/file", dir);
	unlink(url);
	/* a stale socket file (nobody listening) is replaced */
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int s = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/stale.sock",
			 dir);
		assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)),
				 0);
		close(s);
		snprintf(url, sizeof(url), "unix://%s/stale.sock", dir);
		assert_int_equal(
			http_server_listen(srv, url, 0, err, sizeof(err)), 0);
	}
	assert_int_equal(http_server_listen_fd(srv, -1, 0), -EBADF);
	/*
	 * vsock: CID 2 is not this machine's (no vsock transport here);
	 * any CID binds where the kernel has AF_VSOCK; a Hyper-V GUID is
	 * Windows only; macOS's null form is a unix socket named after
	 * the port in the directory.
	 */
	assert_true(http_server_listen(srv, "vsock://2:1024", 0, err,
				       sizeof(err)) < 0);
	{
		int r = http_server_listen(srv, "vsock://:47123", 0, err,
					   sizeof(err));

		assert_true(r == 0 || r == -EAFNOSUPPORT);
	}
	assert_int_equal(http_server_listen(
				 srv,
				 "vsock://00000400-FACB-11E6-BD58-64006A7986D3",
				 0, err, sizeof(err)),
			 -EPROTONOSUPPORT);
	assert_non_null(strstr(err, "AF_HYPERV"));
	assert_non_null(strstr(err, "00000400-FACB-11E6-BD58-64006A7986D3"));
	/* the short form names the same service */
	err[0] = 0;
	assert_int_equal(
		http_server_listen(srv, "vsock://1024", 0, err, sizeof(err)),
		-EPROTONOSUPPORT);
	assert_non_null(strstr(err, "00000400-FACB-11E6-BD58-64006A7986D3"));
	assert_int_equal(http_server_listen(srv, "vsock://not-a-guid", 0, err,
					    sizeof(err)),
			 -EINVAL);
	snprintf(url, sizeof(url), "vsock://null:1024%s", dir);
	assert_int_equal(http_server_listen(srv, url, 0, err, sizeof(err)), 0);
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int s = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path),
			 "%s/00000002.00000400", dir);
		assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof(sa)),
				 0);
		close(s);
	}
	assert_int_equal(http_server_listen(srv, "tcp://127.0.0.1:0", 0, err,
					    sizeof(err)),
			 0);
	http_server_destroy(srv);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	snprintf(url, sizeof(url), "%s/a.sock", dir);
	assert_int_not_equal(access(url, F_OK), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- memory connections (the fuzzer's path) ---- */

struct memout {
	char buf[64 * 1024];
	size_t len;
};

static void memout_fn(void *arg, const void *data, size_t len)
{
	struct memout *m = arg;

	assert_true(m->len + len < sizeof(m->buf));
	memcpy(m->buf + m->len, data, len);
	m->len += len;
	m->buf[m->len] = 0;
}

static void test_mem_conn(void **state)
{
	static const char reqs[] = "GET /cam HTTP/1.1\r\n\r\n"
				   "GET /nope HTTP/1.1\r\n\r\n"
				   "GET /connect HTTP/1.1\r\n\r\n"
				   "GET /cam HTTP/1.1\r\n\r\n";
	struct api_ctx ctx = {.fwd = NULL};
	static struct memout m;
	struct http_conn *c;
	struct api *a;

	(void)state;
	a = api_create(NULL, &ctx);
	assert_non_null(a);
	m.len = 0;
	c = http_conn_mem_create(api_http(a), 0, HTTP_F_CONNECT, memout_fn, &m);
	assert_non_null(c);
	/* /connect without a callback is unavailable, not hijacked */
	assert_int_equal(http_conn_mem_feed(c, reqs, sizeof(reqs) - 1), 0);
	assert_non_null(strstr(m.buf, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(m.buf, "HTTP/1.1 404 Not Found\r\n"));
	assert_non_null(strstr(m.buf, "HTTP/1.1 503 Service Unavailable\r\n"));
	/* no fwd: listing is empty, exposing is unavailable */
	m.len = 0;
	{
		static const char body[] =
			"{\"local\":\":1\",\"remote\":\"192.168.127.2:1\"}";
		char req[256];
		int n = snprintf(req, sizeof(req),
				 "POST /services/forwarder/expose HTTP/1.1\r\n"
				 "Content-Length: %zu\r\n\r\n%s",
				 sizeof(body) - 1, body);

		assert_int_equal(http_conn_mem_feed(c, req, (size_t)n), 0);
	}
	assert_non_null(strstr(m.buf, " 503 "));
	assert_int_equal(http_conn_mem_feed(c, "GET", 3), 0);
	/* EOF in the middle of a request closes */
	assert_int_equal(http_conn_mem_feed(c, NULL, 0), -ECONNRESET);
	http_conn_mem_destroy(c);

	m.len = 0;
	c = http_conn_mem_create(api_http(a), 0, 0, memout_fn, &m);
	assert_int_equal(http_conn_mem_feed(c, "nonsense\r\n\r\n", 12),
			 -ECONNRESET);
	assert_non_null(strstr(m.buf, "HTTP/1.1 400 Bad Request\r\n"));
	http_conn_mem_destroy(c);
	api_destroy(a);
}

/* ---- notifications ---- */

static int unix_listen(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	return fd;
}

static void read_line(int lfd, char *buf, size_t cap)
{
	int fd = accept(lfd, NULL, NULL);
	size_t n = 0;
	ssize_t k;

	assert_true(fd >= 0);
	while ((k = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)k;
	buf[n] = 0;
	close(fd);
}

static void *notify_loop_thread(void *arg)
{
	uv_run(arg, UV_RUN_DEFAULT);
	return NULL;
}

static void test_notify(void **state)
{
	static const uint8_t mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};
	char dir[64], path[128], url[160], line[256];
	struct notify *n;
	uv_loop_t loop;
	pthread_t th;
	int lfd, i;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test-api-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/events.sock", dir);
	snprintf(url, sizeof(url), "unix://%s", path);
	assert_null(notify_create(NULL, "tcp://127.0.0.1:1"));
	assert_int_equal(uv_loop_init(&loop), 0);

	/* events reach the listener in order, one connection each */
	lfd = unix_listen(path);
	n = notify_create(&loop, url);
	assert_non_null(n);
	notify_send(n, NOTIFY_READY, NULL);
	notify_mac_event(n, mac, true);
	notify_mac_event(n, mac, false);
	assert_int_equal(pthread_create(&th, NULL, notify_loop_thread, &loop),
			 0);
	read_line(lfd, line, sizeof(line));
	assert_string_equal(line, "{\"notification_type\":\"ready\"}\n");
	read_line(lfd, line, sizeof(line));
	assert_string_equal(line,
			    "{\"notification_type\":\"connection_established\","
			    "\"mac_address\":\"5a:94:ef:e4:0c:ee\"}\n");
	read_line(lfd, line, sizeof(line));
	assert_string_equal(line,
			    "{\"notification_type\":\"connection_closed\","
			    "\"mac_address\":\"5a:94:ef:e4:0c:ee\"}\n");
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(notify_counters(n)->sent, 3);
	close(lfd);
	unlink(path);

	/* nobody listening: failures are counted, overflow dropped */
	for (i = 0; i < 150; i++)
		notify_send(n, NOTIFY_HYPERVISOR_ERROR, NULL);
	assert_int_equal(notify_counters(n)->dropped, 50);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(notify_counters(n)->failed, 100);
	notify_destroy(n);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);

	/* destroyed with an event in flight */
	assert_int_equal(uv_loop_init(&loop), 0);
	n = notify_create(&loop, url);
	notify_send(n, NOTIFY_READY, NULL);
	notify_send(n, NOTIFY_READY, NULL);
	notify_destroy(n);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_routes),
		cmocka_unit_test(test_post_only),
		cmocka_unit_test(test_expose),
		cmocka_unit_test(test_guest_endpoint),
		cmocka_unit_test(test_guest_policy),
		cmocka_unit_test(test_guest_budget),
		cmocka_unit_test(test_unix_path_rule),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_split_bytes),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_http10_and_continue),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_connect),
		cmocka_unit_test(test_dns_routes),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_metrics_text),
		cmocka_unit_test(test_listen_errors),
		cmocka_unit_test(test_mem_conn),
		cmocka_unit_test(test_notify),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
