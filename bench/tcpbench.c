/*
 * tcpbench.c - qcw-bench-tcp, the small TCP load tool of bench/run: a server
 * and three clients for what iperf3 does not measure.
 *
 *   qcw-bench-tcp server -p PORT [-b ADDR] [-H]
 *       epoll server; echoes what it reads, or with -H answers every HTTP
 *       request with a short 200 and closes (connections per second).
 *   qcw-bench-tcp rr  -c ADDR -p PORT [-t SECS] [-s SIZE]
 *       request/response on one connection: write SIZE bytes, read SIZE.
 *   qcw-bench-tcp crr -c ADDR -p PORT [-t SECS] [-s SIZE]
 *       connect, request/response, close; one at a time.
 *   qcw-bench-tcp idle -c ADDR -p PORT -n COUNT [-t HOLD_SECS] [-w WINDOW]
 *       opens COUNT connections (WINDOW connecting at once), checks each
 *       with a one-byte echo, prints "ready COUNT SECS" and holds them
 *       open, silent, for HOLD_SECS or until SIGTERM.
 *
 * rr and crr print one JSON object: transactions, transactions per second
 * and round-trip percentiles in microseconds.  Every failure is reported on
 * stderr and ends the tool with status 1 (2 for usage errors).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE 65536
/* Echo bytes a server connection holds while its peer cannot take them. */
#define ECHO_BUF 4096
#define MAX_EVENTS 256
#define BACKLOG 8192

static const char http_reply[] = "HTTP/1.1 200 OK\r\n"
				 "Content-Length: 2\r\n"
				 "Connection: close\r\n"
				 "\r\n"
				 "ok";

struct opts {
	const char *mode;
	const char *addr;
	int port;
	double secs;
	size_t size;
	long count;
	long window;
	bool http;
};

/* Per-connection server state: bytes echoed back but not yet written. */
struct sconn {
	int fd;
	bool http;
	uint32_t tail; /* last bytes read, to spot "\r\n\r\n" across reads */
	size_t pend_len;
	uint8_t pend[ECHO_BUF];
};

/* Round-trip samples in nanoseconds, grown by doubling. */
struct samples {
	uint64_t *v;
	size_t n;
	size_t cap;
};

static volatile sig_atomic_t stop;

/**
 * die() - print a message with errno's text and exit with status 1
 * @what: what failed
 */
static void die(const char *what)
{
	fprintf(stderr, "qcw-bench-tcp: %s: %s\n", what, strerror(errno));
	exit(1);
}

/**
 * usage() - print the synopsis and exit with status 2
 */
static void usage(void)
{
	fprintf(stderr, "usage: qcw-bench-tcp server -p PORT [-b ADDR] [-H]\n"
			"       qcw-bench-tcp rr|crr -c ADDR -p PORT [-t SECS] "
			"[-s SIZE]\n"
			"       qcw-bench-tcp idle -c ADDR -p PORT -n COUNT "
			"[-t HOLD] [-w WINDOW]\n");
	exit(2);
}

/**
 * now_ns() - monotonic clock in nanoseconds
 *
 * Return: nanoseconds since an arbitrary start
 */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/**
 * on_signal() - SIGTERM/SIGINT handler: ask the main loop to stop
 * @sig: signal number (unused)
 */
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/**
 * raise_nofile() - lift the soft descriptor limit to the hard one, since
 * the idle test and its server hold thousands of sockets
 */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/**
 * make_addr() - fill an IPv4 socket address
 * @sa:   result
 * @addr: dotted quad (NULL: any)
 * @port: TCP port
 */
static void make_addr(struct sockaddr_in *sa, const char *addr, int port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (!addr) {
		sa->sin_addr.s_addr = htonl(INADDR_ANY);
	} else if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1) {
		fprintf(stderr, "qcw-bench-tcp: bad IPv4 address %s\n", addr);
		exit(2);
	}
}

/**
 * set_nodelay() - disable Nagle so each request leaves at once
 * @fd: TCP socket
 */
