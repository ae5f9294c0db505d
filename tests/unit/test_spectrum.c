/* test_spectrum.c - unit tests of the 1/3-octave analyser
 * (externals/dsp/spectrum.[ch]) and of its gated averages (ltas.[ch]).
 *
 * Where the expected values come from (none from the code under test):
 *  - IEC 61260-1 base-10 bands: centres 1000 * 10^(x/10) Hz, edges a factor
 *    10^(1/20) either side.
 *  - A sine of amplitude A has mean square A^2/2: its band reads
 *    20 log10(A) - 3.0103 dB (spectrum.h's convention).
 *  - Test noise is built here as a sum of cosines on the 2^20-point grid
 *    with chosen amplitudes and random phases (inverse FFT by the small
 *    radix-2 FFT below, independent of KissFFT), looped: its band powers are
 *    exactly sum A_k^2 / 2 over the components inside each band. Pink:
 *    A_k^2 proportional to 1/f (equal power per band, tilt 0); white: A_k
 *    constant (band power proportional to band width, tilt 10 log10 2 =
 *    3.0103 dB per octave).
 *  - Gating and exponential averaging: BS.1770 gate arithmetic and
 *    geometric/exponential weights, worked out in each test.
 *
 * Set SM_TEST_VERBOSE=1 to print measured values.
 */
#define _POSIX_C_SOURCE 200809L
#include "ltas.h"
#include "numerics.h"
#include "spectrum.h"

#include <check.h>
#include <complex.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kiss_fftr.h>

/* ----------------------------------------------------------- helpers */

static int verbose(void)
{
    const char *v = getenv("SM_TEST_VERBOSE");
    return v && *v && *v != '0';
}

#define NEAR(v, e, tol, what)                                                  \
    ck_assert_msg(fabs((v) - (e)) <= (tol), "%s: %.6f, expected %.6f +- %g",   \
                  what, (double)(v), (double)(e), (double)(tol))

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static void rng_seed(uint64_t s)
{
    rng_state = s ? s : 1;
}
static double rng_uniform(void) /* [0, 1) */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ull) >> 11) /
           9007199254740992.0;
}

static double sine_db(double amp)
{
    return 20.0 * log10(amp) - 10.0 * log10(2.0);
}

/* x[i] += a sin(2 pi f i + ph), f in cycles per sample, by rotating a
 * phasor in double precision (exact to about 1e-12 over a few seconds). */
static void add_sine(float *x, long n, double a, double f, double ph)
{
    double c = cos(2.0 * SM_PI * f), sn = sin(2.0 * SM_PI * f);
    double re = cos(ph), im = sin(ph);
    for (long i = 0; i < n; i++) {
        x[i] += (float)(a * im);
        double t = re * c - im * sn;
        im = re * sn + im * c;
        re = t;
        if ((i & 4095) == 4095) { /* keep |phasor| = 1 */
            double g = 1.0 / sqrt(re * re + im * im);
            re *= g;
            im *= g;
        }
    }
}

/* Feeds n frames (ch[c][i]) in blocks. */
static void feed(sm_spectrum *s, float *const *ch, long n, int block)
{
    const float *in[2];
    for (long off = 0; off < n; off += block) {
        int k = (int)(n - off < block ? n - off : block);
        in[0] = ch[0] + off;
        in[1] = ch[1] + off;
        sm_spectrum_process(s, in, k);
    }
}

/* In-place radix-2 complex FFT, sign +1 (inverse, unscaled). */
static void fft_inverse(double complex *x, long n)
{
    for (long i = 1, j = 0; i < n; i++) {
        long bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) {
            double complex t = x[i];
            x[i] = x[j];
            x[j] = t;
        }
    }
    for (long len = 2; len <= n; len <<= 1) {
        double complex wl = cexp(2.0 * SM_PI * I / len);
        for (long i = 0; i < n; i += len) {
            double complex w = 1.0;
            for (long k = 0; k < len / 2; k++) {
                double complex u = x[i + k], v = x[i + k + len / 2] * w;
                x[i + k] = u + v;
                x[i + k + len / 2] = u - v;
                w *= wl;
            }
        }
    }
}

#define NOISE_LOG2 20
enum { PINK, WHITE };

/* One period (2^20 samples) of noise: cosines at k fs / n for the k with
 * 10 Hz <= f <= 0.999 fs/2, amplitude^2 proportional to 1/f (pink) or
 * constant (white), random phases; scaled to an RMS of 0.1. band[b]
 * receives each band's exact power (sum of A_k^2 / 2 inside the band). */
static float *noise_period(double fs, int kind, uint64_t seed, double *band)
{
    long n = 1L << NOISE_LOG2;
    double complex *z = calloc((size_t)n, sizeof *z);
    double *amp2 = calloc((size_t)n / 2, sizeof *amp2);
    float *x = malloc(sizeof(float) * (size_t)n);
    ck_assert(z && amp2 && x);
    rng_seed(seed);
    double total = 0.0;
    for (long k = 1; k < n / 2; k++) {
        double f = k * fs / n, ph = 2.0 * SM_PI * rng_uniform();
        if (f < 10.0 || f > 0.999 * fs / 2)
            continue;
        amp2[k] = kind == PINK ? 1.0 / f : 1.0;
        total += amp2[k] / 2;
        z[k] = 0.5 * sqrt(amp2[k]) * cexp(I * ph);
        z[n - k] = conj(z[k]);
    }
    fft_inverse(z, n);
    double g2 = 0.01 / total; /* RMS 0.1 */
    for (long i = 0; i < n; i++)
        x[i] = (float)(creal(z[i]) * sqrt(g2));
    for (int b = 0; b < SM_SPECTRUM_BANDS; b++) {
        double lo = sm_spectrum_edge_hz(b, 0), hi = sm_spectrum_edge_hz(b, 1);
        band[b] = 0.0;
        for (long k = 1; k < n / 2; k++) {
            double f = k * fs / n;
            if (f >= lo && f < hi)
                band[b] += g2 * amp2[k] / 2;
        }
    }
    free(z);
    free(amp2);
    return x;
}

