/*
 * hostdns_posix.c - hostdns.h on POSIX: "search" and "domain" of
 * /etc/resolv.conf, the file c-ares reads there too.
 */
#include "cmd/hostdns.h"

int hostdns_search(struct dhcp_server_config *c)
{
	return dhcp_search_from_resolv_conf("/etc/resolv.conf", c);
}
