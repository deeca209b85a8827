/*
 * dns_codec.h - DNS message parser and builder (RFC 1035, RFC 6891 OPT).
 * Pure functions over (const uint8_t *, size_t): no I/O, no allocation,
 * every read bounds-checked, so guest bytes can be fed in directly and the
 * whole file is fuzzed without a loop.
 *
 * Names are handled in wire form. A name read from a message is expanded
 * (compression pointers followed) into a caller buffer of DNS_NAME_MAX
 * bytes. Pointers must point strictly before the start of the label run
 * that contains them, so every jump moves backwards and no loop can be
 * built; the number of jumps is bounded as well.
 *
 * Replies are built with struct dns_writer into a caller buffer; the writer
 * keeps the section counts of the header up to date, so records must be
 * added in section order (answer, authority, additional).
 */
#ifndef QCW_DNS_CODEC_H
#define QCW_DNS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HDR_LEN 12
#define DNS_LABEL_MAX 63
#define DNS_NAME_MAX 255 /* wire form, root byte included */
#define DNS_MAX_JUMPS 64
#define DNS_MSG_MAX 65535
#define DNS_UDP_MIN 512 /* limit without EDNS0 */
/* Cap on an EDNS0 UDP size: c-ares reads at most 4096 bytes over UDP too. */
#define DNS_UDP_MAX 4096
/* What we advertise in the OPT of our own replies. */
#define DNS_EDNS_PAYLOAD 1232
/* Big enough for any reply built locally (question <= 259 bytes). */
#define DNS_LOCAL_REPLY_MAX 512
/* Text form of a name: up to 4 characters per byte ("\DDD"), plus NUL. */
#define DNS_TEXT_MAX (4 * DNS_NAME_MAX + 1)

#define DNS_FLAG_QR 0x8000
#define DNS_FLAG_AA 0x0400
#define DNS_FLAG_TC 0x0200
#define DNS_FLAG_RD 0x0100
#define DNS_FLAG_RA 0x0080
#define DNS_FLAG_AD 0x0020
#define DNS_FLAG_CD 0x0010
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xf)
#define DNS_RCODE(flags) ((flags)&0xf)

enum dns_type {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_PTR = 12,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
	DNS_T_SRV = 33,
	DNS_T_OPT = 41,
	DNS_T_ANY = 255,
};

enum dns_class {
	DNS_C_IN = 1,
};

enum dns_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
	DNS_RCODE_BADVERS = 16, /* extended: needs an OPT record */
};

struct dns_header {
	uint16_t id;
	uint16_t flags;
	uint16_t qdcount;
	uint16_t ancount;
	uint16_t nscount;
	uint16_t arcount;
};

/*
 * struct dns_query - what the server needs to know about a query.
 * @has_question is false when the question could not be parsed (the
 * FORMERR reply then carries no question).
 */
struct dns_query {
	struct dns_header hdr;
	bool has_question;
	uint8_t qname[DNS_NAME_MAX]; /* expanded wire form, original case */
	size_t qname_len;
	uint16_t qtype;
	uint16_t qclass;
	bool edns;
	uint16_t edns_udp; /* requestor's UDP payload size, as sent */
	uint8_t edns_version;
	bool edns_do;
};

/* dns_header_parse() - 0, or -EINVAL when @len is below DNS_HDR_LEN. */
int dns_header_parse(const uint8_t *msg, size_t len, struct dns_header *h);

int dns_name_parse(const uint8_t *msg, size_t len, size_t *off, uint8_t *out,
		   size_t *out_len);
int dns_name_to_text(const uint8_t *wire, size_t len, char *out, size_t cap);
int dns_name_from_text(const char *text, uint8_t *out, size_t *out_len);
int dns_name_labels(const uint8_t *wire, size_t len, size_t *offs, size_t max);

int dns_query_parse(const uint8_t *msg, size_t len, struct dns_query *q);
size_t dns_reply_limit(const struct dns_query *q, bool tcp);

size_t dns_truncate(uint8_t *msg, size_t len, size_t limit);
int dns_relay_fixup(uint8_t *msg, size_t len, uint16_t id, size_t limit);

/*
 * struct dns_writer - a reply under construction in @buf. @err latches the
 * first failure (no room), so callers check once at the end.
 */
struct dns_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
};

void dns_writer_init(struct dns_writer *w, uint8_t *buf, size_t cap);
void dns_reply_begin(struct dns_writer *w, const struct dns_query *q,
		     unsigned int rcode, bool aa);
void dns_put_a(struct dns_writer *w, uint16_t name_off, uint32_t ttl,
	       uint32_t ip);
/* dns_put_aaaa() - an AAAA record (@ip6: 16 bytes) in the answer section. */
void dns_put_aaaa(struct dns_writer *w, uint16_t name_off, uint32_t ttl,
		  const uint8_t *ip6);
void dns_put_soa(struct dns_writer *w, uint16_t zone_off, uint32_t ttl,
		 uint32_t serial, uint32_t minimum);
void dns_put_opt(struct dns_writer *w, uint16_t udp, unsigned int rcode);
int dns_writer_finish(struct dns_writer *w);

int dns_build_error(const struct dns_query *q, unsigned int rcode, uint8_t *out,
		    size_t cap);

#endif
