/* dyneq~ - multiband dynamic EQ, and with no dynamic settings the mixing EQ.
 *
 * Glue only: the DSP lives in dsp/dyneq.c (bands, detectors, routing) and
 * dsp/svf.c (the matched filters). Inlets: N signals, then one sidechain
 * signal; outlets: N signals, then the info outlet (`gr <dB band 1> ...`).
 */
#include "dsp/dyneq.h"
#include "dsp/numerics.h"
#include "shared/bands.h"
#include "shared/params.h"
#include "shared/report.h"

#include <string.h>

static t_class *dyneq_tilde_class;

typedef struct _dyneq_tilde {
    t_object x_obj;
    t_float x_f;
    int x_nch, x_nbands;
    double x_sr; /* rate the core runs at */
    int x_bypass;
    sm_dyneq *x_eq; /* NULL only while the object is being made */
    sm_report x_report;
    t_sample *x_in[SM_MAXCH], *x_out[SM_MAXCH], *x_sc;
    t_outlet *x_info;
} t_dyneq_tilde;

/* ------------------------- parameters ----------------------------- */

static void dyneq_set_interval(void *z, double v)
{
    sm_report_set_interval(&((t_dyneq_tilde *)z)->x_report, v);
}

static double dyneq_get_interval(const void *z)
{
    return ((const t_dyneq_tilde *)z)->x_report.interval_ms;
}

static void dyneq_set_bypass(void *z, double v)
{
    t_dyneq_tilde *x = z;
    x->x_bypass = v != 0;
    if (x->x_eq)
        sm_dyneq_set_bypass(x->x_eq, x->x_bypass);
}

static double dyneq_get_bypass(const void *z)
{
    return ((const t_dyneq_tilde *)z)->x_bypass;
}

static const sm_param dyneq_param_table[] = {
    {"interval", "ms", SM_REAL, 0, 60000, 100, dyneq_set_interval,
     dyneq_get_interval, "report period of gr (0: every DSP block)"},
    {"bypass", "", SM_TOGGLE, 0, 1, 0, dyneq_set_bypass, dyneq_get_bypass,
     "1 passes the input through (20 ms cross-fade)"},
};

static const sm_params dyneq_params = {"dyneq~", dyneq_param_table,
                                       sizeof dyneq_param_table /
                                           sizeof *dyneq_param_table};

/* Per-band parameters: one setter and getter pair per core parameter. */
#define DYNEQ_BAND_ACCESS(name, id)                                            \
    static void dyneq_set_##name(void *z, int band, double v)                  \
    {                                                                          \
        sm_dyneq_set(((t_dyneq_tilde *)z)->x_eq, band, id, v);                 \
    }                                                                          \
    static double dyneq_get_##name(const void *z, int band)                    \
    {                                                                          \
        return sm_dyneq_get(((const t_dyneq_tilde *)z)->x_eq, band, id);       \
    }

DYNEQ_BAND_ACCESS(type, SM_DYNEQ_TYPE)
DYNEQ_BAND_ACCESS(freq, SM_DYNEQ_FREQ)
DYNEQ_BAND_ACCESS(q, SM_DYNEQ_Q)
DYNEQ_BAND_ACCESS(gain, SM_DYNEQ_GAIN)
DYNEQ_BAND_ACCESS(threshold, SM_DYNEQ_THRESHOLD)
DYNEQ_BAND_ACCESS(ratio, SM_DYNEQ_RATIO)
DYNEQ_BAND_ACCESS(knee, SM_DYNEQ_KNEE)
DYNEQ_BAND_ACCESS(range, SM_DYNEQ_RANGE)
DYNEQ_BAND_ACCESS(attack, SM_DYNEQ_ATTACK)
DYNEQ_BAND_ACCESS(release, SM_DYNEQ_RELEASE)
DYNEQ_BAND_ACCESS(direction, SM_DYNEQ_DIRECTION)
DYNEQ_BAND_ACCESS(sidechain, SM_DYNEQ_SIDECHAIN)
DYNEQ_BAND_ACCESS(channels, SM_DYNEQ_CHANNELS)
DYNEQ_BAND_ACCESS(on, SM_DYNEQ_ON)
DYNEQ_BAND_ACCESS(solo, SM_DYNEQ_SOLO)

