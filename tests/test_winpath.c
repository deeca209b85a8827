/*
 * test_winpath.c - Windows path forms (util/winpath.h): "C:\dir\f",
 * "C:/dir/f", MSYS "/c/dir/f" and a URL's "/C:/dir/f" all become
 * "C:\dir\f"; named pipes keep their "\\.\pipe\" prefix; a result that
 * does not fit is refused, never cut. Pure, so it runs on Linux too.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/path.h"
#include "util/winpath.h"

static void conv(const char *in, const char *want)
{
	char out[256];

	assert_int_equal(winpath_to_windows(in, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void test_forms(void **state)
{
	(void)state;
	conv("C:\\Users\\me\\podman\\m-gvproxy.sock",
	     "C:\\Users\\me\\podman\\m-gvproxy.sock");
	conv("C:/Users/me/podman/m.sock", "C:\\Users\\me\\podman\\m.sock");
	conv("/c/Users/me/podman/m.sock", "C:\\Users\\me\\podman\\m.sock");
	conv("/C:/Users/me/m.sock", "C:\\Users\\me\\m.sock");
	conv("d:\\x", "D:\\x");
	conv("/c", "C:\\");
	conv("/cdir/a", "\\cdir\\a"); /* not a drive */
	conv("rel/a.sock", "rel\\a.sock");
	conv("//./pipe/podman-m", "\\\\.\\pipe\\podman-m");
	conv("", "");
}

static void test_too_long(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(winpath_to_windows("/c/abcdefgh", out, sizeof(out)),
			 -ENAMETOOLONG);
	assert_int_equal(winpath_to_windows("/c/abcd", out, sizeof(out)), 0);
	assert_string_equal(out, "C:\\abcd");
	assert_int_equal(winpath_to_windows("/c", out, 3), -ENAMETOOLONG);
	assert_int_equal(winpath_to_windows("x", out, 0), -ENAMETOOLONG);
}

/* On this platform, path_native() as url_parse() uses it. */
static void test_native(void **state)
{
	char p[64] = "/c/Users/me/a.sock";

	(void)state;
	assert_int_equal(path_native(p, sizeof(p)), 0);
#ifdef _WIN32
	assert_string_equal(p, "C:\\Users\\me\\a.sock");
#else
	assert_string_equal(p, "/c/Users/me/a.sock");
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_native),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
