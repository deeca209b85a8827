/*
 * vm_conn.c - qcw-net-vm's connection to the host end (see vm_conn.h).
 */
#include "vsock/vm_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/vsock.h"

static int vm_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/*
 * vm_big_buffers() - 4 MiB socket buffers, as the host end has: a burst of
 * frames then waits in the kernel rather than in the tap's queue. The
 * FORCE options pass the sysctl limits as root; the plain ones otherwise.
 */
static void vm_big_buffers(int fd)
{
	int sz = 4 * 1024 * 1024;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

static int vm_dial_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* vm_write_all() - the request on a still blocking socket. */
static int vm_write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EPIPE;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int vm_spawn(const struct vm_url *u, struct vm_conn *c)
{
	int in[2], out[2];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return r;
	}
	if (pid == 0) {
		/* the host program ends with us, as it ends with its stdin */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(in[0], 0);
		dup2(out[1], 1);
		execv(u->path, u->argv);
		fprintf(stderr, "qcw-net-vm: cannot run %s: %s\n", u->path,
			strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	/* 1 MiB pipes (the default limit of fs.pipe-max-size) over 64 KiB */
	fcntl(in[1], F_SETPIPE_SZ, 1024 * 1024);
	fcntl(out[0], F_SETPIPE_SZ, 1024 * 1024);
	c->wfd = in[1];
	c->rfd = out[0];
	c->child = pid;
	return 0;
}

int vm_conn_open(const struct vm_url *u, struct vm_conn *c)
{
	char req[512];
	int fd, n, r;

	c->rfd = c->wfd = -1;
	c->child = 0;
	if (u->kind == VM_URL_STDIO) {
		r = vm_spawn(u, c);
		if (r == 0 && (vm_set_nonblock(c->rfd) < 0 ||
			       vm_set_nonblock(c->wfd) < 0)) {
			vm_conn_close(c);
			return -EIO;
		}
		return r;
	}
	fd = u->kind == VM_URL_VSOCK ? vsock_dial(u->cid, u->port)
				     : vm_dial_unix(u->path);
	if (fd < 0)
		return fd;
	if (u->post[0]) {
		n = snprintf(req, sizeof(req),
			     "POST %s HTTP/1.1\r\nHost: qcw-net\r\n"
			     "User-Agent: qcw-net-vm\r\nContent-Length: 0"
			     "\r\n\r\n",
			     u->post);
		r = n > 0 && (size_t)n < sizeof(req)
			    ? vm_write_all(fd, req, (size_t)n)
			    : -ENAMETOOLONG;
		if (r < 0) {
			close(fd);
			return r;
		}
	}
	r = vm_set_nonblock(fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	vm_big_buffers(fd);
	c->rfd = c->wfd = fd;
	return 0;
}

void vm_conn_close(struct vm_conn *c)
{
	if (c->rfd >= 0)
		close(c->rfd);
	if (c->wfd >= 0 && c->wfd != c->rfd)
		close(c->wfd);
	c->rfd = c->wfd = -1;
	if (c->child > 0) {
		/* stdin closed: a well-behaved program exits by itself */
		for (int i = 0; i < 20; i++) {
			if (waitpid(c->child, NULL, WNOHANG) == c->child) {
				c->child = 0;
				return;
			}
			usleep(50000);
		}
		kill(c->child, SIGKILL);
		waitpid(c->child, NULL, 0);
		c->child = 0;
	}
}
