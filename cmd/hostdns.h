/*
 * hostdns.h - the host's DNS search domains, given to the guest by DHCP
 * (option 119) as gvproxy does. POSIX reads /etc/resolv.conf
 * (hostdns_posix.c); Windows keeps them in its own configuration, which
 * c-ares reads itself (hostdns_win.c): our code never opens resolv.conf
 * there. The upstream resolvers are c-ares' own choice on both.
 */
#ifndef QCW_HOSTDNS_H
#define QCW_HOSTDNS_H

#include "dhcp/dhcp_server.h"

/*
 * hostdns_search() - fill @c->search with the host's search domains
 * (strdup'd; dhcp_search_free() frees them). 0 or -errno (none found is
 * not an error: @c->n_search stays 0).
 */
int hostdns_search(struct dhcp_server_config *c);

#endif