/* `periods` loops of a period into a new buffer. */
static float *loop(const float *x, double periods)
{
    long n = 1L << NOISE_LOG2, m = (long)(periods * n);
    float *y = malloc(sizeof(float) * (size_t)m);
    ck_assert_ptr_nonnull(y);
    for (long i = 0; i < m; i++)
        y[i] = x[i % n];
    return y;
}

/* ------------------------------------------------------- band table */

START_TEST(test_band_table)
{
    for (int b = 0; b < SM_SPECTRUM_BANDS; b++) {
        double fm = 1000.0 * pow(10.0, (b - 17) / 10.0);
        NEAR(sm_spectrum_centre_hz(b), fm, 1e-9 * fm, "centre");
        NEAR(sm_spectrum_edge_hz(b, 0), fm / pow(10.0, 0.05), 1e-9 * fm,
             "lower edge");
        NEAR(sm_spectrum_edge_hz(b, 1), fm * pow(10.0, 0.05), 1e-9 * fm,
             "upper edge");
        if (b > 0) /* contiguous */
            NEAR(sm_spectrum_edge_hz(b, 0), sm_spectrum_edge_hz(b - 1, 1),
                 1e-9 * fm, "edges meet");
        /* IEC nominal labels are within 1 % of the exact centres */
        NEAR(sm_spectrum_nominal_hz(b), fm, 0.01 * fm, "nominal");
    }
    ck_assert(sm_spectrum_nominal_hz(0) == 20.0);
    ck_assert(sm_spectrum_nominal_hz(17) == 1000.0);
    ck_assert(sm_spectrum_nominal_hz(30) == 20000.0);
    ck_assert(sm_spectrum_nominal_hz(2) == 31.5);
}
END_TEST

/* Every band below Nyquist gets at least SM_SPECTRUM_MINBINS bins, at the
 * coarsest spacing that does (fs / size / 2^k: half of it would give fewer);
 * a decimated path runs at least 16 times its bands' top edge (what aliases
 * into them is then > 80 dB down: the last binomial stage passes
 * sin^4(pi / 32) there), and bin spacing = its rate / its FFT size. */
START_TEST(test_resolution_per_band)
{
    static const double rates[] = {44100, 48000, 96000, 192000};
    static const int sizes[] = {1024, 4096, 65536};
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 3; j++) {
            sm_spectrum s;
            double fs = rates[i];
            ck_assert_int_eq(sm_spectrum_init(&s, 2, fs, sizes[j], 0), 0);
            for (int b = 0; b < SM_SPECTRUM_BANDS; b++) {
                double w =
                    sm_spectrum_edge_hz(b, 1) - sm_spectrum_edge_hz(b, 0);
                double df = sm_spectrum_band_bin_hz(&s, b);
                int d = sm_spectrum_band_decimation(&s, b);
                int n = sm_spectrum_band_fft_size(&s, b);
                ck_assert_int_gt(d, 0);
                ck_assert_msg(w / df >= SM_SPECTRUM_MINBINS,
                              "%g Hz at %g Hz size %d: %g bins", w, fs,
                              sizes[j], w / df);
                double k = log2(fs / sizes[j] / df);
                NEAR(k, floor(k + 0.5), 1e-9, "spacing fs / size / 2^k");
                if (k > 0.5)
                    ck_assert(w / (2 * df) < SM_SPECTRUM_MINBINS);
                if (d > 1)
                    ck_assert(fs / d >= 16 * sm_spectrum_edge_hz(b, 1));
                NEAR(df, fs / d / n, 1e-9, "bin spacing");
                ck_assert(n >= 256 && (n & (n - 1)) == 0);
            }
            sm_spectrum_free(&s);
        }
}
END_TEST

/* -------------------------------------------------------------- sines */

/* Sines in every third band (one octave apart), amplitudes stepping by
 * 3 dB, at `where` inside each band: 0..4 are offsets of -1/12, -1/24, 0,
 * 1/24, 1/12 octave from the centre, 5 the FFT bin nearest the centre, 6
 * half-way between two bins. Warm-up 1.5 s, reset, 2.5 s measured. Returns
 * the worst error in dB. */
