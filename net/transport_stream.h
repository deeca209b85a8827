/*
 * transport_stream.h - stream frame transports: QEMU's -netdev stream /
 * socket (4-byte BE length + frame) over a unix or TCP listener, and the
 * 2-byte LE framing of vpnkit (after its handshake), stdio and /connect. Each accepted connection becomes a
 * switch port with a bounded transmit ring flushed with one write per
 * loop iteration.
 */
#ifndef QCW_TRANSPORT_STREAM_H
#define QCW_TRANSPORT_STREAM_H

#include <stdbool.h>
#include <uv.h>

#include "net/frame.h"
#include "net/switch.h"
#include "util/url.h"

struct ts_listener;

/*
 * A connection went away: @status 0 for a clean EOF, -EPROTO for bad
 * framing, another -errno for I/O errors; @had_frames tells whether the
 * peer ever sent a valid frame (a VM, rather than a probe or garbage).
 */
typedef void (*ts_closed_fn)(void *arg, struct ts_listener *l, int status,
			     bool had_frames);

struct ts_config {
	enum frame_framing framing;
	const char *kind; /* "qemu" */
	bool multi; /* accept again and several at once (else one peer) */
	size_t tx_ring; /* bytes of transmit ring per connection */
	/*
	 * vpnkit: each connection first runs vpnkit's handshake
	 * (net/vpnkit.h) offering @vpnkit_mtu, and joins the switch only
	 * once it is done; @framing must then be FRAMING_LE16.
	 */
	bool vpnkit;
	uint16_t vpnkit_mtu;
	ts_closed_fn on_closed;
	void *arg;
};

/* ts_listen() - listen on @u (unix or tcp). NULL on error (logged). */
struct ts_listener *ts_listen(uv_loop_t *loop, struct sw *sw,
			      const struct url *u, const struct ts_config *cfg);

/* ts_close() - stop listening, close connections, unlink the socket. */
void ts_close(struct ts_listener *l);

/*
 * ts_create() - a transport without a listening socket, for connections
 * handed over with ts_adopt_fd() (/connect, stdio). NULL on error.
 */
struct ts_listener *ts_create(uv_loop_t *loop, struct sw *sw,
			      const struct ts_config *cfg);

/* ts_adopt_fd() - serve an already-connected stream fd (/connect). */
int ts_adopt_fd(struct ts_listener *l, int fd);

/*
 * ts_adopt_fds() - serve a peer that reads from @rfd and writes to @wfd
 * (-listen-stdio: stdin and stdout).
 */
int ts_adopt_fds(struct ts_listener *l, int rfd, int wfd);

#endif
