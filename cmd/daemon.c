/*
 * daemon.c - the qcw-net daemon's start-up and shutdown (see daemon.h).
 *
 * Start-up follows gvproxy's order: options, the virtual network, the
 * services and listeners (one table of units, daemon_units.h), then the
 * pid file and the sandbox; the socket file appearing is the readiness
 * signal machine managers poll. Shutdown stops the units in reverse, each
 * closing its own handles, and then checks that the loop is empty: a
 * handle left there is a leak, logged, and the exit status is 70.
 */
#include "cmd/daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cmd/daemon_units.h"
#include "cmd/proc.h"
#include "net/switch.h"
#define LOG_SUBSYS LOG_SS_DAEMON
#include "util/log.h"
#include "qcw_config.h"

/* The exit status when a handle was left open (EX_SOFTWARE). */
#define DAEMON_EXIT_LEAK 70

/*
 * Started in this order, stopped in reverse. The network comes first
 * (everything else attaches to it); services before the VM transports, as
 * gvproxy; the tunnels dial through a VM that may already be there.
 */
static const struct daemon_unit *const daemon_units[] = {
	&daemon_network,
	/* -pcap FILE: before the sandbox, so the file is opened in time */
	&daemon_capture,
	&daemon_forwarder,
	&daemon_dns,
	&daemon_api,
	&daemon_qemu,
	&daemon_vfkit,
	&daemon_bess,
	&daemon_stdio,
	&daemon_vpnkit,
	&daemon_connect,
	&daemon_tunnels,
};

#define DAEMON_NUNITS (sizeof(daemon_units) / sizeof(daemon_units[0]))

/* daemon_stop_cb() - SIGTERM, Ctrl+C, WM_CLOSE... (cmd/proc.h) */
static void daemon_stop_cb(void *arg, const char *why)
{
	struct daemon *d = arg;

	log_info("received %s, shutting down", why);
	daemon_stop(d, 0);
}

/* daemon_start() - the units in order; how many were started (or tried). */
static size_t daemon_start(struct daemon *d, int *r)
{
	size_t i;

	for (i = 0; i < DAEMON_NUNITS; i++) {
		*r = daemon_units[i]->start(d);
		if (*r < 0) {
			log_debug("start-up failed at %s: %s",
				  daemon_units[i]->name, strerror(-*r));
			return i + 1; /* its stop undoes a partial start */
		}
	}
	return i;
}

/* daemon_stop_units() - the first @n units, last first. */
static void daemon_stop_units(struct daemon *d, size_t n)
{
	while (n-- > 0)
		daemon_units[n]->stop(d);
}

/*
 * daemon_test_leak() - QCW_TEST_LEAK_HANDLE=1: a timer nobody closes, so
 * tests see the leak check fire (tests/e2e/transports.sh).
 */
static void daemon_test_leak(struct daemon *d)
{
	const char *v = getenv("QCW_TEST_LEAK_HANDLE");

	if (v && !strcmp(v, "1"))
		uv_timer_init(&d->loop, &d->test_leak);
}

/* daemon_leak() - uv_walk callback: a handle its owner left open. */
static void daemon_leak(uv_handle_t *h, void *arg)
{
	unsigned int *n = arg;

	if (uv_is_closing(h))
		return;
	log_err("leak: a %s handle was not closed by its owner",
		uv_handle_type_name(uv_handle_get_type(h)));
	log_debug("leak: handle %p, data %p, %s", (void *)h, h->data,
		  uv_is_active(h) ? "active" : "inactive");
	uv_close(h, NULL);
	(*n)++;
}

static void daemon_drain_guard(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/*
 * daemon_drain() - after every unit stopped: run the loop until the
 * owners' close callbacks are done (at most a second, as a leaked active
 * handle would keep it running), then report and close whatever is left.
 * The number of leaks.
 */
static unsigned int daemon_drain(uv_loop_t *loop)
{
	unsigned int leaks = 0;
	uv_timer_t guard;

	uv_timer_init(loop, &guard);
	uv_timer_start(&guard, daemon_drain_guard, 1000, 0);
	uv_unref((uv_handle_t *)&guard);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&guard, NULL);
	uv_walk(loop, daemon_leak, &leaks);
	uv_run(loop, UV_RUN_DEFAULT);
	return leaks;
}

int daemon_run(struct daemon_opts *o)
{
	struct daemon d;
	bool pid_written = false;
	size_t started;
	int r = 0;

	memset(&d, 0, sizeof(d));
	d.o = o;
	proc_tune();
	if (o->debug_mask)
		log_set_debug(o->debug_mask);
	if (o->log_file && (r = log_set_file(o->log_file)) < 0) {
		fprintf(stderr, "cannot open log file %s: %s\n", o->log_file,
			strerror(-r));
		return 1;
	}
	log_info("qcw-net version v%s", QCW_VERSION);
	if (daemon_opts_netcfg(o, &d.net) < 0 || daemon_transports_check(o) < 0)
		return 1;

	uv_loop_init(&d.loop);
	d.exit_status = 1;
	d.stop_req = proc_stop_start(&d.loop, daemon_stop_cb, &d);
	if (!d.stop_req) {
		log_err("cannot watch for shutdown requests: out of memory");
		uv_loop_close(&d.loop);
		return 1;
	}

	started = daemon_start(&d, &r);
	if (r < 0)
		goto out;
	daemon_test_leak(&d);
	if (o->pid_file && (r = proc_write_pid(o->pid_file)) < 0) {
		log_err("cannot write pid file %s: %s", o->pid_file,
			strerror(-r));
		goto out;
	}
	pid_written = o->pid_file != NULL;
	if (daemon_sandbox(&d) < 0)
		goto out;

	d.exit_status = 0;
	uv_run(&d.loop, UV_RUN_DEFAULT);
out:
	daemon_stop_units(&d, started);
	proc_stop_close(d.stop_req);
	if (daemon_drain(&d.loop) > 0)
		d.exit_status = DAEMON_EXIT_LEAK;
	if (uv_loop_close(&d.loop) < 0) {
		log_err("leak: the loop still has requests in flight");
		d.exit_status = DAEMON_EXIT_LEAK;
	}
	sw_destroy(d.sw);
	if (pid_written)
		proc_remove_pid(o->pid_file);
	log_info("qcw-net exiting (status %d)", d.exit_status);
	return d.exit_status;
}
