/*
 * slirp_priv.h - what the files of the libslirp backend share: the
 * instance, its fd table (one uv_poll_t per fd libslirp polls), gateway
 * listeners and dial targets. Not for use outside net/slirp/.
 *
 * Ownership: every handle belongs to the object it is embedded in and is
 * freed in its close callback; st->pending counts the close callbacks
 * still to come, and the instance is freed by the last one after
 * stack_destroy().
 */
#ifndef QCW_SLIRP_PRIV_H
#define QCW_SLIRP_PRIV_H

/* buckets of the gateway's UDP ports (forward flows, DNS, in-VM API) */
#define SLIRP_UDP_BUCKETS 256

#include <limits.h>
#include <slirp/libslirp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>
#include <uv.h>

#include "net/nat_flow.h"
#include "net/vm_share.h"
#include "net/netcfg.h"
#include "net/slirp/slirp_frames.h"
#include "net/slirp/slirp_hold.h"
#include "net/slirp/slirp_ooo.h"
#include "net/slirp/slirp_route6.h"
#include "net/stack.h"

struct slirp_stack;

#define SLIRP_PING6_MAX 32

/* A flow on a socket of the backend's own (slirp_flow6.c). */
struct slirp_flow6_key {
	uint8_t src6[16], dst6[16]; /* the guest's, its destination's */
	uint16_t sport, dport; /* ping: the guest's identifier, 0 */
};

struct slirp_flow6 {
	uv_poll_t poll;
	struct slirp_stack *st;
	int fd;
	struct slirp_flow6_key k;
	uint8_t mac[6]; /* the guest's */
	uint64_t used_ms;
};

struct slirp_flow6_table {
	struct slirp_flow6 **flow;
	unsigned int max;
	int proto; /* of the sockets: IPPROTO_ICMPV6 or 0 */
	uint64_t idle_ms;
	struct nat_proto_counters *cnt;
	uint64_t *evicted;
	const char *what, *socket_hint; /* for the log */
};

/* An fd libslirp polls (registered, or a listener it never registers). */
struct slirp_fd {
	uv_poll_t poll;
	struct slirp_stack *st;
	int fd;
	int events; /* UV_* the handle is started with now (0: stopped) */
	int want; /* UV_* asked by the current slirp_pollfds_fill() */
	int revents; /* SLIRP_POLL_* seen since the last slirp_pollfds_poll */
	unsigned int gen; /* the fill that last asked for it */
	uint16_t listen_port; /* its guest connection to a gateway port */
	bool gone; /* that connection's owner closed its end */
	uint8_t vm; /* the VM whose frame made libslirp open it; 0: none */
};

/* A guest's SYN to a gateway port, its handshake not completed yet. */
struct slirp_half {
	uint32_t ip, isn;
	uint16_t port;
	uint64_t ms; /* 0: a free slot */
};

/*
 * At most SLIRP_HALF_MAX half-open connections per gateway port: a SYN
 * past it resets the oldest inside libslirp (libslirp itself keeps each
 * for 75 s, with its buffers and a queued SYN-ACK, whatever their number).
 */
#define SLIRP_HALF_MAX 64
#define SLIRP_HALF_MS 75000

