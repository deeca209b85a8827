/*
 * ssh_tunnel_win.c - ssh_tunnel_os.h on Windows: the session's socket
 * pair is a loopback TCP pair of Winsock SOCKETs (osock_pair()), which
 * libssh reads and writes with recv()/send() and libuv polls.
 */
#include "forwarder/ssh_tunnel_os.h"

#include <stdio.h>
#include <stdlib.h>
#include <winsock2.h>

#include "util/winstr.h"

/* tun_sockbuf() - room for a whole SSH window (see ssh_tunnel_posix.c). */
static void tun_sockbuf(int fd)
{
	int sz = TUN_SOCKBUF;

	setsockopt((SOCKET)fd, SOL_SOCKET, SO_SNDBUF, (const char *)&sz,
		   sizeof(sz));
	setsockopt((SOCKET)fd, SOL_SOCKET, SO_RCVBUF, (const char *)&sz,
		   sizeof(sz));
}

int tun_os_sock_prep(int splice_fd, int ssh_fd)
{
	u_long on = 1;

	tun_sockbuf(splice_fd);
	tun_sockbuf(ssh_fd);
	if (ioctlsocket((SOCKET)ssh_fd, FIONBIO, &on) != 0)
		return -winstr_errno(WSAGetLastError());
	return 0;
}

int tun_os_known_hosts(char *buf, size_t n)
{
	const char *home = getenv("USERPROFILE");

	if (!home || !*home)
		return -1;
	snprintf(buf, n, "%s\\.ssh\\known_hosts", home);
	return 0;
}

const char *tun_os_null_file(void)
{
	return "NUL";
}
