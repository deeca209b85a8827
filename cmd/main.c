/*
 * main.c - qcw-net's entry point: the daemon (gvproxy's command line) and,
 * when the first argument is a word, the client subcommands. Also runs
 * as "gvproxy" when installed or symlinked under that name.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd/client.h"
#include "cmd/daemon.h"
#include "cmd/flags.h"
#include "net/osock.h"
#include "util/log.h"
#include "qcw_config.h"

/* main_is_gvproxy() - installed or linked as gvproxy(.exe): the daemon only. */
static bool main_is_gvproxy(const char *argv0)
{
	const char *base = argv0, *p;

	for (p = argv0; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	return !strcasecmp(base, "gvproxy") || !strcasecmp(base, "gvproxy.exe");
}

int main(int argc, char **argv)
{
	struct daemon_opts o;
	int r;

	osock_init();
	/*
	 * A first argument that is a word (not a flag) is a client
	 * subcommand. gvproxy's command lines always start with a flag
	 * (Go's flag package stops at the first non-flag anyway), and under
	 * the name gvproxy nothing but the daemon runs.
	 */
	if (argc > 1 && argv[1][0] != '-' && !main_is_gvproxy(argv[0]))
		return client_main(argc - 1, argv + 1);

	r = daemon_parse_args(&o, argc, argv);
	if (r != 0) {
		/* what the flags and -config gave before the error */
		daemon_opts_free(&o);
		return r < 0 ? 1 : r == 100 ? 0 : r;
	}
	r = daemon_run(&o);
	daemon_opts_free(&o);
	return r;
}
