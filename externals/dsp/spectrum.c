/* spectrum.c - 1/3-octave spectrum analyser on KissFFT. See spectrum.h. */
#include "spectrum.h"
#include "numerics.h"
#include "stereo.h"

#include <stdlib.h>
#include <string.h>

/* KissFFT comes from the system: `pkg-config kissfft-float` puts its folder
 * on the include path and defines the scalar type. */
#include <kiss_fftr.h>

/* record layout for ltas: band b's mid power at 2b, side at 2b + 1, then
 * the full-rate extras */
enum {
    REC_CNUM = 2 * SM_SPECTRUM_BANDS, /* sum of f |M(f)|^2 */
    REC_CDEN,                         /* sum of |M(f)|^2 */
    REC_EM,                           /* windowed mean squares of M, S */
    REC_ES,
    REC_EMS, /* and of M S */
    REC_COUNT
};

#define BLOCK_HALF_S 0.2 /* half a BS.1770 block (400 ms) */

static const double nominal[SM_SPECTRUM_BANDS] = {
    20,   25,   31.5, 40,   50,   63,    80,    100,   125,  160,  200,
    250,  315,  400,  500,  630,  800,   1000,  1250,  1600, 2000, 2500,
    3150, 4000, 5000, 6300, 8000, 10000, 12500, 16000, 20000};

double sm_spectrum_centre_hz(int b)
{
    return 1000.0 * pow(10.0, (b - 17) / 10.0);
}

double sm_spectrum_nominal_hz(int b)
{
    return b >= 0 && b < SM_SPECTRUM_BANDS ? nominal[b] : 0.0;
}

double sm_spectrum_edge_hz(int b, int upper)
{
    return sm_spectrum_centre_hz(b) * pow(10.0, upper ? 0.05 : -0.05);
}

/* ------------------------------------------------------------ design */

/* Power response of the decimator cascade in front of a path of decimation
 * d: each 5-tap binomial stage at input rate r passes cos^4(pi f / r). */
static double cascade_power(double f, int d, double samplerate)
{
    double g = 1.0, rate = samplerate;
    for (int k = 1; k < d; k *= 2, rate *= 0.5) {
        double c = cos(SM_PI * f / rate);
        double c2 = c * c, c4 = c2 * c2;
        g *= c4 * c4;
    }
    return g;
}

/* |B(e^jw)|^2 / |A(e^jw)|^2 of a biquad (a[0] = 1). */
static double biquad_power(const double *b, const double *a, double w)
{
    double c1 = cos(w), s1 = sin(w), c2 = cos(2.0 * w), s2 = sin(2.0 * w);
    double br = b[0] + b[1] * c1 + b[2] * c2, bi = -(b[1] * s1 + b[2] * s2);
    double ar = a[0] + a[1] * c1 + a[2] * c2, ai = -(a[1] * s1 + a[2] * s2);
    double den = ar * ar + ai * ai;
    return den > 0.0 ? (br * br + bi * bi) / den : 0.0;
}

/* BS.1770 K-weighting: the high-shelf pre-filter and the RLB high-pass,
 * each designed for the sample rate from the analog parameters that
 * reproduce the 48 kHz coefficients printed in the standard (f0, gain and
 * Q as published with libebur128). */
typedef struct kweighting {
    double sb[3], sa[3], hb[3], ha[3];
} kweighting;

static void kweighting_design(kweighting *k, double samplerate)
{
    double K = tan(SM_PI * 1681.974450955533 / samplerate);
    double Q = 0.7071752369554196;
    double Vh = pow(10.0, 3.999843853973347 / 20.0);
    double Vb = pow(Vh, 0.4996667741545416);
    double a0 = 1.0 + K / Q + K * K;
    k->sb[0] = (Vh + Vb * K / Q + K * K) / a0;
    k->sb[1] = 2.0 * (K * K - Vh) / a0;
    k->sb[2] = (Vh - Vb * K / Q + K * K) / a0;
    k->sa[0] = 1.0;
    k->sa[1] = 2.0 * (K * K - 1.0) / a0;
    k->sa[2] = (1.0 - K / Q + K * K) / a0;
    K = tan(SM_PI * 38.13547087602444 / samplerate);
    Q = 0.5003270373238773;
    a0 = 1.0 + K / Q + K * K;
    k->hb[0] = 1.0, k->hb[1] = -2.0, k->hb[2] = 1.0;
    k->ha[0] = 1.0;
    k->ha[1] = 2.0 * (K * K - 1.0) / a0;
    k->ha[2] = (1.0 - K / Q + K * K) / a0;
}

