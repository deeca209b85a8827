/*
 * path.h - file paths the platform's way: path_native() on what flags and
 * URLs give (identity on POSIX, path_posix.c; "/c/dir" and "C:/dir" to
 * "C:\dir" on Windows, path_win.c) and a private directory.
 */
#ifndef QCW_PATH_H
#define QCW_PATH_H

#include <stddef.h>

/*
 * path_native() - @path (nul-terminated, @cap bytes of room) rewritten in
 * place in this platform's form. 0 or -ENAMETOOLONG.
 */
int path_native(char *path, size_t cap);

/* path_mkdir_private() - create directory @dir for the owner only (0700;
 * on Windows it inherits its parent's ACL, %TEMP% is per user). 0 or
 * -errno (-EEXIST when it is there). */
int path_mkdir_private(const char *dir);

#endif
