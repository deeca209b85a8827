/*
 * transport_stream.c - QEMU stream transport (see transport_stream.h).
 *
 * Receive: one large buffer per connection; every read may carry many
 * frames, all of which are handed to the switch before the next read, and
 * only a partial frame at the end is moved to the front.
 *
 * Transmit: frames are copied with their length prefix into a byte ring;
 * a uv_check handle flushes the ring once per loop iteration with
 * uv_try_write (one writev of at most two segments), falling back to one
 * uv_write request embedded in the connection when the socket is full.
 * The ring is bounded: past half full the port reports congestion to the
 * switch, and a full ring drops (counts) further frames.
 *
 * Ownership: a connection is freed in its close callback only.
 */
#include "net/transport_stream.h"
#include "util/sockpath.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/be.h"
#include "util/log.h"
#include "net/osock.h"
#include "net/rxchunk.h"
#include "net/unixsock.h"
#include "net/txq.h"
#include "net/vpnkit.h"

#define TS_RX_BUF (256 * 1024 + FRAME_MAX_LEN + 4)
#define TS_DEFAULT_RING (8 * 1024 * 1024) /* bytes queued per port, at most */
#define TS_COPY_RING (2 * 1024 * 1024) /* for frames that must be copied */
#define TS_SLOTS 16384
/* vpnkit: connections still in the handshake, at most (a peer that stops
 * halfway holds one until it closes; further ones are refused) */
#define TS_MAX_HANDSHAKING 16

union ts_stream {
	uv_handle_t h;
	uv_stream_t s;
	uv_pipe_t pipe;
	uv_tcp_t tcp;
	struct unixsock ux; /* a unix:// listener (net/unixsock.h) */
};

struct ts_conn {
	struct sw_port port; /* first: container_of by cast */
	struct ts_listener *l;
	union ts_stream u;
	union ts_stream wout; /* stdio: the write side (stdout) */
	uv_stream_t *out; /* &u.s, or &wout.s */
	uv_check_t flush;
	uv_write_t wreq;
	struct ts_conn *next;
	struct rxchunk *rxc; /* reads land here; the stack may keep frames */
	uint8_t *rx; /* rxc->data */
	size_t rx_len;
	struct txq txq;
	size_t tx_inflight; /* bytes in the uv_write request */
	bool writing;
	bool closing;
	bool hs_pending; /* vpnkit: handshake not done, not on the switch */
	struct vpnkit_hs hs;
	int close_status;
	int handles_open;
};

struct ts_listener {
	uv_loop_t *loop;
	struct sw *sw;
	union ts_stream u;
	struct ts_config cfg;
	struct url url;
	struct ts_conn *conns;
	unsigned int n_conns;
	unsigned int n_accepted;
	unsigned int n_handshaking; /* vpnkit: connections not done yet */
	bool listening;
	bool closing;
	bool handle_open; /* the listening handle is not closed yet */
};

static const struct sw_port_ops ts_port_ops;

static void ts_conn_flush(struct ts_conn *c);
static void ts_listener_closed_cb(uv_handle_t *h);
static void ts_flush_cb(uv_check_t *h);
static long ts_handshake(struct ts_conn *c);

static void ts_update_congestion(struct ts_conn *c)
{
	txq_report_level(&c->txq, &c->port);
}

/* ts_listener_maybe_free() - after ts_close(), once nothing refers to it */
static void ts_listener_maybe_free(struct ts_listener *l)
{
	if (l->closing && !l->handle_open && l->n_conns == 0)
		free(l);
}

