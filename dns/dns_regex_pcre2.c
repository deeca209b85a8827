/*
 * dns_regex_pcre2.c - dns_regex.h with PCRE2 (the Windows build, whose C
 * library has no regex.h; PCRE2 is Debian's source package built as a
 * subproject). The pattern is compiled in dns_ere.h's translation, which
 * spells glibc's reading of the POSIX extended regexp in PCRE2's syntax,
 * with PCRE2_CASELESS (REG_ICASE), PCRE2_DOTALL and PCRE2_DOLLAR_ENDONLY
 * (POSIX without REG_NEWLINE: '.' matches a newline, '$' only the end),
 * bytes, not UTF-8. Each regexp has its own match data, made when it is
 * compiled, so a lookup does not allocate; a match limit bounds the work
 * of one lookup, and a pattern that reaches it is matched again by
 * PCRE2's DFA matcher (no backtracking), so that the answer is still
 * glibc's; only a pattern with back references that reaches it counts
 * as no match.
 */
#include "dns/dns_regex.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the 8-bit library (the subproject also defines it, Debian's does not) */
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "dns/dns_ere.h"

#define DNS_REGEX_MATCH_LIMIT 1000000
#define DNS_REGEX_DEPTH_LIMIT 10000
#define DNS_REGEX_DFA_WS 2048 /* ints of the DFA matcher's workspace */

struct dns_regex {
	pcre2_code *code;
	pcre2_match_data *md;
	pcre2_match_context *mc;
};

int dns_regex_compile(struct dns_regex **rep, const char *pattern, char *err,
		      size_t errlen)
{
	struct dns_regex *r;
	PCRE2_SIZE off;
	char *out;
	int rc, ec;

	out = malloc(DNS_ERE_OUT);
	if (!out)
		return -ENOMEM;
	rc = dns_ere_translate(pattern, out, DNS_ERE_OUT, err, errlen);
	if (rc) {
		free(out);
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		free(out);
		return -ENOMEM;
	}
	r->code =
		pcre2_compile((PCRE2_SPTR)out, PCRE2_ZERO_TERMINATED,
			      PCRE2_CASELESS | PCRE2_DOTALL |
				      PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_UTF |
				      PCRE2_NEVER_UCP | PCRE2_NEVER_BACKSLASH_C,
			      &ec, &off, NULL);
	free(out);
	if (!r->code) {
		PCRE2_UCHAR msg[120];

		pcre2_get_error_message(ec, msg, sizeof(msg));
		snprintf(err, errlen, "%s", (const char *)msg);
		free(r);
		return ec == PCRE2_ERROR_NOMEMORY ? -ENOMEM : -EINVAL;
	}
	r->md = pcre2_match_data_create(1, NULL);
	r->mc = pcre2_match_context_create(NULL);
	if (!r->md || !r->mc) {
		dns_regex_free(r);
		return -ENOMEM;
	}
	pcre2_set_match_limit(r->mc, DNS_REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(r->mc, DNS_REGEX_DEPTH_LIMIT);
	*rep = r;
	return 0;
}

bool dns_regex_match(const struct dns_regex *r, const char *s)
{
	size_t len = strlen(s);
	int rc, ws[DNS_REGEX_DFA_WS];

	rc = pcre2_match(r->code, (PCRE2_SPTR)s, len, 0, 0, r->md, r->mc);
	if (rc != PCRE2_ERROR_MATCHLIMIT && rc != PCRE2_ERROR_DEPTHLIMIT &&
	    rc != PCRE2_ERROR_HEAPLIMIT)
		return rc >= 0;
	/*
	 * Backtracking ran out (nested quantifiers such as (.{0,2}+)*):
	 * PCRE2's DFA matcher tries every path at once, as glibc does, and
	 * answers whether there is a match at all. It has no back
	 * references: with them the limit stands, as no match.
	 */
	rc = pcre2_dfa_match(r->code, (PCRE2_SPTR)s, len, 0, 0, r->md, r->mc,
			     ws, DNS_REGEX_DFA_WS);
	return rc >= 0;
}

void dns_regex_free(struct dns_regex *r)
{
	if (!r)
		return;
	pcre2_match_context_free(r->mc);
	pcre2_match_data_free(r->md);
	pcre2_code_free(r->code);
	free(r);
}
