/*
 * osock.h - a host stream socket handed between modules as an int (the
 * port forwarder's accepted connections to the stack, the API's hijacked
 * /connect and /tunnel connections, the stack's gateway listeners to
 * their owners). POSIX (osock_posix.c): any stream fd, a unix socket
 * (uv_pipe_t) or TCP (uv_tcp_t). Windows (osock_win.c): a Winsock SOCKET
 * (its handle value fits an int), always opened as a uv_tcp_t, since
 * libuv's uv_pipe_t is a named pipe there and close() is not closesocket().
 */
#ifndef QCW_OSOCK_H
#define QCW_OSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

/* osock_init() - once per process before any socket (Windows: Winsock,
 * which libuv starts only with a loop; the CLI has none). */
void osock_init(void);

/* osock_is_tcp() - open @fd with uv_tcp_open() (else uv_pipe_open()). */
bool osock_is_tcp(int fd);

/* osock_dup() - a new descriptor of a handle's socket (uv_fileno()), not
 * inherited by children. The new one or -errno. */
int osock_dup(uv_os_fd_t h);

/* osock_pair() - two connected stream sockets (socketpair() on POSIX, a
 * loopback TCP pair on Windows). 0 or -errno. */
int osock_pair(int sv[2]);

/* osock_send() - a few bytes on a blocking or fresh socket, no SIGPIPE.
 * The bytes sent or -errno. */
long osock_send(int fd, const void *buf, size_t len);

/* osock_set_timeout() - blocking sends and receives give up after @secs. */
void osock_set_timeout(int fd, unsigned int secs);

/* osock_recv() - bytes received (0: end) or -errno. */
long osock_recv(int fd, void *buf, size_t len);

/* osock_errno() - the error of the last failed socket call, as errno. */
int osock_errno(void);

/* osock_close() - close a socket that no handle owns yet. */
void osock_close(int fd);

#endif
