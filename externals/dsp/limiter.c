/* limiter.c - lookahead true-peak limiter. See limiter.h for the design. */
#include "limiter.h"
#include "numerics.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK 64                 /* samples processed per inner pass */
#define SIDECHAIN_TAPS 56        /* flat to 0.46 fs (see truepeak.c) */
#define ANNEX_RING 64            /* delays the BS.1770 sidechain reading */
#define FADE_MS 10.0             /* lookahead changes fade out and in */
#define OVER_TOLERANCE 1.000001f /* float rounding, 0.00001 dB */
#define RED_ONE 4294967296.0f    /* fixed-point unit of the averages */
/* The sidechain aims 0.044 dB under the ceiling. Gain changes spread the
 * spectrum a little, and the 8x sidechain reads content near fs/2 slightly
 * low: on bright, noisy material (noise high-passed at 6 kHz) the output's
 * true peak on a 16x reference came within 0.1 dB of the ceiling without
 * this margin. */
#define AIM 0.995f

static int sidechain_factor(double sr)
{
    (void)sr;
    return 8;
}

static int lookahead_samples(const sm_limiter *l, double ms)
{
    int n = sm_ms_to_samples(ms, l->samplerate);
    return n < 2 ? 2 : (n > l->box_max ? l->box_max : n);
}

/* Splits the lookahead L into two moving averages of lengths len1 and len2
 * with len1 + len2 - 1 = L (about 58 % and 42 %: an S-shaped fade). */
static void configure(sm_limiter *l, int lookahead)
{
    l->lookahead = lookahead;
    l->len1 = (int)(0.58 * lookahead + 0.5);
    if (l->len1 < 1)
        l->len1 = 1;
    l->len2 = lookahead - l->len1 + 1;
    l->latency = (int)sm_truepeak_delay(&l->detector) + lookahead - 1;
    /* +2: the sidechain readings around each output step, and the BS.1770
     * reading's fractional misalignment */
    int hold =
        lookahead + 2 + sm_ms_to_samples(SM_LIMITER_HOLD_MS, l->samplerate);
    for (int c = 0; c < l->nch; c++)
        sm_minhold_set_length(&l->ch[c].hold, hold);
    sm_limiter_clear(l);
}

int sm_limiter_init(sm_limiter *l, int nch, double sr)
{
    memset(l, 0, sizeof *l);
    if (nch < 1 || nch > SM_LIMITER_MAXCH || !(sr >= 8000.0) || sr > 768000.0)
        return -1;
    l->nch = nch;
    l->samplerate = sr;
    l->box_max = sm_ms_to_samples(SM_LIMITER_MAX_LOOKAHEAD_MS, sr);
    int maxhold = l->box_max + 2 + sm_ms_to_samples(SM_LIMITER_HOLD_MS, sr);
    int ring = 1;
    while (ring < l->box_max + 64 + CHUNK)
        ring <<= 1;
    l->delay_mask = ring - 1;
    l->ceil_ring = malloc(sizeof(float) * ring);
    int ok = sm_truepeak_init(&l->detector, nch, sr, sidechain_factor(sr),
                              SIDECHAIN_TAPS) == 0 &&
             sm_truepeak_init_bs1770(&l->annex, nch) == 0 &&
             sm_truepeak_init_bs1770(&l->meter, nch) == 0;
    /* the BS.1770 reading, delayed to line up with the fine detector's */
    l->annex_lag = (int)(sm_truepeak_delay(&l->detector) -
                         sm_truepeak_delay(&l->annex) + 0.5);
    for (int c = 0; ok && c < nch; c++) {
        sm_limiter_chan *ch = &l->ch[c];
        ch->delay = calloc(ring, sizeof(float));
        ch->box1 = calloc(l->box_max, sizeof(int64_t));
        ch->box2 = calloc(l->box_max, sizeof(int64_t));
        ch->annex_ring = calloc(ANNEX_RING, sizeof(float));
        ok = ch->delay && ch->box1 && ch->box2 && ch->annex_ring &&
             sm_minhold_init(&ch->hold, maxhold) == 0;
    }
    if (!ok || !l->ceil_ring) {
        sm_limiter_free(l);
        return -1;
    }
    sm_ramp_init(&l->drive, 1.0f);
    sm_ramp_init(&l->ceiling, (float)sm_db_to_amp(-1.0));
    sm_ramp_init(&l->wet, 1.0f);
    sm_ramp_init(&l->mute, 1.0f);
    l->release_ms = 50.0;
    l->chunk_min = 1.0f;
    l->autorelease = 1;
    l->link = 1.0f;
    l->seed = 0x2545f491u;
    configure(l, lookahead_samples(l, 1.4));
    l->pending_lookahead = 0;
    sm_limiter_reset_stats(l);
    return 0;
}

