/*
 * fuzz.h — what the harnesses share. Each harness is one LLVMFuzzerTestOneInput over one parser
 * of the library. Built with clang -fsanitize=fuzzer (make fuzz) it is a libFuzzer binary; built
 * with any compiler and LORAT_FUZZ_DRIVER (make test) this file adds a main() that runs it over
 * files and folders given on the command line — the seed corpora and every input a fuzzer ever
 * found — and prints "N passed, 0 failed" when none crashed.
 *
 * Inputs that a parser takes from a path are written to a memfd and passed as /proc/self/fd/N
 * (no disk, no leftovers); folder layouts go under one scratch folder per process.
 */
#ifndef LORAT_FUZZ_H
#define LORAT_FUZZ_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lorat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a file: writes data to a fresh memfd and puts its path in path. Returns the fd to
 * close after use, or -1. */
static inline int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t path_size) {
    int fd = memfd_create("lorat-fuzz", 0);
    if (fd < 0) return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    snprintf(path, path_size, "/proc/self/fd/%d", fd);
    return fd;
}

/* A scratch folder for this process (made once), for parsers that read a folder layout. */
static inline const char *fuzz_scratch(void) {
    static char dir[64];
    if (!dir[0]) {
        /* memory-backed where there is one: the file readers' harnesses write every input out */
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(dir, sizeof dir, "%s/lorat-fuzz-%d", base, (int)getpid());
        mkdir(dir, 0777);
    }
    return dir;
}

static int fuzz_unlink_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path) ? 0 : 0;
}

/* Removes a folder tree (no child process: a fuzzer runs this thousands of times a second). */
static inline void fuzz_rmtree(const char *path) {
    nftw(path, fuzz_unlink_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes len bytes to dir/rel, making the folders on the way. */
static inline void fuzz_put(const char *dir, const char *rel, const void *data, size_t len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(path, 0777);
            *p = '/';
        }
    FILE *f = fopen(path, "wb");
    if (!f) return;
    if (len) fwrite(data, 1, len, f);
    fclose(f);
}

/* With LORAT_FUZZ_VERBOSE set (driver runs), why an input was refused: to see that the seeds
 * get past the first checks. */
static inline void fuzz_note(const char *what, const lorat_error *err) {
    if (getenv("LORAT_FUZZ_VERBOSE")) fprintf(stderr, "%s: %s\n", what, err->message);
}

/* Splits data at NUL bytes into at most max parts (the last takes the rest). */
static inline int fuzz_split(const uint8_t *data, size_t size, const uint8_t **part, size_t *len,
                             int max) {
    int n = 0;
    size_t start = 0;
    for (size_t i = 0; i < size && n < max - 1; i++)
        if (data[i] == 0) {
            part[n] = data + start;
            len[n++] = i - start;
            start = i + 1;
        }
    part[n] = data + start;
    len[n++] = size - start;
    return n;
}

#ifdef LORAT_FUZZ_DRIVER
static int fuzz_run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    uint8_t *buf = NULL;
    size_t size = 0, cap = 0;
    for (;;) {
        if (size == cap) {
            cap = cap ? 2 * cap : 65536;
            uint8_t *grown = realloc(buf, cap);
            if (!grown) break;
            buf = grown;
        }
        size_t got = fread(buf + size, 1, cap - size, f);
        if (!got) break;
        size += got;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf ? buf : (const uint8_t *)"", size);
    free(buf);
    return 1;
}

int main(int argc, char **argv) {
    int runs = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) continue;
        if (!S_ISDIR(st.st_mode)) {
            runs += fuzz_run_file(argv[i]);
            continue;
        }
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            runs += fuzz_run_file(path);
        }
        if (d) closedir(d);
    }
    /* Reaching here means no input crashed (a crash ends the process, under the sanitizers too). */
    printf("%d passed, 0 failed\n", runs);
    return runs > 0 ? 0 : 1;
}
#endif

#endif
