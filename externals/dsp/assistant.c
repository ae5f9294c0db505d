/* assistant.c - the smart master's decision rules (see assistant.h).
 *
 * Rules, kept simple so that each can be told in one sentence:
 *  EQ:        deviation d_b = measured - target per 1/3-octave band.
 *             A low shelf, a high shelf and two bells (frequencies and Qs
 *             chosen among candidates, gains fitted: eqfit.h) so that
 *             d_b + the filters' real responses (as dyneq~ designs them at
 *             the chain's rate) is as flat as the clamps [-6, +4] dB allow
 *             over 40 Hz..16 kHz (the overall level is not a tonal matter),
 *             deviations within +-0.5 dB costing nothing; gain = amount x
 *             the fitted gain; fitted gains under 0.5 dB propose nothing.
 *  Side EQ:   the same with two shelves on the side, toward the side
 *             target, with the tonal EQ's response included (the tonal EQ
 *             runs on both channels, so on the side too).
 *  Width:     masterchain~ `width` = amount x (target - measured width,
 *             less what the EQ does to the side-to-mid ratio), target from
 *             the references.
 *  Multiband: per mbcomp~ band, from its loudness range (band level
 *             percentiles): assist_dynamics.c (§7.4 rule 3).
 *  Dynamic EQ: bands 7-8 where a region's loud moments stand out:
 *             assist_dynamics.c (§7.4 rule 2).
 *  Loudness:  drive = amount x sm_clamp(target - measured, +-24 dB).
 * The clamps and the dead zone act on measurements, so every proposal is
 * exactly linear in its amount. */
#include "assistant.h"
#include "eqfit.h"
#include "numerics.h"
#include "spectrum.h" /* the bands' centres */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NB SM_ASSIST_BANDS
#define BAND_LO 3  /* 40 Hz: range of the median and the distance (§7.7) */
#define BAND_HI 29 /* 16 kHz */
#define EQ_DEADZONE_DB 0.5 /* smallest fitted gain proposed */
#ifndef EQ_MIN_BENEFIT_DB2
/* a filter must lower the fit's cost by this much (dB^2 over the bands:
 * e.g. eight bands brought 0.5 dB nearer, or two by 1 dB) */
#define EQ_MIN_BENEFIT_DB2 2.0
#endif
#define WIDTH_DEADZONE_DB 0.5
#define MONO_BASS_HI 7       /* bands up to 100 Hz (upper edge 112 Hz) */
#define MONO_BASS_DB (-10.0) /* §7.4 rule 5 */
#define DRIVE_CLAMP_DB 24.0
#define SILENT_DB (-120.0) /* a band this low has no usable reading */

double sm_assistant_default_curve_db(int b)
{
    return SM_ASSIST_DEFAULT_SLOPE_DB_OCT *
           log2(sm_spectrum_centre_hz(b) / 1000.0);
}

void sm_assistant_reset(sm_assistant *a)
{
    for (int b = 0; b < NB; b++)
        a->spectrum_db[b] = SM_FLOOR_DB;
    a->integrated_lufs = a->truepeak_dbtp = SM_FLOOR_DB;
    a->lra_lu = a->plr_db = 0.0;
    a->have_spectrum = a->have_integrated = a->have_lra = 0;
    a->have_plr = a->have_truepeak = 0;
    for (int b = 0; b < NB; b++)
        a->side_db[b] = SM_FLOOR_DB;
    a->width_db = SM_FLOOR_DB;
    a->correlation = 1.0;
    a->have_side = a->have_width = a->have_correlation = 0;
    sm_adyn_reset(&a->dyn);
}

void sm_assistant_init(sm_assistant *a)
{
    memset(a, 0, sizeof *a);
    sm_adyn_init(&a->dyn);
    sm_assistant_reset(a);
    a->target_lufs = -14.0;
    a->target_tp_dbtp = -1.0;
    a->target_lra_lu = 8.0;
    a->plr_min_db = 8.0;
    sm_assistant_set_curve(a, NULL, 0);
    a->amount = 1.0;
    for (int m = 0; m < SM_ASSIST_MODULES; m++)
        a->module_amount[m] = 1.0;
    sm_assistant_set_sidecurve(a, NULL, 0);
    sm_assistant_reference_clear(a);
    for (int m = 0; m < SM_ASSIST_MATCHES; m++)
        a->match[m] = m == SM_ASSIST_MATCH_LOUDNESS ? 0.0 : 1.0;
    a->samplerate = 48000.0;
}

void sm_assistant_free(sm_assistant *a)
{
    (void)a; /* nothing allocated */
}

void sm_assistant_set_spectrum(sm_assistant *a, const double *db, int n)
{
    for (int b = 0; b < NB; b++)
        a->spectrum_db[b] = b < n ? sm_clamp(sm_finite_or(db[b], SM_FLOOR_DB),
                                             SM_FLOOR_DB, 200.0)
                                  : SM_FLOOR_DB;
    a->have_spectrum = n > 0;
}

void sm_assistant_set_integrated(sm_assistant *a, double lufs)
{
    a->integrated_lufs =
        sm_clamp(sm_finite_or(lufs, SM_FLOOR_DB), SM_FLOOR_DB, 100);
    /* lufs~ reports the floor before its gate has opened: no reading yet */
    a->have_integrated = a->integrated_lufs > -70.0;
}

void sm_assistant_set_lra(sm_assistant *a, double lu)
{
    a->lra_lu = sm_clamp(sm_finite_or(lu, 0.0), 0.0, 100.0);
    a->have_lra = 1;
    sm_adyn_set_lra(&a->dyn, lu);
}

void sm_assistant_set_plr(sm_assistant *a, double db)
{
    a->plr_db = sm_clamp(sm_finite_or(db, 0.0), 0.0, 200.0);
    a->have_plr = 1;
    sm_adyn_set_plr(&a->dyn, db);
}

void sm_assistant_set_percentile(sm_assistant *a, int which, const double *db,
                                 int n)
{
    sm_adyn_set_percentile(&a->dyn, which, db, n);
}

void sm_assistant_set_crest(sm_assistant *a, double db)
{
    sm_adyn_set_crest(&a->dyn, db);
}

