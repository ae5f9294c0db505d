/* dyneq.c - multiband dynamic EQ. See dyneq.h. */
#include "dyneq.h"
#include "numerics.h"

#include <math.h>
#include <string.h>

/* detector kinds */
enum { DET_BANDPASS, DET_LOWPASS, DET_HIGHPASS, DET_NONE };

static const double defaults[SM_DYNEQ_NPARAMS] = {
    [SM_DYNEQ_TYPE] = SM_SVF_BELL,
    [SM_DYNEQ_FREQ] = 1000,
    [SM_DYNEQ_Q] = 0.707,
    [SM_DYNEQ_GAIN] = 0,
    [SM_DYNEQ_THRESHOLD] = -20,
    [SM_DYNEQ_RATIO] = 1,
    [SM_DYNEQ_KNEE] = 0,
    [SM_DYNEQ_RANGE] = 12,
    [SM_DYNEQ_ATTACK] = 5,
    [SM_DYNEQ_RELEASE] = 100,
    [SM_DYNEQ_DIRECTION] = SM_DYNEQ_CUTABOVE,
    [SM_DYNEQ_SIDECHAIN] = SM_DYNEQ_SC_BAND,
    [SM_DYNEQ_CHANNELS] = SM_DYNEQ_LINKED,
    [SM_DYNEQ_ON] = 1,
    [SM_DYNEQ_SOLO] = 0,
};

/* ------------------------------------------------------------ helpers */

static int shapes_gain(sm_svf_type t)
{
    return t == SM_SVF_BELL || t == SM_SVF_LOWSHELF || t == SM_SVF_HIGHSHELF;
}

/* A band whose gain follows its level: a bell or shelf with ratio > 1 and
 * a range to move in. */
static int is_dynamic(const sm_dyneq_band *b)
{
    return shapes_gain(b->type) && b->p[SM_DYNEQ_RATIO] > 1.0 &&
           b->p[SM_DYNEQ_RANGE] > 0.0;
}

static int sign_of(int direction)
{
    return direction == SM_DYNEQ_CUTABOVE || direction == SM_DYNEQ_CUTBELOW ? -1
                                                                            : 1;
}

/* Channels a band acts on exist? (right and side need two) */
static int has_channels(const sm_dyneq *q, int channels)
{
    return q->nch >= 2 ||
           (channels != SM_DYNEQ_RIGHT && channels != SM_DYNEQ_SIDE);
}

static int glide_ticks(const sm_dyneq *q)
{
    return q->started ? sm_ms_to_samples(SM_GLIDE_MS, q->samplerate) / q->tick
                      : 0;
}

static int fade_samples(const sm_dyneq *q)
{
    return q->started ? sm_ms_to_samples(SM_DYNEQ_FADE_MS, q->samplerate) : 0;
}

static double freq_now(const sm_dyneq_band *b)
{
    return exp2(b->freq.value);
}

static double q_now(const sm_dyneq_band *b)
{
    return exp2(b->q.value);
}

/* Detector filter: a bell listens through a band-pass at its frequency and
 * Q (the SVF band-pass times k peaks at 0 dB exactly at the frequency, by
 * the prewarped g); shelves through a Butterworth low or high pass. */
static void detector_design(const sm_dyneq *q, sm_dyneq_band *b)
{
    double f = freq_now(b) / q->samplerate;
    sm_svf_coefs c;
    if (f > SM_SVF_MAXFREQ)
        f = SM_SVF_MAXFREQ;
    if (f < SM_SVF_MINFREQ)
        f = SM_SVF_MINFREQ;
    c.g = tan(SM_PI * f);
    c.k = b->type == SM_SVF_BELL ? 1.0 / q_now(b) : sqrt(2.0);
    c.m0 = 1.0;
    c.m1 = c.m2 = 0.0;
    sm_svf_run_from(&b->det, &c);
    b->det_k = c.k;
}

static int detector_kind(const sm_dyneq_band *b)
{
    int sc = (int)b->p[SM_DYNEQ_SIDECHAIN];
    if (sc == SM_DYNEQ_SC_FULL || sc == SM_DYNEQ_SC_EXTFULL)
        return DET_NONE;
    return b->type == SM_SVF_LOWSHELF    ? DET_LOWPASS
           : b->type == SM_SVF_HIGHSHELF ? DET_HIGHPASS
                                         : DET_BANDPASS;
}

/* Target coefficients for the gains now; glide to them over one tick (or
 * jump there before audio has started). */
static void design(sm_dyneq *q, sm_dyneq_band *b)
{
    double g = b->gain.value + b->dyn_db;
    sm_svf_design_gain(&b->design, g, &b->next);
    b->designed_db = b->dyn_db;
    if (!q->started) {
        b->cur = b->next;
        b->gliding = 0;
        return;
    }
    double inv = 1.0 / q->tick;
    b->step.g = (b->next.g - b->cur.g) * inv;
    b->step.k = (b->next.k - b->cur.k) * inv;
    b->step.m0 = (b->next.m0 - b->cur.m0) * inv;
    b->step.m1 = (b->next.m1 - b->cur.m1) * inv;
    b->step.m2 = (b->next.m2 - b->cur.m2) * inv;
    b->gliding = q->tick;
}

