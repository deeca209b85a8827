/*
 * path_posix.c - path.h on POSIX: paths are used as given.
 */
#include <errno.h>
#include <sys/stat.h>

#include "util/path.h"

int path_native(char *path, size_t cap)
{
	(void)path;
	(void)cap;
	return 0;
}

int path_mkdir_private(const char *dir)
{
	return mkdir(dir, 0700) < 0 ? -errno : 0;
}