/* A gateway port the guest may connect to (stack_tcp_listen). */
#define SLIRP_PEER_RING 256
struct slirp_listener {
	struct slirp_listener *next;
	struct slirp_stack *st;
	uv_poll_t poll;
	int fd;
	uint16_t port;
	unsigned int max_conns, open;
	struct vm_hold vms; /* of open, each VM's (-keep-serving) */
	stack_accept_fn cb;
	void *arg;
	/* libslirp's connections to this socket, in accept order */
	struct {
		uint32_t ip;
		bool over; /* past max_conns (or its VM's share) when made */
	} ring[SLIRP_PEER_RING];
	unsigned int ring_head, ring_len;
	struct slirp_half half[SLIRP_HALF_MAX];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* A guest ip:port that host streams are dialled to (a hostxfwd). */
struct slirp_target {
	struct slirp_target *next;
	uint32_t ip;
	uint16_t port;
	unsigned int refusals; /* the guest's RSTs to a SYN, unclaimed */
	uint64_t arp_ms; /* when the gateway last asked for its MAC */
	uint64_t refusal_ms;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/*
 * A source's SYNs to the gateway's listeners that may still go to
 * libslirp (slirp_syn_admit): a bucket a completed handshake refills.
 */
struct slirp_syn_bucket {
	bool proven; /* a handshake of the source completed */
	uint8_t tokens;
	uint64_t ms; /* when it last grew by the rate */
};

struct slirp_mac {
	uint32_t ip;
	uint8_t mac[6];
	bool pinned; /* a lease, or an ARP answer: IPv4 sources cannot evict */
	struct slirp_syn_bucket bucket;
};

/*
 * Each SYN libslirp takes costs it a socket and two 128 KiB buffers
 * (mapped, and unmapped again when the half-open connection is reset;
 * about 3 ms under ASan): a source's SYNs to gateway ports whose
 * handshakes do not complete go to libslirp at most SLIRP_SYN_BURST at
 * once and SLIRP_SYN_RATE a second once one of its handshakes completed,
 * 2 and 1 a second before; each completed handshake gives its token back.
 */
#define SLIRP_SYN_BURST 32
#define SLIRP_SYN_RATE 8
#define SLIRP_SYN_BURST_NEW 2
#define SLIRP_SYN_RATE_NEW 1

/*
 * An IPv6 address of the guest with a stand-in IPv4 address for libslirp
 * (slirp_xl6.c): xl_base + its index.
 */
struct slirp_xl6 {
	uint8_t ip6[16];
	uint8_t mac[6];
	bool used;
	bool mac_known; /* else mac is not known yet (a dial's target) */
	unsigned int dials; /* dial targets (libslirp host forwards) */
	uint64_t used_ms;
	struct slirp_syn_bucket bucket;
};

#define SLIRP_XL6_SLOTS 16
#define SLIRP_MAC_SLOTS 256
#define SLIRP_MAC6_SLOTS 64 /* 16 sets of SLIRP_MAC6_WAYS */
#define SLIRP_MAC6_WAYS 4
#define SLIRP_PIN_RATE 16 /* addresses newly pinned a second, ARP and ND */

struct slirp_pollent {
	int fd;
	int events; /* SLIRP_POLL_* */
};

struct slirp_stack {
	struct stack base;
	struct stack_env env;
	struct netcfg cfg;
	Slirp *slirp;
	uv_prepare_t prep;
	uv_check_t check;
	uv_timer_t tick;
	unsigned int pending; /* close callbacks to come */
	bool destroying;

	/* fds by number, and the fill sets of this and the last iteration */
	struct slirp_fd **fds;
	size_t fds_cap;
	size_t nfds, nfds_peak; /* entries in it now, most since a trim */
	struct vm_hold vm_fds; /* of them, each VM's (slirp_fd.vm) */
	struct slirp_pollent *cur, *prev;
	size_t ncur, nprev, pcap;
	unsigned int gen; /* fills so far */
	bool filled, any_revents, sent, force_poll;
	uint64_t deadline_ms;

	struct slirp_timer *timers;
	/* the gateway's open UDP ports, hashed by port (stack_udp_open) */
	struct stack_udp *udps[SLIRP_UDP_BUCKETS];
	uint16_t udp_next_port;
	struct slirp_listener *listeners;
	uint8_t retired[65536 / 8]; /* ports whose guest forward stays */
	/* set while a guest segment to a listened port is in slirp_input */
	struct slirp_listener *cur_listener;
	uint32_t cur_src;
	uint16_t cur_sport;
	/* guests libslirp asked for, to be answered from the MAC table */
	uint32_t teach[64];
	unsigned int nteach;
	/* SYNs from addresses that have not answered ARP yet, held */
	struct slirp_hold held4;
	/* libslirp's ARP requests sent to the VMs: a token bucket */
	uint64_t arp_bucket_ms;
	unsigned int arp_tokens;
	struct slirp_target *targets;
	struct stack_conn *conns;
	unsigned int nconns;

