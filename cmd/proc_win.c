/*
 * proc_win.c - proc.h on Windows.
 *
 * Shutdown requests: a console control handler (Ctrl+C, Ctrl+Break, the
 * console window closed, logoff, system shutdown) and a hidden
 * message-only window on a thread of its own, whose message loop sees
 * WM_CLOSE (sent to the window) and WM_QUIT (posted to the thread), which
 * is what Podman's winquit sends to every thread and window of the
 * process before its hard kill after 30 s. Both run outside the loop's
 * thread, so each only records why and wakes the loop (uv_async_send);
 * the daemon then stops as on SIGTERM: files removed, exit status 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <winsock2.h>
#include <windows.h>

#include "cmd/proc.h"
#include "util/winstr.h"

void proc_tune(void)
{
	/* no error dialog box that would keep a crashed daemon around */
	SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX |
		     SEM_NOOPENFILEERRORBOX);
}

int proc_write_pid(const char *path)
{
	wchar_t w[MAX_PATH];
	char buf[32];
	DWORD done;
	HANDLE h;
	int r, n;

	r = winstr_wide(path, w, MAX_PATH);
	if (r < 0)
		return r;
	h = CreateFileW(w, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_DELETE,
			NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return -winstr_errno(GetLastError());
	n = snprintf(buf, sizeof(buf), "%lu",
		     (unsigned long)GetCurrentProcessId());
	r = WriteFile(h, buf, (DWORD)n, &done, NULL) && done == (DWORD)n ? 0
									 : -EIO;
	CloseHandle(h);
	return r;
}

void proc_remove_pid(const char *path)
{
	wchar_t w[MAX_PATH];
	char buf[32];
	DWORD n = 0;
	HANDLE h;

	if (winstr_wide(path, w, MAX_PATH) < 0)
		return;
	h = CreateFileW(w, GENERIC_READ,
			FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
			NULL, OPEN_EXISTING,
			FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT,
			NULL);
	if (h == INVALID_HANDLE_VALUE)
		return;
	if (!ReadFile(h, buf, sizeof(buf) - 1, &n, NULL))
		n = 0;
	CloseHandle(h);
	buf[n] = 0;
	if (n > 0 && strtoul(buf, NULL, 10) == GetCurrentProcessId())
		DeleteFileW(w);
}

/* why a stop was asked for, in the order the names below list them */
enum {
	PROC_WHY_NONE,
	PROC_WHY_CTRL_C,
	PROC_WHY_CTRL_BREAK,
	PROC_WHY_CONSOLE_CLOSE,
	PROC_WHY_WM_CLOSE,
	PROC_WHY_WM_QUIT,
};

static const char *const proc_why_names[] = {
	"", "Ctrl+C", "Ctrl+Break", "console closed", "WM_CLOSE", "WM_QUIT",
};

struct proc_stop {
	uv_async_t async;
	proc_stop_fn fn;
	void *arg;
	volatile LONG why;
	volatile LONG closing; /* our own WM_QUIT ends the thread */
	HANDLE thread;
	DWORD thread_id;
	HANDLE ready; /* the window exists (or failed) */
};

/* the console handler is per process: the one daemon's stop */
static struct proc_stop *volatile proc_current;

static void proc_notify(struct proc_stop *ps, LONG why)
{
	InterlockedCompareExchange(&ps->why, why, PROC_WHY_NONE);
	uv_async_send(&ps->async);
}

static BOOL WINAPI proc_console_cb(DWORD ev)
{
	struct proc_stop *ps = proc_current;

	if (!ps)
		return FALSE;
	switch (ev) {
	case CTRL_C_EVENT:
		proc_notify(ps, PROC_WHY_CTRL_C);
		return TRUE;
	case CTRL_BREAK_EVENT:
		proc_notify(ps, PROC_WHY_CTRL_BREAK);
		return TRUE;
	case CTRL_CLOSE_EVENT:
	case CTRL_LOGOFF_EVENT:
	case CTRL_SHUTDOWN_EVENT:
		/*
		 * Returning would end the process at once: wait here while
		 * the loop's thread shuts down and the process exits (Windows
		 * ends it anyway after its own timeout).
		 */
		proc_notify(ps, PROC_WHY_CONSOLE_CLOSE);
		Sleep(INFINITE);
		return TRUE;
	default:
		return FALSE;
	}
}

static LRESULT CALLBACK proc_wndproc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp)
{
	struct proc_stop *ps =
		(struct proc_stop *)GetWindowLongPtrW(hwnd, GWLP_USERDATA);

	if (msg == WM_CLOSE && ps) {
		proc_notify(ps, PROC_WHY_WM_CLOSE);
		return 0; /* the window stays until we stop */
	}
	return DefWindowProcW(hwnd, msg, wp, lp);
}

