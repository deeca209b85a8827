/*
 * ndp.h - the router's half of IPv6 neighbour discovery (RFC 4861) as pure
 * functions over frames: validate a guest's router or neighbour
 * solicitation, build the neighbour advertisement for one of the
 * gateway's addresses and the router advertisement that configures the
 * guest by SLAAC (prefix, MTU, RDNSS and DNSSL of RFC 8106). No state,
 * no allocation, no I/O: gateway/gw_link6.c decides when to send what.
 */
#ifndef QCW_NDP_H
#define QCW_NDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ndp_type {
	NDP_RS = 133,
	NDP_RA = 134,
	NDP_NS = 135,
	NDP_NA = 136,
};

enum ndp_opt {
	NDP_OPT_SLLA = 1,
	NDP_OPT_TLLA = 2,
	NDP_OPT_PREFIX = 3,
	NDP_OPT_MTU = 5,
	NDP_OPT_RDNSS = 25,
	NDP_OPT_DNSSL = 31,
};

/* neighbour advertisement flags (first byte of the reserved word) */
#define NDP_NA_ROUTER 0x80
#define NDP_NA_SOLICITED 0x40
#define NDP_NA_OVERRIDE 0x20
/* router advertisement flags */
#define NDP_RA_MANAGED 0x80
#define NDP_RA_OTHER 0x40

#define NDP_NA_FRAME_LEN (14 + 40 + 24 + 8)

/*
 * struct ndp_msg - a validated RS or NS (pointers into the frame).
 * @src, @dst: the IPv6 header's; @target: the NS's (NULL for RS);
 * @sll: the source link-layer address option's MAC, NULL when absent.
 */
struct ndp_msg {
	uint8_t type;
	const uint8_t *eth_src;
	const uint8_t *src, *dst, *target, *sll;
};

/*
 * ndp_parse() - is @frame a router or neighbour solicitation?
 * Return: 1 with @m filled when it is one that passes RFC 4861's checks
 * (6.1.1, 7.1.1: hop limit 255, code 0, checksum, length, no option of
 * length 0 or past the end, target not multicast, no source link-layer
 * option from the unspecified address, which may only ask a
 * solicited-node group); 0 when it is not an RS or NS at all (other
 * ICMPv6, other protocols: the stack's); -EINVAL when it is an RS or NS
 * that fails a check (to be dropped and counted).
 */
int ndp_parse(const uint8_t *frame, size_t len, struct ndp_msg *m);

/*
 * ndp_build_na() - the advertisement answering @ns for @target (one of
 * the gateway's addresses) from @mac, with the target link-layer
 * option: to the soliciting node (solicited and override set), or to
 * all nodes (ff02::1, override only) when the solicitation came from the
 * unspecified address (duplicate address detection). @router sets R.
 * @out holds NDP_NA_FRAME_LEN bytes. Return: the frame length.
 */
size_t ndp_build_na(uint8_t *out, const struct ndp_msg *ns,
		    const uint8_t mac[6], bool router);

/*
 * struct ndp_ra_cfg - what the router advertises. @dnssl holds the search
 * list as concatenated DNS wire names (as dhcp_server_search_wire() gives
 * it); names that do not fit the frame are left out whole.
 */
struct ndp_ra_cfg {
	uint8_t mac[6]; /* source link-layer address */
	uint8_t src[16]; /* the router's link-local address */
	uint8_t prefix[16]; /* the /64 for SLAAC (A=1, L=1) */
	uint8_t flags; /* NDP_RA_MANAGED, NDP_RA_OTHER */
	uint16_t mtu; /* MTU option; 0: none */
	uint16_t router_lifetime; /* seconds */
	uint32_t valid_lifetime, preferred_lifetime; /* of the prefix */
	bool have_rdnss;
	uint8_t rdnss[16];
	uint32_t dns_lifetime; /* of RDNSS and DNSSL */
	const uint8_t *dnssl;
	size_t dnssl_len;
};

/*
 * ndp_build_ra() - a router advertisement from @c to @dst (unicast to a
 * soliciting host, or ff02::1) at @dst_mac, in at most @cap bytes.
 * Return: the frame length, or 0 when @cap cannot hold the options
 * before DNSSL.
 */
size_t ndp_build_ra(uint8_t *out, size_t cap, const struct ndp_ra_cfg *c,
		    const uint8_t dst_mac[6], const uint8_t dst[16]);

/*
 * ndp_icmp6_csum_ok() - the ICMPv6 message @icmp (@len bytes) between
 * @src and @dst has a valid checksum.
 */
bool ndp_icmp6_csum_ok(const uint8_t src[16], const uint8_t dst[16],
		       const uint8_t *icmp, size_t len);

#endif
