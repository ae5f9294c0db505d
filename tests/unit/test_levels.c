/* test_levels.c - unit tests of the per-channel level statistics
 * (externals/dsp/levels.[ch]) and of the stereo image formulas
 * (externals/dsp/stereo.[ch]).
 *
 * Expected values are analytic: a sine of amplitude A sampled at fs/8 with
 * a crest on a sample has mean square A^2/2 over whole periods and sample
 * peak A; DC adds its square; exponential averages of piecewise-constant
 * signals are geometric sums over the folds of SM_LEVELS_FOLD samples
 * (levels.h documents the fold). Mid/side identities: L = M + S, R = M - S.
 * Set SM_TEST_VERBOSE=1 to print measured values.
 */
#define _POSIX_C_SOURCE 200809L
#include "levels.h"
#include "numerics.h"
#include "stereo.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int verbose(void)
{
    const char *v = getenv("SM_TEST_VERBOSE");
    return v && *v && *v != '0';
}

static double db10(double p)
{
    return 10.0 * log10(p);
}

/* Runs n frames through the meter in blocks of `block`. */
static void run(sm_levels *l, float **ch, int nch, long n, int block)
{
    const float *in[SM_LEVELS_MAXCH];
    for (long off = 0; off < n; off += block) {
        int k = (int)(n - off < block ? n - off : block);
        for (int c = 0; c < nch; c++)
            in[c] = ch[c] + off;
        sm_levels_process(l, in, k);
    }
}

#define NEAR(v, e, tol, what)                                                  \
    ck_assert_msg(fabs((v) - (e)) <= (tol), "%s: %.9g, expected %.9g +- %g",   \
                  what, (double)(v), (double)(e), (double)(tol))

/* ------------------------------------------------------------------ */

START_TEST(test_sine_and_dc_per_channel)
{
    static const int blocks[] = {1, 64, 100, 4096};
    double fs = 48000.0;
    long n = 8 * SM_LEVELS_FOLD * 40; /* whole folds and whole periods */
    float *a = malloc(sizeof(float) * n), *b = malloc(sizeof(float) * n);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    /* ch 0: 0.5 sin at fs/8 with a crest on a sample; ch 1: 0.25 DC plus a
     * 0.1 sine at fs/8 (crests 0.35) */
    for (long i = 0; i < n; i++) {
        double s = sin(2.0 * SM_PI * i / 8.0 + SM_PI / 2.0);
        a[i] = (float)(0.5 * s);
        b[i] = (float)(0.25 + 0.1 * s);
    }
    for (size_t k = 0; k < sizeof blocks / sizeof *blocks; k++) {
        sm_levels l;
        ck_assert_int_eq(sm_levels_init(&l, 2, fs), 0);
        float *ch[2] = {a, b};
        run(&l, ch, 2, n, blocks[k]);
        sm_levels_readings r;
        sm_levels_read(&l, &r);
        double ms0 = 0.125, ms1 = 0.0625 + 0.005;
        NEAR(r.rms_db[0], db10(ms0), 1e-4, "rms ch 0");
        NEAR(r.peak_db[0], 20 * log10(0.5), 1e-4, "peak ch 0");
        NEAR(r.crest_db[0], 10 * log10(2.0), 1e-4, "crest ch 0 (sine)");
        NEAR(r.dc[0], 0.0, 1e-6, "dc ch 0");
        NEAR(r.rms_db[1], db10(ms1), 1e-4, "rms ch 1");
        NEAR(r.peak_db[1], 20 * log10(0.35), 1e-4, "peak ch 1");
        NEAR(r.crest_db[1], 20 * log10(0.35) - db10(ms1), 1e-4, "crest ch 1");
        NEAR(r.dc[1], 0.25, 1e-6, "dc ch 1");
        if (verbose())
            printf("block %d: rms %.5f %.5f peak %.5f %.5f crest %.5f %.5f "
                   "dc %.6f %.6f\n",
                   blocks[k], r.rms_db[0], r.rms_db[1], r.peak_db[0],
                   r.peak_db[1], r.crest_db[0], r.crest_db[1], r.dc[0],
                   r.dc[1]);
    }
    free(a);
    free(b);
}
END_TEST

