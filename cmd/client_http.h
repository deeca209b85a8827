/*
 * client_http.h - one HTTP/1.1 request to the daemon's control API over a
 * plain blocking socket (unix:// or tcp://), for the client commands and
 * stats --watch.
 */
#ifndef QCW_CLIENT_HTTP_H
#define QCW_CLIENT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* A response: the body NUL-terminated (free it). */
struct client_resp {
	int status;
	char *body;
	size_t len, cap;
	bool done;
	bool too_big;
};

/*
 * client_http() - one request; the response in @resp (body NUL-terminated,
 * free it). Return 0 when a whole response arrived, else -errno with the
 * reason in @err.
 */
int client_http(const char *sock, const char *method, const char *path,
		const char *body, struct client_resp *resp, char *err,
		size_t errlen);

/*
 * client_get() - GET @path from the daemon's API at @sock (one request,
 * blocking, 30 s timeout). Return: the body of a 200 answer (free it)
 * with its length in @len, or NULL with the reason in @err.
 */
char *client_get(const char *sock, const char *path, size_t *len, char *err,
		 size_t errlen);

#endif
