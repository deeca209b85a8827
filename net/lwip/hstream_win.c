/*
 * hstream_win.c - hstream.h on Windows: a libuv stream per connection
 * (uv_tcp_t, or uv_pipe_t for a named pipe or unix socket), since libuv's
 * IOCP completes reads and writes into buffers it was given. What the
 * socket does not take at once is queued with one uv_write (its request
 * taken from a small cache in the context).
 */
#include "net/lwip/hstream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/lwip/splice.h"
#include "util/log.h"

#define HSTREAM_MAX_IOV 64
#define HSTREAM_WREQ_CACHE 64 /* write requests kept for reuse */

/* A write in flight: the request and the bytes it carries. */
struct hstream_wreq {
	uv_write_t req;
	struct hstream_wreq *next; /* on hc->wfree */
	struct hstream_ctx *hc;
	size_t inflight;
};

static struct splice *hstream_splice(struct hstream *hs)
{
	return splice_container_of(hs, struct splice, host);
}

int hstream_ctx_init(struct hstream_ctx *hc, uv_loop_t *loop)
{
	hc->loop = loop;
	hc->wfree = NULL;
	hc->n_wfree = 0;
	return 0;
}

void hstream_ctx_reap(struct hstream_ctx *hc)
{
	(void)hc; /* libuv's close callbacks report the closes */
}

int hstream_ctx_close(struct hstream_ctx *hc, uv_close_cb cb, void *data)
{
	(void)hc;
	(void)cb;
	(void)data;
	return 0;
}

void hstream_ctx_fini(struct hstream_ctx *hc)
{
	while (hc->wfree) {
		struct hstream_wreq *w = hc->wfree;

		hc->wfree = w->next;
		free(w);
	}
	hc->n_wfree = 0;
}

void hstream_init(struct hstream *hs, struct hstream_ctx *hc, bool pipe)
{
	if (pipe)
		uv_pipe_init(hc->loop, &hs->u.pipe, 0);
	else
		uv_tcp_init(hc->loop, &hs->u.tcp);
	hs->u.h.data = hs;
}

int hstream_open(struct hstream *hs, struct hstream_ctx *hc, int fd)
{
	(void)hc;
	return hs->u.h.type == UV_NAMED_PIPE ? uv_pipe_open(&hs->u.pipe, fd)
					     : uv_tcp_open(&hs->u.tcp, fd);
}

static void hstream_connect_cb(uv_connect_t *req, int status)
{
	struct hstream *hs = req->handle->data;

	free(req);
	hstream_on_connected(hstream_splice(hs), status);
}

int hstream_connect(struct hstream *hs, struct hstream_ctx *hc,
		    const struct sockaddr *sa)
{
	uv_connect_t *req = malloc(sizeof(*req));
	int r;

	(void)hc;
	if (!req)
		return -ENOMEM;
	r = uv_tcp_connect(req, &hs->u.tcp, sa, hstream_connect_cb);
	if (r < 0)
		free(req);
	return r;
}

void hstream_nodelay(struct hstream *hs)
{
	if (hs->u.h.type == UV_TCP)
		uv_tcp_nodelay(&hs->u.tcp, 1);
}

void hstream_keepalive(struct hstream *hs, unsigned int idle_s)
{
	if (hs->u.h.type == UV_TCP)
		uv_tcp_keepalive(&hs->u.tcp, 1, idle_s);
}

static void hstream_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	char *base = NULL;
	size_t len = 0;

	(void)suggested;
	hstream_on_alloc(hstream_splice(h->data), &base, &len);
	*buf = uv_buf_init(base, (unsigned int)len);
}

static void hstream_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	hstream_on_read(hstream_splice(s->data), n, buf ? buf->base : NULL);
}

int hstream_read_start(struct hstream *hs, struct hstream_ctx *hc)
{
	(void)hc;
	return uv_read_start(&hs->u.s, hstream_alloc_cb, hstream_read_cb);
}

void hstream_read_stop(struct hstream *hs, struct hstream_ctx *hc)
{
	(void)hc;
	uv_read_stop(&hs->u.s);
}

static void hstream_write_cb(uv_write_t *req, int status)
{
	struct hstream_wreq *w =
		splice_container_of(req, struct hstream_wreq, req);
	struct hstream *hs = req->handle->data;
	struct hstream_ctx *hc = w->hc;
	size_t inflight = w->inflight;

	if (uv_is_closing((uv_handle_t *)req->handle) ||
	    hc->n_wfree >= HSTREAM_WREQ_CACHE) {
		/* the context may be going away with the stack: no cache */
		free(w);
	} else {
		w->next = hc->wfree;
		hc->wfree = w;
		hc->n_wfree++;
	}
	hstream_on_written(hstream_splice(hs), status, inflight);
}

ssize_t hstream_write(struct hstream *hs, struct hstream_ctx *hc,
		      const uv_buf_t *iov, unsigned int n, size_t total)
{
	uv_buf_t rest[HSTREAM_MAX_IOV];
	struct hstream_wreq *w;
	unsigned int i, k = 0;
	size_t skip, queued;
	int r, done;

	done = uv_try_write(&hs->u.s, iov, n);
	if (done < 0 && done != UV_EAGAIN)
		return done;
	if (done < 0)
		done = 0;
	if ((size_t)done == total)
		return done;
	skip = (size_t)done;
	queued = 0;
	for (i = 0; i < n && k < HSTREAM_MAX_IOV; i++) {
		if (skip >= iov[i].len) {
			skip -= iov[i].len;
			continue;
		}
		rest[k++] = uv_buf_init(iov[i].base + skip,
					(unsigned int)(iov[i].len - skip));
		queued += iov[i].len - skip;
		skip = 0;
	}
	w = hc->wfree;
	if (w) {
		hc->wfree = w->next;
		hc->n_wfree--;
	} else if (!(w = malloc(sizeof(*w)))) {
		log_rl("splice: out of memory for a write, connection reset");
		return -ENOMEM;
	}
	w->hc = hc;
	/* what this write carries: pieces past HSTREAM_MAX_IOV wait */
	w->inflight = queued;
	r = uv_write(&w->req, &hs->u.s, rest, k, hstream_write_cb);
	if (r < 0) {
		free(w);
		return r;
	}
	return done;
}

static void hstream_shutdown_cb(uv_shutdown_t *req, int status)
{
	(void)status;
	free(req);
}

int hstream_shutdown(struct hstream *hs, struct hstream_ctx *hc)
{
	uv_shutdown_t *sr = malloc(sizeof(*sr));
	int r;

	(void)hc;
	if (!sr)
		return -ENOMEM;
	r = uv_shutdown(sr, &hs->u.s, hstream_shutdown_cb);
	if (r < 0)
		free(sr);
	return r;
}

static void hstream_closed_cb(uv_handle_t *h)
{
	hstream_on_closed(hstream_splice(h->data));
}

void hstream_close(struct hstream *hs, struct hstream_ctx *hc, bool reset)
{
	(void)hc;
	if (uv_is_closing(&hs->u.h))
		return;
	if (reset && hs->u.h.type == UV_TCP && uv_is_active(&hs->u.h) &&
	    uv_tcp_close_reset(&hs->u.tcp, hstream_closed_cb) == 0)
		return;
	uv_close(&hs->u.h, hstream_closed_cb);
}
