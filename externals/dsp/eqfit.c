/* eqfit.c - fitting EQ filters to a tonal deviation. See eqfit.h. */
#include "eqfit.h"

#include <math.h>
#include <string.h>

#define MAXB SM_EQFIT_MAXBANDS
#define MAXS SM_EQFIT_MAXSLOTS
#define NX (MAXS + 1)
/* The linearised responses are those of a 3 dB filter, per dB: the size of
 * a typical correction, where the shape is close to that of the fit. */
#define LIN_DB 3.0
/* A tiny price on each gain (per dB^2): picks the smaller gains when two
 * filters do the same job, and keeps the systems regular. */
#ifndef RIDGE
#define RIDGE 1e-4
#endif
#define ITERS 40
#define DERIV_DB 0.01 /* step of the numerical derivative */

static int counts(const sm_eqfit_problem *pb, int b)
{
    return pb->weight[b] > 0.0 && isfinite(pb->dev_db[b]);
}

/* The responses of one filter at every band centre. */
static void response_vec(const sm_eqfit_problem *pb, sm_svf_type type, double f,
                         double q, double g, double *out)
{
    int nb = pb->nbands;
    if (g == 0.0) {
        for (int b = 0; b < nb; b++)
            out[b] = 0.0;
        return;
    }
    double sr = pb->samplerate > 0.0 ? pb->samplerate : 48000.0;
    sm_svf_coefs c;
    sm_svf_design_all(&c, type, f, q, g, sr);
    for (int b = 0; b < nb; b++) {
        double at = pb->at_hz[b] < 0.49 * sr ? pb->at_hz[b] : 0.49 * sr;
        double m = sm_svf_magnitude(&c, at, sr);
        out[b] = 20.0 * log10(m > 1e-30 ? m : 1e-30);
    }
}

double sm_eqfit_response_db(sm_svf_type type, double freq_hz, double q,
                            double gain_db, double samplerate, double at_hz)
{
    double out;
    double w = 1.0, d = 0.0;
    sm_eqfit_problem pb = {1, &at_hz, &d, &w, 0.0, 0.0, 0.0, samplerate};
    response_vec(&pb, type, freq_hz, q, gain_db, &out);
    return out;
}

/* ------------------------------------------------------------ one fit */

typedef struct fitctx {
    const sm_eqfit_problem *pb;
    int n; /* filters in the fit; unknowns: n gains, then the level */
    sm_svf_type type[MAXS];
    double f[MAXS], q[MAXS], lo[MAXS], hi[MAXS];
    int exact;
    double u[MAXS][MAXB]; /* linearised: response per dB */
} fitctx;

static void filter_resp(const fitctx *c, int k, double g, double *r)
{
    if (c->exact)
        response_vec(c->pb, c->type[k], c->f[k], c->q[k], g, r);
    else
        for (int b = 0; b < c->pb->nbands; b++)
            r[b] = g * c->u[k][b];
}

static double dz(double x, double dead)
{
    return x > dead ? x - dead : x < -dead ? x + dead : 0.0;
}

/* Residual r (= corrected deviation - level) and the cost. */
static double evaluate(const fitctx *c, const double *x, double *r)
{
    const sm_eqfit_problem *pb = c->pb;
    double resp[MAXB];
    for (int b = 0; b < pb->nbands; b++)
        r[b] = counts(pb, b) ? pb->dev_db[b] - x[c->n] : 0.0;
    double cost = 0.0;
    for (int k = 0; k < c->n; k++) {
        filter_resp(c, k, x[k], resp);
        for (int b = 0; b < pb->nbands; b++)
            r[b] += resp[b];
        cost += RIDGE * x[k] * x[k];
    }
    for (int b = 0; b < pb->nbands; b++)
        if (counts(pb, b)) {
            double e = dz(r[b], pb->deadzone_db);
            cost += pb->weight[b] * e * e;
        }
    return cost;
}

/* Solves A x = y for the unknowns with use[i] set (the others are 0), by
 * Gaussian elimination with partial pivoting; n <= NX. */