void sm_assistant_set_truepeak(sm_assistant *a, double dbtp)
{
    a->truepeak_dbtp =
        sm_clamp(sm_finite_or(dbtp, SM_FLOOR_DB), SM_FLOOR_DB, 100);
    a->have_truepeak = a->truepeak_dbtp > SM_FLOOR_DB;
}

void sm_assistant_set_target(sm_assistant *a, double lufs, double tp_dbtp)
{
    a->target_lufs = sm_clamp(sm_finite_or(lufs, -14.0), -70.0, 0.0);
    a->target_tp_dbtp = sm_clamp(sm_finite_or(tp_dbtp, -1.0), -20.0, 0.0);
}

void sm_assistant_set_curve(sm_assistant *a, const double *db, int n)
{
    a->have_curve = db != NULL && n >= NB;
    for (int b = 0; b < NB; b++)
        a->curve_db[b] = a->have_curve
                             ? sm_clamp(sm_finite_or(db[b], 0.0), -200.0, 200.0)
                             : sm_assistant_default_curve_db(b);
}

void sm_assistant_set_amount(sm_assistant *a, double amount)
{
    a->amount = sm_clamp(sm_finite_or(amount, 0.0), 0.0, 1.0);
}

void sm_assistant_set_module_amount(sm_assistant *a, int module, double amount)
{
    if (module >= 0 && module < SM_ASSIST_MODULES)
        a->module_amount[module] =
            sm_clamp(sm_finite_or(amount, 0.0), 0.0, 1.0);
}

void sm_assistant_set_chain_gain(sm_assistant *a, double db, int have)
{
    a->chain_gain_db =
        sm_clamp(sm_finite_or(db, 0.0), -DRIVE_CLAMP_DB, DRIVE_CLAMP_DB);
    a->have_chain_gain = have != 0;
}

void sm_assistant_set_lock(sm_assistant *a, int lock, int on)
{
    if (lock < 0 || lock >= SM_ASSIST_LOCKS)
        return;
    if (on)
        a->locks |= 1u << lock;
    else
        a->locks &= ~(1u << lock);
}

void sm_assistant_set_side(sm_assistant *a, const double *db, int n)
{
    for (int b = 0; b < NB; b++)
        a->side_db[b] = b < n ? sm_clamp(sm_finite_or(db[b], SM_FLOOR_DB),
                                         SM_FLOOR_DB, 200.0)
                              : SM_FLOOR_DB;
    a->have_side = n > 0;
}

void sm_assistant_set_width(sm_assistant *a, double db)
{
    a->width_db = sm_clamp(sm_finite_or(db, SM_FLOOR_DB), SM_FLOOR_DB, 150.0);
    /* analyze~ reads its floor for mono and silence: no usable width */
    a->have_width = a->width_db > SM_FLOOR_DB;
}

void sm_assistant_set_correlation(sm_assistant *a, double r)
{
    a->correlation = sm_clamp(sm_finite_or(r, 1.0), -1.0, 1.0);
    a->have_correlation = 1;
}

void sm_assistant_set_sidecurve(sm_assistant *a, const double *db, int n)
{
    a->have_sidecurve = db != NULL && n >= NB;
    for (int b = 0; b < NB; b++)
        a->sidecurve_db[b] =
            a->have_sidecurve
                ? sm_clamp(sm_finite_or(db[b], 0.0), -200.0, 200.0)
                : 0.0;
}

void sm_assistant_set_match(sm_assistant *a, int which, double amount)
{
    if (which >= 0 && which < SM_ASSIST_MATCHES)
        a->match[which] = sm_clamp(sm_finite_or(amount, 0.0), 0.0, 1.0);
}

void sm_assistant_set_samplerate(sm_assistant *a, double hz)
{
    a->samplerate = sm_finite_or(hz, 0.0) >= 8000.0 ? hz : 48000.0;
}

/* ------------------------------------------------------ references */

/* running mean: the n-th value joins the mean of n - 1 */
static void running(double *mean, int *n, double v)
{
    (*n)++;
    *mean += (v - *mean) / *n;
}

int sm_assistant_reference_add(sm_assistant *a)
{
    sm_assist_reference *r = &a->ref;
    int took = 0;
    if (a->have_spectrum) {
        int n = r->n_mid;
        for (int b = 0; b < NB; b++) {
            int k = n;
            running(&r->mid_db[b], &k, a->spectrum_db[b]);
        }
        r->n_mid++;
        took++;
    }
    if (a->have_side) {
        int n = r->n_side;
        for (int b = 0; b < NB; b++) {
            int k = n;
            running(&r->side_db[b], &k, a->side_db[b]);
        }
        r->n_side++;
        took++;
    }
    if (a->have_width) {
        running(&r->width_db, &r->n_width, a->width_db);
        took++;
    }
    if (a->have_integrated) {
        running(&r->lufs, &r->n_lufs, a->integrated_lufs);
        took++;
    }
    if (a->have_lra) {
        running(&r->lra_lu, &r->n_lra, a->lra_lu);
        took++;
    }
    if (a->have_plr) {
        running(&r->plr_db, &r->n_plr, a->plr_db);
        took++;
    }
    took += sm_adyn_reference_add(&a->dyn); /* band level statistics */
    if (took)
        r->count++;
    return took;
}

void sm_assistant_reference_clear(sm_assistant *a)
{
    memset(&a->ref, 0, sizeof a->ref);
    sm_adyn_set_reference(&a->dyn, NULL);
}

