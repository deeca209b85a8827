/*
 * dhcp6.c - stateless DHCPv6 server (dhcp6.h): a bounds-checked parser of
 * client messages and the builder of ADVERTISE and REPLY. Every read is
 * checked against the length given; the builder never writes past @cap.
 */
#include "dhcp/dhcp6.h"

#include <errno.h>
#include <string.h>

#include "util/be.h"

#define DHCP6_SOL_MAX_RT_SECS 3600

static int dhcp6_take(struct dhcp6_msg *m, uint16_t code, const uint8_t *v,
		      uint16_t n)
{
	switch (code) {
	case DHCP6_OPT_CLIENTID:
	case DHCP6_OPT_SERVERID: {
		unsigned int bit = code == DHCP6_OPT_CLIENTID
					   ? DHCP6_HAVE_CLIENTID
					   : DHCP6_HAVE_SERVERID;

		/* RFC 8415 16: one of each, a DUID of 3..130 bytes */
		if (n < 3 || n > DHCP6_DUID_MAX || (m->have & bit))
			return -EINVAL;
		m->have |= bit;
		if (bit == DHCP6_HAVE_CLIENTID) {
			m->client_id = v;
			m->client_id_len = n;
		} else {
			m->server_id = v;
			m->server_id_len = n;
		}
		break;
	}
	case DHCP6_OPT_ORO:
		if (n % 2 || (m->have & DHCP6_HAVE_ORO))
			return -EINVAL;
		m->have |= DHCP6_HAVE_ORO;
		m->oro = v;
		m->oro_len = n;
		break;
	case DHCP6_OPT_ELAPSED_TIME:
		if (n != 2)
			return -EINVAL;
		break;
	case DHCP6_OPT_RAPID_COMMIT:
		if (n != 0)
			return -EINVAL;
		m->have |= DHCP6_HAVE_RAPID_COMMIT;
		break;
	case DHCP6_OPT_IA_NA:
	case DHCP6_OPT_IA_PD:
		if (n < 12) /* IAID, T1, T2 */
			return -EINVAL;
		m->have |= DHCP6_HAVE_IA;
		break;
	case DHCP6_OPT_IA_TA:
		if (n < 4) /* IAID */
			return -EINVAL;
		m->have |= DHCP6_HAVE_IA;
		break;
	default: /* not ours to judge: skipped */
		break;
	}
	return 0;
}

