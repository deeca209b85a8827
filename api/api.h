/*
 * api.h - gvproxy's HTTP API on top of http_server: the routes, their
 * JSON shapes, status codes and error texts (docs/gvproxy-compat.md 4).
 *
 * Served on:
 *   -listen URL     everything, including /connect (HTTP_F_CONNECT);
 *   -services URL   everything but /connect;
 *   gateway:80      inside the virtual network, only /services/forwarder/
 *                   {all,expose,unexpose}, with the guest's IP as caller
 *                   (connections handed over by fwd_gateway_listen()),
 *                   tcp and udp rules only: unix/npipe rules and
 *                   ssh-tunnel:// remotes get 403 (api_guest_may()); its
 *                   connections have their own small budget and timeout.
 *
 * Routes: /services/forwarder/{all,expose,unexpose}, /services/dhcp/leases,
 * /leases, /services/dns/{all,add}, /stats, /metrics (host endpoints only:
 * Prometheus text, api/metrics.h), /cam, /tunnel, /connect.
 * Any other path: 404 "404 page not found".
 */
#ifndef QCW_API_H
#define QCW_API_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "forwarder/fwd.h"
#include "util/inaddr.h"

struct api;
struct http_server;
struct sw;
struct stack;
struct nat;
struct dhcp_server;
struct netcfg;
struct dns_server;
struct fwd;

/*
 * api_connect_fn - /connect hijacked a connection: @fd is a connected
 * stream socket now owned by the callee, which serves Ethernet frames on
 * it (ts_adopt_fd()). No HTTP response was sent.
 */
typedef void (*api_connect_fn)(void *arg, int fd);

/*
 * struct api_ctx - the parts the routes read. Any may be NULL: reads then
 * give an empty result, writes 503 "... not available".
 */
struct api_ctx {
	struct sw *sw;
	struct stack *stack;
	struct gw_link *link;
	struct dhcp_server *dhcp;
	const struct netcfg *net;
	struct dns_server *dns;
	struct fwd *fwd;
	api_connect_fn connect;
	void *connect_arg;
};

struct api *api_create(uv_loop_t *loop, const struct api_ctx *ctx);
void api_destroy(struct api *a);

/* api_ctx() - the live context, for parts created after the API. */
struct api_ctx *api_ctx(struct api *a);
struct http_server *api_http(struct api *a);

int api_listen(struct api *a, const char *url, bool with_connect);

/* api_guest_may() - may an in-VM caller expose/unexpose this rule? */
bool api_guest_may(enum fwd_proto proto, const char *remote);

/* api_gateway_conn() - a stack_accept_fn: serve the in-VM endpoint. */
void api_gateway_conn(void *arg, int fd, const struct inaddr *peer);

#endif
