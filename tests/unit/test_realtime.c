/* link: -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free */
/* Real-time rule (research notes §7.7 E1): the process functions the
 * perform routines call never allocate or free memory. The test binary is
 * linked with the allocator wrapped (the directive above, read by
 * tests/run), so every malloc/calloc/realloc/free of the cores, KissFFT and
 * libebur128 is counted while audio runs, in blocks of 64 and 1, on loud
 * noise with bursts, silence and a sine. */
#include "dyneq.h"
#include "levels.h"
#include "limiter.h"
#include "loudness.h"
#include "multiband.h"
#include "spectrum.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

static volatile int
    counting; /* volatile: malloc is a builtin to the compiler */
static volatile long calls;

void *__wrap_malloc(size_t n)
{
    calls += counting;
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    calls += counting;
    return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    calls += counting;
    return __real_realloc(p, n);
}

void __wrap_free(void *p)
{
    calls += counting && p != NULL;
    __real_free(p);
}

#define SR 48000.0
#define SECONDS 6
#define N ((int)(SECONDS * SR))

static float *sig[2];

/* noise at -6 dBFS with +12 dB bursts, 1 s of silence, a 1 kHz sine */
static void make_signal(void)
{
    unsigned r = 12345u;
    for (int c = 0; c < 2; c++) {
        sig[c] = __real_malloc(sizeof(float) * N);
        for (int i = 0; i < N; i++) {
            r = r * 1664525u + 1013904223u;
            double u = (double)(r >> 8) / 16777216.0 - 0.5;
            double t = i / SR;
            double burst = fmod(t, 0.5) < 0.05 ? 4.0 : 1.0;
            double x =
                t < 2.0 ? u * burst
                : t < 3.0
                    ? 0.0
                    : 0.7 * sin(2 * 3.14159265358979323846 * 1000.0 * t + c);
            sig[c][i] = (float)x;
        }
    }
}

/* Feeds the signal in blocks of `block` through process(state, in, out, n)
 * and returns the allocator calls made meanwhile. */
typedef void (*process_fn)(void *state, const float *const *in,
                           float *const *out, int n);

static long run(process_fn f, void *state, int block)
{
    static float o0[64], o1[64];
    float *out[2] = {o0, o1};
    calls = 0;
    counting = 1;
    for (int i = 0; i + block <= N; i += block) {
        const float *in[2] = {sig[0] + i, sig[1] + i};
        f(state, in, out, block);
    }
    counting = 0;
    return calls;
}

static void do_loudness(void *s, const float *const *in, float *const *out,
                        int n)
{
    (void)out;
    sm_loudness_process(s, in, n);
}

static void do_limiter(void *s, const float *const *in, float *const *out,
                       int n)
{
    sm_limiter_process(s, in, out, n);
}

static void do_mbcomp(void *s, const float *const *in, float *const *out, int n)
{
    sm_mbcomp_process(s, in, NULL, out, n);
}

static void do_dyneq(void *s, const float *const *in, float *const *out, int n)
{
    sm_dyneq_process(s, in, NULL, out, n);
}

static void do_spectrum(void *s, const float *const *in, float *const *out,
                        int n)
{
    (void)out;
    sm_spectrum_process(s, in, n);
}

static void do_levels(void *s, const float *const *in, float *const *out, int n)
{
    (void)out;
    sm_levels_process(s, in, n);
}

START_TEST(test_counter_counts)
{
    /* the wrap is in place: an allocation while counting is seen */
    calls = 0;
    counting = 1;
    volatile char *p = malloc(16); /* volatile: not optimised away */
    p[0] = 1;
    free((void *)p);
    counting = 0;
    ck_assert_int_eq(calls, 2);
}
END_TEST

START_TEST(test_process_functions_do_not_allocate)
{
    static const int blocks[] = {64, 1};
    make_signal();
    for (int k = 0; k < 2; k++) {
        int b = blocks[k];
        sm_loudness lu;
        ck_assert_int_eq(sm_loudness_init(&lu, 2, SR), 0);
        ck_assert_int_eq(run(do_loudness, &lu, b), 0);
        sm_loudness_free(&lu);

        sm_limiter li;
        ck_assert_int_eq(sm_limiter_init(&li, 2, SR), 0);
        sm_limiter_set_drive_db(&li, 12.0);
        ck_assert_int_eq(run(do_limiter, &li, b), 0);
        sm_limiter_free(&li);

        sm_mbcomp mb;
        ck_assert_int_eq(sm_mbcomp_init(&mb, 2, 4, 0, SR), 0);
        ck_assert_int_eq(run(do_mbcomp, &mb, b), 0);
        sm_mbcomp_free(&mb);

        sm_dyneq *eq = __real_calloc(1, sizeof *eq);
        sm_dyneq_init(eq, 2, 8, SR);
        for (int band = 0; band < 8; band++) {
            sm_dyneq_set(eq, band, SM_DYNEQ_RATIO, 3.0);
            sm_dyneq_set(eq, band, SM_DYNEQ_THRESHOLD, -30.0);
        }
        ck_assert_int_eq(run(do_dyneq, eq, b), 0);
        sm_dyneq_free(eq);
        __real_free(eq);

        sm_spectrum sp;
        ck_assert_int_eq(sm_spectrum_init(&sp, 2, SR, 4096, 1024), 0);
        ck_assert_int_eq(run(do_spectrum, &sp, b), 0);
        sm_spectrum_free(&sp);

        sm_levels lv;
        ck_assert_int_eq(sm_levels_init(&lv, 2, SR), 0);
        ck_assert_int_eq(run(do_levels, &lv, b), 0);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("realtime");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_counter_counts);
    tcase_add_test(tc, test_process_functions_do_not_allocate);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
