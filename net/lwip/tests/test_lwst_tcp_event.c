/*
 * test_lwst_tcp_event.c - lwst_tcp_event.c with the real lwIP: two pcbs
 * of one lwIP talk through a netif that hands every packet back to
 * ip_input() (queued, delivered by the test, one at a time if it wants).
 * Every event kind must reach the right function of the right owner with
 * the pcb, length, data and error lwIP gave; without an argument or
 * without a function, what the header promises: data acknowledged and
 * freed (the test's input pbufs count their frees), the FIN ignored, a
 * new connection refused and aborted; lwIP's errors (abort, reset) to
 * the err function; the functions' returns back to lwIP; a listener that
 * forgets its argument and a watched pcb that dies in SYN_RCVD.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lwip/init.h"
#include "lwip/ip.h"
#include "lwip/netif.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

#include "net/lwip/lwst_tcp_event.h"

#define T_PKT 2048
#define T_QUEUE 256
#define T_CALLS 64
#define T_PORT 80

enum t_kind { T_ACCEPT = 1, T_RECV, T_SENT, T_CONNECTED, T_ERR };

struct t_call {
	enum t_kind kind;
	void *arg;
	struct tcp_pcb *pcb;
	err_t err;
	u16_t len;
	size_t tot_len; /* of the pbuf given to recv, 0 for NULL */
	char data[64];
};

/* an owner: its argument begins with its functions */
struct owner {
	const struct lwst_tcp_ops *ops;
	struct owner *child; /* accept: the new pcb's argument */
	err_t accept_ret; /* what accept returns */
	unsigned int recv_refuse; /* refuse (ERR_MEM) that many */
};

/* a packet in flight: a custom pbuf, so its free is seen */
struct t_pkt {
	struct pbuf_custom pc; /* first: the pbuf is the packet */
	uint16_t len;
	uint8_t data[T_PKT];
};

static struct netif nif;
static struct t_pkt *queue[T_QUEUE];
static unsigned int q_n;
static int live; /* packets given to lwIP and not freed yet */
static struct t_call calls[T_CALLS];
static unsigned int n_calls;
static struct tcp_pcb *listeners[4];
static unsigned int n_listeners;

static void t_log(enum t_kind kind, void *arg, struct tcp_pcb *pcb,
		  struct pbuf *p, u16_t len, err_t err)
{
	struct t_call *c;

	assert_true(n_calls < T_CALLS);
	c = &calls[n_calls++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->arg = arg;
	c->pcb = pcb;
	c->err = err;
	c->len = len;
	if (p) {
		c->tot_len = p->tot_len;
		pbuf_copy_partial(p, c->data, sizeof(c->data) - 1, 0);
	}
}

static err_t t_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
	struct owner *o = arg;

	t_log(T_ACCEPT, arg, newpcb, NULL, 0, err);
	if (o->accept_ret != ERR_OK)
		return o->accept_ret;
	tcp_arg(newpcb, o->child);
	return ERR_OK;
}

static err_t t_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct owner *o = arg;

	if (p && o->recv_refuse) {
		o->recv_refuse--;
		t_log(T_RECV, arg, pcb, p, 0, ERR_MEM);
		return ERR_MEM; /* not taken: lwIP keeps it for later */
	}
	t_log(T_RECV, arg, pcb, p, 0, err);
	if (p) {
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
	}
	return ERR_OK;
}

static err_t t_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	t_log(T_SENT, arg, pcb, NULL, len, ERR_OK);
	return ERR_OK;
}

static err_t t_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	t_log(T_CONNECTED, arg, pcb, NULL, 0, err);
	return ERR_OK;
}

static void t_err(void *arg, err_t err)
{
	t_log(T_ERR, arg, NULL, NULL, 0, err);
}

static const struct lwst_tcp_ops all_ops = {
	.accept = t_accept,
	.recv = t_recv,
	.sent = t_sent,
	.connected = t_connected,
	.err = t_err,
};
static const struct lwst_tcp_ops no_ops;

static void pkt_free(struct pbuf *p)
{
	live--;
	free(p);
}

