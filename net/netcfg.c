/*
 * netcfg.c - defaults and helpers of the virtual network's addressing.
 */
#include "net/netcfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/pkt6.h"
#include "util/inaddr.h"

void netcfg_defaults(struct netcfg *c)
{
	static const uint8_t gw[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
	static const uint8_t dev[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};
	uint8_t prefix6[16];

	memset(c, 0, sizeof(*c));
	netcfg_set_subnet(c, 0xc0a87f00, 24);
	memcpy(c->gw_mac, gw, 6);
	memcpy(c->device_mac, dev, 6);
	c->mtu = 1500;
	c->max_flows = 0; /* derived from the fd limit */
	c->ipv6 = true;
	netcfg_parse_prefix6(NETCFG_PREFIX6_DEFAULT, prefix6);
	netcfg_set_prefix6(c, prefix6);
}

void netcfg_set_prefix6(struct netcfg *c, const uint8_t prefix[16])
{
	uint8_t p[8];

	/* @prefix may be c->prefix6 itself (daemon_opts_netcfg()) */
	memcpy(p, prefix, 8);
	memset(c->prefix6, 0, 16);
	memcpy(c->prefix6, p, 8);
	memcpy(c->gateway6, c->prefix6, 16);
	c->gateway6[15] = 0x01;
	memcpy(c->host_alias6, c->prefix6, 16);
	c->host_alias6[15] = 0xfe;
	/* fe80::/64 + modified EUI-64: U/L bit flipped, ff:fe in the middle */
	memset(c->gw_ll6, 0, 16);
	c->gw_ll6[0] = 0xfe;
	c->gw_ll6[1] = 0x80;
	c->gw_ll6[8] = c->gw_mac[0] ^ 0x02;
	c->gw_ll6[9] = c->gw_mac[1];
	c->gw_ll6[10] = c->gw_mac[2];
	c->gw_ll6[11] = 0xff;
	c->gw_ll6[12] = 0xfe;
	c->gw_ll6[13] = c->gw_mac[3];
	c->gw_ll6[14] = c->gw_mac[4];
	c->gw_ll6[15] = c->gw_mac[5];
}

int netcfg_parse_prefix6(const char *s, uint8_t prefix[16])
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n;

	if (!slash || strcmp(slash + 1, "64"))
		return -EINVAL;
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET6, buf, prefix) != 1)
		return -EINVAL;
	/* a prefix for SLAAC: unicast, not link-local, multicast or ::/64 */
	if (pkt_ip6_is_mcast(prefix) || pkt_ip6_is_ll(prefix))
		return -EINVAL;
	for (int i = 0; i < 8; i++)
		if (prefix[i])
			return 0;
	return -EINVAL;
}

bool netcfg_is_gw6(const struct netcfg *c, const uint8_t ip[16])
{
	return !memcmp(ip, c->gateway6, 16) || !memcmp(ip, c->gw_ll6, 16);
}

bool netcfg_guest_src6_ok(const struct netcfg *c, const uint8_t ip[16])
{
	static const uint8_t ll[8] = {0xfe, 0x80};
	static const uint8_t zero[8];

	if (netcfg_in_prefix6(c, ip))
		return memcmp(ip + 8, zero, 8) && !netcfg_is_gw6(c, ip) &&
		       memcmp(ip, c->host_alias6, 16);
	return !memcmp(ip, ll, 8) && !netcfg_is_gw6(c, ip);
}

enum netcfg_nat_verdict netcfg_nat_check6(const struct netcfg *c,
					  const uint8_t dst[16])
{
	int i;

	if (pkt_ip6_is_mcast(dst) || netcfg_is_gw6(c, dst))
		return NETCFG_NAT_LOCAL;
	if (pkt_ip6_is_ll(dst))
		return NETCFG_NAT_LINK_LOCAL;
	if (inaddr_v4_mapped(dst, NULL))
		return NETCFG_NAT_LOOPBACK;
	for (i = 0; i < 15 && !dst[i]; i++)
		;
	if (i == 15 && dst[15] <= 1) /* :: and ::1 */
		return NETCFG_NAT_LOOPBACK;
	return NETCFG_NAT_ALLOW;
}

const uint8_t *netcfg_nat_lookup6(const struct netcfg *c, const uint8_t ip[16])
{
	static const uint8_t loopback[16] = {[15] = 1};

	return memcmp(ip, c->host_alias6, 16) ? ip : loopback;
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
