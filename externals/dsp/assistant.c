/* assistant.c - the smart master's decision rules (see assistant.h).
 *
 * Rules, kept simple so that each can be told in one sentence:
 *  EQ:        deviation d_b = measured - target, minus its median over
 *             40 Hz..16 kHz (the overall level is not a tonal matter).
 *             Low shelf 120 Hz   <- mean d over 40..100 Hz,
 *             high shelf 8 kHz   <- mean d over 5..16 kHz,
 *             two bells (q 0.8)  <- the largest |residual| between the
 *             shelf regions (125 Hz..4 kHz) after removing the shelves,
 *             smoothed over 1 octave (3 bands), at least one octave apart;
 *             the shelves own the extremes.
 *             gain = -amount x clamp(deviation, +-4 dB); deviations below
 *             0.5 dB propose nothing.
 *  Multiband: LRA above the target: ratio = 1 + 0.1 x amount x excess LU
 *             (excess clamped to 10 LU, so the ratio stays <= 2).
 *  Loudness:  drive = amount x clamp(target - measured, +-24 dB).
 * The clamps and the dead zone act on measurements, so every proposal is
 * exactly linear in its amount. */
#include "assistant.h"
#include "numerics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NB SM_ASSIST_BANDS
#define BAND_LO 3  /* 40 Hz: range of the median and the distance (§7.7) */
#define BAND_HI 29 /* 16 kHz */
#define LOW_LO 3   /* 40 Hz .. */
#define LOW_HI 7   /* .. 100 Hz: the low shelf's region */
#define HIGH_LO 24 /* 5 kHz .. */
#define HIGH_HI 29 /* .. 16 kHz: the high shelf's region */
#define EQ_CLAMP_DB 4.0
#define EQ_DEADZONE_DB 0.5
#define BELL_Q 0.8
#define SHELF_Q 0.7
#define LOW_SHELF_HZ 120.0
#define HIGH_SHELF_HZ 8000.0
#define DRIVE_CLAMP_DB 24.0
#define RATIO_PER_LU 0.1
#define MAX_EXCESS_LU 10.0
#define COMP_BELOW_DB 10.0 /* threshold below the driven integrated level */
#define SILENT_DB (-120.0) /* a band this low has no usable reading */

double sm_assistant_centre_hz(int b)
{
    return 1000.0 * pow(10.0, (b - 17) / 10.0);
}

double sm_assistant_default_curve_db(int b)
{
    return SM_ASSIST_DEFAULT_SLOPE_DB_OCT *
           log2(sm_assistant_centre_hz(b) / 1000.0);
}

