/*
 * test_hstream.c - hstream_posix.c against real sockets (socket pairs and
 * loopback TCP of the test process) on a real libuv loop: connects that
 * succeed and are refused, reads that stop when paused (EPOLLIN leaves
 * the kernel's epoll set, read from /proc/self/fdinfo, and the loop does
 * not spin), a write larger than the socket buffers that waits for
 * EPOLLOUT and ends with every byte in order, half-close and the peer's
 * EOF, a close that reports from the loop and never again, and a stream
 * closed by another's callback of the same epoll batch whose own event in
 * that batch is skipped. The test is the stream's owner: it implements
 * the hstream_on_*() events splice.c implements in the program.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "net/lwip/hstream.h"
#include "net/lwip/splice.h"

#define T_BUF 4096

/* one stream and what it saw */
struct tconn {
	struct splice sp; /* hstream_posix.c finds the stream in sp.host */
	struct hstream_ctx *hc;
	char buf[T_BUF];
	size_t alloc_len; /* what on_alloc offers */
	uint8_t *rx; /* bytes read, in order */
	size_t rx_n, rx_cap;
	unsigned int n_alloc, n_read, n_eof, n_err, n_nobufs;
	unsigned int n_written, n_connected, n_closed;
	int last_err, written_status, conn_status;
	size_t written_n;
	bool closed_by_test; /* hstream_close() was called */
	unsigned int after_close; /* events after hstream_close(): none */
	unsigned int seq_connected, seq_closed, seq_read; /* event order */
	bool stop_on_eof; /* hstream_read_stop() on EOF, as splice.c */
	struct tconn *close_on_read; /* hstream_close() it in on_read */
	bool free_on_closed; /* heap allocated: freed in on_closed */
};

static unsigned int seq;
static uv_loop_t loop;
static uv_timer_t tick;
static uv_check_t reaper;
static struct hstream_ctx hc;
static unsigned int iterations;
static struct tconn freed; /* a copy of the last one freed on close */

static struct tconn *tconn_of(struct splice *sp)
{
	return splice_container_of(sp, struct tconn, sp);
}

void hstream_on_alloc(struct splice *sp, char **base, size_t *len)
{
	struct tconn *t = tconn_of(sp);

	if (t->closed_by_test)
		t->after_close++;
	t->n_alloc++;
	*base = t->buf;
	*len = t->alloc_len;
}

void hstream_on_read(struct splice *sp, ssize_t n, char *base)
{
	struct tconn *t = tconn_of(sp);

	if (t->closed_by_test)
		t->after_close++;
	t->seq_read = ++seq;
	if (n > 0) {
		assert_ptr_equal(base, t->buf);
		assert_true((size_t)n <= t->alloc_len);
		if (t->rx_n + (size_t)n > t->rx_cap) {
			t->rx_cap = (t->rx_n + (size_t)n) * 2;
			t->rx = realloc(t->rx, t->rx_cap);
			assert_non_null(t->rx);
		}
		memcpy(t->rx + t->rx_n, base, (size_t)n);
		t->rx_n += (size_t)n;
		t->n_read++;
	} else if (n == UV_EOF) {
		t->n_eof++;
		if (t->stop_on_eof)
			hstream_read_stop(&t->sp.host, t->hc);
	} else if (n == UV_ENOBUFS) {
		t->n_nobufs++;
	} else {
		t->n_err++;
		t->last_err = (int)n;
	}
	if (t->close_on_read) {
		t->close_on_read->closed_by_test = true;
		hstream_close(&t->close_on_read->sp.host, t->hc, false);
		t->close_on_read = NULL;
	}
}

void hstream_on_written(struct splice *sp, int status, size_t n)
{
	struct tconn *t = tconn_of(sp);

	if (t->closed_by_test)
		t->after_close++;
	t->n_written++;
	t->written_status = status;
	t->written_n = n;
}

void hstream_on_connected(struct splice *sp, int status)
{
	struct tconn *t = tconn_of(sp);

	/* a connect in flight at close ends with UV_ECANCELED (hstream.h) */
	if (t->closed_by_test && status != UV_ECANCELED)
		t->after_close++;
	t->n_connected++;
	t->conn_status = status;
	t->seq_connected = ++seq;
}