static void prepare(sm_dyneq *q, sm_dyneq_band *b)
{
    sm_svf_prepare(&b->design, b->type, freq_now(b), q_now(b), q->samplerate);
    detector_design(q, b);
}

static void clear_band(sm_dyneq_band *b)
{
    memset(b->st, 0, sizeof b->st);
    memset(b->dst, 0, sizeof b->dst);
    b->peak2 = 0.0;
}

/* Applies a pending change of type or channels (the band is silent). */
static void restructure(sm_dyneq *q, sm_dyneq_band *b)
{
    b->type = (sm_svf_type)b->p[SM_DYNEQ_TYPE];
    b->channels = (int)b->p[SM_DYNEQ_CHANNELS];
    clear_band(b);
    if (!is_dynamic(b)) { /* a non-dynamic type has no dynamic gain */
        b->ball.state = 0.0;
        b->dyn_db = 0.0;
    }
    prepare(q, b);
    int started = q->started;
    q->started = 0; /* land on the new design at once */
    design(q, b);
    q->started = started;
}

/* ------------------------------------------------------- life cycle */

static int tick_for(double samplerate)
{
    int t = (int)(samplerate / 3000.0 + 0.5);
    return t < 4 ? 4 : (t > 64 ? 64 : t);
}

static void band_defaults(sm_dyneq *q, int i)
{
    sm_dyneq_band *b = &q->band[i];
    memset(b, 0, sizeof *b);
    memcpy(b->p, defaults, sizeof defaults);
    /* spread the bands: two octaves apart around 1 kHz, closer when there
     * are many (62.5 Hz to 16 kHz for 8) */
    if (q->nbands > 1) {
        double oct = 8.0 / (q->nbands - 1);
        if (oct > 2.0)
            oct = 2.0;
        b->p[SM_DYNEQ_FREQ] =
            floor(1000.0 * exp2(oct * (i - 0.5 * (q->nbands - 1))) + 0.5);
    }
    b->type = SM_SVF_BELL;
    b->channels = SM_DYNEQ_LINKED;
    b->sign = -1;
    sm_ramp_init(&b->freq, (float)log2(b->p[SM_DYNEQ_FREQ]));
    sm_ramp_init(&b->q, (float)log2(b->p[SM_DYNEQ_Q]));
    sm_ramp_init(&b->gain, 0.0f);
    sm_ramp_init(&b->wet, 1.0f);
    sm_ramp_init(&b->solo, 0.0f);
}

void sm_dyneq_init(sm_dyneq *q, int nch, int nbands, double samplerate)
{
    memset(q, 0, sizeof *q);
    q->nch = nch < 1 ? 1 : (nch > SM_DYNEQ_MAXCH ? SM_DYNEQ_MAXCH : nch);
    q->nbands = nbands < 1
                    ? 1
                    : (nbands > SM_DYNEQ_MAXBANDS ? SM_DYNEQ_MAXBANDS : nbands);
    sm_ramp_init(&q->bypass, 0.0f);
    sm_ramp_init(&q->solo, 0.0f);
    for (int i = 0; i < SM_DYNEQ_MAXBANDS; i++)
        band_defaults(q, i);
    sm_dyneq_set_samplerate(q, samplerate);
}

void sm_dyneq_set_samplerate(sm_dyneq *q, double samplerate)
{
    if (!(samplerate > 0.0))
        samplerate = 48000.0;
    q->samplerate = samplerate;
    q->tick = tick_for(samplerate);
    q->tick_left = q->tick;
    int started = q->started;
    q->started = 0; /* everything lands at once */
    for (int i = 0; i < SM_DYNEQ_MAXBANDS; i++) {
        sm_dyneq_band *b = &q->band[i];
        sm_ramp_init(&b->freq, b->freq.target);
        sm_ramp_init(&b->q, b->q.target);
        sm_ramp_init(&b->gain, b->gain.target);
        sm_ballistics_set(&b->ball, b->p[SM_DYNEQ_ATTACK],
                          b->p[SM_DYNEQ_RELEASE], samplerate / q->tick);
        restructure(q, b);
        b->busy = 1;
    }
    q->started = started;
    sm_dyneq_clear(q);
}

void sm_dyneq_clear(sm_dyneq *q)
{
    for (int i = 0; i < SM_DYNEQ_MAXBANDS; i++) {
        sm_dyneq_band *b = &q->band[i];
        clear_band(b);
        b->ball.state = 0.0;
        b->dyn_db = 0.0;
        b->designed_db = 0.0;
        int started = q->started;
        q->started = 0;
        design(q, b);
        q->started = started;
    }
}

void sm_dyneq_free(sm_dyneq *q)
{
    (void)q;
}

/* ------------------------------------------------------- parameters */

