/*
 * http_server.c - the control API's HTTP/1.1 server (see http_server.h).
 *
 * A connection is a small state machine:
 *   OPEN      reading and serving requests one at a time;
 *   LINGER    the last response is written: the write side is shut down
 *             and further input is read and discarded for a moment, so a
 *             client still sending does not turn our close into a reset
 *             that destroys the response (Go does the same);
 *   HIJACKED  a handler took the socket: nothing more is read or written;
 *   CLOSED    the handles are closing; freed in the last close callback.
 *
 * Ownership: a socket connection is freed in the close callback of its
 * last handle; a listener in its close callback; the server when its
 * owner destroyed it and the last listener and connection are gone.
 */
#include "api/http_server.h"

#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_SUBSYS LOG_SS_API
#include "util/log.h"
#include "util/sockpath.h"
#include "net/transport_stream.h"
#include "net/osock.h"
#include "net/hvsock.h"
#include "net/unixsock.h"
#include "util/hex.h"
#include "util/path.h"
#include "util/url.h"
#include "util/vsock.h"

#define HTTP_IN_BUF (16 * 1024)
#define HTTP_LINGER_MS 500

union http_stream {
	uv_handle_t h;
	uv_stream_t s;
	uv_pipe_t pipe;
	uv_tcp_t tcp;
	struct unixsock ux; /* a unix:// listener (net/unixsock.h) */
};

enum http_conn_state {
	HC_OPEN,
	HC_LINGER,
	HC_HIJACKED,
	HC_CLOSED,
};

/*
 * struct http_listener - one endpoint with its own connection budget, so
 * no endpoint (least of all the guest's) can lock another one out. Freed
 * once its handle is closed and its last connection is gone.
 */
struct http_listener {
	union http_stream u;
	struct http_server *srv;
	struct http_listener *next;
	unsigned int flags;
	unsigned int n_conns;
	bool is_unix;
	bool ux; /* u.ux: a unix:// listener of our own */
	bool closed; /* the handle's close callback ran */
	char path[256];
};

struct http_conn {
	struct http_server *srv;
	struct http_listener *l; /* accepted here; NULL: adopted or memory */
	unsigned int timeout_ms;
	struct http_conn *prev, *next;
	enum http_conn_state state;
	bool mem; /* no socket: output goes to @out */
	http_out_fn out;
	void *out_arg;
	union http_stream u;
	uv_timer_t timer;
	uv_shutdown_t shutdown;
	int handles; /* open libuv handles */
	uint32_t peer_ip;
	unsigned int flags;

	http_parser parser;
	bool reading;
	bool eof;
	bool close_after; /* close once the current response is written */
	bool responded;
	bool keep_alive;
	bool head_only; /* HEAD: no body in the response */
	bool in_value; /* the parser is inside a header value */
	int error_status; /* a limit was hit while parsing */
	size_t head_bytes;
	char url[HTTP_MAX_URL];
	size_t url_len;
	char hname[16]; /* current header name, lower case, truncated */
	size_t hname_len;
	bool hname_long;
	char expect[16]; /* value of Expect, truncated */
	size_t expect_len;
	char *body;
	size_t body_len, body_cap;

	uint8_t in[HTTP_IN_BUF];
	size_t in_len, in_off;
	size_t out_pending; /* bytes queued in uv_write requests */
};

struct http_wbuf {
	uv_write_t req;
	struct http_conn *c;
	size_t len;
	char data[];
};

struct http_server {
	uv_loop_t *loop;
	http_handler_fn fn;
	void *arg;
	unsigned int timeout_ms;
	unsigned int guest_timeout_ms;
	struct http_listener *listeners;
	struct http_conn *conns;
	unsigned int n_conns;
	unsigned int n_guest; /* adopted in-VM connections */
	unsigned int n_adopted; /* other adopted connections */
	struct http_counters cnt;
	unsigned int refs; /* owner + listeners + connections */
	bool destroyed;
};

static const http_parser_settings http_settings;

static void http_server_unref(struct http_server *srv)
{
	if (--srv->refs == 0)
		free(srv);
}

/**
 * http_status_text() - Go's net/http status text.
 * @status: HTTP status code
 *
 * Return: e.g. "Not Found"; "" for a code this server never sends.
 */
const char *http_status_text(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Request Entity Too Large";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "";
	}
}

/* ---- connection life cycle ---- */

static void http_listener_free(struct http_listener *l)
{
	struct http_server *srv = l->srv;

	free(l);
	http_server_unref(srv);
}

static void http_conn_free(struct http_conn *c)
{
	struct http_server *srv = c->srv;
	struct http_listener *l = c->l;

	if (l) {
		if (--l->n_conns == 0 && l->closed)
			http_listener_free(l);
	} else if (!c->mem) {
		if (c->flags & HTTP_F_GUEST)
			srv->n_guest--;
		else
			srv->n_adopted--;
	}

	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->n_conns--;
	free(c->body);
	free(c);
	http_server_unref(srv);
}

static void http_conn_closed_cb(uv_handle_t *h)
{
	struct http_conn *c = h->data;

	if (--c->handles == 0)
		http_conn_free(c);
}

