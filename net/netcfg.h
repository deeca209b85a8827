/*
 * netcfg.h - the virtual network's addressing, shared by the stack, DHCP,
 * DNS and the NAT. IPv4 addresses are in host byte order, IPv6 ones are
 * their 16 bytes.
 *
 * IPv6 (on unless -ipv6=false): one /64 (NETCFG_PREFIX6_DEFAULT, or
 * -subnet6), the gateway at PREFIX::1 and at fe80:: with the EUI-64 of
 * its MAC, the host alias PREFIX::fe that the NAT maps to the host's ::1
 * (as 192.168.127.254 maps to 127.0.0.1). Guests configure themselves
 * from the gateway's router advertisements (SLAAC).
 */
#ifndef QCW_NETCFG_H
#define QCW_NETCFG_H

#include <stdbool.h>
#include <stdint.h>

#define NETCFG_MAX_NAT 16
#define NETCFG_MAX_VIPS 8
/* a ULA /64: fd + 40-bit global id "qcwne" in ASCII, subnet 0 */
#define NETCFG_PREFIX6_DEFAULT "fd71:6377:6e65::/64"

struct netcfg_nat {
	uint32_t virt; /* address the guest uses (192.168.127.254) */
	uint32_t host; /* address qcw-net connects to (127.0.0.1) */
};

struct netcfg {
	uint32_t network, netmask;
	uint32_t gateway, device, host_alias;
	uint8_t gw_mac[6];
	uint8_t device_mac[6];
	uint16_t mtu;
	bool ec2_metadata_access;
	unsigned int n_nat;
	struct netcfg_nat nat[NETCFG_MAX_NAT];
	/* addresses, besides the gateway's, that the gateway answers ARP for */
	unsigned int n_vips;
	uint32_t vips[NETCFG_MAX_VIPS];
	unsigned int max_flows; /* NAT flows in all (-max-flows); 0: from fds */
	/* IPv6: all below is unused when !ipv6 */
	bool ipv6;
	uint8_t prefix6[16]; /* the /64, host bits zero */
	uint8_t gateway6[16]; /* PREFIX::1 */
	uint8_t host_alias6[16]; /* PREFIX::fe -> the host's ::1 */
	uint8_t gw_ll6[16]; /* fe80::EUI-64(gw_mac) */
};

/*
 * netcfg_defaults() - gvproxy's defaults: 192.168.127.0/24, .1, .2, .254;
 * IPv6 on, NETCFG_PREFIX6_DEFAULT.
 */
void netcfg_defaults(struct netcfg *c);

/* netcfg_set_subnet() - set network/mask and derive .1/.2/last usable. */
int netcfg_set_subnet(struct netcfg *c, uint32_t network, int prefix);

/* netcfg_nat_lookup() - translated address of @ip, or @ip itself. */
uint32_t netcfg_nat_lookup(const struct netcfg *c, uint32_t ip);

/* netcfg_is_vip() - the gateway answers ARP for @ip. */
bool netcfg_is_vip(const struct netcfg *c, uint32_t ip);

/*
 * netcfg_guest_src_ok() - @ip may be a guest's source address: inside the
 * subnet, not its network or broadcast address, not the gateway's or an
 * address the gateway answers for. The NAT drops anything else.
 */
bool netcfg_guest_src_ok(const struct netcfg *c, uint32_t ip);
/*
 * netcfg_guest_src6_ok() - the same for IPv6: an address of the /64 (not
 * its subnet-router anycast ::0, the gateway's or the host alias's) or a
 * link-local one (not the gateway's). Both stacks' NAT66 drop the rest.
 */
bool netcfg_guest_src6_ok(const struct netcfg *c, const uint8_t ip[16]);

/*
 * What the guest may reach beyond the gateway: the one policy every stack
 * backend applies to a packet from the guest before it NATs it.
 */
