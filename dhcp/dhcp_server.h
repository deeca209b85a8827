/*
 * dhcp_server.h - DHCPv4 server of the virtual network, as a pure state
 * machine over UDP payloads: the stack hands it the payload of a datagram
 * sent to port 67 and wraps the reply it returns in UDP/IPv4/Ethernet.
 * No I/O, no clock of its own (the caller passes "now"), so it is unit
 * tested and fuzzed without a loop.
 *
 * All addresses are IPv4 in host byte order.
 */
#ifndef QCW_DHCP_SERVER_H
#define QCW_DHCP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#define DHCP_MAX_STATIC 64
#define DHCP_MAX_SEARCH 6

struct dhcp_static_lease {
	uint8_t mac[6];
	uint32_t ip;
};

struct dhcp_server_config {
	uint32_t network; /* e.g. 192.168.127.0 */
	uint32_t netmask; /* e.g. 255.255.255.0 */
	uint32_t gateway; /* router, DNS and server id: .1 */
	uint32_t host_alias; /* .254, never handed out */
	uint32_t pool_start; /* first dynamic address: .3 */
	uint32_t pool_end; /* last dynamic address: .253 */
	uint32_t lease_secs; /* 3600 */
	uint16_t mtu; /* option 26 */
	unsigned int n_static;
	struct dhcp_static_lease statics[DHCP_MAX_STATIC];
	unsigned int n_search; /* option 119 domains, may be 0 */
	const char *search[DHCP_MAX_SEARCH];
};

/* Where the stack must send a reply. */
struct dhcp_reply_dst {
	uint32_t ip; /* 0xffffffff for broadcast */
	uint8_t mac[6]; /* ff:ff:ff:ff:ff:ff for broadcast */
};

struct dhcp_counters {
	uint64_t discover, offer, request, ack, nak, release, inform, decline;
	uint64_t malformed; /* dropped: not a well-formed BOOTREQUEST */
	uint64_t ignored; /* well-formed but no reply (e.g. other server id) */
	uint64_t pool_exhausted; /* no address to offer: no reply */
	uint64_t reclaimed; /* quiet leases given to a new client */
};

/*
 * dhcp_lease_fn - a binding changed: @mac now holds @ip (@bound 1: an ACK,
 * a renewal included, static leases too) or no longer does (@bound 0:
 * released, declined, expired, reclaimed, or the address went to another
 * MAC, reported before the new holder's @bound 1). Static leases are
 * never reported unbound: their address belongs to their MAC. Called from
 * dhcp_server_handle() and dhcp_server_expire(); must not re-enter the
 * server.
 */
typedef void (*dhcp_lease_fn)(void *arg, uint32_t ip, const uint8_t mac[6],
			      int bound);

/*
 * dhcp_last_seen_fn - when @mac last sent anything (the switch's view):
 * 0 and *@seen_ms, or a negative errno when unknown.
 */
typedef int (*dhcp_last_seen_fn)(void *arg, const uint8_t mac[6],
				 uint64_t *seen_ms);

#define DHCP_QUIET_MS_DEFAULT (300ull * 1000)

struct dhcp_server;

/*
 * dhcp_server_config_init() - zero @c and fill in the network, the pool
 * (every usable address; the server skips the reserved ones), a 1 h lease
 * and @mtu. Static leases and search domains are the caller's.
 */
void dhcp_server_config_init(struct dhcp_server_config *c, uint32_t network,
			     uint32_t netmask, uint32_t gateway,
			     uint32_t host_alias, uint16_t mtu);

/* dhcp_server_create() - copies @cfg (and the search strings); NULL on error. */
struct dhcp_server *dhcp_server_create(const struct dhcp_server_config *cfg);
/*
 * dhcp_server_set_quiet() - when the pool is exhausted, a DISCOVER from a
 * new client reclaims the dynamic lease (or offer) whose MAC has been
 * quiet longest, if quiet for at least @quiet_ms (0: the default): not
 * heard by the server and, when @fn is given, not seen by @fn since.
 * Static leases are never reclaimed.
 */
void dhcp_server_set_quiet(struct dhcp_server *s, uint64_t quiet_ms,
			   dhcp_last_seen_fn fn, void *arg);

/*
 * dhcp_server_set_lease_cb() - call @fn on every change of a binding
 * (NULL: none). The stack pins bound addresses in its ARP table.
 */
void dhcp_server_set_lease_cb(struct dhcp_server *s, dhcp_lease_fn fn,
			      void *arg);

/*
 * dhcp_server_expire() - report (unbound) the leases whose time passed by
 * @now_ms: the server judges expiry lazily, so the owner of the lease
 * callback calls this about once a second. O(pool size).
 */
void dhcp_server_expire(struct dhcp_server *s, uint64_t now_ms);

/* dhcp_server_destroy() - accepts NULL. */
void dhcp_server_destroy(struct dhcp_server *s);

/*
 * dhcp_server_handle() - process one UDP payload received on port 67.
 * @req, @len:  the payload (untrusted, any length)
 * @now_ms:     monotonic time, for lease expiry
 * @out, @cap:  where to write the reply UDP payload (>= 576 bytes advised)
 * @dst:        filled with the destination of the reply
 *
 * Return: reply length (> 0), 0 for no reply, -EINVAL for a malformed
 * request (counted in malformed), -ENOSPC if @cap is too small.
 */
int dhcp_server_handle(struct dhcp_server *s, const uint8_t *req, size_t len,
		       uint64_t now_ms, uint8_t *out, size_t cap,
		       struct dhcp_reply_dst *dst);

/* dhcp_server_foreach_lease() - calls @fn for every live lease, ordered by IP. */
void dhcp_server_foreach_lease(struct dhcp_server *s, uint64_t now_ms,
			       void (*fn)(void *arg, uint32_t ip,
					  const uint8_t mac[6]),
			       void *arg);

const struct dhcp_counters *dhcp_server_counters(const struct dhcp_server *s);

/*
 * dhcp_server_search_wire() - the search domains as option 119 carries
 * them (concatenated DNS wire names, no compression), for DHCPv6 option
 * 24 and the router advertisement's DNSSL: the length, @wire set.
 */
size_t dhcp_server_search_wire(const struct dhcp_server *s,
			       const uint8_t **wire);

/* dhcp_search_from_resolv_conf() - read "search"/"domain" of @path into
 * @cfg->search (strings owned by the caller until dhcp_server_create()
 * copies them; they are strdup'd here and freed by dhcp_search_free()). */
int dhcp_search_from_resolv_conf(const char *path,
				 struct dhcp_server_config *cfg);
void dhcp_search_free(struct dhcp_server_config *cfg);

#endif
