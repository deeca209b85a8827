/*
 * netcfg.c - defaults and helpers of the virtual network's addressing.
 */
#include "net/netcfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

void netcfg_defaults(struct netcfg *c)
{
	static const uint8_t gw[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
	static const uint8_t dev[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};

	memset(c, 0, sizeof(*c));
	netcfg_set_subnet(c, 0xc0a87f00, 24);
	memcpy(c->gw_mac, gw, 6);
	memcpy(c->device_mac, dev, 6);
	c->mtu = 1500;
	c->max_flows = 0; /* derived from the fd limit */
}

int netcfg_set_subnet(struct netcfg *c, uint32_t network, int prefix)
{
	uint32_t mask;

	if (prefix < 0 || prefix > 29)
		return -EINVAL; /* gvproxy: "subnet too small" below /29 */
	mask = prefix ? 0xffffffffu << (32 - prefix) : 0;
	c->network = network & mask;
	c->netmask = mask;
	c->gateway = c->network + 1;
	c->device = c->network + 2;
	c->host_alias = (c->network | ~mask) - 1;
	c->n_nat = 1;
	c->nat[0].virt = c->host_alias;
	c->nat[0].host = 0x7f000001;
	c->n_vips = 1;
	c->vips[0] = c->host_alias;
	return 0;
}

uint32_t netcfg_nat_lookup(const struct netcfg *c, uint32_t ip)
{
	unsigned int i;

	for (i = 0; i < c->n_nat; i++)
		if (c->nat[i].virt == ip)
			return c->nat[i].host;
	return ip;
}

bool netcfg_is_vip(const struct netcfg *c, uint32_t ip)
{
	unsigned int i;

	for (i = 0; i < c->n_vips; i++)
		if (c->vips[i] == ip)
			return true;
	return false;
}

int netcfg_parse_ip(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ip = ntohl(a.s_addr);
	return 0;
}

int netcfg_parse_subnet(const char *s, uint32_t *net, int *prefix)
{
	const char *slash = strchr(s, '/');
	char ip[16];
	size_t n;
	int p = 0;

	if (!slash || (size_t)(slash - s) >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = 0;
	for (n = 1; slash[n]; n++) {
		if (slash[n] < '0' || slash[n] > '9' || n > 3)
			return -EINVAL;
		p = p * 10 + (slash[n] - '0');
	}
	if (n == 1 || netcfg_parse_ip(ip, net) < 0)
		return -EINVAL;
	*prefix = p;
	return 0;
}

/* netcfg_usable() - inside the subnet and neither its network nor broadcast. */
static bool netcfg_usable(const struct netcfg *c, uint32_t ip)
{
	return (ip & c->netmask) == c->network && ip != c->network &&
	       ip != (c->network | ~c->netmask);
}

const char *netcfg_check_addresses(const struct netcfg *c)
{
	if (c->gateway == c->device || c->gateway == c->host_alias ||
	    c->device == c->host_alias)
		return "gatewayIP, deviceIP and hostIP must be distinct";
	if (!netcfg_usable(c, c->gateway) || !netcfg_usable(c, c->device) ||
	    !netcfg_usable(c, c->host_alias))
		return "gatewayIP, deviceIP and hostIP must be usable "
		       "addresses "
		       "inside the subnet";
	return NULL;
}

const char *netcfg_ip_str(uint32_t ip, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255,
		 (ip >> 8) & 255, ip & 255);
	return buf;
}

int netcfg_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	int i, n = 0;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &n) != 6 ||
	    s[n])
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

bool netcfg_guest_src_ok(const struct netcfg *c, uint32_t ip)
{
	uint32_t bcast = c->network | ~c->netmask;

	return (ip & c->netmask) == c->network && ip != c->network &&
	       ip != bcast && ip != c->gateway && !netcfg_is_vip(c, ip);
}
