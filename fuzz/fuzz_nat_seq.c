/*
 * fuzz_nat_seq.c - libFuzzer target for the gateway as cmd/daemon.c wires
 * it: switch, lwIP stack, DHCP, the NAT, the forwarder, the DNS service at
 * gateway:53 (UDP and TCP) and the in-VM API at gateway:80, driven by
 * SEQUENCES of frames. An input is a small program (see enum fz_op): open
 * and drive TCP connections (the fuzzer tracks sequence numbers from the
 * frames the stack sends back, so the frames pass lwIP), UDP, ICMP echo,
 * DNS queries, moving lwIP's clock, running the loop, raw frames, and a
 * REPEAT that runs the next op up to 65535 times (floods). An input ends
 * after QCW_FUZZ_BUDGET (131072) frames and loop runs, so that the CPU
 * bound below holds for any input of a well-behaved gateway.
 *
 * Safety: the NAT opens real host sockets, so the first input moves the
 * process into a network namespace of its own (fuzz_netns.c; a user
 * namespace too when not root) with only "lo" up: every NAT destination
 * but the host alias (-> 127.0.0.1) fails at once with ENETUNREACH, which
 * is checked before anything runs; the target traps when it cannot get
 * there. A child process in the same namespace serves 127.0.0.1:7007 (TCP
 * and UDP echo) and 127.0.0.1:7009 (TCP, accepts and never reads), so
 * flows to the host alias go somewhere. The in-VM API can expose
 * forwards and (before issue 11's fix) touch host files, so guest bytes
 * never reach it: connections to gateway:80 carry only the fixed requests
 * of fz_http[], and raw frames that could be TCP to gateway:80 are
 * dropped (IPv6: any TCP, fragment or extension header to the gateway's
 * IPv6 addresses, where the API listens too).
 *
 * Invariants after each input (issue 11, findings 1, 3, 4, 5): the
 * process is alive (1); open fds stay below RLIMIT_NOFILE (512 here)
 * minus QCW_FUZZ_FD_HEADROOM (16) (3); the heap stays within
 * QCW_FUZZ_MEM_MB (96) of its size at start-up (4); one input costs at
 * most QCW_FUZZ_CPU_MS (10000) of CPU, and lwIP holds fewer than
 * QCW_FUZZ_PCBS (4096) connections (5; libFuzzer's -timeout catches a
 * hang). State carries over between inputs (lwIP is a singleton), as it
 * does over a VM's life.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <uv.h>

#if defined(__SANITIZE_ADDRESS__)
#define FZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
#endif
#endif
#ifdef FZ_ASAN
/* the allocator's own count (mallinfo2() sees nothing under ASan); in
 * both GCC's and clang's runtime, whose headers GCC does not ship */
size_t __sanitizer_get_current_allocated_bytes(void);
#else
#include <malloc.h>
#endif

#include "dhcp/dhcp_server.h"
#include "dns/dns_server.h"
#include "api/api.h"
#include "forwarder/fwd.h"
#include "gateway/gw_dns.h"
#include "util/log.h"
#include "gateway/gw_link.h"
#include "net/netcfg.h"
#include "net/pkt.h"
#include "net/stack.h"
#include "net/switch.h"

#include "fuzz_netns.h"
#include "fuzz.h"

#define FZ_NOFILE 512
#define FZ_CONNS 16
#define FZ_ECHO_PORT 7007
#define FZ_SINK_PORT 7009
#define FZ_FRAME_MAX 1514
#define FZ_MSS 1460
#define FZ_INFLIGHT (4u << 20) /* the stack's window */

const char *__lsan_default_options(void);

/* lwIP keeps reassembly pointers unaligned (see fuzz_stack.c) */
const char *__lsan_default_options(void)
{
	return "use_unaligned=1";
}

