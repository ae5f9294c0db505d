/* minhold.c - sliding-window minimum. See minhold.h. */
#include "minhold.h"

#include <stdlib.h>
#include <string.h>

int sm_minhold_init(sm_minhold *h, int maxlen)
{
    memset(h, 0, sizeof *h);
    if (maxlen < 1)
        return -1;
    int cap = 1;
    while (cap < maxlen + 1)
        cap <<= 1;
    h->val = malloc(sizeof(float) * cap);
    h->when = malloc(sizeof(long) * cap);
    if (!h->val || !h->when) {
        sm_minhold_free(h);
        return -1;
    }
    h->cap = cap;
    h->maxlen = maxlen;
    sm_minhold_set_length(h, maxlen);
    return 0;
}

void sm_minhold_free(sm_minhold *h)
{
    free(h->val);
    free(h->when);
    memset(h, 0, sizeof *h);
}

void sm_minhold_set_length(sm_minhold *h, int len)
{
    h->len = len < 1 ? 1 : (len > h->maxlen ? h->maxlen : len);
    sm_minhold_reset(h);
}

void sm_minhold_reset(sm_minhold *h)
{
    h->head = h->count = 0;
    h->index = 0;
}

void sm_minhold_copy(sm_minhold *dst, const sm_minhold *src)
{
    if (dst->cap != src->cap)
        return;
    memcpy(dst->val, src->val, sizeof(float) * src->cap);
    memcpy(dst->when, src->when, sizeof(long) * src->cap);
    dst->head = src->head;
    dst->count = src->count;
    dst->index = src->index;
    dst->len = src->len;
}
