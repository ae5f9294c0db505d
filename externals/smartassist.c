/* smartassist - the smart master's assistant: takes the reports of
 * analyze~ and lufs~, proposes settings for masterchain~ toward a delivery
 * target and explains each one; in apply mode it also sends them.
 *
 * A control object (no signal): glue only, the rules live in
 * dsp/assistant.c. */
#include "dsp/assistant.h"
#include "dsp/leveller.h"
#include "dsp/numerics.h"
#include "shared/params.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static t_class *smartassist_class;

enum { MODE_SUGGEST, MODE_APPLY, MODE_FREEZE, MODE_FOLLOW, MODES };
static const char *const mode_names[] = {"suggest", "apply", "freeze",
                                         "follow"};
static const char *const module_names[] = {"eq", "multiband", "loudness",
                                           "dyneq", "width"};

typedef struct _smartassist {
    t_object x_obj;
    sm_assistant x_core;
    sm_assist_proposal x_last;
    int x_have_last;
    int x_mode;
    double x_interval_ms;
    t_clock *x_clock;
    /* live mode (dsp/leveller.c): the learn window, the follow leveller,
     * what was last sent to the chain (follow moves from it in steps) */
    sm_learn x_learn;
    sm_leveller x_lev;
    sm_eq_setting x_applied[SM_ASSIST_EQ_SLOTS];
    sm_eq_setting x_applied_side[SM_ASSIST_SIDE_SLOTS];
    double x_applied_width; /* dB */
    double x_applied_drive; /* the drive sent last (dB) */
    double x_user_gain;     /* `chaingain`: the gain set by hand (dB) */
    int x_have_user_gain;
    double x_follow_s; /* re-proposal period in follow mode */
    double x_since_propose_s;
    double x_live_time; /* logical time of the last live tick */
    int x_learn_left;   /* whole seconds left, as last reported */
    int x_lev_state;    /* leveller state, as last reported */
    int x_live_on;      /* x_live is set */
    t_clock *x_live;
    /* the report (`write`): the lines of the last proposal, the chain
     * messages last sent, and where targets.txt was found */
    t_canvas *x_canvas; /* file names relative to the patch */
    char *x_rec, *x_chainrec;
    int x_rec_len, x_chainrec_len;
    t_outlet *x_out;
} t_smartassist;

#define SA_REC_SIZE 16384

/* ------------------------- parameters ----------------------------- */

static void sa_set_interval(void *z, double v)
{
    t_smartassist *x = z;
    x->x_interval_ms = v;
    if (x->x_clock) {
        if (v > 0)
            clock_delay(x->x_clock, v);
        else
            clock_unset(x->x_clock);
    }
}

static double sa_get_interval(const void *z)
{
    return ((const t_smartassist *)z)->x_interval_ms;
}

static void sa_set_amount(void *z, double v)
{
    sm_assistant_set_amount(&((t_smartassist *)z)->x_core, v);
}

static double sa_get_amount(const void *z)
{
    return ((const t_smartassist *)z)->x_core.amount;
}

static void sa_set_lra(void *z, double v)
{
    ((t_smartassist *)z)->x_core.target_lra_lu = v;
}

static double sa_get_lra(const void *z)
{
    return ((const t_smartassist *)z)->x_core.target_lra_lu;
}

static void sa_set_plrmin(void *z, double v)
{
    ((t_smartassist *)z)->x_core.plr_min_db = v;
}

static double sa_get_plrmin(const void *z)
{
    return ((const t_smartassist *)z)->x_core.plr_min_db;
}

/* live mode: follow period, leveller time constant, slew and brake */
static void sa_set_follow(void *z, double v)
{
    ((t_smartassist *)z)->x_follow_s = v;
}

static double sa_get_follow(const void *z)
{
    return ((const t_smartassist *)z)->x_follow_s;
}

static void sa_set_tau(void *z, double v)
{
    sm_leveller_set_tau(&((t_smartassist *)z)->x_lev, v);
}

static double sa_get_tau(const void *z)
{
    return ((const t_smartassist *)z)->x_lev.tau_s;
}

static void sa_set_slew(void *z, double v)
{
    sm_leveller_set_slew(&((t_smartassist *)z)->x_lev, v);
}

static double sa_get_slew(const void *z)
{
    return ((const t_smartassist *)z)->x_lev.slew_db_s;
}

static void sa_set_brake(void *z, double v)
{
    sm_leveller_set_brake(&((t_smartassist *)z)->x_lev, v);
}

static double sa_get_brake(const void *z)
{
    return ((const t_smartassist *)z)->x_lev.brake_lufs;
}

static const sm_param sa_param_table[] = {
    {"interval", "ms", SM_REAL, 0, 60000, 0, sa_set_interval, sa_get_interval,
     "propose every so often (0: only on bang)"},
    {"amount", "", SM_REAL, 0, 1, 1, sa_set_amount, sa_get_amount,
     "global amount, times each module's (amount eq|multiband|loudness x)"},
    {"lra", "LU", SM_REAL, 1, 30, 8, sa_set_lra, sa_get_lra,
     "target loudness range: above it the multiband ratio rises"},
    {"plrmin", "dB", SM_REAL, 0, 30, 8, sa_set_plrmin, sa_get_plrmin,
     "smallest peak-to-loudness ratio before the target counts as unreachable"},
    {"follow", "s", SM_REAL, 1, 60, 5, sa_set_follow, sa_get_follow,
     "follow mode: re-propose this often, EQ moving 0.5 dB at most"},
    {"tau", "s", SM_REAL, 3, 600, 10, sa_set_tau, sa_get_tau,
     "follow mode: time constant of the drive leveller"},
    {"slew", "dB/s", SM_REAL, 0, 10, 1, sa_set_slew, sa_get_slew,
     "follow mode: fastest drive change (0: the drive holds)"},
    {"brake", "LUFS", SM_REAL, -70, 0, -70, sa_set_brake, sa_get_brake,
     "follow mode: hold the drive while the output is quieter than this"},
};

static const sm_params sa_params = {"smartassist", sa_param_table,
                                    sizeof sa_param_table /
                                        sizeof *sa_param_table};

/* ------------------------------ output ---------------------------- */

/* `selector <words of text>`: the text is parsed like a message box
 * (numbers become floats); sentences contain no commas or semicolons. */
static void sa_out_text(t_smartassist *x, const char *selector,
                        const char *prefix, const char *text)
{
    t_binbuf *b = binbuf_new();
    char buf[SM_ASSIST_TEXT + 32];
    snprintf(buf, sizeof buf, "%s%s", prefix, text);
    /* kept for `write`: "selector text" lines */
    int is_chain = !strcmp(selector, "chain");
    char *rec = is_chain ? x->x_chainrec : x->x_rec;
    int *len = is_chain ? &x->x_chainrec_len : &x->x_rec_len;
    if (rec && *len < SA_REC_SIZE - 1) {
        int n =
            snprintf(rec + *len, SA_REC_SIZE - *len, "%s %s\n", selector, buf);
        *len = *len + n < SA_REC_SIZE ? *len + n : SA_REC_SIZE - 1;
    }
    binbuf_text(b, buf, strlen(buf));
    outlet_anything(x->x_out, gensym(selector), binbuf_getnatom(b),
                    binbuf_getvec(b));
    binbuf_free(b);
}

