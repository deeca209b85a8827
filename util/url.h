/*
 * url.h - parse the endpoint URLs of gvproxy's flags: unix:///path,
 * tcp://host:port, unixgram://path, unixpacket://path, vsock://cid:port,
 * npipe:////./pipe/name. Pure string handling, no I/O.
 */
#ifndef QCW_URL_H
#define QCW_URL_H

#include <stddef.h>

enum url_scheme {
	URL_UNIX,
	URL_TCP,
	URL_UNIXGRAM,
	URL_UNIXPACKET,
	URL_VSOCK,
	URL_NPIPE,
};

struct url {
	enum url_scheme scheme;
	char path[256]; /* unix*, npipe: the path; vsock: optional dir */
	char host[256]; /* tcp: host (may be empty = all); vsock: cid */
	int port; /* tcp, vsock */
};

/* url_parse() - 0, or -EINVAL with a reason in @err. */
int url_parse(const char *s, struct url *u, char *err, size_t errlen);

/* url_split_hostport() - "host:port", "[v6]:port" or ":port". 0/-EINVAL. */
int url_split_hostport(const char *s, char *host, size_t hostlen, int *port);

#endif