static double finite_or(double v, double fallback)
{
    return isfinite(v) ? v : fallback;
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void sm_assistant_reset(sm_assistant *a)
{
    for (int b = 0; b < NB; b++)
        a->spectrum_db[b] = SM_FLOOR_DB;
    a->integrated_lufs = a->truepeak_dbtp = SM_FLOOR_DB;
    a->lra_lu = a->plr_db = 0.0;
    a->have_spectrum = a->have_integrated = a->have_lra = 0;
    a->have_plr = a->have_truepeak = 0;
}

void sm_assistant_init(sm_assistant *a)
{
    memset(a, 0, sizeof *a);
    sm_assistant_reset(a);
    a->target_lufs = -14.0;
    a->target_tp_dbtp = -1.0;
    a->target_lra_lu = 8.0;
    a->plr_min_db = 8.0;
    sm_assistant_set_curve(a, NULL, 0);
    a->amount = 1.0;
    for (int m = 0; m < SM_ASSIST_MODULES; m++)
        a->module_amount[m] = 1.0;
}

void sm_assistant_free(sm_assistant *a)
{
    (void)a; /* nothing allocated */
}

void sm_assistant_set_spectrum(sm_assistant *a, const double *db, int n)
{
    for (int b = 0; b < NB; b++)
        a->spectrum_db[b] =
            b < n ? clamp(finite_or(db[b], SM_FLOOR_DB), SM_FLOOR_DB, 200.0)
                  : SM_FLOOR_DB;
    a->have_spectrum = n > 0;
}

void sm_assistant_set_integrated(sm_assistant *a, double lufs)
{
    a->integrated_lufs = clamp(finite_or(lufs, SM_FLOOR_DB), SM_FLOOR_DB, 100);
    /* lufs~ reports the floor before its gate has opened: no reading yet */
    a->have_integrated = a->integrated_lufs > -70.0;
}

void sm_assistant_set_lra(sm_assistant *a, double lu)
{
    a->lra_lu = clamp(finite_or(lu, 0.0), 0.0, 100.0);
    a->have_lra = 1;
}

void sm_assistant_set_plr(sm_assistant *a, double db)
{
    a->plr_db = clamp(finite_or(db, 0.0), 0.0, 200.0);
    a->have_plr = 1;
}

void sm_assistant_set_truepeak(sm_assistant *a, double dbtp)
{
    a->truepeak_dbtp = clamp(finite_or(dbtp, SM_FLOOR_DB), SM_FLOOR_DB, 100);
    a->have_truepeak = a->truepeak_dbtp > SM_FLOOR_DB;
}

void sm_assistant_set_target(sm_assistant *a, double lufs, double tp_dbtp)
{
    a->target_lufs = clamp(finite_or(lufs, -14.0), -70.0, 0.0);
    a->target_tp_dbtp = clamp(finite_or(tp_dbtp, -1.0), -20.0, 0.0);
}

void sm_assistant_set_curve(sm_assistant *a, const double *db, int n)
{
    a->have_curve = db != NULL && n >= NB;
    for (int b = 0; b < NB; b++)
        a->curve_db[b] = a->have_curve
                             ? clamp(finite_or(db[b], 0.0), -200.0, 200.0)
                             : sm_assistant_default_curve_db(b);
}

void sm_assistant_set_amount(sm_assistant *a, double amount)
{
    a->amount = clamp(finite_or(amount, 0.0), 0.0, 1.0);
}

void sm_assistant_set_module_amount(sm_assistant *a, int module, double amount)
{
    if (module >= 0 && module < SM_ASSIST_MODULES)
        a->module_amount[module] = clamp(finite_or(amount, 0.0), 0.0, 1.0);
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

static double region_mean(const double *d, int lo, int hi)
{
    double s = 0.0;
    for (int b = lo; b <= hi; b++)
        s += d[b];
    return s / (hi - lo + 1);
}

static void set_eq(sm_assist_eq *e, int type, double hz, double q,
                   double deviation, double amount, int is_locked)
{
    e->type = type;
    e->freq_hz = hz;
    e->q = q;
    e->deviation_db = deviation;
    e->locked = is_locked;
    e->active = fabs(deviation) >= EQ_DEADZONE_DB && !is_locked && amount > 0;
    e->gain_db =
        e->active ? -amount * clamp(deviation, -EQ_CLAMP_DB, EQ_CLAMP_DB) : 0.0;
    if (e->gain_db == 0.0)
        e->gain_db = 0.0; /* no "-0" in messages */
}

static void explain_eq(const sm_assist_eq *e, double amount, char *buf)
{
    static const char *const what[] = {"low shelf", "high shelf", "bell"};
    const char *dir = e->deviation_db > 0 ? "above" : "below";
    const char *region = e->type == SM_ASSIST_LOWSHELF ? "below 100 Hz"
                         : e->type == SM_ASSIST_HIGHSHELF
                             ? "above 5 kHz"
                             : "around this frequency";
    if (e->locked)
        snprintf(buf, SM_ASSIST_TEXT,
                 "eq: %s at %g Hz is locked by the user and left alone "
                 "(the mix is %.1f dB %s the target %s)",
                 what[e->type], e->freq_hz, fabs(e->deviation_db), dir, region);
    else if (!e->active)
        snprintf(buf, SM_ASSIST_TEXT,
                 "eq: no %s at %g Hz because the mix is within %.1f dB of the "
                 "target %s (%.1f dB)",
                 what[e->type], e->freq_hz, EQ_DEADZONE_DB, region,
                 e->deviation_db);
    else
        snprintf(buf, SM_ASSIST_TEXT,
                 "eq: %s at %g Hz %+.1f dB because the mix is %.1f dB %s the "
                 "target %s (amount %.2f)",
                 what[e->type], e->freq_hz, e->gain_db, fabs(e->deviation_db),
                 dir, region, amount);
}

static void propose_eq(const sm_assistant *a, sm_assist_proposal *p)
{
    double d[NB], r[NB], s[NB];
    double amount = p->amount_eq;
    int usable = a->have_spectrum ? deviations(a, d, &p->distance_db) : 0;
    if (!usable) {
        p->distance_db = 0.0;
        for (int b = 0; b < NB; b++)
            d[b] = 0.0;
    }
    double low = region_mean(d, LOW_LO, LOW_HI);
    double high = region_mean(d, HIGH_LO, HIGH_HI);
    set_eq(&p->eq[0], SM_ASSIST_LOWSHELF, LOW_SHELF_HZ, SHELF_Q, low, amount,
           locked(a, SM_ASSIST_LOCK_EQ1));
    set_eq(&p->eq[1], SM_ASSIST_HIGHSHELF, HIGH_SHELF_HZ, SHELF_Q, high, amount,
           locked(a, SM_ASSIST_LOCK_EQ2));
    /* what the shelves leave: their whole regions count as corrected (the
     * amount-independent deviation, so the bells' choice does not move with
     * the amount); then a 1-octave (3-band) moving average */
    for (int b = 0; b < NB; b++) {
        r[b] = d[b];
        if (b <= LOW_HI && fabs(low) >= EQ_DEADZONE_DB)
            r[b] -= low;
        if (b >= HIGH_LO && fabs(high) >= EQ_DEADZONE_DB)
            r[b] -= high;
    }
    for (int b = 0; b < NB; b++) {
        int lo = b > 0 ? b - 1 : 0, hi = b < NB - 1 ? b + 1 : NB - 1;
        s[b] = region_mean(r, lo, hi);
    }
    int first = -1;
    for (int k = 2; k < SM_ASSIST_EQ_SLOTS; k++) {
        int best = -1;
        for (int b = LOW_HI + 1; b < HIGH_LO; b++)
            if ((first < 0 || abs(b - first) >= 3) &&
                (best < 0 || fabs(s[b]) > fabs(s[best])))
                best = b;
        set_eq(&p->eq[k], SM_ASSIST_BELL, round(sm_assistant_centre_hz(best)),
               BELL_Q, s[best], amount, locked(a, SM_ASSIST_LOCK_EQ1 + k));
        first = best;
    }
    for (int k = 0; k < SM_ASSIST_EQ_SLOTS; k++)
        explain_eq(&p->eq[k], amount, p->explain_eq[k]);
}

/* ------------------------------------------------------ dynamics */

static void propose_multiband(const sm_assistant *a, sm_assist_proposal *p)
{
    double excess = a->have_lra ? a->lra_lu - a->target_lra_lu : 0.0;
    double used = clamp(excess, 0.0, MAX_EXCESS_LU);
    p->ratio = locked(a, SM_ASSIST_LOCK_RATIO)
                   ? 1.0
                   : 1.0 + RATIO_PER_LU * p->amount_multiband * used;
    p->comp_active = p->ratio > 1.0;
    /* bands carry part of the full-band power: sitting 10 dB below the
     * driven integrated level puts the threshold a few dB under a band's
     * average, so the ratio acts on its louder half */
    double level =
        a->have_integrated ? a->integrated_lufs + p->drive_db : a->target_lufs;
    p->threshold_db = clamp(round((level - COMP_BELOW_DB) * 10) / 10, -80, 0);
    if (!a->have_lra)
        snprintf(p->explain_multiband, SM_ASSIST_TEXT,
                 "multiband: ratio 1 because no loudness range is measured "
                 "yet");
    else if (locked(a, SM_ASSIST_LOCK_RATIO))
        snprintf(p->explain_multiband, SM_ASSIST_TEXT,
                 "multiband: ratio locked by the user (loudness range %.1f LU "
                 "against a target of %.1f LU)",
                 a->lra_lu, a->target_lra_lu);
    else if (excess <= 0)
        snprintf(p->explain_multiband, SM_ASSIST_TEXT,
                 "multiband: ratio 1 because the loudness range %.1f LU is "
                 "within the target of %.1f LU",
                 a->lra_lu, a->target_lra_lu);
    else
        snprintf(p->explain_multiband, SM_ASSIST_TEXT,
                 "multiband: ratio %.2f threshold %.1f dB because the loudness "
                 "range %.1f LU exceeds the target %.1f LU by %.1f LU "
                 "(amount %.2f)",
                 p->ratio, p->threshold_db, a->lra_lu, a->target_lra_lu, excess,
                 p->amount_multiband);
}

static void propose_loudness(const sm_assistant *a, sm_assist_proposal *p)
{
    double gap = a->have_integrated ? a->target_lufs - a->integrated_lufs : 0;
    int is_locked = locked(a, SM_ASSIST_LOCK_GAIN);
    p->drive_db = is_locked ? 0.0
                            : p->amount_loudness *
                                  clamp(gap, -DRIVE_CLAMP_DB, DRIVE_CLAMP_DB);
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

void sm_assistant_propose(const sm_assistant *a, sm_assist_proposal *p)
{
    memset(p, 0, sizeof *p);
    p->amount_eq = a->amount * a->module_amount[SM_ASSIST_MOD_EQ];
    p->amount_multiband = a->amount * a->module_amount[SM_ASSIST_MOD_MULTIBAND];
    p->amount_loudness = a->amount * a->module_amount[SM_ASSIST_MOD_LOUDNESS];
    propose_eq(a, p);
    propose_loudness(a, p);
    propose_multiband(a, p); /* its threshold follows the drive */
    predict(a, p);
}

/* ------------------------------------------------------ messages */

/* Two decimals, no trailing zeros, no "-0". */
static double tidy(double v)
{
    v = round(v * 100.0) / 100.0;
    return v == 0.0 ? 0.0 : v;
}

int sm_assistant_eq_message(const sm_assist_proposal *p, int k, char *buf,
                            int size)
{
    static const char *const type[] = {"lowshelf", "highshelf", "bell"};
    const sm_assist_eq *e = &p->eq[k];
    if (e->locked)
        return -1;
    if (e->active)
        snprintf(buf, size, "eq band %d type %s freq %g q %g gain %g on 1",
                 k + 1, type[e->type], e->freq_hz, e->q, tidy(e->gain_db));
    else
        snprintf(buf, size, "eq band %d on 0", k + 1);
    return 0;
}

int sm_assistant_comp_message(const sm_assistant *a,
                              const sm_assist_proposal *p, char *buf, int size)
{
    int r = !locked(a, SM_ASSIST_LOCK_RATIO);
    int t = !locked(a, SM_ASSIST_LOCK_THRESHOLD);
    if (!r && !t)
        return -1;
    int n = snprintf(buf, size, "comp");
    if (r && n < size)
        n += snprintf(buf + n, size - n, " ratio %g", tidy(p->ratio));
    if (t && n < size)
        snprintf(buf + n, size - n, " threshold %g", tidy(p->threshold_db));
    return 0;
}

int sm_assistant_gain_message(const sm_assistant *a,
                              const sm_assist_proposal *p, char *buf, int size)
{
    if (locked(a, SM_ASSIST_LOCK_GAIN))
        return -1;
    snprintf(buf, size, "gain %g", tidy(p->drive_db));
    return 0;
}
