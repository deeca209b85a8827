/*
 * slirp_route6.c - whether the host can reach an IPv6 destination, for the
 * guest's UDP on libslirp 4.7, which drops a datagram it cannot send
 * without a word to the guest. qcw-net asks the host's routing table the
 * way a UDP socket does before it sends: connect() of a datagram socket
 * sends nothing and fails at once with ENETUNREACH (or EHOSTUNREACH,
 * EADDRNOTAVAIL) where there is no route; the guest then gets an ICMPv6
 * unreachable for it (stack_slirp.c), as on lwIP, instead of a silence.
 *
 * The answers of the last SLIRP_ROUTE6_SLOTS destinations are kept for
 * SLIRP_ROUTE6_KEEP_MS, so a flow costs the three system calls at most
 * once in that time, not per datagram. A host without IPv6 sockets has
 * no route anywhere; any other failure (no descriptor free) is not
 * libslirp's to be spared: the datagram goes on.
 */
#include "net/slirp/slirp_route6.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static bool route6_ask(const uint8_t dst[16])
{
	struct sockaddr_in6 sa;
	int fd, r, e;

	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno != EAFNOSUPPORT;
	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	sa.sin6_port = htons(9);
	memcpy(&sa.sin6_addr, dst, 16);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	close(fd);
	return r == 0 ||
	       (e != ENETUNREACH && e != EHOSTUNREACH && e != EADDRNOTAVAIL);
}

bool slirp_route6_ok(struct slirp_route6 *c, const uint8_t dst[16],
		     uint64_t now_ms)
{
	struct slirp_route6_slot *s;
	unsigned int i;

	for (i = 0; i < SLIRP_ROUTE6_SLOTS; i++) {
		s = &c->slot[i];
		if (s->until_ms > now_ms && !memcmp(s->dst, dst, 16))
			return s->ok;
	}
	s = &c->slot[c->next];
	c->next = (c->next + 1) % SLIRP_ROUTE6_SLOTS;
	memcpy(s->dst, dst, 16);
	s->ok = route6_ask(dst);
	s->until_ms = now_ms + SLIRP_ROUTE6_KEEP_MS;
	return s->ok;
}
