/* leveller.h - the smart master's live mode (research notes
 * smart-mastering.md §7.6): the learn window, the follow leveller that trims
 * the drive toward the loudness target, and the bounded EQ step used when
 * following.
 *
 * Learn window: a timer in seconds of the caller's clock (Pd logical time,
 * so that it runs as fast as pd -batch does).
 *
 * Follow leveller: a slow loop on the chain OUTPUT short-term loudness S:
 *     step = (target - S) x (1 - exp(-dt / tau)),  |step| <= slew x dt,
 * drive clamped to +-24 dB. The output already carries the drive, so this is
 * an integrator with time constant tau around a plant whose gain is <= 1
 * (the limiter only reduces it) and whose lag is the 3 s short-term window:
 * with tau >= 5 s it settles without overshoot worth the name (< 0.01 dB on
 * a 6 dB step; tau 3 s overshoots by about 7 %).
 *
 * It holds (no change) while gated, so that it never reacts to silence or
 * breaks: the output momentary loudness M is below -70 LUFS, more than 20 LU
 * below the running integrated loudness of the output, or below the user's
 * brake level. After the gate opens again, and after a drive set from
 * outside (a proposal applied), it waits 3 s, the length of the short-term
 * window, so that readings still holding the break or the old drive are not
 * taken for the music. Each step is computed at one update and applied at
 * the next only if the gate stayed open, so the short-term reading taken
 * while a break begins (M needs up to 400 ms to fall through the gate) is
 * never acted on.
 *
 * Plain C99, no allocation, caller-owned state. */
#ifndef SM_LEVELLER_H
#define SM_LEVELLER_H

#define SM_LEVELLER_ABS_GATE_LUFS (-70.0) /* BS.1770's absolute gate */
#define SM_LEVELLER_REL_GATE_LU 20.0 /* a break: this far below integrated */
#define SM_LEVELLER_SETTLE_S 3.0     /* the short-term window */
#define SM_LEVELLER_DRIVE_MAX_DB 24.0
#define SM_LEVELLER_EQ_STEP_DB 0.5 /* per follow update (§7.6) */

/* ------------------------------------------------------ learn window */

typedef struct sm_learn {
    double length_s, elapsed_s;
    int active;
} sm_learn;

void sm_learn_init(sm_learn *w);
void sm_learn_start(sm_learn *w, double seconds);
void sm_learn_cancel(sm_learn *w);
/* dt_s more seconds have passed; returns 1 exactly once, when the window
 * has run its length (then it is no longer active). */
int sm_learn_advance(sm_learn *w, double dt_s);
double sm_learn_left_s(const sm_learn *w); /* 0 when not active */

/* ------------------------------------------------------ leveller */

/* Why the leveller holds (sm_leveller_update's result). */
enum {
    SM_LEVELLER_RUN,       /* following */
    SM_LEVELLER_NOREADING, /* no output momentary/short-term reading yet */
    SM_LEVELLER_SILENT,    /* M below -70 LUFS */
    SM_LEVELLER_BREAK,     /* M more than 20 LU below the integrated */
    SM_LEVELLER_BRAKE,     /* M below the user's brake level */
    SM_LEVELLER_SETTLING   /* waiting for the short-term window to refill */
};

typedef struct sm_leveller {
    /* settings */
    double target_lufs;
    double tau_s;      /* time constant of the loop */
    double slew_db_s;  /* largest drive change per second */
    double brake_lufs; /* hold while M is below it (-70: off) */
    /* latest output readings */
    double momentary_lufs, shortterm_lufs, integrated_lufs;
    int have_momentary, have_shortterm;
    /* state */
    double drive_db;
    double pending_db; /* step decided at the last update */
    double open_s;     /* time the gate has been open (or since set_drive) */
    int state;         /* SM_LEVELLER_* of the last update */
} sm_leveller;

/* Defaults: target -14 LUFS, tau 10 s, slew 1 dB/s, brake -70 LUFS (off),
 * drive 0, no readings. */
void sm_leveller_init(sm_leveller *l);
/* Forgets the readings and waits to settle again; keeps drive and settings */
void sm_leveller_reset(sm_leveller *l);
void sm_leveller_set_target(sm_leveller *l, double lufs);
void sm_leveller_set_tau(sm_leveller *l, double seconds);   /* >= 0.1 */
void sm_leveller_set_slew(sm_leveller *l, double db_per_s); /* >= 0 */
void sm_leveller_set_brake(sm_leveller *l, double lufs);
/* A drive committed from outside (a proposal applied): the leveller goes on
 * from it after the settle time. */
void sm_leveller_set_drive(sm_leveller *l, double db);

/* The chain output's readings (lufs~ reports; its floor -150 means none). */
void sm_leveller_set_momentary(sm_leveller *l, double lufs);
void sm_leveller_set_shortterm(sm_leveller *l, double lufs);
void sm_leveller_set_integrated(sm_leveller *l, double lufs);

/* The gate on the current readings: SM_LEVELLER_RUN if open, else why not
 * (never SM_LEVELLER_SETTLING). */
int sm_leveller_gate(const sm_leveller *l);

/* dt_s seconds since the last update: moves the drive (l->drive_db) and
 * returns the state, SM_LEVELLER_RUN when it is following. */
int sm_leveller_update(sm_leveller *l, double dt_s);

/* A word for a state ("follow", "silent", "break", "brake", "settling",
 * "noreading"). */
const char *sm_leveller_state_name(int state);

/* ------------------------------------------------ bounded EQ steps */

/* applied moved toward proposed by at most max_step (>= 0). */
double sm_leveller_step_db(double applied, double proposed, double max_step);

/* One EQ band's setting as sent to the chain; on 0 means gain 0. */
typedef struct sm_eq_setting {
    int on;
    int type; /* caller's type code, compared only */
    double freq_hz, q, gain_db;
} sm_eq_setting;

/* The next setting of a band moving from `applied` toward `proposed` with
 * gain changes of at most max_step dB: the gain steps toward the proposed
 * one; if the proposal moves the band (other type, frequency or q), the old
 * band first steps down to 0 dB in place, then the new one steps up from 0,
 * so no update jumps by more than max_step at any frequency. An off band
 * counts as gain 0. */
void sm_leveller_eq_step(const sm_eq_setting *applied,
                         const sm_eq_setting *proposed, double max_step,
                         sm_eq_setting *next);

#endif
