/* svf.h - a trapezoidal (zero-delay-feedback) state-variable filter with
 * magnitude-matched coefficients: bell, low/high shelf, low/high pass and
 * notch whose magnitude follows the analog prototype (the RBJ "Audio EQ
 * Cookbook" shapes) up to near Nyquist, without the bilinear transform's
 * cramping.
 *
 * Structure (A. Simper, Cytomic, "SvfLinearTrapOptimised2"): two trapezoidal
 * integrators whose states persist, so the coefficients may change on every
 * sample without clicks; outputs are mixed as
 *   y = m0 x + m1 bp + m2 lp,
 * which realises H(s) = (m0 s^2 + (m0 k + m1) s + (m0 + m2)) / (s^2 + k s + 1)
 * in the bilinear variable s = (z - 1) / (g (z + 1)). Every stable second
 * order digital filter has such a form, so the design can place poles and
 * zeros wherever it likes and the SVF runs it.
 *
 * Design ("matched", after M. Vicanek, "Matched Second Order Digital
 * Filters", 2016, restated in the SVF's own variables):
 *  - poles: the analog poles mapped by z = exp(s T) (impulse invariance),
 *    which keeps their frequency and damping exact at any rate;
 *  - zeros: chosen so that the digital magnitude equals the analog one at
 *    DC, at the centre frequency and at one more condition: the slope at the
 *    centre (bell, whose peak thereby stays at the centre), the magnitude at
 *    1.4 f0 (shelves and low pass, or at Nyquist when 1.4 f0 is above it),
 *    the magnitude at 0.7 f0 (high pass, whose two zeros sit at DC), the
 *    notch frequency itself (notch);
 *  - cuts are designed as the boost of the same size and inverted (a bell
 *    of -g dB is exactly 1 / the bell of +g dB, as for the analog
 *    prototypes), so that the poles always come from the better-behaved
 *    (narrower, lower) pair and boost and cut are symmetric.
 * The results are measured in tests/unit/test_svf.c against the analog
 * prototypes; see the comments there for the accuracy achieved.
 *
 * Cost: sm_svf_prepare (on a frequency or Q change) needs two tan();
 * sm_svf_design_gain (on a gain change) needs two exp, two expm1, one sin and
 * a few square roots, and no tan(): cheap enough for a dynamic EQ to call it
 * every few samples (about 45 ns on the test machine).
 */
#ifndef SM_SVF_H
#define SM_SVF_H

typedef enum {
    SM_SVF_BELL,
    SM_SVF_LOWSHELF,
    SM_SVF_HIGHSHELF,
    SM_SVF_LOWPASS,
    SM_SVF_HIGHPASS,
    SM_SVF_NOTCH,
    SM_SVF_NTYPES
} sm_svf_type;

/* The highest centre frequency designed, as a fraction of the sample rate;
 * higher requests are clamped to it. */
#define SM_SVF_MAXFREQ 0.45
/* The lowest, likewise (1 Hz at 100 kHz). */
#define SM_SVF_MINFREQ 1e-5

/* Coefficients: integrator gain g, damping k, output mix m0 m1 m2. */
typedef struct sm_svf_coefs {
    double g, k, m0, m1, m2;
} sm_svf_coefs;

/* The part of a design that depends on the frequency and Q only, kept so
 * that a gain change costs no tan(). */
typedef struct sm_svf_design {
    sm_svf_type type;
    double q;
    double w0;  /* centre, rad/sample */
    double t0;  /* tan(w0 / 2) */
    double tm;  /* tan of the second match point: 0.35 w0 (high pass) or
                   (pi - wm) / 2 (shelves, low pass: 0 when wm = pi) */
    double wmr; /* second match point / w0 */
} sm_svf_design;

/* Frequency-dependent part of a design (freq_hz is clamped to the range
 * above, q to [0.025, 100]). */
void sm_svf_prepare(sm_svf_design *d, sm_svf_type type, double freq_hz,
                    double q, double samplerate);

/* Coefficients for a gain in dB (bell and shelves; ignored by the others). */
void sm_svf_design_gain(const sm_svf_design *d, double gain_db,
                        sm_svf_coefs *c);

/* Both steps at once. */
void sm_svf_design_all(sm_svf_coefs *c, sm_svf_type type, double freq_hz,
                       double q, double gain_db, double samplerate);

/* The identity (y = x). */
void sm_svf_identity(sm_svf_coefs *c);

/* Magnitude of the digital response at freq_hz, linear. */
double sm_svf_magnitude(const sm_svf_coefs *c, double freq_hz,
                        double samplerate);

/* Coefficients of the recurrence, derived from g and k. */
typedef struct sm_svf_run {
    double a1, a2, a3, m0, m1, m2;
} sm_svf_run;

static inline void sm_svf_run_from(sm_svf_run *r, const sm_svf_coefs *c)
{
    r->a1 = 1.0 / (1.0 + c->g * (c->g + c->k));
    r->a2 = c->g * r->a1;
    r->a3 = c->g * r->a2;
    r->m0 = c->m0;
    r->m1 = c->m1;
    r->m2 = c->m2;
}

/* Integrator states. */
typedef struct sm_svf_state {
    double ic1, ic2;
} sm_svf_state;

/* One sample. */
static inline double sm_svf_tick(sm_svf_state *s, const sm_svf_run *r, double x)
{
    double v3 = x - s->ic2;
    double v1 = r->a1 * s->ic1 + r->a2 * v3;
    double v2 = s->ic2 + r->a2 * s->ic1 + r->a3 * v3;
    s->ic1 = 2.0 * v1 - s->ic1;
    s->ic2 = 2.0 * v2 - s->ic2;
    return r->m0 * x + r->m1 * v1 + r->m2 * v2;
}

/* Zeroes the state if it went non-finite or denormal. Call once a block. */
void sm_svf_guard(sm_svf_state *s);

/* n samples with fixed coefficients; out may alias in. */
void sm_svf_process(sm_svf_state *s, const sm_svf_coefs *c, const float *in,
                    float *out, int n);

#endif
