/* test_assistant.c - unit tests of the smart master's decision core
 * (externals/dsp/assistant.[ch]).
 *
 * Expected values come from the rules as stated in the brief and in
 * assistant.h (independent arithmetic here), never from the code's output:
 *  - the target curve is built in the test from its definition
 *    (-3.5 dB/oct through 1 kHz, centres 1000 * 10^((b-17)/10));
 *  - drive = amount x (target - measured);
 *  - a mix +3 dB above 5 kHz needs a high shelf of -3 x amount dB;
 *  - ratio = 1 + 0.1 x amount x (LRA - 8). */
#define _POSIX_C_SOURCE 200809L
#include "assistant.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NB SM_ASSIST_BANDS

static double centre(int b)
{
    return 1000.0 * pow(10.0, (b - 17) / 10.0);
}

/* the brief's provisional curve, built independently */
static double curve(int b)
{
    return -3.5 * log2(centre(b) / 1000.0);
}

/* a spectrum = target curve + offset, with `hi_db` added at >= 5 kHz */
static void make_spectrum(double *s, double offset, double hi_db)
{
    for (int b = 0; b < NB; b++)
        s[b] = curve(b) + offset + (centre(b) >= 4900.0 ? hi_db : 0.0);
}

static void measured(sm_assistant *a, const double *spec, double lufs,
                     double lra, double tp)
{
    sm_assistant_set_spectrum(a, spec, NB);
    sm_assistant_set_integrated(a, lufs);
    sm_assistant_set_lra(a, lra);
    sm_assistant_set_truepeak(a, tp);
    sm_assistant_set_plr(a, tp - lufs);
}

static int active_eq(const sm_assist_proposal *p)
{
    int n = 0;
    for (int k = 0; k < SM_ASSIST_EQ_SLOTS; k++)
        n += p->eq[k].active || p->eq[k].gain_db != 0.0;
    return n;
}

/* a mix that wants everything: bright, thin, a mid bump, wide LRA, quiet;
 * fewer than half the bands 40 Hz..16 kHz off, so the median offset is 0 */
static void messy(sm_assistant *a)
{
    double s[NB];
    make_spectrum(s, -30.0, 3.0);
    for (int b = 3; b <= 5; b++) /* 40..63 Hz: mean -1.2 dB over 40..100 */
        s[b] -= 2.0;
    s[14] += 3.0, s[15] += 4.0, s[16] += 3.0; /* 250..400 Hz */
    measured(a, s, -20.0, 14.0, -3.0);
}

START_TEST(test_curve_default)
{
    sm_assistant a;
    sm_assistant_init(&a);
    for (int b = 0; b < NB; b++) {
        ck_assert_double_eq_tol(sm_assistant_centre_hz(b), centre(b), 1e-9);
        ck_assert_double_eq_tol(a.curve_db[b], curve(b), 1e-9);
    }
    ck_assert_double_eq_tol(a.curve_db[17], 0.0, 1e-12); /* 1 kHz */
    /* 3 base-10 third-octaves are 10^0.3 = 1.995, not 2 */
    ck_assert_double_eq_tol(a.curve_db[20] - a.curve_db[17],
                            -3.5 * 0.3 * log2(10.0), 1e-9);
}
END_TEST

START_TEST(test_amount_zero_is_neutral)
{
    sm_assistant a;
    sm_assist_proposal p;
    sm_assistant_init(&a);
    messy(&a);
    sm_assistant_set_amount(&a, 0.0);
    sm_assistant_propose(&a, &p);
    ck_assert_int_eq(active_eq(&p), 0);
    for (int k = 0; k < SM_ASSIST_EQ_SLOTS; k++)
        ck_assert(p.eq[k].gain_db == 0.0);
    ck_assert(p.drive_db == 0.0);
    ck_assert(p.ratio == 1.0);
    /* the same with the global amount 1 and each module at 0 */
    sm_assistant_set_amount(&a, 1.0);
    for (int m = 0; m < SM_ASSIST_MODULES; m++)
        sm_assistant_set_module_amount(&a, m, 0.0);
    sm_assistant_propose(&a, &p);
    ck_assert_int_eq(active_eq(&p), 0);
    ck_assert(p.drive_db == 0.0 && p.ratio == 1.0);
}
END_TEST

