/*
 * config.h - gvproxy's YAML configuration file (-config FILE), read with
 * libyaml into plain values; cmd/daemon.c applies them, letting the
 * command line override the keys gvproxy lets it override.
 */
#ifndef QCW_CONFIG_H
#define QCW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/netcfg.h"

#define CONFIG_MAX 64

struct config_forward {
	char *local, *remote;
	bool udp;
};

struct config_lease {
	uint8_t mac[6];
	uint32_t ip;
};

struct config {
	unsigned int n_listen;
	char *listen[CONFIG_MAX];
	char *services, *pid_file, *log_file, *notification, *log_level;
	char *qemu, *vfkit, *bess, *stdio, *vpnkit;
	unsigned int n_fwd;
	char *fsock[CONFIG_MAX], *fdest[CONFIG_MAX], *fuser[CONFIG_MAX],
		*fident[CONFIG_MAX];
	int ec2; /* -1: not given */
	int debug; /* -1: not given */
	int sandbox; /* sandbox: false turns it off; -1: not given */
	char *runas;
	/* stack: */
	char *stack_backend; /* stack.backend, or "stack: NAME" alone */
	long mtu; /* 0: not given */
	long max_flows; /* stack.maxFlows, 0: not given */
	char *subnet, *gateway_ip, *device_ip, *host_ip, *gw_mac, *capture;
	int ipv6; /* stack.ipv6; -1: not given */
	char *subnet6; /* stack.subnet6 */
	unsigned int n_zones;
	char *zones_json[CONFIG_MAX]; /* gvproxy's /services/dns/add shape */
	unsigned int n_search;
	char *search[CONFIG_MAX];
	unsigned int n_forwards;
	struct config_forward forwards[CONFIG_MAX];
	unsigned int n_nat;
	struct netcfg_nat nat[NETCFG_MAX_NAT];
	unsigned int n_vips;
	uint32_t vips[NETCFG_MAX_VIPS];
	unsigned int n_leases;
	struct config_lease leases[CONFIG_MAX];
};

/* config_load() - 0, or -errno with a message naming the key in @err. */
int config_load(const char *path, struct config *c, char *err, size_t errlen);
/* config_parse() - the same from a string (tests, fuzzing). */
int config_parse(const char *yaml, size_t len, struct config *c, char *err,
		 size_t errlen);
void config_free(struct config *c);

#endif
