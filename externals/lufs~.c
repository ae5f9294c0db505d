/* lufs~ - EBU R128 / ITU-R BS.1770 loudness meter.
 *
 * Glue only: the measurement lives in dsp/loudness.c. The perform routine
 * feeds the meter and counts samples; a clock sends the readings. */
#include "dsp/loudness.h"
#include "dsp/numerics.h"
#include "shared/params.h"
#include "shared/report.h"

#include <string.h>

static t_class *lufs_tilde_class;

typedef struct _lufs_tilde {
    t_object x_obj;
    t_float x_f;
    int x_nch;
    double x_sr; /* rate the meter was made for, 0 before dsp */
    int x_ok;    /* the meter exists */
    int x_paused;
    double x_weight[SM_MAXCH];
    sm_loudness x_meter;
    sm_report x_report;
    t_sample *x_in[SM_MAXCH];
    t_outlet *x_out;
} t_lufs_tilde;

/* ------------------------- parameters ----------------------------- */

static void lufs_set_interval(void *z, double v)
{
    sm_report_set_interval(&((t_lufs_tilde *)z)->x_report, v);
}

static double lufs_get_interval(const void *z)
{
    return ((const t_lufs_tilde *)z)->x_report.interval_ms;
}

static void lufs_set_pause(void *z, double v)
{
    t_lufs_tilde *x = z;
    x->x_paused = v != 0;
    if (x->x_ok)
        sm_loudness_set_paused(&x->x_meter, x->x_paused);
}

static double lufs_get_pause(const void *z)
{
    return ((const t_lufs_tilde *)z)->x_paused;
}

static const sm_param lufs_param_table[] = {
    {"interval", "ms", SM_REAL, 0, 60000, 100, lufs_set_interval,
     lufs_get_interval, "report period (0: every DSP block)"},
    {"pause", "", SM_TOGGLE, 0, 1, 0, lufs_set_pause, lufs_get_pause,
     "1 holds every measurement, 0 resumes"},
};

static const sm_params lufs_params = {"lufs~", lufs_param_table,
                                      sizeof lufs_param_table /
                                          sizeof *lufs_param_table};

/* -------------------------- reports ------------------------------- */

static void lufs_tilde_report(t_lufs_tilde *x)
{
    sm_loudness_readings r;
    double v[SM_MAXCH + 1];
    int n = x->x_nch;
    if (x->x_ok)
        sm_loudness_read(&x->x_meter, &r);
    else {
        memset(&r, 0, sizeof r);
        r.momentary = r.shortterm = r.integrated = SM_FLOOR_DB;
        r.maxmomentary = r.maxshortterm = SM_FLOOR_DB;
        r.truepeak = r.samplepeak = SM_FLOOR_DB;
        for (int c = 0; c < n; c++)
            r.truepeak_ch[c] = r.samplepeak_ch[c] = SM_FLOOR_DB;
    }
    sm_outlet_floats(x->x_out, "momentary", 1, &r.momentary);
    sm_outlet_floats(x->x_out, "shortterm", 1, &r.shortterm);
    sm_outlet_floats(x->x_out, "integrated", 1, &r.integrated);
    sm_outlet_floats(x->x_out, "range", 1, &r.range);
    v[0] = r.truepeak;
    memcpy(v + 1, r.truepeak_ch, sizeof(double) * n);
    sm_outlet_floats(x->x_out, "truepeak", n + 1, v);
    v[0] = r.samplepeak;
    memcpy(v + 1, r.samplepeak_ch, sizeof(double) * n);
    sm_outlet_floats(x->x_out, "samplepeak", n + 1, v);
    sm_outlet_floats(x->x_out, "maxmomentary", 1, &r.maxmomentary);
    sm_outlet_floats(x->x_out, "maxshortterm", 1, &r.maxshortterm);
    sm_outlet_floats(x->x_out, "plr", 1, &r.plr);
    sm_outlet_floats(x->x_out, "psr", 1, &r.psr);
}

static void lufs_tilde_tick(t_lufs_tilde *x)
{
    lufs_tilde_report(x);
}

static void lufs_tilde_bang(t_lufs_tilde *x)
{
    lufs_tilde_report(x);
}

/* -------------------------- messages ------------------------------ */

static void lufs_tilde_reset(t_lufs_tilde *x)
{
    if (x->x_ok && sm_loudness_reset(&x->x_meter) != 0)
        pd_error(x, "lufs~: reset: out of memory, measurement continues");
}

static void lufs_tilde_mark(t_lufs_tilde *x)
{
    sm_loudness_piece p;
    if (!x->x_ok) {
        pd_error(x, "lufs~: mark: no measurement yet (DSP has not run)");
        return;
    }
    if (sm_loudness_mark(&x->x_meter, &p) != 0) {
        pd_error(x, "lufs~: mark: out of memory");
        return;
    }
    double v[4] = {p.number, p.integrated, p.range, p.truepeak};
    sm_outlet_floats(x->x_out, "piece", 4, v);
}

static void lufs_tilde_apply_weights(t_lufs_tilde *x)
{
    if (x->x_ok)
        for (int c = 0; c < x->x_nch; c++)
            sm_loudness_set_weight(&x->x_meter, c, x->x_weight[c]);
}