START_TEST(test_linear_in_amount)
{
    sm_assistant a;
    sm_assist_proposal full, part;
    sm_assistant_init(&a);
    messy(&a);
    sm_assistant_propose(&a, &full);
    ck_assert_int_ge(active_eq(&full), 3); /* the test means something */
    ck_assert(full.ratio > 1.0);
    const double amounts[] = {0.1, 0.25, 0.5, 0.77, 0.9};
    double prev_drive = 0.0;
    for (int i = 0; i < 5; i++) {
        double g = amounts[i];
        sm_assistant_set_amount(&a, g);
        sm_assistant_propose(&a, &part);
        for (int k = 0; k < SM_ASSIST_EQ_SLOTS; k++) {
            ck_assert_int_eq(part.eq[k].active, full.eq[k].active);
            ck_assert(part.eq[k].freq_hz == full.eq[k].freq_hz);
            ck_assert_double_eq_tol(part.eq[k].gain_db, g * full.eq[k].gain_db,
                                    1e-12);
        }
        ck_assert_double_eq_tol(part.drive_db, g * full.drive_db, 1e-12);
        ck_assert_double_eq_tol(part.ratio - 1.0, g * (full.ratio - 1.0),
                                1e-12);
        ck_assert(part.drive_db > prev_drive); /* monotone */
        prev_drive = part.drive_db;
    }
    /* global x module: 0.5 x 0.5 equals 0.25 x 1 */
    sm_assistant_set_amount(&a, 0.5);
    sm_assistant_set_module_amount(&a, SM_ASSIST_MOD_EQ, 0.5);
    sm_assistant_propose(&a, &part);
    for (int k = 0; k < SM_ASSIST_EQ_SLOTS; k++)
        ck_assert_double_eq_tol(part.eq[k].gain_db, 0.25 * full.eq[k].gain_db,
                                1e-12);
    ck_assert_double_eq_tol(part.drive_db, 0.5 * full.drive_db, 1e-12);
}
END_TEST

START_TEST(test_on_target_with_offset_proposes_no_eq)
{
    const double offsets[] = {-40.0, -12.3, 0.0, 7.0};
    for (int i = 0; i < 4; i++) {
        sm_assistant a;
        sm_assist_proposal p;
        double s[NB];
        sm_assistant_init(&a);
        make_spectrum(s, offsets[i], 0.0);
        measured(&a, s, -14.0, 5.0, -1.0);
        sm_assistant_propose(&a, &p);
        ck_assert_int_eq(active_eq(&p), 0);
        ck_assert_double_eq_tol(p.distance_db, 0.0, 1e-9);
    }
}
END_TEST

