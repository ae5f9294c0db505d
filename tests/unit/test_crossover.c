/* test_crossover.c - unit tests of the Linkwitz-Riley crossover tree
 * (externals/dsp/crossover.[ch]).
 *
 * The expected responses are computed here, independently of the code
 * under test: RBJ-cookbook biquads (LPF, HPF and APF at the crossover
 * frequency, Q = 1/sqrt 2; the same bilinear transform with prewarping at
 * f0 as the trapezoidal SVFs of crossover.c, but a different structure:
 * direct form I in long double). From them:
 *  - the sum of all bands must be the cascade of the allpasses AP2(f_i),
 *    whose magnitude is exactly 1 (Linkwitz 1976: LP4 + HP4 = AP2);
 *  - each band must be the product of the LP4 / HP4 / AP2 sections on its
 *    way through the documented tree (crossover.c, run_pair).
 * Magnitudes are also measured directly, by a DFT of the summed impulse
 * response at log-spaced frequencies from 20 Hz to 20 kHz (issue 4: flat
 * within +-0.01 dB for every band count, crossovers >= 1/3 octave apart).
 * Set SM_TEST_VERBOSE=1 to print the measured values. */
#define _POSIX_C_SOURCE 200809L
#include "crossover.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

static int verbose(void)
{
    const char *v = getenv("SM_TEST_VERBOSE");
    return v && *v && *v != '0';
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double rng_uniform(void) /* [0, 1) */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ull) >> 11) /
           9007199254740992.0;
}

/* ------------------------------------------------ reference biquads */

enum { LPF, HPF, APF };

typedef struct biquad {
    long double b0, b1, b2, a1, a2; /* normalised by a0 */
    long double x1, x2, y1, y2;
} biquad;

static void biquad_init(biquad *q, int type, double f0, double fs)
{
    long double w0 = 2.0L * PI * f0 / fs, cw = cosl(w0);
    long double alpha = sinl(w0) / (2.0L * (1.0L / sqrtl(2.0L)));
    long double b0, b1, b2, a0 = 1.0L + alpha;
    if (type == LPF)
        b0 = (1.0L - cw) / 2.0L, b1 = 1.0L - cw, b2 = b0;
    else if (type == HPF)
        b0 = (1.0L + cw) / 2.0L, b1 = -(1.0L + cw), b2 = b0;
    else
        b0 = 1.0L - alpha, b1 = -2.0L * cw, b2 = 1.0L + alpha;
    memset(q, 0, sizeof *q);
    q->b0 = b0 / a0;
    q->b1 = b1 / a0;
    q->b2 = b2 / a0;
    q->a1 = -2.0L * cw / a0;
    q->a2 = (1.0L - alpha) / a0;
}

static void biquad_run(biquad *q, long double *x, long n)
{
    for (long i = 0; i < n; i++) {
        long double y = q->b0 * x[i] + q->b1 * q->x1 + q->b2 * q->x2 -
                        q->a1 * q->y1 - q->a2 * q->y2;
        q->x2 = q->x1;
        q->x1 = x[i];
        q->y2 = q->y1;
        q->y1 = y;
        x[i] = y;
    }
}

/* One section applied in place: LP4 / HP4 = two LPF / HPF, AP = one APF. */
enum { LP4, HP4, AP2 };
static void section(long double *x, long n, int kind, double f, double fs)
{
    biquad q;
    int reps = kind == AP2 ? 1 : 2;
    for (int r = 0; r < reps; r++) {
        biquad_init(&q, kind == LP4 ? LPF : kind == HP4 ? HPF : APF, f, fs);
        biquad_run(&q, x, n);
    }
}

/* The sections band k passes through in the tree of crossover.c, as
 * (kind, crossover) pairs: the split on its way (LP4 below, HP4 above the
 * crossover) and the compensation allpasses. Written from the documented
 * shapes, independently of the code. */
