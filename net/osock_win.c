/*
 * osock_win.c - osock.h on Windows: sockets are Winsock SOCKETs.
 */
#include <errno.h>
#include <string.h>
#include <winsock2.h>
#include <windows.h>

#include "net/osock.h"
#include "util/winstr.h"

void osock_init(void)
{
	WSADATA wd;

	WSAStartup(MAKEWORD(2, 2), &wd); /* paired with the process's end */
}

void osock_set_timeout(int fd, unsigned int secs)
{
	DWORD ms = secs * 1000; /* Winsock takes milliseconds */

	setsockopt((SOCKET)fd, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms,
		   sizeof(ms));
	setsockopt((SOCKET)fd, SOL_SOCKET, SO_SNDTIMEO, (const char *)&ms,
		   sizeof(ms));
}

bool osock_is_tcp(int fd)
{
	(void)fd;
	return true;
}

/* the same socket again, for this process, not inherited */
int osock_dup(uv_os_fd_t h)
{
	WSAPROTOCOL_INFOW pi;
	SOCKET s;

	if (WSADuplicateSocketW((SOCKET)h, GetCurrentProcessId(), &pi) != 0)
		return -winstr_errno(WSAGetLastError());
	s = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
		       FROM_PROTOCOL_INFO, &pi, 0,
		       WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
	if (s == INVALID_SOCKET)
		return -winstr_errno(WSAGetLastError());
	return (int)s;
}

/*
 * No socketpair() on Windows: a listener on 127.0.0.1 with an ephemeral
 * port, one connect and one accept, checked to be each other's peers.
 */
int osock_pair(int sv[2])
{
	struct sockaddr_in a, b, c;
	int alen = sizeof(a), blen = sizeof(b), clen = sizeof(c);
	SOCKET l, x = INVALID_SOCKET, y = INVALID_SOCKET;
	int e = 0;

	l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	if (l == INVALID_SOCKET)
		return -winstr_errno(WSAGetLastError());
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(l, (struct sockaddr *)&a, &alen) != 0 ||
	    listen(l, 1) != 0)
		goto fail;
	x = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
		       WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
	if (x == INVALID_SOCKET ||
	    connect(x, (struct sockaddr *)&a, sizeof(a)) != 0)
		goto fail;
	y = accept(l, (struct sockaddr *)&b, &blen);
	if (y == INVALID_SOCKET ||
	    getsockname(x, (struct sockaddr *)&c, &clen) != 0)
		goto fail;
	if (b.sin_port != c.sin_port ||
	    b.sin_addr.s_addr != c.sin_addr.s_addr) {
		e = EIO; /* someone else connected first */
		goto fail;
	}
	closesocket(l);
	sv[0] = (int)x;
	sv[1] = (int)y;
	return 0;
fail:
	if (!e)
		e = winstr_errno(WSAGetLastError());
	closesocket(l);
	if (x != INVALID_SOCKET)
		closesocket(x);
	if (y != INVALID_SOCKET)
		closesocket(y);
	return -e;
}

long osock_send(int fd, const void *buf, size_t len)
{
	int n = send((SOCKET)fd, buf, (int)len, 0);

	return n < 0 ? -winstr_errno(WSAGetLastError()) : n;
}

long osock_recv(int fd, void *buf, size_t len)
{
	int n = recv((SOCKET)fd, buf, (int)len, 0);

	return n < 0 ? -winstr_errno(WSAGetLastError()) : n;
}

int osock_errno(void)
{
	int e = WSAGetLastError();

	return e ? winstr_errno(e) : errno;
}

void osock_close(int fd)
{
	closesocket((SOCKET)fd);
}