int dhcp6_msg_parse(const uint8_t *buf, size_t len, struct dhcp6_msg *m)
{
	size_t off = DHCP6_HDR_LEN;

	memset(m, 0, sizeof(*m));
	if (len < DHCP6_HDR_LEN)
		return -EINVAL;
	m->type = buf[0];
	m->xid = (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	while (off < len) {
		uint16_t code, n;

		if (len - off < 4)
			return -EINVAL;
		code = be16_get(buf + off);
		n = be16_get(buf + off + 2);
		off += 4;
		if (n > len - off)
			return -EINVAL;
		if (dhcp6_take(m, code, buf + off, n))
			return -EINVAL;
		off += n;
	}
	return 0;
}

bool dhcp6_msg_wants(const struct dhcp6_msg *m, uint16_t code)
{
	uint16_t i;

	for (i = 0; i + 1 < m->oro_len; i += 2)
		if (be16_get(m->oro + i) == code)
			return true;
	return false;
}

void dhcp6_duid_ll(uint8_t out[10], const uint8_t mac[6])
{
	be16_put(out, 3); /* DUID-LL */
	be16_put(out + 2, 1); /* Ethernet */
	memcpy(out + 4, mac, 6);
}

/* a reply being written: @len grows, @err latches the first -ENOSPC */
struct dhcp6_out {
	uint8_t *buf;
	size_t cap, len;
	int err;
};

static void dhcp6_put(struct dhcp6_out *o, uint16_t code, const void *data,
		      size_t n)
{
	if (o->err || n > 0xffff || o->cap - o->len < 4 + n) {
		o->err = -ENOSPC;
		return;
	}
	be16_put(o->buf + o->len, code);
	be16_put(o->buf + o->len + 2, (uint16_t)n);
	if (n)
		memcpy(o->buf + o->len + 4, data, n);
	o->len += 4 + n;
}

static void dhcp6_put_u32(struct dhcp6_out *o, uint16_t code, uint32_t v)
{
	uint8_t w[4];

	be32_put(w, v);
	dhcp6_put(o, code, w, 4);
}

static void dhcp6_put_status(struct dhcp6_out *o, uint16_t st, const char *text)
{
	uint8_t w[2 + 48];
	size_t n = strlen(text);

	if (n > sizeof(w) - 2)
		n = sizeof(w) - 2;
	be16_put(w, st);
	memcpy(w + 2, text, n);
	dhcp6_put(o, DHCP6_OPT_STATUS_CODE, w, 2 + n);
}

/* dhcp6_put_info() - DNS servers and search list (RFC 3646), refresh. */
static void dhcp6_put_info(struct dhcp6_out *o,
			   const struct dhcp6_server_config *c)
{
	if (c->n_dns)
		dhcp6_put(o, DHCP6_OPT_DNS_SERVERS, c->dns,
			  16 * (size_t)(c->n_dns > DHCP6_MAX_DNS ? DHCP6_MAX_DNS
								 : c->n_dns));
	if (c->search_len && c->search_len <= sizeof(c->search))
		dhcp6_put(o, DHCP6_OPT_DOMAIN_LIST, c->search, c->search_len);
	if (c->info_refresh_secs)
		dhcp6_put_u32(o, DHCP6_OPT_INFO_REFRESH_TIME,
			      c->info_refresh_secs);
}

/* dhcp6_valid() - RFC 8415 16: the ids each client message must carry. */
static bool dhcp6_valid(const struct dhcp6_server_config *c,
			const struct dhcp6_msg *m)
{
	bool ours = (m->have & DHCP6_HAVE_SERVERID) &&
		    m->server_id_len == sizeof(c->duid) &&
		    !memcmp(m->server_id, c->duid, sizeof(c->duid));
	bool cid = m->have & DHCP6_HAVE_CLIENTID;
	bool sid = m->have & DHCP6_HAVE_SERVERID;

	switch (m->type) {
	case DHCP6_SOLICIT:
	case DHCP6_REBIND:
	case DHCP6_CONFIRM:
		return cid && !sid;
	case DHCP6_REQUEST:
	case DHCP6_RENEW:
	case DHCP6_RELEASE:
	case DHCP6_DECLINE:
		return cid && ours;
	case DHCP6_INFORMATION_REQUEST:
		return (!sid || ours) && !(m->have & DHCP6_HAVE_IA);
	default: /* a server's or relay's message, or unknown */
		return false;
	}
}

int dhcp6_server_reply(const struct dhcp6_server_config *c, const uint8_t *req,
		       size_t len, uint8_t *out, size_t cap)
{
	struct dhcp6_out o = {out, cap, DHCP6_HDR_LEN, 0};
	struct dhcp6_msg m;

	if (dhcp6_msg_parse(req, len, &m) || !dhcp6_valid(c, &m))
		return -EINVAL;
	if (m.type == DHCP6_REBIND || m.type == DHCP6_CONFIRM)
		return 0;
	if (cap < DHCP6_HDR_LEN)
		return -ENOSPC;
	out[0] = m.type == DHCP6_SOLICIT ? DHCP6_ADVERTISE : DHCP6_REPLY;
	memcpy(out + 1, req + 1, 3); /* transaction id */
	dhcp6_put(&o, DHCP6_OPT_SERVERID, c->duid, sizeof(c->duid));
	if (m.have & DHCP6_HAVE_CLIENTID)
		dhcp6_put(&o, DHCP6_OPT_CLIENTID, m.client_id, m.client_id_len);
	switch (m.type) {
	case DHCP6_SOLICIT:
		dhcp6_put_status(&o, DHCP6_ST_NO_ADDRS_AVAIL,
				 "stateless only: use SLAAC");
		dhcp6_put_u32(&o, DHCP6_OPT_SOL_MAX_RT, DHCP6_SOL_MAX_RT_SECS);
		break;
	case DHCP6_REQUEST:
		dhcp6_put_status(&o, DHCP6_ST_NO_ADDRS_AVAIL,
				 "stateless only: use SLAAC");
		break;
	case DHCP6_RENEW:
		dhcp6_put_status(&o, DHCP6_ST_NO_BINDING, "no such binding");
		break;
	case DHCP6_RELEASE:
	case DHCP6_DECLINE:
		dhcp6_put_status(&o, DHCP6_ST_SUCCESS, "");
		break;
	default: /* INFORMATION-REQUEST */
		dhcp6_put_info(&o, c);
		break;
	}
	return o.err ? o.err : (int)o.len;
}
