/*
 * client_http.c - one HTTP/1.1 request over a blocking socket (see
 * client_http.h): the response parsed with http-parser, bounded in size
 * and time.
 */
#include "cmd/client_http.h"

#include <errno.h>
#include <http_parser.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/http_server.h"
#include "net/osock.h"
#include "util/url.h"

#define CLIENT_MAX_RESPONSE (16 * 1024 * 1024)
#define CLIENT_TIMEOUT_S 30

static int client_connect(const char *sock, char *err, size_t errlen)
{
	struct url u;
	int fd = -1, r;

	if (url_parse(sock, &u, err, errlen) < 0)
		return -EINVAL;
	if (u.scheme == URL_UNIX) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		if (strlen(u.path) >= sizeof(sa.sun_path)) {
			snprintf(err, errlen, "socket path too long: %s",
				 u.path);
			return -ENAMETOOLONG;
		}
		strcpy(sa.sun_path, u.path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 ||
		    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto fail;
	} else if (u.scheme == URL_TCP) {
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
		struct addrinfo *res, *ai;
		char port[16];

		snprintf(port, sizeof(port), "%d", u.port);
		r = getaddrinfo(u.host[0] ? u.host : "127.0.0.1", port, &hints,
				&res);
		if (r) {
			snprintf(err, errlen, "cannot resolve %s: %s", u.host,
				 gai_strerror(r));
			return -EHOSTUNREACH;
		}
		errno = ECONNREFUSED;
		for (ai = res; ai; ai = ai->ai_next) {
			fd = socket(ai->ai_family,
				    ai->ai_socktype | SOCK_CLOEXEC,
				    ai->ai_protocol);
			if (fd >= 0 &&
			    connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
				break;
			if (fd >= 0) {
				r = osock_errno();
				osock_close(fd);
				errno = r;
				fd = -1;
			}
		}
		freeaddrinfo(res);
		if (fd < 0)
			goto fail;
	} else {
		snprintf(err, errlen,
			 "unsupported socket URL %s (use unix:///path or "
			 "tcp://host:port)",
			 sock);
		return -EINVAL;
	}
	osock_set_timeout(fd, CLIENT_TIMEOUT_S);
	return fd;
fail:
	r = osock_errno();
	if (fd >= 0)
		osock_close(fd);
	snprintf(err, errlen,
		 "cannot connect to %s: %s (is qcw-net running with -listen "
		 "%s?)",
		 sock, strerror(r), sock);
	return -r;
}

static int client_on_status(http_parser *p, const char *at, size_t len)
{
	(void)at;
	(void)len;
	((struct client_resp *)p->data)->status = (int)p->status_code;
	return 0;
}

static int client_on_body(http_parser *p, const char *at, size_t len)
{
	struct client_resp *r = p->data;

	if (len > CLIENT_MAX_RESPONSE - r->len) {
		r->too_big = true;
		return -1;
	}
	if (r->len + len + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *b;

		while (cap < r->len + len + 1)
			cap *= 2;
		b = realloc(r->body, cap);
		if (!b)
			return -1;
		r->body = b;
		r->cap = cap;
	}
	memcpy(r->body + r->len, at, len);
	r->len += len;
	r->body[r->len] = 0;
	return 0;
}

static int client_on_message_complete(http_parser *p)
{
	struct client_resp *r = p->data;

	r->status = (int)p->status_code;
	r->done = true;
	return 0;
}

static const http_parser_settings client_settings = {
	.on_status = client_on_status,
	.on_body = client_on_body,
	.on_message_complete = client_on_message_complete,
};

static int client_send_all(int fd, const char *b, size_t n)
{
	while (n > 0) {
		long k = osock_send(fd, b, n);

		if (k == -EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? (int)k : -EPIPE;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/*
 * client_http() - one request; the response in @resp (body NUL-terminated,
 * free it). Return 0 when a whole response arrived, else -errno with the
 * reason in @err.
 */
int client_http(const char *sock, const char *method, const char *path,
		const char *body, struct client_resp *resp, char *err,
		size_t errlen)
{
	size_t blen = body ? strlen(body) : 0;
	char head[1024], buf[65536];
	http_parser p;
	int fd, n, r;

	memset(resp, 0, sizeof(*resp));
	fd = client_connect(sock, err, errlen);
	if (fd < 0)
		return fd;
	n = snprintf(
		head, sizeof(head),
		"%s %s HTTP/1.1\r\nHost: qcw-net\r\nUser-Agent: qcw-net\r\n"
		"Accept: application/json\r\n%sContent-Length: %zu\r\n"
		"Connection: close\r\n\r\n",
		method, path, body ? "Content-Type: application/json\r\n" : "",
		blen);
	r = client_send_all(fd, head, (size_t)n);
	if (r == 0 && blen)
		r = client_send_all(fd, body, blen);
	if (r < 0) {
		snprintf(err, errlen, "cannot send the request to %s: %s", sock,
			 strerror(-r));
		osock_close(fd);
		return r;
	}
	http_parser_init(&p, HTTP_RESPONSE);
	p.data = resp;
	while (!resp->done) {
		long k = osock_recv(fd, buf, sizeof(buf));

		if (k == -EINTR)
			continue;
		if (k < 0) {
			r = (int)k;
			snprintf(err, errlen, "no response from %s: %s", sock,
				 k == -EAGAIN || k == -ETIMEDOUT
					 ? "timed out"
					 : strerror((int)-k));
			break;
		}
		http_parser_execute(&p, &client_settings, buf, (size_t)k);
		if (HTTP_PARSER_ERRNO(&p) != HPE_OK && !resp->done) {
			r = -EPROTO;
			snprintf(err, errlen, "bad response from %s: %s", sock,
				 resp->too_big
					 ? "too large"
					 : http_errno_description(
						   HTTP_PARSER_ERRNO(&p)));
			break;
		}
		if (k == 0) {
			if (!resp->done) {
				r = -ECONNRESET;
				snprintf(err, errlen,
					 "%s closed the connection without a "
					 "complete response",
					 sock);
			}
			break;
		}
	}
	osock_close(fd);
	if (r < 0) {
		free(resp->body);
		resp->body = NULL;
	}
	return r;
}

/**
 * client_get() - GET @path from the API at @sock (see client.h).
 * @sock: unix:///path or tcp://host:port
 * @path: e.g. "/stats"
 * @len: receives the body's length
 * @err: the reason on failure
 * @errlen: room in @err
 *
 * Return: the body of a 200 answer, NUL-terminated (free it), or NULL.
 */
char *client_get(const char *sock, const char *path, size_t *len, char *err,
		 size_t errlen)
{
	struct client_resp r;

	if (client_http(sock, "GET", path, NULL, &r, err, errlen) < 0)
		return NULL;
	if (r.status != 200) {
		snprintf(err, errlen, "%s answered %d %s", sock, r.status,
			 http_status_text(r.status));
		free(r.body);
		return NULL;
	}
	*len = r.len;
	return r.body ? r.body : strdup("");
}
