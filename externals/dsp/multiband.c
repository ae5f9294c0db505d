/* multiband.c - multiband compressor engine. See multiband.h. */
#include "multiband.h"
#include "numerics.h"

#include <stdlib.h>
#include <string.h>

/* Glide length; before the first samples, settings apply at once. */
static int glide_samples(const sm_mbcomp *m, double ms)
{
    return m->running ? sm_ms_to_samples(ms, m->samplerate) : 0;
}

/* Advances a ramp by n samples at once (it moves linearly). */
static void ramp_skip(sm_ramp *r, int n)
{
    if (r->left <= 0)
        return;
    if (n >= r->left) {
        r->value = r->target;
        r->left = 0;
    } else {
        r->value += r->step * (float)n;
        r->left -= n;
    }
}

static void update_on(sm_mbcomp *m)
{
    int any = 0;
    for (int k = 0; k < m->nbands; k++)
        any |= m->solo[k];
    int n = glide_samples(m, SM_GLIDE_MS);
    for (int k = 0; k < m->nbands; k++) {
        float on = (float)((any ? m->solo[k] : 1) && !m->mute[k]);
        if (on != m->on[k].target)
            sm_ramp_set(&m->on[k], on, n);
    }
}

int sm_mbcomp_init(sm_mbcomp *m, int nch, int nbands, int has_key,
                   double samplerate)
{
    if (nch < 1 || nch > SM_XOVER_MAXCH || nbands < 1 ||
        nbands > SM_XOVER_MAXBANDS || !(samplerate > 0))
        return -1;
    memset(m, 0, sizeof *m);
    m->nch = nch;
    m->stride = sm_xover_stride(nch);
    m->nbands = nbands;
    m->has_key = has_key != 0;
    m->use_key = m->has_key;
    m->samplerate = samplerate;
    m->mix = 1.0;
    if (sm_xover_init(&m->xo, nch, nbands, samplerate) ||
        sm_xover_init(&m->xo_key, nch, nbands, samplerate))
        return -1;
    int nbuf = 4 + nbands * (m->has_key ? 2 : 1);
    size_t len = (size_t)SM_MB_CHUNK * m->stride;
    m->mem = calloc((size_t)nbuf * len, sizeof(double));
    if (!m->mem)
        return -1;
    double *p = m->mem;
    m->inbuf = p, p += len;
    m->drybuf = p, p += len;
    m->gain = p, p += len;
    m->acc = p, p += len;
    for (int k = 0; k < nbands; k++) {
        m->band[k] = p, p += len;
        if (m->has_key)
            m->keyband[k] = p, p += len;
        else
            m->keyband[k] = m->band[k];
        sm_comp_init(&m->comp[k], nch, samplerate);
        sm_ramp_init(&m->on[k], 1.0f);
        sm_ramp_init(&m->active[k], 1.0f);
        sm_ramp_init(&m->makeup[k], 1.0f);
    }
    sm_ramp_init(&m->wet_mix, 1.0f);
    sm_ramp_init(&m->mode_fade, 1.0f);
    sm_ramp_init(&m->dry, 0.0f);
    return 0;
}

void sm_mbcomp_free(sm_mbcomp *m)
{
    free(m->mem);
    m->mem = NULL;
}

void sm_mbcomp_set_samplerate(sm_mbcomp *m, double samplerate)
{
    if (!(samplerate > 0) || samplerate == m->samplerate)
        return;
    m->samplerate = samplerate;
    sm_xover_set_samplerate(&m->xo, samplerate);
    sm_xover_set_samplerate(&m->xo_key, samplerate);
    for (int k = 0; k < m->nbands; k++)
        sm_comp_set_samplerate(&m->comp[k], samplerate);
}

void sm_mbcomp_set_xover(sm_mbcomp *m, int i, double hz, int glide)
{
    sm_xover_set_freq(&m->xo, i, hz, glide);
    sm_xover_set_freq(&m->xo_key, i, hz, glide);
}

void sm_mbcomp_set_solo(sm_mbcomp *m, int k, int on)
{
    m->solo[k] = on != 0;
    update_on(m);
}

void sm_mbcomp_set_mute(sm_mbcomp *m, int k, int on)
{
    m->mute[k] = on != 0;
    update_on(m);
}

void sm_mbcomp_set_band_bypass(sm_mbcomp *m, int k, int on)
{
    m->bypass[k] = on != 0;
    sm_ramp_set(&m->active[k], on ? 0.0f : 1.0f, glide_samples(m, SM_GLIDE_MS));
}

void sm_mbcomp_set_mix(sm_mbcomp *m, double mix)
{
    m->mix = sm_clamp(mix, 0.0, 1.0);
    sm_ramp_set(&m->wet_mix, (float)m->mix, glide_samples(m, SM_GLIDE_MS));
}

