/* svf.c - matched state-variable filter design. See svf.h.
 *
 * Notation. The SVF realises H = N(s) / D(s) with D = s^2 + k s + 1 and
 * N = n2 s^2 + n1 s + n0 (n2 = m0, n1 = m0 k + m1, n0 = m0 + m2), where
 * s = (z - 1) / (g (z + 1)). On the unit circle s = j W with
 * W = tan(w / 2) / g, so |H(w)|^2 = |N(jW)|^2 / |D(jW)|^2 exactly, and with
 * X = W^2:
 *   |D|^2 = (1 - X)^2 + k^2 X,    |N|^2 = (n0 - n2 X)^2 + n1^2 X.
 * n0 is the DC gain and n2 the Nyquist gain. The design fixes g and k from
 * the poles, then n0, n1, n2 from magnitude conditions, all in closed form.
 */
#include "svf.h"
#include "numerics.h"

#include <math.h>

#define SVF_LN10 2.302585092994045684 /* ln 10: 10^(x/40) = exp(x ln10 / 40)   \
                                       */

/* |H(jw)|^2 of the analog prototype in the form the design uses (bell and
 * low shelf boosting, high shelf cutting: A >= 1, A >= 1, A <= 1), w
 * normalised to the centre frequency. A = 10^(dB/40) as in the cookbook. */
static double proto2(sm_svf_type t, double A, double q, double w)
{
    double w2 = w * w, iq2 = 1.0 / (q * q);
    double a, b, n;
    switch (t) {
    case SM_SVF_BELL:
        a = (1.0 - w2) * (1.0 - w2);
        return (a + w2 * A * A * iq2) / (a + w2 * iq2 / (A * A));
    case SM_SVF_LOWSHELF:
        a = (A - w2) * (A - w2) + w2 * A * iq2;
        b = (1.0 - A * w2) * (1.0 - A * w2) + w2 * A * iq2;
        return A * A * a / b;
    case SM_SVF_HIGHSHELF:
        a = (1.0 - A * w2) * (1.0 - A * w2) + w2 * A * iq2;
        b = (A - w2) * (A - w2) + w2 * A * iq2;
        return A * A * a / b;
    default:
        b = (1.0 - w2) * (1.0 - w2) + w2 * iq2;
        n = t == SM_SVF_LOWPASS    ? 1.0
            : t == SM_SVF_HIGHPASS ? w2 * w2
                                   : (1.0 - w2) * (1.0 - w2);
        return n / b;
    }
}

/* g and k of the SVF whose poles are those of the analog denominator
 * s^2 + 2 zeta wn s + wn^2 (s normalised to w0 rad/sample) mapped by
 * z = exp(s). With the poles p, p*: 1 + a1 + a2 = |1 - p|^2 = 4 g^2 / Dn,
 * 1 - a1 + a2 = |1 + p|^2 = 4 / Dn, 1 - a2 = 2 g k / Dn. The sums are
 * formed without cancellation (expm1), which keeps low frequencies at high
 * rates exact. */
static void poles(double wn, double zeta, double w0, double *g, double *k)
{
    double p1, p2, oma2;
    if (zeta < 1.0) {
        double sig = zeta * wn * w0;
        double th = wn * w0 * sqrt(1.0 - zeta * zeta);
        double r = exp(-sig), omr = -expm1(-sig);
        double s = sin(0.5 * th);
        double s2 = 4.0 * r * s * s;
        p1 = omr * omr + s2;
        p2 = (1.0 + r) * (1.0 + r) - s2;
        oma2 = -expm1(-2.0 * sig);
    } else { /* two real poles */
        double d = sqrt(zeta * zeta - 1.0);
        double s1 = wn * w0 * (-zeta + d), s2 = wn * w0 * (-zeta - d);
        double e1 = expm1(s1), e2 = expm1(s2);
        p1 = e1 * e2;
        p2 = (2.0 + e1) * (2.0 + e2);
        oma2 = -expm1(s1 + s2);
    }
    *g = sqrt(p1 / p2);
    *k = 2.0 * oma2 / (p2 * *g);
}

