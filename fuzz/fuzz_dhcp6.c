/*
 * fuzz_dhcp6.c - libFuzzer target for the stateless DHCPv6 server
 * (dhcp/dhcp6.h): every input is one UDP payload; the output buffer's
 * size varies with the input so the -ENOSPC paths are reached. A reply
 * must parse as a server message of the right type carrying our server
 * id and the request's transaction id; a violation traps.
 * The seed corpus is fuzz/corpus/dhcp6, written by
 * "test-dhcp6 --write-corpus".
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/dhcp6.h"
#include "dhcp/dhcp_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct dhcp6_server_config *fuzz_cfg(void)
{
	static struct dhcp6_server_config c;
	static const uint8_t mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};
	static int done;
	int n;

	if (done)
		return &c;
	dhcp6_duid_ll(c.duid, mac);
	c.n_dns = 2;
	c.dns[0][0] = 0xfd;
	c.dns[0][15] = 1;
	c.dns[1][0] = 0xfe;
	c.dns[1][1] = 0x80;
	n = dhcp_encode_domain("example.com", c.search, sizeof(c.search));
	if (n > 0)
		c.search_len = (size_t)n;
	c.info_refresh_secs = 600;
	done = 1;
	return &c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct dhcp6_server_config *c = fuzz_cfg();
	size_t cap = size % (DHCP6_REPLY_MAX + 1);
	struct dhcp6_msg m;
	uint8_t *out = malloc(cap ? cap : 1);
	int rc;

	if (!out)
		return 0;
	rc = dhcp6_server_reply(c, data, size, out, cap);
	if (rc > 0) {
		if ((size_t)rc > cap || dhcp6_msg_parse(out, (size_t)rc, &m) ||
		    (m.type != DHCP6_ADVERTISE && m.type != DHCP6_REPLY) ||
		    memcmp(out + 1, data + 1, 3) ||
		    !(m.have & DHCP6_HAVE_SERVERID) ||
		    m.server_id_len != sizeof(c->duid) ||
		    memcmp(m.server_id, c->duid, sizeof(c->duid)))
			__builtin_trap();
	} else if (rc != 0 && rc != -EINVAL && rc != -ENOSPC) {
		__builtin_trap();
	}
	free(out);
	return 0;
}