void sm_limiter_free(sm_limiter *l)
{
    for (int c = 0; c < SM_LIMITER_MAXCH; c++) {
        free(l->ch[c].delay);
        free(l->ch[c].box1);
        free(l->ch[c].box2);
        free(l->ch[c].annex_ring);
        sm_minhold_free(&l->ch[c].hold);
    }
    free(l->ceil_ring);
    sm_truepeak_free(&l->detector);
    sm_truepeak_free(&l->annex);
    sm_truepeak_free(&l->meter);
    memset(l, 0, sizeof *l);
}

void sm_limiter_clear(sm_limiter *l)
{
    for (int c = 0; c < l->nch; c++) {
        sm_limiter_chan *ch = &l->ch[c];
        memset(ch->delay, 0, sizeof(float) * (l->delay_mask + 1));
        memset(ch->box1, 0, sizeof(int64_t) * l->box_max);
        memset(ch->box2, 0, sizeof(int64_t) * l->box_max);
        memset(ch->annex_ring, 0, sizeof(float) * ANNEX_RING);
        ch->sum1 = ch->sum2 = 0;
        ch->reduction = 0.0f;
        sm_minhold_reset(&ch->hold);
    }
    for (int i = 0; i <= l->delay_mask; i++)
        l->ceil_ring[i] = l->ceiling.value;
    l->box_pos1 = l->box_pos2 = l->annex_pos = 0;
    l->shared = 0;
    l->linked_for = 0;
    sm_truepeak_reset(&l->detector);
    sm_truepeak_reset(&l->annex);
    sm_truepeak_reset(&l->meter);
}

void sm_limiter_reset_stats(sm_limiter *l)
{
    l->overs = 0;
    l->over_peak = 1.0f;
    l->min_gain = 1.0f;
}

/* ------------------------------------------------------------ parameters */

static int glide(const sm_limiter *l)
{
    return sm_ms_to_samples(SM_GLIDE_MS, l->samplerate);
}

void sm_limiter_set_ceiling_db(sm_limiter *l, double db)
{
    sm_ramp_set(&l->ceiling, (float)sm_db_to_amp(db), glide(l));
}

void sm_limiter_set_drive_db(sm_limiter *l, double db)
{
    sm_ramp_set(&l->drive, (float)sm_db_to_amp(db), glide(l));
}

void sm_limiter_set_release_ms(sm_limiter *l, double ms)
{
    l->release_ms = ms;
}

void sm_limiter_set_auto(sm_limiter *l, int on)
{
    l->autorelease = on != 0;
}

void sm_limiter_set_link(sm_limiter *l, double percent)
{
    l->link = (float)(sm_clamp(percent, 0.0, 100.0) / 100.0);
}

void sm_limiter_set_bypass(sm_limiter *l, int on)
{
    sm_ramp_set(&l->wet, on ? 0.0f : 1.0f, glide(l));
}

void sm_limiter_set_dither(sm_limiter *l, int bits)
{
    l->dither_bits = (bits >= 8 && bits <= 24) ? bits : 0;
}

void sm_limiter_set_lookahead_ms(sm_limiter *l, double ms)
{
    int n = lookahead_samples(l, ms);
    if (n == l->lookahead && !l->pending_lookahead)
        return;
    l->pending_lookahead = n;
    sm_ramp_set(&l->mute, 0.0f, sm_ms_to_samples(FADE_MS, l->samplerate));
}

