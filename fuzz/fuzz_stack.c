/*
 * fuzz_stack.c - libFuzzer target for the gateway's whole input path:
 * frames from a guest into the gateway link (gateway/gw_link.c: the ARP
 * fast path for virtual IPs, the DHCP server) and the stack backend behind
 * the seam (net/stack.h): lwIP (ARP, IPv4 with reassembly, ICMP, UDP,
 * TCP) in fuzz-stack, libslirp in fuzz-stack-slirp. Frames whose length
 * prefix is odd are lent in a receive chunk (net/rxchunk.h), as the stream
 * transport does, so lwIP keeps them in place as PBUF_REF pbufs.
 *
 * No host sockets: the backend is created with no_nat, so traffic for
 * foreign addresses is dropped before it could become a socket; the
 * fuzzer never sends anything anywhere. What the stack sends goes through
 * the switch to a fake port that only checks the frame and discards it.
 *
 * lwIP is a process-wide singleton, so the stack is created once and
 * kept across inputs (its state, e.g. ARP and TCP, carries over). The
 * stack's clock stands still, so runs repeat.
 *
 * Input: frames, each preceded by a 2-byte little-endian length (any
 * length, also below an Ethernet header); a truncated last frame is fed
 * with the bytes there are.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "dhcp/dhcp_server.h"
#include "gateway/gw_link.h"
#include "net/netcfg.h"
#include "net/rxchunk.h"
#include "net/stack.h"
#include "net/switch.h"
#include "util/log.h"
#include "fuzz.h"

/* the backend under test: fuzz-stack (lwip) and fuzz-stack-slirp */
#ifndef FUZZ_STACK_BACKEND
#define FUZZ_STACK_BACKEND "lwip"
#endif

const char *__lsan_default_options(void);

/*
 * lwIP's reassembly keeps the fragment list in pointers written into
 * each fragment's IP header, which sits at offset 14 of the frame, so
 * the pointers are not 8-byte aligned and LeakSanitizer (which by
 * default only scans aligned words) reports queued fragments as leaks.
 */
const char *__lsan_default_options(void)
{
	return "use_unaligned=1";
}

struct fuzz_env {
	uv_loop_t loop;
	struct netcfg cfg;
	struct sw *sw;
	struct stack *st;
	struct gw_link *link;
	struct dhcp_server *dhcp;
	struct sw_port port;
	uint64_t sent, sum;
};

/* fuzz_port_send() - touch every byte (for ASan) and discard. */
static int fuzz_port_send(struct sw_port *port, const struct iovec *iov,
			  int iovcnt, size_t len)
{
	struct fuzz_env *e =
		(struct fuzz_env *)((char *)port -
				    offsetof(struct fuzz_env, port));
	size_t total = 0, i;
	int k;

	CHECK(iovcnt > 0);
	for (k = 0; k < iovcnt; k++) {
		const uint8_t *b = iov[k].iov_base;

		for (i = 0; i < iov[k].iov_len; i++)
			e->sum += b[i];
		total += iov[k].iov_len;
	}
	CHECK(total == len);
	CHECK(len >= 14 && len <= 14 + 65535);
	e->sent++;
	return 0;
}

static const struct sw_port_ops fuzz_port_ops = {.send = fuzz_port_send};

static struct dhcp_server *fuzz_dhcp(const struct netcfg *n)
{
	static const char *search[] = {"example.com"};
	struct dhcp_server_config c;

	/* as cmd/daemon.c's daemon_dhcp(), without reading resolv.conf */
	dhcp_server_config_init(&c, n->network, n->netmask, n->gateway,
				n->host_alias, n->mtu);
	c.n_static = 1;
	memcpy(c.statics[0].mac, n->device_mac, 6);
	c.statics[0].ip = n->device;
	c.n_search = 1;
	c.search[0] = search[0];
	return dhcp_server_create(&c);
}

/* the clock stands still, so runs repeat */
static uint64_t fuzz_clock(void *arg)
{
	(void)arg;
	return 1000000;
}

static struct fuzz_env *fuzz_env(void)
{
	static struct fuzz_env *e;
	struct stack_env env = {.no_nat = true};
	uint8_t hello[60];

	if (e)
		return e;
	log_set_level(LOG_LVL_ERROR);
	e = calloc(1, sizeof(*e));
	CHECK(e);
	CHECK(uv_loop_init(&e->loop) == 0);
	netcfg_defaults(&e->cfg);
	e->sw = sw_create(e->cfg.gw_mac);
	CHECK(e->sw);
	env.loop = &e->loop;
	env.sw = e->sw;
	env.cfg = &e->cfg;
	env.clock.now_ms = fuzz_clock;
	/* no_nat: nothing may leave the process */
	e->st = stack_create(stack_backend_find(FUZZ_STACK_BACKEND), &env);
	CHECK(e->st);
	e->dhcp = fuzz_dhcp(&e->cfg);
	CHECK(e->dhcp);
	e->link = gw_link_create(&e->loop, e->sw, &e->cfg, e->st, e->dhcp);
	CHECK(e->link);
	e->port.ops = &fuzz_port_ops;
	e->port.id = -1;
	CHECK(sw_port_attach(e->sw, &e->port, "fuzz") == 0);
	/*
	 * Teach the switch the guest's MAC, so unicast replies to it reach
	 * the port: a frame from it to a MAC nobody has (dropped there).
	 */
	memset(hello, 0, sizeof(hello));
	memcpy(hello, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(hello + 6, e->cfg.device_mac, 6);
	hello[12] = 0x08;
	sw_input(&e->port, hello, sizeof(hello));
	return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_env *e = fuzz_env();
	size_t off = 0;

	while (off + 2 <= size) {
		size_t len = (size_t)data[off] | (size_t)data[off + 1] << 8;
		uint8_t *frame;

		off += 2;
		if (len > size - off)
			len = size - off;
		if (data[off - 2] & 1) {
			/* lent, as the stream transport does: lwIP may keep it */
			struct rxchunk *c =
				rxchunk_new(sw_rxchunks(e->sw), len ? len : 1);

			CHECK(c);
			memcpy(c->data, data + off, len);
			gw_link_input(e->link, c->data, len, &c->ref);
			rxchunk_put(c);
			off += len;
			continue;
		}
		/* an exact-size copy, so ASan sees any read past the frame */
		frame = malloc(len ? len : 1);
		CHECK(frame);
		memcpy(frame, data + off, len);
		gw_link_input(e->link, frame, len, NULL);
		free(frame);
		off += len;
	}
	/* the batch ends, as after a transport's read */
	sw_input_end(&e->port);
	/* one loop iteration: the stack's timers that are due, its I/O */
	uv_run(&e->loop, UV_RUN_NOWAIT);
	return 0;
}
