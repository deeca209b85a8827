/*
 * sockpath.c - the one rule every unix socket listener follows for its
 * path: only a stale socket (nobody accepting) is ever replaced. The
 * decision is here, the same on every platform; the probe is the
 * platform's (sockpath_posix.c, sockpath_win.c).
 */
#include <errno.h>
#include <string.h>

#include "util/log.h"
#include "util/sockpath.h"

/* Winsock's numbers (winerror.h), so that Linux tests the mapping too */
#define SP_WSAEWOULDBLOCK 10035
#define SP_WSAEINPROGRESS 10036
#define SP_WSAEAFNOSUPPORT 10047
#define SP_WSAEADDRINUSE 10048
#define SP_WSAENETDOWN 10050
#define SP_WSAECONNREFUSED 10061
#define SP_WSAEACCES 10013
#define SP_WSAEINVAL 10022

int sockpath_decide(int found)
{
	switch (found) {
	case SOCKPATH_NOTHING:
		return 0;
	case SOCKPATH_STALE:
		return 1;
	case SOCKPATH_LIVE:
		return -EADDRINUSE;
	case SOCKPATH_NOT_SOCKET:
		return -EEXIST;
	default:
		return found < 0 ? found : -EINVAL;
	}
}

/*
 * A live listener whose backlog is full answers EAGAIN (Linux) or leaves
 * the connect in progress: both are "in use", at once. ENOENT means the
 * file went away between the look and the probe: nothing to remove.
 */
int sockpath_connect_result(int err)
{
	switch (err) {
	case 0:
	case EAGAIN:
	case EINPROGRESS:
		return SOCKPATH_LIVE;
	case ECONNREFUSED:
		return SOCKPATH_STALE;
	case ENOENT:
		return SOCKPATH_NOTHING;
	default:
		return err > 0 ? -err : -EINVAL;
	}
}

/*
 * Windows: connecting to an AF_UNIX socket file whose owner is gone gives
 * WSAECONNREFUSED (the seed's "leftover sock files in %TEMP%\podman");
 * a live owner accepts or, non-blocking, WSAEWOULDBLOCK.
 */
int sockpath_wsa_result(int wsaerr)
{
	switch (wsaerr) {
	case 0:
	case SP_WSAEWOULDBLOCK:
	case SP_WSAEINPROGRESS:
		return SOCKPATH_LIVE;
	case SP_WSAECONNREFUSED:
		return SOCKPATH_STALE;
	case SP_WSAEAFNOSUPPORT:
		return -EAFNOSUPPORT;
	case SP_WSAEADDRINUSE:
		return -EADDRINUSE;
	case SP_WSAEACCES:
		return -EACCES;
	case SP_WSAENETDOWN:
		return -ENETDOWN;
	case SP_WSAEINVAL:
		return -EINVAL;
	default:
		return -EIO;
	}
}

int sockpath_claim(const char *path, int socktype)
{
	int r;

	/* libuv would bind a silently shortened path: refuse it here */
	if (strlen(path) > SOCKPATH_MAX)
		return -ENAMETOOLONG;
	if (!path[0])
		return -EINVAL;
	r = sockpath_decide(sockpath_probe(path, socktype));
	if (r <= 0)
		return r;
	r = sockpath_remove(path);
	if (r < 0 && r != -ENOENT)
		return r;
	log_info("removed stale socket %s left by a previous run", path);
	return 0;
}

/**
 * sockpath_strerror() - the message for a sockpath_claim() error.
 * @r: its negative return value
 *
 * Return: a constant string, e.g. "file exists and is not a socket".
 */
const char *sockpath_strerror(int r)
{
	switch (r) {
	case -EADDRINUSE:
		return "in use by a running process";
	case -EEXIST:
		return "file exists and is not a socket (only a stale socket "
		       "is ever replaced)";
	case -ENAMETOOLONG:
		return "socket path too long (at most 107 bytes)";
	case -EAFNOSUPPORT:
		return "unix sockets (AF_UNIX) are not supported on this "
		       "system (Windows 10 1803 or later has them; wine does "
		       "not): use tcp://";
	default:
		return strerror(-r);
	}
}