/* Power response at w radians per sample. */
static double kweighting_power(const kweighting *k, double w)
{
    return biquad_power(k->sb, k->sa, w) * biquad_power(k->hb, k->ha, w);
}

/* Resolution class of each band: the smallest power of two 2^p by which
 * the full-rate bins must be refined to give the band at least
 * SM_SPECTRUM_MINBINS bins. Bands of one class form path p. */
static void plan_classes(sm_spectrum *s)
{
    s->npaths = 1;
    for (int b = 0; b < SM_SPECTRUM_BANDS; b++) {
        double lo = sm_spectrum_edge_hz(b, 0), hi = sm_spectrum_edge_hz(b, 1);
        if (lo >= 0.5 * s->samplerate) {
            s->band[b].path = -1;
            continue;
        }
        int p = 0;
        while (hi - lo <
                   SM_SPECTRUM_MINBINS * s->samplerate / ((1 << p) * s->size) &&
               p < SM_SPECTRUM_MAXPATHS - 1)
            p++;
        s->band[b].path = p;
        if (p + 1 > s->npaths)
            s->npaths = p + 1;
    }
    for (int p = 0; p < s->npaths; p++) {
        s->path[p].res = p;
        s->path[p].band_lo = SM_SPECTRUM_BANDS;
        s->path[p].band_hi = 0;
    }
    for (int b = 0; b < SM_SPECTRUM_BANDS; b++) {
        int p = s->band[b].path;
        if (p < 0)
            continue;
        if (b < s->path[p].band_lo)
            s->path[p].band_lo = b;
        if (b + 1 > s->path[p].band_hi)
            s->path[p].band_hi = b + 1;
    }
    for (int p = 0; p < s->npaths; p++)
        if (s->path[p].band_hi <= s->path[p].band_lo)
            s->path[p].band_lo = s->path[p].band_hi = 0; /* no bands */
}

/* Where each path reads the chain: decimated by 2^level as far as its rate
 * stays SM_SPECTRUM_ALIAS_MARGIN times its top band edge and its FFT
 * (size 2^res / 2^level, for the same bins) keeps SM_SPECTRUM_MINPATHSIZE
 * points. The full-rate path stays at the full rate (K-weighting, centroid
 * and image need the whole band). */
static void plan_levels(sm_spectrum *s)
{
    s->nstages = 0;
    for (int p = 0; p < s->npaths; p++) {
        sm_spectrum_path *P = &s->path[p];
        int level = p;
        if (p > 0 && P->band_hi > P->band_lo) {
            double top = sm_spectrum_edge_hz(P->band_hi - 1, 1);
            while (level + 1 < SM_SPECTRUM_MAXSTAGES &&
                   s->samplerate / (1 << (level + 1)) >=
                       SM_SPECTRUM_ALIAS_MARGIN * top &&
                   ((long)s->size << p >> (level + 1)) >=
                       SM_SPECTRUM_MINPATHSIZE)
                level++;
        }
        P->level = level;
        P->size = (int)((long)s->size << p >> level);
        P->hop = (int)((long)s->hop * P->size / s->size);
        if (P->hop < 1)
            P->hop = 1;
        if (P->band_hi > P->band_lo && level > s->nstages)
            s->nstages = level;
    }
}

/* First and last bin that can touch [lo, hi] at spacing df. */
static void bin_range(double lo, double hi, double df, int half, int *k0,
                      int *k1)
{
    *k0 = (int)floor(lo / df + 0.5);
    *k1 = (int)floor(hi / df + 0.5);
    if (*k0 < 0)
        *k0 = 0;
    if (*k1 > half)
        *k1 = half;
}

/* Fills one band's bin weights (or counts them when w is NULL): the part of
 * each bin's width [k - 1/2, k + 1/2] (clipped to 0..Nyquist) inside the
 * band, times 2 for the bins that stand for both signs of frequency, over
 * N sum(w^2) and the decimators' power response. */
