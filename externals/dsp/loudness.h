/* loudness.h - EBU R128 / ITU-R BS.1770 loudness meter on libebur128.
 *
 * libebur128 does the K-weighting, the gating and the integrated loudness
 * and loudness range (in histogram mode, so it never allocates while it
 * runs). Momentary and short-term loudness are frequent readings: asking
 * libebur128 for them re-sums 400 ms or 3 s of audio each time. Instead this
 * module asks it for the energy of each short sub-block (1 ms where the
 * sample rate allows, at most 10 ms) and keeps running sums over 400 ms and
 * 3 s, so M and S are evaluated at least 100 times a second for the price of
 * one sum per sample. That rate is what EBU Tech 3341 cases 13 and 14
 * (maximum momentary loudness) need.
 *
 * True peak comes from our own detector (truepeak.h), which is faster and
 * flatter than libebur128's.
 *
 * Everything that allocates (init, reset, mark) runs outside the audio
 * thread; process never allocates, locks or prints.
 */
#ifndef SM_LOUDNESS_H
#define SM_LOUDNESS_H

#include "truepeak.h"

#define SM_LOUDNESS_MAXCH 8
#define SM_LOUDNESS_PSR_BINS 30 /* 100 ms true-peak bins over 3 s */

typedef struct sm_loudness_readings {
    double momentary, shortterm; /* LUFS, SM_FLOOR_DB for silence */
    double integrated; /* LUFS, SM_FLOOR_DB while nothing passes the gates */
    double range;      /* LU, 0 until enough short-term blocks pass */
    double maxmomentary, maxshortterm; /* LUFS since reset */
    double truepeak,
        samplepeak; /* dBTP / dBFS, max over channels since reset */
    double truepeak_ch[SM_LOUDNESS_MAXCH], samplepeak_ch[SM_LOUDNESS_MAXCH];
    double plr; /* truepeak - integrated, 0 while integrated is at the floor */
    double psr; /* max true peak of the last 3 s - shortterm, 0 in silence */
} sm_loudness_readings;

/* A piece closed by sm_loudness_mark. */
typedef struct sm_loudness_piece {
    int number; /* 1, 2, ... since reset */
    double integrated, range, truepeak;
} sm_loudness_piece;

#include <ebur128.h>

typedef struct sm_loudness {
    int nch;
    unsigned long samplerate;
    int paused;
    /* libebur128: the whole set since reset, and the current piece once a
     * piece has been marked (before the first mark both are the same). */
    ebur128_state *set, *piece;
    int piece_active, pieces_done;
    float gain[SM_LOUDNESS_MAXCH]; /* sqrt of the BS.1770 channel weight */
    float *interleaved;            /* sub_frames * nch */
    /* sub-blocks */
    unsigned long sub_ms;
    int sub_frames, sub_fill, sub_per_m, sub_per_s, sub_per_bin;
    double *sub_energy; /* ring of sub_per_s energies */
    int sub_pos, bin_count;
    double m_sum, s_sum; /* running sums of the last sub_per_m / sub_per_s */
    double max_m, max_s; /* energies */
    /* peaks, linear */
    sm_truepeak tp;
    float tp_set[SM_LOUDNESS_MAXCH], sp_set[SM_LOUDNESS_MAXCH];
    float tp_piece;
    int tp_skip; /* detector outputs after a mark that belong to the last piece */
    float tp_bins[SM_LOUDNESS_PSR_BINS];
    int bin_pos;
} sm_loudness;

/* Returns 0, or -1 for a bad channel count or sample rate or when memory or
 * libebur128 fail (the meter then stays silent). Default channel weights
 * follow BS.1770: 1 for every channel, except that 5 channels are
 * L R C Ls Rs and 6 are L R C LFE Ls Rs (surrounds 1.41, LFE 0). */
int sm_loudness_init(sm_loudness *m, int nch, double samplerate);
void sm_loudness_free(sm_loudness *m);

/* Restart every measurement (allocates: not in the audio thread). */
int sm_loudness_reset(sm_loudness *m);

/* BS.1770 weight of a channel, 0..SM_LOUDNESS_MAXWEIGHT (1.41 surround,
 * 0 excluded, 2 for a mono channel heard on two loudspeakers). */
#define SM_LOUDNESS_MAXWEIGHT 4.0
void sm_loudness_set_weight(sm_loudness *m, int ch, double weight);
double sm_loudness_weight(const sm_loudness *m, int ch);

/* While paused, audio is ignored and every reading holds. */
void sm_loudness_set_paused(sm_loudness *m, int paused);

/* n frames, in[c][i]. Non-finite samples count as silence. */
void sm_loudness_process(sm_loudness *m, const float *const *in, int n);

void sm_loudness_read(const sm_loudness *m, sm_loudness_readings *r);

/* Close the current piece: fill *p with its results and start the next one,
 * while the whole-set measurement goes on (allocates). */
int sm_loudness_mark(sm_loudness *m, sm_loudness_piece *p);

/* How often M and S are evaluated, in ms. */
double sm_loudness_update_ms(const sm_loudness *m);

#endif
