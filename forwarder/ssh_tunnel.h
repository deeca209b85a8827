/*
 * ssh_tunnel.h - SSH tunnels from a host socket to a unix socket inside the
 * guest: gvproxy's -forward-sock/-forward-dest/-forward-user/
 * -forward-identity tuples and the API's "ssh-tunnel://" remotes
 * (docs/gvproxy-compat.md 5). This is how Podman reaches the Podman
 * service in its machine.
 *
 * One tunnel = one host listener + one SSH session to <guest>:22 + one
 * "direct-streamlocal@openssh.com" channel per accepted host connection.
 * The session does not use a host socket: its TCP connection is dialled
 * into the guest through the gateway's own stack (fwd_splice_fd() on one
 * end of a socketpair; libssh runs non-blocking on the other end, driven
 * by a uv_poll_t on the same libuv loop as everything else).
 *
 * Session states:
 *
 *   IDLE --client or eager start--> CONNECTING --banner, kex--> AUTH --> UP
 *     ^                                  |  failure or 5 s timeout  |
 *     |                                  v                          |
 *     +---- budget spent (clients  <--- WAIT (backoff 100 ms doubling,|
 *           closed; eager first          capped at 1 s)             |
 *           cycle: failed callback)                                 |
 *     +------------------- session lost (EOF, error, hung) ---------+
 *
 * A cycle's budget is @attempts (60, gvproxy's) before the session was
 * ever up, TUN_RECONNECT_ATTEMPTS after (enough for sshd restarting).
 *
 * Host connections wait (accepted, not read, at most TUN_MAX_QUEUED; more
 * stay in the kernel backlog) until the session is UP. A channel open
 * the server refuses is retried TUN_OPEN_TRIES times, 200 ms apart; an
 * open with no answer for TUN_OPEN_TIMEOUT_MS means a hung session, which
 * is dropped and reconnected. When a session is lost, its open channels'
 * host connections are closed and the waiting ones stay queued.
 *
 * Data: host reads go to ssh_channel_write() within the channel's remote
 * window; reads pause while the window is shut or libssh holds more than
 * TUN_OUT_MAX unsent bytes. Channel data goes to the host socket with
 * uv_try_write(); the rest of a chunk is queued (one write at a time per
 * connection) and the channel is not read meanwhile, so the SSH window
 * closes on the guest. Each direction half-closes on its own: host EOF is
 * a channel EOF, channel EOF a shutdown() of the host socket; the
 * connection closes when both are done.
 */
#ifndef QCW_SSH_TUNNEL_H
#define QCW_SSH_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct fwd;
struct ssh_tunnel;

#define TUN_ATTEMPTS_DEFAULT 60
#define TUN_RECONNECT_ATTEMPTS 10
#define TUN_ATTEMPT_TIMEOUT_MS 5000
#define TUN_OPEN_TRIES 3
#define TUN_OPEN_RETRY_MS 200
#define TUN_OPEN_TIMEOUT_MS 10000
#define TUN_MAX_QUEUED 128
#define TUN_OUT_MAX (1024 * 1024)

/* ---- pure parts (no I/O): ssh_tunnel_url.c ---- */

enum tun_sock_kind {
	TUN_SOCK_UNIX,
	TUN_SOCK_NPIPE,
};

/* struct tun_sock - a parsed -forward-sock value. */
struct tun_sock {
	enum tun_sock_kind kind;
	/* unix: the path; npipe: the name as Windows spells it, \\.\pipe\x */
	char path[256];
};

/*
 * tun_sock_parse() - a -forward-sock value: a plain path or unix://PATH
 * (unix sockets; "unix:///C:/x" keeps "C:/x"), or npipe:////./pipe/NAME.
 * 0, or -EINVAL with the reason in @err.
 */
int tun_sock_parse(const char *s, struct tun_sock *out, char *err,
		   size_t errlen);

