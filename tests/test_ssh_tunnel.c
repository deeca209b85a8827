/*
 * test_ssh_tunnel.c - cmocka unit tests of the pure parts of SSH tunnels
 * (forwarder/ssh_tunnel.h): -forward-sock values (plain paths, unix://,
 * npipe:// and what is refused), ssh-tunnel:// remotes (user, password,
 * IPv4 and port, path, key, passphrase, secure, Go's escapes, errors that
 * never echo secrets), gvproxy's retry schedule and QCW_NET_SSH_ATTEMPTS.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "forwarder/ssh_tunnel.h"
#include "forwarder/ssh_tunnel_os.h"
#include "net/npipe.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static void sock_ok(const char *s, enum tun_sock_kind kind, const char *path)
{
	char err[256] = "";
	struct tun_sock ts;

	if (tun_sock_parse(s, &ts, err, sizeof(err)))
		fail_msg("tun_sock_parse(%s): %s", s, err);
	assert_int_equal(ts.kind, kind);
	assert_string_equal(ts.path, path);
}

static void sock_bad(const char *s)
{
	char err[512] = "";
	struct tun_sock ts;

	if (tun_sock_parse(s, &ts, err, sizeof(err)) != -EINVAL)
		fail_msg("tun_sock_parse(%s) accepted", s);
	assert_true(err[0] != 0);
}

static void test_sock_unix(void **state)
{
	(void)state;
	sock_ok("/run/user/1000/podman/podman-machine-default-api.sock",
		TUN_SOCK_UNIX,
		"/run/user/1000/podman/podman-machine-default-api.sock");
	sock_ok("rel/api.sock", TUN_SOCK_UNIX, "rel/api.sock");
	sock_ok("unix:///tmp/api.sock", TUN_SOCK_UNIX, "/tmp/api.sock");
	sock_ok("unix:///tmp/a%20b.sock", TUN_SOCK_UNIX, "/tmp/a b.sock");
	/* the project's unix:// convention: what follows is the path */
	sock_ok("unix://rel/x.sock", TUN_SOCK_UNIX, "rel/x.sock");
#ifndef _WIN32
	sock_ok("unix:///C:/Users/u/api.sock", TUN_SOCK_UNIX,
		"/C:/Users/u/api.sock");
#else
	/* Podman's Windows paths: unix:///C:/... names C:/... */
	sock_ok("unix:///C:/Users/u/api.sock", TUN_SOCK_UNIX,
		"C:/Users/u/api.sock");
#endif
}

static void test_sock_npipe(void **state)
{
	(void)state;
	sock_ok("npipe:////./pipe/podman-machine-default", TUN_SOCK_NPIPE,
		"\\\\.\\pipe\\podman-machine-default");
	sock_ok("npipe:////./pipe/docker_engine", TUN_SOCK_NPIPE,
		"\\\\.\\pipe\\docker_engine");
	sock_bad("npipe:////./pipe/");
	sock_bad("npipe:////./pipe/a/b");
	sock_bad("npipe://pipe/x");
	sock_bad("npipe://");
	/* gvproxy skips a taken docker_engine, no other name */
	assert_true(npipe_skip_if_taken("\\\\.\\pipe\\docker_engine"));
	assert_true(npipe_skip_if_taken("\\\\.\\pipe\\Docker_Engine"));
	assert_false(npipe_skip_if_taken("\\\\.\\pipe\\podman-machine"));
	assert_false(npipe_skip_if_taken("\\\\.\\pipe\\docker_engine2"));
}

static void test_sock_bad(void **state)
{
	(void)state;
	sock_bad("");
	sock_bad("unix://");
	sock_bad("tcp://127.0.0.1:80");
	sock_bad("unix:///tmp/%zz");
	sock_bad("unix:///tmp/%00x");
	sock_bad("/tmp/a\nb");
	{
		char big[400];

		memset(big, 'a', sizeof(big) - 1);
		big[0] = '/';
		big[sizeof(big) - 1] = 0;
		sock_bad(big);
	}
}

static void url_ok(const char *s, struct tun_url *u)
{
	char err[256] = "";

	if (tun_url_parse(s, u, err, sizeof(err)))
		fail_msg("tun_url_parse(%s): %s", s, err);
}

/* url_bad() - refused, with a message that does not echo secrets. */
static void url_bad(const char *s)
{
	char err[512] = "";
	struct tun_url u;

	if (tun_url_parse(s, &u, err, sizeof(err)) != -EINVAL)
		fail_msg("tun_url_parse(%s) accepted", s);
	assert_true(err[0] != 0);
	assert_null(strstr(err, "s3cret"));
}

