/* test_dyneq.c - unit tests of the dynamic EQ core (externals/dsp/dyneq.[ch]).
 *
 * Expected values come from definitions written out here, never from the
 * code under test:
 *  - static responses: the RBJ cookbook analog prototypes (complex H(s));
 *  - dynamic gains: the static curve of a compressor/expander with hard knee
 *    (Giannoulis et al. 2012, eq. for y_G), restated per direction:
 *      cutabove   d = -(1 - 1/R)(L - T) for L > T
 *      boostbelow d = +(1 - 1/R)(T - L) for L < T
 *      cutbelow   d = -(R - 1)(T - L)   for L < T
 *      boostabove d = +(R - 1)(L - T)   for L > T
 *    clamped to +-range, where L is the band's level: the peak amplitude in
 *    dBFS of a sine at the band's centre;
 *  - smoothness: the largest sample-to-sample step a sine of the largest
 *    amplitude involved can make, and the spectrum of a gain-modulated sine
 *    (energy far from the carrier is what zipper noise is made of).
 * Amplitudes are measured by a least-squares fit of a sine and cosine at
 * the known frequency over a steady stretch of output.
 * SM_TEST_VERBOSE=1 prints the measured values.
 */
#define _POSIX_C_SOURCE 200809L
#include "dyneq.h"
#include "numerics.h"
#include "svf.h"

#include <check.h>
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int verbose(void)
{
    const char *v = getenv("SM_TEST_VERBOSE");
    return v && *v && *v != '0';
}

#define FS 48000.0
#define MAXN (1 << 20)

static float bufa[SM_DYNEQ_MAXCH][MAXN], bufb[SM_DYNEQ_MAXCH][MAXN];
static float scbuf[MAXN];
static sm_dyneq eq; /* large: keep it off the stack */

/* --------------------------------------------------------- helpers */

static double complex proto(sm_svf_type t, double gain_db, double q, double w)
{
    double A = pow(10.0, gain_db / 40.0), sa = sqrt(A);
    double complex s = I * w, s2 = s * s;
    switch (t) {
    case SM_SVF_BELL:
        return (s2 + s * (A / q) + 1.0) / (s2 + s / (A * q) + 1.0);
    case SM_SVF_LOWSHELF:
        return A * (s2 + (sa / q) * s + A) / (A * s2 + (sa / q) * s + 1.0);
    case SM_SVF_HIGHSHELF:
        return A * (A * s2 + (sa / q) * s + 1.0) / (s2 + (sa / q) * s + A);
    case SM_SVF_LOWPASS:
        return 1.0 / (s2 + s / q + 1.0);
    case SM_SVF_HIGHPASS:
        return s2 / (s2 + s / q + 1.0);
    default:
        return (s2 + 1.0) / (s2 + s / q + 1.0);
    }
}

static double proto_db(sm_svf_type t, double g, double q, double f, double f0)
{
    return 20.0 * log10(cabs(proto(t, g, q, f / f0)));
}

/* Amplitude of the component at f in x[0..n) (least squares). */
static double amplitude(const float *x, long n, double f, double fs)
{
    double ss = 0, cc = 0, sc = 0, xs = 0, xc = 0;
    for (long i = 0; i < n; i++) {
        double s = sin(2 * SM_PI * f * i / fs), c = cos(2 * SM_PI * f * i / fs);
        ss += s * s;
        cc += c * c;
        sc += s * c;
        xs += x[i] * s;
        xc += x[i] * c;
    }
    double det = ss * cc - sc * sc;
    double a = (xs * cc - xc * sc) / det, b = (xc * ss - xs * sc) / det;
    return sqrt(a * a + b * b);
}

static double db(double a)
{
    return 20.0 * log10(a);
}

static void sine(float *x, long n, double f, double amp_db, double fs)
{
    double a = pow(10.0, amp_db / 20.0);
    for (long i = 0; i < n; i++)
        x[i] = (float)(a * sin(2 * SM_PI * f * i / fs));
}

/* Runs eq over bufa -> bufb (nch channels, sidechain scbuf) in blocks. */
static void run(long n, int block, int use_sc)
{
    for (long off = 0; off < n; off += block) {
        int m = n - off < block ? (int)(n - off) : block;
        const float *in[SM_DYNEQ_MAXCH];
        float *out[SM_DYNEQ_MAXCH];
        for (int c = 0; c < eq.nch; c++) {
            in[c] = bufa[c] + off;
            out[c] = bufb[c] + off;
        }
        sm_dyneq_process(&eq, in, use_sc ? scbuf + off : NULL, out, m);
    }
}

static void set(int band, sm_dyneq_param p, double v)
{
    sm_dyneq_set(&eq, band, p, v);
}

static double xorshift(uint64_t *s) /* uniform [-1, 1) */
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ull) >> 11) / 4503599627370496.0 -
           1.0;
}

