/*
 * slirp_dir.c - the slirp backend's private directory, and the sweep of
 * the ones left behind: a daemon killed (SIGKILL, a crash) never removes
 * its directory and the sockets of its forwards, and each start would
 * leave one more. The pid in the name says whose a directory is; one
 * whose process is gone is removed by the next daemon that starts.
 *
 * Only this user's directories are touched, never through a symbolic
 * link (the parent may be /tmp, which others write): entries are opened
 * relative to a directory descriptor opened with O_NOFOLLOW and checked
 * with fstat, and only sockets are unlinked in them.
 */
#include "net/slirp/slirp_dir.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* dir_pid() - the pid in "qcw-slirp.PID.XXXXXX", or 0 when not such. */
static pid_t dir_pid(const char *name)
{
	const char *p = name + sizeof(SLIRP_DIR_PREFIX) - 1;
	char *end;
	long v;

	if (strncmp(name, SLIRP_DIR_PREFIX, sizeof(SLIRP_DIR_PREFIX) - 1) ||
	    *p < '1' || *p > '9')
		return 0;
	errno = 0;
	v = strtol(p, &end, 10);
	if (errno || *end != '.' || v <= 0 || v > 0x3fffffff)
		return 0;
	return (pid_t)v;
}

static bool pid_gone(pid_t pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

/* sweep_one() - @name in @pfd: its sockets, then itself. */
static bool sweep_one(int pfd, const char *name)
{
	struct dirent *e;
	struct stat sb;
	DIR *d;
	int fd;

	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &sb) < 0 || !S_ISDIR(sb.st_mode) ||
	    sb.st_uid != geteuid()) {
		close(fd);
		return false;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	while ((e = readdir(d)) != NULL) {
		if (fstatat(fd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISSOCK(sb.st_mode))
			unlinkat(fd, e->d_name, 0);
	}
	closedir(d);
	return unlinkat(pfd, name, AT_REMOVEDIR) == 0;
}

int slirp_dir_sweep(const char *parent)
{
	struct dirent *e;
	int pfd, n = 0;
	DIR *d;

	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return 0;
	d = fdopendir(pfd);
	if (!d) {
		close(pfd);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		pid_t pid = dir_pid(e->d_name);

		if (pid && pid != getpid() && pid_gone(pid) &&
		    sweep_one(pfd, e->d_name))
			n++;
	}
	closedir(d);
	return n;
}

int slirp_dir_make(char *dir, size_t n, const char *parent)
{
	int w;

	slirp_dir_sweep(parent);
	w = snprintf(dir, n, "%s/" SLIRP_DIR_PREFIX "%ld.XXXXXX", parent,
		     (long)getpid());
	if (w < 0 || (size_t)w >= n)
		return -ENAMETOOLONG;
	return mkdtemp(dir) ? 0 : -errno;
}