static double sine_run(double fs, int size, int group, int where)
{
    static const double oct[] = {-1.0 / 12, -1.0 / 24, 0, 1.0 / 24, 1.0 / 12};
    sm_spectrum s;
    ck_assert_int_eq(sm_spectrum_init(&s, 2, fs, size, 0), 0);
    long warm = (long)(1.5 * fs), n = (long)(4.0 * fs);
    float *x = calloc((size_t)n, sizeof(float));
    double amp[SM_SPECTRUM_BANDS] = {0}, freq[SM_SPECTRUM_BANDS] = {0};
    ck_assert_ptr_nonnull(x);
    for (int b = group; b < SM_SPECTRUM_BANDS; b += 3) {
        double fm = sm_spectrum_centre_hz(b),
               df = sm_spectrum_band_bin_hz(&s, b);
        if (where < 5)
            freq[b] = fm * pow(2.0, oct[where]);
        else
            freq[b] = (floor(fm / df + 0.5) + (where == 6 ? 0.5 : 0.0)) * df;
        if (freq[b] > 0.98 * fs / 2) {
            freq[b] = 0.0;
            continue;
        }
        amp[b] = 0.25 * pow(10.0, -3.0 * (b % 5) / 20.0);
        add_sine(x, n, amp[b], freq[b] / fs, 2.0 * SM_PI * rng_uniform());
    }
    float *ch[2] = {x, x};
    feed(&s, ch, warm, 64);
    sm_spectrum_reset(&s);
    float *rest[2] = {x + warm, x + warm};
    feed(&s, rest, n - warm, 64);
    sm_spectrum_readings r;
    sm_spectrum_read(&s, &r);
    double worst = 0.0;
    for (int b = group; b < SM_SPECTRUM_BANDS; b += 3) {
        if (freq[b] == 0.0)
            continue;
        double err = r.mid_db[b] - sine_db(amp[b]);
        ck_assert_msg(fabs(err) <= 0.1,
                      "%g Hz size %d: sine %.3f Hz in band %g reads %.4f dB, "
                      "expected %.4f",
                      fs, size, freq[b], sm_spectrum_nominal_hz(b), r.mid_db[b],
                      sine_db(amp[b]));
        ck_assert(r.side_db[b] == SM_FLOOR_DB); /* identical channels */
        if (fabs(err) > fabs(worst))
            worst = err;
    }
    free(x);
    sm_spectrum_free(&s);
    return worst;
}

/* The issue asks for +-0.2 dB; spectrum.h promises 0.1 for sines at least
 * 1/12 octave inside their band, at any position between bins. */
START_TEST(test_sine_levels)
{
    static const double rates[] = {44100, 48000, 96000, 192000};
    double fs = rates[_i], worst = 0.0;
    rng_seed(100 + _i);
    for (int where = 0; where < 7; where++)
        for (int g = 0; g < 3; g++) {
            double e = sine_run(fs, 4096, g, where);
            worst = fabs(e) > fabs(worst) ? e : worst;
        }
    if (verbose())
        printf("sines at %g Hz, size 4096: worst error %.4f dB\n", fs, worst);
}
END_TEST

START_TEST(test_sine_levels_other_sizes)
{
    static const int sizes[] = {1024, 16384, 65536};
    double worst = 0.0;
    rng_seed(7);
    for (int where = 0; where < 7; where += 2)
        for (int g = 0; g < 3; g++) {
            double e = sine_run(48000, sizes[_i], g, where);
            worst = fabs(e) > fabs(worst) ? e : worst;
        }
    if (verbose())
        printf("sines at 48 kHz, size %d: worst error %.4f dB\n", sizes[_i],
               worst);
}
END_TEST

/* Aliasing: a full-scale sine at the frequency that the last decimator of
 * a band's path folds onto the band centre (half that stage's input rate
 * less the centre) must stay more than 80 dB under its own level there
 * (spectrum.h: the path's rate is at least 16 times its top band edge). */
START_TEST(test_alias_rejection)
{
    static const double rates[] = {44100, 48000, 96000, 192000};
    double fs = rates[_i], worst = -300.0;
    sm_spectrum probe;
    ck_assert_int_eq(sm_spectrum_init(&probe, 2, fs, 4096, 0), 0);
    for (int b = 0; b < SM_SPECTRUM_BANDS; b++) {
        int d = sm_spectrum_band_decimation(&probe, b);
        if (d < 2)
            continue;
        double rin = 2.0 * fs / d, f = 0.5 * rin - sm_spectrum_centre_hz(b);
        sm_spectrum s;
        ck_assert_int_eq(sm_spectrum_init(&s, 2, fs, 4096, 0), 0);
        sm_spectrum_set_gate(&s, 0);
        long n = (long)(3.0 * fs);
        float *x = malloc(sizeof(float) * n);
        ck_assert_ptr_nonnull(x);
        for (long i = 0; i < n; i++)
            x[i] = 0.0f;
        add_sine(x, n, 1.0, f / fs, 0.0);
        float *ch[2] = {x, x};
        feed(&s, ch, n, 64);
        sm_spectrum_readings r;
        sm_spectrum_read(&s, &r);
        double rel = r.mid_db[b] - sine_db(1.0);
        ck_assert_msg(rel < -80.0,
                      "%g Hz: %.1f Hz folds into band %g at %.1f dB", fs, f,
                      sm_spectrum_nominal_hz(b), rel);
        worst = rel > worst ? rel : worst;
        sm_spectrum_free(&s);
        free(x);
    }
    if (verbose())
        printf("aliasing at %g Hz: at most %.1f dB\n", fs, worst);
    sm_spectrum_free(&probe);
}
END_TEST

/* -------------------------------------------------------------- noise */

/* Band levels of two periods of periodic noise on both channels. */
static void noise_bands(double fs, int kind, sm_spectrum_readings *r,
                        double *expect)
{
    float *p = noise_period(fs, kind, 11, expect);
    float *x = loop(p, 2.0);
    sm_spectrum s;
    ck_assert_int_eq(sm_spectrum_init(&s, 2, fs, 4096, 0), 0);
    float *ch[2] = {x, x};
    feed(&s, ch, 2L << NOISE_LOG2, 64);
    sm_spectrum_read(&s, r);
    sm_spectrum_free(&s);
    free(p);
    free(x);
}

