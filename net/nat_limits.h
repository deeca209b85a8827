/*
 * nat_limits.h - how many host fds the guest's flows may hold, derived
 * from the fd limit: the policy every stack backend enforces (lwIP's NAT
 * per protocol, libslirp's backend on its sockets in all). Pure.
 */
#ifndef QCW_NAT_LIMITS_H
#define QCW_NAT_LIMITS_H

#include <stdint.h>

#include "net/stack.h" /* struct nat_limits */

/*
 * The NAT's bounds. Every flow holds one host fd, so they are shares of
 * the fd limit less a headroom kept for the API, listeners, DNS upstream
 * and port forwards: a quarter of the limit, at least NAT_FD_HEADROOM_MIN.
 * Of the rest (or of -max-flows when given) TCP gets 1/2, UDP 3/8 and ICMP
 * 1/8 (at most NAT_ICMP_MAX); TCP connects in progress (half-open) at most
 * half of TCP's share: a flood of SYNs leaves half of the table to
 * established connections, while a guest's burst of a few thousand real
 * connections (slow to complete under load) is not reset.
 */
#define NAT_FD_HEADROOM_MIN 256
#define NAT_DEFAULT_MAX_FLOWS 131072 /* derived budgets stop here */
#define NAT_ICMP_MAX 4096
#define NAT_MIN_FLOWS 8

/*
 * nat_limits_compute() - bounds for fd limit @nofile; @max_flows is the
 * user's total (-max-flows), 0 to derive it from @nofile.
 */
void nat_limits_compute(struct nat_limits *l, uint64_t nofile,
			unsigned int max_flows);

#endif