static int band_weights(const sm_spectrum *s, int b, float *w)
{
    const sm_spectrum_path *P = &s->path[s->band[b].path];
    int d = 1 << P->level, n = P->size, half = n / 2;
    double rate = s->samplerate / d, df = rate / n, nyq = 0.5 * rate;
    double lo = sm_spectrum_edge_hz(b, 0), hi = sm_spectrum_edge_hz(b, 1);
    int k0, k1;
    bin_range(lo, hi, df, half, &k0, &k1);
    if (!w)
        return k1 - k0 + 1;
    for (int k = k0; k <= k1; k++) {
        double blo = (k - 0.5) * df, bhi = (k + 0.5) * df;
        blo = blo < 0.0 ? 0.0 : blo;
        bhi = bhi > nyq ? nyq : bhi;
        double olo = blo > lo ? blo : lo, ohi = bhi < hi ? bhi : hi;
        double frac = ohi > olo && bhi > blo ? (ohi - olo) / (bhi - blo) : 0.0;
        double twice = (k == 0 || k == half) ? 1.0 : 2.0;
        double droop = cascade_power(k * df, d, s->samplerate);
        w[k - k0] = (float)(frac * twice / (n * P->sumw2 * droop));
    }
    return k0;
}

static int alloc_bands(sm_spectrum *s)
{
    int total = 0;
    for (int b = 0; b < SM_SPECTRUM_BANDS; b++)
        if (s->band[b].path >= 0)
            total += band_weights(s, b, NULL);
    s->bandweights = malloc(sizeof(float) * (size_t)(total > 0 ? total : 1));
    if (!s->bandweights)
        return -1;
    float *w = s->bandweights;
    for (int b = 0; b < SM_SPECTRUM_BANDS; b++) {
        sm_spectrum_band *B = &s->band[b];
        if (B->path < 0)
            continue;
        B->nk = band_weights(s, b, NULL);
        B->k0 = band_weights(s, b, w);
        B->weight = w;
        w += B->nk;
    }
    return 0;
}

static int log2i(int n)
{
    int k = 0;
    while ((1 << k) < n)
        k++;
    return k;
}

/* KissFFT configuration and periodic Hann window of each FFT size a path
 * uses, shared between paths of the same size. */
static int alloc_ffts(sm_spectrum *s)
{
    for (int p = 0; p < s->npaths; p++) {
        sm_spectrum_path *P = &s->path[p];
        int k = log2i(P->size), n = P->size;
        if (!s->window_of[k]) {
            s->window_of[k] = malloc(sizeof(float) * n);
            s->fft_of[k] = kiss_fftr_alloc(n, 0, NULL, NULL);
            if (!s->window_of[k] || !s->fft_of[k])
                return -1;
            for (int i = 0; i < n; i++)
                s->window_of[k][i] =
                    (float)(0.5 - 0.5 * cos(2.0 * SM_PI * i / n));
        }
        P->window = s->window_of[k];
        P->fft = s->fft_of[k];
        P->sumw2 = 0.0;
        for (int i = 0; i < n; i++)
            P->sumw2 += (double)P->window[i] * P->window[i];
    }
    return 0;
}

/* K-weighting and centroid tables of the full-rate path. */
static void fill_tables(sm_spectrum *s)
{
    int n = s->size, half = n / 2;
    /* BS.1770 sums channel powers: L^2 + R^2 = 2 (M^2 + S^2) */
    double chans = s->nch >= 2 ? 2.0 : 1.0, sumw2 = s->path[0].sumw2;
    double df = s->samplerate / n;
    kweighting kw;
    kweighting_design(&kw, s->samplerate);
    for (int k = 0; k <= half; k++) {
        double twice = (k == 0 || k == half) ? 1.0 : 2.0;
        double w = 2.0 * SM_PI * k / n;
        s->kweight[k] =
            (float)(twice * chans * kweighting_power(&kw, w) / (n * sumw2));
        s->bincount[k] = (float)twice;
        s->binhz[k] = (float)(twice * k * df);
    }
}

/* Half-span of the gate key of a path's frames, in input samples: half
 * the frame's effective length (a Hann frame's power lies mostly within its
 * middle half), but at least half a BS.1770 block. A path of class res has
 * frames 2^res times longer than the full rate's. */
static double key_half_span(const sm_spectrum *s, int res)
{
    double own = 0.25 * (double)s->size * (1 << res);
    double block = BLOCK_HALF_S * s->samplerate;
    return own > block ? own : block;
}

/* A frame is keyed once the full-rate frames centred up to `half` after its
 * centre exist: it waits at most half + size/2 + hop + one chunk input
 * samples, and its key reaches back to `half` before its centre. */
static double longest_wait(const sm_spectrum *s, double half)
{
    return half + 0.5 * s->size + s->hop + SM_SPECTRUM_CHUNK;
}