static void sa_out_floats(t_smartassist *x, const char *selector, int n,
                          const char *const *names, const double *v)
{
    t_atom a[8];
    for (int i = 0; i < n; i++) {
        SETSYMBOL(&a[2 * i], gensym(names[i]));
        SETFLOAT(&a[2 * i + 1], v[i]);
    }
    outlet_anything(x->x_out, gensym(selector), 2 * n, a);
}

/* dynamic EQ (bands 7-8) and multiband (per mbcomp~ band), from
 * dsp/assist_dynamics.c */
static void sa_output_dynamics(t_smartassist *x, const sm_assist_proposal *p,
                               int apply)
{
    const sm_assistant *a = &x->x_core;
    char msg[SM_ASSIST_TEXT];
    for (int k = 0; k < SM_ADYN_DYNEQ; k++) {
        const sm_adyn_dyneq *e = &p->dyneq[k];
        int ok = sm_assistant_dyneq_message(a, p, k, msg, sizeof msg) == 0;
        if (e->active && ok)
            sa_out_text(x, "proposal", "dyneq ", msg);
        if (!ok) {
            char t[64];
            snprintf(t, sizeof t,
                     "dynamic eq: band %d is locked by the user and left "
                     "alone",
                     SM_ADYN_DYNEQ_BAND0 + k);
            sa_out_text(x, "explain", "", t);
        } else if (e->explain[0])
            sa_out_text(x, "explain", "", e->explain);
        if (apply && ok)
            sa_out_text(x, "chain", "", msg);
    }
    /* every band, the neutral ones too (ratio 1, make-up 0): mbcomp~ takes
     * one parameter per all-bands message */
    int sent = 0;
    for (int k = 0; k < p->mb.nbands; k++)
        if (sm_assistant_comp_band_message(a, p, k, msg, sizeof msg) == 0) {
            sa_out_text(x, "proposal", "multiband ", msg);
            if (apply)
                sa_out_text(x, "chain", "", msg);
            sent = 1;
        }
    if (p->mb.have_data && sent)
        for (int k = 0; k < p->mb.nbands; k++)
            sa_out_text(x, "explain", "", p->mb.band[k].explain);
    else
        sa_out_text(x, "explain", "", p->explain_multiband);
}

/* with_gain 0: the drive is not ours to send (follow: the leveller's) */
static void sa_output(t_smartassist *x, const sm_assist_proposal *p, int apply,
                      int with_gain)
{
    const sm_assistant *a = &x->x_core;
    char msg[SM_ASSIST_TEXT];
    x->x_rec_len = 0;
    if (apply)
        x->x_chainrec_len = 0;
    if (p->explain_reference[0])
        sa_out_text(x, "explain", "", p->explain_reference);
    for (int k = 0; k < SM_ASSIST_EQ_SLOTS; k++) {
        const sm_assist_eq *e = &p->eq[k];
        int ok = sm_assistant_eq_message(p, k, msg, sizeof msg) == 0;
        if (e->active && ok)
            sa_out_text(x, "proposal", "eq ", msg + 3);
        if (e->active || e->locked || k < 2)
            sa_out_text(x, "explain", "", p->explain_eq[k]);
        if (apply && ok)
            sa_out_text(x, "chain", "", msg);
    }
    if (p->eq_at_limit)
        sa_out_text(x, "explain", "", p->explain_eq_limit);
    /* side EQ (slots 5-6): only when a side target exists */
    for (int k = 0; k < SM_ASSIST_SIDE_SLOTS && p->side_fitted; k++) {
        const sm_assist_eq *e = &p->side[k];
        int ok = sm_assistant_side_message(p, k, msg, sizeof msg) == 0;
        if (e->active && ok)
            sa_out_text(x, "proposal", "eq ", msg + 3);
        sa_out_text(x, "explain", "", p->explain_side[k]);
        if (apply && ok)
            sa_out_text(x, "chain", "", msg);
    }
    if (sm_assistant_width_message(p, msg, sizeof msg) == 0) {
        if (p->width_active)
            sa_out_text(x, "proposal", "width ", msg);
        if (apply)
            sa_out_text(x, "chain", "", msg);
    }
    if (a->have_width || p->have_width_target)
        sa_out_text(x, "explain", "", p->explain_width);
    if (p->explain_stereo[0])
        sa_out_text(x, "explain", "", p->explain_stereo);
    sa_output_dynamics(x, p, apply);
    if (with_gain && sm_assistant_gain_message(a, p, msg, sizeof msg) == 0) {
        sa_out_text(x, "proposal", "loudness ", msg);
        if (apply)
            sa_out_text(x, "chain", "", msg);
    }
    sa_out_text(x, "explain", "", p->explain_loudness);
    static const char *const pnames[] = {"integrated", "truepeak", "plr"};
    double pv[3] = {p->predicted_lufs, p->predicted_tp_dbtp,
                    p->predicted_plr_db};
    sa_out_floats(x, "predicted", 3, pnames, pv);
    sa_out_text(x, "explain", "", p->explain_predicted);
    t_atom v;
    SETFLOAT(&v, p->unreachable ? 0 : 1);
    outlet_anything(x->x_out, gensym("reachable"), 1, &v);
    t_atom d[2];
    SETFLOAT(&d[0], p->distance_db);
    SETFLOAT(&d[1], p->predicted_distance_db);
    outlet_anything(x->x_out, gensym("distance"), 2, d);
    if (p->side_fitted) {
        SETFLOAT(&d[0], p->side_distance_db);
        SETFLOAT(&d[1], p->side_predicted_distance_db);
        outlet_anything(x->x_out, gensym("sidedistance"), 2, d);
    }
}

/* ----------------------------- live mode ---------------------------
 * learn: reset the measurements, collect for a while (Pd logical time),
 * then propose; in apply (or freeze) mode apply it and freeze.
 * follow: the leveller (dsp/leveller.c) trims the drive from the chain's
 * output loudness every LIVE_MS, also while learning (slew-limited: the
 * drive never jumps); the learn's proposal goes to the chain without its
 * drive, and after it every `follow` seconds a new one moves the EQ by at
 * most SM_LEVELLER_EQ_STEP_DB per band. Nothing moves while the output is
 * silent or in a break. */

#define LIVE_MS 250.0 /* leveller updates: at most 4 chain messages/s */

static int sa_locked(const t_smartassist *x, int lock)
{
    return (x->x_core.locks >> lock) & 1u;
}

static void sa_state(t_smartassist *x)
{
    t_atom a[2];
    if (x->x_learn.active) {
        SETSYMBOL(&a[0], gensym("learning"));
        SETFLOAT(&a[1], x->x_learn_left);
        outlet_anything(x->x_out, gensym("state"), 2, a);
    } else {
        SETSYMBOL(&a[0], gensym(mode_names[x->x_mode]));
        outlet_anything(x->x_out, gensym("state"), 1, a);
    }
}

static sm_eq_setting sa_eq_setting(const sm_assist_eq *e)
{
    sm_eq_setting q = {e->active, e->type, e->freq_hz, e->q,
                       e->active ? e->gain_db : 0.0};
    return q;
}