START_TEST(test_pink_noise_flat)
{
    static const double rates[] = {48000, 44100};
    double fs = rates[_i], expect[SM_SPECTRUM_BANDS], mean = 0.0;
    sm_spectrum_readings r;
    noise_bands(fs, PINK, &r, expect);
    int top = fs > 45000 ? SM_SPECTRUM_BANDS - 1 : SM_SPECTRUM_BANDS - 2;
    for (int b = 0; b <= top; b++)
        mean += r.mid_db[b];
    mean /= top + 1;
    for (int b = 0; b < SM_SPECTRUM_BANDS; b++) {
        double e = 10 * log10(expect[b]);
        if (verbose())
            printf("pink %g Hz: band %g: %.3f dB, signal %.3f, error %.3f\n",
                   fs, sm_spectrum_nominal_hz(b), r.mid_db[b], e,
                   r.mid_db[b] - e);
        /* the signal's own band power */
        NEAR(r.mid_db[b], e, 0.25, "pink band vs its power");
        /* flat (the top band at 44.1 kHz ends at Nyquist, 0.3 dB short) */
        if (b <= top)
            NEAR(r.mid_db[b], mean, 0.5, "pink band vs mean of bands");
    }
    NEAR(r.tilt_db_oct, 0.0, 0.1, "pink tilt");
    if (verbose())
        printf("pink %g Hz: tilt %.4f dB/oct\n", fs, r.tilt_db_oct);
}
END_TEST

START_TEST(test_white_noise_tilt)
{
    double expect[SM_SPECTRUM_BANDS];
    sm_spectrum_readings r;
    noise_bands(48000, WHITE, &r, expect);
    for (int b = 0; b < SM_SPECTRUM_BANDS; b++)
        NEAR(r.mid_db[b], 10 * log10(expect[b]), 0.25, "white band");
    NEAR(r.tilt_db_oct, 10 * log10(2.0), 0.1, "white tilt");
    /* flat to 23.976 kHz: the centroid of a flat spectrum is its middle */
    NEAR(r.centroid_hz, 0.5 * (10.0 + 0.999 * 24000.0), 0.01 * 12000,
         "white centroid");
    if (verbose())
        printf("white: tilt %.4f dB/oct, centroid %.1f Hz\n", r.tilt_db_oct,
               r.centroid_hz);
}
END_TEST

/* ------------------------------------------------------- stereo image */

static void image_run(float *l, float *r, long n, int nch,
                      sm_spectrum_readings *out)
{
    sm_spectrum s;
    ck_assert_int_eq(sm_spectrum_init(&s, nch, 48000, 4096, 0), 0);
    float *ch[2] = {l, r};
    feed(&s, ch, n, 64);
    sm_spectrum_read(&s, out);
    sm_spectrum_free(&s);
}

START_TEST(test_stereo_image)
{
    double e[SM_SPECTRUM_BANDS];
    long n = 1L << NOISE_LOG2;
    float *a = noise_period(48000, WHITE, 21, e);
    float *b = noise_period(48000, WHITE, 22, e);
    float *neg = malloc(sizeof(float) * n), *half = malloc(sizeof(float) * n);
    float *zero = calloc((size_t)n, sizeof(float));
    ck_assert(neg && half && zero);
    for (long i = 0; i < n; i++) {
        neg[i] = -a[i];
        half[i] = 0.5f * a[i];
    }
    sm_spectrum_readings r;
    image_run(a, a, n, 2, &r); /* identical */
    NEAR(r.correlation, 1.0, 1e-6, "identical correlation");
    ck_assert(r.width_db == -150.0); /* the documented floor */
    NEAR(r.balance_db, 0.0, 1e-6, "identical balance");
    for (int k = 0; k < SM_SPECTRUM_BANDS; k++)
        ck_assert(r.side_db[k] == SM_FLOOR_DB);
    image_run(a, neg, n, 2, &r); /* inverted */
    NEAR(r.correlation, -1.0, 1e-6, "inverted correlation");
    ck_assert(r.width_db == 150.0);
    for (int k = 0; k < SM_SPECTRUM_BANDS; k++)
        ck_assert(r.mid_db[k] == SM_FLOOR_DB);
    image_run(a, b, n, 2, &r); /* independent, equal power */
    ck_assert_msg(fabs(r.correlation) < 0.05, "independent: r = %g",
                  r.correlation);
    NEAR(r.width_db, 0.0, 0.2, "independent width");
    NEAR(r.balance_db, 0.0, 0.2, "independent balance");
    if (verbose())
        printf("independent white noise: r %.4f width %.3f balance %.3f\n",
               r.correlation, r.width_db, r.balance_db);
    image_run(a, half, n, 2, &r); /* R = L / 2 */
    NEAR(r.correlation, 1.0, 1e-6, "R = L/2 correlation");
    NEAR(r.balance_db, 20 * log10(2.0), 0.001, "R = L/2 balance");
    NEAR(r.width_db, 20 * log10(0.25 / 0.75), 0.001, "R = L/2 width");
    image_run(a, zero, n, 2, &r); /* R silent: M = S = L/2 */
    NEAR(r.width_db, 0.0, 0.001, "R silent width");
    ck_assert(r.balance_db == 150.0);
    for (int k = 2; k < SM_SPECTRUM_BANDS; k++)
        NEAR(r.side_db[k], r.mid_db[k], 0.001, "R silent: side = mid");
    image_run(a, NULL, n, 1, &r); /* mono object */
    NEAR(r.correlation, 1.0, 1e-6, "mono correlation");
    ck_assert(r.width_db == -150.0);
    for (int k = 0; k < SM_SPECTRUM_BANDS; k++)
        ck_assert(r.side_db[k] == SM_FLOOR_DB);
    free(a);
    free(b);
    free(neg);
    free(half);
    free(zero);
}
END_TEST