static int alloc_pending(sm_spectrum *s, sm_spectrum_path *P)
{
    P->half = key_half_span(s, P->res);
    double period = (double)P->hop * (1 << P->level); /* input samples */
    P->pend_cap = (int)(longest_wait(s, P->half) / period) + 3;
    P->pend = calloc((size_t)P->pend_cap, sizeof *P->pend);
    P->pend_store =
        calloc((size_t)P->pend_cap * REC_COUNT, sizeof *P->pend_store);
    if (!P->pend || !P->pend_store)
        return -1;
    for (int i = 0; i < P->pend_cap; i++)
        P->pend[i].record = P->pend_store + (size_t)i * REC_COUNT;
    return 0;
}

static int history_length(const sm_spectrum *s)
{
    double half = key_half_span(s, s->npaths - 1);
    return (int)((longest_wait(s, half) + half) / s->hop) + 4;
}

static int alloc_all(sm_spectrum *s)
{
    int n = s->size, half = n / 2;
    s->frame = malloc(sizeof(float) * 2 * n);
    s->bins = malloc(sizeof(float) * (n + 2));
    s->kweight = malloc(sizeof(float) * (half + 1));
    s->binhz = malloc(sizeof(float) * (half + 1));
    s->bincount = malloc(sizeof(float) * (half + 1));
    s->chunk_m = malloc(sizeof(float) * SM_SPECTRUM_CHUNK);
    s->chunk_s = malloc(sizeof(float) * SM_SPECTRUM_CHUNK);
    s->hist_len = history_length(s);
    s->kp_hist = calloc((size_t)s->hist_len, sizeof(double));
    s->record = calloc(REC_COUNT, sizeof(double));
    if (!s->frame || !s->bins || !s->kweight || !s->binhz || !s->bincount ||
        !s->chunk_m || !s->chunk_s || !s->kp_hist || !s->record)
        return -1;
    for (int p = 0; p < s->npaths; p++) {
        sm_spectrum_path *P = &s->path[p];
        if (P->band_hi == P->band_lo)
            continue;
        P->ring_m = calloc((size_t)P->size, sizeof(float));
        P->ring_s = calloc((size_t)P->size, sizeof(float));
        if (!P->ring_m || !P->ring_s || alloc_pending(s, P) != 0)
            return -1;
    }
    return alloc_ffts(s);
}

static int init_averages(sm_spectrum *s)
{
    int group[REC_COUNT];
    for (int v = 0; v < REC_COUNT; v++)
        group[v] = 0;
    for (int b = 0; b < SM_SPECTRUM_BANDS; b++)
        if (s->band[b].path > 0)
            group[2 * b] = group[2 * b + 1] = s->band[b].path;
    return sm_ltas_init(&s->avg, REC_COUNT, s->npaths, group);
}

/* Short-term level windows: each band's path frames over about 400 ms (the
 * BS.1770 momentary block, see bandstats.h). The squared Hann windows of
 * frames a quarter of their size apart (the default hop, or closer) add up
 * to a constant, so the mean of k frame powers weighs about k frame periods
 * of audio evenly, with tapers as long as one frame; a path whose frame
 * period exceeds 400 ms takes single frames. */
static int init_stats(sm_spectrum *s)
{
    int window[SM_SPECTRUM_BANDS];
    for (int b = 0; b < SM_SPECTRUM_BANDS; b++) {
        window[b] = 1;
        if (s->band[b].path < 0)
            continue;
        const sm_spectrum_path *P = &s->path[s->band[b].path];
        double period = (double)P->hop * (1 << P->level); /* input samples */
        double k = floor(SM_BANDSTATS_WINDOW_S * s->samplerate / period + 0.5);
        window[b] = k < 1.0 ? 1 : (int)k;
    }
    return sm_bandstats_init(&s->stats, SM_SPECTRUM_BANDS, window);
}

int sm_spectrum_init(sm_spectrum *s, int nch, double samplerate, int size,
                     int hop)
{
    memset(s, 0, sizeof *s);
    if (nch < 1 || nch > 8 || !(samplerate >= 1000.0) || samplerate > 1e7 ||
        size < SM_SPECTRUM_MINSIZE || size > SM_SPECTRUM_MAXSIZE ||
        (size & (size - 1)))
        return -1;
    s->nch = nch;
    s->samplerate = samplerate;
    s->size = size;
    s->hop = hop >= 1 && hop <= size ? hop : size / 4;
    if (s->hop < size / SM_SPECTRUM_MAXOVERLAP)
        s->hop = size / SM_SPECTRUM_MAXOVERLAP;
    plan_classes(s);
    plan_levels(s);
    if (alloc_all(s) != 0) {
        sm_spectrum_free(s);
        return -1;
    }
    fill_tables(s);
    if (alloc_bands(s) != 0 || init_averages(s) != 0 || init_stats(s) != 0) {
        sm_spectrum_free(s);
        return -1;
    }
    s->gate = 1;
    sm_spectrum_set_average(s, 0.0);
    sm_spectrum_clear(s);
    return 0;
}

