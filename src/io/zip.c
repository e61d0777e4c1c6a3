/*
 * zip.c — the central directory of an in-memory zip archive; see zip.h.
 *
 * Layout (APPNOTE.TXT): members, each a local header + name + extra + data, then the central
 * directory (one record per member, holding the true sizes and the local header's offset), then
 * the end-of-central-directory record (EOCD), which may be preceded by a ZIP64 EOCD and its
 * locator when counts, sizes or offsets do not fit in 16/32 bits. torch.save always writes the
 * ZIP64 records and sets the data-descriptor flag, so the local header's sizes are zero: sizes
 * are taken from the central directory only.
 *
 * Every number read from the file is checked against the archive's size before it is used.
 */
#include "io/zip.h"

#include <stdlib.h>
#include <string.h>

enum { ZIP_MAX_MEMBERS = 1 << 20 };

enum {
    SIG_LOCAL = 0x04034b50,
    SIG_CENTRAL = 0x02014b50,
    SIG_EOCD = 0x06054b50,
    SIG_EOCD64 = 0x06064b50,
    SIG_LOCATOR64 = 0x07064b50,
    LOCAL_SIZE = 30,
    CENTRAL_SIZE = 46,
    EOCD_SIZE = 22,
    EOCD64_SIZE = 56,
    LOCATOR64_SIZE = 20,
};

static uint16_t rd16(const uint8_t *p) {
    return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) {
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* 1 when [off, off + len) lies inside [0, size), without overflowing. */
static int in_bounds(uint64_t off, uint64_t len, uint64_t size) {
    return off <= size && len <= size - off;
}

const char *ziparc_printable(char *buf, size_t size, const char *name, size_t len) {
    if (size == 0) return buf;
    size_t n = 0, i = 0;
    for (; i < len && n + 1 < size; i++) {
        unsigned char c = (unsigned char)name[i];
        buf[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (i < len && size >= 4) memcpy(buf + size - 4, "...", 3), n = size - 1;
    buf[n] = 0;
    return buf;
}

static int member_cmp(const void *a, const void *b) {
    const ziparc_member *x = a, *y = b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->name, y->name, n);
    if (c) return c;
    return (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/* Finds the EOCD by searching backwards: it ends the file but may be followed by a comment of
 * up to 65535 bytes, and a comment may itself contain the signature, so take the last one whose
 * comment length fits. */
static int64_t find_eocd(const uint8_t *base, uint64_t size) {
    if (size < EOCD_SIZE) return -1;
    uint64_t last = size - EOCD_SIZE;
    uint64_t first = last > 65535 ? last - 65535 : 0;
    for (uint64_t pos = last + 1; pos-- > first;) {
        if (rd32(base + pos) != SIG_EOCD) continue;
        if (pos + EOCD_SIZE + rd16(base + pos + 20) <= size) return (int64_t)pos;
    }
    return -1;
}

/* Reads the ZIP64 extended-information extra field (id 1) of a central record: it holds, in this
 * order, only those of usize, csize and offset whose 32-bit field is 0xffffffff. */
static int read_zip64_extra(const uint8_t *extra, size_t len, ziparc_member *m, int need_usize,
                            int need_csize, int need_offset) {
    size_t pos = 0;
    while (pos + 4 <= len) {
        uint16_t id = rd16(extra + pos), n = rd16(extra + pos + 2);
        if (n > len - pos - 4) return 0;
        if (id == 1) {
            const uint8_t *p = extra + pos + 4;
            size_t need = 8u * (size_t)(need_usize + need_csize + need_offset);
            if (n < need) return 0;
            if (need_usize) m->size = rd64(p), p += 8;
            if (need_csize) m->csize = rd64(p), p += 8;
            if (need_offset) m->local_offset = rd64(p);
            return 1;
        }
        pos += 4 + (size_t)n;
    }
    return !(need_usize || need_csize || need_offset);
}

lorat_status ziparc_open(ziparc_archive *z, const uint8_t *base, uint64_t size, const char *path,
                      lorat_error *err) {
    memset(z, 0, sizeof *z);
    z->base = base;
    z->size = size;
    int64_t eocd = find_eocd(base, size);
    if (eocd < 0)
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: not a zip archive, or a truncated one (no end-of-central-directory "
                       "record in its last 64 KiB): check that the download is complete",
                       path);
    const uint8_t *e = base + eocd;
    uint64_t count = rd16(e + 10), cd_size = rd32(e + 12), cd_offset = rd32(e + 16);
    if (rd16(e + 4) != 0 || rd16(e + 6) != 0)
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "%s: a zip archive split over several disks; join it into one file", path);

    /* A ZIP64 locator right before the EOCD points at the ZIP64 EOCD, whose 64-bit fields
     * replace the EOCD's (which then hold 0xffff / 0xffffffff). */
    if (eocd >= LOCATOR64_SIZE && rd32(e - LOCATOR64_SIZE) == SIG_LOCATOR64) {
        uint64_t off64 = rd64(e - LOCATOR64_SIZE + 8);
        if (!in_bounds(off64, EOCD64_SIZE, (uint64_t)eocd - LOCATOR64_SIZE) ||
            rd32(base + off64) != SIG_EOCD64)
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: the ZIP64 locator points at offset %llu, where there is no ZIP64 "
                           "end-of-central-directory record: the file is corrupt",
                           path, (unsigned long long)off64);
        const uint8_t *e64 = base + off64;
        count = rd64(e64 + 32);
        cd_size = rd64(e64 + 40);
        cd_offset = rd64(e64 + 48);
    }
    if (!in_bounds(cd_offset, cd_size, (uint64_t)eocd) || count > cd_size / CENTRAL_SIZE)
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: the zip central directory (%llu entries, %llu bytes at offset %llu) "
                       "does not fit in the file's %llu bytes: the file is truncated or corrupt",
                       path, (unsigned long long)count, (unsigned long long)cd_size,
                       (unsigned long long)cd_offset, (unsigned long long)size);

    /* a torch.save archive holds one member per storage plus a few: a million is no checkpoint */
    if (count > ZIP_MAX_MEMBERS)
        return err_set(err, LORAT_STATUS_UNSUPPORTED, "%s: %llu zip entries, more than lorat reads (%d)", path,
                       (unsigned long long)count, ZIP_MAX_MEMBERS);
    z->members = calloc(count ? (size_t)count : 1, sizeof *z->members);
    if (!z->members)
        return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: no memory for %llu zip entries", path,
                       (unsigned long long)count);
    uint64_t pos = cd_offset, end = cd_offset + cd_size;
    for (uint64_t i = 0; i < count; i++) {
        if (!in_bounds(pos, CENTRAL_SIZE, end) || rd32(base + pos) != SIG_CENTRAL) {
            ziparc_free(z);
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: zip central directory entry %llu at offset %llu is damaged (no "
                           "signature): the file is corrupt",
                           path, (unsigned long long)i, (unsigned long long)pos);
        }
        const uint8_t *c = base + pos;
        size_t n = rd16(c + 28), x = rd16(c + 30), k = rd16(c + 32);
        if (!in_bounds(pos + CENTRAL_SIZE, (uint64_t)n + x + k, end)) {
            ziparc_free(z);
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: zip central directory entry %llu runs past the directory's end: "
                           "the file is corrupt",
                           path, (unsigned long long)i);
        }
        ziparc_member *m = &z->members[i];
        m->name = (const char *)c + CENTRAL_SIZE;
        m->name_len = n;
        m->flags = rd16(c + 8);
        m->method = rd16(c + 10);
        m->csize = rd32(c + 20);
        m->size = rd32(c + 24);
        m->local_offset = rd32(c + 42);
        if (!read_zip64_extra(c + CENTRAL_SIZE + n, x, m, m->size == 0xffffffffu,
                              m->csize == 0xffffffffu, m->local_offset == 0xffffffffu)) {
            char name[256];
            ziparc_printable(name, sizeof name, m->name, n);
            ziparc_free(z);
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: zip member %s has 32-bit fields set to 0xffffffff but no valid "
                           "ZIP64 extra field: the file is corrupt",
                           path, name);
        }
        pos += CENTRAL_SIZE + (uint64_t)n + x + k;
    }
    z->count = (size_t)count;
    qsort(z->members, z->count, sizeof *z->members, member_cmp);
    for (size_t i = 1; i < z->count; i++) {
        if (member_cmp(&z->members[i - 1], &z->members[i]) == 0) {
            char name[256];
            ziparc_printable(name, sizeof name, z->members[i].name, z->members[i].name_len);
            ziparc_free(z);
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: zip member %s appears twice: the file is corrupt or was "
                           "tampered with",
                           path, name);
        }
    }
    return LORAT_STATUS_OK;
}

