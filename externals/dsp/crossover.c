/* crossover.c - Linkwitz-Riley 4 crossover tree. See crossover.h. */
#include "crossover.h"

#include <math.h>
#include <string.h>

#define SQRT2 1.4142135623730951
#define TWO_SQRT2 2.8284271247461903 /* 2k of the allpass, k = 1/Q = sqrt 2 */
#define PI 3.14159265358979323846

/* Coefficients of the trapezoidal SVF for g = tan(pi f / fs), k = sqrt 2:
 * a1 = 1 / (1 + g (g + k)), a2 = g a1, a3 = g a2. */
static void svf_coefs(double g, double *c)
{
    c[0] = 1.0 / (1.0 + g * (g + SQRT2));
    c[1] = g * c[0];
    c[2] = g * c[1];
}

static double clamp_hz(const sm_xover *x, double hz)
{
    double hi = SM_XOVER_MAX_FS * x->samplerate;
    if (!(hz >= SM_XOVER_MIN_HZ)) /* also NaN */
        hz = SM_XOVER_MIN_HZ;
    return hz > hi ? hi : hz;
}

static double g_of_lf(const sm_xover *x, double lf)
{
    return tan(PI * exp2(lf) / x->samplerate);
}

void sm_xover_defaults(int nbands, double *hz)
{
    /* mastering splits: sub/low, low-mid, presence, air */
    static const double d[SM_XOVER_MAXBANDS][SM_XOVER_MAXBANDS - 1] = {
        {0},
        {250},
        {150, 2500},
        {120, 1000, 6000},
        {90, 300, 1500, 6000},
        {60, 200, 700, 2500, 8000},
    };
    if (nbands < 1 || nbands > SM_XOVER_MAXBANDS)
        return;
    for (int i = 0; i < nbands - 1; i++)
        hz[i] = d[nbands - 1][i];
}

int sm_xover_init(sm_xover *x, int nch, int nbands, double samplerate)
{
    if (nch < 1 || nch > SM_XOVER_MAXCH || nbands < 1 ||
        nbands > SM_XOVER_MAXBANDS || !(samplerate > 0))
        return -1;
    memset(x, 0, sizeof *x);
    x->nch = nch;
    x->stride = sm_xover_stride(nch);
    x->nbands = nbands;
    x->samplerate = samplerate;
    double hz[SM_XOVER_MAXBANDS - 1];
    sm_xover_defaults(nbands, hz);
    for (int i = 0; i < nbands - 1; i++)
        sm_xover_set_freq(x, i, hz[i], 0);
    return 0;
}

void sm_xover_set_freq(sm_xover *x, int i, double hz, int glide)
{
    if (i < 0 || i >= x->nbands - 1)
        return;
    x->hz[i] = hz;
    double lf = log2(clamp_hz(x, hz));
    x->lf_to[i] = lf;
    if (!glide || lf == x->lf[i] || x->lf[i] == 0.0) {
        x->lf[i] = lf;
        x->left[i] = 0;
        x->g[i] = g_of_lf(x, lf);
        svf_coefs(x->g[i], x->c[i]);
        return;
    }
    int n = (int)(SM_XOVER_GLIDE_MS * 0.001 * x->samplerate + 0.5);
    x->left[i] = n < 1 ? 1 : n;
}

void sm_xover_set_samplerate(sm_xover *x, double samplerate)
{
    if (!(samplerate > 0))
        return;
    x->samplerate = samplerate;
    for (int i = 0; i < x->nbands - 1; i++) {
        x->lf[i] = 0.0; /* jump: no glide across a rate change */
        sm_xover_set_freq(x, i, x->hz[i], 0);
    }
}

double sm_xover_freq_now(const sm_xover *x, int i)
{
    return i >= 0 && i < x->nbands - 1 ? exp2(x->lf[i]) : 0.0;
}

void sm_xover_reset(sm_xover *x)
{
    memset(x->state, 0, sizeof x->state);
}

void sm_xover_mix_pairs(sm_xover *x, double a, double b, double c, double d)
{
    for (int s = 0; s < SM_XOVER_MAXSVF; s++)
        for (int k = 0; k < 2; k++)
            for (int ch = 0; ch + 1 < x->nch; ch += 2) {
                double u = x->state[s][k][ch], v = x->state[s][k][ch + 1];
                x->state[s][k][ch] = a * u + b * v;
                x->state[s][k][ch + 1] = c * u + d * v;
            }
}

/* Per-sample coefficients of a gliding crossover for the next n samples:
 * log frequency moves linearly; tan() is evaluated every 16 samples and g
 * interpolated linearly in between (error far below the glide's own
 * size). */
