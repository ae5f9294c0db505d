/* crossover.h - Linkwitz-Riley 4th-order crossover tree, 1 to 6 bands, whose
 * bands sum to an allpass (flat magnitude) for any crossover frequencies.
 *
 * Each split is LR4: low = LP2(LP2(u)) with Butterworth LP2 (Q = 1/sqrt 2),
 * high = AP2(u) - low, where AP2 is the 2nd-order allpass at the same
 * frequency and Q. Since LP4 + HP4 = AP2 (Linkwitz 1976), this high band is
 * exactly HP4, and the two outputs of a split add up to AP2(u) by
 * construction, even while the frequency moves. Every band then passes
 * through the allpass of each split that is not on its way from the root
 * (compensation, placed as near the root as possible), so the sum of all
 * bands is AP2(f1) AP2(f2) ... AP2(f_{B-1}) x: flat magnitude, and phase
 * equal to that cascade.
 *
 * The filters are trapezoidal state-variable filters (Simper/Zavalishin):
 * the same transfer functions as the bilinear-transformed analog prototypes
 * prewarped at the crossover frequency (i.e. the RBJ cookbook LPF and APF
 * with Q = 1/sqrt 2), with state in double, well-behaved at low frequencies
 * and under coefficient modulation. A moved crossover glides in log
 * frequency over SM_XOVER_GLIDE_MS; all filters of that crossover follow
 * the same per-sample coefficient path, so the sum stays an allpass cascade
 * while it moves.
 *
 * Buffers are interleaved: sample i of channel c at [i * stride + c], with
 * stride = sm_xover_stride(nch) (nch rounded up to even, so that channel
 * pairs fill SIMD registers). */
#ifndef SM_CROSSOVER_H
#define SM_CROSSOVER_H

#define SM_XOVER_MAXBANDS 6
#define SM_XOVER_MAXCH 8
#define SM_XOVER_GLIDE_MS 100.0
/* Crossovers are clamped to [SM_XOVER_MIN_HZ, SM_XOVER_MAX_FS * fs]. */
#define SM_XOVER_MIN_HZ 10.0
#define SM_XOVER_MAX_FS 0.45

#define SM_XOVER_MAXSVF 16 /* 6 bands: 5 splits of 2 filters + 6 allpasses */
#define SM_XOVER_SUB 64    /* coefficient buffers, samples */

typedef struct sm_xover {
    int nch, stride, nbands;
    int since_flush; /* samples since denormals were last flushed */
    double samplerate;
    double hz[SM_XOVER_MAXBANDS - 1]; /* requested frequencies */
    double lf[SM_XOVER_MAXBANDS - 1]; /* log2 of the effective frequency now */
    double lf_to[SM_XOVER_MAXBANDS - 1];
    int left[SM_XOVER_MAXBANDS - 1];    /* glide samples left */
    double g[SM_XOVER_MAXBANDS - 1];    /* tan(pi f / fs) now */
    double c[SM_XOVER_MAXBANDS - 1][3]; /* static coefficients a1 a2 a3 */
    double state[SM_XOVER_MAXSVF][2][SM_XOVER_MAXCH];
    /* per-sample coefficients of gliding crossovers, one sub-block */
    double cbuf[SM_XOVER_MAXBANDS - 1][3][SM_XOVER_SUB];
} sm_xover;

static inline int sm_xover_stride(int nch)
{
    return (nch + 1) & ~1;
}

/* nch 1..SM_XOVER_MAXCH, nbands 1..SM_XOVER_MAXBANDS; frequencies start at
 * a default spread and are set with sm_xover_set_freq. Returns 0, or -1 for
 * bad arguments. */
int sm_xover_init(sm_xover *x, int nch, int nbands, double samplerate);

/* Crossover i (0-based, below band i + 1) to hz. glide 0 jumps (use before
 * audio starts), 1 glides over SM_XOVER_GLIDE_MS. */
void sm_xover_set_freq(sm_xover *x, int i, double hz, int glide);

/* New sample rate: coefficients recomputed, glides finished, state kept. */
void sm_xover_set_samplerate(sm_xover *x, double samplerate);

/* The frequency crossover i has now (after clamping, during a glide the
 * current point). */
double sm_xover_freq_now(const sm_xover *x, int i);

/* Maps the filter memory of every channel pair (0,1), (2,3)... through
 * the matrix [a b; c d], for a linear change of the input's domain (L/R to
 * M/S and back): the bands then continue exactly as if the filters had
 * always run on the new signals. */
void sm_xover_mix_pairs(sm_xover *x, double a, double b, double c, double d);

/* Zero the filter memory. */
void sm_xover_reset(sm_xover *x);

/* Splits n samples of `in` (interleaved, finite) into bands[0..nbands-1]
 * (interleaved, n * stride each). bands[0] may be `in`. */
void sm_xover_process(sm_xover *x, const double *in, double *const *bands,
                      int n);

/* Default crossover frequencies for a band count (nbands - 1 values). */
void sm_xover_defaults(int nbands, double *hz);

#endif
