/*
 * stack.h - the seam between qcw-net and a TCP/IP stack backend.
 *
 * Below the seam: a backend (net/lwip/: lwIP, the default; net/slirp/:
 * libslirp) that terminates the guest's IPv4 at the gateway, NATs the
 * guest's TCP, UDP and ping to host sockets, and offers the services
 * above a few primitives. Above it: the gateway's link layer
 * (gateway/gw_link.c: ARP for the virtual IPs, DHCP), the DNS server at
 * gateway:53, the in-VM API at gateway:80, port forwards and SSH tunnels.
 * Nothing above the seam sees a type of either stack.
 *
 * Frames: the gateway link hands the backend every frame it does not
 * answer itself (stack_input) and ends each batch (stack_batch_end); the
 * backend sends frames to the VM with sw_output*() on env->sw.
 *
 * Host streams: stack_tcp_dial() joins a host socket (any stream fd: TCP
 * or unix) to a new TCP connection from the gateway to a guest address;
 * stack_tcp_listen() hands each connection the guest opens to a gateway
 * port to its owner as a stream fd. Both take every byte both ways with
 * flow control and half-close, as the NAT does.
 *
 * Datagrams: stack_udp_open() is a UDP socket on the gateway's address.
 *
 * All calls run on the loop's thread; every function returns 0 or a
 * negative errno unless it says otherwise.
 */
#ifndef QCW_STACK_H
#define QCW_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "net/netcfg.h"
#include "net/switch.h"
#include "util/inaddr.h"

struct stack;
struct stack_conn;
struct stack_udp;

/* A clock in milliseconds; tests and fuzzers move time themselves. */
struct stack_clock {
	uint64_t (*now_ms)(void *arg);
	void *arg;
};

/* What a backend is created with (copied by the backend). */
struct stack_env {
	uv_loop_t *loop;
	struct sw *sw; /* the switch: frames to the VM */
	const struct netcfg *cfg;
	struct stack_clock clock; /* now_ms NULL: the loop's clock */
	size_t host_queue_max; /* bytes waiting for host sockets; 0: default */
	bool no_nat; /* nothing leaves the process (fuzzers): traffic for
			addresses beyond the gateway is dropped */
};

/* Counters of the stack itself (fields a backend has no use for stay 0). */
struct stack_counters {
	uint64_t to_stack; /* frames given to the backend's stack */
	uint64_t nat_in; /* packets for addresses beyond the gateway */
	uint64_t nomem_drops;
	/* too short for their ARP/IPv4 header, or IPv6 extension headers */
	uint64_t short_drops;
	uint64_t acks_coalesced; /* guest ACKs superseded within a batch */
	uint64_t ooseq_dumps; /* out-of-order queues dropped, global budget */
	uint64_t syn_evicted; /* half-open gateway connections dropped */
	uint64_t syn_cookies; /* SYN-ACKs with a cookie, backlog full */
	uint64_t syn_cookie_conns; /* connections a cookie's ACK opened */
	uint64_t tw_evicted; /* TIME_WAIT connections freed early */
	uint64_t tw_reused; /* TIME_WAIT freed for a new SYN of the same pair */
	uint64_t pcbs_active, pcbs_time_wait; /* connections, once a second */
	uint64_t arp_pins; /* DHCP leases pinned in the ARP table now */
	uint64_t arp_pin_refused; /* leases left unpinned: table share full */
	uint64_t arp_query_refused; /* packets dropped: too many ARP queries */
	uint64_t gw_refused; /* gateway connections reset past their cap */
	/* -keep-serving: a VM's gateway connection reset for another VM's */
	uint64_t gw_vm_evicted;
	uint64_t policy_drops; /* packets the backend may not forward */
};

struct nat_proto_counters {
	uint64_t flows_open, flows_total;
	uint64_t bytes_to_host, bytes_to_guest;
	uint64_t refused, dropped;
};