START_TEST(test_bright_mix_gets_high_shelf_cut)
{
    const double amounts[] = {1.0, 0.6, 0.3};
    for (int i = 0; i < 3; i++) {
        sm_assistant a;
        sm_assist_proposal p;
        double s[NB];
        sm_assistant_init(&a);
        make_spectrum(s, -25.0, 3.0);
        measured(&a, s, -14.0, 5.0, -1.0);
        sm_assistant_set_amount(&a, amounts[i]);
        sm_assistant_propose(&a, &p);
        const sm_assist_eq *e = &p.eq[1];
        ck_assert(e->active);
        ck_assert_int_eq(e->type, SM_ASSIST_HIGHSHELF);
        ck_assert_double_eq_tol(e->gain_db, -3.0 * amounts[i], 0.5);
        ck_assert(!p.eq[0].active); /* lows untouched */
        /* the distance: 6 of 27 bands 40 Hz..16 kHz are +3 dB */
        double m = 3.0 * 6 / 27;
        double want = sqrt((6 * (3 - m) * (3 - m) + 21 * m * m) / 27);
        ck_assert_double_eq_tol(p.distance_db, want, 1e-9);
        char msg[200];
        ck_assert_int_eq(sm_assistant_eq_message(&p, 1, msg, sizeof msg), 0);
        ck_assert_msg(strstr(msg, "eq band 2 type highshelf freq 8000") == msg,
                      "%s", msg);
    }
    /* and a dull mix (-3 dB up there) gets a boost */
    sm_assistant a;
    sm_assist_proposal p;
    double s[NB];
    sm_assistant_init(&a);
    make_spectrum(s, -25.0, -3.0);
    measured(&a, s, -14.0, 5.0, -1.0);
    sm_assistant_propose(&a, &p);
    ck_assert_double_eq_tol(p.eq[1].gain_db, 3.0, 0.5);
}
END_TEST

START_TEST(test_clamp_and_dead_zone)
{
    sm_assistant a;
    sm_assist_proposal p;
    double s[NB];
    sm_assistant_init(&a);
    make_spectrum(s, -20.0, 10.0); /* far too bright: clamped to -4 */
    measured(&a, s, -14.0, 5.0, -1.0);
    sm_assistant_propose(&a, &p);
    ck_assert_double_eq_tol(p.eq[1].gain_db, -4.0, 1e-12);
    make_spectrum(s, -20.0, 0.4); /* inside the dead zone */
    measured(&a, s, -14.0, 5.0, -1.0);
    sm_assistant_propose(&a, &p);
    ck_assert_int_eq(active_eq(&p), 0);
}
END_TEST

START_TEST(test_locks_respected)
{
    sm_assistant a;
    sm_assist_proposal p;
    char msg[200];
    sm_assistant_init(&a);
    messy(&a);
    for (int l = 0; l < SM_ASSIST_LOCKS; l++)
        sm_assistant_set_lock(&a, l, 1);
    sm_assistant_propose(&a, &p);
    for (int k = 0; k < SM_ASSIST_EQ_SLOTS; k++) {
        ck_assert(p.eq[k].locked && !p.eq[k].active);
        ck_assert_int_eq(sm_assistant_eq_message(&p, k, msg, sizeof msg), -1);
        ck_assert_ptr_nonnull(strstr(p.explain_eq[k], "locked"));
    }
    ck_assert_int_eq(sm_assistant_comp_message(&a, &p, msg, sizeof msg), -1);
    ck_assert_int_eq(sm_assistant_gain_message(&a, &p, msg, sizeof msg), -1);
    /* unlock the high shelf and the gain only */
    sm_assistant_set_lock(&a, SM_ASSIST_LOCK_EQ2, 0);
    sm_assistant_set_lock(&a, SM_ASSIST_LOCK_GAIN, 0);
    sm_assistant_propose(&a, &p);
    ck_assert(p.eq[1].active && p.eq[1].gain_db < 0);
    ck_assert(p.eq[0].locked && p.eq[2].locked && p.eq[3].locked);
    ck_assert_int_eq(sm_assistant_gain_message(&a, &p, msg, sizeof msg), 0);
    ck_assert_int_eq(sm_assistant_comp_message(&a, &p, msg, sizeof msg), -1);
    /* threshold locked, ratio free: only the ratio is sent */
    sm_assistant_set_lock(&a, SM_ASSIST_LOCK_RATIO, 0);
    sm_assistant_propose(&a, &p);
    ck_assert_int_eq(sm_assistant_comp_message(&a, &p, msg, sizeof msg), 0);
    ck_assert_msg(strstr(msg, "threshold") == NULL && strstr(msg, "ratio"),
                  "%s", msg);
}
END_TEST

