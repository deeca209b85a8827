/*
 * daemon_transports.c - the daemon's frame transports as units (see
 * daemon_units.h): QEMU's stream socket, vfkit's unixgram and UML BESS's
 * unixpacket sockets, frames on stdin/stdout, and the connections the
 * control API's /connect hands over. Each one's end decides whether the
 * daemon ends with it (gvproxy: the VM leaving ends the process unless
 * -keep-serving).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd/daemon_opts.h"
#include "cmd/daemon_units.h"
#include "net/osock.h"
#include "net/stdio_fds.h"
#include "net/transport_dgram.h"
#include "net/transport_stream.h"
#include "util/log.h"
#include "util/sockpath.h"
#include "util/url.h"

/* daemon_vm_closed() - a VM's connection ended: exit, or wait for the next. */
static void daemon_vm_closed(void *arg, struct ts_listener *l, int status,
			     bool had_frames)
{
	struct daemon *d = arg;

	(void)l;
	if (d->o->keep_serving || !had_frames) {
		log_info("qemu: waiting for a new connection");
		return;
	}
	if (status == 0 || status == UV_ECONNRESET || status == UV_EOF) {
		log_info("qemu: the VM disconnected, exiting");
		daemon_stop(d, 0);
	} else {
		log_err("gvproxy exiting: qemu connection failed: %s",
			status == -EPROTO ? "invalid frame"
					  : uv_strerror(status));
		daemon_stop(d, 1);
	}
}

/* daemon_qemu_url() - -listen-qemu parsed; -EINVAL (logged) if it is not. */
static int daemon_qemu_url(const struct daemon_opts *o, struct url *u)
{
	char err[256];

	if (url_parse(o->listen_qemu, u, err, sizeof(err)) < 0) {
		log_err("invalid -listen-qemu: %s", err);
		return -EINVAL;
	}
	return 0;
}

int daemon_transports_check(const struct daemon_opts *o)
{
	struct url u;

	if (!o->listen_qemu)
		return 0;
	if (daemon_qemu_url(o, &u) < 0)
		return -EINVAL;
	/* a stale file left by a crash is replaced by the listener itself */
	if (u.scheme == URL_UNIX &&
	    sockpath_claim(u.path, SOCK_STREAM) == -EADDRINUSE) {
		log_err("qemu: %s is in use by a running process (another "
			"qcw-net or gvproxy?)",
			u.path);
		return -EADDRINUSE;
	}
	return 0;
}

/* ---- -listen-qemu: 4-byte BE length + frame, unix or tcp ---- */

static int daemon_qemu_start(struct daemon *d)
{
	struct ts_config tc = {
		.framing = FRAMING_BE32,
		.kind = "qemu",
		.multi = d->o->keep_serving,
		.on_closed = daemon_vm_closed,
		.arg = d,
	};
	struct url u;

	if (!d->o->listen_qemu)
		return 0;
	if (daemon_qemu_url(d->o, &u) < 0)
		return -EINVAL;
	d->qemu = ts_listen(&d->loop, d->sw, &u, &tc);
	if (!d->qemu)
		return -EINVAL;
	if (u.scheme == URL_UNIX)
		log_info("listening for QEMU; attach it with: -netdev "
			 "stream,id=vlan,server=off,addr.type=unix,"
			 "addr.path=%s -device "
			 "virtio-net-pci,netdev=vlan,mac=5a:94:ef:e4:"
			 "0c:ee",
			 u.path);
	else
		log_info("listening for QEMU; attach it with: -netdev "
			 "stream,id=vlan,server=off,addr.type=inet,"
			 "addr.host=%s,addr.port=%d -device "
			 "virtio-net-pci,netdev=vlan,mac=5a:94:ef:e4:"
			 "0c:ee",
			 u.host[0] ? u.host : "127.0.0.1", u.port);
	return 0;
}

static void daemon_qemu_stop(struct daemon *d)
{
	ts_close(d->qemu);
	d->qemu = NULL;
}

const struct daemon_unit daemon_qemu = {"qemu", daemon_qemu_start,
					daemon_qemu_stop};

/* ---- -listen-vfkit unixgram:// and -listen-bess unixpacket:// ---- */

static void daemon_dgram_closed(void *arg, int status, bool had_frames)
{
	daemon_vm_closed(arg, NULL, status, had_frames);
}

