/*
 * test_log.c - cmocka unit tests of the logger (util/log.h): every message
 * is one line whatever it contains (control bytes escaped, so a path or
 * name from a guest cannot forge log lines), long messages are cut within
 * the line, the rate limiter counts what it suppressed, -debug's value
 * parses to a subsystem mask and log_debug() prints the lines of the
 * subsystems in it only.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/log.h"

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

static void test_debug_parse(void **state)
{
	static const char *const yes[] = {"true", "1",	  "t",	"T",
					  "TRUE", "True", "all"};
	static const char *const no[] = {"false", "0",	   "f",
					 "F",	  "FALSE", "False"};
	unsigned int m;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		m = 0;
		assert_int_equal(log_parse_debug(yes[i], &m, err, sizeof(err)),
				 0);
		assert_int_equal(m, LOG_SS_ALL);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		m = 1;
		assert_int_equal(log_parse_debug(no[i], &m, err, sizeof(err)),
				 0);
		assert_int_equal(m, 0);
	}
	assert_int_equal(log_parse_debug("dns,nat", &m, err, sizeof(err)), 0);
	assert_int_equal(m, (1u << LOG_SS_DNS) | (1u << LOG_SS_NAT));
	assert_int_equal(log_parse_debug("ssh", &m, err, sizeof(err)), 0);
	assert_int_equal(m, 1u << LOG_SS_SSH);
	for (i = 0; i < LOG_SS_COUNT; i++) {
		assert_int_equal(log_parse_debug(log_subsys_name(i), &m, err,
						 sizeof(err)),
				 0);
		assert_int_equal(m, 1u << i);
	}
	assert_null(log_subsys_name(LOG_SS_COUNT));

	/* unknown names, empty items and prefixes are errors, m untouched */
	m = 7;
	assert_int_equal(log_parse_debug("dns,bogus", &m, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "\"bogus\" is not one of all, switch"));
	assert_int_equal(m, 7);
	assert_int_equal(log_parse_debug("", &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(log_parse_debug("dns,", &m, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(log_parse_debug(",dns", &m, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(log_parse_debug("dn", &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(log_parse_debug("dnsx", &m, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(log_parse_debug("DNS", &m, err, sizeof(err)), -EINVAL);
	/* a tiny error buffer is never overrun */
	assert_int_equal(log_parse_debug("nope", &m, err, 8), -EINVAL);
	assert_true(strlen(err) < 8);
	assert_int_equal(m, 7);
}

/* two "files": the debug lines of a subsystem that is off never print */
#define LOG_SUBSYS LOG_SS_DNS
static void debug_line_dns(void)
{
	log_debug("dns line");
}
#undef LOG_SUBSYS
#define LOG_SUBSYS LOG_SS_NAT
static void debug_line_nat(void)
{
	log_debug("nat line");
}
#undef LOG_SUBSYS

static void test_debug_mask(void **state)
{
	const char *s;
	size_t n;

	(void)state;
	log_set_debug(1u << LOG_SS_DNS);
	assert_int_equal(log_get_level(), LOG_LVL_DEBUG);
	assert_true(log_debug_on(LOG_SS_DNS));
	assert_false(log_debug_on(LOG_SS_NAT));
	debug_line_dns();
	debug_line_nat();
	s = read_log(&n);
	assert_non_null(strstr(s, "level=debug msg=\"dns line\""));
	assert_null(strstr(s, "nat line"));
	assert_int_equal(count_lines(s, n), 1);

	/* -debug alone (and log-level: debug) is every subsystem */
	log_set_level(LOG_LVL_DEBUG);
	assert_int_equal(log_debug_mask, LOG_SS_ALL);
	debug_line_nat();
	s = read_log(&n);
	assert_non_null(strstr(s, "nat line"));

	/* no debug: nothing, and info lines still print */
	log_set_debug(0);
	assert_int_equal(log_get_level(), LOG_LVL_INFO);
	debug_line_dns();
	log_info("info line");
	s = read_log(&n);
	assert_int_equal(count_lines(s, n), 3);
	assert_non_null(strstr(s, "info line"));

	log_set_level(LOG_LVL_INFO);
	assert_int_equal(log_debug_mask, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_escapes_control_bytes),
		T(test_every_byte_one_line),
		T(test_long_message_stays_one_line),
		T(test_ratelimit),
		T(test_debug_parse),
		T(test_debug_mask),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
