/* test_leveller.c - unit tests of the live mode core
 * (externals/dsp/leveller.[ch]): learn window, follow leveller, bounded EQ
 * steps.
 *
 * Expected values come from the rules of the research notes §7.6 and the
 * brief, computed here: a first-order loop with time constant tau leaves
 * e^-1 of a step after tau seconds; the drive never moves faster than the
 * slew; the gate closes below -70 LUFS, more than 20 LU below the
 * integrated, or below the brake; the short-term window is 3 s long. The
 * plant simulated here is the chain output: momentary = programme + drive,
 * short-term = the mean power of the last 3 s of it. */
#define _POSIX_C_SOURCE 200809L
#include "leveller.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define DT 0.25 /* the glue's update period */

/* ---------------------------------------------------- plant */

/* The output meter: momentary every update, short-term = energy mean of
 * the last 3 s (12 updates) of momentary. */
typedef struct plant {
    double hist[12];
    int n, pos;
} plant;

static void plant_init(plant *p)
{
    p->n = p->pos = 0;
}

/* one update with the programme at `level` (LUFS before the drive; below
 * -140 means silence); feeds the leveller's readings */
static void plant_step(plant *p, sm_leveller *l, double level)
{
    double m = level < -140 ? -150.0 : level + l->drive_db;
    p->hist[p->pos] = m < -140 ? 0.0 : pow(10.0, m / 10.0);
    p->pos = (p->pos + 1) % 12;
    if (p->n < 12)
        p->n++;
    double s = 0.0;
    for (int i = 0; i < p->n; i++)
        s += p->hist[i];
    s /= 12.0; /* the window is 3 s whatever has been seen */
    sm_leveller_set_momentary(l, m);
    sm_leveller_set_shortterm(l, s > 0 ? 10.0 * log10(s) : -150.0);
}

/* ---------------------------------------------------- learn window */

START_TEST(test_learn_window)
{
    sm_learn w;
    sm_learn_init(&w);
    ck_assert(!w.active && sm_learn_left_s(&w) == 0.0);
    ck_assert(!sm_learn_advance(&w, 1.0));
    sm_learn_start(&w, 30.0);
    ck_assert(w.active);
    ck_assert(fabs(sm_learn_left_s(&w) - 30.0) < 1e-12);
    int done = 0, at = -1;
    for (int i = 1; i <= 200; i++)
        if (sm_learn_advance(&w, DT)) {
            done++;
            at = i;
        }
    ck_assert_int_eq(done, 1); /* exactly once */
    ck_assert_int_eq(at, 120); /* 30 s / 0.25 s */
    ck_assert(!w.active && sm_learn_left_s(&w) == 0.0);
    /* 0.1 s steps do not add up exactly in binary: still ends at 30 s */
    sm_learn_start(&w, 30.0);
    at = -1;
    for (int i = 1; i <= 400 && at < 0; i++)
        if (sm_learn_advance(&w, 0.1))
            at = i;
    ck_assert_int_eq(at, 300);
    /* restart and cancel */
    sm_learn_start(&w, 2.0);
    sm_learn_advance(&w, 1.5);
    ck_assert(fabs(sm_learn_left_s(&w) - 0.5) < 1e-12);
    sm_learn_start(&w, 2.0);
    ck_assert(fabs(sm_learn_left_s(&w) - 2.0) < 1e-12);
    sm_learn_cancel(&w);
    ck_assert(!sm_learn_advance(&w, 5.0));
    /* nonsense */
    sm_learn_start(&w, NAN);
    ck_assert(sm_learn_advance(&w, NAN));
}
END_TEST

/* ---------------------------------------------------- leveller */

START_TEST(test_defaults)
{
    sm_leveller l;
    sm_leveller_init(&l);
    ck_assert(l.target_lufs == -14.0 && l.tau_s == 10.0 && l.slew_db_s == 1.0 &&
              l.drive_db == 0.0);
    ck_assert_int_eq(sm_leveller_gate(&l), SM_LEVELLER_NOREADING);
    ck_assert_int_eq(sm_leveller_update(&l, DT), SM_LEVELLER_NOREADING);
    ck_assert(l.drive_db == 0.0);
}
END_TEST

