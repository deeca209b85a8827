/*
 * ssh_tunnel_url.c - the pure parts of SSH tunnels (see ssh_tunnel.h):
 * -forward-sock values, ssh-tunnel:// remotes and gvproxy's retry
 * schedule. No I/O; unit-tested and fuzzed on their own. The ssh-tunnel
 * parser reads what the API got, possibly from the guest, so every field
 * is bounded and an error never echoes the URL (it may hold a password).
 */
#include "forwarder/ssh_tunnel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/netcfg.h"
#include "util/hex.h"

/*
 * tun_unescape() - copy @n bytes of @s to @out decoding %XX, and '+' as a
 * space when @plus (query values). -EINVAL for a bad escape, a control
 * character (raw or escaped, which also keeps NUL out) or no room.
 */
static int tun_unescape(const char *s, size_t n, bool plus, char *out,
			size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -EINVAL;
			hi = hex_digit(s[i + 1]);
			lo = hex_digit(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f)
			return -EINVAL;
		if (o + 1 >= outlen)
			return -EINVAL;
		out[o++] = (char)c;
	}
	out[o] = 0;
	return 0;
}

static bool tun_has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

int tun_sock_parse(const char *s, struct tun_sock *out, char *err,
		   size_t errlen)
{
	const char *p;
	size_t n, i;

	memset(out, 0, sizeof(*out));
	if (!s || !*s) {
		snprintf(err, errlen, "empty -forward-sock value");
		return -EINVAL;
	}
	if (tun_has_ctl(s)) {
		snprintf(err, errlen,
			 "invalid -forward-sock value: control character");
		return -EINVAL;
	}
	if (!strstr(s, "://")) {
		/* a plain path, as Podman passes on Linux and macOS */
		if (strlen(s) >= sizeof(out->path)) {
			snprintf(err, errlen, "socket path too long: %.64s...",
				 s);
			return -EINVAL;
		}
		out->kind = TUN_SOCK_UNIX;
		strcpy(out->path, s);
		return 0;
	}
	if (!strncmp(s, "unix://", 7)) {
		p = s + 7;
#ifdef _WIN32
		/* unix:///C:/Users/... names a Windows path */
		if (p[0] == '/' && p[1] && p[2] == ':' && p[3] == '/')
			p++;
#endif
		out->kind = TUN_SOCK_UNIX;
		if (!*p || tun_unescape(p, strlen(p), false, out->path,
					sizeof(out->path)) < 0) {
			snprintf(err, errlen, "invalid socket path in %.200s",
				 s);
			return -EINVAL;
		}
		return 0;
	}
	if (!strncmp(s, "npipe://", 8)) {
		static const char prefix[] = "\\\\.\\pipe\\";

		/* npipe:////./pipe/NAME: the path //./pipe/NAME, '/' -> '\' */
		p = s + 8;
		n = strlen(p);
		if (n >= sizeof(out->path)) {
			snprintf(err, errlen, "pipe name too long in %.64s...",
				 s);
			return -EINVAL;
		}
		for (i = 0; i < n; i++)
			out->path[i] = p[i] == '/' ? '\\' : p[i];
		out->path[n] = 0;
		if (strncmp(out->path, prefix, sizeof(prefix) - 1) ||
		    !out->path[sizeof(prefix) - 1] ||
		    strchr(out->path + sizeof(prefix) - 1, '\\')) {
			snprintf(err, errlen,
				 "invalid named pipe %.200s: expected "
				 "npipe:////./pipe/NAME",
				 s);
			return -EINVAL;
		}
		out->kind = TUN_SOCK_NPIPE;
		return 0;
	}
	snprintf(err, errlen,
		 "unsupported -forward-sock %.200s: use a path, unix:///path "
		 "or npipe:////./pipe/name",
		 s);
	return -EINVAL;
}