static void ts_conn_closed_cb(uv_handle_t *h)
{
	struct ts_conn *c = h->data;
	struct ts_listener *l = c->l;
	struct ts_conn **pp;

	if (--c->handles_open > 0)
		return;
	for (pp = &l->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	l->n_conns--;
	if (c->hs_pending)
		l->n_handshaking--;
	rxchunk_put(c->rxc);
	txq_fini(&c->txq);
	if (!l->closing && l->cfg.on_closed)
		l->cfg.on_closed(l->cfg.arg, l, c->close_status,
				 c->port.cnt.rx_frames > 0);
	free(c);
	ts_listener_maybe_free(l);
}

static void ts_conn_close(struct ts_conn *c, int status)
{
	if (c->closing)
		return;
	c->closing = true;
	c->close_status = status;
	sw_port_detach(&c->port);
	uv_close((uv_handle_t *)&c->flush, ts_conn_closed_cb);
	uv_close(&c->u.h, ts_conn_closed_cb);
	if (c->out != &c->u.s)
		uv_close(&c->wout.h, ts_conn_closed_cb);
}

/* ts_queued() - a frame was queued: flush now or at the end of the loop. */
static int ts_queued(struct ts_conn *c, int r)
{
	ts_update_congestion(c);
	if (r < 0)
		return r;
	if (!c->writing && txq_pending(&c->txq) > c->txq.max_pending / 2)
		ts_conn_flush(c); /* large batch: do not wait for the check */
	else if (!c->writing)
		uv_check_start(&c->flush, ts_flush_cb);
	return 0;
}

static int ts_frame_ok(struct ts_conn *c, size_t len)
{
	if (c->closing)
		return -EPIPE;
	if (len > FRAME_MAX_LEN ||
	    (c->l->cfg.framing == FRAMING_LE16 && len > 0xffff))
		return -EMSGSIZE;
	return 0;
}

static int ts_port_send(struct sw_port *port, const struct iovec *iov,
			int iovcnt, size_t len)
{
	struct ts_conn *c = (struct ts_conn *)port;
	uint8_t hdr[4];
	int r = ts_frame_ok(c, len);

	if (r < 0)
		return r;
	frame_put_hdr(c->l->cfg.framing, hdr, len);
	r = txq_push_copy(&c->txq, hdr, frame_hdr_len(c->l->cfg.framing), iov,
			  iovcnt, len);
	return ts_queued(c, r);
}

/*
 * ts_port_send_ref_hdr() - the framing prefix and @hl header bytes go into
 * the queue slot (copied), @data stays referenced.
 */
_Static_assert(4 + SW_HDR_MAX <= TXQ_HDR_MAX,
	       "a slot holds the longest framing prefix and SW_HDR_MAX");

static int ts_port_send_ref_hdr(struct sw_port *port, const uint8_t *hdr,
				size_t hl, const uint8_t *data, size_t len,
				const struct sw_ref *ref)
{
	struct ts_conn *c = (struct ts_conn *)port;
	uint8_t h[TXQ_HDR_MAX];
	size_t fl = frame_hdr_len(c->l->cfg.framing);
	int r = ts_frame_ok(c, hl + len);

	if (r < 0)
		return r;
	if (fl + hl > sizeof(h))
		return -EMSGSIZE;
	frame_put_hdr(c->l->cfg.framing, h, hl + len);
	if (hl)
		memcpy(h + fl, hdr, hl);
	r = txq_push_ref(&c->txq, h, fl + hl, data, len, ref);
	return ts_queued(c, r);
}

static int ts_port_send_ref(struct sw_port *port, const uint8_t *data,
			    size_t len, const struct sw_ref *ref)
{
	return ts_port_send_ref_hdr(port, NULL, 0, data, len, ref);
}

static void ts_port_flush(struct sw_port *port)
{
	ts_conn_flush((struct ts_conn *)port);
}

static const struct sw_port_ops ts_port_ops = {
	.send = ts_port_send,
	.send_ref = ts_port_send_ref,
	.send_ref_hdr = ts_port_send_ref_hdr,
	.flush = ts_port_flush,
};

#define TS_MAX_IOV 1024

static void ts_write_cb(uv_write_t *req, int status)
{
	struct ts_conn *c = req->data;

	c->writing = false;
	if (status < 0) {
		if (!c->closing)
			log_warn("%s: write to peer failed: %s, closing "
				 "connection",
				 c->l->cfg.kind, uv_strerror(status));
		ts_conn_close(c, status);
		return;
	}
	txq_consume(&c->txq, c->tx_inflight);
	c->tx_inflight = 0;
	ts_update_congestion(c);
	if (!c->closing)
		ts_conn_flush(c);
}

/*
 * ts_conn_flush() - write what is queued: writev of up to TS_MAX_IOV
 * pieces, repeated while the socket takes everything; the rest goes into
 * the one embedded uv_write request.
 */
static void ts_conn_flush(struct ts_conn *c)
{
	struct iovec iov[TS_MAX_IOV];
	size_t bytes;
	int n, r;

	if (c->writing || c->closing)
		return;
	uv_check_stop(&c->flush);
	while (txq_pending(&c->txq)) {
		n = txq_iov(&c->txq, iov, TS_MAX_IOV, &bytes);
		r = uv_try_write(c->out, (uv_buf_t *)iov, (unsigned int)n);
		if (r < 0 && r != UV_EAGAIN) {
			log_warn("%s: write to peer failed: %s, closing "
				 "connection",
				 c->l->cfg.kind, uv_strerror(r));
			ts_conn_close(c, r);
			return;
		}
		if (r > 0)
			txq_consume(&c->txq, (size_t)r);
		if (r == (int)bytes)
			continue;
		/* the socket is full: one request for what is left now */
		n = txq_iov(&c->txq, iov, TS_MAX_IOV, &bytes);
		c->tx_inflight = bytes;
		c->writing = true;
		c->wreq.data = c;
		r = uv_write(&c->wreq, c->out, (uv_buf_t *)iov, (unsigned int)n,
			     ts_write_cb);
		if (r < 0) {
			c->writing = false;
			ts_conn_close(c, r);
			return;
		}
		break;
	}
	ts_update_congestion(c);
}

static void ts_flush_cb(uv_check_t *h)
{
	ts_conn_flush(h->data);
}

static void ts_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ts_conn *c = h->data;

	(void)suggested;
	buf->base = (char *)c->rx + c->rx_len;
	buf->len = TS_RX_BUF - c->rx_len;
}