/* after a proposal went to the chain: what the chain now has */
static void sa_remember(t_smartassist *x, const sm_assist_proposal *p,
                        int with_gain)
{
    for (int k = 0; k < SM_ASSIST_EQ_SLOTS; k++)
        if (!p->eq[k].locked)
            x->x_applied[k] = sa_eq_setting(&p->eq[k]);
    for (int k = 0; k < SM_ASSIST_SIDE_SLOTS && p->side_fitted; k++)
        if (!p->side[k].locked)
            x->x_applied_side[k] = sa_eq_setting(&p->side[k]);
    if (!p->width_locked)
        x->x_applied_width = p->width_db;
    if (with_gain && !sa_locked(x, SM_ASSIST_LOCK_GAIN))
        x->x_applied_drive = sm_hundredths(p->drive_db); /* as sent */
}

/* one EQ band of a follow proposal, moved a bounded step from the chain's */
static void sa_eq_step(sm_assist_eq *e, const sm_eq_setting *applied)
{
    if (e->locked)
        return;
    sm_eq_setting want = sa_eq_setting(e), next;
    sm_leveller_eq_step(applied, &want, SM_LEVELLER_EQ_STEP_DB, &next);
    e->active = next.on;
    e->type = next.type;
    e->freq_hz = next.freq_hz;
    e->q = next.q;
    e->gain_db = next.gain_db;
}

/* In follow mode the leveller owns the drive: a proposal goes to the chain
 * without its gain message. */
static void sa_output_follow(t_smartassist *x, sm_assist_proposal *p)
{
    p->drive_db = x->x_lev.drive_db;
    sa_output(x, p, 1, 0);
    sa_remember(x, p, 0);
}

/* Proposes from the current state, telling the core the chain's input
 * gain when it is not the assistant's to choose, so the dynamics
 * thresholds sit on the levels the chain really gets: the user's, when
 * the gain is locked and its value known (`chaingain`), or the follow
 * leveller's. */
static void sa_propose(t_smartassist *x, sm_assist_proposal *p)
{
    sm_assistant *a = &x->x_core;
    if (sa_locked(x, SM_ASSIST_LOCK_GAIN))
        sm_assistant_set_chain_gain(a, x->x_user_gain, x->x_have_user_gain);
    else if (x->x_mode == MODE_FOLLOW)
        sm_assistant_set_chain_gain(a, x->x_applied_drive, 1);
    else
        sm_assistant_set_chain_gain(a, 0.0, 0);
    sm_assistant_propose(a, p);
}

/* follow mode's proposal: EQ in bounded steps from what the chain has, the
 * drive left to the leveller */
static void sa_follow_propose(t_smartassist *x)
{
    sm_assist_proposal *p = &x->x_last;
    sa_propose(x, p);
    x->x_have_last = 1;
    for (int k = 0; k < SM_ASSIST_EQ_SLOTS; k++)
        sa_eq_step(&p->eq[k], &x->x_applied[k]);
    for (int k = 0; k < SM_ASSIST_SIDE_SLOTS && p->side_fitted; k++)
        sa_eq_step(&p->side[k], &x->x_applied_side[k]);
    if (!p->width_locked)
        p->width_db = sm_leveller_step_db(x->x_applied_width, p->width_db,
                                          SM_LEVELLER_EQ_STEP_DB);
    sa_output_follow(x, p);
    x->x_since_propose_s = 0.0;
}

static void sa_send_drive(t_smartassist *x, double db)
{
    t_atom a[2];
    SETSYMBOL(&a[0], gensym("gain"));
    SETFLOAT(&a[1], db);
    outlet_anything(x->x_out, gensym("chain"), 2, a);
    x->x_applied_drive = db;
}

/* One leveller update; re-proposals only when `propose` (not while
 * learning). */
static void sa_follow(t_smartassist *x, double dt_s, int propose)
{
    sm_leveller *l = &x->x_lev;
    const sm_assistant *a = &x->x_core;
    sm_assistant e; /* the targets in force: references may move them */
    int st;
    sm_assistant_effective(a, &e);
    sm_leveller_set_target(l, e.target_lufs);
    /* a locked gain or loudness amount 0: the drive is not ours to move */
    if (sa_locked(x, SM_ASSIST_LOCK_GAIN) ||
        a->amount * a->module_amount[SM_ASSIST_MOD_LOUDNESS] <= 0.0) {
        sm_leveller_set_drive(l, x->x_applied_drive);
        st = SM_LEVELLER_SETTLING;
    } else
        st = sm_leveller_update(l, dt_s);
    if (st != x->x_lev_state) {
        t_atom v;
        SETSYMBOL(&v, gensym(sm_leveller_state_name(st)));
        outlet_anything(x->x_out, gensym("leveller"), 1, &v);
        x->x_lev_state = st;
    }
    /* float messages: the slew is kept exactly, not rounded away */
    if (fabs(l->drive_db - x->x_applied_drive) >= 0.005)
        sa_send_drive(x, l->drive_db);
    x->x_since_propose_s += dt_s;
    if (propose && x->x_since_propose_s >= x->x_follow_s - 1e-6 &&
        sm_leveller_gate(l) == SM_LEVELLER_RUN)
        sa_follow_propose(x);
}

static void sa_live_schedule(t_smartassist *x)
{
    double ms = LIVE_MS;
    if (x->x_learn.active) {
        double left = 1000.0 * sm_learn_left_s(&x->x_learn);
        if (left < ms) /* end the window on time */
            ms = left > 0.0 ? left : 0.0;
    } else if (x->x_mode != MODE_FOLLOW) {
        clock_unset(x->x_live);
        x->x_live_on = 0;
        return;
    }
    clock_delay(x->x_live, ms);
    x->x_live_on = 1;
}

static void sa_learn_done(t_smartassist *x)
{
    sm_assist_proposal *p = &x->x_last;
    sa_propose(x, p);
    x->x_have_last = 1;
    if (x->x_mode == MODE_FOLLOW)
        sa_output_follow(x, p); /* the leveller has been following */
    else if (x->x_mode == MODE_SUGGEST)
        sa_output(x, p, 0, 1);
    else {
        sa_output(x, p, 1, 1);
        sa_remember(x, p, 1);
        sm_leveller_set_drive(&x->x_lev, x->x_applied_drive);
        x->x_mode = MODE_FREEZE;
    }
    x->x_since_propose_s = 0.0;
    sa_state(x);
}

static void sa_live_tick(t_smartassist *x)
{
    double dt = clock_gettimesince(x->x_live_time) / 1000.0;
    x->x_live_time = clock_getlogicaltime();
    int learning = x->x_learn.active;
    if (learning) {
        if (sm_learn_advance(&x->x_learn, dt))
            sa_learn_done(x);
        else {
            int left = (int)ceil(sm_learn_left_s(&x->x_learn) - 1e-6);
            if (left != x->x_learn_left) {
                x->x_learn_left = left;
                sa_state(x);
            }
        }
    }
    /* follow mode levels while learning too: the learn window is for the
     * analysis (EQ, multiband), the drive is the leveller's throughout */
    if (x->x_mode == MODE_FOLLOW)
        sa_follow(x, dt, !learning);
    sa_live_schedule(x);
}

