/* levels.h - per-channel level statistics: RMS, peak, crest factor and DC
 * offset, averaged like the spectrum (exponentially or since reset).
 *
 * Conventions (the same as spectrum.h's band levels):
 *   rms    10 log10(mean square) in dBFS: a full-scale sine reads -3.01,
 *          full-scale DC 0. The mean square includes any DC.
 *   peak   20 log10(largest |sample|) in dBFS (sample peak, not true peak).
 *          Since reset when averaging is infinite; with a time constant tau
 *          the held peak falls as exp(-t / (2 tau)), i.e. its square decays
 *          like the power average, 4.34 dB per tau.
 *   crest  peak - rms in dB: 3.01 for a sine, 0 for DC or a square wave.
 *   dc     mean of the samples, linear (full scale = 1).
 * Silence reads SM_FLOOR_DB for rms and peak, 0 for crest and dc. These
 * statistics are not gated: a DC offset or a hum shows even when nothing
 * else plays.
 *
 * The sums are folded into the averages every SM_LEVELS_FOLD samples, so a
 * reading is at most that many samples old. process never allocates;
 * non-finite samples count as 0.
 */
#ifndef SM_LEVELS_H
#define SM_LEVELS_H

#define SM_LEVELS_MAXCH 8
#define SM_LEVELS_FOLD 256

typedef struct sm_levels {
    int nch;
    double samplerate;
    double decay;      /* per fold, of the sums: exp(-fold / (tau sr)); 1 */
    double peak_decay; /* per fold, of the held peak: sqrt(decay) */
    int left;          /* samples until the next fold */
    /* the fold in progress */
    double fsum[SM_LEVELS_MAXCH], fsq[SM_LEVELS_MAXCH];
    float fpeak[SM_LEVELS_MAXCH];
    int fcount;
    /* the averages */
    double sum[SM_LEVELS_MAXCH], sq[SM_LEVELS_MAXCH], weight;
    double peak[SM_LEVELS_MAXCH];
} sm_levels;

typedef struct sm_levels_readings {
    double rms_db[SM_LEVELS_MAXCH], peak_db[SM_LEVELS_MAXCH];
    double crest_db[SM_LEVELS_MAXCH], dc[SM_LEVELS_MAXCH];
} sm_levels_readings;

/* Returns 0, or -1 for a bad channel count or sample rate. Infinite
 * averaging until sm_levels_set_average says otherwise. */
int sm_levels_init(sm_levels *l, int nch, double samplerate);
/* seconds > 0: exponential time constant; 0: since reset. */
void sm_levels_set_average(sm_levels *l, double seconds);
void sm_levels_reset(sm_levels *l);
void sm_levels_process(sm_levels *l, const float *const *in, int n);
void sm_levels_read(const sm_levels *l, sm_levels_readings *r);

#endif
