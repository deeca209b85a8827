/*
 * test_log.c - cmocka unit tests of the logger (net/log.h): every message
 * is one line whatever it contains (control bytes escaped, so a path or
 * name from a guest cannot forge log lines), long messages are cut within
 * the line, and the rate limiter counts what it suppressed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/log.h"

static char path[64];

/* read_log() - the whole log file, NUL-terminated (static buffer). */
static const char *read_log(size_t *len)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

static unsigned int count_lines(const char *s, size_t n)
{
	unsigned int k = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\n')
			k++;
	return k;
}

static int setup(void **state)
{
	int fd;

	(void)state;
	strcpy(path, "/tmp/qcw-test-log.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return log_set_file(path);
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void test_escapes_control_bytes(void **state)
{
	const char *evil = "/tmp/x\ntime=\"2026\" level=error msg=\"forged\r"
			   "\x1b[31mred\x7f\x01\tend";
	const char *s;
	size_t n;

	(void)state;
	log_warn("expose %s done", evil);
	s = read_log(&n);
	assert_int_equal(count_lines(s, n), 1);
	assert_int_equal(s[n - 1], '\n');
	assert_non_null(strstr(s, "msg=\"expose /tmp/x\\ntime=\"2026\" "
				  "level=error msg=\"forged\\r\\x1b[31mred"
				  "\\x7f\\x01\\tend done\"\n"));
	for (size_t i = 0; i + 1 < n; i++)
		assert_true((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

static void test_every_byte_one_line(void **state)
{
	char all[256];
	const char *s;
	size_t n;
	int i;

	(void)state;
	for (i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = 0;
	log_info("%s", all);
	log_err("%s|%s", all, all);
	s = read_log(&n);
	assert_int_equal(count_lines(s, n), 2);
	assert_non_null(strstr(s, "\\x1f !\"#"));
	assert_non_null(strstr(s, "}~\\x7f\x80"));
}

static void test_long_message_stays_one_line(void **state)
{
	static char big[4000];
	const char *s;
	size_t n;

	(void)state;
	memset(big, '\n', sizeof(big) - 1); /* each becomes two bytes */
	log_info("%s", big);
	memset(big, 'a', sizeof(big) - 1);
	log_info("%s", big);
	s = read_log(&n);
	assert_int_equal(count_lines(s, n), 2);
	assert_true(n <= 2 * 1024);
	/* an escape is never cut in half: the line ends in \n", not \" */
	assert_non_null(strstr(s, "\\n\\n\"\n"));
}

static void test_ratelimit(void **state)
{
	struct log_ratelimit rl = {0};
	unsigned int i, ok = 0;

	(void)state;
	for (i = 0; i < 100; i++)
		ok += (unsigned int)log_ratelimit_ok(&rl, 10);
	assert_int_equal(ok, 10);
	assert_int_equal(rl.suppressed, 90);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_escapes_control_bytes),
		T(test_every_byte_one_line),
		T(test_long_message_stays_one_line),
		T(test_ratelimit),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