/* (re)starts the live clock; `restart` 0 leaves a running one alone, so
 * that no time goes uncounted */
static void sa_live_start(t_smartassist *x, int restart)
{
    if (x->x_live_on && !restart)
        return;
    x->x_live_time = clock_getlogicaltime();
    sa_live_schedule(x);
}

static void smartassist_learn(t_smartassist *x, t_symbol *s, int argc,
                              t_atom *argv)
{
    double secs = 30.0;
    (void)s;
    if (argc > 0) {
        if (argv[0].a_type != A_FLOAT) {
            pd_error(x, "smartassist: learn: the window length is not a "
                        "number (seconds, 1 to 3600; nothing: 30)");
            return;
        }
        secs = sm_check_range(x, "smartassist", "learn",
                              atom_getfloat(&argv[0]), 1, 3600, "s");
    }
    /* measurements start afresh; the patch resets analyze~ and the meters
     * on `state learning` */
    sm_assistant_reset(&x->x_core);
    sm_leveller_reset(&x->x_lev);
    sm_learn_start(&x->x_learn, secs);
    x->x_learn_left = (int)ceil(secs - 1e-6);
    sa_state(x);
    sa_live_start(x, 1);
}

static void smartassist_bang(t_smartassist *x)
{
    if (x->x_mode == MODE_FOLLOW) {
        sa_follow_propose(x);
        return;
    }
    if (x->x_mode == MODE_FREEZE) {
        /* frozen: repeat the settings in force, send nothing to the chain */
        if (x->x_have_last)
            sa_output(x, &x->x_last, 0, 1);
        return;
    }
    sa_propose(x, &x->x_last);
    x->x_have_last = 1;
    sa_output(x, &x->x_last, x->x_mode == MODE_APPLY, 1);
    if (x->x_mode == MODE_APPLY)
        sa_remember(x, &x->x_last, 1);
}

static void smartassist_tick(t_smartassist *x)
{
    smartassist_bang(x);
    if (x->x_interval_ms > 0)
        clock_delay(x->x_clock, x->x_interval_ms);
}

/* ----------------------------- inputs ----------------------------- */

static int sa_frozen(t_smartassist *x)
{
    return x->x_mode == MODE_FREEZE && !x->x_learn.active;
}

static int sa_floats(t_smartassist *x, const char *what, int argc,
                     const t_atom *argv, int need, double *v)
{
    if (argc < need) {
        pd_error(x, "smartassist: %s needs %d number%s, got %d", what, need,
                 need > 1 ? "s" : "", argc);
        return 0;
    }
    for (int i = 0; i < need; i++) {
        if (argv[i].a_type != A_FLOAT) {
            pd_error(x, "smartassist: %s: argument %d is not a number", what,
                     i + 1);
            return 0;
        }
        v[i] = atom_getfloat(&argv[i]);
    }
    return 1;
}

static void smartassist_spectrum(t_smartassist *x, t_symbol *s, int argc,
                                 t_atom *argv)
{
    double v[SM_ASSIST_BANDS];
    (void)s;
    if (!sa_floats(x, "spectrum", argc, argv, SM_ASSIST_BANDS, v) ||
        sa_frozen(x))
        return;
    sm_assistant_set_spectrum(&x->x_core, v, SM_ASSIST_BANDS);
    /* the chain runs at Pd's rate: its EQ responses are modelled there */
    sm_assistant_set_samplerate(&x->x_core, sys_getsr());
}

static void smartassist_side(t_smartassist *x, t_symbol *s, int argc,
                             t_atom *argv)
{
    double v[SM_ASSIST_BANDS];
    (void)s;
    if (!sa_floats(x, "side", argc, argv, SM_ASSIST_BANDS, v) || sa_frozen(x))
        return;
    sm_assistant_set_side(&x->x_core, v, SM_ASSIST_BANDS);
}

/* `curve <31>|default` and `sidecurve <31>|default` (analyze~'s `target`
 * and `targetside` after a `read` come here too) */
static void sa_curve(t_smartassist *x, const char *what, int argc, t_atom *argv,
                     void (*set)(sm_assistant *, const double *, int))
{
    double v[SM_ASSIST_BANDS];
    if (argc == 0 || (argc == 1 && argv[0].a_type == A_SYMBOL &&
                      !strcmp(argv[0].a_w.w_symbol->s_name, "default"))) {
        set(&x->x_core, NULL, 0);
        return;
    }
    if (sa_floats(x, what, argc, argv, SM_ASSIST_BANDS, v))
        set(&x->x_core, v, SM_ASSIST_BANDS);
}

static void smartassist_curve(t_smartassist *x, t_symbol *s, int argc,
                              t_atom *argv)
{
    (void)s;
    sa_curve(x, "curve", argc, argv, sm_assistant_set_curve);
}

static void smartassist_sidecurve(t_smartassist *x, t_symbol *s, int argc,
                                  t_atom *argv)
{
    (void)s;
    sa_curve(x, "sidecurve", argc, argv, sm_assistant_set_sidecurve);
}

/* one number (the first: truepeak sends the maximum, then each channel) */
static void sa_one(t_smartassist *x, const char *what, int argc,
                   const t_atom *argv, void (*set)(sm_assistant *, double))
{
    double v;
    if (sa_floats(x, what, argc, argv, 1, &v) && !sa_frozen(x))
        set(&x->x_core, v);
}

/* Named delivery targets: targets.txt beside the externals (installed
 * library), or in abstractions/ beside them (build tree), or on Pd's
 * search path as smartmaster/targets.txt. One target per line:
 * `name integrated-LUFS max-true-peak-dBTP tolerance-LU # note`. Returns
 * the file opened, NULL if none; path gets its name. */
static FILE *sa_open_targets(t_smartassist *x, char *path, int size)
{
    const char *dir = class_gethelpdir(smartassist_class);
    static const char *const tries[] = {"targets.txt",
                                        "abstractions/targets.txt"};
    (void)x;
    for (int i = 0; i < 2 && dir && *dir; i++) {
        snprintf(path, size, "%s/%s", dir, tries[i]);
        FILE *f = fopen(path, "r");
        if (f)
            return f;
    }
    char dirbuf[MAXPDSTRING], *name;
    int fd = open_via_path(".", "smartmaster/targets", ".txt", dirbuf, &name,
                           MAXPDSTRING, 1);
    if (fd >= 0) {
        sys_close(fd);
        snprintf(path, size, "%s/%s", dirbuf, name);
        return fopen(path, "r");
    }
    return NULL;
}

/* Looks `name` up; returns 1 with lufs/tp set, 0 if unknown (known gets
 * the names), -1 if no file. */
