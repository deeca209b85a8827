/*
 * vpnkit.h - the server side of vpnkit's handshake (hyperkit's
 * virtio-net-vpnkit backend), as gvproxy's -listen-vpnkit speaks it:
 *
 *   client                         server
 *   init, 49 bytes          ->
 *                           <-     the same 49 bytes, echoed
 *   command, 41 bytes       ->     byte 0 the command, 1..36 the VM's UUID
 *                           <-     258 bytes: 0x01, MTU (u16 LE),
 *                                  MTU + 14 (u16 LE), MAC (6), zeros
 *   then Ethernet frames with a 2-byte little-endian length each way.
 *
 * The MAC is the one mapped to the UUID (gvproxy's default map:
 * c3d68012-0208-11ea-9fd7-f2189899ab08 -> 5a:94:ef:e4:0c:ee), else a random
 * locally administered unicast address. A pure state machine over
 * untrusted bytes: no I/O, fed what was read, it says how much it took and
 * what to send back.
 */
#ifndef QCW_VPNKIT_H
#define QCW_VPNKIT_H

#include <stddef.h>
#include <stdint.h>

#define VPNKIT_INIT_LEN 49
#define VPNKIT_CMD_LEN 41
#define VPNKIT_REPLY_LEN 258
#define VPNKIT_OUT_MAX VPNKIT_REPLY_LEN

enum vpnkit_state {
	VPNKIT_WANT_INIT,
	VPNKIT_WANT_CMD,
	VPNKIT_DONE,
};

struct vpnkit_hs {
	enum vpnkit_state state;
	uint16_t mtu;
	uint8_t mac[6]; /* after VPNKIT_DONE: the MAC given to the VM */
	char uuid[37]; /* after VPNKIT_DONE: the VM's UUID (printable only) */
	uint32_t rnd; /* seed of the random MAC (tests fix it) */
};

/* vpnkit_hs_init() - a fresh handshake offering @mtu (576..65535). */
void vpnkit_hs_init(struct vpnkit_hs *hs, uint16_t mtu, uint32_t seed);

/*
 * vpnkit_hs_step() - feed the bytes received so far.
 * @buf, @len: unconsumed received bytes (untrusted)
 * @out:       VPNKIT_OUT_MAX bytes; receives what to send to the client
 * @outlen:    set to the number of bytes in @out (0: nothing to send)
 *
 * Return: bytes consumed (> 0) when a message was complete, 0 when more
 * bytes are needed (or the handshake is already done), -EPROTO when the
 * command is not one we know (the connection must be closed).
 */
long vpnkit_hs_step(struct vpnkit_hs *hs, const uint8_t *buf, size_t len,
		    uint8_t *out, size_t *outlen);

#endif
