/*
 * switch.h - the learning L2 switch between VM ports and the gateway.
 *
 * Ports are frame transports (QEMU stream, vfkit, ...): each embeds a
 * struct sw_port and implements sw_port_ops. Frames a port receives are
 * handed to sw_input() and are borrowed for the duration of that call.
 * Frames for the gateway MAC, and broadcast/multicast, go to the stack;
 * broadcast also floods to the other ports; unicast to a learnt MAC goes
 * to its port; unknown unicast is dropped (counted), as gvproxy does.
 * Learnt MACs age out, and a full table replaces its least recently seen
 * MAC instead of refusing new ones (see SW_CAM_MAX).
 *
 * Each port owns a bounded transmit queue. A port that fills past its
 * high-water mark is "congested": producers that can wait (NAT host
 * reads) and send to that port stop, and are called back through the
 * drain callback when a port falls below its low-water mark. A port that
 * stops reading (a paused or hostile VM) so holds up only what goes to
 * it: frames for it are dropped once its queue is full, and producers
 * for other ports go on.
 */
#ifndef QCW_SWITCH_H
#define QCW_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct sw;
struct sw_port;

/*
 * A frame whose memory a port may keep instead of copying: get() takes a
 * reference, put() drops it once the bytes were written.
 */
struct sw_ref {
	void (*get)(void *obj);
	void (*put)(void *obj);
	void *obj;
};

struct sw_port_ops {
	/*
	 * send() - queue one frame made of @iov (total @len bytes).
	 * Return 0, or -ENOBUFS when the queue is full (the frame is
	 * dropped and counted by the switch), -EPIPE when the port is
	 * closing.
	 */
	int (*send)(struct sw_port *port, const struct iovec *iov, int iovcnt,
		    size_t len);
	/*
	 * send_ref() - optional: queue the contiguous frame @data without
	 * copying it, holding a reference through @ref. Same returns.
	 */
	int (*send_ref)(struct sw_port *port, const uint8_t *data, size_t len,
			const struct sw_ref *ref);
	/*
	 * send_ref_hdr() - optional: queue a frame of @hl header bytes
	 * (copied; at most SW_HDR_MAX) followed by @data (@len bytes,
	 * referenced through @ref). Same returns.
	 */
	int (*send_ref_hdr)(struct sw_port *port, const uint8_t *hdr, size_t hl,
			    const uint8_t *data, size_t len,
			    const struct sw_ref *ref);
	/*
	 * flush() - optional: write what is queued now instead of at the
	 * port's next chance (frames queued from a uv_check callback would
	 * otherwise wait for the next loop iteration).
	 */
	void (*flush)(struct sw_port *port);
};

struct sw_port_counters {
	uint64_t rx_frames, rx_bytes; /* from the VM */
	uint64_t tx_frames, tx_bytes; /* to the VM */
	uint64_t tx_drops; /* queue full */
	uint64_t rx_drops; /* unknown unicast, bad frames */
};

struct sw_port {
	const struct sw_port_ops *ops;
	struct sw *sw;
	int id; /* -1 while detached */
	bool congested; /* above high water; set by the port */
	const char *kind; /* "qemu", "vfkit", ... for logs */
	struct sw_port_counters cnt;
};

/*
 * Frames for the gateway: called with a borrowed frame. When @keep is not
 * NULL the stack may keep the frame's memory past the call by taking a
 * reference with keep->get(keep->obj) (and dropping it with put).
 */
typedef void (*sw_stack_input_fn)(void *stack, const uint8_t *frame, size_t len,
				  const struct sw_ref *keep);
/*
 * A tap on every frame the switch sees, each once: a frame a port received
 * (before the switch decides where it goes; runts of under 14 bytes and
 * frames of a detached port excepted) and a frame the stack sent (before
 * it is delivered). The frame is @iovcnt pieces of @len bytes in all,
 * borrowed for the duration of the call.
 */
