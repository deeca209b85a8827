/*
 * stack_slirp.h - the libslirp backend of the stack seam (-stack slirp):
 * libslirp 4.7 on the libuv loop, gvproxy's addressing, qcw-net's own
 * DHCP and DNS. See stack_slirp.c.
 */
#ifndef QCW_STACK_SLIRP_H
#define QCW_STACK_SLIRP_H

#include "net/stack.h"

extern const struct stack_backend stack_slirp_backend;

#endif
