/*
 * fuzz_ssh_url.c - libFuzzer target for the SSH tunnel parsers
 * (forwarder/ssh_tunnel.h): tun_url_parse() on ssh-tunnel:// remotes,
 * which reach qcw-net through the API (also from inside the guest), and
 * tun_sock_parse() on -forward-sock values, each on a NUL-terminated copy
 * of the input, with roomy and tiny error buffers. Results are checked:
 * strings terminated inside their fields, an IPv4 host and a port, an
 * absolute path, a key or a password, errors non-empty; a violation traps.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "forwarder/ssh_tunnel.h"
#include "fuzz.h"

#define TERMINATED(f) CHECK(memchr((f), 0, sizeof(f)) != NULL)

static void fuzz_url(const char *s, size_t errlen)
{
	char err[256];
	struct tun_url u;
	int r;

	memset(err, 0, sizeof(err));
	r = tun_url_parse(s, &u, err, errlen);
	CHECK(r == 0 || r == -EINVAL);
	if (r) {
		CHECK(errlen < 2 || err[0]);
		CHECK(memchr(err, 0, errlen) != NULL);
		return;
	}
	TERMINATED(u.user);
	TERMINATED(u.password);
	TERMINATED(u.path);
	TERMINATED(u.key);
	TERMINATED(u.passphrase);
	CHECK(u.user[0]);
	CHECK(u.port != 0);
	CHECK(u.path[0] == '/' && u.path[1]);
	CHECK(u.key[0] || u.password[0]);
	CHECK(!strncmp(s, "ssh-tunnel://", 13));
}

static void fuzz_sock(const char *s, size_t errlen)
{
	char err[256];
	struct tun_sock ts;
	int r;

	memset(err, 0, sizeof(err));
	r = tun_sock_parse(s, &ts, err, errlen);
	CHECK(r == 0 || r == -EINVAL);
	if (r) {
		CHECK(errlen < 2 || err[0]);
		return;
	}
	TERMINATED(ts.path);
	CHECK(ts.path[0]);
	CHECK(ts.kind == TUN_SOCK_UNIX || ts.kind == TUN_SOCK_NPIPE);
	if (ts.kind == TUN_SOCK_NPIPE)
		CHECK(!strncmp(ts.path, "\\\\.\\pipe\\", 9) && ts.path[9]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	fuzz_url(s, 256);
	fuzz_url(s, 8);
	fuzz_sock(s, 256);
	fuzz_sock(s, 1);
	free(s);
	return 0;
}
