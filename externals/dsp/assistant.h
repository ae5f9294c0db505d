/* assistant.h - the smart master's decision core: from long-term
 * measurements of a mix (31-band mid spectrum, integrated loudness, LRA,
 * PLR, true peak) and a delivery target, propose settings for the mastering
 * chain (broad EQ, gentle multiband ratio, input drive) with one sentence of
 * explanation each. Research notes smart-mastering.md §7.4/§7.5.
 *
 * Control (§7.5): effective amount of a module = global amount x module
 * amount. Every proposal is exactly linear in its effective amount: the
 * choice of which corrections to make, the clamps and the 0.5 dB dead zone
 * act on the measured deviations, never on the scaled gains, so amount 0 is
 * neutral (gains 0, ratio 1, drive 0) and the mapping is monotone.
 * Locked parameters (set by the user by hand) are never proposed.
 *
 * No signal processing, no allocation: plain C99, caller-owned state. */
#ifndef SM_ASSISTANT_H
#define SM_ASSISTANT_H

#define SM_ASSIST_BANDS 31   /* ISO 1/3-octave, 20 Hz .. 20 kHz */
#define SM_ASSIST_EQ_SLOTS 4 /* 1 low shelf, 2 high shelf, 3-4 bells */
#define SM_ASSIST_TEXT 256

/* Built-in target curve, PROVISIONAL: a straight slope of -3.5 dB per
 * octave through 0 dB at 1 kHz (1/3-octave band levels; pink noise would be
 * flat). A round number for "commercial masters fall off toward the highs",
 * not measured from a corpus; to be replaced by genre curves and curves
 * learned from the user's references (`curve` message). Only its shape
 * matters: the overall level difference is removed before comparing. */
#define SM_ASSIST_DEFAULT_SLOPE_DB_OCT (-3.5)

enum {
    SM_ASSIST_MOD_EQ,
    SM_ASSIST_MOD_MULTIBAND,
    SM_ASSIST_MOD_LOUDNESS,
    SM_ASSIST_MODULES
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
    SM_ASSIST_LOCKS
};

enum { SM_ASSIST_LOWSHELF, SM_ASSIST_HIGHSHELF, SM_ASSIST_BELL };

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
} sm_assistant;

typedef struct sm_assist_eq {
    int active; /* a correction is proposed */
    int locked;
    int type; /* SM_ASSIST_LOWSHELF/HIGHSHELF/BELL */
    double freq_hz, q, gain_db;
    double deviation_db; /* measured deviation from the target it corrects */
} sm_assist_eq;

typedef struct sm_assist_proposal {
    sm_assist_eq eq[SM_ASSIST_EQ_SLOTS];
    int comp_active; /* the LRA exceeds the target: ratio > 1 */
    double ratio, threshold_db;
    double drive_db;
    double predicted_lufs, predicted_tp_dbtp, predicted_plr_db;
    int limited;        /* predicted true peak above the ceiling */
    int unreachable;    /* predicted PLR below plr_min */
    double distance_db; /* spectral RMS distance to the curve, level-free */
    double amount_eq, amount_multiband, amount_loudness; /* effective */
    char explain_eq[SM_ASSIST_EQ_SLOTS][SM_ASSIST_TEXT];
    char explain_multiband[SM_ASSIST_TEXT];
    char explain_loudness[SM_ASSIST_TEXT];
    char explain_predicted[SM_ASSIST_TEXT];
} sm_assist_proposal;

/* Defaults: target -14 LUFS / -1 dBTP, LRA 8 LU, PLR min 8 dB, built-in
 * curve, amounts 1, no locks, no measurements. */
void sm_assistant_init(sm_assistant *a);
void sm_assistant_reset(sm_assistant *a); /* forgets the measurements */
void sm_assistant_free(sm_assistant *a);

/* Nominal centre of band b (exact IEC base-10 centres). */
double sm_assistant_centre_hz(int b);
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

/* Computes the proposal from the current state (pure function of it). */
void sm_assistant_propose(const sm_assistant *a, sm_assist_proposal *p);

/* The message for masterchain~'s inlet of EQ slot k (0-based):
 * "eq band 1 type lowshelf freq 120 q 0.7 gain -1.5 on 1", or
 * "eq band k on 0" when nothing is proposed. Returns 0, or -1 if the slot
 * is locked (no message). */
int sm_assistant_eq_message(const sm_assist_proposal *p, int k, char *buf,
                            int size);
/* "comp ratio 1.3 threshold -24" without the locked parameters; returns
 * -1 (no message) if both are locked. */
int sm_assistant_comp_message(const sm_assistant *a,
                              const sm_assist_proposal *p, char *buf, int size);
/* "gain 3.2"; returns -1 if the gain is locked. */
int sm_assistant_gain_message(const sm_assistant *a,
                              const sm_assist_proposal *p, char *buf, int size);

#endif
