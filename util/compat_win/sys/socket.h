/*
 * sys/socket.h for the Windows build (on its include path only there): Winsock's
 * declarations, which cover what the portable code uses of this header.
 */
#ifndef QCW_COMPAT_WIN_SYS_SOCKET_H
#define QCW_COMPAT_WIN_SYS_SOCKET_H

#include <winsock2.h>
#include <ws2tcpip.h>

/* not inherited by children is what qcw-net wants everywhere; Windows
 * has no SIGPIPE to suppress */
#ifndef SOCK_CLOEXEC
#define SOCK_CLOEXEC 0
#endif
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif
typedef unsigned short sa_family_t;

#endif
