/*
 * bench_pcap.c - what -pcap costs per frame: frames from a VM to the
 * gateway through the switch with the capture off, and on with the
 * buffer written out every N frames (N = 1: a write per frame; 64: about
 * one loop iteration's batch; 0: only when the 256 KiB buffer is full),
 * for small and full-size frames. The capture goes to a file in $TMPDIR
 * (or /tmp), removed afterwards. Prints ns per frame; an argument sets
 * the frame count. Not a test (the numbers depend on the machine).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/pcap_dump.h"
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

static const struct sw_port_ops sink_ops = {.send = sink_send};

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

/*
 * run() - @n frames of @len bytes; with @path a capture into it, written
 * out every @every frames (0: when the buffer is full).
 */
static void run(struct sw *sw, struct sw_port *p, const char *path, size_t len,
		unsigned long n, unsigned long every)
{
	static uint8_t frame[1514];
	static const uint8_t gw[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
	static const uint8_t vm[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};
	struct capture *c = NULL;
	double t0, t;
	unsigned long i;
	char what[64];
	int err = 0;

	memcpy(frame, gw, 6);
	memcpy(frame + 6, vm, 6);
	if (path) {
		c = capture_open(path, &err);
		if (!c || capture_start(c, NULL, sw) < 0) {
			fprintf(stderr, "cannot capture to %s\n", path);
			exit(1);
		}
	}
	t0 = now_s();
	for (i = 0; i < n; i++) {
		sw_input(p, frame, len);
		if (c && every && (i + 1) % every == 0)
			capture_flush(c);
	}
	if (c)
		capture_flush(c);
	t = now_s() - t0;
	if (!path)
		snprintf(what, sizeof(what), "%zu B, capture off", len);
	else if (every)
		snprintf(what, sizeof(what), "%zu B, write every %lu", len,
			 every);
	else
		snprintf(what, sizeof(what), "%zu B, write when full", len);
	printf("%-30s %8.2f ns/frame (%lu frames)\n", what, t * 1e9 / (double)n,
	       n);
	capture_close(c);
}

int main(int argc, char **argv)
{
	static const uint8_t gw[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
	static const size_t sizes[2] = {64, 1514};
	static const unsigned long every[3] = {1, 64, 0};
	struct sw_port a = {.ops = &sink_ops};
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000000;
	const char *dir = getenv("TMPDIR");
	struct sw *sw = sw_create(gw);
	char path[256];
	int s, e;

	if (!sw)
		return 1;
	snprintf(path, sizeof(path), "%s/bench-pcap-%d.pcap",
		 dir ? dir : "/tmp", (int)getpid());
	sw_set_stack(sw, stack_in, NULL);
	sw_port_attach(sw, &a, "a");
	for (s = 0; s < 2; s++) {
		run(sw, &a, NULL, sizes[s], n * 10, 0);
		for (e = 0; e < 3; e++)
			run(sw, &a, path, sizes[s], n, every[e]);
	}
	unlink(path);
	sw_port_detach(&a);
	sw_destroy(sw);
	return sink_frames ? 0 : 1;
}
