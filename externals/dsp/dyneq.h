/* dyneq.h - multiband dynamic EQ: up to 8 bands of bell, shelf, pass or
 * notch filters in series, each static or dynamic, listening to its own
 * band, to the full input or to an external sidechain, on linked channels,
 * left, right, mid or side.
 *
 *   sm_dyneq q;
 *   sm_dyneq_init(&q, 2, 4, 48000);          // 2 channels, 4 bands
 *   sm_dyneq_set(&q, 0, SM_DYNEQ_FREQ, 6000); // band 1 (0-based)
 *   sm_dyneq_set(&q, 0, SM_DYNEQ_RATIO, 4);
 *   sm_dyneq_process(&q, in, sc, out, n);    // sc may be NULL
 *
 * Signal path of one band (bands run in series, band 1 first):
 *   filter: a matched SVF (svf.h) whose gain is the static gain plus the
 *     dynamic gain, so a band with ratio 1 is a plain EQ band;
 *   detector: the band's input is the object's input (or the sidechain), not
 *     the output of the bands before it, so bands do not interact. A bell
 *     listens through a 0 dB-peak band-pass at its frequency and Q, and its
 *     level is the band-pass's energy envelope bp^2 - lp * hp, which for a
 *     sine is exactly the squared amplitude with no ripple (the SVF's
 *     low-, band- and high-pass outputs are in quadrature); a low shelf
 *     listens through a low pass, a high shelf through a high pass at its
 *     frequency (peak of |x|); `full` and `extfull` take the unfiltered
 *     peak;
 *   control, every `tick` samples (about 1/3 ms): the largest level of the
 *     tick in dB, the static curve of dynamics.h (threshold, ratio, knee)
 *     turned into a gain change by the direction, clamped to +-range,
 *     smoothed by the attack/release detector of dynamics.h; when the
 *     dynamic gain has moved by more than SM_DYNEQ_STEP_DB, or a static
 *     parameter is gliding, the filter is redesigned and its coefficients
 *     glide linearly to the new ones over the next tick (the SVF takes
 *     per-sample changes without clicks). So no tan() or exp() runs per
 *     sample, and a steady band costs no design at all.
 * Directions: cutabove (downward compression of the band: de-essing),
 * boostbelow (upward compression), cutbelow (downward expansion), boostabove
 * (upward expansion). Compressing directions move the gain by (1 - 1/ratio)
 * dB per dB past the threshold, expanding ones by (ratio - 1).
 *
 * Changes of gain, frequency and Q glide over SM_GLIDE_MS; changes of type or
 * channels fade the band out and in again (SM_DYNEQ_FADE_MS); on, solo and
 * bypass cross-fade. No allocation: the state is one plain struct. Outputs
 * may alias inputs. Zero latency.
 */
#ifndef SM_DYNEQ_H
#define SM_DYNEQ_H

#include "dynamics.h"
#include "smooth.h"
#include "svf.h"

#define SM_DYNEQ_MAXBANDS 8
#define SM_DYNEQ_MAXCH 8
#define SM_DYNEQ_CHUNK 64
/* a change of the dynamic gain smaller than this keeps the coefficients */
#define SM_DYNEQ_STEP_DB 0.01
#define SM_DYNEQ_FADE_MS 10.0

typedef enum {
    SM_DYNEQ_CUTABOVE,
    SM_DYNEQ_BOOSTBELOW,
    SM_DYNEQ_CUTBELOW,
    SM_DYNEQ_BOOSTABOVE
} sm_dyneq_direction;

typedef enum {
    SM_DYNEQ_SC_BAND,   /* the input, through the band's detector filter */
    SM_DYNEQ_SC_FULL,   /* the input, unfiltered */
    SM_DYNEQ_SC_EXT,    /* the sidechain, through the detector filter */
    SM_DYNEQ_SC_EXTFULL /* the sidechain, unfiltered */
} sm_dyneq_sidechain;

typedef enum {
    SM_DYNEQ_LINKED, /* every channel, one gain */
    SM_DYNEQ_LEFT,   /* channel 1 */
    SM_DYNEQ_RIGHT,  /* channel 2 */
    SM_DYNEQ_MID,    /* (1 + 2) / 2 */
    SM_DYNEQ_SIDE    /* (1 - 2) / 2 */
} sm_dyneq_channels;

