/* assist_dynamics.c - the smart master's dynamics rules. See
 * assist_dynamics.h for what they propose; here, how and why.
 *
 * Dynamic EQ (§7.4 rule 2). For each region (boom, harshness, sibilance)
 * and each of its 1/3-octave bands: spread = P95 - P50 of the 400 ms level,
 * excess = spread - the target's spread (the reference's, else the
 * provisional SM_ADYN_DEFAULT_SPREAD_DB). A region qualifies when its worst
 * band's excess is above 3 dB; the two worst regions get a dynamic bell.
 * The bell covers the run of neighbouring bands (inside the region) that
 * also exceed by 3 dB: centre at its geometric middle, Q of its width
 * (N octaves: Q = 2^(N/2) / (2^N - 1), clamped to 1..4: a single band asks
 * for 4.3, mastering bells stay at or below 4). Settings of §7.4: ratio 2,
 * range 3 (1 + a) dB, attack 5 ms, release 100 ms, cut above threshold,
 * listening to its own band on linked channels.
 *
 * Threshold = the band's P80 on dyneq~'s detector scale:
 *   - the bell's detector is a 0 dB-peak band pass; the power it passes is
 *     sum_b w_b P_b over all 1/3-octave bands (w_b its mean power gain over
 *     band b, averaged over log frequency: within a band, music is closer to
 *     equal power per octave than per hertz), with each band at its P80
 *     (the bands of a region rise and fall together, so their P80s add);
 *   - the detector's energy envelope of noise has twice that power as its
 *     mean (bp^2 - lp hp: the low- and high-pass term adds as much as bp^2
 *     for a stationary input), a sine's reads its squared amplitude, also
 *     twice its mean square: +3.01 dB;
 *   - the envelope of band noise is exponentially distributed, and the
 *     attack/release detector (5/100 ms) leans on its peaks (roughly, it
 *     rests near the level the envelope exceeds a fraction attack /
 *     (attack + release) of the time: 10 log10(ln 21) = 4.8 dB above the
 *     mean). The margin above the mean is solved on the detector model
 *     below (sm_adyn_dyneq_margin_db): the lowest threshold at which steady
 *     band noise at the P80 level is reduced by at most 0.1 dB, 6.1 dB for
 *     5/100 ms and ratio 2. Steady material at P80 and below is then left
 *     alone instead of being pressed by its own ripple; a tonal band (no
 *     ripple) reads up to that much below the threshold, i.e. is reduced
 *     less - the side to err on;
 *   - plus the chain's input gain, which comes before dyneq~.
 *
 * Multiband (§7.4 rule 3). The level of mbcomp~ band k at percentile q is
 * estimated as 10 log10(sum_b W_kb 10^(Pq_b / 10)), W_kb the crossover's
 * mean power gain over 1/3-octave band b (Linkwitz-Riley: |LP|^2 =
 * 1/(1+x^4)^2, |HP|^2 = x^8/(1+x^4)^2, x = f/fc, a product over the splits;
 * the compensating allpasses change no magnitudes). Adding percentiles
 * treats the member bands as rising and falling together: an upper bound
 * on the band's spread (independent bands would average out); the louder
 * members dominate both the sum and mbcomp~'s detector, so the bound is
 * tight where it matters. The band's range R_k = L_k(P95) - L_k(P10) of
 * 400 ms levels is put on the scale of the loudness range (P10..P95 of 3 s
 * K-weighted levels, lufs~ `range`) by the programme's own ratio: LRA_k =
 * LRA x R_k / R_all, R_all the same estimate over the whole spectrum with
 * each band K-weighted (BS.1770's filters: what the loudness range hears);
 * 400 ms levels of a band swing more than 3 s levels of the whole, and the
 * ratio removes that. If lufs~'s range is unknown, R_k itself. The target's
 * LRA_k: the reference's, computed the same way, else the target LRA. G_k =
 * min(3 dB, a (1 dB + 0.5 max(0, LRA_k - LRA_target,k))) when the range exceeds
 * the target, else no compression (ratio 1); ratio 1 + a (2 - 1);
 * attack/release from the crest factor (§5.5), clamped per band class
 * (LF 10..40 / 100..400 ms, MF 5..20 / 60..240, HF 1.5..6 / 30..120: §7.2's
 * 20/200, 10/120, 3/60 within a factor 2); threshold by bisection so that the
 * predicted mean reduction = G_k; make-up = the predicted mean reduction. The
 * prediction: for every level of the band's distribution (its quantile
 * function, piecewise linear through the percentiles), the reduction the
 * smooth-branching detector settles at when the peak detector reads
 * Gaussian noise of that mean square: sample levels P + 10 log10(z), z
 * chi-square with 1 degree of freedom (the largest of the ~independent
 * samples in a detector period, see peak_samples), through the static
 * curve, and the
 * equilibrium y of dy = (r - y) / tau, tau = attack when r > y else
 * release: E[(r - y)+] / attack = E[(y - r)+] / release. For independent
 * samples this is the detector's mean exactly (checked against a
 * simulation while writing this: within 0.03 dB); band-limited noise is
 * close, see the Pd test. The crest factor used is analyze~'s programme
 * crest (largest peak over the long-term RMS), larger than §5.5's running
 * 200 ms crest factor, so the times err short before the clamps. */