static int path(int nb, int k, int kinds[], int xos[])
{
    /* recursive balanced tree: split at m = (lo + hi - 1) / 2; the left
     * side passes the allpasses of the right side's crossovers, and the
     * other way round */
    int lo = 0, hi = nb - 1, n = 0;
    while (lo < hi) {
        int m = (lo + hi - 1) / 2;
        if (k <= m) {
            kinds[n] = LP4, xos[n++] = m;
            for (int j = m + 1; j < hi; j++)
                kinds[n] = AP2, xos[n++] = j;
            hi = m;
        } else {
            kinds[n] = HP4, xos[n++] = m;
            for (int j = lo; j < m; j++)
                kinds[n] = AP2, xos[n++] = j;
            lo = m + 1;
        }
    }
    return n;
}

/* --------------------------------------------------------- helpers */

/* Impulse responses of every band, n samples, channel 0 of `nch`. */
static void band_impulses(sm_xover *xo, int n, double **out)
{
    int S = xo->stride;
    double *in = calloc((size_t)n * S, sizeof *in);
    double *bands[SM_XOVER_MAXBANDS];
    for (int k = 0; k < xo->nbands; k++)
        bands[k] = calloc((size_t)n * S, sizeof(double));
    in[0] = 1.0;
    sm_xover_process(xo, in, bands, n);
    for (int k = 0; k < xo->nbands; k++) {
        for (int i = 0; i < n; i++)
            out[k][i] = bands[k][(size_t)i * S];
        free(bands[k]);
    }
    free(in);
}

/* |DFT| in dB of h[0..n-1] at f (Goertzel, long double). */
static double dft_db(const double *h, int n, double f, double fs)
{
    long double w = 2.0L * PI * f / fs, c = 2.0L * cosl(w);
    long double s1 = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        long double s = h[i] + c * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    long double re = s1 - s2 * cosl(w), im = s2 * sinl(w);
    return (double)(10.0L * log10l(re * re + im * im));
}

/* A random set of nb - 1 crossovers in [20, 20000] Hz, each at least 1/3
 * octave above the one below (some exactly 1/3 octave). */
static void random_xovers(int nb, double *f)
{
    double third = pow(2.0, 1.0 / 3.0);
    for (;;) {
        double lo = 20.0;
        int ok = 1;
        for (int i = 0; i < nb - 1; i++) {
            double room = log2(20000.0 / lo) - (nb - 2 - i) / 3.0;
            double step = rng_uniform() < 0.3 ? 0.0 : rng_uniform() * room / 2;
            f[i] = (i ? lo * third : lo) * exp2(step);
            if (f[i] > 20000.0)
                ok = 0;
            lo = f[i];
        }
        if (ok)
            return;
    }
}

/* Impulse length after which every response has decayed below 1e-16: the
 * slowest pole pair is the lowest crossover's (Q = 0.707: envelope
 * exp(-2 pi f t / sqrt 2)), and cascades add a few time constants. */
static int response_length(const double *f, int nb, double fs)
{
    double lowest = nb > 1 ? f[0] : 1000.0;
    double tau = sqrt(2.0) / (2.0 * PI * lowest) * fs; /* samples */
    int n = (int)(tau * 45.0) + 1024;
    return n;
}

static const double rates[] = {44100, 48000, 96000, 192000};

/* ------------------------------------------------------------ tests */

/* The sum of the bands equals the allpass cascade of the reference, for
 * every band count, at every rate, for default and random crossovers; and
 * its magnitude is flat within 0.01 dB from 20 Hz to 20 kHz. */
