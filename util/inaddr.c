/*
 * inaddr.c - IPv4-or-IPv6 addresses (see inaddr.h).
 */
#include "util/inaddr.h"

#include <arpa/inet.h>
#include <errno.h>

bool inaddr_eq(const struct inaddr *a, const struct inaddr *b)
{
	if (a->af != b->af)
		return false;
	if (a->af == AF_INET)
		return a->u.v4 == b->u.v4;
	if (a->af == AF_INET6)
		return memcmp(a->u.v6, b->u.v6, 16) == 0;
	return true;
}

const char *inaddr_str(const struct inaddr *a, char *buf)
{
	uint32_t be;

	if (a->af == AF_INET) {
		be = htonl(a->u.v4);
		if (inet_ntop(AF_INET, &be, buf, INADDR_STRLEN))
			return buf;
	} else if (a->af == AF_INET6) {
		if (inet_ntop(AF_INET6, a->u.v6, buf, INADDR_STRLEN))
			return buf;
	}
	buf[0] = '?';
	buf[1] = '\0';
	return buf;
}

int inaddr_parse(const char *s, struct inaddr *out)
{
	char tmp[INADDR_STRLEN];
	size_t n = strlen(s);
	uint32_t be;

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		if (n - 2 >= sizeof(tmp))
			return -EINVAL;
		memcpy(tmp, s + 1, n - 2);
		tmp[n - 2] = '\0';
		out->af = AF_INET6;
		return inet_pton(AF_INET6, tmp, out->u.v6) == 1 ? 0 : -EINVAL;
	}
	if (inet_pton(AF_INET, s, &be) == 1) {
		*out = inaddr_v4(ntohl(be));
		return 0;
	}
	out->af = AF_INET6;
	if (inet_pton(AF_INET6, s, out->u.v6) == 1)
		return 0;
	out->af = 0;
	return -EINVAL;
}

bool inaddr_v4_mapped(const uint8_t ip6[16], uint32_t *v4)
{
	static const uint8_t pre[12] = {0, 0, 0, 0, 0,	  0,
					0, 0, 0, 0, 0xff, 0xff};

	if (memcmp(ip6, pre, sizeof(pre)))
		return false;
	if (v4)
		*v4 = (uint32_t)ip6[12] << 24 | (uint32_t)ip6[13] << 16 |
		      (uint32_t)ip6[14] << 8 | ip6[15];
	return true;
}
