/*
 * sandbox_linux.c - capabilities, -runas, no_new_privs and the seccomp
 * allow-list (see sandbox.h). The list is what strace -f -c showed
 * qcw-net calling through the whole e2e suite (NAT, DNS, forwards, the
 * APIs, SSH tunnels, several VMs), plus what ASan/LSan need in sanitizer
 * builds. Arguments are checked where a pointer is not involved: files
 * open read-only only, ioctl only for the few requests libuv makes,
 * sockets only of the families qcw-net serves, clone only for threads.
 */
#include "cmd/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <ucontext.h>
#include <unistd.h>

#define LOG_SUBSYS LOG_SS_DAEMON
#include "util/log.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef SIOCOUTQ
#define SIOCOUTQ TIOCOUTQ
#endif

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif

/* Allowed whatever the arguments. */
/* clang-format off */
static const char *const sandbox_plain[] = {
	/* file descriptors and files already open */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv",
	"pwritev", "preadv2", "pwritev2", "close", "lseek", "fstat", "stat",
	"lstat", "newfstatat", "statx", "fcntl", "dup", "dup2", "dup3",
	"access", "faccessat", "faccessat2", "getdents64", "umask",
	/* -pcap: a failed write cuts the file back to its last record */
	"ftruncate",
	/* realpath() of a path to confine (API) */
	"readlink", "readlinkat", "getcwd",
	/* unix sockets of the APIs and forwards: stale ones are replaced,
	 * new ones made 0600, all removed at exit; the pid file too */
	"unlink", "unlinkat", "mkdir", "mkdirat", "chmod", "fchmod",
	"fchmodat",
	/* the libslirp backend's private directory of unix sockets */
	"rmdir",
	/* memory */
	"mmap", "munmap", "mremap", "mprotect", "madvise", "brk",
	/* time */
	"clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep",
	"clock_nanosleep",
	/* threads (libuv's pool, started on first use) and identity */
	"futex", "set_robust_list", "get_robust_list", "rseq",
	"set_tid_address", "exit", "exit_group", "gettid", "getpid",
	"getppid", "getuid", "geteuid", "getgid", "getegid", "getgroups",
	"getresuid", "getresgid", "sched_yield", "sched_getaffinity",
	"getrlimit", "prlimit64", "uname",
	/* signals (libuv's signal pipe) */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"restart_syscall",
	/* the loop */
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
	"epoll_pwait2", "eventfd2", "pipe2", "poll", "ppoll",
	/* NAT, forwards, DNS upstream, APIs, SSH */
	"socketpair", "connect", "bind", "listen", "accept", "accept4",
	"shutdown", "getsockname", "getpeername", "setsockopt", "getsockopt",
	"sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
	"getrandom",
#ifdef SANDBOX_SANITIZER
	/* LeakSanitizer stops the world with a ptrace()ing clone at exit
	 * and lists threads with getdents */
	"ptrace", "prctl", "clone", "wait4", "waitid", "kill", "tgkill",
	"getdents", "tkill", "process_vm_readv", "mincore", "personality",
#endif
};
/* clang-format on */

static int sandbox_add(scmp_filter_ctx ctx, const char *name,
		       unsigned int n_arg, const struct scmp_arg_cmp *arg)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0; /* not a syscall on this architecture */
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n_arg, arg);
}

/* sandbox_add_in() - @name allowed when argument @argn is one of @v. */
static int sandbox_add_in(scmp_filter_ctx ctx, const char *name,
			  unsigned int argn, const uint64_t *v, size_t n)
{
	size_t i;
	int r = 0;

	for (i = 0; i < n && r == 0; i++) {
		struct scmp_arg_cmp c = SCMP_CMP(argn, SCMP_CMP_EQ, v[i], 0);

		r = sandbox_add(ctx, name, 1, &c);
	}
	return r;
}

