/*
 * icmp_echo.h - ICMP echo through the operating system's own ICMP API,
 * for systems without ping sockets: Windows' IcmpSendEcho2 and, for IPv6,
 * Icmp6SendEcho2 (net/icmp_echo_win.c). Linux uses ping sockets or a raw socket in the
 * NAT instead (net/lwip/nat_icmp_raw.c) and does not build this.
 *
 * Each echo is one blocking IcmpSendEcho2() call on libuv's thread pool;
 * at most ICMP_ECHO_SLOTS are in flight (preallocated, no allocation per
 * echo), more are refused with -EBUSY for the caller to count.
 */
#ifndef QCW_ICMP_ECHO_H
#define QCW_ICMP_ECHO_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define ICMP_ECHO_SLOTS 64
#define ICMP_ECHO_MAX_DATA 8192 /* payload bytes of one echo */
#define ICMP_ECHO_TIMEOUT_MS 1000
#define ICMP_ECHO_TAG 64 /* bytes of a tag */

struct icmp_echo;

/*
 * icmp_echo_reply_fn - on the loop's thread, once per icmp_echo_send():
 * @status 0 with the reply's @data / @len (the payload after the 8-byte
 * echo header), or -ETIMEDOUT / -EHOSTUNREACH / -EIO with no data.
 * @tag is what icmp_echo_send() was given.
 */
typedef void (*icmp_echo_reply_fn)(void *arg, const void *tag, int status,
				   const uint8_t *data, size_t len);

/*
 * icmp_echo_open() - NULL with *err set (-errno) when IPv4 echo is not
 * available. IPv6 is opened as well; without it (icmp_echo_v6_error())
 * the handle still serves IPv4.
 */
struct icmp_echo *icmp_echo_open(uv_loop_t *loop, icmp_echo_reply_fn cb,
				 void *arg, int *err);

/*
 * icmp_echo_send() - an echo to @dst (host order) carrying @data; @tag
 * (up to ICMP_ECHO_TAG bytes, copied) comes back with the reply.
 * Return: 0, -EBUSY (all slots in flight), -EMSGSIZE or -EINVAL.
 */
int icmp_echo_send(struct icmp_echo *e, uint32_t dst, const uint8_t *data,
		   size_t len, const void *tag, size_t taglen);

/*
 * icmp_echo_send6() - the same to the IPv6 address @dst (network order),
 * through the system's ICMPv6 API.
 * Return: as icmp_echo_send(), or icmp_echo_v6_error() when IPv6 echo is
 * not available.
 */
int icmp_echo_send6(struct icmp_echo *e, const uint8_t dst[16],
		    const uint8_t *data, size_t len, const void *tag,
		    size_t taglen);

/*
 * icmp_echo_v6_error() - 0 when IPv6 echoes can be sent, else why not:
 * -ENOSYS when the system does not implement the ICMPv6 API (wine 8.0's
 * Icmp6CreateFile is a stub), -EIO for another failure.
 */
int icmp_echo_v6_error(const struct icmp_echo *e);

/*
 * icmp_echo_close() - no callback after this; the handle is freed once
 * the echoes in flight are back (at most ICMP_ECHO_TIMEOUT_MS).
 */
void icmp_echo_close(struct icmp_echo *e);

#endif