static void solve(double A[NX][NX], const double *y, const int *use, int n,
                  double *x)
{
    double M[NX][NX + 1];
    int idx[NX], m = 0;
    for (int i = 0; i < n; i++)
        if (use[i])
            idx[m++] = i;
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++)
            M[i][j] = A[idx[i]][idx[j]];
        M[i][m] = y[idx[i]];
    }
    for (int col = 0; col < m; col++) {
        int piv = col;
        for (int i = col + 1; i < m; i++)
            if (fabs(M[i][col]) > fabs(M[piv][col]))
                piv = i;
        if (piv != col)
            for (int j = 0; j <= m; j++) {
                double t = M[col][j];
                M[col][j] = M[piv][j];
                M[piv][j] = t;
            }
        if (fabs(M[col][col]) < 1e-300)
            continue;
        for (int i = col + 1; i < m; i++) {
            double f = M[i][col] / M[col][col];
            for (int j = col; j <= m; j++)
                M[i][j] -= f * M[col][j];
        }
    }
    for (int i = 0; i < n; i++)
        x[i] = 0.0;
    for (int i = m - 1; i >= 0; i--) {
        double s = M[i][m];
        for (int j = i + 1; j < m; j++)
            s -= M[i][j] * x[idx[j]];
        x[idx[i]] = fabs(M[i][i]) < 1e-300 ? 0.0 : s / M[i][i];
    }
}

/* Gauss-Newton on the dead-zone cost from x (in/out); returns the cost. */
static double fit(const fitctx *c, double *x)
{
    const sm_eqfit_problem *pb = c->pb;
    int n = c->n, nx = n + 1, nb = pb->nbands;
    double r[MAXB], rn[MAXB], xn[NX];
    double cost = evaluate(c, x, r);
    for (int it = 0; it < ITERS; it++) {
        double J[NX][MAXB];
        for (int k = 0; k < n; k++) {
            if (c->exact) {
                double up[MAXB], dn[MAXB];
                filter_resp(c, k, x[k] + DERIV_DB, up);
                filter_resp(c, k, x[k] - DERIV_DB, dn);
                for (int b = 0; b < nb; b++)
                    J[k][b] = (up[b] - dn[b]) / (2.0 * DERIV_DB);
            } else
                for (int b = 0; b < nb; b++)
                    J[k][b] = c->u[k][b];
        }
        for (int b = 0; b < nb; b++)
            J[n][b] = -1.0;
        /* normal equations over the bands outside the dead zone */
        double A[NX][NX], g[NX];
        memset(A, 0, sizeof A);
        memset(g, 0, sizeof g);
        for (int b = 0; b < nb; b++) {
            if (!counts(pb, b) || fabs(r[b]) <= pb->deadzone_db)
                continue;
            double e = dz(r[b], pb->deadzone_db), w = pb->weight[b];
            for (int i = 0; i < nx; i++) {
                g[i] -= w * J[i][b] * e;
                for (int j = 0; j < nx; j++)
                    A[i][j] += w * J[i][b] * J[j][b];
            }
        }
        for (int k = 0; k < n; k++) {
            A[k][k] += RIDGE;
            g[k] -= RIDGE * x[k];
        }
        /* active set on the clamps: a gain that would leave its range is
         * put on the bound and the others solved again */
        int use[NX];
        double dx[NX], fixed[NX] = {0};
        for (int i = 0; i < nx; i++)
            use[i] = 1;
        for (int round = 0; round <= n; round++) {
            double y[NX];
            for (int i = 0; i < nx; i++) {
                y[i] = g[i];
                for (int j = 0; j < nx; j++)
                    if (!use[j])
                        y[i] -= A[i][j] * fixed[j];
            }
            solve(A, y, use, nx, dx);
            for (int j = 0; j < nx; j++)
                if (!use[j])
                    dx[j] = fixed[j];
            int moved = 0;
            for (int k = 0; k < n; k++) {
                if (!use[k])
                    continue;
                if (x[k] + dx[k] > c->hi[k]) {
                    use[k] = 0, fixed[k] = c->hi[k] - x[k], moved = 1;
                } else if (x[k] + dx[k] < c->lo[k]) {
                    use[k] = 0, fixed[k] = c->lo[k] - x[k], moved = 1;
                }
            }
            if (!moved)
                break;
        }
        /* step, halved while the cost does not fall */
        double t = 1.0, cn = cost;
        int better = 0;
        for (int h = 0; h < 8; h++, t *= 0.5) {
            for (int i = 0; i < nx; i++)
                xn[i] = x[i] + t * dx[i];
            for (int k = 0; k < n; k++)
                xn[k] = xn[k] < c->lo[k]   ? c->lo[k]
                        : xn[k] > c->hi[k] ? c->hi[k]
                                           : xn[k];
            cn = evaluate(c, xn, rn);
            if (cn < cost) {
                better = 1;
                break;
            }
        }
        if (!better)
            break;
        double change = 0.0;
        for (int i = 0; i < nx; i++)
            change = fmax(change, fabs(xn[i] - x[i]));
        memcpy(x, xn, sizeof(double) * nx);
        memcpy(r, rn, sizeof r);
        int done = cost - cn < 1e-12 || change < 1e-7;
        cost = cn;
        if (done)
            break;
    }
    return cost;
}