enum netcfg_nat_verdict {
	NETCFG_NAT_ALLOW = 0, /* to a host socket */
	/* the gateway itself, multicast, broadcast: the stack's, never NAT */
	NETCFG_NAT_LOCAL,
	/* 127.0.0.0/8 (the host's loopback, reachable only through the host
	 * alias) and 0.0.0.0/8 ("this host" on Linux), as gvisor drops them */
	NETCFG_NAT_LOOPBACK,
	/* 169.254.0.0/16 (cloud metadata) without -ec2-metadata-access */
	NETCFG_NAT_LINK_LOCAL,
};

/*
 * netcfg_nat_check() - what the guest's packet to @dst gets. Inline: the
 * lwIP backend asks for every packet from the guest.
 */
static inline enum netcfg_nat_verdict netcfg_nat_check(const struct netcfg *c,
						       uint32_t dst)
{
	uint8_t first = (uint8_t)(dst >> 24);

	if (dst == c->gateway || (first & 0xf0) == 0xe0 || dst == 0xffffffffu ||
	    dst == (c->network | ~c->netmask))
		return NETCFG_NAT_LOCAL;
	if (first == 127 || first == 0)
		return NETCFG_NAT_LOOPBACK;
	if ((dst & 0xffff0000u) == 0xa9fe0000u && !c->ec2_metadata_access)
		return NETCFG_NAT_LINK_LOCAL;
	return NETCFG_NAT_ALLOW;
}

/* netcfg_nat_allowed() - the guest may reach @dst through the NAT. */
static inline bool netcfg_nat_allowed(const struct netcfg *c, uint32_t dst)
{
	return netcfg_nat_check(c, dst) == NETCFG_NAT_ALLOW;
}

/*
 * netcfg_set_prefix6() - the /64 @prefix (host bits are cleared) and the
 * addresses derived from it and from gw_mac (set gw_mac first).
 */
void netcfg_set_prefix6(struct netcfg *c, const uint8_t prefix[16]);

/* netcfg_parse_prefix6() - "PREFIX/64"; -EINVAL for another length. */
int netcfg_parse_prefix6(const char *s, uint8_t prefix[16]);

/* netcfg_in_prefix6() - @ip is inside the virtual network's /64. */
static inline bool netcfg_in_prefix6(const struct netcfg *c,
				     const uint8_t ip[16])
{
	for (int i = 0; i < 8; i++)
		if (ip[i] != c->prefix6[i])
			return false;
	return true;
}

/* netcfg_is_gw6() - @ip is one of the gateway's own IPv6 addresses. */
bool netcfg_is_gw6(const struct netcfg *c, const uint8_t ip[16]);

/*
 * netcfg_nat_check6() - netcfg_nat_check() for IPv6: the gateway's own
 * addresses and multicast are LOCAL; ::1, :: and IPv4-mapped addresses
 * LOOPBACK (the host's ::1 only through the host alias); link-local
 * fe80::/10 LINK_LOCAL (never forwarded out).
 */
enum netcfg_nat_verdict netcfg_nat_check6(const struct netcfg *c,
					  const uint8_t dst[16]);

/*
 * netcfg_nat_lookup6() - the address to connect to for @ip: the host's
 * ::1 for the host alias, else @ip itself.
 */
const uint8_t *netcfg_nat_lookup6(const struct netcfg *c, const uint8_t ip[16]);

int netcfg_parse_ip(const char *s, uint32_t *ip);
/*
 * netcfg_parse_subnet() - "a.b.c.d/len" (-subnet, stack.subnet) into
 * @net and @prefix; -EINVAL when it is not that shape. Whether the prefix
 * is big enough is netcfg_set_subnet()'s to say.
 */
int netcfg_parse_subnet(const char *s, uint32_t *net, int *prefix);
/*
 * netcfg_check_addresses() - NULL when the gateway, the device and the
 * host alias are distinct usable addresses of the subnet, else the reason.
 */
const char *netcfg_check_addresses(const struct netcfg *c);
/* netcfg_ip_str() - dotted quad of @ip in @buf (16 bytes). */
const char *netcfg_ip_str(uint32_t ip, char *buf);
int netcfg_parse_mac(const char *s, uint8_t mac[6]);

#endif