static void ts_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ts_conn *c = s->data;
	const struct ts_config *cfg = &c->l->cfg;
	size_t off = 0, hs_off = 0;

	(void)buf;
	if (nread < 0) {
		if (nread == UV_EOF)
			log_info("%s: peer closed the connection", cfg->kind);
		else
			log_warn("%s: read from peer failed: %s", cfg->kind,
				 uv_strerror((int)nread));
		ts_conn_close(c, nread == UV_EOF ? 0 : (int)nread);
		return;
	}
	c->rx_len += (size_t)nread;
	if (c->hs_pending) {
		long r = ts_handshake(c);

		if (r < 0 || c->closing)
			return;
		off = hs_off = (size_t)r;
	}
	while (!c->closing && !c->hs_pending) {
		const uint8_t *frame;
		size_t flen;
		long r = frame_next(cfg->framing, c->rx + off, c->rx_len - off,
				    FRAME_MAX_LEN, &frame, &flen);

		if (r == 0)
			break;
		if (r < 0) {
			const uint8_t *p = c->rx + off;
			unsigned long bad =
				cfg->framing == FRAMING_BE32
					? (unsigned long)be32_get(p)
				: cfg->framing == FRAMING_LE16
					? (unsigned long)p[0] |
						  (unsigned long)p[1] << 8
					: (unsigned long)(c->rx_len - off);

			log_warn("%s: invalid frame length %lu from peer "
				 "(allowed %d..%d), closing connection",
				 cfg->kind, bad, FRAME_MIN_LEN, FRAME_MAX_LEN);
			c->port.cnt.rx_drops++;
			ts_conn_close(c, -EPROTO);
			return;
		}
		sw_input_keep(&c->port, frame, flen,
			      rxchunk_may_lend(c->rxc->pool) ? &c->rxc->ref
							     : NULL);
		off += (size_t)r;
	}
	if (off > hs_off && !c->closing)
		sw_input_end(&c->port);
	if (rxchunk_shared(c->rxc)) {
		/* frames in it are still in use: read on into a new chunk */
		struct rxchunk *n = rxchunk_new(c->rxc->pool, TS_RX_BUF);

		if (!n) {
			log_err("%s: out of memory for receive buffers, "
				"closing connection",
				cfg->kind);
			ts_conn_close(c, -ENOMEM);
			return;
		}
		memcpy(n->data, c->rx + off, c->rx_len - off);
		rxchunk_put(c->rxc);
		c->rxc = n;
		c->rx = n->data;
	} else if (off && off < c->rx_len) {
		memmove(c->rx, c->rx + off, c->rx_len - off);
	}
	c->rx_len -= off;
}