enum fz_op {
	FZ_SYN, /* conn src dst port win: a new connection (SYN) */
	FZ_ACK, /* conn win: acknowledge all the stack sent */
	FZ_DATA, /* conn kind len: a segment (pattern, DNS, input bytes) */
	FZ_FIN, /* conn */
	FZ_RST, /* conn */
	FZ_OOO, /* conn gap: 1 byte beyond a hole (out of order) */
	FZ_UDP, /* src dst port len sport: a datagram, maybe empty */
	FZ_ICMP, /* src dst id len: echo request */
	FZ_DNS_UDP, /* src name type sport: a query to gateway:53 */
	FZ_CLOCK, /* ms/16 (2 bytes): lwIP's clock moves forward */
	FZ_LOOP, /* n: run the loop n times without waiting */
	FZ_RAW, /* len (2 bytes) bytes: any frame (filtered, see top) */
	FZ_REPEAT, /* count (2 bytes): run the next op count times */
	FZ_CONNECT, /* conn src dst port: SYN, loop until SYN-ACK, ACK */
	FZ_HTTP, /* conn req: one of fz_http[] */
	FZ_NOP,
	FZ_N_OPS
};

struct fz_conn {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t snd_nxt; /* ours */
	uint32_t rcv_nxt; /* the stack's, as seen in its frames */
	uint32_t acked; /* the stack's last acknowledgement */
	uint16_t win;
	bool used, synack;
};

struct fz_in {
	const uint8_t *p;
	size_t len, off;
};

struct fz {
	uv_loop_t loop;
	struct netcfg cfg;
	struct sw *sw;
	struct stack *st;
	struct gw_link *link;
	struct dhcp_server *dhcp;
	uint64_t clock_skew; /* FZ_CLOCK: the stack's clock runs ahead */
	struct fwd *fwd;
	struct dns_server *dns;
	struct gw_dns *gw_dns;
	struct api *api;
	struct sw_port port;
	struct fz_conn conn[FZ_CONNS];
	uint32_t arp_q[8];
	unsigned int n_arp;
	uint16_t ip_id;
	unsigned int rep; /* iteration of the REPEAT in progress */
	size_t mem_base;
	long fd_max, mem_max_mb, cpu_max_ms, pcb_max, verbose;
	long budget, left; /* frames and loop runs per input */
	uint8_t frame[2048]; /* room for a segment built behind a header */
	uint64_t sum;
};

static const uint32_t fz_src[4] = {
	0xc0a87f02, /* the guest, 192.168.127.2 */
	0xc0a87f03, /* spoofed neighbours */
	0xc0a87f4d, 0x0a630001, /* spoofed, outside the subnet */
};

static const uint32_t fz_dst[8] = {
	0xc0a87ffe, /* host alias -> 127.0.0.1 */
	0xc0a87f01, /* gateway */
	0xc0000201, /* TEST-NET-1 (unreachable in the namespace) */
	0xc6336407, /* TEST-NET-2 */
	0x7f000001, /* 127.0.0.1, directly */
	0xa9fea9fe, /* link-local metadata (blocked) */
	0xc0a87fff, /* subnet broadcast */
	0xcb007101, /* TEST-NET-3 */
};

static const uint16_t fz_port[8] = {
	53, 80, FZ_ECHO_PORT, FZ_SINK_PORT, 22, 443, 1, 65535,
};

static const uint16_t fz_len[8] = {0, 1, 2, 13, 64, 512, 1024, FZ_MSS};

static const char *const fz_names[6] = {
	"gateway.containers.internal",
	"host.docker.internal",
	"host.containers.internal",
	"example.invalid",
	"a",
	"",
};

static const uint16_t fz_qtypes[6] = {1, 28, 15, 16, 255, 33};

/* the only bytes that reach the in-VM API (see the top) */
static const char *const fz_http[8] = {
	"GET /stats HTTP/1.1\r\nHost: 192.168.127.1\r\n\r\n",
	"GET /services/forwarder/all HTTP/1.1\r\nHost: x\r\n\r\n",
	("POST /services/forwarder/expose HTTP/1.1\r\nHost: x\r\n"
	 "Content-Length: 46\r\n\r\n"
	 "{\"local\":\":18080\",\"remote\":\"192.168.127.2:80\"}"),
	("POST /services/forwarder/unexpose HTTP/1.1\r\nHost: x\r\n"
	 "Content-Length: 18\r\n\r\n{\"local\":\":18080\"}"),
	"GET /stats HTTP/1.1\r\nHost: x\r\n", /* never finished */
	"GET / HTTP/1.0\r\n\r\n",
	"GET /services/forwarder/all HTTP/1.1\r\nConnection: close\r\n\r\n",
	"X",
};

