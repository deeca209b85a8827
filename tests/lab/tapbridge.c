/*
 * tapbridge.c - qcw-tapbridge, the lab's "virtual machine NIC": it joins an
 * existing tap device (the guest's Ethernet port inside a network namespace)
 * to a backend's stream socket that speaks QEMU's -netdev stream framing
 * (each frame is preceded by its length as a 4-byte big-endian integer).
 *
 *   qcw-tapbridge -i TAP (-s /path/to/unix.sock | -c host:port) [-m MTU]
 *                 [-1] [-v]
 *
 * It sits in the benchmark path, so it copies with no per-frame allocation:
 * socket bytes are read in large chunks and deframed in place; frames read
 * from the tap land right behind their length header in one buffer, so a
 * single write() (no writev needed) sends a batch of framed frames.  Both
 * descriptors are non-blocking and a direction that cannot make progress
 * only stops itself (backpressure), never the other one.
 *
 * Exit status: 0 when the socket peer closes (or on SIGTERM/SIGINT), 1 on
 * errors, 2 on usage errors.  -v prints frame and byte counters on exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Largest frame QEMU's stream framing carries: 64 KiB IP MTU + Ethernet. */
#define FRAME_MAX (65535 + 14)
#define FRAME_MIN 14
#define HDR_LEN 4
/* Socket -> tap: read chunk plus room for one partial frame kept over. */
#define IN_CHUNK (256 * 1024)
#define IN_SIZE (IN_CHUNK + HDR_LEN + FRAME_MAX)
/* Tap -> socket: frames queued while the socket cannot take them. */
#define OUT_SIZE (512 * 1024)
/*
 * Tap -> socket writes gather whole frames up to BATCH_BYTES and are always
 * cut at a frame boundary (a bigger frame goes alone).  A unix stream write
 * that small is one skb, so the peer's reads still end on frame boundaries
 * and a non-blocking write is all or nothing: passt 2023 mishandles a read
 * that ends inside a frame (it drops the frame, and a cut inside the length
 * header loses the stream's framing).  -1 writes one frame per write(), as
 * QEMU's stream netdev does (one sendmsg() per frame).
 */
#define BATCH_BYTES (32 * 1024)
/* Bytes moved per direction before the other one gets a turn. */
#define TURN_BYTES (256 * 1024)
#define SOCK_BUF (4 * 1024 * 1024)
#define CONNECT_TIMEOUT_MS 10000

struct bridge {
	int tap;
	int sock;
	bool verbose;
	size_t batch; /* bytes gathered per socket write; 1: one frame */

	/* socket -> tap: bytes [in_off, in_len) of in[] not yet delivered */
	uint8_t *in;
	size_t in_off;
	size_t in_len;
	bool tap_blocked; /* the tap refused a frame: wait for POLLOUT */

	/* tap -> socket: bytes [out_off, out_len) of out[] not yet sent */
	uint8_t *out;
	size_t out_off;
	size_t out_len;
	size_t out_chunk_end; /* end of the frame-aligned write in progress */

	unsigned long long frames_to_tap, frames_to_sock;
	unsigned long long bytes_to_tap, bytes_to_sock;
	unsigned long long tap_drops;
};

static const char *prog = "qcw-tapbridge";
static volatile sig_atomic_t stop_requested;

/**
 * on_stop() - SIGTERM/SIGINT handler: leave the loop so -v counters print
 * @sig: signal number
 */
static void on_stop(int sig)
{
	stop_requested = sig;
}

static void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * warnx_() - print "qcw-tapbridge: message" on stderr
 * @fmt: printf format
 */
static void warnx_(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "%s: ", prog);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}

/**
 * usage() - print the synopsis and exit with status 2
 */
static void usage(void)
{
	fprintf(stderr,
		"usage: %s -i TAP (-s UNIX_SOCKET | -c HOST:PORT) [-m MTU] "
		"[-1] "
		"[-v]\n"
		"  -i TAP   existing tap device to attach (IFF_TAP|IFF_NO_PI)\n"
		"  -s PATH  connect to a unix stream socket (QEMU framing)\n"
		"  -c H:P   connect to a TCP socket instead\n"
		"  -m MTU   also set the tap device's MTU\n"
		"  -1       one frame per socket write (as QEMU does)\n"
		"  -v       print counters on exit\n",
		prog);
	exit(2);
}

/**
 * now_ms() - monotonic clock in milliseconds
 *
 * Return: milliseconds since an arbitrary point
 */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/**
 * set_nonblock() - put a descriptor in non-blocking mode
 * @fd: descriptor
 *
 * Return: 0 or -errno
 */