static void set_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/**
 * write_all() - write a whole buffer to a blocking socket
 * @fd:  socket
 * @buf: bytes
 * @len: length
 *
 * Return: 0, or -1 with errno set
 */
static int write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/**
 * read_all() - read exactly @len bytes from a blocking socket
 * @fd:  socket
 * @buf: destination
 * @len: length
 *
 * Return: 0, or -1 (errno set; ECONNRESET for an early end of stream)
 */
static int read_all(int fd, uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = ECONNRESET;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/**
 * sconn_close() - forget a server connection
 * @ep: epoll descriptor
 * @c:  connection (freed)
 */
static void sconn_close(int ep, struct sconn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/**
 * sconn_flush() - write pending echo bytes; wait for EPOLLOUT if blocked
 * @ep: epoll descriptor
 * @c:  connection
 *
 * Return: 0, or -1 when the connection failed
 */
static int sconn_flush(int ep, struct sconn *c)
{
	struct epoll_event ev = {.data.ptr = c};
	ssize_t n;

	while (c->pend_len) {
		n = write(c->fd, c->pend, c->pend_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return -1;
		memmove(c->pend, c->pend + n, c->pend_len - (size_t)n);
		c->pend_len -= (size_t)n;
	}
	ev.events = c->pend_len ? EPOLLOUT : EPOLLIN;
	return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/**
 * http_request_done() - feed bytes read and tell whether a request ended
 * @c:   connection
 * @buf: bytes read
 * @len: length
 *
 * Return: true once "\r\n\r\n" has been seen
 */
static bool http_request_done(struct sconn *c, const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		c->tail = (c->tail << 8) | buf[i];
		if (c->tail == 0x0d0a0d0a)
			return true;
	}
	return false;
}

/**
 * sconn_readable() - serve a readable connection
 * @ep: epoll descriptor
 * @c:  connection
 *
 * Return: 0 to keep it, -1 to close it
 */
static int sconn_readable(int ep, struct sconn *c)
{
	ssize_t n;

	for (;;) {
		n = read(c->fd, c->pend, sizeof(c->pend));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		if (c->http) {
			if (!http_request_done(c, c->pend, (size_t)n))
				continue;
			/* short reply: fits any socket buffer, then close */
			if (write(c->fd, http_reply, sizeof(http_reply) - 1) <
			    0)
				return -1;
			return -1;
		}
		c->pend_len = (size_t)n;
		if (sconn_flush(ep, c) < 0)
			return -1;
		if (c->pend_len)
			return 0;
	}
}

/**
 * accept_all() - accept every pending connection on the listener
 * @ep:   epoll descriptor
 * @lfd:  listening socket
 * @http: answer HTTP instead of echoing
 */
static void accept_all(int ep, int lfd, bool http)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct sconn *c;
	int fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				perror("qcw-bench-tcp: accept");
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->http = http;
		set_nodelay(fd);
		ev.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
		}
	}
}

/**
 * run_server() - the echo / HTTP server, until SIGTERM
 * @o: options
 *
 * Return: exit status
 */
static int run_server(const struct opts *o)
{
	struct epoll_event evs[MAX_EVENTS];
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	struct sockaddr_in sa;
	int lfd, ep, n, i, one = 1;

	make_addr(&sa, o->addr, o->port);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind");
	if (listen(lfd, BACKLOG) < 0)
		die("listen");
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		die("epoll");
	while (!stop) {
		n = epoll_wait(ep, evs, MAX_EVENTS, 500);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			struct sconn *c = evs[i].data.ptr;
			int rc;

			if (!c) {
				accept_all(ep, lfd, o->http);
				continue;
			}
			if (evs[i].events & EPOLLOUT)
				rc = sconn_flush(ep, c);
			else
				rc = sconn_readable(ep, c);
			if (rc < 0)
				sconn_close(ep, c);
		}
	}
	return 0;
}

