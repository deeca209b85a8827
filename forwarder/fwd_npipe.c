/*
 * fwd_npipe.c - npipe forwards to a guest TCP port (the API's expose with
 * "protocol":"npipe" and a tcp:// remote): each client of the named pipe
 * (net/npipe.h) is relayed to one end of a socket pair whose other end
 * the stack dials into the guest (fwd_splice_fd()).
 *
 * Why a relay and not the pipe handed to the stack: the stack's splice
 * takes a socket (net/osock.h: a SOCKET on Windows, opened as a uv_tcp_t),
 * and a pipe handle is not one. The relay holds one buffer per direction:
 * a read is not started again until its write has completed, so a
 * stalled reader on either side stops the other (bounded memory, as the
 * splice itself). A named pipe has no half-close: the guest's EOF ends the
 * client once its bytes are written; the client's EOF is a shutdown()
 * towards the guest.
 */
#include "forwarder/fwd_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_SUBSYS LOG_SS_FWD
#include "util/log.h"
#include "forwarder/ssh_tunnel.h"
#include "net/npipe.h"
#include "net/osock.h"

#define FWD_NP_BUF (64 * 1024)

/* one direction: reads from @from, writes to @to, one buffer in flight */
struct fwd_np_dir {
	uv_stream_t *from, *to;
	uv_write_t wreq;
	bool eof, busy;
	char buf[FWD_NP_BUF];
};

struct fwd_np_conn {
	uv_pipe_t pipe; /* the client */
	uv_tcp_t sock; /* our end of the pair towards the guest */
	uv_shutdown_t sreq;
	struct fwd_np_dir up, down; /* client -> guest, guest -> client */
	unsigned int open; /* handles not yet closed */
	bool closing;
};

static void fwd_np_closed_cb(uv_handle_t *h)
{
	struct fwd_np_conn *c = h->data;

	if (--c->open == 0)
		free(c);
}

static void fwd_np_close(struct fwd_np_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->pipe, fwd_np_closed_cb);
	uv_close((uv_handle_t *)&c->sock, fwd_np_closed_cb);
}

static void fwd_np_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b);

static void fwd_np_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct fwd_np_conn *c = h->data;
	struct fwd_np_dir *d = (uv_handle_t *)&c->pipe == h ? &c->up : &c->down;

	(void)hint;
	*b = uv_buf_init(d->buf, sizeof(d->buf));
}

static void fwd_np_write_cb(uv_write_t *req, int status)
{
	struct fwd_np_dir *d = req->data;
	struct fwd_np_conn *c = d->from->data;

	d->busy = false;
	if (c->closing)
		return;
	if (status < 0) {
		fwd_np_close(c);
		return;
	}
	uv_read_start(d->from, fwd_np_alloc_cb, fwd_np_read_cb);
}

static void fwd_np_shut_cb(uv_shutdown_t *req, int status)
{
	(void)req;
	(void)status;
}

static void fwd_np_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct fwd_np_conn *c = s->data;
	struct fwd_np_dir *d = s == (uv_stream_t *)&c->pipe ? &c->up : &c->down;
	uv_buf_t w;

	if (n == 0)
		return;
	if (n < 0) {
		uv_read_stop(s);
		if (n != UV_EOF || d == &c->down) {
			/* an error, or the guest's end: no half-close on a
			 * pipe, so the client ends (its last bytes were
			 * written: one buffer in flight at most, and the
			 * close waits for it) */
			fwd_np_close(c);
			return;
		}
		d->eof = true;
		if (c->down.eof || uv_shutdown(&c->sreq, d->to, fwd_np_shut_cb))
			fwd_np_close(c);
		return;
	}
	/* one buffer in flight: stop reading until it is written */
	uv_read_stop(s);
	w = uv_buf_init(b->base, (unsigned int)n);
	d->busy = true;
	d->wreq.data = d;
	if (uv_write(&d->wreq, d->to, &w, 1, fwd_np_write_cb) < 0) {
		d->busy = false;
		fwd_np_close(c);
	}
}

static void fwd_np_accept_cb(uv_stream_t *server, int status)
{
	struct fwd_rule *r = server->data;
	struct fwd_np_conn *c;
	int sv[2], e;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		log_rl("forwarder: out of memory for a connection");
		return;
	}
	uv_pipe_init(server->loop, &c->pipe, 0);
	uv_tcp_init(server->loop, &c->sock);
	c->pipe.data = c->sock.data = c;
	c->open = 2;
	c->up.from = c->down.to = (uv_stream_t *)&c->pipe;
	c->down.from = c->up.to = (uv_stream_t *)&c->sock;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
		fwd_np_close(c);
		return;
	}
	e = osock_pair(sv);
	if (e < 0) {
		log_rl("forwarder: npipe: socket pair: %s", strerror(-e));
		fwd_np_close(c);
		return;
	}
	if (uv_tcp_open(&c->sock, (uv_os_sock_t)sv[1]) < 0) {
		osock_close(sv[1]);
		osock_close(sv[0]);
		fwd_np_close(c);
		return;
	}
	/* the stack owns sv[0] from here, also on error */
	if (fwd_rule_splice_fd(r, sv[0]) < 0) {
		fwd_np_close(c);
		return;
	}
	uv_read_start(c->up.from, fwd_np_alloc_cb, fwd_np_read_cb);
	uv_read_start(c->down.from, fwd_np_alloc_cb, fwd_np_read_cb);
}

/*
 * fwd_listen_npipe() - an npipe rule's listener: @r->local is
 * "npipe:////./pipe/NAME"; restricted to the current user (net/npipe.h).
 */
int fwd_listen_npipe(struct fwd_rule *r, char *err, size_t errlen)
{
	struct tun_sock ts;
	int e;

	if (tun_sock_parse(r->local, &ts, err, errlen) < 0 ||
	    ts.kind != TUN_SOCK_NPIPE) {
		snprintf(err, errlen,
			 "invalid local %s: expected npipe:////./pipe/NAME",
			 r->local);
		return -EINVAL;
	}
	r->has_handle = true;
	e = npipe_listen(r->f->loop, &r->l.pipe, ts.path, 128, fwd_np_accept_cb,
			 r);
	if (e < 0)
		snprintf(err, errlen, "listen npipe %s: %s", r->local,
			 npipe_strerror(e));
	return e;
}
