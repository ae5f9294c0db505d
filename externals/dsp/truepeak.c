/* truepeak.c - polyphase oversampling true-peak detector. See truepeak.h. */
#include "truepeak.h"
#include "numerics.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The filter kernel is built three times: plainly (4-wide vectors), for
 * processors with AVX2 and FMA (8-wide) and for AVX-512 (16-wide).
 * sm_truepeak_init picks one by asking the processor (GCC/clang on x86-64;
 * elsewhere only the plain one exists). */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define SM_HAVE_AVX2_KERNEL 1
#define SM_AVX2 __attribute__((target("avx2,fma")))
#define SM_AVX512 __attribute__((target("avx512f,fma")))
#endif

#define DEFAULT_TAPS 24
#define KAISER_BETA                                                            \
    6.0 /* with 24 taps: flat to 0.40 fs, images down ~60 dB                   \
         */

/* Modified Bessel function of the first kind, order 0 (power series). */
static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0, q = x * x / 4.0;
    for (int k = 1; k < 64 && term > 1e-17 * sum; k++) {
        term *= q / ((double)k * k);
        sum += term;
    }
    return sum;
}

/* Kaiser-windowed sinc lowpass at the input Nyquist, one phase per output
 * sample between two inputs. Each phase is normalised to unity DC gain so
 * that a constant reads exactly its value in every phase. */
static void design(float *coef, int factor, int taps)
{
    /* The centre sits on phase 0 of tap taps/2, so phase 0 reproduces the
     * input exactly (delayed) and the reading is never below the sample
     * peak. */
    int len = factor * taps;
    double centre = factor * (taps / 2);
    double *h = malloc(sizeof(double) * len);
    if (!h)
        return;
    for (int i = 0; i < len; i++) {
        double t = (i - centre) / factor; /* in input samples */
        /* exact zeros at the other input samples: phase 0 is then exactly
         * the input, which the kernel reads without multiplying */
        double sinc = t == 0.0 ? 1.0
                      : (i - (int)centre) % factor == 0
                          ? 0.0
                          : sin(SM_PI * t) / (SM_PI * t);
        double r = (i - centre) / (len / 2.0);
        double w = bessel_i0(KAISER_BETA * sqrt(fmax(0.0, 1.0 - r * r))) /
                   bessel_i0(KAISER_BETA);
        h[i] = sinc * w;
    }
    for (int i = (int)centre + 1; i < len; i++) /* exactly symmetric */
        h[i] = h[2 * (int)centre - i];
    /* Phase factor - p is phase p reversed (tap k is tap taps - 1 - k); it
     * is written as the exact mirror, so that the kernel can compute both
     * from the sum and the difference of mirrored samples. */
    for (int p = 0; p <= factor / 2; p++) {
        double sum = 0.0;
        for (int k = 0; k < taps; k++)
            sum += h[k * factor + p];
        for (int k = 0; k < taps; k++) {
            float c = (float)(h[k * factor + p] / sum);
            coef[k * factor + p] = c;
            if (p > 0 && p < factor - p)
                coef[(taps - 1 - k) * factor + factor - p] = c;
        }
    }
    free(h);
}

/* ITU-R BS.1770-4 Annex 2: the order-48 interpolating filter printed in the
 * Recommendation, as four phases of 12 taps (phases 2 and 3 are phases 1
 * and 0 reversed). Standard data, not a design of ours. */
static const double bs1770_phase0[12] = {
    0.0017089843750,  0.0109863281250,  -0.0196533203125, 0.0332031250000,
    -0.0594482421875, 0.1373291015625,  0.9721679687500,  -0.1022949218750,
    0.0476074218750,  -0.0266113281250, 0.0148925781250,  -0.0083007812500};
static const double bs1770_phase1[12] = {
    -0.0291748046875, 0.0292968750000,  -0.0517578125000, 0.0891113281250,
    -0.1665039062500, 0.4650878906250,  0.7797851562500,  -0.2003173828125,
    0.1015625000000,  -0.0582275390625, 0.0330810546875,  -0.0189208984375};

/* The largest sum of |taps| over the phases: no interpolated value can
 * exceed it times the largest |sample| in the filter's reach. */
