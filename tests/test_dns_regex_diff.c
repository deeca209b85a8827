/*
 * test_dns_regex_diff.c - the Windows build's regexp matcher
 * (dns/dns_regex_pcre2.c: PCRE2 on dns_ere.h's translation), built here
 * on Linux with Debian's libpcre2-dev, against the C library's regex.h,
 * which is what the Linux build matches with:
 *  - tests/dns_regex_cases.h is what regcomp()/regexec() answer (so the
 *    table that test_dns_regex.c holds both builds to is Linux's truth);
 *  - PCRE2 on the translation answers the same for every case;
 *  - random patterns from the dialect's pieces and random names: what
 *    the translation accepts the C library accepts, and both matchers
 *    agree on every name (a fixed seed, so a failure repeats).
 */
#include <errno.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dns/dns_ere.h"
#include "dns/dns_regex.h"
#include "tests/dns_regex_cases.h"

#define N_SUBJECTS (sizeof(dns_regex_subjects) / sizeof(dns_regex_subjects[0]))
#define N_CASES (sizeof(dns_regex_cases) / sizeof(dns_regex_cases[0]))
#define FLAGS (REG_EXTENDED | REG_ICASE | REG_NOSUB)

static void test_table_is_glibc(void **state)
{
	unsigned int i, j;

	(void)state;
	for (i = 0; i < N_CASES; i++) {
		const struct dns_regex_case *c = &dns_regex_cases[i];
		regex_t re;
		int rc = regcomp(&re, c->pattern, FLAGS);

		if (c->want == DNS_REGEX_REFUSED) {
			assert_int_not_equal(rc, 0);
			continue;
		}
		assert_int_equal(rc, 0);
		for (j = 0; c->want == DNS_REGEX_OK && j < N_SUBJECTS; j++)
			assert_int_equal(regexec(&re, dns_regex_subjects[j], 0,
						 NULL, 0) == 0,
					 c->matches[j] == '1');
		regfree(&re);
	}
}

static void test_table_pcre2(void **state)
{
	unsigned int i, j, bad = 0;

	(void)state;
	for (i = 0; i < N_CASES; i++) {
		const struct dns_regex_case *c = &dns_regex_cases[i];
		struct dns_regex *re = NULL;
		char err[128];
		int rc = dns_regex_compile(&re, c->pattern, err, sizeof(err));

		if (c->want != DNS_REGEX_OK) {
			assert_int_equal(rc, -EINVAL);
			continue;
		}
		assert_int_equal(rc, 0);
		for (j = 0; j < N_SUBJECTS; j++)
			if (dns_regex_match(re, dns_regex_subjects[j]) !=
			    (c->matches[j] == '1')) {
				print_error("\"%s\" on \"%s\"\n", c->pattern,
					    dns_regex_subjects[j]);
				bad++;
			}
		dns_regex_free(re);
	}
	assert_int_equal(bad, 0);
}

static uint32_t rnd_state = 20261202;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

/* the dialect's pieces, and bytes names are made of */
static const char *const pieces[] = {
	"a",	       "b",	      "A",     "-",	      ".",
	"\\.",	       "_",	      "0",     "9",	      "*",
	"+",	       "?",	      "{2}",   "{,2}",	      "{1,}",
	"{0,1}",       "(",	      ")",     "|",	      "^",
	"$",	       "[ab]",	      "[^a]",  "[a-z]",	      "[A-z]",
	"[0-9]",       "[-a]",	      "[]a]",  "\\w",	      "\\W",
	"\\s",	       "\\b",	      "\\B",   "\\<",	      "\\>",
	"\\1",	       "\\2",	      "\\d",   "[[:alpha:]]", "[[:upper:]]",
	"[[:digit:]]", "[[:punct:]]", "[.a.]", "\\`",	      "\\'",
	"[\\]",	       "x",	      "[_-z]", "\\D",	      "\\q",
	"\\0",	       "\\-",	      "d",
};
static const char name_bytes[] = "aAbBdDqQ-_.09xX[]\\ ";

static void test_random(void **state)
{
	char pat[64], out[DNS_ERE_OUT], err[128], name[16];
	unsigned int i, k, accepted = 0, disagree = 0;

	(void)state;
	for (i = 0; i < 20000; i++) {
		struct dns_regex *re = NULL;
		unsigned int n = 1 + rnd(6);
		regex_t g;

		pat[0] = 0;
		for (k = 0; k < n; k++)
			strncat(pat,
				pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))],
				sizeof(pat) - strlen(pat) - 1);
		if (dns_ere_translate(pat, out, sizeof(out), err, sizeof(err)))
			continue;
		/* what the dialect accepts, the C library accepts */
		if (regcomp(&g, pat, FLAGS) != 0) {
			print_error("\"%s\": translated as \"%s\", but the C "
				    "library refuses it\n",
				    pat, out);
			disagree++;
			continue;
		}
		assert_int_equal(dns_regex_compile(&re, pat, err, sizeof(err)),
				 0);
		accepted++;
		for (k = 0; k < 12; k++) {
			unsigned int len = rnd(8), m;
			bool a, b;

			for (m = 0; m < len; m++)
				name[m] =
					name_bytes[rnd(sizeof(name_bytes) - 1)];
			name[len] = 0;
			a = regexec(&g, name, 0, NULL, 0) == 0;
			b = dns_regex_match(re, name);
			if (a != b) {
				print_error("\"%s\" (\"%s\") on \"%s\": C "
					    "library %d, PCRE2 %d\n",
					    pat, out, name, a, b);
				disagree++;
			}
		}
		regfree(&g);
		dns_regex_free(re);
	}
	print_message("%u random patterns accepted and compared\n", accepted);
	assert_true(accepted > 5000);
	assert_int_equal(disagree, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_glibc),
		cmocka_unit_test(test_table_pcre2),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
