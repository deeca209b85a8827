/*
 * dns_codec.c - DNS message parsing and building, see dns_codec.h. Every
 * read of message bytes goes through rd8() or util/be.h, which the callers
 * only reach after a bounds check; nothing here trusts a length field.
 */
#include "dns/dns_codec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/be.h"

static uint8_t rd8(const uint8_t *p)
{
	return p[0];
}

/**
 * dns_header_parse() - read the fixed 12-byte header.
 * @msg: message bytes
 * @len: length of @msg
 * @h: filled on success
 *
 * Return: 0, or -EINVAL if @len is too short for a header.
 */
int dns_header_parse(const uint8_t *msg, size_t len, struct dns_header *h)
{
	if (len < DNS_HDR_LEN)
		return -EINVAL;
	h->id = be16_get(msg);
	h->flags = be16_get(msg + 2);
	h->qdcount = be16_get(msg + 4);
	h->ancount = be16_get(msg + 6);
	h->nscount = be16_get(msg + 8);
	h->arcount = be16_get(msg + 10);
	return 0;
}

/**
 * dns_name_parse() - read a possibly compressed name.
 * @msg: whole message (pointers are offsets into it)
 * @len: length of @msg
 * @off: in: where the name starts; out: first byte after it in the message
 * @out: if not NULL, receives the expanded wire form (DNS_NAME_MAX bytes)
 * @out_len: if not NULL, receives the expanded length (root byte included)
 *
 * Labels longer than 63 bytes, names longer than 255 bytes, the reserved
 * label types 01/10, pointers that do not point before the label run they
 * appear in, and more than DNS_MAX_JUMPS jumps are all rejected.
 *
 * Return: 0 or -EBADMSG.
 */
int dns_name_parse(const uint8_t *msg, size_t len, size_t *off, uint8_t *out,
		   size_t *out_len)
{
	size_t pos = *off, run_start = *off, end = 0, n = 0;
	unsigned int jumps = 0;
	bool jumped = false;

	for (;;) {
		uint8_t c;

		if (pos >= len)
			return -EBADMSG;
		c = rd8(msg + pos);
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= len)
				return -EBADMSG;
			target = (size_t)(be16_get(msg + pos) & 0x3fff);
			/* Strictly backwards of the run: no loop possible. */
			if (target >= run_start || ++jumps > DNS_MAX_JUMPS)
				return -EBADMSG;
			if (!jumped) {
				end = pos + 2;
				jumped = true;
			}
			pos = target;
			run_start = target;
			continue;
		}
		if (c & 0xc0)
			return -EBADMSG;
		if (c == 0) {
			if (n + 1 > DNS_NAME_MAX)
				return -EBADMSG;
			if (out)
				out[n] = 0;
			n++;
			pos++;
			break;
		}
		/* c <= 63 here; the label plus a final root byte must fit. */
		if (pos + 1 + c > len || n + 1 + c + 1 > DNS_NAME_MAX)
			return -EBADMSG;
		if (out)
			memcpy(out + n, msg + pos, 1 + (size_t)c);
		n += 1 + (size_t)c;
		pos += 1 + (size_t)c;
	}
	*off = jumped ? end : pos;
	if (out_len)
		*out_len = n;
	return 0;
}

/**
 * dns_name_labels() - offsets of the labels of an uncompressed name.
 * @wire: name in wire form (as produced by dns_name_parse())
 * @len: its length
 * @offs: receives the offset of each label's length byte
 * @max: room in @offs
 *
 * Return: number of labels (the root not counted), or -EBADMSG.
 */
int dns_name_labels(const uint8_t *wire, size_t len, size_t *offs, size_t max)
{
	size_t pos = 0, n = 0;

	while (pos < len && wire[pos]) {
		if (wire[pos] > DNS_LABEL_MAX || n >= max)
			return -EBADMSG;
		offs[n++] = pos;
		pos += 1 + (size_t)wire[pos];
	}
	if (pos >= len)
		return -EBADMSG;
	return (int)n;
}

static bool name_char_plain(uint8_t c)
{
	return c > 0x20 && c < 0x7f && c != '.' && c != '\\';
}