static void http_conn_close(struct http_conn *c)
{
	if (c->state == HC_CLOSED)
		return;
	c->state = HC_CLOSED;
	c->reading = false;
	if (c->mem)
		return;
	uv_close(&c->u.h, http_conn_closed_cb);
	uv_close((uv_handle_t *)&c->timer, http_conn_closed_cb);
}

static struct http_conn *http_conn_new(struct http_server *srv,
				       uint32_t peer_ip, unsigned int flags)
{
	struct http_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->srv = srv;
	c->peer_ip = peer_ip;
	c->flags = flags;
	c->timeout_ms =
		flags & HTTP_F_GUEST ? srv->guest_timeout_ms : srv->timeout_ms;
	c->state = HC_OPEN;
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->n_conns++;
	srv->refs++;
	return c;
}

static void http_conn_arm(struct http_conn *c, unsigned int ms);
static void http_conn_resume(struct http_conn *c);

/* ---- output ---- */

static void http_write_cb(uv_write_t *req, int status)
{
	struct http_wbuf *w = (struct http_wbuf *)req;
	struct http_conn *c = w->c;

	c->out_pending -= w->len;
	free(w);
	if (c->state == HC_CLOSED)
		return;
	if (status < 0) {
		log_debug("api: write failed: %s", uv_strerror(status));
		http_conn_close(c);
		return;
	}
	if (c->out_pending == 0 && c->state == HC_OPEN)
		http_conn_resume(c);
}

/* http_conn_write() - send @n pieces; what the socket does not take at
 * once is copied into one write request. */
static void http_conn_write(struct http_conn *c, const uv_buf_t *bufs,
			    unsigned int n)
{
	struct http_wbuf *w;
	size_t total = 0, done, off;
	unsigned int i;
	uv_buf_t b;
	int r;

	for (i = 0; i < n; i++)
		total += bufs[i].len;
	if (c->mem) {
		for (i = 0; i < n; i++)
			if (bufs[i].len)
				c->out(c->out_arg, bufs[i].base, bufs[i].len);
		return;
	}
	r = c->out_pending ? UV_EAGAIN : uv_try_write(&c->u.s, bufs, n);
	if (r == UV_EAGAIN)
		r = 0;
	if (r < 0) {
		log_debug("api: write failed: %s", uv_strerror(r));
		http_conn_close(c);
		return;
	}
	done = (size_t)r;
	if (done == total)
		return;
	w = malloc(sizeof(*w) + total - done);
	if (!w) {
		http_conn_close(c);
		return;
	}
	w->c = c;
	w->len = total - done;
	off = 0;
	for (i = 0; i < n; i++) {
		size_t skip = done > bufs[i].len ? bufs[i].len : done;

		done -= skip;
		memcpy(w->data + off, bufs[i].base + skip, bufs[i].len - skip);
		off += bufs[i].len - skip;
	}
	b = uv_buf_init(w->data, (unsigned int)w->len);
	r = uv_write(&w->req, &c->u.s, &b, 1, http_write_cb);
	if (r < 0) {
		free(w);
		http_conn_close(c);
		return;
	}
	c->out_pending += w->len;
}

static size_t http_date(char *buf, size_t cap)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	return strftime(buf, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static void http_respond_full(struct http_conn *c, int status,
			      const char *ctype, bool nosniff, const void *body,
			      size_t len)
{
	bool is10 = c->parser.http_major == 1 && c->parser.http_minor == 0;
	bool close = c->close_after || !c->keep_alive;
	char head[512], date[64];
	uv_buf_t bufs[2];
	int n;

	if (c->responded || c->state != HC_OPEN)
		return;
	c->responded = true;
	http_date(date, sizeof(date));
	n = snprintf(head, sizeof(head),
		     "HTTP/1.%d %d %s\r\n%s%s%s%s%s%sDate: %s\r\n"
		     "Content-Length: %zu\r\n\r\n",
		     is10 ? 0 : 1, status, http_status_text(status),
		     ctype ? "Content-Type: " : "", ctype ? ctype : "",
		     ctype ? "\r\n" : "",
		     nosniff ? "X-Content-Type-Options: nosniff\r\n" : "",
		     close && !is10 ? "Connection: close\r\n" : "",
		     !close && is10 ? "Connection: keep-alive\r\n" : "", date,
		     len);
	if (n < 0 || (size_t)n >= sizeof(head)) {
		http_conn_close(c);
		return;
	}
	bufs[0] = uv_buf_init(head, (unsigned int)n);
	bufs[1] =
		uv_buf_init((char *)body, c->head_only ? 0 : (unsigned int)len);
	http_conn_write(c, bufs, len && !c->head_only ? 2 : 1);
}

/**
 * http_respond() - answer the current request.
 * @c: the connection the handler was called with
 * @status: HTTP status code
 * @content_type: Content-Type value, or NULL for none (an empty body)
 * @body: response body, copied if the socket does not take it at once
 * @len: its length
 *
 * A second call for the same request is ignored.
 */
void http_respond(struct http_conn *c, int status, const char *content_type,
		  const void *body, size_t len)
{
	http_respond_full(c, status, content_type, false, body, len);
}

/**
 * http_respond_text() - answer like Go's http.Error: @msg and a newline,
 * as text/plain with X-Content-Type-Options: nosniff.
 * @c: the connection
 * @status: HTTP status code
 * @msg: the message (without newline)
 */
void http_respond_text(struct http_conn *c, int status, const char *msg)
{
	size_t n = strlen(msg);
	char *b = malloc(n + 2);

	if (!b) {
		http_conn_close(c);
		return;
	}
	memcpy(b, msg, n);
	b[n] = '\n';
	http_respond_full(c, status, "text/plain; charset=utf-8", true, b,
			  n + 1);
	free(b);
}

/* http_conn_fail() - a request we cannot parse or accept: answer with
 * Go's bare "<code> <text>" and close. */
static void http_conn_fail(struct http_conn *c, int status)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "%d %s", status, http_status_text(status));
	c->close_after = true;
	c->responded = false;
	c->head_only = false;
	http_respond_full(c, status, "text/plain; charset=utf-8", false, msg,
			  strlen(msg));
}

