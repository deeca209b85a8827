/*
 * ssh_tunnel_os.h - what the SSH tunnels (ssh_tunnel.c) need from the
 * platform: ssh_tunnel_posix.c, ssh_tunnel_win.c.
 */
#ifndef QCW_SSH_TUNNEL_OS_H
#define QCW_SSH_TUNNEL_OS_H

#include <stddef.h>

/* socket buffers of the session's socket pair */
#define TUN_SOCKBUF (4 * 1024 * 1024)

/*
 * tun_os_sock_prep() - the session's socket pair (osock_pair()): room for
 * a whole SSH window in both, and @ssh_fd (libssh's end) non-blocking,
 * since libssh writes all it holds once it saw the socket writable.
 * 0 or -errno.
 */
int tun_os_sock_prep(int splice_fd, int ssh_fd);

/*
 * tun_os_known_hosts() - secure=true's known_hosts file into @buf, as
 * gvproxy finds it: $HOME/.ssh/known_hosts (POSIX; Go's home is $HOME),
 * %USERPROFILE%\.ssh\known_hosts (Windows). -1 when that variable is unset.
 */
int tun_os_known_hosts(char *buf, size_t n);

/* tun_os_null_file() - a file that reads as empty: /dev/null, NUL. */
const char *tun_os_null_file(void);

#endif
