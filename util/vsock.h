/*
 * vsock.h - AF_VSOCK sockets for the endpoints libuv cannot open itself
 * (it knows unix, TCP and UDP only): a listening socket for -listen and
 * -services vsock://CID:PORT, and a connected one for the in-VM agent.
 * The caller wraps the descriptor in a uv_pipe (uv_pipe_open), which only
 * needs a stream socket. Linux only; elsewhere -EAFNOSUPPORT.
 */
#ifndef QCW_VSOCK_H
#define QCW_VSOCK_H

#include <stdint.h>

/*
 * vsock_listen() - a non-blocking, close-on-exec listening socket bound to
 * @cid (URL_VSOCK_CID_ANY for any local CID) and @port. fd or -errno:
 * -EAFNOSUPPORT when the kernel has no vsock family.
 */
int vsock_listen(uint32_t cid, uint32_t port, int backlog);

/*
 * vsock_dial() - a blocking, close-on-exec socket connected to @cid:@port
 * (CID 2 is the host). fd or -errno.
 */
int vsock_dial(uint32_t cid, uint32_t port);

/* vsock_available() - 0 when this kernel has AF_VSOCK, else -errno. */
int vsock_available(void);

/* vsock_strerror() - @err (negative errno of the above) in words. */
const char *vsock_strerror(int err);

#endif
