/*
 * transport_dgram.c - vfkit (unixgram) and BESS (seqpacket) transports
 * (see transport_dgram.h). One switch port per socket; received messages
 * are read in batches of TD_BATCH with recvmmsg into one buffer, frames to
 * send wait in a txq (referenced or copied) and leave with sendmmsg at the
 * end of the loop iteration. A full socket (EAGAIN, or ENOBUFS on macOS's
 * unixgram) keeps the frames queued until the socket is writable again;
 * the queue is bounded and reports congestion like the stream transport.
 */
#include "net/transport_dgram.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "net/frame.h"
#include "util/log.h"
#include "util/sockpath.h"
#include "net/transport_stream.h"
#include "net/txq.h"

#define TD_BATCH 32
#define TD_MSG (FRAME_MAX_LEN + 16)

struct td_port {
	struct sw_port port; /* first */
	uv_loop_t *loop;
	struct sw *sw;
	struct url url;
	int lfd; /* bess: the listening socket */
	int fd; /* the socket frames move on, -1 until known */
	bool bess, attached, closing, writable_wait;
	struct sockaddr_un peer;
	socklen_t peer_len;
	uv_poll_t lpoll, poll;
	bool lpoll_init, poll_init;
	uv_check_t flush;
	struct txq txq;
	td_closed_fn on_closed;
	void *arg;
	int handles;
	uint8_t *rx; /* TD_BATCH messages of TD_MSG bytes */
};

static void td_flush(struct td_port *p);

static void td_update_congestion(struct td_port *p)
{
	txq_report_level(&p->txq, &p->port);
}

static void td_flush_cb(uv_check_t *h)
{
	td_flush(h->data);
}

static int td_queued(struct td_port *p, int r)
{
	td_update_congestion(p);
	if (r == 0 && !p->writable_wait)
		uv_check_start(&p->flush, td_flush_cb);
	return r;
}

static int td_send(struct sw_port *port, const struct iovec *iov, int iovcnt,
		   size_t len)
{
	struct td_port *p = (struct td_port *)port;

	if (p->closing || p->fd < 0)
		return -EPIPE;
	return td_queued(p, txq_push_copy(&p->txq, NULL, 0, iov, iovcnt, len));
}

static int td_send_ref(struct sw_port *port, const uint8_t *data, size_t len,
		       const struct sw_ref *ref)
{
	struct td_port *p = (struct td_port *)port;

	if (p->closing || p->fd < 0)
		return -EPIPE;
	return td_queued(p, txq_push_ref(&p->txq, NULL, 0, data, len, ref));
}

static void td_port_flush(struct sw_port *port)
{
	td_flush((struct td_port *)port);
}

static const struct sw_port_ops td_ops = {
	.send = td_send,
	.send_ref = td_send_ref,
	.flush = td_port_flush,
};

static void td_poll_cb(uv_poll_t *h, int status, int events);

static void td_set_events(struct td_port *p)
{
	int ev = UV_READABLE | (p->writable_wait ? UV_WRITABLE : 0);

	if (p->poll_init && !p->closing)
		uv_poll_start(&p->poll, ev, td_poll_cb);
}

static void td_fail(struct td_port *p, int err)
{
	bool had = p->port.cnt.rx_frames > 0;

	if (p->closing)
		return;
	sw_port_detach(&p->port);
	p->attached = false;
	if (p->poll_init)
		uv_poll_stop(&p->poll);
	if (p->on_closed)
		p->on_closed(p->arg, err, had);
}

