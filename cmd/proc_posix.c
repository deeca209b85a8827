/*
 * proc_posix.c - proc.h on POSIX: SIGPIPE ignored, the fd limit and heap
 * tuned, the pid file, SIGINT and SIGTERM as libuv signal handles.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sys/resource.h>
#include <unistd.h>

#include "cmd/proc.h"

void proc_tune(void)
{
	struct rlimit rl;

	signal(SIGPIPE, SIG_IGN);
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

int proc_write_pid(const char *path)
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

void proc_remove_pid(const char *path)
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

struct proc_stop {
	uv_signal_t sigint, sigterm;
	proc_stop_fn fn;
	void *arg;
	int open; /* handles not yet closed */
};

static void proc_signal_cb(uv_signal_t *s, int signum)
{
	struct proc_stop *ps = s->data;

	ps->fn(ps->arg, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

struct proc_stop *proc_stop_start(uv_loop_t *loop, proc_stop_fn fn, void *arg)
{
	struct proc_stop *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	ps->fn = fn;
	ps->arg = arg;
	ps->open = 2;
	uv_signal_init(loop, &ps->sigint);
	uv_signal_init(loop, &ps->sigterm);
	ps->sigint.data = ps->sigterm.data = ps;
	uv_signal_start(&ps->sigint, proc_signal_cb, SIGINT);
	uv_signal_start(&ps->sigterm, proc_signal_cb, SIGTERM);
	return ps;
}

static void proc_stop_closed(uv_handle_t *h)
{
	struct proc_stop *ps = h->data;

	if (--ps->open == 0)
		free(ps);
}

void proc_stop_close(struct proc_stop *ps)
{
	if (!ps)
		return;
	uv_close((uv_handle_t *)&ps->sigint, proc_stop_closed);
	uv_close((uv_handle_t *)&ps->sigterm, proc_stop_closed);
}