static void lufs_tilde_weights(t_lufs_tilde *x, t_symbol *s, int argc,
                               t_atom *argv)
{
    (void)s;
    if (argc != x->x_nch) {
        pd_error(
            x,
            "lufs~: weights needs %d numbers, one per channel "
            "(0 to %g: 1 front, 1.41 surround, 0 LFE/off, 2 dual mono), got %d",
            x->x_nch, SM_LOUDNESS_MAXWEIGHT, argc);
        if (argc > x->x_nch)
            argc = x->x_nch;
    }
    for (int c = 0; c < argc; c++) {
        if (argv[c].a_type != A_FLOAT) {
            pd_error(x, "lufs~: weights: channel %d is not a number", c + 1);
            continue;
        }
        x->x_weight[c] =
            sm_check_range(x, "lufs~", "weights", atom_getfloat(&argv[c]), 0,
                           SM_LOUDNESS_MAXWEIGHT, "");
    }
    lufs_tilde_apply_weights(x);
}

static void lufs_tilde_print(t_lufs_tilde *x)
{
    post("lufs~: inlets %d~, outlets 0~ + info", x->x_nch);
    sm_params_print(&lufs_params, x);
    startpost("lufs~: weights");
    for (int c = 0; c < x->x_nch; c++)
        startpost(" %g", x->x_weight[c]);
    endpost();
    if (x->x_ok)
        post("lufs~: sample rate %g Hz, momentary and short-term evaluated "
             "every %g ms, true peak %dx oversampled",
             x->x_sr, sm_loudness_update_ms(&x->x_meter), x->x_meter.tp.factor);
    else
        post("lufs~: DSP has not run yet");
}

static void lufs_tilde_anything(t_lufs_tilde *x, t_symbol *s, int argc,
                                t_atom *argv)
{
    if (!sm_params_message(&lufs_params, x, s, argc, argv))
        pd_error(x, "lufs~: no method for '%s'", s->s_name);
}

/* ----------------------------- DSP -------------------------------- */

static t_int *lufs_tilde_perform(t_int *w)
{
    t_lufs_tilde *x = (t_lufs_tilde *)w[1];
    int n = (int)w[2];
    if (x->x_ok)
        sm_loudness_process(&x->x_meter, (const float *const *)x->x_in, n);
    sm_report_advance(&x->x_report, n);
    return w + 3;
}

static void lufs_tilde_dsp(t_lufs_tilde *x, t_signal **sp)
{
    double sr = sp[0]->s_sr;
    /* A graph rebuild (any patch edit while audio runs) calls dsp again:
     * keep the measurement unless the sample rate really changed. */
    if (!x->x_ok || sr != x->x_sr) {
        if (x->x_ok)
            sm_loudness_free(&x->x_meter);
        x->x_ok = sm_loudness_init(&x->x_meter, x->x_nch, sr) == 0;
        if (!x->x_ok)
            pd_error(x, "lufs~: cannot measure at %g Hz (out of memory?)", sr);
        else {
            sm_loudness_set_paused(&x->x_meter, x->x_paused);
            lufs_tilde_apply_weights(x);
        }
        x->x_sr = sr;
        sm_report_set_samplerate(&x->x_report, sr);
    }
    for (int c = 0; c < x->x_nch; c++)
        x->x_in[c] = sp[c]->s_vec;
    dsp_add(lufs_tilde_perform, 2, x, (t_int)sp[0]->s_n);
}

/* ------------------------ life cycle ------------------------------ */

static void *lufs_tilde_new(t_symbol *s, int argc, t_atom *argv)
{
    (void)s;
    t_lufs_tilde *x = (t_lufs_tilde *)pd_new(lufs_tilde_class);
    sm_report_init(&x->x_report, x, (t_method)lufs_tilde_tick);
    sm_params_defaults(&lufs_params, x);
    sm_params_creation(&lufs_params, x, &x->x_nch, argc, argv);
    for (int c = 1; c < x->x_nch; c++)
        inlet_new(&x->x_obj, &x->x_obj.ob_pd, &s_signal, &s_signal);
    x->x_out = outlet_new(&x->x_obj, 0);
    /* BS.1770 weights: 5 channels L R C Ls Rs, 6 channels L R C LFE Ls Rs */
    for (int c = 0; c < SM_MAXCH; c++)
        x->x_weight[c] = 1;
    if (x->x_nch == 5 || x->x_nch == 6) {
        x->x_weight[x->x_nch - 2] = x->x_weight[x->x_nch - 1] = 1.41;
        if (x->x_nch == 6)
            x->x_weight[3] = 0;
    }
    return x;
}

static void lufs_tilde_free(t_lufs_tilde *x)
{
    sm_report_free(&x->x_report);
    if (x->x_ok)
        sm_loudness_free(&x->x_meter);
}

SM_EXPORT void lufs_tilde_setup(void)
{
    lufs_tilde_class =
        class_new(gensym("lufs~"), SM_NEWMETHOD(lufs_tilde_new),
                  (t_method)lufs_tilde_free, sizeof(t_lufs_tilde),
                  CLASS_DEFAULT, A_GIMME, 0);
    CLASS_MAINSIGNALIN(lufs_tilde_class, t_lufs_tilde, x_f);
    class_addmethod(lufs_tilde_class, (t_method)lufs_tilde_dsp, gensym("dsp"),
                    A_CANT, 0);
    class_addbang(lufs_tilde_class, lufs_tilde_bang);
    class_addmethod(lufs_tilde_class, (t_method)lufs_tilde_reset,
                    gensym("reset"), 0);
    class_addmethod(lufs_tilde_class, (t_method)lufs_tilde_reset,
                    gensym("clear"), 0);
    class_addmethod(lufs_tilde_class, (t_method)lufs_tilde_mark, gensym("mark"),
                    0);
    class_addmethod(lufs_tilde_class, (t_method)lufs_tilde_weights,
                    gensym("weights"), A_GIMME, 0);
    class_addmethod(lufs_tilde_class, (t_method)lufs_tilde_print,
                    gensym("print"), 0);
    class_addanything(lufs_tilde_class, lufs_tilde_anything);
}