/**
 * dns_name_to_text() - presentation form of a run of labels.
 * @wire: labels in wire form; may stop without a root byte (a prefix)
 * @len: bytes of @wire to convert
 * @out: NUL-terminated result
 * @cap: room in @out (DNS_TEXT_MAX always suffices)
 *
 * Labels are joined with '.'; a name that ends with the root label gets a
 * trailing '.'. '.' and '\' inside a label are escaped with '\', other
 * bytes outside printable ASCII as "\DDD", like the presentation format.
 *
 * Return: length of the text, or -EBADMSG / -ENOSPC.
 */
int dns_name_to_text(const uint8_t *wire, size_t len, char *out, size_t cap)
{
	size_t pos = 0, n = 0;
	bool first = true;

	if (!cap)
		return -ENOSPC;
	while (pos < len) {
		uint8_t l = wire[pos];

		if (l == 0) {
			if (n + 1 >= cap)
				return -ENOSPC;
			out[n++] = '.';
			break;
		}
		if (l > DNS_LABEL_MAX || pos + 1 + l > len)
			return -EBADMSG;
		if (!first) {
			if (n + 1 >= cap)
				return -ENOSPC;
			out[n++] = '.';
		}
		first = false;
		for (size_t i = 0; i < l; i++) {
			uint8_t c = wire[pos + 1 + i];

			if (n + 4 >= cap)
				return -ENOSPC;
			if (name_char_plain(c)) {
				out[n++] = (char)c;
			} else if (c == '.' || c == '\\') {
				out[n++] = '\\';
				out[n++] = (char)c;
			} else {
				n += (size_t)snprintf(out + n, cap - n,
						      "\\%03u", c);
			}
		}
		pos += 1 + (size_t)l;
	}
	out[n] = '\0';
	return (int)n;
}

/**
 * dns_name_from_text() - wire form of a dotted name (no escapes).
 * @text: e.g. "containers.internal." (the trailing dot is optional)
 * @out: DNS_NAME_MAX bytes
 * @out_len: length written, root byte included
 *
 * Return: 0, or -EINVAL for an empty label, a label over 63 bytes, a name
 * over 255 bytes or a backslash (escapes are not supported).
 */
int dns_name_from_text(const char *text, uint8_t *out, size_t *out_len)
{
	size_t n = 0;
	const char *p = text;

	if (!strcmp(text, ".")) {
		out[0] = 0;
		*out_len = 1;
		return 0;
	}
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		if (l == 0 || l > DNS_LABEL_MAX || memchr(p, '\\', l) ||
		    n + 1 + l + 1 > DNS_NAME_MAX)
			return -EINVAL;
		out[n] = (uint8_t)l;
		memcpy(out + n + 1, p, l);
		n += 1 + l;
		p += l;
		if (*p == '.')
			p++;
	}
	out[n++] = 0;
	*out_len = n;
	return 0;
}

/* skip_rr() - step over one resource record, returning its type. */
static int skip_rr(const uint8_t *msg, size_t len, size_t *off, uint16_t *type,
		   size_t *rdata, uint16_t *rdlen, size_t *name_len)
{
	size_t pos = *off;
	uint16_t rl;

	if (dns_name_parse(msg, len, &pos, NULL, name_len))
		return -EBADMSG;
	if (len - pos < 10)
		return -EBADMSG;
	*type = be16_get(msg + pos);
	rl = be16_get(msg + pos + 8);
	pos += 10;
	if (len - pos < rl)
		return -EBADMSG;
	*rdata = pos;
	*rdlen = rl;
	*off = pos + rl;
	return 0;
}

static int parse_opt(const uint8_t *msg, size_t rr, size_t rdata,
		     uint16_t rdlen, struct dns_query *q)
{
	/* rr points at the fixed part after the (root) owner name. */
	uint32_t ttl = be32_get(msg + rr + 4);
	size_t pos = 0;

	q->edns = true;
	q->edns_udp = be16_get(msg + rr + 2);
	q->edns_version = (uint8_t)(ttl >> 16);
	q->edns_do = ttl & 0x8000;
	/* Options are not interpreted, but must be well formed. */
	while (pos < rdlen) {
		if (rdlen - pos < 4)
			return -EBADMSG;
		if (rdlen - pos - 4 < be16_get(msg + rdata + pos + 2))
			return -EBADMSG;
		pos += 4 + (size_t)be16_get(msg + rdata + pos + 2);
	}
	return 0;
}

