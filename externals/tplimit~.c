/* tplimit~ - lookahead true-peak limiter whose ceiling holds.
 *
 * Glue only: the limiter lives in dsp/limiter.c. */
#include "dsp/limiter.h"
#include "dsp/numerics.h"
#include "shared/params.h"
#include "shared/report.h"

static t_class *tplimit_tilde_class;

typedef struct _tplimit_tilde {
    t_object x_obj;
    t_float x_f;
    int x_nch;
    double x_sr; /* rate the limiter was made for, 0 before dsp */
    int x_ok;
    sm_limiter x_lim;
    /* parameters, kept here so a new limiter (new rate) gets them */
    double x_ceiling, x_gain, x_release, x_lookahead, x_link;
    int x_auto, x_bypass, x_dither;
    int x_reported_latency; /* -1: report at the next tick */
    sm_report x_report;
    t_sample *x_in[SM_MAXCH], *x_out[SM_MAXCH];
    t_outlet *x_info;
} t_tplimit_tilde;

/* ------------------------- parameters ----------------------------- */

static void tplimit_apply(t_tplimit_tilde *x)
{
    if (!x->x_ok)
        return;
    sm_limiter *l = &x->x_lim;
    sm_limiter_set_ceiling_db(l, x->x_ceiling);
    sm_limiter_set_drive_db(l, x->x_gain);
    sm_limiter_set_release_ms(l, x->x_release);
    sm_limiter_set_auto(l, x->x_auto);
    sm_limiter_set_link(l, x->x_link);
    sm_limiter_set_bypass(l, x->x_bypass);
    sm_limiter_set_dither(l, x->x_dither);
    sm_limiter_set_lookahead_ms(l, x->x_lookahead);
}

#define TPLIMIT_PARAM(field, cast)                                             \
    static void tplimit_set_##field(void *z, double v)                         \
    {                                                                          \
        ((t_tplimit_tilde *)z)->x_##field = (cast)v;                           \
        tplimit_apply(z);                                                      \
    }                                                                          \
    static double tplimit_get_##field(const void *z)                           \
    {                                                                          \
        return ((const t_tplimit_tilde *)z)->x_##field;                        \
    }

TPLIMIT_PARAM(ceiling, double)
TPLIMIT_PARAM(gain, double)
TPLIMIT_PARAM(release, double)
TPLIMIT_PARAM(lookahead, double)
TPLIMIT_PARAM(link, double)
TPLIMIT_PARAM(auto, int)
TPLIMIT_PARAM(bypass, int)

static void tplimit_set_dither(void *z, double v)
{
    t_tplimit_tilde *x = z;
    int bits = (int)v;
    if (bits > 0 && bits < 8) {
        pd_error(x,
                 "tplimit~: dither %d: word length must be 0 (off) or 8 "
                 "to 24 bits, using 0",
                 bits);
        bits = 0;
    }
    x->x_dither = bits;
    tplimit_apply(x);
}

static double tplimit_get_dither(const void *z)
{
    return ((const t_tplimit_tilde *)z)->x_dither;
}

static void tplimit_set_interval(void *z, double v)
{
    sm_report_set_interval(&((t_tplimit_tilde *)z)->x_report, v);
}

static double tplimit_get_interval(const void *z)
{
    return ((const t_tplimit_tilde *)z)->x_report.interval_ms;
}

static const sm_param tplimit_param_table[] = {
    {"ceiling", "dBTP", SM_REAL, -30, 0, -1, tplimit_set_ceiling,
     tplimit_get_ceiling, "most the output's true peak may reach"},
    {"gain", "dB", SM_REAL, -20, 40, 0, tplimit_set_gain, tplimit_get_gain,
     "input drive"},
    {"release", "ms", SM_REAL, 1, 1000, 50, tplimit_set_release,
     tplimit_get_release, "recovery time after the hold"},
    {"auto", "", SM_TOGGLE, 0, 1, 1, tplimit_set_auto, tplimit_get_auto,
     "program-dependent release (slower under sustained limiting)"},
    {"lookahead", "ms", SM_REAL, 0.1, SM_LIMITER_MAX_LOOKAHEAD_MS, 1.4,
     tplimit_set_lookahead, tplimit_get_lookahead,
     "fade-in time of the gain reduction (sets the latency)"},
    {"link", "%", SM_REAL, 0, 100, 100, tplimit_set_link, tplimit_get_link,
     "channel link: 100 same gain for all, 0 independent"},
    {"bypass", "", SM_TOGGLE, 0, 1, 0, tplimit_set_bypass, tplimit_get_bypass,
     "1 passes the input through with the same delay"},
    {"dither", "bits", SM_INTEGER, 0, 24, 0, tplimit_set_dither,
     tplimit_get_dither,
     "TPDF dither and rounding to this word length (16, 24...), 0 off"},
    {"interval", "ms", SM_REAL, 0, 60000, 100, tplimit_set_interval,
     tplimit_get_interval, "report period (0: every DSP block)"},
};

static const sm_params tplimit_params = {"tplimit~", tplimit_param_table,
                                         sizeof tplimit_param_table /
                                             sizeof *tplimit_param_table};

/* -------------------------- reports ------------------------------- */

static void tplimit_tilde_report(t_tplimit_tilde *x)
{
    if (!x->x_ok)
        return;
    sm_limiter *l = &x->x_lim;
    int lat = sm_limiter_latency(l);
    if (lat != x->x_reported_latency) {
        double v[2] = {lat, 1000.0 * lat / x->x_sr};
        sm_outlet_floats(x->x_info, "latency", 2, v);
        x->x_reported_latency = lat;
    }
    double gr = sm_limiter_take_gr_db(l);
    sm_outlet_floats(x->x_info, "gr", 1, &gr);
    double over[2] = {(double)l->overs,
                      l->overs ? sm_amp_to_db(l->over_peak) : 0.0};
    sm_outlet_floats(x->x_info, "over", 2, over);
}

