/*
 * slirp_dir.h - the slirp backend's private directory (the unix sockets
 * that carry forwards into libslirp), named after the daemon's pid, and
 * the sweep of those that daemons killed without their cleanup left.
 */
#ifndef QCW_SLIRP_DIR_H
#define QCW_SLIRP_DIR_H

#include <stddef.h>

#define SLIRP_DIR_PREFIX "qcw-slirp."

/*
 * slirp_dir_make() - sweep @parent of the directories of dead daemons
 * (slirp_dir_sweep()), then make "@parent/qcw-slirp.PID.XXXXXX" (mode
 * 0700) into @dir (@n bytes). Returns 0 or -errno (-ENAMETOOLONG when
 * the name does not fit).
 */
int slirp_dir_make(char *dir, size_t n, const char *parent);

/*
 * slirp_dir_sweep() - remove each "@parent/qcw-slirp.PID.*" that is a
 * directory (not a link) of this user whose PID is no longer a process,
 * with the sockets in it; anything else in one (a file that is not a
 * socket) keeps it. Returns how many were removed.
 */
int slirp_dir_sweep(const char *parent);

#endif
