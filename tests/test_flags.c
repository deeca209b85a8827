/*
 * test_flags.c - cmocka unit tests of the Go-flag-compatible command line
 * parser (cmd/flags.h): -x v, -x=v, --x, --x=v, bools with and without
 * =value, ints, repeatable lists, Go's error texts (unknown flag, missing
 * argument, bad values, bad syntax), "--", -h/-help, and stopping at the
 * first non-flag argument.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/flags.h"

struct opts {
	const char *str;
	const char *other;
	bool b;
	const char *debug; /* FLAG_OPTVAL, like the daemon's -debug */
	long n;
	struct flag_list list;
	struct flag f[6];
};

static void opts_init(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->n = -1;
	o->f[0] = (struct flag){"str", FLAG_STRING, &o->str, "a string", 0};
	o->f[1] = (struct flag){"other", FLAG_STRING, &o->other, "", 0};
	o->f[2] = (struct flag){"b", FLAG_BOOL, &o->b, "a bool", 0};
	o->f[3] = (struct flag){"debug", FLAG_OPTVAL, &o->debug, "", 0};
	o->f[4] = (struct flag){"n", FLAG_INT, &o->n, "an int", 0};
	o->f[5] = (struct flag){"forward", FLAG_LIST, &o->list, "", 0};
}

/* parse() - flags_parse over a NULL-terminated argument list. */
static int parse(struct opts *o, char *err, size_t errlen, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = "prog";
	va_start(ap, errlen);
	for (;;) {
		char *a = va_arg(ap, char *);

		if (!a)
			break;
		assert_true(argc < 31);
		argv[argc++] = a;
	}
	va_end(ap);
	argv[argc] = NULL;
	err[0] = 0;
	return flags_parse(o->f, 6, argc, argv, err, errlen);
}

static void test_value_forms(void **state)
{
	struct opts o;
	char err[128];

	(void)state;
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-str", "v1", NULL), 3);
	assert_string_equal(o.str, "v1");
	assert_true(o.f[0].set);
	assert_false(o.f[1].set);

	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-str=v2", NULL), 2);
	assert_string_equal(o.str, "v2");

	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "--str", "v3", NULL), 3);
	assert_string_equal(o.str, "v3");

	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "--str=v4", NULL), 2);
	assert_string_equal(o.str, "v4");

	/* the value may be empty, contain '=' or look like a flag */
	opts_init(&o);
	assert_int_equal(
		parse(&o, err, sizeof(err), "-str=", "-other", "-b", NULL), 4);
	assert_string_equal(o.str, "");
	assert_string_equal(o.other, "-b");
	assert_false(o.b);
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-str=a=b", NULL), 2);
	assert_string_equal(o.str, "a=b");

	/* the last occurrence wins */
	opts_init(&o);
	assert_int_equal(
		parse(&o, err, sizeof(err), "-str", "x", "-str", "y", NULL), 5);
	assert_string_equal(o.str, "y");
}

static void test_bool(void **state)
{
	static const char *const yes[] = {"true", "1",	  "t",
					  "T",	  "TRUE", "True"};
	static const char *const no[] = {"false", "0",	   "f",
					 "F",	  "FALSE", "False"};
	struct opts o;
	char err[128], arg[32];
	size_t i;

	(void)state;
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-b", NULL), 2);
	assert_true(o.b);
	assert_true(o.f[2].set);

	/* a bool does not take the next argument */
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-b", "false", NULL), 2);
	assert_true(o.b);

	opts_init(&o);
	o.b = true;
	assert_int_equal(parse(&o, err, sizeof(err), "-b=false", NULL), 2);
	assert_false(o.b);
	assert_true(o.f[2].set);

	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "--debug", NULL), 2);
	assert_string_equal(o.debug, "true");

	for (i = 0; i < 6; i++) {
		opts_init(&o);
		snprintf(arg, sizeof(arg), "-b=%s", yes[i]);
		assert_int_equal(parse(&o, err, sizeof(err), arg, NULL), 2);
		assert_true(o.b);
		opts_init(&o);
		o.b = true;
		snprintf(arg, sizeof(arg), "--b=%s", no[i]);
		assert_int_equal(parse(&o, err, sizeof(err), arg, NULL), 2);
		assert_false(o.b);
	}

	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-b=yes", NULL), -1);
	assert_string_equal(
		err, "invalid boolean value \"yes\" for -b: parse error");
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-b=", NULL), -1);
}

/* a bool that may carry a value: -debug, -debug=false, -debug=dns,nat */
static void test_optval(void **state)
{
	struct opts o;
	char err[128];

	(void)state;
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-b", NULL), 2);
	assert_null(o.debug);
	assert_false(o.f[3].set);

	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-debug", NULL), 2);
	assert_string_equal(o.debug, "true");
	assert_true(o.f[3].set);

	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-debug=false", NULL), 2);
	assert_string_equal(o.debug, "false");
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-debug=true", NULL), 2);
	assert_string_equal(o.debug, "true");

	opts_init(&o);
	assert_int_equal(
		parse(&o, err, sizeof(err), "--debug=dns,nat", "-b", NULL), 3);
	assert_string_equal(o.debug, "dns,nat");
	assert_true(o.b);

	/* like a bool it never takes the next argument */
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-debug", "dns", NULL), 2);
	assert_string_equal(o.debug, "true");
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-debug", "-b", NULL), 3);
	assert_string_equal(o.debug, "true");
	assert_true(o.b);
}

