/*
 * fmt.h - QCW_PRINTF(fmt, args): the printf format check on a function of
 * ours. mingw-w64's C99 printf (%zu, %llu, with __USE_MINGW_ANSI_STDIO) is
 * checked as gnu_printf there, the C library's printf elsewhere.
 */
#ifndef QCW_FMT_H
#define QCW_FMT_H

#include <stdio.h> /* mingw-w64 defines __MINGW_PRINTF_FORMAT in it */

#ifdef __MINGW_PRINTF_FORMAT
#define QCW_PRINTF(f, a) __attribute__((format(__MINGW_PRINTF_FORMAT, f, a)))
#else
#define QCW_PRINTF(f, a) __attribute__((format(printf, f, a)))
#endif

#endif