void sm_svf_prepare(sm_svf_design *d, sm_svf_type type, double freq_hz,
                    double q, double samplerate)
{
    double f = freq_hz / samplerate;
    if (!(f >= SM_SVF_MINFREQ)) /* also NaN */
        f = SM_SVF_MINFREQ;
    if (f > SM_SVF_MAXFREQ)
        f = SM_SVF_MAXFREQ;
    if (!(q >= 0.025))
        q = 0.025;
    if (q > 100.0)
        q = 100.0;
    d->type = (unsigned)type < SM_SVF_NTYPES ? type : SM_SVF_BELL;
    d->q = q;
    d->w0 = 2.0 * SM_PI * f;
    d->t0 = tan(0.5 * d->w0);
    if (d->type == SM_SVF_HIGHPASS) {
        d->wmr = 0.7;
        d->tm = tan(0.35 * d->w0);
    } else {
        double wm = 1.4 * d->w0;
        if (wm > SM_PI)
            wm = SM_PI;
        d->wmr = wm / d->w0;
        d->tm = tan(0.5 * (SM_PI - wm));
    }
}

void sm_svf_identity(sm_svf_coefs *c)
{
    c->g = 0.1; /* any positive value: the mix ignores the states */
    c->k = 1.0;
    c->m0 = 1.0;
    c->m1 = c->m2 = 0.0;
}

/* Bell, boosting (A >= 1): DC gain 1, |H| = A^2 at the centre, and zero
 * slope there. With u = n0 - n2 X0 the two centre conditions reduce to
 * u^2 - 2 u + G^2 (1 - X0^2) = 0 (G = A^2): the small root keeps n2 > 0 and
 * is taken in its cancellation-free form. */
static void bell_zeros(double g, double k, double t0, double A, double *n0,
                       double *n1, double *n2)
{
    double x0 = (t0 / g) * (t0 / g);
    double g2 = A * A * A * A;
    double omx2 = (1.0 - x0) * (1.0 + x0);
    double disc = 1.0 - g2 * omx2;
    double u = g2 * omx2 / (1.0 + sqrt(disc > 0.0 ? disc : 0.0));
    double m = g2 * (k * k - 2.0 * (1.0 - x0)) + 2.0 * ((1.0 - u) / x0) * u;
    *n0 = 1.0;
    *n2 = (1.0 - u) / x0;
    *n1 = sqrt(m > 0.0 ? m : 0.0);
}

/* Shelves and low pass: n0 from DC, then |N|^2 = n0^2 + P X + n2^2 X^2
 * matched at the centre (X0) and at the second point, written with
 * y = 1 / Xm so that y = 0 (the second point at Nyquist) needs no special
 * case: n2^2 + P y = Sm with Sm = Tm ((1 - y)^2 + k^2 y) - n0^2 y^2. */
static void two_point_zeros(const sm_svf_design *d, double g, double k,
                            double A, double *n0, double *n1, double *n2)
{
    double x0 = (d->t0 / g) * (d->t0 / g);
    double y = (g * d->tm) * (g * d->tm);
    double dc = sqrt(proto2(d->type, A, d->q, 0.0));
    double tm = proto2(d->type, A, d->q, d->wmr);
    double sm = tm * ((1.0 - y) * (1.0 - y) + k * k * y) - dc * dc * y * y;
    double r0 =
        proto2(d->type, A, d->q, 1.0) * ((1.0 - x0) * (1.0 - x0) + k * k * x0) -
        dc * dc;
    double p = (r0 - sm * x0 * x0) / (x0 * (1.0 - y * x0));
    double q2 = sm - p * y;
    *n0 = dc;
    *n2 = sqrt(q2 > 0.0 ? q2 : 0.0);
    q2 = p + 2.0 * dc * *n2;
    *n1 = sqrt(q2 > 0.0 ? q2 : 0.0);
}

