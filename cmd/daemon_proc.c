/*
 * daemon_proc.c - what the daemon does to its own process: the fd limit
 * and heap tuning at start, the pid file (written once every listener is
 * up, removed only by the process it names) and the sandbox at the end
 * of start-up.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sys/resource.h>
#include <unistd.h>

#include "cmd/daemon_opts.h"
#include "cmd/daemon_units.h"
#include "cmd/sandbox.h"
#include "net/stack.h"
#include "util/log.h"

void daemon_proc_tune(void)
{
	struct rlimit rl;

	/* every NAT flow and forwarded connection holds a host socket */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
#ifdef __GLIBC__
	/*
	 * lwIP allocates 64 KiB segments at MTU 65520: keep freed memory in
	 * the heap instead of trimming and growing it (brk, page faults) on
	 * every burst, and serve those sizes from the heap, not mmap.
	 */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
}

/*
 * The pid file is written once every listener is up (so a second start
 * that fails on a socket in use never touches the running daemon's file)
 * and removed at exit only by the process that wrote it, and only while it
 * still holds its pid.
 */
int daemon_write_pid(const char *path)
{
	char buf[32];
	int fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d", (int)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

void daemon_remove_pid(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	if (atoi(buf) == (int)getpid())
		unlink(path);
}

int daemon_sandbox(struct daemon *d)
{
	struct sandbox_opts so = {
		.runas = d->o->runas,
		.keep_bind_service = sandbox_needs_bind_service(),
	};
	char err[256];
	int r;

	if (stack_prepare(d->st) < 0)
		log_warn("nat: cannot set up the raw ICMP socket");
	if (d->o->no_sandbox) {
		log_warn("sandbox: off (-no-sandbox)");
		return 0;
	}
	r = sandbox_enter(&so, err, sizeof(err));
	if (r == -ENOSYS) {
		log_warn("sandbox: %s", err);
		return 0;
	}
	if (r < 0)
		log_err("sandbox: %s", err);
	return r;
}
