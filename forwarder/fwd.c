/*
 * fwd.c - the port-forward rule table and its TCP and unix listeners (see
 * fwd.h). An accepted host connection is dialled into the guest from the
 * gateway's address through lwIP; when the guest accepts, the two are
 * spliced (net/lwip/splice.c); when it refuses, the host connection is closed.
 * UDP rules live in fwd_udp.c.
 */
#include "forwarder/fwd_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lwip/tcp.h"

#define LOG_SUBSYS LOG_SS_FWD
#include "util/log.h"
#include "util/sockpath.h"
#include "forwarder/ssh_tunnel.h"
#include "net/transport_stream.h"
#include "util/url.h"

static const char *const fwd_names[] = {"tcp", "udp", "unix", "npipe"};

const char *fwd_proto_name(enum fwd_proto p)
{
	return fwd_names[p];
}

/**
 * fwd_log_str() - @s made safe for one log line: control bytes, DEL and
 * the backslash become C escapes (\n, \x1b, \\), so a path or URL from
 * an API caller can never start a forged line. Truncated to fit @len.
 * @s: the untrusted string
 * @buf: receives the escaped text
 * @len: room in @buf
 *
 * Return: @buf.
 */
const char *fwd_log_str(const char *s, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char e[4];
		size_t n = 0;

		if (ch == '\\' || ch == '\n' || ch == '\r' || ch == '\t') {
			e[n++] = '\\';
			e[n++] = ch == '\n'   ? 'n'
				 : ch == '\r' ? 'r'
				 : ch == '\t' ? 't'
					      : '\\';
		} else if (ch < 0x20 || ch == 0x7f) {
			e[n++] = '\\';
			e[n++] = 'x';
			e[n++] = hex[ch >> 4];
			e[n++] = hex[ch & 15];
		} else {
			e[n++] = (char)ch;
		}
		if (k + n + 1 > len)
			break;
		memcpy(buf + k, e, n);
		k += n;
	}
	if (len)
		buf[k] = 0;
	return buf;
}

int fwd_proto_parse(const char *s, enum fwd_proto *p)
{
	unsigned int i;

	if (!s || !*s) {
		*p = FWD_TCP;
		return 0;
	}
	for (i = 0; i < 4; i++) {
		if (!strcmp(s, fwd_names[i])) {
			*p = (enum fwd_proto)i;
			return 0;
		}
	}
	return -EINVAL;
}

struct fwd *fwd_create(uv_loop_t *loop, struct stack *st)
{
	struct fwd *f = calloc(1, sizeof(*f));

	if (!f) {
		log_err("forwarder: out of memory");
		return NULL;
	}
	f->loop = loop;
	f->st = st;
	f->cfg = stack_netcfg(st);
	uv_timer_init(loop, &f->sweep);
	f->sweep.data = f;
	uv_timer_start(&f->sweep, fwd_udp_sweep_cb, 5000, 5000);
	uv_unref((uv_handle_t *)&f->sweep);
	return f;
}

/* ---- connections ---- */

/*
 * Each gateway connection costs two fds (a socketpair) and a splice, so
 * every listener has a small cap on connections open at once; a SYN past
 * the cap still completes in lwIP (the backlog is the only SYN limit) and
 * is then reset. Answers toward the guest are bounded per connection
 * (FWD_GW_SND_CAP), and the connection closes fully when the service
 * closes its end, so a guest that never sends its FIN holds nothing.
 */
#define FWD_GW_BACKLOG 255
#define FWD_GW_SND_CAP (64 * 1024)
#define FWD_GW_DEFAULT_CONNS 32 /* when the caller gives 0 */

struct fwd_gw_listener {
	struct fwd *f;
	fwd_gateway_fn cb;
	void *arg;
	struct tcp_pcb *pcb;
	struct fwd_gw_listener *next;
	unsigned int open, max;
	uint16_t port;
};

/* fwd_maybe_free() - after fwd_destroy(), free once nothing refers to us. */
static void fwd_maybe_free(struct fwd *f)
{
	if (f->dying && f->sweep_closed && f->cnt.conns_open == 0)
		free(f);
}