void sm_dyneq_set(sm_dyneq *q, int band, sm_dyneq_param p, double v)
{
    if (band < 0 || band >= SM_DYNEQ_MAXBANDS ||
        (unsigned)p >= SM_DYNEQ_NPARAMS)
        return;
    sm_dyneq_band *b = &q->band[band];
    if (v != v) /* NaN */
        v = defaults[p];
    switch (p) {
    case SM_DYNEQ_TYPE:
        v = sm_clamp(floor(v), 0, SM_SVF_NTYPES - 1);
        break;
    case SM_DYNEQ_DIRECTION:
    case SM_DYNEQ_SIDECHAIN:
        v = sm_clamp(floor(v), 0, 3);
        break;
    case SM_DYNEQ_CHANNELS:
        v = sm_clamp(floor(v), 0, 4);
        break;
    case SM_DYNEQ_ON:
    case SM_DYNEQ_SOLO:
        v = v != 0.0;
        break;
    case SM_DYNEQ_FREQ:
        v = sm_clamp(v, 1.0, 1e6);
        break;
    case SM_DYNEQ_Q:
        v = sm_clamp(v, 0.025, 100.0);
        break;
    case SM_DYNEQ_GAIN:
    case SM_DYNEQ_THRESHOLD:
        v = sm_clamp(v, -150.0, 150.0);
        break;
    case SM_DYNEQ_RATIO:
        v = sm_clamp(v, 1.0, 1e6);
        break;
    case SM_DYNEQ_KNEE:
    case SM_DYNEQ_RANGE:
        v = sm_clamp(v, 0.0, 150.0);
        break;
    case SM_DYNEQ_ATTACK:
    case SM_DYNEQ_RELEASE:
        v = sm_clamp(v, 0.0, 1e6);
        break;
    default:
        break;
    }
    double old = b->p[p];
    b->p[p] = v;
    b->busy = 1;
    switch (p) {
    case SM_DYNEQ_FREQ:
        sm_ramp_set(&b->freq, (float)log2(v), glide_ticks(q));
        break;
    case SM_DYNEQ_Q:
        sm_ramp_set(&b->q, (float)log2(v), glide_ticks(q));
        break;
    case SM_DYNEQ_GAIN:
        sm_ramp_set(&b->gain, (float)v, glide_ticks(q));
        break;
    case SM_DYNEQ_ATTACK:
    case SM_DYNEQ_RELEASE:
        sm_ballistics_set(&b->ball, b->p[SM_DYNEQ_ATTACK],
                          b->p[SM_DYNEQ_RELEASE], q->samplerate / q->tick);
        return;
    case SM_DYNEQ_DIRECTION: {
        int s = sign_of((int)v);
        if (s != b->sign) /* the gain now stays where it is */
            b->ball.state = -b->ball.state;
        b->sign = s;
        return;
    }
    case SM_DYNEQ_SIDECHAIN:
        if (v != old)
            memset(b->dst, 0, sizeof b->dst);
        return;
    case SM_DYNEQ_TYPE:
    case SM_DYNEQ_CHANNELS:
        if (!q->started) {
            restructure(q, b);
            sm_ramp_init(&b->wet, b->p[SM_DYNEQ_ON] ? 1.0f : 0.0f);
        }
        return;
    case SM_DYNEQ_ON:
        if (!q->started)
            sm_ramp_init(&b->wet, v ? 1.0f : 0.0f);
        return;
    default:
        return;
    }
    /* frequency, Q, gain: before audio, land at once; after, the next
     * tick follows the glide */
    if (!q->started) {
        prepare(q, b);
        design(q, b);
    } else
        b->dirty = 1;
}

double sm_dyneq_get(const sm_dyneq *q, int band, sm_dyneq_param p)
{
    if (band < 0 || band >= SM_DYNEQ_MAXBANDS ||
        (unsigned)p >= SM_DYNEQ_NPARAMS)
        return 0.0;
    return q->band[band].p[p];
}

void sm_dyneq_set_bypass(sm_dyneq *q, int on)
{
    sm_ramp_set(&q->bypass, on ? 1.0f : 0.0f,
                q->started ? sm_ms_to_samples(SM_GLIDE_MS, q->samplerate) : 0);
}

double sm_dyneq_gain_db(const sm_dyneq *q, int band)
{
    if (band < 0 || band >= q->nbands)
        return 0.0;
    return q->band[band].dyn_db;
}

double sm_dyneq_response_db(const sm_dyneq *q, double freq_hz)
{
    double db = 0.0;
    for (int i = 0; i < q->nbands; i++) {
        const sm_dyneq_band *b = &q->band[i];
        if (!b->p[SM_DYNEQ_ON] || !has_channels(q, b->channels))
            continue;
        double m = sm_svf_magnitude(&b->cur, freq_hz, q->samplerate);
        db += sm_amp_to_db(m);
    }
    return db < SM_FLOOR_DB ? SM_FLOOR_DB : db;
}

/* ---------------------------------------------------------- control */

/* Level (dB) to the dynamic gain change the band asks for, >= 0 in the
 * direction of action, at most the range. The knee curve of dynamics.h
 * with an infinite ratio gives the soft "dB past the threshold"; the ratio
 * turns it into gain. */