/* A programme 6 dB under the target, read without lag: the error decays
 * like exp(-t / tau) (one update late: each step is applied at the next
 * update), monotonically, and the drive reaches 6 dB. */
START_TEST(test_time_constant)
{
    sm_leveller l;
    sm_leveller_init(&l);
    sm_leveller_set_slew(&l, 100.0); /* out of the way */
    double prev = 0.0;
    int t0 = -1;
    for (int i = 0; i < 4 * 80; i++) {
        sm_leveller_set_momentary(&l, -20.0 + l.drive_db);
        sm_leveller_set_shortterm(&l, -20.0 + l.drive_db);
        int st = sm_leveller_update(&l, DT);
        ck_assert(l.drive_db >= prev - 1e-12);
        ck_assert(l.drive_db <= 6.0 + 1e-9);
        prev = l.drive_db;
        if (st == SM_LEVELLER_RUN && t0 < 0)
            t0 = i;
        if (t0 >= 0 && i == t0 + 40 + 1) {
            /* tau = 10 s = 40 updates after the first step was applied */
            double left = (6.0 - l.drive_db) / 6.0;
            ck_assert_msg(left > 0.33 && left < 0.40, "left %g", left);
        }
    }
    ck_assert_int_eq(t0, 11); /* 3 s of settling: updates 0..10 hold */
    ck_assert_msg(fabs(l.drive_db - 6.0) < 0.01, "drive %g", l.drive_db);
}
END_TEST

/* The same through the 3 s short-term window of the output meter: slower
 * to see its own effect, it still reaches the target, with no overshoot
 * worth the name for tau >= 5 s (about 7 % at tau 3 s). */
START_TEST(test_loop_through_shortterm)
{
    const double taus[] = {10.0, 5.0, 3.0}, most[] = {0.01, 0.01, 0.5};
    for (int k = 0; k < 3; k++) {
        sm_leveller l;
        plant p;
        sm_leveller_init(&l);
        sm_leveller_set_tau(&l, taus[k]);
        sm_leveller_set_slew(&l, 100.0);
        plant_init(&p);
        double top = 0.0;
        for (int i = 0; i < 4 * 80; i++) {
            plant_step(&p, &l, -20.0);
            sm_leveller_update(&l, DT);
            if (l.drive_db > top)
                top = l.drive_db;
        }
        ck_assert_msg(top - 6.0 <= most[k], "tau %g overshoot %g", taus[k],
                      top - 6.0);
        ck_assert_msg(fabs(l.drive_db - 6.0) < 0.01, "tau %g drive %g", taus[k],
                      l.drive_db);
    }
}
END_TEST

START_TEST(test_slew_limit)
{
    sm_leveller l;
    plant p;
    for (int k = 0; k < 2; k++) {
        double slew = k ? 0.5 : 1.0, prog = k ? -2.0 : -34.0;
        sm_leveller_init(&l);
        sm_leveller_set_tau(&l, 1.0);
        sm_leveller_set_slew(&l, slew);
        plant_init(&p);
        double prev = 0.0, biggest = 0.0;
        for (int i = 0; i < 4 * 40; i++) {
            plant_step(&p, &l, prog);
            sm_leveller_update(&l, DT);
            double d = fabs(l.drive_db - prev);
            ck_assert_msg(d <= slew * DT + 1e-12, "step %g", d);
            if (d > biggest)
                biggest = d;
            prev = l.drive_db;
        }
        /* the error is large: the slew is what limits */
        ck_assert(fabs(biggest - slew * DT) < 1e-12);
        ck_assert(k ? l.drive_db < 0 : l.drive_db > 0);
    }
}
END_TEST

