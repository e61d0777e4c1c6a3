/*
 * fileio.h — writing a file atomically: the bytes go to "<path>.tmp.<pid>" beside it (same
 * filesystem, so the rename is atomic), which is fsynced, renamed over path, and the directory
 * fsynced so the rename survives a crash. A reader sees the old file or the new one, never a torn
 * one; on failure the temporary is removed and the old file is untouched.
 */
#ifndef LORAT_CORE_FILEIO_H
#define LORAT_CORE_FILEIO_H

#include <stddef.h>

#include "core/error.h"

/* Writes the concatenation of n parts (parts[i] of sizes[i] bytes) to path atomically. */
/* Removes the temporary files of file_write_atomic ("<name>.tmp.<pid>") in dir that a process
 * killed mid-write left behind: those whose process is gone. Returns how many. */
int file_remove_stale_temps(const char *dir);

lorat_status file_write_atomic(const char *path, const void *const *parts, const size_t *sizes, int n,
                               lorat_error *err);

/* write(2) until all n bytes are out (EINTR retried, chunks under 1 GiB); 0 or an errno. */
int file_write_all(int fd, const void *bytes, size_t n);

/* fsync of the directory holding path (EINVAL from filesystems that cannot is not an error);
 * 0 or an errno. */
int file_fsync_parent_dir(const char *path);

#endif