static float gain_bound(const sm_truepeak *tp)
{
    double worst = 0.0;
    for (int p = 0; p < tp->factor; p++) {
        double sum = 0.0;
        for (int k = 0; k < tp->taps; k++)
            sum += fabs(tp->coef[k * tp->factor + p]);
        worst = sum > worst ? sum : worst;
    }
    return (float)(worst * 1.0001); /* float rounding of the dot products */
}

static void prepare(sm_truepeak *tp);

int sm_truepeak_default_factor(double samplerate)
{
    return samplerate < 88200.0 ? 4 : 2;
}

int sm_truepeak_init(sm_truepeak *tp, int nch, double samplerate, int factor,
                     int taps)
{
    memset(tp, 0, sizeof *tp);
    if (factor == 0)
        factor = sm_truepeak_default_factor(samplerate);
    if (taps == 0)
        taps = DEFAULT_TAPS;
    if (nch < 1 || nch > SM_TRUEPEAK_MAXCH || taps < 4 ||
        taps > SM_TRUEPEAK_MAXTAPS || (taps & 3) ||
        (factor != 2 && factor != 4 && factor != 8 && factor != 16))
        return -1;
    tp->coef = malloc(sizeof(float) * factor * taps);
    tp->hist = calloc((size_t)nch * taps, sizeof(float));
    if (!tp->coef || !tp->hist) {
        sm_truepeak_free(tp);
        return -1;
    }
    tp->nch = nch;
    tp->factor = factor;
    tp->taps = taps;
    tp->delay = taps / 2;
#ifdef SM_HAVE_AVX2_KERNEL
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        tp->isa = __builtin_cpu_supports("avx512f") ? 2 : 1;
#endif
    design(tp->coef, factor, taps);
    tp->gain_bound = gain_bound(tp);
    prepare(tp);
    return 0;
}

int sm_truepeak_init_bs1770(sm_truepeak *tp, int nch)
{
    if (sm_truepeak_init(tp, nch, 48000.0, 4, 12) != 0)
        return -1;
    for (int k = 0; k < 12; k++) {
        tp->coef[k * 4 + 0] = (float)bs1770_phase0[k];
        tp->coef[k * 4 + 1] = (float)bs1770_phase1[k];
        tp->coef[k * 4 + 2] = (float)bs1770_phase1[11 - k];
        tp->coef[k * 4 + 3] = (float)bs1770_phase0[11 - k];
    }
    tp->delay = 5.875; /* centre of the 48-tap prototype, in input samples */
    tp->gain_bound = gain_bound(tp);
    free(tp->sym);
    tp->sym = NULL;
    prepare(tp);
    return 0;
}

void sm_truepeak_free(sm_truepeak *tp)
{
    free(tp->coef);
    free(tp->hist);
    free(tp->sym);
    memset(tp, 0, sizeof *tp);
}

void sm_truepeak_reset(sm_truepeak *tp)
{
    if (tp->hist)
        memset(tp->hist, 0, sizeof(float) * tp->nch * tp->taps);
    for (int c = 0; c < tp->nch; c++)
        tp->peak[c] = 0.0f;
}

/* The kernels work on a line of samples: the history (taps samples, oldest
 * first) followed by up to BLOCK new ones and PAD zeros, so that x[n - k]
 * for new sample s is line[taps + s - k]. */
#define BLOCK 64
#define PAD 16 /* zeros after the new samples: a vector may run past them */
#define MAXPAIRS (SM_TRUEPEAK_MAXFACTOR / 2)

/* Any filter: every phase, tap by tap (only for a filter without the
 * mirror structure below; none of ours). */
static float generic_block(const float *coef, int factor, int taps,
                           const float *line, int m, float *env, float peak)
{
    for (int s = 0; s < m; s++) {
        const float *x = line + taps + s;
        float step = 0.0f;
        for (int p = 0; p < factor; p++) {
            float acc = 0.0f;
            for (int k = 0; k < taps; k++)
                acc += coef[k * factor + p] * x[-k];
            float a = fabsf(acc);
            step = a > step ? a : step;
        }
        if (env)
            env[s] = step;
        peak = step > peak ? step : peak;
    }
    return peak;
}

