/*
 * test_netcfg.c - cmocka unit tests of the virtual network's addressing
 * (net/netcfg.h): gvproxy's defaults, subnets of other sizes (/16, /29)
 * and the rejected ones (/30 and smaller), the host-alias NAT and VIP
 * tables, the IP/MAC/subnet parsers and formatter, and the check that the
 * gateway, guest and host alias are distinct usable addresses.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/netcfg.h"
#include "util/inaddr.h"

#include <arpa/inet.h>

#define IP(a, b, c, d)                                                    \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | \
	 (uint32_t)(d))

static void test_defaults(void **state)
{
	static const uint8_t gw[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
	static const uint8_t dev[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};
	struct netcfg c;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	netcfg_defaults(&c);
	assert_int_equal(c.network, IP(192, 168, 127, 0));
	assert_int_equal(c.netmask, IP(255, 255, 255, 0));
	assert_int_equal(c.gateway, IP(192, 168, 127, 1));
	assert_int_equal(c.device, IP(192, 168, 127, 2));
	assert_int_equal(c.host_alias, IP(192, 168, 127, 254));
	assert_memory_equal(c.gw_mac, gw, 6);
	assert_memory_equal(c.device_mac, dev, 6);
	assert_int_equal(c.mtu, 1500);
	assert_false(c.ec2_metadata_access);
	assert_int_equal(c.max_flows, 0);
	assert_int_equal(c.n_nat, 1);
	assert_int_equal(c.nat[0].virt, IP(192, 168, 127, 254));
	assert_int_equal(c.nat[0].host, IP(127, 0, 0, 1));
	assert_int_equal(c.n_vips, 1);
	assert_int_equal(c.vips[0], IP(192, 168, 127, 254));
}

static void test_subnet_16(void **state)
{
	struct netcfg c;

	(void)state;
	netcfg_defaults(&c);
	assert_int_equal(netcfg_set_subnet(&c, IP(10, 88, 0, 0), 16), 0);
	assert_int_equal(c.network, IP(10, 88, 0, 0));
	assert_int_equal(c.netmask, IP(255, 255, 0, 0));
	assert_int_equal(c.gateway, IP(10, 88, 0, 1));
	assert_int_equal(c.device, IP(10, 88, 0, 2));
	assert_int_equal(c.host_alias, IP(10, 88, 255, 254));
	assert_int_equal(c.n_nat, 1);
	assert_int_equal(c.nat[0].virt, IP(10, 88, 255, 254));
	assert_int_equal(c.nat[0].host, IP(127, 0, 0, 1));
	assert_true(netcfg_is_vip(&c, IP(10, 88, 255, 254)));
	assert_false(netcfg_is_vip(&c, IP(192, 168, 127, 254)));
	/* the rest of the defaults are kept */
	assert_int_equal(c.mtu, 1500);
}

static void test_subnet_host_bits_masked(void **state)
{
	struct netcfg c;

	(void)state;
	netcfg_defaults(&c);
	assert_int_equal(netcfg_set_subnet(&c, IP(172, 16, 5, 77), 16), 0);
	assert_int_equal(c.network, IP(172, 16, 0, 0));
	assert_int_equal(c.gateway, IP(172, 16, 0, 1));
}

static void test_subnet_29(void **state)
{
	struct netcfg c;

	(void)state;
	netcfg_defaults(&c);
	assert_int_equal(netcfg_set_subnet(&c, IP(192, 168, 1, 8), 29), 0);
	assert_int_equal(c.network, IP(192, 168, 1, 8));
	assert_int_equal(c.netmask, IP(255, 255, 255, 248));
	assert_int_equal(c.gateway, IP(192, 168, 1, 9));
	assert_int_equal(c.device, IP(192, 168, 1, 10));
	/* .15 is broadcast, .14 the last usable */
	assert_int_equal(c.host_alias, IP(192, 168, 1, 14));
	assert_int_equal(netcfg_nat_lookup(&c, IP(192, 168, 1, 14)),
			 IP(127, 0, 0, 1));
}

