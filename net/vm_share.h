/*
 * vm_share.h - what each VM on one qcw-net (-keep-serving) holds of a
 * bound, and its share: the bound over the VMs holding any of it (a VM
 * taking its first counted in), at least one. With one VM it may hold
 * all. A VM is a switch port id + 1 (nat_vm_of_port()); 0 is no VM
 * (host-side use), counted by no one.
 */
#ifndef QCW_VM_SHARE_H
#define QCW_VM_SHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/nat_flow.h"

struct vm_hold {
	uint32_t by_vm[NAT_VMS];
	unsigned int n_vms; /* VMs holding any */
};

static inline void vm_hold_add(struct vm_hold *h, uint8_t vm)
{
	if (vm && vm < NAT_VMS && !h->by_vm[vm]++)
		h->n_vms++;
}

static inline void vm_hold_del(struct vm_hold *h, uint8_t vm)
{
	if (vm && vm < NAT_VMS && h->by_vm[vm] && !--h->by_vm[vm])
		h->n_vms--;
}

/* vm_hold_with() - the VMs holding any once @vm (not 0) holds one */
static inline unsigned int vm_hold_with(const struct vm_hold *h, uint8_t vm)
{
	return h->n_vms + !h->by_vm[vm];
}

/* vm_hold_share() - what @vm may hold of @max, once it holds one */
static inline size_t vm_hold_share(const struct vm_hold *h, uint8_t vm,
				   size_t max)
{
	if (!vm || vm >= NAT_VMS)
		return max;
	return nat_vm_share(max, vm_hold_with(h, vm));
}

/* vm_hold_over() - @vm shares @max with other VMs and holds its share */
static inline bool vm_hold_over(const struct vm_hold *h, uint8_t vm, size_t max)
{
	return vm && vm < NAT_VMS && vm_hold_with(h, vm) >= 2 &&
	       h->by_vm[vm] >= vm_hold_share(h, vm, max);
}

/* vm_hold_biggest() - the VM holding the most (0: none) */
static inline uint8_t vm_hold_biggest(const struct vm_hold *h)
{
	unsigned int i, big = 0;

	for (i = 1; i < NAT_VMS; i++)
		if (h->by_vm[i] > h->by_vm[big])
			big = i;
	return (uint8_t)big;
}

#endif
