/* truepeak.c - polyphase oversampling true-peak detector. See truepeak.h. */
#include "truepeak.h"
#include "numerics.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_TAPS 24
#define KAISER_BETA 6.0 /* with 24 taps: flat to 0.40 fs, images down ~60 dB */

/* Modified Bessel function of the first kind, order 0 (power series). */
static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0, q = x * x / 4.0;
    for (int k = 1; k < 64 && term > 1e-17 * sum; k++) {
        term *= q / ((double)k * k);
        sum += term;
    }
    return sum;
}

/* Kaiser-windowed sinc lowpass at the input Nyquist, one phase per output
 * sample between two inputs. Each phase is normalised to unity DC gain so
 * that a constant reads exactly its value in every phase. */
static void design(float *coef, int factor, int taps)
{
    /* The centre sits on phase 0 of tap taps/2, so phase 0 reproduces the
     * input exactly (delayed) and the reading is never below the sample
     * peak. */
    int len = factor * taps;
    double centre = factor * (taps / 2);
    double *h = malloc(sizeof(double) * len);
    if (!h)
        return;
    for (int i = 0; i < len; i++) {
        double t = (i - centre) / factor; /* in input samples */
        double sinc = t == 0.0 ? 1.0 : sin(SM_PI * t) / (SM_PI * t);
        double r = (i - centre) / (len / 2.0);
        double w = bessel_i0(KAISER_BETA * sqrt(fmax(0.0, 1.0 - r * r))) /
                   bessel_i0(KAISER_BETA);
        h[i] = sinc * w;
    }
    for (int p = 0; p < factor; p++) {
        double sum = 0.0;
        for (int k = 0; k < taps; k++)
            sum += h[k * factor + p];
        for (int k = 0; k < taps; k++)
            coef[k * factor + p] = (float)(h[k * factor + p] / sum);
    }
    free(h);
}

int sm_truepeak_default_factor(double samplerate)
{
    return samplerate < 88200.0 ? 4 : 2;
}

int sm_truepeak_init(sm_truepeak *tp, int nch, double samplerate, int factor,
                     int taps)
{
    memset(tp, 0, sizeof *tp);
    if (factor == 0)
        factor = sm_truepeak_default_factor(samplerate);
    if (taps == 0)
        taps = DEFAULT_TAPS;
    if (nch < 1 || nch > SM_TRUEPEAK_MAXCH || taps < 4 || taps > 256 ||
        (taps & 1) ||
        (factor != 2 && factor != 4 && factor != 8 && factor != 16))
        return -1;
    tp->coef = malloc(sizeof(float) * factor * taps);
    tp->hist = calloc((size_t)nch * 2 * taps, sizeof(float));
    if (!tp->coef || !tp->hist) {
        sm_truepeak_free(tp);
        return -1;
    }
    tp->nch = nch;
    tp->factor = factor;
    tp->taps = taps;
    design(tp->coef, factor, taps);
    return 0;
}

void sm_truepeak_free(sm_truepeak *tp)
{
    free(tp->coef);
    free(tp->hist);
    memset(tp, 0, sizeof *tp);
}

void sm_truepeak_reset(sm_truepeak *tp)
{
    if (tp->hist)
        memset(tp->hist, 0, sizeof(float) * tp->nch * 2 * tp->taps);
    for (int c = 0; c < tp->nch; c++)
        tp->peak[c] = 0.0f;
}

/* The filter kernel gets a second, AVX2/FMA build that the loader picks on
 * processors that have it (GCC function multiversioning): eight phases then
 * fit one vector. Elsewhere the plain build runs. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&       \
    defined(__linux__)
#define SM_KERNEL_CLONES __attribute__((target_clones("arch=haswell", "default")))
#else
#define SM_KERNEL_CLONES
#endif

/* One channel. Written for a constant `factor` after inlining, so that the
 * loop over phases becomes one vector operation: for every tap the history
 * sample is multiplied into all phases at once. Even and odd taps go to two
 * accumulators, which halves the chain of dependent additions (the compiler
 * may not reassociate them without -ffast-math). With env, the largest
 * |value| over the phases of each input step is written there; the running
 * per-phase maxima are reduced into the returned peak once per block. */
static inline float run_channel(const float *coef, int factor, int taps,
                                float *hist, int pos, const float *in,
                                float *env, int n, float peak)
{
    float mx[SM_TRUEPEAK_MAXFACTOR] = {0};
    for (int i = 0; i < n; i++) {
        float even[SM_TRUEPEAK_MAXFACTOR] = {0};
        float odd[SM_TRUEPEAK_MAXFACTOR] = {0};
        float x = sm_sanitize(in[i]);
        pos = pos == 0 ? taps - 1 : pos - 1;
        hist[pos] = hist[pos + taps] = x;
        const float *w = hist + pos; /* w[k] = x[n - k] */
        for (int k = 0; k < taps; k += 2) {
            const float *h0 = coef + k * factor, *h1 = h0 + factor;
            for (int p = 0; p < factor; p++) {
                even[p] += h0[p] * w[k];
                odd[p] += h1[p] * w[k + 1];
            }
        }
        float step = 0.0f;
        for (int p = 0; p < factor; p++) {
            float a = fabsf(even[p] + odd[p]);
            mx[p] = a > mx[p] ? a : mx[p];
            step = a > step ? a : step;
        }
        if (env)
            env[i] = step;
    }
    for (int p = 0; p < factor; p++)
        peak = mx[p] > peak ? mx[p] : peak;
    return peak;
}

/* Runs every channel; the switch gives the compiler constant factors. */
SM_KERNEL_CLONES
static void run(sm_truepeak *tp, const float *const *in, float *const *env,
                int n)
{
    int T = tp->taps, start = tp->pos;
    for (int c = 0; c < tp->nch; c++) {
        float *hist = tp->hist + (size_t)c * 2 * T;
        float *e = env ? env[c] : NULL;
        float pk = tp->peak[c];
        switch (tp->factor) {
        case 4:
            pk = run_channel(tp->coef, 4, T, hist, start, in[c], e, n, pk);
            break;
        case 2:
            pk = run_channel(tp->coef, 2, T, hist, start, in[c], e, n, pk);
            break;
        case 8:
            pk = run_channel(tp->coef, 8, T, hist, start, in[c], e, n, pk);
            break;
        default:
            pk = run_channel(tp->coef, tp->factor, T, hist, start, in[c], e,
                             n, pk);
            break;
        }
        tp->peak[c] = pk;
    }
    tp->pos = (int)(((long)start - n % T + T) % T);
}

void sm_truepeak_process(sm_truepeak *tp, const float *const *in, int n)
{
    if (tp->hist && n > 0)
        run(tp, in, NULL, n);
}

void sm_truepeak_envelope(sm_truepeak *tp, const float *const *in,
                          float *const *env, int n)
{
    if (tp->hist && n > 0)
        run(tp, in, env, n);
}

double sm_truepeak_delay(const sm_truepeak *tp)
{
    return tp->taps / 2;
}
