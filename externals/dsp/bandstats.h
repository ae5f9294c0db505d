/* bandstats.h - per-band distributions of short-term levels (percentiles
 * such as P10, P50, P80, P95), gated like the long-term averages of ltas.h.
 *
 * What is counted: each band receives one power per analysis frame (its
 * own frame rate; spectrum.c's paths differ). The short-term level of a
 * band is the mean of its last `window` frame powers, in dB: a moving
 * average over about 400 ms, the length of a BS.1770 momentary block. That
 * length is long enough that a steady tone or a sustained note reads one
 * level (single FFT frames of noise scatter by several dB, which would
 * widen every distribution by the estimator's own noise), and short enough
 * to follow the phrases and hits that a dynamic EQ or a multiband
 * compressor acts on; it is also the span of the gate key below, so the
 * gate judges exactly the audio a level was measured on. Each short-term
 * level is counted once per frame, after the window has filled since the
 * last reset (the first window - 1 frames only fill it).
 *
 * Gate: every frame comes with the energy of the loudness around it (the
 * key of ltas.h); a short-term level takes the key of the frame in the
 * middle of its window (the mean of the two middle ones for an even
 * window). Keys at or below -70 LUFS are silence; the relative gate is
 * applied when the distributions are read, over the whole history, with the
 * threshold the caller's ltas computes (sm_ltas_threshold): a level counts
 * when its key's 0.25 dB loudness bin has its centre above the threshold,
 * the rule of ltas.h. To apply a threshold known only at read time, each
 * band keeps a two-dimensional histogram: loudness classes of
 * SM_BANDSTATS_CLASS_DB (frames louder than SM_BANDSTATS_KEY_TOP share the
 * top class) by level bins of SM_BANDSTATS_BIN_DB from SM_FLOOR_DB to
 * SM_BANDSTATS_TOP_DB (levels at the floor have their own bin and read the
 * floor exactly; louder levels share the top bin), stored cumulatively over
 * the classes (entry [c] counts the frames of class c and above), so that
 * reading is one pass over the level bins. Beside it, a per-band histogram
 * of the keys in 0.25 dB bins tells which share of the class that holds the
 * threshold lies above it; that share of the class's levels counts (exact
 * when level and loudness are independent within the 2 dB class, and
 * always exact for the classes above and below). With the gate off every
 * frame counts, silence included.
 *
 * Percentiles are interpolated linearly inside the bin where the rank
 * falls (rank q * count, q in 0..1): a level that never changes reads within
 * one bin (0.25 dB) of itself at every percentile.
 *
 * Counts are 32-bit: a band stops counting after 2^32 - 1 frames (over two
 * years at 48 kHz and a hop of 1024).
 *
 * Real time: everything is allocated in init (about 3 MB for 31 bands);
 * add never allocates and costs at most 37 increments per band. Reset clears
 * about 3 MB (a message, not a DSP block); reading costs a few passes over 31 x
 * 641 bins.
 */
#ifndef SM_BANDSTATS_H
#define SM_BANDSTATS_H

#include <stdint.h>

#define SM_BANDSTATS_MAXBANDS 32
#define SM_BANDSTATS_MAXWINDOW 8192 /* frames per short-term level */
#define SM_BANDSTATS_BIN_DB 0.25    /* level bins */
#define SM_BANDSTATS_TOP_DB 10.0    /* louder levels share the top bin */
/* level bins: the floor bin, then (TOP_DB - SM_FLOOR_DB) / BIN_DB */
#define SM_BANDSTATS_NBINS (1 + 4 * 160)
#define SM_BANDSTATS_KEY_BIN_DB 0.25 /* key bins (as in ltas.h) */
#define SM_BANDSTATS_CLASS_DB 2.0    /* loudness classes of the 2-D table */
#define SM_BANDSTATS_KEY_TOP 0.0     /* LUFS: louder keys share a class */
#define SM_BANDSTATS_WINDOW_S 0.4    /* short-term window (BS.1770 block) */

typedef struct sm_bandstats {
    int nbands;
    int nbins;    /* level bins: 0 the floor, 1.. 0.25 dB each */
    int nkeys;    /* key bins: 0 silence, 1.. 0.25 dB each, the last open */
    int nclasses; /* loudness classes: 0 silence, 1.. 2 dB each */
    int keys_per_class;
    int window[SM_BANDSTATS_MAXBANDS]; /* frames per short-term level */
    int maxwindow;
    /* smoothing: the last `window` powers and keys of each band */
    double *ring_p, *ring_e;           /* nbands * maxwindow */
    int fill[SM_BANDSTATS_MAXBANDS];   /* frames in the ring (<= window) */
    int pos[SM_BANDSTATS_MAXBANDS];    /* next write position */
    int fresh[SM_BANDSTATS_MAXBANDS];  /* adds since the sum was rebuilt */
    double sum[SM_BANDSTATS_MAXBANDS]; /* running sum of the ring's powers */
    /* histograms */
    uint32_t *cum;                         /* nclasses * nbands * nbins */
    uint32_t *keys;                        /* nbands * nkeys */
    uint32_t total[SM_BANDSTATS_MAXBANDS]; /* levels counted per band */
} sm_bandstats;

/* nbands 1..SM_BANDSTATS_MAXBANDS; window[b] 1..SM_BANDSTATS_MAXWINDOW
 * frames (values out of range are clamped). Returns 0, or -1 on bad
 * arguments or allocation failure (the state is then empty: add does
 * nothing and read gives the floor). */
int sm_bandstats_init(sm_bandstats *s, int nbands, const int *window);
void sm_bandstats_free(sm_bandstats *s);

/* Forgets every level and empties the smoothing windows. */
void sm_bandstats_reset(sm_bandstats *s);

/* One frame of bands [lo, hi): band b's power (mean square, linear) is
 * power[b * stride]; energy is the frame's gate key (mean square of the
 * K-weighted loudness around it, BS.1770 units, as for sm_ltas_add).
 * Non-finite or negative powers count as silence. */
void sm_bandstats_add(sm_bandstats *s, int lo, int hi, const double *power,
                      int stride, double energy);

/* Percentiles q[i] (0..1) of every band's short-term levels in dB:
 * out[i * nbands + b]. gated 0: every level; 1: those whose key passes
 * -70 LUFS and threshold_lufs. A band without levels reads SM_FLOOR_DB. */
void sm_bandstats_read(const sm_bandstats *s, int gated, double threshold_lufs,
                       const double *q, int nq, double *out);

/* Levels counted so far in band b (gated as in read). */
double sm_bandstats_count(const sm_bandstats *s, int b, int gated,
                          double threshold_lufs);

#endif
