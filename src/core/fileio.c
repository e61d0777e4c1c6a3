/* fileio.c — see fileio.h. */
#include "core/fileio.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Fault injection for the tests (tests/test_faults.sh): with LORAT_FAULT_KILL_AFTER_BYTES=N in
 * the environment, the process kills itself (SIGKILL, as a power cut or the OOM killer would)
 * once N bytes have gone through file_write_all — that is, in the middle of some file's atomic
 * write. The only state of this file; read once. */
static long long fault_left = -2; /* -2: not read yet; -1: off */

static size_t fault_clip(size_t chunk) {
    if (fault_left == -2) {
        const char *s = getenv("LORAT_FAULT_KILL_AFTER_BYTES");
        fault_left = s && *s ? atoll(s) : -1;
    }
    if (fault_left < 0) return chunk;
    if ((long long)chunk < fault_left) {
        fault_left -= (long long)chunk;
        return chunk;
    }
    return (size_t)fault_left; /* what is left before the kill */
}

int file_write_all(int fd, const void *bytes, size_t n) {
    const char *p = bytes;
    while (n > 0) {
        /* Large buffers go in chunks: some systems cap a single write below 2 GiB. */
        size_t chunk = n < ((size_t)1 << 30) ? n : ((size_t)1 << 30);
        const size_t allowed = fault_clip(chunk);
        if (allowed < chunk) {
            if (allowed) { /* the part that made it */
                ssize_t w = write(fd, p, allowed);
                (void)w;
            }
            raise(SIGKILL);
        }
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

int file_remove_stale_temps(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *t = strstr(e->d_name, ".tmp.");
        if (!t) continue;
        char *end;
        const long pid = strtol(t + 5, &end, 10);
        /* ours end in the pid (video temps add ".<ext>"); another's temp is not ours to remove */
        if (pid <= 0 || end == t + 5 || (*end && *end != '.')) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* still running */
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) == 0) removed++;
    }
    closedir(d);
    return removed;
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
