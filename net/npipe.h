/*
 * npipe.h - a Windows named pipe listener on the libuv loop, for the
 * forwards whose host end is "npipe:////./pipe/NAME" (-forward-sock, the
 * API's expose with "protocol":"npipe"): gvproxy's go-winio ListenPipe.
 *
 * Windows (npipe_win.c): libuv's uv_pipe_t is a named pipe there, so
 * uv_pipe_bind() + uv_listen() serve it, many clients at once, each
 * accepted into a uv_pipe_t. The pipe is restricted to SYSTEM,
 * Administrators and the current user (gvproxy's SDDL), the counterpart of
 * the 0600 unix socket; a name another process serves is -EADDRINUSE.
 * Elsewhere (npipe_posix.c) there are no named pipes: UV_ENOTSUP.
 */
#ifndef QCW_NPIPE_H
#define QCW_NPIPE_H

#include <stdbool.h>
#include <uv.h>

/*
 * npipe_listen() - serve the pipe @name (Windows spelling, \\.\pipe\NAME)
 * with @p (initialised here; whatever the result, close it with
 * uv_close()); @cb runs for each client with @p as its server, whose data
 * is @data. Return: 0 or a libuv error (UV_EADDRINUSE: taken).
 */
int npipe_listen(uv_loop_t *loop, uv_pipe_t *p, const char *name, int backlog,
		 uv_connection_cb cb, void *data);

/* npipe_strerror() - uv_strerror(), with clear words for a taken name. */
const char *npipe_strerror(int err);

/*
 * npipe_skip_if_taken() - gvproxy skips \\.\pipe\docker_engine when
 * another engine (Docker Desktop) serves it: true for that name only.
 */
bool npipe_skip_if_taken(const char *name);

#endif
