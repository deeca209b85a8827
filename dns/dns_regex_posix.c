/*
 * dns_regex_posix.c - dns_regex.h with the C library's POSIX regex:
 * regcomp(REG_EXTENDED | REG_ICASE | REG_NOSUB), regexec() searching the
 * whole name. dns_ere_translate() checks the pattern first, so what is
 * refused here is refused on Windows too (its translation is discarded).
 */
#include "dns/dns_regex.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>

#include "dns/dns_ere.h"

struct dns_regex {
	regex_t re;
};

int dns_regex_compile(struct dns_regex **rep, const char *pattern, char *err,
		      size_t errlen)
{
	struct dns_regex *r;
	char *out;
	int rc;

	out = malloc(DNS_ERE_OUT);
	if (!out)
		return -ENOMEM;
	rc = dns_ere_translate(pattern, out, DNS_ERE_OUT, err, errlen);
	free(out);
	if (rc)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	rc = regcomp(&r->re, pattern, REG_EXTENDED | REG_ICASE | REG_NOSUB);
	if (rc) {
		if (rc == REG_ESPACE) {
			free(r);
			return -ENOMEM;
		}
		regerror(rc, &r->re, err, errlen);
		free(r);
		return -EINVAL;
	}
	*rep = r;
	return 0;
}

bool dns_regex_match(const struct dns_regex *r, const char *s)
{
	return regexec(&r->re, s, 0, NULL, 0) == 0;
}

void dns_regex_free(struct dns_regex *r)
{
	if (!r)
		return;
	regfree(&r->re);
	free(r);
}