/* The static dynamic curve, from the definitions in the header comment. */
static double curve_db(int dir, double level, double t, double r, double range)
{
    double d = 0;
    switch (dir) {
    case SM_DYNEQ_CUTABOVE:
        d = level > t ? -(1 - 1 / r) * (level - t) : 0;
        break;
    case SM_DYNEQ_BOOSTBELOW:
        d = level < t ? (1 - 1 / r) * (t - level) : 0;
        break;
    case SM_DYNEQ_CUTBELOW:
        d = level < t ? -(r - 1) * (t - level) : 0;
        break;
    default:
        d = level > t ? (r - 1) * (level - t) : 0;
        break;
    }
    return d > range ? range : (d < -range ? -range : d);
}

/* ------------------------------------------------------------ tests */

/* With ratio 1 every band is a plain EQ band: the response of bands in
 * series is the product of their prototypes. */
START_TEST(test_static_eq_matches_prototypes)
{
    sm_dyneq_init(&eq, 2, 4, FS);
    set(0, SM_DYNEQ_TYPE, SM_SVF_HIGHPASS);
    set(0, SM_DYNEQ_FREQ, 40);
    set(0, SM_DYNEQ_Q, 0.707);
    set(1, SM_DYNEQ_TYPE, SM_SVF_LOWSHELF);
    set(1, SM_DYNEQ_FREQ, 150);
    set(1, SM_DYNEQ_GAIN, 4);
    set(2, SM_DYNEQ_FREQ, 2500);
    set(2, SM_DYNEQ_Q, 2);
    set(2, SM_DYNEQ_GAIN, -6);
    set(3, SM_DYNEQ_TYPE, SM_SVF_HIGHSHELF);
    set(3, SM_DYNEQ_FREQ, 9000);
    set(3, SM_DYNEQ_GAIN, 3);
    static const double fr[] = {30,   60,   100,  200,  700,  2000,
                                2500, 3100, 5000, 8000, 9000, 10000};
    double worst = 0;
    long n = 48000;
    for (size_t k = 0; k < sizeof fr / sizeof *fr; k++) {
        sm_dyneq_clear(&eq);
        sine(bufa[0], n, fr[k], -6, FS);
        sine(bufa[1], n, fr[k], -6, FS);
        run(n, 64, 0);
        double got = db(amplitude(bufb[0] + n / 2, n / 2, fr[k], FS)) + 6;
        double want = proto_db(SM_SVF_HIGHPASS, 0, 0.707, fr[k], 40) +
                      proto_db(SM_SVF_LOWSHELF, 4, 0.707, fr[k], 150) +
                      proto_db(SM_SVF_BELL, -6, 2, fr[k], 2500) +
                      proto_db(SM_SVF_HIGHSHELF, 3, 0.707, fr[k], 9000);
        double r = db(amplitude(bufb[1] + n / 2, n / 2, fr[k], FS)) + 6;
        ck_assert_msg(fabs(got - want) < 0.1, "%g Hz: %.3f dB, want %.3f",
                      fr[k], got, want);
        ck_assert_msg(fabs(r - got) < 1e-4, "channels differ at %g Hz", fr[k]);
        if (fabs(got - want) > worst)
            worst = fabs(got - want);
        /* and the response helper agrees */
        double h = sm_dyneq_response_db(&eq, fr[k]);
        ck_assert_msg(fabs(h - got) < 0.01, "response %g vs measured %g", h,
                      got);
    }
    if (verbose())
        printf("static 4-band EQ vs prototypes: worst %.4f dB\n", worst);
}
END_TEST

/* Below threshold a dynamic band is exactly the static band. */
START_TEST(test_below_threshold_is_static)
{
    static const int types[] = {SM_SVF_BELL, SM_SVF_LOWSHELF, SM_SVF_HIGHSHELF};
    long n = 96000;
    uint64_t rs = 12345;
    for (int t = 0; t < 3; t++) {
        /* reference: ratio 1 */
        for (int pass = 0; pass < 2; pass++) {
            sm_dyneq_init(&eq, 2, 1, FS);
            set(0, SM_DYNEQ_TYPE, types[t]);
            set(0, SM_DYNEQ_FREQ, 1500);
            set(0, SM_DYNEQ_Q, 1.2);
            set(0, SM_DYNEQ_GAIN, 3);
            set(0, SM_DYNEQ_THRESHOLD, -10);
            set(0, SM_DYNEQ_RATIO, pass ? 4 : 1);
            set(0, SM_DYNEQ_KNEE, 6);
            set(0, SM_DYNEQ_RANGE, 12);
            rs = 12345;
            for (long i = 0; i < n; i++) { /* noise peaking near -20 dBFS */
                bufa[0][i] = (float)(0.1 * xorshift(&rs));
                bufa[1][i] = (float)(0.1 * xorshift(&rs));
            }
            run(n, 64, 0);
            if (!pass)
                for (int c = 0; c < 2; c++)
                    memcpy(bufa[2 + c], bufb[c], sizeof(float) * n);
        }
        double worst = 0;
        for (int c = 0; c < 2; c++)
            for (long i = 0; i < n; i++)
                if (fabs(bufb[c][i] - bufa[2 + c][i]) > worst)
                    worst = fabs(bufb[c][i] - bufa[2 + c][i]);
        ck_assert_msg(worst <= 1e-7,
                      "type %d: dynamic below threshold "
                      "differs from static by %g",
                      types[t], worst);
        ck_assert(sm_dyneq_gain_db(&eq, 0) == 0.0);
    }
    /* and sines below threshold see the static prototype within 0.05 dB */
    sm_dyneq_init(&eq, 2, 1, FS);
    set(0, SM_DYNEQ_FREQ, 1000);
    set(0, SM_DYNEQ_Q, 2);
    set(0, SM_DYNEQ_GAIN, -4);
    set(0, SM_DYNEQ_THRESHOLD, -20);
    set(0, SM_DYNEQ_RATIO, 8);
    static const double fr[] = {200, 600, 900, 1000, 1100, 1700, 5000};
    for (size_t k = 0; k < sizeof fr / sizeof *fr; k++) {
        sm_dyneq_clear(&eq);
        sine(bufa[0], 48000, fr[k], -26, FS);
        sine(bufa[1], 48000, fr[k], -26, FS);
        run(48000, 64, 0);
        double got = db(amplitude(bufb[0] + 24000, 24000, fr[k], FS)) + 26;
        double want = proto_db(SM_SVF_BELL, -4, 2, fr[k], 1000);
        ck_assert_msg(fabs(got - want) <= 0.05,
                      "%g Hz below threshold: %.3f "
                      "want %.3f",
                      fr[k], got, want);
    }
}
END_TEST