/* td_flush() - sendmmsg the queued frames, one message each. */
static void td_flush(struct td_port *p)
{
	struct mmsghdr msgs[TD_BATCH];
	struct iovec iov[TD_BATCH];
	size_t bytes;
	int n, i, r;

	uv_check_stop(&p->flush);
	while (txq_pending(&p->txq) && p->fd >= 0 && !p->closing) {
		n = txq_iov(&p->txq, iov, TD_BATCH, &bytes);
		memset(msgs, 0, sizeof(msgs[0]) * (size_t)n);
		for (i = 0; i < n; i++) {
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			if (!p->bess) {
				msgs[i].msg_hdr.msg_name = &p->peer;
				msgs[i].msg_hdr.msg_namelen = p->peer_len;
			}
		}
		r = sendmmsg(p->fd, msgs, (unsigned int)n, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			p->writable_wait = true;
			td_set_events(p);
			break;
		}
		if (r < 0) {
			log_warn("%s: send failed: %s", p->port.kind,
				 strerror(errno));
			td_fail(p, -errno);
			return;
		}
		for (i = 0, bytes = 0; i < r; i++)
			bytes += iov[i].iov_len;
		txq_consume(&p->txq, bytes);
	}
	td_update_congestion(p);
}

/* td_learn_peer() - vfkit: the first datagram names the peer. */
static int td_learn_peer(struct td_port *p)
{
	uint8_t magic[4];
	ssize_t n;

	p->peer_len = sizeof(p->peer);
	n = recvfrom(p->fd, magic, sizeof(magic), MSG_PEEK | MSG_TRUNC,
		     (struct sockaddr *)&p->peer, &p->peer_len);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (p->peer_len <= sizeof(sa_family_t)) {
		log_rl("vfkit: datagram from an unnamed socket ignored");
		recv(p->fd, magic, sizeof(magic), 0);
		return 0;
	}
	if (n >= 4 && !memcmp(magic, "VFKT", 4))
		recv(p->fd, magic, sizeof(magic), 0); /* old handshake */
	if (sw_port_attach(p->sw, &p->port, "vfkit") < 0)
		return -ENOSPC;
	p->attached = true;
	log_info("vfkit: peer %s",
		 p->peer.sun_path[0] ? p->peer.sun_path : "(abstract)");
	return 0;
}

static void td_read(struct td_port *p)
{
	struct mmsghdr msgs[TD_BATCH];
	struct iovec iov[TD_BATCH];
	struct sockaddr_un from[TD_BATCH];
	int n, i;

	if (!p->attached && !p->bess) {
		int r = td_learn_peer(p);

		if (r < 0) {
			td_fail(p, r);
			return;
		}
		if (!p->attached)
			return;
	}
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < TD_BATCH; i++) {
		iov[i].iov_base = p->rx + (size_t)i * TD_MSG;
		iov[i].iov_len = TD_MSG;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = p->bess ? NULL : &from[i];
		msgs[i].msg_hdr.msg_namelen = p->bess ? 0 : sizeof(from[i]);
	}
	n = recvmmsg(p->fd, msgs, TD_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno != EAGAIN)
			td_fail(p, -errno);
		return;
	}
	for (i = 0; i < n && !p->closing; i++) {
		size_t len = msgs[i].msg_len;

		if (p->bess && len == 0) {
			/* a seqpacket read of 0 bytes is the peer's EOF */
			log_info("bess: peer closed the connection");
			if (i)
				sw_input_end(&p->port);
			td_fail(p, 0);
			return;
		}
		if ((msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ||
		    len < FRAME_MIN_LEN) {
			p->port.cnt.rx_drops++;
			log_rl("%s: bad frame of %zu bytes dropped",
			       p->port.kind, len);
			continue;
		}
		sw_input(&p->port, iov[i].iov_base, len);
	}
	if (n > 0 && p->attached)
		sw_input_end(&p->port);
}

static void td_poll_cb(uv_poll_t *h, int status, int events)
{
	struct td_port *p = h->data;

	if (status < 0) {
		td_fail(p, status);
		return;
	}
	if (events & UV_WRITABLE) {
		p->writable_wait = false;
		td_set_events(p);
		td_flush(p);
	}
	if (events & UV_READABLE)
		td_read(p);
}

