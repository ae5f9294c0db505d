/* compressor.c - one feed-forward compressor. See compressor.h. */
#include "compressor.h"
#include "fastmath.h"
#include "numerics.h"
#include "smooth.h"

#include <math.h>
#include <string.h>

static inline double curve(const sm_comp_curve *k, int upward, double level_db)
{
    double knee = k->knee_db;
    if (!upward)
        return sm_gain_computer_db(level_db, k->threshold_db, k->ratio, knee);
    double g = -sm_gain_computer_db(2.0 * k->threshold_db - level_db,
                                    k->threshold_db, k->ratio, knee);
    return g > k->range_db ? k->range_db : g;
}

int sm_comp_init(sm_comp *c, int nch, double samplerate)
{
    if (nch < 1 || nch > SM_COMP_MAXCH || !(samplerate > 0))
        return -1;
    memset(c, 0, sizeof *c);
    c->nch = nch;
    c->samplerate = samplerate;
    c->set.threshold_db = -20;
    c->set.ratio = 2;
    c->set.knee_db = 6;
    c->set.range_db = 12;
    c->now = c->set;
    c->attack_ms = 10;
    c->release_ms = 100;
    c->window_ms = 10;
    c->link = 1;
    c->detector = SM_DETECT_PEAK;
    c->linked = 1;
    sm_comp_reset(c);
    sm_comp_set_samplerate(c, samplerate);
    return 0;
}

/* The detector runs every `period` samples: at most 1/32 of the shorter
 * time constant (see the process section below). */
static void set_times(sm_comp *c)
{
    double shortest =
        c->attack_ms < c->release_ms ? c->attack_ms : c->release_ms;
    double n = shortest * 0.001 * c->samplerate / 32.0;
    int period = n >= 8 ? 8 : n >= 4 ? 4 : n >= 2 ? 2 : 1;
    if (period != c->period) { /* finish the gain line at once */
        for (int ch = 0; ch < SM_COMP_MAXCH; ch++) {
            c->g_now[ch] = c->g_from[ch] = c->g_to[ch];
            c->g_step[ch] = 0.0;
        }
        c->pos = 0;
        c->period = period;
        c->inv_period = 1.0 / period;
    }
    for (int ch = 0; ch < SM_COMP_MAXCH; ch++)
        sm_ballistics_set(&c->bal[ch], c->attack_ms, c->release_ms,
                          c->samplerate / period);
    c->rms_coef = sm_onepole_coef(c->window_ms, c->samplerate);
}

void sm_comp_set_samplerate(sm_comp *c, double samplerate)
{
    if (!(samplerate > 0))
        return;
    c->samplerate = samplerate;
    set_times(c);
}

/* Starts a glide of the curve toward the settings (before the first
 * samples, the settings simply apply). */
static void glide(sm_comp *c)
{
    if (!c->running) {
        c->now = c->set;
        c->glide_left = 0;
        return;
    }
    int n = sm_ms_to_samples(SM_GLIDE_MS, c->samplerate);
    c->glide_left = n;
    c->step.threshold_db = (c->set.threshold_db - c->now.threshold_db) / n;
    c->step.ratio = (c->set.ratio - c->now.ratio) / n;
    c->step.knee_db = (c->set.knee_db - c->now.knee_db) / n;
    c->step.range_db = (c->set.range_db - c->now.range_db) / n;
}

void sm_comp_set_threshold_db(sm_comp *c, double db)
{
    c->set.threshold_db = db;
    glide(c);
}

void sm_comp_set_ratio(sm_comp *c, double ratio)
{
    c->set.ratio = ratio < 1.0 ? 1.0 : ratio;
    glide(c);
}

void sm_comp_set_knee_db(sm_comp *c, double db)
{
    c->set.knee_db = db < 0.0 ? 0.0 : db;
    glide(c);
}

void sm_comp_set_range_db(sm_comp *c, double db)
{
    c->set.range_db = db < 0.0 ? 0.0 : db;
    glide(c);
}

void sm_comp_set_attack_ms(sm_comp *c, double ms)
{
    c->attack_ms = ms;
    set_times(c);
}

void sm_comp_set_release_ms(sm_comp *c, double ms)
{
    c->release_ms = ms;
    set_times(c);
}

void sm_comp_set_window_ms(sm_comp *c, double ms)
{
    c->window_ms = ms;
    set_times(c);
}

void sm_comp_set_makeup_db(sm_comp *c, double db)
{
    c->makeup_db = db;
}
void sm_comp_set_automakeup(sm_comp *c, int on)
{
    c->automakeup = on != 0;
}

void sm_comp_set_detector(sm_comp *c, int detector)
{
    if (detector != c->detector) /* the mean squares start from the level */
        for (int ch = 0; ch < SM_COMP_MAXCH; ch++)
            c->ms[ch] = 0.0;
    c->detector = detector == SM_DETECT_RMS ? SM_DETECT_RMS : SM_DETECT_PEAK;
}

