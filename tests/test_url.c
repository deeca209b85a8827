/*
 * test_url.c - cmocka unit tests of the endpoint URL parser (util/url.h):
 * every scheme gvproxy accepts (unix, tcp with host, empty host and IPv6
 * literal, vsock with cid/port, path and hvsock GUID, unixgram,
 * unixpacket, npipe; the 32-bit vsock CID/port and macOS's
 * vsock://null:PORT/DIR socket name; Windows' Hyper-V service GUID and
 * the short vsock://PORT form mapped to it), url_split_hostport on its own, and the errors for
 * bad schemes, hosts and ports.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/path.h"
#include "util/url.h"

/* assert_path() - @want as this platform writes it (path_native():
 * "/p" is "\\p" on Windows) */
static void assert_path(const char *got, const char *want)
{
	char w[256];

	snprintf(w, sizeof(w), "%s", want);
	assert_int_equal(path_native(w, sizeof(w)), 0);
	assert_string_equal(got, w);
}

static void parse_ok(const char *s, struct url *u)
{
	char err[256] = "";
	int r = url_parse(s, u, err, sizeof(err));

	if (r)
		fail_msg("url_parse(%s): %d %s", s, r, err);
}

/* parse_bad() - url_parse must fail with -EINVAL and name @s in the error. */
static void parse_bad(const char *s)
{
	char err[512] = "";
	struct url u;

	if (url_parse(s, &u, err, sizeof(err)) != -EINVAL)
		fail_msg("url_parse(%s) accepted", s);
	assert_non_null(strstr(err, s));
}

static void test_unix(void **state)
{
	struct url u;

	(void)state;
	parse_ok("unix:///p", &u);
	assert_int_equal(u.scheme, URL_UNIX);
	assert_path(u.path, "/p");
	parse_ok("unix:///run/user/1000/podman/gvproxy.sock", &u);
	assert_path(u.path, "/run/user/1000/podman/gvproxy.sock");
	/* relative paths are kept as written */
	parse_ok("unix://rel/sock", &u);
	assert_path(u.path, "rel/sock");
	assert_string_equal(u.host, "");
	assert_int_equal(u.port, 0);
}

static void test_unix_variants(void **state)
{
	struct url u;

	(void)state;
	parse_ok("unixgram:///tmp/vfkit.sock", &u);
	assert_int_equal(u.scheme, URL_UNIXGRAM);
	assert_path(u.path, "/tmp/vfkit.sock");
	parse_ok("unixpacket:///tmp/bess.sock", &u);
	assert_int_equal(u.scheme, URL_UNIXPACKET);
	assert_path(u.path, "/tmp/bess.sock");
	parse_ok("npipe:////./pipe/x", &u);
	assert_int_equal(u.scheme, URL_NPIPE);
	assert_path(u.path, "//./pipe/x");
}

static void test_path_limits(void **state)
{
	char s[300];
	struct url u;

	(void)state;
	parse_bad("unix://");
	parse_bad("unixgram://");
	parse_bad("unixpacket://");
	parse_bad("npipe://");
	/* 255 path bytes fit, 256 do not */
	strcpy(s, "unix://");
	memset(s + 7, 'a', 255);
	s[7 + 255] = 0;
	parse_ok(s, &u);
	assert_int_equal(strlen(u.path), 255);
	memset(s + 7, 'a', 256);
	s[7 + 256] = 0;
	parse_bad(s);
}

static void test_tcp(void **state)
{
	struct url u;

	(void)state;
	parse_ok("tcp://host:1234", &u);
	assert_int_equal(u.scheme, URL_TCP);
	assert_string_equal(u.host, "host");
	assert_int_equal(u.port, 1234);
	parse_ok("tcp://127.0.0.1:80", &u);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 80);
	parse_ok("tcp://:8080", &u);
	assert_string_equal(u.host, "");
	assert_int_equal(u.port, 8080);
	parse_ok("tcp://[::1]:80", &u);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 80);
	parse_ok("tcp://[fe80::1%eth0]:65535", &u);
	assert_string_equal(u.host, "fe80::1%eth0");
	assert_int_equal(u.port, 65535);
	parse_ok("tcp://[]:0", &u);
	assert_string_equal(u.host, "");
	assert_int_equal(u.port, 0);
	assert_path(u.path, "");
}

