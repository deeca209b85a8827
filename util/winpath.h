/*
 * winpath.h - file paths as Windows programs get them: "C:\dir\f",
 * "C:/dir/f", and the MSYS/Git Bash forms "/c/dir/f" and "/C:/dir/f" that
 * Go code (Podman) may pass in a unix:// URL. The conversion is pure, so
 * it is unit-tested on Linux; path_native() applies it only on Windows.
 */
#ifndef QCW_WINPATH_H
#define QCW_WINPATH_H

#include <stddef.h>

/*
 * winpath_to_windows() - @in in the Windows form ("C:\dir\f", all slashes
 * backslashes, the drive letter upper case) in @out.
 * Return: 0, or -ENAMETOOLONG when it does not fit @cap (nul included).
 */
int winpath_to_windows(const char *in, char *out, size_t cap);

#endif
