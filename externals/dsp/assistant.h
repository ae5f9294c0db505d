/* assistant.h - the smart master's decision core: from long-term
 * measurements of a mix (31-band mid and side spectra, width, integrated
 * loudness, LRA, PLR, true peak) and a delivery target, propose settings
 * for the mastering chain (tonal EQ fitted with the filters' real
 * responses, side EQ, width, dynamics, input drive) with one sentence of
 * explanation each. References (analysed tracks, averaged) move the
 * targets by a match amount per aspect. Research notes smart-mastering.md
 * §7.4/§7.5.
 *
 * Control (§7.5): effective amount of a module = global amount x module
 * amount. Every proposal is exactly linear in its effective amount: the
 * choice of which corrections to make, the fit, the clamps and the 0.5 dB
 * dead zone act on the measured deviations (the EQ is fitted at amount 1),
 * never on the scaled gains, so amount 0 is neutral (gains 0, ratio 1,
 * drive 0, width 0) and the mapping is monotone. The dynamics rules
 * (assist_dynamics.h) follow §7.4's own mappings - ratio 1 + a, mean gain
 * reduction a (1 dB + ...) capped at 3 dB, dynamic EQ range 3 (1 + a) dB -
 * monotone and neutral at 0.
 * Locked parameters (set by the user by hand) are never proposed.
 *
 * No signal processing, no allocation: plain C99, caller-owned state. */
#ifndef SM_ASSISTANT_H
#define SM_ASSISTANT_H

#include "assist_dynamics.h"

#define SM_ASSIST_BANDS 31     /* ISO 1/3-octave, 20 Hz .. 20 kHz */
#define SM_ASSIST_EQ_SLOTS 4   /* 1 low shelf, 2 high shelf, 3-4 bells */
#define SM_ASSIST_SIDE_SLOTS 2 /* 5 low shelf, 6 high shelf, on the side */
#define SM_ASSIST_SIDE_BAND0 5 /* masterchain~'s dyneq~ band of side slot 0 */
#define SM_ASSIST_TEXT 320

/* EQ fit (eqfit.h): each filter's gain within [-6, +4] dB (research notes
 * §7.4: cutting is safer than boosting); only deviations beyond +-0.5 dB
 * count (the dead zone: about the smallest broad level change heard, and
 * half the 1 dB a re-run may propose at most (§7.7 C3), so a fit's own
 * output, whose residual lies inside it, proposes nothing); a fitted gain
 * under 0.5 dB is dropped. */
#define SM_ASSIST_EQ_CUT_DB (-6.0)
#define SM_ASSIST_EQ_BOOST_DB 4.0
#define SM_ASSIST_EQ_DEADZONE_DB 0.5
/* masterchain~'s `width` range */
#define SM_ASSIST_WIDTH_MIN_DB (-24.0)
#define SM_ASSIST_WIDTH_MAX_DB 6.0

/* Built-in target curve, PROVISIONAL: a straight slope of -3.5 dB per
 * octave through 0 dB at 1 kHz (1/3-octave band levels; pink noise would be
 * flat). A round number for "commercial masters fall off toward the highs",
 * not measured from a corpus; to be replaced by genre curves and curves
 * learned from the user's references (`curve` message). Only its shape
 * matters: the overall level difference is removed before comparing. */
#define SM_ASSIST_DEFAULT_SLOPE_DB_OCT (-3.5)

enum {
    SM_ASSIST_MOD_EQ, /* tonal EQ (slots 1-4) and side EQ (slots 5-6) */
    SM_ASSIST_MOD_MULTIBAND,
    SM_ASSIST_MOD_LOUDNESS,
    SM_ASSIST_MOD_DYNEQ, /* dynamic EQ bands (slots 7-8) */
    SM_ASSIST_MOD_WIDTH, /* masterchain~'s `width` */
    SM_ASSIST_MODULES
};

/* What a reference can set, each with its own match amount (`match`). */
enum {
    SM_ASSIST_MATCH_TONE,     /* mid target curve */
    SM_ASSIST_MATCH_SIDE,     /* side target curve */
    SM_ASSIST_MATCH_WIDTH,    /* side-to-mid energy */
    SM_ASSIST_MATCH_DYNAMICS, /* LRA target and PLR minimum */
    SM_ASSIST_MATCH_LOUDNESS, /* integrated loudness target */
    SM_ASSIST_MATCHES
};

