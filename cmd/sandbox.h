/*
 * sandbox.h - what qcw-net gives up once it has started (passt-style):
 * every listener is bound and every start-up file is open, so from here
 * on the daemon needs no new privileges, almost no capabilities and a
 * short list of system calls. Linux only (sandbox_linux.c); other
 * systems report -ENOSYS (sandbox_other.c).
 *
 * Order inside sandbox_enter(): capabilities that are not kept leave the
 * bounding set, the optional -runas identity is taken (keeping the kept
 * capabilities across setuid), the capability sets shrink to the kept
 * ones, ambient capabilities are cleared, no_new_privs is set and the
 * seccomp allow-list is loaded for every thread (TSYNC). A syscall not on
 * the list fails with EPERM; nothing is ever killed, so a guest that
 * finds an unlisted path gets an error logged, not a dead daemon.
 */
#ifndef QCW_SANDBOX_H
#define QCW_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

struct sandbox_opts {
	/* -runas: "user", "uid" or "uid:gid"; NULL keeps the identity */
	const char *runas;
	/* keep CAP_NET_BIND_SERVICE when the process has it; nothing else
	 * is kept: the raw ICMP socket is opened before and needs no
	 * CAP_NET_RAW once open */
	bool keep_bind_service;
};

/*
 * sandbox_needs_bind_service() - true when ports below
 * net.ipv4.ip_unprivileged_port_start exist (a forward added later
 * through the API may need CAP_NET_BIND_SERVICE); read before entering.
 */
bool sandbox_needs_bind_service(void);

/*
 * sandbox_enter() - drop privileges and load the filter; 0 or -errno
 * with the step that failed in @err. On failure the process may be
 * partly sandboxed: the caller exits.
 */
int sandbox_enter(const struct sandbox_opts *o, char *err, size_t errlen);

/*
 * sandbox_seccomp_load() - only the seccomp allow-list (with no_new_privs)
 * for the calling process's threads; 0 or -errno. Tests use it to check
 * the very filter the daemon loads.
 */
int sandbox_seccomp_load(void);

#endif