/* word lists in the order of the core's enums */
static const char *const dyneq_types[] = {
    "bell", "lowshelf", "highshelf", "lowpass", "highpass", "notch", NULL};
static const char *const dyneq_directions[] = {"cutabove", "boostbelow",
                                               "cutbelow", "boostabove", NULL};
static const char *const dyneq_sidechains[] = {"band", "full", "ext", "extfull",
                                               NULL};
static const char *const dyneq_channels[] = {"linked", "L", "R",
                                             "M",      "S", NULL};

static const sm_band_param dyneq_band_table[] = {
    {"type", "", SM_INTEGER, 0, 5, 0, dyneq_set_type, dyneq_get_type,
     "filter shape", dyneq_types},
    {"freq", "Hz", SM_REAL, 10, 24000, 1000, dyneq_set_freq, dyneq_get_freq,
     "centre or corner frequency", NULL},
    {"q", "", SM_REAL, 0.1, 40, 0.707, dyneq_set_q, dyneq_get_q,
     "quality: width of a bell or notch, resonance of a shelf or pass", NULL},
    {"gain", "dB", SM_REAL, -30, 30, 0, dyneq_set_gain, dyneq_get_gain,
     "static gain of a bell or shelf", NULL},
    {"threshold", "dB", SM_REAL, -100, 20, -20, dyneq_set_threshold,
     dyneq_get_threshold, "level of the band where dynamics start (dBFS peak)",
     NULL},
    {"ratio", "", SM_REAL, 1, 100, 1, dyneq_set_ratio, dyneq_get_ratio,
     "1 static; compressing: 1 - 1/ratio dB per dB, expanding: ratio - 1",
     NULL},
    {"knee", "dB", SM_REAL, 0, 24, 0, dyneq_set_knee, dyneq_get_knee,
     "width of the soft knee around the threshold", NULL},
    {"range", "dB", SM_REAL, 0, 36, 12, dyneq_set_range, dyneq_get_range,
     "most the dynamic gain may move", NULL},
    {"attack", "ms", SM_REAL, 0.1, 1000, 5, dyneq_set_attack, dyneq_get_attack,
     "time constant of the gain moving away from 0 dB", NULL},
    {"release", "ms", SM_REAL, 1, 5000, 100, dyneq_set_release,
     dyneq_get_release, "time constant of the gain returning to 0 dB", NULL},
    {"direction", "", SM_INTEGER, 0, 3, 0, dyneq_set_direction,
     dyneq_get_direction,
     "cut above threshold, boost below, cut below (expand), boost above",
     dyneq_directions},
    {"sidechain", "", SM_INTEGER, 0, 3, 0, dyneq_set_sidechain,
     dyneq_get_sidechain,
     "listen to the band, the full input, the sidechain inlet through the "
     "band, or all of it",
     dyneq_sidechains},
    {"channels", "", SM_INTEGER, 0, 4, 0, dyneq_set_channels,
     dyneq_get_channels, "all channels linked, left, right, mid or side",
     dyneq_channels},
    {"on", "", SM_TOGGLE, 0, 1, 1, dyneq_set_on, dyneq_get_on,
     "band in (1) or out (0), cross-faded", NULL},
    {"solo", "", SM_TOGGLE, 0, 1, 0, dyneq_set_solo, dyneq_get_solo,
     "listen to what the band's detector hears", NULL},
};

static int dyneq_nbands(const void *z)
{
    return ((const t_dyneq_tilde *)z)->x_nbands;
}

static const sm_bands dyneq_bands = {"dyneq~", dyneq_band_table,
                                     sizeof dyneq_band_table /
                                         sizeof *dyneq_band_table,
                                     dyneq_nbands, SM_DYNEQ_MAXBANDS};

/* -------------------------- reports ------------------------------- */