/* The mirror kernel. The phases of a symmetric prototype come in mirror
 * pairs: phase q is phase p reversed, a_q[k] = a_p[T - 1 - k] (T taps).
 * With, for k < T/2, P_k = x[n - k], Q_k = x[n - T + 1 + k], u = P + Q,
 * v = P - Q, s_k = (a_p[k] + a_p[T-1-k]) / 2, d_k = (a_p[k] - a_p[T-1-k]) / 2:
 *   y_p = S + D,  y_q = S - D,  S = sum s_k u_k,  D = sum d_k v_k,
 * and max(|y_p|, |y_q|) = |S| + |D|: two phases for the multiplies of one.
 * A phase that is its own mirror is sum a_p[k] u_k (s_k, D = 0); a phase
 * that is a single unit tap (phase 0 of our design) is the input itself.
 * Vectors run over consecutive output samples, so every sample is computed
 * by the same operations wherever it falls: results do not depend on the
 * block size. sym holds, for each k < T/2, s and d of every pair, then s of
 * the self-mirrored phase. */
#define SM_VABS(vec, ivec, y) ((vec)((ivec)(y) & ((ivec){0} + 0x7fffffff)))
#define SM_VMAX(vec, ivec, a, b)                                               \
    ((vec)((((ivec)((a) > (b))) & (ivec)(a)) |                                 \
           (~((ivec)((a) > (b))) & (ivec)(b))))

#define SM_MIRROR_KERNEL(name, vec, uvec, ivec, lanes)                         \
    typedef float vec __attribute__((vector_size(4 * lanes)));                 \
    typedef float uvec                                                         \
        __attribute__((vector_size(4 * lanes), aligned(4), may_alias));        \
    typedef int ivec __attribute__((vector_size(4 * lanes)));                  \
    static inline __attribute__((always_inline)) float name(                   \
        const sm_truepeak *tp, const float *line, int m, float *env,           \
        float peak, const int np, const int ns, const int id)                  \
    {                                                                          \
        const int T = tp->taps, H = T / 2, nc = 2 * np + ns;                   \
        const float *sym = tp->sym;                                            \
        vec mx = {0};                                                          \
        for (int s0 = 0; s0 < m; s0 += lanes) {                                \
            vec S[MAXPAIRS], D[MAXPAIRS], Y = {0};                             \
            for (int j = 0; j < np; j++)                                       \
                S[j] = D[j] = (vec){0};                                        \
            const float *P = line + T + s0, *Q = line + 1 + s0;                \
            for (int k = 0; k < H; k++) {                                      \
                vec a = *(const uvec *)(P - k), b = *(const uvec *)(Q + k);    \
                vec u = a + b, v = a - b;                                      \
                const float *c = sym + k * nc;                                 \
                for (int j = 0; j < np; j++) {                                 \
                    S[j] += c[2 * j] * u;                                      \
                    D[j] += c[2 * j + 1] * v;                                  \
                }                                                              \
                if (ns)                                                        \
                    Y += c[2 * np] * u;                                        \
            }                                                                  \
            vec e = {0};                                                       \
            if (id)                                                            \
                e = SM_VABS(vec, ivec, *(const uvec *)(P - tp->ident_tap));    \
            for (int j = 0; j < np; j++) {                                     \
                vec y = SM_VABS(vec, ivec, S[j]) + SM_VABS(vec, ivec, D[j]);   \
                e = SM_VMAX(vec, ivec, y, e);                                  \
            }                                                                  \
            if (ns) {                                                          \
                vec y = SM_VABS(vec, ivec, Y);                                 \
                e = SM_VMAX(vec, ivec, y, e);                                  \
            }                                                                  \
            if (s0 + lanes <= m) {                                             \
                mx = SM_VMAX(vec, ivec, e, mx);                                \
                if (env)                                                       \
                    *(uvec *)(env + s0) = e;                                   \
            } else { /* the last, partial vector */                            \
                for (int i = 0; i < m - s0; i++) {                             \
                    if (env)                                                   \
                        env[s0 + i] = e[i];                                    \
                    peak = e[i] > peak ? e[i] : peak;                          \
                }                                                              \
            }                                                                  \
        }                                                                      \
        for (int i = 0; i < lanes; i++)                                        \
            peak = mx[i] > peak ? mx[i] : peak;                                \
        return peak;                                                           \
    }

