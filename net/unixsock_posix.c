/*
 * unixsock_posix.c - unixsock.h on POSIX: libuv's uv_pipe_t is a unix
 * socket here (listeners and clients); bound under umask 0177, so the
 * file is 0600 from the start.
 */
#include <string.h>
#include <sys/stat.h>

#include "net/unixsock.h"

int unixsock_listen(uv_loop_t *loop, struct unixsock *x, const char *path,
		    int backlog, uv_connection_cb cb, void *data)
{
	mode_t old;
	int r;

	x->win = NULL;
	uv_pipe_init(loop, &x->u.pipe, 0);
	x->u.h.data = data;
	old = umask(0177);
	r = uv_pipe_bind(&x->u.pipe, path);
	umask(old);
	if (r == 0)
		chmod(path, 0600);
	if (r == 0)
		r = uv_listen(&x->u.s, backlog, cb);
	return r;
}

int unixsock_accept(struct unixsock *x, uv_stream_t *client)
{
	uv_pipe_init(x->u.h.loop, (uv_pipe_t *)client, 0);
	return uv_accept(&x->u.s, client);
}

void unixsock_close(struct unixsock *x, uv_close_cb cb)
{
	uv_close(&x->u.h, cb);
}

int unixsock_connect(uv_loop_t *loop, struct unixsock_connect *c,
		     uv_stream_t *client, const char *path, uv_connect_cb cb)
{
	c->cb = cb;
	c->client = client;
	uv_pipe_init(loop, (uv_pipe_t *)client, 0);
	if (strlen(path) >= sizeof(c->path))
		return UV_ENAMETOOLONG;
	/* libuv reports every failure, and a close first, through @cb */
	uv_pipe_connect(&c->req, (uv_pipe_t *)client, path, cb);
	return 0;
}

const char *unixsock_strerror(int err)
{
	return uv_strerror(err);
}