/**
 * http_hijack() - take over the current request's connection.
 * @c: the connection the handler was called with
 *
 * Reading stops, the server closes its own handle after the handler
 * returns and writes nothing more; the bytes of further requests it has
 * already read are dropped.
 *
 * Return: a new file descriptor of the socket (close-on-exec,
 * non-blocking), owned by the caller; or -errno (then the connection is
 * closed, e.g. -ENOTSUP for a memory connection).
 */
int http_hijack(struct http_conn *c)
{
	uv_os_fd_t osfd;
	int r;

	if (c->state != HC_OPEN || c->responded)
		return -EINVAL;
	c->responded = true;
	if (c->mem) {
		c->state = HC_HIJACKED;
		return -ENOTSUP;
	}
	uv_read_stop(&c->u.s);
	c->reading = false;
	c->state = HC_HIJACKED;
	r = uv_fileno(&c->u.h, &osfd);
	if (r < 0)
		return r;
	return osock_dup(osfd);
}

/* ---- input ---- */

static int http_on_message_begin(http_parser *p)
{
	struct http_conn *c = p->data;

	c->url_len = 0;
	c->head_bytes = 0;
	c->body_len = 0;
	c->hname_len = 0;
	c->hname_long = false;
	c->expect_len = 0;
	c->in_value = false;
	c->error_status = 0;
	return 0;
}

static int http_count_head(struct http_conn *c, size_t len)
{
	c->head_bytes += len;
	if (c->head_bytes > HTTP_MAX_HEAD) {
		c->error_status = 431;
		return -1;
	}
	return 0;
}

static int http_on_url(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;

	if (http_count_head(c, len) < 0)
		return -1;
	if (len >= sizeof(c->url) - c->url_len) {
		c->error_status = 431;
		return -1;
	}
	memcpy(c->url + c->url_len, at, len);
	c->url_len += len;
	return 0;
}

static int http_on_header_field(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;
	size_t i;

	if (http_count_head(c, len) < 0)
		return -1;
	if (c->in_value) {
		c->in_value = false;
		c->hname_len = 0;
		c->hname_long = false;
	}
	for (i = 0; i < len; i++) {
		if (c->hname_len + 1 >= sizeof(c->hname)) {
			c->hname_long = true;
			break;
		}
		c->hname[c->hname_len++] =
			(char)(at[i] >= 'A' && at[i] <= 'Z' ? at[i] + 32
							    : at[i]);
	}
	c->hname[c->hname_len] = 0;
	return 0;
}

static int http_on_header_value(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;
	size_t n;

	if (http_count_head(c, len) < 0)
		return -1;
	c->in_value = true;
	if (c->hname_long || strcmp(c->hname, "expect"))
		return 0;
	n = sizeof(c->expect) - 1 - c->expect_len;
	if (n > len)
		n = len;
	memcpy(c->expect + c->expect_len, at, n);
	c->expect_len += n;
	c->expect[c->expect_len] = 0;
	return 0;
}

static int http_on_headers_complete(http_parser *p)
{
	struct http_conn *c = p->data;

	if (p->content_length != ULLONG_MAX &&
	    p->content_length > HTTP_MAX_BODY) {
		c->error_status = 413;
		return -1;
	}
	/* curl waits a second for this before sending a larger body */
	if (p->http_major == 1 && p->http_minor >= 1 && c->expect_len &&
	    !strcasecmp(c->expect, "100-continue") && c->state == HC_OPEN) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		uv_buf_t b = uv_buf_init((char *)cont, sizeof(cont) - 1);

		http_conn_write(c, &b, 1);
	}
	return 0;
}

static int http_on_body(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;

	if (len > HTTP_MAX_BODY - c->body_len) {
		c->error_status = 413;
		return -1;
	}
	if (c->body_len + len + 1 > c->body_cap) {
		size_t cap = c->body_cap ? c->body_cap : 4096;
		char *b;

		while (cap < c->body_len + len + 1)
			cap *= 2;
		b = realloc(c->body, cap);
		if (!b) {
			c->error_status = 500;
			return -1;
		}
		c->body = b;
		c->body_cap = cap;
	}
	memcpy(c->body + c->body_len, at, len);
	c->body_len += len;
	return 0;
}

