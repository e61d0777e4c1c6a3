/*
 * zip.h — finding the members of a zip archive that is already in memory (a mapped file), as
 * PyTorch's torch.save writes them: members stored uncompressed, ZIP64 records for files past
 * 4 GiB. Member bytes are used in place.
 *
 * Not a general zip library: it does not inflate, decrypt, span disks or check CRCs (a CRC would
 * mean reading every byte of a 4 GiB checkpoint up front; the unpickler's own bounds checks catch
 * what corruption could do to lorat).
 */
#ifndef LORAT_IO_ZIP_H
#define LORAT_IO_ZIP_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct ziparc_member {
    const char *name; /* name_len bytes inside the mapping, not NUL-terminated */
    size_t name_len;
    uint16_t method; /* 0: stored */
    uint16_t flags;
    uint64_t size;  /* uncompressed size */
    uint64_t csize; /* compressed size */
    uint64_t local_offset;
} ziparc_member;

typedef struct ziparc_archive {
    const uint8_t *base; /* the archive's bytes (not owned) */
    uint64_t size;
    ziparc_member *members; /* sorted by name; owned */
    size_t count;
} ziparc_archive;

/* Reads the central directory of the archive in base[0, size). path is only for messages. */
lorat_status ziparc_open(ziparc_archive *z, const uint8_t *base, uint64_t size, const char *path,
                      lorat_error *err);
void ziparc_free(ziparc_archive *z);

/* Copies name (len bytes, maybe hostile) into buf for a message: at most size-1 bytes, with
 * anything unprintable shown as '?', and "..." when cut short. Returns buf. */
const char *ziparc_printable(char *buf, size_t size, const char *name, size_t len);

/* The member with this exact name, or NULL. */
const ziparc_member *ziparc_find(const ziparc_archive *z, const char *name, size_t name_len);

/* Points *data at a member's bytes (m->size of them) after checking that it is stored
 * uncompressed and that its local header and bytes lie inside the archive. */
lorat_status ziparc_member_data(const ziparc_archive *z, const ziparc_member *m, const uint8_t **data,
                             const char *path, lorat_error *err);

#endif