static void test_url_podman(void **state)
{
	struct tun_url u;

	(void)state;
	/* gvproxy's own test */
	url_ok("ssh-tunnel://root@192.168.127.2:22/run/user/1001/podman/"
	       "podman.sock?key=/home/u/.ssh/id_ed25519",
	       &u);
	assert_string_equal(u.user, "root");
	assert_string_equal(u.password, "");
	assert_int_equal(u.ip, IP(192, 168, 127, 2));
	assert_int_equal(u.port, 22);
	assert_string_equal(u.path, "/run/user/1001/podman/podman.sock");
	assert_string_equal(u.key, "/home/u/.ssh/id_ed25519");
	assert_string_equal(u.passphrase, "");
	assert_false(u.secure);
}

static void test_url_options(void **state)
{
	struct tun_url u;

	(void)state;
	url_ok("ssh-tunnel://core@10.0.0.5/run/podman/podman.sock?key=/"
	       "k&passphrase=a+b%26c&secure=true",
	       &u);
	assert_string_equal(u.user, "core");
	assert_int_equal(u.port, 22);
	assert_string_equal(u.passphrase, "a b&c");
	assert_true(u.secure);
	url_ok("ssh-tunnel://core@10.0.0.5:2022/s?key=%2Fhome%2Fk&secure=0",
	       &u);
	assert_int_equal(u.port, 2022);
	assert_string_equal(u.key, "/home/k");
	assert_false(u.secure);
	/* the first value wins, unknown names are ignored (Go) */
	url_ok("ssh-tunnel://u@1.2.3.4/s?x=1&key=/a&key=/b&&=&y", &u);
	assert_string_equal(u.key, "/a");
	/* a fragment is not part of the query */
	url_ok("ssh-tunnel://u@1.2.3.4/s?key=/a#frag", &u);
	assert_string_equal(u.key, "/a");
	/* escapes in user and path */
	url_ok("ssh-tunnel://us%40er@1.2.3.4/a%20b?key=/k", &u);
	assert_string_equal(u.user, "us@er");
	assert_string_equal(u.path, "/a b");
	/* a password alone is enough; '@' in it: the last '@' ends it */
	url_ok("ssh-tunnel://u:p@ss@1.2.3.4/s", &u);
	assert_string_equal(u.user, "u");
	assert_string_equal(u.password, "p@ss");
	assert_string_equal(u.key, "");
}

static void test_url_bad(void **state)
{
	(void)state;
	url_bad("ssh://root@1.2.3.4/s?key=/k");
	url_bad("ssh-tunnel://");
	url_bad("ssh-tunnel://1.2.3.4/s?key=/k"); /* no user */
	url_bad("ssh-tunnel://@1.2.3.4/s?key=/k");
	url_bad("ssh-tunnel://root@/s?key=/k");
	url_bad("ssh-tunnel://root@host.example/s?key=/k"); /* not an IP */
	url_bad("ssh-tunnel://root@[::1]:22/s?key=/k");
	url_bad("ssh-tunnel://root@1.2.3.4:0/s?key=/k");
	url_bad("ssh-tunnel://root@1.2.3.4:65536/s?key=/k");
	url_bad("ssh-tunnel://root@1.2.3.4:22x/s?key=/k");
	url_bad("ssh-tunnel://root@1.2.3.4:/s?key=/k");
	url_bad("ssh-tunnel://root@1.2.3.4.5/s?key=/k");
	url_bad("ssh-tunnel://root@1.2.3.4?key=/k"); /* no path */
	url_bad("ssh-tunnel://root@1.2.3.4/?key=/k");
	url_bad("ssh-tunnel://root@1.2.3.4/s"); /* no key, no password */
	url_bad("ssh-tunnel://root@1.2.3.4/s?key=");
	url_bad("ssh-tunnel://root@1.2.3.4/s%zz?key=/k");
	url_bad("ssh-tunnel://root@1.2.3.4/s%00?key=/k");
	url_bad("ssh-tunnel://root@1.2.3.4/s?key=/k&secure=maybe");
	url_bad("ssh-tunnel://root@1.2.3.4/s?key=/k&passphrase=s3cret%");
	url_bad("ssh-tunnel://root:s3cret%@1.2.3.4/s?key=/k");
	url_bad("ssh-tunnel://root@1.2.3.4/s\n?key=/k");
	url_bad(NULL);
}

