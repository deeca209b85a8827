/*
 * fuzz_dns.c - libFuzzer target for the DNS module. Each input is used
 * twice: as a query from the guest (over UDP and over TCP) through
 * dns_server_answer_local(), which runs the whole codec and the local
 * zones without I/O, and as an upstream reply on its way back to the guest
 * (dns_relay_fixup()). Invariants of the replies are checked, so a wrong
 * length or id is a crash, not just a memory error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "dns/dns_codec.h"
#include "dns/dns_server.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dns_server *fuzz_server(void)
{
	/* Regexp records need POSIX regex, which the Windows build lacks
	 * (the server refuses them there): that zone has only the exact one */
	static const char zone[] =
		"{\"Name\":\"test.internal.\",\"Records\":["
		"{\"Name\":\"exact\",\"IP\":\"10.0.0.1\"}"
#ifndef _WIN32
		",{\"Regexp\":\"^web-[0-9]+(\\\\.[a-z]+)?$\","
		"\"IP\":\"10.0.0.2\"}"
#endif
		"]}";
	static const char dflt[] =
		"{\"Name\":\"dflt.internal\",\"DefaultIP\":\"10.0.0.3\"}";
	static const char v6[] =
		"{\"Name\":\"v6.internal\",\"Records\":[{\"Name\":\"a\","
		"\"IP\":\"fd00::1\"}],\"DefaultIP\":\"fd00::2\"}";
	static const uint8_t gw6[16] = {0xfd, 0x71, 0x63,    0x77,
					0x6e, 0x65, [15] = 1};
	static const uint8_t host6[16] = {0xfd, 0x71, 0x63,	  0x77,
					  0x6e, 0x65, [15] = 0xfe};
	static uv_loop_t loop;
	static struct dns_server *s;
	struct dns_server_config cfg = {
		.gateway = 0xc0a87f01,
		.host_alias = 0xc0a87ffe,
		.gateway6 = gw6,
		.host_alias6 = host6,
		/* never contacted: the loop is not run */
		.upstream_servers = "127.0.0.1:9",
	};

	if (s)
		return s;
	log_set_level(LOG_LVL_ERROR);
	if (uv_loop_init(&loop))
		abort();
	s = dns_server_create(&loop, &cfg);
	if (!s ||
	    dns_server_add_zone_json(s, zone, sizeof(zone) - 1, NULL, 0) ||
	    dns_server_add_zone_json(s, dflt, sizeof(dflt) - 1, NULL, 0) ||
	    dns_server_add_zone_json(s, v6, sizeof(v6) - 1, NULL, 0))
		abort();
	return s;
}

static void check_reply(const uint8_t *q, size_t qlen, const uint8_t *r, int n,
			bool tcp)
{
	struct dns_header h;
	struct dns_query pq;
	size_t pos = DNS_HDR_LEN;

	if (n <= 0)
		return;
	if (dns_header_parse(r, (size_t)n, &h) || !(h.flags & DNS_FLAG_QR))
		abort();
	/* the id is always echoed */
	if (r[0] != q[0] || r[1] != q[1])
		abort();
	dns_query_parse(q, qlen, &pq);
	if ((size_t)n > dns_reply_limit(&pq, tcp))
		abort();
	/* our own replies must parse back */
	for (unsigned int i = 0; i < h.qdcount; i++) {
		if (dns_name_parse(r, (size_t)n, &pos, NULL, NULL) ||
		    (size_t)n - pos < 4)
			abort();
		pos += 4;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[DNS_MSG_MAX];
	struct dns_server *s = fuzz_server();
	uint8_t out[DNS_LOCAL_REPLY_MAX];
	char text[DNS_TEXT_MAX];
	int n;

	for (int tcp = 0; tcp < 2; tcp++) {
		n = dns_server_answer_local(s, data, size, tcp, out,
					    sizeof(out));
		check_reply(data, size, out, n, tcp);
	}

	if (size <= sizeof(buf)) {
		size_t limit = DNS_UDP_MIN + (size & 0xff);

		memcpy(buf, data, size);
		n = dns_relay_fixup(buf, size, 0xabcd, limit);
		if (n >= 0 &&
		    ((size_t)n > size || ((size_t)n > limit && size > limit) ||
		     buf[0] != 0xab || buf[1] != 0xcd))
			abort();
	}

	/* names at an arbitrary offset, and their text form */
	if (size > 1) {
		uint8_t name[DNS_NAME_MAX];
		size_t pos = data[0] % size, nl;

		if (!dns_name_parse(data, size, &pos, name, &nl) &&
		    (pos > size || nl > DNS_NAME_MAX ||
		     dns_name_to_text(name, nl, text, sizeof(text)) < 0))
			abort();
	}
	return 0;
}