void sm_mbcomp_set_link(sm_mbcomp *m, double link)
{
    for (int k = 0; k < SM_XOVER_MAXBANDS; k++)
        sm_comp_set_link(&m->comp[k], link);
}

static void switch_mode(sm_mbcomp *m);

void sm_mbcomp_set_ms(sm_mbcomp *m, int on)
{
    m->ms_want = on != 0;
    if (!m->running) {
        if (m->ms != m->ms_want)
            switch_mode(m);
        return;
    }
    /* fade the compression out, switch, fade it in; back to the mode in
     * use before the switch: fade in again */
    sm_ramp_set(&m->mode_fade, m->ms_want != m->ms ? 0.0f : 1.0f,
                glide_samples(m, SM_MB_MODE_FADE_MS));
}

void sm_mbcomp_set_use_key(sm_mbcomp *m, int on)
{
    m->use_key = m->has_key && on;
}

void sm_mbcomp_set_bypass(sm_mbcomp *m, int on)
{
    m->bypass_all = on != 0;
    sm_ramp_set(&m->dry, on ? 1.0f : 0.0f, glide_samples(m, SM_GLIDE_MS));
}

void sm_mbcomp_meters(sm_mbcomp *m, double *level_db, double *gr_db)
{
    for (int k = 0; k < m->nbands; k++) {
        sm_comp_meters(&m->comp[k], &level_db[k], &gr_db[k]);
        if (m->bypass[k])
            gr_db[k] = 0.0;
    }
}

void sm_mbcomp_clear(sm_mbcomp *m)
{
    sm_xover_reset(&m->xo);
    sm_xover_reset(&m->xo_key);
    for (int k = 0; k < m->nbands; k++)
        sm_comp_reset(&m->comp[k]);
}

/* --------------------------------------------------------------- process */

/* Input of one piece: sanitised, interleaved, encoded to M/S if needed. */
static void read_input(const sm_mbcomp *m, const float *const *in, int off,
                       double *buf, int n)
{
    const int S = m->stride, nch = m->nch;
    for (int c = 0; c < nch; c++) {
        const float *x = in[c] + off;
        for (int i = 0; i < n; i++)
            buf[i * S + c] = sm_sanitize(x[i]);
    }
    if (nch < S)
        for (int i = 0; i < n; i++)
            buf[i * S + nch] = 0.0;
}

/* L/R <-> M/S on channel pairs: M = (L + R) / 2, S = (L - R) / 2 and back
 * L = M + S, R = M - S. */
static void encode_ms(const sm_mbcomp *m, const double *src, double *dst, int n)
{
    const int S = m->stride;
    for (int i = 0; i < n; i++)
        for (int c = 0; c + 1 < m->nch; c += 2) {
            double l = src[i * S + c], r = src[i * S + c + 1];
            dst[i * S + c] = 0.5 * (l + r);
            dst[i * S + c + 1] = 0.5 * (l - r);
        }
}

static void decode_ms(const sm_mbcomp *m, double *buf, int n)
{
    const int S = m->stride;
    for (int i = 0; i < n; i++)
        for (int c = 0; c + 1 < m->nch; c += 2) {
            double a = buf[i * S + c], b = buf[i * S + c + 1];
            buf[i * S + c] = a + b;
            buf[i * S + c + 1] = a - b;
        }
}

/* Mode switch at the bottom of the fade: the filters' memory is mapped into
 * the new domain, so the band signals continue exactly. */
static void switch_mode(sm_mbcomp *m)
{
    if (m->ms_want)
        sm_xover_mix_pairs(&m->xo, 0.5, 0.5, 0.5, -0.5);
    else
        sm_xover_mix_pairs(&m->xo, 1.0, 1.0, 1.0, -1.0);
    if (m->ms_want)
        sm_xover_mix_pairs(&m->xo_key, 0.5, 0.5, 0.5, -0.5);
    else
        sm_xover_mix_pairs(&m->xo_key, 1.0, 1.0, 1.0, -1.0);
    m->ms = m->ms_want;
    sm_ramp_set(&m->mode_fade, 1.0f, glide_samples(m, SM_MB_MODE_FADE_MS));
}

/* The band weights a + b g at the current glide values. */
static void weights(sm_mbcomp *m, int k, double *a, double *b)
{
    double mix = m->wet_mix.value * m->mode_fade.value;
    double act = m->active[k].value, on = m->on[k].value;
    *a = on * (1.0 - mix * act);
    *b = on * mix * act * m->makeup[k].value;
}

