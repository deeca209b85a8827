/*
 * npipe_client.c - a Windows named pipe client of the tests' own, run
 * under wine by tests/e2e/windows_npipe.sh against qcw-net.exe's npipe
 * forwards (whose far end echoes), and a holder of pipe names.
 *
 *   npipe_client echo PIPE CLIENTS BYTES
 *	CLIENTS clients at once, each on its own connection: a writer
 *	thread sends BYTES pseudo-random bytes (a stream seeded by the
 *	client's number), the reader checks that exactly those bytes come
 *	back, in order. Prints "echo ok CLIENTS x BYTES" and exits 0, or
 *	says which client failed where and exits 1.
 *   npipe_client hold PIPE SECONDS
 *	serve PIPE (one instance, nobody answers) for SECONDS: the name
 *	is taken meanwhile. Prints "holding" once it is.
 *   npipe_client sddl PIPE
 *	open PIPE and print its security descriptor (SDDL), e.g.
 *	D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;S-1-5-21-...).
 *
 * PIPE is \\.\pipe\NAME. A busy pipe (every instance taken) is waited for
 * with WaitNamedPipeW, up to 30 s; one that does not exist, 3 s.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#define CHUNK (64 * 1024)

struct client {
	int no;
	const wchar_t *pipe;
	uint64_t bytes;
	HANDLE h;
	uint64_t got;
	char why[160];
	int ok;
};

/* the client's byte stream: xorshift64 seeded by its number */
static uint64_t stream_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void stream_fill(uint64_t *s, unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (unsigned char)(stream_next(s) >> 56);
}

/*
 * io() - one ReadFile/WriteFile on the overlapped handle, waited for: a
 * synchronous handle would serialise the reader and the writer threads.
 */
static BOOL io(HANDLE h, BOOL wr, void *b, DWORD k, DWORD *n)
{
	OVERLAPPED ov;
	BOOL ok;

	memset(&ov, 0, sizeof(ov));
	ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (!ov.hEvent)
		return FALSE;
	ok = wr ? WriteFile(h, b, k, NULL, &ov) : ReadFile(h, b, k, NULL, &ov);
	if (ok || GetLastError() == ERROR_IO_PENDING)
		ok = GetOverlappedResult(h, &ov, n, TRUE);
	CloseHandle(ov.hEvent);
	return ok;
}

static HANDLE pipe_open(const wchar_t *name, DWORD access)
{
	DWORD start = GetTickCount();
	HANDLE h;

	for (;;) {
		h = CreateFileW(name, access, 0, NULL, OPEN_EXISTING,
				FILE_FLAG_OVERLAPPED, NULL);
		if (h != INVALID_HANDLE_VALUE)
			return h;
		if (GetTickCount() - start > 30000 ||
		    (GetLastError() == ERROR_FILE_NOT_FOUND &&
		     GetTickCount() - start > 3000))
			return h;
		if (GetLastError() == ERROR_PIPE_BUSY)
			WaitNamedPipeW(name, 1000);
		else
			Sleep(50);
	}
}

static DWORD WINAPI writer(LPVOID arg)
{
	struct client *c = arg;
	uint64_t seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(c->no + 1);
	unsigned char *b = malloc(CHUNK);
	uint64_t left = c->bytes;
	DWORD n;

	if (!b)
		return 1;
	while (left) {
		DWORD k = left < CHUNK ? (DWORD)left : CHUNK;

		stream_fill(&seed, b, k);
		if (!io(c->h, TRUE, b, k, &n) || n != k) {
			free(b);
			return 1;
		}
		left -= k;
	}
	free(b);
	return 0;
}