static int http_on_message_complete(http_parser *p)
{
	struct http_conn *c = p->data;

	c->keep_alive = http_should_keep_alive(p);
	/* serve it outside the parser; http_conn_process() resumes */
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings http_settings = {
	.on_message_begin = http_on_message_begin,
	.on_url = http_on_url,
	.on_header_field = http_on_header_field,
	.on_header_value = http_on_header_value,
	.on_headers_complete = http_on_headers_complete,
	.on_body = http_on_body,
	.on_message_complete = http_on_message_complete,
};

/* http_unescape() - percent-decode @n bytes of @s into @out (>= n + 1). */
static int http_unescape(const char *s, size_t n, char *out)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -EINVAL;
			hi = hex_digit(s[i + 1]);
			lo = hex_digit(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -EINVAL;
			out[k++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[k++] = s[i];
		}
	}
	out[k] = 0;
	return 0;
}

static void http_conn_dispatch(struct http_conn *c)
{
	struct http_server *srv = c->srv;
	struct http_parser_url pu;
	struct http_request req;
	char path[HTTP_MAX_URL], query[HTTP_MAX_URL];
	static const char empty[1];

	c->head_only = c->parser.method == HTTP_HEAD;
	c->responded = false;
	c->url[c->url_len] = 0;
	path[0] = query[0] = 0;
	http_parser_url_init(&pu);
	if (http_parser_parse_url(c->url, c->url_len,
				  c->parser.method == HTTP_CONNECT, &pu)) {
		http_conn_fail(c, 400);
		return;
	}
	if (pu.field_set & (1u << UF_PATH)) {
		if (http_unescape(c->url + pu.field_data[UF_PATH].off,
				  pu.field_data[UF_PATH].len, path) < 0) {
			http_conn_fail(c, 400);
			return;
		}
	} else if (c->parser.method != HTTP_CONNECT) {
		strcpy(path, "/");
	}
	if (pu.field_set & (1u << UF_QUERY)) {
		memcpy(query, c->url + pu.field_data[UF_QUERY].off,
		       pu.field_data[UF_QUERY].len);
		query[pu.field_data[UF_QUERY].len] = 0;
	}
	memset(&req, 0, sizeof(req));
	req.method = c->parser.method;
	req.method_name = http_method_str(c->parser.method);
	req.path = path;
	req.query = query;
	req.body = c->body_len ? c->body : empty;
	req.body_len = c->body_len;
	req.peer_ip = c->peer_ip;
	req.flags = c->flags;
	if (!c->mem)
		http_conn_arm(c, c->timeout_ms);
	srv->fn(srv->arg, c, &req);
	if (c->state == HC_HIJACKED) {
		http_conn_close(c);
		return;
	}
	if (c->state != HC_OPEN)
		return;
	if (!c->responded)
		http_respond(c, 200, NULL, NULL, 0);
	if (!c->keep_alive)
		c->close_after = true;
	/* do not keep a large body buffer around between requests */
	if (c->body_cap > 64 * 1024) {
		free(c->body);
		c->body = NULL;
		c->body_cap = 0;
	}
	c->body_len = 0;
}

static void http_conn_update_reading(struct http_conn *c);
static void http_conn_finish(struct http_conn *c);

/* http_conn_process() - parse and serve what was read, one request at a
 * time, until the input is used up or a response is still being sent. */
static void http_conn_process(struct http_conn *c)
{
	while (c->state == HC_OPEN && !c->close_after && c->out_pending == 0 &&
	       c->in_off < c->in_len) {
		size_t n = http_parser_execute(&c->parser, &http_settings,
					       (const char *)c->in + c->in_off,
					       c->in_len - c->in_off);
		enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);

		c->in_off += n;
		if (e == HPE_PAUSED) {
			http_parser_pause(&c->parser, 0);
			http_conn_dispatch(c);
		} else if (e != HPE_OK || n == 0) {
			if (c->error_status == 0)
				c->error_status =
					e == HPE_HEADER_OVERFLOW ? 431 : 400;
			log_debug("api: bad request: %s",
				  http_errno_description(e));
			http_conn_fail(c, c->error_status);
		}
	}
	if (c->state != HC_OPEN)
		return;
	if (c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
	if (c->close_after) {
		if (c->out_pending == 0)
			http_conn_finish(c);
		return;
	}
	if (c->eof && c->in_len == 0 && c->out_pending == 0) {
		http_conn_close(c);
		return;
	}
	http_conn_update_reading(c);
}

/* http_conn_resume() - the output queue drained: serve what waits. */
static void http_conn_resume(struct http_conn *c)
{
	if (!c->close_after)
		http_conn_arm(c, c->timeout_ms);
	http_conn_process(c);
}

/* ---- socket I/O ---- */