void sm_spectrum_free(sm_spectrum *s)
{
    for (int p = 0; p < SM_SPECTRUM_MAXPATHS; p++) {
        free(s->path[p].ring_m);
        free(s->path[p].ring_s);
        free(s->path[p].pend);
        free(s->path[p].pend_store);
    }
    for (int k = 0; k <= SM_SPECTRUM_LOG2MAX; k++) {
        if (s->fft_of[k])
            kiss_fftr_free(s->fft_of[k]);
        free(s->window_of[k]);
    }
    free(s->frame);
    free(s->bins);
    free(s->kweight);
    free(s->binhz);
    free(s->bincount);
    free(s->bandweights);
    free(s->chunk_m);
    free(s->chunk_s);
    free(s->kp_hist);
    free(s->record);
    sm_ltas_free(&s->avg);
    sm_bandstats_free(&s->stats);
    memset(s, 0, sizeof *s);
}

void sm_spectrum_reset(sm_spectrum *s)
{
    /* frames of the time before: those waiting, and those still to come
     * whose window reaches back before now */
    for (int p = 0; p < s->npaths; p++) {
        s->path[p].pend_count = 0;
        s->path[p].reset_count = s->path[p].count;
    }
    sm_ltas_reset(&s->avg);
    sm_bandstats_reset(&s->stats);
}

void sm_spectrum_clear(sm_spectrum *s)
{
    if (!s->record)
        return;
    memset(s->stage, 0, sizeof s->stage);
    for (int p = 0; p < s->npaths; p++) {
        sm_spectrum_path *P = &s->path[p];
        if (P->ring_m) {
            memset(P->ring_m, 0, sizeof(float) * P->size);
            memset(P->ring_s, 0, sizeof(float) * P->size);
        }
        P->pos = 0;
        P->count = 0;
        P->reset_count = 0;
        P->pend_head = P->pend_count = 0;
        /* stagger the paths' frames over the full-rate hop */
        long offset = (long)p * s->hop / s->npaths; /* input samples */
        P->countdown = P->size + (int)(offset >> P->level);
    }
    memset(s->kp_hist, 0, sizeof(double) * s->hist_len);
    s->frames0 = 0;
    s->first_end0 = s->size;
    sm_ltas_reset(&s->avg);
    sm_bandstats_reset(&s->stats);
}

void sm_spectrum_set_average(sm_spectrum *s, double seconds)
{
    s->average_s = seconds > 0.0 ? seconds : 0.0;
    for (int p = 0; p < s->npaths; p++) {
        const sm_spectrum_path *P = &s->path[p];
        double period = (double)P->hop * (1 << P->level) / s->samplerate;
        double a = s->average_s > 0.0 ? exp(-period / s->average_s) : 1.0;
        sm_ltas_set_decay(&s->avg, p, a);
    }
}

void sm_spectrum_set_gate(sm_spectrum *s, int on)
{
    s->gate = on != 0;
}

/* ------------------------------------------------------------ frames */

/* Copies a path's ring, oldest sample first, through its window. */
static void windowed(const sm_spectrum_path *P, const float *ring, float *out)
{
    int n = P->size, start = P->pos, first = n - start;
    const float *w = P->window;
    for (int i = 0; i < first; i++)
        out[i] = ring[start + i] * w[i];
    for (int i = first; i < n; i++)
        out[i] = ring[i - first] * w[i];
}

/* Band powers of one path from the FFT output in s->bins. */
static void band_powers(sm_spectrum *s, const sm_spectrum_path *P, int side)
{
    const float *X = s->bins;
    for (int b = P->band_lo; b < P->band_hi; b++) {
        const sm_spectrum_band *B = &s->band[b];
        const float *re = X + 2 * B->k0;
        double acc = 0.0;
        for (int i = 0; i < B->nk; i++) {
            float r = re[2 * i], im = re[2 * i + 1];
            acc += B->weight[i] * (r * r + im * im);
        }
        s->record[2 * b + side] = acc;
    }
}