/* daemon_dgram_start() - one datagram socket; @flag names it in errors. */
static int daemon_dgram_start(struct daemon *d, const char *spec,
			      enum url_scheme want, const char *flag,
			      struct td_port **out)
{
	char err[256];
	struct url u;

	if (!spec)
		return 0;
	if (url_parse(spec, &u, err, sizeof(err)) < 0 || u.scheme != want) {
		log_err("%s must be %s://path", flag,
			want == URL_UNIXGRAM ? "unixgram" : "unixpacket");
		return -EINVAL;
	}
	*out = td_listen(&d->loop, d->sw, &u, daemon_dgram_closed, d);
	return *out ? 0 : -EINVAL;
}

static int daemon_vfkit_start(struct daemon *d)
{
	return daemon_dgram_start(d, d->o->listen_vfkit, URL_UNIXGRAM,
				  "-listen-vfkit", &d->vfkit);
}

static void daemon_vfkit_stop(struct daemon *d)
{
	td_close(d->vfkit);
	d->vfkit = NULL;
}

const struct daemon_unit daemon_vfkit = {"vfkit", daemon_vfkit_start,
					 daemon_vfkit_stop};

static int daemon_bess_start(struct daemon *d)
{
	return daemon_dgram_start(d, d->o->listen_bess, URL_UNIXPACKET,
				  "-listen-bess", &d->bess);
}

static void daemon_bess_stop(struct daemon *d)
{
	td_close(d->bess);
	d->bess = NULL;
}

const struct daemon_unit daemon_bess = {"bess", daemon_bess_start,
					daemon_bess_stop};

/*
 * ---- -listen-stdio: frames with hyperkit's 2-byte LE framing on
 * stdin/stdout (WSL's gvforwarder runs gvproxy.exe this way); the log
 * stays on stderr or the log file. Exits when stdin ends. ----
 */

/*
 * daemon_stdio_closed() - stdin ended: there is no next peer, so the
 * daemon ends whether or not a frame came (-keep-serving too): status 0
 * at EOF (gvforwarder went away), 1 on a read error or a bad frame.
 */
static void daemon_stdio_closed(void *arg, struct ts_listener *l, int status,
				bool had_frames)
{
	struct daemon *d = arg;

	(void)l;
	(void)had_frames;
	if (status == 0 || status == UV_EOF || status == UV_ECONNRESET ||
	    status == UV_EPIPE) {
		log_info("stdio: stdin closed, exiting");
		daemon_stop(d, 0);
	} else {
		log_err("gvproxy exiting: stdio failed: %s",
			status == -EPROTO ? "invalid frame"
					  : uv_strerror(status));
		daemon_stop(d, 1);
	}
}

/*
 * daemon_stdio_start() - stdin and stdout as one frame transport, through
 * libuv's uv_pipe_open(), or on Windows through a relay where they are
 * not pipes libuv can open (net/stdio_fds.h). Nothing else writes to
 * stdout: the log is on stderr or -log-file.
 */
static int daemon_stdio_start(struct daemon *d)
{
	struct ts_config tc = {
		.framing = FRAMING_LE16,
		.kind = "stdio",
		.on_closed = daemon_stdio_closed,
		.arg = d,
	};
	int r, rfd, wfd;

	if (!d->o->listen_stdio || !*d->o->listen_stdio)
		return 0;
	d->stdio = ts_create(&d->loop, d->sw, &tc);
	if (!d->stdio)
		return -ENOMEM;
	r = stdio_frames_open(&rfd, &wfd);
	if (r < 0) {
		log_err("stdio: cannot use stdin/stdout for frames: %s",
			strerror(-r));
		return r;
	}
	r = rfd == wfd ? ts_adopt_fd(d->stdio, rfd)
		       : ts_adopt_fds(d->stdio, rfd, wfd);
	if (r < 0) {
		log_err("stdio: cannot use stdin/stdout for frames (they "
			"must be pipes or sockets): %s",
			uv_strerror(r));
		return r;
	}
	log_info("stdio: frames on stdin/stdout (2-byte little-endian "
		 "length)");
	return 0;
}

static void daemon_stdio_stop(struct daemon *d)
{
	ts_close(d->stdio);
	d->stdio = NULL;
}

const struct daemon_unit daemon_stdio = {"stdio", daemon_stdio_start,
					 daemon_stdio_stop};

