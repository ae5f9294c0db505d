/* assist_dynamics.h - the smart master's dynamics rules (research notes
 * smart-mastering.md §7.4 rules 2 and 3): from the level distribution of
 * each 1/3-octave band (percentiles P10, P50, P80, P95 of its 400 ms level,
 * analyze~'s p10/p50/p80/p95, same dB scale as its `spectrum`: the mean
 * square of the mid signal inside the band), propose
 *  - dynamic EQ bands (dyneq~ bands 7-8 of masterchain~) where a region's
 *    loud moments stand out from its median: boom 63-125 Hz, harshness
 *    2-4 kHz, sibilance 5-8 kHz (the 1/3-octave bands whose centres lie in
 *    60-150 Hz, 2-5 kHz, 5-9 kHz);
 *  - one compressor setting per band of masterchain~'s mbcomp~ from the
 *    band's loudness range, with the threshold solved so that the predicted
 *    mean gain reduction is the rule's G_b.
 *
 * Level scales (the part that has to be right for the numbers to mean
 * anything; assist_dynamics.c derives each one):
 *  - dyneq~'s bell detector reads the energy envelope of a 0 dB-peak band
 *    pass at the bell's frequency and Q: for a sine, its squared amplitude;
 *    for noise its mean is twice the band pass's mean square, and it
 *    fluctuates (exponential distribution). A band level L_b therefore
 *    reads 10 log10(2 sum_b w_b 10^(L_b/10)) on average, w_b the band
 *    pass's mean power gain over band b.
 *  - mbcomp~'s band detector (peak, the chain's default) reads |x| of the
 *    crossover band: a steady band of mean square P reads
 *    P + 10 log10(chi-square(1)) sample by sample, which the attack/release
 *    detector smooths into a level-dependent average gain reduction. The
 *    prediction models that exactly for Gaussian band noise: for each
 *    400 ms level, the gain change the smooth-branching detector settles at
 *    (its equilibrium: attack-weighted excursions below equal
 *    release-weighted excursions above, an "expectile" of the static
 *    curve's output) - checked against mbcomp~ itself in
 *    tests/pd/test_assist_dynamics.py.
 *
 * Everything is a pure function of the inputs; no allocation, plain C99. */
#ifndef SM_ASSIST_DYNAMICS_H
#define SM_ASSIST_DYNAMICS_H

#define SM_ADYN_BANDS 31 /* ISO 1/3-octave 20 Hz .. 20 kHz, like analyze~ */
#define SM_ADYN_MAXMB 6  /* mbcomp~'s largest band count */
#define SM_ADYN_DYNEQ 2  /* dynamic EQ slots */
#define SM_ADYN_DYNEQ_BAND0 7 /* masterchain~'s dyneq~ bands 7-8 */
#define SM_ADYN_REGIONS 3
#define SM_ADYN_TEXT 320

/* Built-in target spread P95 - P50 of a 1/3-octave band's 400 ms level,
 * PROVISIONAL: a loudness range of 8 LU (P10..P95 of 3 s levels) puts the
 * broadband P95 - P50 near 4 dB; 400 ms levels of one third of an octave
 * move more than 3 s levels of the whole spectrum (notes and hits are not
 * averaged away), taken as +2 dB. Not measured from a corpus; a reference
 * (sm_adyn_set_reference) replaces it. */
#define SM_ADYN_DEFAULT_SPREAD_DB 6.0
/* a band's tail must exceed the target's spread by more than this (§7.4) */
#define SM_ADYN_SPREAD_MARGIN_DB 3.0

/* dynamic band settings (§6.2, §7.4) */
#define SM_ADYN_DYNEQ_RATIO 2.0
#define SM_ADYN_DYNEQ_ATTACK_MS 5.0
#define SM_ADYN_DYNEQ_RELEASE_MS 100.0

/* the dynamic band's threshold sits where steady band noise at the P80
 * level is reduced by at most this much (predicted) */
#define SM_ADYN_STEADY_GR_DB 0.1

/* multiband (§7.4 rule 3) */
#define SM_ADYN_MB_RATIO 2.0 /* R_default */
#define SM_ADYN_MB_MAX_GR_DB 3.0
#define SM_ADYN_MB_KNEE_DB 6.0 /* mbcomp~'s default knee, sent along */