/* proc_window_thread() - the message-only window and its message loop. */
static DWORD WINAPI proc_window_thread(LPVOID arg)
{
	struct proc_stop *ps = arg;
	WNDCLASSEXW wc = {.cbSize = sizeof(wc)};
	HINSTANCE inst = GetModuleHandleW(NULL);
	HWND hwnd;
	MSG msg;

	wc.lpfnWndProc = proc_wndproc;
	wc.hInstance = inst;
	wc.lpszClassName = L"qcw-net-stop";
	RegisterClassExW(&wc); /* may exist from an earlier start */
	hwnd = CreateWindowExW(0, wc.lpszClassName, L"qcw-net", 0, 0, 0, 0, 0,
			       HWND_MESSAGE, NULL, inst, NULL);
	/* the thread's message queue exists from here on */
	PeekMessageW(&msg, NULL, WM_USER, WM_USER, PM_NOREMOVE);
	if (hwnd)
		SetWindowLongPtrW(hwnd, GWLP_USERDATA, (LONG_PTR)ps);
	SetEvent(ps->ready);
	while (GetMessageW(&msg, NULL, 0, 0) > 0) {
		TranslateMessage(&msg);
		DispatchMessageW(&msg);
	}
	/* GetMessage returned 0: WM_QUIT, from Podman or from us */
	if (!ps->closing)
		proc_notify(ps, PROC_WHY_WM_QUIT);
	if (hwnd)
		DestroyWindow(hwnd);
	return 0;
}

static void proc_async_cb(uv_async_t *a)
{
	struct proc_stop *ps = a->data;
	LONG why = InterlockedExchange(&ps->why, PROC_WHY_NONE);

	if (why > PROC_WHY_NONE && why <= PROC_WHY_WM_QUIT)
		ps->fn(ps->arg, proc_why_names[why]);
}

struct proc_stop *proc_stop_start(uv_loop_t *loop, proc_stop_fn fn, void *arg)
{
	struct proc_stop *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	ps->fn = fn;
	ps->arg = arg;
	if (uv_async_init(loop, &ps->async, proc_async_cb) < 0) {
		free(ps);
		return NULL;
	}
	ps->async.data = ps;
	proc_current = ps;
	SetConsoleCtrlHandler(proc_console_cb, TRUE);
	ps->ready = CreateEventW(NULL, TRUE, FALSE, NULL);
	ps->thread = CreateThread(NULL, 0, proc_window_thread, ps, 0,
				  &ps->thread_id);
	if (ps->thread && ps->ready)
		WaitForSingleObject(ps->ready, 5000);
	return ps;
}

static void proc_stop_closed(uv_handle_t *h)
{
	free(h->data);
}

void proc_stop_close(struct proc_stop *ps)
{
	if (!ps)
		return;
	SetConsoleCtrlHandler(proc_console_cb, FALSE);
	proc_current = NULL;
	if (ps->thread) {
		InterlockedExchange(&ps->closing, 1);
		PostThreadMessageW(ps->thread_id, WM_QUIT, 0, 0);
		WaitForSingleObject(ps->thread, 5000);
		CloseHandle(ps->thread);
	}
	if (ps->ready)
		CloseHandle(ps->ready);
	uv_close((uv_handle_t *)&ps->async, proc_stop_closed);
}