void sm_assistant_effective(const sm_assistant *a, sm_assistant *e)
{
    const sm_assist_reference *r = &a->ref;
    const double *m = a->match;
    *e = *a;
    if (r->n_mid > 0 && m[SM_ASSIST_MATCH_TONE] > 0.0) {
        for (int b = 0; b < NB; b++)
            e->curve_db[b] =
                a->curve_db[b] +
                m[SM_ASSIST_MATCH_TONE] * (r->mid_db[b] - a->curve_db[b]);
        e->have_curve = 1;
    }
    if (r->n_side > 0 && m[SM_ASSIST_MATCH_SIDE] > 0.0 &&
        (a->have_sidecurve || a->have_side)) {
        for (int b = 0; b < NB; b++) {
            double base =
                a->have_sidecurve ? a->sidecurve_db[b] : a->side_db[b];
            e->sidecurve_db[b] =
                base + m[SM_ASSIST_MATCH_SIDE] * (r->side_db[b] - base);
        }
        e->have_sidecurve = 1;
    }
    if (r->n_lra > 0)
        e->target_lra_lu =
            a->target_lra_lu +
            m[SM_ASSIST_MATCH_DYNAMICS] * (r->lra_lu - a->target_lra_lu);
    if (r->n_plr > 0)
        e->plr_min_db = a->plr_min_db + m[SM_ASSIST_MATCH_DYNAMICS] *
                                            (r->plr_db - a->plr_min_db);
    if (r->n_lufs > 0)
        e->target_lufs = a->target_lufs + m[SM_ASSIST_MATCH_LOUDNESS] *
                                              (r->lufs - a->target_lufs);
}

static int locked(const sm_assistant *a, int lock)
{
    return (a->locks >> lock) & 1u;
}

/* ------------------------------------------------------------- EQ */

static int cmp_double(const void *x, const void *y)
{
    double u = *(const double *)x, v = *(const double *)y;
    return (u > v) - (u < v);
}

/* Deviation from the target per band with the median offset removed;
 * bands without a reading get 0. Returns the number of usable bands. */
static int deviations(const sm_assistant *a, double *d, double *spread_db)
{
    double sorted[NB];
    int n = 0;
    for (int b = 0; b < NB; b++)
        d[b] = a->spectrum_db[b] > SILENT_DB
                   ? a->spectrum_db[b] - a->curve_db[b]
                   : NAN;
    for (int b = BAND_LO; b <= BAND_HI; b++)
        if (!isnan(d[b]))
            sorted[n++] = d[b];
    double median = 0.0;
    if (n > 0) {
        qsort(sorted, n, sizeof *sorted, cmp_double);
        median =
            n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }
    /* §7.7's distance: RMS of the deviation about its mean, 40 Hz..16 kHz */
    double mean = 0.0, ss = 0.0;
    for (int b = BAND_LO; b <= BAND_HI; b++)
        if (!isnan(d[b]))
            mean += d[b] / n;
    for (int b = BAND_LO; b <= BAND_HI; b++)
        if (!isnan(d[b]))
            ss += (d[b] - mean) * (d[b] - mean);
    *spread_db = n > 0 ? sqrt(ss / n) : 0.0;
    for (int b = 0; b < NB; b++)
        d[b] = isnan(d[b]) ? 0.0 : d[b] - median;
    return n;
}

/* Candidates the fit chooses among (eqfit.h): shelves low to mid and mid
 * to high, gentle (q 0.5) or Butterworth-like (0.7); bells on the nominal
 * 1/3-octave centres 40 Hz..12.5 kHz, from very broad (q 0.5, about 2.5
 * octaves) to 2/3 of an octave (q 2): broad strokes, no surgical cuts. */
static const double LOW_SHELF_HZ[] = {63,  80,  100, 125, 160, 200,
                                      250, 315, 400, 500, 630};
static const double HIGH_SHELF_HZ[] = {1000, 1250, 1600, 2000, 2500,  3150,
                                       4000, 5000, 6300, 8000, 10000, 12500};
static const double SHELF_QS[] = {0.5, 0.7};
static const double BELL_HZ[] = {40,   50,   63,   80,    100,  125,  160,
                                 200,  250,  315,  400,   500,  630,  800,
                                 1000, 1250, 1600, 2000,  2500, 3150, 4000,
                                 5000, 6300, 8000, 10000, 12500};
static const double BELL_QS[] = {0.5, 1.0, 2.0};
#define NELEM(v) ((int)(sizeof v / sizeof *v))
#define MONO_DB (-40.0) /* side this far under mid: no side EQ */

static void shelf_slot(sm_eqfit_slot *s, int type, int off)
{
    memset(s, 0, sizeof *s);
    s->type = type == SM_ASSIST_LOWSHELF ? SM_SVF_LOWSHELF : SM_SVF_HIGHSHELF;
    s->freqs_hz = type == SM_ASSIST_LOWSHELF ? LOW_SHELF_HZ : HIGH_SHELF_HZ;
    s->nfreqs =
        type == SM_ASSIST_LOWSHELF ? NELEM(LOW_SHELF_HZ) : NELEM(HIGH_SHELF_HZ);
    s->qs = SHELF_QS;
    s->nqs = NELEM(SHELF_QS);
    s->lo_db = SM_ASSIST_EQ_CUT_DB;
    s->hi_db = SM_ASSIST_EQ_BOOST_DB;
    s->off = off;
}

static void bell_slot(sm_eqfit_slot *s, int off)
{
    memset(s, 0, sizeof *s);
    s->type = SM_SVF_BELL;
    s->freqs_hz = BELL_HZ;
    s->nfreqs = NELEM(BELL_HZ);
    s->qs = BELL_QS;
    s->nqs = NELEM(BELL_QS);
    s->lo_db = SM_ASSIST_EQ_CUT_DB;
    s->hi_db = SM_ASSIST_EQ_BOOST_DB;
    s->off = off;
}

/* The problem: dev = levels - target (+ extra, the response of filters
 * already in the path), counted over 40 Hz..16 kHz where there is a
 * reading. */
static void make_problem(sm_eqfit_problem *pb, const sm_assistant *a,
                         const double *levels, const double *target,
                         const double *extra, double *at, double *dev,
                         double *w)
{
    for (int b = 0; b < NB; b++) {
        at[b] = sm_spectrum_centre_hz(b);
        w[b] = b >= BAND_LO && b <= BAND_HI && levels[b] > SILENT_DB;
        dev[b] =
            w[b] > 0 ? levels[b] - target[b] + (extra ? extra[b] : 0.0) : 0.0;
    }
    pb->nbands = NB;
    pb->at_hz = at;
    pb->dev_db = dev;
    pb->weight = w;
    pb->deadzone_db = SM_ASSIST_EQ_DEADZONE_DB;
    pb->min_gain_db = EQ_DEADZONE_DB;
    pb->min_benefit_db2 = EQ_MIN_BENEFIT_DB2;
    pb->samplerate = a->samplerate;
}

