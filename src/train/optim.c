/*
 * optim.c — AdamW over parameter segments, the official weight-decay groups, global-norm
 * clipping and gradient accumulation helpers. See optim.h for the exact update.
 *
 * The gradient norm is summed over fixed chunks that are then added in chunk order, so it does
 * not depend on the number of threads.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/simd.h"
#include "train/optim.h"

/* CHUNK: the unit of the norm's partial sums; BLOCK: the unit of work in the update. */
enum { CHUNK = 16384, BLOCK = 1024 };

void adamw_config_default(adamw_config *cfg) {
    cfg->lr = 1e-4;
    cfg->beta1 = 0.9;
    cfg->beta2 = 0.999;
    cfg->eps = 1e-8;
    cfg->weight_decay = 0.1;
}

int optim_param_decays(const char *name, int ndim) {
    if (ndim <= 1) return 0;
    if (strstr(name, "norm") || strstr(name, "embed")) return 0;
    return 1;
}

lorat_status optim_segments_for_model(const lorat_model *m, float *grad_trainable,
                                      float *grad_frozen, optim_segment **out, int *count,
                                      lorat_error *err) {
    *out = NULL;
    *count = 0;
    optim_segment *s = calloc((size_t)(m->n_params ? m->n_params : 1), sizeof *s);
    if (!s) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the optimiser segments");
    int n = 0;
    for (int i = 0; i < m->n_params; i++) {
        const param_desc *p = &m->params[i];
        float *grad = p->role == PARAM_TRAINABLE ? grad_trainable : grad_frozen;
        if (!grad) continue;
        s[n].name = p->name;
        s[n].param = (p->role == PARAM_TRAINABLE ? m->trainable : m->frozen) + p->offset;
        s[n].grad = grad + p->offset;
        s[n].numel = p->numel;
        s[n].decay = optim_param_decays(p->name, p->ndim);
        n++;
    }
    if (n == 0) {
        free(s);
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "the model has nothing to train: no trainable parameters (is LoRA merged?) "
                       "and no frozen gradient block (full fine-tuning is off)");
    }
    *out = s;
    *count = n;
    return LORAT_STATUS_OK;
}

lorat_status adamw_create(const optim_segment *seg, int count, const adamw_config *cfg, adamw **out,
                          lorat_error *err) {
    *out = NULL;
    if (count <= 0) return err_set(err, LORAT_STATUS_BAD_INPUT, "the optimiser got no parameters");
    size_t total = 0;
    for (int i = 0; i < count; i++)
        total += (seg[i].numel + 15) & ~(size_t)15;
    adamw *o = calloc(1, sizeof *o);
    if (!o) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the optimiser");
    o->cfg = *cfg;
    o->n_seg = count;
    o->n_moments = total;
    o->seg = malloc(sizeof *o->seg * (size_t)count);
    o->moment_offset = malloc(sizeof *o->moment_offset * (size_t)count);
    size_t bytes = sizeof(float) * (total ? total : 16);
    o->exp_avg = aligned_alloc(64, bytes);
    o->exp_avg_sq = aligned_alloc(64, bytes);
    if (!o->seg || !o->moment_offset || !o->exp_avg || !o->exp_avg_sq) {
        adamw_free(o);
        return err_set(err, LORAT_STATUS_NO_MEMORY,
                       "cannot allocate the AdamW moments (2 × %.1f MB)", (double)bytes / 1e6);
    }
    memcpy(o->seg, seg, sizeof *seg * (size_t)count);
    size_t off = 0;
    for (int i = 0; i < count; i++) {
        o->moment_offset[i] = off;
        off += (seg[i].numel + 15) & ~(size_t)15;
    }
    memset(o->exp_avg, 0, bytes);
    memset(o->exp_avg_sq, 0, bytes);
    *out = o;
    return LORAT_STATUS_OK;
}

void adamw_free(adamw *o) {
    if (!o) return;
    free(o->seg);
    free(o->moment_offset);
    free(o->exp_avg);
    free(o->exp_avg_sq);
    free(o);
}

/* One update over [0, n) of a segment: param, grad, m, v (n). Every scalar as torch passes it
 * to its float kernels, and the float operations in torch's order (no fused multiply-add), so
 * the vector and scalar paths give the same bits. The AVX2 path exists because GCC does not
 * vectorise sqrtf under -fmath-errno. */
static void adamw_segment(float *restrict p, const float *restrict g, float *restrict m,
                          float *restrict v, size_t n, float keep, float b1, float ob1, float b2,
                          float ob2, float bc2_sqrt, float eps, float neg_step) {
    const size_t n_blocks = (n + BLOCK - 1) / BLOCK;
#pragma omp for schedule(static) nowait
    for (size_t blk = 0; blk < n_blocks; blk++) {
        size_t i = blk * BLOCK;
        const size_t end = i + BLOCK < n ? i + BLOCK : n;
#ifdef LORAT_AVX2
        const __m256 vkeep = _mm256_set1_ps(keep), vb1 = _mm256_set1_ps(b1),
                     vob1 = _mm256_set1_ps(ob1);
        const __m256 vb2 = _mm256_set1_ps(b2), vob2 = _mm256_set1_ps(ob2);
        const __m256 vbc2 = _mm256_set1_ps(bc2_sqrt), veps = _mm256_set1_ps(eps);
        const __m256 vstep = _mm256_set1_ps(neg_step);
        for (; i + 8 <= end; i += 8) {
            const __m256 gi = _mm256_loadu_ps(g + i);
            const __m256 mi =
                _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(m + i), vb1), _mm256_mul_ps(vob1, gi));
            const __m256 vi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(v + i), vb2),
                                            _mm256_mul_ps(_mm256_mul_ps(vob2, gi), gi));
            const __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), vbc2), veps);
            _mm256_storeu_ps(m + i, mi);
            _mm256_storeu_ps(v + i, vi);
            _mm256_storeu_ps(p + i, _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(p + i), vkeep),
                                                  _mm256_div_ps(_mm256_mul_ps(vstep, mi), denom)));
        }
