/*
 * sockpath.h - claiming a path for a unix socket listener (stale-socket
 * probing), shared by every transport, forward and tunnel. The rule and
 * the reading of a probe's result are here (util/sockpath.c, the same on
 * every platform); looking at the file, the connect() probe and removing
 * a stale socket are the platform's (util/sockpath_posix.c, _win.c).
 */
#ifndef QCW_SOCKPATH_H
#define QCW_SOCKPATH_H

/* the longest path a unix socket can be bound to (sun_path, both OSes) */
#define SOCKPATH_MAX 107

/*
 * sockpath_claim() - make @path free for a new socket (the one rule
 * every unix listener follows): nothing there is fine; a socket nobody
 * accepts on (left by a crash) is removed; a socket with a live listener
 * (also one with a full backlog) gives -EADDRINUSE; a regular file,
 * symlink, directory or FIFO is never removed: -EEXIST; a path longer than
 * sun_path: -ENAMETOOLONG (never bound truncated); no unix sockets on this
 * system (wine): -EAFNOSUPPORT. Never blocks.
 * @socktype: SOCK_STREAM or SOCK_DGRAM, the kind of socket to probe
 */
int sockpath_claim(const char *path, int socktype);
const char *sockpath_strerror(int r);

/* What the platform's probe found at a path. */
enum sockpath_found {
	SOCKPATH_NOTHING, /* no file there */
	SOCKPATH_NOT_SOCKET, /* file, directory, symlink, FIFO: kept */
	SOCKPATH_LIVE, /* a socket a process accepts on */
	SOCKPATH_STALE, /* a socket nobody accepts on (connection refused) */
};

/*
 * sockpath_decide() - the rule: what to do with what a probe found.
 * @found: an enum sockpath_found, or a -errno the probe failed with
 *
 * Return: 0 (the path is free), 1 (remove the stale socket, then it is
 * free), or -EADDRINUSE / -EEXIST / the probe's -errno.
 */
int sockpath_decide(int found);

/*
 * sockpath_connect_result() - a probe's connect() outcome as an enum
 * sockpath_found or -errno. @err: 0 or the errno of a non-blocking
 * connect() to the socket (POSIX).
 */
int sockpath_connect_result(int err);

/*
 * sockpath_wsa_result() - the same for Windows: @wsaerr is 0 or
 * WSAGetLastError() of a non-blocking connect() to an AF_UNIX socket file
 * (WSAECONNREFUSED: stale; WSAEWOULDBLOCK: live; WSAEAFNOSUPPORT: no
 * AF_UNIX, as under wine). Pure, so both platforms unit-test it.
 */
int sockpath_wsa_result(int wsaerr);

/* Platform part (sockpath_posix.c, sockpath_win.c). */

/*
 * sockpath_probe() - look at @path (without following a link) and, if it
 * is a socket, probe it with a non-blocking connect().
 * Return: an enum sockpath_found or -errno.
 */
int sockpath_probe(const char *path, int socktype);

/* sockpath_remove() - remove the stale socket file @path. 0 or -errno. */
int sockpath_remove(const char *path);

#endif
