/*
 * hvsock_posix.c - hvsock.h where there are no Hyper-V sockets: the
 * listener is refused with a pointer to AF_VSOCK's URL form.
 */
#include "net/hvsock.h"

int hvsock_listen(uv_loop_t *loop, struct unixsock *x,
		  const struct hvaddr_guid *service, int backlog,
		  uv_connection_cb cb, void *data)
{
	(void)service;
	(void)backlog;
	(void)cb;
	/* the caller closes @x in any case: a handle to close */
	x->win = NULL;
	uv_pipe_init(loop, &x->u.pipe, 0);
	x->u.h.data = data;
	return UV_EPROTONOSUPPORT;
}

const char *hvsock_strerror(int err)
{
	if (err == UV_EPROTONOSUPPORT)
		return "Hyper-V socket services (vsock://GUID, vsock://PORT) "
		       "exist only on Windows (AF_HYPERV); here use "
		       "vsock://:PORT (AF_VSOCK)";
	return uv_strerror(err);
}
