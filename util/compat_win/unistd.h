/*
 * unistd.h for the Windows build (on its include path only there):
 * mingw-w64's, plus sysconf() for the page size (metrics).
 */
#ifndef QCW_COMPAT_WIN_UNISTD_H
#define QCW_COMPAT_WIN_UNISTD_H

#include_next <unistd.h>

#ifndef _SC_PAGESIZE
#define _SC_PAGESIZE 30
static inline long sysconf(int name)
{
	return name == _SC_PAGESIZE ? 4096 : -1;
}
#endif

#endif
