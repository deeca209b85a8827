/*
 * sys/resource.h for the Windows build (on its include path only there):
 * Windows has no per-process limit on sockets (the NAT sizes its budget
 * from this one), and nothing to raise.
 */
#ifndef QCW_COMPAT_WIN_SYS_RESOURCE_H
#define QCW_COMPAT_WIN_SYS_RESOURCE_H

#define RLIMIT_NOFILE 7
#define QCW_WIN_NOFILE 16384

typedef unsigned long rlim_t;
#define RLIM_INFINITY ((rlim_t)-1)

struct rlimit {
	rlim_t rlim_cur;
	rlim_t rlim_max;
};

static inline int getrlimit(int res, struct rlimit *rl)
{
	(void)res;
	rl->rlim_cur = rl->rlim_max = QCW_WIN_NOFILE;
	return 0;
}

static inline int setrlimit(int res, const struct rlimit *rl)
{
	(void)res;
	(void)rl;
	return 0;
}

#endif
