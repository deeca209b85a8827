/*
 * slirp_frames.h - the pure frame work of the libslirp backend: the filter
 * that decides what of the guest's traffic libslirp may see (libslirp
 * would otherwise NAT to any address, the subnet's own included), and the
 * frames the backend answers or sends itself (ping of the gateway, a RST
 * for a closed gateway port, UDP from a gateway socket, fragmented past
 * the MTU), plus the rewrite of libslirp's own MAC to the gateway's. No
 * I/O, no state: every function reads untrusted bytes through bounds
 * checks and is fuzzed (fuzz/fuzz_slirp_filter.c).
 */
#ifndef QCW_SLIRP_FRAMES_H
#define QCW_SLIRP_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "net/netcfg.h"

/* What the backend does with a frame from the guest. */
enum slirp_verdict {
	SLV_SLIRP, /* to libslirp: NAT, the host alias, ARP */
	SLV_GW_ICMP, /* an echo request to the gateway: answered here */
	SLV_GW_UDP, /* UDP to the gateway: a gateway socket, checksum ok */
	SLV_GW_TCP, /* TCP to the gateway: libslirp if listened, else RST */
	SLV_PING6, /* an ICMPv6 echo request beyond the host alias */
	SLV_DROP_MALFORMED, /* short, bad header or checksum */
	SLV_DROP_SOURCE, /* source not a guest address of the subnet */
	SLV_DROP_LOOPBACK, /* to 127/8 or 0/8 */
	SLV_DROP_LINK_LOCAL, /* 169.254/16 without -ec2-metadata-access */
	SLV_DROP_SUBNET, /* another address of the subnet */
	SLV_DROP_CAST, /* broadcast or multicast */
	SLV_DROP_OTHER, /* IPv6, other EtherTypes, other protocols */
};

/* What the filter read of an IPv4 frame (pointers into the frame). */
struct slirp_pkt {
	uint32_t src, dst;
	uint8_t proto;
	bool frag; /* a fragment (MF or an offset) */
	const uint8_t *ip; /* the IPv4 header (NULL for IPv6) */
	const uint8_t *ip6, *src6, *dst6; /* IPv6: header, addresses */
	size_t ihl, tot; /* its length, the datagram's */
	const uint8_t *l4; /* the L4 header */
	size_t l4len; /* L4 header + payload */
	uint16_t sport, dport; /* TCP and UDP only */
	uint8_t tcp_flags;
};

#define SLIRP_TCP_FIN 0x01
#define SLIRP_TCP_SYN 0x02
#define SLIRP_TCP_RST 0x04
#define SLIRP_TCP_ACK 0x10

/*
 * slirp_classify() - the filter: the verdict on @frame (@len bytes) from
 * the guest, with @p filled for IPv4 frames. Only SLV_SLIRP and the
 * SLV_GW_* verdicts let a frame through.
 */
enum slirp_verdict slirp_classify(const struct netcfg *cfg,
				  const uint8_t *frame, size_t len,
				  struct slirp_pkt *p);

/* slirp_verdict_name() - "bad source" for SLV_DROP_SOURCE, ... */
const char *slirp_verdict_name(enum slirp_verdict v);

/*
 * slirp_frames6.c: IPv6. slirp_classify6() - what slirp_classify() does
 * for an IPv6 frame (the gateway's addresses, the host alias to libslirp,
 * neighbour messages to libslirp, NAT66 by netcfg_nat_check6()).
 */
enum slirp_verdict slirp_classify6(const struct netcfg *cfg,
				   const uint8_t *frame, size_t len,
				   struct slirp_pkt *p);
#define SLIRP_RST6_LEN (14 + 40 + 20)
/*
 * slirp_rst_for() - the sequence, acknowledgement and flags of the RST
 * that answers TCP segment @p (RFC 9293 3.10.7.1), either IP version;
 * false when none is due (a RST, or a malformed header).
 */
bool slirp_rst_for(const struct slirp_pkt *p, uint32_t *seq, uint32_t *ack,
		   uint8_t *flags);