void sm_svf_design_gain(const sm_svf_design *d, double gain_db, sm_svf_coefs *c)
{
    double g, k, n0, n1, n2, A = 1.0, wn = 1.0, zeta = 0.5 / d->q;
    int invert = 0;
    if (!(gain_db > -200.0 && gain_db < 200.0)) /* NaN, absurd */
        gain_db = 0.0;
    switch (d->type) {
    case SM_SVF_BELL: /* boost form: A >= 1 */
        A = exp(fabs(gain_db) * (SVF_LN10 / 40.0));
        invert = gain_db < 0.0;
        zeta = 0.5 / (A * d->q);
        break;
    case SM_SVF_LOWSHELF: /* boost form: poles at w0 / sqrt(A), below */
        A = exp(fabs(gain_db) * (SVF_LN10 / 40.0));
        invert = gain_db < 0.0;
        wn = 1.0 / sqrt(A);
        break;
    case SM_SVF_HIGHSHELF: /* cut form: poles at w0 sqrt(A), below */
        A = exp(-fabs(gain_db) * (SVF_LN10 / 40.0));
        invert = gain_db > 0.0;
        wn = sqrt(A);
        break;
    default:
        break;
    }
    poles(wn, zeta, d->w0, &g, &k);
    switch (d->type) {
    case SM_SVF_BELL:
        bell_zeros(g, k, d->t0, A, &n0, &n1, &n2);
        break;
    case SM_SVF_HIGHPASS: { /* two zeros at DC: N = n2 s^2, matched at
                               0.7 w0, which centres the error */
        double xm = (d->tm / g) * (d->tm / g);
        double t = proto2(d->type, 1.0, d->q, d->wmr) *
                   ((1.0 - xm) * (1.0 - xm) + k * k * xm);
        n0 = n1 = 0.0;
        n2 = sqrt(t) / xm;
        break;
    }
    case SM_SVF_NOTCH: { /* zeros on the circle at w0, DC gain 1 */
        double x0 = (d->t0 / g) * (d->t0 / g);
        n0 = 1.0;
        n1 = 0.0;
        n2 = 1.0 / x0;
        break;
    }
    default:
        two_point_zeros(d, g, k, A, &n0, &n1, &n2);
        break;
    }
    if (invert) {
        /* 1/H = D / N: the zeros become the poles. Rescale s so that the
         * new denominator is s'^2 + k' s' + 1 again (s = c s'). */
        if (n2 < 1e-12)
            n2 = 1e-12;
        double cc = sqrt(n0 / n2);
        double gi = g * cc, ki = n1 / sqrt(n0 * n2);
        double i0 = 1.0 / n0, i1 = k * cc / n0, i2 = 1.0 / n2;
        g = gi;
        k = ki;
        n0 = i0;
        n1 = i1;
        n2 = i2;
    }
    c->g = g;
    c->k = k;
    c->m0 = n2;
    c->m1 = n1 - n2 * k;
    c->m2 = n0 - n2;
}

void sm_svf_design_all(sm_svf_coefs *c, sm_svf_type type, double freq_hz,
                       double q, double gain_db, double samplerate)
{
    sm_svf_design d;
    sm_svf_prepare(&d, type, freq_hz, q, samplerate);
    sm_svf_design_gain(&d, gain_db, c);
}

double sm_svf_magnitude(const sm_svf_coefs *c, double freq_hz,
                        double samplerate)
{
    /* H(z) = m0 + [m1 g (z^2-1) + m2 g^2 (z+1)^2] / Dz with
     * Dz = (z-1)^2 + g k (z^2-1) + g^2 (z+1)^2, evaluated at z = e^{jw} through
     * (z-1)^2 = -4 sin^2(w/2) z, (z+1)^2 = 4 cos^2(w/2) z,
     * z^2-1 = 2j sin(w) z: the common factor z cancels. */
    double w = 2.0 * SM_PI * freq_hz / samplerate;
    double s = sin(0.5 * w), co = cos(0.5 * w);
    double zm = -4.0 * s * s, zp = 4.0 * co * co, zi = 2.0 * sin(w);
    double g = c->g;
    double nre = c->m0 * (zm + g * g * zp) + c->m2 * g * g * zp;
    double nim = (c->m0 * c->k + c->m1) * g * zi;
    double dre = zm + g * g * zp;
    double dim = g * c->k * zi;
    return sqrt((nre * nre + nim * nim) / (dre * dre + dim * dim));
}

void sm_svf_guard(sm_svf_state *s)
{
    /* |state| beyond 1e15 or NaN: the input was not finite */
    if (!(fabs(s->ic1) < 1e15) || !(fabs(s->ic2) < 1e15)) {
        s->ic1 = s->ic2 = 0.0;
        return;
    }
    if (fabs(s->ic1) < 1e-30)
        s->ic1 = 0.0;
    if (fabs(s->ic2) < 1e-30)
        s->ic2 = 0.0;
}

void sm_svf_process(sm_svf_state *s, const sm_svf_coefs *c, const float *in,
                    float *out, int n)
{
    sm_svf_run r;
    sm_svf_run_from(&r, c);
    for (int i = 0; i < n; i++)
        out[i] = (float)sm_svf_tick(s, &r, sm_sanitize(in[i]));
    sm_svf_guard(s);
}
