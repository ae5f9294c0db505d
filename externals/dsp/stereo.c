/* stereo.c - correlation, width and balance from mid/side energies. See
 * stereo.h. */
#include "stereo.h"
#include "numerics.h"

/* 10 log10(a / b) within +-SM_STEREO_LIMIT_DB; `both_zero` when a = b = 0. */
static double ratio_db(double a, double b, double both_zero)
{
    if (!(a > 0.0) && !(b > 0.0))
        return both_zero;
    if (!(a > 0.0))
        return -SM_STEREO_LIMIT_DB;
    if (!(b > 0.0))
        return SM_STEREO_LIMIT_DB;
    return sm_clamp(10.0 * log10(a / b), -SM_STEREO_LIMIT_DB,
                    SM_STEREO_LIMIT_DB);
}

double sm_stereo_correlation(double em, double es, double ems)
{
    double ll = em + es + 2.0 * ems, rr = em + es - 2.0 * ems;
    if (!(ll > 0.0) || !(rr > 0.0))
        return 0.0;
    double r = (em - es) / sqrt(ll * rr);
    return r != r ? 0.0 : sm_clamp(r, -1.0, 1.0);
}

double sm_stereo_width_db(double em, double es)
{
    return ratio_db(es, em, -SM_STEREO_LIMIT_DB);
}

double sm_stereo_balance_db(double em, double es, double ems)
{
    return ratio_db(em + es + 2.0 * ems, em + es - 2.0 * ems, 0.0);
}
