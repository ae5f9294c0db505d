/* test_loudness.c - unit tests of the EBU R128 meter (externals/dsp/loudness.[ch]),
 * through the sm_loudness_* API only.
 *
 * Where the expected values come from:
 *  - EBU Tech 3341 (V3/V4) Table 1 and EBU Tech 3342 Table 1. Signals are synthesised here at the stated
 *    per-channel peak levels: an in-phase stereo 1 kHz sine at X dBFS reads
 *    X LUFS. Tolerances: +-0.1 LU for M/S/I, +-1 LU for LRA.
 *  - An independent reference: a plain libebur128 state in its default
 *    (non-histogram) mode fed the same samples.
 *  - Analytic values: BS.1770 channel weights (10 log10 of the weight), the
 *    BS.1770-4 gating applied to piecewise-constant energies, and the
 *    documented behaviour in loudness.h (floor for silence, weights, pause).
 * None was obtained by running the code under test. Set SM_TEST_VERBOSE=1 to
 * print the measured values.
 */
#define _POSIX_C_SOURCE 200809L
#include "loudness.h"
#include "numerics.h"

#include <check.h>
#include <ebur128.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FS 48000.0
#define TOL_LU 0.1
#define TOL_LRA 1.0
#define MAXBLOCK 8192

static int verbose(void)
{
    const char *v = getenv("SM_TEST_VERBOSE");
    return v && *v && *v != '0';
}

static double dbfs(double db) { return pow(10.0, db / 20.0); }

/* Deterministic generator (xorshift64*). */
static uint64_t rng_state = 1;
static void rng_seed(uint64_t s) { rng_state = s ? s : 1; }
static double rng_uniform(void) /* [0, 1) */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ull) >> 11) /
           9007199254740992.0;
}

/* ------------------------------------------------------------------ */
/* Tone feeder: a phase-continuous 1 kHz sine, per-channel amplitude amp[c]
 * (0 = silence), `frames` frames processed in blocks of `block`, with an
 * optional callback after every block. `pos` counts frames since the start of
 * the signal and keeps the sine continuous across calls. */
typedef void (*block_cb)(const sm_loudness *m, long pos, void *ctx);

typedef struct {
    double fs;
    long pos;
    double freq;
} tone_gen;

static void tone_init(tone_gen *g, double fs)
{
    g->fs = fs;
    g->pos = 0;
    g->freq = 1000.0;
}

static void feed(sm_loudness *m, tone_gen *g, int nch, const double *amp,
                 long frames, int block, block_cb cb, void *ctx)
{
    static float buf[SM_LOUDNESS_MAXCH][MAXBLOCK];
    const float *in[SM_LOUDNESS_MAXCH];
    ck_assert_int_le(block, MAXBLOCK);
    for (long off = 0; off < frames;) {
        int k = (int)(frames - off < block ? frames - off : block);
        for (int i = 0; i < k; i++) {
            double s = sin(2.0 * SM_PI * g->freq * (double)(g->pos + i) / g->fs);
            for (int c = 0; c < nch; c++)
                buf[c][i] = (float)(amp[c] * s);
        }
        for (int c = 0; c < nch; c++)
            in[c] = buf[c];
        sm_loudness_process(m, in, k);
        g->pos += k;
        off += k;
        if (cb)
            cb(m, g->pos, ctx);
    }
}

/* Stereo in-phase tone at `level` dBFS per channel (-INFINITY = silence)
 * for `seconds`. */
static void stereo(sm_loudness *m, tone_gen *g, double level, double seconds,
                   int block, block_cb cb, void *ctx)
{
    double a = isinf(level) ? 0.0 : dbfs(level);
    double amp[2] = {a, a};
    feed(m, g, 2, amp, lround(seconds * g->fs), block, cb, ctx);
}

static sm_loudness_readings read_m(const sm_loudness *m)
{
    sm_loudness_readings r;
    sm_loudness_read(m, &r);
    return r;
}

#define ASSERT_NEAR(x, expected, tol, what)                                    \
    ck_assert_msg(fabs((x) - (expected)) <= (tol),                             \
                  "%s: read %.4f, expected %.4f +- %.3f", (what), (double)(x), \
                  (double)(expected), (double)(tol))

/* Runs a list of stereo tone segments (level dBFS, seconds) through a fresh
 * 48 kHz meter and returns the final readings. */
typedef struct {
    double level, seconds;
} seg;

static sm_loudness_readings run_segments(const seg *s, int n, double fs)
{
    sm_loudness m;
    tone_gen g;
    ck_assert_int_eq(sm_loudness_init(&m, 2, fs), 0);
    tone_init(&g, fs);
    for (int i = 0; i < n; i++)
        stereo(&m, &g, s[i].level, s[i].seconds, 1000, NULL, NULL);
    sm_loudness_readings r = read_m(&m);
    sm_loudness_free(&m);
    return r;
}

/* ------------------------------------------------------------------ */
/* EBU Tech 3341 case 1 (-23 dBFS, 20 s) and case 2 (-33 dBFS, 20 s):
 * M, S, I = -23.0 / -33.0 LUFS +- 0.1 LU. Also, for case 1, the peaks:
 * the sine's amplitude A is its true peak, and at 48 kHz a 1 kHz sine at
 * phase 0 has a sample exactly on its crest (sample 12 of every 48), so the
 * sample peak is A (as a float) and the true peak lies in
 * [A, A + 0.02 dB] (truepeak.h); plr = truepeak - integrated by definition. */
START_TEST(test_ebu3341_case1_case2)
{
    static const double levels[] = {-23.0, -33.0};
    double L = levels[_i];
    seg s[] = {{L, 20.0}};
    sm_loudness_readings r = run_segments(s, 1, FS);
    if (verbose())
        printf("3341 case %d: M %.4f S %.4f I %.4f TP %.4f SP %.4f\n", _i + 1,
               r.momentary, r.shortterm, r.integrated, r.truepeak,
               r.samplepeak);
    ASSERT_NEAR(r.momentary, L, TOL_LU, "M");
    ASSERT_NEAR(r.shortterm, L, TOL_LU, "S");
    ASSERT_NEAR(r.integrated, L, TOL_LU, "I");
    double sp = 20.0 * log10((double)(float)dbfs(L));
    ASSERT_NEAR(r.samplepeak, sp, 1e-4, "sample peak");
    ck_assert_msg(r.truepeak >= sp - 1e-4 && r.truepeak <= L + 0.02,
                  "true peak %.4f, expected [%.4f, %.4f]", r.truepeak, sp,
                  L + 0.02);
    ASSERT_NEAR(r.plr, r.truepeak - r.integrated, 1e-9, "plr");
}
END_TEST

