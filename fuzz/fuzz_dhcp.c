/*
 * fuzz_dhcp.c - libFuzzer target for the DHCPv4 server (dhcp/): every input
 * is one UDP payload handed to a server created once, so state built by
 * earlier inputs (offers, leases, declines) is exercised too. The clock
 * advances with each input (by an amount the last byte picks) to reach the
 * expiry paths, and a short quiet time with a fake switch (MACs with an odd
 * last byte are always "seen now") reaches the reclaiming of quiet leases.
 * Replies are checked for well-formedness, and the lease callback against
 * a model of the stack's ARP pins (an unbound report names the current
 * pin; every pinned dynamic address is a live lease of that MAC after the
 * expiry sweep); a violation traps.
 * The seed corpus is fuzz/corpus/dhcp, written by "test-dhcp --write-corpus".
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/dhcp_codec.h"
#include "dhcp/dhcp_server.h"

#define NET(d) (0xc0a87f00u | (d))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t fuzz_now_ms = 1;

/* the stack's ARP pins as the lease callback leaves them, by last byte */
static struct {
	uint8_t on;
	uint8_t mac[6];
} fuzz_pins[256];

static void fuzz_lease_cb(void *arg, uint32_t ip, const uint8_t mac[6],
			  int bound)
{
	(void)arg;
	if ((ip & 0xffffff00u) != NET(0))
		__builtin_trap();
	ip &= 0xff;
	if (!bound) {
		if (!fuzz_pins[ip].on || memcmp(fuzz_pins[ip].mac, mac, 6))
			__builtin_trap();
		fuzz_pins[ip].on = 0;
		return;
	}
	fuzz_pins[ip].on = 1;
	memcpy(fuzz_pins[ip].mac, mac, 6);
}

/* fuzz_unlisted - pins not (yet) found among the live leases */
static uint8_t fuzz_unlisted[256];

static int fuzz_seen(void *arg, const uint8_t mac[6], uint64_t *seen_ms)
{
	(void)arg;
	if (!(mac[5] & 1))
		return -ENOENT;
	*seen_ms = fuzz_now_ms;
	return 0;
}

static struct dhcp_server *fuzz_server(void)
{
	static struct dhcp_server *s;
	static const char *search[] = {"example.com", "corp.example.org",
				       "a.very.long.subdomain.example.net"};
	static const uint8_t mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};
	struct dhcp_server_config c;

	if (s)
		return s;
	memset(&c, 0, sizeof(c));
	c.network = NET(0);
	c.netmask = 0xffffff00u;
	c.gateway = NET(1);
	c.host_alias = NET(254);
	/* a small pool, so exhaustion and reuse are reachable */
	c.pool_start = NET(3);
	c.pool_end = NET(10);
	c.lease_secs = 60;
	c.mtu = 1500;
	c.n_static = 1;
	memcpy(c.statics[0].mac, mac, 6);
	c.statics[0].ip = NET(2);
	c.n_search = 3;
	memcpy(c.search, search, sizeof(search));
	s = dhcp_server_create(&c);
	if (!s)
		__builtin_trap();
	dhcp_server_set_quiet(s, 5000, fuzz_seen, NULL);
	dhcp_server_set_lease_cb(s, fuzz_lease_cb, NULL);
	return s;
}

static void fuzz_check_lease(void *arg, uint32_t ip, const uint8_t mac[6])
{
	(void)arg;
	if ((ip & 0xffffff00u) != NET(0) || ip == NET(1) || ip == NET(254) ||
	    (ip & 0xff) > 10)
		__builtin_trap();
	if (fuzz_pins[ip & 0xff].on &&
	    !memcmp(fuzz_pins[ip & 0xff].mac, mac, 6))
		fuzz_unlisted[ip & 0xff] = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_server *s = fuzz_server();
	struct dhcp_reply_dst dst;
	struct dhcp_msg m;
	size_t cap = 300 + size % 1201;
	uint8_t *out = malloc(cap);
	int rc;

	if (!out)
		return 0;
	fuzz_now_ms += 1 + (size ? data[size - 1] : 0) * 1000ull;
	rc = dhcp_server_handle(s, data, size, fuzz_now_ms, out, cap, &dst);
	if (rc > 0) {
		if ((size_t)rc > cap || rc < DHCP_MIN_MSG_LEN ||
		    dhcp_msg_parse(out, (size_t)rc, &m) ||
		    m.op != DHCP_OP_BOOTREPLY ||
		    (m.msg_type != DHCP_OFFER && m.msg_type != DHCP_ACK &&
		     m.msg_type != DHCP_NAK) ||
		    !dst.ip)
			__builtin_trap();
	} else if (rc != 0 && rc != -EINVAL) {
		__builtin_trap();
	}
	dhcp_server_expire(s, fuzz_now_ms);
	for (rc = 0; rc < 256; rc++)
		fuzz_unlisted[rc] = fuzz_pins[rc].on;
	dhcp_server_foreach_lease(s, fuzz_now_ms, fuzz_check_lease, NULL);
	for (rc = 0; rc < 256; rc++)
		if (fuzz_unlisted[rc])
			__builtin_trap();
	free(out);

	/* the domain encoder, on the input as a string */
	if (size < 300) {
		uint8_t wire[DHCP_DOMAIN_WIRE_MAX];
		char str[300];

		memcpy(str, data, size);
		str[size] = 0;
		rc = dhcp_encode_domain(str, wire, sizeof(wire));
		if (rc > DHCP_DOMAIN_WIRE_MAX)
			__builtin_trap();
	}
	return 0;
}
