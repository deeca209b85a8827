/*
 * test_dns_regex.c - the regexps of DNS zone records (dns/dns_regex.h)
 * through this platform's matcher: the C library's regex.h on Linux,
 * PCRE2 on dns_ere.h's translation in the Windows build (run as .exe
 * under wine). Every case of tests/dns_regex_cases.h must be refused or
 * match exactly the names the Linux build has always matched.
 */
#include <errno.h>
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

static void test_cases(void **state)
{
	unsigned int i, j, bad = 0;

	(void)state;
	for (i = 0; i < N_CASES; i++) {
		const struct dns_regex_case *c = &dns_regex_cases[i];
		struct dns_regex *re = NULL;
		char err[128] = "";
		int rc = dns_regex_compile(&re, c->pattern, err, sizeof(err));

		if (c->want != DNS_REGEX_OK) {
			if (rc != -EINVAL || !err[0]) {
				print_error("\"%s\": want refused, got %d\n",
					    c->pattern, rc);
				bad++;
			}
			dns_regex_free(re);
			continue;
		}
		if (rc) {
			print_error("\"%s\": refused: %s\n", c->pattern, err);
			bad++;
			continue;
		}
		assert_int_equal(strlen(c->matches), N_SUBJECTS);
		for (j = 0; j < N_SUBJECTS; j++) {
			bool want = c->matches[j] == '1';

			if (dns_regex_match(re, dns_regex_subjects[j]) !=
			    want) {
				print_error("\"%s\" on \"%s\": want %s\n",
					    c->pattern, dns_regex_subjects[j],
					    want ? "match" : "no match");
				bad++;
			}
		}
		dns_regex_free(re);
	}
	assert_int_equal(bad, 0);
}

/* the translation itself: a few spellings, the limits, the buffer */
static void test_translate(void **state)
{
	char out[DNS_ERE_OUT], err[128], big[DNS_ERE_MAX + 2];

	(void)state;
	assert_int_equal(dns_ere_translate("^web-[0-9]+$", out, sizeof(out),
					   err, sizeof(err)),
			 0);
	assert_string_equal(out, "^WEB\\x{2d}[0-9]+$");
	assert_int_equal(
		dns_ere_translate("a*+", out, sizeof(out), err, sizeof(err)),
		0);
	assert_string_equal(out, "(?:A*)+");
	assert_int_equal(
		dns_ere_translate("(?i)a", out, sizeof(out), err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "a repetition operator has nothing to repeat");
	assert_int_equal(
		dns_ere_translate("a{256}", out, sizeof(out), err, sizeof(err)),
		-EINVAL);
	/* what glibc's regcomp() would spell out until memory runs out */
	assert_int_equal(dns_ere_translate("1+++++++++++++++++++++++++++++++"
					   "+++",
					   out, sizeof(out), err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "in a row"));
	/* stacked quantifiers: glibc's compiler is exponential in them */
	assert_int_equal(dns_ere_translate(".+;??????????++++++$n", out,
					   sizeof(out), err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "more than two repetition operators in a row");
	assert_int_equal(dns_ere_translate("a+?b{2}*", out, sizeof(out), err,
					   sizeof(err)),
			 0);
	assert_int_equal(dns_ere_translate("((a{255}){255}){255}", out,
					   sizeof(out), err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(dns_ere_translate("^[a-z0-9-]{1,63}(\\.[a-z0-9-]{1,63}"
					   "){0,3}$",
					   out, sizeof(out), err, sizeof(err)),
			 0);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(
		dns_ere_translate(big, out, sizeof(out), err, sizeof(err)),
		-EINVAL);
	big[DNS_ERE_MAX] = 0;
	assert_int_equal(
		dns_ere_translate(big, out, sizeof(out), err, sizeof(err)), 0);
	/* the worst case of every byte fits DNS_ERE_OUT */
	memset(big, '-', DNS_ERE_MAX);
	assert_int_equal(
		dns_ere_translate(big, out, sizeof(out), err, sizeof(err)), 0);
	assert_int_equal(dns_ere_translate("abc", out, 4, err, sizeof(err)), 0);
	assert_int_equal(dns_ere_translate("a-c", out, 4, err, sizeof(err)),
			 -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_translate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