/* slirp_build_rst6() - the RST answering IPv6 TCP @p; 0 when none is due */
size_t slirp_build_rst6(uint8_t out[SLIRP_RST6_LEN], const uint8_t *frame,
			const struct slirp_pkt *p, const uint8_t gw_mac[6]);
/* slirp_build_echo_reply6() - the gateway's ICMPv6 echo reply to @p */
size_t slirp_build_echo_reply6(uint8_t *out, size_t cap, const uint8_t *frame,
			       const struct slirp_pkt *p,
			       const uint8_t gw_mac[6]);
/*
 * slirp_build_unreach4() - an ICMP port unreachable from @from to @to
 * (@dst_mac) quoting @quote (@qlen bytes: the datagram's IPv4 header and
 * 8 bytes of UDP, 28 to 68), as a host answers a datagram to a closed
 * port; its length, 0 when it does not fit @cap or @qlen is out of range.
 */
size_t slirp_build_unreach4(uint8_t *out, size_t cap, const uint8_t dst_mac[6],
			    const uint8_t gw_mac[6], uint32_t from, uint32_t to,
			    const uint8_t *quote, size_t qlen);

/*
 * slirp_build_unreach6() - an ICMPv6 destination unreachable (@code: 0 no
 * route, 1 prohibited, 3 address, 4 port) from @from to the sender of the
 * IPv6 frame @frame (@p), quoting as much of its datagram as fits in 1280
 * bytes; its length, or 0 when it does not fit @cap or @p is not IPv6
 * without extension headers.
 */
size_t slirp_build_unreach6(uint8_t *out, size_t cap, const uint8_t *frame,
			    const struct slirp_pkt *p, const uint8_t gw_mac[6],
			    const uint8_t from[16], uint8_t code);

/* slirp_build_udp6() - one IPv6 UDP frame (no fragments); 0 if too big */
size_t slirp_build_udp6(uint8_t *out, size_t cap, const uint8_t dst_mac[6],
			const uint8_t src_mac[6], const uint8_t src[16],
			uint16_t sport, const uint8_t dst[16], uint16_t dport,
			const void *data, size_t len);
/*
 * slirp_out_rewrite6() - an IPv6 frame of libslirp's for the guest: the
 * gateway's MAC as its source (and in a neighbour message's link-layer
 * option: then the whole frame is copied into @hdr, @cap bytes). The
 * bytes of @hdr to send before the rest of @frame, or -1 to drop it (a
 * router advertisement: the gateway's are qcw-net's).
 */
int slirp_out_rewrite6(uint8_t *hdr, size_t cap, const uint8_t *frame,
		       size_t len, const uint8_t gw_mac[6]);

/*
 * slirp_build_echo_reply() - the gateway's answer to the echo request @p
 * of @frame, in @out (@cap bytes): its length, or 0 when @p is not an
 * unfragmented echo request with a valid ICMP checksum or @cap is short.
 */
size_t slirp_build_echo_reply(uint8_t *out, size_t cap, const uint8_t *frame,
			      const struct slirp_pkt *p,
			      const uint8_t gw_mac[6]);

#define SLIRP_RST_LEN (14 + 20 + 20)
/*
 * slirp_build_rst() - a RST answering the TCP segment @p of @frame (RFC
 * 793's rules for a closed port) in @out: SLIRP_RST_LEN, or 0 when the
 * segment is itself a RST or too short to answer.
 */
size_t slirp_build_rst(uint8_t out[SLIRP_RST_LEN], const uint8_t *frame,
		       const struct slirp_pkt *p, const uint8_t gw_mac[6]);

/*
 * slirp_build_tcp() - a bare TCP segment (no options, no payload) from
 * @src:@sport to @dst:@dport in @out: SLIRP_RST_LEN bytes.
 */
size_t slirp_build_tcp(uint8_t out[SLIRP_RST_LEN], const uint8_t dst_mac[6],
		       const uint8_t src_mac[6], uint32_t src, uint16_t sport,
		       uint32_t dst, uint16_t dport, uint32_t seq, uint32_t ack,
		       uint8_t flags);