static int ts_attach(struct ts_listener *l, struct ts_conn *c);

/*
 * ts_handshake() - vpnkit: run the handshake over what was read, queue
 * its replies, join the switch when it is done. Bytes consumed, or -1 when
 * the connection was closed (bad command, no room to reply).
 */
static long ts_handshake(struct ts_conn *c)
{
	uint8_t out[VPNKIT_OUT_MAX];
	size_t off = 0, outlen;
	long r;

	while (c->hs_pending) {
		struct iovec iov;

		r = vpnkit_hs_step(&c->hs, c->rx + off, c->rx_len - off, out,
				   &outlen);
		if (r < 0) {
			log_rl("%s: unknown vpnkit command %u, closing "
			       "connection",
			       c->l->cfg.kind, c->rx[off]);
			c->port.cnt.rx_drops++;
			ts_conn_close(c, -EPROTO);
			return -1;
		}
		if (r == 0)
			break;
		off += (size_t)r;
		iov.iov_base = out;
		iov.iov_len = outlen;
		if (txq_push_copy(&c->txq, NULL, 0, &iov, 1, outlen) < 0) {
			ts_conn_close(c, -ENOBUFS);
			return -1;
		}
		ts_conn_flush(c);
		if (c->hs.state == VPNKIT_DONE) {
			log_info("%s: vpnkit handshake done: VM %s gets MAC "
				 "%02x:%02x:%02x:%02x:%02x:%02x, MTU %u",
				 c->l->cfg.kind, c->hs.uuid, c->hs.mac[0],
				 c->hs.mac[1], c->hs.mac[2], c->hs.mac[3],
				 c->hs.mac[4], c->hs.mac[5],
				 (unsigned int)c->hs.mtu);
			c->hs_pending = false;
			c->l->n_handshaking--;
			if (ts_attach(c->l, c) < 0)
				return -1;
		}
	}
	return (long)off;
}

static struct ts_conn *ts_conn_new(struct ts_listener *l)
{
	struct ts_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->l = l;
	c->rxc = rxchunk_new(sw_rxchunks(l->sw), TS_RX_BUF);
	c->port.ops = &ts_port_ops;
	c->port.id = -1;
	if (!c->rxc ||
	    txq_init(&c->txq, TS_COPY_RING, TS_SLOTS,
		     l->cfg.tx_ring ? l->cfg.tx_ring : TS_DEFAULT_RING) < 0) {
		rxchunk_put(c->rxc);
		free(c);
		return NULL;
	}
	c->rx = c->rxc->data;
	return c;
}

/* ts_attach() - @c joins the switch (closed when it has no free port). */
static int ts_attach(struct ts_listener *l, struct ts_conn *c)
{
	int r = sw_port_attach(l->sw, &c->port, l->cfg.kind);

	if (r < 0) {
		log_warn("%s: switch has no free port, closing connection",
			 l->cfg.kind);
		ts_conn_close(c, r);
	}
	return r;
}

/* ts_conn_start() - the stream handle is initialised and connected. */
static int ts_conn_start(struct ts_listener *l, struct ts_conn *c)
{
	int r;

	c->u.h.data = c;
	if (!c->out)
		c->out = &c->u.s;
	uv_check_init(l->loop, &c->flush);
	c->flush.data = c;
	c->handles_open = c->out == &c->u.s ? 2 : 3;
	c->next = l->conns;
	l->conns = c;
	l->n_conns++;
	l->n_accepted++;
	if (l->cfg.vpnkit && l->n_handshaking >= TS_MAX_HANDSHAKING) {
		log_rl("%s: %d connections have not finished the handshake, "
		       "refusing another",
		       l->cfg.kind, TS_MAX_HANDSHAKING);
		ts_conn_close(c, -EBUSY);
		return -EBUSY;
	}
	if (l->cfg.vpnkit) {
		vpnkit_hs_init(&c->hs, l->cfg.vpnkit_mtu,
			       (uint32_t)uv_hrtime() ^ l->n_accepted);
		c->hs_pending = true;
		l->n_handshaking++;
	} else {
		r = ts_attach(l, c);
		if (r < 0)
			return r;
	}
	if (l->url.scheme == URL_TCP && l->listening)
		uv_tcp_nodelay(&c->u.tcp, 1);
	uv_send_buffer_size(&c->u.h, &(int){4 * 1024 * 1024});
	uv_recv_buffer_size(&c->u.h, &(int){4 * 1024 * 1024});
	r = uv_read_start(&c->u.s, ts_alloc_cb, ts_read_cb);
	if (r < 0) {
		ts_conn_close(c, r);
		return r;
	}
	if (c->hs_pending)
		log_info("%s: new connection, vpnkit handshake", l->cfg.kind);
	else
		log_info("%s: new connection (switch port %d)", l->cfg.kind,
			 c->port.id);
	return 0;
}

