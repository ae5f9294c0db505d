/* bandstats.c - per-band short-term level distributions. See bandstats.h. */
#include "bandstats.h"
#include "ltas.h"
#include "numerics.h"

#include <stdlib.h>
#include <string.h>

static uint32_t *cum_row(const sm_bandstats *s, int c, int b)
{
    return s->cum + ((size_t)c * s->nbands + b) * s->nbins;
}

int sm_bandstats_init(sm_bandstats *s, int nbands, const int *window)
{
    memset(s, 0, sizeof *s);
    if (nbands < 1 || nbands > SM_BANDSTATS_MAXBANDS || !window)
        return -1;
    s->nbands = nbands;
    s->nbins = SM_BANDSTATS_NBINS;
    /* key bins: silence, then [-70, KEY_TOP) in 0.25 dB, then one open bin;
     * a class holds a whole number of key bins */
    int inside = (int)((SM_BANDSTATS_KEY_TOP - SM_LTAS_ABS_GATE) /
                           SM_BANDSTATS_KEY_BIN_DB +
                       0.5);
    s->keys_per_class =
        (int)(SM_BANDSTATS_CLASS_DB / SM_BANDSTATS_KEY_BIN_DB + 0.5);
    s->nkeys = 2 + inside;
    s->nclasses = 2 + (inside + s->keys_per_class - 1) / s->keys_per_class;
    s->maxwindow = 1;
    for (int b = 0; b < nbands; b++) {
        int w = window[b];
        w = w < 1 ? 1
                  : (w > SM_BANDSTATS_MAXWINDOW ? SM_BANDSTATS_MAXWINDOW : w);
        s->window[b] = w;
        if (w > s->maxwindow)
            s->maxwindow = w;
    }
    size_t ring = (size_t)nbands * (size_t)s->maxwindow;
    s->ring_p = calloc(ring, sizeof(double));
    s->ring_e = calloc(ring, sizeof(double));
    s->cum = calloc((size_t)s->nclasses * nbands * s->nbins, sizeof(uint32_t));
    s->keys = calloc((size_t)nbands * s->nkeys, sizeof(uint32_t));
    if (!s->ring_p || !s->ring_e || !s->cum || !s->keys) {
        sm_bandstats_free(s);
        return -1;
    }
    return 0;
}

void sm_bandstats_free(sm_bandstats *s)
{
    free(s->ring_p);
    free(s->ring_e);
    free(s->cum);
    free(s->keys);
    memset(s, 0, sizeof *s);
}

void sm_bandstats_reset(sm_bandstats *s)
{
    if (!s->cum)
        return;
    memset(s->cum, 0,
           sizeof(uint32_t) * (size_t)s->nclasses * s->nbands * s->nbins);
    memset(s->keys, 0, sizeof(uint32_t) * (size_t)s->nbands * s->nkeys);
    memset(s->total, 0, sizeof s->total);
    memset(s->fill, 0, sizeof s->fill);
    memset(s->pos, 0, sizeof s->pos);
    memset(s->fresh, 0, sizeof s->fresh);
    memset(s->sum, 0, sizeof s->sum);
}

/* Key bin of a gate energy: 0 at or below the absolute gate, then 0.25 dB
 * bins as in ltas.c, the last one open upwards. */
static int key_bin(const sm_bandstats *s, double energy)
{
    if (!(energy > 0.0) || energy > 1e300)
        return 0;
    double lufs = SM_LTAS_LUFS_OFFSET + 10.0 * log10(energy);
    if (!(lufs > SM_LTAS_ABS_GATE))
        return 0;
    double k = 1.0 + (lufs - SM_LTAS_ABS_GATE) / SM_BANDSTATS_KEY_BIN_DB;
    return k >= s->nkeys - 1 ? s->nkeys - 1 : (int)k;
}

static int class_of(const sm_bandstats *s, int key)
{
    if (key == 0)
        return 0;
    if (key == s->nkeys - 1)
        return s->nclasses - 1;
    return 1 + (key - 1) / s->keys_per_class;
}

/* Level bin: 0 for the floor, then 0.25 dB bins, the last one open. */
static int level_bin(const sm_bandstats *s, double power)
{
    double db = sm_power_to_db(power);
    if (db <= SM_FLOOR_DB)
        return 0;
    double j = 1.0 + (db - SM_FLOOR_DB) / SM_BANDSTATS_BIN_DB;
    return j >= s->nbins - 1 ? s->nbins - 1 : (int)j;
}

/* Pushes a frame into band b's window; returns 1 with the short-term power
 * and the middle key once the window is full. */
static int smooth(sm_bandstats *s, int b, double p, double e, double *power,
                  double *energy)
{
    int w = s->window[b];
    double *rp = s->ring_p + (size_t)b * s->maxwindow;
    double *re = s->ring_e + (size_t)b * s->maxwindow;
    int i = s->pos[b];
    if (s->fill[b] == w)
        s->sum[b] -= rp[i];
    else
        s->fill[b]++;
    rp[i] = p;
    re[i] = e;
    s->sum[b] += p;
    s->pos[b] = i + 1 == w ? 0 : i + 1;
    /* rebuild the running sum once per window: a loud frame leaving it
     * must not leave rounding residue under a quiet passage */
    if (++s->fresh[b] >= w) {
        double sum = 0.0;
        for (int k = 0; k < s->fill[b]; k++)
            sum += rp[k];
        s->sum[b] = sum;
        s->fresh[b] = 0;
    }
    if (s->fill[b] < w)
        return 0;
    int oldest = s->pos[b];
    int m0 = (oldest + (w - 1) / 2) % w, m1 = (oldest + w / 2) % w;
    double sum = s->sum[b];
    *power = sum > 0.0 ? sum / w : 0.0;
    *energy = 0.5 * (re[m0] + re[m1]);
    return 1;
}