/* Above threshold: steady sines at the centre, every direction, several
 * frequencies and levels; the output gain at the centre and the reported
 * gain follow the curve within 0.5 dB. */
START_TEST(test_dynamic_curve)
{
    static const double f0s[] = {80, 1000, 6000, 14000};
    static const double levels[] = {-50, -38, -30, -22, -12, -3};
    const double t = -30, r = 3, range = 15, stat = 2;
    double worst = 0, worst_gr = 0;
    for (int dir = 0; dir < 4; dir++)
        for (size_t f = 0; f < 4; f++) {
            sm_dyneq_init(&eq, 2, 1, FS);
            set(0, SM_DYNEQ_FREQ, f0s[f]);
            set(0, SM_DYNEQ_Q, 1.5);
            set(0, SM_DYNEQ_GAIN, stat);
            set(0, SM_DYNEQ_THRESHOLD, t);
            set(0, SM_DYNEQ_RATIO, r);
            set(0, SM_DYNEQ_RANGE, range);
            set(0, SM_DYNEQ_ATTACK, 2);
            set(0, SM_DYNEQ_RELEASE, 50);
            set(0, SM_DYNEQ_DIRECTION, dir);
            for (size_t l = 0; l < 6; l++) {
                long n = 24000;
                sine(bufa[0], n, f0s[f], levels[l], FS);
                sine(bufa[1], n, f0s[f], levels[l], FS);
                run(n, 64, 0);
                double want = curve_db(dir, levels[l], t, r, range);
                double got = db(amplitude(bufb[0] + n / 2, n / 2, f0s[f], FS)) -
                             levels[l] - stat;
                double gr = sm_dyneq_gain_db(&eq, 0);
                ck_assert_msg(fabs(got - want) <= 0.5,
                              "dir %d f0 %g level %g: gain %.3f want %.3f", dir,
                              f0s[f], levels[l], got, want);
                ck_assert_msg(fabs(gr - want) <= 0.5,
                              "dir %d f0 %g level %g: reported %.3f want %.3f",
                              dir, f0s[f], levels[l], gr, want);
                if (fabs(got - want) > worst)
                    worst = fabs(got - want);
                if (fabs(gr - want) > worst_gr)
                    worst_gr = fabs(gr - want);
            }
        }
    if (verbose())
        printf("dynamic curve: worst output-gain error %.4f dB, reported "
               "%.4f dB\n",
               worst, worst_gr);
}
END_TEST

/* Soft knee: at the threshold a compressor with knee W changes the gain by
 * (1/R - 1) W / 8 (the knee's quadratic at its middle). */
START_TEST(test_knee_and_range)
{
    sm_dyneq_init(&eq, 1, 1, FS);
    set(0, SM_DYNEQ_FREQ, 2000);
    set(0, SM_DYNEQ_THRESHOLD, -20);
    set(0, SM_DYNEQ_RATIO, 4);
    set(0, SM_DYNEQ_KNEE, 12);
    set(0, SM_DYNEQ_RANGE, 30);
    sine(bufa[0], 24000, 2000, -20, FS);
    run(24000, 64, 0);
    double want = (1.0 / 4 - 1) * 12 / 8;
    ck_assert_msg(fabs(sm_dyneq_gain_db(&eq, 0) - want) < 0.05,
                  "knee: %g want %g", sm_dyneq_gain_db(&eq, 0), want);
    /* far above: the range holds */
    set(0, SM_DYNEQ_RANGE, 6);
    sine(bufa[0], 24000, 2000, 0, FS);
    run(24000, 64, 0);
    ck_assert_msg(fabs(sm_dyneq_gain_db(&eq, 0) + 6) < 1e-6, "range: %g",
                  sm_dyneq_gain_db(&eq, 0));
    /* range 0 or ratio 1: no dynamics */
    set(0, SM_DYNEQ_RANGE, 0); /* releases (100 ms) to 0 */
    run(96000, 64, 0);
    ck_assert_msg(fabs(sm_dyneq_gain_db(&eq, 0)) < 1e-6, "range 0: %g",
                  sm_dyneq_gain_db(&eq, 0));
    /* a band that is off has no dynamic gain, and passes the input */
    set(0, SM_DYNEQ_RANGE, 12);
    run(24000, 64, 0);
    ck_assert(sm_dyneq_gain_db(&eq, 0) < -5);
    set(0, SM_DYNEQ_ON, 0);
    run(24000, 64, 0);
    ck_assert(sm_dyneq_gain_db(&eq, 0) == 0.0);
    for (long i = 12000; i < 24000; i++)
        ck_assert(bufb[0][i] == bufa[0][i]);
}
END_TEST

