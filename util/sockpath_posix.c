/*
 * sockpath_posix.c - the platform part of util/sockpath.h on POSIX:
 * lstat() (a symlink is never followed) and a non-blocking connect().
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/sockpath.h"

int sockpath_probe(const char *path, int socktype)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? SOCKPATH_NOTHING : -errno;
	if (!S_ISSOCK(st.st_mode))
		return SOCKPATH_NOT_SOCKET;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	r = r < 0 ? errno : 0;
	close(fd);
	return sockpath_connect_result(r);
}

int sockpath_remove(const char *path)
{
	return unlink(path) < 0 ? -errno : 0;
}