typedef void (*sw_capture_fn)(void *arg, const struct iovec *iov, int iovcnt,
			      size_t len);
/* A MAC was learnt on (established) or forgotten from (closed) a port. */
typedef void (*sw_mac_event_fn)(void *arg, const uint8_t mac[6],
				bool established);
typedef void (*sw_drain_fn)(void *arg);

#define SW_MAX_PORTS 64
/*
 * The MAC table (CAM): at most SW_CAM_MAX MACs, SW_CAM_PORT_MAX per port
 * by default; a MAC not seen for SW_CAM_AGE_MS is forgotten (a Linux
 * bridge's default ageing time). See sw_cam_learn() in switch.c for what
 * a full table does.
 */
#define SW_CAM_MAX 1024
#define SW_CAM_PORT_MAX 256
#define SW_CAM_AGE_MS (300ull * 1000)

/* Switch-wide counters for /stats (per-port ones are in struct sw_port). */
struct sw_counters {
	uint64_t unknown_unicast; /* dropped: destination MAC not learnt */
	uint64_t cam_entries; /* MACs in the table now */
	uint64_t cam_learned; /* new MACs learnt */
	uint64_t cam_aged; /* forgotten after SW_CAM_AGE_MS unseen */
	uint64_t cam_evicted; /* replaced when the port or table was full */
	uint64_t cam_refused; /* not learnt: hash chain full (a storm) */
};

struct rxchunk_pool;

struct sw *sw_create(const uint8_t gw_mac[6]);
/*
 * sw_destroy() - free @sw and let go of its receive-chunk pool (chunks a
 * stack still holds are freed when released, net/rxchunk.h). NULL ok.
 */
void sw_destroy(struct sw *sw);
/*
 * sw_rxchunks() - the switch's pool of receive chunks, from which its
 * transports read frames they lend to the stack (net/rxchunk.h).
 */
struct rxchunk_pool *sw_rxchunks(struct sw *sw);

void sw_set_stack(struct sw *sw, sw_stack_input_fn fn, void *stack);
/*
 * sw_set_stack_batch_end() - @fn runs after a port handed over all frames
 * of one read (sw_input_end()), so the stack can send what it held back
 * for the batch (coalesced ACKs).
 */
void sw_set_stack_batch_end(struct sw *sw, void (*fn)(void *stack));
void sw_set_mac_event(struct sw *sw, sw_mac_event_fn fn, void *arg);
/*
 * sw_set_capture() - tap every frame into @fn (NULL: none, the default;
 * then the data path pays one pointer test per frame). @fn may clear it.
 */
void sw_set_capture(struct sw *sw, sw_capture_fn fn, void *arg);
void sw_set_drain(struct sw *sw, sw_drain_fn fn, void *arg);
/*
 * sw_set_cam_limits() - forget MACs unseen for @age_ms (0: never) and keep
 * at most @port_max (1..SW_CAM_MAX) MACs per port.
 */
void sw_set_cam_limits(struct sw *sw, uint64_t age_ms, unsigned int port_max);
/*
 * sw_tick() - the switch's time, from the caller's monotonic clock (the
 * switch reads none): stamps the MACs seen from now on and forgets those
 * unseen for the ageing time. Call it about once a second; the first call
 * before any frame.
 */
void sw_tick(struct sw *sw, uint64_t now_ms);
/*
 * sw_mac_last_seen() - when @mac last sent a frame (at sw_tick()
 * resolution): 0 and *@seen_ms, or -ENOENT when it is not in the table.
 */
int sw_mac_last_seen(const struct sw *sw, const uint8_t mac[6],
		     uint64_t *seen_ms);
const struct sw_counters *sw_counters(const struct sw *sw);

/* sw_port_attach() - 0 or -ENOSPC; sets port->id. */
int sw_port_attach(struct sw *sw, struct sw_port *port, const char *kind);
/* sw_port_detach() - forget the port and its MACs. Accepts detached. */
void sw_port_detach(struct sw_port *port);

