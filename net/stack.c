/*
 * stack.c - the backends of the stack seam, by name, and the calls that
 * dispatch to the one in use (see stack.h).
 */
#include "net/stack.h"

#include <errno.h>
#include <string.h>

#include "net/lwip/stack_lwip.h"
#include "qcw_config.h"
#if QCW_HAVE_SLIRP
#include "net/slirp/stack_slirp.h"
#endif
#define LOG_SUBSYS LOG_SS_STACK
#include "util/log.h"

static const struct stack_backend *const stack_backends[] = {
	&stack_lwip_backend,
#if QCW_HAVE_SLIRP
	&stack_slirp_backend,
#endif
};

#define STACK_NBACKENDS (sizeof(stack_backends) / sizeof(stack_backends[0]))

const struct stack_backend *stack_backend_find(const char *name)
{
	size_t i;

	if (!name || !*name)
		return stack_backends[0];
	for (i = 0; i < STACK_NBACKENDS; i++)
		if (!strcmp(stack_backends[i]->name, name))
			return stack_backends[i];
	return NULL;
}

const char *stack_backend_names(void)
{
#if QCW_HAVE_SLIRP
	return "lwip, slirp";
#else
	return "lwip";
#endif
}

struct stack *stack_create(const struct stack_backend *be,
			   const struct stack_env *env)
{
	struct stack *st = be->create(env);

	if (st)
		log_info("stack: %s", be->summary);
	return st;
}

void stack_destroy(struct stack *st)
{
	if (st)
		st->be->destroy(st);
}

const char *stack_name(const struct stack *st)
{
	return st->be->name;
}

int stack_prepare(struct stack *st)
{
	return st->be->prepare ? st->be->prepare(st) : 0;
}

void stack_lease(struct stack *st, uint32_t ip, const uint8_t mac[6],
		 bool bound)
{
	if (st->be->lease)
		st->be->lease(st, ip, mac, bound);
}

int stack_tcp_dial(struct stack *st, int fd, const struct inaddr *ip,
		   uint16_t port, const struct stack_conn_owner *owner,
		   struct stack_conn **out)
{
	return st->be->tcp_dial(st, fd, ip, port, owner, out);
}

void stack_conn_close(struct stack *st, struct stack_conn *c, bool reset)
{
	st->be->conn_close(st, c, reset);
}

int stack_tcp_listen(struct stack *st, uint16_t port, unsigned int max_conns,
		     stack_accept_fn cb, void *arg)
{
	return st->be->tcp_listen(st, port, max_conns, cb, arg);
}

void stack_tcp_unlisten(struct stack *st, uint16_t port)
{
	st->be->tcp_unlisten(st, port);
}

struct stack_udp *stack_udp_open(struct stack *st, uint16_t port,
				 stack_udp_recv_fn cb, void *arg)
{
	return st->be->udp_open(st, port, cb, arg);
}

int stack_udp_send(struct stack *st, struct stack_udp *u,
		   const struct inaddr *ip, uint16_t port, const void *data,
		   size_t len)
{
	return st->be->udp_send(st, u, ip, port, data, len);
}

void stack_udp_close(struct stack *st, struct stack_udp *u)
{
	if (u)
		st->be->udp_close(st, u);
}

void stack_get_stats(const struct stack *st, struct stack_stats *out)
{
	st->be->stats(st, out);
}