/* Lockable parameters (bit numbers). */
enum {
    SM_ASSIST_LOCK_EQ1, /* low shelf */
    SM_ASSIST_LOCK_EQ2, /* high shelf */
    SM_ASSIST_LOCK_EQ3, /* bell */
    SM_ASSIST_LOCK_EQ4, /* bell */
    SM_ASSIST_LOCK_RATIO,
    SM_ASSIST_LOCK_THRESHOLD,
    SM_ASSIST_LOCK_GAIN,
    SM_ASSIST_LOCK_EQ5, /* side low shelf */
    SM_ASSIST_LOCK_EQ6, /* side high shelf */
    SM_ASSIST_LOCK_WIDTH,
    SM_ASSIST_LOCK_EQ7, /* dynamic EQ bands (assist_dynamics.h) */
    SM_ASSIST_LOCK_EQ8,
    SM_ASSIST_LOCKS
};

enum { SM_ASSIST_LOWSHELF, SM_ASSIST_HIGHSHELF, SM_ASSIST_BELL };

/* References (`reference add`): running means of what each reference gave,
 * in the dB domain (band levels, width, loudness) and in LU/dB (LRA, PLR);
 * n_* count the references that gave each quantity. */
typedef struct sm_assist_reference {
    int count;
    double mid_db[SM_ASSIST_BANDS], side_db[SM_ASSIST_BANDS];
    double width_db, lufs, lra_lu, plr_db;
    int n_mid, n_side, n_width, n_lufs, n_lra, n_plr;
} sm_assist_reference;

typedef struct sm_assistant {
    /* measurements; have_* say which have been given */
    double spectrum_db[SM_ASSIST_BANDS];
    double integrated_lufs, lra_lu, plr_db, truepeak_dbtp;
    int have_spectrum, have_integrated, have_lra, have_plr, have_truepeak;
    /* target */
    double target_lufs, target_tp_dbtp, target_lra_lu, plr_min_db;
    double curve_db[SM_ASSIST_BANDS];
    int have_curve; /* 0: the provisional built-in curve */
    /* control */
    double amount, module_amount[SM_ASSIST_MODULES];
    unsigned locks; /* bit SM_ASSIST_LOCK_* */
    /* the chain's input gain when it is not the assistant's to choose
     * (locked by the user, or moved by the follow leveller): the dynamics
     * thresholds sit on the levels this gain gives */
    double chain_gain_db;
    int have_chain_gain;
    /* stereo measurements: analyze~ `side` (31 side band levels), `width`
     * (side-to-mid energy, dB), `correlation` */
    double side_db[SM_ASSIST_BANDS];
    double width_db, correlation;
    int have_side, have_width, have_correlation;
    /* side target curve (`sidecurve`, analyze~ `targetside`) */
    double sidecurve_db[SM_ASSIST_BANDS];
    int have_sidecurve;
    /* references and how much of each aspect to match (0..1) */
    sm_assist_reference ref;
    double match[SM_ASSIST_MATCHES];
    double samplerate; /* the chain's, for the EQ responses (48000) */
    /* dynamics: band level percentiles, crest, and the references' band
     * statistics (assist_dynamics.h) */
    sm_adyn dyn;
} sm_assistant;

typedef struct sm_assist_eq {
    int active; /* a correction is proposed */
    int locked;
    int type; /* SM_ASSIST_LOWSHELF/HIGHSHELF/BELL */
    double freq_hz, q, gain_db;
    double deviation_db; /* measured deviation from the target it corrects */
    double fitted_db;    /* the gain at amount 1 (0: the fit needs none) */
} sm_assist_eq;

