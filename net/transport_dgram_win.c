/*
 * transport_dgram_win.c - the datagram transports on Windows: vfkit's
 * unixgram and BESS's unixpacket sockets are macOS and Linux peers, and
 * Windows has no AF_UNIX datagram sockets, so -listen-vfkit and
 * -listen-bess refuse to start with a clear error (transport_dgram.h).
 */
#include "net/transport_dgram.h"

#include "util/log.h"

struct td_port *td_listen(uv_loop_t *loop, struct sw *sw, const struct url *u,
			  td_closed_fn on_closed, void *arg)
{
	(void)loop;
	(void)sw;
	(void)on_closed;
	(void)arg;
	log_err("%s: %s sockets do not exist on Windows (vfkit and BESS are "
		"macOS and Linux peers)",
		u->path,
		u->scheme == URL_UNIXPACKET ? "unixpacket" : "unixgram");
	return NULL;
}

void td_close(struct td_port *p)
{
	(void)p;
}
