/*
 * proc.h - what the daemon asks of its operating system as a process,
 * one interface with a POSIX (proc_posix.c) and a Windows (proc_win.c)
 * implementation: tuning at start, the pid file, and the requests to shut
 * down (POSIX: SIGINT, SIGTERM; Windows: Ctrl+C, Ctrl+Break, console
 * close, and WM_CLOSE / WM_QUIT as Podman's winquit sends them).
 */
#ifndef QCW_PROC_H
#define QCW_PROC_H

#include <uv.h>

/* proc_tune() - once at start: SIGPIPE ignored, the fd limit raised, the
 * heap kept for bursts (POSIX); nothing is needed on Windows. */
void proc_tune(void);

/* proc_write_pid() - write this process's id to @path. 0 or -errno. */
int proc_write_pid(const char *path);

/* proc_remove_pid() - remove @path if it still holds this process's id. */
void proc_remove_pid(const char *path);

/* proc_stop_fn - a request to shut down arrived; @why names it. */
typedef void (*proc_stop_fn)(void *arg, const char *why);

struct proc_stop;

/*
 * proc_stop_start() - call @fn on @loop's thread whenever the system asks
 * this process to stop. NULL if it cannot be set up (out of memory).
 */
struct proc_stop *proc_stop_start(uv_loop_t *loop, proc_stop_fn fn, void *arg);

/* proc_stop_close() - stop listening; the handles close on @loop. */
void proc_stop_close(struct proc_stop *ps);

#endif