void sm_comp_set_upward(sm_comp *c, int on)
{
    c->upward = on != 0;
}

void sm_comp_set_link(sm_comp *c, double link)
{
    c->link = link < 0.0 ? 0.0 : (link > 1.0 ? 1.0 : link);
}

double sm_comp_curve_db(const sm_comp *c, double level_db)
{
    return curve(&c->set, c->upward, level_db);
}

double sm_comp_makeup_db(const sm_comp *c)
{
    double m = c->makeup_db;
    if (c->automakeup)
        m -= 0.5 * curve(&c->set, c->upward, 0.0);
    return m;
}

void sm_comp_reset(sm_comp *c)
{
    for (int ch = 0; ch < SM_COMP_MAXCH; ch++) {
        c->ms[ch] = 0.0;
        c->bal[ch].state = 0.0;
        c->block_max[ch] = 0.0;
        c->g_now[ch] = c->g_from[ch] = c->g_to[ch] = 1.0;
        c->g_step[ch] = 0.0;
    }
    c->pos = 0;
    c->peak_level = 0.0;
    c->gr_min = c->gr_max = 0.0;
}

void sm_comp_meters(sm_comp *c, double *level_db, double *gr_db)
{
    double p = c->peak_level;
    double db =
        c->detector == SM_DETECT_RMS ? sm_power_to_db(p) : sm_amp_to_db(p);
    *level_db = db;
    *gr_db = -c->gr_min > c->gr_max ? c->gr_min : c->gr_max;
    c->peak_level = 0.0;
    c->gr_min = c->gr_max = 0.0;
}

/* ------------------------------------------------------------- process
 *
 * The detector runs every K samples (K = c->period, 1..8): its input is the
 * largest |x| of those K samples (peak) or the mean square at their end
 * (rms, updated every sample), its coefficients those of a one-pole at
 * fs / K. The linear gain then moves in a straight line over the next K
 * samples to the new value. Compared with a per-sample detector the gain
 * change lags by at most K samples, and K is chosen at most 1/32 of the
 * shorter time constant (set_times), so attack and release stay within
 * 3.2 % of their settings; the static curve is the same (steady levels give
 * the same detector input). Cost per sample: a max or a square, and one
 * addition for the gain. */

/* Level in dB from a peak amplitude or a mean square. */
static inline double peak_db(double a)
{
    return sm_fast_amp_db(a, SM_FLOOR_DB);
}

static inline double power_db(double p)
{
    double db = 0.5 * SM_DB_PER_LOG2 * sm_fast_log2(p);
    return db < SM_FLOOR_DB ? SM_FLOOR_DB : db;
}

/* The detector's control step for one channel (or the linked group):
 * new target gain from a level. */
static inline void control(sm_comp *c, int ch, double lev)
{
    double y =
        sm_ballistics_process(&c->bal[ch], curve(&c->now, c->upward, lev));
    c->gr_min = y < c->gr_min ? y : c->gr_min;
    c->gr_max = y > c->gr_max ? y : c->gr_max;
    double g = sm_fast_exp2(y * SM_LOG2_PER_DB);
    c->g_from[ch] = c->g_to[ch];
    c->g_to[ch] = g;
    c->g_step[ch] = (g - c->g_from[ch]) * c->inv_period;
}

static void glide_step(sm_comp *c);

/* The common case in one loop: linked channels, peak detector; any n. The
 * detector step runs inside the loop at the end of each period. */
static inline void linked_peak_loop(sm_comp *c, const double *key, int S,
                                    double *gain, int n, const int nch)
{
    const int K = c->period;
    int pos = c->pos;
    double g = c->g_now[0], dg = c->g_step[0], m = c->block_max[0];
    for (int i = 0; i < n; i++) {
        const double *x = key + i * S;
        for (int ch = 0; ch < nch; ch++) {
            double a = fabs(x[ch]);
            m = a > m ? a : m;
        }
        g += dg;
        for (int ch = 0; ch < nch; ch++)
            gain[i * S + ch] = g;
        if (++pos == K) {
            pos = 0;
            glide_step(c);
            c->peak_level = m > c->peak_level ? m : c->peak_level;
            control(c, 0, peak_db(m));
            g = c->g_from[0]; /* exactly where the last line ended */
            dg = c->g_step[0];
            m = 0.0;
        }
    }
    c->pos = pos;
    c->g_now[0] = g;
    c->block_max[0] = m;
}

static void linked_peak(sm_comp *c, const double *key, int S, double *gain,
                        int n)
{
    if (c->nch == 2) /* stereo: the loops over channels unrolled */
        linked_peak_loop(c, key, S, gain, n, 2);
    else if (c->nch == 1)
        linked_peak_loop(c, key, S, gain, n, 1);
    else
        linked_peak_loop(c, key, S, gain, n, c->nch);
}