static double amount_db(const sm_dyneq_band *b, double level_db)
{
    double t = b->p[SM_DYNEQ_THRESHOLD], r = b->p[SM_DYNEQ_RATIO];
    double w = b->p[SM_DYNEQ_KNEE];
    int dir = (int)b->p[SM_DYNEQ_DIRECTION];
    double past, slope;
    if (dir == SM_DYNEQ_CUTABOVE || dir == SM_DYNEQ_BOOSTABOVE)
        past = -sm_gain_computer_db(level_db, t, INFINITY, w);
    else
        past = -sm_gain_computer_db(-level_db, -t, INFINITY, w);
    slope = dir == SM_DYNEQ_CUTABOVE || dir == SM_DYNEQ_BOOSTBELOW
                ? 1.0 - 1.0 / r
                : r - 1.0;
    double a = past * slope;
    return a < b->p[SM_DYNEQ_RANGE] ? a : b->p[SM_DYNEQ_RANGE];
}

static void band_tick(sm_dyneq *q, sm_dyneq_band *b, int index)
{
    int fade = fade_samples(q);
    int pending = b->p[SM_DYNEQ_TYPE] != b->type ||
                  b->p[SM_DYNEQ_CHANNELS] != b->channels;
    /* a change of type or channels: fade out, switch, fade in */
    if (pending) {
        if (b->wet.value == 0.0f && !sm_ramp_active(&b->wet)) {
            restructure(q, b);
            pending = 0;
        } else if (b->wet.target != 0.0f)
            sm_ramp_set(&b->wet, 0.0f, fade);
    }
    if (!pending) {
        float on = b->p[SM_DYNEQ_ON] && has_channels(q, b->channels);
        if (b->wet.target != on)
            sm_ramp_set(&b->wet, on, fade);
    }
    float solo = b->p[SM_DYNEQ_SOLO] && index < q->nbands;
    if (b->solo.target != solo)
        sm_ramp_set(&b->solo, solo, fade);

    /* dynamics (a band that is out has none) */
    int audible = b->wet.value != 0.0f || sm_ramp_active(&b->wet);
    int dyn = is_dynamic(b) && audible;
    if (!audible)
        b->ball.state = b->dyn_db = 0.0;
    else if (dyn || b->ball.state != 0.0) {
        double a = 0.0;
        if (dyn) {
            double level =
                b->peak2 > 1e-30 ? 10.0 * log10(b->peak2) : SM_FLOOR_DB;
            a = amount_db(b, level);
        }
        double s = sm_ballistics_process(&b->ball, -a);
        b->dyn_db = b->sign < 0 ? s : -s;
    }
    b->peak2 = 0.0;

    /* static glides, then the design if anything moved */
    int moved = b->dirty;
    b->dirty = 0;
    if (moved || sm_ramp_active(&b->freq) || sm_ramp_active(&b->q)) {
        sm_ramp_next(&b->freq);
        sm_ramp_next(&b->q);
        prepare(q, b);
        moved = 1;
    }
    if (sm_ramp_active(&b->gain)) {
        sm_ramp_next(&b->gain);
        moved = 1;
    }
    double delta = fabs(b->dyn_db - b->designed_db);
    if (moved || delta > SM_DYNEQ_STEP_DB ||
        (b->dyn_db == 0.0 && b->designed_db != 0.0))
        design(q, b);

    /* a silent band does not run its filter: its coefficients land at
     * once */
    if (!audible && b->gliding) {
        b->cur = b->next;
        b->gliding = 0;
    }
    /* does the band cost anything? */
    int identity = shapes_gain(b->type) && b->gain.value == 0.0f &&
                   !sm_ramp_active(&b->gain) && b->dyn_db == 0.0 &&
                   b->designed_db == 0.0 && b->gliding == 0 && !dyn;
    int listening = b->solo.value != 0.0f || sm_ramp_active(&b->solo);
    int busy = (audible && !identity) || listening || pending || dyn;
    if (b->busy && !busy)
        clear_band(b);
    b->busy = busy;
}

/* ---------------------------------------------------------- signal */

/* Inner loops. The recurrences are latency-bound, so the states live in
 * locals, two channels run interleaved where there are two, and the SVF's
 * update is written as the equivalent state-space step
 *   ic1' = (2 a1 - 1) ic1 - 2 a2 ic2 + 2 a2 x
 *   ic2' = 2 a2 ic1 + (1 - 2 a3) ic2 + 2 a3 x
 *   y    = c0 x + c1 ic1 + c2 ic2
 * (the same states and the same arithmetic up to rounding, in double), whose
 * dependency chain is one multiply and two adds instead of four steps. */
typedef struct ss {
    double a11, a12, a21, a22, b1, b2, c0, c1, c2;
} ss;