static void ts_reject_cb(uv_handle_t *h)
{
	free(h);
}

/* ts_accept() - the new connection into @to (initialised in any case). */
static int ts_accept(struct ts_listener *l, uv_stream_t *server,
		     union ts_stream *to)
{
	if (l->url.scheme == URL_UNIX)
		return unixsock_accept(&l->u.ux, &to->s);
	uv_tcp_init(l->loop, &to->tcp);
	return uv_accept(server, &to->s);
}

/* ts_listener_close() - the listening handle, unix:// or tcp://. */
static void ts_listener_close(struct ts_listener *l)
{
	if (l->url.scheme == URL_UNIX)
		unixsock_close(&l->u.ux, ts_listener_closed_cb);
	else
		uv_close(&l->u.h, ts_listener_closed_cb);
}

static void ts_connection_cb(uv_stream_t *server, int status)
{
	struct ts_listener *l = server->data;
	struct ts_conn *c;
	int r;

	if (status < 0) {
		log_warn("%s: accept failed: %s", l->cfg.kind,
			 uv_strerror(status));
		return;
	}
	if (!l->cfg.multi && l->n_conns > 0) {
		/* One peer per socket, like gvproxy; refuse the extra one. */
		union ts_stream *extra = malloc(sizeof(*extra));

		if (!extra)
			return;
		if (ts_accept(l, server, extra) == 0)
			log_warn("%s: already serving a peer, refusing another "
				 "connection",
				 l->cfg.kind);
		uv_close(&extra->h, ts_reject_cb);
		return;
	}
	c = ts_conn_new(l);
	if (!c) {
		log_err("%s: out of memory for a new connection", l->cfg.kind);
		return;
	}
	r = ts_accept(l, server, &c->u);
	if (r < 0) {
		c->u.h.data = c;
		c->handles_open = 1;
		c->closing = true;
		c->next = l->conns;
		l->conns = c;
		l->n_conns++;
		uv_close(&c->u.h, ts_conn_closed_cb);
		return;
	}
	ts_conn_start(l, c);
}

static void ts_listener_closed_cb(uv_handle_t *h)
{
	struct ts_listener *l = h->data;

	l->handle_open = false;
	if (!l->closing)
		free(l); /* a listener that failed to start */
	else
		ts_listener_maybe_free(l);
}