/* A step above threshold: the gain covers 63 % of its way after the attack
 * time, and recovers 63 % after the release time (one tick of latency and
 * one tick of resolution allowed). */
START_TEST(test_attack_release_times)
{
    const double att = 10, rel = 120;
    sm_dyneq_init(&eq, 1, 1, FS);
    set(0, SM_DYNEQ_FREQ, 3000);
    set(0, SM_DYNEQ_THRESHOLD, -40);
    set(0, SM_DYNEQ_RATIO, 100);
    set(0, SM_DYNEQ_RANGE, 20);
    set(0, SM_DYNEQ_ATTACK, att);
    set(0, SM_DYNEQ_RELEASE, rel);
    long n = 48000, on = 4800, off = 24000;
    for (long i = 0; i < n; i++)
        bufa[0][i] = (float)((i >= on && i < off ? 0.5 : 0.001) *
                             sin(2 * SM_PI * 3000 * i / FS));
    double t63a = -1, t63r = -1;
    for (long i = 0; i < n; i += 16) {
        const float *in[1] = {bufa[0] + i};
        float *out[1] = {bufb[0] + i};
        sm_dyneq_process(&eq, in, NULL, out, 16);
        double g = sm_dyneq_gain_db(&eq, 0);
        if (t63a < 0 && i >= on && g <= -20 * 0.632)
            t63a = (i + 16 - on) / FS * 1000;
        if (t63r < 0 && i >= off && g >= -20 * 0.368)
            t63r = (i + 16 - off) / FS * 1000;
    }
    double tick_ms = 1000.0 * eq.tick / FS;
    if (verbose())
        printf("attack 63 %% after %.2f ms (set %g), release after %.2f ms "
               "(set %g), tick %.3f ms\n",
               t63a, att, t63r, rel, tick_ms);
    ck_assert_msg(fabs(t63a - att) <= 2 * tick_ms + 0.05 * att, "attack %g",
                  t63a);
    ck_assert_msg(fabs(t63r - rel) <= 2 * tick_ms + 0.05 * rel, "release %g",
                  t63r);
}
END_TEST

/* Gain modulated fast: a sidechain switching on and off 25 times a second,
 * with 0.1 ms attack and 1 ms release, swings the band between 0 and
 * -12 dB within a fraction of a millisecond. The smooth reference is the
 * same gain trajectory applied with the filter redesigned EVERY sample at
 * the gain interpolated linearly (in dB) between the control ticks; the
 * dyneq, which redesigns once a tick and glides the coefficients, must stay
 * within -60 dB of it. The same trajectory with coefficients stepped once a
 * tick (no glide: zipper noise), built here from svf.h, is shown to be far
 * worse, so the measure does detect zipper noise. No sample step may exceed
 * that of the loudest sine involved (a click would). */
static double err_db(const float *y, const float *ref, long n)
{
    double e = 0, s = 0;
    for (long i = 0; i < n; i++) {
        e += (y[i] - ref[i]) * (double)(y[i] - ref[i]);
        s += ref[i] * (double)ref[i];
    }
    return 10 * log10(e / s + 1e-300);
}

