/*
 * dns_regex.h - the regexps of DNS zone records ("Regexp"), the same on
 * every platform: the dialect and its checks are dns_ere.h's (POSIX
 * extended, case-insensitive, unanchored search, C locale). Linux matches
 * with the C library's regex.h (dns_regex_posix.c); the Windows build,
 * whose C library has none, with PCRE2 built from Debian's source package
 * on the translation dns_ere.h defines (dns_regex_pcre2.c). Compiling
 * allocates; matching does not.
 */
#ifndef QCW_DNS_REGEX_H
#define QCW_DNS_REGEX_H

#include <stdbool.h>
#include <stddef.h>

struct dns_regex;

/*
 * dns_regex_compile() - @pattern checked (dns_ere_translate()) and
 * compiled into *@re.
 * Return: 0, -EINVAL with the reason in @err, or -ENOMEM.
 */
int dns_regex_compile(struct dns_regex **re, const char *pattern, char *err,
		      size_t errlen);

/* dns_regex_match() - whether @re matches anywhere in @s */
bool dns_regex_match(const struct dns_regex *re, const char *s);

/* dns_regex_free() - accepts NULL */
void dns_regex_free(struct dns_regex *re);

#endif
