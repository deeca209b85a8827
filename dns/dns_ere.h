/*
 * dns_ere.h - the regexp dialect of DNS zone records (gvproxy's "Regexp"),
 * defined once for every platform: POSIX extended regular expressions as
 * the Linux build has always read them (glibc's regcomp() with
 * REG_EXTENDED | REG_ICASE | REG_NOSUB, unanchored search, C locale),
 * and their translation into an equivalent PCRE2 pattern for the build
 * that has no POSIX regex (Windows, dns/dns_regex_pcre2.c).
 *
 * dns_ere_translate() is also the validator on Linux: a pattern is
 * accepted on both platforms or refused on both, with the same message.
 * What it refuses beyond glibc: more than DNS_ERE_MAX bytes, groups
 * nested deeper than DNS_ERE_DEPTH, interval bounds above DNS_ERE_DUP_MAX
 * (a DNS name has at most 253 characters), and patterns whose repetitions
 * glibc would spell out into more than DNS_ERE_COST_MAX items (its parse
 * tree copies a repeated item: a+ is a a*, a{3} a a a, so 35 stacked '+'
 * or three nested {255} exhaust memory in regcomp()).
 *
 * The translation (glibc's reading, as PCRE2 spells it; the caller
 * compiles with PCRE2_CASELESS | PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY and
 * no UTF): every literal byte as \x{hh}, letters folded to upper case
 * as glibc folds the pattern under REG_ICASE (which decides ranges such
 * as [_-a], an error, and [A-z], which then holds no '_'); a backslash
 * before a byte glibc gives no meaning is that byte, unfolded, so an
 * escaped lower-case letter (\d, \n) matches nothing (glibc compares it
 * with the upper-cased name) and becomes [^\x{00}-\x{ff}]; \< \> \`
 * \' become \b(?=\w), \b(?<=\w), \A, \z; a back reference \N becomes \g{N} (only to a group already closed); an
 * interval {,n} becomes {0,n}; a quantifier on a quantifier gets the
 * first one wrapped in (?:...) (PCRE2 would read a*+ as possessive);
 * [[:upper:]] and [[:lower:]] become [[:alpha:]] (glibc's rule under
 * REG_ICASE); [.c.] and [=c=] become c; a backslash in a bracket is a
 * literal backslash; an unmatched ')' is a literal. A quantifier with
 * nothing to repeat (at the start, after '(', '|' or an anchor) is an
 * error, as in glibc, so no PCRE2 extension such as (?...) or (*...) can
 * ever be spelt.
 */
#ifndef QCW_DNS_ERE_H
#define QCW_DNS_ERE_H

#include <stddef.h>

#define DNS_ERE_MAX 1024 /* bytes of a pattern */
#define DNS_ERE_DEPTH 32 /* nested groups */
#define DNS_ERE_DUP_MAX 255 /* interval bounds */
#define DNS_ERE_COST_MAX 10000 /* items glibc's tree may spell out */
#define DNS_ERE_STACKED 2 /* quantifiers in a row on one item */
/* room for any translation of a pattern of DNS_ERE_MAX bytes */
#define DNS_ERE_OUT (DNS_ERE_MAX * 16 + 16)

/*
 * dns_ere_translate() - check @ere and write its PCRE2 spelling to @out
 * (@outlen bytes, DNS_ERE_OUT always suffices), NUL-terminated.
 * Return: 0, or -EINVAL with the reason in @err (-ENOSPC: @out too small).
 */
int dns_ere_translate(const char *ere, char *out, size_t outlen, char *err,
		      size_t errlen);

#endif