static void tplimit_tilde_tick(t_tplimit_tilde *x)
{
    tplimit_tilde_report(x);
}

static void tplimit_tilde_bang(t_tplimit_tilde *x)
{
    x->x_reported_latency = -1;
    tplimit_tilde_report(x);
}

/* -------------------------- messages ------------------------------ */

static void tplimit_tilde_reset(t_tplimit_tilde *x)
{
    if (x->x_ok)
        sm_limiter_reset_stats(&x->x_lim);
}

static void tplimit_tilde_clear(t_tplimit_tilde *x)
{
    if (x->x_ok)
        sm_limiter_clear(&x->x_lim);
}

static void tplimit_tilde_print(t_tplimit_tilde *x)
{
    post("tplimit~: inlets %d~, outlets %d~ + info", x->x_nch, x->x_nch);
    sm_params_print(&tplimit_params, x);
    if (x->x_ok)
        post("tplimit~: latency %d samples (%g ms) at %g Hz; %ld overs since "
             "reset",
             sm_limiter_latency(&x->x_lim),
             1000.0 * sm_limiter_latency(&x->x_lim) / x->x_sr, x->x_sr,
             x->x_lim.overs);
    else
        post("tplimit~: DSP has not run yet");
}

static void tplimit_tilde_anything(t_tplimit_tilde *x, t_symbol *s, int argc,
                                   t_atom *argv)
{
    if (!sm_params_message(&tplimit_params, x, s, argc, argv))
        pd_error(x, "tplimit~: no method for '%s'", s->s_name);
}

/* ----------------------------- DSP -------------------------------- */

static t_int *tplimit_tilde_perform(t_int *w)
{
    t_tplimit_tilde *x = (t_tplimit_tilde *)w[1];
    int n = (int)w[2];
    if (x->x_ok)
        sm_limiter_process(&x->x_lim, (const float *const *)x->x_in,
                           (float *const *)x->x_out, n);
    else
        for (int c = 0; c < x->x_nch; c++)
            for (int i = 0; i < n; i++)
                x->x_out[c][i] = 0;
    sm_report_advance(&x->x_report, n);
    return w + 3;
}

static void tplimit_tilde_dsp(t_tplimit_tilde *x, t_signal **sp)
{
    double sr = sp[0]->s_sr;
    if (!x->x_ok || sr != x->x_sr) {
        if (x->x_ok)
            sm_limiter_free(&x->x_lim);
        x->x_ok = sm_limiter_init(&x->x_lim, x->x_nch, sr) == 0;
        if (!x->x_ok)
            pd_error(x, "tplimit~: cannot run at %g Hz (out of memory?)", sr);
        x->x_sr = sr;
        sm_report_set_samplerate(&x->x_report, sr);
        tplimit_apply(x);
        if (x->x_ok) /* a new limiter starts at its settings, no glides */
            sm_limiter_settle(&x->x_lim);
    }
    for (int c = 0; c < x->x_nch; c++) {
        x->x_in[c] = sp[c]->s_vec;
        x->x_out[c] = sp[x->x_nch + c]->s_vec;
    }
    dsp_add(tplimit_tilde_perform, 2, x, (t_int)sp[0]->s_n);
    x->x_reported_latency = -1; /* report the latency as DSP starts */
    clock_delay(x->x_report.clock, 0);
}

/* ------------------------ life cycle ------------------------------ */

static void *tplimit_tilde_new(t_symbol *s, int argc, t_atom *argv)
{
    (void)s;
    t_tplimit_tilde *x = (t_tplimit_tilde *)pd_new(tplimit_tilde_class);
    sm_report_init(&x->x_report, x, (t_method)tplimit_tilde_tick);
    sm_params_defaults(&tplimit_params, x);
    sm_params_creation(&tplimit_params, x, &x->x_nch, argc, argv);
    for (int c = 1; c < x->x_nch; c++)
        inlet_new(&x->x_obj, &x->x_obj.ob_pd, &s_signal, &s_signal);
    for (int c = 0; c < x->x_nch; c++)
        outlet_new(&x->x_obj, &s_signal);
    x->x_info = outlet_new(&x->x_obj, 0);
    x->x_reported_latency = -1;
    return x;
}

static void tplimit_tilde_free(t_tplimit_tilde *x)
{
    sm_report_free(&x->x_report);
    if (x->x_ok)
        sm_limiter_free(&x->x_lim);
}

SM_EXPORT void tplimit_tilde_setup(void)
{
    tplimit_tilde_class =
        class_new(gensym("tplimit~"), SM_NEWMETHOD(tplimit_tilde_new),
                  (t_method)tplimit_tilde_free, sizeof(t_tplimit_tilde),
                  CLASS_DEFAULT, A_GIMME, 0);
    CLASS_MAINSIGNALIN(tplimit_tilde_class, t_tplimit_tilde, x_f);
    class_addmethod(tplimit_tilde_class, (t_method)tplimit_tilde_dsp,
                    gensym("dsp"), A_CANT, 0);
    class_addbang(tplimit_tilde_class, tplimit_tilde_bang);
    class_addmethod(tplimit_tilde_class, (t_method)tplimit_tilde_reset,
                    gensym("reset"), 0);
    class_addmethod(tplimit_tilde_class, (t_method)tplimit_tilde_clear,
                    gensym("clear"), 0);
    class_addmethod(tplimit_tilde_class, (t_method)tplimit_tilde_print,
                    gensym("print"), 0);
    class_addanything(tplimit_tilde_class, tplimit_tilde_anything);
}