static void fwd_conn_closed(struct splice *sp)
{
	struct fwd_conn *c = splice_container_of(sp, struct fwd_conn, sp);
	struct fwd *f = c->f;

	if (c->prev)
		c->prev->next = c->next;
	else if (c->rule)
		c->rule->conns = c->next;
	else
		f->loose = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->gw)
		c->gw->open--;
	f->cnt.conns_open--;
	free(c);
	fwd_maybe_free(f);
}

static const struct splice_ops fwd_conn_ops = {
	.closed = fwd_conn_closed,
};

static void fwd_conn_close(struct fwd_conn *c, bool reset)
{
	if (c->dial) {
		tcp_arg(c->dial, NULL);
		tcp_err(c->dial, NULL);
		tcp_abort(c->dial);
		c->dial = NULL;
	}
	splice_close(&c->sp, reset);
}

static err_t fwd_connected_cb(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct fwd_conn *c = arg;

	(void)err;
	c->dial = NULL;
	splice_start(&c->sp, pcb);
	return ERR_OK;
}

static void fwd_dial_err_cb(void *arg, err_t err)
{
	struct fwd_conn *c = arg;
	char a[16];

	if (!c)
		return;
	c->dial = NULL; /* freed by lwIP */
	c->f->cnt.conns_refused++;
	log_debug("forwarder: %s:%u in the guest %s", netcfg_ip_str(c->ip, a),
		  c->port,
		  err == ERR_RST ? "refused the connection" : "did not answer");
	fwd_conn_close(c, false);
}

/* fwd_dial() - connect to @c->ip:@c->port in the guest from the gateway. */
static int fwd_dial(struct fwd_conn *c)
{
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
	ip_addr_t gw, dst;

	if (!pcb)
		return -ENOMEM;
	ip_addr_set_ip4_u32_val(gw, lwip_htonl(c->f->cfg->gateway));
	ip_addr_set_ip4_u32_val(dst, lwip_htonl(c->ip));
	if (tcp_bind(pcb, &gw, 0) != ERR_OK) {
		tcp_abort(pcb);
		return -EADDRINUSE;
	}
	c->dial = pcb;
	tcp_arg(pcb, c);
	tcp_err(pcb, fwd_dial_err_cb);
	if (tcp_connect(pcb, &dst, c->port, fwd_connected_cb) != ERR_OK) {
		c->dial = NULL;
		tcp_arg(pcb, NULL);
		tcp_err(pcb, NULL);
		tcp_abort(pcb);
		return -ENOMEM;
	}
	stack_kick_timers(c->f->st);
	return 0;
}

static struct fwd_conn *fwd_conn_new(struct fwd *f, struct fwd_rule *r,
				     bool pipe, uint32_t ip, uint16_t port)
{
	struct fwd_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->f = f;
	c->rule = r;
	c->ip = ip;
	c->port = port;
	splice_init(&c->sp, stack_splice_ctx(f->st), &fwd_conn_ops, pipe,
		    &f->cnt.bytes_in, &f->cnt.bytes_out);
	if (r) {
		c->next = r->conns;
		r->conns = c;
	} else {
		c->next = f->loose;
		f->loose = c;
	}
	if (c->next)
		c->next->prev = c;
	f->cnt.conns_open++;
	f->cnt.conns_total++;
	return c;
}

static void fwd_accept_cb(uv_stream_t *server, int status)
{
	struct fwd_rule *r = server->data;
	struct fwd_conn *c;

	if (status < 0)
		return;
	c = fwd_conn_new(r->f, r, r->proto == FWD_UNIX, r->ip, r->port);
	if (!c) {
		log_rl("forwarder: out of memory for a connection");
		return;
	}
	if (uv_accept(server, &c->sp.host.s) < 0 || fwd_dial(c) < 0)
		fwd_conn_close(c, false);
}

int fwd_splice_fd(struct fwd *f, int fd, uint32_t ip, uint16_t port)
{
	struct fwd_conn *c = fwd_conn_new(f, NULL, true, ip, port);
	int r;

	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	r = uv_pipe_open(&c->sp.host.pipe, fd);
	if (r < 0) {
		close(fd);
		fwd_conn_close(c, false);
		return r;
	}
	r = fwd_dial(c);
	if (r < 0)
		fwd_conn_close(c, false);
	return r;
}

/* ---- the gateway's own listeners (in-VM API, DNS over TCP) ---- */