/* K-weighted power of the spectrum in s->bins; with `centroid`, also the
 * centroid sums. */
static double full_rate_sums(sm_spectrum *s, int centroid)
{
    const float *X = s->bins;
    double kp = 0.0, num = 0.0, den = 0.0;
    for (int k = 0; k <= s->size / 2; k++) {
        float p = X[2 * k] * X[2 * k] + X[2 * k + 1] * X[2 * k + 1];
        kp += s->kweight[k] * p;
        if (centroid) {
            num += s->binhz[k] * p;
            den += s->bincount[k] * p;
        }
    }
    if (centroid) {
        s->record[REC_CNUM] = num;
        s->record[REC_CDEN] = den;
    }
    return kp;
}

/* Windowed mean squares of mid, side and their product (stereo.h). */
static void image_sums(sm_spectrum *s, const float *m, const float *sd)
{
    double sumw2 = s->path[0].sumw2;
    double em = 0.0, es = 0.0, ems = 0.0;
    for (int i = 0; i < s->size; i++) {
        em += (double)m[i] * m[i];
        es += (double)sd[i] * sd[i];
        ems += (double)m[i] * sd[i];
    }
    s->record[REC_EM] = em / sumw2;
    s->record[REC_ES] = es / sumw2;
    s->record[REC_EMS] = ems / sumw2;
}

/* Centre of full-rate frame j, in input samples since clear. */
static double centre0(const sm_spectrum *s, long long j)
{
    return (double)s->first_end0 - 0.5 * s->size + (double)j * s->hop;
}

/* Gate key of a span: the mean K-weighted power of the full-rate frames
 * centred in [centre - half, centre + half] (the nearest one when none
 * is), as far as they are still in the history. */
static double key_energy(const sm_spectrum *s, double centre, double half)
{
    if (s->frames0 == 0)
        return 0.0;
    double base = centre0(s, 0);
    long long j0 = (long long)ceil((centre - half - base) / s->hop);
    long long j1 = (long long)floor((centre + half - base) / s->hop);
    if (j1 < j0)
        j0 = j1 = llround((centre - base) / s->hop);
    long long newest = s->frames0 - 1, oldest = s->frames0 - s->hist_len;
    oldest = oldest < 0 ? 0 : oldest;
    j0 = j0 < oldest ? oldest : (j0 > newest ? newest : j0);
    j1 = j1 < j0 ? j0 : (j1 > newest ? newest : j1);
    double sum = 0.0;
    for (long long j = j0; j <= j1; j++)
        sum += s->kp_hist[j % s->hist_len];
    return sum / (double)(j1 - j0 + 1);
}

/* Adds a path's waiting frames to the averages once the full-rate frames
 * around them have been measured (all of them when `flush`). */
static void commit(sm_spectrum *s, int p, int flush)
{
    sm_spectrum_path *P = &s->path[p];
    double newest = centre0(s, s->frames0 - 1);
    while (P->pend_count > 0) {
        sm_spectrum_pending *f = &P->pend[P->pend_head];
        if (!flush && (s->frames0 == 0 || f->centre + f->half > newest))
            break;
        double key = key_energy(s, f->centre, f->half);
        sm_ltas_add(&s->avg, p, key, f->record);
        /* the mid band powers sit at 2b of the record */
        sm_bandstats_add(&s->stats, P->band_lo, P->band_hi, f->record, 2, key);
        P->pend_head = (P->pend_head + 1) % P->pend_cap;
        P->pend_count--;
    }
}

/* Queues the frame just measured (in s->record) until its key is known. */
static void queue(sm_spectrum *s, int p, double centre)
{
    sm_spectrum_path *P = &s->path[p];
    if (P->pend_count == P->pend_cap) /* cannot happen (see longest_wait) */
        commit(s, p, 1);
    int i = (P->pend_head + P->pend_count) % P->pend_cap;
    P->pend[i].centre = centre;
    P->pend[i].half = P->half;
    memcpy(P->pend[i].record, s->record, sizeof(double) * REC_COUNT);
    P->pend_count++;
}

/* Windows and transforms one path's frame (mid, then side): band powers
 * into s->record. Returns the K-weighted power of a full-rate frame. */