void sm_limiter_settle(sm_limiter *l)
{
    if (l->pending_lookahead)
        configure(l, l->pending_lookahead);
    l->pending_lookahead = 0;
    l->refill = 0;
    sm_ramp_init(&l->mute, 1.0f);
    sm_ramp_init(&l->drive, l->drive.target);
    sm_ramp_init(&l->ceiling, l->ceiling.target);
    for (int i = 0; i <= l->delay_mask; i++)
        l->ceil_ring[i] = l->ceiling.value;
    sm_ramp_init(&l->wet, l->wet.target);
}

int sm_limiter_latency(const sm_limiter *l)
{
    return l->latency;
}

double sm_limiter_take_gr_db(sm_limiter *l)
{
    double db = sm_amp_to_db(l->min_gain);
    l->min_gain = 1.0f;
    return db > 0.0 ? 0.0 : db;
}

/* ------------------------------------------------------------ processing */

/* Release coefficient, renewed every CHUNK samples of the stream (counted
 * from the start, so that Pd's block size does not change the result).
 * With auto, the release slows down (up to 4x) while the reduction has been
 * deep for a while, so sustained limiting does not pump, and stays fast
 * after isolated peaks. */
static float release_coef(sm_limiter *l)
{
    if (l->phase != 0)
        return l->rel;
    double ms = l->release_ms;
    if (l->autorelease) {
        double gr = -sm_amp_to_db(l->chunk_min > 0 ? l->chunk_min : 1e-9);
        double a = sm_onepole_coef(300.0, l->samplerate / CHUNK);
        l->sustained_db = a * l->sustained_db + (1 - a) * gr;
        double depth = l->sustained_db / 6.0;
        ms *= 1.0 + 3.0 * (depth > 1.0 ? 1.0 : depth);
    }
    l->chunk_min = 1.0f;
    l->rel = (float)sm_onepole_coef(ms, l->samplerate);
    return l->rel;
}

/* With full link every channel has the same levels and, once their hold
 * windows have filled with them, the same gains: then only channel 0's
 * gain state runs. When the link drops below 100 %, the other channels
 * start from a copy of it. */
static void share_state(sm_limiter *l)
{
    sm_limiter_chan *src = &l->ch[0];
    for (int c = 1; c < l->nch; c++) {
        sm_limiter_chan *dst = &l->ch[c];
        sm_minhold_copy(&dst->hold, &src->hold);
        dst->reduction = src->reduction;
        memcpy(dst->box1, src->box1, sizeof(int64_t) * l->box_max);
        memcpy(dst->box2, src->box2, sizeof(int64_t) * l->box_max);
        dst->sum1 = src->sum1;
        dst->sum2 = src->sum2;
    }
}

/* Nothing to do for this chunk: no level over the ceiling and no gain
 * reduction left anywhere in the state. */
static int idle(const sm_limiter_chan *ch, const float *level, const float *top,
                int k)
{
    if (ch->reduction != 0.0f || ch->sum1 || ch->sum2 ||
        sm_minhold_min(&ch->hold) < 1.0f)
        return 0;
    for (int i = 0; i < k; i++)
        if (level[i] > top[i])
            return 0;
    return 1;
}

/* Gain for one channel's steps i = 0..k-1 from its sidechain levels. The
 * state lives in locals during the loop (the rings could alias it), so that
 * each step's dependency chains stay short. */