START_TEST(test_drive_and_prediction)
{
    sm_assistant a;
    sm_assist_proposal p;
    double s[NB];
    char msg[100];
    sm_assistant_init(&a);
    make_spectrum(s, -30.0, 0.0);
    /* quiet and peaky: -23 LUFS, -10 dBTP -> +9 dB drive, TP -1, PLR 13 */
    measured(&a, s, -23.0, 5.0, -10.0);
    sm_assistant_propose(&a, &p);
    ck_assert_double_eq_tol(p.drive_db, -14.0 - -23.0, 1e-12);
    ck_assert_double_eq_tol(p.predicted_lufs, -14.0, 1e-12);
    ck_assert_double_eq_tol(p.predicted_tp_dbtp, -1.0, 1e-12);
    ck_assert_double_eq_tol(p.predicted_plr_db, 13.0, 1e-12);
    ck_assert(!p.unreachable);
    sm_assistant_gain_message(&a, &p, msg, sizeof msg);
    ck_assert_str_eq(msg, "gain 9");
    /* a dense mix, -16 LUFS at -9 dBTP, to -9 LUFS: the +7 dB drive puts
     * the peak at -2 dBTP, under the ceiling: nothing is limited, the PLR
     * stays the mix's own 7 dB and is not blamed on over-limiting.
     * Peaks at -7 dBTP instead: -7 + 7 = 0 > -1, limited to -1, PLR 8. */
    measured(&a, s, -16.0, 5.0, -9.0);
    sm_assistant_set_target(&a, -9.0, -1.0);
    sm_assistant_propose(&a, &p);
    ck_assert(!p.limited && !p.unreachable);
    ck_assert_double_eq_tol(p.predicted_plr_db, 7.0, 1e-12);
    measured(&a, s, -16.0, 5.0, -7.0);
    sm_assistant_set_target(&a, -9.0, -1.0);
    sm_assistant_propose(&a, &p);
    ck_assert_double_eq_tol(p.drive_db, 7.0, 1e-12);
    ck_assert_double_eq_tol(p.predicted_lufs, -9.0, 1e-12);
    ck_assert(p.limited);
    ck_assert_double_eq_tol(p.predicted_plr_db, -1.0 - -9.0, 1e-12); /* 8 */
    ck_assert(!p.unreachable);
    sm_assistant_set_target(&a, -7.0, -1.0); /* PLR 6 < 8 */
    sm_assistant_propose(&a, &p);
    ck_assert_double_eq_tol(p.predicted_plr_db, 6.0, 1e-12);
    ck_assert(p.unreachable);
    ck_assert_ptr_nonnull(strstr(p.explain_predicted, "not reachable"));
    /* the clamp: 60 dB short is driven by 24 dB at most */
    measured(&a, s, -67.0, 5.0, -50.0);
    sm_assistant_set_target(&a, -7.0, -1.0);
    sm_assistant_propose(&a, &p);
    ck_assert_double_eq_tol(p.drive_db, 24.0, 1e-12);
    /* louder than the target: a cut, amount 0.5 halves it */
    measured(&a, s, -8.0, 5.0, -0.5);
    sm_assistant_set_target(&a, -14.0, -1.0);
    sm_assistant_set_module_amount(&a, SM_ASSIST_MOD_LOUDNESS, 0.5);
    sm_assistant_propose(&a, &p);
    ck_assert_double_eq_tol(p.drive_db, 0.5 * (-14.0 - -8.0), 1e-12);
}
END_TEST

