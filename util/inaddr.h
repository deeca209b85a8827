/*
 * inaddr.h - an IPv4 or IPv6 address, the one address type above the
 * stack seam (net/stack.h): IPv4 in host byte order as everywhere in
 * qcw-net, IPv6 as its 16 bytes.
 */
#ifndef QCW_INADDR_H
#define QCW_INADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#define INADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

struct inaddr {
	int af; /* AF_INET, AF_INET6; 0: unknown */
	union {
		uint32_t v4; /* host byte order */
		uint8_t v6[16];
	} u;
};

static inline struct inaddr inaddr_v4(uint32_t ip)
{
	struct inaddr a = {.af = AF_INET};

	a.u.v4 = ip;
	return a;
}

static inline struct inaddr inaddr_v6(const uint8_t ip[16])
{
	struct inaddr a = {.af = AF_INET6};

	memcpy(a.u.v6, ip, 16);
	return a;
}

/* inaddr_eq() - same family and address (two unknowns are equal). */
bool inaddr_eq(const struct inaddr *a, const struct inaddr *b);

/*
 * inaddr_str() - "192.168.127.2", "fd71:6377:6e65::2" or "?" in @buf
 * (INADDR_STRLEN bytes); returns @buf.
 */
const char *inaddr_str(const struct inaddr *a, char *buf);

/*
 * inaddr_parse() - a dotted quad or an IPv6 address, also in brackets
 * ("[::1]"); -EINVAL for anything else.
 */
int inaddr_parse(const char *s, struct inaddr *out);

/* inaddr_v4_mapped() - @ip6 is ::ffff:a.b.c.d; its IPv4 in *@v4. */
bool inaddr_v4_mapped(const uint8_t ip6[16], uint32_t *v4);

#endif