/**
 * samples_add() - record one round trip
 * @s:  sample set
 * @ns: duration in nanoseconds
 */
static void samples_add(struct samples *s, uint64_t ns)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 65536;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			die("realloc");
	}
	s->v[s->n++] = ns;
}

/**
 * cmp_u64() - qsort comparator for uint64_t
 * @a: first
 * @b: second
 *
 * Return: <0, 0, >0
 */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/**
 * pct_us() - a percentile of sorted samples, in microseconds
 * @s: sorted samples (at least one)
 * @p: percentile, 0..100
 *
 * Return: the nearest-rank value in microseconds
 */
static double pct_us(const struct samples *s, double p)
{
	size_t k = (size_t)(p / 100.0 * (double)s->n);

	if (k >= s->n)
		k = s->n - 1;
	return (double)s->v[k] / 1000.0;
}

/**
 * print_samples() - print the JSON summary of a latency run
 * @mode:   "rr" or "crr"
 * @s:      samples (sorted here)
 * @errors: failed transactions
 * @secs:   wall time of the run
 */
static void print_samples(const char *mode, struct samples *s, long errors,
			  double secs)
{
	qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	printf("{\"mode\": \"%s\", \"n\": %zu, \"errors\": %ld, "
	       "\"tps\": %.1f, \"min_us\": %.1f, \"p50_us\": %.1f, "
	       "\"p90_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, "
	       "\"max_us\": %.1f}\n",
	       mode, s->n, errors, (double)s->n / secs, pct_us(s, 0),
	       pct_us(s, 50), pct_us(s, 90), pct_us(s, 99), pct_us(s, 99.9),
	       pct_us(s, 100));
}

/**
 * dial() - open a blocking TCP connection with Nagle off
 * @sa: destination
 *
 * Return: the socket, or -1 with errno set
 */
static int dial(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	set_nodelay(fd);
	return fd;
}

/**
 * run_latency() - the rr and crr clients
 * @o:   options
 * @crr: a new connection per transaction
 *
 * Return: exit status
 */
static int run_latency(const struct opts *o, bool crr)
{
	static uint8_t buf[MAX_SIZE];
	struct samples s = {0};
	struct sockaddr_in sa;
	uint64_t start, end, t0;
	long errors = 0;
	int fd = -1;

	make_addr(&sa, o->addr, o->port);
	memset(buf, 'q', o->size);
	if (!crr) {
		fd = dial(&sa);
		if (fd < 0)
			die("connect");
	}
	start = now_ns();
	end = start + (uint64_t)(o->secs * 1e9);
	while (!stop) {
		t0 = now_ns();
		if (t0 >= end)
			break;
		if (crr) {
			fd = dial(&sa);
			if (fd < 0) {
				/* a refused or lost connect counts, then stops */
				if (++errors > 100)
					die("connect");
				continue;
			}
		}
		if (write_all(fd, buf, o->size) < 0 ||
		    read_all(fd, buf, o->size) < 0)
			die("transaction");
		samples_add(&s, now_ns() - t0);
		if (crr)
			close(fd);
	}
	if (!crr)
		close(fd);
	if (!s.n) {
		fprintf(stderr, "qcw-bench-tcp: no transaction completed\n");
		return 1;
	}
	print_samples(crr ? "crr" : "rr", &s, errors,
		      (double)(now_ns() - start) / 1e9);
	return 0;
}

/**
 * idle_step() - advance one connecting or checking idle connection
 * @ep: epoll descriptor
 * @fd: socket that became ready
 * @st: its state: 0 connecting, 1 waiting for the echo, 2 done
 *
 * Return: 1 when the connection just became ready, 0 when still pending,
 * -1 on failure
 */
static int idle_step(int ep, int fd, uint8_t *st)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	socklen_t len = sizeof(int);
	int err = 0;
	uint8_t b = 'i';

	if (*st == 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ||
		    err) {
			errno = err;
			return -1;
		}
		if (write(fd, &b, 1) != 1)
			return -1;
		*st = 1;
		return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0 ? -1 : 0;
	}
	if (read(fd, &b, 1) != 1)
		return -1;
	*st = 2;
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	return 1;
}

