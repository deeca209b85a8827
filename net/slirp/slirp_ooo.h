/*
 * slirp_ooo.h - a budget for what libslirp keeps of the guest's
 * out-of-order TCP segments. libslirp queues each one in a buffer of the
 * MTU's size with no bound of its own: 24 connections sending every other
 * byte made the daemon 147 MB larger. The backend watches what libslirp
 * acknowledges to the guest (the next byte it expects on each connection)
 * and counts each guest segment past that point, data or FIN, at its
 * frame's length but at least an MTU-sized buffer; a connection's count
 * goes back to zero once libslirp acknowledges past all of them or either
 * side resets it. Past SLIRP_OOO_CONN bytes on one connection or
 * SLIRP_OOO_ALL in all, such segments are dropped (the guest sends them
 * again). Segments before libslirp's first acknowledgement count alike.
 * Pure: no I/O, no libslirp.
 */
#ifndef QCW_NET_SLIRP_OOO_H
#define QCW_NET_SLIRP_OOO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SLIRP_OOO_CONN (512u << 10)
#define SLIRP_OOO_ALL (16u << 20)
#define SLIRP_OOO_WAYS 8
#define SLIRP_OOO_SETS 1024 /* the backend's; a power of two */

struct slirp_ooo_conn {
	uint8_t key[36]; /* guest address, peer address (IPv4: ::a.b.c.d),
			    guest port, peer port */
	bool used, acked; /* acked: rcv_nxt is libslirp's */
	uint32_t rcv_nxt; /* the next byte libslirp expects */
	uint32_t end; /* past the furthest segment counted */
	uint32_t bytes; /* counted, not known consumed */
	uint32_t stamp; /* when last seen */
};

struct slirp_ooo {
	struct slirp_ooo_conn *tab; /* sets * SLIRP_OOO_WAYS */
	unsigned int sets; /* a power of two */
	uint32_t seed, clock;
	size_t bytes; /* counted in all */
	size_t mtu; /* the smallest buffer libslirp takes for a segment */
	uint64_t drops; /* segments dropped over the budget */
};

/*
 * slirp_ooo_init() - for a link of @mtu bytes (frames), connections in
 * @sets (a power of two) sets of SLIRP_OOO_WAYS, hashed with @seed: 0 or
 * -ENOMEM
 */
int slirp_ooo_init(struct slirp_ooo *o, size_t mtu, unsigned int sets,
		   uint32_t seed);
void slirp_ooo_free(struct slirp_ooo *o);

/*
 * slirp_ooo_to_guest() - libslirp's frame @f (@len bytes, Ethernet) on
 * its way to the guest: a TCP ACK updates what it expects next; a RST
 * ends the connection's count
 */
void slirp_ooo_to_guest(struct slirp_ooo *o, const uint8_t *f, size_t len);

/*
 * slirp_ooo_admit() - the guest's frame @f (@len bytes, a whole datagram)
 * on its way to libslirp: false when it is an out-of-order TCP segment
 * past the budget, to be dropped (counted in drops)
 */
bool slirp_ooo_admit(struct slirp_ooo *o, const uint8_t *f, size_t len);

#endif