START_TEST(test_multiband_rule)
{
    sm_assistant a;
    sm_assist_proposal p;
    double s[NB];
    sm_assistant_init(&a);
    make_spectrum(s, -30.0, 0.0);
    measured(&a, s, -14.0, 12.0, -1.0);
    sm_assistant_set_amount(&a, 0.5);
    sm_assistant_propose(&a, &p);
    ck_assert_double_eq_tol(p.ratio, 1.0 + 0.1 * (12.0 - 8.0) * 0.5, 1e-12);
    ck_assert(p.threshold_db < -14.0 && p.threshold_db >= -80.0);
    measured(&a, s, -14.0, 40.0, -1.0); /* huge range: ratio capped at 2 */
    sm_assistant_set_amount(&a, 1.0);
    sm_assistant_propose(&a, &p);
    ck_assert_double_eq_tol(p.ratio, 2.0, 1e-12);
    measured(&a, s, -14.0, 6.0, -1.0); /* within the target */
    sm_assistant_propose(&a, &p);
    ck_assert(p.ratio == 1.0 && !p.comp_active);
}
END_TEST

START_TEST(test_explanations_carry_numbers)
{
    sm_assistant a;
    sm_assist_proposal p;
    char num[32];
    sm_assistant_init(&a);
    messy(&a); /* -20 LUFS, LRA 14, +3 dB above 5 kHz */
    sm_assistant_set_amount(&a, 0.9);
    sm_assistant_propose(&a, &p);
    ck_assert_ptr_nonnull(strstr(p.explain_loudness, "-20.0 LUFS"));
    ck_assert_ptr_nonnull(strstr(p.explain_loudness, "-14.0 LUFS"));
    snprintf(num, sizeof num, "%+.1f dB", 0.9 * 6.0);
    ck_assert_msg(strstr(p.explain_loudness, num) != NULL, "%s",
                  p.explain_loudness);
    ck_assert_ptr_nonnull(strstr(p.explain_multiband, "14.0 LU"));
    ck_assert_ptr_nonnull(strstr(p.explain_eq[1], "high shelf"));
    ck_assert_ptr_nonnull(strstr(p.explain_eq[1], "3.0 dB above"));
    ck_assert_ptr_nonnull(strstr(p.explain_eq[1], "amount 0.90"));
    for (int k = 0; k < SM_ASSIST_EQ_SLOTS; k++)
        ck_assert_int_gt((int)strlen(p.explain_eq[k]), 20);
    ck_assert_int_gt((int)strlen(p.explain_predicted), 20);
}
END_TEST

START_TEST(test_nonfinite_and_missing)
{
    sm_assistant a;
    sm_assist_proposal p;
    double s[NB];
    sm_assistant_init(&a);
    sm_assistant_propose(&a, &p); /* nothing measured: neutral */
    ck_assert_int_eq(active_eq(&p), 0);
    ck_assert(p.drive_db == 0.0 && p.ratio == 1.0);
    for (int b = 0; b < NB; b++)
        s[b] = b % 2 ? NAN : INFINITY;
    measured(&a, s, NAN, INFINITY, -INFINITY);
    sm_assistant_propose(&a, &p);
    ck_assert(isfinite(p.drive_db) && isfinite(p.ratio) &&
              isfinite(p.distance_db) && isfinite(p.predicted_plr_db));
    for (int k = 0; k < SM_ASSIST_EQ_SLOTS; k++)
        ck_assert(isfinite(p.eq[k].gain_db) && fabs(p.eq[k].gain_db) <= 4.0);
}
END_TEST

static Suite *assistant_suite(void)
{
    Suite *s = suite_create("assistant");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_curve_default);
    tcase_add_test(tc, test_amount_zero_is_neutral);
    tcase_add_test(tc, test_linear_in_amount);
    tcase_add_test(tc, test_on_target_with_offset_proposes_no_eq);
    tcase_add_test(tc, test_bright_mix_gets_high_shelf_cut);
    tcase_add_test(tc, test_clamp_and_dead_zone);
    tcase_add_test(tc, test_locks_respected);
    tcase_add_test(tc, test_drive_and_prediction);
    tcase_add_test(tc, test_multiband_rule);
    tcase_add_test(tc, test_explanations_carry_numbers);
    tcase_add_test(tc, test_nonfinite_and_missing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    SRunner *sr = srunner_create(assistant_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