typedef struct sm_assist_proposal {
    sm_assist_eq eq[SM_ASSIST_EQ_SLOTS];
    int comp_active; /* some mbcomp~ band compresses (p->mb) */
    double ratio, threshold_db;
    double drive_db;
    double predicted_lufs, predicted_tp_dbtp, predicted_plr_db;
    int limited;        /* predicted true peak above the ceiling */
    int unreachable;    /* predicted PLR below plr_min */
    double distance_db; /* spectral RMS distance to the curve, level-free */
    double amount_eq, amount_multiband, amount_loudness; /* effective */
    char explain_eq[SM_ASSIST_EQ_SLOTS][SM_ASSIST_TEXT];
    /* The fit run again on the spectrum it predicts (what a second pass on
     * the master would propose): its largest gain. At 1 dB or more the mix
     * is further from the target than the clamped filters reach, and
     * explain_eq_limit says so; "" otherwise. */
    double eq_rerun_db;
    int eq_at_limit;
    char explain_eq_limit[SM_ASSIST_TEXT];
    char explain_multiband[SM_ASSIST_TEXT];
    char explain_loudness[SM_ASSIST_TEXT];
    char explain_predicted[SM_ASSIST_TEXT];
    /* tonal fit: distance (§7.7) after the EQ at its amount, predicted
     * with the filters' real responses */
    double predicted_distance_db;
    /* side EQ (slots 5-6), fitted when a side target and the side
     * spectrum are known */
    int side_fitted;
    sm_assist_eq side[SM_ASSIST_SIDE_SLOTS];
    double side_distance_db, side_predicted_distance_db;
    char explain_side[SM_ASSIST_SIDE_SLOTS][SM_ASSIST_TEXT];
    /* width (masterchain~ `width <dB>`: side gain relative to mid) */
    int width_active, width_locked, have_width_target;
    double width_db;           /* proposed */
    double width_target_db;    /* measured + match x (reference - measured) */
    double width_predicted_db; /* after the EQ and the width */
    double amount_width;
    char explain_width[SM_ASSIST_TEXT];
    char explain_stereo[SM_ASSIST_TEXT]; /* warnings, "" if none */
    /* the targets in force (delivery target, moved toward the references
     * by the match amounts) */
    double target_lufs, target_tp_dbtp, target_lra_lu, target_plr_min_db;
    double target_curve_db[SM_ASSIST_BANDS];
    char explain_reference[SM_ASSIST_TEXT]; /* "" without references */
    /* dynamics rules (assist_dynamics.h): dynamic EQ slots (dyneq~ bands
     * 7-8) and one compressor setting per mbcomp~ band; comp_active: some
     * band compresses (per-band messages), ratio its ratio */
    double amount_dyneq;
    sm_adyn_dyneq dyneq[SM_ADYN_DYNEQ];
    sm_adyn_multiband mb;
} sm_assist_proposal;

/* Defaults: target -14 LUFS / -1 dBTP, LRA 8 LU, PLR min 8 dB, built-in
 * curve, no side curve, amounts 1, match amounts 1 (loudness 0), no
 * references, no locks, no measurements, 48 kHz. */
void sm_assistant_init(sm_assistant *a);
void sm_assistant_reset(sm_assistant *a); /* forgets the measurements */
void sm_assistant_free(sm_assistant *a);

/* The provisional built-in target level of band b. */
double sm_assistant_default_curve_db(int b);

void sm_assistant_set_spectrum(sm_assistant *a, const double *db, int n);
void sm_assistant_set_integrated(sm_assistant *a, double lufs);
void sm_assistant_set_lra(sm_assistant *a, double lu);
void sm_assistant_set_plr(sm_assistant *a, double db);
void sm_assistant_set_truepeak(sm_assistant *a, double dbtp);
void sm_assistant_set_target(sm_assistant *a, double lufs, double tp_dbtp);
/* n < SM_ASSIST_BANDS or db NULL: back to the built-in curve. */
void sm_assistant_set_curve(sm_assistant *a, const double *db, int n);
void sm_assistant_set_amount(sm_assistant *a, double amount);
void sm_assistant_set_module_amount(sm_assistant *a, int module, double amount);
void sm_assistant_set_lock(sm_assistant *a, int lock, int on);
/* The input gain in force in the chain (dB); have 0 forgets it. */
void sm_assistant_set_chain_gain(sm_assistant *a, double db, int have);

void sm_assistant_set_side(sm_assistant *a, const double *db, int n);
void sm_assistant_set_width(sm_assistant *a, double db);
void sm_assistant_set_correlation(sm_assistant *a, double r);
/* n < SM_ASSIST_BANDS or db NULL: no side target. */
void sm_assistant_set_sidecurve(sm_assistant *a, const double *db, int n);
/* which: SM_ASSIST_MATCH_*, amount 0..1 (clamped). */
void sm_assistant_set_match(sm_assistant *a, int which, double amount);
void sm_assistant_set_samplerate(sm_assistant *a, double hz);