/* slirp_udp_ok() - the UDP checksum of @p is absent or right. */
bool slirp_udp_ok(const struct slirp_pkt *p);

/* What slirp_udp_frames() builds. */
struct slirp_udp_out {
	const uint8_t *src_mac, *dst_mac;
	uint32_t src, dst;
	uint16_t sport, dport;
	uint16_t id; /* the IPv4 identification of the datagram */
	uint16_t mtu; /* IP bytes per frame */
};

#define SLIRP_UDP_HDR_MAX (14 + 20 + 8)
/* slirp_emit_fn - one frame of slirp_udp_frames(): @iov pieces. */
typedef void (*slirp_emit_fn)(void *arg, const struct iovec *iov, int iovcnt,
			      size_t len);

/*
 * slirp_udp_frames() - the frames of the UDP datagram @data (@len bytes,
 * at most 65507) as @o says, fragmented when it exceeds the MTU; each is
 * handed to @emit (headers in a local buffer, the payload referenced).
 * Return: the number of frames, or -EMSGSIZE / -EINVAL.
 */
int slirp_udp_frames(const struct slirp_udp_out *o, const void *data,
		     size_t len, slirp_emit_fn emit, void *arg);

/*
 * slirp_out_rewrite() - the first bytes of libslirp's frame @frame
 * (@len bytes) copied to @hdr (42 bytes) with libslirp's source MAC, and
 * an ARP sender's hardware address, replaced by @gw_mac: the number of
 * bytes copied (the rest of the frame is unchanged), 0 if too short.
 */
size_t slirp_out_rewrite(uint8_t hdr[42], const uint8_t *frame, size_t len,
			 const uint8_t gw_mac[6]);

/*
 * slirp_build_garp() - a gratuitous ARP request of @ip at @mac (42
 * bytes): how the backend tells libslirp a guest's MAC so it never has
 * to ask.
 */
size_t slirp_build_garp(uint8_t out[42], const uint8_t mac[6], uint32_t ip);

/*
 * slirp_build_arp_request() - "who has @tip? tell @sip at @mac", broadcast
 * (42 bytes): the gateway looks for a guest it is to dial.
 */
size_t slirp_build_arp_request(uint8_t out[42], const uint8_t mac[6],
			       uint32_t sip, uint32_t tip);

/*
 * slirp_build_ns() - a neighbour solicitation for @target from @src (the
 * gateway's link-local address, MAC @mac) to its solicited-node group.
 */
#define SLIRP_NS_LEN (14 + 40 + 32)
size_t slirp_build_ns(uint8_t out[SLIRP_NS_LEN], const uint8_t mac[6],
		      const uint8_t src[16], const uint8_t target[16]);

/*
 * slirp_xlat.c: the guest's IPv6 TCP through libslirp's IPv4-only guest
 * and host forwards. slirp_xlat_6to4() - the guest's IPv6 TCP segment @p
 * of @frame as an IPv4 frame from @src to @dst (same MACs, DF, checksum
 * recomputed) into @out (@cap bytes): its length, 0 when @p is not TCP
 * or does not fit.
 */
size_t slirp_xlat_6to4(uint8_t *out, size_t cap, const uint8_t *frame,
		       const struct slirp_pkt *p, uint32_t src, uint32_t dst);
/*
 * slirp_xlat_4to6() - libslirp's IPv4 TCP frame @frame (@len bytes) as an
 * IPv6 frame from @src6 to @dst6 into @out (@cap): its length, 0 when it
 * is not a whole TCP segment or does not fit. A SYN's MSS option is
 * lowered by 20 (IPv6's longer header), so the guest's segments still fit
 * the MTU.
 */
size_t slirp_xlat_4to6(uint8_t *out, size_t cap, const uint8_t *frame,
		       size_t len, const uint8_t src6[16],
		       const uint8_t dst6[16]);