static int sandbox_rules(scmp_filter_ctx ctx)
{
	/* files open for reading only: c-ares re-reads resolv.conf and
	 * hosts, SSH reads its key; nothing is created or written */
	const uint64_t wr = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;
	struct scmp_arg_cmp open_ro[] = {
		SCMP_CMP(1, SCMP_CMP_MASKED_EQ, wr, 0)};
	struct scmp_arg_cmp openat_ro[] = {
		SCMP_CMP(2, SCMP_CMP_MASKED_EQ, wr, 0)};
	struct scmp_arg_cmp self[] = {
		SCMP_CMP(0, SCMP_CMP_EQ, (uint64_t)getpid(), 0)};
	const uint64_t ioctls[] = {FIONBIO,  FIOCLEX,  FIONCLEX,
				   FIONREAD, SIOCOUTQ, TCGETS};
	const uint64_t families[] = {AF_UNIX, AF_INET, AF_INET6, AF_VSOCK};
	const uint64_t prctls[] = {PR_SET_NAME, PR_GET_NAME};
	size_t i;
	int r = 0;

	for (i = 0; i < sizeof(sandbox_plain) / sizeof(sandbox_plain[0]); i++)
		r = r ?: sandbox_add(ctx, sandbox_plain[i], 0, NULL);
	r = r ?: sandbox_add(ctx, "open", 1, open_ro);
	r = r ?: sandbox_add(ctx, "openat", 1, openat_ro);
	r = r ?: sandbox_add_in(ctx, "ioctl", 1, ioctls, 6);
	r = r ?: sandbox_add_in(ctx, "socket", 0, families, 4);
#ifndef SANDBOX_SANITIZER
	{
		struct scmp_arg_cmp thread[] = {SCMP_CMP(
			0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)};
		int nr = seccomp_syscall_resolve_name("clone3");

		/* threads only; clone3's flags are behind a pointer, so it
		 * says ENOSYS and glibc falls back to clone */
		r = r ?: sandbox_add(ctx, "clone", 1, thread);
		if (r == 0 && nr != __NR_SCMP_ERROR)
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr,
					     0);
		r = r ?: sandbox_add(ctx, "tgkill", 1, self);
		r = r ?: sandbox_add_in(ctx, "prctl", 0, prctls, 2);
	}
#else
	{
		int nr = seccomp_syscall_resolve_name("clone3");

		(void)self;
		(void)prctls;
		if (nr != __NR_SCMP_ERROR)
			r = r
				    ?: seccomp_rule_add(ctx,
							SCMP_ACT_ERRNO(ENOSYS),
							nr, 0);
	}
#endif
	return r;
}

/*
 * Audit mode, to find what the list lacks (QCW_SANDBOX_AUDIT=FILE in the
 * environment, never on by default): a refused syscall raises SIGSYS
 * instead, the handler appends "nr a0 a1 a2" to FILE and makes the call
 * return -EPERM as the normal filter would.
 */
static int sandbox_audit_fd = -1;

static char *sandbox_hex(char *p, unsigned long long v)
{
	char t[17];
	int n = 0;

	do {
		t[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	*p++ = '0';
	*p++ = 'x';
	while (n)
		*p++ = t[--n];
	*p++ = ' ';
	return p;
}

static void sandbox_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	char line[128], *p = line;
	int saved = errno;

	(void)sig;
	p = sandbox_hex(p, (unsigned int)si->si_syscall);
#if defined(__x86_64__)
	p = sandbox_hex(p, (unsigned long long)uc->uc_mcontext.gregs[REG_RDI]);
	p = sandbox_hex(p, (unsigned long long)uc->uc_mcontext.gregs[REG_RSI]);
	p = sandbox_hex(p, (unsigned long long)uc->uc_mcontext.gregs[REG_RDX]);
	uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
#elif defined(__aarch64__)
	p = sandbox_hex(p, uc->uc_mcontext.regs[0]);
	p = sandbox_hex(p, uc->uc_mcontext.regs[1]);
	p = sandbox_hex(p, uc->uc_mcontext.regs[2]);
	uc->uc_mcontext.regs[0] = (unsigned long long)-EPERM;
#else
	(void)uc;
#endif
	*p++ = '\n';
	if (write(sandbox_audit_fd, line, (size_t)(p - line)) < 0)
		errno = saved;
	errno = saved;
}

static uint32_t sandbox_default_action(void)
{
	const char *path = getenv("QCW_SANDBOX_AUDIT");
	struct sigaction sa;

	if (!path || !*path)
		return SCMP_ACT_ERRNO(EPERM);
	sandbox_audit_fd =
		open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (sandbox_audit_fd < 0)
		return SCMP_ACT_ERRNO(EPERM);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sandbox_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
	return SCMP_ACT_TRAP;
}

int sandbox_seccomp_load(void)
{
	scmp_filter_ctx ctx = seccomp_init(sandbox_default_action());
	int r;

	if (!ctx)
		return -ENOMEM;
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	r = r ?: seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	/* a binary tree of syscall numbers, not a list (libseccomp 2.5);
	 * the kernel's cache makes argument-free allows free anyway */
	if (r == 0 && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0)
		log_debug("sandbox: seccomp filter not optimised");
	r = r ?: sandbox_rules(ctx);
	r = r ?: seccomp_load(ctx);
	seccomp_release(ctx);
	return r > 0 ? -r : r;
}

bool sandbox_needs_bind_service(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
	int start = 1024;

	if (f) {
		if (fscanf(f, "%d", &start) != 1)
			start = 1024;
		fclose(f);
	}
	return start > 1;
}

/* ---- capabilities, without libcap: two 32-bit words per set ---- */

struct sandbox_caps {
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];
};

