/*
 * test_slirp_dir.c - the slirp backend's private directory (slirp_dir.c)
 * in a scratch parent: a dead daemon's directory goes with its sockets; a
 * live daemon's, ours, a link to a dead daemon's name, a directory holding
 * a file that is not a socket, and names not ours stay; the new directory
 * carries our pid and a name too long is refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/slirp/slirp_dir.h"

static char parent[64];

/* dead_pid() - the pid of a child that has exited and been reaped */
static long dead_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return (long)pid;
}

static void mk(const char *name)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/%s", parent, name);
	assert_int_equal(mkdir(p, 0700), 0);
}

static bool there(const char *name)
{
	char p[160];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s", parent, name);
	return lstat(p, &sb) == 0;
}

/* sock() - a unix socket bound at @parent/@name, closed (the file stays) */
static void sock(const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", parent, name);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	snprintf(parent, sizeof(parent), "/tmp/qcw-test-slirpdir.XXXXXX");
	assert_non_null(mkdtemp(parent));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", parent);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_sweep(void **state)
{
	char dead[64], dead2[64], live[64], mine[64], keep[64], link[64];
	char p[160], t[160];
	long d = dead_pid();

	(void)state;
	snprintf(dead, sizeof(dead), SLIRP_DIR_PREFIX "%ld.aaaaaa", d);
	snprintf(dead2, sizeof(dead2), SLIRP_DIR_PREFIX "%ld.bbbbbb", d);
	snprintf(keep, sizeof(keep), SLIRP_DIR_PREFIX "%ld.cccccc", d);
	snprintf(link, sizeof(link), SLIRP_DIR_PREFIX "%ld.dddddd", d);
	snprintf(live, sizeof(live), SLIRP_DIR_PREFIX "%ld.eeeeee",
		 (long)getppid());
	snprintf(mine, sizeof(mine), SLIRP_DIR_PREFIX "%ld.ffffff",
		 (long)getpid());
	mk(dead);
	snprintf(t, sizeof(t), "%s/l8080", dead);
	sock(t);
	snprintf(t, sizeof(t), "%s/dc0a87f02-22", dead);
	sock(t);
	mk(dead2);
	mk(keep);
	snprintf(p, sizeof(p), "%s/%s/not-a-socket", parent, keep);
	fclose(fopen(p, "w"));
	mk(live);
	mk(mine);
	mk("qcw-slirp.XXXXXX"); /* the old name: no pid */
	mk("qcw-slirp.0.aaaaaa");
	mk("other");
	/* a link named as a dead daemon's, to a directory with a socket */
	mk("target");
	sock("target/s");
	snprintf(p, sizeof(p), "%s/target", parent);
	snprintf(t, sizeof(t), "%s/%s", parent, link);
	assert_int_equal(symlink(p, t), 0);

	assert_int_equal(slirp_dir_sweep(parent), 2);
	assert_false(there(dead));
	assert_false(there(dead2));
	assert_true(there(keep));
	assert_true(there(live));
	assert_true(there(mine));
	assert_true(there("qcw-slirp.XXXXXX"));
	assert_true(there("qcw-slirp.0.aaaaaa"));
	assert_true(there("other"));
	assert_true(there(link));
	assert_true(there("target/s"));
	/* again: nothing more */
	assert_int_equal(slirp_dir_sweep(parent), 0);
	assert_int_equal(slirp_dir_sweep("/nonexistent/qcw-test"), 0);
}

static void test_make(void **state)
{
	char dir[80], want[96], dead[64], small[24];
	struct stat sb;
	long d = dead_pid();

	(void)state;
	snprintf(dead, sizeof(dead), SLIRP_DIR_PREFIX "%ld.zzzzzz", d);
	mk(dead);
	assert_int_equal(slirp_dir_make(dir, sizeof(dir), parent), 0);
	assert_false(there(dead)); /* swept on the way */
	snprintf(want, sizeof(want), "%s/" SLIRP_DIR_PREFIX "%ld.", parent,
		 (long)getpid());
	assert_memory_equal(dir, want, strlen(want));
	assert_int_equal(strlen(dir), strlen(want) + 6);
	assert_int_equal(stat(dir, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0700);
	/* our own stays when another daemon sweeps */
	assert_int_equal(slirp_dir_sweep(parent), 0);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(slirp_dir_make(small, sizeof(small), parent),
			 -ENAMETOOLONG);
	assert_int_equal(slirp_dir_make(dir, sizeof(dir), "/nonexistent/x"),
			 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_make, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
