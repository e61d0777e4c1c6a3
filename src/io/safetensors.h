/*
 * safetensors.h — reading and writing safetensors files.
 *
 * Format: 8-byte little-endian header length N, N bytes of JSON
 * {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
 *  "__metadata__": {"key": "value", ...}}, then the data block; offsets are relative to it.
 *
 * The reader maps the file and checks every offset: each tensor's byte range must lie inside the
 * data block, match dtype × shape, and not overlap another tensor. Tensor data is used in place
 * (the mapping lives until safetensors_close). The writer is atomic: it writes a temporary file in
 * the same directory, fsyncs it and renames it over the target, so a crash leaves either the old
 * file or the new one, never a torn one.
 */
#ifndef LORAT_IO_SAFETENSORS_H
#define LORAT_IO_SAFETENSORS_H

#include "core/error.h"
#include "core/tensor.h"

typedef struct safetensors safetensors;

lorat_status safetensors_open(const char *path, safetensors **out, lorat_error *err);
void safetensors_close(safetensors *st);

/* The tensors in file order (data pointers into the mapping). */
const tensor_info *safetensors_tensors(const safetensors *st, int *count);
const tensor_info *safetensors_find(const safetensors *st, const char *name);

/* Metadata: value for key, or NULL. */
const char *safetensors_meta(const safetensors *st, const char *key);
int safetensors_meta_count(const safetensors *st);
void safetensors_meta_at(const safetensors *st, int i, const char **key, const char **value);

/* Writes tensors (any dtype; data must hold nbytes = numel × dtype size) and metadata
 * (meta_kv: n_meta pairs, key then value) to path atomically. Tensors are written in the order
 * given; names must be unique. */
lorat_status safetensors_write(const char *path, const tensor_info *tensors, int count,
                               const char *const *meta_kv, int n_meta, lorat_error *err);

#endif
