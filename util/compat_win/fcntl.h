/*
 * fcntl.h for the Windows build (on its include path only there): the
 * CRT's, plus the open() flags the portable code passes. O_CLOEXEC is the
 * CRT's "not inherited"; a path is never a symlink to follow, regular
 * files never block, and there is no controlling terminal to acquire.
 */
#ifndef QCW_COMPAT_WIN_FCNTL_H
#define QCW_COMPAT_WIN_FCNTL_H

#include_next <fcntl.h>

#ifndef O_CLOEXEC
#define O_CLOEXEC _O_NOINHERIT
#endif
#ifndef O_NOFOLLOW
#define O_NOFOLLOW 0
#endif
#ifndef O_NONBLOCK
#define O_NONBLOCK 0
#endif
#ifndef O_NOCTTY
#define O_NOCTTY 0
#endif

#endif