/*
 * ---- -listen-vpnkit: hyperkit's vpnkit protocol (net/vpnkit.h: its
 * handshake, then 2-byte LE frames), several VMs, each reconnecting at
 * will; a VM leaving does not end the daemon (gvproxy accepts again). ----
 */

static void daemon_vpnkit_closed(void *arg, struct ts_listener *l, int status,
				 bool had_frames)
{
	(void)arg;
	(void)l;
	if (had_frames)
		log_info("vpnkit: a VM disconnected (%s)",
			 status == 0 ? "EOF" : uv_strerror(status));
	else
		log_rl("vpnkit: a connection ended before any frame (%s)",
		       status == 0 ? "EOF" : uv_strerror(status));
}

static int daemon_vpnkit_start(struct daemon *d)
{
	struct ts_config tc = {
		.framing = FRAMING_LE16,
		.kind = "vpnkit",
		.multi = true,
		.on_closed = daemon_vpnkit_closed,
		.arg = d,
		.vpnkit = true,
		.vpnkit_mtu = (uint16_t)d->o->mtu,
	};
	char err[256];
	struct url u;

	if (!d->o->listen_vpnkit)
		return 0;
	if (url_parse(d->o->listen_vpnkit, &u, err, sizeof(err)) < 0 ||
	    (u.scheme != URL_UNIX && u.scheme != URL_TCP)) {
		log_err("invalid -listen-vpnkit %s: use unix:///path or "
			"tcp://host:port",
			d->o->listen_vpnkit);
		return -EINVAL;
	}
	d->vpnkit = ts_listen(&d->loop, d->sw, &u, &tc);
	return d->vpnkit ? 0 : -EINVAL;
}

static void daemon_vpnkit_stop(struct daemon *d)
{
	ts_close(d->vpnkit);
	d->vpnkit = NULL;
}

const struct daemon_unit daemon_vpnkit = {"vpnkit", daemon_vpnkit_start,
					  daemon_vpnkit_stop};

/*
 * ---- /connect: the hijacked sockets of the control API with gvproxy's
 * configured protocol framing, several VMs at once. A VM leaving does not
 * end the daemon. ----
 */

/*
 * daemon_connect_framing() - gvproxy's rule (cmd/gvproxy config: the
 * stack protocol is hyperkit, then qemu, bess, vfkit in that order, the
 * last one given winning): 2-byte LE by default, QEMU's 4-byte BE with
 * -listen-qemu, no length prefix at all (one read is one frame) with
 * -listen-bess or -listen-vfkit. -services never serves /connect.
 */
enum frame_framing daemon_connect_framing(const struct daemon_opts *o)
{
	if (o->listen_vfkit || o->listen_bess)
		return FRAMING_RAW;
	if (o->listen_qemu)
		return FRAMING_BE32;
	return FRAMING_LE16;
}

static void daemon_connect_closed(void *arg, struct ts_listener *l, int status,
				  bool had_frames)
{
	(void)arg;
	(void)l;
	(void)had_frames;
	log_info("/connect: a VM disconnected (%s)",
		 status == 0 ? "EOF" : uv_strerror(status));
}

static int daemon_connect_start(struct daemon *d)
{
	struct ts_config tc = {
		.framing = daemon_connect_framing(d->o),
		.kind = "connect",
		.multi = true,
		.on_closed = daemon_connect_closed,
		.arg = d,
	};

	if (!d->o->listen.n)
		return 0; /* only -listen endpoints serve /connect */
	d->connect = ts_create(&d->loop, d->sw, &tc);
	if (!d->connect)
		return -ENOMEM;
	log_info("/connect framing: %s",
		 tc.framing == FRAMING_LE16   ? "2-byte little-endian length"
		 : tc.framing == FRAMING_BE32 ? "4-byte big-endian length "
						"(-listen-qemu)"
					      : "none, one frame per read "
						"(-listen-bess/-listen-vfkit)");
	return 0;
}

static void daemon_connect_stop(struct daemon *d)
{
	ts_close(d->connect);
	d->connect = NULL;
}

const struct daemon_unit daemon_connect = {"connect", daemon_connect_start,
					   daemon_connect_stop};

void daemon_connect_fd(void *arg, int fd)
{
	struct daemon *d = arg;
	int r = d->connect ? ts_adopt_fd(d->connect, fd) : -ENOMEM;

	if (r < 0) {
		log_err("/connect: cannot serve the connection: %s",
			uv_strerror(r));
		osock_close(fd);
	}
}
