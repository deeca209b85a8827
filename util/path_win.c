/*
 * path_win.c - path_native() on Windows: "/c/dir/f", "/C:/dir/f" and
 * "C:/dir/f" become "C:\dir\f" (see winpath.h).
 */
#include <string.h>

#include "util/winpath.h"

int path_native(char *path, size_t cap)
{
	char tmp[1024];
	int r;

	if (cap > sizeof(tmp))
		cap = sizeof(tmp);
	r = winpath_to_windows(path, tmp, cap);
	if (r == 0)
		memcpy(path, tmp, strlen(tmp) + 1);
	return r;
}
