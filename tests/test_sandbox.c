/*
 * test_sandbox.c - the daemon's seccomp allow-list (cmd/sandbox_linux.c):
 * a child process loads the very filter qcw-net loads and checks that
 * what qcw-net must never do fails with EPERM (and is not killed), while
 * what it does at run time still works. One child per case, so the test
 * runner itself stays unsandboxed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd/sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_SANITIZER 1
#endif
#endif

/* Each returns 0 when the sandboxed call behaved, else a line number. */
typedef int (*sandboxed_fn)(void);

#define EXPECT_EPERM(call)                          \
	do {                                        \
		errno = 0;                          \
		if ((call) != -1 || errno != EPERM) \
			return __LINE__;            \
	} while (0)
#define EXPECT_OK(call)                  \
	do {                             \
		if ((call) < 0)          \
			return __LINE__; \
	} while (0)

/* run_sandboxed() - @fn's result in a child that loaded the filter. */
static int run_sandboxed(sandboxed_fn fn)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int r = sandbox_seccomp_load();

		if (r < 0) {
			fprintf(stderr, "sandbox_seccomp_load: %s\n",
				strerror(-r));
			_exit(200);
		}
		r = fn();
		if (r)
			fprintf(stderr, "check at line %d failed (errno %d)\n",
				r, errno);
		_exit(r ? 1 : 0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d", WTERMSIG(status));
	return WEXITSTATUS(status);
}

static int forbidden_exec(void)
{
	/* /bin/false: an exec that got through fails the check */
	char *argv[] = {"/bin/false", NULL}, *envp[] = {NULL};

	EXPECT_EPERM(execve("/bin/false", argv, envp));
	EXPECT_EPERM(
		syscall(SYS_execveat, AT_FDCWD, "/bin/false", argv, envp, 0));
	return 0;
}

static int forbidden_files(void)
{
	char path[] = "/tmp/qcw-sandbox-test-XXXXXX";

	/* nothing is created or written: pid/log files are open already */
	EXPECT_EPERM(open("/tmp/qcw-sandbox-test-new",
			  O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	EXPECT_EPERM(openat(AT_FDCWD, "/etc/hostname", O_RDWR | O_CLOEXEC));
	EXPECT_EPERM(openat(AT_FDCWD, "/etc/hostname",
			    O_RDONLY | O_TRUNC | O_CLOEXEC));
	EXPECT_EPERM(openat(AT_FDCWD, "/etc/hostname",
			    O_WRONLY | O_APPEND | O_CLOEXEC));
	EXPECT_EPERM(mkstemp(path));
	EXPECT_EPERM(syscall(SYS_rename, "/tmp/a", "/tmp/b"));
	EXPECT_EPERM(syscall(SYS_symlink, "/etc/passwd", "/tmp/qcw-sb-l"));
	EXPECT_EPERM(syscall(SYS_truncate, "/etc/hostname", 0));
	EXPECT_EPERM(chown("/tmp", 0, 0));
	return 0;
}

static int forbidden_privileged(void)
{
	EXPECT_EPERM(mount("none", "/mnt", "tmpfs", 0, NULL));
	EXPECT_EPERM(unshare(CLONE_NEWNET));
	EXPECT_EPERM(setuid(0));
	EXPECT_EPERM(syscall(SYS_chroot, "/"));
	EXPECT_EPERM(syscall(SYS_reboot, 0, 0, 0, NULL));
	EXPECT_EPERM(syscall(SYS_init_module, NULL, 0, ""));
	EXPECT_EPERM(syscall(SYS_bpf, 0, NULL, 0));
	EXPECT_EPERM(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
	EXPECT_EPERM(syscall(SYS_io_uring_setup, 1, NULL));
	/* raw and packet sockets, netlink: not a family qcw-net serves */
	EXPECT_EPERM(socket(AF_PACKET, SOCK_RAW, 0));
	EXPECT_EPERM(socket(AF_NETLINK, SOCK_RAW, 0));
	/* terminal injection */
	EXPECT_EPERM(ioctl(0, TIOCSTI, "x"));
#ifndef TEST_SANITIZER
	/* LeakSanitizer needs these, so sanitizer builds allow them */
	EXPECT_EPERM(ptrace(PTRACE_TRACEME, 0, NULL, NULL));
	EXPECT_EPERM(kill(getppid(), 0));
	EXPECT_EPERM(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
	EXPECT_EPERM(fork()); /* clone without CLONE_THREAD */
#endif
	return 0;
}

static void *thread_fn(void *arg)
{
	return arg;
}

static int allowed_runtime(void)
{
	char buf[64];
	pthread_t t;
	void *ret;
	int fd, sv[2];

	/* c-ares re-reads resolv.conf, SSH reads its key: read-only opens */
	EXPECT_OK(fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC));
	EXPECT_OK(read(fd, buf, sizeof(buf)));
	close(fd);
	/* the NAT's and the APIs' sockets */
	EXPECT_OK(fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0));
	close(fd);
	EXPECT_OK(fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
	close(fd);
	EXPECT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_OK(write(sv[0], "x", 1));
	EXPECT_OK(read(sv[1], buf, 1));
	close(sv[0]);
	close(sv[1]);
	/* libuv's threadpool starts after the sandbox closes */
	if (pthread_create(&t, NULL, thread_fn, buf) != 0)
		return __LINE__;
	if (pthread_join(t, &ret) != 0 || ret != buf)
		return __LINE__;
	EXPECT_OK(ioctl(0, FIOCLEX));
	return 0;
}

static int status_shows_it(void)
{
	char buf[4096];
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return __LINE__;
	buf[n] = 0;
	if (!strstr(buf, "Seccomp:\t2") || !strstr(buf, "NoNewPrivs:\t1"))
		return __LINE__;
	return 0;
}

static void test_forbidden_exec(void **state)
{
	(void)state;
	assert_int_equal(run_sandboxed(forbidden_exec), 0);
}

static void test_forbidden_files(void **state)
{
	(void)state;
	assert_int_equal(run_sandboxed(forbidden_files), 0);
}

static void test_forbidden_privileged(void **state)
{
	(void)state;
	assert_int_equal(run_sandboxed(forbidden_privileged), 0);
}

static void test_allowed_runtime(void **state)
{
	(void)state;
	assert_int_equal(run_sandboxed(allowed_runtime), 0);
}

static void test_status(void **state)
{
	(void)state;
	assert_int_equal(run_sandboxed(status_shows_it), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forbidden_exec),
		cmocka_unit_test(test_forbidden_files),
		cmocka_unit_test(test_forbidden_privileged),
		cmocka_unit_test(test_allowed_runtime),
		cmocka_unit_test(test_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
