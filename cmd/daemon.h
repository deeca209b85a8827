/*
 * daemon.h - the qcw-net daemon: options from gvproxy's flags
 * (daemon_opts.c), start-up in gvproxy's order, the loop, and a shutdown
 * in which every part closes its own handles (daemon.c).
 */
#ifndef QCW_DAEMON_H
#define QCW_DAEMON_H

#include "cmd/daemon_opts.h"

/* daemon_run() - serve until a signal or the VM leaves; exit status. */
int daemon_run(struct daemon_opts *o);

#endif