static err_t q_output(struct netif *n, struct pbuf *p, const ip4_addr_t *to)
{
	struct t_pkt *k;

	(void)n;
	(void)to;
	assert_true(q_n < T_QUEUE);
	assert_true(p->tot_len <= T_PKT);
	k = malloc(sizeof(*k));
	assert_non_null(k);
	k->len = (uint16_t)pbuf_copy_partial(p, k->data, p->tot_len, 0);
	queue[q_n++] = k;
	return ERR_OK;
}

static err_t nif_init(struct netif *n)
{
	n->output = q_output;
	n->mtu = 1500;
	n->flags = NETIF_FLAG_LINK_UP;
	return ERR_OK;
}

/* step() - deliver the oldest packet in flight; 0 if none */
static int step(void)
{
	struct t_pkt *k;
	struct pbuf *p;

	if (!q_n)
		return 0;
	k = queue[0];
	memmove(queue, queue + 1, --q_n * sizeof(queue[0]));
	p = pbuf_alloced_custom(PBUF_RAW, k->len, PBUF_REF, &k->pc, k->data,
				T_PKT);
	assert_non_null(p);
	k->pc.custom_free_function = pkt_free;
	live++;
	nif.input(p, &nif);
	return 1;
}

static void pump(void)
{
	int n = 0;

	while (step())
		assert_true(n++ < 1000);
}

/* settle() - deliver, and let the delayed ACKs go, until quiet */
static void settle(void)
{
	int n = 0;

	do {
		pump();
		tcp_fasttmr();
		assert_true(n++ < 100);
	} while (q_n);
}

static void drop_all(void)
{
	while (q_n)
		free(queue[--q_n]);
}

static int group_setup(void **state)
{
	ip4_addr_t ip, mask, gw;

	(void)state;
	lwip_init();
	IP4_ADDR(&ip, 10, 0, 0, 1);
	IP4_ADDR(&mask, 255, 255, 255, 0);
	IP4_ADDR(&gw, 0, 0, 0, 0);
	assert_non_null(
		netif_add(&nif, &ip, &mask, &gw, NULL, nif_init, ip_input));
	netif_set_default(&nif);
	netif_set_up(&nif);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	n_calls = 0;
	drop_all();
	return 0;
}

/* teardown() - no pcb left behind, no packet lost in lwIP */
static int teardown(void **state)
{
	int leaked;

	(void)state;
	while (tcp_active_pcbs) {
		tcp_arg(tcp_active_pcbs, NULL);
		tcp_abort(tcp_active_pcbs);
	}
	while (tcp_tw_pcbs) {
		tcp_arg(tcp_tw_pcbs, NULL);
		tcp_abort(tcp_tw_pcbs);
	}
	while (n_listeners)
		tcp_close(listeners[--n_listeners]);
	drop_all();
	leaked = live; /* the next test starts from none */
	live = 0;
	assert_int_equal(leaked, 0);
	return 0;
}

static struct tcp_pcb *listen_on(void *arg)
{
	struct tcp_pcb *l = tcp_new();

	assert_non_null(l);
	assert_int_equal(tcp_bind(l, IP4_ADDR_ANY, T_PORT), ERR_OK);
	l = tcp_listen(l);
	assert_non_null(l);
	tcp_arg(l, arg);
	listeners[n_listeners++] = l;
	return l;
}

static struct tcp_pcb *connect_from(void *arg)
{
	struct tcp_pcb *c = tcp_new();
	ip_addr_t to;

	assert_non_null(c);
	tcp_arg(c, arg);
	ip_addr_copy_from_ip4(to, *netif_ip4_addr(&nif));
	assert_int_equal(tcp_connect(c, &to, T_PORT, NULL), ERR_OK);
	return c;
}

/* find() - the first call of @kind from @from on, or NULL */
static struct t_call *find(enum t_kind kind, unsigned int from)
{
	for (unsigned int i = from; i < n_calls; i++)
		if (calls[i].kind == kind)
			return &calls[i];
	return NULL;
}

static unsigned int count(enum t_kind kind)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < n_calls; i++)
		n += calls[i].kind == kind;
	return n;
}

static void send_str(struct tcp_pcb *pcb, const char *s)
{
	assert_int_equal(
		tcp_write(pcb, s, (u16_t)strlen(s), TCP_WRITE_FLAG_COPY),
		ERR_OK);
	assert_int_equal(tcp_output(pcb), ERR_OK);
}

