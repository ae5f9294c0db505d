/* minhold.h - running minimum over a sliding window of the last `len`
 * values, O(1) amortised per value (a monotonic deque; Lemire 2006).
 *
 * Usage:
 *   sm_minhold h;
 *   sm_minhold_init(&h, maxlen);      // allocates
 *   sm_minhold_set_length(&h, len);   // 1..maxlen; clears the window
 *   m = sm_minhold_push(&h, v);       // min of the last len values pushed
 */
#ifndef SM_MINHOLD_H
#define SM_MINHOLD_H

typedef struct sm_minhold {
    float *val; /* deque of candidate values, increasing from head */
    long *when; /* their push index */
    int cap;    /* deque capacity (power of two) */
    int head, count;
    long index; /* number of values pushed */
    int len, maxlen;
} sm_minhold;

int sm_minhold_init(sm_minhold *h, int maxlen);
void sm_minhold_free(sm_minhold *h);
void sm_minhold_set_length(sm_minhold *h, int len);
void sm_minhold_reset(sm_minhold *h);

static inline float sm_minhold_push(sm_minhold *h, float v)
{
    int mask = h->cap - 1;
    /* drop candidates that can never be the minimum again */
    while (h->count > 0 && h->val[(h->head + h->count - 1) & mask] >= v)
        h->count--;
    int tail = (h->head + h->count) & mask;
    h->val[tail] = v;
    h->when[tail] = h->index;
    h->count++;
    /* drop the head once it has left the window */
    if (h->when[h->head] <= h->index - h->len) {
        h->head = (h->head + 1) & mask;
        h->count--;
    }
    h->index++;
    return h->val[h->head];
}

/* The current minimum (1 while nothing has been pushed). */
static inline float sm_minhold_min(const sm_minhold *h)
{
    return h->count ? h->val[h->head] : 1.0f;
}

/* Pushes k values of 1 where every value in the window is already 1: the
 * window then holds just the newest. */
static inline void sm_minhold_push_ones(sm_minhold *h, int k)
{
    h->index += k;
    h->head = 0;
    h->count = 1;
    h->val[0] = 1.0f;
    h->when[0] = h->index - 1;
}

/* Makes dst a copy of src (same maximum length). */
void sm_minhold_copy(sm_minhold *dst, const sm_minhold *src);

#endif