START_TEST(test_gates)
{
    sm_leveller l;
    sm_leveller_init(&l);
    sm_leveller_set_shortterm(&l, -20.0);
    sm_leveller_set_momentary(&l, -20.0);
    ck_assert_int_eq(sm_leveller_gate(&l), SM_LEVELLER_RUN);
    sm_leveller_set_momentary(&l, -70.5);
    ck_assert_int_eq(sm_leveller_gate(&l), SM_LEVELLER_SILENT);
    sm_leveller_set_momentary(&l, -150.0);
    ck_assert_int_eq(sm_leveller_gate(&l), SM_LEVELLER_SILENT);
    /* relative gate: 20 LU below the integrated -14 is -34 */
    sm_leveller_set_integrated(&l, -14.0);
    sm_leveller_set_momentary(&l, -34.5);
    ck_assert_int_eq(sm_leveller_gate(&l), SM_LEVELLER_BREAK);
    sm_leveller_set_momentary(&l, -33.5);
    ck_assert_int_eq(sm_leveller_gate(&l), SM_LEVELLER_RUN);
    /* no integrated reading yet (the floor): only the absolute gate */
    sm_leveller_set_integrated(&l, -150.0);
    sm_leveller_set_momentary(&l, -60.0);
    ck_assert_int_eq(sm_leveller_gate(&l), SM_LEVELLER_RUN);
    /* brake */
    sm_leveller_set_integrated(&l, -14.0);
    sm_leveller_set_brake(&l, -24.0);
    sm_leveller_set_momentary(&l, -25.0);
    ck_assert_int_eq(sm_leveller_gate(&l), SM_LEVELLER_BRAKE);
    sm_leveller_set_momentary(&l, -23.0);
    ck_assert_int_eq(sm_leveller_gate(&l), SM_LEVELLER_RUN);
    /* a short-term reading at the floor is no reading */
    sm_leveller_set_shortterm(&l, -150.0);
    ck_assert_int_eq(sm_leveller_gate(&l), SM_LEVELLER_SILENT);
    ck_assert_str_eq(sm_leveller_state_name(SM_LEVELLER_BREAK), "break");
    ck_assert_str_eq(sm_leveller_state_name(SM_LEVELLER_RUN), "follow");
    ck_assert_str_eq(sm_leveller_state_name(99), "?");
}
END_TEST

/* Silence and a quiet break (30 dB down) in a programme below the target:
 * the drive rises before them, never during them, and only 3 s after. */
START_TEST(test_breaks_never_raise_the_drive)
{
    for (int brake = 0; brake < 2; brake++) {
        sm_leveller l;
        plant p;
        sm_leveller_init(&l);
        plant_init(&p);
        /* with a brake at -24 LUFS, a break only 12 dB down holds too */
        double quiet = brake ? -26.0 - 12.0 : -26.0 - 30.0;
        if (brake)
            sm_leveller_set_brake(&l, -24.0);
        /* as after a learn that fell 4 dB short: the output starts at -18 */
        sm_leveller_set_drive(&l, 8.0);
        double before = 0.0;
        for (int i = 0; i < 4 * 100; i++) {
            double t = i * DT;
            int silent = t >= 30 && t < 40, soft = t >= 60 && t < 70;
            double prog = silent ? -150.0 : soft ? quiet : -26.0;
            /* the integrated reading: the programme's level + drive, a
             * fair stand-in for the running integrated of the output */
            sm_leveller_set_integrated(&l, -26.0 + l.drive_db);
            plant_step(&p, &l, prog);
            int st = sm_leveller_update(&l, DT);
            if (t == 30.0 || t == 60.0)
                before = l.drive_db;
            if (silent || soft) {
                ck_assert_msg(l.drive_db == before, "t %g drive %g before %g",
                              t, l.drive_db, before);
                ck_assert(st != SM_LEVELLER_RUN);
            }
            /* 3 s of settling after each */
            if ((t >= 40 && t < 43) || (t >= 70 && t < 73))
                ck_assert_msg(l.drive_db == before, "t %g settling", t);
        }
        /* it was rising: the programme is 4 dB under the target */
        ck_assert_msg(before > 9.0, "brake %d before %g", brake, before);
        ck_assert(l.drive_db > before);
    }
}
END_TEST