static void dyneq_tilde_report(t_dyneq_tilde *x)
{
    double gr[SM_DYNEQ_MAXBANDS];
    for (int b = 0; b < x->x_nbands; b++)
        gr[b] = sm_dyneq_gain_db(x->x_eq, b);
    sm_outlet_floats(x->x_info, "gr", x->x_nbands, gr);
}

static void dyneq_tilde_tick(t_dyneq_tilde *x)
{
    dyneq_tilde_report(x);
}

static void dyneq_tilde_bang(t_dyneq_tilde *x)
{
    dyneq_tilde_report(x);
}

/* -------------------------- messages ------------------------------ */

static void dyneq_tilde_clear(t_dyneq_tilde *x)
{
    sm_dyneq_clear(x->x_eq);
}

static void dyneq_tilde_band(t_dyneq_tilde *x, t_symbol *s, int argc,
                             t_atom *argv)
{
    (void)s;
    sm_bands_message(&dyneq_bands, x, argc, argv);
}

/* `response <array> [<low Hz> <high Hz>]`: the magnitude response of the
 * bands now (dynamic gains included) in dB, at log-spaced frequencies
 * across the array. */
static void dyneq_tilde_response(t_dyneq_tilde *x, t_symbol *s, int argc,
                                 t_atom *argv)
{
    (void)s;
    if (argc < 1 || argv[0].a_type != A_SYMBOL) {
        pd_error(x, "dyneq~: response needs an array name "
                    "(response <array> [<low Hz> <high Hz>])");
        return;
    }
    t_symbol *name = atom_getsymbol(&argv[0]);
    double lo = argc > 1 ? atom_getfloat(&argv[1]) : 20.0;
    double hi = argc > 2 ? atom_getfloat(&argv[2]) : 20000.0;
    double nyq = 0.5 * x->x_eq->samplerate;
    lo = sm_check_range(x, "dyneq~", "response low", lo, 1, nyq, "Hz");
    hi = sm_check_range(x, "dyneq~", "response high", hi, lo, nyq, "Hz");
    t_garray *a = (t_garray *)pd_findbyclass(name, garray_class);
    int n = 0;
    t_word *vec = NULL;
    if (!a || !garray_getfloatwords(a, &n, &vec)) {
        pd_error(x, "dyneq~: response: no float array named '%s'",
                 name->s_name);
        return;
    }
    for (int i = 0; i < n; i++) {
        double f = n > 1 ? lo * pow(hi / lo, (double)i / (n - 1)) : lo;
        vec[i].w_float = (t_float)sm_dyneq_response_db(x->x_eq, f);
    }
    garray_redraw(a);
}

static void dyneq_tilde_print(t_dyneq_tilde *x)
{
    post("dyneq~: inlets %d~, outlets %d~ + info", x->x_nch + 1, x->x_nch);
    sm_params_print(&dyneq_params, x);
    post("dyneq~: bands %d (creation flag -bands, 1 to %d; band parameters "
         "as flags, e.g. -ratio 2, set every band), sample rate %g Hz, "
         "control every %d samples, latency 0",
         x->x_nbands, SM_DYNEQ_MAXBANDS, x->x_eq->samplerate, x->x_eq->tick);
    sm_bands_print(&dyneq_bands, x);
}

static void dyneq_tilde_anything(t_dyneq_tilde *x, t_symbol *s, int argc,
                                 t_atom *argv)
{
    if (sm_params_message(&dyneq_params, x, s, argc, argv))
        return;
    if (sm_bands_message_all(&dyneq_bands, x, s, argc, argv))
        return;
    pd_error(x, "dyneq~: no method for '%s'", s->s_name);
}

/* ----------------------------- DSP -------------------------------- */

static t_int *dyneq_tilde_perform(t_int *w)
{
    t_dyneq_tilde *x = (t_dyneq_tilde *)w[1];
    int n = (int)w[2];
    sm_dyneq_process(x->x_eq, (const float *const *)x->x_in, x->x_sc,
                     (float *const *)x->x_out, n);
    sm_report_advance(&x->x_report, n);
    return w + 3;
}

