/*
 * fuzz_http.c - libFuzzer target for the control API's HTTP server and
 * routes (api/http_server.c, api/api.c): every input is one
 * connection's byte stream, fed through a memory connection (no sockets,
 * no loop) in pieces, then an end of stream.
 *
 * Input layout: byte 0 picks the endpoint (bit 0: /connect allowed, bit 1:
 * the in-VM endpoint, bit 2: the caller has an IP) and, with the input's
 * length, seeds the sizes of the pieces the rest is cut into, so one input
 * is replayed exactly while splits at every position get tried. The rest
 * is the stream itself (the seeds in fuzz/corpus/http are readable HTTP).
 *
 * The API runs over a real switch and DHCP server and a small fake rule
 * table (the real forwarder needs the lwIP stack). Output must be HTTP
 * responses; a violation traps.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dhcp/dhcp_server.h"
#include "api/api.h"
#include "forwarder/fwd.h"
#include "api/http_server.h"
#include "util/log.h"
#include "net/netcfg.h"
#include "net/switch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- a fake rule table (fwd.h's interface) ---- */

#define FAKE_RULES 8

static struct {
	enum fwd_proto proto;
	char local[64], remote[64];
} fake_rules[FAKE_RULES];
static int fake_n;
static int fake_obj;
static struct fwd_counters fake_cnt;

const char *fwd_proto_name(enum fwd_proto p)
{
	static const char *const n[] = {"tcp", "udp", "unix", "npipe"};

	return (unsigned int)p < 4 ? n[p] : "?";
}

int fwd_proto_parse(const char *s, enum fwd_proto *p)
{
	int i;

	for (i = 0; s && *s && i < 4; i++) {
		if (!strcmp(s, fwd_proto_name((enum fwd_proto)i))) {
			*p = (enum fwd_proto)i;
			return 0;
		}
	}
	if (s && *s)
		return -EINVAL;
	*p = FWD_TCP;
	return 0;
}

int fwd_expose_as(struct fwd *f, enum fwd_proto proto, const char *local,
		  const char *remote, bool guest, char *err, size_t errlen)
{
	int i;

	(void)f;
	(void)guest;
	for (i = 0; i < fake_n; i++) {
		if (fake_rules[i].proto == proto &&
		    !strcmp(fake_rules[i].local, local)) {
			snprintf(err, errlen,
				 "proxy already running for %s on %s",
				 fwd_proto_name(proto), local);
			return -EEXIST;
		}
	}
	if (fake_n == FAKE_RULES) {
		/* keep the state bounded: start over */
		fake_n = 0;
		snprintf(err, errlen, "too many rules");
		return -ENOSPC;
	}
	fake_rules[fake_n].proto = proto;
	snprintf(fake_rules[fake_n].local, 64, "%s", local);
	snprintf(fake_rules[fake_n].remote, 64, "%s", remote);
	fake_n++;
	return 0;
}

int fwd_unexpose(struct fwd *f, enum fwd_proto proto, const char *local,
		 char *err, size_t errlen)
{
	int i;

	(void)f;
	for (i = 0; i < fake_n; i++) {
		if (fake_rules[i].proto == proto &&
		    !strcmp(fake_rules[i].local, local)) {
			fake_rules[i] = fake_rules[--fake_n];
			return 0;
		}
	}
	snprintf(err, errlen, "proxy not found");
	return -ENOENT;
}

void fwd_foreach(struct fwd *f,
		 void (*fn)(void *arg, enum fwd_proto proto, const char *local,
			    const char *remote),
		 void *arg)
{
	int i;

	(void)f;
	for (i = 0; i < fake_n; i++)
		fn(arg, fake_rules[i].proto, fake_rules[i].local,
		   fake_rules[i].remote);
}

int fwd_splice_fd(struct fwd *f, int fd, uint32_t ip, uint16_t port)
{
	(void)f;
	(void)ip;
	(void)port;
	close(fd);
	return 0;
}

const struct fwd_counters *fwd_counters(const struct fwd *f)
{
	(void)f;
	return &fake_cnt;
}

/* ---- the target ---- */

#define OUT_KEEP 4096

struct fuzz_out {
	char head[OUT_KEEP];
	size_t len; /* bytes kept in head */
	size_t total;
};

static void fuzz_out_fn(void *arg, const void *data, size_t len)
{
	struct fuzz_out *o = arg;
	size_t n = len < OUT_KEEP - o->len ? len : OUT_KEEP - o->len;

	if (len == 0)
		__builtin_trap();
	memcpy(o->head + o->len, data, n);
	o->len += n;
	o->total += len;
}

static void fuzz_connect(void *arg, int fd)
{
	(void)arg;
	(void)fd;
	__builtin_trap(); /* a memory connection cannot be hijacked */
}

static struct api *fuzz_api(void)
{
	static struct netcfg net;
	static struct api *a;
	struct dhcp_server_config c;
	struct api_ctx ctx;

	if (a)
		return a;
	log_set_level(LOG_LVL_ERROR);
	netcfg_defaults(&net);
	memset(&c, 0, sizeof(c));
	c.network = net.network;
	c.netmask = net.netmask;
	c.gateway = net.gateway;
	c.host_alias = net.host_alias;
	c.pool_start = net.network + 3;
	c.pool_end = net.network + 10;
	c.lease_secs = 60;
	c.mtu = 1500;
	c.n_static = 1;
	memcpy(c.statics[0].mac, net.device_mac, 6);
	c.statics[0].ip = net.device;
	memset(&ctx, 0, sizeof(ctx));
	ctx.net = &net;
	ctx.sw = sw_create(net.gw_mac);
	ctx.dhcp = dhcp_server_create(&c);
	ctx.fwd = (struct fwd *)&fake_obj;
	ctx.connect = fuzz_connect;
	a = api_create(NULL, &ctx);
	if (!a || !ctx.sw || !ctx.dhcp)
		__builtin_trap();
	return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_out out;
	struct http_conn *c;
	unsigned int flags = 0;
	uint32_t seed, peer = 0;
	size_t off = 1;

	if (size < 1)
		return 0;
	if (data[0] & 1)
		flags |= HTTP_F_CONNECT;
	if (data[0] & 2)
		flags |= HTTP_F_GUEST;
	if (data[0] & 4)
		peer = 0xc0a87f02u; /* 192.168.127.2 */
	seed = (uint32_t)data[0] * 2654435761u ^ (uint32_t)size;
	out.len = out.total = 0;
	c = http_conn_mem_create(api_http(fuzz_api()), peer, flags, fuzz_out_fn,
				 &out);
	if (!c)
		return 0;
	while (off < size) {
		size_t n;

		seed = seed * 1103515245u + 12345u;
		/* mostly small pieces, sometimes everything at once */
		n = (seed >> 16) % 8 == 0 ? size - off : 1 + (seed >> 16) % 97;
		if (n > size - off)
			n = size - off;
		if (http_conn_mem_feed(c, data + off, n) < 0)
			break;
		off += n;
	}
	http_conn_mem_feed(c, NULL, 0);
	http_conn_mem_destroy(c);
	/* whatever came out is a sequence of HTTP/1.x responses */
	if (out.len && (out.len < 9 || memcmp(out.head, "HTTP/1.", 7)))
		__builtin_trap();
	return 0;
}
