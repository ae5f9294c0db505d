/* fastmath.h - log2 and exp2 without libm, for per-sample level and gain
 * conversions in the dynamics processors (a compressor needs one of each
 * per sample and band; libm's log10/pow would cost more than the filters).
 *
 * Accuracy (checked against libm over the whole range in
 * tests/unit/test_compressor.c):
 *   sm_fast_log2: absolute error below 1.6e-5 (9.4e-5 dB on a 20 log10
 *                 scale) for every positive finite double;
 *   sm_fast_exp2: relative error below 3.4e-6 (2.9e-5 dB), exact at integer
 *                 arguments, so sm_fast_exp2(0) == 1 exactly: a gain change
 *                 of 0 dB leaves the signal bit-identical.
 * Both polynomials are pinned at the ends of their interval, so the
 * approximations are continuous and monotonic across octaves. */
#ifndef SM_FASTMATH_H
#define SM_FASTMATH_H

#include <stdint.h>
#include <string.h>

/* dB per unit of log2 (20 log10 2) and its inverse. */
#define SM_DB_PER_LOG2 6.020599913279624
#define SM_LOG2_PER_DB 0.16609640474436813

/* log2(x) for x > 0. Zero and denormals give about -1023 (callers clamp to
 * their floor); +Inf gives 1024. */
static inline double sm_fast_log2(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    int e = (int)((u >> 52) & 0x7ff) - 1023;
    u = (u & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    double m;
    memcpy(&m, &u, sizeof m);
    double t = m - 1.0; /* [0, 1) */
    /* log2(1 + t) = t + t (1 - t) q(t): exact at t = 0 and t = 1; q is a
     * minimax fit (max error 1.55e-5) */
    double q = -0.04514903479776343;
    q = q * t + 0.14842662843177984;
    q = q * t - 0.26717939439358784;
    q = q * t + 0.44191703753256645;
    return (double)e + t + t * (1.0 - t) * q;
}

/* 2^x, for x in [-1000, 1000] (clamped). */
static inline double sm_fast_exp2(double x)
{
    if (x < -1000.0)
        x = -1000.0;
    if (x > 1000.0)
        x = 1000.0;
    int i = (int)x; /* truncates toward zero */
    if ((double)i > x)
        i--;
    double f = x - (double)i; /* [0, 1) */
    /* 2^f = 1 + f + f (1 - f) q(f): exact at f = 0 and f = 1 */
    double q = -0.01355575033696007;
    q = q * f - 0.06558811301429084;
    q = q * f - 0.3069678798596641;
    double p = 1.0 + f + f * (1.0 - f) * q;
    /* times 2^i: i + 1023 lies in 23..2023, a normal exponent */
    uint64_t b = (uint64_t)(i + 1023) << 52;
    double s;
    memcpy(&s, &b, sizeof s);
    return p * s;
}

/* Level in dB (20 log10 a) of an amplitude a >= 0, not below floor_db. */
static inline double sm_fast_amp_db(double a, double floor_db)
{
    double db = SM_DB_PER_LOG2 * sm_fast_log2(a);
    return db < floor_db ? floor_db : db;
}

/* Amplitude of a level in dB. */
static inline double sm_fast_db_amp(double db)
{
    return sm_fast_exp2(db * SM_LOG2_PER_DB);
}

#endif