/* The structures our filters have: pairs, self-mirrored, unit tap. */
enum { K_GENERIC, K_P3S1I1, K_P1S1I1, K_P0S1I1, K_P7S1I1, K_P2S0I0 };

#define SM_DISPATCH(kern)                                                      \
    switch (tp->kind) {                                                        \
    case K_P3S1I1: /* 8x design */                                             \
        return kern(tp, line, m, env, peak, 3, 1, 1);                          \
    case K_P1S1I1: /* 4x design */                                             \
        return kern(tp, line, m, env, peak, 1, 1, 1);                          \
    case K_P0S1I1: /* 2x design */                                             \
        return kern(tp, line, m, env, peak, 0, 1, 1);                          \
    case K_P7S1I1: /* 16x design */                                            \
        return kern(tp, line, m, env, peak, 7, 1, 1);                          \
    case K_P2S0I0: /* BS.1770 Annex 2 */                                       \
        return kern(tp, line, m, env, peak, 2, 0, 0);                          \
    default:                                                                   \
        return generic_block(tp->coef, tp->factor, tp->taps, line, m, env,     \
                             peak);                                            \
    }

/* The kernel built for each instruction set, each one vector wide. */
/* clang-format off */
SM_MIRROR_KERNEL(mirror4, sm_v4, sm_v4u, sm_v4i, 4)
/* clang-format on */
static float block_plain(const sm_truepeak *tp, const float *line, int m,
                         float *env, float peak)
{
    SM_DISPATCH(mirror4);
}

#ifdef SM_HAVE_AVX2_KERNEL
/* clang-format off */
SM_MIRROR_KERNEL(mirror8, sm_v8, sm_v8u, sm_v8i, 8)
SM_MIRROR_KERNEL(mirror16, sm_v16, sm_v16u, sm_v16i, 16)
/* clang-format on */
SM_AVX2 static float block_avx2(const sm_truepeak *tp, const float *line, int m,
                                float *env, float peak)
{
    SM_DISPATCH(mirror8);
}

SM_AVX512 static float block_avx512(const sm_truepeak *tp, const float *line,
                                    int m, float *env, float peak)
{
    SM_DISPATCH(mirror16);
}
#endif

/* One channel: lines of up to BLOCK samples through the kernel; the
 * history is the last `taps` samples of the line. */
static float channel(const sm_truepeak *tp, float *hist, const float *in,
                     float *env, int n, float peak)
{
    int T = tp->taps;
    float line[SM_TRUEPEAK_MAXTAPS + BLOCK + PAD];
    for (int off = 0; off < n; off += BLOCK) {
        int m = n - off < BLOCK ? n - off : BLOCK;
        float *e = env ? env + off : NULL;
        memcpy(line, hist, sizeof(float) * T);
        for (int i = 0; i < m; i++)
            line[T + i] = sm_sanitize(in[off + i]);
        memset(line + T + m, 0, sizeof(float) * PAD);
#ifdef SM_HAVE_AVX2_KERNEL
        if (tp->isa == 2)
            peak = block_avx512(tp, line, m, e, peak);
        else if (tp->isa == 1)
            peak = block_avx2(tp, line, m, e, peak);
        else
#endif
            peak = block_plain(tp, line, m, e, peak);
        memcpy(hist, line + m, sizeof(float) * T);
    }
    return peak;
}

/* Finds the mirror structure of the phases (see the mirror kernel) and
 * fills tp->sym; without one the generic kernel runs. */
