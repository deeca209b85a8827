/*
 * api.c - gvproxy's HTTP API routes (see api.h), with gvproxy's semantics:
 * JSON as Go's json.Encoder writes it (compact, map keys sorted, trailing
 * newline), errors as http.Error texts, 400 "post only" for the write
 * routes used with another method, 404 "404 page not found" elsewhere.
 *
 * JSON in and out goes through jansson. Request bodies are decoded like
 * Go's json.Decoder into a struct: the first JSON value counts, field
 * names match case-insensitively, null leaves a field empty, any other
 * type mismatch is an error.
 */
#include "api/api.h"

#include <errno.h>
#include <http_parser.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dhcp/dhcp_server.h"
#include "dns/dns_server.h"
#include "forwarder/fwd.h"
#include "api/http_server.h"
#include "api/metrics.h"
#include "util/hex.h"
#include "util/log.h"
#include "net/netcfg.h"
#include "net/stack.h"
#include "net/switch.h"
#include "net/osock.h"

#define API_CTYPE "text/plain; charset=utf-8"

struct api {
	uv_loop_t *loop;
	struct api_ctx ctx;
	struct http_server *http;
	uint64_t guest_refused; /* in-VM expose/unexpose refused (403) */
};

/*
 * What the in-VM API (gateway:80, HTTP_F_GUEST) may do: list, expose and
 * unexpose TCP and UDP forwards ({"local":"<ip>:<port>","remote":
 * ":<port>"}, Podman's use). Unix sockets and Windows named pipes are host
 * files, and ssh-tunnel:// remotes read host key files: those are
 * host-side concerns, refused from inside the VM with 403 and one fixed
 * message, before the path is looked at, so the answer is the same
 * whether or not anything exists there (no existence oracle) and no host
 * file is ever created, removed or opened for the guest. The host API
 * (-listen, -services) may still do all of it.
 */
#define API_GUEST_FORBIDDEN                                          \
	"forbidden from inside the VM: unix and npipe forwards and " \
	"ssh-tunnel:// remotes can only be managed through the host API"

/**
 * api_guest_may() - whether an in-VM caller may expose or unexpose this.
 * @proto: the rule's protocol
 * @remote: its remote ("" for unexpose)
 *
 * Return: true for tcp/udp rules to a guest address, false otherwise.
 */
bool api_guest_may(enum fwd_proto proto, const char *remote)
{
	if (proto != FWD_TCP && proto != FWD_UDP)
		return false;
	return strncasecmp(remote, "ssh-tunnel:", 11) != 0;
}

enum api_route {
	API_NONE,
	API_FWD_ALL,
	API_FWD_EXPOSE,
	API_FWD_UNEXPOSE,
	API_LEASES,
	API_DNS_ALL,
	API_DNS_ADD,
	API_STATS,
	API_METRICS,
	API_CAM,
	API_TUNNEL,
	API_CONNECT,
};

static const struct {
	const char *path;
	enum api_route route;
	bool guest; /* also served at gateway:80 inside the VM network */
} api_routes[] = {
	{"/services/forwarder/all", API_FWD_ALL, true},
	{"/services/forwarder/expose", API_FWD_EXPOSE, true},
	{"/services/forwarder/unexpose", API_FWD_UNEXPOSE, true},
	{"/services/dhcp/leases", API_LEASES, false},
	{"/leases", API_LEASES, false},
	{"/services/dns/all", API_DNS_ALL, false},
	{"/services/dns/add", API_DNS_ADD, false},
	{"/stats", API_STATS, false},
	{"/metrics", API_METRICS, false},
	{"/cam", API_CAM, false},
	{"/tunnel", API_TUNNEL, false},
	{"/connect", API_CONNECT, false},
};

static enum api_route api_route_of(const struct http_request *req)
{
	size_t i;

	for (i = 0; i < sizeof(api_routes) / sizeof(api_routes[0]); i++) {
		if (strcmp(req->path, api_routes[i].path))
			continue;
		if ((req->flags & HTTP_F_GUEST) && !api_routes[i].guest)
			return API_NONE;
		if (api_routes[i].route == API_CONNECT &&
		    !(req->flags & HTTP_F_CONNECT))
			return API_NONE;
		return api_routes[i].route;
	}
	return API_NONE;
}

/* ---- JSON helpers ---- */