static inline void ss_from(ss *f, const sm_svf_run *r)
{
    f->a11 = 2.0 * r->a1 - 1.0;
    f->a12 = -2.0 * r->a2;
    f->b1 = 2.0 * r->a2;
    f->a21 = 2.0 * r->a2;
    f->a22 = 1.0 - 2.0 * r->a3;
    f->b2 = 2.0 * r->a3;
    /* y = m0 x + m1 v1 + m2 v2 with v1 = a1 ic1 + a2 (x - ic2) and
     * v2 = ic2 + a2 ic1 + a3 (x - ic2) */
    f->c0 = r->m0 + r->m1 * r->a2 + r->m2 * r->a3;
    f->c1 = r->m1 * r->a1 + r->m2 * r->a2;
    f->c2 = -r->m1 * r->a2 + r->m2 * (1.0 - r->a3);
}

/* Detector energy over x[0..n): returns the largest energy (the band-pass
 * kind without its k^2 factor, applied by the caller). */
static double det_run(sm_svf_state *st, const sm_svf_run *r, double k, int kind,
                      const float *x, int n, double pk)
{
    double i1 = st->ic1, i2 = st->ic2;
    ss f;
    ss_from(&f, r);
    for (int i = 0; i < n; i++) {
        double s = x[i], e;
        if (kind == DET_NONE)
            e = s * s;
        else {
            double n1 = f.a11 * i1 + f.a12 * i2 + f.b1 * s;
            double n2 = f.a21 * i1 + f.a22 * i2 + f.b2 * s;
            /* the SVF's band- and low-pass outputs are the means of the old
             * and new states (ic' = 2 v - ic) */
            double v1 = 0.5 * (i1 + n1), v2 = 0.5 * (i2 + n2);
            double hp = s - k * v1 - v2;
            e = kind == DET_BANDPASS  ? v1 * v1 - v2 * hp
                : kind == DET_LOWPASS ? v2 * v2
                                      : hp * hp;
            i1 = n1;
            i2 = n2;
        }
        pk = e > pk ? e : pk;
    }
    st->ic1 = i1;
    st->ic2 = i2;
    return pk;
}

/* Two channels at once: the pair of recurrences runs in one SSE2 register
 * (GCC/Clang vector extension; plain C where it is missing). */
#if defined(__GNUC__)
typedef double v2d __attribute__((vector_size(16)));
#define V2(a, b) ((v2d){(a), (b)})
#endif

static double det_run2(sm_svf_state *st, const sm_svf_run *r, double k,
                       int kind, const float *x, const float *y, int n,
                       double pk)
{
#if defined(__GNUC__)
    v2d i1 = V2(st[0].ic1, st[1].ic1), i2 = V2(st[0].ic2, st[1].ic2);
    ss f;
    ss_from(&f, r);
    const v2d a11 = V2(f.a11, f.a11), a12 = V2(f.a12, f.a12);
    const v2d a21 = V2(f.a21, f.a21), a22 = V2(f.a22, f.a22);
    const v2d b1 = V2(f.b1, f.b1), b2 = V2(f.b2, f.b2);
    const v2d kk = V2(k, k), half = V2(0.5, 0.5);
    v2d pv = V2(pk, pk);
    for (int i = 0; i < n; i++) {
        v2d s = V2(x[i], y[i]), e;
        if (kind == DET_NONE)
            e = s * s;
        else {
            v2d n1 = a11 * i1 + a12 * i2 + b1 * s;
            v2d n2 = a21 * i1 + a22 * i2 + b2 * s;
            /* the SVF's outputs are the means of old and new states */
            v2d v1 = half * (i1 + n1), v2 = half * (i2 + n2);
            v2d hp = s - kk * v1 - v2;
            e = kind == DET_BANDPASS  ? v1 * v1 - v2 * hp
                : kind == DET_LOWPASS ? v2 * v2
                                      : hp * hp;
            i1 = n1;
            i2 = n2;
        }
        pv[0] = e[0] > pv[0] ? e[0] : pv[0];
        pv[1] = e[1] > pv[1] ? e[1] : pv[1];
    }
    st[0].ic1 = i1[0];
    st[1].ic1 = i1[1];
    st[0].ic2 = i2[0];
    st[1].ic2 = i2[1];
    return pv[0] > pv[1] ? pv[0] : pv[1];
#else
    pk = det_run(&st[0], r, k, kind, x, n, pk);
    return det_run(&st[1], r, k, kind, y, n, pk);
#endif
}

/* The detector with solo: also writes what it hears, weighted by the
 * band's solo fade, into q->listen. Slow and general; runs only while a
 * band is soloed. */
