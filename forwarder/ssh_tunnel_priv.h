/*
 * ssh_tunnel_priv.h - state shared by ssh_tunnel.c (listener, session
 * state machine, create/destroy) and ssh_tunnel_conn.c (host connections
 * and their channels). Only built with libssh (QCW_HAVE_SSH).
 */
#ifndef QCW_SSH_TUNNEL_PRIV_H
#define QCW_SSH_TUNNEL_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include "forwarder/ssh_tunnel.h"
#include "forwarder/ssh_tunnel_os.h"
#include "net/unixsock.h"

#define TUN_BUF (64 * 1024)
#define TUN_PUMP_ROUNDS 64 /* dopoll rounds (<= 4 KiB read each) per pass */

enum tun_state {
	TUN_IDLE, /* no session; the next client starts a cycle */
	TUN_WAIT, /* backoff before the next attempt */
	TUN_CONNECTING, /* banner and key exchange */
	TUN_AUTH,
	TUN_UP,
};

enum tun_conn_state {
	TUN_C_QUEUED, /* accepted, waiting for the session */
	TUN_C_OPENING, /* channel open sent, no answer yet */
	TUN_C_RETRY, /* open refused; again at @deadline */
	TUN_C_OPEN,
};

struct ssh_tunnel;

struct tun_sess {
	struct ssh_tunnel *t;
	uv_poll_t poll;
	ssh_session s;
	ssh_event ev;
	int fd; /* our end of the socketpair */
	int mask; /* uv_poll events asked for */
	bool fd_owned; /* libssh took @fd in ssh_connect() */
	bool polling; /* @poll initialised */
	bool auth_pw; /* trying the URL's password */
	struct ssh_counter_struct scnt; /* socket bytes */
	struct ssh_counter_struct rcnt; /* packet payload bytes */
	uint64_t raw_sync,
		wire_sync; /* counters when libssh's output was empty */
};

struct tun_conn {
	struct ssh_tunnel *t;
	struct tun_conn *prev, *next;
	union {
		uv_handle_t h;
		uv_stream_t s;
		uv_pipe_t pipe; /* unix (POSIX), named pipe (Windows) */
		uv_tcp_t tcp; /* unix on Windows (net/unixsock.h) */
	} io;
	uv_write_t wreq;
	uv_shutdown_t sreq;
	ssh_channel ch;
	struct ssh_channel_callbacks_struct cbs;
	enum tun_conn_state state;
	unsigned int tries;
	uint64_t deadline; /* OPENING: hung after; RETRY: open again at */
	uint8_t *up; /* TUN_BUF: host -> channel, [up_off, up_off+up_len) */
	uint8_t *down; /* TUN_BUF: channel -> host, one uv_write */
	uint32_t up_off, up_len;
	bool reading, writing, rx_ready;
	bool local_eof, eof_sent, remote_eof, shut_sent, shut_done;
	bool closing;
};

enum tun_key_state {
	TUN_KEY_NONE, /* password only */
	TUN_KEY_LOADING, /* the worker reads it; attempts wait */
	TUN_KEY_OK,
	TUN_KEY_FAILED,
};

#define TUN_KEY_MAX (64 * 1024) /* larger identity files are refused */

struct ssh_tunnel {
	uv_loop_t *loop;
	struct fwd *fwd;
	char name[256]; /* the -forward-sock value, for logs */
	char target[96]; /* user@ip:port, for logs */
	struct tun_sock sock;
	char dest[256], user[64], identity[256], password[128];
	uint32_t ip;
	uint16_t port;
	bool secure, lazy;
	unsigned int attempts;
	ssh_tunnel_failed_fn failed;
	void *arg;
	ssh_key key;
	/* the identity file is read on libuv's threadpool (tun_key_work) */
	enum tun_key_state key_state;
	uv_work_t key_work;
	char passphrase[128];
	char key_err[640]; /* why it cannot be loaded (TUN_KEY_FAILED) */

	/* the host listener: unix socket or named pipe (sock.kind) */
	struct unixsock ux;
	uv_pipe_t np;
	uv_timer_t stimer; /* WAIT backoff, attempt timeout */
	uv_timer_t ctimer; /* channel retries and open deadlines */
	uv_idle_t kick;
	struct tun_sess *sess;
	enum tun_state state;
	unsigned int failures, budget;
	char last_err[256];
	struct tun_conn *conns;
	unsigned int n_waiting; /* connections not OPEN */
	unsigned int refs; /* close callbacks still due */
	bool listening, unlink_path, ever_up, accept_deferred, dying;
	bool skipped; /* docker_engine taken: no listener (tun_listen_npipe) */
	uint8_t rbuf[TUN_BUF];
};

/* ssh_tunnel.c */
void tun_kick(struct ssh_tunnel *t);
void tun_maybe_free(struct ssh_tunnel *t);
bool tun_sess_alive(const struct tun_sess *ss);
void tun_sess_lost(struct ssh_tunnel *t, const char *why);
void tun_sess_lost_ssh(struct ssh_tunnel *t);
uint64_t tun_out_pending(struct tun_sess *ss);
void tun_cycle_start(struct ssh_tunnel *t);
struct fwd_counters *tun_cnt(struct ssh_tunnel *t);

/* ssh_tunnel_conn.c */
void tun_accept_cb(uv_stream_t *server, int status);
void tun_conn_open(struct tun_conn *c);
void tun_conn_close(struct tun_conn *c);
void tun_ch_free(struct tun_conn *c);
int tun_service(struct ssh_tunnel *t);

#endif