/**
 * dns_query_parse() - check a query and extract its question and EDNS0.
 * @msg: message bytes (untrusted)
 * @len: length of @msg
 * @q: filled; q->hdr is valid whenever the return is not -EINVAL
 *
 * Records in the answer and authority sections are skipped (but must be
 * well formed); the additional section is searched for one OPT record.
 * Bytes after the last record are ignored.
 *
 * Return: 0 for a well-formed standard query with one question;
 * -EINVAL when the message is not a query at all (short, QR set, over
 * 65535 bytes): drop it; -EOPNOTSUPP for an opcode other than QUERY
 * (answer NOTIMP); -EBADMSG when it is malformed (answer FORMERR).
 */
int dns_query_parse(const uint8_t *msg, size_t len, struct dns_query *q)
{
	size_t pos = DNS_HDR_LEN;
	unsigned int n;
	bool opt_seen = false;

	memset(q, 0, sizeof(*q));
	if (len > DNS_MSG_MAX || dns_header_parse(msg, len, &q->hdr))
		return -EINVAL;
	if (q->hdr.flags & DNS_FLAG_QR)
		return -EINVAL;
	if (q->hdr.qdcount == 1) {
		if (dns_name_parse(msg, len, &pos, q->qname, &q->qname_len) ||
		    len - pos < 4)
			return DNS_OPCODE(q->hdr.flags) ? -EOPNOTSUPP
							: -EBADMSG;
		q->qtype = be16_get(msg + pos);
		q->qclass = be16_get(msg + pos + 2);
		q->has_question = true;
		pos += 4;
	}
	if (DNS_OPCODE(q->hdr.flags))
		return -EOPNOTSUPP;
	if (q->hdr.qdcount != 1)
		return -EBADMSG;

	n = (unsigned int)q->hdr.ancount + q->hdr.nscount;
	for (unsigned int i = 0; i < n; i++) {
		size_t rdata;
		uint16_t type, rdlen;

		if (skip_rr(msg, len, &pos, &type, &rdata, &rdlen, NULL))
			return -EBADMSG;
		if (type == DNS_T_OPT)
			return -EBADMSG;
	}
	for (unsigned int i = 0; i < q->hdr.arcount; i++) {
		size_t rdata, name_len;
		uint16_t type, rdlen;

		if (skip_rr(msg, len, &pos, &type, &rdata, &rdlen, &name_len))
			return -EBADMSG;
		if (type != DNS_T_OPT)
			continue;
		/* RFC 6891: one OPT, owned by the root. */
		if (opt_seen || name_len != 1)
			return -EBADMSG;
		opt_seen = true;
		if (parse_opt(msg, rdata - 10, rdata, rdlen, q))
			return -EBADMSG;
	}
	return 0;
}

/**
 * dns_reply_limit() - largest reply the requestor accepts.
 * @q: parsed query
 * @tcp: the query came over TCP
 *
 * Return: 65535 over TCP; over UDP 512, or the EDNS0 size clamped to
 * [512, DNS_UDP_MAX].
 */
size_t dns_reply_limit(const struct dns_query *q, bool tcp)
{
	if (tcp)
		return DNS_MSG_MAX;
	if (!q->edns || q->edns_udp <= DNS_UDP_MIN)
		return DNS_UDP_MIN;
	return q->edns_udp > DNS_UDP_MAX ? DNS_UDP_MAX : q->edns_udp;
}

/**
 * dns_truncate() - cut a reply to @limit bytes the way RFC 2181 allows.
 * @msg: reply, modified in place
 * @len: its length
 * @limit: largest allowed length (at least DNS_HDR_LEN)
 *
 * A reply that fits is left alone. Otherwise it keeps the header and the
 * question section (or just the header if the questions cannot be read or
 * do not fit), gets TC set and zero answer/authority/additional counts.
 *
 * Return: the new length.
 */
