/*
 * npipe_posix.c - npipe.h where there are no Windows named pipes.
 */
#include "net/npipe.h"

int npipe_listen(uv_loop_t *loop, uv_pipe_t *p, const char *name, int backlog,
		 uv_connection_cb cb, void *data)
{
	(void)name;
	(void)backlog;
	(void)cb;
	uv_pipe_init(loop, p, 0);
	p->data = data;
	return UV_ENOTSUP;
}

const char *npipe_strerror(int err)
{
	if (err == UV_ENOTSUP)
		return "Windows named pipes are not available on this system";
	return uv_strerror(err);
}