/* ------------------------------------------------------ the whole fit */

static double weighted_mean_dev(const sm_eqfit_problem *pb)
{
    double s = 0.0, w = 0.0;
    for (int b = 0; b < pb->nbands; b++)
        if (counts(pb, b)) {
            s += pb->weight[b] * pb->dev_db[b];
            w += pb->weight[b];
        }
    return w > 0.0 ? s / w : 0.0;
}

static void cand(const sm_eqfit_slot *s, int i, double *f, double *q)
{
    *f = s->freqs_hz[i / s->nqs];
    *q = s->qs[i % s->nqs];
}

/* Loads slot s (candidate ci) as filter k of the context. */
static void load(fitctx *c, int k, const sm_eqfit_slot *s, int ci)
{
    c->type[k] = s->type;
    cand(s, ci, &c->f[k], &c->q[k]);
    c->lo[k] = s->lo_db;
    c->hi[k] = s->hi_db;
    response_vec(c->pb, s->type, c->f[k], c->q[k], LIN_DB, c->u[k]);
    for (int b = 0; b < c->pb->nbands; b++)
        c->u[k][b] /= LIN_DB;
}

static int count_kept(const int *keep, int ns)
{
    int n = 0;
    for (int k = 0; k < ns; k++)
        n += keep[k] != 0;
    return n;
}

/* The gains of the kept slots (at their chosen candidates) on the exact
 * responses, from the linearised fit; x: gains in slot order, then the
 * level. Returns the cost. */
static double exact_fit(const sm_eqfit_problem *pb, const sm_eqfit_slot *s,
                        int ns, const int *keep, const int *choice,
                        double level0, double *x, fitctx *out)
{
    fitctx c;
    c.pb = pb;
    c.n = 0;
    c.exact = 0;
    for (int k = 0; k < ns; k++)
        if (keep[k])
            load(&c, c.n++, &s[k], choice[k]);
    for (int i = 0; i < NX; i++)
        x[i] = 0.0;
    x[c.n] = level0;
    fit(&c, x); /* linear start */
    c.exact = 1;
    double cost = fit(&c, x);
    if (out)
        *out = c;
    return cost;
}

