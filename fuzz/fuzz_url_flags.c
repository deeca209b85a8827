/*
 * fuzz_url_flags.c - libFuzzer target for the command-line string parsers:
 * url_parse() and url_split_hostport() (util/url.h) on a NUL-terminated
 * copy of the input, with roomy and tiny host buffers, and flags_parse()
 * (cmd/flags.h) on the input split into arguments at newlines. Results
 * are checked (strings terminated inside their buffers, ports in range,
 * consistent return values, a Hyper-V service -- vsock://GUID or
 * vsock://PORT -- round-tripping through its text and SOCKADDR_HV,
 * util/hvaddr.h); a violation traps.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/flags.h"
#include "util/url.h"
#include "fuzz.h"

#define MAX_ARGS 64

/* fuzz_hvsock() - a Hyper-V service: its text round-trips */
static void fuzz_hvsock(const struct url *u)
{
	char txt[HVADDR_GUID_STRLEN + 1];
	struct hvaddr_guid g;
	struct hvaddr_sockaddr sa;
	uint32_t port;

	CHECK(u->port == -1 && u->host[0] && !u->vsock_null);
	hvaddr_format(&u->hv_service, txt);
	CHECK(strlen(txt) == HVADDR_GUID_STRLEN);
	CHECK(hvaddr_guid_parse(txt, strlen(txt), &g) == 0);
	CHECK(!memcmp(&g, &u->hv_service, sizeof(g)));
	if (strlen(u->host) == HVADDR_GUID_STRLEN)
		CHECK(!strcasecmp(txt, u->host));
	else /* the short form: a port in the VSOCK template */
		CHECK(hvaddr_port(&g, &port) == 0 && port != 0xffffffffu);
	hvaddr_listen_addr(&g, &sa);
	CHECK(sa.family == HVADDR_AF_HYPERV &&
	      !memcmp(&sa.service_id, &g, sizeof(g)));
}

static void fuzz_url(const char *s)
{
	char err[128];
	struct url u;
	int r;

	err[0] = 0;
	r = url_parse(s, &u, err, sizeof(err));
	CHECK(r == 0 || r == -EINVAL);
	if (r) {
		CHECK(memchr(err, 0, sizeof(err)) && err[0]);
		return;
	}
	CHECK(memchr(u.path, 0, sizeof(u.path)));
	CHECK(memchr(u.host, 0, sizeof(u.host)));
	switch (u.scheme) {
	case URL_UNIX:
	case URL_UNIXGRAM:
	case URL_UNIXPACKET:
	case URL_NPIPE:
		CHECK(u.path[0]);
		break;
	case URL_TCP:
		CHECK(u.port >= 0 && u.port <= 65535);
		break;
	case URL_VSOCK:
		CHECK(u.port >= -1);
		/* -1: a GUID, or a 32-bit port beyond an int */
		CHECK(u.port >= 0 || u.host[0] || u.vsock_port > INT_MAX);
		CHECK(u.port < 0 || (uint32_t)u.port == u.vsock_port);
		CHECK(!u.vsock_null || u.path[0] == '/');
		if (u.vsock_null) {
			char p[300];
			int r2 = url_vsock_unix_path(&u, p, sizeof(p));

			CHECK(r2 == 0 || r2 == -ENAMETOOLONG);
			CHECK(r2 || strlen(p) > strlen("00000002.00000000"));
		}
		CHECK(!u.path[0] || u.path[0] == '/');
		if (u.hvsock)
			fuzz_hvsock(&u);
		break;
	default:
		CHECK(0);
	}
}

static void fuzz_hostport(const char *s)
{
	char big[512], tiny[3];
	int port = -12345, r;

	r = url_split_hostport(s, big, sizeof(big), &port);
	CHECK(r == 0 || r == -EINVAL);
	if (r == 0) {
		CHECK(port >= 0 && port <= 65535);
		CHECK(memchr(big, 0, sizeof(big)));
		CHECK(strlen(big) < strlen(s));
	} else {
		CHECK(port == -12345);
	}
	memset(tiny, 'x', sizeof(tiny));
	r = url_split_hostport(s, tiny, sizeof(tiny), &port);
	CHECK(r == 0 || r == -EINVAL);
	if (r == 0)
		CHECK(memchr(tiny, 0, sizeof(tiny)));
}

static void fuzz_flags(char *s, size_t len)
{
	const char *str = NULL;
	struct flag_list list = {0, NULL};
	bool b = false;
	long n = 0;
	struct flag f[] = {
		{"str", FLAG_STRING, &str, "", false},
		{"b", FLAG_BOOL, &b, "", false},
		{"n", FLAG_INT, &n, "", false},
		{"forward", FLAG_LIST, &list, "", false},
		{"listen-qemu", FLAG_STRING, &str, "", false},
	};
	const size_t nf = sizeof(f) / sizeof(f[0]);
	char *argv[MAX_ARGS + 1];
	char err[160];
	int argc = 0, r;
	size_t i;

	argv[argc++] = "prog";
	argv[argc++] = s;
	for (i = 0; i < len && argc < MAX_ARGS; i++) {
		if (s[i] == '\n') {
			s[i] = 0;
			argv[argc++] = s + i + 1;
		}
	}
	argv[argc] = NULL;
	err[0] = 0;
	r = flags_parse(f, nf, argc, argv, err, sizeof(err));
	CHECK(r >= -2 && r <= argc);
	CHECK(r != 0);
	if (r == -1)
		CHECK(err[0] && memchr(err, 0, sizeof(err)));
	if (r > 0) {
		unsigned int j;

		for (j = 0; j < list.n; j++)
			CHECK(list.v[j] != NULL);
	}
	if (str)
		CHECK(strlen(str) <= len);
	flags_free(f, nf);
	CHECK(list.n == 0 && list.v == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	fuzz_url(s);
	fuzz_hostport(s);
	/* the scheme-less part on its own, as url_parse hands it over */
	if (size > 6)
		fuzz_hostport(s + 6);
	fuzz_flags(s, size);
	free(s);
	return 0;
}
