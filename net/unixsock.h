/*
 * unixsock.h - a unix stream socket listener on the libuv loop, for the
 * QEMU transport (-listen-qemu unix://) and the API (-listen unix://),
 * and the client side (-notification unix://).
 *
 * POSIX: a uv_pipe_t (unixsock_posix.c). Windows: libuv's uv_pipe_t is a
 * named pipe there, not an AF_UNIX socket, and its uv_tcp_t cannot listen
 * on an AF_UNIX SOCKET either (its AcceptEx path creates AF_INET/AF_INET6
 * accept sockets), so unixsock_win.c runs a blocking accept() loop on a
 * thread of its own and hands each accepted SOCKET to the loop, where
 * uv_tcp_open() makes it an ordinary libuv stream (reads and writes
 * through the IOCP as for TCP). Under wine, which has no AF_UNIX,
 * unixsock_listen() fails with UV_EAFNOSUPPORT and unixsock_strerror()
 * says so. A client connects with uv_pipe_connect() on POSIX; on
 * Windows unixsock_connect() runs a non-blocking connect() of a Winsock
 * AF_UNIX SOCKET (waited for at most UNIXSOCK_CONNECT_MS) on libuv's
 * thread pool and opens the connected SOCKET with uv_tcp_open() on the
 * loop (libuv's connect paths on Windows know only named pipes and
 * AF_INET/AF_INET6).
 *
 * The socket file is the owner's only: mode 0600 on POSIX, a protected
 * DACL with only the current user on Windows.
 */
#ifndef QCW_UNIXSOCK_H
#define QCW_UNIXSOCK_H

#include <stdint.h>
#include <uv.h>

struct unixsock_win;

struct unixsock {
	union {
		uv_handle_t h;
		uv_stream_t s;
		uv_pipe_t pipe;
		uv_tcp_t tcp;
	} u; /* first: the listener's handle (Windows: a placeholder) */
	struct unixsock_win *win; /* Windows: the accept thread */
};

/*
 * unixsock_listen() - bind @path (claimed by the caller with
 * sockpath_claim()) and listen; @cb runs on @loop for each connection
 * with &x->u.s as its server, whose data is @data. Whatever the result,
 * @x is closed with unixsock_close().
 * Return: 0 or a libuv error.
 */
int unixsock_listen(uv_loop_t *loop, struct unixsock *x, const char *path,
		    int backlog, uv_connection_cb cb, void *data);

/*
 * unixsock_accept() - take the connection @cb announced into @client
 * (room for both a uv_pipe_t and a uv_tcp_t), which is initialised on the
 * loop in every case, so a failed accept is closed as usual.
 * Return: 0 or a libuv error.
 */
int unixsock_accept(struct unixsock *x, uv_stream_t *client);

/* unixsock_close() - stop listening; @cb when the handle is closed. */
void unixsock_close(struct unixsock *x, uv_close_cb cb);

#define UNIXSOCK_CONNECT_MS 5000
#define UNIXSOCK_PATH_MAX 108 /* Windows' sun_path; POSIX's is no longer */

/*
 * struct unixsock_connect - one connect request; the callback gets &req
 * (req.data is the caller's). The rest is the platform's.
 */
struct unixsock_connect {
	uv_connect_t req;
	uv_connect_cb cb;
	uv_stream_t *client;
	uv_work_t work; /* Windows: connect() on the thread pool */
	uintptr_t sock; /* Windows: the SOCKET, once connected */
	int err;
	char path[UNIXSOCK_PATH_MAX];
};

/*
 * unixsock_connect() - connect @client (room for both a uv_pipe_t and a
 * uv_tcp_t; initialised on @loop in every case, so it is closed as usual)
 * to the unix stream socket at @path without blocking the loop. @cb runs
 * exactly once, on the loop, with 0 or a libuv error (UV_ECANCELED when
 * @client was closed first; UV_EAFNOSUPPORT on a system without AF_UNIX);
 * @c must stay valid until then.
 * Return: 0, or a libuv error (then @cb does not run).
 */
int unixsock_connect(uv_loop_t *loop, struct unixsock_connect *c,
		     uv_stream_t *client, const char *path, uv_connect_cb cb);

/* unixsock_strerror() - uv_strerror(), with a clear word for no AF_UNIX. */
const char *unixsock_strerror(int err);

#endif