/* Takes the measurements given since the last reset (spectrum, side,
 * width, integrated, range, plr) as one more reference, averaged with the
 * earlier ones in the dB domain, band by band. Returns how many of those
 * six quantities it took (0: nothing measured, nothing added). The
 * measurements stay: the caller resets them to measure the mix. */
int sm_assistant_reference_add(sm_assistant *a);
void sm_assistant_reference_clear(sm_assistant *a);

/* The assistant with the references applied: the delivery targets moved
 * toward the references' by the match amounts, linearly (match 0: the
 * reference is ignored for that aspect; 1: it is the target):
 *   tone:     curve = curve + m (ref mid - curve)
 *   side:     sidecurve = base + m (ref side - base), base the sidecurve
 *             if given, else the measured side (so m scales the change)
 *   dynamics: LRA target and PLR minimum toward the reference's LRA, PLR
 *   loudness: integrated target toward the reference's (default m = 0)
 *   width:    see sm_assist_proposal.width_target_db.
 * sm_assistant_propose works on this. */
void sm_assistant_effective(const sm_assistant *a, sm_assistant *e);

/* Dynamics measurements: analyze~ `p10|p50|p80|p95 <31>` (which =
 * SM_ADYN_P*) and `crest` (dB, the largest channel's). lufs~ `range` and
 * `plr` reach them through sm_assistant_set_lra / _plr. */
void sm_assistant_set_percentile(sm_assistant *a, int which, const double *db,
                                 int n);
void sm_assistant_set_crest(sm_assistant *a, double db);

/* Computes the proposal from the current state (pure function of it). */
void sm_assistant_propose(const sm_assistant *a, sm_assist_proposal *p);

/* The message for masterchain~'s inlet of EQ slot k (0-based):
 * "eq band 1 type lowshelf freq 120 q 0.7 gain -1.5 on 1", or
 * "eq band k on 0" when nothing is proposed. Returns 0, or -1 if the slot
 * is locked (no message). */
int sm_assistant_eq_message(const sm_assist_proposal *p, int k, char *buf,
                            int size);
/* Side EQ slot k (0-based, dyneq~ band 5 + k): "eq band 5 type lowshelf
 * freq 200 q 0.7 gain -2 channels S on 1" or "eq band 5 on 0"; -1 if
 * locked or no side fit was made. */
int sm_assistant_side_message(const sm_assist_proposal *p, int k, char *buf,
                              int size);
/* "width -2.5"; -1 if locked or nothing is proposed. */
int sm_assistant_width_message(const sm_assist_proposal *p, char *buf,
                               int size);
/* Dynamic EQ slot k (0-based, dyneq~ band 7 + k): see
 * sm_adyn_dyneq_message; -1 if the slot is locked. */
int sm_assistant_dyneq_message(const sm_assistant *a,
                               const sm_assist_proposal *p, int k, char *buf,
                               int size);
/* mbcomp~ band k (0-based, k < p->mb.nbands): "comp band 1 threshold -31
 * ratio 1.5 knee 6 attack 10 release 116 makeup 2", or "comp band 1 ratio 1
 * makeup 0" for a band that does not compress (sm_adyn_comp_message),
 * without the locked parameters; -1 if ratio and threshold are locked.
 * The multiband rule is per band (assist_dynamics.h); p->ratio and
 * p->threshold_db summarise it (the rule's ratio, the lowest threshold). */
int sm_assistant_comp_band_message(const sm_assistant *a,
                                   const sm_assist_proposal *p, int k,
                                   char *buf, int size);
/* When no band compresses: "comp ratio 1 makeup 0" (every band neutral)
 * without the locked ratio; -1 if ratio and threshold are locked. */
int sm_assistant_comp_message(const sm_assistant *a,
                              const sm_assist_proposal *p, char *buf, int size);
/* "gain 3.2"; returns -1 if the gain is locked. */
int sm_assistant_gain_message(const sm_assistant *a,
                              const sm_assist_proposal *p, char *buf, int size);

#endif