/*
 * api_go_escape() - Go's json.Encoder escapes <, > and & and U+2028/2029
 * inside strings; in JSON text those bytes only occur inside strings, so
 * rewriting the whole text is exact. Returns a malloc'd copy with room
 * for a trailing newline, or NULL.
 */
static char *api_go_escape(const char *s, size_t *len)
{
	size_t n = strlen(s), i, k = 0;
	char *out = malloc(n * 6 + 2);

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		const unsigned char *u = (const unsigned char *)s + i;

		if (s[i] == '<' || s[i] == '>' || s[i] == '&') {
			k += (size_t)sprintf(out + k, "\\u%04x", s[i]);
		} else if (i + 2 < n && u[0] == 0xe2 && u[1] == 0x80 &&
			   (u[2] == 0xa8 || u[2] == 0xa9)) {
			k += (size_t)sprintf(out + k, "\\u%04x",
					     u[2] == 0xa8 ? 0x2028 : 0x2029);
			i += 2;
		} else {
			out[k++] = s[i];
		}
	}
	out[k] = 0;
	*len = k;
	return out;
}

/* api_send_json() - 200 with @j as json.Encoder writes it; takes @j. */
static void api_send_json(struct http_conn *c, json_t *j, size_t flags)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | flags)
		    : NULL;
	size_t n = 0;
	char *t = s ? api_go_escape(s, &n) : NULL;

	json_decref(j);
	free(s);
	if (!t) {
		http_respond_text(c, 500, "out of memory");
		return;
	}
	t[n] = '\n';
	http_respond(c, 200, API_CTYPE, t, n + 1);
	free(t);
}

static void api_obj_u64(json_t *o, const char *key, uint64_t v)
{
	json_object_set_new(o, key, json_integer((json_int_t)v));
}

static const char *api_json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	default:
		return "null";
	}
}

/*
 * api_decode() - decode @req's body like json.Decoder.Decode into the Go
 * struct @gotype whose string fields are @names; @vals[i] gets the value
 * ("" when absent or null), borrowed from the returned object.
 * Return: the object (json_decref() it) or NULL with @err filled.
 */
static json_t *api_decode(const struct http_request *req, const char *gotype,
			  const char *const *names, const char **vals, size_t n,
			  char *err, size_t errlen)
{
	json_error_t jerr;
	const char *key;
	json_t *j, *v;
	size_t i, k;

	for (i = 0; i < n; i++)
		vals[i] = "";
	for (k = 0; k < req->body_len; k++)
		if (!strchr(" \t\r\n", req->body[k]))
			break;
	if (k == req->body_len) {
		snprintf(err, errlen, "EOF");
		return NULL;
	}
	j = json_loadb(req->body, req->body_len,
		       JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK |
			       JSON_ALLOW_NUL,
		       &jerr);
	if (!j) {
		snprintf(err, errlen, "%s", jerr.text);
		return NULL;
	}
	if (json_is_null(j))
		return j;
	if (!json_is_object(j)) {
		snprintf(err, errlen,
			 "json: cannot unmarshal %s into Go value of type "
			 "types.%s",
			 api_json_kind(j), gotype);
		json_decref(j);
		return NULL;
	}
	json_object_foreach(j, key, v)
	{
		for (i = 0; i < n; i++) {
			if (strcasecmp(key, names[i]))
				continue;
			if (json_is_null(v))
				break;
			if (!json_is_string(v)) {
				snprintf(err, errlen,
					 "json: cannot unmarshal %s into Go "
					 "struct field %s.%s of type string",
					 api_json_kind(v), gotype, names[i]);
				json_decref(j);
				return NULL;
			}
			/* an exact match wins over a case-folded one */
			if (!strcmp(key, names[i]) || !*vals[i])
				vals[i] = json_string_value(v);
			break;
		}
	}
	return j;
}

/* ---- forwarder ---- */

/* api_printable() - @s for the log: control bytes and quotes become '?'. */
static const char *api_printable(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == '"' ||
					 s[i] == 0x7f
				 ? '?'
				 : s[i];
	buf[i] = 0;
	return buf;
}

static void api_fwd_row(void *arg, enum fwd_proto proto, const char *local,
			const char *remote)
{
	json_t *row = json_object();

	json_object_set_new(row, "local", json_string(local));
	json_object_set_new(row, "remote", json_string(remote));
	json_object_set_new(row, "protocol",
			    json_string(fwd_proto_name(proto)));
	json_array_append_new(arg, row);
}

