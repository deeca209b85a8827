/*
 * watch_win.c - `qcw-net watch` on Windows: the live view needs POSIX
 * terminal signals (SIGWINCH) and raw keys, not ported yet; it says so
 * and points at the one-shot commands, which work (watch.h).
 */
#include "cmd/watch.h"

#include <stdio.h>

int watch_main(const char *sock, double interval)
{
	(void)interval;
	fprintf(stderr,
		"qcw-net watch: the live view is not available on Windows "
		"yet; use `qcw-net stats --socket %s`\n",
		sock ? sock : "URL");
	return 1;
}
