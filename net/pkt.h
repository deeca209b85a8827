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

#define ETH_HLEN_ 14
#define ETHTYPE_IP4 0x0800
#define ETHTYPE_ARP_ 0x0806

static inline uint16_t pkt_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t pkt_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void pkt_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void pkt_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

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

#endif
