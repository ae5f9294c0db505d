/* ltas.h - gated long-term averages of analysis frames (the averaging half
 * of a long-term average spectrum).
 *
 * Frames arrive as records of `nvals` numbers (band powers and the like).
 * Every value belongs to one group: the values of a group are produced
 * together (one FFT path of spectrum.c), so a group has its own frame rate
 * and its own running weight. Each frame comes with the energy of the
 * loudness measured around it (mean square, K-weighted); its loudness
 * -0.691 + 10 log10(energy) picks a bin of a histogram (0.25 dB bins,
 * -70 to +50 LUFS), so that the BS.1770 gates can be applied when the
 * averages are read, over the whole history at once, exactly as BS.1770
 * gates a programme:
 *   - absolute gate: frames at or below -70 LUFS never enter the histogram;
 *   - relative gate: of those, only frames whose loudness lies above the
 *     mean energy of all of them minus 10 dB count. The mean energy is that
 *     of group 0's frames (the gating group). Bins count as above the gate
 *     when their centre is, so the gate is resolved to 0.125 dB.
 * An ungated average of every frame is kept beside the histogram, so the
 * gate can be switched at any time without losing history.
 *
 * Averaging is either infinite (every frame since reset weighs the same) or
 * exponential: a frame that is t seconds old weighs exp(-t / tau). The
 * average is the weighted mean, normalised by the sum of the weights, so it
 * is unbiased from the first frame on. The weights are applied lazily: each
 * group's new frames weigh more by 1/a per frame instead of every stored
 * frame being multiplied by a, and the group is rescaled when its weight
 * grows past 1e200 (rarely: every 460 time constants).
 *
 * Usage:
 *   sm_ltas_init(&l, nvals, ngroups, group_of);  // allocates
 *   sm_ltas_set_decay(&l, g, a);                 // per group, 0 < a <= 1
 *   sm_ltas_add(&l, g, energy, record);          // no allocation
 *   sm_ltas_read(&l, gated, mean, weight);       // means of every value
 */
#ifndef SM_LTAS_H
#define SM_LTAS_H

#define SM_LTAS_MAXGROUPS 16
#define SM_LTAS_ABS_GATE (-70.0) /* LUFS */
#define SM_LTAS_REL_GATE (-10.0) /* LU below the mean of the gated frames */
#define SM_LTAS_TOP (50.0)       /* LUFS; louder frames share the top bin */
#define SM_LTAS_BIN_DB 0.25
#define SM_LTAS_LUFS_OFFSET (-0.691) /* BS.1770: L = -0.691 + 10 log10(E) */

typedef struct sm_ltas {
    int nvals, ngroups, nbins;
    int stride;   /* doubles per bin: nvals, ngroups weights, energy */
    int *members; /* value indices of group g: members[first[g]..] */
    int first[SM_LTAS_MAXGROUPS + 1];
    double *bins;                     /* nbins * stride */
    double *all;                      /* stride: every frame, ungated */
    double scale[SM_LTAS_MAXGROUPS];  /* weight of the next frame */
    double growth[SM_LTAS_MAXGROUPS]; /* 1 / decay per frame */
} sm_ltas;

/* group_of[v] in 0..ngroups-1 for each of the nvals values. Returns 0, or -1
 * on bad arguments or allocation failure (the state is then empty and every
 * call does nothing). */
int sm_ltas_init(sm_ltas *l, int nvals, int ngroups, const int *group_of);
void sm_ltas_free(sm_ltas *l);

/* Forgets every frame. */
void sm_ltas_reset(sm_ltas *l);

/* Per-frame decay of group g's weights: 1 is infinite averaging, exp(-frame
 * period / tau) exponential with time constant tau. Values below 1e-6 are
 * taken as 1e-6 (the newest frame then outweighs the past a millionfold). */
void sm_ltas_set_decay(sm_ltas *l, int g, double a);

/* Adds one frame of group g: only the values of group g are read from
 * `record` (indexed like every record). `energy` is the mean square of the
 * loudness around the frame (K-weighted, BS.1770 units). */
void sm_ltas_add(sm_ltas *l, int g, double energy, const double *record);

/* Weighted means of every value, over all frames (gated 0) or over the
 * frames that pass both gates (gated 1); a value of a group without frames
 * reads 0. weight[g] (may be NULL) receives the sum of group g's weights,
 * normalised so that the newest frame weighs 1: in infinite mode the number
 * of frames that count. */
void sm_ltas_read(const sm_ltas *l, int gated, double *mean, double *weight);

/* Relative gate threshold in LUFS of the frames so far, or SM_LTAS_ABS_GATE
 * while no frame passed the absolute gate. */
double sm_ltas_threshold(const sm_ltas *l);

#endif