static void http_timer_cb(uv_timer_t *t)
{
	struct http_conn *c = t->data;

	if (c->state == HC_OPEN) {
		if (c->flags & HTTP_F_GUEST)
			c->srv->cnt.guest_timeouts++;
		else
			c->srv->cnt.host_timeouts++;
		log_debug("api: connection timed out");
	}
	http_conn_close(c);
}

static void http_conn_arm(struct http_conn *c, unsigned int ms)
{
	if (!c->mem && c->state != HC_CLOSED)
		uv_timer_start(&c->timer, http_timer_cb, ms, 0);
}

static void http_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct http_conn *c = h->data;

	(void)hint;
	if (c->state == HC_LINGER) {
		c->in_len = c->in_off = 0;
		*buf = uv_buf_init((char *)c->in, sizeof(c->in));
		return;
	}
	*buf = uv_buf_init((char *)c->in + c->in_len,
			   (unsigned int)(sizeof(c->in) - c->in_len));
}

static void http_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct http_conn *c = s->data;

	(void)buf;
	if (c->state == HC_LINGER) {
		if (nread < 0)
			http_conn_close(c);
		return;
	}
	if (c->state != HC_OPEN)
		return;
	if (nread == UV_EOF) {
		c->eof = true;
		uv_read_stop(s);
		c->reading = false;
		http_conn_process(c);
		return;
	}
	if (nread < 0) {
		http_conn_close(c);
		return;
	}
	c->in_len += (size_t)nread;
	http_conn_process(c);
}

static void http_conn_update_reading(struct http_conn *c)
{
	bool want = c->state == HC_OPEN && !c->eof && !c->close_after &&
		    c->out_pending == 0 && c->in_len < sizeof(c->in);

	if (c->mem || want == c->reading)
		return;
	if (want) {
		if (uv_read_start(&c->u.s, http_alloc_cb, http_read_cb) < 0) {
			http_conn_close(c);
			return;
		}
	} else {
		uv_read_stop(&c->u.s);
	}
	c->reading = want;
}

static void http_shutdown_cb(uv_shutdown_t *req, int status)
{
	(void)req;
	(void)status;
}

/* http_conn_finish() - the last response is out: half-close and drain. */
static void http_conn_finish(struct http_conn *c)
{
	if (c->mem || c->eof) {
		http_conn_close(c);
		return;
	}
	c->state = HC_LINGER;
	if (uv_shutdown(&c->shutdown, &c->u.s, http_shutdown_cb) < 0) {
		http_conn_close(c);
		return;
	}
	if (!c->reading &&
	    uv_read_start(&c->u.s, http_alloc_cb, http_read_cb) < 0) {
		http_conn_close(c);
		return;
	}
	c->reading = true;
	uv_timer_start(&c->timer, http_timer_cb, HTTP_LINGER_MS, 0);
}

/* http_conn_start() - @c's stream handle is initialised and connected. */
static void http_conn_start(struct http_conn *c)
{
	c->u.h.data = c;
	c->timer.data = c;
	c->handles = 2;
	uv_timer_init(c->srv->loop, &c->timer);
	http_conn_arm(c, c->timeout_ms);
	http_conn_update_reading(c);
}

static void http_reject_cb(uv_handle_t *h)
{
	free(h);
}

static uint32_t http_peer_ipv4(uv_tcp_t *t)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	if (uv_tcp_getpeername(t, (struct sockaddr *)&ss, &len) < 0 ||
	    ss.ss_family != AF_INET)
		return 0;
	return ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr);
}

/* http_accept() - the new connection into @to (initialised in any case). */
static int http_accept(struct http_listener *l, uv_stream_t *server,
		       union http_stream *to)
{
	if (l->ux)
		return unixsock_accept(&l->u.ux, &to->s);
	if (l->is_unix)
		uv_pipe_init(l->srv->loop, &to->pipe, 0);
	else
		uv_tcp_init(l->srv->loop, &to->tcp);
	return uv_accept(server, &to->s);
}

static void http_connection_cb(uv_stream_t *server, int status)
{
	struct http_listener *l = server->data;
	struct http_server *srv = l->srv;
	struct http_conn *c;
	int r;

	if (status < 0) {
		log_warn("api: accept failed: %s", uv_strerror(status));
		return;
	}
	if (l->n_conns >= HTTP_MAX_CONNS) {
		union http_stream *extra = malloc(sizeof(*extra));

		srv->cnt.host_refused++;

		if (!extra)
			return;
		http_accept(l, server, extra);
		uv_close(&extra->h, http_reject_cb);
		log_rl("api: too many connections on one endpoint (%u), "
		       "refusing one",
		       HTTP_MAX_CONNS);
		return;
	}
	c = http_conn_new(srv, 0, l->flags);
	if (!c)
		return;
	c->l = l;
	l->n_conns++;
	r = http_accept(l, server, &c->u);
	c->u.h.data = c;
	if (r < 0) {
		c->state = HC_CLOSED;
		c->handles = 1;
		uv_close(&c->u.h, http_conn_closed_cb);
		return;
	}
	if (!l->is_unix)
		c->peer_ip = http_peer_ipv4(&c->u.tcp);
	http_conn_start(c);
}

/* ---- server ---- */