static int fit_type(const sm_eqfit_slot *s)
{
    return s->type == SM_SVF_LOWSHELF    ? SM_ASSIST_LOWSHELF
           : s->type == SM_SVF_HIGHSHELF ? SM_ASSIST_HIGHSHELF
                                         : SM_ASSIST_BELL;
}

/* A fitted slot into a proposal's slot: the gain is amount x the fitted
 * one (exactly linear), the choice and the deviation do not depend on the
 * amount. */
static void take_slot(sm_assist_eq *e, const sm_eqfit_slot *s,
                      const sm_eqfit_problem *pb, double level, double amount,
                      int is_locked)
{
    e->type = fit_type(s);
    e->freq_hz = s->freq_hz;
    e->q = s->q;
    e->locked = is_locked;
    e->deviation_db = sm_eqfit_slot_deviation(pb, s, level);
    e->fitted_db = s->active ? s->gain_db : 0.0;
    e->active = s->active && !is_locked && amount > 0;
    e->gain_db = e->active ? amount * s->gain_db : 0.0;
    if (e->gain_db == 0.0)
        e->gain_db = 0.0; /* no "-0" in messages */
}

/* d_in < 0: no spectrum measured */
static void explain_eq(const sm_assist_eq *e, const char *what_eq,
                       double amount, double d_in, double d_out, char *buf)
{
    static const char *const what[] = {"low shelf", "high shelf", "bell"};
    const char *dir = e->deviation_db > 0 ? "above" : "below";
    const char *where = e->type == SM_ASSIST_LOWSHELF    ? "below"
                        : e->type == SM_ASSIST_HIGHSHELF ? "above"
                                                         : "around";
    if (e->locked)
        snprintf(buf, SM_ASSIST_TEXT,
                 "%s: %s is locked by the user and left alone (the fit "
                 "works around it)",
                 what_eq, what[e->type]);
    else if (d_in < 0)
        snprintf(buf, SM_ASSIST_TEXT,
                 "%s: no %s because no spectrum is measured yet", what_eq,
                 what[e->type]);
    else if (!e->active && e->fitted_db != 0.0)
        snprintf(buf, SM_ASSIST_TEXT,
                 "%s: no %s because the amount is 0 (at amount 1: %g Hz q %g "
                 "%+.1f dB)",
                 what_eq, what[e->type], e->freq_hz, e->q, e->fitted_db);
    else if (!e->active)
        snprintf(buf, SM_ASSIST_TEXT,
                 "%s: no %s because the fit needs none of %.1f dB or more: "
                 "deviations within %.1f dB do not count (distance %.1f dB)",
                 what_eq, what[e->type], EQ_DEADZONE_DB,
                 SM_ASSIST_EQ_DEADZONE_DB, d_in);
    else
        snprintf(buf, SM_ASSIST_TEXT,
                 "%s: %s at %g Hz q %g %+.1f dB because the mix is %.1f dB "
                 "%s the target %s %g Hz (fitted with the filters' real "
                 "response: distance %.1f dB -> %.1f dB predicted) (amount "
                 "%.2f)",
                 what_eq, what[e->type], e->freq_hz, e->q, e->gain_db,
                 fabs(e->deviation_db), dir, where, e->freq_hz, d_in, d_out,
                 amount);
}

#define EQ_RERUN_LIMIT_DB 1.0 /* research notes §7.7 C3 */

/* What a second pass would propose: the fit run again on the deviations
 * the first fit leaves at amount 1 (the prediction a re-analysis of the
 * master confirms). Much more than the dead zone is left only where the
 * clamps stopped the first fit: the mix is then further from the target
 * than mastering EQ should correct, and the user is told so. */
static void explain_eq_limit(const sm_assistant *a, const sm_eqfit_problem *pb,
                             const sm_eqfit_slot *s, sm_assist_proposal *p,
                             double amount)
{
    double left[NB];
    sm_eqfit_problem again = *pb;
    sm_eqfit_slot r[SM_ASSIST_EQ_SLOTS];
    sm_eqfit_apply(pb, s, SM_ASSIST_EQ_SLOTS, 1.0, left);
    again.dev_db = left;
    shelf_slot(&r[0], SM_ASSIST_LOWSHELF, locked(a, SM_ASSIST_LOCK_EQ1));
    shelf_slot(&r[1], SM_ASSIST_HIGHSHELF, locked(a, SM_ASSIST_LOCK_EQ2));
    bell_slot(&r[2], locked(a, SM_ASSIST_LOCK_EQ3));
    bell_slot(&r[3], locked(a, SM_ASSIST_LOCK_EQ4));
    sm_eqfit_solve(&again, r, SM_ASSIST_EQ_SLOTS);
    p->eq_rerun_db = 0.0;
    for (int k = 0; k < SM_ASSIST_EQ_SLOTS; k++)
        if (r[k].active)
            p->eq_rerun_db = fmax(p->eq_rerun_db, fabs(r[k].gain_db));
    p->eq_at_limit = p->eq_rerun_db >= EQ_RERUN_LIMIT_DB && amount > 0;
    p->explain_eq_limit[0] = 0;
    if (p->eq_at_limit)
        snprintf(p->explain_eq_limit, SM_ASSIST_TEXT,
                 "eq: the mix is further from the target than four filters "
                 "within %+.0f/%+.0f dB reach (distance %.1f dB -> %.1f dB "
                 "predicted): a second pass would propose up to %.1f dB more "
                 "- better fixed in the mix or with a target nearer to it (a "
                 "reference)",
                 SM_ASSIST_EQ_CUT_DB, SM_ASSIST_EQ_BOOST_DB, p->distance_db,
                 p->predicted_distance_db, p->eq_rerun_db);
}