START_TEST(test_sum_is_allpass_cascade)
{
    int nb = _i + 1;
    rng_state = 0x1234567u + (uint64_t)nb;
    double worst_db = 0, worst_diff = 0;
    for (int r = 0; r < 4; r++) {
        double fs = rates[r];
        for (int set = 0; set < 4; set++) {
            double f[SM_XOVER_MAXBANDS - 1];
            if (set == 0)
                sm_xover_defaults(nb, f);
            else
                random_xovers(nb, f);
            if (nb > 1 && f[nb - 2] > SM_XOVER_MAX_FS * fs)
                continue; /* above the clamp at this rate */
            sm_xover xo;
            ck_assert_int_eq(sm_xover_init(&xo, 2, nb, fs), 0);
            for (int i = 0; i < nb - 1; i++)
                sm_xover_set_freq(&xo, i, f[i], 0);
            int n = response_length(f, nb, fs);
            double *h[SM_XOVER_MAXBANDS];
            for (int k = 0; k < nb; k++)
                h[k] = malloc(sizeof(double) * n);
            band_impulses(&xo, n, h);
            double *sum = calloc(n, sizeof *sum);
            for (int k = 0; k < nb; k++)
                for (int i = 0; i < n; i++)
                    sum[i] += h[k][i];
            /* reference: the allpass cascade */
            long double *ref = calloc(n, sizeof *ref);
            ref[0] = 1.0L;
            for (int i = 0; i < nb - 1; i++)
                section(ref, n, AP2, f[i], fs);
            double maxdiff = 0, l1 = 0;
            for (int i = 0; i < n; i++) {
                double d = fabs(sum[i] - (double)ref[i]);
                maxdiff = d > maxdiff ? d : maxdiff;
                l1 += d;
            }
            /* |H_sum - H_ref| <= sum |h_sum - h_ref| at every frequency,
             * and |H_ref| = 1: a bound on the magnitude error */
            ck_assert_msg(l1 < 1e-6,
                          "%d bands, %g Hz, set %d: sum differs from the "
                          "allpass cascade (L1 %g, max %g)",
                          nb, fs, set, l1, maxdiff);
            worst_diff = maxdiff > worst_diff ? maxdiff : worst_diff;
            /* the magnitude itself, by DFT, 20 Hz .. 20 kHz */
            if (set < 2)
                for (double fr = 20.0; fr <= 20000.0 && fr < 0.5 * fs;
                     fr *= pow(2.0, 1.0 / 6.0)) {
                    double db = dft_db(sum, n, fr, fs);
                    ck_assert_msg(fabs(db) <= 0.01,
                                  "%d bands, %g Hz: %.4f dB at %g Hz", nb, fs,
                                  db, fr);
                    worst_db = fabs(db) > worst_db ? fabs(db) : worst_db;
                }
            free(ref);
            free(sum);
            for (int k = 0; k < nb; k++)
                free(h[k]);
        }
    }
    if (verbose())
        printf("%d bands: sum magnitude within %.3g dB, max deviation from "
               "the allpass cascade %.3g\n",
               nb, worst_db, worst_diff);
}
END_TEST

