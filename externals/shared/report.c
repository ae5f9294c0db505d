/* report.c - clock-driven reports and info-outlet messages. */
#include "report.h"

void sm_report_init(sm_report *r, void *owner, t_method tick)
{
    r->clock = clock_new(owner, tick);
    r->interval_ms = 100;
    r->samplerate = sys_getsr() > 0 ? sys_getsr() : 48000;
    r->due_in = 0;
}

void sm_report_free(sm_report *r)
{
    if (r->clock)
        clock_free(r->clock);
    r->clock = NULL;
}

void sm_report_set_interval(sm_report *r, double ms)
{
    r->interval_ms = ms;
    if (r->due_in > ms * r->samplerate / 1000.0)
        r->due_in = ms * r->samplerate / 1000.0;
}

void sm_report_set_samplerate(sm_report *r, double sr)
{
    if (sr > 0)
        r->samplerate = sr;
}

void sm_outlet_floats(t_outlet *out, const char *selector, int n,
                      const double *v)
{
    t_atom at[64]; /* room for 1/3-octave spectra (31 bands) */
    if (n > (int)(sizeof at / sizeof *at))
        n = sizeof at / sizeof *at;
    for (int i = 0; i < n; i++)
        SETFLOAT(&at[i], (t_float)v[i]);
    outlet_anything(out, gensym(selector), n, at);
}
