/* truepeak.c - polyphase oversampling true-peak detector. See truepeak.h. */
#define _POSIX_C_SOURCE 200112L /* posix_memalign */
#include "truepeak.h"
#include "numerics.h"

#include <stdlib.h>
#include <string.h>

/* The filter kernel is built twice: plainly, and for processors with AVX2
 * and FMA, where eight phases fit one vector. sm_truepeak_init picks one by
 * asking the processor (GCC/clang on x86-64; elsewhere only the plain one
 * exists). */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define SM_HAVE_AVX2_KERNEL 1
#define SM_AVX2 __attribute__((target("avx2,fma")))
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
        double sinc = t == 0.0 ? 1.0 : sin(SM_PI * t) / (SM_PI * t);
        double r = (i - centre) / (len / 2.0);
        double w = bessel_i0(KAISER_BETA * sqrt(fmax(0.0, 1.0 - r * r))) /
                   bessel_i0(KAISER_BETA);
        h[i] = sinc * w;
    }
    for (int p = 0; p < factor; p++) {
        double sum = 0.0;
        for (int k = 0; k < taps; k++)
            sum += h[k * factor + p];
        for (int k = 0; k < taps; k++)
            coef[k * factor + p] = (float)(h[k * factor + p] / sum);
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
    /* the vector kernels load whole vectors of coefficients */
    if (posix_memalign((void **)&tp->coef, 32, sizeof(float) * factor * taps))
        tp->coef = NULL;
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
    tp->avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    design(tp->coef, factor, taps);
    tp->gain_bound = gain_bound(tp);
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
    return 0;
}

void sm_truepeak_free(sm_truepeak *tp)
{
    free(tp->coef);
    free(tp->hist);
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
 * first) followed by up to BLOCK new ones, so that x[n - k] for new sample
 * s is line[taps + s - k]. GROUP outputs are computed together, tap by tap:
 * each tap's coefficients are loaded once for the group, and the group's
 * accumulators are independent chains of additions (the compiler may not
 * reassociate one long chain without -ffast-math). */
#define BLOCK 64
#define GROUP 8

static inline __attribute__((always_inline)) float
generic_block(const float *coef, int factor, int taps, const float *line, int m,
              float *env, float peak)
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

/* The same for 4 or 8 phases with vector types (a GCC and clang
 * extension): the phases of one output are one vector. */
/* |y| by clearing sign bits; per-lane max by compare-and-select; the
 * largest lane. Macros, so that no vector crosses a function call. */
#define SM_VABS(vec, ivec, y) ((vec)((ivec)(y) & ((ivec){0} + 0x7fffffff)))
#define SM_VMAX(vec, ivec, a, b)                                               \
    ((vec)((((ivec)((a) > (b))) & (ivec)(a)) |                                 \
           (~((ivec)((a) > (b))) & (ivec)(b))))
#define SM_HMAX(y, lanes, out)                                                 \
    do {                                                                       \
        float m_ = 0.0f;                                                       \
        for (int p_ = 0; p_ < (lanes); p_++)                                   \
            m_ = (y)[p_] > m_ ? (y)[p_] : m_;                                  \
        (out) = m_;                                                            \
    } while (0)

