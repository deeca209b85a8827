/*
 * osock_posix.c - osock.h on POSIX: sockets are file descriptors.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "net/osock.h"

void osock_init(void)
{
}

void osock_set_timeout(int fd, unsigned int secs)
{
	struct timeval tv = {.tv_sec = secs};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

bool osock_is_tcp(int fd)
{
	return uv_guess_handle(fd) == UV_TCP;
}

int osock_dup(uv_os_fd_t h)
{
	int fd = fcntl(h, F_DUPFD_CLOEXEC, 3);

	return fd < 0 ? -errno : fd;
}

int osock_pair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0
		       ? -errno
		       : 0;
}

long osock_send(int fd, const void *buf, size_t len)
{
	ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

	return n < 0 ? -errno : (long)n;
}

long osock_recv(int fd, void *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len, 0);

	return n < 0 ? -errno : (long)n;
}

int osock_errno(void)
{
	return errno;
}

void osock_close(int fd)
{
	close(fd);
}
