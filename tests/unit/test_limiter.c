/* Unit tests of the limiter core (externals/dsp/limiter.c) and its
 * sliding-window minimum (minhold.c). Expected values come from brute force
 * (the minimum over the window computed directly) and from the definition
 * of the limiter (sample peak at most the ceiling, delay equal to the
 * reported latency). The true-peak accuracy of the output is judged in the
 * Pd tests against independent reference meters. */
#include "limiter.h"
#include "minhold.h"
#include "numerics.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

static unsigned rng_state = 1;
static double uniform(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (rng_state >> 8) / 16777216.0;
}

START_TEST(test_minhold_matches_brute_force)
{
    const int lens[] = {1, 2, 3, 17, 100};
    for (size_t k = 0; k < sizeof lens / sizeof *lens; k++) {
        int len = lens[k];
        sm_minhold h;
        ck_assert_int_eq(sm_minhold_init(&h, 128), 0);
        sm_minhold_set_length(&h, len);
        float hist[5000];
        for (int i = 0; i < 5000; i++) {
            /* runs of equal values and plateaus test the ties */
            hist[i] = (float)(i % 300 < 100 ? 0.5 : floor(uniform() * 8) / 8);
            float got = sm_minhold_push(&h, hist[i]);
            float want = hist[i];
            for (int j = i - len + 1; j <= i; j++)
                if (j >= 0 && hist[j] < want)
                    want = hist[j];
            ck_assert_msg(got == want, "len %d step %d: %g, want %g", len, i,
                          got, want);
        }
        sm_minhold_free(&h);
    }
}
END_TEST

/* Runs the limiter over a whole signal in blocks of `block`. */
static void run(sm_limiter *l, float *x0, float *x1, float *y0, float *y1,
                long n, int block)
{
    for (long i = 0; i < n; i += block) {
        int k = (int)(n - i < block ? n - i : block);
        const float *in[2] = {x0 + i, x1 + i};
        float *out[2] = {y0 + i, y1 + i};
        sm_limiter_process(l, in, out, k);
    }
}

START_TEST(test_sample_peak_never_above_ceiling)
{
    const long n = 96000;
    float *x0 = malloc(sizeof(float) * n), *x1 = malloc(sizeof(float) * n);
    float *y0 = malloc(sizeof(float) * n), *y1 = malloc(sizeof(float) * n);
    const int blocks[] = {1, 64, 4096};
    const double srs[] = {44100, 48000, 96000};
    for (int b = 0; b < 3; b++)
        for (int s = 0; s < 3; s++) {
            for (long i = 0; i < n; i++) { /* bursts of loud noise, clicks */
                double env = (i / 4800) % 2 ? 4.0 : 0.3;
                x0[i] = (float)(env * (2 * uniform() - 1));
                x1[i] =
                    (float)((i % 997 == 0) ? 8.0 : 0.1 * (2 * uniform() - 1));
            }
            sm_limiter l;
            ck_assert_int_eq(sm_limiter_init(&l, 2, srs[s]), 0);
            sm_limiter_set_ceiling_db(&l, -1.0);
            sm_limiter_set_link(&l, b == 1 ? 0.0 : 100.0);
            sm_limiter_settle(&l);
            run(&l, x0, x1, y0, y1, n, blocks[b]);
            float c = (float)sm_db_to_amp(-1.0);
            for (long i = 0; i < n; i++)
                ck_assert_msg(fabsf(y0[i]) <= c && fabsf(y1[i]) <= c,
                              "block %d rate %g: sample %ld at %g dBFS",
                              blocks[b], srs[s], i,
                              20 * log10(fmax(fabsf(y0[i]), fabsf(y1[i]))));
            ck_assert_int_eq(l.overs, 0);
            sm_limiter_free(&l);
        }
    free(x0), free(x1), free(y0), free(y1);
}
END_TEST

START_TEST(test_latency_and_block_independence)
{
    const long n = 20000;
    float *x = calloc(n, sizeof(float)), *z = calloc(n, sizeof(float));
    float *a0 = malloc(sizeof(float) * n), *a1 = malloc(sizeof(float) * n);
    float *b0 = malloc(sizeof(float) * n), *b1 = malloc(sizeof(float) * n);
    for (long i = 0; i < n; i++)
        x[i] = (float)((i > 5000 ? 3.0 : 0.2) * sin(0.05 * i) +
                       0.1 * (2 * uniform() - 1));
    x[2000] = 0.5f; /* an impulse under the ceiling: comes out unchanged */
    sm_limiter l;
    ck_assert_int_eq(sm_limiter_init(&l, 2, 48000), 0);
    sm_limiter_settle(&l);
    run(&l, x, z, a0, a1, n, 64);
    int lat = sm_limiter_latency(&l);
    sm_limiter_free(&l);
    for (long i = 0; i < 4000; i++) /* quiet part: exact delayed copy */
        ck_assert_msg(a0[i + lat] == x[i], "sample %ld: %g vs %g", i,
                      a0[i + lat], x[i]);
    ck_assert_int_eq(sm_limiter_init(&l, 2, 48000), 0);
    sm_limiter_settle(&l);
    for (long i = 0, k = 1; i < n; i += k, k = k % 97 + 1) {
        long m = n - i < k ? n - i : k;
        const float *in[2] = {x + i, z + i};
        float *out[2] = {b0 + i, b1 + i};
        sm_limiter_process(&l, in, out, (int)m);
    }
    for (long i = 0; i < n; i++)
        ck_assert_msg(a0[i] == b0[i], "block sizes change sample %ld", i);
    sm_limiter_free(&l);
    free(x), free(z), free(a0), free(a1), free(b0), free(b1);
}
END_TEST

START_TEST(test_nonfinite_input_recovers)
{
    const int n = 48000;
    float *x = malloc(sizeof(float) * n), *y0 = malloc(sizeof(float) * n),
          *y1 = malloc(sizeof(float) * n);
    for (int i = 0; i < n; i++)
        x[i] = i < 1000 ? NAN : (i < 2000 ? INFINITY : 0.5f * sinf(0.01f * i));
    sm_limiter l;
    ck_assert_int_eq(sm_limiter_init(&l, 2, 48000), 0);
    sm_limiter_settle(&l);
    run(&l, x, x, y0, y1, n, 64);
    for (int i = 0; i < n; i++)
        ck_assert_msg(sm_isfinite(y0[i]), "sample %d is not finite", i);
    /* well after the non-finite input, the output is the delayed input */
    int lat = sm_limiter_latency(&l);
    for (int i = 40000; i < n; i++)
        ck_assert_msg(fabsf(y0[i] - x[i - lat]) < 1e-6f, "sample %d", i);
    sm_limiter_free(&l);
    free(x), free(y0), free(y1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("limiter");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_minhold_matches_brute_force);
    tcase_add_test(tc, test_sample_peak_never_above_ceiling);
    tcase_add_test(tc, test_latency_and_block_independence);
    tcase_add_test(tc, test_nonfinite_input_recovers);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
