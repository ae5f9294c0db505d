/* truepeak.h - true-peak detector (ITU-R BS.1770-4 Annex 2).
 *
 * Each channel is upsampled by a polyphase windowed-sinc interpolator and the
 * largest absolute value of the interpolated signal is kept. The interpolator
 * is designed here rather than taken from the Annex (a Kaiser-windowed sinc,
 * every phase normalised to unity gain at DC). With the default 24 taps per
 * phase its passband is flat within 0.01 dB up to 0.40 fs (19.2 kHz at
 * 48 kHz), so a sine up to there reads its true peak within the worst-case
 * phase error of the oversampling factor, -20 log10 cos(pi f / (factor fs)):
 * 0.17 dB for fs/4 at 4x. Above 0.40 fs it reads low, by up to 1 dB at
 * 0.45 fs (20 kHz at 44.1 kHz): more taps buy flatness there.
 *
 * Usage:
 *   sm_truepeak tp;
 *   sm_truepeak_init(&tp, nch, samplerate, 0, 0);   // defaults (allocates)
 *   sm_truepeak_process(&tp, in, n);                // in perform: no
 * allocation tp.peak[c]                                      // linear, max
 * since reset sm_truepeak_reset(&tp);                         // clears peaks
 * and history sm_truepeak_free(&tp);
 */
#ifndef SM_TRUEPEAK_H
#define SM_TRUEPEAK_H

#define SM_TRUEPEAK_MAXCH 64
#define SM_TRUEPEAK_MAXFACTOR 16
#define SM_TRUEPEAK_MAXTAPS 128

typedef struct sm_truepeak {
    int nch;
    int factor;       /* oversampling factor: 2, 4, 8 or 16 */
    int taps;         /* taps per phase, a multiple of 4 */
    float *coef;      /* taps * factor: coef[k * factor + p] weights x[n - k] in
                         phase p */
    float *hist;      /* per channel, the last `taps` input samples */
    double delay;     /* of the interpolated signal, input samples */
    int isa;          /* kernel build: 0 plain, 1 AVX2/FMA, 2 AVX-512 */
    int kind;         /* mirror structure of the phases (truepeak.c) */
    int ident_tap;    /* tap of the phase that is the input itself */
    float *sym;       /* mirror kernel coefficients */
    float gain_bound; /* largest sum of |taps| of a phase */
    float peak[SM_TRUEPEAK_MAXCH]; /* largest |x| seen since reset, linear */
} sm_truepeak;

/* Oversampling factor the detector picks for a sample rate when given 0:
 * 4 below 88.2 kHz, 2 below 176.4 kHz, else 2 as well (BS.1770 asks for at
 * least 4x at 48 kHz; finer is allowed). */
int sm_truepeak_default_factor(double samplerate);

/* factor 0 and taps 0 choose defaults; taps must be a multiple of 4. Returns 0,
 * or -1 on bad arguments or allocation failure (the state is then empty and
 * process does nothing). */
int sm_truepeak_init(sm_truepeak *tp, int nch, double samplerate, int factor,
                     int taps);
/* A meter with the interpolating filter printed in BS.1770-4 Annex 2 (4x,
 * 48 taps). It ripples by about +-0.2 dB, so it is not our default; the
 * limiter keeps its output under the ceiling as this meter reads it too. */
int sm_truepeak_init_bs1770(sm_truepeak *tp, int nch);
void sm_truepeak_free(sm_truepeak *tp);

/* Clears history and peaks. */
void sm_truepeak_reset(sm_truepeak *tp);

/* Runs n frames of nch channels (in[c][i]) through the detector and raises
 * tp->peak[c]. Non-finite input samples are treated as 0. */
void sm_truepeak_process(sm_truepeak *tp, const float *const *in, int n);

/* As process, and also writes env[c][i]: the largest |value| of the
 * interpolated signal over the `factor` points of input step i (the
 * interval [i - delay, i - delay + 1) of the input). For limiters. */
void sm_truepeak_envelope(sm_truepeak *tp, const float *const *in,
                          float *const *env, int n);

/* As envelope, but a channel whose values cannot exceed `limit` in this
 * call (by a bound from its largest input sample) skips the filter: its
 * env holds that bound instead, and its peak is not raised. */
void sm_truepeak_envelope_above(sm_truepeak *tp, const float *const *in,
                                float *const *env, int n, float limit);

/* Delay of the interpolated signal behind the input, in input samples. */
double sm_truepeak_delay(const sm_truepeak *tp);

#endif
