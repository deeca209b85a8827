/*
 * dhcp_codec.h - BOOTP/DHCPv4 wire format (RFC 951, RFC 2131, RFC 2132):
 * a bounds-checked parser of requests and a builder of replies, both pure
 * functions over caller-owned buffers. No state, no allocation, no I/O.
 *
 * Addresses in struct dhcp_msg are IPv4 in host byte order; the codec does
 * all byte-order conversion.
 */
#ifndef QCW_DHCP_CODEC_H
#define QCW_DHCP_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Fixed BOOTP header (op .. file) and the magic cookie that follows it. */
#define DHCP_FIXED_LEN 236
#define DHCP_OPTIONS_OFF 240
#define DHCP_MAGIC 0x63825363u
/* RFC 1542 2.1: some relays and clients drop BOOTP messages below this. */
#define DHCP_MIN_MSG_LEN 300
/* RFC 2131 2: every client accepts 576-byte IP datagrams (minus IP+UDP). */
#define DHCP_DEFAULT_MAX_PAYLOAD (576 - 20 - 8)
/* Longest domain name in wire format (RFC 1035 3.1). */
#define DHCP_DOMAIN_WIRE_MAX 255

#define DHCP_OP_BOOTREQUEST 1
#define DHCP_OP_BOOTREPLY 2
#define DHCP_HTYPE_ETHER 1
#define DHCP_FLAG_BROADCAST 0x8000u

enum dhcp_msg_type {
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
	DHCP_INFORM = 8,
};

enum dhcp_option {
	DHCP_OPT_PAD = 0,
	DHCP_OPT_SUBNET_MASK = 1,
	DHCP_OPT_ROUTER = 3,
	DHCP_OPT_DNS = 6,
	DHCP_OPT_MTU = 26,
	DHCP_OPT_BROADCAST = 28,
	DHCP_OPT_REQUESTED_IP = 50,
	DHCP_OPT_LEASE_TIME = 51,
	DHCP_OPT_OVERLOAD = 52,
	DHCP_OPT_MSG_TYPE = 53,
	DHCP_OPT_SERVER_ID = 54,
	DHCP_OPT_PARAM_LIST = 55,
	DHCP_OPT_MESSAGE = 56,
	DHCP_OPT_MAX_MSG_SIZE = 57,
	DHCP_OPT_RENEWAL_TIME = 58,
	DHCP_OPT_REBINDING_TIME = 59,
	DHCP_OPT_CLIENT_ID = 61,
	DHCP_OPT_DOMAIN_SEARCH = 119,
	DHCP_OPT_END = 255,
};

/* Bits of struct dhcp_msg.have: which optional options were present. */
#define DHCP_HAVE_REQUESTED_IP (1u << 0)
#define DHCP_HAVE_SERVER_ID (1u << 1)
#define DHCP_HAVE_CLIENT_ID (1u << 2)
#define DHCP_HAVE_PARAM_LIST (1u << 3)
#define DHCP_HAVE_MAX_MSG_SIZE (1u << 4)
#define DHCP_HAVE_LEASE_TIME (1u << 5)

/*
 * struct dhcp_msg - a parsed message. The pointers (client_id, param_list)
 * borrow from the buffer given to dhcp_msg_parse() and are valid only as
 * long as it is.
 */
struct dhcp_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[16];

	uint8_t msg_type; /* option 53, 0 if absent */
	uint8_t overload; /* option 52: 1 = file, 2 = sname, 3 = both */
	unsigned int have; /* DHCP_HAVE_* */
	uint32_t requested_ip; /* option 50 */
	uint32_t server_id; /* option 54 */
	uint32_t lease_time; /* option 51 */
	uint16_t max_msg_size; /* option 57 */
	uint8_t client_id_len, param_list_len;
	const uint8_t *client_id; /* option 61 */
	const uint8_t *param_list; /* option 55 */
};

