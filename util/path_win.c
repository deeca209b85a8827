/*
 * path_win.c - path.h on Windows: "/c/dir/f", "/C:/dir/f" and "C:/dir/f"
 * become "C:\dir\f" (see winpath.h).
 */
#include <string.h>
#include <winsock2.h>
#include <windows.h>

#include "util/path.h"
#include "util/winpath.h"
#include "util/winstr.h"

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

int path_mkdir_private(const char *dir)
{
	wchar_t w[MAX_PATH];
	int r = winstr_wide(dir, w, MAX_PATH);

	if (r < 0)
		return r;
	return CreateDirectoryW(w, NULL) ? 0 : -winstr_errno(GetLastError());
}