static int sa_find_target(t_smartassist *x, const char *name, double *lufs,
                          double *tp, char *known, int ksize)
{
    char path[2 * MAXPDSTRING + 2], line[1024];
    FILE *f = sa_open_targets(x, path, sizeof path);
    int found = 0, n = 0;
    if (!f)
        return -1;
    known[0] = 0;
    while (!found && fgets(line, sizeof line, f)) {
        char *hash = strchr(line, '#'), word[64];
        double l, t, tol;
        if (hash)
            *hash = 0;
        for (char *c = line; *c; c++)
            if (*c == ';')
                *c = ' ';
        if (sscanf(line, "%63s %lf %lf %lf", word, &l, &t, &tol) != 4)
            continue;
        if (!strcmp(word, name)) {
            *lufs = l, *tp = t;
            found = 1;
        } else if (n < ksize - 2)
            n += snprintf(known + n, ksize - n, "%s%s", n ? " " : "", word);
    }
    fclose(f);
    return found;
}

static void smartassist_target(t_smartassist *x, t_symbol *s, int argc,
                               t_atom *argv)
{
    double v[2];
    (void)s;
    if (argc >= 1 && argv[0].a_type == A_SYMBOL) {
        const char *name = argv[0].a_w.w_symbol->s_name;
        char known[512];
        int r = sa_find_target(x, name, &v[0], &v[1], known, sizeof known);
        if (r < 0)
            pd_error(x,
                     "smartassist: target %s: targets.txt not found beside "
                     "the externals (give 'target <lufs> <dBTP>' instead)",
                     name);
        else if (r == 0)
            pd_error(x, "smartassist: target: unknown target '%s' (known: %s)",
                     name, known);
        else
            sm_assistant_set_target(&x->x_core, v[0], v[1]);
        return;
    }
    if (argc == SM_ASSIST_BANDS) { /* analyze~ `read`: a target curve */
        sa_curve(x, "target", argc, argv, sm_assistant_set_curve);
        return;
    }
    if (!sa_floats(x, "target <lufs> <truepeak dBTP>", argc, argv, 2, v))
        return;
    v[0] = sm_check_range(x, "smartassist", "target", v[0], -70, 0, "LUFS");
    v[1] = sm_check_range(x, "smartassist", "target truepeak", v[1], -20, 0,
                          "dBTP");
    sm_assistant_set_target(&x->x_core, v[0], v[1]);
}

static void smartassist_amount(t_smartassist *x, int argc, t_atom *argv)
{
    if (argc >= 1 && argv[0].a_type == A_SYMBOL) {
        const char *m = argv[0].a_w.w_symbol->s_name;
        for (int i = 0; i < SM_ASSIST_MODULES; i++)
            if (!strcmp(m, module_names[i])) {
                double v;
                char what[40];
                snprintf(what, sizeof what, "amount %s", m);
                if (!sa_floats(x, what, argc - 1, argv + 1, 1, &v))
                    return;
                v = sm_check_range(x, "smartassist", what, v, 0, 1, "");
                sm_assistant_set_module_amount(&x->x_core, i, v);
                return;
            }
        pd_error(x,
                 "smartassist: amount: no module '%s' (a number 0 to 1, or "
                 "eq, multiband, loudness, dyneq or width and a number)",
                 m);
        return;
    }
    sm_params_message(&sa_params, x, gensym("amount"), argc, argv);
}

/* lock names and the core's lock bits */
static unsigned sa_lock_bits(const char *name)
{
    static const struct {
        const char *name;
        unsigned bits;
    } names[] = {
        {"eq", 0xfu | (1u << SM_ASSIST_LOCK_EQ5) | (1u << SM_ASSIST_LOCK_EQ6)},
        {"eq5", 1u << SM_ASSIST_LOCK_EQ5},
        {"eq6", 1u << SM_ASSIST_LOCK_EQ6},
        {"sideeq", (1u << SM_ASSIST_LOCK_EQ5) | (1u << SM_ASSIST_LOCK_EQ6)},
        {"width", 1u << SM_ASSIST_LOCK_WIDTH},
        {"eq1", 1u << SM_ASSIST_LOCK_EQ1},
        {"eq2", 1u << SM_ASSIST_LOCK_EQ2},
        {"eq3", 1u << SM_ASSIST_LOCK_EQ3},
        {"eq4", 1u << SM_ASSIST_LOCK_EQ4},
        {"ratio", 1u << SM_ASSIST_LOCK_RATIO},
        {"threshold", 1u << SM_ASSIST_LOCK_THRESHOLD},
        {"comp",
         (1u << SM_ASSIST_LOCK_RATIO) | (1u << SM_ASSIST_LOCK_THRESHOLD)},
        {"gain", 1u << SM_ASSIST_LOCK_GAIN},
        {"eq7", 1u << SM_ASSIST_LOCK_EQ7},
        {"eq8", 1u << SM_ASSIST_LOCK_EQ8},
        {"dyneq", (1u << SM_ASSIST_LOCK_EQ7) | (1u << SM_ASSIST_LOCK_EQ8)},
        {"all", (1u << SM_ASSIST_LOCKS) - 1},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(name, names[i].name))
            return names[i].bits;
    return 0;
}

static void sa_lock(t_smartassist *x, const char *what, int on, int argc,
                    t_atom *argv)
{
    unsigned bits = argc >= 1 && argv[0].a_type == A_SYMBOL
                        ? sa_lock_bits(argv[0].a_w.w_symbol->s_name)
                        : 0;
    if (!bits) {
        pd_error(x,
                 "smartassist: %s needs a parameter: eq, eq1..eq8, sideeq, "
                 "dyneq, width, ratio, threshold, comp, gain or all",
                 what);
        return;
    }
    for (int l = 0; l < SM_ASSIST_LOCKS; l++)
        if (bits & (1u << l))
            sm_assistant_set_lock(&x->x_core, l, on);
}

/* `chaingain <dB>`: the input gain set by hand in the chain (smartmaster~
 * sends it with `lock gain`); the dynamics thresholds are then placed for
 * it while the gain is locked. */
static void smartassist_chaingain(t_smartassist *x, int argc, t_atom *argv)
{
    double v;
    if (!sa_floats(x, "chaingain", argc, argv, 1, &v))
        return;
    x->x_user_gain =
        sm_check_range(x, "smartassist", "chaingain", v, -24, 24, "dB");
    x->x_have_user_gain = 1;
}

static void smartassist_mode(t_smartassist *x, int argc, t_atom *argv)
{
    if (argc >= 1 && argv[0].a_type == A_SYMBOL)
        for (int m = 0; m < MODES; m++)
            if (!strcmp(argv[0].a_w.w_symbol->s_name, mode_names[m])) {
                if (m == MODE_FOLLOW && x->x_mode != MODE_FOLLOW) {
                    /* on from what the chain has, once the readings are
                     * whole */
                    sm_leveller_set_drive(&x->x_lev, x->x_applied_drive);
                    x->x_since_propose_s = 0.0;
                    x->x_lev_state = -1;
                }
                x->x_mode = m;
                sa_state(x);
                if (!x->x_live_on)
                    sa_live_start(x, 0);
                else if (!x->x_learn.active && m != MODE_FOLLOW) {
                    clock_unset(x->x_live); /* no longer needed */
                    x->x_live_on = 0;
                }
                return;
            }
    pd_error(x, "smartassist: mode needs suggest, apply, freeze or follow");
}

/* ------------------------ references, match ----------------------- */

static const char *const match_names[] = {"tone", "side", "width", "dynamics",
                                          "loudness"};

