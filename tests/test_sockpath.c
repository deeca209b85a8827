/*
 * test_sockpath.c - the stale-socket rule's decision (util/sockpath.c),
 * the same on every platform: built and run on Linux and, cross-built,
 * under wine. What a probe finds becomes "free", "remove it" or an error;
 * POSIX's and Winsock's connect() errors are read the same way. The
 * probes against real sockets are in tests/test_api.c (Linux).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/sockpath.h"

/* SOCK_STREAM has the value 1 on Linux and in Winsock */
#define TEST_STREAM 1

static void test_decide(void **state)
{
	(void)state;
	assert_int_equal(sockpath_decide(SOCKPATH_NOTHING), 0);
	assert_int_equal(sockpath_decide(SOCKPATH_STALE), 1);
	assert_int_equal(sockpath_decide(SOCKPATH_LIVE), -EADDRINUSE);
	assert_int_equal(sockpath_decide(SOCKPATH_NOT_SOCKET), -EEXIST);
	assert_int_equal(sockpath_decide(-EACCES), -EACCES);
	assert_int_equal(sockpath_decide(-EAFNOSUPPORT), -EAFNOSUPPORT);
	assert_int_equal(sockpath_decide(42), -EINVAL);
}

static void test_posix_connect(void **state)
{
	(void)state;
	assert_int_equal(sockpath_connect_result(0), SOCKPATH_LIVE);
	assert_int_equal(sockpath_connect_result(EAGAIN), SOCKPATH_LIVE);
	assert_int_equal(sockpath_connect_result(EINPROGRESS), SOCKPATH_LIVE);
	assert_int_equal(sockpath_connect_result(ECONNREFUSED), SOCKPATH_STALE);
	assert_int_equal(sockpath_connect_result(ENOENT), SOCKPATH_NOTHING);
	assert_int_equal(sockpath_connect_result(EACCES), -EACCES);
}

/* Winsock's numbers as Windows gives them (winerror.h) */
static void test_windows_connect(void **state)
{
	(void)state;
	assert_int_equal(sockpath_wsa_result(0), SOCKPATH_LIVE);
	/* WSAEWOULDBLOCK: a live owner, non-blocking connect */
	assert_int_equal(sockpath_wsa_result(10035), SOCKPATH_LIVE);
	/* WSAECONNREFUSED: a crashed run's file: replaced */
	assert_int_equal(sockpath_wsa_result(10061), SOCKPATH_STALE);
	assert_int_equal(sockpath_decide(sockpath_wsa_result(10061)), 1);
	assert_int_equal(sockpath_decide(sockpath_wsa_result(10035)),
			 -EADDRINUSE);
	/* WSAEAFNOSUPPORT: no AF_UNIX (wine 8): said clearly */
	assert_int_equal(sockpath_wsa_result(10047), -EAFNOSUPPORT);
	assert_non_null(strstr(sockpath_strerror(-EAFNOSUPPORT), "tcp://"));
	assert_int_equal(sockpath_wsa_result(10013), -EACCES);
	assert_int_equal(sockpath_wsa_result(12345), -EIO);
}

/* The platform's probe on what every platform can make: no file, a file. */
static void test_claim_portable(void **state)
{
	const char *p = "test-sockpath.tmp";
	char longp[SOCKPATH_MAX + 8];
	FILE *f;

	(void)state;
	remove(p);
	assert_int_equal(sockpath_claim(p, TEST_STREAM), 0);
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(sockpath_claim(p, TEST_STREAM), -EEXIST);
	f = fopen(p, "r"); /* never removed */
	assert_non_null(f);
	fclose(f);
	remove(p);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = 0;
	assert_int_equal(sockpath_claim(longp, TEST_STREAM), -ENAMETOOLONG);
	assert_int_equal(sockpath_claim("", TEST_STREAM), -EINVAL);
	assert_non_null(strstr(sockpath_strerror(-EEXIST), "not a socket"));
	assert_non_null(strstr(sockpath_strerror(-EADDRINUSE), "in use"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_posix_connect),
		cmocka_unit_test(test_windows_connect),
		cmocka_unit_test(test_claim_portable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