/* The centroid of a sine is its frequency; of two equal sines, their mean. */
START_TEST(test_centroid)
{
    double fs = 48000;
    long n = (long)(3 * fs);
    float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
    ck_assert(x && y);
    for (long i = 0; i < n; i++) {
        x[i] = (float)(0.3 * sin(2 * SM_PI * 1000.0 * i / fs));
        y[i] = (float)(0.3 * sin(2 * SM_PI * 500.0 * i / fs) +
                       0.3 * sin(2 * SM_PI * 4321.0 * i / fs + 1));
    }
    sm_spectrum_readings r;
    image_run(x, x, n, 2, &r);
    NEAR(r.centroid_hz, 1000.0, 1.0, "centroid of 1 kHz");
    image_run(y, y, n, 2, &r);
    NEAR(r.centroid_hz, 0.5 * (500.0 + 4321.0), 3.0, "centroid of two sines");
    free(x);
    free(y);
}
END_TEST

/* --------------------------------------------------------------- gate */

/* A 1 kHz sine at amplitude a1 for t1 seconds, then amplitude a2 for t2
 * (0: silence), 10 ms raised-cosine crossfade. */
static float *two_parts(double fs, double a1, double t1, double a2, double t2,
                        long *n)
{
    long n1 = (long)(t1 * fs), xf = (long)(0.01 * fs);
    *n = n1 + (long)(t2 * fs);
    float *x = calloc((size_t)*n, sizeof(float));
    ck_assert_ptr_nonnull(x);
    add_sine(x, *n, 1.0, 1000.0 / fs, 0.0);
    for (long i = 0; i < *n; i++) {
        double g = i < n1         ? 1.0
                   : i >= n1 + xf ? 0.0
                                  : 0.5 + 0.5 * cos(SM_PI * (i - n1) / xf);
        x[i] = (float)((a1 * g + a2 * (1 - g)) * x[i]);
    }
    return x;
}

/* A 1 kHz sine at 0.1 for t1 = 5 s, then at power ratio p2 (0: silence) for
 * t2 = 5 s. Readings lag: the frames of the last L = 0.2 s (half a block)
 * + 43 ms (half a frame at 48 kHz, size 4096), up to a hop (21 ms) more,
 * are not counted yet, so the ungated mean power is
 * (t1 + p2 (t2 - L)) / (t1 + t2 - L). Gated, the second part counts when
 * it passes the gate (then the same), otherwise the loud part alone reads,
 * except that frames which straddle the drop, and frames whose 400 ms block
 * still holds some of the loud part, count (as BS.1770 blocks do): at most
 * 0.2 s + 85 ms (one frame) of them, which can lower the gated reading by
 * at most 10 log10(t1 / (t1 + 0.285)), never raise it. */
static void gate_case(double p2, int passes, const char *what)
{
    double fs = 48000, a1 = 0.1, t1 = 5, t2 = 5, L = 0.2 + 2048 / fs;
    double lo = 10 * log10(t1 / (t1 + 0.285));
    double off = 10 * log10((t1 + p2 * (t2 - L)) / (t1 + t2 - L));
    double on = passes ? off : 0.0;
    long n;
    float *x = two_parts(fs, a1, t1, a1 * sqrt(p2), t2, &n);
    sm_spectrum s;
    ck_assert_int_eq(sm_spectrum_init(&s, 2, fs, 4096, 0), 0);
    float *ch[2] = {x, x};
    feed(&s, ch, n, 64);
    sm_spectrum_readings gated, all;
    sm_spectrum_read(&s, &gated);
    sm_spectrum_set_gate(&s, 0);
    sm_spectrum_read(&s, &all);
    double l1 = sine_db(a1), g = gated.mid_db[17] - l1;
    if (verbose())
        printf("gate, %s: on %.3f (want %.3f), off %.3f (want %.3f)\n", what, g,
               on, all.mid_db[17] - l1, off);
    ck_assert_msg(g <= on + 0.05 && g >= on + (passes ? 0.0 : lo) - 0.05,
                  "%s, gate on: %.3f dB re the loud part, expected %.3f "
                  "(down to %.3f)",
                  what, g, on, on + (passes ? 0.0 : lo));
    NEAR(all.mid_db[17] - l1, off, 0.05, what);
    sm_spectrum_free(&s);
    free(x);
}

START_TEST(test_gate)
{
    /* silence is under the absolute gate */
    gate_case(0.0, 0, "loud then silence");
    /* 25 dB lower: the mean energy of the frames is (1 + 10^-2.5) / 2 of
     * the loud part's (-3.0 dB), the relative gate 10 dB under that: the
     * quiet part falls under it */
    gate_case(pow(10, -25 / 10.0), 0, "loud then -25 dB");
    /* 6 dB lower: mean -2.04 dB, gate at -12.04 dB: both parts count */
    gate_case(pow(10, -6 / 10.0), 1, "loud then -6 dB");
}
END_TEST

/* The absolute gate sits at -70 LUFS. BS.1770 reads a 1 kHz sine of
 * amplitude A in both channels at 20 log10(A) LUFS (K-weighting +0.691 dB
 * at 1 kHz, channel sum +3.01, sine -3.01, offset -0.691): at -69.9 dBFS
 * it counts, at -70.1 dBFS nothing does. Ungated it reads its level. */
