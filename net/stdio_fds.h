/*
 * stdio_fds.h - the descriptors of the frame transport on stdin/stdout
 * (-listen-stdio, WSL's mode), one interface with a POSIX (stdio_fds_posix.c)
 * and a Windows (stdio_fds_win.c) implementation.
 *
 * POSIX: stdin and stdout themselves, opened with uv_pipe_open().
 * Windows: stdin and stdout themselves when both are pipes of the
 * named-pipe file system (anonymous pipes, as WSL interop and any Windows
 * parent give), which libuv's uv_pipe_open() takes. Otherwise (wine hands
 * a program started from Linux its Unix pipes as handles that are not
 * named pipes: SetNamedPipeHandleState() fails, so uv_pipe_open() does)
 * a relay: a loopback socket pair, one end for the loop, and two threads
 * of our own copying stdin to the other end and that end to stdout with
 * blocking ReadFile()/WriteFile(); stdin's end shuts the socket's sending
 * side, which the loop reads as EOF.
 */
#ifndef QCW_STDIO_FDS_H
#define QCW_STDIO_FDS_H

/*
 * stdio_frames_open() - *@rfd and *@wfd for the transport: two CRT
 * descriptors (ts_adopt_fds()), or one socket in both (ts_adopt_fd()).
 * Return: 0 or -errno.
 */
int stdio_frames_open(int *rfd, int *wfd);

#endif
