/*
 * dhcp6.h - a stateless DHCPv6 server (RFC 8415, RFC 3646) as pure
 * functions over UDP payloads: the gateway link hands it a client message
 * sent to port 547 and wraps the answer in UDP/IPv6/Ethernet. No state,
 * no allocation, no I/O.
 *
 * The guest gets its address by SLAAC (the router advertisement has M=0,
 * O=1); DHCPv6 only tells it the DNS server and the search list, answering
 * INFORMATION-REQUEST, which is what busybox "udhcpc6 -l", systemd-networkd
 * and NetworkManager (both following the RA's M and O bits) send under
 * M=0 O=1. Clients that ask for an address anyway (SOLICIT,
 * e.g. "dhclient -6" without -S, or systemd-networkd with
 * DHCPv6Client=always) get an ADVERTISE with status NoAddrsAvail and
 * SOL_MAX_RT = 1 h (RFC 8415 18.3.9, 21.24): a definite "no" that makes
 * a conforming client stop asking every few seconds, where silence would
 * leave it soliciting at full rate. REQUEST gets a REPLY with NoAddrsAvail,
 * RENEW a REPLY with NoBinding, RELEASE and DECLINE a REPLY with Success;
 * REBIND and CONFIRM, for addresses this server never gave, get nothing
 * (RFC 8415 18.3.5, 18.3.3).
 */
#ifndef QCW_DHCP6_H
#define QCW_DHCP6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP6_CLIENT_PORT 546
#define DHCP6_SERVER_PORT 547
#define DHCP6_HDR_LEN 4
/* a DUID is at most 128 bytes after its 2-byte type (RFC 8415 11.1) */
#define DHCP6_DUID_MAX 130
#define DHCP6_MAX_DNS 4
/* the search list in DNS wire format: six names of up to 255 bytes */
#define DHCP6_SEARCH_MAX (6 * 255)
/* bytes a reply needs at most: ids, status, two lists, SOL_MAX_RT */
#define DHCP6_REPLY_MAX                                              \
	(DHCP6_HDR_LEN + 2 * (4 + DHCP6_DUID_MAX) + 4 + 2 + 32 + 4 + \
	 DHCP6_MAX_DNS * 16 + 4 + DHCP6_SEARCH_MAX + 8 + 8)

enum dhcp6_msg_type {
	DHCP6_SOLICIT = 1,
	DHCP6_ADVERTISE = 2,
	DHCP6_REQUEST = 3,
	DHCP6_CONFIRM = 4,
	DHCP6_RENEW = 5,
	DHCP6_REBIND = 6,
	DHCP6_REPLY = 7,
	DHCP6_RELEASE = 8,
	DHCP6_DECLINE = 9,
	DHCP6_RECONFIGURE = 10,
	DHCP6_INFORMATION_REQUEST = 11,
	DHCP6_RELAY_FORW = 12,
	DHCP6_RELAY_REPL = 13,
};

enum dhcp6_option {
	DHCP6_OPT_CLIENTID = 1,
	DHCP6_OPT_SERVERID = 2,
	DHCP6_OPT_IA_NA = 3,
	DHCP6_OPT_IA_TA = 4,
	DHCP6_OPT_ORO = 6,
	DHCP6_OPT_ELAPSED_TIME = 8,
	DHCP6_OPT_STATUS_CODE = 13,
	DHCP6_OPT_RAPID_COMMIT = 14,
	DHCP6_OPT_DNS_SERVERS = 23,
	DHCP6_OPT_DOMAIN_LIST = 24,
	DHCP6_OPT_IA_PD = 25,
	DHCP6_OPT_INFO_REFRESH_TIME = 32,
	DHCP6_OPT_SOL_MAX_RT = 82,
};

enum dhcp6_status {
	DHCP6_ST_SUCCESS = 0,
	DHCP6_ST_NO_ADDRS_AVAIL = 2,
	DHCP6_ST_NO_BINDING = 3,
};

/* Bits of struct dhcp6_msg.have. */
#define DHCP6_HAVE_CLIENTID (1u << 0)
#define DHCP6_HAVE_SERVERID (1u << 1)
#define DHCP6_HAVE_IA (1u << 2) /* IA_NA, IA_TA or IA_PD */
#define DHCP6_HAVE_ORO (1u << 3)
#define DHCP6_HAVE_RAPID_COMMIT (1u << 4)

/*
 * struct dhcp6_msg - a parsed client message. The pointers borrow from the
 * buffer given to dhcp6_msg_parse().
 */
struct dhcp6_msg {
	uint8_t type;
	uint32_t xid; /* 24 bits */
	unsigned int have; /* DHCP6_HAVE_* */
	const uint8_t *client_id, *server_id, *oro;
	uint16_t client_id_len, server_id_len, oro_len; /* bytes */
};

/*
 * dhcp6_msg_parse() - check the framing of the message @buf, @len (the
 * UDP payload, untrusted): a 4-byte header, then options whose headers
 * and data lie inside the buffer; a client or server id of 3 to 130
 * bytes, at most one of each; an option request list of whole codes;
 * elapsed time of 2 bytes, rapid commit empty.
 * Return: 0, or -EINVAL.
 */
int dhcp6_msg_parse(const uint8_t *buf, size_t len, struct dhcp6_msg *m);

/* dhcp6_msg_wants() - the client's option request list holds @code. */
bool dhcp6_msg_wants(const struct dhcp6_msg *m, uint16_t code);

/*
 * struct dhcp6_server_config - what the server says. @duid is the
 * server's DUID-LL (dhcp6_duid_ll()); @search the domain search list as
 * concatenated DNS wire names (e.g. from dhcp_server_search_wire()).
 */
struct dhcp6_server_config {
	uint8_t duid[10];
	unsigned int n_dns;
	uint8_t dns[DHCP6_MAX_DNS][16];
	size_t search_len;
	uint8_t search[DHCP6_SEARCH_MAX];
	uint32_t info_refresh_secs; /* option 32; 0: not sent */
};

/* dhcp6_duid_ll() - the 10-byte DUID-LL (type 3, Ethernet) of @mac. */
void dhcp6_duid_ll(uint8_t out[10], const uint8_t mac[6]);

/*
 * dhcp6_server_reply() - the server's answer to one client message.
 * @c:		the configuration
 * @req, @len:	the UDP payload received on port 547 (untrusted)
 * @out, @cap:	where the reply payload goes (DHCP6_REPLY_MAX suffices)
 *
 * Messages that RFC 8415 section 16 says to discard (a SOLICIT with a
 * server id, a REQUEST for another server, an INFORMATION-REQUEST with an
 * IA, a server's or relay's message, an unknown type) are -EINVAL, like a
 * malformed one.
 * Return: the reply length, 0 for a valid message that gets no reply,
 * -EINVAL, or -ENOSPC when @cap is too small.
 */
int dhcp6_server_reply(const struct dhcp6_server_config *c, const uint8_t *req,
		       size_t len, uint8_t *out, size_t cap);

#endif