START_TEST(test_audio_rate_modulation_is_smooth)
{
    const double f0 = 1000;
    long n = 48000;
    sm_dyneq_init(&eq, 1, 1, FS);
    set(0, SM_DYNEQ_FREQ, f0);
    set(0, SM_DYNEQ_Q, 1);
    set(0, SM_DYNEQ_THRESHOLD, -40);
    set(0, SM_DYNEQ_RATIO, 100);
    set(0, SM_DYNEQ_RANGE, 12);
    set(0, SM_DYNEQ_ATTACK, 0.1);
    set(0, SM_DYNEQ_RELEASE, 1);
    set(0, SM_DYNEQ_SIDECHAIN, SM_DYNEQ_SC_EXTFULL);
    int tick = eq.tick;
    static double gains[MAXN];
    for (long i = 0; i < n; i++) {
        bufa[0][i] = (float)(0.25 * sin(2 * SM_PI * f0 * i / FS));
        /* raised-cosine gate, 25 Hz: level from -inf to -6 dBFS */
        double g = 0.5 - 0.5 * cos(2 * SM_PI * 25 * i / FS);
        scbuf[i] = (float)(0.5 * g * g * g * g);
    }
    /* one tick at a time, reading the gain decided at each tick */
    for (long i = 0; i < n; i += tick) {
        const float *in[1] = {bufa[0] + i};
        float *out[1] = {bufb[0] + i};
        sm_dyneq_process(&eq, in, scbuf + i, out, tick);
        gains[i / tick] = sm_dyneq_gain_db(&eq, 0);
    }
    double lo = 0, hi = -100;
    for (long k = n / tick / 2; k < n / tick; k++) {
        lo = gains[k] < lo ? gains[k] : lo;
        hi = gains[k] > hi ? gains[k] : hi;
    }
    ck_assert_msg(lo < -11 && hi > -1, "modulation too shallow: %g..%g", lo,
                  hi);
    /* references: the gain decided at tick k applies from tick k+1 on
     * (smooth: reached at the end of tick k+1; stepped: at its start) */
    sm_svf_design d;
    sm_svf_prepare(&d, SM_SVF_BELL, f0, 1, FS);
    sm_svf_state ss = {0, 0}, st = {0, 0};
    sm_svf_coefs c;
    sm_svf_run r, rs;
    sm_svf_design_gain(&d, 0, &c);
    sm_svf_run_from(&rs, &c);
    for (long i = 0; i < n; i++) {
        long m = i / tick;
        int j = (int)(i % tick);
        double a = m >= 2 ? gains[m - 2] : 0, b = m >= 1 ? gains[m - 1] : 0;
        sm_svf_design_gain(&d, a + (b - a) * (j + 1) / tick, &c);
        sm_svf_run_from(&r, &c);
        bufb[1][i] = (float)sm_svf_tick(&ss, &r, bufa[0][i]);
        if (j == 0) {
            sm_svf_design_gain(&d, b, &c);
            sm_svf_run_from(&rs, &c);
        }
        bufb[2][i] = (float)sm_svf_tick(&st, &rs, bufa[0][i]);
    }
    long skip = 4800;
    double e = err_db(bufb[0] + skip, bufb[1] + skip, n - skip);
    double es = err_db(bufb[2] + skip, bufb[1] + skip, n - skip);
    double maxstep = 0;
    for (long i = skip; i < n; i++)
        if (fabs(bufb[0][i] - bufb[0][i - 1]) > maxstep)
            maxstep = fabs(bufb[0][i] - bufb[0][i - 1]);
    double bound = 0.25 * 2 * sin(SM_PI * f0 / FS); /* 0 dB sine's step */
    if (verbose())
        printf("modulated 0..-12 dB at 25 Hz: error vs smooth reference "
               "%.1f dB (stepped coefficients: %.1f dB); largest step %.4f "
               "(bound %.4f)\n",
               e, es, maxstep, bound);
    ck_assert_msg(e < -60, "error vs smooth reference %.1f dB", e);
    ck_assert_msg(es > e + 15, "control not worse: %.1f vs %.1f", es, e);
    ck_assert_msg(maxstep <= bound * 1.02, "step %g > %g", maxstep, bound);
}
END_TEST

/* Sidechain sources: band, full, ext, extfull. */
START_TEST(test_sidechains)
{
    long n = 24000;
    /* main: loud 200 Hz, quiet 4 kHz; sidechain: loud 4 kHz */
    for (long i = 0; i < n; i++) {
        bufa[0][i] = (float)(0.5 * sin(2 * SM_PI * 200 * i / FS) +
                             0.01 * sin(2 * SM_PI * 4000 * i / FS));
        scbuf[i] = (float)(0.5 * sin(2 * SM_PI * 4000 * i / FS));
    }
    struct {
        int sc;
        int expect_action;
    } cases[] = {{SM_DYNEQ_SC_BAND, 0},
                 {SM_DYNEQ_SC_FULL, 1},
                 {SM_DYNEQ_SC_EXT, 1},
                 {SM_DYNEQ_SC_EXTFULL, 1}};
    for (int k = 0; k < 4; k++) {
        sm_dyneq_init(&eq, 1, 1, FS);
        set(0, SM_DYNEQ_FREQ, 4000);
        set(0, SM_DYNEQ_Q, 4);
        set(0, SM_DYNEQ_THRESHOLD, -20);
        set(0, SM_DYNEQ_RATIO, 4);
        set(0, SM_DYNEQ_SIDECHAIN, cases[k].sc);
        run(n, 64, 1);
        double g = sm_dyneq_gain_db(&eq, 0);
        /* level -6 dBFS, 14 dB over: -10.5 dB; band mode hears -40 dBFS */
        double want = cases[k].expect_action ? -10.5 : 0;
        if (verbose())
            printf("sidechain %d: gain %.3f dB (want %.3f)\n", cases[k].sc, g,
                   want);
        ck_assert_msg(fabs(g - want) < 0.5, "sidechain %d: %g want %g",
                      cases[k].sc, g, want);
    }
}
END_TEST