double sm_eqfit_solve(const sm_eqfit_problem *pb, sm_eqfit_slot *s, int ns)
{
    int choice[MAXS];
    double level0 = weighted_mean_dev(pb);
    if (ns > MAXS)
        ns = MAXS;
    for (int k = 0; k < ns; k++) {
        choice[k] = -1;
        s[k].gain_db = 0.0;
        s[k].active = 0;
        s[k].freq_hz = s[k].nfreqs > 0 ? s[k].freqs_hz[0] : 1000.0;
        s[k].q = s[k].nqs > 0 ? s[k].qs[0] : 0.7;
    }
    /* 1. frequencies and Qs, on the linearised responses */
    for (int pass = 0; pass < 3; pass++)
        for (int k = 0; k < ns; k++) {
            if (s[k].off || s[k].nfreqs < 1 || s[k].nqs < 1)
                continue;
            int best = -1;
            double best_cost = 0.0;
            for (int ci = 0; ci < s[k].nfreqs * s[k].nqs; ci++) {
                fitctx c;
                double x[NX] = {0};
                c.pb = pb;
                c.exact = 0;
                c.n = 0;
                for (int j = 0; j < ns; j++) {
                    if (j == k)
                        load(&c, c.n++, &s[j], ci);
                    else if (choice[j] >= 0)
                        load(&c, c.n++, &s[j], choice[j]);
                }
                x[c.n] = level0;
                double cost = fit(&c, x);
                if (best < 0 || cost < best_cost - 1e-9) {
                    best = ci;
                    best_cost = cost;
                }
            }
            choice[k] = best;
        }
    /* 2. the gains on the exact responses; 3. drop the inaudible */
    int keep[MAXS] = {0};
    for (int k = 0; k < ns; k++) {
        keep[k] = choice[k] >= 0;
        if (keep[k])
            cand(&s[k], choice[k], &s[k].freq_hz, &s[k].q);
    }
    double level = level0;
    for (;;) { /* each round drops a filter or ends */
        double x[NX];
        double cost = exact_fit(pb, s, ns, keep, choice, level0, x, NULL);
        int dropped = 0;
        for (int k = 0, i = 0; k < ns; k++)
            if (keep[k]) {
                s[k].gain_db = x[i];
                if (fabs(x[i]) < pb->min_gain_db) {
                    keep[k] = 0;
                    dropped = 1;
                }
                i++;
            }
        if (dropped)
            continue;
        /* the filter that helps least goes if the fit barely misses it */
        int worst = -1;
        double least = 0.0;
        for (int k = 0; k < ns; k++) {
            if (!keep[k])
                continue;
            double y[NX];
            keep[k] = 0;
            double without =
                exact_fit(pb, s, ns, keep, choice, level0, y, NULL);
            keep[k] = 1;
            if (worst < 0 || without - cost < least) {
                worst = k;
                least = without - cost;
            }
        }
        if (worst >= 0 && least < pb->min_benefit_db2) {
            keep[worst] = 0;
            continue;
        }
        level = x[count_kept(keep, ns)];
        break;
    }
    for (int k = 0; k < ns; k++) {
        s[k].active = keep[k];
        if (!keep[k])
            s[k].gain_db = 0.0;
    }
    return level;
}

void sm_eqfit_apply(const sm_eqfit_problem *pb, const sm_eqfit_slot *s, int ns,
                    double scale, double *out_db)
{
    double r[MAXB];
    for (int b = 0; b < pb->nbands; b++)
        out_db[b] = pb->dev_db[b];
    for (int k = 0; k < ns; k++) {
        if (!s[k].active || s[k].gain_db == 0.0)
            continue;
        response_vec(pb, s[k].type, s[k].freq_hz, s[k].q, scale * s[k].gain_db,
                     r);
        for (int b = 0; b < pb->nbands; b++)
            out_db[b] += r[b];
    }
}

double sm_eqfit_slot_deviation(const sm_eqfit_problem *pb,
                               const sm_eqfit_slot *s, double level_db)
{
    double u[MAXB], sw = 0.0, sd = 0.0;
    response_vec(pb, s->type, s->freq_hz, s->q, LIN_DB, u);
    for (int b = 0; b < pb->nbands; b++)
        if (counts(pb, b)) {
            double w = pb->weight[b] * fabs(u[b]);
            sw += w;
            sd += w * (pb->dev_db[b] - level_db);
        }
    return sw > 0.0 ? sd / sw : 0.0;
}

double sm_eqfit_distance(const double *x, const double *weight, int nbands)
{
    double m = 0.0, ss = 0.0;
    int n = 0;
    for (int b = 0; b < nbands; b++)
        if (weight[b] > 0.0 && isfinite(x[b])) {
            m += x[b];
            n++;
        }
    if (n == 0)
        return 0.0;
    m /= n;
    for (int b = 0; b < nbands; b++)
        if (weight[b] > 0.0 && isfinite(x[b]))
            ss += (x[b] - m) * (x[b] - m);
    return sqrt(ss / n);
}