/* acc += band * (a + b g), a and b moving linearly over the piece. */
static void apply_band(const sm_mbcomp *m, const double *band, const double *g,
                       double a0, double a1, double b0, double b1, int n)
{
    const int S = m->stride;
    double *acc = m->acc;
    if (a0 == a1 && b0 == b1) {
        for (int i = 0; i < n * S; i++)
            acc[i] += band[i] * (a0 + b0 * g[i]);
        return;
    }
    double da = (a1 - a0) / n, db = (b1 - b0) / n;
    for (int i = 0; i < n; i++) {
        double a = a0 + da * (i + 1), b = b0 + db * (i + 1);
        for (int c = 0; c < S; c++)
            acc[i * S + c] += band[i * S + c] * (a + b * g[i * S + c]);
    }
}

static void process_piece(sm_mbcomp *m, const float *const *in,
                          const float *const *key, float *const *out, int off,
                          int n)
{
    const int S = m->stride, nch = m->nch;
    /* input: dry copy kept for the global bypass */
    read_input(m, in, off, m->drybuf, n);
    if (m->ms)
        encode_ms(m, m->drybuf, m->band[0], n);
    else
        memcpy(m->band[0], m->drybuf, sizeof(double) * n * S);
    if (m->ms && nch % 2) /* the odd last channel is not encoded */
        for (int i = 0; i < n; i++)
            m->band[0][i * S + nch - 1] = m->drybuf[i * S + nch - 1];
    sm_xover_process(&m->xo, m->band[0], m->band, n);
    int keyed = m->use_key && key;
    if (keyed) {
        read_input(m, key, off, m->inbuf, n);
        if (m->ms)
            encode_ms(m, m->inbuf, m->inbuf, n);
        sm_xover_process(&m->xo_key, m->inbuf, m->keyband, n);
    }
    /* make-up targets follow the band settings */
    for (int k = 0; k < m->nbands; k++) {
        double db = sm_comp_makeup_db(&m->comp[k]);
        if (db != m->makeup_db[k]) {
            m->makeup_db[k] = db;
            sm_ramp_set(&m->makeup[k], (float)sm_db_to_amp(db),
                        glide_samples(m, SM_GLIDE_MS));
        }
    }
    /* bands: gains, weights, sum */
    memset(m->acc, 0, sizeof(double) * n * S);
    double a0[SM_XOVER_MAXBANDS], b0[SM_XOVER_MAXBANDS];
    for (int k = 0; k < m->nbands; k++)
        weights(m, k, &a0[k], &b0[k]);
    for (int k = 0; k < m->nbands; k++) {
        ramp_skip(&m->on[k], n);
        ramp_skip(&m->active[k], n);
        ramp_skip(&m->makeup[k], n);
    }
    ramp_skip(&m->wet_mix, n);
    ramp_skip(&m->mode_fade, n);
    for (int k = 0; k < m->nbands; k++) {
        double a1, b1;
        weights(m, k, &a1, &b1);
        sm_comp_gains(&m->comp[k], keyed ? m->keyband[k] : m->band[k], S,
                      m->gain, n);
        apply_band(m, m->band[k], m->gain, a0[k], a1, b0[k], b1, n);
    }
    if (m->ms) {
        decode_ms(m, m->acc, n);
    }
    /* output, with the global bypass crossfade */
    float d0 = m->dry.value;
    ramp_skip(&m->dry, n);
    float d1 = m->dry.value;
    for (int c = 0; c < nch; c++) {
        float *y = out[c] + off;
        const double *p = m->acc + c, *q = m->drybuf + c;
        if (d0 == 0.0f && d1 == 0.0f)
            for (int i = 0; i < n; i++)
                y[i] = (float)p[i * S];
        else {
            double dd = (double)(d1 - d0) / n;
            for (int i = 0; i < n; i++) { /* exactly the input at d = 1 */
                double d = d0 + dd * (i + 1);
                y[i] = (float)((1.0 - d) * p[i * S] + d * q[i * S]);
            }
        }
    }
    /* a mode change waits for the compression to be faded out */
    if (m->ms != m->ms_want && m->mode_fade.value == 0.0f &&
        !sm_ramp_active(&m->mode_fade))
        switch_mode(m);
}

void sm_mbcomp_process(sm_mbcomp *m, const float *const *in,
                       const float *const *key, float *const *out, int n)
{
    /* Pd may give an outlet the buffer of an inlet: each piece is read in
     * full before any of it is written, so aliasing is harmless. */
    m->running = 1;
    for (int off = 0; off < n; off += SM_MB_CHUNK) {
        int len = n - off < SM_MB_CHUNK ? n - off : SM_MB_CHUNK;
        process_piece(m, in, key, out, off, len);
    }
}