static double det_listen(sm_dyneq *q, sm_dyneq_band *b, int mode, int ext,
                         int kind, int i0, int n, double pk)
{
    const sm_svf_run *r = &b->det;
    double k = b->det_k;
    int nsrc = ext ? 1 : (mode == SM_DYNEQ_LINKED ? q->nch : 1);
    for (int i = i0; i < i0 + n; i++) {
        float sw = sm_ramp_next(&b->solo);
        for (int j = 0; j < nsrc; j++) {
            double s = ext                       ? q->sc[i]
                       : mode == SM_DYNEQ_LINKED ? q->dry[j][i]
                       : mode == SM_DYNEQ_LEFT   ? q->dry[0][i]
                       : mode == SM_DYNEQ_RIGHT  ? q->dry[1][i]
                       : mode == SM_DYNEQ_MID
                           ? 0.5 * ((double)q->dry[0][i] + q->dry[1][i])
                           : 0.5 * ((double)q->dry[0][i] - q->dry[1][i]);
            double e, l;
            if (kind == DET_NONE) {
                l = s;
                e = s * s;
            } else {
                sm_svf_state *d = &b->dst[j];
                double v3 = s - d->ic2;
                double v1 = r->a1 * d->ic1 + r->a2 * v3;
                double v2 = d->ic2 + r->a2 * d->ic1 + r->a3 * v3;
                d->ic1 = 2.0 * v1 - d->ic1;
                d->ic2 = 2.0 * v2 - d->ic2;
                double hp = s - k * v1 - v2;
                if (kind == DET_BANDPASS) {
                    l = k * v1;
                    e = v1 * v1 - v2 * hp;
                } else {
                    l = kind == DET_LOWPASS ? v2 : hp;
                    e = l * l;
                }
            }
            pk = e > pk ? e : pk;
            float v = (float)(sw * l);
            if (ext)
                for (int c = 0; c < q->nch; c++)
                    q->listen[c][i] += v;
            else if (mode == SM_DYNEQ_LINKED)
                q->listen[j][i] += v;
            else if (mode == SM_DYNEQ_LEFT)
                q->listen[0][i] += v;
            else if (mode == SM_DYNEQ_RIGHT)
                q->listen[1][i] += v;
            else {
                q->listen[0][i] += v;
                q->listen[1][i] += mode == SM_DYNEQ_MID ? v : -v;
            }
        }
    }
    return pk;
}

/* Channels the band acts on, for nch: linked, one channel (left, right,
 * or mono's mid), mid or side. */
static int band_mode(const sm_dyneq *q, const sm_dyneq_band *b)
{
    if (q->nch == 1 && b->channels != SM_DYNEQ_RIGHT &&
        b->channels != SM_DYNEQ_SIDE)
        return SM_DYNEQ_LEFT;
    return b->channels;
}

/* Detector over [i0, i0 + n): the largest energy into peak2, and with
 * solo the listened signal into q->listen. */
static void detect(sm_dyneq *q, sm_dyneq_band *b, int i0, int n)
{
    int sc = (int)b->p[SM_DYNEQ_SIDECHAIN];
    int ext = sc == SM_DYNEQ_SC_EXT || sc == SM_DYNEQ_SC_EXTFULL;
    int kind = detector_kind(b);
    int mode = band_mode(q, b);
    double kk = kind == DET_BANDPASS ? b->det_k * b->det_k : 1.0;
    double pk = b->peak2 / kk;
    if (b->solo.value != 0.0f || sm_ramp_active(&b->solo)) {
        b->peak2 = kk * det_listen(q, b, mode, ext, kind, i0, n, pk);
        return;
    }
    if (ext)
        pk = det_run(&b->dst[0], &b->det, b->det_k, kind, q->sc + i0, n, pk);
    else if (mode == SM_DYNEQ_LINKED) {
        int c = 0;
        for (; c + 1 < q->nch; c += 2)
            pk = det_run2(&b->dst[c], &b->det, b->det_k, kind, q->dry[c] + i0,
                          q->dry[c + 1] + i0, n, pk);
        if (c < q->nch)
            pk = det_run(&b->dst[c], &b->det, b->det_k, kind, q->dry[c] + i0, n,
                         pk);
    } else if (mode == SM_DYNEQ_LEFT || mode == SM_DYNEQ_RIGHT) {
        int c = mode == SM_DYNEQ_RIGHT;
        pk =
            det_run(&b->dst[0], &b->det, b->det_k, kind, q->dry[c] + i0, n, pk);
    } else {
        float ms[SM_DYNEQ_CHUNK];
        const float *l = q->dry[0] + i0, *r = q->dry[1] + i0;
        for (int i = 0; i < n; i++)
            ms[i] = mode == SM_DYNEQ_MID ? 0.5f * (l[i] + r[i])
                                         : 0.5f * (l[i] - r[i]);
        pk = det_run(&b->dst[0], &b->det, b->det_k, kind, ms, n, pk);
    }
    b->peak2 = kk * pk;
}

/* Coefficients over a run: fixed, or gliding a step a sample and landing
 * exactly on `next` if the glide ends within the run. */
typedef struct glide {
    double g, k, m0, m1, m2;
    double dg, dk, d0, d1, d2;
    int left; /* samples of glide left at the start, 0: fixed */
} glide;

static void glide_begin(glide *gl, const sm_dyneq_band *b)
{
    gl->g = b->cur.g;
    gl->k = b->cur.k;
    gl->m0 = b->cur.m0;
    gl->m1 = b->cur.m1;
    gl->m2 = b->cur.m2;
    gl->dg = b->step.g;
    gl->dk = b->step.k;
    gl->d0 = b->step.m0;
    gl->d1 = b->step.m1;
    gl->d2 = b->step.m2;
    gl->left = b->gliding;
}

