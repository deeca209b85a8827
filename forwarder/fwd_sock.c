/*
 * fwd_sock.c - the forwarder's sockets: host listeners bound to a rule's
 * local address (TCP, UDP, unix), the host connections they accept and
 * the ones handed in (SSH tunnels, the API's /tunnel), each given to the
 * stack seam to dial into the guest (stack_tcp_dial(), net/stack.h), and
 * the counters. The rule table itself is fwd.c.
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
#include "util/url.h"
#include "net/osock.h"

/* ---- connections ---- */

/* fwd_maybe_free() - after fwd_destroy(), free once nothing refers to us. */
void fwd_maybe_free(struct fwd *f)
{
	if (f->dying && f->sweep_closed && f->cnt.conns_open == 0) {
		nat_table_fini(&f->udp);
		free(f);
	}
}

/* the stack_conn_owner's closed(): the connection and its fd are gone */
static void fwd_conn_closed(void *arg, int err)
{
	struct fwd_conn *c = arg;
	struct fwd *f = c->f;
	char a[INADDR_STRLEN];

	if (err == -ECONNREFUSED || err == -ETIMEDOUT) {
		f->cnt.conns_refused++;
		log_debug("forwarder: %s:%u in the guest %s",
			  inaddr_str(&c->ip, a), c->port,
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

void fwd_conn_close(struct fwd_conn *c, bool reset)
{
	if (c->sc)
		stack_conn_close(c->f->st, c->sc, reset);
}

static struct fwd_conn *fwd_conn_new(struct fwd *f, struct fwd_rule *r,
				     const struct inaddr *ip, uint16_t port)
{
	struct fwd_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->f = f;
	c->rule = r;
	c->ip = *ip;
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

	return stack_tcp_dial(c->f->st, fd, &c->ip, c->port, &o, &c->sc);
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
		fd = osock_dup(ufd);
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
	c = fwd_conn_new(r->f, r, &r->ip, r->port);
	if (!c) {
		osock_close(fd);
		log_rl("forwarder: out of memory for a connection");
		return;
	}
	fwd_conn_dial(c, fd);
}

int fwd_rule_splice_fd(struct fwd_rule *r, int fd)
{
	struct fwd_conn *c = fwd_conn_new(r->f, r, &r->ip, r->port);

	if (!c) {
		osock_close(fd);
		return -ENOMEM;
	}
	return fwd_conn_dial(c, fd);
}

int fwd_splice_fd(struct fwd *f, int fd, uint32_t ip, uint16_t port)
{
	struct inaddr a = inaddr_v4(ip);
	struct fwd_conn *c = fwd_conn_new(f, NULL, &a, port);

	if (!c) {
		osock_close(fd);
		return -ENOMEM;
	}
	return fwd_conn_dial(c, fd);
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

int fwd_listen_tcp(struct fwd_rule *r, char *err, size_t errlen)
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
int fwd_listen_unix(struct fwd_rule *r, char *err, size_t errlen)
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

const struct fwd_counters *fwd_counters(const struct fwd *f)
{
	return &f->cnt;
}

struct fwd_counters *fwd_counters_rw(struct fwd *f)
{
	return &f->cnt;
}
