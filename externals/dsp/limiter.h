/* limiter.h - lookahead true-peak limiter whose ceiling holds.
 *
 * Design (the min-hold and FIR-smoothing limiter):
 *   1. the driven input is upsampled 8x (4x from 88.2 kHz) in the sidechain
 *      only; p[n] is the largest |value| of the interpolated signal over
 *      each input step, linked across channels by `link`;
 *   2. required gain g[n] = min(1, ceiling / p[n]);
 *   3. e[n] = minimum of g over the last L + 1 + hold steps (L = lookahead);
 *   4. release: r[n] = e[n] when e falls, else r rises towards e with the
 *      release time constant (longer under sustained reduction with auto);
 *      computed on the reduction 1 - r for precision;
 *   5. the gain reduction 1 - r is smoothed by two cascaded moving averages
 *      whose supports add up to L samples: an S-shaped fade that reaches the
 *      full reduction exactly when the peak arrives;
 *   6. out[n] = in[n - latency] * s[n], latency = detector delay + L - 1.
 * Every smoothed gain is a weighted mean of r values whose hold windows all
 * contain the steps around the output sample, so the output never exceeds
 * the ceiling as the sidechain reads it. A last clip at the ceiling removes
 * float rounding. The output is metered again by a BS.1770 4x detector as a
 * self-check: `overs` counts output steps above the ceiling.
 */
#ifndef SM_LIMITER_H
#define SM_LIMITER_H

#include <stdint.h>

#include "minhold.h"
#include "smooth.h"
#include "truepeak.h"

#define SM_LIMITER_MAXCH 8
#define SM_LIMITER_MAX_LOOKAHEAD_MS 10.0
#define SM_LIMITER_HOLD_MS 10.0

typedef struct sm_limiter_chan {
    float *delay; /* ring of driven input, size delay_mask + 1 */
    sm_minhold hold;
    float reduction; /* 1 - r[n]: gain reduction after the release */
    /* The two moving averages run on the reduction in fixed point (units
     * of 2^-32): exact integer sums never drift, and are 0 exactly when
     * every entry is, so the gain lands on exactly 1. box1 holds the
     * reductions, box2 the first sums; sum2 / (len1 len2) is the result. */
    int64_t *box1, *box2;
    int64_t sum1, sum2;
    float *annex_ring; /* BS.1770 sidechain readings, delayed */
} sm_limiter_chan;

typedef struct sm_limiter {
    int nch;
    double samplerate;
    sm_truepeak detector; /* fine sidechain: 8x (4x from 88.2 kHz) */
    sm_truepeak annex;    /* BS.1770 Annex 2 sidechain */
    sm_truepeak meter;    /* BS.1770 Annex 2 meter of the output */
    int annex_lag, annex_pos;
    int shared;      /* full link: channel 0's gain state serves all */
    long linked_for; /* samples since the link became 100 % */
    sm_limiter_chan ch[SM_LIMITER_MAXCH];
    int delay_mask, write_pos;
    float *ceil_ring; /* the ceiling at each step, for the self-check */
    int box_max, len1, len2, box_pos1, box_pos2;
    int lookahead; /* L, samples */
    int latency;   /* detector delay + L - 1 */
    /* parameters */
    sm_ramp drive, ceiling, wet; /* linear gains; wet 1 = limiting */
    double release_ms;
    int autorelease;
    float link;
    int dither_bits;
    uint32_t seed;
    /* lookahead change in progress: fade out, reconfigure, fade in */
    sm_ramp mute;
    int pending_lookahead;
    int refill; /* samples of silence left before fading in again */
    /* measurements since the last read */
    float min_gain;  /* smallest applied gain */
    float chunk_min; /* smallest gain in this control block (auto release) */
    float rel;       /* release coefficient of this control block */
    int phase;       /* samples into the current control block */
    double sustained_db;
    /* self-check since reset */
    long overs;
    float over_peak; /* largest output true peak / ceiling seen above 1 */
} sm_limiter;

int sm_limiter_init(sm_limiter *l, int nch, double samplerate);
void sm_limiter_free(sm_limiter *l);

/* Parameters (glide where a jump would click). */
void sm_limiter_set_ceiling_db(sm_limiter *l, double db);
void sm_limiter_set_drive_db(sm_limiter *l, double db);
void sm_limiter_set_release_ms(sm_limiter *l, double ms);
void sm_limiter_set_auto(sm_limiter *l, int on);
void sm_limiter_set_link(sm_limiter *l, double percent);
void sm_limiter_set_bypass(sm_limiter *l, int on);
void sm_limiter_set_dither(sm_limiter *l, int bits); /* 0 off, or 8..24 */
/* Changes the latency: the output fades out and in over a few ms. */
void sm_limiter_set_lookahead_ms(sm_limiter *l, double ms);

/* Every parameter takes its new value at once, without glides or fades
 * (before audio starts). */
void sm_limiter_settle(sm_limiter *l);

/* in and out may be the same buffers. */
void sm_limiter_process(sm_limiter *l, const float *const *in,
                        float *const *out, int n);

/* Zeroes the delay line and the gain state (clear). */
void sm_limiter_clear(sm_limiter *l);
/* Restarts the self-check counters (reset). */
void sm_limiter_reset_stats(sm_limiter *l);

/* Samples of delay, also while bypassed (after a lookahead change has
 * completed). */
int sm_limiter_latency(const sm_limiter *l);
/* Largest gain reduction since the last call, dB (<= 0); restarts it. */
double sm_limiter_take_gr_db(sm_limiter *l);

#endif