void hstream_on_closed(struct splice *sp)
{
	struct tconn *t = tconn_of(sp);

	assert_true(t->closed_by_test);
	t->n_closed++;
	t->seq_closed = ++seq;
	if (t->free_on_closed) {
		freed = *t; /* what it saw, for the test to look at */
		free(t->rx);
		free(t); /* as an owner does: a later touch is a use after free */
	}
}

static void tconn_init(struct tconn *t, bool pipe)
{
	memset(t, 0, sizeof(*t));
	t->hc = &hc;
	t->alloc_len = T_BUF;
	hstream_init(&t->sp.host, &hc, pipe);
}

static void tconn_close(struct tconn *t)
{
	t->closed_by_test = true;
	hstream_close(&t->sp.host, &hc, false);
}

static void tconn_fini(struct tconn *t)
{
	free(t->rx);
	t->rx = NULL;
}

static void tick_cb(uv_timer_t *h)
{
	(void)h;
}

/* as splice.c's check: closed streams reported from the loop */
static void reap_cb(uv_check_t *h)
{
	(void)h;
	iterations++;
	hstream_ctx_reap(&hc);
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(hstream_ctx_init(&hc, &loop), 0);
	/* keeps the loop waiting at most 2 ms (the poll handle is unref'd) */
	uv_timer_init(&loop, &tick);
	uv_timer_start(&tick, tick_cb, 2, 2);
	uv_check_init(&loop, &reaper);
	uv_check_start(&reaper, reap_cb);
	seq = 0;
	return 0;
}

static void ctx_closed_cb(uv_handle_t *h)
{
	int *left = h->data;

	(*left)--;
}

static int teardown(void **state)
{
	int left;

	(void)state;
	hstream_ctx_reap(&hc);
	left = hstream_ctx_close(&hc, ctx_closed_cb, &left);
	uv_close((uv_handle_t *)&tick, NULL);
	uv_close((uv_handle_t *)&reaper, NULL);
	while (uv_run(&loop, UV_RUN_DEFAULT))
		;
	assert_int_equal(left, 0);
	hstream_ctx_fini(&hc);
	assert_int_equal(uv_loop_close(&loop), 0);
	return 0;
}

/* run_for() - run the loop for about @ms milliseconds */
static void run_for(unsigned int ms)
{
	uint64_t end;

	uv_update_time(&loop);
	end = uv_now(&loop) + ms;
	while (uv_now(&loop) < end)
		uv_run(&loop, UV_RUN_ONCE);
}

/* run_until() - run the loop until *@what >= @n (5 s at most) */
static void run_until(const unsigned int *what, unsigned int n)
{
	uint64_t end;

	uv_update_time(&loop);
	end = uv_now(&loop) + 5000;
	while (*what < n && uv_now(&loop) < end)
		uv_run(&loop, UV_RUN_ONCE);
	assert_true(*what >= n);
}

/* the events @fd is registered for in epoll set @epfd, -1 if not in it */
static int epoll_events_of(int epfd, int fd)
{
	char path[64], line[256];
	int ev = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", epfd);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		int tfd;
		unsigned int e;

		if (sscanf(line, "tfd: %d events: %x", &tfd, &e) == 2 &&
		    tfd == fd)
			ev = (int)e;
	}
	fclose(f);
	return ev;
}

/* in_set() - @fd is in the context's epoll set for @bit */
static bool in_set(int fd, int bit)
{
	int e = epoll_events_of(hc.epfd, fd);

	return e > 0 && (e & bit);
}

static void set_timeout(int fd)
{
	struct timeval tv = {.tv_sec = 5};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* listener() - a TCP listener on 127.0.0.1, its address in @sa */
static int listener(struct sockaddr_in *sa, bool listening)
{
	socklen_t l = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)sa, sizeof(*sa)), 0);
	if (listening)
		assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)sa, &l), 0);
	set_timeout(fd);
	return fd;
}

/* tcp_pair() - a connected loopback TCP pair */
static void tcp_pair(int fds[2])
{
	struct sockaddr_in sa;
	int lfd = listener(&sa, true);

	fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fds[0] >= 0);
	assert_int_equal(connect(fds[0], (struct sockaddr *)&sa, sizeof(sa)),
			 0);
	fds[1] = accept(lfd, NULL, NULL);
	assert_true(fds[1] >= 0);
	set_timeout(fds[0]);
	set_timeout(fds[1]);
	close(lfd);
}