struct nat_counters {
	struct nat_proto_counters tcp, udp, icmp;
	uint64_t limit_hits; /* a SYN refused: all TCP flows in use */
	uint64_t half_open_evicted; /* oldest half-open connection reset */
	/* -keep-serving: a new flow refused, its VM holding its share */
	uint64_t vm_share_refused;
	/* -keep-serving: a flow of the VM holding the most closed for another's */
	uint64_t vm_share_evicted;
	uint64_t udp_evicted, icmp_evicted; /* oldest flow closed for a new */
	uint64_t bad_source; /* source not a guest address of the subnet */
	uint64_t blocked_loopback; /* to 127.0.0.0/8 or 0.0.0.0/8 */
	uint64_t
		blocked_link_local; /* 169.254/16 without -ec2-metadata-access */
};

/*
 * The NAT's bounds on host fds, from the fd limit (net/nat_limits.c):
 * all 0 when a backend enforces none of its own.
 */
struct nat_limits {
	uint64_t nofile; /* the fd limit they were derived from */
	unsigned int budget; /* fds the NAT may hold in all */
	unsigned int tcp, half_open, udp, icmp; /* each protocol's most */
	/* what each may always have however full the budget (lwIP's NAT) */
	unsigned int tcp_min, udp_min, icmp_min;
	bool clamped; /* -max-flows was above nofile - headroom */
};

/* Everything /stats and /metrics show of a backend. */
struct stack_stats {
	struct stack_counters stack;
	struct nat_counters nat;
	struct nat_limits limits;
	size_t rx_held; /* bytes of VM frames the stack holds */
	size_t host_queued; /* of those, queued for host sockets */
	uint64_t host_queue_refused; /* chains refused over the budget */
};

/*
 * What a connection of the stack tells its owner. @closed is called once,
 * when the connection and its host fd are gone: @err 0 after a connection,
 * -ECONNREFUSED when the guest refused (RST), -ETIMEDOUT when it never
 * answered. @bytes_to_guest/@bytes_to_host (may be NULL) are added to as
 * data moves.
 */
struct stack_conn_owner {
	void (*closed)(void *arg, int err);
	void *arg;
	uint64_t *bytes_to_guest, *bytes_to_host;
};

/*
 * stack_accept_fn - a guest connected to a gateway port: @fd is the
 * owner's end of a stream (close it to close the connection: the guest
 * then sees a FIN after the data written before), @peer the guest's
 * address (IPv4 or IPv6; af 0 when the backend cannot tell).
 */
typedef void (*stack_accept_fn)(void *arg, int fd, const struct inaddr *peer);

/* stack_udp_recv_fn - a datagram from @ip:@port in the guest. */
typedef void (*stack_udp_recv_fn)(void *arg, const uint8_t *data, size_t len,
				  const struct inaddr *ip, uint16_t port);

/* The operations of one backend (see the functions below). */
struct stack_backend {
	const char *name;
	const char *summary; /* one line for -help */
	struct stack *(*create)(const struct stack_env *env);
	void (*destroy)(struct stack *st);
	int (*prepare)(struct stack *st); /* NULL ok */
	void (*input)(struct stack *st, const uint8_t *frame, size_t len,
		      const struct sw_ref *keep);
	void (*batch_end)(struct stack *st);
	void (*lease)(struct stack *st, uint32_t ip, const uint8_t mac[6],
		      bool bound); /* NULL ok */
	int (*tcp_dial)(struct stack *st, int fd, const struct inaddr *ip,
			uint16_t port, const struct stack_conn_owner *owner,
			struct stack_conn **out);
	void (*conn_close)(struct stack *st, struct stack_conn *c, bool reset);
	int (*tcp_listen)(struct stack *st, uint16_t port,
			  unsigned int max_conns, stack_accept_fn cb,
			  void *arg);
	void (*tcp_unlisten)(struct stack *st, uint16_t port);
	struct stack_udp *(*udp_open)(struct stack *st, uint16_t port,
				      stack_udp_recv_fn cb, void *arg);
	int (*udp_send)(struct stack *st, struct stack_udp *u,
			const struct inaddr *ip, uint16_t port,
			const void *data, size_t len);
	void (*udp_close)(struct stack *st, struct stack_udp *u);
	void (*stats)(const struct stack *st, struct stack_stats *out);
};

