/* test_eqfit.c - unit tests of the EQ fit (externals/dsp/eqfit.[ch]).
 *
 * Expected values are constructed, not read from the code: a deviation
 * that is exactly minus the response of a filter among the candidates is
 * fitted (without a dead zone: plain least squares, whose optimum is then
 * unique) by that filter with the opposite gain and leaves nothing; a
 * deviation inside the dead zone proposes nothing; clamps hold; a slot
 * that is off contributes nothing. The filter responses come from
 * sm_eqfit_response_db, which test_assistant.c checks against the RBJ
 * cookbook prototypes. */
#define _POSIX_C_SOURCE 200809L
#include "eqfit.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

#define NB 31
#define SR 48000.0

static const double SHELF_LO[] = {100, 200, 400};
static const double SHELF_HI[] = {2000, 4000, 8000};
static const double SQ[] = {0.5, 0.7};
static const double BELL[] = {125, 250, 500, 1000, 2000, 4000};
static const double BQ[] = {0.5, 1.0, 2.0};

static double at[NB], w[NB];

static void setup_bands(void)
{
    for (int b = 0; b < NB; b++) {
        at[b] = 1000.0 * pow(10.0, (b - 17) / 10.0);
        w[b] = b >= 3 && b <= 29;
    }
}

static void slots(sm_eqfit_slot *s)
{
    sm_eqfit_slot lo = {
        SM_SVF_LOWSHELF, SHELF_LO, 3, SQ, 2, -6, 4, 0, 0, 0, 0, 0};
    sm_eqfit_slot hi = {
        SM_SVF_HIGHSHELF, SHELF_HI, 3, SQ, 2, -6, 4, 0, 0, 0, 0, 0};
    sm_eqfit_slot bell = {SM_SVF_BELL, BELL, 6, BQ, 3, -6, 4, 0, 0, 0, 0, 0};
    s[0] = lo, s[1] = hi, s[2] = bell, s[3] = bell;
}

static sm_eqfit_problem problem(const double *dev, double deadzone)
{
    sm_eqfit_problem pb = {NB, at, dev, w, deadzone, 0.5, 2.0, SR};
    return pb;
}

START_TEST(test_recovers_a_bell)
{
    double dev[NB], out[NB];
    sm_eqfit_slot s[4];
    setup_bands();
    slots(s);
    /* the mix has a +3 dB bell at 1 kHz q 1 (and sits 7 dB low) */
    for (int b = 0; b < NB; b++)
        dev[b] =
            sm_eqfit_response_db(SM_SVF_BELL, 1000, 1.0, 3.0, SR, at[b]) - 7.0;
    sm_eqfit_problem pb = problem(dev, 0.0);
    double level = sm_eqfit_solve(&pb, s, 4);
    int bells = 0;
    for (int k = 0; k < 4; k++)
        if (s[k].active) {
            ck_assert_int_eq(s[k].type, SM_SVF_BELL);
            ck_assert_double_eq_tol(s[k].freq_hz, 1000.0, 1e-9);
            ck_assert_double_eq_tol(s[k].q, 1.0, 1e-9);
            ck_assert_double_eq_tol(s[k].gain_db, -3.0, 0.01);
            bells++;
        }
    ck_assert_int_eq(bells, 1);
    sm_eqfit_apply(&pb, s, 4, 1.0, out);
    for (int b = 3; b <= 29; b++)
        ck_assert_double_eq_tol(out[b], level, 0.01);
    ck_assert_double_eq_tol(level, -7.0, 0.01);
    /* with the dead zone: a cut of 2..3 dB (the free level may sit 0.5 dB
     * off the flat bands, the peak keeps 0.5 dB), every band within it
     * (give or take the fit's tiny price on gains) */
    slots(s);
    pb = problem(dev, 0.5);
    level = sm_eqfit_solve(&pb, s, 4);
    bells = 0;
    for (int k = 0; k < 4; k++)
        if (s[k].active) {
            ck_assert(s[k].gain_db <= -1.99 && s[k].gain_db >= -3.0);
            bells++;
        }
    ck_assert_int_eq(bells, 1);
    sm_eqfit_apply(&pb, s, 4, 1.0, out);
    for (int b = 3; b <= 29; b++)
        ck_assert_msg(fabs(out[b] - level) <= 0.5 + 0.005, "%d %g", b,
                      out[b] - level);
}
END_TEST

