/*
 * daemon_opts.h - the daemon's options: gvproxy's flags, qcw-net's own and
 * the -config file merged, validated (daemon_opts.c).
 */
#ifndef QCW_DAEMON_OPTS_H
#define QCW_DAEMON_OPTS_H

#include <stdbool.h>

#include "cmd/flags.h"

struct config;

struct daemon_opts {
	const char *config;
	struct flag_list listen;
	const char *services;
	const char *debug; /* -debug[=LIST]: "true", "false", "dns,nat" */
	unsigned int debug_mask; /* log_parse_debug() of it */
	const char *pcap;
	long mtu;
	long gw_dns_conns, gw_api_conns; /* gateway services' caps */
	long host_queue_mib; /* splices' global queue budget, 0: default */
	long ssh_port;
	const char *subnet, *gateway_ip, *device_ip, *host_ip;
	bool ipv6; /* -ipv6 (default true) */
	const char *subnet6; /* -subnet6 PREFIX/64 */
	const char *listen_qemu, *listen_bess, *listen_vfkit, *listen_stdio,
		*listen_vpnkit;
	struct flag_list fwd_sock, fwd_dest, fwd_user, fwd_identity;
	const char *pid_file, *log_file;
	bool ec2_metadata_access;
	const char *notification;
	bool version;
	bool keep_serving;
	const char *stack; /* -stack, or stack.backend in -config */
	char stack_usage[128]; /* -stack's line in -help: this build's */
	long max_flows; /* NAT flows in all; 0: derived from the fd limit */
	bool no_sandbox; /* -no-sandbox, or sandbox: false in -config */
	const char *runas; /* -runas USER|UID[:GID] */
	long mac_age; /* seconds, 0: never */
	long dhcp_quiet; /* seconds */
	struct config *cfg; /* -config FILE, NULL without */
	struct flag flags[44];
	size_t n_flags;
};

/*
 * daemon_parse_args() - 0 to run, 100 after -help/-version (exit 0), 2 on
 * a flag error (usage printed), 1 on an invalid value (message printed).
 */
int daemon_parse_args(struct daemon_opts *o, int argc, char **argv);
void daemon_opts_free(struct daemon_opts *o);

#endif