void sm_bandstats_add(sm_bandstats *s, int lo, int hi, const double *power,
                      int stride, double energy)
{
    if (!s->cum)
        return;
    if (!(energy >= 0.0) || energy > 1e300) /* NaN or absurd: silence */
        energy = 0.0;
    lo = lo < 0 ? 0 : lo;
    hi = hi > s->nbands ? s->nbands : hi;
    for (int b = lo; b < hi; b++) {
        double p = power[(size_t)b * stride], st, e;
        if (!(p >= 0.0) || p > 1e300)
            p = 0.0;
        if (!smooth(s, b, p, energy, &st, &e) || s->total[b] == UINT32_MAX)
            continue;
        int j = level_bin(s, st), k = key_bin(s, e), c = class_of(s, k);
        for (int cc = 0; cc <= c; cc++)
            cum_row(s, cc, b)[j]++;
        s->keys[(size_t)b * s->nkeys + k]++;
        s->total[b]++;
    }
}

/* First key bin whose centre lies above the threshold (the ltas rule);
 * nkeys when none does. */
static int first_key_above(const sm_bandstats *s, double thr)
{
    if (!(thr > SM_LTAS_ABS_GATE)) /* also NaN */
        return 1;
    double k = floor((thr - SM_LTAS_ABS_GATE) / SM_BANDSTATS_KEY_BIN_DB + 0.5);
    if (k + 1.0 < s->nkeys - 1)
        return (int)k + 1;
    /* the open bin stands at its lower edge plus half a bin */
    double top = SM_BANDSTATS_KEY_TOP + 0.5 * SM_BANDSTATS_KEY_BIN_DB;
    return top > thr ? s->nkeys - 1 : s->nkeys;
}

/* Band b's histogram of counted levels into h (nbins); returns the total. */
static double gated_histogram(const sm_bandstats *s, int b, int gated,
                              double thr, double *h)
{
    int c = 0;
    double share = 1.0;
    if (gated) {
        int k0 = first_key_above(s, thr);
        if (k0 >= s->nkeys) {
            memset(h, 0, sizeof(double) * (size_t)s->nbins);
            return 0.0;
        }
        /* the share of class c's levels whose keys pass */
        c = class_of(s, k0);
        const uint32_t *keys = s->keys + (size_t)b * s->nkeys;
        double in = 0.0, above = 0.0;
        for (int k = 1; k < s->nkeys; k++)
            if (class_of(s, k) == c) {
                in += keys[k];
                above += k >= k0 ? keys[k] : 0.0;
            }
        share = in > 0.0 ? above / in : 0.0;
    }
    const uint32_t *at = cum_row(s, c, b);
    const uint32_t *up = c + 1 < s->nclasses ? cum_row(s, c + 1, b) : NULL;
    double total = 0.0;
    for (int j = 0; j < s->nbins; j++) {
        double hi = up ? up[j] : 0.0;
        h[j] = hi + share * ((double)at[j] - hi);
        total += h[j];
    }
    return total;
}

/* Percentile q of a histogram of `total` levels, interpolated in its bin. */
static double percentile(const sm_bandstats *s, const double *h, double total,
                         double q)
{
    q = q < 0.0 ? 0.0 : (q > 1.0 ? 1.0 : q);
    double rank = q * total, acc = 0.0;
    int last = 0;
    for (int j = 0; j < s->nbins; j++) {
        if (!(h[j] > 0.0))
            continue;
        last = j;
        if (acc + h[j] >= rank) {
            if (j == 0)
                return SM_FLOOR_DB;
            double f = (rank - acc) / h[j];
            return SM_FLOOR_DB + (j - 1 + f) * SM_BANDSTATS_BIN_DB;
        }
        acc += h[j];
    }
    /* rounding left the rank past the last level: its top */
    return last == 0 ? SM_FLOOR_DB : SM_FLOOR_DB + last * SM_BANDSTATS_BIN_DB;
}

void sm_bandstats_read(const sm_bandstats *s, int gated, double threshold_lufs,
                       const double *q, int nq, double *out)
{
    double h[SM_BANDSTATS_NBINS];
    for (int b = 0; b < s->nbands; b++) {
        double total =
            s->cum ? gated_histogram(s, b, gated, threshold_lufs, h) : 0.0;
        for (int i = 0; i < nq; i++)
            out[i * s->nbands + b] =
                total > 0.0 ? percentile(s, h, total, q[i]) : SM_FLOOR_DB;
    }
}

double sm_bandstats_count(const sm_bandstats *s, int b, int gated,
                          double threshold_lufs)
{
    double h[SM_BANDSTATS_NBINS];
    if (!s->cum || b < 0 || b >= s->nbands)
        return 0.0;
    return gated_histogram(s, b, gated, threshold_lufs, h);
}
