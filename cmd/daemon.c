/*
 * daemon.c - the qcw-net daemon (see daemon.h). Start-up follows
 * gvproxy's order (parse, virtual network, listeners), then the pid file; the
 * socket file appearing is the readiness signal machine managers poll.
 */
#include "cmd/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "cmd/config.h"
#include "dhcp/dhcp_server.h"
#include "api/api.h"
#include "util/sockpath.h"
#include "api/notify.h"
#include "forwarder/fwd.h"
#include "forwarder/ssh_tunnel.h"
#include "dns/dns_server.h"
#include "gateway/gw_dns.h"
#include "gateway/gw_link.h"
#include "util/log.h"
#include "net/netcfg.h"
#include "qcw_config.h"
#include "net/rxchunk.h"
#include "cmd/sandbox.h"
#include "net/stack.h"
#include "net/switch.h"
#include "net/transport_dgram.h"
#include "net/transport_stream.h"
#include "util/url.h"

struct daemon {
	uv_loop_t loop;
	struct daemon_opts *o;
	struct netcfg net;
	struct sw *sw;
	struct stack *st;
	struct gw_link *link; /* ARP and DHCP in front of the stack */
	struct dhcp_server *dhcp;
	struct fwd *fwd;
	struct dns_server *dns;
	struct gw_dns *gw_dns;
	struct ts_listener *qemu;
	struct td_port *vfkit, *bess;
	struct ts_listener *stdio;
	struct api *api; /* -listen, -services, gateway:80 */
	struct notify *notify;
	struct ts_listener *connect; /* /connect connections */
	struct ssh_tunnel **tunnels; /* -forward-sock, one per tuple */
	unsigned int n_tunnels;
	uv_signal_t sigint, sigterm;
	uv_timer_t sw_timer; /* the switch's clock: MAC ageing */
	bool sw_timer_on;
	int exit_status;
	bool stopping;
};

#define F(n, t, p, u)                                      \
	{                                                  \
		.name = n, .type = t, .ptr = p, .usage = u \
	}

static void daemon_flags_init(struct daemon_opts *o)
{
	struct flag f[] = {
		F("config", FLAG_STRING, &o->config,
		  "path to a YAML configuration file"),
		F("listen", FLAG_LIST, &o->listen,
		  "control endpoint (unix://, tcp://, vsock://), repeatable"),
		F("services", FLAG_STRING, &o->services,
		  "endpoint serving the API without /connect"),
		F("debug", FLAG_OPTVAL, &o->debug,
		  "print debug info; -debug=dns,nat: of those subsystems "
		  "only (switch, stack, nat, dns, dhcp, api, fwd, ssh, "
		  "daemon)"),
		F("pcap", FLAG_STRING, &o->pcap,
		  "capture network traffic to this file"),
		F("mtu", FLAG_INT, &o->mtu, "set the MTU (default 1500)"),
		F("ssh-port", FLAG_INT, &o->ssh_port,
		  "port to access the guest VM ssh server (-1 disables)"),
		F("subnet", FLAG_STRING, &o->subnet,
		  "virtual network subnet (default 192.168.127.0/24)"),
		F("gatewayIP", FLAG_STRING, &o->gateway_ip,
		  "gateway IP address (default: first usable)"),
		F("deviceIP", FLAG_STRING, &o->device_ip,
		  "guest IP address (default: second usable)"),
		F("hostIP", FLAG_STRING, &o->host_ip,
		  "host alias IP address (default: last usable)"),
		F("listen-qemu", FLAG_STRING, &o->listen_qemu,
		  "QEMU stream socket: unix:///path or tcp://host:port"),
		F("listen-bess", FLAG_STRING, &o->listen_bess,
		  "unixpacket socket for User-Mode Linux BESS"),
		F("listen-vfkit", FLAG_STRING, &o->listen_vfkit,
		  "unixgram socket for vfkit"),
		F("listen-stdio", FLAG_STRING, &o->listen_stdio,
		  "frames on stdin/stdout (any value, e.g. accept)"),
		F("listen-vpnkit", FLAG_STRING, &o->listen_vpnkit,
		  "vpnkit (hyperkit) socket"),
		F("forward-sock", FLAG_LIST, &o->fwd_sock,
		  "host socket to forward to the guest, repeatable"),
		F("forward-dest", FLAG_LIST, &o->fwd_dest,
		  "unix socket path in the guest, repeatable"),
		F("forward-user", FLAG_LIST, &o->fwd_user,
		  "ssh user in the guest, repeatable"),
		F("forward-identity", FLAG_LIST, &o->fwd_identity,
		  "ssh private key file, repeatable"),
		F("pid-file", FLAG_STRING, &o->pid_file,
		  "write the process id to this file"),
		F("log-file", FLAG_STRING, &o->log_file,
		  "write the log to this file instead of stderr"),
		F("ec2-metadata-access", FLAG_BOOL, &o->ec2_metadata_access,
		  "allow access to 169.254.0.0/16"),
		F("notification", FLAG_STRING, &o->notification,
		  "unix:// socket that receives JSON events"),
		F("version", FLAG_BOOL, &o->version,
		  "print the version and exit"),
		F("keep-serving", FLAG_BOOL, &o->keep_serving,
		  "keep serving after the VM disconnects and accept several "
		  "VMs (qcw-net only)"),
		F("gateway-dns-conns", FLAG_INT, &o->gw_dns_conns,
		  "DNS-over-TCP connections to the gateway at once (64)"),
		F("gateway-api-conns", FLAG_INT, &o->gw_api_conns,
		  "connections to the in-VM API at the gateway at once (32)"),
		F("host-queue-mib", FLAG_INT, &o->host_queue_mib,
		  "MiB of guest data all connections may queue for host "
		  "sockets that do not read (256)"),
		F("stack", FLAG_STRING, &o->stack,
		  "TCP/IP stack: lwip (default) or slirp (qcw-net only)"),
		F("max-flows", FLAG_INT, &o->max_flows,
		  "NAT flows (host sockets) in all (default: from the fd "
		  "limit; qcw-net only)"),
		F("no-sandbox", FLAG_BOOL, &o->no_sandbox,
		  "do not sandbox the daemon after start-up (debugging; "
		  "qcw-net only)"),
		F("runas", FLAG_STRING, &o->runas,
		  "after start-up run as this user (name, uid or uid:gid; "
		  "qcw-net only)"),
		F("mac-age", FLAG_INT, &o->mac_age,
		  "forget a guest MAC unseen for this many seconds (default "
		  "300, 0 never; qcw-net only)"),
		F("dhcp-quiet", FLAG_INT, &o->dhcp_quiet,
		  "when the DHCP pool is full, reclaim a lease whose MAC was "
		  "quiet this many seconds (default 300; qcw-net only)"),
	};

	_Static_assert(sizeof(f) <= sizeof(o->flags), "o->flags too small");
	memcpy(o->flags, f, sizeof(f));
	o->n_flags = sizeof(f) / sizeof(f[0]);
}