static void dyneq_tilde_dsp(t_dyneq_tilde *x, t_signal **sp)
{
    double sr = sp[0]->s_sr;
    /* a graph rebuild calls dsp again: keep the state unless the sample
     * rate changed */
    if (sr != x->x_sr) {
        sm_dyneq_set_samplerate(x->x_eq, sr);
        sm_report_set_samplerate(&x->x_report, sr);
        x->x_sr = sr;
    }
    for (int c = 0; c < x->x_nch; c++) {
        x->x_in[c] = sp[c]->s_vec;
        x->x_out[c] = sp[x->x_nch + 1 + c]->s_vec;
    }
    x->x_sc = sp[x->x_nch]->s_vec;
    dsp_add(dyneq_tilde_perform, 2, x, (t_int)sp[0]->s_n);
}

/* ------------------------ life cycle ------------------------------ */

static void *dyneq_tilde_new(t_symbol *s, int argc, t_atom *argv)
{
    (void)s;
    t_dyneq_tilde *x = (t_dyneq_tilde *)pd_new(dyneq_tilde_class);
    x->x_eq = NULL;
    x->x_nbands = 4;
    sm_report_init(&x->x_report, x, (t_method)dyneq_tilde_tick);
    sm_params_defaults(&dyneq_params, x);
    sm_band_flags flags;
    sm_bands_creation(&dyneq_bands, &dyneq_params, x, argc, argv, &x->x_nbands,
                      &flags);
    sm_params_creation(&dyneq_params, x, &x->x_nch, flags.nrest, flags.rest);
    x->x_sr = sys_getsr() > 0 ? sys_getsr() : 48000;
    x->x_eq = (sm_dyneq *)getbytes(sizeof(sm_dyneq));
    sm_dyneq_init(x->x_eq, x->x_nch, x->x_nbands, x->x_sr);
    sm_dyneq_set_bypass(x->x_eq, x->x_bypass);
    sm_bands_creation_apply(&dyneq_bands, x, &flags);
    sm_bands_creation_free(&flags);
    for (int c = 1; c < x->x_nch; c++)
        inlet_new(&x->x_obj, &x->x_obj.ob_pd, &s_signal, &s_signal);
    inlet_new(&x->x_obj, &x->x_obj.ob_pd, &s_signal, &s_signal); /* sidechain */
    for (int c = 0; c < x->x_nch; c++)
        outlet_new(&x->x_obj, &s_signal);
    x->x_info = outlet_new(&x->x_obj, 0);
    return x;
}

static void dyneq_tilde_free(t_dyneq_tilde *x)
{
    sm_report_free(&x->x_report);
    if (x->x_eq) {
        sm_dyneq_free(x->x_eq);
        freebytes(x->x_eq, sizeof(sm_dyneq));
    }
}

SM_EXPORT void dyneq_tilde_setup(void)
{
    dyneq_tilde_class =
        class_new(gensym("dyneq~"), SM_NEWMETHOD(dyneq_tilde_new),
                  (t_method)dyneq_tilde_free, sizeof(t_dyneq_tilde),
                  CLASS_DEFAULT, A_GIMME, 0);
    CLASS_MAINSIGNALIN(dyneq_tilde_class, t_dyneq_tilde, x_f);
    class_addmethod(dyneq_tilde_class, (t_method)dyneq_tilde_dsp, gensym("dsp"),
                    A_CANT, 0);
    class_addbang(dyneq_tilde_class, dyneq_tilde_bang);
    class_addmethod(dyneq_tilde_class, (t_method)dyneq_tilde_clear,
                    gensym("reset"), 0);
    class_addmethod(dyneq_tilde_class, (t_method)dyneq_tilde_clear,
                    gensym("clear"), 0);
    class_addmethod(dyneq_tilde_class, (t_method)dyneq_tilde_band,
                    gensym("band"), A_GIMME, 0);
    class_addmethod(dyneq_tilde_class, (t_method)dyneq_tilde_response,
                    gensym("response"), A_GIMME, 0);
    class_addmethod(dyneq_tilde_class, (t_method)dyneq_tilde_print,
                    gensym("print"), 0);
    class_addanything(dyneq_tilde_class, dyneq_tilde_anything);
}
