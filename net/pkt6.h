/*
 * pkt6.h - bounds-checked readers and small builders for IPv6 frames:
 * the Ethernet + fixed IPv6 header, UDP over IPv6 and the ICMPv6/UDP
 * pseudo-header sum (RFC 8200 8.1). Used by the gateway's neighbour
 * discovery, router advertisements and DHCPv6 (gateway/), and by tests
 * to craft frames. The parsers do not walk extension headers: a frame
 * whose next header is not the one asked for is simply not that
 * protocol's; pkt6_ext_walk() walks them for the NAT of both stacks.
 */
#ifndef QCW_PKT6_H
#define QCW_PKT6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/pkt.h"

#define ETHTYPE_IP6 0x86dd
#define PKT_IP6_HLEN 40
#define PKT_IP6 ETH_HLEN_ /* the IPv6 header's offset in a frame */
#define PKT_IP6_PAYLOAD (PKT_IP6 + PKT_IP6_HLEN)
#define PKT_PROTO_UDP 17
#define PKT_PROTO_ICMP6 58

/* An IPv6 packet inside an Ethernet frame (pointers borrowed). */
struct pkt_ip6 {
	const uint8_t *eth_dst, *eth_src;
	const uint8_t *src, *dst; /* 16 bytes each */
	uint8_t next, hlim;
	const uint8_t *payload;
	size_t len; /* the header's payload length, inside the frame */
};

/*
 * pkt_parse_ip6() - 0 when @frame is Ethernet + IPv6 (version 6) whose
 * payload length fits in the frame (trailing padding is ignored),
 * -EINVAL otherwise.
 */
int pkt_parse_ip6(const uint8_t *frame, size_t len, struct pkt_ip6 *p);

/* A UDP datagram over IPv6, directly after the fixed header. */
struct pkt_udp6 {
	struct pkt_ip6 ip;
	uint16_t sport, dport;
	const uint8_t *payload;
	size_t len;
};

/*
 * pkt_parse_udp6() - 0 when @frame is IPv6/UDP with a UDP length inside
 * the IPv6 payload and a checksum that verifies (it is mandatory over
 * IPv6, RFC 8200 8.1), -EINVAL otherwise.
 */
int pkt_parse_udp6(const uint8_t *frame, size_t len, struct pkt_udp6 *u);

/* extension headers walked before the upper layer, at most */
#define PKT6_MAX_EXT 8

/*
 * pkt6_ext_is() - @nh is a hop-by-hop, routing or destination options
 * header (those a receiver passes over on its way to the upper layer).
 */
static inline bool pkt6_ext_is(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60;
}

/*
 * pkt6_ext_walk() - past the extension headers of the IPv6 packet at @ip
 * (@avail bytes of it readable, the payload length's worth at most), as a
 * receiver does (RFC 8200 4.2-4.4): hop-by-hop options only first; an
 * option of a type not known here passed over only when its two high
 * bits say so (Pad1, PadN and the router alert are); a routing header only
 * with no segments left (nothing is routed by source). 0 with the next
 * header after them in *@upper and the length of all headers up to it
 * (40 and more) in *@hlen; -EINVAL when malformed (a header past @avail,
 * more than PKT6_MAX_EXT), -EOPNOTSUPP for an option that must be
 * understood or segments left.
 */
int pkt6_ext_walk(const uint8_t *ip, size_t avail, uint8_t *upper,
		  size_t *hlen);

/* pkt_put_ip6() - a fixed IPv6 header at @ip (traffic class and flow 0). */
void pkt_put_ip6(uint8_t *ip, uint16_t plen, uint8_t next, uint8_t hlim,
		 const uint8_t src[16], const uint8_t dst[16]);

/* pkt_pseudo_sum6() - the IPv6 pseudo header's sum for @len L4 bytes. */
uint32_t pkt_pseudo_sum6(const uint8_t src[16], const uint8_t dst[16],
			 uint8_t next, size_t len);

/*
 * pkt_build_udp6() - Ethernet + IPv6 (hop limit 255 when @dst is
 * link-local or multicast, else 64) + UDP headers in front of the @plen
 * payload bytes already at out + PKT_IP6_PAYLOAD + 8; return the frame
 * length.
 */
size_t pkt_build_udp6(uint8_t *out, const uint8_t src_mac[6],
		      const uint8_t dst_mac[6], const uint8_t src[16],
		      const uint8_t dst[16], uint16_t sport, uint16_t dport,
		      size_t plen);

/* pkt_mcast_mac6() - the Ethernet address of multicast @ip (33:33:...). */
void pkt_mcast_mac6(uint8_t mac[6], const uint8_t ip[16]);

/* pkt_ip6_is_mcast() / _is_ll() / _is_unspec(): ff00::/8, fe80::/10, ::. */
static inline bool pkt_ip6_is_mcast(const uint8_t ip[16])
{
	return ip[0] == 0xff;
}

static inline bool pkt_ip6_is_ll(const uint8_t ip[16])
{
	return ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80;
}

bool pkt_ip6_is_unspec(const uint8_t ip[16]);

/* pkt_ip6_solicited() - @out = ff02::1:ffXX:XXXX of @ip (RFC 4291 2.7.1). */
void pkt_ip6_solicited(uint8_t out[16], const uint8_t ip[16]);

#endif