size_t dns_truncate(uint8_t *msg, size_t len, size_t limit)
{
	size_t pos = DNS_HDR_LEN;
	uint16_t qd;

	if (len <= limit || len < DNS_HDR_LEN)
		return len;
	qd = be16_get(msg + 4);
	for (unsigned int i = 0; i < qd; i++) {
		if (dns_name_parse(msg, len, &pos, NULL, NULL) ||
		    len - pos < 4) {
			pos = 0;
			break;
		}
		pos += 4;
	}
	if (!pos || pos > limit) {
		pos = DNS_HDR_LEN;
		qd = 0;
	}
	be16_put(msg + 2, be16_get(msg + 2) | DNS_FLAG_TC);
	be16_put(msg + 4, qd);
	memset(msg + 6, 0, 6);
	return pos;
}

/**
 * dns_relay_fixup() - prepare an upstream reply for the guest.
 * @msg: reply as received from upstream (a private copy, modified)
 * @len: its length
 * @id: the guest's query id (the resolver library used its own)
 * @limit: the guest's size limit, from dns_reply_limit()
 *
 * Return: the length to send, or -EBADMSG if @msg has no full header.
 */
int dns_relay_fixup(uint8_t *msg, size_t len, uint16_t id, size_t limit)
{
	if (len < DNS_HDR_LEN || len > DNS_MSG_MAX)
		return -EBADMSG;
	be16_put(msg, id);
	return (int)dns_truncate(msg, len, limit);
}

/**
 * dns_writer_init() - start writing into @buf.
 * @w: writer
 * @buf: destination
 * @cap: room in @buf
 */
void dns_writer_init(struct dns_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->err = 0;
}