struct ts_listener *ts_listen(uv_loop_t *loop, struct sw *sw,
			      const struct url *u, const struct ts_config *cfg)
{
	struct ts_listener *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return NULL;
	l->loop = loop;
	l->sw = sw;
	l->cfg = *cfg;
	l->url = *u;
	if (u->scheme == URL_UNIX) {
		r = sockpath_claim(u->path, SOCK_STREAM);
		if (r == -EADDRINUSE) {
			log_err("%s: %s is in use by a running process "
				"(another qcw-net or gvproxy?)",
				cfg->kind, u->path);
			goto fail_free;
		} else if (r < 0) {
			log_err("%s: cannot use %s: %s", cfg->kind, u->path,
				sockpath_strerror(r));
			goto fail_free;
		}
		r = unixsock_listen(loop, &l->u.ux, u->path, 16,
				    ts_connection_cb, l);
	} else if (u->scheme == URL_TCP) {
		struct sockaddr_storage ss;

		uv_tcp_init(loop, &l->u.tcp);
		if (u->host[0] == 0)
			r = uv_ip4_addr("0.0.0.0", u->port,
					(struct sockaddr_in *)&ss);
		else if (strchr(u->host, ':'))
			r = uv_ip6_addr(u->host, u->port,
					(struct sockaddr_in6 *)&ss);
		else
			r = uv_ip4_addr(u->host, u->port,
					(struct sockaddr_in *)&ss);
		if (r == 0)
			r = uv_tcp_bind(&l->u.tcp, (struct sockaddr *)&ss, 0);
	} else {
		log_err("%s: unsupported address scheme for a stream listener",
			cfg->kind);
		goto fail_free;
	}
	l->u.h.data = l;
	if (r == 0 && u->scheme == URL_TCP)
		r = uv_listen(&l->u.s, 16, ts_connection_cb);
	if (r < 0) {
		log_err("%s: cannot listen on %s%s: %s", cfg->kind,
			u->scheme == URL_UNIX ? "unix://" : "tcp://",
			u->scheme == URL_UNIX ? u->path : u->host,
			unixsock_strerror(r));
		ts_listener_close(l);
		return NULL;
	}
	l->listening = true;
	return l;
fail_free:
	free(l);
	return NULL;
}

void ts_close(struct ts_listener *l)
{
	struct ts_conn *c;

	if (!l || l->closing)
		return;
	l->closing = true;
	for (c = l->conns; c; c = c->next)
		ts_conn_close(c, 0);
	if (l->url.scheme == URL_UNIX && l->listening)
		unlink(l->url.path);
	if (l->listening) {
		l->handle_open = true;
		ts_listener_close(l);
	}
	/* freed when the handle and every connection are closed */
	ts_listener_maybe_free(l);
}

struct ts_listener *ts_create(uv_loop_t *loop, struct sw *sw,
			      const struct ts_config *cfg)
{
	struct ts_listener *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->loop = loop;
	l->sw = sw;
	l->cfg = *cfg;
	l->cfg.multi = true;
	l->url.scheme = URL_TCP; /* no socket file to unlink */
	return l;
}

/*
 * ts_adopt() - serve @rfd/@wfd; @sock: one socket that osock.h opens with
 * uv_tcp_open() (any TCP socket; on Windows every SOCKET, AF_HYPERV and
 * AF_UNIX too, since libuv's uv_pipe_t is a named pipe there); else
 * uv_pipe_open() (POSIX stream fds, and stdin/stdout on both).
 */
static int ts_adopt(struct ts_listener *l, int rfd, int wfd, bool sock)
{
	struct ts_conn *c = ts_conn_new(l);
	int r;

	if (!c)
		return -ENOMEM;
	if (sock)
		uv_tcp_init(l->loop, &c->u.tcp);
	else
		uv_pipe_init(l->loop, &c->u.pipe, 0);
	c->u.h.data = c;
	c->out = &c->u.s;
	if (wfd != rfd) {
		uv_pipe_init(l->loop, &c->wout.pipe, 0);
		c->wout.h.data = c;
		c->out = &c->wout.s;
	}
	r = sock ? uv_tcp_open(&c->u.tcp, (uv_os_sock_t)rfd)
		 : uv_pipe_open(&c->u.pipe, rfd);
	if (r == 0 && wfd != rfd)
		r = uv_pipe_open(&c->wout.pipe, wfd);
	if (r < 0) {
		/* the handles are in the loop: close them the normal way */
		c->handles_open = c->out == &c->u.s ? 1 : 2;
		c->closing = true;
		c->next = l->conns;
		l->conns = c;
		l->n_conns++;
		uv_close(&c->u.h, ts_conn_closed_cb);
		if (c->out != &c->u.s)
			uv_close(&c->wout.h, ts_conn_closed_cb);
		return r;
	}
	return ts_conn_start(l, c);
}

int ts_adopt_fds(struct ts_listener *l, int rfd, int wfd)
{
	return ts_adopt(l, rfd, wfd, false);
}

int ts_adopt_fd(struct ts_listener *l, int fd)
{
	return ts_adopt(l, fd, fd, osock_is_tcp(fd));
}