static void test_tcp_bad(void **state)
{
	(void)state;
	parse_bad("tcp://");
	parse_bad("tcp://host");
	parse_bad("tcp://host:");
	parse_bad("tcp://host:65536");
	parse_bad("tcp://host:-1");
	parse_bad("tcp://host:80x");
	parse_bad("tcp://host:http");
	parse_bad("tcp://host:99999999999999999999999");
	parse_bad("tcp://::1:80"); /* IPv6 needs brackets */
	parse_bad("tcp://[::1]");
	parse_bad("tcp://[::1]80");
	parse_bad("tcp://[::1:80");
	parse_bad("tcp://[::1]:");
}

static void test_vsock(void **state)
{
	struct url u;

	(void)state;
	parse_ok("vsock://:1024", &u);
	assert_int_equal(u.scheme, URL_VSOCK);
	assert_string_equal(u.host, "");
	assert_int_equal(u.port, 1024);
	assert_string_equal(u.path, "");
	parse_ok("vsock://2:1024/connect", &u);
	assert_string_equal(u.host, "2");
	assert_int_equal(u.port, 1024);
	assert_string_equal(u.path, "/connect");
	parse_ok("vsock://4294967295:1", &u);
	assert_string_equal(u.host, "4294967295");
	assert_int_equal(u.port, 1);
	/* Windows: a Hyper-V socket service GUID and no port */
	parse_ok("vsock://00000400-FACB-11E6-BD58-64006A7986D3", &u);
	assert_string_equal(u.host, "00000400-FACB-11E6-BD58-64006A7986D3");
	assert_int_equal(u.port, -1);
	assert_string_equal(u.path, "");
	assert_true(u.hvsock);
	assert_int_equal(u.hv_service.data1, 0x400);
	assert_int_equal(u.hv_service.data2, 0xfacb);
	parse_ok("vsock://00000400-FACB-11E6-BD58-64006A7986D3/connect", &u);
	assert_string_equal(u.host, "00000400-FACB-11E6-BD58-64006A7986D3");
	assert_int_equal(u.port, -1);
	assert_string_equal(u.path, "/connect");
	assert_true(u.hvsock);
	parse_ok("vsock://90db8b89-0d35-4f79-8ce9-49ea0ac8b7cd", &u);
	assert_true(u.hvsock);
	assert_int_equal(u.hv_service.data1, 0x90db8b89u);
	/* the CID:PORT forms are not Hyper-V services */
	parse_ok("vsock://2:1024", &u);
	assert_false(u.hvsock);
}

static void test_vsock_hv_port(void **state)
{
	char txt[HVADDR_GUID_STRLEN + 1];
	struct url u;

	(void)state;
	/* Windows' short form: vsock://PORT is Podman's service GUID */
	parse_ok("vsock://1024", &u);
	assert_true(u.hvsock);
	assert_int_equal(u.port, -1);
	assert_string_equal(u.host, "1024");
	hvaddr_format(&u.hv_service, txt);
	assert_string_equal(txt, "00000400-FACB-11E6-BD58-64006A7986D3");
	parse_ok("vsock://4294967294/connect", &u);
	assert_string_equal(u.path, "/connect");
	hvaddr_format(&u.hv_service, txt);
	assert_string_equal(txt, "FFFFFFFE-FACB-11E6-BD58-64006A7986D3");
	parse_bad("vsock://4294967295"); /* VMADDR_PORT_ANY */
	parse_bad("vsock://4294967296");
	parse_bad("vsock://0x400");
	parse_bad("vsock://-1");
	parse_bad("vsock://1024x");
	/* GUIDs are checked when parsed, not when a listener binds */
	parse_bad("vsock://00000400-FACB-11E6-BD58-64006A7986D");
	parse_bad("vsock://00000400-FACB-11E6-BD58-64006A7986DX");
	parse_bad("vsock://{00000400-FACB-11E6-BD58-64006A7986D3}");
	parse_bad("vsock://host");
	parse_bad("vsock://null");
}

static void test_vsock_bad(void **state)
{
	(void)state;
	parse_bad("vsock://");
	parse_bad("vsock:///connect");
	parse_bad("vsock://2:");
	parse_bad("vsock://2:port");
	parse_bad("vsock://2:1:2");
	parse_bad("vsock://2:4294967295"); /* VMADDR_PORT_ANY */
	parse_bad("vsock://2:4294967296");
	parse_bad("vsock://2:-1");
	parse_bad("vsock://2:+1");
	parse_bad("vsock://4294967296:1");
	parse_bad("vsock://host:1");
	parse_bad("vsock://-2:1");
	parse_bad("vsock://null:1024"); /* macOS form needs its directory */
	parse_bad("vsock://null:1024/");
	parse_bad("vsock://null:x/dir");
}