#endif
        for (; i < end; i++) {
            const float gi = g[i];
            const float mi = m[i] * b1 + ob1 * gi;
            const float vi = v[i] * b2 + ob2 * gi * gi;
            const float denom = sqrtf(vi) / bc2_sqrt + eps;
            m[i] = mi;
            v[i] = vi;
            p[i] = p[i] * keep + neg_step * mi / denom;
        }
    }
}

void adamw_step(adamw *o, double lr) {
    const adamw_config *c = &o->cfg;
    o->step++;
    const double t = (double)o->step;
    const double bc1 = 1.0 - pow(c->beta1, t), bc2 = 1.0 - pow(c->beta2, t);
    const float b1 = (float)c->beta1, ob1 = (float)(1.0 - c->beta1);
    const float b2 = (float)c->beta2, ob2 = (float)(1.0 - c->beta2);
    const float bc2_sqrt = (float)sqrt(bc2), eps = (float)c->eps;
    const float neg_step = (float)-(lr / bc1);
    const float keep_decay = (float)(1.0 - lr * c->weight_decay);
#pragma omp parallel
    for (int s = 0; s < o->n_seg; s++) {
        const optim_segment *sg = &o->seg[s];
        const size_t off = o->moment_offset[s];
        adamw_segment(sg->param, sg->grad, o->exp_avg + off, o->exp_avg_sq + off, sg->numel,
                      sg->decay ? keep_decay : 1.0f, b1, ob1, b2, ob2, bc2_sqrt, eps, neg_step);
    }
}

/* ---- gradients ---------------------------------------------------------------------------- */

double grads_global_norm(const optim_segment *seg, int count) {
    size_t n_chunks = 0;
    for (int s = 0; s < count; s++)
        n_chunks += (seg[s].numel + CHUNK - 1) / CHUNK;
    if (n_chunks == 0) return 0.0;
    double *part = malloc(sizeof(double) * n_chunks);
    int *chunk_seg = malloc(sizeof(int) * n_chunks);
    size_t *chunk_begin = malloc(sizeof(size_t) * n_chunks);
    double total = 0.0;
    if (!part || !chunk_seg || !chunk_begin) {
        /* serial, in the same order, when there is no room for the chunk table */
        for (int s = 0; s < count; s++)
            for (size_t i = 0; i < seg[s].numel; i++)
                total += (double)seg[s].grad[i] * seg[s].grad[i];
    } else {
        size_t k = 0;
        for (int s = 0; s < count; s++)
            for (size_t b = 0; b < seg[s].numel; b += CHUNK) {
                chunk_seg[k] = s;
                chunk_begin[k++] = b;
            }
#pragma omp parallel for schedule(static)
        for (size_t c = 0; c < n_chunks; c++) {
            const optim_segment *sg = &seg[chunk_seg[c]];
            const size_t b = chunk_begin[c], e = b + CHUNK < sg->numel ? b + CHUNK : sg->numel;
            const float *g = sg->grad;
            double acc = 0.0;
#pragma omp simd reduction(+ : acc)
            for (size_t i = b; i < e; i++)
                acc += (double)g[i] * g[i];
            part[c] = acc;
        }
        for (size_t c = 0; c < n_chunks; c++)
            total += part[c];
    }
    free(part);
    free(chunk_seg);
    free(chunk_begin);
    return sqrt(total);
}

double grads_clip(const optim_segment *seg, int count, double max_norm) {
    const double norm = grads_global_norm(seg, count);
    if (!isfinite(norm)) return norm;
    /* torch computes the coefficient in float32 from the float32 norm */
    const float coef = (float)max_norm / ((float)norm + 1e-6f);
    if (coef < 1.0f) grads_scale(seg, count, coef);
    return norm;
}

void grads_zero(const optim_segment *seg, int count) {
    for (int s = 0; s < count; s++)
        memset(seg[s].grad, 0, sizeof(float) * seg[s].numel);
}

void grads_scale(const optim_segment *seg, int count, float f) {
#pragma omp parallel
    for (int s = 0; s < count; s++) {
        float *restrict g = seg[s].grad;
        const size_t n = seg[s].numel;
#pragma omp for simd schedule(static) nowait
        for (size_t i = 0; i < n; i++)
            g[i] *= f;
    }
}

void grads_accumulate(float *restrict dst, const float *restrict src, size_t n) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++)
        dst[i] += src[i];
}