static struct fz *fz_the;

/* ---- reading the program ---- */

static unsigned int fz_u8(struct fz_in *in)
{
	return in->off < in->len ? in->p[in->off++] : 0;
}

static unsigned int fz_u16(struct fz_in *in)
{
	unsigned int v = fz_u8(in);

	return v | fz_u8(in) << 8;
}

/* ---- what the stack sends to the guest ---- */

static struct fz_conn *fz_find(struct fz *e, uint32_t src, uint32_t dst,
			       uint16_t sport, uint16_t dport)
{
	unsigned int i;

	for (i = 0; i < FZ_CONNS; i++) {
		struct fz_conn *c = &e->conn[i];

		if (c->used && c->dst == src && c->src == dst &&
		    c->dport == sport && c->sport == dport)
			return c;
	}
	return NULL;
}

/* fz_seen() - note ARP requests and the TCP sequence the stack is at. */
static void fz_seen(struct fz *e, const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14, *tcp;
	size_t ihl, tot, doff, dlen;
	struct fz_conn *c;
	uint32_t seq, end;

	if (len >= 42 && be16_get(f + 12) == ETHTYPE_ARP_ &&
	    be16_get(f + 20) == 1) {
		if (e->n_arp < 8)
			e->arp_q[e->n_arp++] = be32_get(f + 38);
		return;
	}
	if (len < 34 || be16_get(f + 12) != ETHTYPE_IP4 || ip[9] != 6)
		return;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = be16_get(ip + 2);
	if (ihl < 20 || tot > len - 14 || tot < ihl + 20)
		return;
	tcp = ip + ihl;
	doff = (size_t)(tcp[12] >> 4) * 4;
	if (doff < 20 || tot < ihl + doff)
		return;
	c = fz_find(e, be32_get(ip + 12), be32_get(ip + 16), be16_get(tcp),
		    be16_get(tcp + 2));
	if (!c)
		return;
	seq = be32_get(tcp + 4);
	dlen = tot - ihl - doff;
	if ((tcp[13] & 0x10) && (int32_t)(be32_get(tcp + 8) - c->acked) > 0)
		c->acked = be32_get(tcp + 8);
	if (tcp[13] & 0x02) { /* SYN-ACK */
		c->rcv_nxt = seq + 1;
		c->synack = true;
		return;
	}
	end = seq + (uint32_t)dlen + (tcp[13] & 0x01);
	if ((int32_t)(end - c->rcv_nxt) > 0)
		c->rcv_nxt = end;
}

/* fz_port_send() - a frame for the guest: touch every byte, note it. */
static int fz_port_send(struct sw_port *port, const struct iovec *iov,
			int iovcnt, size_t len)
{
	struct fz *e = fz_the;
	uint8_t head[FZ_FRAME_MAX];
	size_t off = 0, i;
	int k;

	(void)port;
	CHECK(iovcnt > 0);
	for (k = 0; k < iovcnt; k++) {
		const uint8_t *b = iov[k].iov_base;

		for (i = 0; i < iov[k].iov_len; i++) {
			e->sum += b[i];
			if (off < sizeof(head))
				head[off] = b[i];
			off++;
		}
	}
	CHECK(off == len);
	CHECK(len >= 14 && len <= 14 + 65535);
	fz_seen(e, head, len < sizeof(head) ? len : sizeof(head));
	return 0;
}

static const struct sw_port_ops fz_port_ops = {.send = fz_port_send};

/* ---- building frames from the guest ---- */

static void fz_input(struct fz *e, const uint8_t *f, size_t len)
{
	e->left--;
	sw_input(&e->port, f, len);
}

static void fz_arp_reply(struct fz *e, uint32_t ip)
{
	uint8_t *f = e->frame;

	memcpy(f, e->cfg.gw_mac, 6);
	memcpy(f + 6, e->cfg.device_mac, 6);
	be16_put(f + 12, ETHTYPE_ARP_);
	be16_put(f + 14, 1);
	be16_put(f + 16, ETHTYPE_IP4);
	f[18] = 6;
	f[19] = 4;
	be16_put(f + 20, 2);
	memcpy(f + 22, e->cfg.device_mac, 6);
	be32_put(f + 28, ip);
	memcpy(f + 32, e->cfg.gw_mac, 6);
	be32_put(f + 38, e->cfg.gateway);
	fz_input(e, f, 42);
}