static void propose_eq(const sm_assistant *a, sm_assist_proposal *p)
{
    double at[NB], dev[NB], w[NB], out[NB], full[NB];
    double amount = p->amount_eq;
    sm_eqfit_problem pb;
    sm_eqfit_slot s[SM_ASSIST_EQ_SLOTS];
    int usable = a->have_spectrum ? deviations(a, dev, &p->distance_db) : 0;
    if (!usable)
        p->distance_db = 0.0;
    make_problem(&pb, a, a->spectrum_db, a->curve_db, NULL, at, dev, w);
    if (!usable)
        for (int b = 0; b < NB; b++)
            w[b] = 0.0;
    shelf_slot(&s[0], SM_ASSIST_LOWSHELF, locked(a, SM_ASSIST_LOCK_EQ1));
    shelf_slot(&s[1], SM_ASSIST_HIGHSHELF, locked(a, SM_ASSIST_LOCK_EQ2));
    bell_slot(&s[2], locked(a, SM_ASSIST_LOCK_EQ3));
    bell_slot(&s[3], locked(a, SM_ASSIST_LOCK_EQ4));
    double level = sm_eqfit_solve(&pb, s, SM_ASSIST_EQ_SLOTS);
    for (int k = 0; k < SM_ASSIST_EQ_SLOTS; k++)
        take_slot(&p->eq[k], &s[k], &pb, level, amount,
                  locked(a, SM_ASSIST_LOCK_EQ1 + k));
    sm_eqfit_apply(&pb, s, SM_ASSIST_EQ_SLOTS, amount, out);
    p->predicted_distance_db = sm_eqfit_distance(out, w, NB);
    for (int k = 0; k < SM_ASSIST_EQ_SLOTS; k++)
        explain_eq(&p->eq[k], "eq", amount, usable ? p->distance_db : -1.0,
                   p->predicted_distance_db, p->explain_eq[k]);
    explain_eq_limit(a, &pb, s, p, amount);

    /* side: the linked tonal EQ acts on the side as well, at its full
     * (amount 1) fit, like the side fit itself */
    p->side_fitted = a->have_sidecurve && a->have_side && usable &&
                     !(a->have_width && a->width_db < MONO_DB);
    for (int k = 0; k < SM_ASSIST_SIDE_SLOTS; k++) {
        sm_assist_eq *e = &p->side[k];
        e->type = k == 0 ? SM_ASSIST_LOWSHELF : SM_ASSIST_HIGHSHELF;
        e->locked = locked(a, SM_ASSIST_LOCK_EQ5 + k);
        e->freq_hz = k == 0 ? LOW_SHELF_HZ[0] : HIGH_SHELF_HZ[0];
        e->q = SHELF_QS[0];
    }
    if (!p->side_fitted) {
        const char *why = !a->have_sidecurve
                              ? "no side target is given (sidecurve or a "
                                "reference)"
                          : !a->have_side ? "no side spectrum is measured"
                          : !usable       ? "no mid spectrum is measured"
                                          : "the mix is (nearly) mono";
        for (int k = 0; k < SM_ASSIST_SIDE_SLOTS; k++)
            snprintf(p->explain_side[k], SM_ASSIST_TEXT,
                     "side eq: no %s shelf because %s", k == 0 ? "low" : "high",
                     why);
        return;
    }
    for (int b = 0; b < NB; b++)
        full[b] = 0.0;
    sm_eqfit_apply(&pb, s, SM_ASSIST_EQ_SLOTS, 1.0, full);
    for (int b = 0; b < NB; b++)
        full[b] -= dev[b]; /* the tonal EQ's response at amount 1 */
    double sat[NB], sdev[NB], sw[NB], sout[NB];
    sm_eqfit_problem sp;
    sm_eqfit_slot ss[SM_ASSIST_SIDE_SLOTS];
    make_problem(&sp, a, a->side_db, a->sidecurve_db, NULL, sat, sdev, sw);
    p->side_distance_db = sm_eqfit_distance(sdev, sw, NB);
    make_problem(&sp, a, a->side_db, a->sidecurve_db, full, sat, sdev, sw);
    shelf_slot(&ss[0], SM_ASSIST_LOWSHELF, locked(a, SM_ASSIST_LOCK_EQ5));
    shelf_slot(&ss[1], SM_ASSIST_HIGHSHELF, locked(a, SM_ASSIST_LOCK_EQ6));
    double slevel = sm_eqfit_solve(&sp, ss, SM_ASSIST_SIDE_SLOTS);
    for (int k = 0; k < SM_ASSIST_SIDE_SLOTS; k++)
        take_slot(&p->side[k], &ss[k], &sp, slevel, amount,
                  locked(a, SM_ASSIST_LOCK_EQ5 + k));
    /* predicted at the amount: both EQs scaled */
    make_problem(&sp, a, a->side_db, a->sidecurve_db, NULL, sat, sdev, sw);
    sm_eqfit_apply(&pb, s, SM_ASSIST_EQ_SLOTS, amount, out);
    for (int b = 0; b < NB; b++)
        sdev[b] += out[b] - dev[b];
    sm_eqfit_apply(&sp, ss, SM_ASSIST_SIDE_SLOTS, amount, sout);
    p->side_predicted_distance_db = sm_eqfit_distance(sout, sw, NB);
    for (int k = 0; k < SM_ASSIST_SIDE_SLOTS; k++)
        explain_eq(&p->side[k], "side eq", amount, p->side_distance_db,
                   p->side_predicted_distance_db, p->explain_side[k]);
}

/* ------------------------------------------------------ dynamics */

/* The tonal EQ's response at the band centres: mbcomp~ comes after it, so
 * the multiband thresholds are solved on the equalised band levels. */
static void eq_into_dynamics(sm_assistant *e, const sm_assist_proposal *p)
{
    for (int b = 0; b < NB; b++) {
        e->dyn.eq_db[b] = 0.0;
        for (int k = 0; k < SM_ASSIST_EQ_SLOTS; k++) {
            const sm_assist_eq *q = &p->eq[k];
            if (q->active)
                e->dyn.eq_db[b] += sm_eqfit_response_db(
                    q->type == SM_ASSIST_LOWSHELF    ? SM_SVF_LOWSHELF
                    : q->type == SM_ASSIST_HIGHSHELF ? SM_SVF_HIGHSHELF
                                                     : SM_SVF_BELL,
                    q->freq_hz, q->q, q->gain_db, e->samplerate,
                    sm_spectrum_centre_hz(b));
        }
    }
}

