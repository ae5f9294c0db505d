/* leveller.c - learn window, follow leveller and bounded EQ steps (see
 * leveller.h). */
#include "leveller.h"
#include "numerics.h"

#include <math.h>
#include <string.h>

/* a reading: finite, or the floor (lufs~ sends -150 for "nothing yet") */
static double reading(double lufs)
{
    return isfinite(lufs) ? sm_clamp(lufs, SM_FLOOR_DB, 100.0) : SM_FLOOR_DB;
}

/* ------------------------------------------------------ learn window */

void sm_learn_init(sm_learn *w)
{
    w->length_s = w->elapsed_s = 0.0;
    w->active = 0;
}

void sm_learn_start(sm_learn *w, double seconds)
{
    w->length_s = isfinite(seconds) && seconds > 0.0 ? seconds : 0.0;
    w->elapsed_s = 0.0;
    w->active = 1;
}

void sm_learn_cancel(sm_learn *w)
{
    w->active = 0;
}

int sm_learn_advance(sm_learn *w, double dt_s)
{
    if (!w->active)
        return 0;
    if (isfinite(dt_s) && dt_s > 0.0)
        w->elapsed_s += dt_s;
    /* a clock set for exactly the length may land a hair early in floating
     * point: a microsecond counts as done */
    if (w->elapsed_s >= w->length_s - 1e-6) {
        w->active = 0;
        return 1;
    }
    return 0;
}

double sm_learn_left_s(const sm_learn *w)
{
    if (!w->active)
        return 0.0;
    double left = w->length_s - w->elapsed_s;
    return left > 0.0 ? left : 0.0;
}

/* ------------------------------------------------------ leveller */

void sm_leveller_init(sm_leveller *l)
{
    memset(l, 0, sizeof *l);
    l->target_lufs = -14.0;
    l->tau_s = 10.0;
    l->slew_db_s = 1.0;
    l->brake_lufs = SM_LEVELLER_ABS_GATE_LUFS;
    sm_leveller_reset(l);
}

void sm_leveller_reset(sm_leveller *l)
{
    l->momentary_lufs = l->shortterm_lufs = l->integrated_lufs = SM_FLOOR_DB;
    l->have_momentary = l->have_shortterm = 0;
    l->pending_db = 0.0;
    l->open_s = 0.0;
    l->state = SM_LEVELLER_NOREADING;
}

void sm_leveller_set_target(sm_leveller *l, double lufs)
{
    if (isfinite(lufs))
        l->target_lufs = sm_clamp(lufs, -70.0, 0.0);
}

void sm_leveller_set_tau(sm_leveller *l, double seconds)
{
    if (isfinite(seconds))
        l->tau_s = sm_clamp(seconds, 0.1, 3600.0);
}

void sm_leveller_set_slew(sm_leveller *l, double db_per_s)
{
    if (isfinite(db_per_s))
        l->slew_db_s = sm_clamp(db_per_s, 0.0, 100.0);
}

void sm_leveller_set_brake(sm_leveller *l, double lufs)
{
    if (isfinite(lufs))
        l->brake_lufs = sm_clamp(lufs, SM_FLOOR_DB, 0.0);
}

void sm_leveller_set_drive(sm_leveller *l, double db)
{
    if (isfinite(db))
        l->drive_db =
            sm_clamp(db, -SM_LEVELLER_DRIVE_MAX_DB, SM_LEVELLER_DRIVE_MAX_DB);
    /* the output readings still hold the old drive for a short-term window */
    l->pending_db = 0.0;
    l->open_s = 0.0;
}

void sm_leveller_set_momentary(sm_leveller *l, double lufs)
{
    l->momentary_lufs = reading(lufs);
    l->have_momentary = 1;
}

void sm_leveller_set_shortterm(sm_leveller *l, double lufs)
{
    l->shortterm_lufs = reading(lufs);
    l->have_shortterm = 1;
}

void sm_leveller_set_integrated(sm_leveller *l, double lufs)
{
    l->integrated_lufs = reading(lufs);
}

int sm_leveller_gate(const sm_leveller *l)
{
    double m = l->momentary_lufs;
    if (!l->have_momentary || !l->have_shortterm)
        return SM_LEVELLER_NOREADING;
    if (m < SM_LEVELLER_ABS_GATE_LUFS ||
        l->shortterm_lufs < SM_LEVELLER_ABS_GATE_LUFS)
        return SM_LEVELLER_SILENT;
    /* the integrated reading counts once it has passed the absolute gate */
    if (l->integrated_lufs > SM_LEVELLER_ABS_GATE_LUFS &&
        m < l->integrated_lufs - SM_LEVELLER_REL_GATE_LU)
        return SM_LEVELLER_BREAK;
    if (m < l->brake_lufs)
        return SM_LEVELLER_BRAKE;
    return SM_LEVELLER_RUN;
}

int sm_leveller_update(sm_leveller *l, double dt_s)
{
    if (!isfinite(dt_s) || dt_s < 0.0)
        dt_s = 0.0;
    int gate = sm_leveller_gate(l);
    if (gate != SM_LEVELLER_RUN) {
        /* hold; the step decided before the gate closed is dropped too */
        l->pending_db = 0.0;
        l->open_s = 0.0;
        return l->state = gate;
    }
    l->open_s += dt_s;
    if (l->open_s < SM_LEVELLER_SETTLE_S) {
        l->pending_db = 0.0;
        return l->state = SM_LEVELLER_SETTLING;
    }
    /* the step decided last time: the gate stayed open since */
    l->drive_db = sm_clamp(l->drive_db + l->pending_db,
                           -SM_LEVELLER_DRIVE_MAX_DB, SM_LEVELLER_DRIVE_MAX_DB);
    double err = l->target_lufs - l->shortterm_lufs;
    double step = err * -expm1(-dt_s / l->tau_s);
    double most = l->slew_db_s * dt_s;
    l->pending_db = sm_clamp(step, -most, most);
    return l->state = SM_LEVELLER_RUN;
}

const char *sm_leveller_state_name(int state)
{
    static const char *const names[] = {"follow", "noreading", "silent",
                                        "break",  "brake",     "settling"};
    return state >= 0 && state <= SM_LEVELLER_SETTLING ? names[state] : "?";
}

/* ------------------------------------------------ bounded EQ steps */

double sm_leveller_step_db(double applied, double proposed, double max_step)
{
    if (!isfinite(applied))
        applied = 0.0;
    if (!isfinite(proposed))
        return applied;
    if (!(max_step >= 0.0))
        max_step = 0.0;
    return sm_clamp(proposed, applied - max_step, applied + max_step);
}

static int same_band(const sm_eq_setting *a, const sm_eq_setting *b)
{
    return a->type == b->type && a->freq_hz == b->freq_hz && a->q == b->q;
}

void sm_leveller_eq_step(const sm_eq_setting *applied,
                         const sm_eq_setting *proposed, double max_step,
                         sm_eq_setting *next)
{
    double was = applied->on ? applied->gain_db : 0.0;
    double want = proposed->on ? proposed->gain_db : 0.0;
    if (was != 0.0 && !same_band(applied, proposed)) {
        /* the old band leaves first, in place */
        *next = *applied;
        next->gain_db = sm_leveller_step_db(was, 0.0, max_step);
    } else {
        *next = *proposed;
        next->gain_db = sm_leveller_step_db(was, want, max_step);
    }
    next->on = next->gain_db != 0.0;
    if (!next->on)
        next->gain_db = 0.0; /* no "-0" */
}