/* fz_arp_flush() - answer the stack's ARP requests, as the guest would */
static void fz_arp_flush(struct fz *e)
{
	uint32_t q[8];
	unsigned int n = e->n_arp, i;

	memcpy(q, e->arp_q, sizeof(q));
	e->n_arp = 0;
	for (i = 0; i < n; i++)
		fz_arp_reply(e, q[i]);
}

/*
 * fz_ip4() - Ethernet + IPv4 header for @l4len bytes already at
 * frame + 34; returns the frame length.
 */
static size_t fz_ip4(struct fz *e, uint32_t src, uint32_t dst, uint8_t proto,
		     size_t l4len)
{
	uint8_t *f = e->frame, *ip = f + 14;

	memcpy(f, e->cfg.gw_mac, 6);
	memcpy(f + 6, e->cfg.device_mac, 6);
	be16_put(f + 12, ETHTYPE_IP4);
	ip[0] = 0x45;
	ip[1] = 0;
	be16_put(ip + 2, (uint16_t)(20 + l4len));
	be16_put(ip + 4, e->ip_id++);
	be16_put(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = proto;
	be16_put(ip + 10, 0);
	be32_put(ip + 12, src);
	be32_put(ip + 16, dst);
	be16_put(ip + 10, pkt_csum(ip, 20, 0));
	return 34 + l4len;
}

/* fz_l4_csum() - the TCP/UDP checksum over the pseudo header. */
static uint16_t fz_l4_csum(uint32_t src, uint32_t dst, uint8_t proto,
			   const uint8_t *l4, size_t len)
{
	uint32_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) +
		       (dst & 0xffff) + proto + (uint32_t)len;

	return pkt_csum(l4, len, sum);
}

static void fz_tcp(struct fz *e, struct fz_conn *c, uint32_t seq, uint8_t flags,
		   const uint8_t *data, size_t dlen)
{
	uint8_t *tcp = e->frame + 34;
	size_t hl = flags & 0x02 ? 28 : 20;

	if (dlen > FZ_MSS)
		dlen = FZ_MSS;
	be16_put(tcp, c->sport);
	be16_put(tcp + 2, c->dport);
	be32_put(tcp + 4, seq);
	be32_put(tcp + 8, flags & 0x10 ? c->rcv_nxt : 0);
	tcp[12] = (uint8_t)(hl / 4) << 4;
	tcp[13] = flags;
	be16_put(tcp + 14, c->win);
	be16_put(tcp + 16, 0);
	be16_put(tcp + 18, 0);
	if (hl == 28) { /* MSS; window scaling (ours 0, the stack's 4 MiB) */
		tcp[20] = 2;
		tcp[21] = 4;
		be16_put(tcp + 22, FZ_MSS);
		tcp[24] = 1;
		tcp[25] = 3;
		tcp[26] = 3;
		tcp[27] = 0;
	}
	if (dlen)
		memmove(tcp + hl, data, dlen);
	be16_put(tcp + 16, fz_l4_csum(c->src, c->dst, 6, tcp, hl + dlen));
	fz_input(e, e->frame, fz_ip4(e, c->src, c->dst, 6, hl + dlen));
}

static void fz_udp(struct fz *e, uint32_t src, uint32_t dst, uint16_t sport,
		   uint16_t dport, size_t dlen)
{
	uint8_t *udp = e->frame + 34;
	uint16_t sum;

	be16_put(udp, sport);
	be16_put(udp + 2, dport);
	be16_put(udp + 4, (uint16_t)(8 + dlen));
	be16_put(udp + 6, 0);
	sum = fz_l4_csum(src, dst, 17, udp, 8 + dlen);
	be16_put(udp + 6, sum ? sum : 0xffff);
	fz_input(e, e->frame, fz_ip4(e, src, dst, 17, 8 + dlen));
}