static double measure(sm_spectrum *s, const sm_spectrum_path *P, int full)
{
    float *fm = s->frame, *fs = s->frame + s->size;
    kiss_fft_cpx *out = (kiss_fft_cpx *)s->bins;
    double kp = 0.0;
    windowed(P, P->ring_m, fm);
    kiss_fftr((kiss_fftr_cfg)P->fft, fm, out);
    band_powers(s, P, 0);
    if (full)
        kp = full_rate_sums(s, 1);
    if (s->nch < 2) { /* mono: the side is silent */
        for (int b = P->band_lo; b < P->band_hi; b++)
            s->record[2 * b + 1] = 0.0;
        return kp;
    }
    windowed(P, P->ring_s, fs);
    kiss_fftr((kiss_fftr_cfg)P->fft, fs, out);
    band_powers(s, P, 1);
    if (full)
        kp += full_rate_sums(s, 0);
    return kp;
}

/* Stereo image of a full-rate frame, and its K-weighted power into the
 * history that keys the gate. */
static void record_full_rate(sm_spectrum *s, double kp)
{
    const float *fm = s->frame, *fs = s->frame + s->size;
    if (s->nch >= 2)
        image_sums(s, fm, fs);
    else {
        double em = 0.0;
        for (int i = 0; i < s->size; i++)
            em += (double)fm[i] * fm[i];
        s->record[REC_EM] = em / s->path[0].sumw2;
        s->record[REC_ES] = s->record[REC_EMS] = 0.0;
    }
    s->kp_hist[s->frames0 % s->hist_len] = kp;
    s->frames0++;
}

static void frame(sm_spectrum *s, int p)
{
    sm_spectrum_path *P = &s->path[p];
    int full = p == 0;
    double kp = measure(s, P, full);
    if (full)
        record_full_rate(s, kp);
    /* centre of this frame in input samples: path sample i stands for input
     * time d i - (d - 1) (each decimator stage delays by 2 of its inputs) */
    double d = (double)(1 << P->level);
    if (P->reset_count == 0 || P->count - P->size >= P->reset_count)
        queue(s, p, d * ((double)P->count - 0.5 * P->size) - (d - 1.0));
    if (full) /* a new full-rate frame may complete any path's keys */
        for (int q = 0; q < s->npaths; q++)
            commit(s, q, 0);
    else
        commit(s, p, 0);
}

/* ------------------------------------------------------------ process */

static void feed(sm_spectrum *s, int p, const float *m, const float *sd, int n)
{
    sm_spectrum_path *P = &s->path[p];
    int mask = P->size - 1, i = 0;
    while (i < n) {
        int run = n - i < P->countdown ? n - i : P->countdown;
        int pos = P->pos;
        for (int j = 0; j < run; j++) {
            P->ring_m[pos] = m[i + j];
            P->ring_s[pos] = sd[i + j];
            pos = (pos + 1) & mask;
        }
        P->pos = pos;
        P->count += run;
        P->countdown -= run;
        i += run;
        if (P->countdown == 0) {
            frame(s, p);
            P->countdown = P->hop;
        }
    }
}

/* Halves the rate of m and sd in place through a stage's 5-tap binomial
 * low-pass [1 4 6 4 1] / 16; returns the number of output samples. */
static int decimate(sm_spectrum_stage *st, float *m, float *sd, int n)
{
    float a0 = st->hist_m[0], a1 = st->hist_m[1], a2 = st->hist_m[2],
          a3 = st->hist_m[3];
    float b0 = st->hist_s[0], b1 = st->hist_s[1], b2 = st->hist_s[2],
          b3 = st->hist_s[3];
    int phase = st->phase, out = 0;
    for (int i = 0; i < n; i++) {
        float x = m[i], y = sd[i];
        if (phase) {
            m[out] = sm_sanitize(0.0625f * (x + a3 + 4.0f * (a0 + a2)) +
                                 0.375f * a1);
            sd[out] = sm_sanitize(0.0625f * (y + b3 + 4.0f * (b0 + b2)) +
                                  0.375f * b1);
            out++;
        }
        a3 = a2, a2 = a1, a1 = a0, a0 = x;
        b3 = b2, b2 = b1, b1 = b0, b0 = y;
        phase ^= 1;
    }
    st->hist_m[0] = a0, st->hist_m[1] = a1, st->hist_m[2] = a2;
    st->hist_m[3] = a3;
    st->hist_s[0] = b0, st->hist_s[1] = b1, st->hist_s[2] = b2;
    st->hist_s[3] = b3;
    st->phase = phase;
    return out;
}

