/*
 * lwst_tcp_event.c - lwIP's TCP events to the owners of pcbs (see
 * lwst_tcp_event.h).
 */
#include "net/lwip/lwst_tcp_event.h"

#include <stddef.h>

#include "lwip/priv/tcp_priv.h"

static u8_t lwst_ext_id;
static int lwst_ext_id_set;

u8_t lwst_tcp_ext_id(void)
{
	if (!lwst_ext_id_set) {
		lwst_ext_id = tcp_ext_arg_alloc_id();
		lwst_ext_id_set = 1;
	}
	return lwst_ext_id;
}

/*
 * What lwIP's callback API does for a pcb without a recv callback: data
 * acknowledged and dropped (tcp_recv_null()); the peer's FIN (p NULL, the
 * event API's TCP_EVENT_CLOSED) not reported, so nothing: whoever let go
 * of the pcb closed or aborted it then.
 */
static err_t lwst_recv_default(struct tcp_pcb *pcb, struct pbuf *p)
{
	if (p) {
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
	}
	return ERR_OK;
}

err_t lwip_tcp_event(void *arg, struct tcp_pcb *pcb, enum lwip_event ev,
		     struct pbuf *p, u16_t size, err_t err)
{
	const struct lwst_tcp_ops *ops = arg ? lwst_tcp_ops_of(arg) : NULL;

	switch (ev) {
	case LWIP_EVENT_RECV:
		if (ops && ops->recv)
			return ops->recv(arg, pcb, p, err);
		return lwst_recv_default(pcb, p);
	case LWIP_EVENT_SENT:
		if (ops && ops->sent)
			return ops->sent(arg, pcb, size);
		return ERR_OK;
	case LWIP_EVENT_ACCEPT:
		if (ops && ops->accept)
			return ops->accept(arg, pcb, err);
		return ERR_ARG;
	case LWIP_EVENT_CONNECTED:
		if (ops && ops->connected)
			return ops->connected(arg, pcb, err);
		return ERR_OK;
	case LWIP_EVENT_ERR:
		if (ops && ops->err)
			ops->err(arg, err);
		return ERR_OK;
	case LWIP_EVENT_POLL:
	default:
		return ERR_OK;
	}
}

void lwst_tcp_watch(struct tcp_pcb *pcb,
		    const struct tcp_ext_arg_callbacks *cbs, void *arg)
{
	u8_t id = lwst_tcp_ext_id();

	tcp_ext_arg_set_callbacks(pcb, id, cbs);
	tcp_ext_arg_set(pcb, id, arg);
}

/* lwIP takes no NULL callback table */
static const struct tcp_ext_arg_callbacks lwst_no_cbs;

void lwst_tcp_unwatch(struct tcp_pcb *pcb)
{
	u8_t id = lwst_tcp_ext_id();

	tcp_ext_arg_set_callbacks(pcb, id, &lwst_no_cbs);
	tcp_ext_arg_set(pcb, id, NULL);
}

void lwst_tcp_forget(const void *arg)
{
	struct tcp_pcb *pcb;

	for (pcb = tcp_active_pcbs; pcb; pcb = pcb->next)
		if (pcb->callback_arg == arg)
			pcb->callback_arg = NULL;
	for (pcb = tcp_tw_pcbs; pcb; pcb = pcb->next)
		if (pcb->callback_arg == arg)
			pcb->callback_arg = NULL;
}
