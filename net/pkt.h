/*
 * pkt.h - bounds-checked readers and small builders for Ethernet, ARP,
 * IPv4 and UDP headers: the pure helpers the stack uses before a frame
 * reaches lwIP (ARP for virtual IPs, DHCP) and that the tests use to
 * craft frames. Every read of untrusted bytes goes through these.
 */
#ifndef QCW_PKT_H
#define QCW_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/be.h"

#define ETH_HLEN_ 14
#define ETHTYPE_IP4 0x0800
#define ETHTYPE_ARP_ 0x0806

/*
 * Offsets into an Ethernet frame carrying IPv4 without options and TCP
 * (what lwIP sends, and the guest's pure ACKs): byte positions from the
 * start of the frame, named so code that reads headers in place says
 * which field it reads.
 */
#define PKT_ETH_TYPE 12
#define PKT_IP4 ETH_HLEN_ /* version and header length */
#define PKT_IP4_TOTLEN (PKT_IP4 + 2)
#define PKT_IP4_FRAG (PKT_IP4 + 6) /* flags and fragment offset */
#define PKT_IP4_PROTO (PKT_IP4 + 9)
#define PKT_IP4_SRC (PKT_IP4 + 12)
#define PKT_IP4_DST (PKT_IP4 + 16)
#define PKT_TCP (PKT_IP4 + 20) /* with a 20-byte IP header */
#define PKT_TCP_SPORT PKT_TCP
#define PKT_TCP_DPORT (PKT_TCP + 2)
#define PKT_TCP_SEQ (PKT_TCP + 4)
#define PKT_TCP_ACK (PKT_TCP + 8)
#define PKT_TCP_OFF (PKT_TCP + 12) /* data offset, in 32-bit words << 4 */
#define PKT_TCP_FLAGS (PKT_TCP + 13)
#define PKT_TCP_WIN (PKT_TCP + 14)
#define PKT_TCP4_LEN (PKT_TCP + 20) /* a frame with no TCP options or data */

#define PKT_TCP_ACK_FLAG 0x10
#define PKT_TCP_SYN_FLAG 0x02

/* A parsed IPv4/UDP datagram inside an Ethernet frame (pointers borrowed). */
struct pkt_udp4 {
	const uint8_t *eth_src;
	uint32_t src, dst;
	uint16_t sport, dport;
	const uint8_t *payload;
	size_t len;
};

/*
 * pkt_parse_udp4() - 0 when @frame is an unfragmented IPv4/UDP datagram
 * with consistent lengths, -EINVAL otherwise. Checksums are not verified.
 */
int pkt_parse_udp4(const uint8_t *frame, size_t len, struct pkt_udp4 *u);

/*
 * pkt_arp_request_for() - if @frame is an ARP request, store its target
 * IP in @tip and return true.
 */
bool pkt_arp_request_for(const uint8_t *frame, size_t len, uint32_t *tip);

/* pkt_build_arp_reply() - 42-byte reply to the request @req from @mac. */
size_t pkt_build_arp_reply(uint8_t *out, const uint8_t *req,
			   const uint8_t mac[6], uint32_t ip);

/*
 * pkt_build_udp4() - write Ethernet + IPv4 + UDP headers in front of the
 * @plen payload bytes already at out + 42; return the frame length.
 */
size_t pkt_build_udp4(uint8_t *out, const uint8_t src_mac[6],
		      const uint8_t dst_mac[6], uint32_t src, uint32_t dst,
		      uint16_t sport, uint16_t dport, size_t plen);

/* pkt_csum() - Internet checksum of @len bytes, seeded with @sum. */
uint16_t pkt_csum(const uint8_t *p, size_t len, uint32_t sum);

/* pkt_put_eth() - an Ethernet header at @out. */
void pkt_put_eth(uint8_t *out, const uint8_t dst[6], const uint8_t src[6],
		 uint16_t type);
/* pkt_put_ip4() - an IPv4 header without options at @ip, checksum set. */
void pkt_put_ip4(uint8_t *ip, uint8_t tos, uint16_t tot, uint16_t id,
		 uint16_t frag, uint8_t proto, uint32_t src, uint32_t dst);
/* pkt_put_tcp() - a bare 20-byte TCP header at @t, checksum 0. */
void pkt_put_tcp(uint8_t t[20], uint16_t sport, uint16_t dport, uint32_t seq,
		 uint32_t ack, uint8_t flags);
/*
 * pkt_put_arp() - an Ethernet ARP body (28 bytes) at @a: @op 1 request,
 * 2 reply; @tha NULL writes zeros.
 */
void pkt_put_arp(uint8_t *a, uint16_t op, const uint8_t sha[6], uint32_t sip,
		 const uint8_t *tha, uint32_t tip);
/* pkt_pseudo_sum() - the IPv4 pseudo header's sum for @len L4 bytes. */
static inline uint32_t pkt_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto,
				      size_t len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
	       proto + (uint32_t)len;
}

#endif
