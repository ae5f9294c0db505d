/* test_bandstats.c - unit tests of the per-band short-term level
 * distributions (externals/dsp/bandstats.[ch]), alone and as fed by the
 * 1/3-octave analyser (spectrum.[ch]).
 *
 * Where the expected values come from (none from the code under test):
 *  - Fed directly: sequences of powers chosen here; the short-term level is
 *    defined as the mean of the last `window` powers, so the expected
 *    percentiles are order statistics of the moving means computed here by
 *    brute force (linear interpolation between order statistics); the
 *    histogram may place them up to one 0.25 dB bin away.
 *  - Gate: BS.1770 loudness of a key energy E is -0.691 + 10 log10(E); the
 *    frames above the threshold are the ones chosen to be above it.
 *  - Through the analyser: a sine of amplitude A has mean square A^2/2, so
 *    its band reads 20 log10(A) - 3.0103 dB. A tone switching between
 *    powers h and l (both plateaus longer than the 400 ms window) spends
 *    the same time above and below (h + l) / 2 in each period when the two
 *    halves are equally long and the smoothing window is symmetric, so its
 *    median short-term level is 10 log10((h + l) / 2); the plateaus give
 *    the outer percentiles.
 *
 * Set SM_TEST_VERBOSE=1 to print measured values.
 */
#define _POSIX_C_SOURCE 200809L
#include "bandstats.h"
#include "ltas.h"
#include "numerics.h"
#include "spectrum.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int verbose(void)
{
    const char *v = getenv("SM_TEST_VERBOSE");
    return v && *v && *v != '0';
}

#define NEAR(v, e, tol, what)                                                  \
    ck_assert_msg(fabs((v) - (e)) <= (tol), "%s: %.6f, expected %.6f +- %g",   \
                  what, (double)(v), (double)(e), (double)(tol))

