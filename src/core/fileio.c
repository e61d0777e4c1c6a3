/* fileio.c — see fileio.h. */
#include "core/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int file_write_all(int fd, const void *bytes, size_t n) {
    const char *p = bytes;
    while (n > 0) {
        /* Large buffers go in chunks: some systems cap a single write below 2 GiB. */
        size_t chunk = n < ((size_t)1 << 30) ? n : ((size_t)1 << 30);
        ssize_t w = write(fd, p, chunk);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (w == 0) return EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int file_fsync_parent_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir;
    if (!slash)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (!dir) return ENOMEM;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0) return errno;
    int e = fsync(fd) == 0 || errno == EINVAL ? 0 : errno;
    close(fd);
    return e;
}

lorat_status file_write_atomic(const char *path, const void *const *parts, const size_t *sizes, int n,
                               lorat_error *err) {
    size_t tlen = strlen(path) + 32;
    char *tmp = malloc(tlen);
    if (!tmp) return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", path);
    snprintf(tmp, tlen, "%s.tmp.%ld", path, (long)getpid());

    const char *what = "create";
    int e = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        e = errno;
        goto fail;
    }
    what = "write";
    for (int i = 0; i < n && !e; i++) e = file_write_all(fd, parts[i], sizes[i]);
    if (e) goto fail;
    what = "fsync";
    if (fsync(fd) != 0) {
        e = errno;
        goto fail;
    }
    what = "close";
    int rc = close(fd);
    fd = -1;
    if (rc != 0) {
        e = errno;
        goto fail;
    }
    what = "rename";
    if (rename(tmp, path) != 0) {
        e = errno;
        goto fail;
    }
    free(tmp);
    e = file_fsync_parent_dir(path);
    if (e)
        return err_set(err, LORAT_STATUS_IO,
                       "%s: written, but syncing its directory failed (%s): the new file may not "
                       "survive a crash",
                       path, strerror(e));
    return LORAT_STATUS_OK;

fail:
    if (fd >= 0) close(fd);
    if (strcmp(what, "create") != 0) unlink(tmp);
    lorat_status s = err_set(err, LORAT_STATUS_IO,
                             "%s: cannot %s temporary file %s: %s: check that the directory exists, "
                             "is writable and has space",
                             path, what, tmp, strerror(e));
    free(tmp);
    return s;
}
