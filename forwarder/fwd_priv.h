/*
 * fwd_priv.h - state shared by the forwarder's files.
 */
#ifndef QCW_FWD_PRIV_H
#define QCW_FWD_PRIV_H

#include <stdbool.h>
#include <sys/socket.h>

#include "forwarder/fwd.h"
#include "net/nat_flow.h"
#include "net/netcfg.h"
#include "net/stack.h"

#define FWD_UDP_IDLE_MS 90000
/* forwards the VM may make through the in-VM API, at most (each holds a
 * host listener); fewer with a low fd limit: fwd_guest_rules_max() */
#define FWD_GUEST_RULES_MAX 1024
/* UDP flows of all forwards at once (each holds a gateway port) */
#define FWD_UDP_MAX_FLOWS 2048

struct fwd_rule;
struct fwd_udp_flow;
struct ssh_tunnel;

/* A host connection the stack carries into the guest (stack_tcp_dial). */
struct fwd_conn {
	struct fwd *f;
	struct fwd_rule *rule; /* NULL: a tunnel's or the API's /tunnel */
	struct fwd_conn *prev, *next;
	struct stack_conn *sc; /* valid until fwd_conn_closed() */
	struct inaddr ip;
	uint16_t port;
};

struct fwd_rule {
	struct fwd *f;
	struct fwd_rule *next;
	enum fwd_proto proto;
	char local[256];
	char remote[512];
	struct inaddr ip; /* guest target, IPv4 or IPv6 */
	uint16_t port;
	union {
		uv_handle_t h;
		uv_stream_t s;
		uv_tcp_t tcp;
		uv_pipe_t pipe;
		uv_udp_t udp;
	} l;
	bool has_handle;
	bool unlink_on_close;
	struct fwd_conn *conns;
	uint32_t id; /* in the UDP flows' keys */
	bool guest; /* made through the in-VM API */
	struct ssh_tunnel *tun; /* unix rule to an ssh-tunnel:// remote */
};

struct fwd {
	uv_loop_t *loop;
	struct stack *st;
	const struct netcfg *cfg;
	struct fwd_rule *rules;
	struct fwd_conn *loose; /* connections without a rule */
	uv_timer_t sweep;
	struct nat_table udp; /* the UDP forwards' flows (fwd_udp.c) */
	uint32_t next_id;
	struct fwd_counters cnt;
	bool dying, sweep_closed;
	uint8_t buf[65536];
};

int fwd_local_sockaddr(const char *local, struct sockaddr_storage *ss,
		       bool *any);
int fwd_bind_local(struct fwd_rule *r, bool udp, char *err, size_t errlen);
/* fwd_sock.c */
int fwd_listen_tcp(struct fwd_rule *r, char *err, size_t errlen);
int fwd_listen_unix(struct fwd_rule *r, char *err, size_t errlen);
void fwd_conn_close(struct fwd_conn *c, bool reset);
/* fwd_rule_splice_fd() - @fd (owned from here) to @r's guest target,
 * counted as @r's connection. 0 or -errno. */
int fwd_rule_splice_fd(struct fwd_rule *r, int fd);
/* fwd_npipe.c */
int fwd_listen_npipe(struct fwd_rule *r, char *err, size_t errlen);
/* fwd_maybe_free() - after fwd_destroy(), free once nothing refers to us. */
void fwd_maybe_free(struct fwd *f);
/* fwd_udp.c */
int fwd_udp_listen(struct fwd_rule *r, char *err, size_t errlen);
int fwd_udp_init(struct fwd *f);
void fwd_udp_close_flows(struct fwd *f, struct fwd_rule *r);
void fwd_udp_sweep_cb(uv_timer_t *t);

#endif