START_TEST(test_silence_and_nonfinite)
{
    sm_levels l;
    sm_levels_readings r;
    ck_assert_int_eq(sm_levels_init(&l, 1, 44100.0), 0);
    sm_levels_read(&l, &r); /* nothing yet */
    ck_assert(r.rms_db[0] == SM_FLOOR_DB && r.peak_db[0] == SM_FLOOR_DB);
    float x[1024];
    for (int i = 0; i < 1024; i++)
        x[i] = 0.0f;
    float *ch[1] = {x};
    run(&l, ch, 1, 1024, 64);
    sm_levels_read(&l, &r);
    ck_assert(r.rms_db[0] == SM_FLOOR_DB && r.peak_db[0] == SM_FLOOR_DB);
    ck_assert(r.crest_db[0] == 0.0 && r.dc[0] == 0.0);
    /* NaN, Inf and denormals count as 0: the readings stay those of 0.5 DC
     * over all the samples */
    sm_levels_reset(&l);
    for (int i = 0; i < 1024; i++)
        x[i] = (i % 4 == 0)   ? NAN
               : (i % 4 == 1) ? INFINITY
               : (i % 4 == 2) ? 1e-40f
                              : 0.5f;
    run(&l, ch, 1, 1024, 64);
    sm_levels_read(&l, &r);
    NEAR(r.dc[0], 0.125, 1e-9, "dc with non-finite samples");
    NEAR(r.rms_db[0], db10(0.0625), 1e-9, "rms with non-finite samples");
    NEAR(r.peak_db[0], 20 * log10(0.5), 1e-9, "peak with non-finite samples");
}
END_TEST

/* DC steps from 1 to 0.5 after k1 folds; k2 folds later the exponential
 * average is sum a^j x_j / sum a^j over the folds (newest j = 0). */
START_TEST(test_exponential_average)
{
    double fs = 48000.0, tau = 0.5;
    int k1 = 300, k2 = 40;
    long n = (long)(k1 + k2) * SM_LEVELS_FOLD;
    float *x = malloc(sizeof(float) * n);
    ck_assert_ptr_nonnull(x);
    for (long i = 0; i < n; i++)
        x[i] = i < (long)k1 * SM_LEVELS_FOLD ? 1.0f : 0.5f;
    sm_levels l;
    ck_assert_int_eq(sm_levels_init(&l, 1, fs), 0);
    sm_levels_set_average(&l, tau);
    float *ch[1] = {x};
    run(&l, ch, 1, n, 64);
    sm_levels_readings r;
    sm_levels_read(&l, &r);
    double a = exp(-SM_LEVELS_FOLD / (tau * fs));
    /* folds 0..k2-1 (newest) hold 0.5, folds k2..k1+k2-1 hold 1 */
    double wb = (1 - pow(a, k2)) / (1 - a);
    double wa = pow(a, k2) * (1 - pow(a, k1)) / (1 - a);
    double dc = (0.5 * wb + 1.0 * wa) / (wa + wb);
    double ms = (0.25 * wb + 1.0 * wa) / (wa + wb);
    NEAR(r.dc[0], dc, 1e-9, "exponential dc");
    NEAR(r.rms_db[0], db10(ms), 1e-9, "exponential rms");
    /* the held peak falls by sqrt(a) per fold since the last 1.0 */
    NEAR(r.peak_db[0], 20 * log10(pow(a, k2 / 2.0)), 1e-9,
         "held peak after k2 folds");
    /* infinite averaging: plain means */
    sm_levels_set_average(&l, 0.0);
    sm_levels_reset(&l);
    run(&l, ch, 1, n, 64);
    sm_levels_read(&l, &r);
    NEAR(r.dc[0], (k1 * 1.0 + k2 * 0.5) / (k1 + k2), 1e-9, "infinite dc");
    NEAR(r.peak_db[0], 0.0, 1e-12, "infinite peak");
    free(x);
}
END_TEST

