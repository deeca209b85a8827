/*
 * fwd.h - host port forwards into the guest: one rule table shared by the
 * command line (-ssh-port, config file), the control API and the CLI.
 *
 * A rule is keyed by (protocol, local). Its listener lives on the host
 * (TCP "127.0.0.1:8080", ":8080" or "[::1]:8080"; UDP the same; unix a
 * socket path, mode 0600, where only a stale socket is ever replaced:
 * sockpath_claim()); every accepted connection is dialled into the
 * guest through the gateway's stack and spliced both ways. Callers inside
 * the VM may only manage tcp/udp rules (api_guest_may() in api.c).
 */
#ifndef QCW_FWD_H
#define QCW_FWD_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct fwd;
struct stack;
struct netcfg;

enum fwd_proto {
	FWD_TCP,
	FWD_UDP,
	FWD_UNIX,
	FWD_NPIPE,
};

struct fwd_counters {
	uint64_t rules;
	/* of them made through the in-VM API; its exposes refused at the cap */
	uint64_t guest_rules, guest_refused;
	uint64_t conns_open, conns_total, conns_refused;
	uint64_t bytes_in, bytes_out;
	/* UDP forwards: flows open, made, closed for a new client, and
	 * datagrams dropped for want of a flow */
	uint64_t udp_flows, udp_flows_total, udp_evicted, udp_dropped;
	/* the SSH tunnels on this forwarder (ssh_tunnel.c counts them) */
	uint64_t tun_up; /* sessions up now */
	uint64_t tun_sessions; /* sessions established */
	uint64_t tun_lost; /* established sessions lost (EOF, error, hung) */
	uint64_t tun_attempts_failed; /* connection attempts that failed */
	uint64_t tun_gave_up; /* cycles that spent all their attempts */
	uint64_t tun_open_retries; /* channel opens refused, retried */
};

struct fwd *fwd_create(uv_loop_t *loop, struct stack *st,
		       const struct netcfg *cfg);
/* fwd_destroy() - close all listeners and connections. NULL ok. */
void fwd_destroy(struct fwd *f);

/* "tcp" | "udp" | "unix" | "npipe" */
const char *fwd_proto_name(enum fwd_proto p);
/* fwd_proto_parse() - NULL or "" means tcp; -EINVAL otherwise unknown. */
int fwd_proto_parse(const char *s, enum fwd_proto *p);

/*
 * fwd_expose() - add a rule and start its listener.
 * @remote: "IP:port" for tcp/udp; for unix "tcp://IP:port" (or
 *          "ssh-tunnel://..." once SSH tunnels exist).
 * Return 0; -EEXIST with gvproxy's text "proxy already running for tcp on
 * :9090" in @err; -EINVAL for an unparsable local/remote (message in @err);
 * another -errno when the listener cannot be created (message in @err,
 * e.g. "listen tcp 127.0.0.1:8080: bind: address already in use").
 */
int fwd_expose(struct fwd *f, enum fwd_proto proto, const char *local,
	       const char *remote, char *err, size_t errlen);

/*
 * fwd_expose_as() - fwd_expose() for the host (@guest false) or the in-VM
 * API (@guest true): the VM's rules are at most fwd_guest_rules_max(),
 * beyond which -ENOSPC ("too many forwards from the VM") in @err.
 */
int fwd_expose_as(struct fwd *f, enum fwd_proto proto, const char *local,
		  const char *remote, bool guest, char *err, size_t errlen);
/*
 * fwd_guest_rules_max() - FWD_GUEST_RULES_MAX, or half of what the NAT
 * leaves of the fd limit when that is less (fd limit 1024: 128).
 */
unsigned int fwd_guest_rules_max(const struct fwd *f);

/* fwd_unexpose() - remove the rule and close its listener at once (open
 * connections of the rule end too). 0, or -ENOENT with "proxy not found". */
int fwd_unexpose(struct fwd *f, enum fwd_proto proto, const char *local,
		 char *err, size_t errlen);

/* fwd_foreach() - rules sorted by local, then protocol name. */
void fwd_foreach(struct fwd *f,
		 void (*fn)(void *arg, enum fwd_proto proto, const char *local,
			    const char *remote),
		 void *arg);

/*
 * fwd_splice_fd() - dial @ip:@port in the guest through the stack and
 * join it to the connected stream socket @fd (takes ownership of @fd;
 * it is closed when either side ends). Used by the API's /tunnel.
 * 0 or -errno (then @fd was closed).
 */
int fwd_splice_fd(struct fwd *f, int fd, uint32_t ip, uint16_t port);

const struct fwd_counters *fwd_counters(const struct fwd *f);
/* fwd_counters_rw() - the same, for the SSH tunnels to count in. */
struct fwd_counters *fwd_counters_rw(struct fwd *f);

#endif