void ziparc_free(ziparc_archive *z) {
    free(z->members);
    z->members = NULL;
    z->count = 0;
}

const ziparc_member *ziparc_find(const ziparc_archive *z, const char *name, size_t name_len) {
    ziparc_member key = {.name = name, .name_len = name_len};
    return bsearch(&key, z->members, z->count, sizeof *z->members, member_cmp);
}

lorat_status ziparc_member_data(const ziparc_archive *z, const ziparc_member *m, const uint8_t **data,
                             const char *path, lorat_error *err) {
    char name[256];
    ziparc_printable(name, sizeof name, m->name, m->name_len);
    if (m->flags & 1)
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "%s: zip member %s is encrypted; lorat reads only plain members, as "
                       "torch.save writes them",
                       path, name);
    if (m->method != 0)
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "%s: zip member %s is compressed (method %u); lorat reads only stored "
                       "(uncompressed) members, as torch.save writes them: re-save the file "
                       "with torch.save, or re-zip it with no compression (zip -0)",
                       path, name, (unsigned)m->method);
    if (m->csize != m->size)
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: zip member %s is stored uncompressed but its sizes differ (%llu and "
                       "%llu bytes): the file is corrupt",
                       path, name, (unsigned long long)m->csize, (unsigned long long)m->size);
    uint64_t off = m->local_offset;
    if (!in_bounds(off, LOCAL_SIZE, z->size) || rd32(z->base + off) != SIG_LOCAL)
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: zip member %s: no local header at offset %llu: the file is truncated "
                       "or corrupt",
                       path, name, (unsigned long long)off);
    /* The local header's name and extra lengths may differ from the central record's (torch
     * pads the local extra field so that data starts at a multiple of 64 bytes). */
    const uint8_t *l = z->base + off;
    uint64_t n = rd16(l + 26), x = rd16(l + 28);
    if (n != m->name_len || !in_bounds(off + LOCAL_SIZE, n, z->size) ||
        memcmp(l + LOCAL_SIZE, m->name, n) != 0)
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: zip member %s: its local header names another member: the file is "
                       "corrupt",
                       path, name);
    uint64_t start = off + LOCAL_SIZE + n + x;
    if (!in_bounds(start, m->size, z->size))
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: zip member %s (%llu bytes at offset %llu) runs past the end of the "
                       "file (%llu bytes): the file is truncated",
                       path, name, (unsigned long long)m->size, (unsigned long long)start,
                       (unsigned long long)z->size);
    *data = z->base + start;
    return LORAT_STATUS_OK;
}