/* Key energy of a loudness in LUFS (BS.1770: L = -0.691 + 10 log10 E). */
static double energy_of(double lufs)
{
    return pow(10.0, (lufs + 0.691) / 10.0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Percentile q of n values (sorted in place), interpolating linearly
 * between order statistics (numpy's default). */
static double order_percentile(double *v, int n, double q)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double r = q * (n - 1);
    int i = (int)floor(r);
    if (i >= n - 1)
        return v[n - 1];
    return v[i] + (r - i) * (v[i + 1] - v[i]);
}

static const double Q4[4] = {0.10, 0.50, 0.80, 0.95};

/* -------------------------------------------------- bandstats alone */

/* A steady power reads itself at every percentile, within one bin. */
START_TEST(test_steady_power)
{
    sm_bandstats s;
    int window[3] = {1, 5, 40};
    ck_assert_int_eq(sm_bandstats_init(&s, 3, window), 0);
    double p[3] = {1e-2, 3.3e-5, 0.7}; /* -20, -44.8, -1.5 dB */
    for (int i = 0; i < 500; i++)
        sm_bandstats_add(&s, 0, 3, p, 1, energy_of(-23.0));
    double out[4 * 3];
    sm_bandstats_read(&s, 1, -33.0, Q4, 4, out);
    for (int b = 0; b < 3; b++) {
        double want = 10.0 * log10(p[b]);
        for (int i = 0; i < 4; i++)
            NEAR(out[i * 3 + b], want, SM_BANDSTATS_BIN_DB, "steady power");
        ck_assert(out[3 * 3 + b] - out[0 * 3 + b] <= SM_BANDSTATS_BIN_DB);
        /* the window fills before it counts: 500 - window + 1 levels */
        NEAR(sm_bandstats_count(&s, b, 1, -33.0), 500 - window[b] + 1, 1e-9,
             "levels counted");
    }
    sm_bandstats_free(&s);
}
END_TEST

/* The short-term level is the mean of the last `window` powers: a
 * random sequence of powers gives the percentiles of its moving means. */
START_TEST(test_moving_mean_percentiles)
{
    enum { N = 4000, W = 7 };
    sm_bandstats s;
    int window[1] = {W};
    ck_assert_int_eq(sm_bandstats_init(&s, 1, window), 0);
    static double pw[N], mm[N];
    unsigned long long x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        double u = (double)(x >> 11) / 9007199254740992.0;
        /* bursts: 60 frames loud, 40 quiet, each frame scattered 0..10 dB */
        double base = (i % 100) < 60 ? 0.1 : 0.001;
        pw[i] = base * pow(10.0, u);
        sm_bandstats_add(&s, 0, 1, &pw[i], 1, energy_of(-20.0));
    }
    int n = 0;
    for (int i = W - 1; i < N; i++) {
        double sum = 0.0;
        for (int k = 0; k < W; k++)
            sum += pw[i - k];
        mm[n++] = 10.0 * log10(sum / W);
    }
    double out[4];
    sm_bandstats_read(&s, 1, -70.0, Q4, 4, out);
    for (int i = 0; i < 4; i++) {
        double want = order_percentile(mm, n, Q4[i]);
        if (verbose())
            printf("P%g: %.3f, moving means %.3f\n", 100 * Q4[i], out[i], want);
        NEAR(out[i], want, 0.3, "percentile of the moving means");
    }
    sm_bandstats_free(&s);
}
END_TEST

/* Relative gate at read time: levels whose keys lie above the threshold
 * count, the others do not, also when both lie in the same 2 dB class; a
 * lower threshold lets both in. */
START_TEST(test_gate_threshold)
{
    sm_bandstats s;
    int window[1] = {1};
    ck_assert_int_eq(sm_bandstats_init(&s, 1, window), 0);
    double loud = 1e-2, quiet = 1e-4; /* -20 and -40 dB */
    for (int i = 0; i < 300; i++) {
        sm_bandstats_add(&s, 0, 1, &loud, 1, energy_of(-19.4));
        sm_bandstats_add(&s, 0, 1, &quiet, 1, energy_of(-20.1));
    }
    double out[4];
    /* -19.8 LUFS: the loud keys' bin centre (-19.375) is above, the quiet
     * ones' (-20.125) is not */
    sm_bandstats_read(&s, 1, -19.8, Q4, 4, out);
    for (int i = 0; i < 4; i++)
        NEAR(out[i], -20.0, SM_BANDSTATS_BIN_DB, "only the loud frames");
    NEAR(sm_bandstats_count(&s, 0, 1, -19.8), 300, 1e-9, "count above");
    sm_bandstats_read(&s, 1, -25.0, Q4, 4, out);
    NEAR(out[0], -40.0, SM_BANDSTATS_BIN_DB, "P10 with both");
    NEAR(out[3], -20.0, SM_BANDSTATS_BIN_DB, "P95 with both");
    NEAR(sm_bandstats_count(&s, 0, 1, -25.0), 600, 1e-9, "count of both");
    /* above every key: nothing counts, the floor */
    sm_bandstats_read(&s, 1, -10.0, Q4, 4, out);
    ck_assert(out[1] == SM_FLOOR_DB);
    sm_bandstats_free(&s);
}
END_TEST

/* Keys at or below -70 LUFS never count with the gate on; with it off
 * every level counts, silence at the floor exactly. */
START_TEST(test_absolute_gate_and_floor)
{
    sm_bandstats s;
    int window[2] = {1, 1};
    ck_assert_int_eq(sm_bandstats_init(&s, 2, window), 0);
    double p[2] = {1e-3, 0.0};
    for (int i = 0; i < 100; i++)
        sm_bandstats_add(&s, 0, 2, p, 1, energy_of(-30.0));
    double silent[2] = {1e-9, 0.0};
    for (int i = 0; i < 300; i++)
        sm_bandstats_add(&s, 0, 2, silent, 1, energy_of(-75.0));
    double out[4 * 2];
    sm_bandstats_read(&s, 1, SM_LTAS_ABS_GATE, Q4, 4, out);
    for (int i = 0; i < 4; i++) {
        NEAR(out[i * 2], -30.0, SM_BANDSTATS_BIN_DB, "gated");
        ck_assert(out[i * 2 + 1] == SM_FLOOR_DB); /* a silent band */
    }
    sm_bandstats_read(&s, 0, SM_LTAS_ABS_GATE, Q4, 4, out);
    NEAR(out[0], -90.0, SM_BANDSTATS_BIN_DB, "ungated P10: the quiet part");
    NEAR(out[3 * 2], -30.0, SM_BANDSTATS_BIN_DB, "ungated P95");
    NEAR(sm_bandstats_count(&s, 0, 0, 0.0), 400, 1e-9, "ungated count");
    /* non-finite powers and keys are silence, not poison */
    double bad[2] = {NAN, INFINITY};
    sm_bandstats_add(&s, 0, 2, bad, 1, NAN);
    sm_bandstats_read(&s, 0, SM_LTAS_ABS_GATE, Q4, 4, out);
    for (int i = 0; i < 8; i++)
        ck_assert(isfinite(out[i]));
    /* reset forgets; an empty state reads the floor */
    sm_bandstats_reset(&s);
    sm_bandstats_read(&s, 0, SM_LTAS_ABS_GATE, Q4, 4, out);
    for (int i = 0; i < 8; i++)
        ck_assert(out[i] == SM_FLOOR_DB);
    sm_bandstats_free(&s);
    sm_bandstats_read(&s, 0, SM_LTAS_ABS_GATE, Q4, 0, out); /* no bands */
    ck_assert_int_eq(sm_bandstats_init(&s, 0, window), -1);
    ck_assert_int_eq(sm_bandstats_init(&s, 2, NULL), -1);
    sm_bandstats_add(&s, 0, 2, p, 1, 1.0); /* empty state: nothing */
}
END_TEST

/* Levels far outside the range land in the end bins, never outside. */
START_TEST(test_range_ends)
{
    sm_bandstats s;
    int window[1] = {1};
    ck_assert_int_eq(sm_bandstats_init(&s, 1, window), 0);
    double p = 1e6; /* +60 dB */
    for (int i = 0; i < 10; i++)
        sm_bandstats_add(&s, 0, 1, &p, 1, energy_of(+20.0));
    double out[4];
    sm_bandstats_read(&s, 1, -10.0, Q4, 4, out);
    for (int i = 0; i < 4; i++)
        ck_assert(out[i] >= SM_BANDSTATS_TOP_DB - SM_BANDSTATS_BIN_DB &&
                  out[i] <= SM_BANDSTATS_TOP_DB);
    sm_bandstats_free(&s);
}
END_TEST

/* ------------------------------------------ through the analyser */

#define FS 48000.0

/* x[i] = amplitude(i) sin(2 pi f i / FS), amplitude from env (per sample). */
static float *tone(long n, double f, const double *env)
{
    float *x = malloc(sizeof(float) * (size_t)n);
    ck_assert_ptr_nonnull(x);
    for (long i = 0; i < n; i++)
        x[i] = (float)(env[i] * sin(2.0 * SM_PI * f * (double)i / FS));
    return x;
}

/* Amplitude a_hi for `hi_s` seconds, then a_lo for `lo_s`, repeated, with
 * 10 ms raised-cosine changes (no splatter out of the band). */
static double *switching(long n, double a_hi, double hi_s, double a_lo,
                         double lo_s)
{
    double *env = malloc(sizeof(double) * (size_t)n);
    ck_assert_ptr_nonnull(env);
    double period = hi_s + lo_s, ramp = 0.01;
    for (long i = 0; i < n; i++) {
        double t = fmod(i / FS, period), u; /* u: 1 high, 0 low */
        if (t < ramp)
            u = 0.5 - 0.5 * cos(SM_PI * t / ramp);
        else if (t < hi_s)
            u = 1.0;
        else if (t < hi_s + ramp)
            u = 0.5 + 0.5 * cos(SM_PI * (t - hi_s) / ramp);
        else
            u = 0.0;
        env[i] = a_lo + (a_hi - a_lo) * u;
    }
    return env;
}

static void run(sm_spectrum *s, const float *x, long n)
{
    const float *in[2];
    for (long off = 0; off < n; off += 64) {
        in[0] = in[1] = x + off;
        sm_spectrum_process(s, in, (int)(n - off < 64 ? n - off : 64));
    }
}

static double sine_db(double amp)
{
    return 20.0 * log10(amp) - 10.0 * log10(2.0);
}

/* A steady sine reads one level at every percentile, the spectrum's: 1 kHz
 * (full-rate path, 19-frame windows) and 25 Hz (decimated path, 1.4 s
 * frames taken singly), sizes 4096 and 16384. */
START_TEST(test_steady_sine_in_spectrum)
{
    static const int sizes[] = {4096, 16384};
    for (int z = 0; z < 2; z++) {
        sm_spectrum s;
        ck_assert_int_eq(sm_spectrum_init(&s, 2, FS, sizes[z], 0), 0);
        long n = (long)(8 * FS);
        double *env = switching(n, 1.0, 1.0, 1.0, 1.0); /* constant 1 */
        float *a = tone(n, 1000.0 * pow(2.0, 1.0 / 24), env);
        float *b = tone(n, 25.0, env);
        for (long i = 0; i < n; i++)
            a[i] = 0.1f * a[i] + 0.2f * b[i];
        run(&s, a, (long)(2 * FS));
        sm_spectrum_reset(&s);
        run(&s, a + (long)(2 * FS), n - (long)(2 * FS));
        sm_spectrum_readings r;
        double out[4 * SM_SPECTRUM_BANDS];
        sm_spectrum_read(&s, &r);
        sm_spectrum_percentiles(&s, Q4, 4, out);
        static const int bands[] = {17, 1};
        static const double amps[] = {0.1, 0.2};
        for (int k = 0; k < 2; k++) {
            int bb = bands[k];
            if (verbose())
                printf("size %d band %d: spectrum %.3f, P10 %.3f P50 %.3f "
                       "P80 %.3f P95 %.3f\n",
                       sizes[z], bb, r.mid_db[bb], out[bb],
                       out[SM_SPECTRUM_BANDS + bb],
                       out[2 * SM_SPECTRUM_BANDS + bb],
                       out[3 * SM_SPECTRUM_BANDS + bb]);
            for (int i = 0; i < 4; i++) {
                double v = out[i * SM_SPECTRUM_BANDS + bb];
                NEAR(v, sine_db(amps[k]), 0.3, "percentile of a sine");
                NEAR(v, r.mid_db[bb], 0.3, "percentile vs spectrum");
            }
        }
        /* bands without signal read the spectrum's floor */
        ck_assert(out[SM_SPECTRUM_BANDS + 8] < -100.0);
        free(env);
        free(a);
        free(b);
        sm_spectrum_free(&s);
    }
}
END_TEST

/* A 1 kHz tone alternating 2 s at A and 2 s at A - 12 dB: P10 is the low
 * level, P80 and P95 the high one, P50 10 log10((h + l) / 2) (see the top
 * of the file). The low level lies 0.74 dB above the relative gate
 * (10 log10((h + l) / 2) - 10 re h), so it counts. 20 periods after
 * the warm-up, from the middle of a high plateau to the middle of one. */
START_TEST(test_switching_tone)
{
    sm_spectrum s;
    ck_assert_int_eq(sm_spectrum_init(&s, 2, FS, 4096, 0), 0);
    double a = 0.3, lo = a * pow(10.0, -12.0 / 20);
    long warm = (long)(9.0 * FS), n = warm + (long)(80.0 * FS);
    double *env = switching(n, a, 2.0, lo, 2.0);
    float *x = tone(n, 1000.0, env);
    run(&s, x, warm);
    sm_spectrum_reset(&s);
    run(&s, x + warm, n - warm);
    double out[4 * SM_SPECTRUM_BANDS];
    sm_spectrum_percentiles(&s, Q4, 4, out);
    double h = a * a / 2, l = lo * lo / 2;
    double p10 = out[17], p50 = out[SM_SPECTRUM_BANDS + 17],
           p80 = out[2 * SM_SPECTRUM_BANDS + 17],
           p95 = out[3 * SM_SPECTRUM_BANDS + 17];
    if (verbose())
        printf("switching: P10 %.3f (%.3f) P50 %.3f (%.3f) P80 %.3f P95 "
               "%.3f (%.3f)\n",
               p10, 10 * log10(l), p50, 10 * log10((h + l) / 2), p80, p95,
               10 * log10(h));
    NEAR(p10, 10.0 * log10(l), 0.3, "P10: the low level");
    NEAR(p95, 10.0 * log10(h), 0.3, "P95: the high level");
    NEAR(p80, 10.0 * log10(h), 0.3, "P80: the high level");
    NEAR(p50, 10.0 * log10((h + l) / 2), 0.5, "P50: the mean power");
    free(env);
    free(x);
    sm_spectrum_free(&s);
}
END_TEST

/* Three quarters of the time at A, one quarter at A - 6 dB: the median is
 * the high plateau, P10 the low one. With the quiet part 40 dB down
 * instead, the relative gate keeps it out: the gated mean lies less than
 * 1.25 dB (10 log10(3/4)) under A, so nothing under A - 11.25 dB counts
 * (without the gate P10 is the quiet part; with it, what remains of the
 * 400 ms ramps into and out of the quiet part sets P10). */
START_TEST(test_duty_and_gate)
{
    double a = 0.2;
    static const double drops[] = {6.0, 40.0};
    for (int d = 0; d < 2; d++) {
        sm_spectrum s;
        ck_assert_int_eq(sm_spectrum_init(&s, 2, FS, 4096, 0), 0);
        double lo = a * pow(10.0, -drops[d] / 20);
        long n = (long)(48.0 * FS);
        double *env = switching(n, a, 3.0, lo, 1.0);
        float *x = tone(n, 1000.0, env);
        run(&s, x, n);
        double out[4 * SM_SPECTRUM_BANDS];
        sm_spectrum_percentiles(&s, Q4, 4, out);
        double hi_db = sine_db(a), lo_db = sine_db(lo);
        if (verbose())
            printf("drop %g: P10 %.3f P50 %.3f P95 %.3f\n", drops[d], out[17],
                   out[SM_SPECTRUM_BANDS + 17],
                   out[3 * SM_SPECTRUM_BANDS + 17]);
        NEAR(out[SM_SPECTRUM_BANDS + 17], hi_db, 0.3, "P50: high plateau");
        NEAR(out[3 * SM_SPECTRUM_BANDS + 17], hi_db, 0.3, "P95");
        if (d == 0) {
            /* the low plateau: 1 s less the ~0.5 s of window and taper,
             * over 10 % of the time */
            NEAR(out[17], lo_db, 0.3, "P10: low plateau");
        } else {
            ck_assert_msg(out[17] > hi_db - 11.25 - SM_BANDSTATS_BIN_DB,
                          "P10 gated %.3f: the quiet part (%.3f) counts",
                          out[17], lo_db);
            sm_spectrum_set_gate(&s, 0);
            sm_spectrum_percentiles(&s, Q4, 4, out);
            NEAR(out[17], lo_db, 0.3, "P10 ungated: the quiet part");
        }
        free(env);
        free(x);
        sm_spectrum_free(&s);
    }
}
END_TEST

/* Reset and clear forget the levels; an analyser that failed to init reads
 * the floor. */
START_TEST(test_spectrum_reset)
{
    sm_spectrum s;
    ck_assert_int_eq(sm_spectrum_init(&s, 2, FS, 4096, 0), 0);
    long n = (long)(3 * FS);
    double *env = switching(n, 0.1, 1.0, 0.1, 1.0);
    float *x = tone(n, 1000.0, env);
    run(&s, x, n);
    double out[SM_SPECTRUM_BANDS];
    sm_spectrum_percentiles(&s, Q4 + 1, 1, out);
    NEAR(out[17], sine_db(0.1), 0.3, "before reset");
    sm_spectrum_reset(&s);
    sm_spectrum_percentiles(&s, Q4 + 1, 1, out);
    ck_assert(out[17] == SM_FLOOR_DB);
    run(&s, x, n);
    sm_spectrum_clear(&s);
    sm_spectrum_percentiles(&s, Q4 + 1, 1, out);
    ck_assert(out[17] == SM_FLOOR_DB);
    sm_spectrum_free(&s);
    ck_assert_int_eq(sm_spectrum_init(&s, 2, FS, 1000, 0), -1);
    sm_spectrum_percentiles(&s, Q4 + 1, 1, out);
    for (int b = 0; b < SM_SPECTRUM_BANDS; b++)
        ck_assert(out[b] == SM_FLOOR_DB);
    free(env);
    free(x);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("bandstats");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_steady_power);
    tcase_add_test(tc, test_moving_mean_percentiles);
    tcase_add_test(tc, test_gate_threshold);
    tcase_add_test(tc, test_absolute_gate_and_floor);
    tcase_add_test(tc, test_range_ends);
    tcase_add_test(tc, test_steady_sine_in_spectrum);
    tcase_add_test(tc, test_switching_tone);
    tcase_add_test(tc, test_duty_and_gate);
    tcase_add_test(tc, test_spectrum_reset);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
