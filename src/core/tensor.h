/*
 * tensor.h — the element types lorat reads and writes, and a named tensor as a file holds it.
 *
 * Shapes are in PyTorch's order (last dimension contiguous). A tensor_info only describes data
 * that someone else owns (a mapped file, a reader's buffer); it never frees anything.
 */
#ifndef LORAT_CORE_TENSOR_H
#define LORAT_CORE_TENSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef enum dtype {
    DTYPE_F32 = 0,
    DTYPE_F16,
    DTYPE_BF16,
    DTYPE_F64,
    DTYPE_I64,
    DTYPE_I32,
    DTYPE_I16,
    DTYPE_I8,
    DTYPE_U8,
    DTYPE_BOOL,
    DTYPE_COUNT,
} dtype;

#define TENSOR_MAX_DIMS 8

typedef struct tensor_info {
    const char *name;
    dtype dtype;
    int ndim;
    int64_t shape[TENSOR_MAX_DIMS];
    const void *data; /* contiguous, row-major */
    size_t nbytes;
} tensor_info;

size_t dtype_size(dtype t);
const char *dtype_name(dtype t);        /* safetensors spelling: "F32", "BF16", ... */
int dtype_from_name(const char *name);  /* -1 when unknown */
int dtype_is_float(dtype t);

int64_t tensor_numel(const tensor_info *t);
/* Writes "(2304,768)" into buf. */
const char *shape_str(char *buf, size_t size, int ndim, const int64_t *shape);

/* Converts n elements of a float type (F32, F16, BF16, F64) to f32. */
void dtype_to_f32(float *dst, const void *src, dtype t, size_t n);
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);

/* bf16 is the upper half of an fp32: widening is exact; narrowing rounds to nearest even, and a
 * NaN stays a (quiet) NaN where the rounding would carry it into infinity. Inline, so that the
 * loops over whole tensors (kernels/compute.c) vectorise. */
static inline float bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline uint16_t f32_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40);
    x += 0x7fff + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

/* Finds a tensor by name in an array; NULL when absent. */
const tensor_info *tensor_find(const tensor_info *tensors, int count, const char *name);

#endif
