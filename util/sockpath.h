/*
 * sockpath.h - claiming a path for a unix socket listener (stale-socket
 * probing), shared by every transport, forward and tunnel.
 */
#ifndef QCW_SOCKPATH_H
#define QCW_SOCKPATH_H

/*
 * sockpath_claim() - make @path free for a new socket (the one rule
 * every unix listener follows): nothing there is fine; a socket nobody
 * accepts on (left by a crash) is removed; a socket with a live listener
 * (also one with a full backlog) gives -EADDRINUSE; a regular file,
 * symlink, directory or FIFO is never removed: -EEXIST; a path longer than
 * sun_path: -ENAMETOOLONG (never bound truncated). Never blocks.
 */
int sockpath_claim(const char *path, int socktype);
const char *sockpath_strerror(int r);

#endif
