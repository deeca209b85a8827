/*
 * daemon_units.h - the daemon's parts and the one shape each starts and
 * stops with (private to cmd/daemon*.c).
 *
 * A unit is {name, start, stop}. daemon_run() walks its table in order,
 * and stops the units it started in reverse order, also after a failed
 * start. start() returns 0 (also when its flag is not given: nothing to
 * do) or -errno after logging why; stop() undoes whatever start() did,
 * even partly, and may run when start() did nothing. Every handle a
 * unit's modules open is closed by that module's destroy: at exit the
 * daemon reports any handle left on the loop as a leak (daemon.c).
 */
#ifndef QCW_DAEMON_UNITS_H
#define QCW_DAEMON_UNITS_H

#include <stdbool.h>
#include <uv.h>

#include "net/frame.h"
#include "net/netcfg.h"

struct daemon_opts;
struct proc_stop;

struct daemon {
	uv_loop_t loop;
	struct daemon_opts *o;
	struct netcfg net;
	/* the virtual network (daemon_network.c) */
	struct sw *sw;
	struct stack *st;
	struct gw_link *link; /* ARP and DHCP in front of the stack */
	struct dhcp_server *dhcp;
	uv_timer_t sw_timer; /* the switch's clock: MAC ageing */
	bool sw_timer_on;
	struct capture *capture; /* -pcap (daemon_capture.c), or NULL */
	/* services (daemon_services.c) */
	struct fwd *fwd;
	struct dns_server *dns;
	struct gw_dns *gw_dns;
	struct api *api; /* -listen, -services, gateway:80 */
	struct notify *notify;
	struct ssh_tunnel **tunnels; /* -forward-sock, one per tuple */
	unsigned int n_tunnels;
	/* transports (daemon_transports.c) */
	struct ts_listener *qemu;
	struct td_port *vfkit, *bess;
	struct ts_listener *stdio;
	struct ts_listener *connect; /* /connect connections */
	struct ts_listener *vpnkit; /* -listen-vpnkit */
	/* the process (daemon.c) */
	struct proc_stop *stop_req; /* signals, Ctrl+C, WM_CLOSE (proc.h) */
	uv_timer_t test_leak; /* QCW_TEST_LEAK_HANDLE=1: never closed */
	int exit_status;
	bool stopping;
};

struct daemon_unit {
	const char *name;
	int (*start)(struct daemon *d);
	void (*stop)(struct daemon *d);
};

/* daemon_network.c: switch, DHCP server, stack, gateway link, MAC ageing */
extern const struct daemon_unit daemon_network;

/* daemon_capture.c: -pcap FILE, every frame of the switch */
extern const struct daemon_unit daemon_capture;

/* daemon_services.c */
extern const struct daemon_unit daemon_forwarder; /* rules, ssh-port */
extern const struct daemon_unit daemon_dns; /* resolver at gateway:53 */
extern const struct daemon_unit daemon_api; /* -listen, -services, :80 */
extern const struct daemon_unit daemon_tunnels; /* -forward-sock */

/* daemon_transports.c */
extern const struct daemon_unit daemon_qemu; /* -listen-qemu */
extern const struct daemon_unit daemon_vfkit; /* -listen-vfkit */
extern const struct daemon_unit daemon_bess; /* -listen-bess */
extern const struct daemon_unit daemon_stdio; /* -listen-stdio */
extern const struct daemon_unit daemon_vpnkit; /* -listen-vpnkit */
extern const struct daemon_unit daemon_connect; /* the API's /connect */

/*
 * daemon_transports_check() - before anything binds: refuse to start
 * when the VM socket is owned by a live process.
 */
int daemon_transports_check(const struct daemon_opts *o);

/* daemon_connect_framing() - the framing /connect speaks (gvproxy's rule). */
enum frame_framing daemon_connect_framing(const struct daemon_opts *o);

/* daemon_connect_fd() - api_connect_fn: frames start on @fd at once. */
void daemon_connect_fd(void *arg, int fd);

/* daemon_stop() - leave the loop with @status (the first call wins). */
static inline void daemon_stop(struct daemon *d, int status)
{
	if (d->stopping)
		return;
	d->stopping = true;
	d->exit_status = status;
	uv_stop(&d->loop);
}

/* daemon_proc.c: the process itself */
/*
 * daemon_sandbox() - the end of start-up: every listener is bound and
 * every start-up file open. The raw ICMP socket (if ping sockets are not
 * allowed) is opened first, as the sandbox takes CAP_NET_RAW away.
 */
int daemon_sandbox(struct daemon *d);

/* daemon_opts_netcfg() - the addressing from the options (daemon_opts.c). */
int daemon_opts_netcfg(const struct daemon_opts *o, struct netcfg *n);

#endif