static err_t fwd_gw_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct fwd_gw_listener *l = arg;
	struct fwd_conn *c;
	int sv[2];

	if (err != ERR_OK || !l)
		return ERR_VAL;
	if (l->open >= l->max) {
		l->f->cnt.gw_refused++;
		log_rl("forwarder: %u connections to the gateway's port %u "
		       "(limit), connection reset",
		       l->open, l->port);
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		l->f->cnt.gw_refused++;
		log_rl("forwarder: gateway port %u: socketpair: %s, connection "
		       "reset",
		       l->port, strerror(errno));
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c = fwd_conn_new(l->f, NULL, true, 0, 0);
	if (!c || uv_pipe_open(&c->sp.host.pipe, sv[0]) < 0) {
		if (c)
			fwd_conn_close(c, false);
		close(sv[0]);
		close(sv[1]);
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->gw = l;
	l->open++;
	c->sp.snd_cap = FWD_GW_SND_CAP;
	c->sp.close_on_host_eof = true;
	splice_start(&c->sp, pcb);
	l->cb(l->arg, sv[1], lwip_ntohl(ip_2_ip4(&pcb->remote_ip)->addr));
	return ERR_OK;
}

int fwd_gateway_listen(struct fwd *f, uint16_t port, unsigned int max_conns,
		       fwd_gateway_fn cb, void *arg)
{
	struct fwd_gw_listener *l = calloc(1, sizeof(*l));
	struct tcp_pcb *pcb, *lpcb;
	ip_addr_t gw;

	if (!l)
		return -ENOMEM;
	pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
	if (!pcb) {
		free(l);
		return -ENOMEM;
	}
	ip_addr_set_ip4_u32_val(gw, lwip_htonl(f->cfg->gateway));
	if (tcp_bind(pcb, &gw, port) != ERR_OK) {
		tcp_abort(pcb);
		free(l);
		return -EADDRINUSE;
	}
	/* half-open connections: the stack evicts the oldest past this */
	lpcb = tcp_listen_with_backlog(pcb, FWD_GW_BACKLOG);
	if (!lpcb) {
		tcp_abort(pcb);
		free(l);
		return -ENOMEM;
	}
	l->f = f;
	l->cb = cb;
	l->arg = arg;
	l->pcb = lpcb;
	l->port = port;
	l->max = max_conns ? max_conns : FWD_GW_DEFAULT_CONNS;
	tcp_arg(lpcb, l);
	tcp_accept(lpcb, fwd_gw_accept);
	l->next = f->gw;
	f->gw = l;
	return 0;
}

/* ---- rules ---- */

static struct fwd_rule *fwd_find(struct fwd *f, enum fwd_proto proto,
				 const char *local)
{
	struct fwd_rule *r;

	for (r = f->rules; r; r = r->next)
		if (r->proto == proto && !strcmp(r->local, local))
			return r;
	return NULL;
}

/* fwd_parse_remote_ip() - "A.B.C.D:port" into @ip/@port. */
static int fwd_parse_remote_ip(const char *s, uint32_t *ip, uint16_t *port)
{
	char host[64];
	int p;

	if (url_split_hostport(s, host, sizeof(host), &p) < 0 || p == 0 ||
	    netcfg_parse_ip(host, ip) < 0)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

int fwd_local_sockaddr(const char *local, struct sockaddr_storage *ss,
		       bool *any)
{
	char host[128];
	int port;

	if (url_split_hostport(local, host, sizeof(host), &port) < 0)
		return -EINVAL;
	*any = host[0] == 0;
	if (*any)
		return uv_ip6_addr("::", port, (struct sockaddr_in6 *)ss);
	if (strchr(host, ':'))
		return uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss);
	return uv_ip4_addr(host, port, (struct sockaddr_in *)ss);
}

static void fwd_rule_freed_cb(uv_handle_t *h)
{
	free(h->data);
}

/*
 * fwd_bind_local() - init the rule's TCP or UDP handle and bind it to the
 * rule's local address; ":port" means every interface, IPv6 and IPv4 when
 * the host has IPv6, else every IPv4 interface.
 */
int fwd_bind_local(struct fwd_rule *r, bool udp, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	bool any;
	int e;

	if (fwd_local_sockaddr(r->local, &ss, &any) < 0) {
		snprintf(err, errlen, "invalid local address %s", r->local);
		return -EINVAL;
	}
	if (udp)
		uv_udp_init(r->f->loop, &r->l.udp);
	else
		uv_tcp_init(r->f->loop, &r->l.tcp);
	r->l.h.data = r;
	r->has_handle = true;
	for (;;) {
		e = udp ? uv_udp_bind(&r->l.udp, (struct sockaddr *)&ss, 0)
			: uv_tcp_bind(&r->l.tcp, (struct sockaddr *)&ss, 0);
		if (e != UV_EAFNOSUPPORT || !any || ss.ss_family != AF_INET6)
			break;
		uv_ip4_addr("0.0.0.0",
			    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port),
			    (struct sockaddr_in *)&ss);
	}
	if (e < 0)
		snprintf(err, errlen, "listen %s %s: bind: %s",
			 udp ? "udp" : "tcp", r->local, uv_strerror(e));
	return e;
}