/* sw_input() - a frame received by @port from its VM. */
void sw_input(struct sw_port *port, const uint8_t *frame, size_t len);
/*
 * sw_input_keep() - sw_input() of a frame in a buffer the stack may keep
 * a reference to (@keep; see sw_stack_input_fn).
 */
void sw_input_keep(struct sw_port *port, const uint8_t *frame, size_t len,
		   const struct sw_ref *keep);

/* sw_input_end() - @port has no more frames from its current read. */
void sw_input_end(struct sw_port *port);

/* sw_output() - a frame sent by the gateway stack (pieces in @iov). */
void sw_output(struct sw *sw, const struct iovec *iov, int iovcnt, size_t len);

/* sw_output_buf() - sw_output() of a frame in one buffer. */
static inline void sw_output_buf(struct sw *sw, const void *frame, size_t len)
{
	struct iovec iov = {.iov_base = (void *)frame, .iov_len = len};

	sw_output(sw, &iov, 1, len);
}

/* sw_output_ref() - sw_output() of one contiguous, referenced frame. */
void sw_output_ref(struct sw *sw, const uint8_t *data, size_t len,
		   const struct sw_ref *ref);

/*
 * Header bytes a port copies in front of a referenced payload: Ethernet,
 * IPv6 and TCP with the timestamp option lwIP puts on every segment once
 * agreed (14 + 40 + 32 = 86; IPv4 is 66), so both families' segments from
 * a ring go out without a copy of their payload. At 76 (no options) the
 * IPv6 segments with timestamps took the copy path: each 64 KiB frame
 * copied into the port's byte ring, which overflowed and dropped frames,
 * and host->guest at MTU 65520 fell from 17 to 0.03-6 Gbit/s.
 */
#define SW_HDR_MAX 88
/*
 * sw_output_ref_hdr() - sw_output() of a frame of @hl header bytes
 * (copied, at most SW_HDR_MAX) and a referenced payload; ports without
 * send_ref_hdr copy the whole frame.
 */
void sw_output_ref_hdr(struct sw *sw, const uint8_t *hdr, size_t hl,
		       const uint8_t *data, size_t len,
		       const struct sw_ref *ref);

/* sw_flush() - every port writes what it has queued (ops->flush). */
void sw_flush(struct sw *sw);

/* sw_congested() - true while some port is above its high-water mark. */
bool sw_congested(const struct sw *sw);
/*
 * sw_port_id_congested() - true while port @id is above its high-water
 * mark (false for a port id not attached).
 */
bool sw_port_id_congested(const struct sw *sw, int id);
/*
 * sw_input_port() - the id of the port whose frame (or end of read) the
 * stack is being handed now, or -1 outside those calls: a stack learns
 * from it which port a connection's guest is behind.
 */
int sw_input_port(const struct sw *sw);
/*
 * sw_port_queue_level() - a port reports @used of @cap bytes queued: it is
 * congested above half full and drained again below a quarter.
 */
void sw_port_queue_level(struct sw_port *port, size_t used, size_t cap);
/* sw_port_set_congested() - called by a port when it crosses a mark. */
void sw_port_set_congested(struct sw_port *port, bool congested);

/* Totals for /stats: bytes to and from the VMs. */
uint64_t sw_bytes_sent(const struct sw *sw);
uint64_t sw_bytes_received(const struct sw *sw);

/* sw_foreach_cam() - calls @fn for each learnt MAC and its port id. */
void sw_foreach_cam(const struct sw *sw,
		    void (*fn)(void *arg, const uint8_t mac[6], int port),
		    void *arg);
/* sw_foreach_port() - calls @fn for each attached port. */
void sw_foreach_port(const struct sw *sw,
		     void (*fn)(void *arg, const struct sw_port *port),
		     void *arg);

#endif