/* Linked channels, rms detector: the mean squares run every sample, the
 * loudest one feeds the shared detector. n samples, not beyond the end of
 * the current control period. */
static void run_linked_rms(sm_comp *c, const double *key, int S, double *gain,
                           int n)
{
    const int nch = c->nch;
    const double w = 1.0 - c->rms_coef;
    double g = c->g_now[0], dg = c->g_step[0];
    for (int i = 0; i < n; i++) {
        const double *x = key + i * S;
        for (int ch = 0; ch < nch; ch++)
            c->ms[ch] += w * (x[ch] * x[ch] - c->ms[ch]);
        g += dg;
        for (int ch = 0; ch < nch; ch++)
            gain[i * S + ch] = g;
    }
    c->g_now[0] = g;
}

static void control_linked_rms(sm_comp *c)
{
    double m = 0.0;
    for (int ch = 0; ch < c->nch; ch++)
        m = c->ms[ch] > m ? c->ms[ch] : m;
    c->peak_level = m > c->peak_level ? m : c->peak_level;
    control(c, 0, power_db(m));
    c->g_now[0] = c->g_from[0]; /* exactly where the last line ended */
}

/* Each channel its own gain. */
static void run_unlinked(sm_comp *c, const double *key, int S, double *gain,
                         int n)
{
    const int nch = c->nch, rms = c->detector == SM_DETECT_RMS;
    const double w = 1.0 - c->rms_coef;
    for (int ch = 0; ch < nch; ch++) {
        double g = c->g_now[ch], dg = c->g_step[ch], m = c->block_max[ch];
        double p = c->ms[ch];
        for (int i = 0; i < n; i++) {
            double x = key[i * S + ch];
            if (rms)
                p += w * (x * x - p);
            else {
                double a = fabs(x);
                m = a > m ? a : m;
            }
            g += dg;
            gain[i * S + ch] = g;
        }
        c->g_now[ch] = g;
        c->block_max[ch] = m;
        c->ms[ch] = p;
    }
}

/* link pulls each channel's level toward the loudest one's */
static void control_unlinked(sm_comp *c)
{
    const int nch = c->nch, rms = c->detector == SM_DETECT_RMS;
    double lev[SM_COMP_MAXCH], top = SM_FLOOR_DB;
    for (int ch = 0; ch < nch; ch++) {
        double m = rms ? c->ms[ch] : c->block_max[ch];
        c->peak_level = m > c->peak_level ? m : c->peak_level;
        lev[ch] = rms ? power_db(m) : peak_db(m);
        top = lev[ch] > top ? lev[ch] : top;
        c->block_max[ch] = 0.0;
    }
    for (int ch = 0; ch < nch; ch++) {
        control(c, ch, lev[ch] + c->link * (top - lev[ch]));
        c->g_now[ch] = c->g_from[ch];
    }
}

/* Moves the curve one step along its glide (once per control period). */
static void glide_step(sm_comp *c)
{
    if (c->glide_left <= 0)
        return;
    int m = c->period;
    if (m >= c->glide_left) {
        c->glide_left = 0;
        c->now = c->set;
        return;
    }
    c->glide_left -= m;
    c->now.threshold_db += c->step.threshold_db * m;
    c->now.ratio += c->step.ratio * m;
    c->now.knee_db += c->step.knee_db * m;
    c->now.range_db += c->step.range_db * m;
}

void sm_comp_gains(sm_comp *c, const double *key, int stride, double *gain,
                   int n)
{
    c->running = 1;
    const int linked = c->link >= 1.0 || c->nch == 1;
    if (linked != c->linked) { /* the shared detector starts each channel */
        for (int ch = 1; ch < c->nch; ch++) {
            c->bal[ch].state = c->bal[0].state;
            c->g_now[ch] = c->g_now[0];
            c->g_from[ch] = c->g_from[0];
            c->g_to[ch] = c->g_to[0];
            c->g_step[ch] = c->g_step[0];
        }
        c->linked = linked;
    }
    if (linked && c->detector == SM_DETECT_PEAK) {
        linked_peak(c, key, stride, gain, n);
        n = 0;
    }
    while (n > 0) {
        int m = c->period - c->pos;
        m = m < n ? m : n;
        if (linked)
            run_linked_rms(c, key, stride, gain, m);
        else
            run_unlinked(c, key, stride, gain, m);
        c->pos += m;
        if (c->pos >= c->period) {
            c->pos = 0;
            glide_step(c);
            if (linked)
                control_linked_rms(c);
            else
                control_unlinked(c);
        }
        key += m * stride;
        gain += m * stride;
        n -= m;
    }
    for (int ch = 0; ch < c->nch; ch++)
        if (c->ms[ch] < 1e-30) /* no denormals in a silent mean square */
            c->ms[ch] = 0.0;
}