#include "assist_dynamics.h"
#include "dynamics.h"
#include "numerics.h"
#include "spectrum.h" /* the bands: centres and nominal labels */

#include <math.h>
#include <stdio.h>
#include <string.h>

#define NB SM_ADYN_BANDS
#define SILENT_DB (-120.0)
#define NZ 96           /* fluctuation quantiles */
#define NQ 48           /* level-distribution quantiles */
#define NSUB 32         /* points per 1/3-octave band in the weights */
#define TMIN_DB (-80.0) /* mbcomp~'s threshold range */
#define TMAX_DB 0.0

static const struct {
    const char *name;
    int lo, hi; /* 1/3-octave bands */
} regions[SM_ADYN_REGIONS] = {
    {"boom", 5, 8},        /* 63 .. 125 Hz: 60 - 150 Hz */
    {"harshness", 20, 23}, /* 2 .. 4 kHz: 2 - 5 kHz */
    {"sibilance", 24, 26}, /* 5 .. 8 kHz: 5 - 9 kHz */
};

/* the centre at a fractional band number (between two bands) */
static double centre_at(double fb)
{
    return 1000.0 * pow(10.0, (fb - 17.0) / 10.0);
}

/* ------------------------------------------------------------ state */

static void stats_clear(sm_adyn_stats *s)
{
    for (int q = 0; q < SM_ADYN_NPCT; q++)
        for (int b = 0; b < NB; b++)
            s->pct_db[q][b] = SM_FLOOR_DB;
    s->have_pct = 0;
    s->lra_lu = 0.0;
    s->have_lra = 0;
}

void sm_adyn_reset(sm_adyn *d)
{
    stats_clear(&d->mix);
    d->crest_db = d->plr_db = 0.0;
    d->have_crest = d->have_plr = 0;
}

void sm_adyn_init(sm_adyn *d)
{
    memset(d, 0, sizeof *d);
    sm_adyn_reset(d);
    stats_clear(&d->ref);
    d->match = 1.0;
    d->samplerate = 48000.0;
    static const double xo[3] = {120.0, 1000.0, 6000.0};
    sm_adyn_set_mbcomp(d, 4, xo);
}

void sm_adyn_set_percentile(sm_adyn *d, int which, const double *db, int n)
{
    if (which < 0 || which >= SM_ADYN_NPCT)
        return;
    for (int b = 0; b < NB; b++)
        d->mix.pct_db[which][b] =
            b < n && db
                ? sm_clamp(sm_finite_or(db[b], SM_FLOOR_DB), SM_FLOOR_DB, 200.0)
                : SM_FLOOR_DB;
    d->mix.have_pct |= 1u << which;
}

void sm_adyn_set_lra(sm_adyn *d, double lu)
{
    d->mix.lra_lu = sm_clamp(sm_finite_or(lu, 0.0), 0.0, 100.0);
    d->mix.have_lra = 1;
}

void sm_adyn_set_crest(sm_adyn *d, double db)
{
    d->crest_db = sm_clamp(sm_finite_or(db, 0.0), 0.0, 100.0);
    d->have_crest = d->crest_db > 0.0;
}

void sm_adyn_set_plr(sm_adyn *d, double db)
{
    d->plr_db = sm_clamp(sm_finite_or(db, 0.0), 0.0, 200.0);
    d->have_plr = d->plr_db > 0.0;
}

void sm_adyn_set_reference(sm_adyn *d, const sm_adyn_stats *ref)
{
    if (!ref) {
        stats_clear(&d->ref);
        d->have_ref = d->ref_count = d->ref_lra_count = 0;
        return;
    }
    d->ref = *ref;
    d->have_ref = 1;
    d->ref_count = 1;
    d->ref_lra_count = ref->have_lra;
}