static void absolute_gate_case(double dbfs, int passes)
{
    double fs = 48000, a = pow(10, dbfs / 20.0);
    long n;
    float *x = two_parts(fs, a, 3, 0, 0, &n);
    sm_spectrum s;
    ck_assert_int_eq(sm_spectrum_init(&s, 2, fs, 4096, 0), 0);
    float *ch[2] = {x, x};
    feed(&s, ch, n, 64);
    sm_spectrum_readings r;
    sm_spectrum_read(&s, &r);
    if (passes) {
        ck_assert_msg(r.frames > 0.0, "%g dBFS gated out", dbfs);
        NEAR(r.mid_db[17], sine_db(a), 0.05, "sine just above the gate");
    } else {
        ck_assert_msg(r.frames == 0.0, "%g dBFS passed the gate", dbfs);
        for (int b = 0; b < SM_SPECTRUM_BANDS; b++)
            ck_assert(r.mid_db[b] == SM_FLOOR_DB);
        ck_assert(r.tilt_db_oct == 0.0 && r.centroid_hz == 0.0);
    }
    sm_spectrum_set_gate(&s, 0);
    sm_spectrum_read(&s, &r);
    NEAR(r.mid_db[17], sine_db(a), 0.05, "quiet sine ungated");
    sm_spectrum_free(&s);
    free(x);
}

START_TEST(test_absolute_gate)
{
    absolute_gate_case(-69.9, 1);
    absolute_gate_case(-70.1, 0);
    absolute_gate_case(-90.0, 0);
}
END_TEST

/* ---------------------------------------------------------- averaging */

/* A sine steps down by 10 dB; t seconds later an exponential average of
 * time constant tau over frames centred up to the lag L before now reads
 * (P1 w1 + P2 w2) / (w1 + w2), w1 = exp(-(t - L) / tau) (all of the long
 * first part), w2 = 1 - w1. The frames that count lag by half a block
 * (0.2 s) plus half a frame, up to one hop more: L in [0.243, 0.265] s at
 * 48 kHz, size 4096. */
START_TEST(test_exponential_average)
{
    double fs = 48000, tau = 1.0, t = 1.0, p1 = 1.0, p2 = 0.1;
    long n;
    float *x = two_parts(fs, 0.1, 6.0, 0.1 * sqrt(p2), t, &n);
    sm_spectrum s;
    ck_assert_int_eq(sm_spectrum_init(&s, 2, fs, 4096, 0), 0);
    sm_spectrum_set_average(&s, tau);
    sm_spectrum_set_gate(&s, 0);
    float *ch[2] = {x, x};
    feed(&s, ch, n, 64);
    sm_spectrum_readings r;
    sm_spectrum_read(&s, &r);
    double lag[2] = {0.2 + 2048 / fs, 0.2 + (2048 + 1024) / fs}, want[2];
    for (int k = 0; k < 2; k++) {
        double w1 = exp(-(t - lag[k]) / tau);
        want[k] = sine_db(0.1) + 10 * log10(p1 * w1 + p2 * (1 - w1));
    }
    double got = r.mid_db[17];
    if (verbose())
        printf("exponential: %.3f dB, expected %.3f to %.3f\n", got, want[0],
               want[1]);
    ck_assert_msg(got >= want[0] - 0.1 && got <= want[1] + 0.1,
                  "exponential average %.3f, expected %.3f .. %.3f", got,
                  want[0], want[1]);
    /* 20 time constants later only the second level remains */
    sm_spectrum_free(&s);
    free(x);
    x = two_parts(fs, 0.1, 3.0, 0.1 * sqrt(p2), 20 * tau, &n);
    ck_assert_int_eq(sm_spectrum_init(&s, 2, fs, 4096, 0), 0);
    sm_spectrum_set_average(&s, tau);
    float *ch2[2] = {x, x};
    feed(&s, ch2, n, 64);
    sm_spectrum_read(&s, &r);
    NEAR(r.mid_db[17], sine_db(0.1 * sqrt(p2)), 0.01, "after 20 tau");
    /* a time constant far shorter than a hop: the newest frame only, and no
     * overflow on the way */
    sm_spectrum_set_average(&s, 1e-4);
    feed(&s, ch2, n, 64);
    sm_spectrum_read(&s, &r);
    NEAR(r.mid_db[17], sine_db(0.1 * sqrt(p2)), 0.01, "tiny tau");
    for (int b = 0; b < SM_SPECTRUM_BANDS; b++)
        ck_assert(isfinite(r.mid_db[b]) && isfinite(r.side_db[b]));
    sm_spectrum_free(&s);
    free(x);
}
END_TEST

/* Infinite averaging weighs every frame the same: 4 s at P1 and 4 s at P2
 * (6 dB apart, both above the gate) read their mean power. */
START_TEST(test_infinite_average)
{
    double fs = 48000;
    long n;
    float *x = two_parts(fs, 0.1, 4.0, 0.05, 4.0, &n);
    sm_spectrum s;
    ck_assert_int_eq(sm_spectrum_init(&s, 2, fs, 4096, 0), 0);
    float *ch[2] = {x, x};
    feed(&s, ch, n, 64);
    sm_spectrum_readings r;
    sm_spectrum_read(&s, &r);
    /* frames in the last 0.26 s have not been counted yet: the quiet part
     * weighs (4 - L) / (8 - L) */
    double L = 0.2 + 2048 / fs, w2 = (4 - L) / (8 - L);
    double want = sine_db(0.1) + 10 * log10((1 - w2) + 0.25 * w2);
    NEAR(r.mid_db[17], want, 0.05, "infinite average");
    sm_spectrum_free(&s);
    free(x);
}
END_TEST

/* ---------------------------------------------------- robustness */

