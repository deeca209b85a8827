/*
 * string.h for the Windows build (on its include path only there): the
 * CRT's, plus explicit_bzero() (secrets wiped where the compiler may not
 * drop the stores) and memmem().
 */
#ifndef QCW_COMPAT_WIN_STRING_H
#define QCW_COMPAT_WIN_STRING_H

#include_next <string.h>

static inline void explicit_bzero(void *p, size_t n)
{
	volatile unsigned char *v = (volatile unsigned char *)p;

	while (n--)
		*v++ = 0;
}

static inline void *memmem(const void *h, size_t hl, const void *n, size_t nl)
{
	const unsigned char *p = (const unsigned char *)h;
	size_t i;

	if (nl == 0)
		return (void *)p;
	for (i = 0; nl <= hl && i <= hl - nl; i++)
		if (p[i] == *(const unsigned char *)n && !memcmp(p + i, n, nl))
			return (void *)(p + i);
	return NULL;
}

#endif