/* Each band is the product of the sections on its way through the tree. */
START_TEST(test_bands_match_reference_tree)
{
    int nb = _i + 2;
    double fs = 48000;
    rng_state = 0xABCDEFu + (uint64_t)nb;
    for (int set = 0; set < 3; set++) {
        double f[SM_XOVER_MAXBANDS - 1];
        if (set == 0)
            sm_xover_defaults(nb, f);
        else
            random_xovers(nb, f);
        sm_xover xo;
        sm_xover_init(&xo, 1, nb, fs);
        for (int i = 0; i < nb - 1; i++)
            sm_xover_set_freq(&xo, i, f[i], 0);
        int n = response_length(f, nb, fs);
        double *h[SM_XOVER_MAXBANDS];
        for (int k = 0; k < nb; k++)
            h[k] = malloc(sizeof(double) * n);
        band_impulses(&xo, n, h);
        long double *ref = malloc(sizeof *ref * n);
        for (int k = 0; k < nb; k++) {
            int kinds[16], xos[16];
            int m = path(nb, k, kinds, xos);
            memset(ref, 0, sizeof *ref * n);
            ref[0] = 1.0L;
            for (int s = 0; s < m; s++)
                section(ref, n, kinds[s], f[xos[s]], fs);
            double maxdiff = 0;
            for (int i = 0; i < n; i++) {
                double d = fabs(h[k][i] - (double)ref[i]);
                maxdiff = d > maxdiff ? d : maxdiff;
            }
            ck_assert_msg(maxdiff < 1e-9,
                          "%d bands, set %d, band %d: differs from the "
                          "reference by %g",
                          nb, set, k + 1, maxdiff);
            /* and an analytic landmark: at a crossover with no other one
             * within 2 octaves, both neighbours are -6.02 dB (LR4) */
            for (int j = 0; j < nb - 1; j++) {
                if ((j > 0 && f[j] / f[j - 1] < 4) ||
                    (j < nb - 2 && f[j + 1] / f[j] < 4))
                    continue;
                if (k != j && k != j + 1)
                    continue;
                double db = dft_db(h[k], n, f[j], fs);
                ck_assert_msg(fabs(db + 6.0206) < 0.05,
                              "band %d at crossover %g Hz: %.3f dB", k + 1,
                              f[j], db);
            }
        }
        free(ref);
        for (int k = 0; k < nb; k++)
            free(h[k]);
    }
}
END_TEST

/* Every channel is filtered the same, independently; odd channel counts
 * and block sizes do not matter. */
START_TEST(test_channels_and_blocks)
{
    const int nb = 5, nch = 3, n = 5000;
    sm_xover a, b;
    sm_xover_init(&a, nch, nb, 44100);
    sm_xover_init(&b, nch, nb, 44100);
    int S = a.stride;
    ck_assert_int_eq(S, 4);
    double *in = calloc((size_t)n * S, sizeof *in);
    rng_state = 77;
    for (int i = 0; i < n; i++)
        for (int c = 0; c < nch; c++)
            in[i * S + c] = (c + 1) * (2 * rng_uniform() - 1);
    double *ba[SM_XOVER_MAXBANDS], *bb[SM_XOVER_MAXBANDS];
    for (int k = 0; k < nb; k++) {
        ba[k] = calloc((size_t)n * S, sizeof(double));
        bb[k] = calloc((size_t)n * S, sizeof(double));
    }
    sm_xover_process(&a, in, ba, n);
    /* the same in odd pieces */
    int sizes[] = {1, 7, 64, 65, 200, 1000, 3};
    for (int i = 0, p = 0; i < n; p++) {
        int m = sizes[p % 7];
        m = m < n - i ? m : n - i;
        double *o[SM_XOVER_MAXBANDS];
        for (int k = 0; k < nb; k++)
            o[k] = bb[k] + (size_t)i * S;
        sm_xover_process(&b, in + (size_t)i * S, o, m);
        i += m;
    }
    for (int k = 0; k < nb; k++)
        for (int i = 0; i < n; i++)
            for (int c = 0; c < nch; c++)
                ck_assert(ba[k][i * S + c] == bb[k][i * S + c]);
    /* linearity per channel: a unit impulse on channel 2 only gives the
     * same responses as on channel 0 */
    sm_xover c1, c2;
    sm_xover_init(&c1, nch, nb, 44100);
    sm_xover_init(&c2, nch, nb, 44100);
    memset(in, 0, sizeof(double) * n * S);
    in[0] = 1.0;
    sm_xover_process(&c1, in, ba, 2000);
    in[0] = 0.0;
    in[2] = 1.0;
    sm_xover_process(&c2, in, bb, 2000);
    for (int k = 0; k < nb; k++)
        for (int i = 0; i < 2000; i++) {
            ck_assert(ba[k][i * S] == bb[k][i * S + 2]);
            ck_assert(bb[k][i * S] == 0.0 && ba[k][i * S + 2] == 0.0);
        }
    for (int k = 0; k < nb; k++) {
        free(ba[k]);
        free(bb[k]);
    }
    free(in);
}
END_TEST

