/*
 * sys/ioctl.h for the Windows build (on its include path only there):
 * only the terminal size `qcw-net watch` asks for; the console's own size
 * (GetConsoleScreenBufferInfo) answers it.
 */
#ifndef QCW_COMPAT_WIN_SYS_IOCTL_H
#define QCW_COMPAT_WIN_SYS_IOCTL_H

#include <windows.h>

#define TIOCGWINSZ 0x5413

struct winsize {
	unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel;
};

static inline int ioctl(int fd, unsigned long req, struct winsize *ws)
{
	CONSOLE_SCREEN_BUFFER_INFO ci;
	HANDLE h = GetStdHandle(fd == 0 ? STD_INPUT_HANDLE : STD_OUTPUT_HANDLE);

	if (req != TIOCGWINSZ || !GetConsoleScreenBufferInfo(h, &ci))
		return -1;
	ws->ws_col = (unsigned short)(ci.srWindow.Right - ci.srWindow.Left + 1);
	ws->ws_row = (unsigned short)(ci.srWindow.Bottom - ci.srWindow.Top + 1);
	ws->ws_xpixel = ws->ws_ypixel = 0;
	return 0;
}

#endif