int sm_adyn_reference_add(sm_adyn *d)
{
    const unsigned all = (1u << SM_ADYN_NPCT) - 1;
    if ((d->mix.have_pct & all) != all)
        return 0;
    int n = d->have_ref ? d->ref_count : 0;
    for (int q = 0; q < SM_ADYN_NPCT; q++)
        for (int b = 0; b < NB; b++)
            d->ref.pct_db[q][b] =
                n ? d->ref.pct_db[q][b] +
                        (d->mix.pct_db[q][b] - d->ref.pct_db[q][b]) / (n + 1)
                  : d->mix.pct_db[q][b];
    d->ref.have_pct = all;
    if (d->mix.have_lra) {
        int m = d->have_ref ? d->ref_lra_count : 0;
        d->ref.lra_lu =
            m ? d->ref.lra_lu + (d->mix.lra_lu - d->ref.lra_lu) / (m + 1)
              : d->mix.lra_lu;
        d->ref.have_lra = 1;
        d->ref_lra_count = m + 1;
    }
    d->ref_count = n + 1;
    d->have_ref = 1;
    return 1;
}

void sm_adyn_set_mbcomp(sm_adyn *d, int nbands, const double *xover_hz)
{
    d->mb_bands = nbands < 1               ? 1
                  : nbands > SM_ADYN_MAXMB ? SM_ADYN_MAXMB
                                           : nbands;
    for (int i = 0; i < d->mb_bands - 1; i++)
        d->xover_hz[i] = sm_clamp(sm_finite_or(xover_hz[i], 1000.0), 20, 20000);
}

/* ---------------------------------------------------------- weights */

/* mean over band b (log frequency) of resp(f) */
static double band_mean(int b, double (*resp)(double, const void *),
                        const void *ctx)
{
    double lo = log10(sm_spectrum_centre_hz(b)) - 0.05, s = 0.0;
    for (int i = 0; i < NSUB; i++)
        s += resp(pow(10.0, lo + 0.1 * (i + 0.5) / NSUB), ctx);
    return s / NSUB;
}

typedef struct {
    double fc, q;
} bp_ctx;

static double bp_resp(double f, const void *z)
{
    const bp_ctx *c = z;
    double x = f / c->fc, u = x / c->q, v = 1.0 - x * x;
    return u * u / (v * v + u * u);
}

double sm_adyn_bandpass_weight(double fc, double q, int b)
{
    bp_ctx c = {fc, q};
    return band_mean(b, bp_resp, &c);
}

typedef struct {
    int nbands, k;
    const double *hz;
} xo_ctx;

static double xo_resp(double f, const void *z)
{
    const xo_ctx *c = z;
    double p = 1.0;
    for (int i = 0; i < c->nbands - 1; i++) {
        double x4 = pow(f / c->hz[i], 4.0), d = (1.0 + x4) * (1.0 + x4);
        p *= c->k <= i ? 1.0 / d : x4 * x4 / d;
    }
    return p;
}

double sm_adyn_xover_weight(int nbands, const double *hz, int k, int b)
{
    xo_ctx c = {nbands, k, hz};
    return band_mean(b, xo_resp, &c);
}

/* |H(e^jw)|^2 of a biquad b0..b2, a1, a2 (a0 = 1) */
static double biquad_power(const double *c, double w)
{
    double c1 = cos(w), s1 = sin(w), c2 = cos(2 * w), s2 = sin(2 * w);
    double nr = c[0] + c[1] * c1 + c[2] * c2, ni = -c[1] * s1 - c[2] * s2;
    double dr = 1.0 + c[3] * c1 + c[4] * c2, di = -c[3] * s1 - c[4] * s2;
    return (nr * nr + ni * ni) / (dr * dr + di * di);
}

static double kw_resp(double f, const void *z)
{
    /* BS.1770-4's K-weighting at 48 kHz: pre-filter (high shelf) and RLB
     * high pass, the standard's own coefficients */
    static const double shelf[5] = {1.53512485958697, -2.69169618940638,
                                    1.19839281085285, -1.69065929318241,
                                    0.73248077421585};
    static const double rlb[5] = {1.0, -2.0, 1.0, -1.99004745483398,
                                  0.99007225036621};
    double w = 2.0 * SM_PI * (f < 23999.0 ? f : 23999.0) / 48000.0;
    (void)z;
    return biquad_power(shelf, w) * biquad_power(rlb, w);
}

double sm_adyn_kweight(int b)
{
    return band_mean(b, kw_resp, NULL);
}

double sm_adyn_weighted_db(const double *db, const double *w)
{
    double s = 0.0;
    for (int b = 0; b < NB; b++)
        if (db[b] > SILENT_DB)
            s += w[b] * pow(10.0, db[b] / 10.0);
    return s > 1e-15 ? 10.0 * log10(s) : SM_FLOOR_DB;
}

/* ------------------------------------------------------ crest rule */

void sm_adyn_crest_times(double crest_db, double *attack_ms, double *release_ms)
{
    double cf2 = pow(10.0, crest_db / 10.0);
    *attack_ms = 2.0 * 80.0 / cf2;
    *release_ms = 2.0 * 1000.0 / cf2 - *attack_ms;
}

