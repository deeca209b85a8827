/*
 * hvaddr.c - Hyper-V socket addresses (see hvaddr.h).
 */
#include "util/hvaddr.h"
#include "util/hex.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(struct hvaddr_guid) == 16, "GUID is 16 bytes");
_Static_assert(sizeof(struct hvaddr_sockaddr) == 36, "SOCKADDR_HV is 36 bytes");

/* the VSOCK template's last 12 bytes: FACB-11E6-BD58-64006A7986D3 */
static const struct hvaddr_guid hvaddr_template = {
	0, 0xfacb, 0x11e6, {0xbd, 0x58, 0x64, 0x00, 0x6a, 0x79, 0x86, 0xd3}};

int hvaddr_guid_parse(const char *s, size_t n, struct hvaddr_guid *g)
{
	uint8_t b[16];
	size_t i, k = 0;

	if (n != HVADDR_GUID_STRLEN)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		hi = hex_digit(s[i]);
		lo = i + 1 < n ? hex_digit(s[i + 1]) : -1;
		if (hi < 0 || lo < 0)
			return -EINVAL;
		b[k++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	/* the text is big-endian; the first three fields are numbers */
	g->data1 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		   (uint32_t)b[2] << 8 | b[3];
	g->data2 = (uint16_t)(b[4] << 8 | b[5]);
	g->data3 = (uint16_t)(b[6] << 8 | b[7]);
	memcpy(g->data4, b + 8, 8);
	return 0;
}

int hvaddr_service(const char *s, size_t n, struct hvaddr_guid *g)
{
	uint64_t v = 0;
	size_t i;

	if (n == HVADDR_GUID_STRLEN)
		return hvaddr_guid_parse(s, n, g);
	if (n == 0 || n > 10)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v >= 0xffffffffull) /* beyond 32 bits, or VMADDR_PORT_ANY */
		return -EINVAL;
	hvaddr_from_port((uint32_t)v, g);
	return 0;
}

void hvaddr_from_port(uint32_t port, struct hvaddr_guid *g)
{
	*g = hvaddr_template;
	g->data1 = port;
}

int hvaddr_port(const struct hvaddr_guid *g, uint32_t *port)
{
	if (g->data2 != hvaddr_template.data2 ||
	    g->data3 != hvaddr_template.data3 ||
	    memcmp(g->data4, hvaddr_template.data4, 8))
		return -EINVAL;
	*port = g->data1;
	return 0;
}

void hvaddr_format(const struct hvaddr_guid *g,
		   char out[HVADDR_GUID_STRLEN + 1])
{
	snprintf(out, HVADDR_GUID_STRLEN + 1,
		 "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		 (unsigned int)g->data1, (unsigned int)g->data2,
		 (unsigned int)g->data3, g->data4[0], g->data4[1], g->data4[2],
		 g->data4[3], g->data4[4], g->data4[5], g->data4[6],
		 g->data4[7]);
}

void hvaddr_listen_addr(const struct hvaddr_guid *service,
			struct hvaddr_sockaddr *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->family = HVADDR_AF_HYPERV;
	sa->service_id = *service;
}