/* A moving crossover glides: the summed output of a sine stays a smooth
 * sine of nearly constant amplitude, with no step. A jump of the same
 * size (glide 0) is shown to trip the same detector, so the test can fail.
 *
 * Detector: the third difference of the output. For a sine of amplitude A
 * at w = 2 pi f / fs it is at most A (2 sin(w/2))^3; a step of size d adds
 * about d. */
static double glide_run(int glide, double *min_amp, double *max_amp)
{
    const double fs = 48000, f = 300;
    const int nb = 4, n = 48000;
    sm_xover xo;
    sm_xover_init(&xo, 2, nb, fs);
    sm_xover_set_freq(&xo, 0, 150, 0);
    sm_xover_set_freq(&xo, 1, 1000, 0);
    sm_xover_set_freq(&xo, 2, 6000, 0);
    int S = xo.stride;
    double *in = malloc(sizeof(double) * 64 * S);
    double *b[SM_XOVER_MAXBANDS];
    for (int k = 0; k < nb; k++)
        b[k] = malloc(sizeof(double) * 64 * S);
    double y[3] = {0, 0, 0}, worst = 0;
    *min_amp = 1e9;
    *max_amp = 0;
    double env = 0;
    for (int blk = 0; blk < n / 64; blk++) {
        if (blk == 450) { /* 0.6 s: move crossover 1 across the sine */
            sm_xover_set_freq(&xo, 0, 600, glide);
            sm_xover_set_freq(&xo, 1, 2000, glide);
        }
        for (int i = 0; i < 64; i++) {
            double t = (blk * 64 + i) / fs;
            in[i * S] = in[i * S + 1] = sin(2 * PI * f * t);
        }
        sm_xover_process(&xo, in, b, 64);
        for (int i = 0; i < 64; i++) {
            double s = 0;
            for (int k = 0; k < nb; k++)
                s += b[k][i * S];
            double d3 = s - 3 * y[0] + 3 * y[1] - y[2];
            y[2] = y[1];
            y[1] = y[0];
            y[0] = s;
            long at = blk * 64L + i;
            if (at > 24000) { /* settled */
                worst = fabs(d3) > worst ? fabs(d3) : worst;
                /* peak envelope over each period */
                env = fabs(s) > env ? fabs(s) : env;
                if (at % 160 == 0) {
                    if (at > 24160) {
                        *min_amp = env < *min_amp ? env : *min_amp;
                        *max_amp = env > *max_amp ? env : *max_amp;
                    }
                    env = 0;
                }
            }
        }
    }
    for (int k = 0; k < nb; k++)
        free(b[k]);
    free(in);
    return worst;
}

START_TEST(test_glide_is_smooth)
{
    double lo, hi;
    double w = 2 * PI * 300 / 48000;
    double sine_d3 = pow(2 * sin(w / 2), 3);
    double glided = glide_run(1, &lo, &hi);
    if (verbose())
        printf("glide: third difference max %.3g (sine alone %.3g), "
               "amplitude %.4f..%.4f\n",
               glided, sine_d3, lo, hi);
    /* no step: within a few times the sine's own third difference */
    ck_assert_msg(glided < 3 * sine_d3, "glide: third difference %g (sine %g)",
                  glided, sine_d3);
    /* the sum stays nearly allpass while moving: a time-varying allpass
     * is not exactly unit gain; for this two-octave move within
     * SM_XOVER_GLIDE_MS (100 ms) the envelope stays within 0.25 dB (0.7 dB
     * for 20 ms, 0.07 dB for 200 ms: it scales with the speed) */
    ck_assert_msg(lo > pow(10, -0.25 / 20) && hi < pow(10, 0.25 / 20),
                  "glide: amplitude %g..%g", lo, hi);
    double jumped = glide_run(0, &lo, &hi);
    if (verbose())
        printf("jump: third difference max %.3g\n", jumped);
    ck_assert_msg(jumped > 10 * sine_d3,
                  "the step detector does not see a jump (%g)", jumped);
}
END_TEST

