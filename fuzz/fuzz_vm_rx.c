/*
 * fuzz_vm_rx.c - libFuzzer target for qcw-net-vm's frame decoder
 * (vsock/vm_rx.h) as the agent drives it: bytes from the host arrive in
 * reads whose sizes byte 0 picks, go into a bounded buffer, every whole
 * frame is handed to a tap that byte 1 makes refuse now and then, and the
 * rest is kept. Checked: frames lie inside the buffer and within the
 * maximum, consumption never exceeds what was there, the buffer never
 * holds more than one partial frame plus a read, the stats add up. Also
 * vm_url_parse() on the input as a string. A violation traps.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vsock/vm_rx.h"
#include "vsock/vm_url.h"
#include "fuzz.h"

#define CAP (3 * 65537)

struct tap {
	const uint8_t *lo, *hi;
	size_t max;
	unsigned int calls, refuse_mask;
	uint64_t taken;
};

static int tap_fn(void *arg, const uint8_t *f, size_t len)
{
	struct tap *t = arg;

	CHECK(f >= t->lo && f + len <= t->hi);
	CHECK(len >= 14 && len <= t->max);
	if ((t->refuse_mask >> (t->calls++ % 8)) & 1)
		return -1;
	t->taken++;
	return 0;
}

static void fuzz_url(const uint8_t *data, size_t size)
{
	char s[2048], err[128];
	struct vm_url u;
	int r;

	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = 0;
	err[0] = 0;
	r = vm_url_parse(s, &u, err, sizeof(err));
	CHECK(r == 0 || (r == -EINVAL && err[0]));
	if (r == 0 && u.kind == VM_URL_STDIO) {
		CHECK(u.argc >= 1 && u.argc <= VM_URL_MAX_ARGS + 1);
		CHECK(u.argv[u.argc] == NULL && u.argv[0] == u.path);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[CAP];
	struct vm_rx_stats st = {0};
	struct tap t = {0};
	size_t have = 0, pos = 2, step;

	fuzz_url(data, size);
	if (size < 2)
		return 0;
	step = (size_t)data[0] * 97 + 1;
	t.refuse_mask = data[1];
	t.max = 14 + (size_t)(data[1] & 0xf0) * 16;
	t.lo = buf;
	while (pos < size || have) {
		size_t n = size - pos < step ? size - pos : step;
		uint64_t before = st.frames;
		long r;

		if (n > CAP - have)
			n = CAP - have;
		memcpy(buf + have, data + pos, n);
		have += n;
		pos += n;
		t.hi = buf + have;
		r = vm_rx_parse(buf, have, t.max, &st, tap_fn, &t);
		if (r < 0) {
			CHECK(r == -EPROTO);
			return 0; /* the agent reconnects */
		}
		CHECK((size_t)r <= have);
		CHECK(st.frames - before <= t.taken);
		memmove(buf, buf + r, have - (size_t)r);
		have -= (size_t)r;
		CHECK(have <= 65537 + step || t.refuse_mask);
		if (r == 0 && n == 0)
			break; /* all fed, the tap keeps refusing or a tail */
	}
	CHECK(st.frames == t.taken);
	return 0;
}
