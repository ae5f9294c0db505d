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

/* The block form of the sliding minimum returns what value-by-value pushes
 * return (brute force as above), whatever the block lengths. */
START_TEST(test_minhold_block_matches_brute_force)
{
    const int lens[] = {1, 3, 64, 549};
    for (size_t k = 0; k < sizeof lens / sizeof *lens; k++) {
        int len = lens[k];
        sm_minhold h;
        ck_assert_int_eq(sm_minhold_init(&h, 600), 0);
        sm_minhold_set_length(&h, len);
        static float hist[6000], got[100];
        for (int i = 0; i < 6000; i++)
            hist[i] = (float)(i % 700 < 200 ? 1.0 : floor(uniform() * 16) / 16);
        for (int i = 0, m = 1; i < 6000; i += m, m = m % 97 + 1) {
            if (m > 6000 - i)
                m = 6000 - i;
            sm_minhold_push_block(&h, hist + i, got, m);
            for (int j = 0; j < m; j++) {
                float want = hist[i + j];
                for (int t = i + j - len + 1; t <= i + j; t++)
                    if (t >= 0 && hist[t] < want)
                        want = hist[t];
                ck_assert_msg(got[j] == want, "len %d step %d: %g, want %g",
                              len, i + j, got[j], want);
            }
        }
        sm_minhold_free(&h);
    }
}
END_TEST

/* Once a reduction has been released, the output is again exactly the
 * delayed input (limiter.h: the reduction lands on exactly 0): loud noise
 * for 0.1 s (about 13 dB of reduction), then a sine at -10 dBFS. The
 * release (50 ms, slowed at most 4x by auto: a time constant of at most
 * 200 ms) brings the reduction under 1e-7 within 16 time constants, 3.2 s;
 * from 4 s on every output sample equals its input. */
START_TEST(test_release_lands_on_exact_input)
{
    const int n = 5 * 48000, sr = 48000;
    float *x = malloc(sizeof(float) * n), *y0 = malloc(sizeof(float) * n),
          *y1 = malloc(sizeof(float) * n);
    for (int i = 0; i < n; i++)
        x[i] = i < sr / 10 ? (float)(4 * (2 * uniform() - 1))
                           : (float)(0.316 * sin(0.03 * i));
    sm_limiter l;
    ck_assert_int_eq(sm_limiter_init(&l, 2, sr), 0);
    sm_limiter_settle(&l);
    run(&l, x, x, y0, y1, n, 64);
    int lat = sm_limiter_latency(&l);
    ck_assert(sm_limiter_take_gr_db(&l) < -6.0); /* it did limit */
    for (int i = 4 * sr; i < n; i++)
        ck_assert_msg(y0[i] == x[i - lat] && y1[i] == x[i - lat],
                      "sample %d: %.9g, input %.9g", i, y0[i], x[i - lat]);
    ck_assert_int_eq(l.overs, 0);
    sm_limiter_free(&l);
    free(x), free(y0), free(y1);
}
END_TEST

/* The self-check counts what its BS.1770 meter reads above the ceiling it
 * judges against, and is not silenced by its shortcut (it skips a block
 * only when no reading can exceed the lowest ceiling in question). The
 * limiter makes no overs by itself, so the test lowers the recorded
 * ceilings the check reads (l.ceil_ring) by 6 dB before every block: the
 * first steps of each block are then judged against -7 dBTP while the
 * output, loud noise limited at -1 dBTP, often reaches above that. Overs
 * must be counted, none larger than the 6 dB (the output stays under
 * -1 dBTP);
 * the same run without the change counts none. */
START_TEST(test_self_check_counts_overs)
{
    const int n = 48000;
    float *x0 = malloc(sizeof(float) * n), *x1 = malloc(sizeof(float) * n);
    float *y0 = malloc(sizeof(float) * n), *y1 = malloc(sizeof(float) * n);
    for (int i = 0; i < n; i++) {
        x0[i] = (float)(4 * (2 * uniform() - 1));
        x1[i] = (float)(4 * (2 * uniform() - 1));
    }
    for (int lowered = 0; lowered < 2; lowered++) {
        sm_limiter l;
        ck_assert_int_eq(sm_limiter_init(&l, 2, 48000), 0);
        sm_limiter_set_ceiling_db(&l, -1.0);
        sm_limiter_settle(&l);
        float low = (float)sm_db_to_amp(-7.0);
        for (int i = 0; i < n; i += 64) {
            if (lowered)
                for (int j = 0; j <= l.delay_mask; j++)
                    l.ceil_ring[j] = low;
            const float *in[2] = {x0 + i, x1 + i};
            float *out[2] = {y0 + i, y1 + i};
            sm_limiter_process(&l, in, out, 64);
        }
        if (lowered) {
            ck_assert_msg(l.overs > 100, "%ld overs counted", l.overs);
            double over_db = 20 * log10(l.over_peak);
            ck_assert_msg(over_db > 0.0 && over_db <= 6.0 + 1e-4,
                          "largest over %.5f dB", over_db);
        } else
            ck_assert_int_eq(l.overs, 0);
        sm_limiter_free(&l);
    }
    free(x0), free(x1), free(y0), free(y1);
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
    tcase_add_test(tc, test_minhold_block_matches_brute_force);
    tcase_add_test(tc, test_release_lands_on_exact_input);
    tcase_add_test(tc, test_self_check_counts_overs);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