/* The Pd block size must not change a single reading. */
START_TEST(test_block_size_independent)
{
    static const int blocks[] = {1, 37, 64, 256, 4096};
    double e[SM_SPECTRUM_BANDS];
    float *a = noise_period(48000, PINK, 5, e);
    float *b = noise_period(48000, WHITE, 6, e);
    long n = (long)(2.5 * 48000);
    sm_spectrum_readings ref, r;
    for (size_t k = 0; k < sizeof blocks / sizeof *blocks; k++) {
        sm_spectrum s;
        ck_assert_int_eq(sm_spectrum_init(&s, 2, 48000, 4096, 0), 0);
        sm_spectrum_set_average(&s, 0.5);
        float *ch[2] = {a, b};
        feed(&s, ch, n, blocks[k]);
        sm_spectrum_read(&s, k ? &r : &ref);
        if (k)
            ck_assert_msg(!memcmp(&r, &ref, sizeof r),
                          "block %d reads differently from block 1", blocks[k]);
        sm_spectrum_free(&s);
    }
    free(a);
    free(b);
}
END_TEST

/* NaN, Inf and denormals count as silence: the readings are exactly those
 * of the same signal with zeros there, and finite. */
START_TEST(test_nonfinite_input)
{
    double e[SM_SPECTRUM_BANDS];
    float *a = noise_period(48000, PINK, 9, e);
    long n = 3 * 48000;
    float *bad = malloc(sizeof(float) * n), *good = malloc(sizeof(float) * n);
    ck_assert(bad && good);
    for (long i = 0; i < n; i++) {
        int hole = i >= 48000 && i < 60000;
        good[i] = hole ? 0.0f : a[i];
        bad[i] = !hole ? a[i]
                       : (i % 3 == 0 ? NAN : (i % 3 == 1 ? -INFINITY : 1e-41f));
    }
    sm_spectrum_readings rb, rg;
    image_run(bad, bad, n, 2, &rb);
    image_run(good, good, n, 2, &rg);
    ck_assert(!memcmp(&rb, &rg, sizeof rb));
    for (int b = 0; b < SM_SPECTRUM_BANDS; b++)
        ck_assert(isfinite(rb.mid_db[b]));
    ck_assert(isfinite(rb.tilt_db_oct) && isfinite(rb.centroid_hz));
    free(a);
    free(bad);
    free(good);
}
END_TEST

START_TEST(test_reset_and_clear)
{
    double fs = 48000;
    long n;
    float *x = two_parts(fs, 0.1, 2.0, 0, 0, &n);
    sm_spectrum s;
    ck_assert_int_eq(sm_spectrum_init(&s, 2, fs, 4096, 0), 0);
    float *ch[2] = {x, x};
    long first = n - (long)(0.5 * fs);
    feed(&s, ch, first, 64);
    sm_spectrum_readings r;
    sm_spectrum_reset(&s);
    sm_spectrum_read(&s, &r);
    ck_assert(r.frames == 0.0 && r.mid_db[17] == SM_FLOOR_DB);
    /* frames reaching back before the reset do not count: none within one
     * window (plus the key's 0.2 s), then the sine goes on being measured */
    float *rest[2] = {x + first, x + first};
    feed(&s, rest, 4096 - 64, 64);
    sm_spectrum_read(&s, &r);
    ck_assert(r.frames == 0.0);
    rest[0] = rest[1] = x + first + 4096 - 64;
    feed(&s, rest, n - first - (4096 - 64), 64);
    sm_spectrum_read(&s, &r);
    ck_assert(r.frames > 0.0);
    NEAR(r.mid_db[17], sine_db(0.1), 0.05, "after reset");
    /* after clear the rings must fill again: nothing for 4096 samples + the
     * key's 0.2 s */
    sm_spectrum_clear(&s);
    feed(&s, ch, 4096 + (long)(0.2 * fs) - 64, 64);
    sm_spectrum_read(&s, &r);
    ck_assert(r.frames == 0.0);
    sm_spectrum_free(&s);
    free(x);
}
END_TEST

START_TEST(test_init_rejects)
{
    sm_spectrum s;
    ck_assert_int_eq(sm_spectrum_init(&s, 2, 48000, 4095, 0), -1);
    ck_assert_int_eq(sm_spectrum_init(&s, 2, 48000, 512, 0), -1);
    ck_assert_int_eq(sm_spectrum_init(&s, 2, 48000, 131072, 0), -1);
    ck_assert_int_eq(sm_spectrum_init(&s, 0, 48000, 4096, 0), -1);
    ck_assert_int_eq(sm_spectrum_init(&s, 9, 48000, 4096, 0), -1);
    ck_assert_int_eq(sm_spectrum_init(&s, 2, 0, 4096, 0), -1);
    ck_assert_int_eq(sm_spectrum_init(&s, 2, NAN, 4096, 0), -1);
    float x[64] = {0};
    const float *in[2] = {x, x};
    sm_spectrum_process(&s, in, 64); /* does nothing */
    sm_spectrum_readings r;
    sm_spectrum_read(&s, &r);
    ck_assert(r.mid_db[0] == SM_FLOOR_DB && r.frames == 0.0);
    sm_spectrum_free(&s);
    /* hop: 0 or too large means size/4, too small size/64 */
    ck_assert_int_eq(sm_spectrum_init(&s, 2, 48000, 4096, 0), 0);
    ck_assert_int_eq(s.hop, 1024);
    sm_spectrum_free(&s);
    ck_assert_int_eq(sm_spectrum_init(&s, 2, 48000, 4096, 1), 0);
    ck_assert_int_eq(s.hop, 64);
    sm_spectrum_free(&s);
    ck_assert_int_eq(sm_spectrum_init(&s, 2, 48000, 4096, 5000), 0);
    ck_assert_int_eq(s.hop, 1024);
    sm_spectrum_free(&s);
}
END_TEST

