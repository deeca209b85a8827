/*
 * main.c - qcw-net's entry point: the daemon (gvproxy's command line) and,
 * when the first argument is a word, the client subcommands. Also runs
 * as "gvproxy" when installed or symlinked under that name.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/daemon.h"
#include "flags.h"
#include "log.h"
#include "qcw_config.h"

int main(int argc, char **argv)
{
	struct daemon_opts o;
	int r;

	r = daemon_parse_args(&o, argc, argv);
	if (r != 0)
		return r < 0 ? 1 : r == 100 ? 0 : r;
	r = daemon_run(&o);
	daemon_opts_free(&o);
	return r;
}