static void unix_pair(int fds[2])
{
	assert_int_equal(
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	set_timeout(fds[0]);
	set_timeout(fds[1]);
}

static void put(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void test_connect_ok(void **state)
{
	struct tconn t;
	struct sockaddr_in sa;
	int lfd = listener(&sa, true), afd;
	char b[8];

	(void)state;
	tconn_init(&t, false);
	assert_int_equal(
		hstream_connect(&t.sp.host, &hc, (struct sockaddr *)&sa), 0);
	assert_int_equal(t.n_connected, 0); /* from the loop, never inside */
	run_until(&t.n_connected, 1);
	assert_int_equal(t.conn_status, 0);
	afd = accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	/* EPOLLOUT was for the connect only: gone, and the loop is quiet */
	assert_false(in_set(t.sp.host.fd, EPOLLOUT));
	iterations = 0;
	run_for(50);
	assert_true(iterations < 40);
	assert_int_equal(t.n_connected, 1);

	/* a connected stream: both ways */
	hstream_nodelay(&t.sp.host);
	hstream_keepalive(&t.sp.host, 30);
	{
		uv_buf_t iov = uv_buf_init("ping", 4);

		assert_int_equal(hstream_write(&t.sp.host, &hc, &iov, 1, 4), 4);
	}
	assert_int_equal(read(afd, b, sizeof(b)), 4);
	assert_memory_equal(b, "ping", 4);
	assert_int_equal(hstream_read_start(&t.sp.host, &hc), 0);
	put(afd, "pong");
	run_until(&t.n_read, 1);
	assert_int_equal(t.rx_n, 4);
	assert_memory_equal(t.rx, "pong", 4);

	tconn_close(&t);
	run_until(&t.n_closed, 1);
	assert_int_equal(t.n_connected, 1);
	assert_int_equal(t.after_close, 0);
	close(afd);
	close(lfd);
	tconn_fini(&t);
}

static void test_connect_refused(void **state)
{
	struct tconn t;
	struct sockaddr_in sa;
	/* bound, not listening: the port is ours, and a SYN gets a RST */
	int lfd = listener(&sa, false);
	int r;

	(void)state;
	tconn_init(&t, false);
	r = hstream_connect(&t.sp.host, &hc, (struct sockaddr *)&sa);
	if (r == 0) {
		assert_int_equal(t.n_connected, 0);
		run_until(&t.n_connected, 1);
		assert_int_equal(t.conn_status, -ECONNREFUSED);
		assert_int_equal(t.conn_status, UV_ECONNREFUSED);
		iterations = 0;
		run_for(50);
		assert_int_equal(t.n_connected, 1);
		assert_true(iterations < 40);
		tconn_close(&t);
		run_until(&t.n_closed, 1);
		assert_int_equal(t.n_connected, 1); /* no UV_ECANCELED too */
	} else {
		/* the header allows it now; then no event follows */
		assert_int_equal(r, -ECONNREFUSED);
		run_for(20);
		assert_int_equal(t.n_connected, 0);
	}
	assert_int_equal(t.after_close, 0);
	close(lfd);
	tconn_fini(&t);
}

static void test_read_pause(void **state)
{
	struct tconn t;
	int fds[2], fd;

	(void)state;
	unix_pair(fds);
	tconn_init(&t, true);
	assert_int_equal(hstream_open(&t.sp.host, &hc, fds[0]), 0);
	assert_true(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
	fd = fds[0];
	assert_int_equal(epoll_events_of(hc.epfd, fd), -1);
	assert_int_equal(hstream_read_start(&t.sp.host, &hc), 0);
	assert_true(in_set(fd, EPOLLIN));
	put(fds[1], "hello");
	assert_int_equal(t.n_read, 0); /* from the loop */
	run_until(&t.n_read, 1);
	assert_int_equal(t.rx_n, 5);
	assert_memory_equal(t.rx, "hello", 5);

	/* paused: what arrives now stays in the socket */
	hstream_read_stop(&t.sp.host, &hc);
	put(fds[1], "world");
	iterations = 0;
	run_for(50);
	assert_int_equal(t.n_read, 1);
	assert_int_equal(t.rx_n, 5);
	/* level-triggered: EPOLLIN must have left the set, or the loop spins */
	assert_false(in_set(fd, EPOLLIN));
	assert_true(iterations < 40);

	/* resumed: the waiting bytes come */
	assert_int_equal(hstream_read_start(&t.sp.host, &hc), 0);
	run_until(&t.n_read, 2);
	assert_int_equal(t.rx_n, 10);
	assert_memory_equal(t.rx, "helloworld", 10);

	/* no room: UV_ENOBUFS, nothing read */
	t.alloc_len = 0;
	put(fds[1], "!");
	run_until(&t.n_nobufs, 1);
	assert_int_equal(t.rx_n, 10);
	hstream_read_stop(&t.sp.host, &hc);
	t.alloc_len = T_BUF;
	assert_int_equal(hstream_read_start(&t.sp.host, &hc), 0);
	run_until(&t.n_read, 3);
	assert_int_equal(t.rx_n, 11);

	/* small reads: every byte, in order, all in one event (a read
	 * that fills the buffer is followed by another) */
	t.alloc_len = 3;
	put(fds[1], "abcdefghij");
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(t.rx_n, 21);
	assert_memory_equal(t.rx + 11, "abcdefghij", 10);
	assert_int_equal(t.n_read, 7);

	tconn_close(&t);
	run_until(&t.n_closed, 1);
	assert_int_equal(t.after_close, 0);
	assert_int_equal(t.n_eof + t.n_err, 0);
	close(fds[1]);
	tconn_fini(&t);
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 11));
}

/* drain() - read what @fd has now, checking the pattern from *@at */
static size_t drain(int fd, size_t *at, size_t max)
{
	uint8_t b[65536];
	size_t got = 0;
	ssize_t n;

	while (got < max && (n = recv(fd, b, sizeof(b), MSG_DONTWAIT)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			assert_int_equal(b[i], pattern(*at + (size_t)i));
		*at += (size_t)n;
		got += (size_t)n;
	}
	return got;
}

static void test_write_waits(void **state)
{
	const size_t total = 8u << 20;
	struct tconn t;
	uint8_t *data = malloc(total);
	size_t sent = 0, rcvd = 0;
	int fds[2], small = 16384, waits = 0;
	bool full = false;

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < total; i++)
		data[i] = pattern(i);
	tcp_pair(fds);
	setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	tconn_init(&t, false);
	assert_int_equal(hstream_open(&t.sp.host, &hc, fds[0]), 0);

	while (sent < total) {
		size_t left = total - sent, half = left / 2;
		uv_buf_t iov[2];
		ssize_t r;
		unsigned int w = t.n_written;

		/* two pieces: the iovec's order is kept too */
		iov[0] = uv_buf_init((char *)data + sent, (unsigned int)half);
		iov[1] = uv_buf_init((char *)data + sent + half,
				     (unsigned int)(left - half));
		r = hstream_write(&t.sp.host, &hc, iov, 2, left);
		assert_true(r >= 0);
		sent += (size_t)r;
		if (sent == total)
			break;
		/* the rest waits for room: EPOLLOUT, nothing said yet */
		assert_int_equal(t.n_written, w);
		assert_true(in_set(fds[0], EPOLLOUT));
		waits++;
		if (!full) {
			/*
			 * nobody reads: the kernel may take a little more
			 * (ACKs of what the peer buffered), then no room
			 * and no event
			 */
			run_for(30);
			if (t.n_written == w) {
				full = true;
				assert_true(waits < 100);
			} else {
				continue;
			}
		}
		/* the peer takes some: room, and the event */
		for (int i = 0; t.n_written == w && i < 5000; i++) {
			drain(fds[1], &rcvd, 256 * 1024);
			run_for(1);
		}
		assert_int_equal(t.n_written, w + 1);
		assert_int_equal(t.written_status, 0);
		assert_int_equal(t.written_n,
				 0); /* POSIX: caller writes again */
	}
	assert_true(full);
	assert_true(waits > 1); /* it did fill the socket */
	/* nothing to wait for: EPOLLOUT gone (at its next event at most) */
	run_for(5);
	assert_false(in_set(fds[0], EPOLLOUT));
	for (int i = 0; rcvd < total && i < 5000; i++) {
		if (!drain(fds[1], &rcvd, total))
			run_for(1);
	}
	assert_int_equal(rcvd, total);
	tconn_close(&t);
	run_until(&t.n_closed, 1);
	/* exact: the peer sees EOF right after the last byte */
	{
		uint8_t b[16];

		assert_int_equal(read(fds[1], b, sizeof(b)), 0);
	}
	assert_int_equal(t.after_close, 0);
	close(fds[1]);
	free(data);
	tconn_fini(&t);
}

static void test_shutdown(void **state)
{
	struct tconn t;
	int fds[2];
	char b[16];
	uv_buf_t iov = uv_buf_init("bye", 3);

	(void)state;
	tcp_pair(fds);
	tconn_init(&t, false);
	assert_int_equal(hstream_open(&t.sp.host, &hc, fds[0]), 0);
	assert_int_equal(hstream_read_start(&t.sp.host, &hc), 0);
	assert_int_equal(hstream_write(&t.sp.host, &hc, &iov, 1, 3), 3);
	assert_int_equal(hstream_shutdown(&t.sp.host, &hc), 0);
	assert_int_equal(read(fds[1], b, sizeof(b)), 3);
	assert_memory_equal(b, "bye", 3);
	assert_int_equal(read(fds[1], b, sizeof(b)), 0); /* the FIN */
	/* half: the other way still works */
	put(fds[1], "still");
	run_until(&t.n_read, 1);
	assert_int_equal(t.rx_n, 5);
	assert_memory_equal(t.rx, "still", 5);
	assert_int_equal(t.n_eof, 0);

	tconn_close(&t);
	run_until(&t.n_closed, 1);
	assert_int_equal(hstream_shutdown(&t.sp.host, &hc), -EBADF);
	assert_int_equal(hstream_write(&t.sp.host, &hc, &iov, 1, 3), -EBADF);
	assert_int_equal(hstream_read_start(&t.sp.host, &hc), -EBADF);
	close(fds[1]);
	tconn_fini(&t);
}

static void test_peer_eof(void **state)
{
	struct tconn t;
	int fds[2];

	(void)state;
	tcp_pair(fds);
	tconn_init(&t, false);
	t.stop_on_eof = true;
	assert_int_equal(hstream_open(&t.sp.host, &hc, fds[0]), 0);
	assert_int_equal(hstream_read_start(&t.sp.host, &hc), 0);
	put(fds[1], "last");
	assert_int_equal(shutdown(fds[1], SHUT_WR), 0);
	run_until(&t.n_eof, 1);
	assert_int_equal(t.rx_n, 4);
	assert_memory_equal(t.rx, "last", 4);
	assert_true(t.seq_read > 0);
	/* stopped on EOF: once, and the loop does not spin on it */
	iterations = 0;
	run_for(50);
	assert_int_equal(t.n_eof, 1);
	assert_true(iterations < 40);
	assert_int_equal(t.n_err, 0);

	tconn_close(&t);
	run_until(&t.n_closed, 1);
	assert_int_equal(t.after_close, 0);
	close(fds[1]);
	tconn_fini(&t);
}

/* the peer resets (closes with our data unread): a read error */
static void test_peer_reset(void **state)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};
	uv_buf_t iov = uv_buf_init("x", 1);
	struct tconn t;
	int fds[2];

	(void)state;
	tcp_pair(fds);
	tconn_init(&t, false);
	assert_int_equal(hstream_open(&t.sp.host, &hc, fds[0]), 0);
	assert_int_equal(hstream_read_start(&t.sp.host, &hc), 0);
	assert_int_equal(hstream_write(&t.sp.host, &hc, &iov, 1, 1), 1);
	run_for(5);
	setsockopt(fds[1], SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fds[1]);
	run_until(&t.n_err, 1);
	assert_int_equal(t.last_err, -ECONNRESET);
	assert_int_equal(t.n_read + t.n_eof, 0);
	tconn_close(&t);
	run_until(&t.n_closed, 1);
	assert_int_equal(t.after_close, 0);
	tconn_fini(&t);
}

