/*
 * url.c - endpoint URL parsing (see url.h).
 */
#include "util/url.h"
#include "util/path.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int url_split_hostport(const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon;
	char *end;
	size_t hl;
	long p;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		hl = (size_t)(rb - s - 1);
		if (hl >= hostlen)
			return -EINVAL;
		memcpy(host, s + 1, hl);
		host[hl] = 0;
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - s);
		if (hl >= hostlen || memchr(s, ':', hl))
			return -EINVAL;
		memcpy(host, s, hl);
		host[hl] = 0;
	}
	if (!colon[1])
		return -EINVAL;
	p = strtol(colon + 1, &end, 10);
	if (*end || p < 0 || p > 65535)
		return -EINVAL;
	*port = (int)p;
	return 0;
}

static int url_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n == 0 || n >= cap)
		return -EINVAL;
	memcpy(dst, src, n + 1);
	return 0;
}

/* url_u32() - a decimal uint32 of the whole of @s (no sign, no space). */
static int url_u32(const char *s, uint32_t *out)
{
	unsigned long long v = 0;

	if (!*s || strlen(s) > 10)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long long)(*s - '0');
	}
	if (v > 0xffffffffull)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* url_parse_vsock() - what follows "vsock://" (forms in url.h). */
static int url_parse_vsock(const char *rest, struct url *u)
{
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
	char hp[256], *colon;

	if (n >= sizeof(hp))
		return -EINVAL;
	memcpy(hp, rest, n);
	hp[n] = 0;
	if (slash && url_copy(u->path, sizeof(u->path), slash))
		return -EINVAL;
	colon = strchr(hp, ':');
	if (!colon) {
		/* Windows: a Hyper-V service GUID, or a port mapped to one */
		if (hvaddr_service(hp, n, &u->hv_service) < 0 ||
		    url_copy(u->host, sizeof(u->host), hp))
			return -EINVAL;
		u->hvsock = true;
		u->port = -1;
		return 0;
	}
	*colon = 0;
	if (url_u32(colon + 1, &u->vsock_port) < 0 ||
	    u->vsock_port == 0xffffffffu)
		return -EINVAL;
	u->port = u->vsock_port <= INT_MAX ? (int)u->vsock_port : -1;
	memcpy(u->host, hp, strlen(hp) + 1);
	if (!hp[0]) {
		u->vsock_cid = URL_VSOCK_CID_ANY;
	} else if (!strcmp(hp, "null")) {
		/* macOS: a directory of unix sockets, one per port */
		if (!u->path[0] || !u->path[1])
			return -EINVAL;
		u->vsock_null = true;
	} else if (url_u32(hp, &u->vsock_cid) < 0) {
		return -EINVAL;
	}
	return 0;
}

int url_vsock_unix_path(const struct url *u, char *buf, size_t len)
{
	size_t n;
	int w;

	if (u->scheme != URL_VSOCK || !u->vsock_null)
		return -EINVAL;
	n = strlen(u->path);
	while (n > 1 && u->path[n - 1] == '/')
		n--;
	w = snprintf(buf, len, "%.*s/00000002.%08x", (int)n, u->path,
		     (unsigned int)u->vsock_port);
	if (w < 0 || (size_t)w >= len)
		return -ENAMETOOLONG;
	return 0;
}

int url_parse(const char *s, struct url *u, char *err, size_t errlen)
{
	static const struct {
		const char *prefix;
		enum url_scheme scheme;
	} schemes[] = {
		{"unixgram://", URL_UNIXGRAM},
		{"unixpacket://", URL_UNIXPACKET},
		{"unix://", URL_UNIX},
		{"tcp://", URL_TCP},
		{"vsock://", URL_VSOCK},
		{"npipe://", URL_NPIPE},
	};
	const char *rest = NULL;
	size_t i;

	memset(u, 0, sizeof(*u));
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i].prefix);

		if (!strncmp(s, schemes[i].prefix, n)) {
			u->scheme = schemes[i].scheme;
			rest = s + n;
			break;
		}
	}
	if (!rest) {
		snprintf(err, errlen, "unexpected scheme in %s", s);
		return -EINVAL;
	}
	switch (u->scheme) {
	case URL_UNIX:
	case URL_UNIXGRAM:
	case URL_UNIXPACKET:
	case URL_NPIPE:
		/* on Windows also "/c/dir/f" and "C:/dir/f" (winpath.h) */
		if (url_copy(u->path, sizeof(u->path), rest) ||
		    path_native(u->path, sizeof(u->path)) < 0) {
			snprintf(err, errlen, "invalid socket path in %s", s);
			return -EINVAL;
		}
		return 0;
	case URL_TCP:
		if (url_split_hostport(rest, u->host, sizeof(u->host),
				       &u->port)) {
			snprintf(err, errlen, "invalid host:port in %s", s);
			return -EINVAL;
		}
		return 0;
	case URL_VSOCK:
		if (url_parse_vsock(rest, u) == 0)
			return 0;
		break;
	}
	snprintf(err, errlen, "invalid vsock address in %s", s);
	return -EINVAL;
}
