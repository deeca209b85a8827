/*
 * path_posix.c - path_native() on POSIX: paths are used as given.
 */
#include "util/winpath.h"

int path_native(char *path, size_t cap)
{
	(void)path;
	(void)cap;
	return 0;
}
