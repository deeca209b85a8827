/*
 * daemon_opts.c - the daemon's command line: gvproxy's flags (and
 * qcw-net's own), the -config file merged under them as gvproxy merges
 * it, the checks of every value before anything starts, and the
 * virtual network's addressing from them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/config.h"
#include "cmd/daemon_opts.h"
#include "cmd/daemon_units.h"
#include "dhcp/dhcp_server.h"
#include "net/netcfg.h"
#include "net/stack.h"
#include "net/switch.h"
#include "util/log.h"
#include "qcw_config.h"

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
		F("ipv6", FLAG_BOOL, &o->ipv6,
		  "IPv6 for the guest: router advertisements, DHCPv6, NAT66 "
		  "(default true; -ipv6=false turns it off; qcw-net only)"),
		F("subnet6", FLAG_STRING, &o->subnet6,
		  "the guest's IPv6 /64 (default " NETCFG_PREFIX6_DEFAULT
		  "; qcw-net only)"),
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
		F("stack", FLAG_STRING, &o->stack, o->stack_usage),
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

	/* the backends of this build, the first the default */
	snprintf(o->stack_usage, sizeof(o->stack_usage),
		 "TCP/IP stack, one of: %s (default %s; qcw-net only)",
		 stack_backend_names(), stack_backend_find(NULL)->name);
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
 * ec2 keys (and -stack over stack.backend), and -ssh-port is ignored when
 * a config file is used.
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
	TAKE("subnet6", subnet6, c->subnet6);
	TAKE("pcap", pcap, c->capture);
	TAKE("max-flows", max_flows, c->max_flows);
	TAKE("runas", runas, c->runas);
	TAKE("stack", stack, c->stack_backend);
#undef TAKE
	if (!daemon_flag_set(o, "ec2-metadata-access") && c->ec2 >= 0)
		o->ec2_metadata_access = c->ec2;
	if (!daemon_flag_set(o, "ipv6") && c->ipv6 >= 0)
		o->ipv6 = c->ipv6;
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
	o->ipv6 = true;
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
	if (o->pcap && *o->pcap && !QCW_HAVE_PCAP) {
		fprintf(stderr,
			"cannot capture to %s: this qcw-net was built "
			"without libpcap (-pcap, capture-file)\n",
			o->pcap);
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

/*
 * daemon_opts_netcfg() - gvproxy's addressing with the subnet, addresses,
 * MAC, NAT table and virtual IPs of the flags and -config; -EINVAL
 * (logged) when they do not make a network.
 */
int daemon_opts_netcfg(const struct daemon_opts *o, struct netcfg *n)
{
	const char *why;

	netcfg_defaults(n);
	n->mtu = (uint16_t)o->mtu;
	n->ec2_metadata_access = o->ec2_metadata_access;
	n->max_flows = (unsigned int)o->max_flows;
	if (o->subnet) {
		uint32_t net;
		int prefix;

		if (netcfg_parse_subnet(o->subnet, &net, &prefix) < 0) {
			log_err("invalid subnet %s", o->subnet);
			return -EINVAL;
		}
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
	n->ipv6 = o->ipv6;
	if (o->subnet6 && netcfg_parse_prefix6(o->subnet6, n->prefix6) < 0) {
		log_err("invalid subnet6 %s: an IPv6 unicast prefix of "
			"length 64 is needed (e.g. %s)",
			o->subnet6, NETCFG_PREFIX6_DEFAULT);
		return -EINVAL;
	}
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
	/* after gatewayMacAddress: the link-local address is derived from it */
	netcfg_set_prefix6(n, n->prefix6);
	why = netcfg_check_addresses(n);
	if (why) {
		log_err("%s", why);
		return -EINVAL;
	}
	return 0;
}
