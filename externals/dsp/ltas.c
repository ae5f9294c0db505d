/* ltas.c - gated long-term averages of analysis frames. See ltas.h. */
#include "ltas.h"
#include "numerics.h"

#include <stdlib.h>
#include <string.h>

#define RESCALE_AT 1e200

static double *weights_of(const sm_ltas *l, double *bin)
{
    return bin + l->nvals;
}

int sm_ltas_init(sm_ltas *l, int nvals, int ngroups, const int *group_of)
{
    memset(l, 0, sizeof *l);
    if (nvals < 1 || ngroups < 1 || ngroups > SM_LTAS_MAXGROUPS || !group_of)
        return -1;
    for (int v = 0; v < nvals; v++)
        if (group_of[v] < 0 || group_of[v] >= ngroups)
            return -1;
    l->nvals = nvals;
    l->ngroups = ngroups;
    l->nbins = (int)((SM_LTAS_TOP - SM_LTAS_ABS_GATE) / SM_LTAS_BIN_DB + 0.5);
    l->stride = nvals + ngroups + 1;
    l->members = malloc(sizeof(int) * (size_t)nvals);
    l->bins = calloc((size_t)l->nbins * (size_t)l->stride, sizeof(double));
    l->all = calloc((size_t)l->stride, sizeof(double));
    if (!l->members || !l->bins || !l->all) {
        sm_ltas_free(l);
        return -1;
    }
    /* value lists per group, so that adding a frame touches only its own */
    int n = 0;
    for (int g = 0; g < ngroups; g++) {
        l->first[g] = n;
        for (int v = 0; v < nvals; v++)
            if (group_of[v] == g)
                l->members[n++] = v;
    }
    l->first[ngroups] = n;
    for (int g = 0; g < ngroups; g++) {
        l->scale[g] = 1.0;
        l->growth[g] = 1.0;
    }
    return 0;
}

void sm_ltas_free(sm_ltas *l)
{
    free(l->members);
    free(l->bins);
    free(l->all);
    memset(l, 0, sizeof *l);
}

void sm_ltas_reset(sm_ltas *l)
{
    if (!l->bins)
        return;
    memset(l->bins, 0, sizeof(double) * (size_t)l->nbins * (size_t)l->stride);
    memset(l->all, 0, sizeof(double) * (size_t)l->stride);
    for (int g = 0; g < l->ngroups; g++)
        l->scale[g] = 1.0;
}

void sm_ltas_set_decay(sm_ltas *l, int g, double a)
{
    if (g < 0 || g >= l->ngroups)
        return;
    if (!(a >= 1e-6)) /* also NaN */
        a = 1e-6;
    if (a > 1.0)
        a = 1.0;
    l->growth[g] = 1.0 / a;
}

/* Multiplies group g's part of one bin (or of the ungated sum) by f. */
static void scale_group(sm_ltas *l, double *bin, int g, double f)
{
    for (int i = l->first[g]; i < l->first[g + 1]; i++)
        bin[l->members[i]] *= f;
    weights_of(l, bin)[g] *= f;
    if (g == 0)
        bin[l->stride - 1] *= f;
}

/* Brings group g's weights back to a newest frame of weight 1. */
static void rescale(sm_ltas *l, int g)
{
    double f = 1.0 / l->scale[g];
    for (int b = 0; b < l->nbins; b++)
        scale_group(l, l->bins + (size_t)b * l->stride, g, f);
    scale_group(l, l->all, g, f);
    l->scale[g] = 1.0;
}

static void accumulate(sm_ltas *l, double *bin, int g, double w, double energy,
                       const double *record)
{
    for (int i = l->first[g]; i < l->first[g + 1]; i++) {
        int v = l->members[i];
        bin[v] += w * record[v];
    }
    weights_of(l, bin)[g] += w;
    if (g == 0)
        bin[l->stride - 1] += w * energy;
}

static double lufs(double energy)
{
    return energy > 0.0 ? SM_LTAS_LUFS_OFFSET + 10.0 * log10(energy)
                        : -HUGE_VAL;
}

void sm_ltas_add(sm_ltas *l, int g, double energy, const double *record)
{
    if (!l->bins || g < 0 || g >= l->ngroups)
        return;
    if (!(energy >= 0.0) || energy > 1e300) /* NaN or absurd: silence */
        energy = 0.0;
    double w = l->scale[g];
    accumulate(l, l->all, g, w, energy, record);
    double key = lufs(energy);
    if (key > SM_LTAS_ABS_GATE) {
        int b = (int)((key - SM_LTAS_ABS_GATE) / SM_LTAS_BIN_DB);
        if (b >= l->nbins)
            b = l->nbins - 1;
        accumulate(l, l->bins + (size_t)b * l->stride, g, w, energy, record);
    }
    l->scale[g] *= l->growth[g];
    if (l->scale[g] > RESCALE_AT)
        rescale(l, g);
}

double sm_ltas_threshold(const sm_ltas *l)
{
    double e = 0.0, w = 0.0;
    if (!l->bins)
        return SM_LTAS_ABS_GATE;
    for (int b = 0; b < l->nbins; b++) {
        const double *bin = l->bins + (size_t)b * l->stride;
        e += bin[l->stride - 1];
        w += bin[l->nvals]; /* group 0's weight */
    }
    if (!(w > 0.0) || !(e > 0.0))
        return SM_LTAS_ABS_GATE;
    return lufs(e / w) + SM_LTAS_REL_GATE;
}

void sm_ltas_read(const sm_ltas *l, int gated, double *mean, double *weight)
{
    double wsum[SM_LTAS_MAXGROUPS] = {0};
    if (!l->bins) {
        if (weight)
            memset(weight, 0, sizeof(double) * (size_t)l->ngroups);
        return;
    }
    memset(mean, 0, sizeof(double) * (size_t)l->nvals);
    if (!gated) {
        memcpy(mean, l->all, sizeof(double) * (size_t)l->nvals);
        memcpy(wsum, l->all + l->nvals, sizeof(double) * (size_t)l->ngroups);
    } else {
        double thr = sm_ltas_threshold(l);
        for (int b = 0; b < l->nbins; b++) {
            double centre = SM_LTAS_ABS_GATE + (b + 0.5) * SM_LTAS_BIN_DB;
            if (!(centre > thr))
                continue;
            const double *bin = l->bins + (size_t)b * l->stride;
            for (int v = 0; v < l->nvals; v++)
                mean[v] += bin[v];
            for (int g = 0; g < l->ngroups; g++)
                wsum[g] += bin[l->nvals + g];
        }
    }
    for (int g = 0; g < l->ngroups; g++)
        for (int i = l->first[g]; i < l->first[g + 1]; i++) {
            int v = l->members[i];
            mean[v] = wsum[g] > 0.0 ? mean[v] / wsum[g] : 0.0;
        }
    if (weight)
        for (int g = 0; g < l->ngroups; g++)
            weight[g] = wsum[g] / l->scale[g] * l->growth[g];
}