static int fwd_listen_tcp(struct fwd_rule *r, char *err, size_t errlen)
{
	int e = fwd_bind_local(r, false, err, errlen);

	if (e < 0)
		return e;
	e = uv_listen(&r->l.s, 128, fwd_accept_cb);
	if (e < 0) {
		snprintf(err, errlen, "listen tcp %s: bind: %s", r->local,
			 uv_strerror(e));
		return e;
	}
	return 0;
}

/*
 * fwd_listen_unix() - a unix forward's host socket. Unlike gvproxy, which
 * removes whatever is at the path, only a stale socket is replaced
 * (sockpath_claim(): the rule the SSH tunnels and the QEMU/vfkit
 * listeners follow too); a regular file, symlink, directory or FIFO is
 * refused and left alone.
 */
static int fwd_listen_unix(struct fwd_rule *r, char *err, size_t errlen)
{
	mode_t old;
	int e;

	e = sockpath_claim(r->local, SOCK_STREAM);
	if (e < 0) {
		snprintf(err, errlen, "listen unix %s: %s", r->local,
			 sockpath_strerror(e));
		return e;
	}
	uv_pipe_init(r->f->loop, &r->l.pipe, 0);
	r->l.h.data = r;
	r->has_handle = true;
	old = umask(0177);
	e = uv_pipe_bind(&r->l.pipe, r->local);
	umask(old);
	if (e < 0) {
		snprintf(err, errlen, "listen unix %s: bind: %s", r->local,
			 uv_strerror(e));
		return e;
	}
	r->unlink_on_close = true;
	e = uv_listen(&r->l.s, 128, fwd_accept_cb);
	if (e < 0) {
		snprintf(err, errlen, "listen unix %s: %s", r->local,
			 uv_strerror(e));
		return e;
	}
	return 0;
}