/* fz_dns_query() - a query at @out; returns its length (<= 80). */
static size_t fz_dns_query(uint8_t *out, unsigned int name, unsigned int type,
			   uint16_t id)
{
	const char *n = fz_names[name % 6], *dot;
	size_t off = 12;

	memset(out, 0, 12);
	be16_put(out, id);
	be16_put(out + 2, 0x0100);
	be16_put(out + 4, 1);
	while (*n) {
		size_t l;

		dot = strchr(n, '.');
		l = dot ? (size_t)(dot - n) : strlen(n);
		out[off++] = (uint8_t)l;
		memcpy(out + off, n, l);
		off += l;
		n += l + (dot ? 1 : 0);
	}
	out[off++] = 0;
	be16_put(out + off, fz_qtypes[type % 6]);
	be16_put(out + off + 2, 1);
	return off + 4;
}

/*
 * fz_raw_ok() - false for a frame lwIP could take as TCP to the gateway's
 * port 80 (or a fragment of one): the in-VM API gets no guest bytes.
 */
static bool fz_raw_ok(const struct fz *e, const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14;
	size_t ihl;

	/* IPv6 to the gateway's own addresses: UDP and ICMPv6 only (no TCP,
	 * no fragments or extension headers that could hide TCP to :80) */
	if (len >= 54 && be16_get(f + 12) == 0x86dd)
		return !netcfg_is_gw6(&e->cfg, ip + 24) || ip[6] == 17 ||
		       ip[6] == 58;
	if (len < 34 || be16_get(f + 12) != ETHTYPE_IP4 || ip[9] != 6)
		return true;
	if (be32_get(ip + 16) != e->cfg.gateway)
		return true;
	ihl = (size_t)(ip[0] & 15) * 4;
	if (be16_get(ip + 6) & 0x3fff)
		return false; /* a fragment */
	if (ihl < 20 || len < 14 + ihl + 4)
		return true;
	return be16_get(ip + ihl + 2) != 80;
}

static bool fz_to_api(const struct fz *e, const struct fz_conn *c)
{
	return c->dst == e->cfg.gateway && c->dport == 80;
}

/* ---- the ops ---- */

static void fz_loop(struct fz *e, unsigned int n)
{
	while (n--) {
		e->left--;
		uv_run(&e->loop, UV_RUN_NOWAIT);
		fz_arp_flush(e);
	}
}

static void fz_syn(struct fz *e, struct fz_conn *c, unsigned int s,
		   unsigned int d, unsigned int p, unsigned int base)
{
	memset(c, 0, sizeof(*c));
	c->used = true;
	c->src = fz_src[s % 4];
	c->dst = fz_dst[d % 8];
	c->dport = fz_port[p % 8];
	c->sport = (uint16_t)(1024 + (base << 6) + e->rep);
	c->snd_nxt = 0x10000000u + (base << 20) + e->rep * 977u;
	c->win = 0xffff;
	fz_tcp(e, c, c->snd_nxt, 0x02, NULL, 0);
	c->snd_nxt++;
	c->acked = c->snd_nxt;
}

static void fz_data(struct fz *e, struct fz_conn *c, unsigned int kind,
		    unsigned int len, struct fz_in *in)
{
	uint8_t *d = e->frame + 34 + 24; /* fz_tcp moves it behind the header */
	size_t n = fz_len[len % 8], off = 0;

	if (!c->used)
		return;
	if (c->snd_nxt - c->acked > FZ_INFLIGHT) {
		/* a window's worth unacknowledged: wait, then go back to it */
		fz_loop(e, 2);
		if (c->snd_nxt - c->acked > FZ_INFLIGHT)
			c->snd_nxt = c->acked;
	}
	if (fz_to_api(e, c)) {
		const char *r = fz_http[kind % 8];

		n = strlen(r);
		memcpy(d, r, n);
	} else if (kind % 3 == 1) { /* DNS over TCP, as many as fit */
		while (off + 2 + 80 <= (n < 82 ? 82 : n)) {
			/* name and type from @kind: 1 is gateway.<zone> A */
			size_t q = fz_dns_query(d + off + 2, kind >> 2,
						kind >> 5, (uint16_t)off);

			be16_put(d + off, (uint16_t)q);
			off += 2 + q;
		}
		n = off;
	} else if (kind % 3 == 2) { /* the input's bytes */
		if (n > in->len - in->off)
			n = in->len - in->off;
		memcpy(d, in->p + in->off, n);
		in->off += n;
	} else {
		memset(d, 'a' + (int)(e->rep % 26), n);
	}
	fz_tcp(e, c, c->snd_nxt, 0x18, d, n);
	c->snd_nxt += (uint32_t)n;
}

