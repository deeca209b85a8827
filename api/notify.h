/*
 * notify.h - gvproxy's -notification unix:///path: for every event,
 * connect to the unix socket, write one JSON line, close. Events are sent
 * one after the other from a bounded queue on the loop, so a slow or absent
 * listener never blocks the network; overflow is dropped with a warning.
 *
 * Lines (Go's json.Encoder output):
 *   {"notification_type":"ready"}
 *   {"notification_type":"connection_established","mac_address":"5a:94:ef:e4:0c:ee"}
 *   {"notification_type":"connection_closed","mac_address":"..."}
 *   {"notification_type":"hypervisor_error"}
 */
#ifndef QCW_NOTIFY_H
#define QCW_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#define NOTIFY_QUEUE 100
#define NOTIFY_TIMEOUT_MS 5000 /* per event: connect and write */

enum notify_type {
	NOTIFY_READY,
	NOTIFY_CONNECTION_ESTABLISHED,
	NOTIFY_CONNECTION_CLOSED,
	NOTIFY_HYPERVISOR_ERROR,
};

struct notify_counters {
	uint64_t sent, failed, dropped;
};

struct notify;

struct notify *notify_create(uv_loop_t *loop, const char *url);
void notify_destroy(struct notify *n);

void notify_send(struct notify *n, enum notify_type type, const uint8_t *mac);

/* notify_mac_event() - a sw_mac_event_fn; @arg is the struct notify. */
void notify_mac_event(void *arg, const uint8_t mac[6], bool established);

const struct notify_counters *notify_counters(const struct notify *n);

#endif
