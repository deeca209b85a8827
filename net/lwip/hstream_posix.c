/*
 * hstream_posix.c - hstream.h on POSIX: each host stream is a bare
 * non-blocking descriptor in the context's epoll set; one uv_poll_t
 * watches that set on the libuv loop. Level-triggered, like libuv:
 * EPOLLIN only while reading, EPOLLOUT only while a write or a connect
 * waits. Interest is added at once and taken away lazily (when an event
 * nobody wants arrives), so pausing and resuming reads within a loop
 * iteration costs no syscall. Closed streams stay in memory until
 * hstream_ctx_reap() runs from the loop, so an event for one later in the
 * same epoll_wait batch finds fd -1 and is skipped.
 */
#include "net/lwip/hstream.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net/lwip/splice.h"

#define HSTREAM_EVENTS 256 /* events taken per epoll_wait */
#define HSTREAM_READS 32 /* reads per event, as libuv's */

/* hs->armed keeps them in a byte */
_Static_assert((EPOLLIN | EPOLLOUT) <= 0xff, "epoll bits");

static struct splice *hstream_splice(struct hstream *hs)
{
	return splice_container_of(hs, struct splice, host);
}

static uint32_t hstream_wanted(const struct hstream *hs)
{
	return (hs->reading ? EPOLLIN : 0) |
	       (hs->want_write || hs->connecting ? EPOLLOUT : 0);
}

/* hstream_arm() - make sure what is wanted is in the epoll set. */
static int hstream_arm(struct hstream_ctx *hc, struct hstream *hs)
{
	uint32_t want = hstream_wanted(hs);
	struct epoll_event ev;

	if (!(want & ~hs->armed))
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = hs->armed | want;
	ev.data.ptr = hs;
	if (epoll_ctl(hc->epfd, hs->armed ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
		      hs->fd, &ev) < 0)
		return -errno;
	hs->armed = (uint8_t)ev.events;
	return 0;
}

/* hstream_disarm() - take away interest nobody has any more. */
static void hstream_disarm(struct hstream_ctx *hc, struct hstream *hs)
{
	uint32_t want = hstream_wanted(hs);
	struct epoll_event ev;

	if (!hs->armed || want == hs->armed)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = hs;
	if (epoll_ctl(hc->epfd, want ? EPOLL_CTL_MOD : EPOLL_CTL_DEL, hs->fd,
		      &ev) == 0)
		hs->armed = (uint8_t)want;
}

static void hstream_do_read(struct hstream *hs)
{
	struct splice *sp = hstream_splice(hs);
	int count = HSTREAM_READS;

	while (hs->reading && hs->fd >= 0 && count-- > 0) {
		char *base = NULL;
		size_t len = 0;
		ssize_t n;

		hstream_on_alloc(sp, &base, &len);
		if (!len) {
			hstream_on_read(sp, UV_ENOBUFS, base);
			return;
		}
		do
			n = read(hs->fd, base, len);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				hstream_on_read(sp, -errno, base);
			return;
		}
		hstream_on_read(sp, n ? n : UV_EOF, base);
		if ((size_t)n < len)
			return; /* drained */
	}
}

