/*
 * npipe_win.c - npipe.h on Windows: libuv's uv_pipe_t, with gvproxy's
 * security descriptor on the pipe.
 *
 * Why the descriptor is set after uv_pipe_bind() and not at creation:
 * libuv creates every instance of the pipe itself, with no security
 * attributes (a default DACL that also lets Everyone read), and the first
 * with FILE_FLAG_FIRST_PIPE_INSTANCE, so an instance created beforehand
 * with our attributes would make its bind fail as "taken". But a named
 * pipe has one security descriptor for all its instances (the file
 * system keeps it with the pipe, set when the first instance is created;
 * later instances are checked against it and cannot change it), and libuv
 * opens that first instance with WRITE_DAC (its uv_pipe_chmod() relies on
 * it). So right after the bind, before uv_listen() waits for clients, the
 * DACL is replaced with D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;<user>), and
 * DisconnectNamedPipe() throws out a client that could have opened the
 * instance in between under the default DACL (nothing was read or written
 * for it yet). Every later instance and client gets the restricted DACL.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include "net/npipe.h"

/* npipe_restrict() - the owner-only DACL on @h's pipe. 0 or -errno. */
static int npipe_restrict(HANDLE h)
{
	union {
		TOKEN_USER tu;
		char buf[256];
	} u;
	PSECURITY_DESCRIPTOR sd = NULL;
	wchar_t sddl[256], *sid = NULL;
	BOOL present = FALSE, defaulted = FALSE;
	PACL dacl = NULL;
	HANDLE tok;
	DWORD n, e = 0;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return -EACCES;
	if (!GetTokenInformation(tok, TokenUser, &u, sizeof(u), &n) ||
	    !ConvertSidToStringSidW(u.tu.User.Sid, &sid)) {
		CloseHandle(tok);
		return -EACCES;
	}
	CloseHandle(tok);
	_snwprintf(sddl, sizeof(sddl) / sizeof(sddl[0]),
		   L"D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;%ls)", sid);
	sddl[sizeof(sddl) / sizeof(sddl[0]) - 1] = 0;
	LocalFree(sid);
	if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(
		    sddl, SDDL_REVISION_1, &sd, NULL) ||
	    !GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted) ||
	    !present) {
		if (sd)
			LocalFree(sd);
		return -EINVAL;
	}
	e = SetSecurityInfo(h, SE_KERNEL_OBJECT,
			    DACL_SECURITY_INFORMATION |
				    PROTECTED_DACL_SECURITY_INFORMATION,
			    NULL, NULL, dacl, NULL);
	LocalFree(sd);
	return e == ERROR_SUCCESS ? 0 : -EACCES;
}

/*
 * npipe_taken() - does another process serve @name? WaitNamedPipeW()
 * answers without connecting: ERROR_FILE_NOT_FOUND when no pipe of that
 * name exists; success or a timeout (every instance busy) when one does.
 * libuv's FILE_FLAG_FIRST_PIPE_INSTANCE says the same on Windows, but
 * wine ignores that flag (a second server of a name is created there), so
 * the name is probed first; the flag still closes the race.
 */
static bool npipe_taken(const char *name)
{
	wchar_t w[256];

	if (!MultiByteToWideChar(CP_UTF8, 0, name, -1, w, 256))
		return false; /* uv_pipe_bind() says what is wrong */
	if (WaitNamedPipeW(w, 1))
		return true;
	return GetLastError() != ERROR_FILE_NOT_FOUND &&
	       GetLastError() != ERROR_BAD_PATHNAME &&
	       GetLastError() != ERROR_INVALID_NAME;
}

int npipe_listen(uv_loop_t *loop, uv_pipe_t *p, const char *name, int backlog,
		 uv_connection_cb cb, void *data)
{
	uv_os_fd_t h;
	int e;

	uv_pipe_init(loop, p, 0);
	p->data = data;
	if (npipe_taken(name))
		return UV_EADDRINUSE;
	e = uv_pipe_bind(p, name);
	if (e < 0)
		return e;
	if (uv_fileno((uv_handle_t *)p, &h) < 0 || npipe_restrict(h) < 0)
		return UV_EACCES; /* never serve it with the default DACL */
	DisconnectNamedPipe(h);
	return uv_listen((uv_stream_t *)p, backlog, cb);
}

const char *npipe_strerror(int err)
{
	if (err == UV_EADDRINUSE)
		return "the pipe name is taken (another program serves it)";
	if (err == UV_EACCES)
		return "permission denied (bad name, or the pipe's security "
		       "descriptor could not be set)";
	return uv_strerror(err);
}
