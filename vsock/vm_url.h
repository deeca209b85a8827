/*
 * vm_url.h - qcw-net-vm's -url, gvforwarder's three forms:
 *   vsock://CID:PORT[/path]  AF_VSOCK to CID (2: the host); POST /path when
 *                            a path is given (default vsock://2:1024/connect)
 *   unix:///path/to/socket   the whole path is the socket; POST /connect
 *   stdio:/path/to/bin?k=v&k2=v2
 *                            spawn /path/to/bin -k=v -k2=v2 and speak on its
 *                            stdin/stdout, no HTTP request (WSL's way of
 *                            running gvproxy.exe)
 * Pure string handling.
 */
#ifndef QCW_VM_URL_H
#define QCW_VM_URL_H

#include <stddef.h>
#include <stdint.h>

#define VM_URL_MAX_ARGS 16

enum vm_url_kind {
	VM_URL_VSOCK,
	VM_URL_UNIX,
	VM_URL_STDIO,
};

struct vm_url {
	enum vm_url_kind kind;
	uint32_t cid, port; /* vsock */
	char path[256]; /* unix: socket; stdio: program */
	char post[256]; /* the HTTP path to POST; "" for none */
	/* stdio: "-k=v" arguments, in @argbuf, in the order given */
	char argbuf[1024];
	char *argv[VM_URL_MAX_ARGS + 2]; /* program, args, NULL */
	int argc;
};

/* vm_url_parse() - 0, or -EINVAL with the reason in @err. */
int vm_url_parse(const char *s, struct vm_url *u, char *err, size_t errlen);

#endif
