/*
 * url.h - parse the endpoint URLs of gvproxy's flags: unix:///path,
 * tcp://host:port, unixgram://path, unixpacket://path, vsock://cid:port,
 * npipe:////./pipe/name. Pure string handling, no I/O.
 *
 * vsock forms (gvproxy's, per OS):
 *   vsock://:PORT           Linux, any local CID (VSOCK_CID_ANY)
 *   vsock://CID:PORT[/path] Linux; /path is the HTTP path an agent POSTs
 *   vsock://null:PORT/DIR   macOS/hyperkit: the unix socket
 *                           DIR/00000002.%08x(PORT) (url_vsock_unix_path)
 *   vsock://GUID[/path]     Windows Hyper-V socket service (port -1,
 *                           hvsock, the GUID in hv_service; hvaddr.h)
 *   vsock://PORT[/path]     Windows, the short form: the service
 *                           <PORT in 8 hex digits>-FACB-11E6-BD58-
 *                           64006A7986D3 (Podman's mapping of a port)
 * CIDs and ports are 32-bit; PORT 0xffffffff (VMADDR_PORT_ANY) is refused.
 */
#ifndef QCW_URL_H
#define QCW_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hvaddr.h"

#define URL_VSOCK_CID_ANY 0xffffffffu

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
	int port; /* tcp; vsock: the port if <= INT_MAX, -1 for a GUID */
	uint32_t vsock_cid; /* vsock: URL_VSOCK_CID_ANY for an empty host */
	uint32_t vsock_port; /* vsock: the full 32-bit port */
	bool vsock_null; /* vsock://null:PORT/DIR (path = DIR) */
	bool hvsock; /* vsock://GUID or vsock://PORT: a Hyper-V service */
	struct hvaddr_guid hv_service; /* hvsock: the service GUID */
};

/* url_parse() - 0, or -EINVAL with a reason in @err. */
int url_parse(const char *s, struct url *u, char *err, size_t errlen);

/*
 * url_vsock_unix_path() - the unix socket of vsock://null:PORT/DIR:
 * DIR/00000002.%08x. 0, or -ENAMETOOLONG / -EINVAL (not that form).
 */
int url_vsock_unix_path(const struct url *u, char *buf, size_t len);

/* url_split_hostport() - "host:port", "[v6]:port" or ":port". 0/-EINVAL. */
int url_split_hostport(const char *s, char *host, size_t hostlen, int *port);

#endif