#define SM_VECTOR_KERNEL(name, vec, ivec, lanes)                               \
    typedef float vec __attribute__((vector_size(4 * lanes)));                 \
    typedef int ivec __attribute__((vector_size(4 * lanes)));                  \
    static inline __attribute__((always_inline)) float name(                   \
        const float *coef, int taps, const float *line, int m, float *env,     \
        float peak)                                                            \
    {                                                                          \
        const vec *h = (const vec *)coef;                                      \
        vec mx = {0};                                                          \
        int s0 = 0;                                                            \
        for (; s0 + GROUP <= m; s0 += GROUP) {                                 \
            const float *x = line + taps + s0;                                 \
            vec acc[GROUP] = {{0}};                                            \
            for (int k = 0; k < taps; k++) {                                   \
                vec hk = h[k];                                                 \
                for (int s = 0; s < GROUP; s++)                                \
                    acc[s] += hk * x[s - k];                                   \
            }                                                                  \
            for (int s = 0; s < GROUP; s++) {                                  \
                vec y = SM_VABS(vec, ivec, acc[s]);                            \
                mx = SM_VMAX(vec, ivec, y, mx);                                \
                if (env)                                                       \
                    SM_HMAX(y, lanes, env[s0 + s]);                            \
            }                                                                  \
        }                                                                      \
        for (; s0 < m; s0++) { /* the few left over, summed in the same */     \
            const float *x = line + taps + s0; /* order: same results */       \
            vec a = {0};                                                       \
            for (int k = 0; k < taps; k++)                                     \
                a += h[k] * x[-k];                                             \
            vec y = SM_VABS(vec, ivec, a);                                     \
            mx = SM_VMAX(vec, ivec, y, mx);                                    \
            if (env)                                                           \
                SM_HMAX(y, lanes, env[s0]);                                    \
        }                                                                      \
        float p;                                                               \
        SM_HMAX(mx, lanes, p);                                                 \
        return p > peak ? p : peak;                                            \
    }

SM_VECTOR_KERNEL(block4, sm_v4, sm_v4i, 4)
SM_VECTOR_KERNEL(block8, sm_v8, sm_v8i, 8)

/* One channel: lines of up to BLOCK samples through the kernel for the
 * factor; the history is the last `taps` samples of the line. */
#define SM_CHANNEL_BODY                                                        \
    int T = tp->taps;                                                          \
    float line[BLOCK + SM_TRUEPEAK_MAXTAPS];                                   \
    for (int off = 0; off < n; off += BLOCK) {                                 \
        int m = n - off < BLOCK ? n - off : BLOCK;                             \
        float *e = env ? env + off : NULL;                                     \
        memcpy(line, hist, sizeof(float) * T);                                 \
        for (int i = 0; i < m; i++)                                            \
            line[T + i] = sm_sanitize(in[off + i]);                            \
        switch (tp->factor) {                                                  \
        case 4:                                                                \
            peak = block4(tp->coef, T, line, m, e, peak);                      \
            break;                                                             \
        case 8:                                                                \
            peak = block8(tp->coef, T, line, m, e, peak);                      \
            break;                                                             \
        default:                                                               \
            peak = generic_block(tp->coef, tp->factor, T, line, m, e, peak);   \
            break;                                                             \
        }                                                                      \
        memcpy(hist, line + m, sizeof(float) * T);                             \
    }                                                                          \
    return peak;

static float channel_plain(const sm_truepeak *tp, float *hist, const float *in,
                           float *env, int n, float peak){SM_CHANNEL_BODY}

#ifdef SM_HAVE_AVX2_KERNEL
SM_AVX2
    static float channel_avx2(const sm_truepeak *tp, float *hist,
                              const float *in, float *env, int n, float peak)
{
    SM_CHANNEL_BODY
}
#endif

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
 * filter's largest sum of |taps| it bounds every interpolated value. */
static float input_bound(const sm_truepeak *tp, const float *hist,
                         const float *in, int n)
{
    float m = 0.0f;
    for (int k = 0; k < tp->taps; k++) {
        float a = fabsf(hist[k]);
        m = a > m ? a : m;
    }
    for (int i = 0; i < n; i++) {
        float a = fabsf(sm_sanitize(in[i]));
        m = a > m ? a : m;
    }
    return m * tp->gain_bound;
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
#ifdef SM_HAVE_AVX2_KERNEL
        if (tp->avx2)
            tp->peak[c] = channel_avx2(tp, hist, in[c], e, n, tp->peak[c]);
        else
#endif
            tp->peak[c] = channel_plain(tp, hist, in[c], e, n, tp->peak[c]);
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