/* The step decided while a break begins is dropped: programme exactly at
 * the target, then the music stops; the momentary reading falls through
 * the gate one update after the short-term starts to fall. */
START_TEST(test_pending_step_dropped)
{
    sm_leveller l;
    sm_leveller_init(&l);
    sm_leveller_set_integrated(&l, -14.0);
    for (int i = 0; i < 40; i++) {
        sm_leveller_set_momentary(&l, -14.0);
        sm_leveller_set_shortterm(&l, -14.0);
        sm_leveller_update(&l, DT);
    }
    double d = l.drive_db;
    ck_assert(fabs(d) < 1e-12);
    /* update 1: momentary 4 dB down, short-term 0.4 dB down: a rise is
     * decided, not applied */
    sm_leveller_set_momentary(&l, -18.0);
    sm_leveller_set_shortterm(&l, -14.4);
    ck_assert_int_eq(sm_leveller_update(&l, DT), SM_LEVELLER_RUN);
    ck_assert(l.drive_db == d && l.pending_db > 0);
    /* update 2: the gate closes, the decided rise is dropped */
    sm_leveller_set_momentary(&l, -60.0);
    sm_leveller_set_shortterm(&l, -14.8);
    ck_assert_int_eq(sm_leveller_update(&l, DT), SM_LEVELLER_BREAK);
    ck_assert(l.drive_db == d && l.pending_db == 0);
}
END_TEST

START_TEST(test_set_drive_settles)
{
    sm_leveller l;
    sm_leveller_init(&l);
    sm_leveller_set_integrated(&l, -14.0);
    sm_leveller_set_drive(&l, 8.0);
    ck_assert(l.drive_db == 8.0);
    /* readings still at the old drive (8 dB low): no reaction for 3 s */
    for (int i = 0; i < 11; i++) {
        sm_leveller_set_momentary(&l, -22.0);
        sm_leveller_set_shortterm(&l, -22.0);
        ck_assert_int_eq(sm_leveller_update(&l, DT), SM_LEVELLER_SETTLING);
        ck_assert(l.drive_db == 8.0);
    }
    sm_leveller_set_drive(&l, 100.0);
    ck_assert(l.drive_db == SM_LEVELLER_DRIVE_MAX_DB);
    sm_leveller_set_drive(&l, -100.0);
    ck_assert(l.drive_db == -SM_LEVELLER_DRIVE_MAX_DB);
    sm_leveller_set_drive(&l, NAN);
    ck_assert(l.drive_db == -SM_LEVELLER_DRIVE_MAX_DB);
}
END_TEST

START_TEST(test_nonfinite)
{
    sm_leveller l;
    sm_leveller_init(&l);
    sm_leveller_set_target(&l, NAN);
    sm_leveller_set_tau(&l, INFINITY);
    sm_leveller_set_slew(&l, NAN);
    sm_leveller_set_brake(&l, NAN);
    ck_assert(l.target_lufs == -14.0 && l.slew_db_s == 1.0);
    ck_assert(isfinite(l.tau_s) && l.tau_s > 0);
    sm_leveller_set_tau(&l, 0.0);
    ck_assert(l.tau_s >= 0.1);
    sm_leveller_set_tau(&l, 10.0);
    sm_leveller_set_momentary(&l, NAN);
    sm_leveller_set_shortterm(&l, -INFINITY);
    sm_leveller_set_integrated(&l, INFINITY);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(sm_leveller_update(&l, NAN), SM_LEVELLER_SILENT);
    ck_assert(l.drive_db == 0.0);
    sm_leveller_set_momentary(&l, 1e300);
    sm_leveller_set_shortterm(&l, 1e300);
    sm_leveller_set_integrated(&l, -14.0);
    for (int i = 0; i < 1000; i++)
        sm_leveller_update(&l, 1e9);
    ck_assert(isfinite(l.drive_db) &&
              fabs(l.drive_db) <= SM_LEVELLER_DRIVE_MAX_DB);
}
END_TEST

/* ------------------------------------------------ bounded EQ steps */

