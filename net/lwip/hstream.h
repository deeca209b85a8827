/*
 * hstream.h - the host side of a splice: a connected stream socket (TCP or
 * a unix socket / named pipe), its reads, writes, shutdown and close.
 *
 * POSIX (hstream_posix.c): a bare descriptor in one epoll set per splice
 * context, watched by a single uv_poll_t on the libuv loop; a connection
 * keeps its fd and a few bits, no libuv handle (an idle connection's
 * memory is mostly this). Windows (hstream_win.c): a libuv stream per
 * connection (uv_tcp_t or uv_pipe_t), as libuv's IOCP needs.
 *
 * The stream is embedded in struct splice as its member "host"; its events
 * go to splice.c through the hstream_on_*() functions below, always from
 * the loop, never from inside an hstream_*() call. hstream_on_closed() runs once,
 * after hstream_close(), from the loop (a safe point: never inside the
 * caller's stack); before it, a connect still in flight ends with
 * hstream_on_connected(UV_ECANCELED).
 */
#ifndef QCW_HSTREAM_H
#define QCW_HSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct splice;
struct hstream;

#ifdef _WIN32
union hstream_h {
	uv_handle_t h;
	uv_stream_t s;
	uv_tcp_t tcp;
	uv_pipe_t pipe;
};

struct hstream {
	union hstream_h u;
};

struct hstream_wreq;

struct hstream_ctx {
	uv_loop_t *loop;
	struct hstream_wreq *wfree; /* write requests kept for reuse */
	unsigned int n_wfree;
};
#else
struct hstream {
	int fd; /* -1 before open/connect, -2 once closed */
	uint8_t armed; /* EPOLLIN/OUT in the epoll set (lazily reduced) */
	bool pipe : 1, reading : 1, want_write : 1, connecting : 1;
	struct hstream *cnext; /* on the context's list of closed ones */
};

struct hstream_ctx {
	uv_loop_t *loop;
	int epfd;
	uv_poll_t poll; /* epfd on the libuv loop */
	struct hstream *closed; /* closed, hstream_on_closed() pending */
	struct hstream **closed_tail;
};
#endif

/* hstream_ctx_init() - 0 or -errno. */
int hstream_ctx_init(struct hstream_ctx *hc, uv_loop_t *loop);
/*
 * hstream_ctx_reap() - run hstream_on_closed() for the streams closed so
 * far (POSIX; libuv does it on Windows). Called by splice.c from the loop.
 */
void hstream_ctx_reap(struct hstream_ctx *hc);
/*
 * hstream_ctx_close() - close the context's libuv handles; returns how
 * many: each gets @cb with @data in its handle's data. After the last
 * stream was closed (and reaped).
 */
int hstream_ctx_close(struct hstream_ctx *hc, uv_close_cb cb, void *data);
/* hstream_ctx_fini() - free what the context holds; after its handles closed. */
void hstream_ctx_fini(struct hstream_ctx *hc);

void hstream_init(struct hstream *hs, struct hstream_ctx *hc, bool pipe);
/* hstream_open() - take the connected socket @fd (not closed on error). */
int hstream_open(struct hstream *hs, struct hstream_ctx *hc, int fd);
/*
 * hstream_connect() - connect a new TCP socket to @sa: 0 and later
 * hstream_on_connected(), or -errno now.
 */
int hstream_connect(struct hstream *hs, struct hstream_ctx *hc,
		    const struct sockaddr *sa);
void hstream_nodelay(struct hstream *hs);
void hstream_keepalive(struct hstream *hs, unsigned int idle_s);

/* hstream_read_start() - deliver reads through hstream_on_alloc/read(). */
int hstream_read_start(struct hstream *hs, struct hstream_ctx *hc);
void hstream_read_stop(struct hstream *hs, struct hstream_ctx *hc);

/*
 * hstream_write() - write what the socket takes now of @iov (@total
 * bytes): returns that many bytes, or -errno. When less than @total, the
 * stream takes charge of the rest and calls hstream_on_written(status,
 * n) once it can take more: n bytes of the rest went out meanwhile (all of
 * it, on Windows, where the rest is queued with libuv and @iov must stay
 * valid until then; none on POSIX, where the caller writes again).
 */
ssize_t hstream_write(struct hstream *hs, struct hstream_ctx *hc,
		      const uv_buf_t *iov, unsigned int n, size_t total);
/* hstream_shutdown() - half-close (FIN) after what was written: 0/-errno */
int hstream_shutdown(struct hstream *hs, struct hstream_ctx *hc);
/* hstream_close() - close now (@reset: RST for a TCP socket); idempotent */
void hstream_close(struct hstream *hs, struct hstream_ctx *hc, bool reset);

/* Events, implemented by splice.c. */
/* hstream_on_alloc() - where the next read goes; *@len 0: no room now */
void hstream_on_alloc(struct splice *sp, char **base, size_t *len);
/* hstream_on_read() - @n bytes at @base, or UV_EOF, UV_ENOBUFS, -errno */
void hstream_on_read(struct splice *sp, ssize_t n, char *base);
void hstream_on_written(struct splice *sp, int status, size_t n);
void hstream_on_connected(struct splice *sp, int status);
void hstream_on_closed(struct splice *sp);

#endif