static void api_fwd_all(struct api *a, struct http_conn *c)
{
	json_t *arr = json_array();

	if (a->ctx.fwd && arr)
		fwd_foreach(a->ctx.fwd, api_fwd_row, arr);
	api_send_json(c, arr, 0);
}

/*
 * api_remote() - gvproxy's remote(): for tcp/udp an empty host in
 * "host:port" is the caller's IP. 0, or -EINVAL with @err filled.
 */
static int api_remote(const struct http_request *req, enum fwd_proto proto,
		      const char *remote, char *out, size_t outlen, char *err,
		      size_t errlen)
{
	const char *colon;
	char ip[16];

	if (proto != FWD_TCP && proto != FWD_UDP) {
		snprintf(out, outlen, "%s", remote);
		return 0;
	}
	colon = strrchr(remote, ':');
	if (!colon) {
		snprintf(err, errlen, "address %s: missing port in address",
			 remote);
		return -EINVAL;
	}
	if (colon != remote) {
		snprintf(out, outlen, "%s", remote);
		return 0;
	}
	if (!req->peer_ip) {
		snprintf(err, errlen,
			 "remote %s has no host and the caller's address is "
			 "unknown on this endpoint",
			 remote);
		return -EINVAL;
	}
	snprintf(out, outlen, "%s%s", netcfg_ip_str(req->peer_ip, ip), remote);
	return 0;
}

static void api_fwd_expose(struct api *a, struct http_conn *c,
			   const struct http_request *req, bool unexpose)
{
	static const char *const names[] = {"local", "remote", "protocol"};
	const char *vals[3];
	char err[512], remote[600], pl[128], pr[128];
	enum fwd_proto proto;
	json_t *j;
	int r;

	if (req->method != HTTP_POST) {
		http_respond_text(c, 400, "post only");
		return;
	}
	j = api_decode(req, unexpose ? "UnexposeRequest" : "ExposeRequest",
		       names, vals, 3, err, sizeof(err));
	if (!j) {
		http_respond_text(c, 400, err);
		return;
	}
	if (unexpose)
		vals[1] = "";
	if (fwd_proto_parse(vals[2], &proto) < 0) {
		snprintf(err, sizeof(err), "unknown protocol %s", vals[2]);
		http_respond_text(c, 400, err);
		goto out;
	}
	if ((req->flags & HTTP_F_GUEST) && !api_guest_may(proto, vals[1])) {
		a->guest_refused++;
		log_rl("api: refused an in-VM %s of a %s forward (host-side "
		       "only)",
		       unexpose ? "unexpose" : "expose", fwd_proto_name(proto));
		http_respond_text(c, 403, API_GUEST_FORBIDDEN);
		goto out;
	}
	if (!unexpose && api_remote(req, proto, vals[1], remote, sizeof(remote),
				    err, sizeof(err)) < 0) {
		http_respond_text(c, 400, err);
		goto out;
	}
	if (!a->ctx.fwd) {
		http_respond_text(c, 503, "port forwarder not available");
		goto out;
	}
	err[0] = 0;
	if (unexpose)
		r = fwd_unexpose(a->ctx.fwd, proto, vals[0], err, sizeof(err));
	else
		r = fwd_expose_as(a->ctx.fwd, proto, vals[0], remote,
				  req->flags & HTTP_F_GUEST, err, sizeof(err));
	if (r < 0) {
		if (!err[0])
			snprintf(err, sizeof(err), "%s", strerror(-r));
		http_respond_text(c, 500, err);
		goto out;
	}
	log_info("api: %s %s %s%s%s", unexpose ? "unexposed" : "exposed",
		 fwd_proto_name(proto), api_printable(vals[0], pl, sizeof(pl)),
		 unexpose ? "" : " -> ",
		 unexpose ? "" : api_printable(remote, pr, sizeof(pr)));
	http_respond(c, 200, NULL, NULL, 0);
out:
	json_decref(j);
}

/* ---- DHCP, switch ---- */