/* ------------------------------------------------- detector model */

/* The fluctuation's quantiles in dB (z at the midpoints u = (i + 1/2) / NZ
 * of its distribution); returns how many. */
static int fluct_db(int fluct, double neff, double *zdb)
{
    if (fluct == SM_ADYN_FLUCT_NONE) {
        zdb[0] = 0.0;
        return 1;
    }
    for (int i = 0; i < NZ; i++) {
        double u = (i + 0.5) / NZ, z;
        if (fluct == SM_ADYN_FLUCT_ENVELOPE)
            z = -log(1.0 - u);
        else { /* the largest of neff chi-square(1) samples: P(z' <= z) =
                * erf(sqrt(z / 2))^neff = u */
            double lo = 0.0, hi = 10.0, un = pow(u, 1.0 / neff);
            for (int it = 0; it < 60; it++) {
                double m = 0.5 * (lo + hi);
                if (erf(m) < un)
                    lo = m;
                else
                    hi = m;
            }
            double t = 0.5 * (lo + hi);
            z = 2.0 * t * t;
        }
        zdb[i] = 10.0 * log10(z);
    }
    return NZ;
}

typedef struct {
    double zdb[NZ];
    int nz;
    double threshold, ratio, knee, attack, release;
} model;

static double steady(const model *m, double level)
{
    double r[NZ], rmax = 0.0;
    for (int i = 0; i < m->nz; i++) {
        r[i] = -sm_gain_computer_db(level + m->zdb[i], m->threshold, m->ratio,
                                    m->knee);
        rmax = r[i] > rmax ? r[i] : rmax;
    }
    if (rmax <= 0.0)
        return 0.0;
    /* equilibrium: E[(r - y)+] / attack - E[(y - r)+] / release = 0,
     * decreasing in y, positive at 0 and negative at rmax */
    double lo = 0.0, hi = rmax;
    for (int it = 0; it < 36; it++) {
        double y = 0.5 * (lo + hi), up = 0.0, down = 0.0;
        for (int i = 0; i < m->nz; i++) {
            if (r[i] > y)
                up += r[i] - y;
            else
                down += y - r[i];
        }
        if (up / m->attack > down / m->release)
            lo = y;
        else
            hi = y;
    }
    return 0.5 * (lo + hi);
}

static void model_init(model *m, int fluct, double neff, double threshold,
                       double ratio, double knee, double attack, double release)
{
    m->nz = fluct_db(fluct, neff < 1.0 ? 1.0 : neff, m->zdb);
    m->threshold = threshold;
    m->ratio = ratio < 1.0 ? 1.0 : ratio;
    m->knee = knee < 0.0 ? 0.0 : knee;
    m->attack = attack > 1e-3 ? attack : 1e-3;
    m->release = release > 1e-3 ? release : 1e-3;
}

double sm_adyn_steady_gr_db(double level_db, int fluct, double threshold_db,
                            double ratio, double knee_db, double attack_ms,
                            double release_ms)
{
    model m;
    model_init(&m, fluct, 1.0, threshold_db, ratio, knee_db, attack_ms,
               release_ms);
    return steady(&m, level_db);
}

/* The quantile function through (0.10, P10) (0.50, P50) (0.80, P80) (0.95,
 * P95), extended linearly to 0 and 1; pct sorted ascending. */
static double quantile(const double *pct, double p)
{
    static const double at[SM_ADYN_NPCT] = {0.10, 0.50, 0.80, 0.95};
    int i = p < at[1] ? 0 : p < at[2] ? 1 : 2;
    double s = (pct[i + 1] - pct[i]) / (at[i + 1] - at[i]);
    return pct[i] + s * (p - at[i]);
}