START_TEST(test_init_rejects)
{
    sm_levels l;
    ck_assert_int_eq(sm_levels_init(&l, 0, 48000.0), -1);
    ck_assert_int_eq(sm_levels_init(&l, SM_LEVELS_MAXCH + 1, 48000.0), -1);
    ck_assert_int_eq(sm_levels_init(&l, 2, 0.0), -1);
    ck_assert_int_eq(sm_levels_init(&l, 2, NAN), -1);
    float x[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    const float *in[1] = {x};
    sm_levels_process(&l, in, 8); /* does nothing */
    sm_levels_readings r;
    sm_levels_read(&l, &r);
    ck_assert(r.rms_db[0] == SM_FLOOR_DB);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Stereo image from mid/side energies, for signals whose L and R energies
 * are known: em = <M^2>, es = <S^2>, ems = <M S>. */

static void image(double ll, double rr, double lr, double *em, double *es,
                  double *ems)
{
    /* M = (L + R)/2, S = (L - R)/2 */
    *em = 0.25 * (ll + rr + 2 * lr);
    *es = 0.25 * (ll + rr - 2 * lr);
    *ems = 0.25 * (ll - rr);
}

START_TEST(test_stereo_image)
{
    double em, es, ems;
    /* identical channels */
    image(1, 1, 1, &em, &es, &ems);
    NEAR(sm_stereo_correlation(em, es, ems), 1.0, 1e-12, "identical r");
    ck_assert(sm_stereo_width_db(em, es) == -SM_STEREO_LIMIT_DB);
    NEAR(sm_stereo_balance_db(em, es, ems), 0.0, 1e-12, "identical balance");
    /* inverted */
    image(1, 1, -1, &em, &es, &ems);
    NEAR(sm_stereo_correlation(em, es, ems), -1.0, 1e-12, "inverted r");
    ck_assert(sm_stereo_width_db(em, es) == SM_STEREO_LIMIT_DB);
    /* independent, equal level */
    image(1, 1, 0, &em, &es, &ems);
    NEAR(sm_stereo_correlation(em, es, ems), 0.0, 1e-12, "independent r");
    NEAR(sm_stereo_width_db(em, es), 0.0, 1e-12, "independent width");
    /* R = g L: r = 1, balance -20 log10 g, width 20 log10 |1-g|/(1+g) */
    double g = 0.5;
    image(1, g * g, g, &em, &es, &ems);
    NEAR(sm_stereo_correlation(em, es, ems), 1.0, 1e-12, "R = L/2 r");
    NEAR(sm_stereo_balance_db(em, es, ems), 20 * log10(2.0), 1e-9,
         "R = L/2 balance");
    NEAR(sm_stereo_width_db(em, es), 20 * log10(0.5 / 1.5), 1e-9,
         "R = L/2 width");
    /* one side silent */
    image(1, 0, 0, &em, &es, &ems);
    NEAR(sm_stereo_correlation(em, es, ems), 0.0, 1e-12, "R silent r");
    ck_assert(sm_stereo_balance_db(em, es, ems) == SM_STEREO_LIMIT_DB);
    NEAR(sm_stereo_width_db(em, es), 0.0, 1e-12, "R silent width");
    image(0, 1, 0, &em, &es, &ems);
    ck_assert(sm_stereo_balance_db(em, es, ems) == -SM_STEREO_LIMIT_DB);
    /* silence */
    ck_assert(sm_stereo_correlation(0, 0, 0) == 0.0);
    ck_assert(sm_stereo_width_db(0, 0) == -SM_STEREO_LIMIT_DB);
    ck_assert(sm_stereo_balance_db(0, 0, 0) == 0.0);
    /* partial correlation: L = x + y, R = x - y... r = (|x|^2-|y|^2)/(..) */
    image(2, 2, 1, &em, &es, &ems);
    NEAR(sm_stereo_correlation(em, es, ems), 0.5, 1e-12, "r = 0.5");
    /* the mid/side split */
    float m, s;
    sm_stereo_ms(0.75f, 0.25f, &m, &s);
    ck_assert(m == 0.5f && s == 0.25f);
}
END_TEST

static Suite *levels_suite(void)
{
    Suite *s = suite_create("levels");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_sine_and_dc_per_channel);
    tcase_add_test(tc, test_silence_and_nonfinite);
    tcase_add_test(tc, test_exponential_average);
    tcase_add_test(tc, test_init_rejects);
    tcase_add_test(tc, test_stereo_image);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    SRunner *sr = srunner_create(levels_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
