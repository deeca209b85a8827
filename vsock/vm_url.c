/*
 * vm_url.c - qcw-net-vm's -url forms (see vm_url.h).
 */
#include "vsock/vm_url.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/url.h"

/* vm_unescape() - %XX and '+' of a query component, in place. */
static int vm_unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s == '%') {
			unsigned int v;

			if (!s[1] || !s[2] || sscanf(s + 1, "%2x", &v) != 1)
				return -EINVAL;
			if (v == 0)
				return -EINVAL;
			*w++ = (char)v;
			s += 2;
		} else {
			*w++ = *s == '+' ? ' ' : *s;
		}
	}
	*w = 0;
	return 0;
}

/* vm_url_stdio() - "stdio:" + program[?k=v&...] */
static int vm_url_stdio(const char *rest, struct vm_url *u, char *err,
			size_t errlen)
{
	const char *q = strchr(rest, '?');
	size_t n = q ? (size_t)(q - rest) : strlen(rest);
	char query[1024], *tok, *save = NULL;
	size_t used = 0;

	if (n == 0 || n >= sizeof(u->path)) {
		snprintf(err, errlen, "stdio: needs a program path");
		return -EINVAL;
	}
	memcpy(u->path, rest, n);
	u->path[n] = 0;
	u->argv[0] = u->path;
	u->argc = 1;
	if (!q)
		goto done;
	if (strlen(q + 1) >= sizeof(query)) {
		snprintf(err, errlen, "stdio: query too long");
		return -EINVAL;
	}
	strcpy(query, q + 1);
	for (tok = strtok_r(query, "&", &save); tok;
	     tok = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(tok, '=');
		int w;

		if (u->argc > VM_URL_MAX_ARGS) {
			snprintf(err, errlen, "stdio: more than %d arguments",
				 VM_URL_MAX_ARGS);
			return -EINVAL;
		}
		if (eq)
			*eq = 0;
		if (!*tok || vm_unescape(tok) < 0 ||
		    (eq && vm_unescape(eq + 1) < 0)) {
			snprintf(err, errlen, "stdio: bad query argument");
			return -EINVAL;
		}
		/* gvforwarder passes each pair as -key=value */
		w = snprintf(u->argbuf + used, sizeof(u->argbuf) - used,
			     "-%s=%s", tok, eq ? eq + 1 : "");
		if (w < 0 || (size_t)w >= sizeof(u->argbuf) - used) {
			snprintf(err, errlen, "stdio: arguments too long");
			return -EINVAL;
		}
		u->argv[u->argc++] = u->argbuf + used;
		used += (size_t)w + 1;
	}
done:
	u->argv[u->argc] = NULL;
	return 0;
}

int vm_url_parse(const char *s, struct vm_url *u, char *err, size_t errlen)
{
	struct url pu;

	memset(u, 0, sizeof(*u));
	if (!strncmp(s, "stdio:", 6)) {
		u->kind = VM_URL_STDIO;
		return vm_url_stdio(s + 6, u, err, errlen);
	}
	if (url_parse(s, &pu, err, errlen) < 0)
		return -EINVAL;
	switch (pu.scheme) {
	case URL_UNIX:
		u->kind = VM_URL_UNIX;
		snprintf(u->path, sizeof(u->path), "%s", pu.path);
		snprintf(u->post, sizeof(u->post), "/connect");
		return 0;
	case URL_VSOCK:
		if (pu.hvsock) {
			snprintf(err, errlen,
				 "%s: a Hyper-V service GUID is for the host "
				 "side; the guest dials vsock://2:PORT",
				 s);
			return -EINVAL;
		}
		if (pu.vsock_null || pu.vsock_cid == URL_VSOCK_CID_ANY) {
			snprintf(err, errlen,
				 "%s: the agent dials a CID: "
				 "vsock://2:PORT/connect",
				 s);
			return -EINVAL;
		}
		for (const char *c = pu.path; *c; c++) {
			if ((unsigned char)*c <= 0x20 || *c == 0x7f) {
				snprintf(err, errlen, "%s: bad request path",
					 s);
				return -EINVAL;
			}
		}
		u->kind = VM_URL_VSOCK;
		u->cid = pu.vsock_cid;
		u->port = pu.vsock_port;
		snprintf(u->post, sizeof(u->post), "%s", pu.path);
		return 0;
	default:
		snprintf(err, errlen,
			 "unsupported scheme in %s (vsock://, unix://, stdio:)",
			 s);
		return -EINVAL;
	}
}
