/*
 * vpnkit.c - vpnkit's handshake, server side (see vpnkit.h).
 */
#include "net/vpnkit.h"

#include <errno.h>
#include <string.h>

/* hyperkit's ethernet command: "connect the VM with this UUID" */
#define VPNKIT_CMD_ETHERNET 1

static const struct {
	const char *uuid;
	uint8_t mac[6];
} vpnkit_macs[] = {
	{"c3d68012-0208-11ea-9fd7-f2189899ab08",
	 {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee}},
};

void vpnkit_hs_init(struct vpnkit_hs *hs, uint16_t mtu, uint32_t seed)
{
	memset(hs, 0, sizeof(*hs));
	hs->state = VPNKIT_WANT_INIT;
	hs->mtu = mtu;
	hs->rnd = seed ? seed : 0x9e3779b9u;
}

static uint32_t vpnkit_rand(struct vpnkit_hs *hs)
{
	/* xorshift32: a MAC that differs per VM, not a secret */
	hs->rnd ^= hs->rnd << 13;
	hs->rnd ^= hs->rnd >> 17;
	hs->rnd ^= hs->rnd << 5;
	return hs->rnd;
}

static void vpnkit_pick_mac(struct vpnkit_hs *hs)
{
	size_t i;
	uint32_t a, b;

	for (i = 0; i < sizeof(vpnkit_macs) / sizeof(vpnkit_macs[0]); i++) {
		if (!strcmp(hs->uuid, vpnkit_macs[i].uuid)) {
			memcpy(hs->mac, vpnkit_macs[i].mac, 6);
			return;
		}
	}
	a = vpnkit_rand(hs);
	b = vpnkit_rand(hs);
	hs->mac[0] = (uint8_t)((a & 0xfc) | 0x02); /* local, unicast */
	hs->mac[1] = (uint8_t)(a >> 8);
	hs->mac[2] = (uint8_t)(a >> 16);
	hs->mac[3] = (uint8_t)(a >> 24);
	hs->mac[4] = (uint8_t)b;
	hs->mac[5] = (uint8_t)(b >> 8);
}

long vpnkit_hs_step(struct vpnkit_hs *hs, const uint8_t *buf, size_t len,
		    uint8_t *out, size_t *outlen)
{
	size_t i;

	*outlen = 0;
	switch (hs->state) {
	case VPNKIT_WANT_INIT:
		if (len < VPNKIT_INIT_LEN)
			return 0;
		/* hyperkit checks the echo; the content is its business */
		memcpy(out, buf, VPNKIT_INIT_LEN);
		*outlen = VPNKIT_INIT_LEN;
		hs->state = VPNKIT_WANT_CMD;
		return VPNKIT_INIT_LEN;
	case VPNKIT_WANT_CMD:
		if (len < VPNKIT_CMD_LEN)
			return 0;
		if (buf[0] != VPNKIT_CMD_ETHERNET)
			return -EPROTO;
		for (i = 0; i < 36; i++) {
			uint8_t ch = buf[1 + i];

			hs->uuid[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
		}
		hs->uuid[36] = 0;
		vpnkit_pick_mac(hs);
		memset(out, 0, VPNKIT_REPLY_LEN);
		out[0] = 0x01;
		out[1] = (uint8_t)hs->mtu;
		out[2] = (uint8_t)(hs->mtu >> 8);
		out[3] = (uint8_t)(hs->mtu + 14);
		out[4] = (uint8_t)((hs->mtu + 14) >> 8);
		memcpy(out + 5, hs->mac, 6);
		*outlen = VPNKIT_REPLY_LEN;
		hs->state = VPNKIT_DONE;
		return VPNKIT_CMD_LEN;
	case VPNKIT_DONE:
	default:
		return 0;
	}
}