static void glide_coefs(sm_xover *x, int i, int n)
{
    double step = (x->lf_to[i] - x->lf[i]) / x->left[i];
    int k = 0;
    while (k < n) {
        int m = n - k < 16 ? n - k : 16;
        if (m > x->left[i])
            m = x->left[i];
        if (m == 0) { /* glide over: the rest static */
            for (; k < n; k++)
                for (int j = 0; j < 3; j++)
                    x->cbuf[i][j][k] = x->c[i][j];
            break;
        }
        double g0 = x->g[i];
        x->left[i] -= m;
        x->lf[i] = x->left[i] ? x->lf[i] + step * m : x->lf_to[i];
        double g1 = g_of_lf(x, x->lf[i]);
        for (int s = 1; s <= m; s++, k++) {
            double c[3];
            svf_coefs(g0 + (g1 - g0) * s / m, c);
            for (int j = 0; j < 3; j++)
                x->cbuf[i][j][k] = c[j];
        }
        x->g[i] = g1;
        if (!x->left[i])
            svf_coefs(g1, x->c[i]);
    }
}

/* ------------------------------------------------------------ the trees */

/* Memory of one SVF for a channel pair. */
typedef struct pair_state {
    double s1[2], s2[2]; /* ic1eq, ic2eq */
} pair_state;

/* One trapezoidal SVF step (Simper's form) on a channel pair, coefficients
 * of crossover j: input u, outputs band-pass bp and low-pass lp. Written as
 * loops over the pair so that the compiler can use one SIMD register. (lp =
 * ic2 + g bp would save a multiplication but lengthens the feedback path:
 * 70 % slower here.) */
#define SVF(u, A, j, bp, lp)                                                   \
    for (int c_ = 0; c_ < 2; c_++) {                                           \
        double v3 = u[c_] - st[A].s2[c_];                                      \
        double v1 = C[j][0] * st[A].s1[c_] + C[j][1] * v3;                     \
        double v2 = st[A].s2[c_] + C[j][1] * st[A].s1[c_] + C[j][2] * v3;      \
        st[A].s1[c_] = 2.0 * v1 - st[A].s1[c_];                                \
        st[A].s2[c_] = 2.0 * v2 - st[A].s2[c_];                                \
        bp[c_] = v1;                                                           \
        lp[c_] = v2;                                                           \
    }

/* LR4 split at crossover j with filters A and B: lo = LP2(LP2(u)),
 * hi = AP2(u) - lo (AP2 = u - 2k bp of the first filter). lo and hi must
 * not be u. */
#define SPLIT(j, u, A, B, lo, hi)                                              \
    {                                                                          \
        double bp_[2], l1_[2], b2_[2];                                         \
        SVF(u, A, j, bp_, l1_);                                                \
        SVF(l1_, B, j, b2_, lo);                                               \
        (void)b2_;                                                             \
        for (int c_ = 0; c_ < 2; c_++)                                         \
            hi[c_] = u[c_] - TWO_SQRT2 * bp_[c_] - lo[c_];                     \
    }

/* Allpass of crossover j with filter A, in place allowed. */
#define ALLPASS(j, u, A, out)                                                  \
    {                                                                          \
        double bp_[2], lp_[2];                                                 \
        SVF(u, A, j, bp_, lp_);                                                \
        (void)lp_;                                                             \
        for (int c_ = 0; c_ < 2; c_++)                                         \
            out[c_] = u[c_] - TWO_SQRT2 * bp_[c_];                             \
    }

/* The sample loop around one tree: per-sample coefficients while gliding,
 * the input pair in u, the NB bands out of b. */
#define TREE(NB, ...)                                                          \
    for (int i = 0; i < n; i++) {                                              \
        if (glide)                                                             \
            for (int j = 0; j < nx; j++)                                       \
                if (moving[j])                                                 \
                    for (int k = 0; k < 3; k++)                                \
                        C[j][k] = x->cbuf[j][k][i];                            \
        double u[2], b[SM_XOVER_MAXBANDS][2];                                  \
        for (int c = 0; c < 2; c++)                                            \
            u[c] = in[i * S + ch + c];                                         \
        __VA_ARGS__;                                                           \
        for (int k = 0; k < NB; k++)                                           \
            for (int c = 0; c < 2; c++)                                        \
                bands[k][i * S + ch + c] = b[k][c];                            \
    }

/* The whole tree for one channel pair, every filter in one sample loop
 * (the filters of different branches are independent, so the processor
 * overlaps them; one loop per filter would wait on each filter's feedback
 * in turn). The shapes (balanced, compensation near the root):
 *   2: split 1
 *   3: split 1 -> [1: ap 2] [split 2]
 *   4: split 2 -> [ap 3, split 1] [ap 1, split 3]
 *   5: split 2 -> [ap 3, ap 4, split 1] [ap 1, split 3 -> [ap 4] [split 4]]
 *   6: split 3 -> [ap 4, ap 5, split 1 -> [ap 2] [split 2]]
 *                 [ap 1, ap 2, split 4 -> [ap 5] [split 5]]
 * (crossovers numbered from 1 here, from 0 in the code). */