/* `reference add`: what was measured since the last reset becomes one
 * more reference (averaged with the earlier ones), then the measurements
 * are forgotten so that the mix can be measured next; `reference clear`. */
static void smartassist_reference(t_smartassist *x, t_symbol *s, int argc,
                                  t_atom *argv)
{
    (void)s;
    const char *w = argc >= 1 && argv[0].a_type == A_SYMBOL
                        ? argv[0].a_w.w_symbol->s_name
                        : "";
    if (!strcmp(w, "add")) {
        if (!sm_assistant_reference_add(&x->x_core)) {
            pd_error(x, "smartassist: reference add: nothing measured since "
                        "the last reset (play the reference through "
                        "analyze~ and lufs~ first)");
            return;
        }
        sm_assistant_reset(&x->x_core);
        x->x_have_last = 0;
    } else if (!strcmp(w, "clear"))
        sm_assistant_reference_clear(&x->x_core);
    else
        pd_error(x, "smartassist: reference needs add or clear");
}

static void smartassist_match(t_smartassist *x, t_symbol *s, int argc,
                              t_atom *argv)
{
    (void)s;
    if (argc >= 1 && argv[0].a_type == A_SYMBOL)
        for (int i = 0; i < SM_ASSIST_MATCHES; i++)
            if (!strcmp(argv[0].a_w.w_symbol->s_name, match_names[i])) {
                double v;
                char what[40];
                snprintf(what, sizeof what, "match %s", match_names[i]);
                if (!sa_floats(x, what, argc - 1, argv + 1, 1, &v))
                    return;
                v = sm_check_range(x, "smartassist", what, v, 0, 1, "");
                sm_assistant_set_match(&x->x_core, i, v);
                return;
            }
    pd_error(x, "smartassist: match needs tone, side, width, dynamics or "
                "loudness and a number 0 to 1");
}

/* ------------------------------ report ----------------------------- */

static void sa_json_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    else
        fprintf(f, "null");
}

