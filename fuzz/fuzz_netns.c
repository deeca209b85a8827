/*
 * fuzz_netns.c - for fuzz targets whose code opens real sockets (the
 * NAT): a network namespace of the process's own with only "lo" up, and a
 * peer process in it that plays the host's services (see fuzz_netns.h).
 */
#include "fuzz_netns.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fuzz.h"

static void fz_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		(void)!write(fd, s, strlen(s));
		close(fd);
	}
}

/*
 * fz_sandbox() - a network namespace with only lo up; traps unless a
 * datagram to a TEST-NET address fails at once (nothing can leave).
 */
void fz_netns_enter(void)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	struct sockaddr_in sin;
	struct ifreq ifr;
	char map[64];
	int s;

	if (geteuid() == 0) {
		CHECK(unshare(CLONE_NEWNET) == 0);
	} else {
		CHECK(unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0);
		fz_write_file("/proc/self/setgroups", "deny");
		snprintf(map, sizeof(map), "0 %u 1", (unsigned int)uid);
		fz_write_file("/proc/self/uid_map", map);
		snprintf(map, sizeof(map), "0 %u 1", (unsigned int)gid);
		fz_write_file("/proc/self/gid_map", map);
	}
	s = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(s >= 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	CHECK(ioctl(s, SIOCGIFFLAGS, &ifr) == 0);
	ifr.ifr_flags |= IFF_UP;
	CHECK(ioctl(s, SIOCSIFFLAGS, &ifr) == 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(9);
	sin.sin_addr.s_addr = htonl(0xc0000201);
	CHECK(sendto(s, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin)) < 0 &&
	      errno == ENETUNREACH);
	close(s);
}

static int fz_listen(int type, uint16_t port)
{
	struct sockaddr_in sin;
	int s = socket(AF_INET, type | SOCK_NONBLOCK, 0), one = 1;

	CHECK(s >= 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	if (type == SOCK_STREAM)
		CHECK(listen(s, 4096) == 0);
	return s;
}

/*
 * fz_peer() - the "host" services, in a child (its fds are not ours):
 * echo on 7007 (TCP, UDP), a sink that never reads on 7009.
 */
void fz_netns_peer(uint16_t echo_port, uint16_t sink_port)
{
	enum { ECHO_L, SINK_L, UDP_E, FIRST };
	struct pollfd *pf;
	struct rlimit rl;
	uint8_t buf[4096];
	size_t n = FIRST, cap = 65536, i;
	pid_t parent = getpid();
	int devnull, ready[2];
	char one;

	CHECK(pipe(ready) == 0);
	if (fork() != 0) {
		/* the listeners are up before the first input runs */
		close(ready[1]);
		CHECK(read(ready[0], &one, 1) == 1);
		close(ready[0]);
		return;
	}
	close(ready[0]);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max < cap + 64 ? rl.rlim_max : cap + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	pf = calloc(cap, sizeof(*pf));
	if (!pf)
		_exit(1);
	pf[ECHO_L].fd = fz_listen(SOCK_STREAM, echo_port);
	pf[SINK_L].fd = fz_listen(SOCK_STREAM, sink_port);
	pf[UDP_E].fd = fz_listen(SOCK_DGRAM, echo_port);
	for (i = 0; i < FIRST; i++)
		pf[i].events = POLLIN;
	(void)!write(ready[1], "r", 1);
	close(ready[1]);
	for (;;) {
		if (poll(pf, n, -1) < 0)
			continue;
		for (i = 0; i < 2; i++) {
			int c;

			if (!(pf[i].revents & POLLIN))
				continue;
			c = accept4(pf[i].fd, NULL, NULL, SOCK_NONBLOCK);
			if (c < 0 && (errno == EMFILE || errno == ENFILE) &&
			    n > FIRST) {
				close(pf[FIRST].fd); /* the oldest goes */
				pf[FIRST] = pf[--n];
				continue;
			}
			if (c < 0)
				continue;
			if (n == cap) {
				close(c);
				continue;
			}
			pf[n].fd = c;
			/* the sink only notices the peer going away */
			pf[n].events = i == ECHO_L ? POLLIN : POLLRDHUP;
			pf[n].revents = 0;
			n++;
		}
		if (pf[UDP_E].revents & POLLIN) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t r = recvfrom(pf[UDP_E].fd, buf, sizeof(buf), 0,
					     (struct sockaddr *)&from, &fl);

			if (r >= 0)
				sendto(pf[UDP_E].fd, buf, (size_t)r, 0,
				       (struct sockaddr *)&from, fl);
		}
		for (i = FIRST; i < n; i++) {
			ssize_t r = 0;

			if (!pf[i].revents)
				continue;
			if (pf[i].events & POLLIN) {
				r = read(pf[i].fd, buf, sizeof(buf));
				if (r > 0)
					(void)!write(pf[i].fd, buf, (size_t)r);
			}
			if (r <= 0 && (r == 0 || errno != EAGAIN)) {
				close(pf[i].fd);
				pf[i--] = pf[--n];
			}
		}
	}
}