static void test_int(void **state)
{
	struct opts o;
	char err[128];

	(void)state;
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-n", "1500", NULL), 3);
	assert_int_equal(o.n, 1500);
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-n=-1", NULL), 2);
	assert_int_equal(o.n, -1);
	assert_true(o.f[4].set);
	/* Go's strconv.ParseInt(s, 0, 64) accepts 0x and 0 prefixes */
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-n=0x10", NULL), 2);
	assert_int_equal(o.n, 16);

	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-n", "12a", NULL), -1);
	assert_string_equal(err,
			    "invalid value \"12a\" for flag -n: parse error");
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-n=", NULL), -1);
	assert_string_equal(err, "invalid value \"\" for flag -n: parse error");
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-n",
			       "99999999999999999999999", NULL),
			 -1);
}

static void test_list(void **state)
{
	struct opts o;
	char err[128];

	(void)state;
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-forward", "a",
			       "--forward=b", "-b", "-forward", "c", NULL),
			 7);
	assert_int_equal(o.list.n, 3);
	assert_string_equal(o.list.v[0], "a");
	assert_string_equal(o.list.v[1], "b");
	assert_string_equal(o.list.v[2], "c");
	assert_true(o.f[5].set);
	flags_free(o.f, 6);
	assert_int_equal(o.list.n, 0);
	assert_null(o.list.v);
	/* free of an empty list and twice is fine */
	flags_free(o.f, 6);
}

static void test_unknown(void **state)
{
	char big[300];
	struct opts o;
	char err[128];

	(void)state;
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-nope", NULL), -1);
	assert_string_equal(err, "flag provided but not defined: -nope");
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "--nope=3", NULL), -1);
	assert_string_equal(err, "flag provided but not defined: -nope");
	/* names are case sensitive */
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-STR", "x", NULL), -1);
	assert_string_equal(err, "flag provided but not defined: -STR");
	/* a very long name is still an unknown flag, not an overflow */
	memset(big, 'z', sizeof(big) - 1);
	big[0] = '-';
	big[sizeof(big) - 1] = 0;
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), big, NULL), -1);
	assert_non_null(strstr(err, "flag provided but not defined: -zzz"));
}

static void test_missing_argument(void **state)
{
	struct opts o;
	char err[128];

	(void)state;
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-str", NULL), -1);
	assert_string_equal(err, "flag needs an argument: -str");
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-b", "--n", NULL), -1);
	assert_string_equal(err, "flag needs an argument: -n");
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-forward", NULL), -1);
	assert_string_equal(err, "flag needs an argument: -forward");
}

static void test_bad_syntax(void **state)
{
	struct opts o;
	char err[128];

	(void)state;
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "---str", "x", NULL), -1);
	assert_string_equal(err, "bad flag syntax: ---str");
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-=x", NULL), -1);
	assert_string_equal(err, "bad flag syntax: -=x");
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "--=x", NULL), -1);
	assert_string_equal(err, "bad flag syntax: --=x");
}

static void test_terminator(void **state)
{
	struct opts o;
	char err[128];

	(void)state;
	opts_init(&o);
	/* "--" is consumed; the index is that of the argument after it */
	assert_int_equal(
		parse(&o, err, sizeof(err), "-b", "--", "-str", "x", NULL), 3);
	assert_true(o.b);
	assert_null(o.str);
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "--", NULL), 2);
}

static void test_help(void **state)
{
	struct opts o;
	char err[128];

	(void)state;
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-h", NULL), -2);
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "--help", NULL), -2);
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-str", "x", "-help",
			       "-nope", NULL),
			 -2);
	/* after the first non-flag, -h is an argument */
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "run", "-h", NULL), 1);
}

static void test_help_defined(void **state)
{
	struct flag f[1];
	bool h = false;
	char *argv[] = {"prog", "-h", NULL};
	char err[64];

	(void)state;
	/* a program that defines -h gets it as a normal flag */
	f[0] = (struct flag){"h", FLAG_BOOL, &h, "", 0};
	assert_int_equal(flags_parse(f, 1, 2, argv, err, sizeof(err)), 2);
	assert_true(h);
}

static void test_stop_at_non_flag(void **state)
{
	struct opts o;
	char err[128];

	(void)state;
	opts_init(&o);
	assert_int_equal(
		parse(&o, err, sizeof(err), "-b", "cmd", "-str", "x", NULL), 2);
	assert_true(o.b);
	assert_null(o.str);
	/* a lone "-" is a non-flag too */
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-", "-b", NULL), 1);
	assert_false(o.b);
	/* no arguments at all */
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), NULL), 1);
	opts_init(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-str", "x", NULL), 3);
}

static void test_find(void **state)
{
	struct opts o;

	(void)state;
	opts_init(&o);
	assert_ptr_equal(flags_find(o.f, 6, "n"), &o.f[4]);
	assert_ptr_equal(flags_find(o.f, 6, "forward"), &o.f[5]);
	assert_null(flags_find(o.f, 6, "nope"));
	assert_null(flags_find(o.f, 6, ""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_value_forms),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_optval),
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_missing_argument),
		cmocka_unit_test(test_bad_syntax),
		cmocka_unit_test(test_terminator),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_help_defined),
		cmocka_unit_test(test_stop_at_non_flag),
		cmocka_unit_test(test_find),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
