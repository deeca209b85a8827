/*
 * daemon_proc.c - the end of the daemon's start-up: the raw ICMP socket
 * prepared and the sandbox entered. What the daemon asks of the system
 * as a process (tuning, the pid file, shutdown requests) is cmd/proc.h.
 */
#include <errno.h>

#include "cmd/daemon_opts.h"
#include "cmd/daemon_units.h"
#include "cmd/sandbox.h"
#include "net/stack.h"
#include "util/log.h"

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