/* EBU Tech 3341 cases 3, 4, 5: I = -23.0 LUFS +- 0.1 LU. */
START_TEST(test_ebu3341_case3_4_5)
{
    static const seg c3[] = {{-36, 10}, {-23, 60}, {-36, 10}};
    static const seg c4[] = {{-72, 10}, {-36, 10}, {-23, 60}, {-36, 10},
                             {-72, 10}};
    static const seg c5[] = {{-26, 20}, {-20, 20.1}, {-26, 20}};
    const seg *cs[] = {c3, c4, c5};
    const int ns[] = {3, 5, 3};
    sm_loudness_readings r = run_segments(cs[_i], ns[_i], FS);
    if (verbose())
        printf("3341 case %d: I %.4f\n", _i + 3, r.integrated);
    ASSERT_NEAR(r.integrated, -23.0, TOL_LU, "I");
}
END_TEST

/* EBU Tech 3341 case 6: 5.0 channels L R C Ls Rs at -28, -28, -24, -30, -30
 * dBFS, 20 s, with the default weights (loudness.h: 5 channels are
 * L R C Ls Rs, surrounds 1.41): I = -23.0 LUFS +- 0.1 LU. */
START_TEST(test_ebu3341_case6)
{
    sm_loudness m;
    tone_gen g;
    ck_assert_int_eq(sm_loudness_init(&m, 5, FS), 0);
    tone_init(&g, FS);
    double amp[5] = {dbfs(-28), dbfs(-28), dbfs(-24), dbfs(-30), dbfs(-30)};
    feed(&m, &g, 5, amp, lround(20.0 * FS), 1000, NULL, NULL);
    sm_loudness_readings r = read_m(&m);
    if (verbose())
        printf("3341 case 6: I %.4f M %.4f\n", r.integrated, r.momentary);
    ASSERT_NEAR(r.integrated, -23.0, TOL_LU, "I");
    sm_loudness_free(&m);
}
END_TEST

/* Cases 9 and 12: short-term (resp. momentary) loudness read after every 1 ms
 * block must stay at -23.0 +- 0.1 LUFS from 3 s (resp. 1 s) on. */
typedef struct {
    int use_s;
    long from;
    double lo, hi;
    long count;
} steady_ctx;

static void steady_cb(const sm_loudness *m, long pos, void *vctx)
{
    steady_ctx *c = vctx;
    if (pos < c->from)
        return;
    sm_loudness_readings r = read_m(m);
    double v = c->use_s ? r.shortterm : r.momentary;
    c->lo = v < c->lo ? v : c->lo;
    c->hi = v > c->hi ? v : c->hi;
    c->count++;
}

/* EBU Tech 3341 case 9: (1.34 s at -20, 1.66 s at -30 dBFS) x 5; S = -23.0
 * +- 0.1 LUFS, constant after 3 s. */
START_TEST(test_ebu3341_case9)
{
    sm_loudness m;
    tone_gen g;
    ck_assert_int_eq(sm_loudness_init(&m, 2, FS), 0);
    tone_init(&g, FS);
    steady_ctx c = {1, lround(3.0 * FS), 1e9, -1e9, 0};
    for (int k = 0; k < 5; k++) {
        stereo(&m, &g, -20.0, 1.34, 48, steady_cb, &c);
        stereo(&m, &g, -30.0, 1.66, 48, steady_cb, &c);
    }
    if (verbose())
        printf("3341 case 9: S in [%.4f, %.4f] over %ld readings\n", c.lo,
               c.hi, c.count);
    ck_assert_int_ge(c.count, 11000);
    ASSERT_NEAR(c.lo, -23.0, TOL_LU, "lowest S after 3 s");
    ASSERT_NEAR(c.hi, -23.0, TOL_LU, "highest S after 3 s");
    sm_loudness_free(&m);
}
END_TEST

/* EBU Tech 3341 case 12: (0.18 s at -20, 0.22 s at -30 dBFS) x 25; M = -23.0
 * +- 0.1 LUFS, constant after 1 s. */
START_TEST(test_ebu3341_case12)
{
    sm_loudness m;
    tone_gen g;
    ck_assert_int_eq(sm_loudness_init(&m, 2, FS), 0);
    tone_init(&g, FS);
    steady_ctx c = {0, lround(1.0 * FS), 1e9, -1e9, 0};
    for (int k = 0; k < 25; k++) {
        stereo(&m, &g, -20.0, 0.18, 48, steady_cb, &c);
        stereo(&m, &g, -30.0, 0.22, 48, steady_cb, &c);
    }
    if (verbose())
        printf("3341 case 12: M in [%.4f, %.4f] over %ld readings\n", c.lo,
               c.hi, c.count);
    ck_assert_int_ge(c.count, 8900);
    ASSERT_NEAR(c.lo, -23.0, TOL_LU, "lowest M after 1 s");
    ASSERT_NEAR(c.hi, -23.0, TOL_LU, "highest M after 1 s");
    sm_loudness_free(&m);
}
END_TEST

/* EBU Tech 3341 case 13 (file-based): for i = 0..19, a separate measurement
 * (meter reset) of i*20 ms silence, 400 ms at -23 dBFS, 1 s silence; max M =
 * -23.0 +- 0.1 LUFS for each. */