static void test_every_event(void **state)
{
	struct owner srv = {.ops = &all_ops};
	struct owner lst = {.ops = &all_ops, .child = &srv};
	struct owner cli = {.ops = &all_ops};
	struct tcp_pcb *c, *s;
	struct t_call *k;
	unsigned int mark;

	(void)state;
	listen_on(&lst);
	c = connect_from(&cli);
	pump();
	/* the listener's owner gets the new pcb; the client is connected */
	k = find(T_ACCEPT, 0);
	assert_non_null(k);
	assert_ptr_equal(k->arg, &lst);
	assert_int_equal(k->err, ERR_OK);
	s = k->pcb;
	assert_non_null(s);
	assert_ptr_not_equal(s, c);
	assert_int_equal(s->state, ESTABLISHED);
	assert_int_equal(count(T_ACCEPT), 1);
	k = find(T_CONNECTED, 0);
	assert_non_null(k);
	assert_ptr_equal(k->arg, &cli);
	assert_ptr_equal(k->pcb, c);
	assert_int_equal(k->err, ERR_OK);
	assert_int_equal(count(T_CONNECTED), 1);
	assert_int_equal(n_calls, 2);

	/* data: recv at the server's owner, sent at the client's */
	mark = n_calls;
	send_str(c, "hello");
	settle();
	k = find(T_RECV, mark);
	assert_non_null(k);
	assert_ptr_equal(k->arg, &srv);
	assert_ptr_equal(k->pcb, s);
	assert_int_equal(k->tot_len, 5);
	assert_string_equal(k->data, "hello");
	assert_int_equal(k->err, ERR_OK);
	k = find(T_SENT, mark);
	assert_non_null(k);
	assert_ptr_equal(k->arg, &cli);
	assert_ptr_equal(k->pcb, c);
	assert_int_equal(k->len, 5);
	assert_int_equal(n_calls, mark + 2);

	/* and back */
	mark = n_calls;
	send_str(s, "world!");
	settle();
	k = find(T_RECV, mark);
	assert_non_null(k);
	assert_ptr_equal(k->arg, &cli);
	assert_ptr_equal(k->pcb, c);
	assert_string_equal(k->data, "world!");
	k = find(T_SENT, mark);
	assert_non_null(k);
	assert_ptr_equal(k->arg, &srv);
	assert_ptr_equal(k->pcb, s);
	assert_int_equal(k->len, 6);

	/* the peer's FIN: recv with no pbuf */
	mark = n_calls;
	assert_int_equal(tcp_shutdown(c, 0, 1), ERR_OK);
	pump();
	k = find(T_RECV, mark);
	assert_non_null(k);
	assert_ptr_equal(k->arg, &srv);
	assert_ptr_equal(k->pcb, s);
	assert_int_equal(k->tot_len, 0);
	assert_int_equal(k->err, ERR_OK);
	assert_int_equal(s->state, CLOSE_WAIT);

	/* lwIP's poll timer: no function for it, nothing happens */
	mark = n_calls;
	tcp_poll(s, NULL, 1);
	for (int i = 0; i < 4; i++)
		tcp_slowtmr();
	assert_int_equal(n_calls, mark);
	assert_int_equal(s->state, CLOSE_WAIT);

	/* the server aborts: its owner is told ERR_ABRT (no pcb any more),
	 * the client ERR_RST */
	mark = n_calls;
	tcp_abort(s);
	k = find(T_ERR, mark);
	assert_non_null(k);
	assert_ptr_equal(k->arg, &srv);
	assert_null(k->pcb);
	assert_int_equal(k->err, ERR_ABRT);
	assert_int_equal(n_calls, mark + 1);
	pump();
	k = find(T_ERR, mark + 1);
	assert_non_null(k);
	assert_ptr_equal(k->arg, &cli);
	assert_int_equal(k->err, ERR_RST);
	assert_int_equal(count(T_ERR), 2);
	assert_null(tcp_active_pcbs);
}

/*
 * without_owner() - the client talks to a server pcb whose argument is
 * @arg (NULL, or an owner without functions): its data is acknowledged
 * and freed, the client's FIN leaves it in CLOSE_WAIT, an abort is
 * silent.
 */