/* Moves the coefficients to sample i of a run (i counts from 0). */
static inline void glide_next(glide *gl, const sm_dyneq_band *b, int i)
{
    if (gl->left - i == 1) { /* the glide's last sample: land exactly */
        gl->g = b->next.g;
        gl->k = b->next.k;
        gl->m0 = b->next.m0;
        gl->m1 = b->next.m1;
        gl->m2 = b->next.m2;
    } else {
        gl->g += gl->dg;
        gl->k += gl->dk;
        gl->m0 += gl->d0;
        gl->m1 += gl->d1;
        gl->m2 += gl->d2;
    }
}

/* The run coefficients of sample i. g and k stay positive along the way,
 * so every intermediate filter is a stable SVF. */
static inline void glide_at(glide *gl, const sm_dyneq_band *b, int i,
                            sm_svf_run *r)
{
    glide_next(gl, b, i);
    r->a1 = 1.0 / (1.0 + gl->g * (gl->g + gl->k));
    r->a2 = gl->g * r->a1;
    r->a3 = gl->g * r->a2;
    r->m0 = gl->m0;
    r->m1 = gl->m1;
    r->m2 = gl->m2;
}

static void glide_end(const glide *gl, sm_dyneq_band *b, int n)
{
    if (gl->left == 0)
        return;
    b->gliding = gl->left - n;
    b->cur.g = gl->g;
    b->cur.k = gl->k;
    b->cur.m0 = gl->m0;
    b->cur.m1 = gl->m1;
    b->cur.m2 = gl->m2;
}

/* x[0..n) through the band's filter in place, mixed wet. */
static void filt_run(sm_svf_state *st, const sm_dyneq_band *b, glide gl,
                     float wet, float *x, int n)
{
    double i1 = st->ic1, i2 = st->ic2;
    sm_svf_run r;
    ss f;
    sm_svf_run_from(&r, &b->cur);
    ss_from(&f, &r);
    for (int i = 0; i < n; i++) {
        if (gl.left) {
            glide_at(&gl, b, i, &r);
            ss_from(&f, &r);
        }
        double s = x[i];
        double y = f.c0 * s + f.c1 * i1 + f.c2 * i2;
        double n1 = f.a11 * i1 + f.a12 * i2 + f.b1 * s;
        i2 = f.a21 * i1 + f.a22 * i2 + f.b2 * s;
        i1 = n1;
        x[i] = (float)(wet == 1.0f ? y : s + wet * (y - s));
    }
    st->ic1 = i1;
    st->ic2 = i2;
}

static void filt_run2(sm_svf_state *st, const sm_dyneq_band *b, glide gl,
                      float wet, float *x, float *y, int n)
{
#if defined(__GNUC__)
    v2d i1 = V2(st[0].ic1, st[1].ic1), i2 = V2(st[0].ic2, st[1].ic2);
    sm_svf_run r;
    ss f;
    sm_svf_run_from(&r, &b->cur);
    ss_from(&f, &r);
    v2d a11 = V2(f.a11, f.a11), a12 = V2(f.a12, f.a12);
    v2d a21 = V2(f.a21, f.a21), a22 = V2(f.a22, f.a22);
    v2d b1 = V2(f.b1, f.b1), b2 = V2(f.b2, f.b2);
    v2d c0 = V2(f.c0, f.c0), c1 = V2(f.c1, f.c1), c2 = V2(f.c2, f.c2);
    const v2d w = V2(wet, wet);
    for (int i = 0; i < n; i++) {
        if (gl.left) {
            glide_at(&gl, b, i, &r);
            ss_from(&f, &r);
            a11 = V2(f.a11, f.a11);
            a12 = V2(f.a12, f.a12);
            a21 = V2(f.a21, f.a21);
            a22 = V2(f.a22, f.a22);
            b1 = V2(f.b1, f.b1);
            b2 = V2(f.b2, f.b2);
            c0 = V2(f.c0, f.c0);
            c1 = V2(f.c1, f.c1);
            c2 = V2(f.c2, f.c2);
        }
        v2d s = V2(x[i], y[i]);
        v2d u = c0 * s + c1 * i1 + c2 * i2;
        v2d n1 = a11 * i1 + a12 * i2 + b1 * s;
        i2 = a21 * i1 + a22 * i2 + b2 * s;
        i1 = n1;
        if (wet != 1.0f)
            u = s + w * (u - s);
        x[i] = (float)u[0];
        y[i] = (float)u[1];
    }
    st[0].ic1 = i1[0];
    st[1].ic1 = i1[1];
    st[0].ic2 = i2[0];
    st[1].ic2 = i2[1];
#else
    filt_run(&st[0], b, gl, wet, x, n);
    filt_run(&st[1], b, gl, wet, y, n);
#endif
}

/* The band's filter over [i0, i0 + n) of q->work, in place. While the band
 * fades (on/off, a change of type or channels) the run is cut into pieces
 * of one sample so that the fade moves every sample. */