/*
 * slirp_reasm.c: the guest's IPv4 and IPv6 fragments put back together (a
 * table per family), so that libslirp and the filter see whole datagrams.
 */
#define SLIRP_REASM_SLOTS 4
#define SLIRP_REASM_MS 5000
struct slirp_reasm_slot {
	uint8_t *buf; /* 14 + 60 + 65535 bytes, taken on first use */
	bool used;
	uint8_t src[16], dst[16], nh; /* IPv4: ::a.b.c.d */
	uint8_t hlen; /* the first fragment's IP header, once it came */
	uint32_t id; /* IPv4: the protocol << 16 | the identification */
	uint64_t ms; /* its first fragment's arrival */
	size_t total; /* the datagram's length once its last fragment came */
	uint8_t have[65535 / 64 + 1]; /* 8-byte blocks held, a bit each */
};
struct slirp_reasm {
	struct slirp_reasm_slot slot[SLIRP_REASM_SLOTS];
	uint64_t expired; /* datagrams given up: timed out or replaced */
};
/*
 * slirp_reasm6_add() - the guest's IPv6 fragment @frame (@len bytes, the
 * fragment header right after the IPv6 header) at @now ms: the length of
 * the whole datagram's frame in *@out (valid until the next call) when it
 * is complete, 0 while fragments are missing, -1 when dropped (malformed,
 * overlapping, longer than 65535 bytes; the datagram with it).
 */
int slirp_reasm6_add(struct slirp_reasm *r, const uint8_t *frame, size_t len,
		     uint64_t now, const uint8_t **out);
/*
 * slirp_reasm4_add() - the same for the guest's IPv4 fragment @frame (its
 * header checksum verified by the caller); the whole datagram's header is
 * the first fragment's, with its length, no MF nor offset, DF as it was,
 * and a new checksum.
 */
int slirp_reasm4_add(struct slirp_reasm *r, const uint8_t *frame, size_t len,
		     uint64_t now, const uint8_t **out);
void slirp_reasm_free(struct slirp_reasm *r);
/*
 * slirp_frag6_out() - libslirp's IPv6 frame @frame (@len bytes, longer
 * than @mtu allows) to the guest as fragments of identification @id, each
 * from @src_mac, passed to @emit: their number, -1 when @frame is not a
 * whole IPv6
 * datagram or @mtu is below IPv6's minimum (1280).
 */
int slirp_frag6_out(const uint8_t *frame, size_t len, size_t mtu, uint32_t id,
		    const uint8_t src_mac[6], slirp_emit_fn emit, void *arg);

/*
 * slirp_seg6.c: slirp_tcp6_split() - the guest's TCP segment over IPv6
 * @frame (@len bytes, no extension headers; reassembled, longer than
 * @mtu allows) as segments of the same connection that fit @mtu, each
 * built in @out (@cap bytes, at least 14 + @mtu) and passed to @emit
 * before the next. Return: their number; -EINVAL when @frame is not such
 * a segment, -EBADMSG when its checksum fails, -EOPNOTSUPP for SYN, RST
 * or URG, -EMSGSIZE when @mtu leaves no room for data or @cap is short.
 */
typedef void (*slirp_frame_fn)(void *arg, const uint8_t *frame, size_t len);
int slirp_tcp6_split(const uint8_t *frame, size_t len, size_t mtu, uint8_t *out,
		     size_t cap, slirp_frame_fn emit, void *arg);

/*
 * slirp_ext6.c: slirp_ext6_strip() - the guest's IPv6 frame @frame (@len
 * bytes) without the headers pkt6_ext_is() names right after its IPv6 header
 * (next header and payload length set; bytes past the payload left off)
 * in @out (@cap bytes): its length, 0 when there are none, -EINVAL when
 * malformed (a header past the payload, hop-by-hop options not first, a
 * jumbogram), -EOPNOTSUPP for an option that must be understood or a
 * routing header with segments left, -ENOSPC when @cap is short.
 */
int slirp_ext6_strip(const uint8_t *frame, size_t len, uint8_t *out,
		     size_t cap);

#endif
