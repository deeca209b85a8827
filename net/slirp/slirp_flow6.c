/*
 * slirp_flow6.c - the flows the libslirp backend carries over IPv6 with
 * sockets of its own, beside libslirp (ping beyond the host alias:
 * slirp_ping6.c; UDP has a table of its own, slirp_udp.c). A flow is
 * one connected socket per (guest address, guest port or echo identifier,
 * destination, port) in a fixed table: the least recently used is closed
 * for a new one, idle ones by the sweep; what comes back goes to the
 * guest in one frame or, past the MTU, in fragments.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/slirp/slirp_priv.h"
#include "util/log.h"

#define LOG_SUBSYS LOG_SS_NAT

static void flow6_closed(uv_handle_t *h)
{
	struct slirp_flow6 *f = h->data;
	struct slirp_stack *st = f->st;

	close(f->fd);
	free(f);
	slirp_close_done(st);
}

static void flow6_close(struct slirp_stack *st, struct slirp_flow6_table *t,
			unsigned int i)
{
	struct slirp_flow6 *f = t->flow[i];

	t->flow[i] = NULL;
	t->cnt->flows_open--;
	st->pending++;
	uv_close((uv_handle_t *)&f->poll, flow6_closed);
}

void slirp_frame6_to_guest(struct slirp_stack *st, const uint8_t *frame,
			   size_t len, struct nat_proto_counters *cnt)
{
	if (len <= 14 + (size_t)st->cfg.mtu)
		sw_output_buf(st->env.sw, frame, len);
	else if (slirp_frag6_out(frame, len, st->cfg.mtu, st->frag6_id++,
				 st->cfg.gw_mac, slirp_emit, st) < 0)
		cnt->dropped++;
	st->sent = true;
}

struct slirp_flow6 *slirp_flow6_get(struct slirp_stack *st,
				    struct slirp_flow6_table *t,
				    const uint8_t *frame,
				    const struct slirp_flow6_key *k,
				    uv_poll_cb cb)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
	struct slirp_flow6 *f;
	unsigned int i, pick = t->max, old = t->max;
	int fd;

	for (i = 0; i < t->max; i++) {
		f = t->flow[i];
		if (!f) {
			if (pick == t->max)
				pick = i;
			continue;
		}
		if (!memcmp(&f->k, k, sizeof(*k))) {
			memcpy(f->mac, frame + 6, 6);
			f->used_ms = slirp_now(st);
			return f;
		}
		if (old == t->max || f->used_ms < t->flow[old]->used_ms)
			old = i;
	}
	if (pick == t->max) {
		flow6_close(st, t, old);
		(*t->evicted)++;
		pick = old;
	}
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    t->proto);
	if (fd < 0) {
		log_rl("stack slirp: %s: no socket%s: %s; dropped", t->what,
		       t->socket_hint, strerror(errno));
		return NULL;
	}
	/* the host alias is the host's own ::1 */
	if (!memcmp(k->dst6, st->cfg.host_alias6, 16))
		sa.sin6_addr = in6addr_loopback;
	else
		memcpy(&sa.sin6_addr, k->dst6, 16);
	sa.sin6_port = htons(k->dport);
	f = calloc(1, sizeof(*f));
	if (!f || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    uv_poll_init(st->env.loop, &f->poll, fd) < 0) {
		log_rl("stack slirp: %s of a host address: %s", t->what,
		       f ? strerror(errno) : "out of memory");
		free(f);
		close(fd);
		return NULL;
	}
	f->poll.data = f;
	f->st = st;
	f->fd = fd;
	f->k = *k;
	memcpy(f->mac, frame + 6, 6);
	f->used_ms = slirp_now(st);
	uv_poll_start(&f->poll, UV_READABLE, cb);
	t->flow[pick] = f;
	t->cnt->flows_open++;
	t->cnt->flows_total++;
	return f;
}

void slirp_poll_resume(uv_poll_t *p, int status, uv_poll_cb cb)
{
	if (status < 0)
		uv_poll_start(p, UV_READABLE, cb);
}

void slirp_flow6_sweep(struct slirp_stack *st, struct slirp_flow6_table *t,
		       bool all)
{
	uint64_t now = slirp_now(st);
	unsigned int i;

	for (i = 0; i < t->max; i++)
		if (t->flow[i] &&
		    (all || now - t->flow[i]->used_ms >= t->idle_ms))
			flow6_close(st, t, i);
}
