/*
 * sockpath_win.c - the platform part of util/sockpath.h on Windows.
 *
 * Windows 10 1803 and later have AF_UNIX stream sockets; a bound socket
 * is a file (a reparse point tagged IO_REPARSE_TAG_AF_UNIX) that stays
 * when its owner crashes, and connecting to it then gives
 * WSAECONNREFUSED: that file is stale and is replaced. Any other file,
 * directory or link is never touched. Under wine there is no AF_UNIX:
 * socket() fails with WSAEAFNOSUPPORT and the caller says so.
 */
#include <errno.h>
#include <string.h>
#include <winsock2.h>
#include <windows.h>
#include <afunix.h>

#include "util/sockpath.h"
#include "util/winstr.h"

#ifndef IO_REPARSE_TAG_AF_UNIX
#define IO_REPARSE_TAG_AF_UNIX 0x80000023L
#endif

/* sockpath_win_kind() - SOCKPATH_NOTHING, _NOT_SOCKET, _LIVE (a socket
 * file, still to be probed) or -errno. */
static int sockpath_win_kind(const char *path)
{
	WIN32_FIND_DATAW fd;
	wchar_t w[MAX_PATH];
	HANDLE h;
	DWORD a;
	int r;

	r = winstr_wide(path, w, MAX_PATH);
	if (r < 0)
		return r;
	a = GetFileAttributesW(w);
	if (a == INVALID_FILE_ATTRIBUTES) {
		r = winstr_errno(GetLastError());
		return r == ENOENT ? SOCKPATH_NOTHING : -r;
	}
	if (!(a & FILE_ATTRIBUTE_REPARSE_POINT) ||
	    (a & FILE_ATTRIBUTE_DIRECTORY))
		return SOCKPATH_NOT_SOCKET;
	h = FindFirstFileW(w, &fd);
	if (h == INVALID_HANDLE_VALUE)
		return -winstr_errno(GetLastError());
	FindClose(h);
	return fd.dwReserved0 == (DWORD)IO_REPARSE_TAG_AF_UNIX
		       ? SOCKPATH_LIVE
		       : SOCKPATH_NOT_SOCKET;
}

/* sockpath_win_connect() - a non-blocking connect(): its WSA error. */
static int sockpath_win_connect(const char *path)
{
	struct sockaddr_un sa;
	u_long nb = 1;
	SOCKET s;
	int err = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s == INVALID_SOCKET)
		return WSAGetLastError();
	if (ioctlsocket(s, FIONBIO, &nb) != 0 ||
	    connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		err = WSAGetLastError();
	closesocket(s);
	return err;
}

/*
 * Only stream sockets exist on Windows; @socktype is not looked at. A
 * socket file is probed by connecting (Winsock started and stopped here:
 * this runs before libuv's loop, which starts it for itself).
 */
int sockpath_probe(const char *path, int socktype)
{
	WSADATA wd;
	int r, err;

	(void)socktype;
	if (strlen(path) > SOCKPATH_MAX)
		return -ENAMETOOLONG;
	r = sockpath_win_kind(path);
	if (r != SOCKPATH_LIVE)
		return r;
	if (WSAStartup(MAKEWORD(2, 2), &wd) != 0)
		return -EIO;
	err = sockpath_win_connect(path);
	WSACleanup();
	return sockpath_wsa_result(err);
}

int sockpath_remove(const char *path)
{
	wchar_t w[MAX_PATH];
	int r = winstr_wide(path, w, MAX_PATH);

	if (r < 0)
		return r;
	/* the reparse point itself, never what it might point to */
	return DeleteFileW(w) ? 0 : -winstr_errno(GetLastError());
}