	struct slirp_mac macs[SLIRP_MAC_SLOTS];
	/* the guest's IPv6 sources and their MACs, a slot per address hash;
	 * pinned: the guest spoke for the address in neighbour discovery */
	struct slirp_nb6 {
		uint8_t ip[16];
		uint8_t mac[6];
		bool pinned;
		uint32_t stamp; /* when last pinned, learned or used */
	} macs6[SLIRP_MAC6_SLOTS];
	uint32_t nb6_clock;
	/* addresses newly pinned by ARP or ND: a token bucket */
	uint64_t pin_ms;
	unsigned int pin_tokens;
	/* frames for libslirp from IPv6 addresses not pinned yet, held */
	struct slirp_hold held6;
	uint16_t ip_id;
	/* ping -6 beyond the host alias, on sockets of the backend's own
	 * (slirp_flow6.c, slirp_ping6.c) */
	struct slirp_flow6 *ping6_flow[SLIRP_PING6_MAX];
	struct slirp_flow6_table ping6;
	/* the guest's UDP beyond the gateway (slirp_udp.c) */
	struct nat_table udp;
	uint8_t *udp_rx; /* a datagram from the host, headers' room first */
	struct slirp_reasm reasm4, reasm6; /* the guest's fragments */
	struct slirp_ooo ooo; /* libslirp's out-of-order queues' budget */
	uint32_t frag6_id; /* of the fragments cut from libslirp's frames */
	uint64_t ping6_sweep_ms;
	struct slirp_xl6 xl6[SLIRP_XL6_SLOTS];
	uint32_t xl_base; /* the stand-ins' block, outside the subnet */
	unsigned int ndials6; /* dial targets with an IPv6 address */
	struct slirp_route6 route6; /* the host's routes, for guest UDP */
	uint8_t *xbuf; /* one frame, translated (buf_cap bytes) */
	uint8_t *ext6buf; /* a frame without its IPv6 extension headers */
	uint8_t *buf; /* one frame, for the replies built here */
	size_t buf_cap;
	char dir[80]; /* private: the unix sockets of listen/dial */

