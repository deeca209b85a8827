/*
 * netdb.h for the Windows build (on its include path only there): Winsock's
 * declarations, which cover what the portable code uses of this header.
 */
#ifndef QCW_COMPAT_WIN_NETDB_H
#define QCW_COMPAT_WIN_NETDB_H

#include <winsock2.h>
#include <ws2tcpip.h>

#endif