/* The glide ends on the requested frequency after SM_XOVER_GLIDE_MS, and
 * then the filters are the static ones (same output as a fresh crossover
 * fed the same signal from a state-matched start is hard to build, so:
 * the impulse response after the glide equals that of the target). */
START_TEST(test_glide_lands)
{
    const double fs = 44100;
    sm_xover a, b;
    sm_xover_init(&a, 2, 3, fs);
    sm_xover_init(&b, 2, 3, fs);
    sm_xover_set_freq(&a, 0, 200, 0);
    sm_xover_set_freq(&a, 1, 3000, 0);
    sm_xover_set_freq(&b, 0, 400, 0);
    sm_xover_set_freq(&b, 1, 3000, 0);
    sm_xover_set_freq(&a, 0, 400, 1);
    int S = a.stride, n = (int)(SM_XOVER_GLIDE_MS * 0.001 * fs) + 10;
    double *in = calloc((size_t)n * S, sizeof *in);
    double *bands[3];
    for (int k = 0; k < 3; k++)
        bands[k] = calloc((size_t)n * S, sizeof(double));
    sm_xover_process(&a, in, bands, n); /* silence while gliding */
    ck_assert(fabs(sm_xover_freq_now(&a, 0) - 400) < 1e-9);
    ck_assert(fabs(sm_xover_freq_now(&a, 0) - 400) < 1e-9);
    in[0] = 1;
    double *b2[3];
    for (int k = 0; k < 3; k++)
        b2[k] = calloc((size_t)n * S, sizeof(double));
    sm_xover_process(&a, in, bands, n);
    sm_xover_process(&b, in, b2, n);
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < n * S; i++)
            ck_assert(fabs(bands[k][i] - b2[k][i]) < 1e-12);
    for (int k = 0; k < 3; k++) {
        free(bands[k]);
        free(b2[k]);
    }
    free(in);
}
END_TEST

/* Mapping the filter memory through the M/S matrix: after the switch the
 * bands are exactly the M/S encoding of what the filters would have given
 * on L/R, and mapping back restores L/R. */
START_TEST(test_mix_pairs)
{
    const int nb = 4, n = 3000;
    sm_xover lr, ms;
    sm_xover_init(&lr, 2, nb, 48000);
    sm_xover_init(&ms, 2, nb, 48000);
    int S = lr.stride;
    double *in = malloc(sizeof(double) * n * S),
           *enc = malloc(sizeof(double) * n * S);
    rng_state = 5;
    for (int i = 0; i < n * S; i++)
        in[i] = 2 * rng_uniform() - 1;
    for (int i = 0; i < n; i++) {
        enc[i * S] = 0.5 * (in[i * S] + in[i * S + 1]);
        enc[i * S + 1] = 0.5 * (in[i * S] - in[i * S + 1]);
    }
    double *a[SM_XOVER_MAXBANDS], *b[SM_XOVER_MAXBANDS];
    for (int k = 0; k < nb; k++) {
        a[k] = malloc(sizeof(double) * n * S);
        b[k] = malloc(sizeof(double) * n * S);
    }
    int half = n / 2;
    sm_xover_process(&lr, in, a, n);
    sm_xover_process(&ms, in, b, half); /* L/R first ... */
    sm_xover_mix_pairs(&ms, 0.5, 0.5, 0.5, -0.5);
    double *o[SM_XOVER_MAXBANDS];
    for (int k = 0; k < nb; k++)
        o[k] = b[k] + half * S;
    sm_xover_process(&ms, enc + half * S, o, n - half); /* ... then M/S */
    for (int k = 0; k < nb; k++)
        for (int i = half; i < n; i++) {
            double m = 0.5 * (a[k][i * S] + a[k][i * S + 1]);
            double s = 0.5 * (a[k][i * S] - a[k][i * S + 1]);
            ck_assert(fabs(b[k][i * S] - m) < 1e-12);
            ck_assert(fabs(b[k][i * S + 1] - s) < 1e-12);
        }
    for (int k = 0; k < nb; k++) {
        free(a[k]);
        free(b[k]);
    }
    free(in);
    free(enc);
}
END_TEST

