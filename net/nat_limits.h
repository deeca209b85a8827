/*
 * nat_limits.h - how many host fds the guest's flows may hold, derived
 * from the fd limit: the policy every stack backend enforces (lwIP's NAT
 * per protocol, libslirp's backend on its sockets in all). Pure, but for
 * nat_limits_get(), which reads the process's limit.
 */
#ifndef QCW_NAT_LIMITS_H
#define QCW_NAT_LIMITS_H

#include <stdint.h>

#include "net/stack.h" /* struct nat_limits */

/*
 * The NAT's bounds. Every flow holds one host fd, so they are shares of
 * the fd limit less a headroom kept for the API, listeners, DNS upstream
 * and port forwards: a quarter of the limit, at least NAT_FD_HEADROOM_MIN.
 * The rest (or -max-flows when given) is the budget, which the protocols
 * share (lwIP's NAT: struct nat_pool in nat_flow.h): each is always
 * granted its minimum, TCP 1/2, UDP 1/8 and ICMP 1/32, and may take free
 * budget beyond it up to its most: UDP 3/8, ICMP 1/8 (at most
 * NAT_ICMP_MAX) and TCP all that the other two's minimums leave (27/32,
 * so 10 000 idle connections fit in an fd limit of 20 000; a fixed half
 * stopped them at 7500). TCP connects in progress (half-open) at most a
 * quarter of the budget: a flood of SYNs leaves the rest to established
 * connections, while a guest's burst of a few thousand real connections
 * (slow to complete under load) is not reset.
 */
#define NAT_FD_HEADROOM_MIN 256
#define NAT_DEFAULT_MAX_FLOWS 131072 /* derived budgets stop here */
#define NAT_ICMP_MAX 4096
#define NAT_MIN_FLOWS 8

/*
 * How a backend holds its flows: lwIP's NAT in a table per protocol, each
 * with the minimum and most above; libslirp's sockets in one count, where
 * TCP may take the whole budget (UDP still at most its share) and no
 * protocol has a minimum.
 */
enum nat_policy { NAT_PER_PROTOCOL, NAT_ONE_POOL };

/*
 * nat_limits_compute() - bounds for fd limit @nofile; @max_flows is the
 * user's total (-max-flows), 0 to derive it from @nofile.
 */
void nat_limits_compute(struct nat_limits *l, uint64_t nofile,
			unsigned int max_flows, enum nat_policy policy);
/*
 * nat_limits_get() - nat_limits_compute() for this process's fd limit
 * (RLIMIT_NOFILE, as raised at start-up; unlimited counts as 2^20),
 * logged, with a warning when -max-flows had to be cut to it.
 */
void nat_limits_get(struct nat_limits *l, unsigned int max_flows,
		    enum nat_policy policy);

#endif