enum { SM_ADYN_P10, SM_ADYN_P50, SM_ADYN_P80, SM_ADYN_P95, SM_ADYN_NPCT };

/* Level fluctuation models (what a detector sees inside one 400 ms
 * level): none (a steady sine-like level), mbcomp~'s peak detector on
 * Gaussian noise (|x|^2 / mean square ~ chi-square, 1 degree of freedom),
 * dyneq~'s envelope on Gaussian band noise (exponential, mean 1). */
enum { SM_ADYN_FLUCT_NONE, SM_ADYN_FLUCT_PEAK, SM_ADYN_FLUCT_ENVELOPE };

/* The level statistics of a programme (the mix, or a reference). */
typedef struct sm_adyn_stats {
    double pct_db[SM_ADYN_NPCT][SM_ADYN_BANDS];
    unsigned have_pct; /* bit SM_ADYN_P* */
    double lra_lu;     /* lufs~ `range` */
    int have_lra;
} sm_adyn_stats;

typedef struct sm_adyn {
    sm_adyn_stats mix, ref;
    int have_ref, ref_count, ref_lra_count;
    /* how far the targets move toward the reference's (0..1, default 1):
     * target = built-in + match (reference - built-in) */
    double match;
    double samplerate; /* the chain's (48000): mbcomp~'s detector period */
    /* the static EQ in front of mbcomp~ (the tonal EQ proposal's response
     * at each band centre, dB; 0 by default): moves the band levels the
     * multiband thresholds are solved on. dyneq~'s detectors listen to its
     * input, so the dynamic bands ignore it. */
    double eq_db[SM_ADYN_BANDS];
    double crest_db, plr_db; /* analyze~ `crest` (largest channel), lufs~ */
    int have_crest, have_plr;
    /* mbcomp~ of the chain: band count and crossovers */
    int mb_bands;
    double xover_hz[SM_ADYN_MAXMB - 1];
} sm_adyn;

typedef struct sm_adyn_dyneq {
    int active;
    int region;           /* index into the regions, -1 if none */
    int band_lo, band_hi; /* 1/3-octave bands the bell covers */
    double freq_hz, q, threshold_db, ratio, range_db, attack_ms, release_ms;
    double spread_db, target_spread_db; /* at the worst band */
    double p50_db, p80_db, p95_db;      /* at the worst band */
    int worst;                          /* its 1/3-octave band */
    double excess_db;                   /* spread - target spread */
    char explain[SM_ADYN_TEXT];
} sm_adyn_dyneq;

typedef struct sm_adyn_mbband {
    int active; /* compresses: ratio > 1 */
    double lo_hz, hi_hz;
    double pct_db[SM_ADYN_NPCT];  /* the band's level percentiles */
    double lra_lu, target_lra_lu; /* the band's range, and the target's */
    double gr_db;                 /* G_b, the wanted mean reduction */
    double predicted_gr_db;       /* what the solved threshold gives */
    double threshold_db, ratio, knee_db, attack_ms, release_ms, makeup_db;
    char explain[SM_ADYN_TEXT];
} sm_adyn_mbband;

typedef struct sm_adyn_multiband {
    int nbands, have_data;
    double attack_ms_rule, release_ms_rule, crest_db; /* crest rule (§5.5) */
    sm_adyn_mbband band[SM_ADYN_MAXMB];
    char explain[SM_ADYN_TEXT]; /* overall sentence when nothing is known */
} sm_adyn_multiband;

/* Defaults: mbcomp~ 4 bands at 120 / 1000 / 6000 Hz (masterchain~), no
 * measurements, no reference. */
void sm_adyn_init(sm_adyn *d);
void sm_adyn_reset(sm_adyn *d); /* forgets the mix's measurements */

/* which: SM_ADYN_P*; n values (31 expected; missing bands read silent). */
void sm_adyn_set_percentile(sm_adyn *d, int which, const double *db, int n);
void sm_adyn_set_lra(sm_adyn *d, double lu);
void sm_adyn_set_crest(sm_adyn *d, double db);
void sm_adyn_set_plr(sm_adyn *d, double db);
/* The reference's statistics (NULL: none); the target spreads and band
 * ranges are then the reference's. */
