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
	if (fwd_udp_init(f) < 0) {
		log_err("forwarder: out of memory");
		free(f);
		return NULL;
	}
	uv_timer_init(loop, &f->sweep);
	f->sweep.data = f;
	uv_timer_start(&f->sweep, fwd_udp_sweep_cb, 5000, 5000);
	uv_unref((uv_handle_t *)&f->sweep);
	return f;
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

/*
 * fwd_parse_remote_ip() - "A.B.C.D:port" or "[IPv6]:port" into @ip/@port;
 * an IPv6 target needs the network's IPv6 (-ipv6).
 */
static int fwd_parse_remote_ip(const struct fwd *f, const char *s,
			       struct inaddr *ip, uint16_t *port)
{
	char host[64];
	int p;

	if (url_split_hostport(s, host, sizeof(host), &p) < 0 || p == 0 ||
	    inaddr_parse(host, ip) < 0 || (ip->af == AF_INET6 && !f->cfg->ipv6))
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

static void fwd_rule_freed_cb(uv_handle_t *h)
{
	free(h->data);
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
		fwd_udp_close_flows(f, r);
	if (r->unlink_on_close)
		unlink(r->local);
	ssh_tunnel_destroy(r->tun);
	f->cnt.rules--;
	if (r->guest)
		f->cnt.guest_rules--;
	if (r->has_handle)
		uv_close(&r->l.h, fwd_rule_freed_cb);
	else
		free(r);
}

unsigned int fwd_guest_rules_max(const struct fwd *f)
{
	struct stack_stats ss;
	uint64_t room;

	stack_get_stats(f->st, &ss);
	if (!ss.limits.nofile)
		return FWD_GUEST_RULES_MAX;
	/* half of the fds the NAT leaves to everything else */
	room = ss.limits.nofile / 4 < NAT_FD_HEADROOM_MIN
		       ? NAT_FD_HEADROOM_MIN
		       : ss.limits.nofile / 4;
	return room / 2 < FWD_GUEST_RULES_MAX ? (unsigned int)(room / 2)
					      : FWD_GUEST_RULES_MAX;
}

int fwd_expose(struct fwd *f, enum fwd_proto proto, const char *local,
	       const char *remote, char *err, size_t errlen)
{
	return fwd_expose_as(f, proto, local, remote, false, err, errlen);
}

int fwd_expose_as(struct fwd *f, enum fwd_proto proto, const char *local,
		  const char *remote, bool guest, char *err, size_t errlen)
{
	char lb[4 * 256], rb[4 * 512];
	struct fwd_rule *r;
	unsigned int cap;
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
	if (guest && f->cnt.guest_rules >= (cap = fwd_guest_rules_max(f))) {
		f->cnt.guest_refused++;
		snprintf(err, errlen,
			 "too many forwards from the VM (%u); unexpose one "
			 "first",
			 cap);
		log_rl("forwarder: an expose from the VM refused: %u "
		       "forwards from the VM already",
		       (unsigned int)f->cnt.guest_rules);
		return -ENOSPC;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->f = f;
	r->id = ++f->next_id;
	r->proto = proto;
	strcpy(r->local, local);
	strcpy(r->remote, remote);
	switch (proto) {
	case FWD_TCP:
	case FWD_UDP:
		if (fwd_parse_remote_ip(f, remote, &r->ip, &r->port) < 0) {
			snprintf(err, errlen, "invalid remote address %s",
				 remote);
			free(r);
			return -EINVAL;
		}
		e = proto == FWD_TCP ? fwd_listen_tcp(r, err, errlen)
				     : fwd_udp_listen(r, err, errlen);
		break;
	case FWD_UNIX:
	case FWD_NPIPE:
	default:
		/* a unix socket, or npipe:////./pipe/NAME (net/npipe.h:
		 * Windows only): an SSH tunnel or a relay to tcp://IP:port */
		if (!strncmp(remote, "ssh-tunnel://", 13)) {
			/* the rule owns the tunnel (forwarder/ssh_tunnel.h) */
			e = ssh_tunnel_create_url(f->loop, f, local, remote,
						  &r->tun, err, errlen);
			break;
		}
		if (strncmp(remote, "tcp://", 6) ||
		    fwd_parse_remote_ip(f, remote + 6, &r->ip, &r->port) < 0) {
			snprintf(err, errlen,
				 "invalid remote %s: expected tcp://IP:port",
				 remote);
			free(r);
			return -EINVAL;
		}
		e = proto == FWD_UNIX ? fwd_listen_unix(r, err, errlen)
				      : fwd_listen_npipe(r, err, errlen);
		break;
	}
	r->next = f->rules;
	f->rules = r;
	f->cnt.rules++;
	r->guest = guest;
	if (guest)
		f->cnt.guest_rules++;
	if (e < 0) {
		fwd_rule_close(f, r);
		return e;
	}
	log_info("forwarder: exposing %s %s -> %s", fwd_proto_name(proto),
		 log_escape(local, lb, sizeof(lb)),
		 log_escape(remote, rb, sizeof(rb)));
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
		 log_escape(local, lb, sizeof(lb)));
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
