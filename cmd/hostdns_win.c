/*
 * hostdns_win.c - hostdns.h on Windows: the search list as c-ares reads
 * it from Windows' configuration (the registry's SearchList, else the
 * primary DNS suffix), taken from a channel of its own that is closed at
 * once (ares_save_options() hands back the domains it loaded).
 */
#include <winsock2.h> /* before ares.h, as c-ares asks on Windows */
#include <ares.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/hostdns.h"

int hostdns_search(struct dhcp_server_config *c)
{
	struct ares_options o;
	ares_channel ch;
	int mask = 0, i, r = 0;

	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		return -EIO;
	if (ares_init(&ch) != ARES_SUCCESS) {
		ares_library_cleanup();
		return -EIO;
	}
	memset(&o, 0, sizeof(o));
	if (ares_save_options(ch, &o, &mask) != ARES_SUCCESS) {
		ares_destroy(ch);
		ares_library_cleanup();
		return -EIO;
	}
	c->n_search = 0;
	for (i = 0; (mask & ARES_OPT_DOMAINS) && i < o.ndomains &&
		    c->n_search < DHCP_MAX_SEARCH;
	     i++) {
		char *d = strdup(o.domains[i]);

		if (!d) {
			r = -ENOMEM;
			break;
		}
		c->search[c->n_search++] = d;
	}
	ares_destroy_options(&o);
	ares_destroy(ch);
	ares_library_cleanup();
	return r;
}
