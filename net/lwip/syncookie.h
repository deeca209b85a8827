/*
 * syncookie.h - SYN cookies for the gateway's own TCP ports (IPv4, lwIP
 * backend; the glue is in stack_lwip.c).
 *
 * lwIP keeps a pcb for every half-open connection, at most its backlog
 * (255) per listener. A guest flooding a gateway port with SYNs from
 * addresses that answer ARP fills it, and the oldest pcbs are dropped to
 * make room; a flooding guest's own link is full too, so its real ACK may
 * wait tens of ms in its queue, longer than its pcb lived (DNS over TCP
 * then failed at once, reset). With the backlog full, a SYN gets a
 * SYN-ACK built here instead, whose sequence number encodes the
 * connection, a time slot and the MSS (no pcb, no state); an ACK that
 * brings the number back is turned into that SYN again for lwIP, which
 * takes the cookie as its ISN (the ISN hook), and the ACK completes the
 * connection as usual. Such a connection has no window scaling or
 * timestamps (the cookie has no room for them), as with Linux's cookies.
 *
 * The cookie is a keyed hash, not a secret from the guest: a guest sees
 * every SYN-ACK on its link and may complete any connection it asked for,
 * which then counts against the gateway's per-VM caps like any other.
 * Pure functions over bytes, no I/O, no lwIP.
 */
#ifndef QCW_SYNCOOKIE_H
#define QCW_SYNCOOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYNCOOKIE_SLOT_MS 64000 /* a cookie is good in its slot and the next */
#define SYNCOOKIE_SYN_LEN (20 + 24) /* IPv4 + TCP with the MSS option */
#define SYNCOOKIE_SYNACK_LEN (14 + SYNCOOKIE_SYN_LEN)
#define SYNCOOKIE_SYN6_LEN (40 + 24) /* IPv6 + TCP with the MSS option */
#define SYNCOOKIE_SYNACK6_LEN (14 + SYNCOOKIE_SYN6_LEN)

/* one TCP connection: ports and IPv4 addresses in host order */
struct syncookie_tuple {
	uint32_t saddr, daddr; /* the guest's, the gateway's (IPv4) */
	uint16_t sport, dport;
	bool v6; /* the addresses are saddr6, daddr6 instead */
	uint8_t saddr6[16], daddr6[16];
};

/*
 * syncookie_tuple_set() - @t from a packet of family @v6: its source and
 * destination addresses at @src and @dst (4 or 16 bytes, network order)
 * and the ports of the TCP header at @tcp (4 bytes there at least).
 */
void syncookie_tuple_set(struct syncookie_tuple *t, bool v6, const uint8_t *src,
			 const uint8_t *dst, const uint8_t *tcp);

/*
 * syncookie_syn_mss() - the MSS option of the TCP header at @tcp (@len
 * bytes there, its data offset checked against them), 0 when it has none
 * or is malformed.
 */
uint16_t syncookie_syn_mss(const uint8_t *tcp, size_t len);

/*
 * syncookie_make() - the ISN of the SYN-ACK for @t at @now_ms, encoding
 * the largest MSS of the cookie's table not over @mss (the guest's; 0:
 * none, 536); that MSS in *@use_mss.
 */
uint32_t syncookie_make(uint64_t secret, const struct syncookie_tuple *t,
			uint64_t now_ms, uint16_t mss, uint16_t *use_mss);

/*
 * syncookie_check() - the MSS @isn (an ACK's number minus one) encodes
 * when it is a cookie of @t made in this slot or the one before, else 0.
 */
uint16_t syncookie_check(uint64_t secret, const struct syncookie_tuple *t,
			 uint64_t now_ms, uint32_t isn);

/*
 * syncookie_build_synack() - the gateway's SYN-ACK frame (Ethernet,
 * IPv4 or IPv6 as @t, TCP with the MSS option; window 65535, unscaled)
 * into @out (SYNCOOKIE_SYNACK_LEN or SYNCOOKIE_SYNACK6_LEN bytes), for
 * the guest's SYN @seq. Returns its length.
 */
size_t syncookie_build_synack(uint8_t *out, const uint8_t guest_mac[6],
			      const uint8_t gw_mac[6],
			      const struct syncookie_tuple *t, uint32_t isn,
			      uint32_t seq, uint16_t mss);

/*
 * syncookie_build_syn() - the IP packet of the SYN the guest sent
 * (sequence @seq, window @win, MSS option @mss; no other option) into
 * @out (SYNCOOKIE_SYN_LEN or SYNCOOKIE_SYN6_LEN bytes), for lwIP.
 * Returns its length.
 */
size_t syncookie_build_syn(uint8_t *out, const struct syncookie_tuple *t,
			   uint32_t seq, uint16_t win, uint16_t mss);

#endif