static void fwd_rule_close(struct fwd *f, struct fwd_rule *r)
{
	struct fwd_rule **pp;

	for (pp = &f->rules; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	while (r->conns) {
		struct fwd_conn *c = r->conns;

		/* detach from the rule; the splice frees it later */
		r->conns = c->next;
		if (c->next)
			c->next->prev = NULL;
		c->rule = NULL;
		c->prev = NULL;
		c->next = f->loose;
		if (f->loose)
			f->loose->prev = c;
		f->loose = c;
		fwd_conn_close(c, false);
	}
	if (r->proto == FWD_UDP)
		fwd_udp_close_flows(r);
	if (r->unlink_on_close)
		unlink(r->local);
	ssh_tunnel_destroy(r->tun);
	f->cnt.rules--;
	if (r->has_handle)
		uv_close(&r->l.h, fwd_rule_freed_cb);
	else
		free(r);
}

int fwd_expose(struct fwd *f, enum fwd_proto proto, const char *local,
	       const char *remote, char *err, size_t errlen)
{
	char lb[4 * 256], rb[4 * 512];
	struct fwd_rule *r;
	int e;

	if (!local || !remote || strlen(local) >= sizeof(r->local) ||
	    strlen(remote) >= sizeof(r->remote)) {
		snprintf(err, errlen, "invalid local or remote address");
		return -EINVAL;
	}
	if (fwd_find(f, proto, local)) {
		snprintf(err, errlen, "proxy already running for %s on %s",
			 fwd_proto_name(proto), local);
		return -EEXIST;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->f = f;
	r->proto = proto;
	strcpy(r->local, local);
	strcpy(r->remote, remote);
	switch (proto) {
	case FWD_TCP:
	case FWD_UDP:
		if (fwd_parse_remote_ip(remote, &r->ip, &r->port) < 0) {
			snprintf(err, errlen, "invalid remote address %s",
				 remote);
			free(r);
			return -EINVAL;
		}
		e = proto == FWD_TCP ? fwd_listen_tcp(r, err, errlen)
				     : fwd_udp_listen(r, err, errlen);
		break;
	case FWD_UNIX:
		if (!strncmp(remote, "ssh-tunnel://", 13)) {
			/* the rule owns the tunnel (forwarder/ssh_tunnel.h) */
			e = ssh_tunnel_create_url(f->loop, f, local, remote,
						  &r->tun, err, errlen);
			break;
		}
		if (strncmp(remote, "tcp://", 6) ||
		    fwd_parse_remote_ip(remote + 6, &r->ip, &r->port) < 0) {
			snprintf(err, errlen,
				 "invalid remote %s: expected tcp://IP:port",
				 remote);
			free(r);
			return -EINVAL;
		}
		e = fwd_listen_unix(r, err, errlen);
		break;
	default:
		snprintf(err, errlen,
			 "npipe forwards are only available on Windows");
		free(r);
		return -EINVAL;
	}
	r->next = f->rules;
	f->rules = r;
	f->cnt.rules++;
	if (e < 0) {
		fwd_rule_close(f, r);
		return e;
	}
	log_info("forwarder: exposing %s %s -> %s", fwd_proto_name(proto),
		 fwd_log_str(local, lb, sizeof(lb)),
		 fwd_log_str(remote, rb, sizeof(rb)));
	return 0;
}

int fwd_unexpose(struct fwd *f, enum fwd_proto proto, const char *local,
		 char *err, size_t errlen)
{
	struct fwd_rule *r = local ? fwd_find(f, proto, local) : NULL;
	char lb[4 * 256];

	if (!r) {
		snprintf(err, errlen, "proxy not found");
		return -ENOENT;
	}
	log_info("forwarder: unexposing %s %s", fwd_proto_name(proto),
		 fwd_log_str(local, lb, sizeof(lb)));
	fwd_rule_close(f, r);
	return 0;
}

static int fwd_rule_cmp(const void *a, const void *b)
{
	const struct fwd_rule *x = *(const struct fwd_rule *const *)a;
	const struct fwd_rule *y = *(const struct fwd_rule *const *)b;
	int c = strcmp(x->local, y->local);

	return c ? c : strcmp(fwd_names[x->proto], fwd_names[y->proto]);
}

void fwd_foreach(struct fwd *f,
		 void (*fn)(void *arg, enum fwd_proto proto, const char *local,
			    const char *remote),
		 void *arg)
{
	struct fwd_rule **v, *r;
	size_t n = 0, i;

	for (r = f->rules; r; r = r->next)
		n++;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return;
	n = 0;
	for (r = f->rules; r; r = r->next)
		v[n++] = r;
	qsort(v, n, sizeof(*v), fwd_rule_cmp);
	for (i = 0; i < n; i++)
		fn(arg, v[i]->proto, v[i]->local, v[i]->remote);
	free(v);
}

const struct fwd_counters *fwd_counters(const struct fwd *f)
{
	return &f->cnt;
}

struct fwd_counters *fwd_counters_rw(struct fwd *f)
{
	return &f->cnt;
}

static void fwd_free_cb(uv_handle_t *h)
{
	struct fwd *f = h->data;

	f->sweep_closed = true;
	fwd_maybe_free(f);
}

void fwd_destroy(struct fwd *f)
{
	struct fwd_gw_listener *l;
	struct fwd_conn *c, *next;

	if (!f)
		return;
	f->dying = true;
	while (f->rules)
		fwd_rule_close(f, f->rules);
	for (c = f->loose; c; c = next) {
		next = c->next;
		fwd_conn_close(c, true);
	}
	while ((l = f->gw)) {
		f->gw = l->next;
		tcp_arg(l->pcb, NULL);
		tcp_close(l->pcb);
		free(l);
	}
	/* connections that outlive their listener no longer count */
	for (c = f->loose; c; c = c->next)
		c->gw = NULL;
	uv_close((uv_handle_t *)&f->sweep, fwd_free_cb);
}
