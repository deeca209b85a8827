/*
 * daemon_capture.c - -pcap FILE (or stack.capture-file in -config) as a
 * unit of the daemon (see daemon_units.h), started right after the
 * network: the file is created before the sandbox, which allows only
 * read-only opens later, and every frame of the switch goes into it from
 * then on (net/pcap_dump.h). A build without libpcap refuses the flag
 * while parsing the options (daemon_opts.c), so here it is never set.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "cmd/daemon_opts.h"
#include "cmd/daemon_units.h"
#include "qcw_config.h"
#define LOG_SUBSYS LOG_SS_DAEMON
#include "util/log.h"
#if QCW_HAVE_PCAP
#include "net/pcap_dump.h"
#endif

static int daemon_capture_start(struct daemon *d)
{
#if QCW_HAVE_PCAP
	const char *path = d->o->pcap;
	int r = 0;

	if (!path || !*path)
		return 0;
	/* past a file size limit: EFBIG (the capture stops), not death */
	signal(SIGXFSZ, SIG_IGN);
	d->capture = capture_open(path, &r);
	if (!d->capture) {
		log_err("cannot create the capture file %s: %s", path,
			strerror(-r));
		return r;
	}
	r = capture_start(d->capture, &d->loop, d->sw);
	if (r < 0) {
		log_err("cannot start the capture: %s", strerror(-r));
		return r;
	}
	log_info("capture: writing every frame of the switch to %s", path);
#else
	(void)d;
#endif
	return 0;
}

/* Flushes what is left and closes the file; the handle closes with it. */
static void daemon_capture_stop(struct daemon *d)
{
#if QCW_HAVE_PCAP
	capture_close(d->capture);
	d->capture = NULL;
#else
	(void)d;
#endif
}

const struct daemon_unit daemon_capture = {"capture", daemon_capture_start,
					   daemon_capture_stop};
