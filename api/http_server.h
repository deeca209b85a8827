/*
 * http_server.h - a small HTTP/1.1 server on the libuv loop for the control
 * API (api/api.c): unix:// and tcp:// listeners, connections handed
 * over as file descriptors (the gateway's in-VM endpoint at gateway:80),
 * and connections fed from memory (the fuzzer, no sockets at all).
 *
 * Requests are parsed with http-parser, one at a time: the parser pauses
 * at the end of each message, the handler runs outside the parser, and
 * the next pipelined request is parsed only once the previous response
 * was handed to the kernel. So each connection holds at most one request
 * (head <= HTTP_MAX_HEAD, body <= HTTP_MAX_BODY), one read buffer and one
 * response in user space.
 *
 * Responses look like Go's net/http ones (gvproxy's server): the status
 * line, Content-Type, Date and Content-Length, and http.Error's texts.
 * Malformed requests get 400 (413, 431 for the limits) and the connection
 * is closed after the response. A connection that has not completed a
 * request, or not taken its response, within the timeout (10 s, as
 * gvproxy's Read/WriteTimeout; 5 s for in-VM connections) is closed.
 * Each listener has its own budget of HTTP_MAX_CONNS connections; the
 * in-VM connections share HTTP_MAX_GUEST_CONNS, counted apart.
 *
 * A handler may hijack its connection: it receives a dup of the socket
 * and the server forgets the connection without writing anything (the
 * bytes of later requests already read are discarded, as with Go's
 * Hijack).
 */
#ifndef QCW_HTTP_SERVER_H
#define QCW_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define HTTP_MAX_BODY (1024 * 1024)
#define HTTP_MAX_HEAD (64 * 1024) /* request line and headers */
#define HTTP_MAX_URL 8192
#define HTTP_TIMEOUT_MS 10000
#define HTTP_MAX_CONNS 256 /* per host endpoint; more are accepted, closed */
/* In-VM connections (gateway:80) have a budget of their own, never the
 * host API's, and a short timeout: a slow guest client (slowloris) cannot
 * lock the host out, and holds a slot for a few seconds at most. */
#define HTTP_MAX_GUEST_CONNS 32
#define HTTP_GUEST_TIMEOUT_MS 5000

/* Endpoint flags, set per listener or adopted connection. */
#define HTTP_F_CONNECT (1u << 0) /* a -listen endpoint: /connect served */
#define HTTP_F_GUEST (1u << 1) /* the in-VM endpoint: forwarder routes only */

struct http_server;
struct http_conn;

/* struct http_counters - what the budgets and timeouts turned away. */
struct http_counters {
	uint64_t host_refused; /* a host endpoint's budget was full */
	uint64_t guest_refused; /* the in-VM budget was full */
	uint64_t host_timeouts; /* request not complete within the timeout */
	uint64_t guest_timeouts;
};

/*
 * struct http_request - one parsed request, valid during the handler call.
 * @method:      enum http_method of http_parser.h
 * @method_name: e.g. "POST"
 * @path:        percent-decoded path ("" for CONNECT's authority form)
 * @query:       raw query string after '?', "" when none
 * @body:        the body, NUL-terminated (the NUL is not counted)
 * @body_len:    its length
 * @peer_ip:     the caller's IPv4 address (host order), 0 when unknown
 *               (unix socket or IPv6 peer)
 * @flags:       HTTP_F_* of the endpoint the request arrived on
 */
struct http_request {
	unsigned int method;
	const char *method_name;
	const char *path;
	const char *query;
	const char *body;
	size_t body_len;
	uint32_t peer_ip;
	unsigned int flags;
};

/*
 * http_handler_fn - serve @req on @c: call http_respond() (or
 * http_respond_text()) once, or http_hijack(). A handler that does
 * neither answers 200 with an empty body, as Go's server does.
 */
typedef void (*http_handler_fn)(void *arg, struct http_conn *c,
				const struct http_request *req);

/* Output of a memory connection: called with borrowed bytes. */
typedef void (*http_out_fn)(void *arg, const void *data, size_t len);

struct http_server *http_server_create(uv_loop_t *loop, http_handler_fn fn,
				       void *arg);
void http_server_destroy(struct http_server *srv);

/* http_server_set_timeout() - read/write timeout of new connections. */
void http_server_set_timeout(struct http_server *srv, unsigned int ms);
void http_server_set_guest_timeout(struct http_server *srv, unsigned int ms);
const struct http_counters *http_server_counters(const struct http_server *srv);

int http_server_listen(struct http_server *srv, const char *url,
		       unsigned int flags, char *err, size_t errlen);
int http_server_listen_fd(struct http_server *srv, int fd, unsigned int flags);
int http_server_adopt_fd(struct http_server *srv, int fd, uint32_t peer_ip,
			 unsigned int flags);

void http_respond(struct http_conn *c, int status, const char *content_type,
		  const void *body, size_t len);
void http_respond_text(struct http_conn *c, int status, const char *msg);
int http_hijack(struct http_conn *c);

struct http_conn *http_conn_mem_create(struct http_server *srv,
				       uint32_t peer_ip, unsigned int flags,
				       http_out_fn out, void *arg);
int http_conn_mem_feed(struct http_conn *c, const void *data, size_t len);
void http_conn_mem_destroy(struct http_conn *c);

/* http_status_text() - Go's text for @status ("Not Found"), or "". */
const char *http_status_text(int status);

#endif