static uint8_t *w_reserve(struct dns_writer *w, size_t n)
{
	uint8_t *p;

	if (w->err || w->cap - w->len < n) {
		w->err = -ENOSPC;
		return NULL;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

static void w_bytes(struct dns_writer *w, const void *src, size_t n)
{
	uint8_t *p = w_reserve(w, n);

	if (p)
		memcpy(p, src, n);
}

static void w_u16(struct dns_writer *w, uint16_t v)
{
	uint8_t *p = w_reserve(w, 2);

	if (p)
		be16_put(p, v);
}

static void w_u32(struct dns_writer *w, uint32_t v)
{
	w_u16(w, (uint16_t)(v >> 16));
	w_u16(w, (uint16_t)v);
}

static void w_ptr(struct dns_writer *w, uint16_t off)
{
	w_u16(w, (uint16_t)(0xc000 | (off & 0x3fff)));
}

static void w_label(struct dns_writer *w, const char *l)
{
	size_t n = strlen(l);
	uint8_t *p = w_reserve(w, 1 + n);

	if (p) {
		p[0] = (uint8_t)n;
		memcpy(p + 1, l, n);
	}
}

/* bump the header count at @at (6: answer, 8: authority, 10: additional) */
static void w_count(struct dns_writer *w, size_t at)
{
	if (!w->err && w->len >= DNS_HDR_LEN)
		be16_put(w->buf + at, (uint16_t)(be16_get(w->buf + at) + 1));
}

/* RR header with a compressed owner; returns where RDLENGTH goes. */
static size_t w_rr(struct dns_writer *w, uint16_t owner, uint16_t type,
		   uint16_t class, uint32_t ttl)
{
	size_t at;

	w_ptr(w, owner);
	w_u16(w, type);
	w_u16(w, class);
	w_u32(w, ttl);
	at = w->len;
	w_u16(w, 0);
	return at;
}

static void w_rdlen(struct dns_writer *w, size_t at)
{
	if (!w->err)
		be16_put(w->buf + at, (uint16_t)(w->len - at - 2));
}

/**
 * dns_reply_begin() - write the header and question of a reply to @q.
 * @w: an empty writer
 * @q: the query; its question is echoed if it was parsed
 * @rcode: response code (only the low 4 bits go into the header)
 * @aa: set the authoritative-answer bit (local zones)
 *
 * QR and RA are set; id, opcode, RD and CD are copied from the query.
 */
void dns_reply_begin(struct dns_writer *w, const struct dns_query *q,
		     unsigned int rcode, bool aa)
{
	uint16_t flags = DNS_FLAG_QR | DNS_FLAG_RA;

	flags |= q->hdr.flags & (0x7800 | DNS_FLAG_RD | DNS_FLAG_CD);
	if (aa)
		flags |= DNS_FLAG_AA;
	flags |= rcode & 0xf;
	w_u16(w, q->hdr.id);
	w_u16(w, flags);
	w_u16(w, q->has_question ? 1 : 0);
	w_u16(w, 0);
	w_u16(w, 0);
	w_u16(w, 0);
	if (q->has_question) {
		w_bytes(w, q->qname, q->qname_len);
		w_u16(w, q->qtype);
		w_u16(w, q->qclass);
	}
}

/**
 * dns_put_a() - add an A record to the answer section.
 * @w: writer
 * @name_off: offset of the owner name in the reply (12: the question)
 * @ttl: time to live
 * @ip: IPv4 address, host byte order
 */
void dns_put_a(struct dns_writer *w, uint16_t name_off, uint32_t ttl,
	       uint32_t ip)
{
	size_t at = w_rr(w, name_off, DNS_T_A, DNS_C_IN, ttl);

	w_u32(w, ip);
	w_rdlen(w, at);
	w_count(w, 6);
}

void dns_put_aaaa(struct dns_writer *w, uint16_t name_off, uint32_t ttl,
		  const uint8_t *ip6)
{
	size_t at = w_rr(w, name_off, DNS_T_AAAA, DNS_C_IN, ttl);

	w_bytes(w, ip6, 16);
	w_rdlen(w, at);
	w_count(w, 6);
}

/**
 * dns_put_soa() - add the SOA of a local zone to the authority section.
 * @w: writer
 * @zone_off: offset of the zone's name in the reply (a suffix of the
 *            question name), used for the owner, MNAME and RNAME
 * @ttl: time to live of the record
 * @serial: zone serial
 * @minimum: negative-caching TTL (RFC 2308)
 *
 * MNAME is "ns.<zone>" and RNAME "hostmaster.<zone>".
 */
void dns_put_soa(struct dns_writer *w, uint16_t zone_off, uint32_t ttl,
		 uint32_t serial, uint32_t minimum)
{
	size_t at = w_rr(w, zone_off, DNS_T_SOA, DNS_C_IN, ttl);

	w_label(w, "ns");
	w_ptr(w, zone_off);
	w_label(w, "hostmaster");
	w_ptr(w, zone_off);
	w_u32(w, serial);
	w_u32(w, 3600); /* refresh */
	w_u32(w, 600); /* retry */
	w_u32(w, 86400); /* expire */
	w_u32(w, minimum);
	w_rdlen(w, at);
	w_count(w, 8);
}

/**
 * dns_put_opt() - add an EDNS0 OPT record to the additional section.
 * @w: writer
 * @udp: our UDP payload size
 * @rcode: the full response code; its upper 8 bits go into the OPT
 */
void dns_put_opt(struct dns_writer *w, uint16_t udp, unsigned int rcode)
{
	uint8_t root = 0;

	w_bytes(w, &root, 1);
	w_u16(w, DNS_T_OPT);
	w_u16(w, udp);
	w_u32(w, (uint32_t)((rcode >> 4) & 0xff) << 24);
	w_u16(w, 0);
	w_count(w, 10);
}

/**
 * dns_writer_finish() - the result of a sequence of writes.
 * @w: writer
 *
 * Return: the message length, or -ENOSPC if anything did not fit.
 */
int dns_writer_finish(struct dns_writer *w)
{
	return w->err ? w->err : (int)w->len;
}

/**
 * dns_build_error() - a reply with no records: FORMERR, SERVFAIL, NOTIMP,
 * or BADVERS (with an OPT, as the extended code needs one).
 * @q: the query (id and, if parsed, question are echoed)
 * @rcode: response code
 * @out: destination
 * @cap: room in @out (DNS_LOCAL_REPLY_MAX always suffices)
 *
 * Return: the reply length, or -ENOSPC.
 */
int dns_build_error(const struct dns_query *q, unsigned int rcode, uint8_t *out,
		    size_t cap)
{
	struct dns_writer w;

	dns_writer_init(&w, out, cap);
	dns_reply_begin(&w, q, rcode, false);
	if (rcode > 0xf || (q->edns && rcode != DNS_RCODE_FORMERR))
		dns_put_opt(&w, DNS_EDNS_PAYLOAD, rcode);
	return dns_writer_finish(&w);
}
