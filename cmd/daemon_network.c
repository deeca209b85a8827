/*
 * daemon_network.c - the virtual network as the daemon's first unit (see
 * daemon_units.h): the switch, the DHCP server, the stack backend chosen
 * by -stack (or stack.backend in -config), the gateway link in front of
 * it, and the switch's 1 s clock for MAC ageing.
 */
#include <errno.h>
#include <string.h>

#include "cmd/config.h"
#include "cmd/daemon_opts.h"
#include "cmd/daemon_units.h"
#include "cmd/hostdns.h"
#include "dhcp/dhcp_server.h"
#include "gateway/gw_link.h"
#include "net/stack.h"
#include "net/switch.h"

/* daemon_dhcp() - the server with gvproxy's leases and search domains. */
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
		hostdns_search(&c);
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

static int daemon_network_start(struct daemon *d)
{
	const struct daemon_opts *o = d->o;
	struct stack_env env = {
		.loop = &d->loop,
		.cfg = &d->net,
		.host_queue_max = o->host_queue_mib > 0
					  ? (size_t)o->host_queue_mib << 20
					  : 0,
	};

	d->sw = sw_create(d->net.gw_mac);
	d->dhcp = daemon_dhcp(&d->net, o->cfg);
	if (!d->sw || !d->dhcp)
		return -ENOMEM;
	env.sw = d->sw;
	d->st = stack_create(stack_backend_find(o->stack), &env);
	if (!d->st)
		return -ENOMEM;
	d->link = gw_link_create(&d->loop, d->sw, &d->net, d->st, d->dhcp);
	if (!d->link)
		return -ENOMEM;
	daemon_start_tables(d);
	return 0;
}

/*
 * daemon_network_stop() - the switch itself is freed after the loop is
 * drained (daemon.c): transports' close callbacks still detach ports.
 */
static void daemon_network_stop(struct daemon *d)
{
	gw_link_destroy(d->link);
	d->link = NULL;
	stack_destroy(d->st);
	d->st = NULL;
	if (d->sw_timer_on)
		uv_close((uv_handle_t *)&d->sw_timer, NULL);
	d->sw_timer_on = false;
	dhcp_server_destroy(d->dhcp);
	d->dhcp = NULL;
}

const struct daemon_unit daemon_network = {"network", daemon_network_start,
					   daemon_network_stop};