static void hstream_event(struct hstream_ctx *hc, struct hstream *hs,
			  uint32_t e)
{
	struct splice *sp = hstream_splice(hs);

	if (hs->fd < 0)
		return; /* closed earlier in this batch */
	if (hs->connecting) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (!(e & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(hs->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
			err = errno;
		hs->connecting = false;
		hstream_on_connected(sp, -err);
		if (hs->fd >= 0)
			hstream_disarm(hc, hs);
		return;
	}
	if (hs->want_write && (e & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		hs->want_write = false;
		hstream_on_written(sp, 0, 0);
		if (hs->fd < 0)
			return;
	}
	if (hs->reading && (e & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
		hstream_do_read(hs);
		if (hs->fd < 0)
			return;
	}
	if (e & ~(hstream_wanted(hs) |
		  (hstream_wanted(hs) ? EPOLLERR | EPOLLHUP : 0)))
		hstream_disarm(hc, hs);
}

static void hstream_poll_cb(uv_poll_t *p, int status, int events)
{
	struct hstream_ctx *hc = p->data;
	struct epoll_event ev[HSTREAM_EVENTS];
	int n, i;

	(void)status;
	(void)events;
	do
		n = epoll_wait(hc->epfd, ev, HSTREAM_EVENTS, 0);
	while (n < 0 && errno == EINTR);
	for (i = 0; i < n; i++)
		hstream_event(hc, ev[i].data.ptr, ev[i].events);
}

int hstream_ctx_init(struct hstream_ctx *hc, uv_loop_t *loop)
{
	int r;

	hc->loop = loop;
	hc->closed = NULL;
	hc->closed_tail = &hc->closed;
	hc->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (hc->epfd < 0)
		return -errno;
	r = uv_poll_init(loop, &hc->poll, hc->epfd);
	if (r < 0) {
		close(hc->epfd);
		hc->epfd = -1;
		return r;
	}
	hc->poll.data = hc;
	r = uv_poll_start(&hc->poll, UV_READABLE, hstream_poll_cb);
	/* the loop is kept alive by the owners of the connections */
	uv_unref((uv_handle_t *)&hc->poll);
	return r;
}

void hstream_ctx_reap(struct hstream_ctx *hc)
{
	while (hc->closed) {
		struct hstream *hs = hc->closed;

		hc->closed = hs->cnext;
		if (!hc->closed)
			hc->closed_tail = &hc->closed;
		if (hs->connecting) {
			hs->connecting = false;
			hstream_on_connected(hstream_splice(hs), UV_ECANCELED);
		}
		hstream_on_closed(hstream_splice(hs));
	}
}

int hstream_ctx_close(struct hstream_ctx *hc, uv_close_cb cb, void *data)
{
	hc->poll.data = data;
	uv_close((uv_handle_t *)&hc->poll, cb);
	return 1;
}

void hstream_ctx_fini(struct hstream_ctx *hc)
{
	if (hc->epfd >= 0)
		close(hc->epfd);
	hc->epfd = -1;
}

void hstream_init(struct hstream *hs, struct hstream_ctx *hc, bool pipe)
{
	(void)hc;
	memset(hs, 0, sizeof(*hs));
	hs->fd = -1;
	hs->pipe = pipe;
}

int hstream_open(struct hstream *hs, struct hstream_ctx *hc, int fd)
{
	int fl = fcntl(fd, F_GETFL);

	(void)hc;
	if (fl < 0 ||
	    (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0))
		return -errno;
	hs->fd = fd;
	return 0;
}

int hstream_connect(struct hstream *hs, struct hstream_ctx *hc,
		    const struct sockaddr *sa)
{
	socklen_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						  : sizeof(struct sockaddr_in);
	int fd, r;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	do
		r = connect(fd, sa, len);
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno != EINPROGRESS) {
		r = -errno;
		close(fd);
		return r;
	}
	hs->fd = fd;
	hs->connecting = true; /* done or not: EPOLLOUT tells, from the loop */
	r = hstream_arm(hc, hs);
	if (r < 0) {
		hs->connecting = false;
		close(fd);
		hs->fd = -1;
	}
	return r;
}

void hstream_nodelay(struct hstream *hs)
{
	int one = 1;

	if (!hs->pipe && hs->fd >= 0)
		setsockopt(hs->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void hstream_keepalive(struct hstream *hs, unsigned int idle_s)
{
	int one = 1, idle = (int)idle_s;

	if (hs->pipe || hs->fd < 0)
		return;
	setsockopt(hs->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
#ifdef TCP_KEEPIDLE
	setsockopt(hs->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
#else
	(void)idle;
#endif
}

int hstream_read_start(struct hstream *hs, struct hstream_ctx *hc)
{
	int r;

	if (hs->fd < 0)
		return -EBADF;
	hs->reading = true;
	r = hstream_arm(hc, hs);
	if (r < 0)
		hs->reading = false;
	return r;
}

void hstream_read_stop(struct hstream *hs, struct hstream_ctx *hc)
{
	(void)hc;
	hs->reading = false; /* EPOLLIN leaves the set with its next event */
}

ssize_t hstream_write(struct hstream *hs, struct hstream_ctx *hc,
		      const uv_buf_t *iov, unsigned int n, size_t total)
{
	struct msghdr m;
	ssize_t r;
	int e;

	if (hs->fd < 0)
		return -EBADF;
	memset(&m, 0, sizeof(m));
	/* uv_buf_t is laid out as struct iovec on POSIX */
	m.msg_iov = (struct iovec *)(uintptr_t)iov;
	m.msg_iovlen = n;
	do
		r = sendmsg(hs->fd, &m, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno == ENOTSOCK) {
		do
			r = writev(hs->fd, (const struct iovec *)iov, (int)n);
		while (r < 0 && errno == EINTR);
	}
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		r = 0;
	}
	if ((size_t)r < total) {
		hs->want_write = true;
		e = hstream_arm(hc, hs);
		if (e < 0) {
			hs->want_write = false;
			return e;
		}
	}
	return r;
}

int hstream_shutdown(struct hstream *hs, struct hstream_ctx *hc)
{
	(void)hc;
	if (hs->fd < 0)
		return -EBADF;
	/* as uv_shutdown's: a peer gone already shows on the read side */
	shutdown(hs->fd, SHUT_WR);
	return 0;
}

void hstream_close(struct hstream *hs, struct hstream_ctx *hc, bool reset)
{
	if (hs->fd == -2)
		return;
	if (hs->fd >= 0) {
		if (reset && !hs->pipe && !hs->connecting) {
			struct linger l = {.l_onoff = 1, .l_linger = 0};

			setsockopt(hs->fd, SOL_SOCKET, SO_LINGER, &l,
				   sizeof(l));
		}
		/* explicitly: a dup of the fd elsewhere would keep it in */
		if (hs->armed)
			epoll_ctl(hc->epfd, EPOLL_CTL_DEL, hs->fd, NULL);
		close(hs->fd);
	}
	hs->fd = -2; /* closed: events still in a batch are skipped */
	hs->armed = 0;
	hs->reading = false;
	hs->want_write = false;
	hs->cnext = NULL;
	*hc->closed_tail = hs;
	hc->closed_tail = &hs->cnext;
}