static void sa_json_str(FILE *f, const char *s, int n)
{
    fputc('"', f);
    for (int i = 0; i < n && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void sa_json_bands(FILE *f, const double *v, int have)
{
    if (!have) {
        fprintf(f, "null");
        return;
    }
    fputc('[', f);
    for (int b = 0; b < SM_ASSIST_BANDS; b++) {
        if (b)
            fputc(',', f);
        sa_json_num(f, v[b]);
    }
    fputc(']', f);
}

/* the recorded lines "selector rest" with this selector, as JSON strings
 * or text lines */
static void sa_report_lines(FILE *f, const char *rec, int len,
                            const char *selector, int json)
{
    int first = 1, sl = (int)strlen(selector);
    for (int i = 0; i < len;) {
        const char *e = memchr(rec + i, '\n', len - i);
        int n = e ? (int)(e - (rec + i)) : len - i;
        if (n > sl && !strncmp(rec + i, selector, sl) && rec[i + sl] == ' ') {
            const char *t = rec + i + sl + 1;
            if (json) {
                fprintf(f, "%s\n    ", first ? "" : ",");
                sa_json_str(f, t, n - sl - 1);
            } else
                fprintf(f, "  %.*s\n", n - sl - 1, t);
            first = 0;
        }
        i += n + 1;
    }
}

static double sa_or_nan(int have, double v)
{
    return have ? v : NAN;
}

static void sa_write_report(t_smartassist *x, FILE *f, int json)
{
    const sm_assistant *a = &x->x_core;
    const sm_assist_proposal *p = &x->x_last;
    static const char *const mnames[] = {"integrated_lufs", "lra_lu",
                                         "plr_db",          "truepeak_dbtp",
                                         "width_db",        "correlation"};
    double mv[6] = {sa_or_nan(a->have_integrated, a->integrated_lufs),
                    sa_or_nan(a->have_lra, a->lra_lu),
                    sa_or_nan(a->have_plr, a->plr_db),
                    sa_or_nan(a->have_truepeak, a->truepeak_dbtp),
                    sa_or_nan(a->have_width, a->width_db),
                    sa_or_nan(a->have_correlation, a->correlation)};
    static const char *const tnames[] = {"integrated_lufs", "truepeak_dbtp",
                                         "lra_lu", "plr_min_db", "width_db"};
    double tv[5] = {p->target_lufs, p->target_tp_dbtp, p->target_lra_lu,
                    p->target_plr_min_db,
                    sa_or_nan(p->have_width_target, p->width_target_db)};
    static const char *const pnames[] = {
        "integrated_lufs", "truepeak_dbtp",     "plr_db",
        "distance_db",     "distance_after_db", "width_db"};
    double pv[6] = {p->predicted_lufs,
                    p->predicted_tp_dbtp,
                    p->predicted_plr_db,
                    p->distance_db,
                    p->predicted_distance_db,
                    sa_or_nan(a->have_width, p->width_predicted_db)};
    if (json) {
        fprintf(f, "{\n  \"object\": \"smartassist\",\n  \"mode\": ");
        sa_json_str(f, mode_names[x->x_mode], 64);
        fprintf(f, ",\n  \"measurements\": {");
        for (int i = 0; i < 6; i++) {
            fprintf(f, "%s\n    \"%s\": ", i ? "," : "", mnames[i]);
            sa_json_num(f, mv[i]);
        }
        fprintf(f, ",\n    \"spectrum_db\": ");
        sa_json_bands(f, a->spectrum_db, a->have_spectrum);
        fprintf(f, ",\n    \"side_db\": ");
        sa_json_bands(f, a->side_db, a->have_side);
        fprintf(f, "\n  },\n  \"target\": {");
        for (int i = 0; i < 5; i++) {
            fprintf(f, "%s\n    \"%s\": ", i ? "," : "", tnames[i]);
            sa_json_num(f, tv[i]);
        }
        fprintf(f, ",\n    \"curve_db\": ");
        sa_json_bands(f, p->target_curve_db, 1);
        fprintf(f, ",\n    \"references\": %d,\n    \"match\": {",
                a->ref.count);
        for (int i = 0; i < SM_ASSIST_MATCHES; i++) {
            fprintf(f, "%s\"%s\": ", i ? ", " : "", match_names[i]);
            sa_json_num(f, a->match[i]);
        }
        fprintf(f, "}\n  },\n  \"amounts\": {\"global\": ");
        sa_json_num(f, a->amount);
        for (int i = 0; i < SM_ASSIST_MODULES; i++) {
            fprintf(f, ", \"%s\": ", module_names[i]);
            sa_json_num(f, a->module_amount[i]);
        }
        fprintf(f, "},\n  \"proposals\": [");
        sa_report_lines(f, x->x_rec, x->x_rec_len, "proposal", 1);
        fprintf(f, "\n  ],\n  \"explanations\": [");
        sa_report_lines(f, x->x_rec, x->x_rec_len, "explain", 1);
        fprintf(f, "\n  ],\n  \"applied\": [");
        sa_report_lines(f, x->x_chainrec, x->x_chainrec_len, "chain", 1);
        fprintf(f, "\n  ],\n  \"predicted\": {");
        for (int i = 0; i < 6; i++) {
            fprintf(f, "%s\n    \"%s\": ", i ? "," : "", pnames[i]);
            sa_json_num(f, pv[i]);
        }
        fprintf(f, ",\n    \"reachable\": %s\n  }\n}\n",
                p->unreachable ? "false" : "true");
        return;
    }
    fprintf(f, "smartassist report (mode %s)\n\nmeasurements:\n",
            mode_names[x->x_mode]);
    for (int i = 0; i < 6; i++)
        if (isfinite(mv[i]))
            fprintf(f, "  %s %.2f\n", mnames[i], mv[i]);
        else
            fprintf(f, "  %s -\n", mnames[i]);
    fprintf(f, "\ntarget:\n");
    for (int i = 0; i < 5; i++)
        if (isfinite(tv[i]))
            fprintf(f, "  %s %.2f\n", tnames[i], tv[i]);
    fprintf(f, "  references %d\n\nproposals:\n", a->ref.count);
    sa_report_lines(f, x->x_rec, x->x_rec_len, "proposal", 0);
    fprintf(f, "\nexplanations:\n");
    sa_report_lines(f, x->x_rec, x->x_rec_len, "explain", 0);
    fprintf(f, "\napplied (last chain messages sent):\n");
    sa_report_lines(f, x->x_chainrec, x->x_chainrec_len, "chain", 0);
    fprintf(f, "\npredicted:\n");
    for (int i = 0; i < 6; i++)
        if (isfinite(pv[i]))
            fprintf(f, "  %s %.2f\n", pnames[i], pv[i]);
    fprintf(f, "  reachable %d\n", !p->unreachable);
}

/* `write <file>`: the report of the last proposal; JSON when the name ends
 * in .json, text otherwise (relative to the patch). */
static void smartassist_write(t_smartassist *x, t_symbol *file)
{
    char path[MAXPDSTRING];
    if (!file || !*file->s_name) {
        pd_error(x, "smartassist: write needs a file name (.json: JSON, "
                    "otherwise text)");
        return;
    }
    if (!x->x_have_last) {
        pd_error(x,
                 "smartassist: write %s: nothing proposed yet (send bang "
                 "first)",
                 file->s_name);
        return;
    }
    canvas_makefilename(x->x_canvas, file->s_name, path, MAXPDSTRING);
    FILE *f = fopen(path, "w");
    if (!f) {
        pd_error(x, "smartassist: write %s: %s", path, strerror(errno));
        return;
    }
    size_t n = strlen(path);
    sa_write_report(x, f, n >= 5 && !strcmp(path + n - 5, ".json"));
    if (fclose(f) != 0)
        pd_error(x, "smartassist: write %s: %s", path, strerror(errno));
}

static void smartassist_reset(t_smartassist *x)
{
    sm_assistant_reset(&x->x_core);
    sm_leveller_reset(&x->x_lev);
    x->x_have_last = 0;
}

static void smartassist_print(t_smartassist *x)
{
    const sm_assistant *a = &x->x_core;
    post("smartassist: inlets 0~, outlets 0~ + info");
    sm_params_print(&sa_params, x);
    post("smartassist: mode %s", mode_names[x->x_mode]);
    if (x->x_learn.active)
        post("smartassist: learning, %g s left", sm_learn_left_s(&x->x_learn));
    post("smartassist: leveller %s, drive %g dB",
         sm_leveller_state_name(x->x_lev.state), x->x_lev.drive_db);
    post("smartassist: module amounts eq %g multiband %g loudness %g dyneq "
         "%g width %g",
         a->module_amount[SM_ASSIST_MOD_EQ],
         a->module_amount[SM_ASSIST_MOD_MULTIBAND],
         a->module_amount[SM_ASSIST_MOD_LOUDNESS],
         a->module_amount[SM_ASSIST_MOD_DYNEQ],
         a->module_amount[SM_ASSIST_MOD_WIDTH]);
    post("smartassist: dynamics: band statistics p10 %s p50 %s p80 %s p95 "
         "%s, crest %g dB, mbcomp~ %d bands, dynamic EQ target spread %s",
         a->dyn.mix.have_pct & 1 ? "yes" : "no",
         a->dyn.mix.have_pct & 2 ? "yes" : "no",
         a->dyn.mix.have_pct & 4 ? "yes" : "no",
         a->dyn.mix.have_pct & 8 ? "yes" : "no", a->dyn.crest_db,
         a->dyn.mb_bands,
         a->dyn.have_ref ? "from the references"
                         : "built-in 6 dB (provisional)");
    post("smartassist: target %g LUFS %g dBTP, curve %s, side curve %s",
         a->target_lufs, a->target_tp_dbtp,
         a->have_curve ? "given" : "built-in -3.5 dB/oct (provisional)",
         a->have_sidecurve ? "given" : "none");
    post("smartassist: references %d, match tone %g side %g width %g "
         "dynamics %g loudness %g",
         a->ref.count, a->match[SM_ASSIST_MATCH_TONE],
         a->match[SM_ASSIST_MATCH_SIDE], a->match[SM_ASSIST_MATCH_WIDTH],
         a->match[SM_ASSIST_MATCH_DYNAMICS],
         a->match[SM_ASSIST_MATCH_LOUDNESS]);
    post("smartassist: locks eq1 %d eq2 %d eq3 %d eq4 %d ratio %d threshold "
         "%d gain %d",
         (int)(a->locks & 1), (int)(a->locks >> 1 & 1),
         (int)(a->locks >> 2 & 1), (int)(a->locks >> 3 & 1),
         (int)(a->locks >> 4 & 1), (int)(a->locks >> 5 & 1),
         (int)(a->locks >> 6 & 1));
}

/* masterchain~'s reports: `in <report>` is its input meter, the same as
 * an unprefixed report; `out <report>` its output meter, for the follow
 * leveller; `limit <report>` the limiter's (not used yet). */
static void sa_chain_report(t_smartassist *x, const char *n, int argc,
                            t_atom *argv)
{
    if (argc < 1 || argv[0].a_type != A_SYMBOL) {
        pd_error(x, "smartassist: %s needs a report (e.g. %s integrated -14)",
                 n, n);
        return;
    }
    t_symbol *what = argv[0].a_w.w_symbol;
    if (n[0] == 'i') {
        pd_typedmess(&x->x_obj.ob_pd, what, argc - 1, argv + 1);
        return;
    }
    if (n[0] == 'l')
        return;
    double v;
    void (*set)(sm_leveller *, double) =
        what == gensym("momentary")    ? sm_leveller_set_momentary
        : what == gensym("shortterm")  ? sm_leveller_set_shortterm
        : what == gensym("integrated") ? sm_leveller_set_integrated
                                       : NULL;
    if (set && sa_floats(x, "out", argc - 1, argv + 1, 1, &v))
        set(&x->x_lev, v);
}

/* analyze~ `p10|p50|p80|p95 <31>`: band level percentiles */
static void sa_percentile(t_smartassist *x, const char *n, int argc,
                          const t_atom *argv)
{
    double v[SM_ASSIST_BANDS];
    int which = n[1] == '1'   ? SM_ADYN_P10
                : n[1] == '5' ? SM_ADYN_P50
                : n[1] == '8' ? SM_ADYN_P80
                              : SM_ADYN_P95;
    if (sa_floats(x, n, argc, argv, SM_ASSIST_BANDS, v) && !sa_frozen(x))
        sm_assistant_set_percentile(&x->x_core, which, v, SM_ASSIST_BANDS);
}

/* analyze~ `crest <dB per channel>`: the largest */
static void sa_crest(t_smartassist *x, int argc, const t_atom *argv)
{
    double v[8], m = 0.0;
    int n = argc < 8 ? argc : 8;
    if (n < 1) {
        pd_error(x, "smartassist: crest needs a number (dB)");
        return;
    }
    if (!sa_floats(x, "crest", n, argv, n, v) || sa_frozen(x))
        return;
    for (int i = 0; i < n; i++)
        m = v[i] > m ? v[i] : m;
    sm_assistant_set_crest(&x->x_core, m);
}

static void smartassist_anything(t_smartassist *x, t_symbol *s, int argc,
                                 t_atom *argv)
{
    /* the other reports of analyze~ and lufs~: connected straight in, so
     * silently ignored */
    static const char *const ignored[] = {
        "momentary", "shortterm", "maxmomentary", "maxshortterm", "samplepeak",
        "psr",       "piece",     "tilt",         "centroid",     "balance",
        "rms",       "peak",      "dc",           "latency",      NULL};
    const char *n = s->s_name;
    for (int i = 0; ignored[i]; i++)
        if (!strcmp(n, ignored[i]))
            return;
    if (!strcmp(n, "integrated"))
        sa_one(x, n, argc, argv, sm_assistant_set_integrated);
    else if (!strcmp(n, "range"))
        sa_one(x, n, argc, argv, sm_assistant_set_lra);
    else if (!strcmp(n, "truepeak"))
        sa_one(x, n, argc, argv, sm_assistant_set_truepeak);
    else if (!strcmp(n, "plr"))
        sa_one(x, n, argc, argv, sm_assistant_set_plr);
    else if (!strcmp(n, "width"))
        sa_one(x, n, argc, argv, sm_assistant_set_width);
    else if (!strcmp(n, "correlation"))
        sa_one(x, n, argc, argv, sm_assistant_set_correlation);
    else if (!strcmp(n, "targetside")) /* analyze~ `read` */
        sa_curve(x, "targetside", argc, argv, sm_assistant_set_sidecurve);
    else if (n[0] == 'p' && (!strcmp(n, "p10") || !strcmp(n, "p50") ||
                             !strcmp(n, "p80") || !strcmp(n, "p95")))
        sa_percentile(x, n, argc, argv);
    else if (!strcmp(n, "crest"))
        sa_crest(x, argc, argv);
    else if (!strcmp(n, "amount"))
        smartassist_amount(x, argc, argv);
    else if (!strcmp(n, "lock") || !strcmp(n, "unlock"))
        sa_lock(x, n, n[0] == 'l', argc, argv);
    else if (!strcmp(n, "chaingain"))
        smartassist_chaingain(x, argc, argv);
    else if (!strcmp(n, "mode"))
        smartassist_mode(x, argc, argv);
    else if (!strcmp(n, "in") || !strcmp(n, "out") || !strcmp(n, "limit"))
        sa_chain_report(x, n, argc, argv);
    else if (!sm_params_message(&sa_params, x, s, argc, argv))
        pd_error(x, "smartassist: no method for '%s'", n);
}

/* ------------------------ life cycle ------------------------------ */

static void *smartassist_new(t_symbol *s, int argc, t_atom *argv)
{
    (void)s;
    int nch; /* -ch is accepted like every smartmaster object's, unused */
    t_smartassist *x = (t_smartassist *)pd_new(smartassist_class);
    sm_assistant_init(&x->x_core);
    sm_assistant_set_samplerate(&x->x_core, sys_getsr());
    x->x_canvas = canvas_getcurrent();
    x->x_rec = getbytes(SA_REC_SIZE);
    x->x_chainrec = getbytes(SA_REC_SIZE);
    x->x_rec_len = x->x_chainrec_len = 0;
    x->x_clock = NULL;
    sm_learn_init(&x->x_learn);
    sm_leveller_init(&x->x_lev);
    memset(x->x_applied, 0, sizeof x->x_applied);
    memset(x->x_applied_side, 0, sizeof x->x_applied_side);
    x->x_applied_width = 0.0;
    x->x_applied_drive = 0.0;
    x->x_since_propose_s = 0.0;
    x->x_live_time = 0.0;
    x->x_learn_left = 0;
    x->x_lev_state = -1;
    x->x_live_on = 0;
    x->x_live = clock_new(x, (t_method)sa_live_tick);
    sm_params_defaults(&sa_params, x);
    sm_params_creation(&sa_params, x, &nch, argc, argv);
    x->x_clock = clock_new(x, (t_method)smartassist_tick);
    if (x->x_interval_ms > 0)
        clock_delay(x->x_clock, x->x_interval_ms);
    x->x_out = outlet_new(&x->x_obj, 0);
    return x;
}

static void smartassist_free(t_smartassist *x)
{
    clock_free(x->x_clock);
    clock_free(x->x_live);
    freebytes(x->x_rec, SA_REC_SIZE);
    freebytes(x->x_chainrec, SA_REC_SIZE);
    sm_assistant_free(&x->x_core);
}

SM_EXPORT void smartassist_setup(void)
{
    smartassist_class =
        class_new(gensym("smartassist"), SM_NEWMETHOD(smartassist_new),
                  (t_method)smartassist_free, sizeof(t_smartassist),
                  CLASS_DEFAULT, A_GIMME, 0);
    class_addbang(smartassist_class, smartassist_bang);
    class_addmethod(smartassist_class, (t_method)smartassist_spectrum,
                    gensym("spectrum"), A_GIMME, 0);
    class_addmethod(smartassist_class, (t_method)smartassist_curve,
                    gensym("curve"), A_GIMME, 0);
    class_addmethod(smartassist_class, (t_method)smartassist_target,
                    gensym("target"), A_GIMME, 0);
    class_addmethod(smartassist_class, (t_method)smartassist_side,
                    gensym("side"), A_GIMME, 0);
    class_addmethod(smartassist_class, (t_method)smartassist_sidecurve,
                    gensym("sidecurve"), A_GIMME, 0);
    class_addmethod(smartassist_class, (t_method)smartassist_reference,
                    gensym("reference"), A_GIMME, 0);
    class_addmethod(smartassist_class, (t_method)smartassist_match,
                    gensym("match"), A_GIMME, 0);
    class_addmethod(smartassist_class, (t_method)smartassist_write,
                    gensym("write"), A_DEFSYM, 0);
    class_addmethod(smartassist_class, (t_method)smartassist_reset,
                    gensym("reset"), 0);
    class_addmethod(smartassist_class, (t_method)smartassist_reset,
                    gensym("clear"), 0);
    class_addmethod(smartassist_class, (t_method)smartassist_print,
                    gensym("print"), 0);
    class_addmethod(smartassist_class, (t_method)smartassist_learn,
                    gensym("learn"), A_GIMME, 0);
    class_addanything(smartassist_class, smartassist_anything);
}
