/*
 * bench_datapath.c - micro-benchmark of qcw-net's receive path without
 * sockets: QEMU-framed bytes -> frame_next() -> switch -> lwIP gateway ->
 * reply frames back through the switch to a port that discards them.
 * The frames are ICMP echo requests to the gateway of 64 B, 1500 B and
 * 65 KiB (lwIP answers each, so both directions of the stack run).
 * Prints frames/s and Gbit/s per size. Run with `meson test --benchmark`
 * or directly; not a test (the numbers depend on the machine).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "dhcp/dhcp_server.h"
#include "net/frame.h"
#include "net/netcfg.h"
#include "net/pkt.h"
#include "gateway/gw_link.h"
#include "net/stack.h"
#include "net/switch.h"

struct sink {
	struct sw_port port;
	unsigned long frames;
	unsigned long long bytes;
};

static int sink_send(struct sw_port *port, const struct iovec *iov, int iovcnt,
		     size_t len)
{
	struct sink *s = (struct sink *)port;

	(void)iov;
	(void)iovcnt;
	s->frames++;
	s->bytes += len;
	return 0;
}

static const struct sw_port_ops sink_ops = {.send = sink_send};

/* one QEMU-framed ICMP echo request of @flen bytes to the gateway */
static size_t build_echo(uint8_t *out, size_t flen, uint16_t seq)
{
	static const uint8_t gw[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
	static const uint8_t vm[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};
	uint8_t *f = out + 4, *ip = f + 14, *icmp = ip + 20;
	size_t iplen = flen - 14;

	frame_put_hdr(FRAMING_BE32, out, flen);
	memcpy(f, gw, 6);
	memcpy(f + 6, vm, 6);
	be16_put(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	be16_put(ip + 2, (uint16_t)iplen);
	ip[8] = 64;
	ip[9] = 1;
	be32_put(ip + 12, 0xc0a87f02);
	be32_put(ip + 16, 0xc0a87f01);
	be16_put(ip + 10, pkt_csum(ip, 20, 0));
	memset(icmp, 0, iplen - 20);
	icmp[0] = 8;
	be16_put(icmp + 4, 1);
	be16_put(icmp + 6, seq);
	be16_put(icmp + 2, pkt_csum(icmp, iplen - 20, 0));
	return 4 + flen;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
	static const size_t sizes[] = {64, 1514, 65534};
	struct sink sink = {.port = {.ops = &sink_ops}};
	struct netcfg cfg;
	struct sink vm = {.port = {.ops = &sink_ops}};
	struct sw_port *in = &vm.port;
	uv_loop_t loop;
	struct stack_env env = {.no_nat = true};
	struct gw_link *link;
	struct stack *st;
	struct sw *sw;
	unsigned int i;

	netcfg_defaults(&cfg);
	cfg.mtu = 65520;
	uv_loop_init(&loop);
	sw = sw_create(cfg.gw_mac);
	if (!sw)
		return 1;
	env.loop = &loop;
	env.sw = sw;
	env.cfg = &cfg;
	st = stack_create(stack_backend_find(getenv("QCW_BENCH_STACK")), &env);
	link = st ? gw_link_create(&loop, sw, &cfg, st, NULL) : NULL;
	if (!link)
		return 1;
	sw_port_attach(sw, in, "bench-in");
	/* the VM's address is known (a lease), so the stack needs no ARP */
	stack_lease(st, cfg.device, cfg.device_mac, true);
	sw_port_attach(sw, &sink.port, "bench-out");
	printf("%-10s %14s %10s\n", "frame", "frames/s", "Gbit/s");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t flen = sizes[i], n = (4u << 20) / (flen + 4) + 1,
		       len = 0;
		uint8_t *buf = malloc(n * (flen + 4));
		unsigned long frames = 0;
		double t0, t;
		size_t k;

		for (k = 0; k < n; k++)
			len += build_echo(buf + len, flen, (uint16_t)k);
		t0 = now_s();
		do {
			size_t off = 0;
			const uint8_t *fr;
			size_t fl;
			long r;

			while ((r = frame_next(FRAMING_BE32, buf + off,
					       len - off, FRAME_MAX_LEN, &fr,
					       &fl)) > 0) {
				sw_input(in, fr, fl);
				off += (size_t)r;
				frames++;
			}
			sw_input_end(in);
			t = now_s() - t0;
		} while (t < 2.0);
		printf("%-10zu %14.0f %10.2f\n", flen, frames / t,
		       frames * flen * 8.0 / t / 1e9);
		free(buf);
	}
	printf("frames sent to the VM port: %lu\n", vm.frames);
	sw_port_detach(in);
	sw_port_detach(&sink.port);
	gw_link_destroy(link);
	stack_destroy(st);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	sw_destroy(sw);
	return vm.frames ? 0 : 1;
}