static void gains(sm_limiter *l, sm_limiter_chan *ch, const float *level,
                  const float *top, float rel, float *gain, int k)
{
    int p1 = l->box_pos1, p2 = l->box_pos2, len1 = l->len1, len2 = l->len2;
    if (idle(ch, level, top, k)) {
        sm_minhold_push_ones(&ch->hold, k);
        for (int i = 0; i < k; i++)
            gain[i] = 1.0f;
        return;
    }
    float req[CHUNK], e[CHUNK];
    for (int i = 0; i < k; i++) {
        float q = level[i] > top[i] ? top[i] / level[i] : 1.0f;
        /* tiny reductions are none: the release below then lands on
         * exactly 0 (exact output again) rather than decaying forever */
        req[i] = q > 1.0f - 1e-7f ? 1.0f : q;
    }
    sm_minhold_push_block(&ch->hold, req, e, k);
    int64_t *box1 = ch->box1, *box2 = ch->box2, sum1 = ch->sum1,
            sum2 = ch->sum2;
    float red = ch->reduction, a = 1.0f - rel;
    double scale = 1.0 / ((double)RED_ONE * len1 * len2);
    for (int i = 0; i < k; i++) {
        /* the release runs on the reduction 1 - r, which floats resolve
         * finely near 0: on r itself the recursion would stall 0.0006 dB
         * short of unity gain. A deeper reduction is taken at once. */
        float r = 1.0f - e[i], fall = rel * red + a * r;
        red = r > fall ? r : fall;
        int64_t q = (int64_t)(red * RED_ONE);
        sum1 += q - box1[p1];
        box1[p1] = q;
        sum2 += sum1 - box2[p2];
        box2[p2] = sum1;
        gain[i] = 1.0f - (float)((double)sum2 * scale);
        p1 = p1 + 1 == len1 ? 0 : p1 + 1;
        p2 = p2 + 1 == len2 ? 0 : p2 + 1;
    }
    /* A released reduction lands on exactly 0 (exact output again, and no
     * denormals), checked where the stream's CHUNK grid ends a block, so
     * that Pd's block size does not change the result. */
    if (l->phase + k == CHUNK && red < 1e-7f)
        red = 0.0f;
    ch->reduction = red;
    ch->sum1 = sum1;
    ch->sum2 = sum2;
}

