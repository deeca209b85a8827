/*
 * hvsock_win.c - hvsock.h on Windows: an AF_HYPERV listening SOCKET
 * handed to unixsock_win.c's accept thread (why: hvsock.h).
 */
#include <stddef.h>
#include <winsock2.h>
#include <windows.h>
#include <hvsocket.h> /* SOCKADDR_HV: only to check hvaddr.h's copy */

#include "net/hvsock.h"
#include "net/unixsock_win.h"

/* hvaddr.h mirrors the system's types; mingw-w64 lacks AF_HYPERV */
_Static_assert(sizeof(struct hvaddr_sockaddr) == sizeof(SOCKADDR_HV),
	       "SOCKADDR_HV");
_Static_assert(offsetof(struct hvaddr_sockaddr, service_id) ==
		       offsetof(SOCKADDR_HV, ServiceId),
	       "SOCKADDR_HV.ServiceId");
_Static_assert(sizeof(struct hvaddr_guid) == sizeof(GUID), "GUID");
_Static_assert(HVADDR_PROTOCOL_RAW == HV_PROTOCOL_RAW, "HV_PROTOCOL_RAW");

int hvsock_listen(uv_loop_t *loop, struct unixsock *x,
		  const struct hvaddr_guid *service, int backlog,
		  uv_connection_cb cb, void *data)
{
	struct hvaddr_sockaddr sa;
	SOCKET ls;
	int r;

	ls = WSASocketW(HVADDR_AF_HYPERV, SOCK_STREAM, HVADDR_PROTOCOL_RAW,
			NULL, 0,
			WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
	if (ls == INVALID_SOCKET) {
		r = uv_translate_sys_error(WSAGetLastError());
		goto fail;
	}
	hvaddr_listen_addr(service, &sa);
	if (bind(ls, (const struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(ls, backlog) != 0) {
		r = uv_translate_sys_error(WSAGetLastError());
		closesocket(ls);
		goto fail;
	}
	return unixsock_serve(loop, x, ls, cb, data);
fail:
	/* the caller closes @x in any case: a placeholder to close */
	x->win = NULL;
	uv_tcp_init(loop, &x->u.tcp);
	x->u.h.data = data;
	return r;
}

const char *hvsock_strerror(int err)
{
	switch (err) {
	case UV_EAFNOSUPPORT:
	case UV_EPROTONOSUPPORT:
	case UV_ESOCKTNOSUPPORT:
		return "Hyper-V sockets (AF_HYPERV) are not available on this "
		       "system (Windows 10 / Server 2016 or later have them; "
		       "wine does not)";
	case UV_EADDRINUSE:
		return "that Hyper-V socket service is in use by another "
		       "process (another qcw-net or gvproxy?)";
	case UV_EACCES:
		return "access denied to that Hyper-V socket service (is it "
		       "registered under GuestCommunicationServices, as "
		       "Podman does?)";
	default:
		return uv_strerror(err);
	}
}
