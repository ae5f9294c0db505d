/* compressor.h - one feed-forward compressor for 1..8 linked channels: the
 * Giannoulis-Massberg-Reiss design of dynamics.h (soft-knee gain computer,
 * smooth branching detector on the gain change in dB), with a peak or RMS
 * level, stereo link, an upward mode, automatic make-up, and parameter
 * glides. It computes gains; the caller applies them (mbcomp~ runs one per
 * band, and with one band it is the mixing compressor).
 *
 * Per sample and channel c, with x the detector signal:
 *   level L_c = 20 log10 |x_c|                           (peak)
 *             = 10 log10 ms_c, ms_c <- one-pole of x_c^2  (rms, `window`)
 *   linked    L'_c = L_c + link (max_k L_k - L_c)
 *   change    G_c = gain_computer(L'_c)                   (downward)
 *             G_c = min(range, -gain_computer(2T - L'_c)) (upward: the
 *                   curve mirrored about the threshold lifts quiet parts)
 *   smoothed  Y_c = ballistics(G_c)   (attack while the change falls, i.e.
 *                   when the level rises; release while it rises)
 *   gain      g_c = 10^(Y_c / 20)
 * The logarithm and the exponential are sm_fast_log2/sm_fast_exp2
 * (fastmath.h): better than 1e-4 dB, no libm call per sample.
 *
 * Timing: the gain change in dB follows a one-pole with the attack time
 * constant after a step up in level, and the release one after a step down,
 * so it covers 1 - 1/e = 63.2 % of the step after attack_ms or release_ms
 * (with the peak detector; the RMS window adds its own lag). The detector
 * runs every 1 to 8 samples (at most 1/32 of the shorter time constant) and
 * the gain moves linearly in between: a lag of at most 3.2 % of the time
 * constant, for a fraction of the cost (see compressor.c).
 *
 * Threshold, ratio, knee and range glide over SM_GLIDE_MS; the detector
 * then smooths the moving curve, so parameter moves do not click. */
#ifndef SM_COMPRESSOR_H
#define SM_COMPRESSOR_H

#include "dynamics.h"

#define SM_COMP_MAXCH 8

enum { SM_DETECT_PEAK, SM_DETECT_RMS };

typedef struct sm_comp_curve {
    double threshold_db, ratio, knee_db, range_db;
} sm_comp_curve;

typedef struct sm_comp {
    int nch;
    double samplerate;
    /* settings */
    sm_comp_curve set;
    double attack_ms, release_ms, window_ms, makeup_db, link;
    int detector, upward, automakeup;
    /* the curve now, gliding linearly toward `set` */
    sm_comp_curve now, step;
    int glide_left, running; /* running: gains were asked for */
    /* detector state: it runs once every `period` samples */
    int period, pos, linked;
    double inv_period;
    double rms_coef; /* one-pole coefficient of the mean square */
    double ms[SM_COMP_MAXCH];
    double block_max[SM_COMP_MAXCH]; /* largest |x| of this period */
    sm_ballistics bal[SM_COMP_MAXCH];
    /* the linear gain moves from g_from to g_to over a period */
    double g_now[SM_COMP_MAXCH], g_step[SM_COMP_MAXCH];
    double g_from[SM_COMP_MAXCH], g_to[SM_COMP_MAXCH];
    /* meters since the last sm_comp_meters call */
    double peak_level;     /* largest detector input: |x| or mean square */
    double gr_min, gr_max; /* smoothed gain change extremes, dB */
} sm_comp;

/* nch 1..SM_COMP_MAXCH. Defaults: threshold -20 dB, ratio 2, knee 6 dB,
 * attack 10 ms, release 100 ms, RMS window 10 ms, peak detector, link 1,
 * no make-up, range 12 dB. Returns 0, or -1 for bad arguments. */
int sm_comp_init(sm_comp *c, int nch, double samplerate);
void sm_comp_set_samplerate(sm_comp *c, double samplerate);

/* Setters take values in range (the glue checks them); curve parameters
 * glide once processing has started, the others apply at once. */
void sm_comp_set_threshold_db(sm_comp *c, double db);
void sm_comp_set_ratio(sm_comp *c, double ratio); /* >= 1 */
void sm_comp_set_knee_db(sm_comp *c, double db);  /* >= 0 */
void sm_comp_set_range_db(sm_comp *c, double db); /* upward: most boost */
void sm_comp_set_attack_ms(sm_comp *c, double ms);
void sm_comp_set_release_ms(sm_comp *c, double ms);
void sm_comp_set_window_ms(sm_comp *c, double ms); /* RMS averaging time */
void sm_comp_set_makeup_db(sm_comp *c, double db);
void sm_comp_set_automakeup(sm_comp *c, int on);
void sm_comp_set_detector(sm_comp *c, int detector); /* SM_DETECT_* */
void sm_comp_set_upward(sm_comp *c, int on);
void sm_comp_set_link(sm_comp *c, double link); /* 0..1 */

/* The static curve at the settings: gain change in dB for a detector level
 * in dB (exact libm arithmetic; the reference the process approximates). */
double sm_comp_curve_db(const sm_comp *c, double level_db);

/* Make-up gain in dB at the settings: `makeup`, plus with automakeup half
 * the curve's reduction of a 0 dBFS level (Giannoulis et al. 2013's
 * estimate of the average reduction). */
double sm_comp_makeup_db(const sm_comp *c);

/* Gains for n samples: key is the detector signal, gain the linear gain
 * (without make-up) per sample and channel; both interleaved with `stride`
 * doubles per sample (>= nch). key must be finite. */
void sm_comp_gains(sm_comp *c, const double *key, int stride, double *gain,
                   int n);

/* Meter readings since the last call (then restarted): the largest detector
 * level in dB (SM_FLOOR_DB-limited) and the largest gain change in dB
 * (negative for reduction, positive for upward boost; 0 if none). */
void sm_comp_meters(sm_comp *c, double *level_db, double *gr_db);

/* Zero the detector memory (levels and gain changes). */
void sm_comp_reset(sm_comp *c);

#endif
