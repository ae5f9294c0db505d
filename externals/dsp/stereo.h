/* stereo.h - stereo image from mid/side energies: correlation, width and
 * balance.
 *
 * Mid and side are M = (L + R) / 2 and S = (L - R) / 2, so that a mono
 * signal (L = R = x) has M = x and S = 0. From the energies (sums of
 * squares, or weighted means of them, over the same samples)
 *   em = sum M^2, es = sum S^2, ems = sum M S
 * follow, because L = M + S and R = M - S,
 *   sum L^2 = em + es + 2 ems,  sum R^2 = em + es - 2 ems,  sum L R = em - es.
 * The analyser sums windowed FFT frames (Parseval: the same as summing the
 * windowed samples) and averages them through the loudness gate, so the
 * image is that of the programme, not of its silences.
 */
#ifndef SM_STEREO_H
#define SM_STEREO_H

/* Readings are clamped to +-SM_STEREO_LIMIT_DB where a ratio is infinite. */
#define SM_STEREO_LIMIT_DB 150.0

/* The mid/side split of one sample pair. */
static inline void sm_stereo_ms(float l, float r, float *m, float *s)
{
    *m = 0.5f * (l + r);
    *s = 0.5f * (l - r);
}

/* Pearson correlation of L and R, sum L R / sqrt(sum L^2 sum R^2), -1..1:
 * 1 for identical channels (and for mono), -1 for L = -R, near 0 for
 * independent signals. 0 when either channel is silent. */
double sm_stereo_correlation(double em, double es, double ems);

/* Width: side-to-mid energy, 10 log10(es / em) in dB. 0 dB for independent
 * channels of equal level (and for one silent channel), -SM_STEREO_LIMIT_DB
 * (the floor, -150 dB) for mono and for silence, +SM_STEREO_LIMIT_DB for
 * L = -R. */
double sm_stereo_width_db(double em, double es);

/* Balance: 10 log10(sum L^2 / sum R^2) in dB, positive when the left is
 * louder; 0 in silence, +-SM_STEREO_LIMIT_DB when one side is silent. */
double sm_stereo_balance_db(double em, double es, double ems);

#endif