/* Multiband (assist_dynamics.c, §7.4 rule 3): per mbcomp~ band from its
 * level statistics; p->ratio / p->threshold_db summarise (the rule's ratio
 * when some band compresses, else 1; the lowest active threshold). */
static void propose_multiband(const sm_assistant *a, sm_assist_proposal *p,
                              double drive_db)
{
    sm_adyn_propose_multiband(&a->dyn, p->amount_multiband, drive_db,
                              a->target_lra_lu, &p->mb);
    int best = -1;
    p->ratio = 1.0;
    p->threshold_db = 0.0;
    for (int k = 0; k < p->mb.nbands; k++) {
        const sm_adyn_mbband *m = &p->mb.band[k];
        if (!m->active)
            continue;
        p->ratio = m->ratio;
        if (best < 0 || m->threshold_db < p->threshold_db)
            p->threshold_db = m->threshold_db;
        if (best < 0 || m->predicted_gr_db > p->mb.band[best].predicted_gr_db)
            best = k;
    }
    p->comp_active = best >= 0;
    int both =
        locked(a, SM_ASSIST_LOCK_RATIO) && locked(a, SM_ASSIST_LOCK_THRESHOLD);
    if (!p->mb.have_data)
        snprintf(p->explain_multiband, SM_ASSIST_TEXT, "%s", p->mb.explain);
    else if (both)
        snprintf(p->explain_multiband, SM_ASSIST_TEXT,
                 "multiband: locked by the user (%s)",
                 best >= 0 ? p->mb.band[best].explain + 11
                           : "no band would compress");
    else if (best >= 0) /* the band that does most */
        snprintf(p->explain_multiband, SM_ASSIST_TEXT, "%s",
                 p->mb.band[best].explain);
    else
        snprintf(p->explain_multiband, SM_ASSIST_TEXT,
                 "multiband: ratio 1 in every band because no band's "
                 "loudness range exceeds the target's %.1f LU (amount %.2f)",
                 a->target_lra_lu, p->amount_multiband);
}

static void propose_loudness(const sm_assistant *a, sm_assist_proposal *p)
{
    double gap = a->have_integrated ? a->target_lufs - a->integrated_lufs : 0;
    int is_locked = locked(a, SM_ASSIST_LOCK_GAIN);
    p->drive_db = is_locked
                      ? 0.0
                      : p->amount_loudness *
                            sm_clamp(gap, -DRIVE_CLAMP_DB, DRIVE_CLAMP_DB);
    if (p->drive_db == 0.0)
        p->drive_db = 0.0;
    if (!a->have_integrated)
        snprintf(p->explain_loudness, SM_ASSIST_TEXT,
                 "loudness: gain 0 because no integrated loudness is measured "
                 "yet");
    else if (is_locked)
        snprintf(p->explain_loudness, SM_ASSIST_TEXT,
                 "loudness: gain locked by the user (integrated %.1f LUFS "
                 "against a target of %.1f LUFS)",
                 a->integrated_lufs, a->target_lufs);
    else
        snprintf(p->explain_loudness, SM_ASSIST_TEXT,
                 "loudness: gain %+.1f dB because the integrated loudness "
                 "%.1f LUFS is %.1f LU %s the target %.1f LUFS (amount %.2f)",
                 p->drive_db, a->integrated_lufs, fabs(gap),
                 gap >= 0 ? "below" : "above", a->target_lufs,
                 p->amount_loudness);
}

static void predict(const sm_assistant *a, sm_assist_proposal *p)
{
    double i = a->have_integrated ? a->integrated_lufs : a->target_lufs;
    /* the true peak, or what the PLR implies */
    double tp = a->have_truepeak ? a->truepeak_dbtp
                : a->have_plr    ? i + a->plr_db
                                 : a->target_tp_dbtp;
    p->predicted_lufs = i + p->drive_db; /* before limiting */
    p->predicted_tp_dbtp = tp + p->drive_db;
    p->limited = p->predicted_tp_dbtp > a->target_tp_dbtp;
    if (p->limited)
        p->predicted_tp_dbtp = a->target_tp_dbtp;
    p->predicted_plr_db = p->predicted_tp_dbtp - p->predicted_lufs;
    p->unreachable = p->limited && p->predicted_plr_db < a->plr_min_db;
    if (p->unreachable)
        snprintf(p->explain_predicted, SM_ASSIST_TEXT,
                 "predicted: target not reachable without over-limiting: "
                 "%.1f LUFS under a %.1f dBTP ceiling leaves a PLR of %.1f dB "
                 "below the minimum %.1f dB (true peak %.1f dBTP before the "
                 "limiter)",
                 p->predicted_lufs, a->target_tp_dbtp, p->predicted_plr_db,
                 a->plr_min_db, tp + p->drive_db);
    else
        snprintf(p->explain_predicted, SM_ASSIST_TEXT,
                 "predicted: %.1f LUFS true peak %.1f dBTP PLR %.1f dB%s",
                 p->predicted_lufs, p->predicted_tp_dbtp, p->predicted_plr_db,
                 p->limited ? " with the limiter at the ceiling"
                            : " without limiting");
}

/* ------------------------------------------------- width, stereo */

/* Energy sum of band levels (dB) with a per-band change (dB, or NULL). */
static double band_power(const double *db, const double *change, int lo, int hi)
{
    double s = 0.0;
    for (int b = lo; b <= hi; b++)
        if (db[b] > SILENT_DB)
            s += pow(10.0, 0.1 * (db[b] + (change ? change[b] : 0.0)));
    return s;
}

/* What EQ at `scale` x the proposed gains does to the side-to-mid energy
 * ratio (dB), from the measured band levels. */