void sm_spectrum_process(sm_spectrum *s, const float *const *in, int n)
{
    if (!s->record)
        return;
    const float *l = in[0], *r = s->nch >= 2 ? in[1] : in[0];
    for (int done = 0; done < n;) {
        int k = n - done < SM_SPECTRUM_CHUNK ? n - done : SM_SPECTRUM_CHUNK;
        for (int i = 0; i < k; i++)
            sm_stereo_ms(sm_sanitize(l[done + i]), sm_sanitize(r[done + i]),
                         &s->chunk_m[i], &s->chunk_s[i]);
        /* each rate feeds the paths that read it, then makes the next */
        int len = k;
        for (int level = 0; level <= s->nstages; level++) {
            for (int p = 0; p < s->npaths; p++)
                if (s->path[p].level == level && s->path[p].ring_m)
                    feed(s, p, s->chunk_m, s->chunk_s, len);
            if (level < s->nstages)
                len = decimate(&s->stage[level], s->chunk_m, s->chunk_s, len);
        }
        done += k;
    }
}

/* ------------------------------------------------------------ readings */

double sm_spectrum_tilt(const double *levels_db, int lo, int hi)
{
    int n = hi - lo + 1;
    if (n < 2)
        return 0.0;
    double mx = 0.0, my = 0.0;
    for (int b = lo; b <= hi; b++) {
        mx += log2(sm_spectrum_centre_hz(b));
        my += levels_db[b];
    }
    mx /= n;
    my /= n;
    double sxy = 0.0, sxx = 0.0;
    for (int b = lo; b <= hi; b++) {
        double dx = log2(sm_spectrum_centre_hz(b)) - mx;
        sxy += dx * (levels_db[b] - my);
        sxx += dx * dx;
    }
    return sxy / sxx;
}

void sm_spectrum_read(const sm_spectrum *s, sm_spectrum_readings *r)
{
    double mean[REC_COUNT] = {0}, weight[SM_LTAS_MAXGROUPS] = {0};
    memset(r, 0, sizeof *r);
    if (s->record)
        sm_ltas_read(&s->avg, s->gate, mean, weight);
    for (int b = 0; b < SM_SPECTRUM_BANDS; b++) {
        int ok = s->record && s->band[b].path >= 0;
        r->mid_db[b] = ok ? sm_power_to_db(mean[2 * b]) : SM_FLOOR_DB;
        r->side_db[b] = ok ? sm_power_to_db(mean[2 * b + 1]) : SM_FLOOR_DB;
    }
    r->frames = weight[0];
    r->width_db = sm_stereo_width_db(0.0, 0.0);
    if (!(weight[0] > 0.0))
        return;
    int hi = SM_SPECTRUM_TILT_HI;
    while (hi >= SM_SPECTRUM_TILT_LO &&
           sm_spectrum_edge_hz(hi, 1) > 0.5 * s->samplerate)
        hi--;
    r->tilt_db_oct = sm_spectrum_tilt(r->mid_db, SM_SPECTRUM_TILT_LO, hi);
    r->centroid_hz =
        mean[REC_CDEN] > 0.0 ? mean[REC_CNUM] / mean[REC_CDEN] : 0.0;
    r->correlation =
        sm_stereo_correlation(mean[REC_EM], mean[REC_ES], mean[REC_EMS]);
    r->width_db = sm_stereo_width_db(mean[REC_EM], mean[REC_ES]);
    r->balance_db =
        sm_stereo_balance_db(mean[REC_EM], mean[REC_ES], mean[REC_EMS]);
}

void sm_spectrum_percentiles(const sm_spectrum *s, const double *q, int nq,
                             double *out_db)
{
    if (!s->record) {
        for (int i = 0; i < nq * SM_SPECTRUM_BANDS; i++)
            out_db[i] = SM_FLOOR_DB;
        return;
    }
    sm_bandstats_read(&s->stats, s->gate, sm_ltas_threshold(&s->avg), q, nq,
                      out_db);
}

int sm_spectrum_band_decimation(const sm_spectrum *s, int b)
{
    if (!s->record || b < 0 || b >= SM_SPECTRUM_BANDS || s->band[b].path < 0)
        return 0;
    return 1 << s->path[s->band[b].path].level;
}

int sm_spectrum_band_fft_size(const sm_spectrum *s, int b)
{
    int d = sm_spectrum_band_decimation(s, b);
    return d ? s->path[s->band[b].path].size : 0;
}

double sm_spectrum_band_bin_hz(const sm_spectrum *s, int b)
{
    int d = sm_spectrum_band_decimation(s, b);
    return d ? s->samplerate / d / sm_spectrum_band_fft_size(s, b) : 0.0;
}