/* ------------------------------------------------------------- ltas */

static const int groups2[4] = {0, 0, 1, 1};

/* Gate arithmetic (BS.1770): frames at E, frames 30 dB lower and frames
 * under -70 LUFS. The relative gate is 10 dB under the mean energy of the
 * frames above -70 LUFS. */
START_TEST(test_ltas_gate)
{
    sm_ltas l;
    ck_assert_int_eq(sm_ltas_init(&l, 4, 2, groups2), 0);
    double e = 0.01, rec[4];
    for (int i = 0; i < 10; i++) {
        rec[0] = 1, rec[1] = 10, rec[2] = 100, rec[3] = 1000;
        sm_ltas_add(&l, 0, e, rec);
        sm_ltas_add(&l, 1, e, rec);
        rec[0] = 5, rec[1] = 50, rec[2] = 500, rec[3] = 5000;
        sm_ltas_add(&l, 0, e * 1e-3, rec);
        sm_ltas_add(&l, 1, e * 1e-3, rec);
        rec[0] = 7, rec[1] = 70, rec[2] = 700, rec[3] = 7000;
        sm_ltas_add(&l, 0, 1e-9, rec); /* -90.7 LUFS */
    }
    double thr = -0.691 + 10 * log10((e + e * 1e-3) / 2) - 10;
    NEAR(sm_ltas_threshold(&l), thr, 1e-9, "relative gate");
    double m[4], w[SM_LTAS_MAXGROUPS];
    sm_ltas_read(&l, 1, m, w);
    NEAR(m[0], 1, 1e-12, "gated group 0");
    NEAR(m[3], 1000, 1e-9, "gated group 1");
    NEAR(w[0], 10, 1e-12, "gated count");
    sm_ltas_read(&l, 0, m, w);
    NEAR(m[0], (10 * 1 + 10 * 5 + 10 * 7) / 30.0, 1e-12, "ungated group 0");
    NEAR(m[2], (100 + 500) / 2.0, 1e-9, "ungated group 1");
    NEAR(w[0], 30, 1e-12, "ungated count");
    NEAR(w[1], 20, 1e-12, "ungated count group 1");
    sm_ltas_reset(&l);
    sm_ltas_read(&l, 1, m, w);
    ck_assert(m[0] == 0.0 && w[0] == 0.0);
    NEAR(sm_ltas_threshold(&l), SM_LTAS_ABS_GATE, 0, "empty threshold");
    sm_ltas_free(&l);
}
END_TEST

/* Exponential weights: with decay a the newest frame weighs 1, the one
 * before a, ... Long runs with a tiny decay rescale without overflow. */
START_TEST(test_ltas_decay)
{
    sm_ltas l;
    ck_assert_int_eq(sm_ltas_init(&l, 4, 2, groups2), 0);
    sm_ltas_set_decay(&l, 0, 0.5);
    double rec[4] = {0}, m[4], w[SM_LTAS_MAXGROUPS];
    for (int i = 1; i <= 3; i++) {
        rec[0] = i;
        sm_ltas_add(&l, 0, 0.01, rec);
    }
    sm_ltas_read(&l, 1, m, w);
    NEAR(m[0], (1 * 0.25 + 2 * 0.5 + 3 * 1) / 1.75, 1e-12, "decay 0.5");
    NEAR(w[0], 1.75, 1e-12, "weight");
    sm_ltas_set_decay(&l, 0, 1e-9); /* taken as 1e-6 */
    for (int i = 0; i < 1000; i++) {
        rec[0] = i;
        sm_ltas_add(&l, 0, 0.01, rec);
    }
    sm_ltas_read(&l, 1, m, w);
    /* (999 + 998 a + 997 a^2 ...) / (1 + a + a^2 ...) with a = 1e-6 */
    NEAR(m[0], 999 - 1e-6 / (1 + 1e-6), 1e-8, "tiny decay");
    ck_assert(isfinite(w[0]));
    sm_ltas_free(&l);
    ck_assert_int_eq(sm_ltas_init(&l, 2, 1, (const int[]){0, 1}), -1);
    ck_assert_int_eq(sm_ltas_init(&l, 0, 1, groups2), -1);
}
END_TEST

static Suite *spectrum_suite(void)
{
    Suite *s = suite_create("spectrum");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_band_table);
    tcase_add_test(tc, test_resolution_per_band);
    tcase_add_loop_test(tc, test_sine_levels, 0, 4);
    tcase_add_loop_test(tc, test_sine_levels_other_sizes, 0, 3);
    tcase_add_loop_test(tc, test_alias_rejection, 0, 4);
    tcase_add_loop_test(tc, test_pink_noise_flat, 0, 2);
    tcase_add_test(tc, test_white_noise_tilt);
    tcase_add_test(tc, test_stereo_image);
    tcase_add_test(tc, test_centroid);
    tcase_add_test(tc, test_gate);
    tcase_add_test(tc, test_absolute_gate);
    tcase_add_test(tc, test_exponential_average);
    tcase_add_test(tc, test_infinite_average);
    tcase_add_test(tc, test_block_size_independent);
    tcase_add_test(tc, test_nonfinite_input);
    tcase_add_test(tc, test_reset_and_clear);
    tcase_add_test(tc, test_init_rejects);
    tcase_add_test(tc, test_ltas_gate);
    tcase_add_test(tc, test_ltas_decay);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    SRunner *sr = srunner_create(spectrum_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