/* tun_parse_bool() - Go's strconv.ParseBool. */
static int tun_parse_bool(const char *v, bool *b)
{
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0",	 "f",	  "F",
					"FALSE", "false", "False"};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!strcmp(v, t[i])) {
			*b = true;
			return 0;
		}
		if (!strcmp(v, f[i])) {
			*b = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* tun_parse_query() - key, passphrase, secure; others are ignored (Go). */
static int tun_parse_query(const char *q, size_t qlen, struct tun_url *u,
			   char *err, size_t errlen)
{
	bool seen_key = false, seen_pass = false, seen_secure = false;
	const char *end = q + qlen;

	while (q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *pe = amp ? amp : end;
		const char *eq = memchr(q, '=', (size_t)(pe - q));
		const char *ve = pe;
		char name[32], val[256];

		if (!eq)
			eq = pe;
		if (tun_unescape(q, (size_t)(eq - q), true, name,
				 sizeof(name)) < 0)
			name[0] = 0; /* an odd unknown name: ignored */
		if (eq < pe) {
			if (tun_unescape(eq + 1, (size_t)(ve - eq - 1), true,
					 val, sizeof(val)) < 0) {
				snprintf(err, errlen,
					 "invalid ssh-tunnel remote: bad value "
					 "for %s",
					 name[0] ? name : "a query parameter");
				return -EINVAL;
			}
		} else {
			val[0] = 0;
		}
		/* Go's Query().Get(): the first value wins */
		if (!strcmp(name, "key") && !seen_key) {
			seen_key = true;
			if (strlen(val) >= sizeof(u->key)) {
				snprintf(err, errlen,
					 "invalid ssh-tunnel remote: key path "
					 "too long");
				return -EINVAL;
			}
			strcpy(u->key, val);
		} else if (!strcmp(name, "passphrase") && !seen_pass) {
			seen_pass = true;
			if (strlen(val) >= sizeof(u->passphrase)) {
				snprintf(err, errlen,
					 "invalid ssh-tunnel remote: "
					 "passphrase too long");
				return -EINVAL;
			}
			strcpy(u->passphrase, val);
		} else if (!strcmp(name, "secure") && !seen_secure) {
			seen_secure = true;
			if (val[0] && tun_parse_bool(val, &u->secure) < 0) {
				snprintf(err, errlen,
					 "invalid ssh-tunnel remote: "
					 "secure=%.16s is not a boolean",
					 val);
				return -EINVAL;
			}
		}
		q = amp ? amp + 1 : end;
	}
	return 0;
}

/* tun_parse_hostport() - "A.B.C.D" or "A.B.C.D:PORT" into @u. */
static int tun_parse_hostport(const char *s, size_t n, struct tun_url *u)
{
	const char *colon = memchr(s, ':', n);
	char host[16];
	size_t hl = colon ? (size_t)(colon - s) : n;

	u->port = 22;
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = 0;
	if (netcfg_parse_ip(host, &u->ip) < 0)
		return -EINVAL;
	if (colon) {
		unsigned long port = 0;
		size_t i;

		if (colon + 1 == s + n || s + n - colon - 1 > 5)
			return -EINVAL;
		for (i = 1; colon + i < s + n; i++) {
			if (colon[i] < '0' || colon[i] > '9')
				return -EINVAL;
			port = port * 10 + (unsigned long)(colon[i] - '0');
		}
		if (port == 0 || port > 65535)
			return -EINVAL;
		u->port = (uint16_t)port;
	}
	return 0;
}

int tun_url_parse(const char *s, struct tun_url *u, char *err, size_t errlen)
{
	static const char scheme[] = "ssh-tunnel://";
	const char *a, *ae, *at, *colon, *path, *pe, *q, *qe;

	memset(u, 0, sizeof(*u));
	if (!s || strncmp(s, scheme, sizeof(scheme) - 1)) {
		snprintf(err, errlen,
			 "invalid ssh-tunnel remote: expected "
			 "ssh-tunnel://USER@IP[:PORT]/PATH?key=FILE");
		return -EINVAL;
	}
	if (tun_has_ctl(s)) {
		snprintf(err, errlen,
			 "invalid ssh-tunnel remote: control character");
		return -EINVAL;
	}
	a = s + sizeof(scheme) - 1;
	ae = a + strcspn(a, "/?#");
	/* userinfo ends at the last '@' of the authority (Go) */
	at = NULL;
	for (q = a; q < ae; q++)
		if (*q == '@')
			at = q;
	if (!at || at == a) {
		snprintf(err, errlen,
			 "invalid ssh-tunnel remote: missing user");
		return -EINVAL;
	}
	colon = memchr(a, ':', (size_t)(at - a));
	if (tun_unescape(a, (size_t)((colon ? colon : at) - a), false, u->user,
			 sizeof(u->user)) < 0 ||
	    !u->user[0]) {
		snprintf(err, errlen,
			 "invalid ssh-tunnel remote: bad user name");
		return -EINVAL;
	}
	if (colon && tun_unescape(colon + 1, (size_t)(at - colon - 1), false,
				  u->password, sizeof(u->password)) < 0) {
		snprintf(err, errlen,
			 "invalid ssh-tunnel remote: bad password");
		return -EINVAL;
	}
	if (tun_parse_hostport(at + 1, (size_t)(ae - at - 1), u) < 0) {
		snprintf(err, errlen,
			 "invalid ssh-tunnel remote: the host must be an IPv4 "
			 "address with an optional port");
		return -EINVAL;
	}
	path = ae;
	pe = path + strcspn(path, "?#");
	if (*path != '/' || pe - path < 2 ||
	    tun_unescape(path, (size_t)(pe - path), false, u->path,
			 sizeof(u->path)) < 0) {
		snprintf(err, errlen,
			 "invalid ssh-tunnel remote: missing or bad socket "
			 "path");
		return -EINVAL;
	}
	if (*pe == '?') {
		q = pe + 1;
		qe = q + strcspn(q, "#");
		if (tun_parse_query(q, (size_t)(qe - q), u, err, errlen) < 0)
			return -EINVAL;
	}
	if (!u->key[0] && !u->password[0]) {
		snprintf(err, errlen,
			 "invalid ssh-tunnel remote: missing key=FILE (the "
			 "private key)");
		return -EINVAL;
	}
	return 0;
}

unsigned int tun_retry_delay_ms(unsigned int failures)
{
	if (failures == 0)
		return 0;
	if (failures > 4)
		return 1000;
	return 100u << (failures - 1);
}

unsigned int tun_attempts_from_env(void)
{
	const char *e = getenv("QCW_NET_SSH_ATTEMPTS");
	unsigned long v;
	char *end;

	if (!e || !*e)
		return TUN_ATTEMPTS_DEFAULT;
	errno = 0;
	v = strtoul(e, &end, 10);
	if (errno || *end || v < 1 || v > 10000)
		return TUN_ATTEMPTS_DEFAULT;
	return (unsigned int)v;
}