static void sort4(const double *in, double *out)
{
    for (int i = 0; i < SM_ADYN_NPCT; i++)
        out[i] = in[i];
    for (int i = 1; i < SM_ADYN_NPCT; i++)
        for (int j = i; j > 0 && out[j] < out[j - 1]; j--) {
            double t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
}

static double mean_gr(const model *m, const double *sorted)
{
    double s = 0.0;
    for (int i = 0; i < NQ; i++)
        s += steady(m, quantile(sorted, (i + 0.5) / NQ));
    return s / NQ;
}

double sm_adyn_mean_gr_db(const double *pct, int fluct, double threshold_db,
                          double ratio, double knee_db, double attack_ms,
                          double release_ms)
{
    model m;
    double s[SM_ADYN_NPCT];
    sort4(pct, s);
    model_init(&m, fluct, 1.0, threshold_db, ratio, knee_db, attack_ms,
               release_ms);
    return mean_gr(&m, s);
}

/* ------------------------------------------------------- dynamic EQ */

double sm_adyn_dyneq_margin_db(double attack_ms, double release_ms,
                               double ratio)
{
    model m;
    double lo = 0.0, hi = 20.0;
    model_init(&m, SM_ADYN_FLUCT_ENVELOPE, 1.0, 0.0, ratio, 0.0, attack_ms,
               release_ms);
    for (int it = 0; it < 30; it++) {
        m.threshold = 0.5 * (lo + hi);
        if (steady(&m, 0.0) > SM_ADYN_STEADY_GR_DB)
            lo = m.threshold;
        else
            hi = m.threshold;
    }
    return hi;
}

static double target_spread(const sm_adyn *d, int b)
{
    const unsigned need = (1u << SM_ADYN_P50) | (1u << SM_ADYN_P95);
    if (d->have_ref && (d->ref.have_pct & need) == need &&
        d->ref.pct_db[SM_ADYN_P50][b] > SILENT_DB)
        return SM_ADYN_DEFAULT_SPREAD_DB +
               sm_clamp(d->match, 0.0, 1.0) *
                   (d->ref.pct_db[SM_ADYN_P95][b] -
                    d->ref.pct_db[SM_ADYN_P50][b] - SM_ADYN_DEFAULT_SPREAD_DB);
    return SM_ADYN_DEFAULT_SPREAD_DB;
}

static double band_excess(const sm_adyn *d, int b)
{
    double p50 = d->mix.pct_db[SM_ADYN_P50][b];
    if (p50 <= SILENT_DB)
        return -1e9;
    return d->mix.pct_db[SM_ADYN_P95][b] - p50 - target_spread(d, b);
}

static void dyneq_off(sm_adyn_dyneq *e)
{
    memset(e, 0, sizeof *e);
    e->region = e->worst = -1;
}

void sm_adyn_propose_dyneq(const sm_adyn *d, double amount, double drive_db,
                           sm_adyn_dyneq out[SM_ADYN_DYNEQ])
{
    const unsigned need =
        (1u << SM_ADYN_P50) | (1u << SM_ADYN_P80) | (1u << SM_ADYN_P95);
    for (int k = 0; k < SM_ADYN_DYNEQ; k++)
        dyneq_off(&out[k]);
    amount = sm_clamp(sm_finite_or(amount, 0.0), 0.0, 1.0);
    if ((d->mix.have_pct & need) != need) {
        snprintf(out[0].explain, SM_ADYN_TEXT,
                 "dynamic eq: no band because no band level statistics "
                 "(p50 p80 p95) are measured yet");
        return;
    }
    /* each region's worst band */
    int worst[SM_ADYN_REGIONS];
    double ex[SM_ADYN_REGIONS];
    for (int r = 0; r < SM_ADYN_REGIONS; r++) {
        worst[r] = regions[r].lo;
        for (int b = regions[r].lo; b <= regions[r].hi; b++)
            if (band_excess(d, b) > band_excess(d, worst[r]))
                worst[r] = b;
        ex[r] = band_excess(d, worst[r]);
    }
    /* the two worst qualifying regions, worst first */
    int chosen[SM_ADYN_DYNEQ], n = 0;
    int used[SM_ADYN_REGIONS] = {0};
    for (int k = 0; k < SM_ADYN_DYNEQ; k++) {
        int best = -1;
        for (int r = 0; r < SM_ADYN_REGIONS; r++)
            if (!used[r] && ex[r] > SM_ADYN_SPREAD_MARGIN_DB &&
                (best < 0 || ex[r] > ex[best]))
                best = r;
        if (best < 0)
            break;
        used[best] = 1;
        chosen[n++] = best;
    }
    if (n == 0) {
        int r = 0;
        for (int i = 1; i < SM_ADYN_REGIONS; i++)
            if (ex[i] > ex[r])
                r = i;
        if (ex[r] < -1e8)
            snprintf(out[0].explain, SM_ADYN_TEXT,
                     "dynamic eq: no band because the boom harshness and "
                     "sibilance regions are silent");
        else
            snprintf(out[0].explain, SM_ADYN_TEXT,
                     "dynamic eq: no band because no region's loud moments "
                     "stand out: the largest P95 - P50 excess over the "
                     "target is %.1f dB in the %s region at %g Hz (more "
                     "than %g dB needed)",
                     ex[r], regions[r].name, sm_spectrum_nominal_hz(worst[r]),
                     SM_ADYN_SPREAD_MARGIN_DB);
        return;
    }
    for (int k = 0; k < n; k++) {
        sm_adyn_dyneq *e = &out[k];
        int r = chosen[k], w = worst[r], lo = w, hi = w;
        while (lo > regions[r].lo &&
               band_excess(d, lo - 1) > SM_ADYN_SPREAD_MARGIN_DB)
            lo--;
        while (hi < regions[r].hi &&
               band_excess(d, hi + 1) > SM_ADYN_SPREAD_MARGIN_DB)
            hi++;
        double oct = (hi - lo + 1) / 3.0, span = pow(2.0, oct);
        e->region = r;
        e->worst = w;
        e->band_lo = lo;
        e->band_hi = hi;
        e->freq_hz = round(centre_at(0.5 * (lo + hi)));
        e->q = sm_hundredths(sm_clamp(sqrt(span) / (span - 1.0), 1.0, 4.0));
        e->ratio = SM_ADYN_DYNEQ_RATIO;
        e->attack_ms = SM_ADYN_DYNEQ_ATTACK_MS;
        e->release_ms = SM_ADYN_DYNEQ_RELEASE_MS;
        e->range_db = 3.0 * (1.0 + amount);
        e->p50_db = d->mix.pct_db[SM_ADYN_P50][w];
        e->p80_db = d->mix.pct_db[SM_ADYN_P80][w];
        e->p95_db = d->mix.pct_db[SM_ADYN_P95][w];
        e->spread_db = e->p95_db - e->p50_db;
        e->target_spread_db = target_spread(d, w);
        e->excess_db = ex[r];
        double wgt[NB];
        for (int b = 0; b < NB; b++)
            wgt[b] = 2.0 * sm_adyn_bandpass_weight(e->freq_hz, e->q, b);
        double ripple =
            sm_adyn_dyneq_margin_db(e->attack_ms, e->release_ms, e->ratio);
        e->threshold_db = sm_hundredths(
            sm_clamp(sm_adyn_weighted_db(d->mix.pct_db[SM_ADYN_P80], wgt) +
                         ripple + drive_db,
                     -100.0, 20.0));
        e->active = amount > 0.0;
        const char *tgt = d->have_ref && d->match > 0.0
                              ? "the reference"
                              : "the provisional target";
        if (e->active)
            snprintf(
                e->explain, SM_ADYN_TEXT,
                "dynamic eq: band %d bell at %g Hz q %g cuts up to %.1f "
                "dB above %.1f dB because the %s region's loud moments "
                "stand out: P95 - P50 = %.1f dB at %g Hz against %.1f "
                "dB in %s (threshold from its P80 of %.1f dB) (amount %.2f)",
                SM_ADYN_DYNEQ_BAND0 + k, e->freq_hz, e->q, e->range_db,
                e->threshold_db, regions[r].name, e->spread_db,
                sm_spectrum_nominal_hz(w), e->target_spread_db, tgt, e->p80_db,
                amount);
        else
            snprintf(e->explain, SM_ADYN_TEXT,
                     "dynamic eq: no band because the amount is 0 (the %s "
                     "region's P95 - P50 = %.1f dB at %g Hz against %.1f dB "
                     "in %s)",
                     regions[r].name, e->spread_db, sm_spectrum_nominal_hz(w),
                     e->target_spread_db, tgt);
    }
}

void sm_adyn_dyneq_message(const sm_adyn_dyneq *e, int k, char *buf, int size)
{
    if (!e->active) {
        snprintf(buf, size, "eq band %d on 0", SM_ADYN_DYNEQ_BAND0 + k);
        return;
    }
    snprintf(buf, size,
             "eq band %d type bell freq %g q %g gain 0 threshold %g ratio %g "
             "knee 0 range %g attack %g release %g direction cutabove "
             "sidechain band channels linked on 1",
             SM_ADYN_DYNEQ_BAND0 + k, e->freq_hz, e->q,
             sm_hundredths(e->threshold_db), e->ratio,
             sm_hundredths(e->range_db), e->attack_ms, e->release_ms);
}

/* ------------------------------------------------------- multiband */

/* The band's level percentiles and range, from stats s. */
static void band_levels(const sm_adyn *d, const sm_adyn_stats *s, int k,
                        double *pct)
{
    double w[NB];
    for (int b = 0; b < NB; b++)
        w[b] = sm_adyn_xover_weight(d->mb_bands, d->xover_hz, k, b);
    for (int q = 0; q < SM_ADYN_NPCT; q++)
        pct[q] = sm_adyn_weighted_db(s->pct_db[q], w);
}

/* LRA_k on the loudness range's scale (see the top of the file); -1 when
 * the band is silent. */
static double band_lra(const sm_adyn *d, const sm_adyn_stats *s, int k,
                       double *pct)
{
    double all[SM_ADYN_NPCT], kw[NB];
    band_levels(d, s, k, pct);
    if (pct[SM_ADYN_P50] <= SILENT_DB)
        return -1.0;
    double rk = pct[SM_ADYN_P95] - pct[SM_ADYN_P10];
    for (int b = 0; b < NB; b++)
        kw[b] = sm_adyn_kweight(b);
    for (int q = 0; q < SM_ADYN_NPCT; q++)
        all[q] = sm_adyn_weighted_db(s->pct_db[q], kw);
    double rall = all[SM_ADYN_P95] - all[SM_ADYN_P10];
    if (s->have_lra && rall > 0.5)
        return s->lra_lu * rk / rall;
    return rk;
}

/* per band class (LF, MF, HF): attack and release ranges, ms */
static const double time_range[3][4] = {
    {10, 40, 100, 400}, {5, 20, 60, 240}, {1.5, 6, 30, 120}};

/* mbcomp~'s detector takes the largest |x| of each period of K samples
 * (compressor.c: K = 8, 4, 2 or 1, at most 1/32 of the shorter time
 * constant). Samples of band noise decorrelate after about fs / (2 B), B
 * the bandwidth: K samples hold about 1 + (K - 1) min(1, 2 B / fs)
 * independent ones (1 for the low band, most of K for the top one). */
static double peak_samples(const sm_adyn *d, double lo_hz, double hi_hz,
                           double attack_ms, double release_ms)
{
    double fs = d->samplerate > 0 ? d->samplerate : 48000.0;
    double shortest = attack_ms < release_ms ? attack_ms : release_ms;
    double n = shortest * 0.001 * fs / 32.0;
    int k = n >= 8 ? 8 : n >= 4 ? 4 : n >= 2 ? 2 : 1;
    double hi = hi_hz < 0.5 * fs ? hi_hz : 0.5 * fs;
    double frac = hi > lo_hz ? 2.0 * (hi - lo_hz) / fs : 0.0;
    return 1.0 + (k - 1) * (frac < 1.0 ? frac : 1.0);
}

static int band_class(double lo, double hi)
{
    double c = sqrt(lo * hi);
    return c < 120.0 ? 0 : c < 2500.0 ? 1 : 2;
}

void sm_adyn_propose_multiband(const sm_adyn *d, double amount, double drive_db,
                               double target_lra_lu, sm_adyn_multiband *out)
{
    const unsigned all = (1u << SM_ADYN_NPCT) - 1;
    memset(out, 0, sizeof *out);
    amount = sm_clamp(sm_finite_or(amount, 0.0), 0.0, 1.0);
    out->nbands = d->mb_bands;
    out->have_data = (d->mix.have_pct & all) == all;
    /* crest rule: the programme crest, else the PLR, else §7.2's middle */
    out->crest_db = d->have_crest ? d->crest_db : d->have_plr ? d->plr_db : 0;
    if (out->crest_db > 0.0)
        sm_adyn_crest_times(out->crest_db, &out->attack_ms_rule,
                            &out->release_ms_rule);
    int ref_ok = d->have_ref && (d->ref.have_pct & all) == all;
    double ratio = 1.0 + amount * (SM_ADYN_MB_RATIO - 1.0);
    for (int k = 0; k < d->mb_bands; k++) {
        sm_adyn_mbband *m = &out->band[k];
        m->lo_hz = k == 0 ? 20.0 : d->xover_hz[k - 1];
        m->hi_hz = k == d->mb_bands - 1 ? 20000.0 : d->xover_hz[k];
        m->ratio = 1.0;
        m->knee_db = SM_ADYN_MB_KNEE_DB;
        int cls = band_class(m->lo_hz, m->hi_hz);
        const double *tr = time_range[cls];
        m->attack_ms = out->crest_db > 0.0
                           ? sm_clamp(out->attack_ms_rule, tr[0], tr[1])
                           : sqrt(tr[0] * tr[1]);
        m->release_ms = out->crest_db > 0.0
                            ? sm_clamp(out->release_ms_rule, tr[2], tr[3])
                            : sqrt(tr[2] * tr[3]);
        m->attack_ms = round(m->attack_ms * 10.0) / 10.0;
        m->release_ms = round(m->release_ms);
        m->threshold_db = TMAX_DB;
        if (!out->have_data) {
            snprintf(m->explain, SM_ADYN_TEXT,
                     "multiband: band %d (%g - %g Hz) ratio 1 because no band "
                     "level statistics (p10 p50 p80 p95) are measured yet",
                     k + 1, m->lo_hz, m->hi_hz);
            continue;
        }
        double rpct[SM_ADYN_NPCT];
        m->lra_lu = band_lra(d, &d->mix, k, m->pct_db);
        m->target_lra_lu = target_lra_lu;
        if (ref_ok) {
            double t = band_lra(d, &d->ref, k, rpct);
            if (t >= 0.0)
                m->target_lra_lu =
                    target_lra_lu +
                    sm_clamp(d->match, 0.0, 1.0) * (t - target_lra_lu);
        }
        const char *tgt = ref_ok ? "the reference's" : "the target's";
        if (m->lra_lu < 0.0) {
            snprintf(m->explain, SM_ADYN_TEXT,
                     "multiband: band %d (%g - %g Hz) ratio 1 because the "
                     "band is silent",
                     k + 1, m->lo_hz, m->hi_hz);
            continue;
        }
        double excess = m->lra_lu - m->target_lra_lu;
        if (excess <= 0.0 || amount <= 0.0) {
            snprintf(m->explain, SM_ADYN_TEXT,
                     "multiband: band %d (%g - %g Hz) no compression (ratio "
                     "1) because %s: loudness range %.1f LU against %s %.1f LU",
                     k + 1, m->lo_hz, m->hi_hz,
                     excess <= 0.0 ? "its range is within the target"
                                   : "the amount is 0",
                     m->lra_lu, tgt, m->target_lra_lu);
            continue;
        }
        m->gr_db = amount * (1.0 + 0.5 * excess);
        if (m->gr_db > SM_ADYN_MB_MAX_GR_DB)
            m->gr_db = SM_ADYN_MB_MAX_GR_DB;
        m->ratio = ratio;
        /* levels into mbcomp~: after the chain's input gain and static EQ */
        double lv[SM_ADYN_NPCT], in[SM_ADYN_NPCT], w[NB], v[NB];
        for (int b = 0; b < NB; b++)
            w[b] = sm_adyn_xover_weight(d->mb_bands, d->xover_hz, k, b);
        for (int q = 0; q < SM_ADYN_NPCT; q++) {
            for (int b = 0; b < NB; b++)
                v[b] = d->mix.pct_db[q][b] + sm_finite_or(d->eq_db[b], 0.0);
            in[q] = sm_adyn_weighted_db(v, w) + drive_db;
        }
        sort4(in, lv);
        model md;
        model_init(
            &md, SM_ADYN_FLUCT_PEAK,
            peak_samples(d, m->lo_hz, m->hi_hz, m->attack_ms, m->release_ms),
            0.0, ratio, m->knee_db, m->attack_ms, m->release_ms);
        double lo = TMIN_DB, hi = TMAX_DB;
        md.threshold = hi;
        if (mean_gr(&md, lv) >= m->gr_db)
            lo = hi; /* even at 0 dB it reduces more: stay there */
        md.threshold = lo;
        if (mean_gr(&md, lv) <= m->gr_db)
            hi = lo; /* the band is too quiet to reach it */
        for (int it = 0; it < 24 && hi - lo > 0.005; it++) {
            md.threshold = 0.5 * (lo + hi);
            if (mean_gr(&md, lv) > m->gr_db)
                lo = md.threshold;
            else
                hi = md.threshold;
        }
        md.threshold = sm_hundredths(0.5 * (lo + hi));
        m->threshold_db = md.threshold;
        m->predicted_gr_db = mean_gr(&md, lv);
        m->makeup_db = sm_hundredths(m->predicted_gr_db);
        m->active = 1;
        snprintf(m->explain, SM_ADYN_TEXT,
                 "multiband: %.1f dB average gain reduction in band %d (%g - "
                 "%g Hz) because its loudness range %.1f LU exceeds %s %.1f "
                 "LU by %.1f LU (threshold %.1f dB ratio %.2f attack %g ms "
                 "release %g ms makeup %.1f dB) (amount %.2f)",
                 m->predicted_gr_db, k + 1, m->lo_hz, m->hi_hz, m->lra_lu, tgt,
                 m->target_lra_lu, excess, m->threshold_db, m->ratio,
                 m->attack_ms, m->release_ms, m->makeup_db, amount);
    }
    if (!out->have_data)
        snprintf(out->explain, SM_ADYN_TEXT,
                 "multiband: ratio 1 because no band level statistics (p10 "
                 "p50 p80 p95) are measured yet");
}

void sm_adyn_comp_message(const sm_adyn_mbband *b, int k, int send_ratio,
                          int send_threshold, char *buf, int size)
{
    int n = snprintf(buf, size, "comp band %d", k + 1);
    if (!b->active) {
        if (send_ratio && n < size)
            snprintf(buf + n, size - n, " ratio 1 makeup 0");
        else if (n < size)
            snprintf(buf + n, size - n, " makeup 0");
        return;
    }
    if (send_threshold && n < size)
        n += snprintf(buf + n, size - n, " threshold %g",
                      sm_hundredths(b->threshold_db));
    if (send_ratio && n < size)
        n += snprintf(buf + n, size - n, " ratio %g", sm_hundredths(b->ratio));
    if (n < size)
        snprintf(buf + n, size - n, " knee %g attack %g release %g makeup %g",
                 b->knee_db, b->attack_ms, b->release_ms,
                 sm_hundredths(b->makeup_db));
}
