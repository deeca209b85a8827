/*
 * winstr.h - UTF-8 <-> UTF-16 for the Windows parts (*_win.c): every path
 * and message inside qcw-net is UTF-8; the wide Win32 calls take UTF-16.
 */
#ifndef QCW_WINSTR_H
#define QCW_WINSTR_H

#include <stddef.h>
#include <wchar.h>

/* winstr_wide() - @s as UTF-16 in @out (@cap wide chars). 0 or -errno. */
int winstr_wide(const char *s, wchar_t *out, size_t cap);

/* winstr_errno() - a Win32 or Winsock error code as a positive errno. */
int winstr_errno(unsigned long err);

#endif