static void filter(sm_dyneq *q, sm_dyneq_band *b, int i0, int n)
{
    if (!has_channels(q, b->channels)) { /* fading out: nothing to do */
        for (int i = 0; i < n; i++)
            sm_ramp_next(&b->wet);
        return;
    }
    int mode = band_mode(q, b);
    int fading = sm_ramp_active(&b->wet);
    int step = fading ? 1 : n;
    for (int i = i0; i < i0 + n; i += step) {
        float wet = fading ? sm_ramp_next(&b->wet) : b->wet.value;
        glide gl;
        glide_begin(&gl, b);
        if (mode == SM_DYNEQ_LINKED) {
            int c = 0;
            for (; c + 1 < q->nch; c += 2)
                filt_run2(&b->st[c], b, gl, wet, q->work[c] + i,
                          q->work[c + 1] + i, step);
            if (c < q->nch)
                filt_run(&b->st[c], b, gl, wet, q->work[c] + i, step);
        } else if (mode == SM_DYNEQ_LEFT || mode == SM_DYNEQ_RIGHT)
            filt_run(&b->st[0], b, gl, wet, q->work[mode == SM_DYNEQ_RIGHT] + i,
                     step);
        else {
            float ms[SM_DYNEQ_CHUNK], y[SM_DYNEQ_CHUNK];
            float *l = q->work[0] + i, *r = q->work[1] + i;
            int mid = mode == SM_DYNEQ_MID;
            for (int j = 0; j < step; j++)
                y[j] = ms[j] =
                    mid ? 0.5f * (l[j] + r[j]) : 0.5f * (l[j] - r[j]);
            filt_run(&b->st[0], b, gl, wet, y, step);
            for (int j = 0; j < step; j++) {
                float d = y[j] - ms[j];
                l[j] += d;
                r[j] += mid ? d : -d;
            }
        }
        /* advance the shared coefficients once for all channels */
        if (gl.left)
            for (int j = 0; j < step; j++)
                glide_next(&gl, b, j);
        glide_end(&gl, b, step);
    }
}

static void guard_band(sm_dyneq_band *b, int nch)
{
    for (int c = 0; c < nch; c++) {
        sm_svf_guard(&b->st[c]);
        sm_svf_guard(&b->dst[c]);
    }
    if (!(b->peak2 < 1e30)) /* a sanitized input cannot get here */
        b->peak2 = 0.0;
}

static void chunk(sm_dyneq *q, const float *const *in, const float *sc,
                  float *const *out, int off, int n)
{
    int nch = q->nch;
    for (int c = 0; c < nch; c++)
        for (int i = 0; i < n; i++)
            q->work[c][i] = q->dry[c][i] = sm_sanitize(in[c][off + i]);
    for (int i = 0; i < n; i++)
        q->sc[i] = sc ? sm_sanitize(sc[off + i]) : 0.0f;
    int soloing = q->solo.value != 0.0f || sm_ramp_active(&q->solo);
    if (soloing)
        memset(q->listen, 0, sizeof q->listen);
    for (int i = 0; i < n;) {
        int seg = n - i < q->tick_left ? n - i : q->tick_left;
        for (int k = 0; k < q->nbands; k++) {
            sm_dyneq_band *b = &q->band[k];
            if (!b->busy)
                continue;
            int audible = b->wet.value != 0.0f || sm_ramp_active(&b->wet);
            if ((audible && is_dynamic(b)) || b->solo.value != 0.0f ||
                sm_ramp_active(&b->solo))
                detect(q, b, i, seg);
            if (audible)
                filter(q, b, i, seg);
        }
        i += seg;
        q->tick_left -= seg;
        if (q->tick_left == 0) {
            int any = 0;
            for (int k = 0; k < q->nbands; k++) {
                band_tick(q, &q->band[k], k);
                any |= q->band[k].p[SM_DYNEQ_SOLO] != 0.0;
            }
            if (q->solo.target != (float)any)
                sm_ramp_set(&q->solo, (float)any, fade_samples(q));
            q->tick_left = q->tick;
        }
    }
    for (int k = 0; k < q->nbands; k++)
        if (q->band[k].busy)
            guard_band(&q->band[k], nch);
    /* output: bypass and solo cross-fades */
    int plain =
        !soloing && q->bypass.value == 0.0f && !sm_ramp_active(&q->bypass);
    if (plain) {
        for (int c = 0; c < nch; c++)
            memcpy(out[c] + off, q->work[c], sizeof(float) * n);
        return;
    }
    for (int i = 0; i < n; i++) {
        float by = sm_ramp_next(&q->bypass);
        float so = sm_ramp_next(&q->solo);
        for (int c = 0; c < nch; c++) {
            float w = q->work[c][i];
            if (soloing)
                w += so * (q->listen[c][i] - w);
            /* fully bypassed is the input itself, bit for bit */
            out[c][off + i] =
                by == 1.0f ? q->dry[c][i] : w + by * (q->dry[c][i] - w);
        }
    }
}

void sm_dyneq_process(sm_dyneq *q, const float *const *in, const float *sc,
                      float *const *out, int n)
{
    q->started = 1;
    for (int off = 0; off < n; off += SM_DYNEQ_CHUNK)
        chunk(q, in, sc, out, off,
              n - off < SM_DYNEQ_CHUNK ? n - off : SM_DYNEQ_CHUNK);
}