static double eq_width_change(const sm_assistant *a,
                              const sm_assist_proposal *p, double scale)
{
    double rm[NB], rs[NB];
    if (!a->have_spectrum || !a->have_side)
        return 0.0;
    for (int b = 0; b < NB; b++) {
        double at = sm_spectrum_centre_hz(b);
        rm[b] = 0.0;
        for (int k = 0; k < SM_ASSIST_EQ_SLOTS; k++) {
            const sm_assist_eq *e = &p->eq[k];
            if (e->active)
                rm[b] += sm_eqfit_response_db(
                    e->type == SM_ASSIST_LOWSHELF    ? SM_SVF_LOWSHELF
                    : e->type == SM_ASSIST_HIGHSHELF ? SM_SVF_HIGHSHELF
                                                     : SM_SVF_BELL,
                    e->freq_hz, e->q, scale * e->gain_db, a->samplerate, at);
        }
        rs[b] = rm[b];
        for (int k = 0; k < SM_ASSIST_SIDE_SLOTS && p->side_fitted; k++) {
            const sm_assist_eq *e = &p->side[k];
            if (e->active)
                rs[b] += sm_eqfit_response_db(
                    e->type == SM_ASSIST_LOWSHELF ? SM_SVF_LOWSHELF
                                                  : SM_SVF_HIGHSHELF,
                    e->freq_hz, e->q, scale * e->gain_db, a->samplerate, at);
        }
    }
    double m0 = band_power(a->spectrum_db, NULL, 0, NB - 1);
    double s0 = band_power(a->side_db, NULL, 0, NB - 1);
    double m1 = band_power(a->spectrum_db, rm, 0, NB - 1);
    double s1 = band_power(a->side_db, rs, 0, NB - 1);
    if (!(m0 > 0 && s0 > 0 && m1 > 0 && s1 > 0))
        return 0.0;
    return 10.0 * log10(s1 / s0) - 10.0 * log10(m1 / m0);
}

/* Width: the target is the measured width moved toward the references' by
 * the width match amount. The proposal corrects the measured deviation
 * less what the EQ (at its full fit) already does to the side-to-mid
 * ratio, x the width amount: exactly linear in the amount. */
static void propose_width(const sm_assistant *a, sm_assist_proposal *p)
{
    double amount = p->amount_width;
    double eq_full =
        p->amount_eq > 0 ? eq_width_change(a, p, 1.0 / p->amount_eq) : 0.0;
    double eq_now = eq_width_change(a, p, 1.0);
    p->width_locked = locked(a, SM_ASSIST_LOCK_WIDTH);
    p->have_width_target = a->have_width && a->ref.n_width > 0 &&
                           a->match[SM_ASSIST_MATCH_WIDTH] > 0.0;
    p->width_target_db = p->have_width_target
                             ? a->width_db + a->match[SM_ASSIST_MATCH_WIDTH] *
                                                 (a->ref.width_db - a->width_db)
                             : a->width_db;
    double dev = p->have_width_target ? p->width_target_db - a->width_db : 0.0;
    double want =
        sm_clamp(dev - eq_full, SM_ASSIST_WIDTH_MIN_DB, SM_ASSIST_WIDTH_MAX_DB);
    p->width_active = p->have_width_target && !p->width_locked && amount > 0 &&
                      fabs(dev - eq_full) >= WIDTH_DEADZONE_DB;
    p->width_db = p->width_active ? amount * want : 0.0;
    if (p->width_db == 0.0)
        p->width_db = 0.0;
    p->width_predicted_db = a->width_db + eq_now + p->width_db;
    if (!a->have_width)
        snprintf(p->explain_width, SM_ASSIST_TEXT,
                 "width: no change because no width is measured (or the mix "
                 "is mono)");
    else if (!p->have_width_target)
        snprintf(p->explain_width, SM_ASSIST_TEXT,
                 "width: no change because no reference gives a width "
                 "target (side-to-mid energy %.1f dB)",
                 a->width_db);
    else if (p->width_locked)
        snprintf(p->explain_width, SM_ASSIST_TEXT,
                 "width: locked by the user (side-to-mid energy %.1f dB "
                 "against the reference's %.1f dB)",
                 a->width_db, a->ref.width_db);
    else if (!p->width_active)
        snprintf(p->explain_width, SM_ASSIST_TEXT,
                 "width: no change because the side-to-mid energy %.1f dB is "
                 "within %.1f dB of the target %.1f dB (reference %.1f dB "
                 "match %.2f) once the EQ's %+.1f dB are counted",
                 a->width_db, WIDTH_DEADZONE_DB, p->width_target_db,
                 a->ref.width_db, a->match[SM_ASSIST_MATCH_WIDTH], eq_full);
    else
        snprintf(p->explain_width, SM_ASSIST_TEXT,
                 "width: %+.1f dB side gain because the side-to-mid energy "
                 "%.1f dB is %.1f dB %s the target %.1f dB (reference %.1f "
                 "dB match %.2f - the EQ changes it by %+.1f dB) (amount "
                 "%.2f): predicted %.1f dB",
                 p->width_db, a->width_db, fabs(dev),
                 dev > 0 ? "below" : "above", p->width_target_db,
                 a->ref.width_db, a->match[SM_ASSIST_MATCH_WIDTH], eq_full,
                 amount, p->width_predicted_db);
}

/* §7.4 rule 5, as warnings only (no automatic action). */
static void explain_stereo(const sm_assistant *a, sm_assist_proposal *p)
{
    int n = 0;
    p->explain_stereo[0] = 0;
    if (a->have_spectrum && a->have_side) {
        double m = band_power(a->spectrum_db, NULL, 0, MONO_BASS_HI);
        double s = band_power(a->side_db, NULL, 0, MONO_BASS_HI);
        double r = m > 0 && s > 0 ? 10.0 * log10(s / m) : -INFINITY;
        if (r > MONO_BASS_DB)
            n += snprintf(p->explain_stereo + n, SM_ASSIST_TEXT - n,
                          "stereo: consider mono bass below 100 Hz because "
                          "the side-to-mid energy below 112 Hz is %.1f dB "
                          "(above %.0f dB)",
                          r, MONO_BASS_DB);
    }
    if (a->have_correlation && a->correlation < 0.0 && n < SM_ASSIST_TEXT)
        snprintf(p->explain_stereo + n, SM_ASSIST_TEXT - n,
                 "%sstereo: check the phase because the correlation is %.2f "
                 "(below 0: the channels partly cancel in mono)",
                 n ? " - " : "", a->correlation);
}