START_TEST(test_ebu3341_case13)
{
    sm_loudness m;
    tone_gen g;
    ck_assert_int_eq(sm_loudness_init(&m, 2, FS), 0);
    double lo = 1e9, hi = -1e9;
    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq(sm_loudness_reset(&m), 0);
        tone_init(&g, FS);
        stereo(&m, &g, -INFINITY, i * 0.020, 512, NULL, NULL);
        stereo(&m, &g, -23.0, 0.400, 512, NULL, NULL);
        stereo(&m, &g, -INFINITY, 1.0, 512, NULL, NULL);
        sm_loudness_readings r = read_m(&m);
        lo = r.maxmomentary < lo ? r.maxmomentary : lo;
        hi = r.maxmomentary > hi ? r.maxmomentary : hi;
        ck_assert_msg(fabs(r.maxmomentary + 23.0) <= TOL_LU,
                      "segment %d: max M %.4f, expected -23.0 +- 0.1", i + 1,
                      r.maxmomentary);
    }
    if (verbose())
        printf("3341 case 13: max M in [%.4f, %.4f]\n", lo, hi);
    sm_loudness_free(&m);
}
END_TEST

/* EBU Tech 3341 case 14 (live): one signal of 20 units, unit i = i*20 ms
 * silence, 400 ms at (-38 + i) dBFS, (400 - i*20) ms silence; the maximum of
 * M within each unit (M read after every 1 ms) = -38 + i +- 0.1 LUFS.
 * (The silence between two tones is 420 ms, longer than the 400 ms window,
 * and each tone is 1 dB louder than the one before, so the maximum of a unit
 * is its own tone's.) */
typedef struct {
    double maxm;
} max_ctx;

static void max_cb(const sm_loudness *m, long pos, void *vctx)
{
    (void)pos;
    max_ctx *c = vctx;
    sm_loudness_readings r = read_m(m);
    c->maxm = r.momentary > c->maxm ? r.momentary : c->maxm;
}

START_TEST(test_ebu3341_case14)
{
    sm_loudness m;
    tone_gen g;
    ck_assert_int_eq(sm_loudness_init(&m, 2, FS), 0);
    tone_init(&g, FS);
    double worst = 0.0;
    for (int i = 0; i < 20; i++) {
        max_ctx c = {-1e9};
        stereo(&m, &g, -INFINITY, i * 0.020, 48, max_cb, &c);
        stereo(&m, &g, -38.0 + i, 0.400, 48, max_cb, &c);
        stereo(&m, &g, -INFINITY, 0.400 - i * 0.020, 48, max_cb, &c);
        double err = c.maxm - (-38.0 + i);
        worst = fabs(err) > fabs(worst) ? err : worst;
        ck_assert_msg(fabs(err) <= TOL_LU,
                      "unit %d: max M %.4f, expected %.1f +- 0.1", i + 1,
                      c.maxm, -38.0 + i);
    }
    if (verbose())
        printf("3341 case 14: largest error %+.4f LU\n", worst);
    sm_loudness_free(&m);
}
END_TEST

/* EBU Tech 3342 cases 1-4: LRA = 10, 5, 20, 15 LU +- 1 LU. */
START_TEST(test_ebu3342_cases_1_4)
{
    static const seg c1[] = {{-20, 20}, {-30, 20}};
    static const seg c2[] = {{-20, 20}, {-15, 20}};
    static const seg c3[] = {{-40, 20}, {-20, 20}};
    static const seg c4[] = {{-50, 20}, {-35, 20}, {-20, 20}, {-35, 20},
                             {-50, 20}};
    static const double expected[] = {10, 5, 20, 15};
    const seg *cs[] = {c1, c2, c3, c4};
    const int ns[] = {2, 2, 2, 5};
    sm_loudness_readings r = run_segments(cs[_i], ns[_i], FS);
    if (verbose())
        printf("3342 case %d: LRA %.4f\n", _i + 1, r.range);
    ASSERT_NEAR(r.range, expected[_i], TOL_LRA, "LRA");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Independent reference: the same deterministic stereo noise (level changing
 * every 500 ms between -45 and -10 dBFS RMS, with a 2 s silent gap) fed to a
 * plain libebur128 state in its default (non-histogram) mode. Our sub-blocks
 * start at sample 0 after init (loudness.h: 1 ms sub-blocks at 48 kHz), so at
 * every 100 ms boundary our M and S cover exactly the same samples as
 * libebur128's. Expected: M and S within 0.01 LU at every boundary;
 * integrated within 0.1 LU and LRA within 0.2 LU (our meter uses libebur128's
 * histogram mode, 0.1 LU bins); sample peaks equal exactly; our max M/S not
 * below the maximum of the reference's 100 ms readings (ours are evaluated
 * more often). */
