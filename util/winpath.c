/*
 * winpath.c - MSYS and forward-slash paths to Windows ones (winpath.h).
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "util/winpath.h"

static int winpath_is_drive(const char *p)
{
	return isalpha((unsigned char)p[0]) && p[1] == ':';
}

/* "/c" or "/c/..." (MSYS) but not "/cdir" */
static int winpath_is_msys_drive(const char *p)
{
	return p[0] == '/' && isalpha((unsigned char)p[1]) &&
	       (p[2] == 0 || p[2] == '/' || p[2] == '\\');
}

int winpath_to_windows(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	const char *p = in;

	if (cap == 0)
		return -ENAMETOOLONG;
	if (p[0] == '/' && winpath_is_drive(p + 1))
		p++; /* "/C:/dir" as a URL's path */
	if (winpath_is_drive(p) || winpath_is_msys_drive(p)) {
		if (cap < 3)
			return -ENAMETOOLONG;
		if (p[0] == '/')
			p++;
		out[o++] = (char)toupper((unsigned char)p[0]);
		out[o++] = ':';
		p += p[1] == ':' ? 2 : 1;
		if (*p == 0) {
			if (cap < 4)
				return -ENAMETOOLONG;
			out[o++] = '\\'; /* "/c" is the drive's root */
		}
	}
	for (; *p; p++) {
		if (o + 1 >= cap)
			return -ENAMETOOLONG;
		out[o++] = *p == '/' ? '\\' : *p;
	}
	out[o] = 0;
	return 0;
}
