/* minhold.c - sliding-window minimum. See minhold.h. */
#include "minhold.h"

#include <stdlib.h>
#include <string.h>

int sm_minhold_init(sm_minhold *h, int maxlen)
{
    memset(h, 0, sizeof *h);
    if (maxlen < 1)
        return -1;
    h->cur = malloc(sizeof(float) * maxlen);
    h->suf = malloc(sizeof(float) * (maxlen + 1));
    if (!h->cur || !h->suf) {
        sm_minhold_free(h);
        return -1;
    }
    h->maxlen = maxlen;
    sm_minhold_set_length(h, maxlen);
    return 0;
}

void sm_minhold_free(sm_minhold *h)
{
    free(h->cur);
    free(h->suf);
    memset(h, 0, sizeof *h);
}

void sm_minhold_set_length(sm_minhold *h, int len)
{
    h->len = len < 1 ? 1 : (len > h->maxlen ? h->maxlen : len);
    sm_minhold_reset(h);
}

void sm_minhold_reset(sm_minhold *h)
{
    for (int j = 0; j <= h->len; j++)
        h->suf[j] = FLT_MAX;
    h->prefix = FLT_MAX;
    h->fill = 0;
}

void sm_minhold_close_block(sm_minhold *h)
{
    float m = FLT_MAX;
    for (int j = h->len - 1; j >= 0; j--) {
        m = h->cur[j] < m ? h->cur[j] : m;
        h->suf[j] = m;
    }
    h->prefix = FLT_MAX;
    h->fill = 0;
}

void sm_minhold_push_ones(sm_minhold *h, int k)
{
    for (int i = 0; i < k; i++)
        sm_minhold_push(h, 1.0f);
}

void sm_minhold_push_block(sm_minhold *h, const float *v, float *out, int k)
{
    int i = 0;
    while (i < k) {
        /* up to the end of the block, in locals */
        int f = h->fill, n = h->len - f < k - i ? h->len - f : k - i;
        float p = h->prefix, *cur = h->cur + f;
        const float *suf = h->suf + f + 1;
        for (int j = 0; j < n; j++) {
            float x = v[i + j];
            cur[j] = x;
            p = x < p ? x : p;
            out[i + j] = suf[j] < p ? suf[j] : p;
        }
        h->prefix = p;
        h->fill = f + n;
        i += n;
        if (h->fill == h->len)
            sm_minhold_close_block(h);
    }
}

void sm_minhold_copy(sm_minhold *dst, const sm_minhold *src)
{
    if (dst->maxlen != src->maxlen)
        return;
    memcpy(dst->cur, src->cur, sizeof(float) * src->maxlen);
    memcpy(dst->suf, src->suf, sizeof(float) * (src->maxlen + 1));
    dst->prefix = src->prefix;
    dst->fill = src->fill;
    dst->len = src->len;
}