void sm_adyn_set_reference(sm_adyn *d, const sm_adyn_stats *ref);
/* Takes the mix's statistics as one more reference, averaged band by band
 * (dB) with the earlier ones; returns 1, or 0 if the mix has not all four
 * percentiles (nothing added). */
int sm_adyn_reference_add(sm_adyn *d);
/* mbcomp~'s band count (1..6) and its n - 1 crossovers. */
void sm_adyn_set_mbcomp(sm_adyn *d, int nbands, const double *xover_hz);

/* ---- the rules ---- */

/* Dynamic EQ: amount = global x module (0: nothing proposed); drive_db is
 * the chain's input gain before dyneq~ (thresholds follow it). */
void sm_adyn_propose_dyneq(const sm_adyn *d, double amount, double drive_db,
                           sm_adyn_dyneq out[SM_ADYN_DYNEQ]);
/* Multiband: target_lra_lu applies without a reference. */
void sm_adyn_propose_multiband(const sm_adyn *d, double amount, double drive_db,
                               double target_lra_lu, sm_adyn_multiband *out);

/* "eq band 7 type bell freq 3150 q 2.1 gain 0 threshold -31.2 ratio 2 knee 0
 * range 4.5 attack 5 release 100 direction cutabove sidechain band channels
 * linked on 1", or "eq band 7 on 0". k 0-based slot. */
void sm_adyn_dyneq_message(const sm_adyn_dyneq *e, int k, char *buf, int size);
/* "comp band 2 threshold -31.2 ratio 1.5 knee 6 attack 10 release 116
 * makeup 1.8" (ratio 1 makeup 0 when inactive), leaving out the ratio or
 * the threshold when send_ratio / send_threshold is 0. k 0-based. */
void sm_adyn_comp_message(const sm_adyn_mbband *b, int k, int send_ratio,
                          int send_threshold, char *buf, int size);

/* ---- building blocks, exposed for the tests ---- */

/* Mean power gain over 1/3-octave band b of a 0 dB-peak 2nd-order band pass
 * at fc, q (dyneq~'s bell detector). */
double sm_adyn_bandpass_weight(double fc, double q, int b);
/* Mean power gain over band b of mbcomp~ band k (0-based) of nbands with
 * crossovers hz: products of Linkwitz-Riley 4th-order low/high passes. */
double sm_adyn_xover_weight(int nbands, const double *hz, int k, int b);
/* Mean power gain of BS.1770's K-weighting over band b. */
double sm_adyn_kweight(int b);
/* Sum of weighted band powers in dB: 10 log10(sum w_b 10^(db_b / 10)). */
double sm_adyn_weighted_db(const double *db, const double *w);
/* §5.5: tau_A = 2 tau_A,max / CF^2, tau_R = 2 tau_R,max / CF^2 - tau_A
 * (80 ms, 1 s) from a crest factor in dB. */
void sm_adyn_crest_times(double crest_db, double *attack_ms,
                         double *release_ms);
/* The gain reduction (dB, >= 0) a smooth-branching detector settles at for
 * a steady level_db with the fluctuation model, static curve of dynamics.h
 * (downward, threshold, ratio, knee). */
double sm_adyn_steady_gr_db(double level_db, int fluct, double threshold_db,
                            double ratio, double knee_db, double attack_ms,
                            double release_ms);
/* The dynamic band's threshold above the band's mean detector level (P80
 * on dyneq~'s scale): the lowest at which steady band noise there is
 * reduced by at most SM_ADYN_STEADY_GR_DB (the envelope model). */
double sm_adyn_dyneq_margin_db(double attack_ms, double release_ms,
                               double ratio);
/* Mean of that over a level distribution given by its percentiles
 * pct[SM_ADYN_NPCT] (P10, P50, P80, P95; piecewise linear in between,
 * extended linearly to P0 and P100). */
double sm_adyn_mean_gr_db(const double *pct, int fluct, double threshold_db,
                          double ratio, double knee_db, double attack_ms,
                          double release_ms);

#endif