static void without_owner(void *arg)
{
	struct owner lst = {.ops = &all_ops, .child = arg};
	struct owner cli = {.ops = &all_ops};
	struct tcp_pcb *c, *s;
	struct t_call *k;
	unsigned int mark;
	char big[1000];

	listen_on(&lst);
	c = connect_from(&cli);
	pump();
	k = find(T_ACCEPT, 0);
	assert_non_null(k);
	s = k->pcb;
	assert_ptr_equal(s->callback_arg, arg);

	mark = n_calls;
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = 0;
	send_str(c, "dropped");
	send_str(c, big);
	settle();
	/* acknowledged (the client's sent), the window given back, freed */
	assert_int_equal(live, 0);
	assert_int_equal(s->rcv_wnd, TCP_WND);
	assert_int_equal(count(T_RECV), 0);
	k = find(T_SENT, mark);
	assert_non_null(k);
	assert_ptr_equal(k->arg, &cli);
	assert_int_equal(c->snd_buf, TCP_SND_BUF); /* all acknowledged */
	assert_int_equal(s->state, ESTABLISHED);

	/* the FIN: not reported, the pcb stays */
	assert_int_equal(tcp_shutdown(c, 0, 1), ERR_OK);
	pump();
	assert_int_equal(s->state, CLOSE_WAIT);
	assert_int_equal(count(T_RECV), 0);

	/* sent and poll without a function: nothing, ERR_OK */
	mark = n_calls;
	send_str(s, "to the client");
	settle();
	assert_int_equal(s->snd_buf, TCP_SND_BUF);
	k = find(T_RECV, mark);
	assert_non_null(k);
	assert_ptr_equal(k->arg, &cli);
	assert_string_equal(k->data, "to the client");
	tcp_poll(s, NULL, 1);
	tcp_slowtmr();
	assert_int_equal(s->state, CLOSE_WAIT);

	/* an abort: no err function, nobody told; the client gets a RST */
	mark = n_calls;
	tcp_abort(s);
	assert_int_equal(n_calls, mark);
	pump();
	k = find(T_ERR, mark);
	assert_non_null(k);
	assert_ptr_equal(k->arg, &cli);
	assert_int_equal(k->err, ERR_RST);
	assert_int_equal(n_calls, mark + 1);
	assert_null(tcp_active_pcbs);
}

static void test_null_arg(void **state)
{
	(void)state;
	without_owner(NULL);
}

static void test_no_functions(void **state)
{
	struct owner none = {.ops = &no_ops};

	(void)state;
	without_owner(&none);
}

/*
 * refused() - a listener whose argument is @arg: the new connection is
 * aborted (RST to the client, no pcb left on the server's side).
 */
static void refused(void *arg)
{
	struct owner cli = {.ops = &all_ops};
	struct t_call *k;

	listen_on(arg);
	connect_from(&cli);
	pump();
	/* the client saw its handshake finish, then the reset */
	k = find(T_CONNECTED, 0);
	assert_non_null(k);
	k = find(T_ERR, 0);
	assert_non_null(k);
	assert_ptr_equal(k->arg, &cli);
	assert_int_equal(k->err, ERR_RST);
	assert_null(tcp_active_pcbs);
	assert_int_equal(live, 0);
}

static void test_accept_without_owner(void **state)
{
	struct owner none = {.ops = &no_ops};

	(void)state;
	refused(NULL);
	assert_int_equal(n_calls, 2);
	teardown(NULL);
	setup(NULL);
	refused(&none);
	assert_int_equal(n_calls, 2);
}

