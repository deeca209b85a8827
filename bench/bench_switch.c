/*
 * bench_switch.c - micro-benchmark of the switch's per-frame work (CAM
 * learn on the source MAC, lookup of the destination) without a stack:
 * frames from a VM to the gateway (the common case), VM-to-VM unicast
 * between two ports, a storm of new source MACs (every frame learns), and
 * frames from the stack to a VM (sw_output() with two pieces, and
 * sw_output_ref()).
 * Prints ns per frame; an argument sets the frame count (e.g. small, for
 * counting instructions under valgrind). Run with `meson test --benchmark` or directly; not
 * a test (the numbers depend on the machine).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/switch.h"

static unsigned long sink_frames;

static int sink_send(struct sw_port *port, const struct iovec *iov, int iovcnt,
		     size_t len)
{
	(void)port;
	(void)iov;
	(void)iovcnt;
	(void)len;
	sink_frames++;
	return 0;
}

static int sink_send_ref(struct sw_port *port, const uint8_t *data, size_t len,
			 const struct sw_ref *ref)
{
	(void)port;
	(void)data;
	(void)len;
	(void)ref;
	sink_frames++;
	return 0;
}

static const struct sw_port_ops sink_ops = {.send = sink_send,
					    .send_ref = sink_send_ref};

static void stack_in(void *stack, const uint8_t *frame, size_t len,
		     const struct sw_ref *keep)
{
	(void)stack;
	(void)frame;
	(void)len;
	(void)keep;
	sink_frames++;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run(const char *what, struct sw_port *p, uint8_t *frame,
		unsigned long n, int storm)
{
	double t0 = now_s(), t;
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (storm) {
			frame[9] = (uint8_t)(i >> 16);
			frame[10] = (uint8_t)(i >> 8);
			frame[11] = (uint8_t)i;
		}
		sw_input(p, frame, 64);
	}
	t = now_s() - t0;
	printf("%-28s %6.2f ns/frame (%lu frames)\n", what, t * 1e9 / (double)n,
	       n);
}

/* run_out() - @n frames from the stack to the VM that owns @frame's MAC. */
static void run_out(const char *what, struct sw *sw, uint8_t *frame,
		    unsigned long n, int ref)
{
	struct iovec iov[2] = {{frame, 14}, {frame + 14, 50}};
	double t0 = now_s(), t;
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (ref)
			sw_output_ref(sw, frame, 64, NULL);
		else
			sw_output(sw, iov, 2, 64);
	}
	t = now_s() - t0;
	printf("%-28s %6.2f ns/frame (%lu frames)\n", what, t * 1e9 / (double)n,
	       n);
}

int main(int argc, char **argv)
{
	static const uint8_t gw[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
	static const uint8_t vm1[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};
	static const uint8_t vm2[6] = {0x5a, 0x94, 0xef, 0x00, 0x00, 0x02};
	struct sw_port a = {.ops = &sink_ops}, b = {.ops = &sink_ops};
	uint8_t frame[64] = {0};
	struct sw *sw = sw_create(gw);
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000000;
	int rep;

	if (!sw)
		return 1;
	sw_set_stack(sw, stack_in, NULL);
	sw_port_attach(sw, &a, "a");
	sw_port_attach(sw, &b, "b");
	memcpy(frame + 6, vm2, 6);
	sw_input(&b, frame, 64); /* learn vm2 on port b */
	for (rep = 0; rep < (argc > 1 ? 1 : 3); rep++) {
		memcpy(frame, gw, 6);
		memcpy(frame + 6, vm1, 6);
		run("vm -> gateway", &a, frame, n, 0);
		memcpy(frame, vm2, 6);
		run("vm -> vm (other port)", &a, frame, n, 0);
		memcpy(frame, gw, 6);
		frame[6] = 0x02;
		run("storm: new source MACs", &a, frame, n / 10, 1);
		memcpy(frame, vm2, 6);
		memcpy(frame + 6, gw, 6);
		run_out("gateway -> vm (iov)", sw, frame, n, 0);
		run_out("gateway -> vm (ref)", sw, frame, n, 1);
	}
	sw_destroy(sw);
	return sink_frames ? 0 : 1;
}