static void test_url_long(void **state)
{
	char s[1200], err[256];
	struct tun_url u;

	(void)state;
	memset(s, 0, sizeof(s));
	strcpy(s, "ssh-tunnel://root@1.2.3.4/");
	memset(s + strlen(s), 'p', 300);
	strcat(s, "?key=/k");
	assert_int_equal(tun_url_parse(s, &u, err, sizeof(err)), -EINVAL);
	strcpy(s, "ssh-tunnel://");
	memset(s + strlen(s), 'u', 100);
	strcat(s, "@1.2.3.4/s?key=/k");
	assert_int_equal(tun_url_parse(s, &u, err, sizeof(err)), -EINVAL);
	strcpy(s, "ssh-tunnel://u@1.2.3.4/s?key=/");
	memset(s + strlen(s), 'k', 300);
	assert_int_equal(tun_url_parse(s, &u, err, sizeof(err)), -EINVAL);
	/* a long unknown parameter is ignored, not an overflow */
	strcpy(s, "ssh-tunnel://u@1.2.3.4/s?key=/k&");
	memset(s + strlen(s), 'n', 500);
	assert_int_equal(tun_url_parse(s, &u, err, sizeof(err)), 0);
}

static void test_retry_schedule(void **state)
{
	unsigned int i, total = 0;

	(void)state;
	assert_int_equal(tun_retry_delay_ms(0), 0);
	assert_int_equal(tun_retry_delay_ms(1), 100);
	assert_int_equal(tun_retry_delay_ms(2), 200);
	assert_int_equal(tun_retry_delay_ms(3), 400);
	assert_int_equal(tun_retry_delay_ms(4), 800);
	assert_int_equal(tun_retry_delay_ms(5), 1000);
	assert_int_equal(tun_retry_delay_ms(59), 1000);
	assert_int_equal(tun_retry_delay_ms(0xffffffffu), 1000);
	/* 60 attempts: 59 waits, about 56.5 s plus the attempts */
	for (i = 1; i < TUN_ATTEMPTS_DEFAULT; i++)
		total += tun_retry_delay_ms(i);
	assert_int_equal(total, 1500 + 55 * 1000);
}

/* env_set() - set or (@v NULL) remove a variable, on both systems */
static void env_set(const char *k, const char *v)
{
#ifdef _WIN32
	_putenv_s(k, v ? v : ""); /* "" removes it */
#else
	if (v)
		setenv(k, v, 1);
	else
		unsetenv(k);
#endif
}

static void test_attempts_env(void **state)
{
	(void)state;
	env_set("QCW_NET_SSH_ATTEMPTS", NULL);
	assert_int_equal(tun_attempts_from_env(), 60);
	env_set("QCW_NET_SSH_ATTEMPTS", "5");
	assert_int_equal(tun_attempts_from_env(), 5);
	env_set("QCW_NET_SSH_ATTEMPTS", "0");
	assert_int_equal(tun_attempts_from_env(), 60);
	env_set("QCW_NET_SSH_ATTEMPTS", "7x");
	assert_int_equal(tun_attempts_from_env(), 60);
	env_set("QCW_NET_SSH_ATTEMPTS", "99999999999999999999");
	assert_int_equal(tun_attempts_from_env(), 60);
	env_set("QCW_NET_SSH_ATTEMPTS", NULL);
}

/* secure=true's file: gvproxy's home on each system, none without one */
static void test_known_hosts_path(void **state)
{
	char p[512];

	(void)state;
#ifdef _WIN32
	env_set("USERPROFILE", "C:\\Users\\u");
	assert_int_equal(tun_os_known_hosts(p, sizeof(p)), 0);
	assert_string_equal(p, "C:\\Users\\u\\.ssh\\known_hosts");
	env_set("USERPROFILE", NULL);
	assert_int_equal(tun_os_known_hosts(p, sizeof(p)), -1);
	assert_string_equal(tun_os_null_file(), "NUL");
#else
	env_set("HOME", "/home/u");
	assert_int_equal(tun_os_known_hosts(p, sizeof(p)), 0);
	assert_string_equal(p, "/home/u/.ssh/known_hosts");
	env_set("HOME", NULL);
	assert_int_equal(tun_os_known_hosts(p, sizeof(p)), -1);
	assert_string_equal(tun_os_null_file(), "/dev/null");
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sock_unix),
		cmocka_unit_test(test_sock_npipe),
		cmocka_unit_test(test_sock_bad),
		cmocka_unit_test(test_url_podman),
		cmocka_unit_test(test_url_options),
		cmocka_unit_test(test_url_bad),
		cmocka_unit_test(test_url_long),
		cmocka_unit_test(test_retry_schedule),
		cmocka_unit_test(test_attempts_env),
		cmocka_unit_test(test_known_hosts_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