/* the functions' returns go back to lwIP */
static void test_returns(void **state)
{
	struct owner srv = {.ops = &all_ops, .recv_refuse = 1};
	struct owner lst = {.ops = &all_ops, .child = &srv};
	struct owner cli = {.ops = &all_ops};
	struct tcp_pcb *c;
	struct t_call *k;
	unsigned int mark;

	(void)state;
	/* accept refuses: lwIP aborts the new connection */
	lst.accept_ret = ERR_VAL;
	listen_on(&lst);
	connect_from(&cli);
	pump();
	assert_int_equal(count(T_ACCEPT), 1);
	/*
	 * lwIP's abort tells the argument the new pcb has: the listener's,
	 * inherited (an owner refusing sets it NULL first, as nat_tcp.c)
	 */
	k = find(T_ERR, 0);
	assert_non_null(k);
	assert_ptr_equal(k->arg, &lst);
	assert_int_equal(k->err, ERR_ABRT);
	k = find(T_ERR, (unsigned int)(k - calls) + 1);
	assert_non_null(k);
	assert_ptr_equal(k->arg, &cli);
	assert_int_equal(k->err, ERR_RST);
	assert_int_equal(count(T_ERR), 2);
	assert_null(tcp_active_pcbs);

	/* recv refuses (ERR_MEM): lwIP keeps the data and offers it again */
	lst.accept_ret = ERR_OK;
	c = connect_from(&cli);
	pump();
	mark = n_calls;
	send_str(c, "again");
	pump();
	k = find(T_RECV, mark);
	assert_non_null(k);
	assert_int_equal(k->err, ERR_MEM);
	assert_string_equal(k->data, "again");
	assert_int_equal(live, 1); /* held by lwIP */
	tcp_fasttmr(); /* refused data goes up again */
	pump();
	k = find(T_RECV, (unsigned int)(k - calls) + 1);
	assert_non_null(k);
	assert_ptr_equal(k->arg, &srv);
	assert_int_equal(k->err, ERR_OK);
	assert_string_equal(k->data, "again");
	assert_int_equal(live, 0);
}

/*
 * A listener that goes away forgets its argument: a connection still in
 * its handshake (it inherited the argument) is refused at accept, the
 * listener's owner not called.
 */
static void test_forget(void **state)
{
	struct owner lst = {.ops = &all_ops};
	struct owner cli = {.ops = &all_ops};
	struct tcp_pcb *l, *s;

	(void)state;
	l = listen_on(&lst);
	connect_from(&cli);
	assert_int_equal(step(), 1); /* the SYN: a SYN_RCVD pcb */
	s = tcp_active_pcbs;
	while (s && s->state != SYN_RCVD)
		s = s->next;
	assert_non_null(s);
	assert_ptr_equal(s->callback_arg, &lst);
	tcp_close(l);
	n_listeners--;
	lwst_tcp_forget(&lst);
	assert_null(s->callback_arg);
	pump();
	assert_int_equal(count(T_ACCEPT), 0);
	assert_null(tcp_active_pcbs);
	assert_non_null(find(T_ERR, 0));
}

static unsigned int n_destroyed;
static void *destroyed_arg;

static void t_destroy(u8_t id, void *data)
{
	assert_int_equal(id, lwst_tcp_ext_id());
	n_destroyed++;
	destroyed_arg = data;
}

static const struct tcp_ext_arg_callbacks watch_cbs = {.destroy = t_destroy};

/*
 * A pcb that dies in SYN_RCVD: the event API says nothing (lwIP thinks
 * nobody saw it); watched, its watcher hears of it; unwatched, not.
 */
static void test_watch(void **state)
{
	struct owner lst = {.ops = &all_ops};
	struct owner cli = {.ops = &all_ops};
	struct tcp_pcb *c, *s;
	int token;

	(void)state;
	assert_int_equal(lwst_tcp_ext_id(), lwst_tcp_ext_id());
	listen_on(&lst);
	for (int watch = 1; watch >= 0; watch--) {
		n_destroyed = 0;
		n_calls = 0;
		c = connect_from(&cli);
		assert_int_equal(step(), 1); /* the SYN */
		for (s = tcp_active_pcbs; s && s->state != SYN_RCVD;)
			s = s->next;
		assert_non_null(s);
		lwst_tcp_watch(s, &watch_cbs, &token);
		if (!watch)
			lwst_tcp_unwatch(s);
		drop_all(); /* the SYN-ACK lost */
		tcp_arg(c, NULL);
		tcp_abort(c); /* the RST */
		pump();
		assert_null(tcp_active_pcbs);
		assert_int_equal(n_destroyed, watch ? 1 : 0);
		if (watch)
			assert_ptr_equal(destroyed_arg, &token);
		assert_int_equal(n_calls, 0); /* lwIP's own silence */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_event, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_null_arg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_functions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_accept_without_owner,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_returns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
