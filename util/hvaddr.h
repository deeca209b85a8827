/*
 * hvaddr.h - Hyper-V socket (AF_HYPERV) addresses, pure and portable so
 * they are unit-tested on every platform: the service GUID of a
 * -listen/-services vsock:// URL, gvproxy's and Podman's mapping of a
 * vsock port to a service GUID, and the SOCKADDR_HV a listener binds.
 *
 * A Linux guest's AF_VSOCK connect to CID 2, port P arrives on the
 * Windows host as service <P in 8 hex digits>-FACB-11E6-BD58-64006A7986D3
 * (the "VSOCK template"), which is what Podman's Hyper-V provider passes
 * to gvproxy as -listen vsock://%08X-FACB-11E6-BD58-64006A7986D3.
 *
 * The structs mirror Windows' GUID and SOCKADDR_HV (hvsocket.h) byte for
 * byte; net/hvsock_win.c checks that against the system header. Older
 * mingw-w64 headers lack hvsocket.h and none defines AF_HYPERV, hence the
 * constants here.
 */
#ifndef QCW_HVADDR_H
#define QCW_HVADDR_H

#include <stddef.h>
#include <stdint.h>

#define HVADDR_AF_HYPERV 34 /* AF_HYPERV in ws2def.h of recent SDKs */
#define HVADDR_PROTOCOL_RAW 1 /* HV_PROTOCOL_RAW */
#define HVADDR_GUID_STRLEN 36 /* 8-4-4-4-12 hex digits */

/* struct hvaddr_guid - a GUID in Windows' memory layout (fields native) */
struct hvaddr_guid {
	uint32_t data1;
	uint16_t data2;
	uint16_t data3;
	uint8_t data4[8];
};

/* struct hvaddr_sockaddr - SOCKADDR_HV: 36 bytes */
struct hvaddr_sockaddr {
	uint16_t family; /* HVADDR_AF_HYPERV */
	uint16_t reserved;
	struct hvaddr_guid vm_id; /* HV_GUID_WILDCARD (zero): any VM */
	struct hvaddr_guid service_id;
};

/*
 * hvaddr_guid_parse() - the @n bytes at @s as a GUID, 8-4-4-4-12 hex
 * digits in either case, no braces (what gvproxy's hvsock.GUIDFromString
 * reads). 0 or -EINVAL.
 */
int hvaddr_guid_parse(const char *s, size_t n, struct hvaddr_guid *g);

/*
 * hvaddr_service() - the service of a vsock:// URL's host part (@n bytes
 * at @s): a GUID, or a decimal vsock port (the short form vsock://1024)
 * mapped to the VSOCK template. 0 or -EINVAL (also for port 0xffffffff,
 * VMADDR_PORT_ANY).
 */
int hvaddr_service(const char *s, size_t n, struct hvaddr_guid *g);

/* hvaddr_from_port() - <port>-FACB-11E6-BD58-64006A7986D3 */
void hvaddr_from_port(uint32_t port, struct hvaddr_guid *g);

/* hvaddr_port() - the vsock port of a VSOCK-template GUID, or -EINVAL. */
int hvaddr_port(const struct hvaddr_guid *g, uint32_t *port);

/* hvaddr_format() - @g in upper case as Podman writes it, NUL-terminated */
void hvaddr_format(const struct hvaddr_guid *g,
		   char out[HVADDR_GUID_STRLEN + 1]);

/*
 * hvaddr_listen_addr() - the address a listener binds: AF_HYPERV, the
 * wildcard VM id (connections from any VM), @service.
 */
void hvaddr_listen_addr(const struct hvaddr_guid *service,
			struct hvaddr_sockaddr *sa);

#endif
