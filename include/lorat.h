/*
 * lorat.h — the public C API of lorat, the LoRAT tracker in C.
 *
 * Everything a program needs to load a model and run it. Nothing else in the tree is public.
 * Every function that can fail returns a lorat_status and, when given a lorat_error, fills it
 * with a message that says what was wrong and what to do. The library never exits or aborts.
 */
#ifndef LORAT_H
#define LORAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lorat_status {
    LORAT_STATUS_OK = 0,
    LORAT_STATUS_BAD_INPUT,   /* an argument or a value in a file is wrong */
    LORAT_STATUS_IO,          /* a file could not be opened, read or written */
    LORAT_STATUS_FORMAT,      /* a file is not of the format it claims, or is corrupt */
    LORAT_STATUS_UNSUPPORTED, /* valid, but not something lorat handles */
    LORAT_STATUS_NO_MEMORY,
    LORAT_STATUS_INTERNAL,
} lorat_status;

typedef struct lorat_error {
    lorat_status status;
    char message[1024];
} lorat_error;

const char *lorat_status_name(lorat_status status);
/* The library's version, "major.minor.patch". */
const char *lorat_version(void);

/* ---- model -------------------------------------------------------------------------------- */

typedef struct lorat_model lorat_model;

/* Loads a model file in lorat's canonical format (safetensors with the configuration in its
 * metadata, as `lorat convert` writes it). */
lorat_status lorat_model_load(const char *path, lorat_model **out, lorat_error *err);
void lorat_model_free(lorat_model *model);

typedef struct lorat_model_info {
    char variant[32];
    int dim, depth, heads, ffn_hidden, patch;
    int swiglu;                         /* 1: SwiGLU FFN (g), 0: GELU MLP */
    int template_w, template_h;         /* template token grid */
    int search_w, search_h;             /* search token grid */
    float template_area_factor, search_area_factor;
    int lora_merged;                    /* 1: LoRA folded into the linear weights */
} lorat_model_info;

void lorat_model_get_info(const lorat_model *model, lorat_model_info *info);

/* Sets the number of threads used by the model's kernels (OpenMP and BLAS); 0 keeps the default;
 * more than 1024 is taken as 1024. The setting is the calling thread's (as OpenMP's is).
 * A tracker runs with the thread count current when it was created, whichever thread calls it. */
void lorat_set_threads(int threads);

/* The precision of the network's matrix products. fp32 (the default) is exact to the official
 * code. bf16: weights held in bf16 (half the memory), products in bf16 with fp32 accumulation,
 * everything else in fp32, like PyTorch's autocast; on a CPU without AVX512_BF16 / AMX it is
 * emulated (the same numbers at fp32 speed). int8: the blocks' linears with int8 weights (per
 * output channel) and activations quantised per token at run time (VNNI where present), the
 * rest as bf16. */
typedef enum lorat_precision {
    LORAT_PRECISION_FP32 = 0,
    LORAT_PRECISION_BF16 = 1,
    LORAT_PRECISION_INT8 = 2,
} lorat_precision;

/* Prepares the model's weights for a precision; call it before creating trackers. At bf16 and
 * int8 the fp32 weights are released: to go back to fp32, load the file again. */
lorat_status lorat_model_set_precision(lorat_model *model, lorat_precision precision,
                                       lorat_error *err);
lorat_precision lorat_model_get_precision(const lorat_model *model);
const char *lorat_precision_name(lorat_precision precision);

/* ---- tracker ------------------------------------------------------------------------------ */

/* An 8-bit RGB image owned by the caller: pixel (x, y) channel c at rgb[y·stride + 3·x + c]. */
typedef struct lorat_image {
    int width, height;
    int stride; /* bytes per row, >= 3·width */
    const uint8_t *rgb;
} lorat_image;

/* Decodes a JPEG or PNG file (chosen by its first bytes) with the decoder lorat track uses:
 * grey and palette images become RGB, alpha is dropped. The pixels are lorat's: release them
 * with lorat_image_free. */
lorat_status lorat_image_read(const char *path, lorat_image *out, lorat_error *err);
void lorat_image_free(lorat_image *image);

/* A box in continuous pixel coordinates: x, y of the top-left corner, width, height
 * (a pixel covers [i, i+1)). */
typedef struct lorat_box {
    float x, y, w, h;
} lorat_box;

typedef struct lorat_tracker_params {
    float template_area_factor; /* template crop side = sqrt(area factor² · w · h) roughly; 2 */
    float search_area_factor;   /* 4 for -224 models, 5 for -378 */
    float window_influence;     /* weight of the Hann window in the score blend: 0.45 */
    float min_box_size;         /* state box sides are raised to at least this many pixels: 10 */
    float size_update;          /* share of each new box's width and height taken into the state,
                                   the rest kept from the previous box: 1 (the official tracker);
                                   smaller damps the scale drift of a weak model */
    float size_gate;            /* the new size is taken only on frames whose confidence (the
                                   chosen cell's probability) is at least this, else the size is
                                   kept and only the centre moves: 0 (the official tracker) */
    int box_average;            /* 0: the box of the chosen cell (the official tracker); R > 0: the
                                   probability-weighted mean of the boxes of the cells within R
                                   cells of it (at most 8) whose probability is at least half
                                   its own */
} lorat_tracker_params;

typedef struct lorat_tracker lorat_tracker;

/* The defaults recorded in the model file. */
void lorat_tracker_params_default(const lorat_model *model, lorat_tracker_params *params);

/* Several trackers may share one model (the model is only read). params may be NULL. */
lorat_status lorat_tracker_create(const lorat_model *model, const lorat_tracker_params *params,
                                  lorat_tracker **out, lorat_error *err);
void lorat_tracker_free(lorat_tracker *tracker);

/* Starts tracking the object in box on the first frame. */
lorat_status lorat_tracker_init(lorat_tracker *tracker, const lorat_image *image, lorat_box box,
                                lorat_error *err);
/* Finds the object in the next frame: its box and the confidence (sigmoid of the chosen score). */
lorat_status lorat_tracker_update(lorat_tracker *tracker, const lorat_image *image, lorat_box *box,
                                  float *confidence, lorat_error *err);

#ifdef __cplusplus
}
#endif
#endif
