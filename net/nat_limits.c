/*
 * nat_limits.c - the flows' fd budget from the fd limit (nat_limits.h).
 */
#include "net/nat_limits.h"

#include <string.h>
#include <sys/resource.h>

#include "util/log.h"

static unsigned int nat_at_least(uint64_t v, unsigned int min)
{
	return v < min ? min : (unsigned int)v;
}

void nat_limits_compute(struct nat_limits *l, uint64_t nofile,
			unsigned int max_flows, enum nat_policy policy)
{
	uint64_t headroom = nofile / 4, budget;

	memset(l, 0, sizeof(*l));
	l->nofile = nofile;
	if (headroom < NAT_FD_HEADROOM_MIN)
		headroom = NAT_FD_HEADROOM_MIN;
	budget = nofile > headroom ? nofile - headroom : 0;
	if (max_flows) {
		/* the user's choice, but never into the last 256 fds */
		uint64_t most = nofile > NAT_FD_HEADROOM_MIN
					? nofile - NAT_FD_HEADROOM_MIN
					: 0;

		budget = max_flows;
		if (budget > most) {
			budget = most;
			l->clamped = true;
		}
	} else if (budget > NAT_DEFAULT_MAX_FLOWS) {
		budget = NAT_DEFAULT_MAX_FLOWS;
	}
	if (budget > UINT32_MAX / 2)
		budget = UINT32_MAX / 2;
	l->budget = nat_at_least(budget, 4 * NAT_MIN_FLOWS);
	l->tcp_min = nat_at_least(l->budget / 2, NAT_MIN_FLOWS);
	l->udp_min = nat_at_least(l->budget / 8, NAT_MIN_FLOWS / 2);
	l->icmp_min = nat_at_least(l->budget / 32, NAT_MIN_FLOWS / 4);
	l->half_open = nat_at_least(l->budget / 4, NAT_MIN_FLOWS / 2);
	l->udp = nat_at_least((uint64_t)l->budget * 3 / 8, NAT_MIN_FLOWS);
	l->icmp = nat_at_least(l->budget / 8, NAT_MIN_FLOWS / 2);
	if (l->icmp > NAT_ICMP_MAX)
		l->icmp = NAT_ICMP_MAX;
	if (l->icmp_min > l->icmp)
		l->icmp_min = l->icmp;
	/* the minimums are at most 21/32 of a budget of at least 32 */
	l->tcp = l->budget - l->udp_min - l->icmp_min;
	if (policy == NAT_ONE_POOL) {
		l->tcp = l->budget;
		l->tcp_min = l->udp_min = l->icmp_min = 0;
	}
}

void nat_limits_get(struct nat_limits *l, unsigned int max_flows,
		    enum nat_policy policy)
{
	struct rlimit rl;
	uint64_t nofile = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		nofile = rl.rlim_cur == RLIM_INFINITY ? 1u << 20
						      : (uint64_t)rl.rlim_cur;
	nat_limits_compute(l, nofile, max_flows, policy);
	if (l->clamped)
		log_warn("nat: -max-flows %u is more than the fd limit (%llu) "
			 "allows, using %u",
			 max_flows, (unsigned long long)nofile, l->budget);
	log_info("nat: fd limit %llu: %u flows, of which TCP %u to %u (%u "
		 "connecting), UDP %u to %u, ICMP %u to %u",
		 (unsigned long long)nofile, l->budget, l->tcp_min, l->tcp,
		 l->half_open, l->udp_min, l->udp, l->icmp_min, l->icmp);
}
