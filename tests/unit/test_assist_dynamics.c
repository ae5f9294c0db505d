/* test_assist_dynamics.c - unit tests of the smart master's dynamics rules
 * (externals/dsp/assist_dynamics.[ch]).
 *
 * Expected values come from independent arithmetic here: the §5.5 table of
 * the research notes for the crest rule, the §5.2 static curve written out
 * again, closed-form means of uniform level distributions, fine numerical
 * integrals of the analytic filter responses, and a Monte Carlo simulation
 * of a compressor detector (Gaussian samples, static curve, smooth-branching
 * one-pole) for the gain-reduction model. */
#define _POSIX_C_SOURCE 200809L
#include "assist_dynamics.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NB SM_ADYN_BANDS
#define PI 3.14159265358979323846

static double centre(int b)
{
    return 1000.0 * pow(10.0, (b - 17) / 10.0);
}

/* §5.2, hard or soft knee, as gain reduction >= 0 */
static double static_gr(double x, double t, double r, double w)
{
    double over = x - t;
    if (2 * over <= -w)
        return 0.0;
    if (2 * over >= w)
        return (1 - 1 / r) * over;
    return (1 - 1 / r) * (over + w / 2) * (over + w / 2) / (2 * w);
}

/* a deterministic Gaussian generator (xorshift + Box-Muller) */
static unsigned long long rng_state = 88172645463325252ULL;
static double uniform01(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return ((rng_state >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void)
{
    return sqrt(-2 * log(uniform01())) * cos(2 * PI * uniform01());
}

/* Monte Carlo: a peak detector on white Gaussian noise of mean square
 * 10^(level/10), smooth-branching detector on the reduction, mean over n */
static double simulate_gr(double level, double t, double r, double w,
                          double att, double rel, int n)
{
    double fs = 48000, aa = exp(-1 / (att * 1e-3 * fs));
    double ar = exp(-1 / (rel * 1e-3 * fs)), y = 0, s = 0;
    double amp = pow(10, level / 20);
    for (int i = 0; i < n + n / 4; i++) {
        double x = amp * gauss();
        double g = static_gr(10 * log10(x * x + 1e-30), t, r, w);
        double a = g > y ? aa : ar;
        y = a * y + (1 - a) * g;
        if (i >= n / 4)
            s += y;
    }
    return s / n;
}

/* the 0 dB-peak band pass's power response, integrated over ln f between
 * f1 and f2 with a fine trapezoid (independent of the code's averaging) */
static double bp_integral(double fc, double q, double f1, double f2)
{
    int n = 20000;
    double s = 0, a = log(f1), h = (log(f2) - a) / n;
    for (int i = 0; i <= n; i++) {
        double x = exp(a + i * h) / fc, u = x / q, v = 1 - x * x;
        double p = u * u / (v * v + u * u);
        s += (i == 0 || i == n ? 0.5 : 1.0) * p;
    }
    return s * h;
}

START_TEST(test_crest_times_match_the_table)
{
    /* §5.5's table: crest 3, 10, 14, 20 dB */
    static const double tab[4][3] = {
        {3, 80, 922}, {10, 16, 184}, {14, 6.4, 73}, {20, 1.6, 18}};
    for (int i = 0; i < 4; i++) {
        double a, r;
        sm_adyn_crest_times(tab[i][0], &a, &r);
        ck_assert_double_eq_tol(a, tab[i][1], 0.02 * tab[i][1] + 0.05);
        ck_assert_double_eq_tol(r, tab[i][2], 0.02 * tab[i][2] + 0.5);
    }
}
END_TEST

START_TEST(test_bandpass_weights_integrate_the_response)
{
    /* sum over the bands of weight x ln(band ratio) = integral of |H|^2
     * over ln f across the 31 bands */
    double qs[3] = {1.0, 2.15, 4.0}, fcs[3] = {100, 3162, 6310};
    for (int i = 0; i < 3; i++) {
        double s = 0;
        for (int b = 0; b < NB; b++)
            s += sm_adyn_bandpass_weight(fcs[i], qs[i], b) * 0.1 * log(10);
        double want = bp_integral(fcs[i], qs[i], centre(0) / pow(10, 0.05),
                                  centre(30) * pow(10, 0.05));
        ck_assert_double_eq_tol(s, want, 1e-3 * want);
    }
    /* the band at the centre of a 1/3-octave-wide bell keeps most power */
    double w = sm_adyn_bandpass_weight(centre(22), 4.32, 22);
    double want = bp_integral(centre(22), 4.32, centre(22) / pow(10, 0.05),
                              centre(22) * pow(10, 0.05)) /
                  (0.1 * log(10));
    ck_assert_double_eq_tol(w, want, 1e-4);
}
END_TEST

START_TEST(test_xover_weights)
{
    double hz[3] = {120, 1000, 6000};
    /* far from the crossovers: one band takes everything */
    ck_assert_double_eq_tol(sm_adyn_xover_weight(4, hz, 0, 2), 1.0, 0.01);
    /* 315 Hz: inside band 2, but 1.3 and 1.7 octaves from its splits */
    ck_assert(sm_adyn_xover_weight(4, hz, 1, 12) > 0.9);
    ck_assert(sm_adyn_xover_weight(4, hz, 3, 29) > 0.95); /* 1.4 oct up */
    ck_assert(sm_adyn_xover_weight(4, hz, 3, 2) < 1e-9);
    /* a Linkwitz-Riley band is -6 dB at its crossover (power 1/4); over the
     * 1 kHz band the mean of 1/(1+x^4)^2 in ln f, integrated here */
    int n = 4000;
    double s = 0;
    for (int i = 0; i < n; i++) {
        double x = pow(10, -0.05 + 0.1 * (i + 0.5) / n) * centre(17) / 1000;
        double d = (1 + pow(x, 4)) * (1 + pow(x, 4));
        s += 1 / d / n;
    }
    /* band 2 is the low pass of the 1 kHz split (its high pass at 120 Hz
     * is 1 there, to 1e-6) */
    ck_assert_double_eq_tol(sm_adyn_xover_weight(4, hz, 1, 17), s, 1e-3);
}
END_TEST

START_TEST(test_kweighting)
{
    /* BS.1770: a 997 Hz sine reads -0.691 + 10 log10(its power) + the
     * K-weighting gain there, -3.01 LUFS at full scale: +0.691 dB; the
     * pre-filter's shelf adds about +4 dB at high frequencies; the RLB
     * high pass cuts the lowest bands */
    ck_assert_double_eq_tol(10 * log10(sm_adyn_kweight(17)), 0.691, 0.15);
    ck_assert_double_eq_tol(10 * log10(sm_adyn_kweight(27)), 4.0, 0.3);
    ck_assert(10 * log10(sm_adyn_kweight(0)) < -5.0);
    ck_assert_double_eq_tol(10 * log10(sm_adyn_kweight(11)), 0.0, 0.3);
}
END_TEST

START_TEST(test_steady_gr_without_fluctuation_is_the_static_curve)
{
    for (double x = -40; x <= 0; x += 1.7)
        ck_assert_double_eq_tol(
            sm_adyn_steady_gr_db(x, SM_ADYN_FLUCT_NONE, -20, 2, 6, 10, 100),
            static_gr(x, -20, 2, 6), 1e-6);
}
END_TEST

START_TEST(test_steady_gr_matches_a_simulated_detector)
{
    /* white Gaussian noise through a peak detector: the model's equilibrium
     * against the detector run sample by sample */
    static const double cases[][6] = {
        /* level, threshold, ratio, knee, attack, release */
        {-25, -20, 2, 6, 10, 100},
        {-20, -20, 2, 6, 10, 100},
        {-12, -20, 1.5, 6, 5, 60},
        {-18, -24, 2, 0, 20, 200},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const double *c = cases[i];
        double model = sm_adyn_steady_gr_db(c[0], SM_ADYN_FLUCT_PEAK, c[1],
                                            c[2], c[3], c[4], c[5]);
        double sim = simulate_gr(c[0], c[1], c[2], c[3], c[4], c[5], 480000);
        ck_assert_msg(fabs(model - sim) < 0.1, "case %d: model %.3f sim %.3f",
                      (int)i, model, sim);
    }
}
END_TEST

START_TEST(test_mean_gr_of_a_uniform_distribution)
{
    /* percentiles on a straight line: levels uniform on [A, A + B]; hard
     * knee: mean reduction (1 - 1/R) (A + B - T)^2 / (2 B) for T in range */
    double A = -40, B = 20, T = -28, R = 2;
    double pct[4] = {A + 0.1 * B, A + 0.5 * B, A + 0.8 * B, A + 0.95 * B};
    double want = (1 - 1 / R) * (A + B - T) * (A + B - T) / (2 * B);
    double got = sm_adyn_mean_gr_db(pct, SM_ADYN_FLUCT_NONE, T, R, 0, 10, 100);
    ck_assert_double_eq_tol(got, want, 0.02);
    /* monotone: a lower threshold reduces more */
    ck_assert(
        sm_adyn_mean_gr_db(pct, SM_ADYN_FLUCT_PEAK, T - 3, R, 6, 10, 100) >
        sm_adyn_mean_gr_db(pct, SM_ADYN_FLUCT_PEAK, T, R, 6, 10, 100));
}
END_TEST

/* every band: percentiles = base + offsets */
static void flat_stats(sm_adyn *d, double base, const double *off)
{
    double v[NB];
    for (int q = 0; q < SM_ADYN_NPCT; q++) {
        for (int b = 0; b < NB; b++)
            v[b] = base + off[q];
        sm_adyn_set_percentile(d, q, v, NB);
    }
}

START_TEST(test_multiband_rule_and_threshold)
{
    sm_adyn d;
    sm_adyn_multiband m;
    sm_adyn_init(&d);
    /* no statistics: nothing */
    sm_adyn_propose_multiband(&d, 1, 0, 8, &m);
    ck_assert(!m.have_data && !m.band[0].active && m.band[0].ratio == 1.0);
    /* every band the same shape: P95 - P10 = 14 dB, no lufs~ range: the
     * band range is 14, excess 6: G = a (1 + 3), capped at 3 */
    double off[4] = {-8, 0, 3, 6};
    flat_stats(&d, -40, off);
    sm_adyn_set_crest(&d, 14.0);
    sm_adyn_propose_multiband(&d, 0.5, 0, 8, &m);
    ck_assert_int_eq(m.nbands, 4);
    for (int k = 0; k < 4; k++) {
        const sm_adyn_mbband *b = &m.band[k];
        ck_assert(b->active);
        ck_assert_double_eq_tol(b->lra_lu, 14.0, 1e-6);
        ck_assert_double_eq_tol(b->gr_db, 0.5 * (1 + 0.5 * 6), 1e-9);
        ck_assert_double_eq_tol(b->predicted_gr_db, 2.0, 0.02);
        ck_assert_double_eq_tol(b->makeup_db, 2.0, 0.02);
        ck_assert_double_eq_tol(b->ratio, 1.5, 1e-12);
        ck_assert(strstr(b->explain, "2.0 dB average gain reduction") &&
                  strstr(b->explain, "by 6.0 LU"));
    }
    /* crest 14 dB: 6.4 / 73 ms, clamped: LF 10 / 100, MF 6.4 / 73, HF 6 /
     * 73 */
    ck_assert_double_eq_tol(m.band[0].attack_ms, 10, 1e-9);
    ck_assert_double_eq_tol(m.band[0].release_ms, 100, 1e-9);
    ck_assert_double_eq_tol(m.band[1].attack_ms, 6.4, 0.05);
    ck_assert_double_eq_tol(m.band[1].release_ms, 73, 0.6);
    ck_assert_double_eq_tol(m.band[3].attack_ms, 6, 1e-9);
    /* the threshold: a simulated detector on the band's level distribution
     * (uniform quantile steps through the percentiles) must average about
     * G. Band 1's level is the flat -40 dB level x its power weights. */
    double hz[3] = {120, 1000, 6000}, s = 0;
    for (int b = 0; b < NB; b++)
        s += sm_adyn_xover_weight(4, hz, 0, b);
    double base = -40 + 10 * log10(s), sum = 0;
    int nlev = 20;
    for (int i = 0; i < nlev; i++) {
        double p = (i + 0.5) / nlev, o;
        o = p < 0.5   ? -8 + 8 * (p - 0.1) / 0.4
            : p < 0.8 ? 3 * (p - 0.5) / 0.3
                      : 3 + 3 * (p - 0.8) / 0.15;
        sum += simulate_gr(base + o, m.band[0].threshold_db, 1.5, 6, 10, 100,
                           24000);
    }
    ck_assert_msg(fabs(sum / nlev - 2.0) < 0.2, "simulated %.3f", sum / nlev);
    /* lufs~'s range given: the band range is on its scale (all bands the
     * same shape: LRA x 1); 12 LU: excess 4, G = 0.5 (1 + 2) = 1.5 */
    sm_adyn_set_lra(&d, 12);
    sm_adyn_propose_multiband(&d, 0.5, 0, 8, &m);
    ck_assert_double_eq_tol(m.band[2].lra_lu, 12, 1e-6);
    ck_assert_double_eq_tol(m.band[2].predicted_gr_db, 1.5, 0.02);
    /* the input gain moves the threshold with it */
    sm_adyn_multiband m2;
    sm_adyn_propose_multiband(&d, 0.5, 4.0, 8, &m2);
    ck_assert_double_eq_tol(m2.band[2].threshold_db,
                            m.band[2].threshold_db + 4.0, 0.03);
    /* and so does the static EQ before mbcomp~: +4 dB in every band */
    for (int b = 0; b < NB; b++)
        d.eq_db[b] = 4.0;
    sm_adyn_propose_multiband(&d, 0.5, 0, 8, &m2);
    ck_assert_double_eq_tol(m2.band[2].threshold_db,
                            m.band[2].threshold_db + 4.0, 0.03);
    ck_assert_double_eq_tol(m2.band[2].lra_lu, 12, 1e-6); /* not the range */
    for (int b = 0; b < NB; b++)
        d.eq_db[b] = 0.0;
    /* within the target, or amount 0: no compression */
    sm_adyn_propose_multiband(&d, 0.5, 0, 13, &m);
    ck_assert(!m.band[1].active && m.band[1].ratio == 1.0);
    sm_adyn_propose_multiband(&d, 0, 0, 8, &m);
    for (int k = 0; k < 4; k++)
        ck_assert(!m.band[k].active && m.band[k].ratio == 1.0 &&
                  m.band[k].makeup_db == 0.0);
    /* monotone in the amount */
    double last = 0;
    for (double a = 0.1; a <= 1.0; a += 0.1) {
        sm_adyn_propose_multiband(&d, a, 0, 8, &m);
        ck_assert(m.band[1].predicted_gr_db > last);
        last = m.band[1].predicted_gr_db;
    }
    ck_assert(last <= 3.0 + 0.02);
}
END_TEST

START_TEST(test_multiband_reference_and_messages)
{
    sm_adyn d;
    sm_adyn_multiband m;
    char msg[256];
    sm_adyn_init(&d);
    double off[4] = {-8, 0, 3, 6};
    flat_stats(&d, -40, off);
    /* a reference with the same spread: no band exceeds it */
    sm_adyn_stats ref = d.mix;
    sm_adyn_set_reference(&d, &ref);
    sm_adyn_propose_multiband(&d, 1, 0, 8, &m);
    ck_assert(!m.band[0].active);
    ck_assert_ptr_nonnull(strstr(m.band[0].explain, "reference"));
    sm_adyn_comp_message(&m.band[0], 0, 1, 1, msg, sizeof msg);
    ck_assert_str_eq(msg, "comp band 1 ratio 1 makeup 0");
    /* a reference 6 dB tighter: excess 6 */
    for (int b = 0; b < NB; b++) {
        ref.pct_db[SM_ADYN_P10][b] += 3;
        ref.pct_db[SM_ADYN_P95][b] -= 3;
    }
    sm_adyn_set_reference(&d, &ref);
    sm_adyn_propose_multiband(&d, 0.25, 0, 30, &m);
    ck_assert(m.band[3].active);
    ck_assert_double_eq_tol(m.band[3].gr_db, 0.25 * (1 + 3), 1e-9);
    sm_adyn_comp_message(&m.band[3], 3, 1, 1, msg, sizeof msg);
    double t, r, kn, at, rl, mk;
    ck_assert_int_eq(sscanf(msg,
                            "comp band 4 threshold %lf ratio %lf knee %lf "
                            "attack %lf release %lf makeup %lf",
                            &t, &r, &kn, &at, &rl, &mk),
                     6);
    ck_assert_double_eq_tol(r, 1.25, 1e-9);
    ck_assert_double_eq_tol(mk, 1.0, 0.02);
    /* ratio locked: left out */
    sm_adyn_comp_message(&m.band[3], 3, 0, 1, msg, sizeof msg);
    ck_assert(strstr(msg, "ratio") == NULL && strstr(msg, "threshold"));
    sm_adyn_set_reference(&d, NULL);
    ck_assert(!d.have_ref);
    /* references from measurements: the mean of two, band by band; the
     * match amount moves the target part of the way */
    double off2[4] = {-4, 0, 1, 2};
    ck_assert_int_eq(sm_adyn_reference_add(&d), 1); /* -8 0 3 6 */
    flat_stats(&d, -40, off2);
    sm_adyn_set_lra(&d, 5);
    ck_assert_int_eq(sm_adyn_reference_add(&d), 1);
    ck_assert_int_eq(d.ref_count, 2);
    ck_assert_double_eq_tol(d.ref.pct_db[SM_ADYN_P10][7], -40 - 6, 1e-9);
    ck_assert_double_eq_tol(d.ref.pct_db[SM_ADYN_P95][7], -40 + 4, 1e-9);
    ck_assert(d.ref.have_lra && d.ref.lra_lu == 5); /* only one gave it */
    /* the references' band range: every band shaped alike, so their LRA
     * (5 LU) itself; at match 0.5 halfway from the target (8 LU) */
    sm_adyn_reset(&d);
    flat_stats(&d, -40, off);
    sm_adyn_propose_multiband(&d, 1, 0, 8, &m);
    ck_assert_double_eq_tol(m.band[1].target_lra_lu, 5, 1e-6);
    d.match = 0.5;
    sm_adyn_propose_multiband(&d, 1, 0, 8, &m);
    ck_assert_double_eq_tol(m.band[1].target_lra_lu, 6.5, 1e-6);
    sm_adyn_reset(&d);
    ck_assert(d.have_ref); /* reset forgets the mix, not the references */
}
END_TEST

/* P50 = 0 dB shape, P80 = +1, P95 = +6 (the provisional spread) in every
 * band, except `spread` in band b (and b2 if >= 0) */
static void dyn_stats(sm_adyn *d, double p80, int b1, int b2, double spread)
{
    double v[SM_ADYN_NPCT][NB];
    for (int b = 0; b < NB; b++) {
        v[SM_ADYN_P10][b] = -40 - 6;
        v[SM_ADYN_P50][b] = -40;
        v[SM_ADYN_P80][b] = p80;
        v[SM_ADYN_P95][b] = -40 + (b == b1 || b == b2 ? spread : 6);
    }
    for (int q = 0; q < SM_ADYN_NPCT; q++)
        sm_adyn_set_percentile(d, q, v[q], NB);
}

START_TEST(test_dyneq_rule)
{
    sm_adyn d;
    sm_adyn_dyneq e[2];
    char msg[400];
    sm_adyn_init(&d);
    sm_adyn_propose_dyneq(&d, 1, 0, e);
    ck_assert(!e[0].active && strstr(e[0].explain, "measured yet"));
    /* only the provisional spread: nothing */
    dyn_stats(&d, -38, -1, -1, 6);
    sm_adyn_propose_dyneq(&d, 1, 0, e);
    ck_assert(!e[0].active && !e[1].active);
    /* 3150 Hz: P95 - P50 = 14 dB, 8 dB over the target: one band there,
     * 1/3 octave wide (Q 4.3 clamped to 4) */
    dyn_stats(&d, -38, 22, -1, 14);
    sm_adyn_propose_dyneq(&d, 0.5, 0, e);
    ck_assert(e[0].active && !e[1].active);
    ck_assert_int_eq(e[0].worst, 22);
    ck_assert_double_eq_tol(e[0].freq_hz, round(centre(22)), 1e-9);
    ck_assert_double_eq_tol(e[0].q, 4.0, 1e-9);
    ck_assert_double_eq_tol(e[0].range_db, 3 * 1.5, 1e-12);
    ck_assert_double_eq_tol(e[0].excess_db, 8, 1e-9);
    /* threshold: P80 (-38 in every band) through the bell's detector:
     * 10 log10(2 x sum of weights), + the ripple margin (its property is
     * tested in test_dyneq_margin_leaves_steady_noise_alone) */
    double wsum = bp_integral(e[0].freq_hz, 4.0, centre(0) / pow(10, 0.05),
                              centre(30) * pow(10, 0.05)) /
                  (0.1 * log(10));
    double want =
        -38 + 10 * log10(2 * wsum) + sm_adyn_dyneq_margin_db(5.0, 100.0, 2.0);
    ck_assert_double_eq_tol(e[0].threshold_db, want, 0.02);
    ck_assert(strstr(e[0].explain, "harshness") &&
              strstr(e[0].explain, "14.0 dB") &&
              strstr(e[0].explain, "provisional"));
    sm_adyn_dyneq_message(&e[0], 0, msg, sizeof msg);
    double f, q, t, r, rg;
    ck_assert_int_eq(sscanf(msg,
                            "eq band 7 type bell freq %lf q %lf gain 0 "
                            "threshold %lf ratio %lf knee 0 range %lf",
                            &f, &q, &t, &r, &rg),
                     5);
    ck_assert(r == 2.0 && rg == 4.5 && strstr(msg, "attack 5 release 100") &&
              strstr(msg, "direction cutabove sidechain band") &&
              strstr(msg, "on 1"));
    /* the input gain comes first in the chain */
    sm_adyn_dyneq e2[2];
    sm_adyn_propose_dyneq(&d, 0.5, -3, e2);
    ck_assert_double_eq_tol(e2[0].threshold_db, e[0].threshold_db - 3, 0.011);
    /* amount 0: no band */
    sm_adyn_propose_dyneq(&d, 0, 0, e);
    ck_assert(!e[0].active);
    sm_adyn_dyneq_message(&e[0], 0, msg, sizeof msg);
    ck_assert_str_eq(msg, "eq band 7 on 0");
    /* two neighbours: 2/3 octave, Q = 2^(1/3) / (2^(2/3) - 1) */
    dyn_stats(&d, -38, 21, 22, 14);
    sm_adyn_propose_dyneq(&d, 1, 0, e);
    ck_assert(e[0].band_lo == 21 && e[0].band_hi == 22);
    ck_assert_double_eq_tol(e[0].q, pow(2, 1 / 3.0) / (pow(2, 2 / 3.0) - 1),
                            0.006);
    ck_assert_double_eq_tol(e[0].freq_hz, round(sqrt(centre(21) * centre(22))),
                            1.0);
    /* boom and sibilance: two bands, the worse first */
    double v[NB];
    dyn_stats(&d, -38, 6, 25, 13);
    for (int b = 0; b < NB; b++)
        v[b] = -40 + (b == 6 ? 13 : b == 25 ? 16 : 6);
    sm_adyn_set_percentile(&d, SM_ADYN_P95, v, NB);
    sm_adyn_propose_dyneq(&d, 1, 0, e);
    ck_assert(e[0].active && e[1].active);
    ck_assert_int_eq(e[0].worst, 25);
    ck_assert_int_eq(e[1].worst, 6);
    ck_assert(strstr(e[1].explain, "band 8") && strstr(e[1].explain, "boom"));
    /* a reference with the same tails: nothing stands out */
    sm_adyn_set_reference(&d, &d.mix);
    sm_adyn_propose_dyneq(&d, 1, 0, e);
    ck_assert(!e[0].active && !e[1].active);
}
END_TEST

/* dyneq~'s detector on steady Gaussian band noise, simulated: the envelope
 * energy of narrow-band noise is exponentially distributed about its mean;
 * one reading per control tick (1/3 ms), static curve (hard knee),
 * smooth-branching one-pole. Mean reduction in dB. */
static double simulate_envelope_gr(double over_db, double ratio, double att,
                                   double rel, int n)
{
    double fs = 3000, aa = exp(-1 / (att * 1e-3 * fs));
    double ar = exp(-1 / (rel * 1e-3 * fs)), y = 0, s = 0;
    for (int i = 0; i < n + n / 4; i++) {
        double z = -log(uniform01());
        double g = static_gr(10 * log10(z), over_db, ratio, 0);
        double a = g > y ? aa : ar;
        y = a * y + (1 - a) * g;
        if (i >= n / 4)
            s += y;
    }
    return s / n;
}

START_TEST(test_dyneq_margin_leaves_steady_noise_alone)
{
    /* at the margin, steady noise at the P80 level is reduced by about
     * 0.1 dB; 1.5 dB lower it would be pressed clearly more */
    double m = sm_adyn_dyneq_margin_db(5, 100, 2);
    ck_assert(m > 10 * log10(log(21.0)) && m < 9.0); /* the rough bound */
    double at = simulate_envelope_gr(m, 2, 5, 100, 600000);
    double below = simulate_envelope_gr(m - 1.5, 2, 5, 100, 600000);
    ck_assert_msg(at > 0.04 && at < 0.18, "at the margin %.3f dB", at);
    ck_assert_msg(below > 0.25, "1.5 dB lower %.3f dB", below);
}
END_TEST

START_TEST(test_nonfinite_inputs)
{
    sm_adyn d;
    sm_adyn_multiband m;
    sm_adyn_dyneq e[2];
    double v[NB];
    sm_adyn_init(&d);
    for (int b = 0; b < NB; b++)
        v[b] = b % 3 ? NAN : INFINITY;
    for (int q = 0; q < SM_ADYN_NPCT; q++)
        sm_adyn_set_percentile(&d, q, v, NB);
    sm_adyn_set_lra(&d, NAN);
    sm_adyn_set_crest(&d, INFINITY);
    sm_adyn_propose_multiband(&d, NAN, NAN, 8, &m);
    sm_adyn_propose_dyneq(&d, 1, 0, e);
    for (int k = 0; k < m.nbands; k++)
        ck_assert(isfinite(m.band[k].threshold_db) &&
                  isfinite(m.band[k].makeup_db) && isfinite(m.band[k].ratio));
    ck_assert(isfinite(e[0].threshold_db));
}
END_TEST

static Suite *adyn_suite(void)
{
    Suite *s = suite_create("assist_dynamics");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_crest_times_match_the_table);
    tcase_add_test(tc, test_bandpass_weights_integrate_the_response);
    tcase_add_test(tc, test_xover_weights);
    tcase_add_test(tc, test_kweighting);
    tcase_add_test(tc, test_steady_gr_without_fluctuation_is_the_static_curve);
    tcase_add_test(tc, test_steady_gr_matches_a_simulated_detector);
    tcase_add_test(tc, test_mean_gr_of_a_uniform_distribution);
    tcase_add_test(tc, test_multiband_rule_and_threshold);
    tcase_add_test(tc, test_multiband_reference_and_messages);
    tcase_add_test(tc, test_dyneq_rule);
    tcase_add_test(tc, test_dyneq_margin_leaves_steady_noise_alone);
    tcase_add_test(tc, test_nonfinite_inputs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    SRunner *sr = srunner_create(adyn_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
