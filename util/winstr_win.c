/*
 * winstr_win.c - UTF-8 to UTF-16 and Win32 errors to errno (winstr.h).
 */
#include <errno.h>
#include <winsock2.h>
#include <windows.h>

#include "util/winstr.h"

int winstr_wide(const char *s, wchar_t *out, size_t cap)
{
	int n;

	if (cap > 0x7fffffff)
		cap = 0x7fffffff;
	n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, out,
				(int)cap);
	if (n <= 0)
		return GetLastError() == ERROR_INSUFFICIENT_BUFFER
			       ? -ENAMETOOLONG
			       : -EINVAL;
	return 0;
}

int winstr_errno(unsigned long err)
{
	switch (err) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
		return ENOENT;
	case ERROR_ACCESS_DENIED:
	case WSAEACCES:
		return EACCES;
	case ERROR_ALREADY_EXISTS:
	case ERROR_FILE_EXISTS:
		return EEXIST;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
		return ENOMEM;
	case ERROR_INVALID_NAME:
	case ERROR_INVALID_PARAMETER:
	case WSAEINVAL:
		return EINVAL;
	case ERROR_FILENAME_EXCED_RANGE:
		return ENAMETOOLONG;
	case ERROR_SHARING_VIOLATION:
	case ERROR_LOCK_VIOLATION:
		return EBUSY;
	case WSAEADDRINUSE:
		return EADDRINUSE;
	case WSAECONNREFUSED:
		return ECONNREFUSED;
	case WSAEAFNOSUPPORT:
		return EAFNOSUPPORT;
	case WSAETIMEDOUT:
		return ETIMEDOUT;
	case WSAEWOULDBLOCK:
		return EAGAIN;
	case WSAECONNRESET:
		return ECONNRESET;
	case WSAENOTSOCK:
		return ENOTSOCK;
	case WSAEMFILE:
		return EMFILE;
	default:
		return EIO;
	}
}