/**
 * http_server_create() - a server with no endpoint yet.
 * @loop: the loop its sockets run on (NULL: memory connections only)
 * @fn: the request handler
 * @arg: passed to @fn
 *
 * Return: the server, or NULL when out of memory.
 */
struct http_server *http_server_create(uv_loop_t *loop, http_handler_fn fn,
				       void *arg)
{
	struct http_server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return NULL;
	srv->loop = loop;
	srv->fn = fn;
	srv->arg = arg;
	srv->timeout_ms = HTTP_TIMEOUT_MS;
	srv->guest_timeout_ms = HTTP_GUEST_TIMEOUT_MS;
	srv->refs = 1;
	return srv;
}

/**
 * http_server_set_timeout() - change the per-request timeout.
 * @srv: server
 * @ms: milliseconds a connection may take to send a request (or to take
 *      a response) before it is closed
 */
void http_server_set_timeout(struct http_server *srv, unsigned int ms)
{
	srv->timeout_ms = ms ? ms : HTTP_TIMEOUT_MS;
}

/**
 * http_server_set_guest_timeout() - the same for in-VM connections
 * (HTTP_F_GUEST), kept short against slow clients (slowloris).
 * @srv: server
 * @ms: milliseconds; 0 restores HTTP_GUEST_TIMEOUT_MS
 */
void http_server_set_guest_timeout(struct http_server *srv, unsigned int ms)
{
	srv->guest_timeout_ms = ms ? ms : HTTP_GUEST_TIMEOUT_MS;
}

/**
 * http_server_counters() - connections refused and timed out.
 * @srv: server
 *
 * Return: the live counters.
 */
const struct http_counters *http_server_counters(const struct http_server *srv)
{
	return &srv->cnt;
}

static void http_listener_closed_cb(uv_handle_t *h)
{
	struct http_listener *l = h->data;

	l->closed = true;
	if (l->n_conns == 0)
		http_listener_free(l);
}

/* http_listener_close() - the listening handle, whichever kind it is. */
static void http_listener_close(struct http_listener *l)
{
	if (l->ux)
		unixsock_close(&l->u.ux, http_listener_closed_cb);
	else
		uv_close(&l->u.h, http_listener_closed_cb);
}

/* Create the socket's directory when it is missing (one level, 0700). */
static void http_make_parent(const char *path)
{
	char dir[256];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (dir[0] && dir[1] == ':' && strrchr(dir, '\\') &&
	    (!slash || strrchr(dir, '\\') > slash))
		slash = strrchr(dir, '\\'); /* C:\dir\api.sock */
	if (!slash || slash == dir)
		return;
	*slash = 0;
	if (path_mkdir_private(dir) == 0)
		log_info("api: created directory %s", dir);
}

static int http_listen_unix(struct http_listener *l, const char *path,
			    char *err, size_t errlen)
{
	struct http_server *srv = l->srv;
	int r;

	http_make_parent(path);
	r = sockpath_claim(path, SOCK_STREAM);
	if (r == -EADDRINUSE) {
		snprintf(err, errlen,
			 "%s is in use by a running process (another qcw-net "
			 "or gvproxy?)",
			 path);
		return r;
	}
	if (r < 0) {
		snprintf(err, errlen, "cannot use %s: %s", path,
			 sockpath_strerror(r));
		return r;
	}
	snprintf(l->path, sizeof(l->path), "%s", path);
	l->is_unix = true;
	l->ux = true;
	/* mode 0600, or the owner's DACL on Windows */
	return unixsock_listen(srv->loop, &l->u.ux, path, 128,
			       http_connection_cb, l);
}

static int http_listen_tcp(struct http_listener *l, const struct url *u)
{
	struct sockaddr_storage ss;
	const char *host = u->host[0] ? u->host : "0.0.0.0";
	int r;

	uv_tcp_init(l->srv->loop, &l->u.tcp);
	if (strchr(host, ':'))
		r = uv_ip6_addr(host, u->port, (struct sockaddr_in6 *)&ss);
	else
		r = uv_ip4_addr(host, u->port, (struct sockaddr_in *)&ss);
	if (r == 0)
		r = uv_tcp_bind(&l->u.tcp, (struct sockaddr *)&ss, 0);
	return r;
}

static int http_listen_url(struct http_server *srv, const struct url *u,
			   const char *url, unsigned int flags, char *err,
			   size_t errlen);

/*
 * http_listen_hv() - vsock://GUID or vsock://PORT on Windows: a Hyper-V
 * socket listener (net/hvsock.h) that accepts as a unix:// listener does
 * on Windows (l->ux: unixsock_accept()), with no file to unlink.
 */
static int http_listen_hv(struct http_server *srv, const struct url *u,
			  unsigned int flags, char *err, size_t errlen)
{
	char guid[HVADDR_GUID_STRLEN + 1];
	struct http_listener *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return -ENOMEM;
	l->srv = srv;
	l->flags = flags;
	l->is_unix = true;
	l->ux = true;
	srv->refs++;
	r = hvsock_listen(srv->loop, &l->u.ux, &u->hv_service, 128,
			  http_connection_cb, l);
	if (r < 0) {
		hvaddr_format(&u->hv_service, guid);
		snprintf(err, errlen,
			 "cannot listen on the Hyper-V socket service %s: %s",
			 guid, hvsock_strerror(r));
		http_listener_close(l);
		return r;
	}
	l->next = srv->listeners;
	srv->listeners = l;
	return 0;
}