static inline void run_pair(sm_xover *x, const double *in, double *const *bands,
                            int n, int ch, const int glide, const int *moving)
{
    const int S = x->stride, nx = x->nbands - 1;
    pair_state st[SM_XOVER_MAXSVF];
    double C[SM_XOVER_MAXBANDS - 1][3];
    for (int k = 0; k < SM_XOVER_MAXSVF; k++)
        for (int c = 0; c < 2; c++) {
            st[k].s1[c] = x->state[k][0][ch + c];
            st[k].s2[c] = x->state[k][1][ch + c];
        }
    for (int j = 0; j < nx; j++)
        for (int k = 0; k < 3; k++)
            C[j][k] = x->c[j][k];
    double l[2], h[2], r[2];
    switch (x->nbands) {
    case 1:
        TREE(1, for (int c = 0; c < 2; c++) b[0][c] = u[c]);
        break;
    case 2:
        TREE(2, SPLIT(0, u, 0, 1, b[0], b[1]));
        break;
    case 3:
        TREE(3, SPLIT(0, u, 0, 1, l, h); ALLPASS(1, l, 2, b[0]);
             SPLIT(1, h, 3, 4, b[1], b[2]));
        break;
    case 4:
        TREE(4, SPLIT(1, u, 0, 1, l, h); ALLPASS(2, l, 2, l);
             ALLPASS(0, h, 3, h); SPLIT(0, l, 4, 5, b[0], b[1]);
             SPLIT(2, h, 6, 7, b[2], b[3]));
        break;
    case 5:
        TREE(5, SPLIT(1, u, 0, 1, l, h); ALLPASS(2, l, 2, l);
             ALLPASS(3, l, 3, l); ALLPASS(0, h, 4, h);
             SPLIT(0, l, 5, 6, b[0], b[1]); SPLIT(2, h, 7, 8, l, r);
             ALLPASS(3, l, 9, b[2]); SPLIT(3, r, 10, 11, b[3], b[4]));
        break;
    case 6:
        TREE(6, SPLIT(2, u, 0, 1, l, h); ALLPASS(3, l, 2, l);
             ALLPASS(4, l, 3, l); ALLPASS(0, h, 4, h); ALLPASS(1, h, 5, h);
             SPLIT(0, l, 6, 7, b[0], r); ALLPASS(1, b[0], 8, b[0]);
             SPLIT(1, r, 9, 10, b[1], b[2]); SPLIT(3, h, 11, 12, l, r);
             ALLPASS(4, l, 13, b[3]); SPLIT(4, r, 14, 15, b[4], b[5]));
        break;
    }
    for (int k = 0; k < SM_XOVER_MAXSVF; k++)
        for (int c = 0; c < 2; c++) {
            x->state[k][0][ch + c] = st[k].s1[c];
            x->state[k][1][ch + c] = st[k].s2[c];
        }
}

/* Denormals: the filter memory of a decaying signal would reach them after
 * a long silence; zero it well before. */
static void flush_state(sm_xover *x)
{
    for (int s = 0; s < SM_XOVER_MAXSVF; s++)
        for (int k = 0; k < 2; k++)
            for (int c = 0; c < x->stride; c++)
                if (fabs(x->state[s][k][c]) < 1e-30)
                    x->state[s][k][c] = 0.0;
}

static void process_sub(sm_xover *x, const double *in, double *const *bands,
                        int n)
{
    int moving[SM_XOVER_MAXBANDS - 1], any = 0;
    for (int i = 0; i < x->nbands - 1; i++) {
        moving[i] = x->left[i] > 0;
        if (moving[i])
            glide_coefs(x, i, n);
        any |= moving[i];
    }
    for (int ch = 0; ch < x->stride; ch += 2) {
        if (any)
            run_pair(x, in, bands, n, ch, 1, moving);
        else
            run_pair(x, in, bands, n, ch, 0, moving);
    }
}

void sm_xover_process(sm_xover *x, const double *in, double *const *bands,
                      int n)
{
    int S = x->stride, total = n;
    double *b[SM_XOVER_MAXBANDS];
    for (int k = 0; k < x->nbands; k++)
        b[k] = bands[k];
    while (n > 0) {
        int m = n < SM_XOVER_SUB ? n : SM_XOVER_SUB;
        process_sub(x, in, b, m);
        in += m * S;
        for (int k = 0; k < x->nbands; k++)
            b[k] += m * S;
        n -= m;
    }
    /* a decay from full scale to 1e-30 takes far longer than this */
    x->since_flush += total;
    if (x->since_flush >= 4096) {
        x->since_flush = 0;
        flush_state(x);
    }
}