	struct stack_counters cnt;
	struct nat_counters nat;
	/*
	 * The fds libslirp's sockets may hold in all (nat_limits.h: the fd
	 * limit less a headroom for the API, listeners and DNS): past it a
	 * new flow of the guest is refused before libslirp sees it.
	 */
	struct nat_limits lim;
};

/*
 * slirp_per_second() - take one of @rate tokens a second (the bucket's
 * second started at *@ms, *@tokens left in it) at @now ms: false when
 * none is left
 */
static inline bool slirp_per_second(uint64_t now, uint64_t *ms,
				    unsigned int *tokens, unsigned int rate)
{
	if (now - *ms >= 1000) {
		*ms = now;
		*tokens = rate;
	}
	if (!*tokens)
		return false;
	(*tokens)--;
	return true;
}

/* slirp_now() - the env's clock in ms. */
static inline uint64_t slirp_now(const struct slirp_stack *st)
{
	return stack_env_now(&st->env);
}

/*
 * slirp_xl6_mac_known() - stand-in @ip is in use and its guest's MAC is
 * known (from its frames, or learnt since from its neighbour messages).
 */
bool slirp_xl6_mac_known(struct slirp_stack *st, uint32_t ip);

/* slirp_xl6_is() - @ip is in the stand-ins' block (used or not). */
static inline bool slirp_xl6_is(const struct slirp_stack *st, uint32_t ip)
{
	return ip - st->xl_base < SLIRP_XL6_SLOTS;
}

/* slirp_mac_known() - a frame from @ip was seen (its MAC is known). */
static inline bool slirp_mac_known(struct slirp_stack *st, uint32_t ip)
{
	if (slirp_xl6_is(st, ip))
		return slirp_xl6_mac_known(st, ip);
	return st->macs[(ip ^ ip >> 8) % SLIRP_MAC_SLOTS].ip == ip;
}

/* slirp_mac_pinned() - @ip had a lease or answered ARP (not made up). */
static inline bool slirp_mac_pinned(struct slirp_stack *st, uint32_t ip)
{
	const struct slirp_mac *m = &st->macs[(ip ^ ip >> 8) % SLIRP_MAC_SLOTS];

	if (slirp_xl6_is(st, ip))
		return slirp_xl6_mac_known(st, ip);
	return m->ip == ip && m->pinned;
}

/* In slirp_flow6.c: flows on the backend's own sockets (see there). */
/* slirp_flow6_get() - @k's flow in @t, or a new one polled by @cb (NULL:
 * none); its MAC and last use are @frame's and now */
struct slirp_flow6 *slirp_flow6_get(struct slirp_stack *st,
				    struct slirp_flow6_table *t,
				    const uint8_t *frame,
				    const struct slirp_flow6_key *k,
				    uv_poll_cb cb);
/* slirp_frame6_to_guest() - an IPv6 frame to the guest, in fragments
 * past the MTU (or @cnt's dropped counted) */
void slirp_frame6_to_guest(struct slirp_stack *st, const uint8_t *frame,
			   size_t len, struct nat_proto_counters *cnt);
/*
 * slirp_poll_resume() - from a poll callback of a connected datagram
 * socket, given its @status: a socket error (an ICMP error the host got
 * for the flow) stops the handle, which libuv reports as UV_EBADF; it
 * starts again (with @cb), and the callback's recv() takes the error, or
 * the flow's later datagrams were never read.
 */
void slirp_poll_resume(uv_poll_t *p, int status, uv_poll_cb cb);
/* slirp_flow6_sweep() - close @t's idle flows (@all: every flow). */
void slirp_flow6_sweep(struct slirp_stack *st, struct slirp_flow6_table *t,
		       bool all);
/* slirp_emit() - a frame in pieces to the guest (stack_slirp.c) */
void slirp_emit(void *arg, const struct iovec *iov, int iovcnt, size_t len);

/* In slirp_ping6.c: ping -6 beyond the host alias, by ping sockets. */
/* slirp_ping6_init() - its flow table of @st, empty */
void slirp_ping6_init(struct slirp_stack *st);
/* slirp_ping6_send() - the guest's echo request @p (of @frame) out. */
void slirp_ping6_send(struct slirp_stack *st, const uint8_t *frame,
		      const struct slirp_pkt *p);

/* In slirp_udp.c: the guest's UDP beyond the gateway, by sockets of its own. */
/* slirp_udp_init() - @st's UDP flow table, empty, bounded by st->lim.udp */
int slirp_udp_init(struct slirp_stack *st);
/* slirp_udp_send() - the guest's datagram @p (of @frame) out. */
void slirp_udp_send(struct slirp_stack *st, const uint8_t *frame,
		    const struct slirp_pkt *p);
/* slirp_udp_sweep() - close the idle flows (@all: every flow). */
void slirp_udp_sweep(struct slirp_stack *st, bool all);
/* slirp_udp_fini() - after slirp_udp_sweep(@st, true): the table freed */
void slirp_udp_fini(struct slirp_stack *st);

/* In slirp_xl6.c: the guest's IPv6 TCP through libslirp's IPv4 forwards. */
/* slirp_xl6_of() - the entry of stand-in @v4 (NULL: none). */
struct slirp_xl6 *slirp_xl6_of(struct slirp_stack *st, uint32_t v4);
/*
 * slirp_xl6_get() - the stand-in of @ip6 into *@v4, made if need be
 * (@mac: its MAC, NULL keeps the one known); -ENOSPC when every slot is
 * in use.
 */
int slirp_xl6_get(struct slirp_stack *st, const uint8_t ip6[16],
		  const uint8_t *mac, uint32_t *v4);
/*
 * slirp_xl6_in() - the guest's IPv6 TCP segment @p of @f as IPv4 from its
 * stand-in to @dst, in st->xbuf, described by @p4: the frame's length or
 * -errno (-ENOSPC: no slot).
 */
int slirp_xl6_in(struct slirp_stack *st, const uint8_t *f,
		 const struct slirp_pkt *p, uint32_t dst, struct slirp_pkt *p4);
/*
 * slirp_xl6_out() - libslirp's frame @f to a stand-in goes to the guest
 * as IPv6: true when it was one (sent or dropped), false otherwise.
 */
bool slirp_xl6_out(struct slirp_stack *st, const uint8_t *f, size_t len);

/*
 * slirp_syn_admit() - may the SYN of @ip (a pinned source) to a gateway
 * port go to libslirp? Takes a token of @ip's bucket; false: dropped.
 */
bool slirp_syn_admit(struct slirp_stack *st, uint32_t ip);
/* slirp_syn_done() - a handshake of @ip completed: its token back. */
void slirp_syn_done(struct slirp_stack *st, uint32_t ip);

/*
 * slirp_nd6.c: slirp_nd6_input() - the guest's IPv6 frame @f (@len bytes,
 * @p, verdict @v) as neighbour information: its source's MAC learned, a
 * neighbour message's address pinned (its held frames go on), a frame for
 * libslirp from an address not pinned held while the gateway asks for it
 * (true: the caller is done with @f).
 */
bool slirp_nd6_input(struct slirp_stack *st, const uint8_t *f, size_t len,
		     const struct slirp_pkt *p, enum slirp_verdict v);
/* slirp_guest_frame() - @f taken again as a frame from the guest of @st
 * (a slirp_frame_fn) */
void slirp_guest_frame(void *st, const uint8_t *f, size_t len);
/* slirp_arp_token() - may the gateway ask the VMs for an address now? */
bool slirp_arp_token(struct slirp_stack *st);

/*
 * slirp_pin_token() - may one more address the guest spoke for in ARP or
 * neighbour discovery be pinned now? (counted and logged when not)
 */
bool slirp_pin_token(struct slirp_stack *st);
/* slirp_mac6_find() - the MAC last seen from @ip: false when none. */
bool slirp_mac6_find(struct slirp_stack *st, const uint8_t ip[16],
		     uint8_t mac[6]);

/*
 * slirp_arp_query() - ask the guests who has @ip (from the gateway): a
 * stand-in's IPv6 address by a neighbour solicitation.
 */
void slirp_arp_query(struct slirp_stack *st, uint32_t ip);

/*
 * slirp_input_vm() - the VM (switch port id + 1) whose frame the backend
 * is taking now; 0 outside a frame's input.
 */
uint8_t slirp_input_vm(const struct slirp_stack *st);
/* slirp_close_done() - one close callback of @st's came. */
void slirp_close_done(struct slirp_stack *st);

/* In slirp_conn.c: gateway listeners, dials and their relays. */
int slirp_tcp_listen(struct stack *s, uint16_t port, unsigned int max_conns,
		     stack_accept_fn cb, void *arg);
void slirp_tcp_unlisten(struct stack *s, uint16_t port);
struct slirp_listener *slirp_listener_find(struct slirp_stack *st,
					   uint16_t port);
/* slirp_listener_conn() - libslirp connected to @l for @ip:@port. */
void slirp_listener_conn(struct slirp_listener *l, uint32_t ip, uint16_t port);
/*
 * slirp_half_segment() - the guest's segment @p (to @l's port) before it
 * goes to libslirp: a new SYN takes a half-open slot (resetting the
 * oldest inside libslirp when all are taken), a RST or FIN frees one.
 */
void slirp_half_segment(struct slirp_listener *l, const struct slirp_pkt *p,
			const uint8_t *frame);
/* slirp_half_known() - @p's connection to @l is half-open (a SYN again). */
bool slirp_half_known(struct slirp_listener *l, const struct slirp_pkt *p);
/* slirp_teach() - tell libslirp the MAC of @ip if the table knows it. */
bool slirp_teach(struct slirp_stack *st, uint32_t ip);
int slirp_tcp_dial(struct stack *s, int fd, const struct inaddr *ip,
		   uint16_t port, const struct stack_conn_owner *owner,
		   struct stack_conn **out);
void slirp_conn_close(struct stack *s, struct stack_conn *c, bool reset);
/* slirp_target_known() - a dial target @ip:@port exists. */
bool slirp_target_known(struct slirp_stack *st, uint32_t ip, uint16_t port);
/* slirp_guest_rst() - the guest answered a SYN from @ip:@port by RST. */
void slirp_guest_rst(struct slirp_stack *st, uint32_t ip, uint16_t port);
/*
 * slirp_conn_retry() - move on the dials waiting for their guest's MAC
 * or for room in the forward's backlog: the ms until it wants to run
 * again, UINT32_MAX when nothing waits.
 */
uint32_t slirp_conn_retry(struct slirp_stack *st);
/* slirp_conn_shutdown() - close every listener, relay and target. */
void slirp_conn_shutdown(struct slirp_stack *st);

#endif