typedef enum {
    SM_DYNEQ_TYPE, /* sm_svf_type */
    SM_DYNEQ_FREQ, /* Hz */
    SM_DYNEQ_Q,
    SM_DYNEQ_GAIN,      /* static gain, dB */
    SM_DYNEQ_THRESHOLD, /* dB */
    SM_DYNEQ_RATIO,
    SM_DYNEQ_KNEE,    /* dB */
    SM_DYNEQ_RANGE,   /* largest dynamic gain change, dB */
    SM_DYNEQ_ATTACK,  /* ms */
    SM_DYNEQ_RELEASE, /* ms */
    SM_DYNEQ_DIRECTION,
    SM_DYNEQ_SIDECHAIN,
    SM_DYNEQ_CHANNELS,
    SM_DYNEQ_ON,
    SM_DYNEQ_SOLO,
    SM_DYNEQ_NPARAMS
} sm_dyneq_param;

typedef struct sm_dyneq_band {
    double p[SM_DYNEQ_NPARAMS]; /* as set */
    /* what runs now: type and channels change only while faded out */
    sm_svf_type type;
    int channels;
    /* static parameters as they glide (log2 Hz, log2 Q, dB), per tick */
    sm_ramp freq, q, gain;
    sm_svf_design design;
    /* audio filter: coefficients now, their per-sample step and the
     * coefficients they are heading for */
    sm_svf_coefs cur, step, next;
    int gliding; /* samples of coefficient glide left */
    sm_svf_state st[SM_DYNEQ_MAXCH];
    /* detector */
    sm_svf_run det;
    double det_k;
    sm_svf_state dst[SM_DYNEQ_MAXCH];
    double peak2; /* largest detector energy this tick */
    sm_ballistics ball;
    double dyn_db;      /* dynamic gain now */
    double designed_db; /* dynamic gain the coefficients were made for */
    int sign;           /* -1 cutting directions, +1 boosting ones */
    /* cross-fades, per sample: band in/out, solo */
    sm_ramp wet, solo;
    int busy;  /* 0: the band is the identity and costs nothing */
    int dirty; /* frequency, Q or gain changed: redesign at the next tick */
} sm_dyneq_band;

typedef struct sm_dyneq {
    int nch, nbands;
    double samplerate;
    int tick, tick_left; /* control period in samples */
    int started;         /* parameter changes glide once audio ran */
    sm_dyneq_band band[SM_DYNEQ_MAXBANDS];
    sm_ramp bypass, solo; /* per sample: 1 = bypassed / soloed */
    float dry[SM_DYNEQ_MAXCH][SM_DYNEQ_CHUNK];
    float work[SM_DYNEQ_MAXCH][SM_DYNEQ_CHUNK];
    float listen[SM_DYNEQ_MAXCH][SM_DYNEQ_CHUNK];
    float sc[SM_DYNEQ_CHUNK];
} sm_dyneq;

/* nch 1..SM_DYNEQ_MAXCH, nbands 1..SM_DYNEQ_MAXBANDS (clamped); every band
 * a static bell at 0 dB (the identity), frequencies spread over the range. */
void sm_dyneq_init(sm_dyneq *q, int nch, int nbands, double samplerate);

/* A new sample rate: designs, time constants and tick length follow, the
 * parameters stay, the DSP memory is cleared. */
void sm_dyneq_set_samplerate(sm_dyneq *q, double samplerate);

/* Sets a band parameter (band 0-based; values are clamped to what the core
 * can run but not range-checked: that is the caller's job). */
void sm_dyneq_set(sm_dyneq *q, int band, sm_dyneq_param p, double v);
double sm_dyneq_get(const sm_dyneq *q, int band, sm_dyneq_param p);

void sm_dyneq_set_bypass(sm_dyneq *q, int on);

/* Zeroes filter and detector memory; dynamic gains return to 0. */
void sm_dyneq_clear(sm_dyneq *q);

/* in[nch], out[nch]; sc: the sidechain (NULL: silence). */
void sm_dyneq_process(sm_dyneq *q, const float *const *in, const float *sc,
                      float *const *out, int n);

/* Dynamic gain of a band now, dB (negative: cut). */
double sm_dyneq_gain_db(const sm_dyneq *q, int band);

/* Magnitude response of the bands that are on, with their gains now, dB. */
double sm_dyneq_response_db(const sm_dyneq *q, double freq_hz);

/* Nothing is allocated; for symmetry with the other cores. */
void sm_dyneq_free(sm_dyneq *q);

#endif