/* Channel modes: what passes untouched must pass bit for bit. */
START_TEST(test_channel_modes)
{
    long n = 24000;
    for (int mode = 0; mode < 5; mode++) {
        sm_dyneq_init(&eq, 2, 1, FS);
        set(0, SM_DYNEQ_FREQ, 1000);
        set(0, SM_DYNEQ_GAIN, -10);
        set(0, SM_DYNEQ_CHANNELS, mode);
        /* mid signal (L = R) and side signal (L = -R) at different
         * frequencies: 1 kHz in mid, 1 kHz side too, distinguished by
         * running twice */
        for (int what = 0; what < 2; what++) {
            sm_dyneq_clear(&eq);
            sine(bufa[0], n, 1000, -12, FS);
            for (long i = 0; i < n; i++)
                bufa[1][i] = what ? -bufa[0][i] : bufa[0][i];
            run(n, 64, 0);
            double gl = db(amplitude(bufb[0] + n / 2, n / 2, 1000, FS)) + 12;
            double gr = db(amplitude(bufb[1] + n / 2, n / 2, 1000, FS)) + 12;
            /* expected gain of each channel at the centre */
            double el = 0, er = 0;
            switch (mode) {
            case SM_DYNEQ_LINKED:
                el = er = -10;
                break;
            case SM_DYNEQ_LEFT:
                el = -10;
                break;
            case SM_DYNEQ_RIGHT:
                er = -10;
                break;
            case SM_DYNEQ_MID:
                el = er = what ? 0 : -10;
                break;
            case SM_DYNEQ_SIDE:
                el = er = what ? -10 : 0;
                break;
            }
            ck_assert_msg(fabs(gl - el) < 0.05 && fabs(gr - er) < 0.05,
                          "mode %d %s: L %.3f R %.3f, want %g %g", mode,
                          what ? "side" : "mid", gl, gr, el, er);
            if (el == 0)
                for (long i = 0; i < n; i++)
                    ck_assert(bufb[0][i] == bufa[0][i]);
            if (er == 0)
                for (long i = 0; i < n; i++)
                    ck_assert(bufb[1][i] == bufa[1][i]);
        }
    }
    /* mono: mid acts on the channel, side has nothing to act on */
    sm_dyneq_init(&eq, 1, 2, FS);
    set(0, SM_DYNEQ_FREQ, 1000);
    set(0, SM_DYNEQ_GAIN, -10);
    set(0, SM_DYNEQ_CHANNELS, SM_DYNEQ_MID);
    set(1, SM_DYNEQ_FREQ, 1000);
    set(1, SM_DYNEQ_GAIN, -10);
    set(1, SM_DYNEQ_CHANNELS, SM_DYNEQ_SIDE);
    sine(bufa[0], n, 1000, -12, FS);
    run(n, 64, 0);
    double g = db(amplitude(bufb[0] + n / 2, n / 2, 1000, FS)) + 12;
    ck_assert_msg(fabs(g + 10) < 0.05, "mono mid+side: %g", g);
    /* detection from one channel only, gain on that channel only */
    sm_dyneq_init(&eq, 2, 1, FS);
    set(0, SM_DYNEQ_FREQ, 1000);
    set(0, SM_DYNEQ_THRESHOLD, -30);
    set(0, SM_DYNEQ_RATIO, 2);
    set(0, SM_DYNEQ_CHANNELS, SM_DYNEQ_RIGHT);
    sine(bufa[0], n, 1000, -6, FS);  /* loud left: ignored */
    sine(bufa[1], n, 1000, -20, FS); /* right: 10 dB over -> -5 dB */
    run(n, 64, 0);
    ck_assert_msg(fabs(sm_dyneq_gain_db(&eq, 0) + 5) < 0.3, "right: %g",
                  sm_dyneq_gain_db(&eq, 0));
    for (long i = 0; i < n; i++)
        ck_assert(bufb[0][i] == bufa[0][i]);
}
END_TEST

/* Solo: the output becomes what the band listens to (0 dB band-pass at the
 * centre, the prototype band-pass elsewhere); off again, the EQ. */
START_TEST(test_solo)
{
    sm_dyneq_init(&eq, 2, 2, FS);
    set(0, SM_DYNEQ_FREQ, 2000);
    set(0, SM_DYNEQ_Q, 2);
    set(0, SM_DYNEQ_GAIN, 6);
    set(0, SM_DYNEQ_SOLO, 1);
    set(1, SM_DYNEQ_FREQ, 300);
    set(1, SM_DYNEQ_GAIN, -6);
    static const double fr[] = {500, 2000, 5000};
    for (int k = 0; k < 3; k++) {
        long n = 24000;
        sine(bufa[0], n, fr[k], -10, FS);
        sine(bufa[1], n, fr[k], -10, FS);
        run(n, 64, 0);
        double got = db(amplitude(bufb[1] + n / 2, n / 2, fr[k], FS)) + 10;
        double x = fr[k] / 2000;
        double want = -10 * log10(1 + 4 * (x - 1 / x) * (x - 1 / x));
        /* the detector's band-pass is bilinear, prewarped to peak at 0 dB
         * exactly at the centre; elsewhere near the prototype only */
        double tol = fr[k] == 2000 ? 0.05 : 0.5;
        ck_assert_msg(fabs(got - want) < tol, "solo at %g Hz: %g want %g",
                      fr[k], got, want);
    }
    set(0, SM_DYNEQ_SOLO, 0);
    sine(bufa[0], 24000, 2000, -10, FS);
    sine(bufa[1], 24000, 2000, -10, FS);
    run(24000, 64, 0);
    double got = db(amplitude(bufb[0] + 12000, 12000, 2000, FS)) + 10;
    double want = 6 + proto_db(SM_SVF_BELL, -6, 0.707, 2000, 300);
    ck_assert_msg(fabs(got - want) < 0.1, "after solo: %g want %g", got, want);
}
END_TEST

