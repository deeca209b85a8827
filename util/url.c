/*
 * url.c - endpoint URL parsing (see url.h).
 */
#include "util/url.h"
#include "util/path.h"

#include <errno.h>
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
	case URL_VSOCK: {
		char hp[256];
		const char *slash = strchr(rest, '/');
		size_t n = slash ? (size_t)(slash - rest) : strlen(rest);

		if (n >= sizeof(hp))
			goto bad_vsock;
		memcpy(hp, rest, n);
		hp[n] = 0;
		if (slash && url_copy(u->path, sizeof(u->path), slash))
			goto bad_vsock;
		if (!strchr(hp, ':')) {
			/* Windows hvsock service GUID */
			if (url_copy(u->host, sizeof(u->host), hp))
				goto bad_vsock;
			u->port = -1;
			return 0;
		}
		if (url_split_hostport(hp, u->host, sizeof(u->host), &u->port))
			goto bad_vsock;
		return 0;
	}
	}
bad_vsock:
	snprintf(err, errlen, "invalid vsock address in %s", s);
	return -EINVAL;
}
