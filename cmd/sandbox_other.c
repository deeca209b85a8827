/*
 * sandbox_other.c - systems without seccomp or Linux capabilities: the
 * sandbox is not supported (see sandbox.h); the daemon says so and runs.
 */
#include "cmd/sandbox.h"

#include <errno.h>
#include <stdio.h>

bool sandbox_needs_bind_service(void)
{
	return false;
}

int sandbox_enter(const struct sandbox_opts *o, char *err, size_t errlen)
{
	(void)o;
	snprintf(err, errlen, "not supported on this system");
	return -ENOSYS;
}

int sandbox_seccomp_load(void)
{
	return -ENOSYS;
}
