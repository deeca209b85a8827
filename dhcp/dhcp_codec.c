/*
 * dhcp_codec.c - BOOTP/DHCPv4 message parser and reply builder. Every read
 * of packet bytes is checked against the length the caller gave; the
 * builder never writes past the capacity it was given.
 */
#include <errno.h>
#include <string.h>

#include "dhcp/dhcp_codec.h"
#include "util/be.h"

/* Offsets inside the fixed header (RFC 2131 figure 1). */
#define OFF_OP 0
#define OFF_HTYPE 1
#define OFF_HLEN 2
#define OFF_HOPS 3
#define OFF_XID 4
#define OFF_SECS 8
#define OFF_FLAGS 10
#define OFF_CIADDR 12
#define OFF_YIADDR 16
#define OFF_SIADDR 20
#define OFF_GIADDR 24
#define OFF_CHADDR 28
#define OFF_SNAME 44
#define LEN_SNAME 64
#define OFF_FILE 108
#define LEN_FILE 128
#define OFF_MAGIC 236

#define OVERLOAD_FILE 1
#define OVERLOAD_SNAME 2

/*
 * dhcp_take_opt() - record one option of known length @n at @v (inside the
 * message). The first instance of an option wins; later ones are skipped.
 * Return: 0, or -EINVAL for a length that is wrong for @code.
 */
static int dhcp_take_opt(struct dhcp_msg *m, uint8_t code, const uint8_t *v,
			 uint8_t n, int main_area)
{
	switch (code) {
	case DHCP_OPT_MSG_TYPE:
		if (n != 1)
			return -EINVAL;
		if (!m->msg_type)
			m->msg_type = v[0];
		break;
	case DHCP_OPT_OVERLOAD:
		if (n != 1 || v[0] < 1 || v[0] > 3)
			return -EINVAL;
		/* RFC 2131 4.1: only meaningful in the options field. */
		if (main_area && !m->overload)
			m->overload = v[0];
		break;
	case DHCP_OPT_REQUESTED_IP:
		if (n != 4)
			return -EINVAL;
		if (!(m->have & DHCP_HAVE_REQUESTED_IP)) {
			m->requested_ip = be32_get(v);
			m->have |= DHCP_HAVE_REQUESTED_IP;
		}
		break;
	case DHCP_OPT_SERVER_ID:
		if (n != 4)
			return -EINVAL;
		if (!(m->have & DHCP_HAVE_SERVER_ID)) {
			m->server_id = be32_get(v);
			m->have |= DHCP_HAVE_SERVER_ID;
		}
		break;
	case DHCP_OPT_LEASE_TIME:
		if (n != 4)
			return -EINVAL;
		if (!(m->have & DHCP_HAVE_LEASE_TIME)) {
			m->lease_time = be32_get(v);
			m->have |= DHCP_HAVE_LEASE_TIME;
		}
		break;
	case DHCP_OPT_MAX_MSG_SIZE:
		if (n != 2)
			return -EINVAL;
		if (!(m->have & DHCP_HAVE_MAX_MSG_SIZE)) {
			m->max_msg_size = be16_get(v);
			m->have |= DHCP_HAVE_MAX_MSG_SIZE;
		}
		break;
	case DHCP_OPT_CLIENT_ID:
		/* RFC 2132 9.14: type byte plus at least one byte. */
		if (n < 2)
			return -EINVAL;
		if (!(m->have & DHCP_HAVE_CLIENT_ID)) {
			m->client_id = v;
			m->client_id_len = n;
			m->have |= DHCP_HAVE_CLIENT_ID;
		}
		break;
	case DHCP_OPT_PARAM_LIST:
		if (!(m->have & DHCP_HAVE_PARAM_LIST)) {
			m->param_list = v;
			m->param_list_len = n;
			m->have |= DHCP_HAVE_PARAM_LIST;
		}
		break;
	default:
		break;
	}
	return 0;
}

/*
 * dhcp_walk_opts() - parse the options in @p[0..@n). Stops at the end
 * option; running out of bytes without one is tolerated (some clients
 * omit it), but an option whose header or value crosses @n is not.
 */
static int dhcp_walk_opts(const uint8_t *p, size_t n, struct dhcp_msg *m,
			  int main_area)
{
	size_t i = 0;
	int rc;

	while (i < n) {
		uint8_t code = p[i++];
		uint8_t olen;

		if (code == DHCP_OPT_PAD)
			continue;
		if (code == DHCP_OPT_END)
			return 0;
		if (i >= n)
			return -EINVAL;
		olen = p[i++];
		if (olen > n - i)
			return -EINVAL;
		rc = dhcp_take_opt(m, code, p + i, olen, main_area);
		if (rc)
			return rc;
		i += olen;
	}
	return 0;
}

int dhcp_msg_parse(const uint8_t *buf, size_t len, struct dhcp_msg *m)
{
	int rc;

	if (!buf || len < DHCP_OPTIONS_OFF)
		return -EINVAL;
	if (be32_get(buf + OFF_MAGIC) != DHCP_MAGIC)
		return -EINVAL;

	memset(m, 0, sizeof(*m));
	m->op = buf[OFF_OP];
	m->htype = buf[OFF_HTYPE];
	m->hlen = buf[OFF_HLEN];
	m->hops = buf[OFF_HOPS];
	m->xid = be32_get(buf + OFF_XID);
	m->secs = be16_get(buf + OFF_SECS);
	m->flags = be16_get(buf + OFF_FLAGS);
	m->ciaddr = be32_get(buf + OFF_CIADDR);
	m->yiaddr = be32_get(buf + OFF_YIADDR);
	m->siaddr = be32_get(buf + OFF_SIADDR);
	m->giaddr = be32_get(buf + OFF_GIADDR);
	memcpy(m->chaddr, buf + OFF_CHADDR, sizeof(m->chaddr));

	rc = dhcp_walk_opts(buf + DHCP_OPTIONS_OFF, len - DHCP_OPTIONS_OFF, m,
			    1);
	if (rc)
		return rc;
	/* RFC 2131 4.1: options, then 'file', then 'sname'. */
	if (m->overload & OVERLOAD_FILE) {
		rc = dhcp_walk_opts(buf + OFF_FILE, LEN_FILE, m, 0);
		if (rc)
			return rc;
	}
	if (m->overload & OVERLOAD_SNAME) {
		rc = dhcp_walk_opts(buf + OFF_SNAME, LEN_SNAME, m, 0);
		if (rc)
			return rc;
	}
	return 0;
}