START_TEST(test_reference_libebur128)
{
    const int nch = 2, blk = 4800;
    const long total = lround(60.0 * FS);
    sm_loudness m;
    ck_assert_int_eq(sm_loudness_init(&m, nch, FS), 0);
    ebur128_state *ref =
        ebur128_init((unsigned)nch, (unsigned long)FS,
                     EBUR128_MODE_M | EBUR128_MODE_S | EBUR128_MODE_I |
                         EBUR128_MODE_LRA | EBUR128_MODE_SAMPLE_PEAK);
    ck_assert_ptr_nonnull(ref);
    static float pl[2][4800], il[2 * 4800];
    rng_seed(20240601);
    double level = 0.0, max_dm = 0.0, max_ds = 0.0, ref_max_m = -HUGE_VAL,
           ref_max_s = -HUGE_VAL;
    long checked = 0;
    for (long pos = 0; pos < total; pos += blk) {
        if (pos % 24000 == 0) {
            double t = pos / FS;
            level = (t >= 30.0 && t < 32.0)
                        ? 0.0
                        : dbfs(-45.0 + 35.0 * rng_uniform());
        }
        for (int i = 0; i < blk; i++)
            for (int c = 0; c < nch; c++) {
                /* sum of 4 uniforms: roughly Gaussian, RMS = level */
                double v = 0.0;
                for (int j = 0; j < 4; j++)
                    v += 2.0 * rng_uniform() - 1.0;
                float x = (float)(level * v * sqrt(3.0 / 4.0));
                pl[c][i] = x;
                il[i * nch + c] = x;
            }
        const float *in[2] = {pl[0], pl[1]};
        sm_loudness_process(&m, in, blk);
        ck_assert_int_eq(ebur128_add_frames_float(ref, il, (size_t)blk),
                         EBUR128_SUCCESS);
        double rm, rs;
        ck_assert_int_eq(ebur128_loudness_momentary(ref, &rm), EBUR128_SUCCESS);
        ck_assert_int_eq(ebur128_loudness_shortterm(ref, &rs), EBUR128_SUCCESS);
        sm_loudness_readings r = read_m(&m);
        double t = (pos + blk) / FS;
        if (rm > SM_FLOOR_DB) {
            double d = fabs(r.momentary - rm);
            max_dm = d > max_dm ? d : max_dm;
            ck_assert_msg(d <= 0.01, "t=%.1f s: M %.5f, reference %.5f", t,
                          r.momentary, rm);
        } else {
            ck_assert_msg(r.momentary == SM_FLOOR_DB,
                          "t=%.1f s: M %.5f, reference %g (below floor)", t,
                          r.momentary, rm);
        }
        if (rs > SM_FLOOR_DB) {
            double d = fabs(r.shortterm - rs);
            max_ds = d > max_ds ? d : max_ds;
            ck_assert_msg(d <= 0.01, "t=%.1f s: S %.5f, reference %.5f", t,
                          r.shortterm, rs);
        } else {
            ck_assert_msg(r.shortterm == SM_FLOOR_DB,
                          "t=%.1f s: S %.5f, reference %g (below floor)", t,
                          r.shortterm, rs);
        }
        ref_max_m = rm > ref_max_m ? rm : ref_max_m;
        ref_max_s = rs > ref_max_s ? rs : ref_max_s;
        checked++;
    }
    sm_loudness_readings r = read_m(&m);
    double ri, rl;
    ck_assert_int_eq(ebur128_loudness_global(ref, &ri), EBUR128_SUCCESS);
    ck_assert_int_eq(ebur128_loudness_range(ref, &rl), EBUR128_SUCCESS);
    if (verbose())
        printf("reference: %ld boundaries, max |dM| %.6f, max |dS| %.6f, "
               "I %.4f/%.4f, LRA %.4f/%.4f\n",
               checked, max_dm, max_ds, r.integrated, ri, r.range, rl);
    ASSERT_NEAR(r.integrated, ri, 0.1, "I vs libebur128");
    ASSERT_NEAR(r.range, rl, 0.2, "LRA vs libebur128");
    ck_assert_msg(rl > 3.0, "reference LRA %.2f: test signal too flat", rl);
    double pk_all = 0.0;
    for (int c = 0; c < nch; c++) {
        double p;
        ck_assert_int_eq(ebur128_sample_peak(ref, (unsigned)c, &p),
                         EBUR128_SUCCESS);
        pk_all = p > pk_all ? p : pk_all;
        ck_assert_msg(r.samplepeak_ch[c] == 20.0 * log10(p),
                      "ch %d sample peak %.9f dBFS, reference %.9f", c,
                      r.samplepeak_ch[c], 20.0 * log10(p));
    }
    ck_assert_msg(r.samplepeak == 20.0 * log10(pk_all),
                  "sample peak %.9f dBFS, reference %.9f", r.samplepeak,
                  20.0 * log10(pk_all));
    ck_assert_msg(r.maxmomentary >= ref_max_m - 0.01,
                  "max M %.4f below the reference's %.4f", r.maxmomentary,
                  ref_max_m);
    ck_assert_msg(r.maxshortterm >= ref_max_s - 0.01,
                  "max S %.4f below the reference's %.4f", r.maxshortterm,
                  ref_max_s);
    ebur128_destroy(&ref);
    sm_loudness_free(&m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Silence (loudness.h): M, S, I read SM_FLOOR_DB, LRA 0, plr 0 (integrated
 * at the floor), psr 0; peaks at the floor. Before any input and after 10 s
 * of digital silence. */
static void check_silent(const sm_loudness_readings *r, const char *when)
{
    ck_assert_msg(r->momentary == SM_FLOOR_DB, "%s: M %g", when, r->momentary);
    ck_assert_msg(r->shortterm == SM_FLOOR_DB, "%s: S %g", when, r->shortterm);
    ck_assert_msg(r->integrated == SM_FLOOR_DB, "%s: I %g", when,
                  r->integrated);
    ck_assert_msg(r->maxmomentary == SM_FLOOR_DB, "%s: max M %g", when,
                  r->maxmomentary);
    ck_assert_msg(r->maxshortterm == SM_FLOOR_DB, "%s: max S %g", when,
                  r->maxshortterm);
    ck_assert_msg(r->range == 0.0, "%s: LRA %g", when, r->range);
    ck_assert_msg(r->plr == 0.0, "%s: plr %g", when, r->plr);
    ck_assert_msg(r->psr == 0.0, "%s: psr %g", when, r->psr);
    ck_assert_msg(r->truepeak == SM_FLOOR_DB, "%s: TP %g", when, r->truepeak);
    ck_assert_msg(r->samplepeak == SM_FLOOR_DB, "%s: SP %g", when,
                  r->samplepeak);
}

START_TEST(test_silence)
{
    sm_loudness m;
    tone_gen g;
    ck_assert_int_eq(sm_loudness_init(&m, 2, FS), 0);
    sm_loudness_readings r = read_m(&m);
    check_silent(&r, "before input");
    tone_init(&g, FS);
    stereo(&m, &g, -INFINITY, 10.0, 1000, NULL, NULL);
    r = read_m(&m);
    check_silent(&r, "after 10 s of silence");
    /* and after a reset that follows a tone */
    stereo(&m, &g, -20.0, 2.0, 1000, NULL, NULL);
    r = read_m(&m);
    ck_assert(r.momentary > -21.0);
    ck_assert_int_eq(sm_loudness_reset(&m), 0);
    r = read_m(&m);
    check_silent(&r, "after reset");
    sm_loudness_free(&m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Weights. BS.1770: the loudness is 10 log10 of the weighted sum of channel
 * energies, so a signal on one channel of weight w reads 10 log10(w) above
 * the same signal on a weight-1 channel.
 * A 2-channel meter with weights 2 and 0 fed a mono sine on channel 0 (and an
 * unrelated loud tone on channel 1, which weight 0 must exclude) must read
 * the dual-mono result: the same sine on both channels of a default stereo
 * meter (within 0.01 LU), which is 10 log10(2) = 3.0103 dB above a 1-channel
 * meter fed the sine (within 0.01 LU). Also the documented clamping of
 * sm_loudness_set_weight (0 .. SM_LOUDNESS_MAXWEIGHT). */
START_TEST(test_weights_dual_mono)
{
    const long n = lround(5.0 * FS);
    const double a = dbfs(-23.0);
    sm_loudness w, dual, mono;
    ck_assert_int_eq(sm_loudness_init(&w, 2, FS), 0);
    ck_assert_int_eq(sm_loudness_init(&dual, 2, FS), 0);
    ck_assert_int_eq(sm_loudness_init(&mono, 1, FS), 0);
    sm_loudness_set_weight(&w, 0, 2.0);
    sm_loudness_set_weight(&w, 1, 0.0);
    ASSERT_NEAR(sm_loudness_weight(&w, 0), 2.0, 1e-6, "weight 0");
    ASSERT_NEAR(sm_loudness_weight(&w, 1), 0.0, 1e-12, "weight 1");

    /* channel 1 of the weighted meter: a loud 3 kHz tone */
    static float s[4800], other[4800];
    for (long off = 0; off < n; off += 4800) {
        for (int i = 0; i < 4800; i++) {
            double t = (double)(off + i) / FS;
            s[i] = (float)(a * sin(2.0 * SM_PI * 1000.0 * t));
            other[i] = (float)(0.5 * sin(2.0 * SM_PI * 3000.0 * t));
        }
        const float *iw[2] = {s, other}, *id[2] = {s, s}, *im[1] = {s};
        sm_loudness_process(&w, iw, 4800);
        sm_loudness_process(&dual, id, 4800);
        sm_loudness_process(&mono, im, 4800);
    }
    sm_loudness_readings rw = read_m(&w), rd = read_m(&dual),
                         rm = read_m(&mono);
    if (verbose())
        printf("weights: weighted M %.4f, dual mono %.4f, mono %.4f "
               "(diff %.4f)\n",
               rw.momentary, rd.momentary, rm.momentary,
               rw.momentary - rm.momentary);
    ASSERT_NEAR(rw.momentary, rd.momentary, 0.01, "M weighted vs dual mono");
    ASSERT_NEAR(rw.shortterm, rd.shortterm, 0.01, "S weighted vs dual mono");
    ASSERT_NEAR(rw.integrated, rd.integrated, 0.01, "I weighted vs dual mono");
    ASSERT_NEAR(rw.momentary - rm.momentary, 10.0 * log10(2.0), 0.01,
                "M weighted - mono");
    /* I comes from libebur128's histogram mode (loudness.h), which reports
     * the centre of a 0.1 LU bin: each I is within 0.05 LU of the exact
     * value, so the difference of two is within 0.1 LU. */
    ASSERT_NEAR(rw.integrated - rm.integrated, 10.0 * log10(2.0), 0.1 + 1e-9,
                "I weighted - mono");

    sm_loudness_set_weight(&w, 0, 10.0);
    ASSERT_NEAR(sm_loudness_weight(&w, 0), SM_LOUDNESS_MAXWEIGHT, 1e-6,
                "clamped high");
    sm_loudness_set_weight(&w, 0, -3.0);
    ASSERT_NEAR(sm_loudness_weight(&w, 0), 0.0, 1e-12, "clamped low");
    ck_assert(sm_loudness_weight(&w, 2) == 0.0);
    sm_loudness_set_weight(&w, 5, 1.0); /* out of range: ignored */
    sm_loudness_free(&w);
    sm_loudness_free(&dual);
    sm_loudness_free(&mono);
}
END_TEST

/* Default weights for 1..8 channels (loudness.h: "1 for every channel,
 * except that 5 channels are L R C Ls Rs and 6 are L R C LFE Ls Rs
 * (surrounds 1.41, LFE 0)"). A -20 dBFS 1 kHz sine on channel c alone (the
 * others silent) must read 10 log10(w_c) above the same sine in a 1-channel
 * meter (within 0.01 LU; SM_FLOOR_DB for weight 0), and
 * sm_loudness_weight must report w_c. */
static double documented_weight(int nch, int c)
{
    if (nch == 5 && c >= 3)
        return 1.41;
    if (nch == 6)
        return c == 3 ? 0.0 : c >= 4 ? 1.41 : 1.0;
    return 1.0;
}

static double momentary_of_channel(int nch, int c)
{
    sm_loudness m;
    tone_gen g;
    ck_assert_int_eq(sm_loudness_init(&m, nch, FS), 0);
    tone_init(&g, FS);
    double amp[SM_LOUDNESS_MAXCH] = {0};
    amp[c] = dbfs(-20.0);
    feed(&m, &g, nch, amp, lround(1.0 * FS), 1000, NULL, NULL);
    sm_loudness_readings r = read_m(&m);
    for (int k = 0; k < nch; k++)
        ck_assert_msg(fabs(sm_loudness_weight(&m, k) -
                           documented_weight(nch, k)) < 1e-6,
                      "%d channels: weight of channel %d is %g, documented "
                      "%g",
                      nch, k, sm_loudness_weight(&m, k),
                      documented_weight(nch, k));
    sm_loudness_free(&m);
    return r.momentary;
}

START_TEST(test_default_weights)
{
    double ref = momentary_of_channel(1, 0);
    int nch = _i + 1, bad = 0;
    char msg[512] = "";
    size_t len = 0;
    for (int c = 0; c < nch; c++) {
        double w = documented_weight(nch, c);
        double got = momentary_of_channel(nch, c);
        double expected = w > 0.0 ? ref + 10.0 * log10(w) : SM_FLOOR_DB;
        int ok = w > 0.0 ? fabs(got - expected) <= 0.01 : got == SM_FLOOR_DB;
        if (verbose())
            printf("%d channels, channel %d alone: %.4f (expected %.4f)%s\n",
                   nch, c, got, expected, ok ? "" : "  <-- wrong");
        if (!ok) {
            bad++;
            len += (size_t)snprintf(msg + len, sizeof msg - len,
                                    " ch%d %.3f (expected %.3f);", c, got,
                                    expected);
            if (len >= sizeof msg)
                len = sizeof msg - 1;
        }
    }
    ck_assert_msg(bad == 0, "%d channels:%s", nch, msg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Pause (loudness.h: "While paused, audio is ignored and every reading
 * holds"). 3 s at -20 dBFS; pause; 5 s at -6 dBFS with NaNs: every reading
 * is unchanged (bit for bit). Resume with 3 s at -30 dBFS: M then reads
 * -30 +- 0.1 (the meter runs again) and max M is still the -20 tone's
 * (-20 +- 0.1), because the loud paused audio was never measured. */
START_TEST(test_pause)
{
    sm_loudness m;
    tone_gen g;
    ck_assert_int_eq(sm_loudness_init(&m, 2, FS), 0);
    tone_init(&g, FS);
    stereo(&m, &g, -20.0, 3.0, 1000, NULL, NULL);
    sm_loudness_readings before = read_m(&m);
    sm_loudness_set_paused(&m, 1);
    stereo(&m, &g, -6.0, 5.0, 1000, NULL, NULL);
    float nan_block[64];
    for (int i = 0; i < 64; i++)
        nan_block[i] = NAN;
    const float *in[2] = {nan_block, nan_block};
    sm_loudness_process(&m, in, 64);
    sm_loudness_readings during = read_m(&m);
    ck_assert_msg(memcmp(&before, &during, sizeof before) == 0,
                  "readings changed while paused: M %.4f -> %.4f, I %.4f -> "
                  "%.4f, TP %.4f -> %.4f",
                  before.momentary, during.momentary, before.integrated,
                  during.integrated, before.truepeak, during.truepeak);
    sm_loudness_set_paused(&m, 0);
    stereo(&m, &g, -30.0, 3.0, 1000, NULL, NULL);
    sm_loudness_readings after = read_m(&m);
    if (verbose())
        printf("pause: before M %.4f, after M %.4f max M %.4f TP %.4f\n",
               before.momentary, after.momentary, after.maxmomentary,
               after.truepeak);
    ASSERT_NEAR(after.momentary, -30.0, TOL_LU, "M after resume");
    ASSERT_NEAR(after.maxmomentary, -20.0, TOL_LU, "max M after resume");
    ck_assert_msg(after.truepeak < -19.9, "paused audio reached the true peak: "
                                          "%.4f",
                  after.truepeak);
    sm_loudness_free(&m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Integrated loudness by BS.1770-4 applied to an ideal piecewise-constant
 * energy signal: 400 ms blocks every 100 ms, block energy = time-weighted
 * mean of the segment energies it covers, absolute gate -70 LUFS, relative
 * gate -10 LU, result 10 log10 of the mean gated energy. Segment energies are
 * in the LUFS domain (an in-phase stereo tone at X dBFS: 10^(X/10)). Used as
 * the analytic expectation for the whole-set value in the mark test. */
static double model_integrated(const seg *s, int n)
{
    double total = 0.0;
    for (int i = 0; i < n; i++)
        total += s[i].seconds;
    int nb = (int)floor((total - 0.4) / 0.1 + 1e-9) + 1;
    double *e = malloc(sizeof(double) * (size_t)nb);
    ck_assert_ptr_nonnull(e);
    int kept = 0;
    double sum = 0.0;
    for (int b = 0; b < nb; b++) {
        double t0 = 0.1 * b, t1 = t0 + 0.4, acc = 0.0, start = 0.0;
        for (int i = 0; i < n; i++) {
            double a0 = start, a1 = start + s[i].seconds;
            double lo = a0 > t0 ? a0 : t0, hi = a1 < t1 ? a1 : t1;
            if (hi > lo && !isinf(s[i].level))
                acc += (hi - lo) * pow(10.0, s[i].level / 10.0);
            start = a1;
        }
        e[b] = acc / 0.4;
        if (e[b] > pow(10.0, -70.0 / 10.0)) {
            sum += e[b];
            kept++;
        }
    }
    double rel = sum / kept * pow(10.0, -10.0 / 10.0), gated = 0.0;
    int ng = 0;
    for (int b = 0; b < nb; b++)
        if (e[b] > pow(10.0, -70.0 / 10.0) && e[b] > rel) {
            gated += e[b];
            ng++;
        }
    free(e);
    return 10.0 * log10(gated / ng);
}

/* Mark (loudness.h: "Close the current piece: fill *p with its results and
 * start the next one, while the whole-set measurement goes on").
 * Two scenarios of two pieces:
 *  A: 20 s at -20 dBFS, mark, 10 s at -26 dBFS, mark.
 *  B: 20 s at -20 dBFS, mark, 20 s at -34 dBFS, mark (the second piece is
 *     below the whole set's relative gate, so the set reads about -20).
 * Expected: each piece's integrated = its tone level +- 0.1 LU (a constant
 * tone passes both gates); piece numbers 1, 2; each piece's true peak lies in
 * [its tone's sample peak, tone level + 0.02 dB] (the 1 kHz crest falls on a
 * sample at 48 kHz, see case 1); the whole-set integrated = the gated mean of
 * energies from model_integrated() +- 0.1 LU. For A (all blocks pass) this is
 * close to 10 log10((20 * 10^-2 + 10 * 10^-2.6)/30) = -21.25 LUFS. */
START_TEST(test_mark)
{
    static const seg sa[] = {{-20.0, 20.0}, {-26.0, 10.0}};
    static const seg sb[] = {{-20.0, 20.0}, {-34.0, 20.0}};
    const seg *s = _i == 0 ? sa : sb;
    sm_loudness m;
    tone_gen g;
    ck_assert_int_eq(sm_loudness_init(&m, 2, FS), 0);
    tone_init(&g, FS);
    sm_loudness_piece p[2];
    for (int k = 0; k < 2; k++) {
        stereo(&m, &g, s[k].level, s[k].seconds, 1000, NULL, NULL);
        ck_assert_int_eq(sm_loudness_mark(&m, &p[k]), 0);
    }
    sm_loudness_readings r = read_m(&m);
    double expected_set = model_integrated(s, 2);
    /* Cross-check of the model against the closed form quoted above (no
     * block is gated out). They differ only because the first and last 0.3 s
     * are covered by fewer than 4 blocks: at most 0.3/30 of the time, so a
     * few 0.01 LU at most. */
    if (_i == 0)
        ASSERT_NEAR(expected_set,
                    10.0 * log10((20.0 * 1e-2 + 10.0 * pow(10.0, -2.6)) / 30.0),
                    0.02, "model vs closed form");
    if (verbose())
        printf("mark %c: pieces %d:%.4f (TP %.4f) %d:%.4f (TP %.4f); set "
               "%.4f, expected %.4f\n",
               'A' + _i, p[0].number, p[0].integrated, p[0].truepeak,
               p[1].number, p[1].integrated, p[1].truepeak, r.integrated,
               expected_set);
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(p[k].number, k + 1);
        ck_assert_msg(fabs(p[k].integrated - s[k].level) <= TOL_LU,
                      "piece %d: I %.4f, expected %.1f", k + 1,
                      p[k].integrated, s[k].level);
        ck_assert_msg(p[k].range < 1.0, "piece %d: LRA %.3f of a constant tone",
                      k + 1, p[k].range);
    }
    ASSERT_NEAR(r.integrated, expected_set, TOL_LU, "whole-set I");
    for (int k = 0; k < 2; k++) {
        double sp = 20.0 * log10((double)(float)dbfs(s[k].level));
        ck_assert_msg(p[k].truepeak >= sp - 1e-4 &&
                          p[k].truepeak <= s[k].level + 0.02,
                      "piece %d: true peak %.4f dBTP, expected [%.4f, %.4f]",
                      k + 1, p[k].truepeak, sp, s[k].level + 0.02);
    }
    sm_loudness_free(&m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Non-finite and denormal input (loudness.h: "Non-finite samples count as
 * silence") must never make any reading NaN or Inf. After each block of a
 * sequence (tone, tone with NaN/Inf/denormals sprinkled, all-NaN, all +Inf,
 * all -Inf, all denormal, tone again) every field of the readings is checked
 * with isfinite(); afterwards 1 s of the -20 dBFS tone reads M = -20 +- 0.1
 * (the bad samples left no residue in the filters). Also: a fresh meter fed
 * only denormals reads M = S = I = SM_FLOOR_DB. */
static void check_finite(const sm_loudness *m, int nch, const char *when)
{
    sm_loudness_readings r = read_m(m);
    double v[] = {r.momentary,    r.shortterm,    r.integrated, r.range,
                  r.maxmomentary, r.maxshortterm, r.truepeak,   r.samplepeak,
                  r.plr,          r.psr};
    static const char *names[] = {"M",     "S",     "I",  "LRA", "maxM",
                                  "maxS",  "TP",    "SP", "PLR", "PSR"};
    for (size_t k = 0; k < sizeof v / sizeof *v; k++)
        ck_assert_msg(isfinite(v[k]), "%s: %s is %g", when, names[k], v[k]);
    for (int c = 0; c < nch; c++) {
        ck_assert_msg(isfinite(r.truepeak_ch[c]), "%s: TP ch %d is %g", when,
                      c, r.truepeak_ch[c]);
        ck_assert_msg(isfinite(r.samplepeak_ch[c]), "%s: SP ch %d is %g",
                      when, c, r.samplepeak_ch[c]);
    }
}

START_TEST(test_nonfinite)
{
    sm_loudness m;
    tone_gen g;
    ck_assert_int_eq(sm_loudness_init(&m, 2, FS), 0);
    tone_init(&g, FS);
    stereo(&m, &g, -20.0, 1.0, 1000, NULL, NULL);
    check_finite(&m, 2, "tone");

    static float a[2][4800];
    const float fills[] = {NAN, INFINITY, -INFINITY, FLT_MIN / 4.0f,
                           -0x1p-149f};
    const char *what[] = {"NaN", "+Inf", "-Inf", "denormal", "-denormal"};
    /* tone with bad samples sprinkled in */
    for (int i = 0; i < 4800; i++) {
        double s = 0.1 * sin(2.0 * SM_PI * 1000.0 * i / FS);
        a[0][i] = (i % 5 == 0) ? fills[(i / 5) % 5] : (float)s;
        a[1][i] = (i % 7 == 0) ? fills[(i / 7) % 5] : (float)s;
    }
    const float *in[2] = {a[0], a[1]};
    for (int k = 0; k < 10; k++) {
        sm_loudness_process(&m, in, 4800);
        check_finite(&m, 2, "sprinkled");
    }
    /* whole blocks of each bad value, several sizes */
    for (int f = 0; f < 5; f++) {
        for (int i = 0; i < 4800; i++)
            a[0][i] = a[1][i] = fills[f];
        for (int k = 0; k < 10; k++) {
            sm_loudness_process(&m, in, k % 2 ? 4800 : 333);
            check_finite(&m, 2, what[f]);
        }
    }
    stereo(&m, &g, -20.0, 1.0, 1000, NULL, NULL);
    check_finite(&m, 2, "tone after");
    sm_loudness_readings r = read_m(&m);
    ASSERT_NEAR(r.momentary, -20.0, TOL_LU, "M after non-finite input");
    sm_loudness_free(&m);

    /* denormals only */
    ck_assert_int_eq(sm_loudness_init(&m, 2, FS), 0);
    for (int i = 0; i < 4800; i++) {
        a[0][i] = (i & 1) ? FLT_MIN / 2.0f : -FLT_MIN / 3.0f;
        a[1][i] = 0x1p-149f;
    }
    for (int k = 0; k < 40; k++)
        sm_loudness_process(&m, in, 4800);
    check_finite(&m, 2, "denormals only");
    r = read_m(&m);
    ck_assert_msg(r.momentary == SM_FLOOR_DB && r.shortterm == SM_FLOOR_DB &&
                      r.integrated == SM_FLOOR_DB,
                  "denormals only: M %g S %g I %g", r.momentary, r.shortterm,
                  r.integrated);
    sm_loudness_free(&m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* True peak is never below sample peak. The true peak is the maximum of the
 * continuous signal, which passes through every sample, so by definition
 * truepeak >= samplepeak for every channel at every reading. Checked after
 * every 64-frame block (Pd's block size) of: one block of 63 zeros and a
 * final sample of 0.5; then 50 runs (reset before each) of 42 blocks of
 * noise whose level rises by 25 % a block, so that a new maximum arrives in
 * nearly every block, sometimes in its last samples. */
START_TEST(test_truepeak_not_below_samplepeak)
{
    sm_loudness m;
    ck_assert_int_eq(sm_loudness_init(&m, 2, FS), 0);
    float x[2][64];
    memset(x, 0, sizeof x);
    x[0][63] = 0.5f;
    x[1][63] = -0.25f;
    const float *in[2] = {x[0], x[1]};
    sm_loudness_process(&m, in, 64);
    sm_loudness_readings r = read_m(&m);
    double click_tp = r.truepeak, click_sp = r.samplepeak;
    if (verbose())
        printf("click at the end of a block: SP %.4f TP %.4f\n", click_sp,
               click_tp);
    rng_seed(555);
    int below = 0, blocks = 0;
    double worst = 0.0;
    for (int cycle = 0; cycle < 50; cycle++) {
        ck_assert_int_eq(sm_loudness_reset(&m), 0);
        double level = 1e-4;
        for (int b = 0; b < 42; b++, level *= 1.25) {
            for (int i = 0; i < 64; i++)
                for (int c = 0; c < 2; c++)
                    x[c][i] = (float)(level * (2.0 * rng_uniform() - 1.0));
            sm_loudness_process(&m, in, 64);
            r = read_m(&m);
            blocks++;
            for (int c = 0; c < 2; c++) {
                double d = r.truepeak_ch[c] - r.samplepeak_ch[c];
                if (d < 0.0) {
                    below++;
                    worst = d < worst ? d : worst;
                }
            }
        }
    }
    if (verbose())
        printf("rising noise: TP below SP in %d of %d channel readings "
               "(worst %.4f dB)\n",
               below, 2 * blocks, worst);
    ck_assert_msg(click_tp >= click_sp && below == 0,
                  "click in the last sample of a block: true peak %.4f dBTP, "
                  "sample peak %.4f dBFS; rising noise: true peak below "
                  "sample peak in %d of %d channel readings (worst %.4f dB)",
                  click_tp, click_sp, below, 2 * blocks, worst);
    sm_loudness_free(&m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Sample rates 44.1, 96 and 192 kHz: EBU Tech 3341 case 1 still reads
 * M = S = I = -23.0 +- 0.1 LUFS. Also the documented evaluation interval
 * (loudness.h: 1 ms sub-blocks where the rate allows, at most 10 ms): 10 ms
 * at 44.1 kHz (441 frames; no shorter whole-frame length divides 400 and
 * 3000 ms), 1 ms at 48, 96 and 192 kHz. */
START_TEST(test_sample_rates)
{
    static const double rates[] = {44100.0, 96000.0, 192000.0};
    static const double update[] = {10.0, 1.0, 1.0};
    double fs = rates[_i];
    seg s[] = {{-23.0, 20.0}};
    sm_loudness_readings r = run_segments(s, 1, fs);
    if (verbose())
        printf("case 1 at %.0f Hz: M %.4f S %.4f I %.4f\n", fs, r.momentary,
               r.shortterm, r.integrated);
    ASSERT_NEAR(r.momentary, -23.0, TOL_LU, "M");
    ASSERT_NEAR(r.shortterm, -23.0, TOL_LU, "S");
    ASSERT_NEAR(r.integrated, -23.0, TOL_LU, "I");
    sm_loudness m;
    ck_assert_int_eq(sm_loudness_init(&m, 2, fs), 0);
    ASSERT_NEAR(sm_loudness_update_ms(&m), update[_i], 1e-9, "update ms");
    sm_loudness_free(&m);
    ck_assert_int_eq(sm_loudness_init(&m, 2, FS), 0);
    ASSERT_NEAR(sm_loudness_update_ms(&m), 1.0, 1e-9, "update ms at 48 kHz");
    sm_loudness_free(&m);
}
END_TEST

/* Bad arguments (loudness.h: -1 for a bad channel count or sample rate; the
 * meter then stays silent). */
START_TEST(test_init_rejects)
{
    static const struct {
        int nch;
        double fs;
    } bad[] = {{0, 48000}, {-1, 48000}, {SM_LOUDNESS_MAXCH + 1, 48000},
               {2, 0.0},   {2, -48000}, {2, NAN}};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        sm_loudness m;
        ck_assert_msg(sm_loudness_init(&m, bad[k].nch, bad[k].fs) == -1,
                      "nch %d fs %g accepted", bad[k].nch, bad[k].fs);
        float x[64];
        for (int i = 0; i < 64; i++)
            x[i] = 0.5f;
        const float *in[2] = {x, x};
        sm_loudness_process(&m, in, 64);
        sm_loudness_readings r = read_m(&m);
        ck_assert(r.momentary == SM_FLOOR_DB && r.integrated == SM_FLOOR_DB &&
                  r.truepeak == SM_FLOOR_DB);
        sm_loudness_free(&m);
    }
}
END_TEST

static Suite *loudness_suite(void)
{
    Suite *s = suite_create("loudness");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_ebu3341_case1_case2, 0, 2);
    tcase_add_loop_test(tc, test_ebu3341_case3_4_5, 0, 3);
    tcase_add_test(tc, test_ebu3341_case6);
    tcase_add_test(tc, test_ebu3341_case9);
    tcase_add_test(tc, test_ebu3341_case12);
    tcase_add_test(tc, test_ebu3341_case13);
    tcase_add_test(tc, test_ebu3341_case14);
    tcase_add_loop_test(tc, test_ebu3342_cases_1_4, 0, 4);
    tcase_add_test(tc, test_reference_libebur128);
    tcase_add_test(tc, test_silence);
    tcase_add_test(tc, test_weights_dual_mono);
    tcase_add_loop_test(tc, test_default_weights, 0, SM_LOUDNESS_MAXCH);
    tcase_add_test(tc, test_pause);
    tcase_add_loop_test(tc, test_mark, 0, 2);
    tcase_add_test(tc, test_nonfinite);
    tcase_add_test(tc, test_truepeak_not_below_samplepeak);
    tcase_add_loop_test(tc, test_sample_rates, 0, 3);
    tcase_add_test(tc, test_init_rejects);
    suite_add_tcase(s, tc);
    return s;
}

/* Build (from the repository root):
 *   cc -std=c99 -O2 -Wall -Wextra -Iexternals/dsp tests/unit/test_loudness.c
 *      externals/dsp/[all .c files] $(pkg-config --cflags --libs check
 *      libebur128) -lm -o build/test_loudness */
int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* verbose lines survive a failing test */
    SRunner *sr = srunner_create(loudness_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