/* Denormals never appear in the filter memory after the input stops, and
 * reset zeroes it. */
START_TEST(test_silence_and_reset)
{
    sm_xover xo;
    sm_xover_init(&xo, 2, 6, 192000);
    int S = xo.stride, n = 4096;
    double *in = calloc((size_t)n * S, sizeof *in);
    double *b[SM_XOVER_MAXBANDS];
    for (int k = 0; k < 6; k++)
        b[k] = calloc((size_t)n * S, sizeof(double));
    in[0] = in[1] = 1e-30;
    for (int r = 0; r < 400; r++) {
        sm_xover_process(&xo, in, b, n);
        in[0] = in[1] = 0;
        for (int s = 0; s < SM_XOVER_MAXSVF; s++)
            for (int k = 0; k < 2; k++)
                for (int c = 0; c < S; c++) {
                    double v = xo.state[s][k][c];
                    ck_assert(v == 0.0 || fabs(v) >= 1e-300);
                }
    }
    in[0] = 1;
    sm_xover_process(&xo, in, b, n);
    sm_xover_reset(&xo);
    for (int s = 0; s < SM_XOVER_MAXSVF; s++)
        for (int k = 0; k < 2; k++)
            for (int c = 0; c < S; c++)
                ck_assert(xo.state[s][k][c] == 0.0);
    for (int k = 0; k < 6; k++)
        free(b[k]);
    free(in);
}
END_TEST

START_TEST(test_init_and_clamps)
{
    sm_xover xo;
    ck_assert_int_eq(sm_xover_init(&xo, 0, 4, 48000), -1);
    ck_assert_int_eq(sm_xover_init(&xo, 9, 4, 48000), -1);
    ck_assert_int_eq(sm_xover_init(&xo, 2, 0, 48000), -1);
    ck_assert_int_eq(sm_xover_init(&xo, 2, 7, 48000), -1);
    ck_assert_int_eq(sm_xover_init(&xo, 2, 4, 0), -1);
    ck_assert_int_eq(sm_xover_init(&xo, 2, 4, 44100), 0);
    sm_xover_set_freq(&xo, 2, 30000, 0); /* above 0.45 fs */
    ck_assert(fabs(sm_xover_freq_now(&xo, 2) - 0.45 * 44100) < 1e-6);
    sm_xover_set_freq(&xo, 0, 1, 0);
    ck_assert(fabs(sm_xover_freq_now(&xo, 0) - SM_XOVER_MIN_HZ) < 1e-9);
    sm_xover_set_freq(&xo, 0, NAN, 0);
    ck_assert(fabs(sm_xover_freq_now(&xo, 0) - SM_XOVER_MIN_HZ) < 1e-9);
    /* a rate change keeps the requested frequency */
    sm_xover_set_freq(&xo, 2, 20000, 0);
    sm_xover_set_samplerate(&xo, 96000);
    ck_assert(fabs(sm_xover_freq_now(&xo, 2) - 20000) < 1e-6);
}
END_TEST

static Suite *crossover_suite(void)
{
    Suite *s = suite_create("crossover");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_sum_is_allpass_cascade, 0, 6);
    tcase_add_loop_test(tc, test_bands_match_reference_tree, 0, 5);
    tcase_add_test(tc, test_channels_and_blocks);
    tcase_add_test(tc, test_glide_is_smooth);
    tcase_add_test(tc, test_glide_lands);
    tcase_add_test(tc, test_mix_pairs);
    tcase_add_test(tc, test_silence_and_reset);
    tcase_add_test(tc, test_init_and_clamps);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    SRunner *sr = srunner_create(crossover_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