static DWORD WINAPI client_run(LPVOID arg)
{
	struct client *c = arg;
	uint64_t seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(c->no + 1);
	unsigned char *b = malloc(CHUNK), *want = malloc(CHUNK);
	HANDLE w;
	DWORD n, i;

	if (!b || !want) {
		snprintf(c->why, sizeof(c->why), "out of memory");
		return 1;
	}
	c->h = pipe_open(c->pipe, GENERIC_READ | GENERIC_WRITE);
	if (c->h == INVALID_HANDLE_VALUE) {
		snprintf(c->why, sizeof(c->why), "open: error %lu",
			 GetLastError());
		return 1;
	}
	w = CreateThread(NULL, 0, writer, c, 0, NULL);
	while (c->got < c->bytes) {
		DWORD k = c->bytes - c->got < CHUNK ? (DWORD)(c->bytes - c->got)
						    : CHUNK;

		if (!io(c->h, FALSE, b, k, &n) || n == 0) {
			snprintf(c->why, sizeof(c->why),
				 "read after %llu bytes: error %lu",
				 (unsigned long long)c->got, GetLastError());
			break;
		}
		stream_fill(&seed, want, n);
		for (i = 0; i < n; i++)
			if (b[i] != want[i])
				break;
		if (i < n) {
			snprintf(c->why, sizeof(c->why), "byte %llu differs",
				 (unsigned long long)(c->got + i));
			break;
		}
		c->got += n;
	}
	c->ok = c->got == c->bytes;
	if (w) {
		WaitForSingleObject(w, 60000);
		CloseHandle(w);
	}
	CloseHandle(c->h);
	free(b);
	free(want);
	return 0;
}

static int do_echo(const wchar_t *pipe, int n, uint64_t bytes)
{
	struct client *c = calloc((size_t)n, sizeof(*c));
	HANDLE *t = calloc((size_t)n, sizeof(*t));
	int i, bad = 0;

	if (!c || !t)
		return 1;
	for (i = 0; i < n; i++) {
		c[i].no = i;
		c[i].pipe = pipe;
		c[i].bytes = bytes;
		t[i] = CreateThread(NULL, 0, client_run, &c[i], 0, NULL);
	}
	for (i = 0; i < n; i++) {
		if (t[i])
			WaitForSingleObject(t[i], INFINITE);
		if (!c[i].ok) {
			printf("client %d: %s\n", i,
			       c[i].why[0] ? c[i].why : "failed");
			bad++;
		}
	}
	if (bad)
		return 1;
	printf("echo ok %d x %llu\n", n, (unsigned long long)bytes);
	return 0;
}

static int do_hold(const wchar_t *pipe, int secs)
{
	HANDLE h = CreateNamedPipeW(
		pipe, PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE,
		PIPE_TYPE_BYTE | PIPE_WAIT, 1, 4096, 4096, 0, NULL);

	if (h == INVALID_HANDLE_VALUE) {
		printf("cannot create the pipe: error %lu\n", GetLastError());
		return 1;
	}
	printf("holding\n");
	fflush(stdout);
	Sleep((DWORD)secs * 1000);
	CloseHandle(h);
	return 0;
}

static int do_sddl(const wchar_t *pipe)
{
	PSECURITY_DESCRIPTOR sd = NULL;
	wchar_t *s = NULL;
	HANDLE h = pipe_open(pipe, READ_CONTROL);
	DWORD e;

	if (h == INVALID_HANDLE_VALUE) {
		printf("open: error %lu\n", GetLastError());
		return 1;
	}
	e = GetSecurityInfo(h, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION,
			    NULL, NULL, NULL, NULL, &sd);
	CloseHandle(h);
	if (e != ERROR_SUCCESS ||
	    !ConvertSecurityDescriptorToStringSecurityDescriptorW(
		    sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &s, NULL)) {
		printf("security descriptor: error %lu\n",
		       e ? e : GetLastError());
		return 1;
	}
	printf("%ls\n", s);
	LocalFree(s);
	LocalFree(sd);
	return 0;
}

int main(int argc, char **argv)
{
	wchar_t pipe[256];

	if (argc < 3 ||
	    !MultiByteToWideChar(CP_UTF8, 0, argv[2], -1, pipe, 256)) {
		fprintf(stderr,
			"usage: npipe_client echo|hold|sddl PIPE ...\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(argv[1], "echo") && argc == 5)
		return do_echo(pipe, atoi(argv[3]),
			       strtoull(argv[4], NULL, 10));
	if (!strcmp(argv[1], "hold") && argc == 4)
		return do_hold(pipe, atoi(argv[3]));
	if (!strcmp(argv[1], "sddl") && argc == 3)
		return do_sddl(pipe);
	fprintf(stderr, "usage: npipe_client echo|hold|sddl PIPE ...\n");
	return 2;
}
