/*
 * ssh_tunnel_posix.c - ssh_tunnel_os.h on POSIX.
 */
#include "forwarder/ssh_tunnel_os.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

/*
 * tun_sockbuf() - room for a whole SSH window (libssh grants 1.28 MB per
 * channel) in the socketpair. The splice acknowledges guest data to lwIP
 * once it is in the socket and holds little more than 64 segments while
 * the socket is full; beyond that lwIP drops segments and the guest only
 * recovers after a retransmission timeout. Without privileges the kernel
 * caps this at net.core.wmem_max.
 */
static void tun_sockbuf(int fd)
{
	int sz = TUN_SOCKBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
}

int tun_os_sock_prep(int splice_fd, int ssh_fd)
{
	tun_sockbuf(splice_fd);
	tun_sockbuf(ssh_fd);
	if (fcntl(ssh_fd, F_SETFL, fcntl(ssh_fd, F_GETFL) | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int tun_os_known_hosts(char *buf, size_t n)
{
	const char *home = getenv("HOME");

	if (!home || !*home)
		return -1;
	snprintf(buf, n, "%s/.ssh/known_hosts", home);
	return 0;
}

const char *tun_os_null_file(void)
{
	return "/dev/null";
}
