/*
 * sys/un.h for the Windows build (on its include path only there):
 * struct sockaddr_un from Winsock's afunix.h (Windows 10 1803 and later).
 */
#ifndef QCW_COMPAT_WIN_SYS_UN_H
#define QCW_COMPAT_WIN_SYS_UN_H

#include <winsock2.h>
#include <afunix.h>

#endif
