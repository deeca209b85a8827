/*
 * hvsock.h - a Hyper-V socket (AF_HYPERV) listener on the libuv loop for
 * -listen and -services vsock://GUID (and vsock://PORT, the same service
 * as Podman names it; util/hvaddr.h) on Windows: a stream socket of
 * protocol HV_PROTOCOL_RAW bound to the wildcard VM id and the service,
 * so any VM's connection to that service (a Linux guest's AF_VSOCK
 * connect to CID 2 and the port) reaches it.
 *
 * Windows (hvsock_win.c): libuv has no such family and its uv_tcp_t
 * accepts with AcceptEx on sockets of its own making (AF_INET/AF_INET6),
 * so the listener is served by the accept thread of net/unixsock_win.c,
 * and an accepted connection becomes a uv_tcp_t by uv_tcp_open(), like a
 * Windows AF_UNIX connection. The listener is a struct unixsock:
 * unixsock_accept() and unixsock_close() apply.
 *
 * Elsewhere (hvsock_posix.c) there are no Hyper-V sockets; Linux has
 * vsock://[CID]:PORT on AF_VSOCK instead (util/vsock.h).
 */
#ifndef QCW_HVSOCK_H
#define QCW_HVSOCK_H

#include <uv.h>

#include "net/unixsock.h"
#include "util/hvaddr.h"

/*
 * hvsock_listen() - listen on @service with @backlog; @cb runs on @loop
 * for each connection with &x->u.s as its server, whose data is @data.
 * Whatever the result, @x is closed with unixsock_close().
 * Return: 0 or a libuv error: UV_EAFNOSUPPORT where the system has no
 * AF_HYPERV (wine; Windows before 10), UV_EPROTONOSUPPORT off Windows.
 */
int hvsock_listen(uv_loop_t *loop, struct unixsock *x,
		  const struct hvaddr_guid *service, int backlog,
		  uv_connection_cb cb, void *data);

/* hvsock_strerror() - hvsock_listen()'s error in words, naming AF_HYPERV */
const char *hvsock_strerror(int err);

#endif
