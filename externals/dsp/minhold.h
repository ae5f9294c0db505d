/* minhold.h - running minimum over a sliding window of the last `len`
 * values, with a constant, branch-light cost per value (the van Herk /
 * Gil-Werman scheme: the stream is cut into blocks of `len` values; the
 * window ending in the current block is the minimum of the current block's
 * running prefix minimum and the suffix minimum of the previous block from
 * the same position on, computed once per block). About 3 operations per
 * value, without the data-dependent branches of a monotonic deque. Values
 * must be below FLT_MAX (the limiter's are gains, at most 1).
 *
 * Usage:
 *   sm_minhold h;
 *   sm_minhold_init(&h, maxlen);      // allocates
 *   sm_minhold_set_length(&h, len);   // 1..maxlen; clears the window
 *   m = sm_minhold_push(&h, v);       // min of the last len values pushed
 */
#ifndef SM_MINHOLD_H
#define SM_MINHOLD_H

#include <float.h>

typedef struct sm_minhold {
    float *cur;   /* values of the current block so far */
    float *suf;   /* suf[j]: min of the previous block from position j on;
                     suf[len] = FLT_MAX */
    float prefix; /* min of the current block so far (FLT_MAX: none) */
    int fill;     /* values in the current block, 0..len-1 */
    int len, maxlen;
} sm_minhold;

int sm_minhold_init(sm_minhold *h, int maxlen);
void sm_minhold_free(sm_minhold *h);
void sm_minhold_set_length(sm_minhold *h, int len);
void sm_minhold_reset(sm_minhold *h);

/* The block is full: its suffix minima become the previous block's. */
void sm_minhold_close_block(sm_minhold *h);

static inline float sm_minhold_push(sm_minhold *h, float v)
{
    int f = h->fill;
    h->cur[f] = v;
    h->prefix = v < h->prefix ? v : h->prefix;
    float s = h->suf[f + 1], m = s < h->prefix ? s : h->prefix;
    if (++h->fill == h->len)
        sm_minhold_close_block(h);
    return m;
}

/* The current minimum (1 while nothing has been pushed). */
static inline float sm_minhold_min(const sm_minhold *h)
{
    float s = h->suf[h->fill], m = s < h->prefix ? s : h->prefix;
    return m == FLT_MAX ? 1.0f : m;
}

/* Pushes k values of 1 where every value in the window is already 1. */
void sm_minhold_push_ones(sm_minhold *h, int k);

/* Pushes v[0..k-1]; out[i] is what sm_minhold_push(h, v[i]) would return. */
void sm_minhold_push_block(sm_minhold *h, const float *v, float *out, int k);

/* Makes dst a copy of src (same maximum length). */
void sm_minhold_copy(sm_minhold *dst, const sm_minhold *src);

#endif