START_TEST(test_step_db)
{
    ck_assert(sm_leveller_step_db(0.0, 3.0, 0.5) == 0.5);
    ck_assert(sm_leveller_step_db(2.0, -3.0, 0.5) == 1.5);
    ck_assert(sm_leveller_step_db(2.0, 2.2, 0.5) == 2.2);
    ck_assert(sm_leveller_step_db(2.0, NAN, 0.5) == 2.0);
    ck_assert(sm_leveller_step_db(NAN, 1.0, 0.5) == 0.5);
    ck_assert(sm_leveller_step_db(1.0, 5.0, -1.0) == 1.0);
}
END_TEST

static int eq_equal(const sm_eq_setting *a, const sm_eq_setting *b)
{
    return a->on == b->on && a->type == b->type && a->freq_hz == b->freq_hz &&
           a->q == b->q && a->gain_db == b->gain_db;
}

START_TEST(test_eq_steps)
{
    const double S = SM_LEVELLER_EQ_STEP_DB;
    sm_eq_setting off = {0, 0, 0, 0, 0};
    sm_eq_setting shelf = {1, 1, 8000, 0.7, -2.2};
    sm_eq_setting next, cur = off;
    /* off -> -2.2 dB: -0.5 -1 -1.5 -2 -2.2 */
    double want[] = {-0.5, -1.0, -1.5, -2.0, -2.2, -2.2};
    for (int i = 0; i < 6; i++) {
        sm_leveller_eq_step(&cur, &shelf, S, &next);
        ck_assert_msg(fabs(next.gain_db - want[i]) < 1e-12, "%d %g", i,
                      next.gain_db);
        ck_assert(next.on && next.freq_hz == 8000 && next.type == 1);
        cur = next;
    }
    ck_assert(eq_equal(&cur, &shelf));
    /* the proposal withdraws it: it steps back to 0 and turns off */
    sm_eq_setting none = shelf;
    none.on = 0;
    int n = 0;
    while (cur.on && n < 10) {
        sm_leveller_eq_step(&cur, &none, S, &next);
        ck_assert(fabs(next.gain_db - cur.gain_db) <= S + 1e-12);
        cur = next;
        n++;
    }
    ck_assert_int_eq(n, 5); /* 2.2 dB in 0.5 dB steps */
    ck_assert(cur.gain_db == 0.0 && !cur.on);
    /* a bell that moves: the old one leaves first, in place */
    sm_eq_setting b1 = {1, 2, 1000, 0.8, 1.0}, b2 = {1, 2, 2000, 0.8, -1.0};
    cur = b1;
    sm_leveller_eq_step(&cur, &b2, S, &next);
    ck_assert(next.freq_hz == 1000 && next.gain_db == 0.5 && next.on);
    cur = next;
    sm_leveller_eq_step(&cur, &b2, S, &next);
    ck_assert(next.gain_db == 0.0 && !next.on);
    cur = next;
    sm_leveller_eq_step(&cur, &b2, S, &next);
    ck_assert(next.freq_hz == 2000 && next.gain_db == -0.5 && next.on);
    cur = next;
    sm_leveller_eq_step(&cur, &b2, S, &next);
    ck_assert(eq_equal(&next, &b2));
    /* q counts as moving the band too */
    sm_eq_setting b3 = b2;
    b3.q = 2.0;
    sm_leveller_eq_step(&b2, &b3, S, &next);
    ck_assert(next.q == 0.8 && next.gain_db == -0.5);
}
END_TEST

static Suite *leveller_suite(void)
{
    Suite *s = suite_create("leveller");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_learn_window);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_time_constant);
    tcase_add_test(tc, test_loop_through_shortterm);
    tcase_add_test(tc, test_slew_limit);
    tcase_add_test(tc, test_gates);
    tcase_add_test(tc, test_breaks_never_raise_the_drive);
    tcase_add_test(tc, test_pending_step_dropped);
    tcase_add_test(tc, test_set_drive_settles);
    tcase_add_test(tc, test_nonfinite);
    tcase_add_test(tc, test_step_db);
    tcase_add_test(tc, test_eq_steps);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    SRunner *sr = srunner_create(leveller_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
