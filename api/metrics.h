/*
 * metrics.h - the daemon's counters, read once into a snapshot and written
 * out two ways from one table: the /stats JSON (gvproxy's names, nested by
 * part) and the Prometheus text exposition of GET /metrics (format 0.0.4,
 * names qcw_net_<subsystem>_<name>, _total on counters, base units).
 *
 * A counter is added to both by one row in metrics.c's tables; the JSON
 * nesting (which object a section goes in) stays in api.c.
 */
#ifndef QCW_METRICS_H
#define QCW_METRICS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp/dhcp_server.h"
#include "dns/dns_server.h"
#include "forwarder/fwd.h"
#include "api/http_server.h"
#include "gateway/gw_link.h"
#include "net/stack.h"
#include "net/switch.h"

struct api_ctx;

/* the parts of the snapshot; a part may be missing (not running) */
enum met_sec {
	MET_SW,
	MET_STACK,
	MET_NAT,
	MET_NAT_LIMITS,
	MET_DHCP,
	MET_DNS,
	MET_API,
	MET_FWD,
	MET_PROC,
	MET_NSEC,
};

struct met_port {
	int id;
	const char *kind;
	bool congested;
	struct sw_port_counters cnt;
};

/*
 * struct met_snap - every counter at one moment. Pointers (port kinds)
 * are borrowed from the live parts: use the snapshot within the call.
 */
struct met_snap {
	bool have[MET_NSEC];
	struct sw_counters sw;
	unsigned int nports;
	struct met_port ports[SW_MAX_PORTS];
	struct gw_link_counters link;
	struct stack_counters stack;
	uint64_t rx_held, host_queued, host_queue_refused;
	struct nat_counters nat;
	struct {
		uint64_t nofile, budget, tcp, half_open, udp, icmp;
		uint64_t tcp_min, udp_min, icmp_min;
	} lim;
	struct dhcp_counters dhcp;
	uint64_t leases;
	struct dns_counters dns;
	struct dns_latency dns_lat;
	struct http_counters http;
	uint64_t guest_requests_refused;
	struct fwd_counters fwd;
	uint64_t rss_bytes, open_fds;
};

/*
 * met_snap_fill() - read the parts of @ctx (any may be NULL), the API
 * server's @http counters (NULL: none) and the process' memory and fds.
 */
void met_snap_fill(struct met_snap *m, const struct api_ctx *ctx,
		   const struct http_counters *http,
		   uint64_t guest_requests_refused, uint64_t now_ms);

/* met_json_section() - add section @sec's /stats keys to @o, in order. */
void met_json_section(json_t *o, const struct met_snap *m, enum met_sec sec);
/* met_json_port() - a port's /stats counters (RxFrames ... TxDrops). */
void met_json_port(json_t *o, const struct sw_port_counters *c);
/* met_json_nat_proto() - one protocol's NAT counters (FlowsOpen ...). */
void met_json_nat_proto(json_t *o, const struct nat_proto_counters *c);

/*
 * met_text() - the Prometheus text exposition of @m: malloc'd, @len set;
 * NULL when out of memory.
 */
char *met_text(const struct met_snap *m, size_t *len);

/* met_proc_read() - resident bytes and open fds of this process. 0/-errno. */
int met_proc_read(uint64_t *rss_bytes, uint64_t *open_fds);

#define MET_CTYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
