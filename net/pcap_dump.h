/*
 * pcap_dump.h - -pcap FILE: every frame the switch sees, written to a pcap
 * file with libpcap (Ethernet link type), readable by tcpdump -r while
 * qcw-net runs and after it was killed.
 *
 * The switch calls capture_frame() through its capture hook (one pointer
 * test per frame when no capture is set). Records go into a stdio buffer
 * that is written out once per loop iteration, from a uv_prepare, i.e.
 * just before the loop waits for I/O: at most one write() per iteration,
 * and the file always ends on a record boundary while the loop sleeps.
 * A record never straddles two writes (the buffer is written out first
 * when the next record would not fit), so a capture cut by SIGKILL at any
 * moment holds whole records only.
 *
 * A write error (disk full, file size limit) logs one line, detaches the
 * capture from the switch and closes the file: the network goes on.
 */
#ifndef QCW_PCAP_DUMP_H
#define QCW_PCAP_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <uv.h>

#include "net/switch.h"

struct capture;

/* Frames longer than this are written truncated (the record says so). */
#define CAPTURE_SNAPLEN 65535

struct capture_counters {
	uint64_t frames; /* records written */
	uint64_t bytes; /* frame bytes written (after truncation) */
	uint64_t truncated; /* frames longer than CAPTURE_SNAPLEN */
	uint64_t flushes; /* writes of the buffer to the file */
	int error; /* -errno of the write error that stopped it, or 0 */
};

/*
 * capture_open() - create (mode 0600) or truncate @path and write the
 * pcap file header to it, before the sandbox. NULL with *@err set to a
 * -errno when the file cannot be created or written; logs nothing (the
 * caller says what failed).
 */
struct capture *capture_open(const char *path, int *err);

/*
 * capture_start() - tap @sw's frames from now on, and flush from @loop
 * once per iteration (@loop may be NULL: then the caller calls
 * capture_flush()). 0 or -errno.
 */
int capture_start(struct capture *c, uv_loop_t *loop, struct sw *sw);

/* capture_frame() - an sw_capture_fn: one record of @iov (@len bytes). */
void capture_frame(void *c, const struct iovec *iov, int iovcnt, size_t len);

/* capture_flush() - write the buffered records now: 0 or -errno. */
int capture_flush(struct capture *c);

/* capture_running() - false once a write error stopped the capture. */
bool capture_running(const struct capture *c);

const struct capture_counters *capture_counters(const struct capture *c);

/*
 * capture_close() - detach from the switch, flush and close the file.
 * With a loop, the memory is freed by the prepare handle's close
 * callback: run the loop once more. Accepts NULL.
 */
void capture_close(struct capture *c);

#endif