static void test_close_deferred(void **state)
{
	struct tconn t, c;
	struct sockaddr_in sa;
	int fds[2], lfd;
	char b[8];

	(void)state;
	unix_pair(fds);
	tconn_init(&t, true);
	assert_int_equal(hstream_open(&t.sp.host, &hc, fds[0]), 0);
	assert_int_equal(hstream_read_start(&t.sp.host, &hc), 0);
	/* an event pending in the kernel when it closes */
	put(fds[1], "unread");
	tconn_close(&t);
	assert_int_equal(t.n_closed, 0); /* never inside the caller */
	tconn_close(&t); /* idempotent */
	assert_int_equal(epoll_events_of(hc.epfd, fds[0]), -1);
	/* the descriptor is closed now: the peer sees it (a reset, as our
	 * side had unread data) */
	{
		ssize_t r = read(fds[1], b, sizeof(b));

		assert_true(r == 0 || (r < 0 && errno == ECONNRESET));
	}
	run_until(&t.n_closed, 1);
	run_for(20);
	assert_int_equal(t.n_closed, 1);
	assert_int_equal(t.n_alloc + t.n_read + t.n_eof + t.n_err, 0);
	assert_int_equal(t.after_close, 0);
	close(fds[1]);
	tconn_fini(&t);

	/* a connect in flight: UV_ECANCELED, then closed, both from the loop */
	lfd = listener(&sa, true);
	tconn_init(&c, false);
	assert_int_equal(
		hstream_connect(&c.sp.host, &hc, (struct sockaddr *)&sa), 0);
	tconn_close(&c);
	assert_int_equal(c.n_connected + c.n_closed, 0);
	run_until(&c.n_closed, 1);
	run_for(20);
	assert_int_equal(c.n_connected, 1);
	assert_int_equal(c.conn_status, UV_ECANCELED);
	assert_true(c.seq_connected < c.seq_closed);
	assert_int_equal(c.n_closed, 1);
	assert_int_equal(c.after_close, 0);
	close(lfd);
	tconn_fini(&c);
}