static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/**
 * tap_open() - attach to an existing tap device
 * @name: interface name
 * @mtu:  MTU to set on it, or 0 to leave it alone
 *
 * Return: descriptor, or -1 after printing why
 */
static int tap_open(const char *name, int mtu)
{
	struct ifreq ifr;
	int fd, s;

	if (strlen(name) >= IFNAMSIZ) {
		warnx_("tap name too long: %s", name);
		return -1;
	}
	/* TUNSETIFF would create a missing device: the lab makes it first */
	if (!if_nametoindex(name)) {
		warnx_("no tap device %s here (create it with ip tuntap)",
		       name);
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		warnx_("open /dev/net/tun: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strcpy(ifr.ifr_name, name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		warnx_("TUNSETIFF %s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	if (mtu > 0) {
		s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		ifr.ifr_mtu = mtu;
		if (s < 0 || ioctl(s, SIOCSIFMTU, &ifr) < 0) {
			warnx_("set MTU %d on %s: %s", mtu, name,
			       strerror(errno));
			if (s >= 0)
				close(s);
			close(fd);
			return -1;
		}
		close(s);
	}
	if (set_nonblock(fd) < 0) {
		warnx_("fcntl tap: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/**
 * sock_connect_once() - one connection attempt
 * @unix_path: unix socket path, or NULL
 * @ai:        TCP address when @unix_path is NULL
 *
 * Return: connected descriptor, or -errno
 */
static int sock_connect_once(const char *unix_path, const struct addrinfo *ai)
{
	struct sockaddr_un sun;
	int fd, err;

	if (unix_path) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		strcpy(sun.sun_path, unix_path);
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
	} else {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			return -errno;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			return fd;
	}
	err = errno;
	close(fd);
	return -err;
}

/**
 * sock_tune() - socket options for throughput, best effort
 * @fd:  connected socket
 * @tcp: whether it is a TCP socket
 */
static void sock_tune(int fd, bool tcp)
{
	int one = 1, sz = SOCK_BUF;

	/* FORCE variants go past net.core.[rw]mem_max when we are root. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (tcp)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/**
 * sock_connect() - connect to the backend, retrying while it starts up
 * @unix_path: unix socket path, or NULL to use @hostport
 * @hostport:  "host:port" for TCP ("[v6]:port" also accepted)
 *
 * Retries for CONNECT_TIMEOUT_MS while the socket does not exist or refuses.
 *
 * Return: connected non-blocking descriptor, or -1 after printing why
 */
static int sock_connect(const char *unix_path, const char *hostport)
{
	struct addrinfo hints, *res = NULL;
	char host[256], *port;
	long long deadline = now_ms() + CONNECT_TIMEOUT_MS;
	int fd, rc;

	if (unix_path) {
		if (strlen(unix_path) >=
		    sizeof(((struct sockaddr_un *)0)->sun_path)) {
			warnx_("socket path too long: %s", unix_path);
			return -1;
		}
	} else {
		if (strlen(hostport) >= sizeof(host)) {
			warnx_("address too long: %s", hostport);
			return -1;
		}
		strcpy(host, hostport);
		port = strrchr(host, ':');
		if (!port || port == host) {
			warnx_("expected HOST:PORT, got %s", hostport);
			return -1;
		}
		*port++ = '\0';
		if (host[0] == '[' && port[-2] == ']') {
			port[-2] = '\0';
			memmove(host, host + 1, strlen(host));
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		rc = getaddrinfo(host, port, &hints, &res);
		if (rc) {
			warnx_("%s: %s", hostport, gai_strerror(rc));
			return -1;
		}
	}

	for (;;) {
		fd = sock_connect_once(unix_path, res);
		if (fd >= 0)
			break;
		if ((fd != -ENOENT && fd != -ECONNREFUSED) ||
		    now_ms() >= deadline || stop_requested) {
			warnx_("connect %s: %s",
			       unix_path ? unix_path : hostport, strerror(-fd));
			if (res)
				freeaddrinfo(res);
			return -1;
		}
		usleep(50 * 1000);
	}
	if (res)
		freeaddrinfo(res);
	sock_tune(fd, !unix_path);
	if (set_nonblock(fd) < 0) {
		warnx_("fcntl socket: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/**
 * peer_gone() - whether a socket error means the backend went away
 * @err: errno value
 *
 * Return: true for errors that a closing peer causes
 */
static bool peer_gone(int err)
{
	return err == EPIPE || err == ECONNRESET || err == ENOTCONN;
}

/**
 * sock_flush() - send queued tap frames to the socket
 * @b: bridge
 *
 * Return: 0 (possibly with data left when the socket is full), 1 when the
 * peer has gone, -1 on error
 */
static int sock_flush(struct bridge *b)
{
	uint32_t be;
	size_t end, flen;
	ssize_t n;

	while (b->out_off < b->out_len) {
		if (b->out_off >= b->out_chunk_end) {
			/* out_off is on a frame boundary: gather whole frames */
			end = b->out_off;
			do {
				memcpy(&be, b->out + end, HDR_LEN);
				flen = HDR_LEN + ntohl(be);
				if (end > b->out_off &&
				    end + flen - b->out_off > b->batch)
					break;
				end += flen;
			} while (end < b->out_len);
			b->out_chunk_end = end;
		}
		n = write(b->sock, b->out + b->out_off,
			  b->out_chunk_end - b->out_off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			if (peer_gone(errno))
				return 1;
			warnx_("write socket: %s", strerror(errno));
			return -1;
		}
		b->out_off += n;
	}
	if (b->out_off == b->out_len) {
		b->out_off = 0;
		b->out_len = 0;
		b->out_chunk_end = 0;
	}
	return 0;
}

/**
 * out_has_room() - whether one more maximum-size frame fits in out[]
 * @b: bridge
 *
 * Moves unsent bytes to the front when that makes the room (only when the
 * socket lags, since out[] is reset to empty whenever it drains).
 *
 * Return: true if a frame of FRAME_MAX bytes plus its header fits
 */
static bool out_has_room(struct bridge *b)
{
	size_t pending = b->out_len - b->out_off;

	if (OUT_SIZE - b->out_len >= HDR_LEN + FRAME_MAX)
		return true;
	if (OUT_SIZE - pending < HDR_LEN + FRAME_MAX)
		return false;
	memmove(b->out, b->out + b->out_off, pending);
	b->out_chunk_end -= b->out_off;
	b->out_off = 0;
	b->out_len = pending;
	return true;
}

/**
 * tap_to_sock() - read frames from the tap, frame them, send them
 * @b: bridge
 *
 * Reads until the tap is empty, out[] is full, or a batch is gathered, then
 * writes the batch; repeats while the socket keeps up.
 *
 * Return: 0, 1 when the peer has gone, -1 on error
 */
static int tap_to_sock(struct bridge *b)
{
	uint32_t be;
	ssize_t n = 0;
	size_t batch, moved = 0;
	int rc;

	while (moved < TURN_BYTES) {
		batch = 0;
		while (batch < b->batch && out_has_room(b)) {
			n = read(b->tap, b->out + b->out_len + HDR_LEN,
				 FRAME_MAX);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN)
					break;
				warnx_("read tap: %s", strerror(errno));
				return -1;
			}
			if (n == 0)
				break;
			be = htonl((uint32_t)n);
			memcpy(b->out + b->out_len, &be, HDR_LEN);
			b->out_len += HDR_LEN + n;
			batch += HDR_LEN + n;
			b->frames_to_sock++;
			b->bytes_to_sock += n;
		}
		moved += batch;
		rc = sock_flush(b);
		if (rc)
			return rc;
		/* tap drained, or socket full: let poll() decide what next */
		if (n <= 0 || b->out_len != 0)
			break;
	}
	return 0;
}

/**
 * in_deliver() - write every complete frame in in[] to the tap
 * @b: bridge
 *
 * Return: 0 or -1 on a framing error
 */
static int in_deliver(struct bridge *b)
{
	uint32_t be;
	size_t len;
	ssize_t n;

	b->tap_blocked = false;
	while (b->in_len - b->in_off >= HDR_LEN) {
		memcpy(&be, b->in + b->in_off, HDR_LEN);
		len = ntohl(be);
		if (len > FRAME_MAX) {
			warnx_("bad frame length %zu from socket", len);
			return -1;
		}
		if (b->in_len - b->in_off < HDR_LEN + len)
			break;
		if (len < FRAME_MIN) {
			/* runt: nothing the tap could carry */
			b->tap_drops++;
			b->in_off += HDR_LEN + len;
			continue;
		}
		n = write(b->tap, b->in + b->in_off + HDR_LEN, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == ENOBUFS) {
				b->tap_blocked = true;
				break;
			}
			/* the kernel refused this frame (EINVAL...): drop it */
			b->tap_drops++;
		} else {
			b->frames_to_tap++;
			b->bytes_to_tap += len;
		}
		b->in_off += HDR_LEN + len;
	}
	if (b->in_off == b->in_len) {
		b->in_off = 0;
		b->in_len = 0;
	}
	return 0;
}

/**
 * sock_to_tap() - read a chunk from the socket and deliver its frames
 * @b: bridge
 *
 * Return: 0, 1 when the peer has closed, -1 on error
 */
static int sock_to_tap(struct bridge *b)
{
	size_t pending;
	ssize_t n;
	int rounds;

	for (rounds = 0; rounds < 4 && !b->tap_blocked; rounds++) {
		/* keep a partial frame, but move it only when space runs low */
		if (IN_SIZE - b->in_len < IN_CHUNK && b->in_off) {
			pending = b->in_len - b->in_off;
			memmove(b->in, b->in + b->in_off, pending);
			b->in_off = 0;
			b->in_len = pending;
		}
		n = read(b->sock, b->in + b->in_len, IN_SIZE - b->in_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			if (peer_gone(errno))
				return 1;
			warnx_("read socket: %s", strerror(errno));
			return -1;
		}
		if (n == 0) {
			if (b->in_len != b->in_off)
				warnx_("peer closed inside a frame");
			return 1;
		}
		b->in_len += n;
		if (in_deliver(b) < 0)
			return -1;
		if ((size_t)n < IN_CHUNK / 2)
			break;
	}
	return 0;
}

/**
 * bridge_run() - the poll loop
 * @b: bridge with both descriptors open
 *
 * Return: 0 when the peer closed or a stop was requested, -1 on error
 */
static int bridge_run(struct bridge *b)
{
	struct pollfd pfd[2];
	int rc;

	while (!stop_requested) {
		pfd[0].fd = b->tap;
		pfd[0].events = 0;
		if (out_has_room(b))
			pfd[0].events |= POLLIN;
		if (b->tap_blocked)
			pfd[0].events |= POLLOUT;
		pfd[1].fd = b->sock;
		pfd[1].events = 0;
		if (!b->tap_blocked)
			pfd[1].events |= POLLIN;
		if (b->out_len != b->out_off)
			pfd[1].events |= POLLOUT;
		pfd[0].revents = pfd[1].revents = 0;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			warnx_("poll: %s", strerror(errno));
			return -1;
		}
		if (pfd[0].revents & (POLLERR | POLLNVAL)) {
			warnx_("tap device error");
			return -1;
		}
		if (pfd[0].revents & POLLOUT) {
			if (in_deliver(b) < 0)
				return -1;
		}
		if (pfd[1].revents & (POLLOUT | POLLERR | POLLHUP)) {
			rc = sock_flush(b);
			if (rc)
				return rc > 0 ? 0 : -1;
		}
		if (pfd[0].revents & POLLIN) {
			rc = tap_to_sock(b);
			if (rc)
				return rc > 0 ? 0 : -1;
		}
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			rc = sock_to_tap(b);
			if (rc)
				return rc > 0 ? 0 : -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *tap_name = NULL, *unix_path = NULL, *hostport = NULL;
	struct sigaction sa;
	struct bridge b;
	int opt, mtu = 0, rc;
	char *end;

	memset(&b, 0, sizeof(b));
	b.batch = BATCH_BYTES;
	while ((opt = getopt(argc, argv, "i:s:c:m:1vh")) != -1) {
		switch (opt) {
		case 'i':
			tap_name = optarg;
			break;
		case 's':
			unix_path = optarg;
			break;
		case 'c':
			hostport = optarg;
			break;
		case 'm':
			mtu = (int)strtol(optarg, &end, 10);
			if (*end || mtu < 68 || mtu > 65535)
				usage();
			break;
		case '1':
			b.batch = 1;
			break;
		case 'v':
			b.verbose = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !tap_name || !unix_path == !hostport)
		usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop; /* no SA_RESTART: poll() returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	b.in = malloc(IN_SIZE);
	b.out = malloc(OUT_SIZE);
	if (!b.in || !b.out) {
		warnx_("out of memory");
		return 1;
	}
	/*
	 * Connect first: the tap's carrier comes up only once the bridge is
	 * attached, so "tap0 has LOWER_UP" tells the lab the path is ready.
	 */
	b.sock = sock_connect(unix_path, hostport);
	if (b.sock < 0)
		return 1;
	b.tap = tap_open(tap_name, mtu);
	if (b.tap < 0)
		return 1;

	rc = bridge_run(&b);
	if (b.verbose)
		fprintf(stderr,
			"%s: to tap %llu frames %llu bytes (%llu dropped), "
			"to socket %llu frames %llu bytes\n",
			prog, b.frames_to_tap, b.bytes_to_tap, b.tap_drops,
			b.frames_to_sock, b.bytes_to_sock);
	close(b.tap);
	close(b.sock);
	free(b.in);
	free(b.out);
	return rc < 0 ? 1 : 0;
}