static inline uint32_t next_random(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* TPDF dither of +-1 LSB and rounding to `bits`, never beyond the ceiling. */
static float dither(sm_limiter *l, float y, float ceiling)
{
    float scale = (float)(1 << (l->dither_bits - 1));
    float d = ((float)next_random(&l->seed) + (float)next_random(&l->seed)) *
                  (1.0f / 4294967296.0f) -
              1.0f;
    float q = floorf((y * scale + d) + 0.5f) / scale;
    float top = floorf(ceiling * scale) / scale; /* grid step under it */
    return q > top ? top : (q < -top ? -top : q);
}

/* The sidechain reads the larger of the fine 8x detector and the BS.1770
 * Annex 2 meter, so the output stays under the ceiling as either reads it
 * (the Annex filter ripples up to +0.2 dB above the true peak). */
static void combine_bs1770(sm_limiter *l, const float *const *xd,
                           float env[][CHUNK], int k, float lowest)
{
    float annex[SM_LIMITER_MAXCH][CHUNK];
    float *ap[SM_LIMITER_MAXCH] = {0};
    for (int c = 0; c < l->nch; c++)
        ap[c] = annex[c];
    sm_truepeak_envelope_above(&l->annex, xd, ap, k, lowest);
    int mask = ANNEX_RING - 1, pos = l->annex_pos, lag = l->annex_lag;
    for (int c = 0; c < l->nch; c++) {
        float *ring = l->ch[c].annex_ring;
        for (int i = 0; i < k; i++) {
            int w = (pos + i) & mask;
            ring[w] = annex[c][i];
            float a = ring[(w - lag) & mask];
            env[c][i] = a > env[c][i] ? a : env[c][i];
        }
    }
    l->annex_pos = (pos + k) & mask;
}

/* k values into / out of a ring at pos (masked), in at most two pieces. */
static void ring_put(float *ring, int mask, int pos, const float *src, int k)
{
    pos &= mask;
    int first = mask + 1 - pos < k ? mask + 1 - pos : k;
    memcpy(ring + pos, src, sizeof(float) * first);
    memcpy(ring, src + first, sizeof(float) * (k - first));
}

static void ring_get(const float *ring, int mask, int pos, float *dst, int k)
{
    pos &= mask;
    int first = mask + 1 - pos < k ? mask + 1 - pos : k;
    memcpy(dst, ring + pos, sizeof(float) * first);
    memcpy(dst + first, ring, sizeof(float) * (k - first));
}

static void process_chunk(sm_limiter *l, const float *const *in,
                          float *const *out, int k)
{
    float drv[CHUNK], top[CHUNK], wet[CHUNK], mute[CHUNK], limit[CHUNK];
    float xd[SM_LIMITER_MAXCH][CHUNK], env[SM_LIMITER_MAXCH][CHUNK];
    float gain[SM_LIMITER_MAXCH][CHUNK];
    const float *xdp[SM_LIMITER_MAXCH] = {0};
    float *envp[SM_LIMITER_MAXCH] = {0};
    int nch = l->nch;
    /* room below the ceiling for the dither */
    float margin =
        AIM *
        (l->dither_bits ? 1.0f - 2.0f / (1 << (l->dither_bits - 1)) : 1.0f);
    /* steady: nothing glides, no bypass and no fade; every parameter is
     * then constant over the chunk (the same values the ramps would give) */
    int steady = !sm_ramp_active(&l->drive) && !sm_ramp_active(&l->ceiling) &&
                 !sm_ramp_active(&l->wet) && !sm_ramp_active(&l->mute) &&
                 l->wet.value == 1.0f && l->mute.value == 1.0f;

    if (steady) {
        float d = l->drive.value, t = l->ceiling.value * margin;
        float cl = t / margin;
        for (int i = 0; i < k; i++) {
            drv[i] = d;
            top[i] = t;
            limit[i] = cl;
        }
    } else
        for (int i = 0; i < k; i++) {
            drv[i] = sm_ramp_next(&l->drive);
            top[i] = sm_ramp_next(&l->ceiling) * margin;
            limit[i] = top[i] / margin; /* the ceiling itself */
            wet[i] = sm_ramp_next(&l->wet);
            float m = sm_ramp_next(&l->mute);
            mute[i] = m * m * (3.0f - 2.0f * m); /* smooth fade: no corners */
        }
    for (int c = 0; c < nch; c++) {
        for (int i = 0; i < k; i++)
            xd[c][i] = sm_sanitize(in[c][i]) * drv[i];
        xdp[c] = xd[c];
        envp[c] = env[c];
    }
    float lowest = sm_min_positive(top, k, 3.4e38f);
    sm_truepeak_envelope_above(&l->detector, xdp, envp, k, lowest);
    combine_bs1770(l, xdp, env, k, lowest);

    /* link: each channel sees at least `link` times the loudest one */
    if (nch > 1 && l->link > 0.0f) {
        float m[CHUNK], link = l->link;
        memcpy(m, env[0], sizeof(float) * k);
        for (int c = 1; c < nch; c++)
            for (int i = 0; i < k; i++)
                m[i] = env[c][i] > m[i] ? env[c][i] : m[i];
        for (int i = 0; i < k; i++)
            m[i] *= link;
        for (int c = 0; c < nch; c++)
            for (int i = 0; i < k; i++)
                env[c][i] = env[c][i] > m[i] ? env[c][i] : m[i];
    }

    float rel = release_coef(l);
    /* Channels share one gain state once they have been fully linked for
     * longer than the hold window (their states are then equal). */
    if (nch > 1 && l->link >= 1.0f)
        l->linked_for += k;
    else
        l->linked_for = 0;
    int shared = l->linked_for > l->ch[0].hold.len + l->latency + CHUNK;
    if (!shared && l->shared)
        share_state(l); /* the channels part ways from the same state */
    l->shared = shared;
    int gch = shared ? 1 : nch; /* distinct gain curves */
    for (int c = 0; c < gch; c++)
        gains(l, &l->ch[c], env[c], top, rel, gain[c], k);
    l->box_pos1 = (l->box_pos1 + k) % l->len1;
    l->box_pos2 = (l->box_pos2 + k) % l->len2;

    /* smallest gain: reported, and drives the auto release */
    float gmin = 1.0f;
    for (int c = 0; c < gch; c++)
        gmin = sm_min_positive(gain[c], k, gmin);
    l->min_gain = gmin < l->min_gain ? gmin : l->min_gain;
    l->chunk_min = gmin < l->chunk_min ? gmin : l->chunk_min;

    int mask = l->delay_mask, w = l->write_pos, lat = l->latency;
    for (int c = 0; c < nch; c++) {
        float x[CHUNK];
        const float *g = gain[shared ? 0 : c];
        ring_put(l->ch[c].delay, mask, w, xd[c], k);
        ring_get(l->ch[c].delay, mask, w - lat, x, k);
        float *o = out[c];
        if (steady && !l->dither_bits) {
            float t = top[0];
            for (int i = 0; i < k; i++) {
                float y = x[i] * g[i];
                /* float rounding can only put y a hair above the ceiling */
                y = y > t ? t : y;
                o[i] = y < -t ? -t : y;
            }
            continue;
        }
        for (int i = 0; i < k; i++) {
            float y = x[i] * g[i];
            y = y > top[i] ? top[i] : (y < -top[i] ? -top[i] : y);
            if (l->dither_bits)
                y = dither(l, y, top[i] / margin);
            if (!steady) {
                if (wet[i] < 1.0f) { /* bypass: the input, same delay */
                    float undriven = drv[i] > 0.0f ? x[i] / drv[i] : 0.0f;
                    y = wet[i] * y + (1.0f - wet[i]) * undriven;
                }
                y *= mute[i];
            }
            o[i] = y;
        }
    }
    l->write_pos = (w + k) & mask;
    l->phase = (l->phase + k) % CHUNK;

    /* self-check with a BS.1770 4x meter (only while limiting fully) */
    float check[SM_LIMITER_MAXCH][CHUNK];
    float *checkp[SM_LIMITER_MAXCH] = {0};
    for (int c = 0; c < nch; c++)
        checkp[c] = check[c];
    sm_truepeak_envelope(&l->meter, (const float *const *)out, checkp, k);
    /* Each output step was limited against the ceiling of the steps that
     * computed its gain, up to one lookahead earlier; while the ceiling
     * glides, judge it against the higher of the two ends. The meter reads
     * the output about 6 steps late. */
    int back = 6, span = l->lookahead + 1;
    ring_put(l->ceil_ring, mask, w, limit, k);
    /* Every step is judged against at least the lowest ceiling of the
     * steps `back` earlier: when no reading exceeds that, there is no over
     * to count. */
    float loud = 0.0f;
    for (int c = 0; c < nch; c++)
        loud = sm_max_abs(check[c], k, loud);
    float past[CHUNK];
    ring_get(l->ceil_ring, mask, w - back, past, k);
    if (loud <= sm_min_positive(past, k, 3.4e38f) * OVER_TOLERANCE)
        return;
    for (int i = 0; i < k; i++) {
        if (!steady && wet[i] != 1.0f)
            continue;
        float c0 = past[i];
        float c1 = l->ceil_ring[(w + i - back - span) & mask];
        float ceiling = c0 > c1 ? c0 : c1;
        for (int c = 0; c < nch; c++)
            if (check[c][i] > ceiling * OVER_TOLERANCE) {
                l->overs++;
                float r = check[c][i] / ceiling;
                l->over_peak = r > l->over_peak ? r : l->over_peak;
            }
    }
}

/* A pending lookahead change takes effect once the output has faded out.
 * The output then stays silent until the new delay line and sidechain have
 * refilled (one latency), and fades in. */
static void apply_pending(sm_limiter *l, int k)
{
    if (l->pending_lookahead && !sm_ramp_active(&l->mute) &&
        l->mute.value == 0.0f) {
        configure(l, l->pending_lookahead);
        l->pending_lookahead = 0;
        l->refill = l->latency + k;
    } else if (l->refill > 0) {
        l->refill -= k;
        if (l->refill <= 0)
            sm_ramp_set(&l->mute, 1.0f,
                        sm_ms_to_samples(FADE_MS, l->samplerate));
    }
}

void sm_limiter_process(sm_limiter *l, const float *const *in,
                        float *const *out, int n)
{
    for (int off = 0, k; off < n; off += k) {
        /* pieces end where the stream's CHUNK grid does */
        k = CHUNK - l->phase;
        if (k > n - off)
            k = n - off;
        const float *ip[SM_LIMITER_MAXCH];
        float *op[SM_LIMITER_MAXCH];
        for (int c = 0; c < l->nch; c++) {
            ip[c] = in[c] + off;
            op[c] = out[c] + off;
        }
        apply_pending(l, k);
        process_chunk(l, ip, op, k);
    }
}