static int sandbox_capget(struct sandbox_caps *c)
{
	memset(c, 0, sizeof(*c));
	c->hdr.version = _LINUX_CAPABILITY_VERSION_3;
	return syscall(SYS_capget, &c->hdr, c->data) < 0 ? -errno : 0;
}

static bool sandbox_cap_in(const struct sandbox_caps *c, int cap)
{
	return c->data[cap / 32].permitted & (1u << (cap % 32));
}

/*
 * sandbox_bounding_set() - bounding set = @keep; needs CAP_SETPCAP, so
 * before -runas (without it, e.g. unprivileged, there is nothing to
 * bound: the process cannot gain capabilities, no_new_privs follows).
 */
static int sandbox_bounding_set(uint64_t keep)
{
	int cap;

	for (cap = 0; cap <= 63; cap++) {
		if (keep & (1ull << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	}
	return 0;
}

/*
 * sandbox_caps_set() - effective = permitted = @keep (within what the
 * process has), inheritable and ambient empty.
 */
static int sandbox_caps_set(uint64_t keep)
{
	struct sandbox_caps c;
	int r;

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return -errno;
	r = sandbox_capget(&c);
	if (r < 0)
		return r;
	c.data[0].permitted &= (uint32_t)keep;
	c.data[1].permitted &= (uint32_t)(keep >> 32);
	c.data[0].effective = c.data[0].permitted;
	c.data[1].effective = c.data[1].permitted;
	c.data[0].inheritable = c.data[1].inheritable = 0;
	return syscall(SYS_capset, &c.hdr, c.data) < 0 ? -errno : 0;
}

/* sandbox_user() - "name", "uid" or "uid:gid" to ids; 0 or -EINVAL. */
static int sandbox_user(const char *s, uid_t *uid, gid_t *gid, bool *named)
{
	unsigned long u, g;
	struct passwd *pw;
	char *end;

	errno = 0;
	u = strtoul(s, &end, 10);
	if (end != s && !errno && (*end == 0 || *end == ':')) {
		g = u;
		if (*end == ':') {
			g = strtoul(end + 1, &end, 10);
			if (errno || *end)
				return -EINVAL;
		}
		*uid = (uid_t)u;
		*gid = (gid_t)g;
		*named = false;
		return 0;
	}
	pw = getpwnam(s);
	if (!pw)
		return -EINVAL;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	*named = true;
	return 0;
}

static int sandbox_runas(const char *who, uint64_t keep, char *err,
			 size_t errlen)
{
	bool named;
	uid_t uid;
	gid_t gid;

	if (sandbox_user(who, &uid, &gid, &named) < 0) {
		snprintf(err, errlen, "-runas: no such user %s", who);
		return -EINVAL;
	}
	if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		goto fail;
	if ((named ? initgroups(who, gid) : setgroups(0, NULL)) < 0 ||
	    setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		goto fail;
	if (keep && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "-runas %s: %s", who, strerror(errno));
	return -errno;
}

int sandbox_enter(const struct sandbox_opts *o, char *err, size_t errlen)
{
	struct sandbox_caps c;
	uint64_t keep = 0;
	int r;

	r = sandbox_capget(&c);
	if (r < 0) {
		snprintf(err, errlen, "capget: %s", strerror(-r));
		return r;
	}
	if (o->keep_bind_service && sandbox_cap_in(&c, CAP_NET_BIND_SERVICE))
		keep |= 1ull << CAP_NET_BIND_SERVICE;
	if (sandbox_cap_in(&c, CAP_SETPCAP) &&
	    (r = sandbox_bounding_set(keep)) < 0) {
		snprintf(err, errlen, "bounding set: %s", strerror(-r));
		return r;
	}
	if (o->runas && (r = sandbox_runas(o->runas, keep, err, errlen)) < 0)
		return r;
	r = sandbox_caps_set(keep);
	if (r < 0) {
		snprintf(err, errlen, "dropping capabilities: %s",
			 strerror(-r));
		return r;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
		return -errno;
	}
	r = sandbox_seccomp_load();
	if (r < 0) {
		snprintf(err, errlen, "seccomp: %s", strerror(-r));
		return r;
	}
	log_info("sandbox: on (seccomp allow-list, no_new_privs, "
		 "capabilities kept: %s)",
		 keep ? "net_bind_service" : "none");
	return 0;
}