static void test_subnet_too_small(void **state)
{
	struct netcfg c, before;

	(void)state;
	netcfg_defaults(&c);
	before = c;
	assert_int_equal(netcfg_set_subnet(&c, IP(192, 168, 1, 0), 30),
			 -EINVAL);
	assert_int_equal(netcfg_set_subnet(&c, IP(192, 168, 1, 0), 31),
			 -EINVAL);
	assert_int_equal(netcfg_set_subnet(&c, IP(192, 168, 1, 0), 32),
			 -EINVAL);
	assert_int_equal(netcfg_set_subnet(&c, IP(192, 168, 1, 0), 33),
			 -EINVAL);
	assert_int_equal(netcfg_set_subnet(&c, IP(192, 168, 1, 0), -1),
			 -EINVAL);
	/* a rejected subnet leaves the configuration alone */
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_parse_subnet(void **state)
{
	uint32_t net = 0;
	int prefix = -1;

	(void)state;
	assert_int_equal(netcfg_parse_subnet("10.0.0.0/8", &net, &prefix), 0);
	assert_int_equal(net, IP(10, 0, 0, 0));
	assert_int_equal(prefix, 8);
	/* range is netcfg_set_subnet()'s business, the shape is ours */
	assert_int_equal(netcfg_parse_subnet("192.168.1.0/33", &net, &prefix),
			 0);
	assert_int_equal(prefix, 33);
	assert_int_equal(netcfg_parse_subnet("192.168.1.0", &net, &prefix),
			 -EINVAL);
	assert_int_equal(netcfg_parse_subnet("192.168.1.0/", &net, &prefix),
			 -EINVAL);
	assert_int_equal(netcfg_parse_subnet("192.168.1.0/x", &net, &prefix),
			 -EINVAL);
	assert_int_equal(netcfg_parse_subnet("192.168.1.0/24x", &net, &prefix),
			 -EINVAL);
	assert_int_equal(netcfg_parse_subnet("192.168.1.0/1234", &net, &prefix),
			 -EINVAL);
	assert_int_equal(netcfg_parse_subnet("192.168.1/24", &net, &prefix),
			 -EINVAL);
	assert_int_equal(
		netcfg_parse_subnet("255.255.255.255255/24", &net, &prefix),
		-EINVAL);
	assert_int_equal(netcfg_parse_subnet("/24", &net, &prefix), -EINVAL);
}

static void test_check_addresses(void **state)
{
	struct netcfg c;

	(void)state;
	netcfg_defaults(&c);
	assert_null(netcfg_check_addresses(&c));
	c.device = c.gateway;
	assert_non_null(strstr(netcfg_check_addresses(&c), "distinct"));
	netcfg_defaults(&c);
	c.host_alias = IP(192, 168, 127, 255); /* broadcast */
	assert_non_null(strstr(netcfg_check_addresses(&c), "usable"));
	c.host_alias = IP(192, 168, 127, 0); /* network */
	assert_non_null(strstr(netcfg_check_addresses(&c), "usable"));
	c.host_alias = IP(192, 168, 128, 3); /* outside */
	assert_non_null(strstr(netcfg_check_addresses(&c), "usable"));
	c.host_alias = IP(192, 168, 127, 3);
	assert_null(netcfg_check_addresses(&c));
}

static void test_nat_lookup(void **state)
{
	struct netcfg c;

	(void)state;
	netcfg_defaults(&c);
	assert_int_equal(netcfg_nat_lookup(&c, IP(192, 168, 127, 254)),
			 IP(127, 0, 0, 1));
	/* anything else is not translated */
	assert_int_equal(netcfg_nat_lookup(&c, IP(192, 168, 127, 1)),
			 IP(192, 168, 127, 1));
	assert_int_equal(netcfg_nat_lookup(&c, IP(8, 8, 8, 8)), IP(8, 8, 8, 8));
	assert_int_equal(netcfg_nat_lookup(&c, IP(127, 0, 0, 1)),
			 IP(127, 0, 0, 1));

	/* more entries, as the configuration file's NAT table adds */
	c.nat[1].virt = IP(192, 168, 127, 253);
	c.nat[1].host = IP(10, 0, 0, 5);
	c.n_nat = 2;
	assert_int_equal(netcfg_nat_lookup(&c, IP(192, 168, 127, 253)),
			 IP(10, 0, 0, 5));
	assert_int_equal(netcfg_nat_lookup(&c, IP(192, 168, 127, 254)),
			 IP(127, 0, 0, 1));
	/* entries past n_nat are ignored */
	c.n_nat = 1;
	assert_int_equal(netcfg_nat_lookup(&c, IP(192, 168, 127, 253)),
			 IP(192, 168, 127, 253));
}

static void test_vips(void **state)
{
	struct netcfg c;

	(void)state;
	netcfg_defaults(&c);
	assert_true(netcfg_is_vip(&c, IP(192, 168, 127, 254)));
	/* the gateway's own address is lwIP's, not a VIP */
	assert_false(netcfg_is_vip(&c, IP(192, 168, 127, 1)));
	assert_false(netcfg_is_vip(&c, IP(192, 168, 127, 2)));
	c.vips[c.n_vips++] = IP(192, 168, 127, 100);
	assert_true(netcfg_is_vip(&c, IP(192, 168, 127, 100)));
}

static void test_parse_ip(void **state)
{
	uint32_t ip = 0;

	(void)state;
	assert_int_equal(netcfg_parse_ip("192.168.127.1", &ip), 0);
	assert_int_equal(ip, IP(192, 168, 127, 1));
	assert_int_equal(netcfg_parse_ip("0.0.0.0", &ip), 0);
	assert_int_equal(ip, 0);
	assert_int_equal(netcfg_parse_ip("255.255.255.255", &ip), 0);
	assert_int_equal(ip, 0xffffffffu);

	ip = 42;
	assert_int_equal(netcfg_parse_ip("", &ip), -EINVAL);
	assert_int_equal(netcfg_parse_ip("1.2.3", &ip), -EINVAL);
	assert_int_equal(netcfg_parse_ip("1.2.3.4.5", &ip), -EINVAL);
	assert_int_equal(netcfg_parse_ip("256.1.1.1", &ip), -EINVAL);
	assert_int_equal(netcfg_parse_ip("1.2.3.4 ", &ip), -EINVAL);
	assert_int_equal(netcfg_parse_ip("::1", &ip), -EINVAL);
	assert_int_equal(netcfg_parse_ip("a.b.c.d", &ip), -EINVAL);
	assert_int_equal(ip, 42);
}

static void test_ip_str(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(netcfg_ip_str(IP(192, 168, 127, 254), buf),
			    "192.168.127.254");
	assert_ptr_equal(netcfg_ip_str(0, buf), buf);
	assert_string_equal(buf, "0.0.0.0");
	/* the longest one fits in 16 bytes */
	assert_string_equal(netcfg_ip_str(0xffffffffu, buf), "255.255.255.255");
}

static void test_parse_mac(void **state)
{
	static const uint8_t want[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};
	uint8_t mac[6];

	(void)state;
	assert_int_equal(netcfg_parse_mac("5a:94:ef:e4:0c:ee", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(netcfg_parse_mac("5A:94:EF:E4:0C:EE", mac), 0);
	assert_memory_equal(mac, want, 6);

	memset(mac, 0x77, 6);
	assert_int_equal(netcfg_parse_mac("", mac), -EINVAL);
	assert_int_equal(netcfg_parse_mac("5a:94:ef:e4:0c", mac), -EINVAL);
	assert_int_equal(netcfg_parse_mac("5a:94:ef:e4:0c:ee:01", mac),
			 -EINVAL);
	assert_int_equal(netcfg_parse_mac("5a:94:ef:e4:0c:ee ", mac), -EINVAL);
	assert_int_equal(netcfg_parse_mac("5a:94:ef:e4:0c:eee", mac), -EINVAL);
	assert_int_equal(netcfg_parse_mac("5a-94-ef-e4-0c-ee", mac), -EINVAL);
	assert_int_equal(netcfg_parse_mac("zz:94:ef:e4:0c:ee", mac), -EINVAL);
	assert_int_equal(mac[0], 0x77);
}

/* The NAT's source and destination rules (issue 11, findings 3 and 8a). */
static void test_guest_src_and_dst(void **state)
{
	struct netcfg c;

	(void)state;
	netcfg_defaults(&c);
	assert_true(netcfg_guest_src_ok(&c, IP(192, 168, 127, 2)));
	assert_true(netcfg_guest_src_ok(&c, IP(192, 168, 127, 77)));
	assert_false(netcfg_guest_src_ok(&c, IP(192, 168, 127, 0)));
	assert_false(netcfg_guest_src_ok(&c, IP(192, 168, 127, 255)));
	assert_false(netcfg_guest_src_ok(&c, IP(192, 168, 127, 1)));
	assert_false(netcfg_guest_src_ok(&c, IP(192, 168, 127, 254)));
	assert_false(netcfg_guest_src_ok(&c, IP(10, 9, 8, 7)));
	assert_false(netcfg_guest_src_ok(&c, IP(0, 0, 0, 0)));
	assert_false(netcfg_guest_src_ok(&c, IP(192, 168, 128, 2)));
}

/* the one NAT policy: what lwIP's NAT and the slirp backend both apply */
static void test_nat_check(void **state)
{
	struct netcfg c;

	(void)state;
	netcfg_defaults(&c);
	assert_int_equal(netcfg_nat_check(&c, IP(127, 0, 0, 1)),
			 NETCFG_NAT_LOOPBACK);
	assert_int_equal(netcfg_nat_check(&c, IP(127, 255, 1, 2)),
			 NETCFG_NAT_LOOPBACK);
	assert_int_equal(netcfg_nat_check(&c, IP(0, 0, 0, 0)),
			 NETCFG_NAT_LOOPBACK);
	assert_int_equal(netcfg_nat_check(&c, IP(0, 1, 2, 3)),
			 NETCFG_NAT_LOOPBACK);
	assert_true(netcfg_nat_allowed(&c, IP(192, 168, 127, 254)));
	assert_true(netcfg_nat_allowed(&c, IP(128, 0, 0, 1)));
	assert_true(netcfg_nat_allowed(&c, IP(1, 1, 1, 1)));
	assert_true(netcfg_nat_allowed(&c, IP(169, 253, 255, 255)));
	assert_true(netcfg_nat_allowed(&c, IP(169, 255, 0, 0)));
	/* 169.254/16 only with -ec2-metadata-access */
	assert_int_equal(netcfg_nat_check(&c, IP(169, 254, 169, 254)),
			 NETCFG_NAT_LINK_LOCAL);
	assert_int_equal(netcfg_nat_check(&c, IP(169, 254, 0, 0)),
			 NETCFG_NAT_LINK_LOCAL);
	c.ec2_metadata_access = true;
	assert_true(netcfg_nat_allowed(&c, IP(169, 254, 169, 254)));
	/* loopback stays refused whatever the flags */
	assert_false(netcfg_nat_allowed(&c, IP(127, 0, 0, 1)));
	/* the gateway, multicast and broadcast are never NAT's */
	assert_int_equal(netcfg_nat_check(&c, IP(192, 168, 127, 1)),
			 NETCFG_NAT_LOCAL);
	assert_int_equal(netcfg_nat_check(&c, IP(224, 0, 0, 251)),
			 NETCFG_NAT_LOCAL);
	assert_int_equal(netcfg_nat_check(&c, IP(239, 255, 255, 250)),
			 NETCFG_NAT_LOCAL);
	assert_int_equal(netcfg_nat_check(&c, IP(255, 255, 255, 255)),
			 NETCFG_NAT_LOCAL);
	assert_int_equal(netcfg_nat_check(&c, IP(192, 168, 127, 255)),
			 NETCFG_NAT_LOCAL);
	assert_true(netcfg_nat_allowed(&c, IP(192, 168, 127, 3)));
	assert_true(netcfg_nat_allowed(&c, IP(192, 168, 128, 255)));
}

static void a6(const char *s, uint8_t out[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

static void test_ipv6_defaults(void **state)
{
	struct netcfg c;
	uint8_t ip[16];
	char buf[INADDR_STRLEN];
	struct inaddr a;

	(void)state;
	netcfg_defaults(&c);
	assert_true(c.ipv6);
	a6("fd71:6377:6e65::", ip);
	assert_memory_equal(c.prefix6, ip, 16);
	a6("fd71:6377:6e65::1", ip);
	assert_memory_equal(c.gateway6, ip, 16);
	a6("fd71:6377:6e65::fe", ip);
	assert_memory_equal(c.host_alias6, ip, 16);
	/* EUI-64 of 5a:94:ef:e4:0c:dd: U/L bit of 0x5a flipped -> 0x58 */
	a6("fe80::5894:efff:fee4:cdd", ip);
	assert_memory_equal(c.gw_ll6, ip, 16);
	a = inaddr_v6(c.gw_ll6);
	assert_string_equal(inaddr_str(&a, buf), "fe80::5894:efff:fee4:cdd");
}

static void test_parse_prefix6(void **state)
{
	struct netcfg c;
	uint8_t p[16], ip[16];

	(void)state;
	assert_int_equal(netcfg_parse_prefix6("fd00:1:2:3::/64", p), 0);
	netcfg_defaults(&c);
	netcfg_set_prefix6(&c, p);
	a6("fd00:1:2:3::1", ip);
	assert_memory_equal(c.gateway6, ip, 16);
	/* host bits are cleared */
	assert_int_equal(netcfg_parse_prefix6("fd00:1:2:3:4:5:6:7/64", p), 0);
	netcfg_set_prefix6(&c, p);
	assert_memory_equal(c.gateway6, ip, 16);
	/* its own prefix6 as the argument (the daemon re-derives so) */
	netcfg_set_prefix6(&c, c.prefix6);
	assert_memory_equal(c.gateway6, ip, 16);
	assert_int_equal(netcfg_parse_prefix6("2001:db8::/64", p), 0);
	assert_int_equal(netcfg_parse_prefix6("fd00::/48", p), -EINVAL);
	assert_int_equal(netcfg_parse_prefix6("fd00::/", p), -EINVAL);
	assert_int_equal(netcfg_parse_prefix6("fd00::", p), -EINVAL);
	assert_int_equal(netcfg_parse_prefix6("/64", p), -EINVAL);
	assert_int_equal(netcfg_parse_prefix6("::/64", p), -EINVAL);
	assert_int_equal(netcfg_parse_prefix6("fe80::/64", p), -EINVAL);
	assert_int_equal(netcfg_parse_prefix6("ff02::/64", p), -EINVAL);
	assert_int_equal(netcfg_parse_prefix6("192.168.0.0/64", p), -EINVAL);
	assert_int_equal(netcfg_parse_prefix6("fd00::x/64", p), -EINVAL);
}

/* the sources both stacks' NAT66 accept from the guest */
static void test_guest_src6(void **state)
{
	struct netcfg c;
	uint8_t ip[16];

	(void)state;
	netcfg_defaults(&c);
	a6("fd71:6377:6e65::2", ip);
	assert_true(netcfg_guest_src6_ok(&c, ip));
	a6("fd71:6377:6e65:0:5894:efff:fee4:cee", ip);
	assert_true(netcfg_guest_src6_ok(&c, ip));
	a6("fe80::5894:efff:fee4:cee", ip);
	assert_true(netcfg_guest_src6_ok(&c, ip));
	assert_false(netcfg_guest_src6_ok(&c, c.gateway6));
	assert_false(netcfg_guest_src6_ok(&c, c.gw_ll6));
	assert_false(netcfg_guest_src6_ok(&c, c.host_alias6));
	a6("fd71:6377:6e65::", ip); /* subnet-router anycast */
	assert_false(netcfg_guest_src6_ok(&c, ip));
	a6("fd71:6377:6e66::2", ip); /* another /64 */
	assert_false(netcfg_guest_src6_ok(&c, ip));
	a6("2001:db8::2", ip);
	assert_false(netcfg_guest_src6_ok(&c, ip));
	a6("::", ip);
	assert_false(netcfg_guest_src6_ok(&c, ip));
	a6("ff02::1", ip);
	assert_false(netcfg_guest_src6_ok(&c, ip));
}

static void test_nat_check6(void **state)
{
	struct netcfg c;
	uint8_t ip[16], one[16] = {[15] = 1};

	(void)state;
	netcfg_defaults(&c);
	assert_int_equal(netcfg_nat_check6(&c, c.gateway6), NETCFG_NAT_LOCAL);
	assert_int_equal(netcfg_nat_check6(&c, c.gw_ll6), NETCFG_NAT_LOCAL);
	a6("ff02::1", ip);
	assert_int_equal(netcfg_nat_check6(&c, ip), NETCFG_NAT_LOCAL);
	a6("fe80::1", ip);
	assert_int_equal(netcfg_nat_check6(&c, ip), NETCFG_NAT_LINK_LOCAL);
	a6("febf::1", ip);
	assert_int_equal(netcfg_nat_check6(&c, ip), NETCFG_NAT_LINK_LOCAL);
	a6("fec0::1", ip);
	assert_int_equal(netcfg_nat_check6(&c, ip), NETCFG_NAT_ALLOW);
	assert_int_equal(netcfg_nat_check6(&c, one), NETCFG_NAT_LOOPBACK);
	a6("::", ip);
	assert_int_equal(netcfg_nat_check6(&c, ip), NETCFG_NAT_LOOPBACK);
	a6("::ffff:127.0.0.1", ip);
	assert_int_equal(netcfg_nat_check6(&c, ip), NETCFG_NAT_LOOPBACK);
	a6("::2", ip);
	assert_int_equal(netcfg_nat_check6(&c, ip), NETCFG_NAT_ALLOW);
	a6("2001:db8::1", ip);
	assert_int_equal(netcfg_nat_check6(&c, ip), NETCFG_NAT_ALLOW);
	assert_memory_equal(netcfg_nat_lookup6(&c, ip), ip, 16);
	/* the host alias is NATed, to the host's ::1 */
	assert_int_equal(netcfg_nat_check6(&c, c.host_alias6),
			 NETCFG_NAT_ALLOW);
	assert_memory_equal(netcfg_nat_lookup6(&c, c.host_alias6), one, 16);
	assert_true(netcfg_in_prefix6(&c, c.host_alias6));
	assert_false(netcfg_in_prefix6(&c, ip));
}

static void test_inaddr(void **state)
{
	struct inaddr a, b;
	char buf[INADDR_STRLEN];
	uint32_t v4;

	(void)state;
	assert_int_equal(inaddr_parse("192.168.127.2", &a), 0);
	assert_int_equal(a.af, AF_INET);
	assert_int_equal(a.u.v4, IP(192, 168, 127, 2));
	assert_string_equal(inaddr_str(&a, buf), "192.168.127.2");
	assert_int_equal(inaddr_parse("[::1]", &b), 0);
	assert_int_equal(b.af, AF_INET6);
	assert_string_equal(inaddr_str(&b, buf), "::1");
	assert_false(inaddr_eq(&a, &b));
	assert_int_equal(inaddr_parse("fd71:6377:6e65::fe", &a), 0);
	assert_string_equal(inaddr_str(&a, buf), "fd71:6377:6e65::fe");
	b = a;
	assert_true(inaddr_eq(&a, &b));
	b.u.v6[15] = 1;
	assert_false(inaddr_eq(&a, &b));
	assert_int_equal(inaddr_parse("[192.168.0.1]", &a), -EINVAL);
	assert_int_equal(inaddr_parse("[::1", &a), -EINVAL);
	assert_int_equal(inaddr_parse("", &a), -EINVAL);
	assert_int_equal(inaddr_parse("1.2.3", &a), -EINVAL);
	assert_int_equal(inaddr_parse("[[::1]]", &a), -EINVAL);
	a.af = 0;
	assert_string_equal(inaddr_str(&a, buf), "?");
	assert_int_equal(inaddr_parse("::ffff:10.1.2.3", &a), 0);
	assert_true(inaddr_v4_mapped(a.u.v6, &v4));
	assert_int_equal(v4, IP(10, 1, 2, 3));
	assert_int_equal(inaddr_parse("::1", &a), 0);
	assert_false(inaddr_v4_mapped(a.u.v6, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_subnet_16),
		cmocka_unit_test(test_subnet_host_bits_masked),
		cmocka_unit_test(test_subnet_29),
		cmocka_unit_test(test_subnet_too_small),
		cmocka_unit_test(test_parse_subnet),
		cmocka_unit_test(test_check_addresses),
		cmocka_unit_test(test_nat_lookup),
		cmocka_unit_test(test_vips),
		cmocka_unit_test(test_parse_ip),
		cmocka_unit_test(test_ip_str),
		cmocka_unit_test(test_parse_mac),
		cmocka_unit_test(test_guest_src_and_dst),
		cmocka_unit_test(test_nat_check),
		cmocka_unit_test(test_ipv6_defaults),
		cmocka_unit_test(test_parse_prefix6),
		cmocka_unit_test(test_nat_check6),
		cmocka_unit_test(test_guest_src6),
		cmocka_unit_test(test_inaddr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