/*
 * dhcp_msg_parse() - parse and validate the framing of a BOOTP/DHCP message
 * @buf, @len:	the UDP payload (untrusted, any length)
 * @m:		filled on success; unspecified on error
 *
 * Checks the length of the fixed header, the magic cookie, and that every
 * option lies inside the buffer with a length valid for its code. Options
 * in the sname/file fields are read when option 52 asks for it. It does not
 * judge the semantics (op, htype, message type): that is the caller's job.
 *
 * Return: 0, or -EINVAL if the message is malformed.
 */
int dhcp_msg_parse(const uint8_t *buf, size_t len, struct dhcp_msg *m);

/*
 * dhcp_msg_has_param() - 1 if option @code is in the parameter request
 * list of @m (option 55), else 0.
 */
int dhcp_msg_has_param(const struct dhcp_msg *m, uint8_t code);

/*
 * struct dhcp_builder - a reply being written into a caller's buffer.
 * @cap is the size the message may reach (not more than the buffer);
 * one byte is always kept free for the end option.
 */
struct dhcp_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

/*
 * dhcp_build_start() - write the fixed header and magic cookie of a reply
 * @b:		builder to initialise
 * @out, @cap:	destination buffer and the most the message may use
 * @req:	the request being answered (xid, flags, giaddr, chaddr copied)
 * @op:		DHCP_OP_BOOTREPLY for a server
 * @ciaddr, @yiaddr, @siaddr: header addresses of the reply
 *
 * Return: 0, or -ENOSPC if @cap cannot hold a minimal message
 * (DHCP_MIN_MSG_LEN bytes).
 */
int dhcp_build_start(struct dhcp_builder *b, uint8_t *out, size_t cap,
		     const struct dhcp_msg *req, uint8_t op, uint32_t ciaddr,
		     uint32_t yiaddr, uint32_t siaddr);

/*
 * dhcp_build_opt() - append option @code with @n bytes of @data
 * (@n <= 255). Return: 0, or -ENOSPC (nothing written).
 */
int dhcp_build_opt(struct dhcp_builder *b, uint8_t code, const void *data,
		   size_t n);

/* dhcp_build_opt_u8() - append a one-byte option. Return: 0 or -ENOSPC. */
int dhcp_build_opt_u8(struct dhcp_builder *b, uint8_t code, uint8_t v);
/* dhcp_build_opt_u16() - append a 16-bit option (network order). */
int dhcp_build_opt_u16(struct dhcp_builder *b, uint8_t code, uint16_t v);
/* dhcp_build_opt_u32() - append a 32-bit option or address (network order). */
int dhcp_build_opt_u32(struct dhcp_builder *b, uint8_t code, uint32_t v);

/*
 * dhcp_build_long_opt_size() - bytes that dhcp_build_long_opt() needs for
 * @n bytes of data (RFC 3396: one 2-byte header per 255-byte chunk).
 */
size_t dhcp_build_long_opt_size(size_t n);

/*
 * dhcp_build_long_opt() - append option @code with @n bytes of @data,
 * split into as many consecutive instances as needed (RFC 3396), e.g. the
 * domain search list. @n == 0 writes nothing.
 *
 * Return: 0, or -ENOSPC (nothing written).
 */
int dhcp_build_long_opt(struct dhcp_builder *b, uint8_t code,
			const uint8_t *data, size_t n);

/*
 * dhcp_build_finish() - append the end option and pad with zeros to
 * DHCP_MIN_MSG_LEN.
 *
 * Return: the message length (> 0).
 */
int dhcp_build_finish(struct dhcp_builder *b);

/*
 * dhcp_encode_domain() - encode a dotted domain name in RFC 1035 3.1 label
 * format (as option 119 wants it, RFC 3397), without compression
 * @name:	e.g. "example.com" or "example.com." (a trailing dot is fine)
 * @out, @cap:	destination
 *
 * Return: the encoded length, -EINVAL if @name is not a valid name (empty
 * label, label over 63 bytes, whitespace or control characters, encoded
 * form over 255 bytes), or -ENOSPC if @cap is too small.
 */
int dhcp_encode_domain(const char *name, uint8_t *out, size_t cap);

#endif