static void test_vsock_forms(void **state)
{
	char p[300];
	struct url u;

	(void)state;
	parse_ok("vsock://:1024", &u);
	assert_int_equal(u.vsock_cid, URL_VSOCK_CID_ANY);
	assert_int_equal(u.vsock_port, 1024);
	assert_false(u.vsock_null);
	assert_int_equal(url_vsock_unix_path(&u, p, sizeof(p)), -EINVAL);
	parse_ok("vsock://2:1024/connect", &u);
	assert_int_equal(u.vsock_cid, 2);
	parse_ok("vsock://3:70000", &u); /* vsock ports are 32-bit */
	assert_int_equal(u.vsock_port, 70000);
	assert_int_equal(u.port, 70000);
	parse_ok("vsock://4294967294:4294967294", &u);
	assert_int_equal(u.vsock_cid, 4294967294u);
	assert_int_equal(u.vsock_port, 4294967294u);
	assert_int_equal(u.port, -1); /* beyond an int */
	/* macOS / hyperkit: DIR/00000002.<port in 8 hex digits> */
	parse_ok("vsock://null:1024/vm_dir", &u);
	assert_true(u.vsock_null);
	assert_string_equal(u.path, "/vm_dir");
	assert_int_equal(url_vsock_unix_path(&u, p, sizeof(p)), 0);
	assert_string_equal(p, "/vm_dir/00000002.00000400");
	parse_ok("vsock://null:4294967294/tmp/a/b/", &u);
	assert_int_equal(url_vsock_unix_path(&u, p, sizeof(p)), 0);
	assert_string_equal(p, "/tmp/a/b/00000002.fffffffe");
	assert_int_equal(url_vsock_unix_path(&u, p, 20), -ENAMETOOLONG);
}

static void test_bad_scheme(void **state)
{
	(void)state;
	parse_bad("");
	parse_bad("/tmp/sock");
	parse_bad("udp://:53");
	parse_bad("http://localhost:80");
	parse_bad("unix:/tmp/x");
	parse_bad("UNIX:///tmp/x");
	parse_bad("tcp:/host:80");
	parse_bad("ssh://user@host:22");
}

static void test_err_truncated(void **state)
{
	char err[8];
	struct url u;

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(
		url_parse("bogus://a-long-endpoint", &u, err, sizeof(err)),
		-EINVAL);
	assert_int_equal(err[sizeof(err) - 1], 0);
}

static void test_split_hostport(void **state)
{
	char host[64];
	int port = -7;

	(void)state;
	assert_int_equal(url_split_hostport("a:1", host, sizeof(host), &port),
			 0);
	assert_string_equal(host, "a");
	assert_int_equal(port, 1);
	assert_int_equal(url_split_hostport(":0", host, sizeof(host), &port),
			 0);
	assert_string_equal(host, "");
	assert_int_equal(port, 0);
	assert_int_equal(
		url_split_hostport("[::]:22", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::");
	assert_int_equal(port, 22);

	port = -7;
	assert_int_equal(url_split_hostport("", host, sizeof(host), &port),
			 -EINVAL);
	assert_int_equal(url_split_hostport("a", host, sizeof(host), &port),
			 -EINVAL);
	assert_int_equal(url_split_hostport("a:b:1", host, sizeof(host), &port),
			 -EINVAL);
	assert_int_equal(url_split_hostport("[a", host, sizeof(host), &port),
			 -EINVAL);
	assert_int_equal(
		url_split_hostport("a:65536", host, sizeof(host), &port),
		-EINVAL);
	assert_int_equal(port, -7); /* untouched on error */
}

static void test_split_hostport_hostlen(void **state)
{
	char host[4];
	int port;

	(void)state;
	/* three characters and the NUL fit */
	assert_int_equal(url_split_hostport("abc:1", host, sizeof(host), &port),
			 0);
	assert_string_equal(host, "abc");
	assert_int_equal(
		url_split_hostport("abcd:1", host, sizeof(host), &port),
		-EINVAL);
	assert_int_equal(
		url_split_hostport("[::1]:1", host, sizeof(host), &port), 0);
	assert_int_equal(
		url_split_hostport("[::ff]:1", host, sizeof(host), &port),
		-EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_unix_variants),
		cmocka_unit_test(test_path_limits),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_tcp_bad),
		cmocka_unit_test(test_vsock),
		cmocka_unit_test(test_vsock_bad),
		cmocka_unit_test(test_vsock_forms),
		cmocka_unit_test(test_vsock_hv_port),
		cmocka_unit_test(test_bad_scheme),
		cmocka_unit_test(test_err_truncated),
		cmocka_unit_test(test_split_hostport),
		cmocka_unit_test(test_split_hostport_hostlen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
