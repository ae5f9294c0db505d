/* multiband.h - the multiband compressor behind mbcomp~: a Linkwitz-Riley
 * crossover tree (crossover.h) and one compressor per band (compressor.h),
 * with L/R or M/S processing, an optional external key (sidechain) split by
 * the same crossovers, parallel mix, solo/mute/bypass per band and a global
 * bypass. With one band there is no crossover: it is the mixing compressor.
 *
 * Per band k and sample (all factors glide over SM_GLIDE_MS):
 *   out_k = band_k * on_k * (1 - mix + mix * wet_k)
 *   wet_k = 1 - active_k + active_k * makeup_k * g_k
 * where g_k is the band compressor's gain, on_k is 0 for muted bands (and
 * for the others while any band is soloed), active_k is 0 for bypassed
 * bands. The dry part of the mix is the band itself, so every setting with
 * no gain change (ratio 1, bypassed bands, mix 0) gives exactly the
 * crossover's allpass sum: parallel compression cannot comb-filter. The
 * global bypass crossfades to the untouched input. A change of mode (L/R,
 * M/S) fades the compression out, maps the filter memory to the new domain
 * (so the bands continue without a step) and fades it back in.
 *
 * Zero latency. No allocation in process; any block size (processed in
 * pieces of SM_MB_CHUNK samples). */
#ifndef SM_MULTIBAND_H
#define SM_MULTIBAND_H

#include "compressor.h"
#include "crossover.h"
#include "smooth.h"

#define SM_MB_CHUNK 64
#define SM_MB_MODE_FADE_MS 10.0

typedef struct sm_mbcomp {
    int nch, stride, nbands, has_key;
    double samplerate;
    sm_xover xo, xo_key;
    sm_comp comp[SM_XOVER_MAXBANDS];
    int solo[SM_XOVER_MAXBANDS], mute[SM_XOVER_MAXBANDS];
    int bypass[SM_XOVER_MAXBANDS];
    double makeup_db[SM_XOVER_MAXBANDS]; /* the glides' current targets */
    int ms, ms_want, use_key, bypass_all;
    int running; /* process has run: settings glide from now on */
    double mix;
    /* glides */
    sm_ramp on[SM_XOVER_MAXBANDS], active[SM_XOVER_MAXBANDS];
    sm_ramp makeup[SM_XOVER_MAXBANDS], wet_mix, mode_fade, dry;
    /* meters */
    double gr_keep[SM_XOVER_MAXBANDS];
    /* work buffers, SM_MB_CHUNK * stride doubles each */
    double *mem, *inbuf, *drybuf, *gain, *acc;
    double *band[SM_XOVER_MAXBANDS], *keyband[SM_XOVER_MAXBANDS];
} sm_mbcomp;

/* nch 1..SM_XOVER_MAXCH, nbands 1..SM_XOVER_MAXBANDS, has_key: a detector
 * input per channel exists. Allocates; returns 0, or -1 (bad arguments or
 * out of memory, nothing to free). Parameters start at the defaults of
 * sm_comp_init and crossover.h, mix 1, L/R, no bypass. */
int sm_mbcomp_init(sm_mbcomp *m, int nch, int nbands, int has_key,
                   double samplerate);
void sm_mbcomp_free(sm_mbcomp *m);

/* Coefficients recomputed; state kept. */
void sm_mbcomp_set_samplerate(sm_mbcomp *m, double samplerate);

/* The compressor of band k (0-based): set its parameters directly. */
static inline sm_comp *sm_mbcomp_band(sm_mbcomp *m, int k)
{
    return &m->comp[k];
}

/* Crossover i (0-based) to hz; glide 0 jumps (before audio), 1 glides. */
void sm_mbcomp_set_xover(sm_mbcomp *m, int i, double hz, int glide);
void sm_mbcomp_set_solo(sm_mbcomp *m, int k, int on);
void sm_mbcomp_set_mute(sm_mbcomp *m, int k, int on);
void sm_mbcomp_set_band_bypass(sm_mbcomp *m, int k, int on);
void sm_mbcomp_set_mix(sm_mbcomp *m, double mix);   /* 0..1 */
void sm_mbcomp_set_link(sm_mbcomp *m, double link); /* 0..1, every band */
void sm_mbcomp_set_ms(sm_mbcomp *m, int on);
void sm_mbcomp_set_use_key(sm_mbcomp *m, int on); /* needs has_key */
void sm_mbcomp_set_bypass(sm_mbcomp *m, int on);

/* n samples of nch channels; key is NULL or nch detector inputs (used when
 * has_key and use_key). out may alias in or key. */
void sm_mbcomp_process(sm_mbcomp *m, const float *const *in,
                       const float *const *key, float *const *out, int n);

/* Per band since the last call: detector level (dB) and the largest gain
 * change (dB; 0 for bypassed bands). */
void sm_mbcomp_meters(sm_mbcomp *m, double *level_db, double *gr_db);

/* Zero all DSP memory (filters, detectors). */
void sm_mbcomp_clear(sm_mbcomp *m);

#endif