static void api_lease_row(void *arg, uint32_t ip, const uint8_t mac[6])
{
	char ips[16], macs[18];

	snprintf(macs, sizeof(macs), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
	json_object_set_new(arg, netcfg_ip_str(ip, ips), json_string(macs));
}

static void api_leases(struct api *a, struct http_conn *c)
{
	json_t *o = json_object();

	if (o && a->ctx.net)
		api_lease_row(o, a->ctx.net->gateway, a->ctx.net->gw_mac);
	if (o && a->ctx.dhcp)
		dhcp_server_foreach_lease(a->ctx.dhcp,
					  a->loop ? uv_now(a->loop) : 0,
					  api_lease_row, o);
	api_send_json(c, o, JSON_SORT_KEYS);
}

static void api_cam_row(void *arg, const uint8_t mac[6], int port)
{
	char macs[18];

	snprintf(macs, sizeof(macs), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
	json_object_set_new(arg, macs, json_integer(port));
}

static void api_cam(struct api *a, struct http_conn *c)
{
	json_t *o = json_object();

	if (o && a->ctx.sw)
		sw_foreach_cam(a->ctx.sw, api_cam_row, o);
	api_send_json(c, o, JSON_SORT_KEYS);
}

/* ---- DNS ---- */

static void api_dns_all(struct api *a, struct http_conn *c)
{
	char *s, *t;
	size_t n;

	if (!a->ctx.dns) {
		http_respond(c, 200, API_CTYPE, "[]\n", 3);
		return;
	}
	s = dns_server_zones_json(a->ctx.dns);
	if (!s) {
		http_respond_text(c, 500, "out of memory");
		return;
	}
	n = strlen(s);
	if (n == 0 || s[n - 1] != '\n') {
		t = realloc(s, n + 2);
		if (!t) {
			free(s);
			http_respond_text(c, 500, "out of memory");
			return;
		}
		s = t;
		s[n++] = '\n';
		s[n] = 0;
	}
	http_respond(c, 200, API_CTYPE, s, n);
	free(s);
}

static void api_dns_add(struct api *a, struct http_conn *c,
			const struct http_request *req)
{
	char err[512];

	if (req->method != HTTP_POST) {
		http_respond_text(c, 400, "post only");
		return;
	}
	if (!a->ctx.dns) {
		http_respond_text(c, 503, "DNS server not available");
		return;
	}
	err[0] = 0;
	if (dns_server_add_zone_json(a->ctx.dns, req->body, req->body_len, err,
				     sizeof(err)) < 0) {
		http_respond_text(c, 400, err[0] ? err : "invalid zone");
		return;
	}
	http_respond(c, 200, NULL, NULL, 0);
}

/* ---- stats and metrics (the counters: api/metrics.c) ---- */

static void api_snap(struct api *a, struct met_snap *m)
{
	met_snap_fill(m, &a->ctx,
		      a->http ? http_server_counters(a->http) : NULL,
		      a->guest_refused, a->loop ? uv_now(a->loop) : 0);
}

static json_t *api_section(const struct met_snap *m, enum met_sec sec)
{
	json_t *s = json_object();

	met_json_section(s, m, sec);
	return s;
}

static void api_stats(struct api *a, struct http_conn *c)
{
	struct met_snap *m = malloc(sizeof(*m));
	json_t *o = json_object(), *s;
	unsigned int i;

	if (!o || !m) {
		json_decref(o);
		free(m);
		http_respond_text(c, 500, "out of memory");
		return;
	}
	api_snap(a, m);
	api_obj_u64(o, "BytesSent", a->ctx.sw ? sw_bytes_sent(a->ctx.sw) : 0);
	api_obj_u64(o, "BytesReceived",
		    a->ctx.sw ? sw_bytes_received(a->ctx.sw) : 0);
	if (m->have[MET_SW]) {
		json_t *ports = json_array();

		for (i = 0; i < m->nports; i++) {
			json_t *p = json_object();

			json_object_set_new(p, "ID",
					    json_integer(m->ports[i].id));
			json_object_set_new(p, "Kind",
					    json_string(m->ports[i].kind));
			met_json_port(p, &m->ports[i].cnt);
			json_object_set_new(
				p, "Congested",
				json_boolean(m->ports[i].congested));
			json_array_append_new(ports, p);
		}
		s = json_object();
		json_object_set_new(s, "Ports", ports);
		met_json_section(s, m, MET_SW);
		json_object_set_new(o, "Switch", s);
	}
	if (m->have[MET_STACK])
		json_object_set_new(o, "Stack", api_section(m, MET_STACK));
	if (m->have[MET_NAT]) {
		s = json_object();
		json_object_set_new(s, "TCP", json_object());
		json_object_set_new(s, "UDP", json_object());
		json_object_set_new(s, "ICMP", json_object());
		met_json_nat_proto(json_object_get(s, "TCP"), &m->nat.tcp);
		met_json_nat_proto(json_object_get(s, "UDP"), &m->nat.udp);
		met_json_nat_proto(json_object_get(s, "ICMP"), &m->nat.icmp);
		met_json_section(s, m, MET_NAT);
		json_object_set_new(s, "Limits",
				    api_section(m, MET_NAT_LIMITS));
		json_object_set_new(o, "NAT", s);
	}
	if (m->have[MET_DHCP])
		json_object_set_new(o, "DHCP", api_section(m, MET_DHCP));
	if (m->have[MET_DNS])
		json_object_set_new(o, "DNS", api_section(m, MET_DNS));
	if (m->have[MET_API])
		json_object_set_new(o, "API", api_section(m, MET_API));
	if (m->have[MET_FWD])
		json_object_set_new(o, "Forwarder", api_section(m, MET_FWD));
	free(m);
	api_send_json(c, o, 0);
}

/*
 * api_metrics() - GET /metrics: the same counters in Prometheus' text
 * format, host endpoints only (the guest must not read the host's RSS,
 * fds or other guests' traffic).
 */
static void api_metrics(struct api *a, struct http_conn *c)
{
	struct met_snap *m = malloc(sizeof(*m));
	size_t n = 0;
	char *t = NULL;

	if (m) {
		api_snap(a, m);
		t = met_text(m, &n);
		free(m);
	}
	if (!t) {
		http_respond_text(c, 500, "out of memory");
		return;
	}
	http_respond(c, 200, MET_CTYPE, t, n);
	free(t);
}

/* ---- tunnel and connect ---- */

/*
 * api_query_get() - the first value of @key in the query string @q,
 * percent- and plus-decoded into @out. Return 0, or -ENOENT.
 */
static int api_query_get(const char *q, const char *key, char *out,
			 size_t outlen)
{
	size_t klen = strlen(key);

	while (*q) {
		const char *end = strchr(q, '&');
		size_t n = end ? (size_t)(end - q) : strlen(q);

		if (n >= klen && !strncmp(q, key, klen) &&
		    (n == klen || q[klen] == '=')) {
			const char *v = q + klen + 1;
			size_t i, k = 0, vn = n > klen ? n - klen - 1 : 0;

			for (i = 0; i < vn && k + 1 < outlen; i++) {
				if (v[i] == '+') {
					out[k++] = ' ';
				} else if (v[i] == '%' && i + 2 < vn &&
					   hex_digit(v[i + 1]) >= 0 &&
					   hex_digit(v[i + 2]) >= 0) {
					out[k++] = (char)(hex_digit(v[i + 1])
								  << 4 |
							  hex_digit(v[i + 2]));
					i += 2;
				} else {
					out[k++] = v[i];
				}
			}
			out[k] = 0;
			return 0;
		}
		q += n + (end ? 1 : 0);
	}
	out[0] = 0;
	return -ENOENT;
}

static void api_tunnel(struct api *a, struct http_conn *c,
		       const struct http_request *req)
{
	char ips[64], ports[64], msg[128];
	uint32_t ip;
	char *end;
	long port;
	int fd;

	api_query_get(req->query, "ip", ips, sizeof(ips));
	if (!ips[0]) {
		http_respond_text(c, 500, "ip is mandatory");
		return;
	}
	api_query_get(req->query, "port", ports, sizeof(ports));
	port = strtol(ports, &end, 10);
	if (!ports[0] || *end) {
		snprintf(msg, sizeof(msg),
			 "strconv.Atoi: parsing \"%.40s\": invalid syntax",
			 ports);
		http_respond_text(c, 500, msg);
		return;
	}
	if (port < 1 || port > 65535) {
		http_respond_text(c, 500, "invalid port");
		return;
	}
	if (netcfg_parse_ip(ips, &ip) < 0) {
		http_respond_text(c, 500, "invalid ip");
		return;
	}
	if (!a->ctx.fwd) {
		http_respond_text(c, 503, "port forwarder not available");
		return;
	}
	fd = http_hijack(c);
	if (fd < 0)
		return;
	if (osock_send(fd, "OK", 2) != 2) {
		osock_close(fd);
		return;
	}
	if (fwd_splice_fd(a->ctx.fwd, fd, ip, (uint16_t)port) < 0)
		log_rl("api: tunnel to %s:%ld failed", ips, port);
}

static void api_connect(struct api *a, struct http_conn *c)
{
	int fd;

	if (!a->ctx.connect) {
		http_respond_text(c, 503, "virtual network not available");
		return;
	}
	fd = http_hijack(c);
	if (fd < 0)
		return;
	a->ctx.connect(a->ctx.connect_arg, fd);
}

/* ---- dispatch ---- */

static void api_handle(void *arg, struct http_conn *c,
		       const struct http_request *req)
{
	struct api *a = arg;

	switch (api_route_of(req)) {
	case API_FWD_ALL:
		api_fwd_all(a, c);
		break;
	case API_FWD_EXPOSE:
		api_fwd_expose(a, c, req, false);
		break;
	case API_FWD_UNEXPOSE:
		api_fwd_expose(a, c, req, true);
		break;
	case API_LEASES:
		api_leases(a, c);
		break;
	case API_DNS_ALL:
		api_dns_all(a, c);
		break;
	case API_DNS_ADD:
		api_dns_add(a, c, req);
		break;
	case API_STATS:
		api_stats(a, c);
		break;
	case API_METRICS:
		api_metrics(a, c);
		break;
	case API_CAM:
		api_cam(a, c);
		break;
	case API_TUNNEL:
		api_tunnel(a, c, req);
		break;
	case API_CONNECT:
		api_connect(a, c);
		break;
	case API_NONE:
		http_respond_text(c, 404, "404 page not found");
		break;
	}
}

/**
 * api_create() - the API over the parts in @ctx, with no endpoint yet.
 * @loop: the loop (NULL: memory connections only, for the fuzzer)
 * @ctx: the parts (copied; change them later through api_ctx())
 *
 * Return: the API, or NULL when out of memory.
 */
struct api *api_create(uv_loop_t *loop, const struct api_ctx *ctx)
{
	struct api *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->loop = loop;
	if (ctx)
		a->ctx = *ctx;
	a->http = http_server_create(loop, api_handle, a);
	if (!a->http) {
		free(a);
		return NULL;
	}
	return a;
}

/**
 * api_destroy() - close every endpoint (socket files are unlinked) and
 * connection; run the loop afterwards. Accepts NULL.
 * @a: the API
 */
void api_destroy(struct api *a)
{
	if (!a)
		return;
	http_server_destroy(a->http);
	free(a);
}

/**
 * api_ctx() - the parts the routes use, to fill in later ones.
 * @a: the API
 *
 * Return: the live context.
 */
struct api_ctx *api_ctx(struct api *a)
{
	return &a->ctx;
}

/**
 * api_http() - the underlying server (its connections, timeouts).
 * @a: the API
 *
 * Return: the server.
 */
struct http_server *api_http(struct api *a)
{
	return a->http;
}

/**
 * api_listen() - serve the API on a host endpoint.
 * @a: the API
 * @url: unix:///path or tcp://host:port
 * @with_connect: serve /connect too (-listen), or not (-services)
 *
 * Return: 0, or -errno with the reason logged.
 */
int api_listen(struct api *a, const char *url, bool with_connect)
{
	char err[512];
	int r;

	r = http_server_listen(a->http, url, with_connect ? HTTP_F_CONNECT : 0,
			       err, sizeof(err));
	if (r < 0) {
		log_err("%s %s: %s", with_connect ? "-listen" : "-services",
			url, err);
		return r;
	}
	log_info("API listening on %s%s", url,
		 with_connect ? "" : " (services only)");
	return 0;
}

/**
 * api_gateway_conn() - serve a connection to gateway:80 inside the VM
 * network (a stack_accept_fn): forwarder routes only, with the guest's
 * address as the caller's IP.
 * @arg: the API
 * @fd: one end of a socketpair; ownership passes
 * @peer: the guest's address; the handlers know IPv4 callers only (an
 *        IPv6 caller is served as one of unknown address)
 */
void api_gateway_conn(void *arg, int fd, const struct inaddr *peer)
{
	struct api *a = arg;
	uint32_t ip = peer && peer->af == AF_INET ? peer->u.v4 : 0;
	int r = http_server_adopt_fd(a->http, fd, ip, HTTP_F_GUEST);

	if (r == -EBUSY)
		log_rl("api: %d in-VM API connections open, refusing one",
		       HTTP_MAX_GUEST_CONNS);
	else if (r < 0)
		log_rl("api: cannot serve an in-VM connection: %s",
		       uv_strerror(r));
}
