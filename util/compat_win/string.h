/*
 * string.h for the Windows build (on its include path only there): the
 * CRT's, plus explicit_bzero() (secrets wiped where the compiler may not
 * drop the stores).
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

#endif