static int td_start_fd(struct td_port *p, int fd)
{
	int sz = 4 * 1024 * 1024;

	p->fd = fd;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	sz = 1024 * 1024;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	uv_poll_init(p->loop, &p->poll, fd);
	p->poll.data = p;
	p->poll_init = true;
	p->handles++;
	return uv_poll_start(&p->poll, UV_READABLE, td_poll_cb);
}

static void td_accept_cb(uv_poll_t *h, int status, int events)
{
	struct td_port *p = h->data;
	int fd;

	(void)events;
	if (status < 0)
		return;
	fd = accept4(p->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (p->fd >= 0) {
		log_warn("bess: already serving a peer, refusing another "
			 "connection");
		close(fd);
		return;
	}
	if (sw_port_attach(p->sw, &p->port, "bess") < 0) {
		close(fd);
		return;
	}
	p->attached = true;
	log_info("bess: new connection (switch port %d)", p->port.id);
	td_start_fd(p, fd);
}

struct td_port *td_listen(uv_loop_t *loop, struct sw *sw, const struct url *u,
			  td_closed_fn on_closed, void *arg)
{
	bool bess = u->scheme == URL_UNIXPACKET;
	int type = bess ? SOCK_SEQPACKET : SOCK_DGRAM;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct td_port *p;
	mode_t old;
	int fd, r;

	if (u->scheme != URL_UNIXPACKET && u->scheme != URL_UNIXGRAM) {
		log_err("datagram transport: unsupported address");
		return NULL;
	}
	if (strlen(u->path) >= sizeof(sa.sun_path)) {
		log_err("%s: socket path too long", u->path);
		return NULL;
	}
	r = sockpath_claim(u->path, type);
	if (r < 0) {
		log_err("%s: cannot use %s: %s", bess ? "bess" : "vfkit",
			u->path,
			r == -EADDRINUSE ? "in use by a running process"
			: r == -EEXIST	 ? "file exists and is not a socket"
					 : strerror(-r));
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->rx = malloc((size_t)TD_BATCH * TD_MSG);
	if (!p->rx ||
	    txq_init(&p->txq, 2 * 1024 * 1024, 4096, 8 * 1024 * 1024) < 0) {
		free(p->rx);
		free(p);
		return NULL;
	}
	p->loop = loop;
	p->sw = sw;
	p->url = *u;
	p->bess = bess;
	p->fd = -1;
	p->lfd = -1;
	p->on_closed = on_closed;
	p->arg = arg;
	p->port.ops = &td_ops;
	p->port.id = -1;
	p->port.kind = bess ? "bess" : "vfkit";
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, u->path);
	old = umask(0177);
	r = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r == 0 && bess)
		r = listen(fd, 4);
	if (r < 0) {
		log_err("%s: cannot listen on %s: %s", p->port.kind, u->path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		txq_fini(&p->txq);
		free(p->rx);
		free(p);
		return NULL;
	}
	uv_check_init(loop, &p->flush);
	p->flush.data = p;
	p->handles = 1;
	if (bess) {
		p->lfd = fd;
		uv_poll_init(loop, &p->lpoll, fd);
		p->lpoll.data = p;
		p->lpoll_init = true;
		p->handles++;
		uv_poll_start(&p->lpoll, UV_READABLE, td_accept_cb);
	} else {
		td_start_fd(p, fd);
	}
	return p;
}

static void td_closed_cb(uv_handle_t *h)
{
	struct td_port *p = h->data;

	if (--p->handles > 0)
		return;
	if (p->fd >= 0)
		close(p->fd);
	if (p->lfd >= 0)
		close(p->lfd);
	txq_fini(&p->txq);
	free(p->rx);
	free(p);
}

void td_close(struct td_port *p)
{
	if (!p || p->closing)
		return;
	p->closing = true;
	sw_port_detach(&p->port);
	unlink(p->url.path);
	if (p->poll_init)
		uv_close((uv_handle_t *)&p->poll, td_closed_cb);
	if (p->lpoll_init)
		uv_close((uv_handle_t *)&p->lpoll, td_closed_cb);
	uv_close((uv_handle_t *)&p->flush, td_closed_cb);
}