static int daemon_check_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static bool daemon_flag_set(struct daemon_opts *o, const char *name)
{
	struct flag *f = flags_find(o->flags, o->n_flags, name);

	return f && f->set;
}

/* daemon_list_from() - point an unset repeatable flag at config values. */
static int daemon_list_from(struct flag_list *l, char **v, unsigned int n)
{
	unsigned int i;

	if (!n)
		return 0;
	free(l->v);
	l->v = calloc(n, sizeof(*l->v));
	if (!l->v)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		l->v[i] = v[i];
	l->n = n;
	return 0;
}

/*
 * daemon_load_config() - read -config and take from it what the command
 * line did not say; as in gvproxy the command line wins for the
 * interfaces, listen, services, pid-file, log-file, mtu, notification and
 * ec2 keys, and -ssh-port is ignored when a config file is used.
 */
static int daemon_load_config(struct daemon_opts *o)
{
	struct config *c = calloc(1, sizeof(*c));
	char err[256];

	if (!c)
		return -ENOMEM;
	if (config_load(o->config, c, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		free(c);
		return -EINVAL;
	}
	o->cfg = c;
#define TAKE(flag, field, value)                          \
	do {                                              \
		if (!daemon_flag_set(o, flag) && (value)) \
			o->field = (value);               \
	} while (0)
	if (!daemon_flag_set(o, "listen") &&
	    daemon_list_from(&o->listen, c->listen, c->n_listen) < 0)
		return -ENOMEM;
	TAKE("services", services, c->services);
	TAKE("pid-file", pid_file, c->pid_file);
	TAKE("log-file", log_file, c->log_file);
	TAKE("notification", notification, c->notification);
	TAKE("listen-qemu", listen_qemu, c->qemu);
	TAKE("listen-vfkit", listen_vfkit, c->vfkit);
	TAKE("listen-bess", listen_bess, c->bess);
	TAKE("listen-stdio", listen_stdio, c->stdio);
	TAKE("listen-vpnkit", listen_vpnkit, c->vpnkit);
	TAKE("mtu", mtu, c->mtu);
	TAKE("subnet", subnet, c->subnet);
	TAKE("gatewayIP", gateway_ip, c->gateway_ip);
	TAKE("deviceIP", device_ip, c->device_ip);
	TAKE("hostIP", host_ip, c->host_ip);
	TAKE("pcap", pcap, c->capture);
	TAKE("max-flows", max_flows, c->max_flows);
	TAKE("runas", runas, c->runas);
#undef TAKE
	if (!daemon_flag_set(o, "ec2-metadata-access") && c->ec2 >= 0)
		o->ec2_metadata_access = c->ec2;
	if (!daemon_flag_set(o, "no-sandbox") && c->sandbox == 0)
		o->no_sandbox = true;
	if (!daemon_flag_set(o, "debug") &&
	    (c->debug == 1 || (c->log_level && !strcmp(c->log_level, "debug"))))
		o->debug_mask = LOG_SS_ALL; /* log-level: debug */
	if (!o->fwd_sock.n &&
	    (daemon_list_from(&o->fwd_sock, c->fsock, c->n_fwd) < 0 ||
	     daemon_list_from(&o->fwd_dest, c->fdest, c->n_fwd) < 0 ||
	     daemon_list_from(&o->fwd_user, c->fuser, c->n_fwd) < 0 ||
	     daemon_list_from(&o->fwd_identity, c->fident, c->n_fwd) < 0))
		return -ENOMEM;
	if (daemon_flag_set(o, "ssh-port"))
		fprintf(stderr,
			"warning: -ssh-port is ignored when -config is used\n");
	o->ssh_port = -1;
	return 0;
}

int daemon_parse_args(struct daemon_opts *o, int argc, char **argv)
{
	char err[256];
	unsigned int i;
	int r;

	memset(o, 0, sizeof(*o));
	o->ssh_port = 2222;
	o->mac_age = SW_CAM_AGE_MS / 1000;
	o->dhcp_quiet = DHCP_QUIET_MS_DEFAULT / 1000;
	daemon_flags_init(o);
	r = flags_parse(o->flags, o->n_flags, argc, argv, err, sizeof(err));
	if (r == -2) {
		flags_usage(argv[0], o->flags, o->n_flags);
		return 100;
	}
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		flags_usage(argv[0], o->flags, o->n_flags);
		return 2;
	}
	if (o->debug &&
	    log_parse_debug(o->debug, &o->debug_mask, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		flags_usage(argv[0], o->flags, o->n_flags);
		return 2;
	}
	if (o->version) {
		printf("qcw-net version v%s (gvproxy compatible)\n",
		       QCW_VERSION);
		return 100;
	}
	if (o->config && daemon_load_config(o) < 0)
		return 1;
	if (o->mtu == 0)
		o->mtu = 1500;
	if (o->host_queue_mib < 0 || o->host_queue_mib > 65536) {
		fprintf(stderr, "invalid -host-queue-mib %ld\n",
			o->host_queue_mib);
		return 2;
	}
	if (o->gw_dns_conns < 0 || o->gw_dns_conns > 4096 ||
	    o->gw_api_conns < 0 || o->gw_api_conns > 4096) {
		fprintf(stderr, "-gateway-dns-conns and -gateway-api-conns "
				"must be between 1 and 4096\n");
		return 2;
	}
	if (o->gw_dns_conns == 0)
		o->gw_dns_conns = 64;
	if (o->gw_api_conns == 0)
		o->gw_api_conns = 32;
	if (o->mtu < 576 || o->mtu > 65520) {
		fprintf(stderr, "mtu value must be between 576 and 65520\n");
		return 1;
	}
	if (o->mac_age < 0 || o->mac_age > 86400 || o->dhcp_quiet < 1 ||
	    o->dhcp_quiet > 86400) {
		fprintf(stderr, "mac-age must be 0 to 86400 and dhcp-quiet 1 "
				"to 86400 seconds\n");
		return 1;
	}
	if (o->ssh_port != -1 && (o->ssh_port < 1024 || o->ssh_port > 65535)) {
		fprintf(stderr,
			"ssh-port value must be between 1024 and 65535\n");
		return 1;
	}
	if ((o->listen_qemu && o->listen_vpnkit) ||
	    (o->listen_bess && o->listen_vpnkit) ||
	    (o->listen_qemu && o->listen_bess)) {
		fprintf(stderr,
			"cannot use %s and %s protocol at the same time\n",
			o->listen_bess ? (o->listen_qemu ? "qemu" : "bess")
				       : "qemu",
			o->listen_vpnkit ? "vpnkit" : "bess");
		return 1;
	}
	if (o->fwd_sock.n != o->fwd_dest.n || o->fwd_sock.n != o->fwd_user.n ||
	    o->fwd_sock.n != o->fwd_identity.n) {
		fprintf(stderr,
			"-forward-sock, -forward-dest, -forward-user, and "
			"-forward-identity must all be specified together, the "
			"same number of times, or not at all\n");
		return 1;
	}
	for (i = 0; i < o->fwd_identity.n; i++) {
		if (daemon_check_file(o->fwd_identity.v[i]) < 0) {
			fprintf(stderr,
				"identity file \"%s\" can't be loaded\n",
				o->fwd_identity.v[i]);
			return 1;
		}
	}
	if (o->max_flows < 0 || o->max_flows > 100000000) {
		fprintf(stderr, "max-flows must be between 0 and 100000000\n");
		return 1;
	}
	if (o->runas && o->no_sandbox) {
		fprintf(stderr, "-runas is part of the sandbox: it cannot be "
				"used with -no-sandbox\n");
		return 1;
	}
	if (!stack_backend_find(o->stack)) {
		fprintf(stderr,
			"stack %s is not available in this build (it has: "
			"%s)\n",
			o->stack, stack_backend_names());
		return 2;
	}
	return 0;
}

void daemon_opts_free(struct daemon_opts *o)
{
	flags_free(o->flags, o->n_flags);
	if (o->cfg) {
		config_free(o->cfg);
		free(o->cfg);
		o->cfg = NULL;
	}
}

static int daemon_netcfg(struct daemon_opts *o, struct netcfg *n)
{
	netcfg_defaults(n);
	n->mtu = (uint16_t)o->mtu;
	n->ec2_metadata_access = o->ec2_metadata_access;
	n->max_flows = (unsigned int)o->max_flows;
	if (o->subnet) {
		char buf[64], *slash;
		uint32_t net;
		int prefix;

		snprintf(buf, sizeof(buf), "%s", o->subnet);
		slash = strchr(buf, '/');
		if (!slash)
			goto bad_subnet;
		*slash = 0;
		prefix = atoi(slash + 1);
		if (netcfg_parse_ip(buf, &net) < 0)
			goto bad_subnet;
		if (netcfg_set_subnet(n, net, prefix) < 0) {
			log_err("subnet too small: %s", o->subnet);
			return -EINVAL;
		}
	}
	if ((o->gateway_ip && netcfg_parse_ip(o->gateway_ip, &n->gateway)) ||
	    (o->device_ip && netcfg_parse_ip(o->device_ip, &n->device)) ||
	    (o->host_ip && netcfg_parse_ip(o->host_ip, &n->host_alias))) {
		log_err("invalid gatewayIP, deviceIP or hostIP");
		return -EINVAL;
	}
	n->nat[0].virt = n->host_alias;
	n->vips[0] = n->host_alias;
	if (o->cfg) {
		const struct config *c = o->cfg;
		unsigned int i;

		if (c->gw_mac && netcfg_parse_mac(c->gw_mac, n->gw_mac) < 0) {
			log_err("config: invalid gatewayMacAddress %s",
				c->gw_mac);
			return -EINVAL;
		}
		for (i = 0; i < c->n_nat && n->n_nat < NETCFG_MAX_NAT; i++)
			n->nat[n->n_nat++] = c->nat[i];
		for (i = 0; i < c->n_vips && n->n_vips < NETCFG_MAX_VIPS; i++)
			if (!netcfg_is_vip(n, c->vips[i]))
				n->vips[n->n_vips++] = c->vips[i];
	}
	if (n->gateway == n->device || n->gateway == n->host_alias ||
	    n->device == n->host_alias) {
		log_err("gatewayIP, deviceIP and hostIP must be distinct");
		return -EINVAL;
	}
	{
		uint32_t ips[3] = {n->gateway, n->device, n->host_alias};
		int i;

		for (i = 0; i < 3; i++) {
			if ((ips[i] & n->netmask) != n->network ||
			    ips[i] == n->network ||
			    ips[i] == (n->network | ~n->netmask)) {
				log_err("gatewayIP, deviceIP and hostIP must "
					"be usable addresses inside the "
					"subnet");
				return -EINVAL;
			}
		}
	}
	return 0;
bad_subnet:
	log_err("invalid subnet %s", o->subnet);
	return -EINVAL;
}

static void daemon_stop(struct daemon *d, int status)
{
	if (d->stopping)
		return;
	d->stopping = true;
	d->exit_status = status;
	uv_stop(&d->loop);
}

static void daemon_signal_cb(uv_signal_t *s, int signum)
{
	struct daemon *d = s->data;

	log_info("received signal %d, shutting down", signum);
	daemon_stop(d, 0);
}

static void daemon_qemu_closed(void *arg, struct ts_listener *l, int status,
			       bool had_frames)
{
	struct daemon *d = arg;

	(void)l;
	if (d->o->keep_serving || !had_frames) {
		log_info("qemu: waiting for a new connection");
		return;
	}
	if (status == 0 || status == UV_ECONNRESET || status == UV_EOF) {
		log_info("qemu: the VM disconnected, exiting");
		daemon_stop(d, 0);
	} else {
		log_err("gvproxy exiting: qemu connection failed: %s",
			status == -EPROTO ? "invalid frame"
					  : uv_strerror(status));
		daemon_stop(d, 1);
	}
}

/*
 * daemon_check_sockets() - refuse to start, before anything else binds,
 * when the VM socket is owned by a live process; a stale file left by a
 * crash is replaced later by the listener itself.
 */
static int daemon_check_sockets(const struct daemon_opts *o)
{
	char err[256];
	struct url u;

	if (!o->listen_qemu)
		return 0;
	if (url_parse(o->listen_qemu, &u, err, sizeof(err)) < 0) {
		log_err("invalid -listen-qemu: %s", err);
		return -EINVAL;
	}
	if (u.scheme == URL_UNIX &&
	    sockpath_claim(u.path, SOCK_STREAM) == -EADDRINUSE) {
		log_err("qemu: %s is in use by a running process (another "
			"qcw-net or gvproxy?)",
			u.path);
		return -EADDRINUSE;
	}
	return 0;
}

/* Every NAT flow and forwarded connection holds a host socket. */
static void daemon_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * The pid file is written once every listener is up (so a second start
 * that fails on a socket in use never touches the running daemon's file)
 * and removed at exit only by the process that wrote it, and only while it
 * still holds its pid.
 */
static int daemon_write_pid(const char *path)
{
	char buf[32];
	int fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d", (int)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

/* daemon_remove_pid() - unlink @path if it names this process. */
static void daemon_remove_pid(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	if (atoi(buf) == (int)getpid())
		unlink(path);
}

static struct dhcp_server *daemon_dhcp(const struct netcfg *n,
				       const struct config *cfg)
{
	struct dhcp_server_config c;
	struct dhcp_server *s;
	unsigned int i;

	dhcp_server_config_init(&c, n->network, n->netmask, n->gateway,
				n->host_alias, n->mtu);
	if (!cfg) {
		/* gvproxy's defaults, only without a config file */
		c.n_static = 1;
		memcpy(c.statics[0].mac, n->device_mac, 6);
		c.statics[0].ip = n->device;
		dhcp_search_from_resolv_conf("/etc/resolv.conf", &c);
		s = dhcp_server_create(&c);
		dhcp_search_free(&c);
		return s;
	}
	for (i = 0; i < cfg->n_leases && i < DHCP_MAX_STATIC; i++) {
		memcpy(c.statics[i].mac, cfg->leases[i].mac, 6);
		c.statics[i].ip = cfg->leases[i].ip;
	}
	c.n_static = i;
	for (i = 0; i < cfg->n_search && i < DHCP_MAX_SEARCH; i++)
		c.search[i] = cfg->search[i];
	c.n_search = i;
	return dhcp_server_create(&c);
}

/* daemon_start_forwarder() - the rule table and gvproxy's ssh forward. */
static int daemon_start_forwarder(struct daemon *d)
{
	char local[32], remote[32], ip[16], err[256];

	d->fwd = fwd_create(&d->loop, d->st, &d->net);
	if (!d->fwd)
		return -ENOMEM;
	if (d->o->cfg) {
		const struct config *c = d->o->cfg;
		unsigned int i;

		for (i = 0; i < c->n_forwards; i++) {
			const struct config_forward *cf = &c->forwards[i];

			if (fwd_expose(d->fwd, cf->udp ? FWD_UDP : FWD_TCP,
				       cf->local, cf->remote, err,
				       sizeof(err)) < 0) {
				log_err("config: forward %s: %s", cf->local,
					err);
				return -EINVAL;
			}
		}
	}
	if (d->o->ssh_port == -1)
		return 0;
	snprintf(local, sizeof(local), "127.0.0.1:%ld", d->o->ssh_port);
	snprintf(remote, sizeof(remote), "%s:22",
		 netcfg_ip_str(d->net.device, ip));
	if (fwd_expose(d->fwd, FWD_TCP, local, remote, err, sizeof(err)) < 0) {
		log_err("cannot forward the guest's ssh port: %s", err);
		return -EADDRINUSE;
	}
	return 0;
}

/* daemon_start_dns() - the resolver at gateway:53 (UDP and TCP). */
static int daemon_start_dns(struct daemon *d)
{
	struct dns_server_config c;

	memset(&c, 0, sizeof(c));
	c.gateway = d->net.gateway;
	c.host_alias = d->net.host_alias;
	c.upstream_servers = getenv("QCW_NET_DNS_UPSTREAM");
	c.no_default_zones =
		d->o->cfg != NULL; /* gvproxy: zones come from the file */
	d->dns = dns_server_create(&d->loop, &c);
	if (!d->dns)
		return -ENOMEM;
	if (d->o->cfg) {
		const struct config *cf = d->o->cfg;
		char err[256];
		unsigned int i;

		for (i = 0; i < cf->n_zones; i++) {
			if (dns_server_add_zone_json(d->dns, cf->zones_json[i],
						     strlen(cf->zones_json[i]),
						     err, sizeof(err)) < 0) {
				log_err("config: dns zone: %s", err);
				return -EINVAL;
			}
		}
	}
	d->gw_dns = gw_dns_create(&d->loop, d->st, d->dns,
				  (unsigned int)d->o->gw_dns_conns);
	return d->gw_dns ? 0 : -EADDRINUSE;
}

/* ---- control API, /connect and notifications (api/api.c) ---- */

static void daemon_connect_closed(void *arg, struct ts_listener *l, int status,
				  bool had_frames)
{
	(void)arg;
	(void)l;
	(void)had_frames;
	log_info("/connect: a VM disconnected (%s)",
		 status == 0 ? "EOF" : uv_strerror(status));
}

/*
 * daemon_connect_listener() - the transport that serves /connect's
 * hijacked sockets: gvproxy's configured protocol framing, hyperkit's
 * 2-byte LE unless -listen-qemu is given (then QEMU's 4-byte BE, a
 * gvproxy quirk), several VMs at once.
 */
static struct ts_listener *daemon_connect_listener(struct daemon *d)
{
	struct ts_config tc = {
		.framing = d->o->listen_qemu ? FRAMING_BE32 : FRAMING_LE16,
		.kind = "connect",
		.multi = true,
		.on_closed = daemon_connect_closed,
		.arg = d,
	};

	if (!d->connect)
		d->connect = ts_create(&d->loop, d->sw, &tc);
	return d->connect;
}

/*
 * daemon_start_stdio() - -listen-stdio: frames with hyperkit's 2-byte LE
 * framing on stdin/stdout (WSL's gvforwarder runs gvproxy.exe this way);
 * the log stays on stderr or the log file. Exits when stdin ends.
 */
static int daemon_start_stdio(struct daemon *d)
{
	struct ts_config tc = {
		.framing = FRAMING_LE16,
		.kind = "stdio",
		.on_closed = daemon_qemu_closed,
		.arg = d,
	};

	if (!d->o->listen_stdio || !*d->o->listen_stdio)
		return 0;
	d->stdio = ts_create(&d->loop, d->sw, &tc);
	if (!d->stdio || ts_adopt_fds(d->stdio, 0, 1) < 0) {
		log_err("stdio: cannot use stdin/stdout for frames");
		return -EINVAL;
	}
	return 0;
}

/* daemon_connect_fd() - api_connect_fn: frames start on @fd at once. */
static void daemon_connect_fd(void *arg, int fd)
{
	struct daemon *d = arg;
	struct ts_listener *l = daemon_connect_listener(d);
	int r = l ? ts_adopt_fd(l, fd) : -ENOMEM;

	if (r < 0) {
		log_err("/connect: cannot serve the connection: %s",
			uv_strerror(r));
		close(fd);
	}
}

/*
 * daemon_start_api() - gvproxy's steps 5 to 8: each -listen endpoint
 * (full API with /connect), the "ready" notification, the -services
 * endpoint, and the in-VM API at gateway:80.
 */
static int daemon_start_api(struct daemon *d)
{
	struct api_ctx ctx = {
		.sw = d->sw,
		.stack = d->st,
		.link = d->link,
		.dhcp = d->dhcp,
		.net = &d->net,
		.dns = d->dns,
		.fwd = d->fwd,
		.connect = daemon_connect_fd,
		.connect_arg = d,
	};
	unsigned int i;
	int r;

	if (d->o->notification) {
		d->notify = notify_create(&d->loop, d->o->notification);
		if (!d->notify)
			return -EINVAL;
		sw_set_mac_event(d->sw, notify_mac_event, d->notify);
	}
	d->api = api_create(&d->loop, &ctx);
	if (!d->api)
		return -ENOMEM;
	for (i = 0; i < d->o->listen.n; i++) {
		r = api_listen(d->api, d->o->listen.v[i], true);
		if (r < 0)
			return r;
	}
	notify_send(d->notify, NOTIFY_READY, NULL);
	if (d->o->services) {
		r = api_listen(d->api, d->o->services, false);
		if (r < 0)
			return r;
	}
	if (d->st) {
		r = stack_tcp_listen(d->st, 80,
				     (unsigned int)d->o->gw_api_conns,
				     api_gateway_conn, d->api);
		if (r < 0)
			log_warn("cannot serve the API at the gateway's port "
				 "80: %s",
				 strerror(-r));
	}
	return 0;
}

/* daemon_stop_api() - close the endpoints (unlinking their sockets). */
static void daemon_stop_api(struct daemon *d)
{
	if (d->st)
		stack_tcp_unlisten(d->st, 80);
	api_destroy(d->api);
	d->api = NULL;
	ts_close(d->connect);
	d->connect = NULL;
	if (d->notify)
		sw_set_mac_event(d->sw, NULL, NULL);
	notify_destroy(d->notify);
	d->notify = NULL;
}

/* ---- SSH tunnels (forwarder/ssh_tunnel.h) ---- */

static void daemon_tunnel_failed(void *arg, struct ssh_tunnel *t,
				 const char *why)
{
	(void)t;
	log_err("setupProxy failed: %s", why);
	daemon_stop(arg, 1);
}

/*
 * daemon_start_tunnels() - gvproxy's step 10: one SSH tunnel per
 * -forward-sock/-dest/-user/-identity tuple to <deviceIP>:22 through the
 * virtual network. The host sockets exist when this returns; the
 * sessions come up from the loop, and if one cannot be set up within
 * its attempts the daemon exits with status 1, as gvproxy does.
 */
static int daemon_start_tunnels(struct daemon *d)
{
	const struct daemon_opts *o = d->o;
	unsigned int i;
	char err[512];

	if (!o->fwd_sock.n)
		return 0;
	d->tunnels = calloc(o->fwd_sock.n, sizeof(*d->tunnels));
	if (!d->tunnels)
		return -ENOMEM;
	for (i = 0; i < o->fwd_sock.n; i++) {
		struct ssh_tunnel_config c = {
			.sock = o->fwd_sock.v[i],
			.ip = d->net.device,
			.port = 22,
			.dest = o->fwd_dest.v[i],
			.user = o->fwd_user.v[i],
			.identity = o->fwd_identity.v[i],
			.failed = daemon_tunnel_failed,
			.arg = d,
		};
		int r = ssh_tunnel_create(&d->loop, d->fwd, &c, &d->tunnels[i],
					  err, sizeof(err));

		if (r < 0) {
			log_err("setupProxy failed: %s", err);
			return r;
		}
		d->n_tunnels++;
	}
	return 0;
}

/* daemon_stop_tunnels() - before the forwarder: unlinks the sockets. */
static void daemon_stop_tunnels(struct daemon *d)
{
	unsigned int i;

	for (i = 0; i < d->n_tunnels; i++)
		ssh_tunnel_destroy(d->tunnels[i]);
	free(d->tunnels);
	d->tunnels = NULL;
	d->n_tunnels = 0;
}

static void daemon_dgram_closed(void *arg, int status, bool had_frames)
{
	daemon_qemu_closed(arg, NULL, status, had_frames);
}

/* daemon_start_dgram() - -listen-vfkit unixgram:// and -listen-bess. */
static int daemon_start_dgram(struct daemon *d)
{
	const char *spec[2] = {d->o->listen_vfkit, d->o->listen_bess};
	struct td_port **out[2] = {&d->vfkit, &d->bess};
	enum url_scheme want[2] = {URL_UNIXGRAM, URL_UNIXPACKET};
	char err[256];
	struct url u;
	int i;

	for (i = 0; i < 2; i++) {
		if (!spec[i])
			continue;
		if (url_parse(spec[i], &u, err, sizeof(err)) < 0 ||
		    u.scheme != want[i]) {
			log_err("%s must be %s://path",
				i ? "-listen-bess" : "-listen-vfkit",
				i ? "unixpacket" : "unixgram");
			return -EINVAL;
		}
		*out[i] =
			td_listen(&d->loop, d->sw, &u, daemon_dgram_closed, d);
		if (!*out[i])
			return -EINVAL;
	}
	return 0;
}

/*
 * daemon_sandbox() - the end of start-up: every listener is bound and
 * every start-up file open. The raw ICMP socket (if ping sockets are not
 * allowed) is opened first, as the sandbox takes CAP_NET_RAW away.
 */
static int daemon_sandbox(struct daemon *d)
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

/* daemon_sw_tick() - the switch's time, once a second (MAC ageing). */
static void daemon_sw_tick(uv_timer_t *t)
{
	struct daemon *d = t->data;

	sw_tick(d->sw, uv_now(&d->loop));
}

/* daemon_mac_seen() - DHCP asks the switch when a MAC last talked. */
static int daemon_mac_seen(void *arg, const uint8_t mac[6], uint64_t *seen_ms)
{
	return sw_mac_last_seen(arg, mac, seen_ms);
}

/*
 * daemon_start_tables() - MAC ageing on a 1 s timer (unreferenced: it
 * never keeps the loop alive) and DHCP's view of quiet MACs.
 */
static void daemon_start_tables(struct daemon *d)
{
	sw_set_cam_limits(d->sw, (uint64_t)d->o->mac_age * 1000,
			  SW_CAM_PORT_MAX);
	sw_tick(d->sw, uv_now(&d->loop));
	dhcp_server_set_quiet(d->dhcp, (uint64_t)d->o->dhcp_quiet * 1000,
			      daemon_mac_seen, d->sw);
	uv_timer_init(&d->loop, &d->sw_timer);
	d->sw_timer.data = d;
	uv_timer_start(&d->sw_timer, daemon_sw_tick, 1000, 1000);
	uv_unref((uv_handle_t *)&d->sw_timer);
	d->sw_timer_on = true;
}

static void daemon_walk_close(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int daemon_run(struct daemon_opts *o)
{
	struct daemon d;
	bool pid_written = false;
	int r;

	memset(&d, 0, sizeof(d));
	d.o = o;
	signal(SIGPIPE, SIG_IGN);
	daemon_raise_nofile();
#ifdef __GLIBC__
	/*
	 * lwIP allocates 64 KiB segments at MTU 65520: keep freed memory in
	 * the heap instead of trimming and growing it (brk, page faults) on
	 * every burst, and serve those sizes from the heap, not mmap.
	 */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
	if (o->debug_mask)
		log_set_debug(o->debug_mask);
	if (o->log_file && (r = log_set_file(o->log_file)) < 0) {
		fprintf(stderr, "cannot open log file %s: %s\n", o->log_file,
			strerror(-r));
		return 1;
	}
	log_info("qcw-net version v%s", QCW_VERSION);
	if (daemon_netcfg(o, &d.net) < 0)
		return 1;
	if (daemon_check_sockets(o) < 0)
		return 1;
	uv_loop_init(&d.loop);
	d.exit_status = 1;
	d.sw = sw_create(d.net.gw_mac);
	d.dhcp = daemon_dhcp(&d.net, o->cfg);
	if (d.sw) {
		struct stack_env env = {
			.loop = &d.loop,
			.sw = d.sw,
			.cfg = &d.net,
			.host_queue_max = o->host_queue_mib > 0
						  ? (size_t)o->host_queue_mib
							    << 20
						  : 0,
		};

		d.st = stack_create(stack_backend_find(o->stack), &env);
	}
	if (!d.st || !d.dhcp)
		goto out;
	d.link = gw_link_create(&d.loop, d.sw, &d.net, d.st, d.dhcp);
	if (!d.link)
		goto out;
	daemon_start_tables(&d);

	uv_signal_init(&d.loop, &d.sigint);
	uv_signal_init(&d.loop, &d.sigterm);
	d.sigint.data = d.sigterm.data = &d;
	uv_signal_start(&d.sigint, daemon_signal_cb, SIGINT);
	uv_signal_start(&d.sigterm, daemon_signal_cb, SIGTERM);

	if (daemon_start_forwarder(&d) < 0 || daemon_start_dns(&d) < 0)
		goto out;

	log_info("waiting for clients...");
	if (daemon_start_api(&d) < 0)
		goto out;
	if (o->listen_qemu) {
		struct ts_config tc = {
			.framing = FRAMING_BE32,
			.kind = "qemu",
			.multi = o->keep_serving,
			.on_closed = daemon_qemu_closed,
			.arg = &d,
		};
		char err[256];
		struct url u;

		if (url_parse(o->listen_qemu, &u, err, sizeof(err)) < 0) {
			log_err("invalid -listen-qemu: %s", err);
			goto out;
		}
		d.qemu = ts_listen(&d.loop, d.sw, &u, &tc);
		if (!d.qemu)
			goto out;
		if (u.scheme == URL_UNIX)
			log_info("listening for QEMU; attach it with: -netdev "
				 "stream,id=vlan,server=off,addr.type=unix,"
				 "addr.path=%s -device "
				 "virtio-net-pci,netdev=vlan,mac=5a:94:ef:e4:"
				 "0c:ee",
				 u.path);
		else
			log_info("listening for QEMU; attach it with: -netdev "
				 "stream,id=vlan,server=off,addr.type=inet,"
				 "addr.host=%s,addr.port=%d -device "
				 "virtio-net-pci,netdev=vlan,mac=5a:94:ef:e4:"
				 "0c:ee",
				 u.host[0] ? u.host : "127.0.0.1", u.port);
	}
	if (daemon_start_dgram(&d) < 0)
		goto out;
	if (daemon_start_stdio(&d) < 0)
		goto out;
	if (o->listen_vpnkit)
		log_warn("-listen-vpnkit is not implemented yet; ignored");
	if (daemon_start_tunnels(&d) < 0)
		goto out;
	if (o->pid_file && (r = daemon_write_pid(o->pid_file)) < 0) {
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
	daemon_stop_api(&d);
	ts_close(d.qemu);
	td_close(d.vfkit);
	td_close(d.bess);
	ts_close(d.stdio);
	gw_dns_destroy(d.gw_dns);
	dns_server_destroy(d.dns);
	daemon_stop_tunnels(&d);
	fwd_destroy(d.fwd);
	gw_link_destroy(d.link);
	stack_destroy(d.st);
	if (d.sw_timer_on)
		uv_close((uv_handle_t *)&d.sw_timer, NULL);
	dhcp_server_destroy(d.dhcp);
	if (uv_loop_alive(&d.loop) || d.loop.data == NULL) {
		uv_walk(&d.loop, daemon_walk_close, NULL);
		uv_run(&d.loop, UV_RUN_DEFAULT);
	}
	uv_loop_close(&d.loop);
	sw_destroy(d.sw);
	rxchunk_pool_drain();
	if (pid_written)
		daemon_remove_pid(o->pid_file);
	log_info("qcw-net exiting (status %d)", d.exit_status);
	return d.exit_status;
}