/* Switching things while a loud sine plays: no sample step beyond what the
 * loudest sine involved could make. */
START_TEST(test_switching_is_click_free)
{
    const double f = 700;
    sm_dyneq_init(&eq, 2, 2, FS);
    set(0, SM_DYNEQ_FREQ, 700);
    set(0, SM_DYNEQ_GAIN, 12);
    long n = 4800;
    /* amplitude 0.2, at most +12 dB on the way: 0.8 */
    /* a fast glide of Q or frequency lets the resonator's stored energy
     * swell smoothly for a few ms (Q 8 -> 1 at +12 dB: +2.7 dB over 20 ms),
     * hence the margin; a click is a step of the order of the amplitude
     * itself, many times larger */
    double bound = 0.8 * 2 * sin(SM_PI * f / FS) * 1.5;
    struct {
        int band;
        sm_dyneq_param p;
        double v;
    } acts[] = {
        {0, SM_DYNEQ_ON, 0},
        {0, SM_DYNEQ_ON, 1},
        {0, SM_DYNEQ_GAIN, -12},
        {0, SM_DYNEQ_GAIN, 12},
        {0, SM_DYNEQ_FREQ, 2000},
        {0, SM_DYNEQ_FREQ, 700},
        {0, SM_DYNEQ_Q, 8},
        {0, SM_DYNEQ_Q, 1},
        {0, SM_DYNEQ_TYPE, SM_SVF_LOWSHELF},
        {0, SM_DYNEQ_CHANNELS, SM_DYNEQ_MID},
        {1, SM_DYNEQ_SOLO, 1},
        {1, SM_DYNEQ_SOLO, 0},
        {0, SM_DYNEQ_TYPE, SM_SVF_NOTCH},
        {0, SM_DYNEQ_TYPE, SM_SVF_BELL},
    };
    long pos = 0;
    float prev[2] = {0, 0};
    for (size_t a = 0; a <= sizeof acts / sizeof *acts; a++) {
        if (a > 0)
            set(acts[a - 1].band, acts[a - 1].p, acts[a - 1].v);
        if (a == 3)
            sm_dyneq_set_bypass(&eq, 1);
        if (a == 5)
            sm_dyneq_set_bypass(&eq, 0);
        for (long i = 0; i < n; i++) {
            bufa[0][i] = (float)(0.2 * sin(2 * SM_PI * f * (pos + i) / FS));
            bufa[1][i] = bufa[0][i];
        }
        run(n, 64, 0);
        for (int c = 0; c < 2; c++)
            for (long i = 0; i < n; i++) {
                double step = fabs(bufb[c][i] - (i ? bufb[c][i - 1] : prev[c]));
                ck_assert_msg(pos + i == 0 || step <= bound,
                              "action %zu: step %g > %g at %ld", a, step, bound,
                              i);
            }
        prev[0] = bufb[0][n - 1];
        prev[1] = bufb[1][n - 1];
        pos += n;
    }
}
END_TEST

START_TEST(test_bypass_is_transparent)
{
    sm_dyneq_init(&eq, 2, 3, FS);
    set(0, SM_DYNEQ_GAIN, 9);
    set(1, SM_DYNEQ_RATIO, 4);
    set(1, SM_DYNEQ_THRESHOLD, -40);
    sm_dyneq_set_bypass(&eq, 1);
    uint64_t rs = 99;
    long n = 24000;
    for (long i = 0; i < n; i++) {
        bufa[0][i] = (float)(0.5 * xorshift(&rs));
        bufa[1][i] = (float)(0.5 * xorshift(&rs));
    }
    run(n, 64, 0);
    for (int c = 0; c < 2; c++)
        for (long i = 0; i < n; i++)
            ck_assert(bufb[c][i] == bufa[c][i]);
}
END_TEST

/* Block size does not change the result; the output may alias the
 * input. */