int dhcp_msg_has_param(const struct dhcp_msg *m, uint8_t code)
{
	unsigned int i;

	if (!m->param_list)
		return 0;
	for (i = 0; i < m->param_list_len; i++)
		if (m->param_list[i] == code)
			return 1;
	return 0;
}

int dhcp_build_start(struct dhcp_builder *b, uint8_t *out, size_t cap,
		     const struct dhcp_msg *req, uint8_t op, uint32_t ciaddr,
		     uint32_t yiaddr, uint32_t siaddr)
{
	b->buf = out;
	b->cap = cap;
	b->len = 0;
	if (!out || cap < DHCP_MIN_MSG_LEN)
		return -ENOSPC;

	memset(out, 0, DHCP_OPTIONS_OFF);
	out[OFF_OP] = op;
	out[OFF_HTYPE] = req->htype;
	out[OFF_HLEN] = req->hlen;
	be32_put(out + OFF_XID, req->xid);
	be16_put(out + OFF_FLAGS, req->flags);
	be32_put(out + OFF_CIADDR, ciaddr);
	be32_put(out + OFF_YIADDR, yiaddr);
	be32_put(out + OFF_SIADDR, siaddr);
	be32_put(out + OFF_GIADDR, req->giaddr);
	memcpy(out + OFF_CHADDR, req->chaddr, sizeof(req->chaddr));
	be32_put(out + OFF_MAGIC, DHCP_MAGIC);
	b->len = DHCP_OPTIONS_OFF;
	return 0;
}

/* dhcp_build_room() - 1 if @n more bytes fit, keeping one for the end. */
static int dhcp_build_room(const struct dhcp_builder *b, size_t n)
{
	return b->len < b->cap && n < b->cap - b->len;
}

int dhcp_build_opt(struct dhcp_builder *b, uint8_t code, const void *data,
		   size_t n)
{
	if (n > 255 || !dhcp_build_room(b, 2 + n))
		return -ENOSPC;
	b->buf[b->len++] = code;
	b->buf[b->len++] = (uint8_t)n;
	if (n)
		memcpy(b->buf + b->len, data, n);
	b->len += n;
	return 0;
}

int dhcp_build_opt_u8(struct dhcp_builder *b, uint8_t code, uint8_t v)
{
	return dhcp_build_opt(b, code, &v, 1);
}

int dhcp_build_opt_u16(struct dhcp_builder *b, uint8_t code, uint16_t v)
{
	uint8_t w[2];

	be16_put(w, v);
	return dhcp_build_opt(b, code, w, sizeof(w));
}

int dhcp_build_opt_u32(struct dhcp_builder *b, uint8_t code, uint32_t v)
{
	uint8_t w[4];

	be32_put(w, v);
	return dhcp_build_opt(b, code, w, sizeof(w));
}

size_t dhcp_build_long_opt_size(size_t n)
{
	return n + 2 * ((n + 254) / 255);
}

int dhcp_build_long_opt(struct dhcp_builder *b, uint8_t code,
			const uint8_t *data, size_t n)
{
	size_t off = 0;

	if (!dhcp_build_room(b, dhcp_build_long_opt_size(n)))
		return -ENOSPC;
	while (off < n) {
		size_t chunk = n - off > 255 ? 255 : n - off;

		/* Cannot fail: the room for all chunks was checked above. */
		if (dhcp_build_opt(b, code, data + off, chunk))
			return -ENOSPC;
		off += chunk;
	}
	return 0;
}

int dhcp_build_finish(struct dhcp_builder *b)
{
	/* dhcp_build_room() always leaves this byte. */
	b->buf[b->len++] = DHCP_OPT_END;
	if (b->len < DHCP_MIN_MSG_LEN) {
		memset(b->buf + b->len, 0, DHCP_MIN_MSG_LEN - b->len);
		b->len = DHCP_MIN_MSG_LEN;
	}
	return (int)b->len;
}

int dhcp_encode_domain(const char *name, uint8_t *out, size_t cap)
{
	size_t o = 0;
	const char *p = name;

	if (!name || !*name || *name == '.')
		return -EINVAL;
	while (*p) {
		const char *dot = p;
		size_t llen;

		while (*dot && *dot != '.') {
			unsigned char c = (unsigned char)*dot;

			if (c <= ' ' || c == 0x7f)
				return -EINVAL;
			dot++;
		}
		llen = (size_t)(dot - p);
		if (llen == 0 || llen > 63)
			return -EINVAL;
		/* label length + label + the root label still to come */
		if (o + 1 + llen + 1 > DHCP_DOMAIN_WIRE_MAX)
			return -EINVAL;
		if (o + 1 + llen + 1 > cap)
			return -ENOSPC;
		out[o++] = (uint8_t)llen;
		memcpy(out + o, p, llen);
		o += llen;
		p = *dot ? dot + 1 : dot;
	}
	if (o + 1 > cap)
		return -ENOSPC;
	out[o++] = 0;
	return (int)o;
}
