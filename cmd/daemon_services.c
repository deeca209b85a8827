/*
 * daemon_services.c - the daemon's services as units (see
 * daemon_units.h): the forwarder's rule table with gvproxy's ssh forward,
 * the DNS resolver at gateway:53, the control API (-listen, -services,
 * notifications, the in-VM API at gateway:80) and the SSH tunnels of
 * -forward-sock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/notify.h"
#include "cmd/config.h"
#include "cmd/daemon_opts.h"
#include "cmd/daemon_units.h"
#include "dns/dns_server.h"
#include "forwarder/fwd.h"
#include "forwarder/ssh_tunnel.h"
#include "gateway/gw_dns.h"
#include "net/stack.h"
#include "net/switch.h"
#include "util/log.h"

/* ---- the forwarder: rules from -config, gvproxy's ssh forward ---- */

static int daemon_forwarder_start(struct daemon *d)
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

static void daemon_forwarder_stop(struct daemon *d)
{
	fwd_destroy(d->fwd);
	d->fwd = NULL;
}

const struct daemon_unit daemon_forwarder = {
	"forwarder", daemon_forwarder_start, daemon_forwarder_stop};

/* ---- the resolver at gateway:53 (UDP and TCP) ---- */

static int daemon_dns_start(struct daemon *d)
{
	struct dns_server_config c;

	memset(&c, 0, sizeof(c));
	c.gateway = d->net.gateway;
	c.host_alias = d->net.host_alias;
	if (d->net.ipv6) {
		c.gateway6 = d->net.gateway6;
		c.host_alias6 = d->net.host_alias6;
	}
	c.upstream_servers = getenv("QCW_NET_DNS_UPSTREAM");
	/* gvproxy: with a file, the zones come from the file */
	c.no_default_zones = d->o->cfg != NULL;
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

static void daemon_dns_stop(struct daemon *d)
{
	gw_dns_destroy(d->gw_dns);
	d->gw_dns = NULL;
	dns_server_destroy(d->dns);
	d->dns = NULL;
}

const struct daemon_unit daemon_dns = {"dns", daemon_dns_start,
				       daemon_dns_stop};

/*
 * ---- the control API: gvproxy's steps 5 to 8: each -listen endpoint
 * (full API with /connect), the "ready" notification, the -services
 * endpoint, and the in-VM API at gateway:80 ----
 */

static int daemon_api_start(struct daemon *d)
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

	log_info("waiting for clients...");
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
	r = stack_tcp_listen(d->st, 80, (unsigned int)d->o->gw_api_conns,
			     api_gateway_conn, d->api);
	if (r < 0)
		log_warn("cannot serve the API at the gateway's port 80: %s",
			 strerror(-r));
	return 0;
}

/* daemon_api_stop() - close the endpoints (unlinking their sockets). */
static void daemon_api_stop(struct daemon *d)
{
	if (d->api)
		stack_tcp_unlisten(d->st, 80);
	api_destroy(d->api);
	d->api = NULL;
	if (d->notify)
		sw_set_mac_event(d->sw, NULL, NULL);
	notify_destroy(d->notify);
	d->notify = NULL;
}

const struct daemon_unit daemon_api = {"api", daemon_api_start,
				       daemon_api_stop};

/*
 * ---- SSH tunnels: gvproxy's step 10, one per -forward-sock/-dest/-user/
 * -identity tuple to <deviceIP>:22 through the virtual network. The host
 * sockets exist when start returns; the sessions come up from the loop,
 * and if one cannot be set up within its attempts the daemon exits with
 * status 1, as gvproxy does. ----
 */

static void daemon_tunnel_failed(void *arg, struct ssh_tunnel *t,
				 const char *why)
{
	(void)t;
	log_err("setupProxy failed: %s", why);
	daemon_stop(arg, 1);
}

static int daemon_tunnels_start(struct daemon *d)
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

/* daemon_tunnels_stop() - before the forwarder: unlinks the sockets. */
static void daemon_tunnels_stop(struct daemon *d)
{
	unsigned int i;

	for (i = 0; i < d->n_tunnels; i++)
		ssh_tunnel_destroy(d->tunnels[i]);
	free(d->tunnels);
	d->tunnels = NULL;
	d->n_tunnels = 0;
}

const struct daemon_unit daemon_tunnels = {"tunnels", daemon_tunnels_start,
					   daemon_tunnels_stop};