static void fz_op(struct fz *e, unsigned int op, struct fz_in *in)
{
	uint8_t *pl = e->frame + 34 + 8;
	unsigned int a, b, c, d, x;
	struct fz_conn *k;

	switch (op) {
	case FZ_SYN:
		a = fz_u8(in);
		b = fz_u8(in);
		c = fz_u8(in);
		d = fz_u8(in);
		k = &e->conn[a % FZ_CONNS];
		fz_syn(e, k, b, c, d, a % FZ_CONNS);
		k->win = (uint16_t)(fz_u8(in) << 8 | 0xff);
		break;
	case FZ_ACK:
		k = &e->conn[fz_u8(in) % FZ_CONNS];
		x = fz_u8(in);
		if (k->used) {
			k->win = (uint16_t)(x << 8 | (x ? 0xff : 0));
			fz_tcp(e, k, k->snd_nxt, 0x10, NULL, 0);
		}
		break;
	case FZ_DATA:
		k = &e->conn[fz_u8(in) % FZ_CONNS];
		a = fz_u8(in);
		fz_data(e, k, a, fz_u8(in), in);
		break;
	case FZ_FIN:
	case FZ_RST:
		k = &e->conn[fz_u8(in) % FZ_CONNS];
		if (k->used) {
			fz_tcp(e, k, k->snd_nxt, op == FZ_FIN ? 0x11 : 0x14,
			       NULL, 0);
			k->snd_nxt += op == FZ_FIN;
		}
		break;
	case FZ_OOO:
		k = &e->conn[fz_u8(in) % FZ_CONNS];
		x = fz_u8(in);
		if (k->used && !fz_to_api(e, k)) {
			uint8_t byte = 'o';

			/* descending, so lwIP inserts each at the head */
			fz_tcp(e, k,
			       k->snd_nxt + 2 + x + 2 * (8191 - e->rep % 8192),
			       0x10, &byte, 1);
		}
		break;
	case FZ_UDP:
		a = fz_u8(in);
		b = fz_u8(in);
		c = fz_u8(in);
		d = fz_u8(in);
		x = fz_u8(in);
		memset(pl, 'u', fz_len[d % 8]);
		fz_udp(e, fz_src[a % 4], fz_dst[b % 8],
		       (uint16_t)(1024 + (x << 8) + e->rep), fz_port[c % 8],
		       fz_len[d % 8]);
		break;
	case FZ_ICMP:
		a = fz_u8(in);
		b = fz_u8(in);
		c = fz_u8(in);
		d = fz_len[fz_u8(in) % 8];
		pl = e->frame + 34;
		memset(pl, 0, 8);
		pl[0] = 8;
		be16_put(pl + 4, (uint16_t)(c + e->rep));
		be16_put(pl + 6, (uint16_t)e->rep);
		memset(pl + 8, 'i', d);
		be16_put(pl + 2, pkt_csum(pl, 8 + d, 0));
		fz_input(e, e->frame,
			 fz_ip4(e, fz_src[a % 4], fz_dst[b % 8], 1, 8 + d));
		break;
	case FZ_DNS_UDP:
		a = fz_u8(in);
		b = fz_u8(in);
		c = fz_u8(in);
		x = fz_u8(in);
		fz_udp(e, fz_src[a % 4], e->cfg.gateway,
		       (uint16_t)(1024 + (x << 8) + e->rep), 53,
		       fz_dns_query(pl, b, c, (uint16_t)e->rep));
		break;
	case FZ_CLOCK:
		e->clock_skew += (uint64_t)fz_u16(in) * 16;
		fz_loop(e, 1);
		break;
	case FZ_LOOP:
		fz_loop(e, 1 + fz_u8(in) % 8);
		break;
	case FZ_RAW:
		a = fz_u16(in) % (FZ_FRAME_MAX + 1);
		if (a > in->len - in->off)
			a = (unsigned int)(in->len - in->off);
		memcpy(e->frame, in->p + in->off, a);
		in->off += a;
		if (fz_raw_ok(e, e->frame, a))
			fz_input(e, e->frame, a);
		break;
	case FZ_CONNECT:
		a = fz_u8(in);
		b = fz_u8(in);
		c = fz_u8(in);
		d = fz_u8(in);
		k = &e->conn[a % FZ_CONNS];
		fz_syn(e, k, b, c, d, a % FZ_CONNS);
		sw_input_end(&e->port);
		for (x = 0; x < 16 && !k->synack; x++)
			fz_loop(e, 1);
		if (k->synack)
			fz_tcp(e, k, k->snd_nxt, 0x10, NULL, 0);
		break;
	case FZ_HTTP:
		k = &e->conn[fz_u8(in) % FZ_CONNS];
		a = fz_u8(in);
		if (k->used && k->dst == e->cfg.gateway) {
			const char *r = fz_http[a % 8];

			fz_tcp(e, k, k->snd_nxt, 0x18, (const uint8_t *)r,
			       strlen(r));
			k->snd_nxt += (uint32_t)strlen(r);
		}
		break;
	default:
		break;
	}
	sw_input_end(&e->port);
	fz_arp_flush(e);
}

