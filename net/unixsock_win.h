/*
 * unixsock_win.h - Windows only: the accept thread of unixsock_win.c for
 * a listening SOCKET of another family that libuv cannot accept on
 * either (AF_HYPERV, net/hvsock_win.c). The connections come to @cb as
 * for unixsock_listen(); unixsock_accept() and unixsock_close() apply.
 */
#ifndef QCW_UNIXSOCK_WIN_H
#define QCW_UNIXSOCK_WIN_H

#include <winsock2.h>

#include "net/unixsock.h"

/*
 * unixsock_serve() - serve the bound, listening @ls (owned from now on,
 * closed on failure too). Whatever the result, @x is closed with
 * unixsock_close(). 0 or a libuv error.
 */
int unixsock_serve(uv_loop_t *loop, struct unixsock *x, SOCKET ls,
		   uv_connection_cb cb, void *data);

#endif
