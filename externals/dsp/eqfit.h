/* eqfit.h - fits a few EQ filters (the shelves and bells of svf.h, exactly
 * as dyneq~ runs them) to a measured tonal deviation, per 1/3-octave band,
 * so that deviation + the filters' real magnitude responses comes as close
 * to a constant (the overall level is free) as the gain clamps allow.
 *
 * The cost is a dead-zone least squares over the bands that count:
 *   C = sum_b w_b dz(d_b + sum_k R_k(g_k, f_b) - c)^2,
 *   dz(x) = sign(x) max(0, |x| - deadzone),
 * with R_k the filter's magnitude in dB at the band centre f_b (a fine
 * approximation of the band level change when the response varies little
 * over a third of an octave) and c the free level. Deviations inside the
 * dead zone cost nothing, so a spectrum within it proposes nothing, and a
 * spectrum already corrected by a fit proposes (almost) nothing again.
 *
 * How (sm_eqfit_solve):
 *  1. choice of each filter's frequency and Q among its candidates, with
 *     the responses linearised (R_k = g_k u_k, u_k the response of a 3 dB
 *     filter / 3: R is odd in the gain for these designs, a cut being the
 *     exact inverse of the boost): greedy in slot order, then two passes of
 *     coordinate refinement (each slot's candidates with the others fixed);
 *  2. the gains of the chosen filters by Gauss-Newton on the exact responses
 *     (numerical derivatives, step halving when the cost does not fall),
 *     each gain kept inside its clamps (active set);
 *  3. filters whose gain stays under min_gain_db are dropped and the rest
 *     refitted, so every proposed filter does something audible; then,
 *     one at a time, the filter the fit needs least if without it (the
 *     others refitted) the cost rises by less than min_benefit_db2: a
 *     filter must earn its place, so that a second pass over a corrected
 *     spectrum does not shuffle small leftovers around.
 * Every linear system is at most SM_EQFIT_MAXSLOTS + 1 unknowns.
 *
 * Plain C99, no allocation. */
#ifndef SM_EQFIT_H
#define SM_EQFIT_H

#include "svf.h"

#define SM_EQFIT_MAXSLOTS 6
#define SM_EQFIT_MAXBANDS 31

/* One filter to fit. The caller fills the candidates and clamps; the fit
 * fills freq_hz, q, gain_db and active. */
typedef struct sm_eqfit_slot {
    sm_svf_type type; /* SM_SVF_BELL, SM_SVF_LOWSHELF or SM_SVF_HIGHSHELF */
    const double *freqs_hz; /* candidate frequencies */
    int nfreqs;
    const double *qs; /* candidate Qs */
    int nqs;
    double lo_db, hi_db; /* clamps of the gain */
    int off;             /* locked or unused: not fitted, contributes 0 */
    /* result */
    double freq_hz, q, gain_db;
    int active; /* |gain| >= min_gain_db */
} sm_eqfit_slot;

typedef struct sm_eqfit_problem {
    int nbands;           /* <= SM_EQFIT_MAXBANDS */
    const double *at_hz;  /* band centres */
    const double *dev_db; /* measured - target per band */
    const double *weight; /* 0: the band does not count (no reading) */
    double deadzone_db;
    double min_gain_db;
    /* a filter whose removal (the others refitted) raises the cost by less
     * than this (dB^2 summed over the bands) is left out */
    double min_benefit_db2;
    double samplerate;
} sm_eqfit_problem;

/* Magnitude in dB of a shelf or bell at at_hz, as dyneq~ designs it for
 * this sample rate (frequencies above 0.49 x the rate read there). */
double sm_eqfit_response_db(sm_svf_type type, double freq_hz, double q,
                            double gain_db, double samplerate, double at_hz);

/* Chooses frequency and Q of each slot that is not off and fits the gains
 * (see above). Returns the fitted level c (dB). */
double sm_eqfit_solve(const sm_eqfit_problem *pb, sm_eqfit_slot *s, int ns);

/* out_db[b] = dev_db[b] + sum over the active slots of their response at
 * scale x gain (what the deviation becomes with the filters in). */
void sm_eqfit_apply(const sm_eqfit_problem *pb, const sm_eqfit_slot *s, int ns,
                    double scale, double *out_db);

/* The deviation a slot corrects: the mean of dev_db - level over the
 * counted bands, weighted by the shape of the slot's response (so the
 * region where the filter acts). */
double sm_eqfit_slot_deviation(const sm_eqfit_problem *pb,
                               const sm_eqfit_slot *s, double level_db);

/* RMS of x about its mean over the bands with weight > 0 (research notes
 * §7.7: D = sqrt(mean_b (x_b - mean x)^2)); 0 if none. */
double sm_eqfit_distance(const double *x, const double *weight, int nbands);

#endif