static void prepare(sm_truepeak *tp)
{
    int F = tp->factor, T = tp->taps, H = T / 2;
    int pair[MAXPAIRS][2], np = 0, self = -1, unit = -1;
    const float *c = tp->coef;
    tp->kind = K_GENERIC;
    for (int p = 0; p < F; p++) {
        int ones = 0, others = 0, at = 0;
        for (int k = 0; k < T; k++) {
            float a = c[k * F + p];
            if (a == 1.0f) {
                ones++;
                at = k;
            } else if (a != 0.0f)
                others++;
        }
        if (ones == 1 && !others) {
            if (unit >= 0)
                return;
            unit = p;
            tp->ident_tap = at;
            continue;
        }
        int q = 0, same = 0;
        for (; q < F && !same; q++) {
            same = 1;
            for (int k = 0; k < T && same; k++)
                same = c[k * F + q] == c[(T - 1 - k) * F + p];
        }
        q--;
        if (!same)
            return;
        if (q == p) {
            if (self >= 0)
                return;
            self = p;
        } else if (q > p) {
            if (np == MAXPAIRS)
                return;
            pair[np][0] = p;
            pair[np++][1] = q;
        }
    }
    int ns = self >= 0, id = unit >= 0;
    static const int kinds[][4] = {{3, 1, 1, K_P3S1I1},
                                   {1, 1, 1, K_P1S1I1},
                                   {0, 1, 1, K_P0S1I1},
                                   {7, 1, 1, K_P7S1I1},
                                   {2, 0, 0, K_P2S0I0}};
    int kind = K_GENERIC;
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (kinds[i][0] == np && kinds[i][1] == ns && kinds[i][2] == id)
            kind = kinds[i][3];
    int nc = 2 * np + ns;
    if (kind == K_GENERIC || !(tp->sym = malloc(sizeof(float) * H * nc)))
        return;
    for (int k = 0; k < H; k++) {
        float *s = tp->sym + k * nc;
        for (int j = 0; j < np; j++) {
            double a = c[k * F + pair[j][0]];
            double b = c[(T - 1 - k) * F + pair[j][0]];
            s[2 * j] = (float)((a + b) * 0.5);
            s[2 * j + 1] = (float)((a - b) * 0.5);
        }
        if (ns)
            s[2 * np] = c[k * F + self];
    }
    tp->kind = kind;
}

/* Only pushes samples into the history (when no output can matter). */
static void feed(const sm_truepeak *tp, float *hist, const float *in, int n)
{
    int T = tp->taps;
    if (n >= T) {
        for (int k = 0; k < T; k++)
            hist[k] = sm_sanitize(in[n - T + k]);
        return;
    }
    memmove(hist, hist + n, sizeof(float) * (T - n));
    for (int i = 0; i < n; i++)
        hist[T - n + i] = sm_sanitize(in[i]);
}

/* Largest |sample| among the history and the n new samples: times the
 * filter's largest sum of |taps| it bounds every interpolated value. A
 * non-finite sample (read as 0 by the filter) only makes the bound
 * larger. */
static float input_bound(const sm_truepeak *tp, const float *hist,
                         const float *in, int n)
{
    return sm_max_abs(in, n, sm_max_abs(hist, tp->taps, 0.0f)) * tp->gain_bound;
}

static void run(sm_truepeak *tp, const float *const *in, float *const *env,
                int n, float limit)
{
    int T = tp->taps;
    for (int c = 0; c < tp->nch; c++) {
        float *hist = tp->hist + (size_t)c * T;
        float *e = env ? env[c] : NULL;
        if (limit > 0.0f) {
            float bound = input_bound(tp, hist, in[c], n);
            if (bound <= limit) {
                feed(tp, hist, in[c], n);
                for (int i = 0; i < n; i++)
                    e[i] = bound;
                continue;
            }
        }
        tp->peak[c] = channel(tp, hist, in[c], e, n, tp->peak[c]);
    }
}

void sm_truepeak_process(sm_truepeak *tp, const float *const *in, int n)
{
    if (tp->hist && n > 0)
        run(tp, in, NULL, n, 0.0f);
}

void sm_truepeak_envelope(sm_truepeak *tp, const float *const *in,
                          float *const *env, int n)
{
    if (tp->hist && n > 0)
        run(tp, in, env, n, 0.0f);
}

void sm_truepeak_envelope_above(sm_truepeak *tp, const float *const *in,
                                float *const *env, int n, float limit)
{
    if (tp->hist && n > 0)
        run(tp, in, env, n, limit);
}

double sm_truepeak_delay(const sm_truepeak *tp)
{
    return tp->delay;
}