/* ---- set-up and invariants ---- */

static long fz_env(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : def;
}

static size_t fz_mem(void)
{
#ifdef FZ_ASAN
	return __sanitizer_get_current_allocated_bytes();
#else
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
#endif
}

static long fz_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	long n = -1; /* the directory's own */

	if (!d && (errno == EMFILE || errno == ENFILE))
		return FZ_NOFILE; /* not one left */
	CHECK(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* fz_pcbs(e) - the stack's connections past LISTEN (SYN_RCVD to LAST_ACK) */
static long fz_pcbs(struct fz *e)
{
	struct stack_stats ss;

	stack_get_stats(e->st, &ss);
	return (long)ss.stack.pcbs_active;
}

/* fz_clock() - the stack's clock: the loop's, plus what FZ_CLOCK added */
static uint64_t fz_clock(void *arg)
{
	struct fz *e = arg;

	return uv_now(&e->loop) + e->clock_skew;
}

static uint64_t fz_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* fz_check() - an invariant: say which one broke, then trap. */
static void fz_check(long v, long max, const char *what)
{
	if (v < max)
		return;
	fprintf(stderr, "fuzz_nat_seq: %s: %ld, limit %ld\n", what, v, max);
	__builtin_trap();
}

static struct fz *fz_setup(void)
{
	struct dhcp_server_config dc;
	struct dns_server_config nc;
	struct api_ctx ac;
	struct stack_env env = {0};
	struct rlimit rl;
	struct fz *e;
	unsigned int i;

	fz_netns_enter();
	fz_netns_peer(FZ_ECHO_PORT, FZ_SINK_PORT);
	signal(SIGPIPE, SIG_IGN);
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	rl.rlim_cur = FZ_NOFILE;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	log_set_level(LOG_LVL_ERROR);
	e = calloc(1, sizeof(*e));
	CHECK(e);
	fz_the = e;
	e->fd_max = FZ_NOFILE - fz_env("QCW_FUZZ_FD_HEADROOM", 16);
	e->mem_max_mb = fz_env("QCW_FUZZ_MEM_MB", 96);
	e->cpu_max_ms = fz_env("QCW_FUZZ_CPU_MS", 10000);
	e->pcb_max = fz_env("QCW_FUZZ_PCBS", 4096);
	e->verbose = fz_env("QCW_FUZZ_VERBOSE", 0);
	e->budget = fz_env("QCW_FUZZ_BUDGET", 1 << 17);
	CHECK(uv_loop_init(&e->loop) == 0);
	netcfg_defaults(&e->cfg);
	e->sw = sw_create(e->cfg.gw_mac);
	CHECK(e->sw);
	env.loop = &e->loop;
	env.sw = e->sw;
	env.cfg = &e->cfg;
	env.clock.now_ms = fz_clock;
	env.clock.arg = e;
	env.host_queue_max = 16u << 20; /* small: reached by the fuzzer */
	e->st = stack_create(stack_backend_find(getenv("QCW_FUZZ_STACK")),
			     &env);
	CHECK(e->st);
	/* as cmd/daemon.c wires them */
	dhcp_server_config_init(&dc, e->cfg.network, e->cfg.netmask,
				e->cfg.gateway, e->cfg.host_alias, e->cfg.mtu);
	e->dhcp = dhcp_server_create(&dc);
	CHECK(e->dhcp);
	e->link = gw_link_create(&e->loop, e->sw, &e->cfg, e->st, e->dhcp);
	CHECK(e->link);
	e->fwd = fwd_create(&e->loop, e->st, &e->cfg);
	CHECK(e->fwd);
	memset(&nc, 0, sizeof(nc));
	nc.gateway = e->cfg.gateway;
	nc.host_alias = e->cfg.host_alias;
	nc.upstream_servers = "127.0.0.1"; /* nobody: fails at once */
	e->dns = dns_server_create(&e->loop, &nc);
	CHECK(e->dns);
	e->gw_dns = gw_dns_create(&e->loop, e->st, e->dns, 64);
	CHECK(e->gw_dns);
	memset(&ac, 0, sizeof(ac));
	ac.sw = e->sw;
	ac.stack = e->st;
	ac.link = e->link;
	ac.dhcp = e->dhcp;
	ac.net = &e->cfg;
	ac.dns = e->dns;
	ac.fwd = e->fwd;
	e->api = api_create(&e->loop, &ac);
	CHECK(e->api);
	CHECK(stack_tcp_listen(e->st, 80, 32, api_gateway_conn, e->api) == 0);
	e->port.ops = &fz_port_ops;
	e->port.id = -1;
	CHECK(sw_port_attach(e->sw, &e->port, "fuzz") == 0);
	for (i = 0; i < 4; i++)
		fz_arp_reply(e, fz_src[i]);
	fz_loop(e, 2);
	e->mem_base = fz_mem();
	return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz *e = fz_the ? fz_the : fz_setup();
	struct fz_in in = {.p = data, .len = size};
	uint64_t cpu0 = fz_cpu_ms();
	unsigned int i;

	e->left = e->budget;
	/* the guest says who it is (lwIP's ARP entries age with the clock) */
	for (i = 0; i < 4; i++)
		fz_arp_reply(e, fz_src[i]);
	sw_input_end(&e->port);
	while (in.off < in.len && e->left > 0) {
		unsigned int op = fz_u8(&in) % FZ_N_OPS, count;
		size_t at;

		if (op != FZ_REPEAT) {
			fz_op(e, op, &in);
			continue;
		}
		count = fz_u16(&in);
		op = fz_u8(&in) % FZ_N_OPS;
		if (op == FZ_REPEAT)
			continue;
		at = in.off;
		for (e->rep = 0; e->rep < count && e->left > 0; e->rep++) {
			in.off = at;
			fz_op(e, op, &in);
			if (e->rep % 64 == 63)
				fz_loop(e, 1);
		}
		e->rep = 0;
	}
	fz_loop(e, 4);
	if (e->verbose)
		fprintf(stderr,
			"fuzz_nat_seq: %ld fds, %ld pcbs, heap +%zu MiB, "
			"%llu CPU ms\n",
			fz_fds(), fz_pcbs(e), (fz_mem() - e->mem_base) >> 20,
			(unsigned long long)(fz_cpu_ms() - cpu0));
	for (i = 0; e->verbose > 1 && i < FZ_CONNS; i++)
		if (e->conn[i].used)
			fprintf(stderr,
				"  conn %u: %u unacked, synack %d, rcv %u\n", i,
				e->conn[i].snd_nxt - e->conn[i].acked,
				e->conn[i].synack, e->conn[i].rcv_nxt);
	/* finding 3: the guest must not take the last fds */
	fz_check(fz_fds(), e->fd_max, "open fds (issue 11, finding 3)");
	/* finding 4: memory the guest makes qcw-net hold is bounded */
	fz_check((long)((fz_mem() - e->mem_base) >> 20), e->mem_max_mb,
		 "heap growth in MiB (issue 11, finding 4)");
	/* finding 5: half-open connections are bounded (no list of 100 000) */
	fz_check(fz_pcbs(e), e->pcb_max,
		 "lwIP's connections (issue 11, finding 5)");
	/* finding 5: an input's work is bounded */
	fz_check((long)(fz_cpu_ms() - cpu0), e->cpu_max_ms,
		 "CPU ms for one input (issue 11, finding 5)");
	return 0;
}