/*
 * The use after free the design guards against: @a's read event and
 * @b's connect completion in one epoll_wait batch, @a's callback closes
 * @b (whose owner frees it once told it is closed). @b's event later in
 * the batch must be skipped, and its owner told only from the loop
 * (UV_ECANCELED, then closed).
 */
static void test_close_in_batch(void **state)
{
	struct tconn a, *b = malloc(sizeof(*b));
	struct sockaddr_in sa;
	int fds[2], lfd, afd;

	(void)state;
	assert_non_null(b);
	unix_pair(fds);
	lfd = listener(&sa, true);
	tconn_init(&a, true);
	tconn_init(b, false);
	b->free_on_closed = true;
	assert_int_equal(hstream_open(&a.sp.host, &hc, fds[0]), 0);
	assert_int_equal(hstream_read_start(&a.sp.host, &hc), 0);
	/* ready in this order: the epoll ready list keeps it */
	put(fds[1], "first");
	assert_int_equal(
		hstream_connect(&b->sp.host, &hc, (struct sockaddr *)&sa), 0);
	afd = accept(lfd, NULL, NULL); /* b's handshake is done */
	assert_true(afd >= 0);
	assert_true(in_set(b->sp.host.fd, EPOLLOUT));
	a.close_on_read = b;
	/* one iteration: one epoll_wait, then the reap */
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(a.n_read, 1);
	assert_int_equal(a.rx_n, 5);
	assert_memory_equal(a.rx, "first", 5);
	/* b: skipped in the batch, told from the loop, then freed */
	assert_int_equal(freed.n_closed, 1);
	assert_int_equal(freed.n_connected, 1);
	assert_int_equal(freed.conn_status, UV_ECANCELED);
	assert_true(a.seq_read < freed.seq_connected);
	assert_true(freed.seq_connected < freed.seq_closed);
	assert_int_equal(freed.after_close, 0);
	/* a goes on */
	put(fds[1], "second");
	run_until(&a.n_read, 2);
	assert_int_equal(a.rx_n, 11);
	assert_memory_equal(a.rx, "firstsecond", 11);
	tconn_close(&a);
	run_until(&a.n_closed, 1);
	assert_int_equal(a.after_close, 0);
	close(afd);
	close(lfd);
	close(fds[1]);
	tconn_fini(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connect_ok, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_connect_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_read_pause, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_waits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shutdown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_eof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_reset, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_close_deferred, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_close_in_batch, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