/*
 * http_listen_vsock() - vsock://CID:PORT on AF_VSOCK (opened by util/vsock
 * and handed to libuv as a pipe: libuv has no vsock family), or macOS's
 * vsock://null:PORT/DIR as the unix socket DIR/00000002.%08x, or a Hyper-V
 * service (http_listen_hv()).
 */
static int http_listen_vsock(struct http_server *srv, const struct url *u,
			     unsigned int flags, char *err, size_t errlen)
{
	struct url uu;
	int fd;

	if (u->vsock_null) {
		uu = *u;
		uu.scheme = URL_UNIX;
		if (url_vsock_unix_path(u, uu.path, sizeof(uu.path)) < 0) {
			snprintf(err, errlen, "vsock socket path too long");
			return -ENAMETOOLONG;
		}
		return http_listen_url(srv, &uu, uu.path, flags, err, errlen);
	}
	if (u->hvsock)
		return http_listen_hv(srv, u, flags, err, errlen);
	fd = vsock_listen(u->vsock_cid, u->vsock_port, 128);
	if (fd < 0) {
		snprintf(err, errlen, "cannot listen on vsock port %u: %s",
			 (unsigned int)u->vsock_port, vsock_strerror(fd));
		return fd;
	}
	return http_server_listen_fd(srv, fd, flags);
}

/**
 * http_server_listen() - serve on a new endpoint.
 * @srv: server
 * @url: "unix:///path" (mode 0600; a stale socket file is replaced, a live
 *       one is an error), "tcp://host:port", "vsock://[CID]:PORT",
 *       "vsock://null:PORT/DIR" (the unix socket DIR/00000002.%08x) or,
 *       on Windows, "vsock://GUID" / "vsock://PORT" (a Hyper-V socket)
 * @flags: HTTP_F_* passed to the handler with each request
 * @err: receives the reason on failure
 * @errlen: room in @err
 *
 * Return: 0 or -errno.
 */
int http_server_listen(struct http_server *srv, const char *url,
		       unsigned int flags, char *err, size_t errlen)
{
	struct url u;

	if (url_parse(url, &u, err, errlen) < 0)
		return -EINVAL;
	if (u.scheme == URL_VSOCK)
		return http_listen_vsock(srv, &u, flags, err, errlen);
	if (u.scheme != URL_UNIX && u.scheme != URL_TCP) {
		snprintf(err, errlen,
			 "unsupported scheme for the API (use unix://, tcp:// "
			 "or vsock://): %s",
			 url);
		return -EPROTONOSUPPORT;
	}
	return http_listen_url(srv, &u, url, flags, err, errlen);
}

/* http_listen_url() - listen on a parsed unix:// or tcp:// @u. */
static int http_listen_url(struct http_server *srv, const struct url *u,
			   const char *url, unsigned int flags, char *err,
			   size_t errlen)
{
	struct http_listener *l;
	int r;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->srv = srv;
	l->flags = flags;
	if (u->scheme == URL_UNIX) {
		r = http_listen_unix(l, u->path, err, errlen);
		if (r < 0 && !l->is_unix) {
			free(l);
			return r;
		}
	} else {
		r = http_listen_tcp(l, u);
	}
	l->u.h.data = l;
	if (r == 0 && !l->ux)
		r = uv_listen(&l->u.s, 128, http_connection_cb);
	srv->refs++;
	if (r < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", url,
			 unixsock_strerror(r));
		if (l->is_unix)
			l->path[0] = 0; /* not ours to unlink */
		http_listener_close(l);
		return r;
	}
	l->next = srv->listeners;
	srv->listeners = l;
	return 0;
}

/**
 * http_server_listen_fd() - serve on a listening socket made elsewhere,
 * e.g. AF_VSOCK, which libuv cannot bind itself.
 * @srv: server
 * @fd: a stream socket in the listening state; owned by the server from
 *      now on (closed on error too)
 * @flags: HTTP_F_* passed to the handler with each request
 *
 * Return: 0 or -errno.
 */
int http_server_listen_fd(struct http_server *srv, int fd, unsigned int flags)
{
	struct http_listener *l = calloc(1, sizeof(*l));
	uv_os_fd_t owned;
	int r;

	if (!l) {
		close(fd);
		return -ENOMEM;
	}
	l->srv = srv;
	l->flags = flags;
	/* accepted connections are plain stream sockets: pipes to libuv */
	l->is_unix = true;
	uv_pipe_init(srv->loop, &l->u.pipe, 0);
	l->u.h.data = l;
	srv->refs++;
	r = uv_pipe_open(&l->u.pipe, fd);
	if (r == 0)
		r = uv_listen(&l->u.s, 128, http_connection_cb);
	if (r < 0) {
		/* once opened, the handle closes the socket */
		if (uv_fileno(&l->u.h, &owned) < 0)
			close(fd);
		uv_close(&l->u.h, http_listener_closed_cb);
		return r;
	}
	l->next = srv->listeners;
	srv->listeners = l;
	return 0;
}