/* struct tun_url - a parsed ssh-tunnel:// remote. */
struct tun_url {
	char user[64];
	char password[128]; /* "" when none */
	uint32_t ip; /* host order */
	uint16_t port; /* 22 unless given */
	char path[256]; /* the socket in the guest */
	char key[256]; /* identity file on the host ("" only with a password) */
	char passphrase[128];
	bool secure; /* ?secure=true: check ~/.ssh/known_hosts */
};

/*
 * tun_url_parse() -
 * "ssh-tunnel://USER[:PASSWORD]@IPV4[:PORT]/PATH?key=FILE[&passphrase=P]
 * [&secure=true]" with Go's URL escapes (%XX everywhere, '+' as a space in
 * the query). Untrusted: it comes from the API, also from the guest.
 * 0, or -EINVAL with the reason in @err (no secret is copied there).
 */
int tun_url_parse(const char *s, struct tun_url *u, char *err, size_t errlen);

/*
 * tun_retry_delay_ms() - gvproxy's backoff after @failures failed attempts
 * (1, 2, ...): 100, 200, 400, 800, then 1000 ms.
 */
unsigned int tun_retry_delay_ms(unsigned int failures);

/*
 * tun_attempts_from_env() - QCW_NET_SSH_ATTEMPTS (1..10000) when set and
 * valid, else TUN_ATTEMPTS_DEFAULT. Tests shorten the schedule with it.
 */
unsigned int tun_attempts_from_env(void);

/* ---- the tunnel: ssh_tunnel.c ---- */

/*
 * ssh_tunnel_failed_fn - an eager tunnel's first connection cycle failed
 * (@why: "timeout: ..."). Called last in that code path; the tunnel stays
 * usable (a later client starts a new cycle) and may be destroyed here.
 */
typedef void (*ssh_tunnel_failed_fn)(void *arg, struct ssh_tunnel *t,
				     const char *why);

struct ssh_tunnel_config {
	const char *sock; /* -forward-sock value (see tun_sock_parse) */
	uint32_t ip; /* guest address, host order */
	uint16_t port; /* 22 */
	const char *dest; /* socket path in the guest */
	const char *user;
	const char *identity; /* private key file */
	const char *passphrase; /* NULL: none */
	const char *password; /* NULL: none */
	bool secure; /* check the host key against ~/.ssh/known_hosts */
	bool lazy; /* connect at the first client, not at once */
	unsigned int attempts; /* 0: tun_attempts_from_env() */
	ssh_tunnel_failed_fn failed; /* NULL: only logged */
	void *arg;
};

/*
 * ssh_tunnel_create() - start reading the key on libuv's threadpool (never
 * on the loop: a FIFO, a directory or an unreadable file makes the first
 * attempt fail with "identity file ... can't be loaded", it never blocks),
 * create the host socket (mode 0600; a stale socket is replaced, a live one
 * or another kind of file is an error) and, unless lazy, start connecting.
 * On success *@out is the tunnel. 0, or -errno with the reason in @err:
 * -EINVAL (bad socket value, npipe off Windows), -ENOTSUP (built without
 * libssh), a listen error. An eager tunnel whose key cannot be loaded
 * reports it through @failed; a lazy one logs it and closes its clients.
 */
int ssh_tunnel_create(uv_loop_t *loop, struct fwd *fwd,
		      const struct ssh_tunnel_config *cfg,
		      struct ssh_tunnel **out, char *err, size_t errlen);

/*
 * ssh_tunnel_create_url() - the API's expose: a lazy tunnel from the host
 * socket @local to the ssh-tunnel:// URL @remote. As ssh_tunnel_create().
 */
int ssh_tunnel_create_url(uv_loop_t *loop, struct fwd *fwd, const char *local,
			  const char *remote, struct ssh_tunnel **out,
			  char *err, size_t errlen);

/*
 * ssh_tunnel_destroy() - close the listener (unlinking its socket file),
 * every host connection and the session now; memory is freed once libuv
 * has closed the handles. Touches @fwd no more. NULL ok.
 */
void ssh_tunnel_destroy(struct ssh_tunnel *t);

#endif
