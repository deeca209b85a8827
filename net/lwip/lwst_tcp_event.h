/*
 * lwst_tcp_event.h - lwIP's TCP events (LWIP_EVENT_API, lwipopts.h) to
 * whoever owns a pcb: no five callback pointers in every pcb (40 bytes),
 * one function instead (lwip_tcp_event()).
 *
 * The argument given to tcp_arg() (the pcb's callback_arg) must begin
 * with a pointer to its struct lwst_tcp_ops: the events go to its
 * functions with that argument. A pcb without an argument, or an event
 * without a function, gets what lwIP's callback API does without a
 * callback: received data acknowledged and dropped, the peer's FIN
 * ignored, a new connection refused (ERR_ARG, lwIP aborts it),
 * everything else ERR_OK.
 *
 * Unlike lwIP's callback API, the event API reports no error for a pcb
 * that dies in SYN_RCVD (lwIP assumes nobody saw it before its accept):
 * an owner that holds such a pcb watches its lifetime with
 * lwst_tcp_watch().
 */
#ifndef QCW_LWST_TCP_EVENT_H
#define QCW_LWST_TCP_EVENT_H

#include "lwip/tcp.h"

struct lwst_tcp_ops {
	/* a listener's new connection: the new pcb's argument (inherited
	 * from the listener unless set on the SYN_RCVD pcb) */
	err_t (*accept)(void *arg, struct tcp_pcb *newpcb, err_t err);
	err_t (*recv)(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
		      err_t err);
	err_t (*sent)(void *arg, struct tcp_pcb *pcb, u16_t len);
	err_t (*connected)(void *arg, struct tcp_pcb *pcb, err_t err);
	/* lwIP freed the pcb (reset, timeout, abort) */
	void (*err)(void *arg, err_t err);
};

/* lwst_tcp_ops_of() - the functions of callback argument @arg (not NULL) */
static inline const struct lwst_tcp_ops *lwst_tcp_ops_of(const void *arg)
{
	return *(const struct lwst_tcp_ops *const *)arg;
}

/*
 * lwst_tcp_ext_id() - the one extension-argument slot of every pcb
 * (LWIP_TCP_PCB_NUM_EXT_ARGS): lwIP hands ids out once per process
 * (NO_SYS, one instance) and never takes them back, so it is process state
 * like lwIP itself. Its users never overlap on one pcb: lwst_tcp_watch()
 * while a pcb is in its handshake, txring.c once its splice sends.
 */
u8_t lwst_tcp_ext_id(void);

/*
 * lwst_tcp_watch() - @cbs->destroy(id, @arg) when lwIP frees @pcb (from
 * inside lwIP, the pcb already off its lists: it must not be touched),
 * until lwst_tcp_unwatch(). Takes the pcb's extension slot.
 */
void lwst_tcp_watch(struct tcp_pcb *pcb,
		    const struct tcp_ext_arg_callbacks *cbs, void *arg);
void lwst_tcp_unwatch(struct tcp_pcb *pcb);

/*
 * lwst_tcp_forget() - no pcb keeps @arg as its argument any more: a
 * listener's connections inherit the listener's argument, so one that
 * goes away clears it from those it never accepted (they then get what
 * a pcb without an argument gets).
 */
void lwst_tcp_forget(const void *arg);

#endif