/**
 * http_server_adopt_fd() - serve an already-connected stream socket.
 * @srv: server
 * @fd: the socket; owned by the server from now on (closed on error too)
 * @peer_ip: the caller's IPv4 address in host order (0: unknown)
 * @flags: HTTP_F_* for its requests, e.g. HTTP_F_GUEST
 *
 * Return: 0 or -errno (-EBUSY: the budget of such connections is full).
 */
int http_server_adopt_fd(struct http_server *srv, int fd, uint32_t peer_ip,
			 unsigned int flags)
{
	uv_handle_type t = osock_is_tcp(fd) ? UV_TCP : uv_guess_handle(fd);
	struct http_conn *c;
	int r;

	if (t != UV_TCP && t != UV_NAMED_PIPE) {
		osock_close(fd);
		return -ENOTSOCK;
	}
	if (flags & HTTP_F_GUEST ? srv->n_guest >= HTTP_MAX_GUEST_CONNS
				 : srv->n_adopted >= HTTP_MAX_CONNS) {
		if (flags & HTTP_F_GUEST)
			srv->cnt.guest_refused++;
		else
			srv->cnt.host_refused++;
		osock_close(fd);
		return -EBUSY;
	}
	c = http_conn_new(srv, peer_ip, flags);
	if (!c) {
		osock_close(fd);
		return -ENOMEM;
	}
	if (flags & HTTP_F_GUEST)
		srv->n_guest++;
	else
		srv->n_adopted++;
	if (t == UV_TCP) {
		uv_tcp_init(srv->loop, &c->u.tcp);
		r = uv_tcp_open(&c->u.tcp, fd);
	} else {
		uv_pipe_init(srv->loop, &c->u.pipe, 0);
		r = uv_pipe_open(&c->u.pipe, fd);
	}
	c->u.h.data = c;
	if (r < 0) {
		osock_close(fd);
		c->state = HC_CLOSED;
		c->handles = 1;
		uv_close(&c->u.h, http_conn_closed_cb);
		return r;
	}
	http_conn_start(c);
	return 0;
}

/**
 * http_server_destroy() - close every listener (unlinking unix socket
 * files) and connection. Handles are closed, not freed: run the loop
 * afterwards. Memory connections must be destroyed first. Accepts NULL.
 * @srv: server
 */
void http_server_destroy(struct http_server *srv)
{
	struct http_listener *l, *ln;
	struct http_conn *c, *cn;

	if (!srv || srv->destroyed)
		return;
	srv->destroyed = true;
	for (l = srv->listeners; l; l = ln) {
		ln = l->next;
		if (l->is_unix && l->path[0])
			unlink(l->path);
		http_listener_close(l);
	}
	srv->listeners = NULL;
	for (c = srv->conns; c; c = cn) {
		cn = c->next;
		if (!c->mem)
			http_conn_close(c);
	}
	http_server_unref(srv);
}

/* ---- memory connections ---- */

/**
 * http_conn_mem_create() - a connection without a socket, for the fuzzer
 * and tests: input comes from http_conn_mem_feed(), output goes to @out.
 * @srv: server
 * @peer_ip: the caller's address for the handler (host order, 0: none)
 * @flags: HTTP_F_* of the imaginary endpoint
 * @out: receives every byte the server writes
 * @arg: passed to @out
 *
 * Return: the connection or NULL.
 */
struct http_conn *http_conn_mem_create(struct http_server *srv,
				       uint32_t peer_ip, unsigned int flags,
				       http_out_fn out, void *arg)
{
	struct http_conn *c = http_conn_new(srv, peer_ip, flags);

	if (!c)
		return NULL;
	c->mem = true;
	c->out = out;
	c->out_arg = arg;
	return c;
}

/**
 * http_conn_mem_feed() - bytes from the imaginary peer.
 * @c: a memory connection
 * @data: the bytes (untrusted)
 * @len: how many; 0 means the peer closed its side
 *
 * Return: 0 while the connection is open, -ECONNRESET once the server
 * closed (or a handler hijacked) it.
 */
int http_conn_mem_feed(struct http_conn *c, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (len == 0 && c->state == HC_OPEN) {
		c->eof = true;
		http_conn_process(c);
	}
	while (len > 0 && c->state == HC_OPEN) {
		size_t n = sizeof(c->in) - c->in_len;

		if (n == 0)
			break;
		if (n > len)
			n = len;
		memcpy(c->in + c->in_len, p, n);
		c->in_len += n;
		p += n;
		len -= n;
		http_conn_process(c);
	}
	return c->state == HC_OPEN ? 0 : -ECONNRESET;
}

/**
 * http_conn_mem_destroy() - free a memory connection. Accepts NULL.
 * @c: the connection
 */
void http_conn_mem_destroy(struct http_conn *c)
{
	if (!c)
		return;
	c->state = HC_CLOSED;
	http_conn_free(c);
}