START_TEST(test_recovers_two_shelves)
{
    double dev[NB], out[NB];
    sm_eqfit_slot s[4];
    setup_bands();
    slots(s);
    s[2].off = s[3].off = 1; /* bells locked: shelves only */
    for (int b = 0; b < NB; b++)
        dev[b] =
            sm_eqfit_response_db(SM_SVF_LOWSHELF, 200, 0.7, -3.0, SR, at[b]) +
            sm_eqfit_response_db(SM_SVF_HIGHSHELF, 4000, 0.5, 2.5, SR, at[b]);
    sm_eqfit_problem pb = problem(dev, 0.0);
    sm_eqfit_solve(&pb, s, 4);
    ck_assert(s[0].active && s[1].active && !s[2].active && !s[3].active);
    ck_assert(s[2].gain_db == 0.0 && s[3].gain_db == 0.0);
    ck_assert_double_eq_tol(s[0].freq_hz, 200, 1e-9);
    ck_assert_double_eq_tol(s[1].freq_hz, 4000, 1e-9);
    ck_assert_double_eq_tol(s[0].q, 0.7, 1e-9);
    ck_assert_double_eq_tol(s[1].q, 0.5, 1e-9);
    ck_assert_double_eq_tol(s[0].gain_db, 3.0, 0.01);
    ck_assert_double_eq_tol(s[1].gain_db, -2.5, 0.01);
    sm_eqfit_apply(&pb, s, 4, 1.0, out);
    ck_assert(sm_eqfit_distance(out, w, NB) < 0.01);
}
END_TEST

START_TEST(test_dead_zone_and_clamps)
{
    double dev[NB];
    sm_eqfit_slot s[4];
    setup_bands();
    slots(s);
    for (int b = 0; b < NB; b++) /* a 0.9 dB step: +-0.45 about the mean */
        dev[b] = at[b] > 1500 ? 0.9 : 0.0;
    sm_eqfit_problem pb = problem(dev, 0.5);
    sm_eqfit_solve(&pb, s, 4);
    for (int k = 0; k < 4; k++)
        ck_assert(!s[k].active && s[k].gain_db == 0.0);
    for (int b = 0; b < NB; b++) /* far too dull on top: +4 at most */
        dev[b] = at[b] > 1500 ? -20.0 : 0.0;
    slots(s);
    sm_eqfit_solve(&pb, s, 4);
    for (int k = 0; k < 4; k++)
        ck_assert(s[k].gain_db >= -6.0 - 1e-12 && s[k].gain_db <= 4.0 + 1e-12);
    ck_assert_double_eq_tol(s[1].gain_db, 4.0, 1e-12);
}
END_TEST

START_TEST(test_distance_is_the_rms_about_the_mean)
{
    double x[NB];
    setup_bands();
    for (int b = 0; b < NB; b++)
        x[b] = b % 2 ? 1.0 : -1.0; /* 27 counted bands: 14 of -1, 13 of +1 */
    double m = (13.0 - 14.0) / 27.0;
    double want =
        sqrt((13.0 * (1 - m) * (1 - m) + 14.0 * (1 + m) * (1 + m)) / 27.0);
    ck_assert_double_eq_tol(sm_eqfit_distance(x, w, NB), want, 1e-12);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("eqfit");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_recovers_a_bell);
    tcase_add_test(tc, test_recovers_two_shelves);
    tcase_add_test(tc, test_dead_zone_and_clamps);
    tcase_add_test(tc, test_distance_is_the_rms_about_the_mean);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
