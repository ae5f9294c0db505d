/* smooth.h - parameter smoothing shared by every object: parameter changes
 * glide instead of jumping, so that moving a control never clicks.
 *
 *   sm_ramp r;
 *   sm_ramp_init(&r, 1.0f);               // start at a value, no glide
 *   sm_ramp_set(&r, 0.5f, glide_samples); // in a message method
 *   g = sm_ramp_next(&r);                 // per sample, in perform
 *
 * sm_onepole_coef gives the coefficient a of y += (1 - a) (x - y) for a time
 * constant in ms (63 % of a step after that time). */
#ifndef SM_SMOOTH_H
#define SM_SMOOTH_H

#include <math.h>

/* Default glide for parameter changes. */
#define SM_GLIDE_MS 20.0

static inline double sm_onepole_coef(double ms, double samplerate)
{
    double n = ms * 0.001 * samplerate;
    return n > 0.0 ? exp(-1.0 / n) : 0.0;
}

static inline int sm_ms_to_samples(double ms, double samplerate)
{
    double n = ms * 0.001 * samplerate + 0.5;
    return n < 1.0 ? 1 : (int)n;
}

/* A linear glide to a target over a fixed number of samples. */
typedef struct sm_ramp {
    float value, target, step;
    int left; /* samples until the target is reached */
} sm_ramp;

static inline void sm_ramp_init(sm_ramp *r, float value)
{
    r->value = r->target = value;
    r->step = 0.0f;
    r->left = 0;
}

static inline void sm_ramp_set(sm_ramp *r, float target, int samples)
{
    r->target = target;
    if (samples < 1 || r->value == target) {
        r->value = target;
        r->left = 0;
        return;
    }
    r->left = samples;
    r->step = (target - r->value) / (float)samples;
}

static inline float sm_ramp_next(sm_ramp *r)
{
    if (r->left > 0) {
        /* land exactly on the target, whatever the rounding on the way */
        r->value = --r->left ? r->value + r->step : r->target;
    }
    return r->value;
}

static inline int sm_ramp_active(const sm_ramp *r) { return r->left > 0; }

#endif