static void explain_reference(const sm_assistant *a, sm_assist_proposal *p)
{
    const sm_assist_reference *r = &a->ref;
    const double *m = a->match;
    if (r->count == 0) {
        p->explain_reference[0] = 0;
        return;
    }
    snprintf(p->explain_reference, SM_ASSIST_TEXT,
             "reference: %d averaged (dB domain band by band): tone match "
             "%.2f side %.2f width %.2f dynamics %.2f (LRA target %.1f LU "
             "PLR minimum %.1f dB) loudness %.2f (target %.1f LUFS)",
             r->count, m[SM_ASSIST_MATCH_TONE], m[SM_ASSIST_MATCH_SIDE],
             m[SM_ASSIST_MATCH_WIDTH], m[SM_ASSIST_MATCH_DYNAMICS],
             p->target_lra_lu, p->target_plr_min_db,
             m[SM_ASSIST_MATCH_LOUDNESS], p->target_lufs);
}

/* The gain in front of dyneq~ and mbcomp~ once the proposal is in: the
 * chain's gain in force when it is not the assistant's to set (given by
 * the caller: locked by the user, or led by the follow leveller), else
 * the proposed drive. */
static double dynamics_drive(const sm_assistant *a, const sm_assist_proposal *p)
{
    return a->have_chain_gain ? a->chain_gain_db : p->drive_db;
}

void sm_assistant_propose(const sm_assistant *given, sm_assist_proposal *p)
{
    sm_assistant eff; /* the targets moved toward the references */
    const sm_assistant *a = &eff;
    sm_assistant_effective(given, &eff);
    memset(p, 0, sizeof *p);
    p->amount_eq = a->amount * a->module_amount[SM_ASSIST_MOD_EQ];
    p->amount_multiband = a->amount * a->module_amount[SM_ASSIST_MOD_MULTIBAND];
    p->amount_loudness = a->amount * a->module_amount[SM_ASSIST_MOD_LOUDNESS];
    p->amount_width = a->amount * a->module_amount[SM_ASSIST_MOD_WIDTH];
    p->amount_dyneq = a->amount * a->module_amount[SM_ASSIST_MOD_DYNEQ];
    eff.dyn.match = eff.match[SM_ASSIST_MATCH_DYNAMICS];
    eff.dyn.samplerate = eff.samplerate;
    p->target_lufs = a->target_lufs;
    p->target_tp_dbtp = a->target_tp_dbtp;
    p->target_lra_lu = a->target_lra_lu;
    p->target_plr_min_db = a->plr_min_db;
    memcpy(p->target_curve_db, a->curve_db, sizeof p->target_curve_db);
    propose_eq(a, p);
    propose_width(a, p);
    explain_stereo(a, p);
    explain_reference(a, p);
    propose_loudness(a, p);
    eq_into_dynamics(&eff, p);
    double drive = dynamics_drive(a, p);
    propose_multiband(a, p, drive); /* its threshold follows the drive */
    sm_adyn_propose_dyneq(&a->dyn, p->amount_dyneq, drive, p->dyneq);
    predict(a, p);
}

/* ------------------------------------------------------ messages */

int sm_assistant_eq_message(const sm_assist_proposal *p, int k, char *buf,
                            int size)
{
    static const char *const type[] = {"lowshelf", "highshelf", "bell"};
    const sm_assist_eq *e = &p->eq[k];
    if (e->locked)
        return -1;
    if (e->active)
        snprintf(buf, size, "eq band %d type %s freq %g q %g gain %g on 1",
                 k + 1, type[e->type], e->freq_hz, e->q,
                 sm_hundredths(e->gain_db));
    else
        snprintf(buf, size, "eq band %d on 0", k + 1);
    return 0;
}

int sm_assistant_side_message(const sm_assist_proposal *p, int k, char *buf,
                              int size)
{
    static const char *const type[] = {"lowshelf", "highshelf", "bell"};
    const sm_assist_eq *e = &p->side[k];
    if (e->locked || !p->side_fitted)
        return -1;
    if (e->active)
        snprintf(buf, size,
                 "eq band %d type %s freq %g q %g gain %g channels S on 1",
                 SM_ASSIST_SIDE_BAND0 + k, type[e->type], e->freq_hz, e->q,
                 sm_hundredths(e->gain_db));
    else
        snprintf(buf, size, "eq band %d on 0", SM_ASSIST_SIDE_BAND0 + k);
    return 0;
}

int sm_assistant_width_message(const sm_assist_proposal *p, char *buf, int size)
{
    if (p->width_locked || !p->have_width_target)
        return -1;
    snprintf(buf, size, "width %g", sm_hundredths(p->width_db));
    return 0;
}

int sm_assistant_comp_message(const sm_assistant *a,
                              const sm_assist_proposal *p, char *buf, int size)
{
    int r = !locked(a, SM_ASSIST_LOCK_RATIO);
    int t = !locked(a, SM_ASSIST_LOCK_THRESHOLD);
    (void)p;
    if (!r && !t)
        return -1;
    snprintf(buf, size, r ? "comp ratio 1 makeup 0" : "comp makeup 0");
    return 0;
}

int sm_assistant_comp_band_message(const sm_assistant *a,
                                   const sm_assist_proposal *p, int k,
                                   char *buf, int size)
{
    int r = !locked(a, SM_ASSIST_LOCK_RATIO);
    int t = !locked(a, SM_ASSIST_LOCK_THRESHOLD);
    if ((!r && !t) || k < 0 || k >= p->mb.nbands)
        return -1;
    sm_adyn_comp_message(&p->mb.band[k], k, r, t, buf, size);
    return 0;
}

int sm_assistant_dyneq_message(const sm_assistant *a,
                               const sm_assist_proposal *p, int k, char *buf,
                               int size)
{
    if (k < 0 || k >= SM_ADYN_DYNEQ || locked(a, SM_ASSIST_LOCK_EQ7 + k))
        return -1;
    sm_adyn_dyneq_message(&p->dyneq[k], k, buf, size);
    return 0;
}

int sm_assistant_gain_message(const sm_assistant *a,
                              const sm_assist_proposal *p, char *buf, int size)
{
    if (locked(a, SM_ASSIST_LOCK_GAIN))
        return -1;
    snprintf(buf, size, "gain %g", sm_hundredths(p->drive_db));
    return 0;
}