/* Every backend's instance starts with this. */
struct stack {
	const struct stack_backend *be;
};

/* stack_backend_find() - the backend called @name (NULL: the default). */
const struct stack_backend *stack_backend_find(const char *name);
/* stack_backend_names() - "lwip, slirp": the backends of this build. */
const char *stack_backend_names(void);

/* stack_create() - a backend instance; NULL on error (logged). */
struct stack *stack_create(const struct stack_backend *be,
			   const struct stack_env *env);
/* stack_destroy() - close every connection; run the loop afterwards. */
void stack_destroy(struct stack *st);
const char *stack_name(const struct stack *st);

/* stack_prepare() - last step before privileges drop (raw sockets). */
int stack_prepare(struct stack *st);

/* stack_input() - a frame from the VM for the gateway (sw_ref: lent). */
static inline void stack_input(struct stack *st, const uint8_t *frame,
			       size_t len, const struct sw_ref *keep)
{
	st->be->input(st, frame, len, keep);
}

/* stack_batch_end() - the frames of one read from the VM are all in. */
static inline void stack_batch_end(struct stack *st)
{
	st->be->batch_end(st);
}

/* stack_lease() - DHCP bound (or released) @ip for @mac. */
void stack_lease(struct stack *st, uint32_t ip, const uint8_t mac[6],
		 bool bound);

/*
 * stack_tcp_dial() - connect from the gateway to @ip:@port in the guest
 * and join the connection to @fd, which the stack owns from now on (also
 * on error). *@out (may be NULL) stays valid until @owner->closed.
 * -EAFNOSUPPORT when the backend (or -ipv6=false) has no IPv6.
 */
int stack_tcp_dial(struct stack *st, int fd, const struct inaddr *ip,
		   uint16_t port, const struct stack_conn_owner *owner,
		   struct stack_conn **out);
/* stack_conn_close() - close (or reset) @c; @owner->closed follows. */
void stack_conn_close(struct stack *st, struct stack_conn *c, bool reset);

/*
 * stack_tcp_listen() - accept the guest's connections to the gateway's
 * @port (its IPv4 address, and its IPv6 ones when cfg->ipv6), at most @max_conns open at once (0: 32); past that a connection
 * is reset. Half-open connections are bounded by the backend.
 */
int stack_tcp_listen(struct stack *st, uint16_t port, unsigned int max_conns,
		     stack_accept_fn cb, void *arg);
/* stack_tcp_unlisten() - stop accepting on @port (open ones stay). */
void stack_tcp_unlisten(struct stack *st, uint16_t port);

/*
 * stack_udp_open() - a UDP socket on the gateway's @port (0: any), on
 * its IPv4 address and, when cfg->ipv6, its IPv6 ones.
 */
struct stack_udp *stack_udp_open(struct stack *st, uint16_t port,
				 stack_udp_recv_fn cb, void *arg);
/* stack_udp_send() - a datagram from it to @ip:@port in the guest. */
int stack_udp_send(struct stack *st, struct stack_udp *u,
		   const struct inaddr *ip, uint16_t port, const void *data,
		   size_t len);
void stack_udp_close(struct stack *st, struct stack_udp *u);

void stack_get_stats(const struct stack *st, struct stack_stats *out);

/* stack_env_now() - @env's clock in ms. */
static inline uint64_t stack_env_now(const struct stack_env *env)
{
	return env->clock.now_ms ? env->clock.now_ms(env->clock.arg)
				 : uv_now(env->loop);
}

#endif
