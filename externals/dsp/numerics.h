/* numerics.h - small numeric helpers shared by the DSP core.
 *
 * The core is built without -ffast-math, but these helpers test bit patterns
 * rather than calling isfinite() so that they keep working even if a user
 * builds with fast-math flags (which make isfinite() a constant). */
#ifndef SM_NUMERICS_H
#define SM_NUMERICS_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define SM_PI 3.14159265358979323846

/* Level reported for silence and for loudness below the absolute gate: far
 * below anything a 24-bit signal can produce, and finite so that it can
 * travel through Pd messages and number boxes. */
#define SM_FLOOR_DB (-150.0)

/* 1 if x is neither NaN nor +-Inf. */
static inline int sm_isfinite(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return (u & 0x7f800000u) != 0x7f800000u;
}

/* x, or 0 for NaN, Inf and denormals: what a meter or filter may safely
 * take in. */
static inline float sm_sanitize(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    uint32_t e = u & 0x7f800000u;
    return (e == 0x7f800000u || e == 0) ? 0.0f : x;
}

/* Power (mean square) to dB, with SM_FLOOR_DB for zero. */
static inline double sm_power_to_db(double p)
{
    double db = p > 0.0 ? 10.0 * log10(p) : SM_FLOOR_DB;
    return db < SM_FLOOR_DB ? SM_FLOOR_DB : db;
}

/* Linear amplitude to dB, with SM_FLOOR_DB for zero. */
static inline double sm_amp_to_db(double a)
{
    double db = a > 0.0 ? 20.0 * log10(a) : SM_FLOOR_DB;
    return db < SM_FLOOR_DB ? SM_FLOOR_DB : db;
}

static inline double sm_db_to_amp(double db)
{
    return pow(10.0, db / 20.0);
}

static inline double sm_clamp(double x, double lo, double hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* v rounded to hundredths, never "-0": values written into messages */
static inline double sm_hundredths(double v)
{
    v = round(v * 100.0) / 100.0;
    return v == 0.0 ? 0.0 : v;
}

/* v, or `fallback` when v is NaN or infinite (readings from messages) */
static inline double sm_finite_or(double v, double fallback)
{
    return isfinite(v) ? v : fallback;
}

/* Largest |x| of n floats (or start, if larger), and smallest of n
 * positive floats (or start): taken on the bit patterns, sign cleared,
 * which order like the magnitudes and vectorise without -ffast-math. A
 * non-finite value compares above every finite one. */
static inline float sm_max_abs(const float *x, int n, float start)
{
    int32_t m;
    memcpy(&m, &start, sizeof m);
    m &= 0x7fffffff;
    for (int i = 0; i < n; i++) {
        int32_t u;
        memcpy(&u, x + i, sizeof u);
        u &= 0x7fffffff;
        m = u > m ? u : m;
    }
    float f;
    memcpy(&f, &m, sizeof f);
    return f;
}

static inline float sm_min_positive(const float *x, int n, float start)
{
    int32_t m;
    memcpy(&m, &start, sizeof m);
    for (int i = 0; i < n; i++) {
        int32_t u;
        memcpy(&u, x + i, sizeof u);
        m = u < m ? u : m;
    }
    float f;
    memcpy(&f, &m, sizeof f);
    return f;
}

#endif
