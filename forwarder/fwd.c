/*
 * fwd.c - the port-forward rule table and its TCP and unix listeners (see
 * fwd.h). An accepted host connection is handed to the stack seam
 * (stack_tcp_dial(), net/stack.h), which dials it into the guest from the
 * gateway's address and carries its bytes both ways; when the guest
 * refuses, the stack closes the host connection.
 * UDP rules live in fwd_udp.c.
 */
#include "forwarder/fwd_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

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

struct fwd *fwd_create(uv_loop_t *loop, struct stack *st,
		       const struct netcfg *cfg)
{
	struct fwd *f = calloc(1, sizeof(*f));

	if (!f) {
		log_err("forwarder: out of memory");
		return NULL;
	}
	f->loop = loop;
	f->st = st;
	f->cfg = cfg;
	uv_timer_init(loop, &f->sweep);
	f->sweep.data = f;
	uv_timer_start(&f->sweep, fwd_udp_sweep_cb, 5000, 5000);
	uv_unref((uv_handle_t *)&f->sweep);
	return f;
}

/* ---- connections ---- */

/* fwd_maybe_free() - after fwd_destroy(), free once nothing refers to us. */
static void fwd_maybe_free(struct fwd *f)
{
	if (f->dying && f->sweep_closed && f->cnt.conns_open == 0)
		free(f);
}

/* the stack_conn_owner's closed(): the connection and its fd are gone */
static void fwd_conn_closed(void *arg, int err)
{
	struct fwd_conn *c = arg;
	struct fwd *f = c->f;
	char a[16];

	if (err == -ECONNREFUSED || err == -ETIMEDOUT) {
		f->cnt.conns_refused++;
		log_debug("forwarder: %s:%u in the guest %s",
			  netcfg_ip_str(c->ip, a), c->port,
			  err == -ECONNREFUSED ? "refused the connection"
					       : "did not answer");
	}
	if (c->prev)
		c->prev->next = c->next;
	else if (c->rule)
		c->rule->conns = c->next;
	else
		f->loose = c->next;
	if (c->next)
		c->next->prev = c->prev;
	f->cnt.conns_open--;
	free(c);
	fwd_maybe_free(f);
}

static void fwd_conn_close(struct fwd_conn *c, bool reset)
{
	if (c->sc)
		stack_conn_close(c->f->st, c->sc, reset);
}

static struct fwd_conn *fwd_conn_new(struct fwd *f, struct fwd_rule *r,
				     uint32_t ip, uint16_t port)
{
	struct fwd_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->f = f;
	c->rule = r;
	c->ip = ip;
	c->port = port;
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

/*
 * fwd_conn_dial() - hand @fd to the stack for @c: from here on the stack
 * owns it and calls fwd_conn_closed() once, also when the dial fails.
 */
static int fwd_conn_dial(struct fwd_conn *c, int fd)
{
	struct stack_conn_owner o = {
		.closed = fwd_conn_closed,
		.arg = c,
		.bytes_to_host = &c->f->cnt.bytes_in,
		.bytes_to_guest = &c->f->cnt.bytes_out,
	};

	return stack_tcp_dial(c->f->st, fd, c->ip, c->port, &o, &c->sc);
}

static void fwd_tmp_closed_cb(uv_handle_t *h)
{
	free(h);
}

/*
 * fwd_accept_fd() - accept a connection of @server as a plain fd: libuv
 * accepts into a handle only, so the fd is duplicated out of a temporary
 * one (two syscalls per connection, none per byte).
 */
static int fwd_accept_fd(uv_stream_t *server, bool pipe)
{
	uv_stream_t *tmp = malloc(pipe ? sizeof(uv_pipe_t) : sizeof(uv_tcp_t));
	uv_os_fd_t ufd;
	int fd = -ENOMEM;

	if (!tmp)
		return -ENOMEM;
	if (pipe)
		uv_pipe_init(server->loop, (uv_pipe_t *)tmp, 0);
	else
		uv_tcp_init(server->loop, (uv_tcp_t *)tmp);
	if (uv_accept(server, tmp) == 0 &&
	    uv_fileno((uv_handle_t *)tmp, &ufd) == 0) {
		fd = fcntl(ufd, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			fd = -errno;
	}
	uv_close((uv_handle_t *)tmp, fwd_tmp_closed_cb);
	return fd;
}

static void fwd_accept_cb(uv_stream_t *server, int status)
{
	struct fwd_rule *r = server->data;
	struct fwd_conn *c;
	int fd;

	if (status < 0)
		return;
	fd = fwd_accept_fd(server, r->proto == FWD_UNIX);
	if (fd < 0) {
		log_rl("forwarder: accept: %s", uv_strerror(fd));
		return;
	}
	c = fwd_conn_new(r->f, r, r->ip, r->port);
	if (!c) {
		close(fd);
		log_rl("forwarder: out of memory for a connection");
		return;
	}
	fwd_conn_dial(c, fd);
}

int fwd_splice_fd(struct fwd *f, int fd, uint32_t ip, uint16_t port)
{
	struct fwd_conn *c = fwd_conn_new(f, NULL, ip, port);

	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	return fwd_conn_dial(c, fd);
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
	uv_close((uv_handle_t *)&f->sweep, fwd_free_cb);
}
