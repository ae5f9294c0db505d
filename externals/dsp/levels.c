/* levels.c - per-channel RMS, peak, crest factor and DC. See levels.h. */
#include "levels.h"
#include "numerics.h"

#include <string.h>

int sm_levels_init(sm_levels *l, int nch, double samplerate)
{
    memset(l, 0, sizeof *l);
    if (nch < 1 || nch > SM_LEVELS_MAXCH || !(samplerate >= 1000.0) ||
        samplerate > 1e7)
        return -1;
    l->nch = nch;
    l->samplerate = samplerate;
    sm_levels_set_average(l, 0.0);
    sm_levels_reset(l);
    return 0;
}

void sm_levels_set_average(sm_levels *l, double seconds)
{
    if (seconds > 0.0 && l->samplerate > 0.0) {
        l->decay = exp(-SM_LEVELS_FOLD / (seconds * l->samplerate));
        l->peak_decay = sqrt(l->decay);
    } else
        l->decay = l->peak_decay = 1.0;
}

void sm_levels_reset(sm_levels *l)
{
    memset(l->fsum, 0, sizeof l->fsum);
    memset(l->fsq, 0, sizeof l->fsq);
    memset(l->fpeak, 0, sizeof l->fpeak);
    memset(l->sum, 0, sizeof l->sum);
    memset(l->sq, 0, sizeof l->sq);
    memset(l->peak, 0, sizeof l->peak);
    l->fcount = 0;
    l->weight = 0.0;
    l->left = SM_LEVELS_FOLD;
}

/* Adds the fold in progress to the averages. */
static void fold(sm_levels *l)
{
    for (int c = 0; c < l->nch; c++) {
        l->sum[c] = l->decay * l->sum[c] + l->fsum[c];
        l->sq[c] = l->decay * l->sq[c] + l->fsq[c];
        double p = l->peak_decay * l->peak[c];
        l->peak[c] = p > l->fpeak[c] ? p : l->fpeak[c];
        l->fsum[c] = l->fsq[c] = 0.0;
        l->fpeak[c] = 0.0f;
    }
    l->weight = l->decay * l->weight + l->fcount;
    l->fcount = 0;
    l->left = SM_LEVELS_FOLD;
}

void sm_levels_process(sm_levels *l, const float *const *in, int n)
{
    if (l->nch < 1)
        return;
    int done = 0;
    while (done < n) {
        int k = n - done < l->left ? n - done : l->left;
        for (int c = 0; c < l->nch; c++) {
            const float *x = in[c] + done;
            double s = 0.0, q = 0.0;
            float p = l->fpeak[c];
            for (int i = 0; i < k; i++) {
                float v = sm_sanitize(x[i]);
                float a = fabsf(v);
                s += v;
                q += (double)v * v;
                p = a > p ? a : p;
            }
            l->fsum[c] += s;
            l->fsq[c] += q;
            l->fpeak[c] = p;
        }
        l->fcount += k;
        l->left -= k;
        done += k;
        if (l->left == 0)
            fold(l);
    }
}

void sm_levels_read(const sm_levels *l, sm_levels_readings *r)
{
    memset(r, 0, sizeof *r);
    for (int c = 0; c < SM_LEVELS_MAXCH; c++)
        r->rms_db[c] = r->peak_db[c] = SM_FLOOR_DB;
    if (!(l->weight > 0.0))
        return;
    for (int c = 0; c < l->nch; c++) {
        double ms = l->sq[c] / l->weight;
        r->rms_db[c] = sm_power_to_db(ms);
        r->peak_db[c] = sm_amp_to_db(l->peak[c]);
        r->crest_db[c] =
            ms > 0.0 && l->peak[c] > 0.0 ? r->peak_db[c] - r->rms_db[c] : 0.0;
        r->dc[c] = l->sum[c] / l->weight;
    }
}
