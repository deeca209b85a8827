/*
 * nat_icmp_win.c - the guest's ICMP and ICMPv6 echo on Windows, in place
 * of nat_icmp_raw.c (ping and raw sockets, POSIX): Windows has no ping
 * sockets, so every echo request goes out through the system's ICMP API
 * (net/icmp_echo.h: IcmpSendEcho2, Icmp6SendEcho2) and its reply comes
 * back to the guest from the pinged address with the guest's id and
 * sequence number. The NAT calls the same functions as on Linux (nat.h,
 * nat_priv.h): nat_icmp_raw_setup() opens the ICMP handles when the stack
 * is prepared, and nat->icmp_raw then carries every echo of both
 * families. Where the system has no ICMPv6 API (wine 8.0 implements only
 * IPv4's) that is said once at start, and each IPv6 echo is dropped and
 * counted (nat->cnt.icmp.dropped) with a rate-limited log line.
 */
#include "net/lwip/nat_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/inet_chksum.h"
#include "lwip/ip6.h"
#include "lwip/prot/icmp.h"
#include "lwip/prot/icmp6.h"

#include "net/icmp_echo.h"
#include "util/be.h"
#include "util/log.h"

struct nat_icmp_raw {
	struct nat *nat;
	struct icmp_echo *echo;
};

/* what comes back with a reply: the flow (who asked what), the sequence */
struct nat_icmp_win_tag {
	struct nat_key k;
	uint16_t seq;
};

_Static_assert(sizeof(struct nat_icmp_win_tag) <= ICMP_ECHO_TAG,
	       "an echo's tag holds the flow key");

/* no ping sockets on Windows: every echo goes through nat->icmp_raw */
int nat_icmp_open(struct nat_dgram *d)
{
	(void)d;
	return -ENOSYS;
}

/* the ICMP API serves both families */
bool nat_icmp_raw_carries(const struct nat_key *k)
{
	(void)k;
	return true;
}

static void nat_icmp_win_reply(void *arg, const void *tagp, int status,
			       const uint8_t *data, size_t len)
{
	struct nat_icmp_raw *r = arg;
	struct nat *nat = r->nat;
	struct nat_icmp_win_tag t;
	struct pbuf *p;
	uint8_t *ih;
	u16_t sum;

	memcpy(&t, tagp, sizeof(t));
	if (status < 0)
		return; /* no reply (timeout, unreachable): as a lost echo */
	p = pbuf_alloc(PBUF_IP, (u16_t)(8 + len), PBUF_RAM);
	if (!p) {
		nat->cnt.icmp.dropped++;
		log_rl("nat: out of memory for an ICMP echo reply, dropped");
		return;
	}
	ih = p->payload;
	ih[0] = t.k.v6 ? ICMP6_TYPE_EREP : ICMP_ER;
	ih[1] = 0;
	be16_put(ih + 2, 0);
	be16_put(ih + 4, t.k.gport);
	be16_put(ih + 6, t.seq);
	memcpy(ih + 8, data, len);
	if (t.k.v6) {
		ip_addr_t src, dst;

		nat_key_ip(&t.k, false, &src);
		nat_key_ip(&t.k, true, &dst);
		sum = ip6_chksum_pseudo(p, IP6_NEXTH_ICMP6, p->tot_len,
					ip_2_ip6(&src), ip_2_ip6(&dst));
	} else {
		sum = inet_chksum(ih, (u16_t)(8 + len)); /* network order */
	}
	memcpy(ih + 2, &sum, 2);
	nat->cnt.icmp.bytes_to_guest += 8 + len;
	nat_output(nat, p, &t.k);
}

void nat_icmp_raw_send(struct nat *nat, const struct nat_key *k, uint8_t *msg,
		       size_t len)
{
	struct nat_icmp_win_tag t;
	struct icmp_echo *echo = nat->icmp_raw->echo;
	int e;

	memset(&t, 0, sizeof(t));
	t.k = *k;
	t.seq = be16_get(msg + 6);
	if (k->v6) {
		struct sockaddr_storage ss;

		nat_host_sockaddr(nat, k, &ss); /* the host alias: ::1 */
		e = icmp_echo_send6(
			echo, ((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr,
			msg + 8, len - 8, &t, sizeof(t));
	} else {
		e = icmp_echo_send(echo, nat_host_addr(nat, k->dip), msg + 8,
				   len - 8, &t, sizeof(t));
	}
	if (e < 0) {
		nat->cnt.icmp.dropped++;
		if (e == -ENOSYS)
			log_rl("nat: ICMPv6 echo not sent: this system has no "
			       "ICMPv6 API (Icmp6SendEcho2)");
		else
			log_rl("nat: ICMP echo not sent: %s", strerror(-e));
		return;
	}
	nat->cnt.icmp.flows_total++;
	nat->cnt.icmp.bytes_to_host += len;
}

/* each echo is its own request: nothing idles */
void nat_icmp_raw_sweep(struct nat *nat, uint64_t now)
{
	(void)nat;
	(void)now;
}

void nat_icmp_raw_fini(struct nat *nat)
{
	struct nat_icmp_raw *r = nat->icmp_raw;

	nat->icmp_raw = NULL;
	icmp_echo_close(r->echo);
	free(r);
}

int nat_icmp_raw_setup(struct nat *nat)
{
	struct nat_icmp_raw *r;
	int err;

	if (nat->icmp_raw)
		return 1;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->nat = nat;
	r->echo = icmp_echo_open(nat->loop, nat_icmp_win_reply, r, &err);
	if (!r->echo) {
		free(r);
		log_warn("nat: ICMP echo is not forwarded: the Windows ICMP "
			 "API is not available (%s)",
			 strerror(-err));
		return 0;
	}
	nat->icmp_raw = r;
	err = icmp_echo_v6_error(r->echo);
	if (err)
		log_warn("nat: ICMP echo goes through the Windows ICMP API; "
			 "ICMPv6 echo is not forwarded: %s",
			 err == -ENOSYS ? "this system does not implement "
					  "Icmp6CreateFile (as under wine)"
					: strerror(-err));
	else
		log_info("nat: ICMP and ICMPv6 echo go through the Windows "
			 "ICMP API");
	return 1;
}