START_TEST(test_block_sizes_and_in_place)
{
    static const int blocks[] = {1, 7, 64, 100, 4096};
    long n = 20000;
    uint64_t rs = 7;
    for (long i = 0; i < n; i++) {
        double s = (i / 3000) % 2 ? 0.8 : 0.02;
        scbuf[i] = (float)(s * xorshift(&rs));
    }
    for (int k = 0; k < 5; k++) {
        sm_dyneq_init(&eq, 2, 3, FS);
        set(0, SM_DYNEQ_RATIO, 4);
        set(0, SM_DYNEQ_THRESHOLD, -30);
        set(1, SM_DYNEQ_GAIN, 5);
        set(1, SM_DYNEQ_CHANNELS, SM_DYNEQ_SIDE);
        set(2, SM_DYNEQ_TYPE, SM_SVF_HIGHSHELF);
        set(2, SM_DYNEQ_RATIO, 2);
        set(2, SM_DYNEQ_DIRECTION, SM_DYNEQ_BOOSTBELOW);
        for (int c = 0; c < 2; c++)
            for (long i = 0; i < n; i++)
                bufa[c][i] = scbuf[(i + 977 * c) % n];
        if (k == 0) {
            run(n, blocks[k], 0);
            for (int c = 0; c < 2; c++)
                memcpy(bufa[2 + c], bufb[c], sizeof(float) * n);
            continue;
        }
        /* in place */
        for (long off = 0; off < n; off += blocks[k]) {
            int m = n - off < blocks[k] ? (int)(n - off) : blocks[k];
            float *io[2] = {bufa[0] + off, bufa[1] + off};
            sm_dyneq_process(&eq, (const float *const *)io, NULL, io, m);
        }
        for (int c = 0; c < 2; c++)
            for (long i = 0; i < n; i++)
                ck_assert_msg(fabs(bufa[c][i] - bufa[2 + c][i]) < 1e-6,
                              "block %d differs at %ld: %g vs %g", blocks[k], i,
                              bufa[c][i], bufa[2 + c][i]);
    }
}
END_TEST

START_TEST(test_nonfinite_input)
{
    sm_dyneq_init(&eq, 2, 2, FS);
    set(0, SM_DYNEQ_RATIO, 4);
    set(0, SM_DYNEQ_THRESHOLD, -30);
    set(1, SM_DYNEQ_GAIN, 12);
    set(1, SM_DYNEQ_SIDECHAIN, SM_DYNEQ_SC_EXT);
    set(1, SM_DYNEQ_RATIO, 2);
    long n = 4096;
    for (long i = 0; i < n; i++) {
        bufa[0][i] = i % 3 ? NAN : INFINITY;
        bufa[1][i] = (i % 2 ? 1 : -1) * 1e-40f;
        scbuf[i] = -INFINITY;
    }
    run(n, 64, 1);
    for (long i = 0; i < n; i++) {
        bufa[0][i] = bufa[1][i] = (float)(0.5 * sin(i * 0.1));
        scbuf[i] = bufa[0][i];
    }
    run(n, 64, 1);
    for (int c = 0; c < 2; c++)
        for (long i = 0; i < n; i++)
            ck_assert_msg(isfinite(bufb[c][i]), "non-finite at %ld", i);
    ck_assert(isfinite(sm_dyneq_gain_db(&eq, 0)));
    ck_assert(isfinite(sm_dyneq_response_db(&eq, 1000)));
}
END_TEST

/* Other sample rates: the static response and the curve still hold. */
START_TEST(test_other_rates)
{
    static const double rates[] = {44100, 96000, 192000};
    for (int k = 0; k < 3; k++) {
        double fs = rates[k];
        sm_dyneq_init(&eq, 1, 1, fs);
        set(0, SM_DYNEQ_FREQ, 8000);
        set(0, SM_DYNEQ_Q, 1);
        set(0, SM_DYNEQ_GAIN, -3);
        set(0, SM_DYNEQ_THRESHOLD, -30);
        set(0, SM_DYNEQ_RATIO, 2);
        long n = (long)fs / 2;
        for (int lv = 0; lv < 2; lv++) {
            double level = lv ? -10 : -40;
            sine(bufa[0], n, 8000, level, fs);
            run(n, 64, 0);
            double got =
                db(amplitude(bufb[0] + n / 2, n / 2, 8000, fs)) - level;
            double want = -3 + curve_db(0, level, -30, 2, 12);
            ck_assert_msg(fabs(got - want) < (lv ? 0.5 : 0.05),
                          "%g Hz level %g: %g want %g", fs, level, got, want);
        }
    }
}
END_TEST

static Suite *dyneq_suite(void)
{
    Suite *s = suite_create("dyneq");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_static_eq_matches_prototypes);
    tcase_add_test(tc, test_below_threshold_is_static);
    tcase_add_test(tc, test_dynamic_curve);
    tcase_add_test(tc, test_knee_and_range);
    tcase_add_test(tc, test_attack_release_times);
    tcase_add_test(tc, test_audio_rate_modulation_is_smooth);
    tcase_add_test(tc, test_sidechains);
    tcase_add_test(tc, test_channel_modes);
    tcase_add_test(tc, test_solo);
    tcase_add_test(tc, test_switching_is_click_free);
    tcase_add_test(tc, test_bypass_is_transparent);
    tcase_add_test(tc, test_block_sizes_and_in_place);
    tcase_add_test(tc, test_nonfinite_input);
    tcase_add_test(tc, test_other_rates);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    SRunner *sr = srunner_create(dyneq_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
