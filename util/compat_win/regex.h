/*
 * regex.h for the Windows build (on its include path only there):
 * mingw-w64 has no POSIX regular expressions, so DNS zone records given
 * by "Regexp" (gvproxy's rarely used form; Podman does not send them) are
 * refused on Windows with this message instead of matching wrongly.
 */
#ifndef QCW_COMPAT_WIN_REGEX_H
#define QCW_COMPAT_WIN_REGEX_H

#include <stddef.h>
#include <stdio.h>

#define REG_EXTENDED 1
#define REG_ICASE 2
#define REG_NOSUB 4
#define REG_NEWLINE 8
#define REG_NOMATCH 1
#define REG_BADPAT 2

typedef struct {
	size_t re_nsub;
} regex_t;

typedef struct {
	long rm_so, rm_eo;
} regmatch_t;

static inline int regcomp(regex_t *re, const char *pat, int flags)
{
	(void)pat;
	(void)flags;
	re->re_nsub = 0;
	return REG_BADPAT;
}

static inline int regexec(const regex_t *re, const char *s, size_t n,
			  regmatch_t *m, int flags)
{
	(void)re;
	(void)s;
	(void)n;
	(void)m;
	(void)flags;
	return REG_NOMATCH;
}

static inline size_t regerror(int e, const regex_t *re, char *buf, size_t n)
{
	(void)e;
	(void)re;
	return (size_t)snprintf(buf, n,
				"regular expressions are not supported in "
				"the Windows build");
}

static inline void regfree(regex_t *re)
{
	(void)re;
}

#endif
