/*
 * sockpath.c - the one rule every unix socket listener follows for its
 * path: only a stale socket (nobody accepting) is ever replaced.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
#include "util/sockpath.h"

/*
 * The one rule for a unix socket path that qcw-net is about to bind (API
 * endpoints, forwards, SSH tunnels, the QEMU/vfkit/BESS listeners): only a
 * socket that no process answers (left by a crash) is ever removed. A
 * regular file, symlink (even to a socket), directory or FIFO is never
 * touched. The probe is a non-blocking connect(), so a live listener whose
 * backlog is full (EAGAIN) is "in use" at once instead of blocking the
 * loop; EINPROGRESS means the same.
 */
int sockpath_claim(const char *path, int socktype)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, r;

	/* libuv would bind a silently shortened path: refuse it here */
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	if (!path[0])
		return -EINVAL;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	r = r < 0 ? errno : 0;
	close(fd);
	if (r == 0 || r == EAGAIN || r == EINPROGRESS)
		return -EADDRINUSE;
	if (r != ECONNREFUSED && r != ENOENT)
		return -r;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	log_info("removed stale socket %s left by a previous run", path);
	return 0;
}

/**
 * sockpath_strerror() - the message for a sockpath_claim() error.
 * @r: its negative return value
 *
 * Return: a constant string, e.g. "file exists and is not a socket".
 */
const char *sockpath_strerror(int r)
{
	switch (r) {
	case -EADDRINUSE:
		return "in use by a running process";
	case -EEXIST:
		return "file exists and is not a socket (only a stale socket "
		       "is ever replaced)";
	case -ENAMETOOLONG:
		return "socket path too long (at most 107 bytes)";
	default:
		return strerror(-r);
	}
}