/**
 * idle_open() - start one non-blocking connect
 * @ep: epoll descriptor
 * @sa: destination
 *
 * Return: the socket, or -1
 */
static int idle_open(int ep, const struct sockaddr_in *sa)
{
	struct epoll_event ev = {.events = EPOLLOUT};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	ev.data.fd = fd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/**
 * run_idle() - open COUNT checked connections and hold them
 * @o: options
 *
 * Return: exit status
 */
static int run_idle(const struct opts *o)
{
	struct epoll_event evs[MAX_EVENTS];
	struct sockaddr_in sa;
	uint8_t *state;
	long opened = 0, ready = 0, inflight = 0;
	uint64_t start, deadline;
	int ep, n, i, fd, maxfd = 1 << 20;

	make_addr(&sa, o->addr, o->port);
	state = calloc((size_t)maxfd, 1);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!state || ep < 0)
		die("setup");
	start = now_ns();
	deadline = start + 120ull * 1000000000u;
	while (ready < o->count && !stop) {
		while (opened < o->count && inflight < o->window) {
			fd = idle_open(ep, &sa);
			if (fd < 0 || fd >= maxfd)
				die("socket/connect");
			opened++;
			inflight++;
		}
		if (now_ns() > deadline) {
			fprintf(stderr,
				"qcw-bench-tcp: %ld of %ld ready "
				"after 120 s\n",
				ready, o->count);
			return 1;
		}
		n = epoll_wait(ep, evs, MAX_EVENTS, 1000);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			int rc;

			fd = evs[i].data.fd;
			rc = idle_step(ep, fd, &state[fd]);
			if (rc < 0) {
				fprintf(stderr,
					"qcw-bench-tcp: connection %ld "
					"failed: %s\n",
					ready + inflight, strerror(errno));
				return 1;
			}
			if (rc == 1) {
				ready++;
				inflight--;
			}
		}
	}
	printf("ready %ld %.2f\n", ready, (double)(now_ns() - start) / 1e9);
	fflush(stdout);
	deadline = now_ns() + (uint64_t)(o->secs * 1e9);
	while (!stop && now_ns() < deadline)
		usleep(100000);
	return 0;
}

/**
 * parse_opts() - parse the mode and its options
 * @argc: argument count
 * @argv: arguments
 * @o:    result
 */
static void parse_opts(int argc, char **argv, struct opts *o)
{
	int opt;

	if (argc < 2)
		usage();
	o->mode = argv[1];
	o->secs = 5;
	o->size = 64;
	o->window = 256;
	optind = 2;
	while ((opt = getopt(argc, argv, "b:c:p:t:s:n:w:H")) != -1) {
		switch (opt) {
		case 'b':
		case 'c':
			o->addr = optarg;
			break;
		case 'p':
			o->port = atoi(optarg);
			break;
		case 't':
			o->secs = atof(optarg);
			break;
		case 's':
			o->size = (size_t)atol(optarg);
			break;
		case 'n':
			o->count = atol(optarg);
			break;
		case 'w':
			o->window = atol(optarg);
			break;
		case 'H':
			o->http = true;
			break;
		default:
			usage();
		}
	}
	if (o->port <= 0 || o->port > 65535 || o->size < 1 ||
	    o->size > MAX_SIZE || o->window < 1)
		usage();
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct opts o = {0};

	parse_opts(argc, argv, &o);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	if (!strcmp(o.mode, "server"))
		return run_server(&o);
	if (!o.addr)
		usage();
	if (!strcmp(o.mode, "rr"))
		return run_latency(&o, false);
	if (!strcmp(o.mode, "crr"))
		return run_latency(&o, true);
	if (!strcmp(o.mode, "idle") && o.count > 0)
		return run_idle(&o);
	usage();
	return 2;
}
