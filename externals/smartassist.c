/* smartassist - the smart master's assistant: takes the reports of
 * analyze~ and lufs~, proposes settings for masterchain~ toward a delivery
 * target and explains each one; in apply mode it also sends them.
 *
 * A control object (no signal): glue only, the rules live in
 * dsp/assistant.c. */
#include "dsp/assistant.h"
#include "shared/params.h"

#include <stdio.h>
#include <string.h>

static t_class *smartassist_class;

enum { MODE_SUGGEST, MODE_APPLY, MODE_FREEZE };
static const char *const mode_names[] = {"suggest", "apply", "freeze"};
static const char *const module_names[] = {"eq", "multiband", "loudness"};

typedef struct _smartassist {
    t_object x_obj;
    sm_assistant x_core;
    sm_assist_proposal x_last;
    int x_have_last;
    int x_mode;
    double x_interval_ms;
    t_clock *x_clock;
    t_outlet *x_out;
} t_smartassist;

/* ------------------------- parameters ----------------------------- */

static void sa_set_interval(void *z, double v)
{
    t_smartassist *x = z;
    x->x_interval_ms = v;
    if (x->x_clock) {
        if (v > 0)
            clock_delay(x->x_clock, v);
        else
            clock_unset(x->x_clock);
    }
}

static double sa_get_interval(const void *z)
{
    return ((const t_smartassist *)z)->x_interval_ms;
}

static void sa_set_amount(void *z, double v)
{
    sm_assistant_set_amount(&((t_smartassist *)z)->x_core, v);
}

static double sa_get_amount(const void *z)
{
    return ((const t_smartassist *)z)->x_core.amount;
}

static void sa_set_lra(void *z, double v)
{
    ((t_smartassist *)z)->x_core.target_lra_lu = v;
}

static double sa_get_lra(const void *z)
{
    return ((const t_smartassist *)z)->x_core.target_lra_lu;
}

static void sa_set_plrmin(void *z, double v)
{
    ((t_smartassist *)z)->x_core.plr_min_db = v;
}

static double sa_get_plrmin(const void *z)
{
    return ((const t_smartassist *)z)->x_core.plr_min_db;
}

static const sm_param sa_param_table[] = {
    {"interval", "ms", SM_REAL, 0, 60000, 0, sa_set_interval, sa_get_interval,
     "propose every so often (0: only on bang)"},
    {"amount", "", SM_REAL, 0, 1, 1, sa_set_amount, sa_get_amount,
     "global amount, times each module's (amount eq|multiband|loudness x)"},
    {"lra", "LU", SM_REAL, 1, 30, 8, sa_set_lra, sa_get_lra,
     "target loudness range: above it the multiband ratio rises"},
    {"plrmin", "dB", SM_REAL, 0, 30, 8, sa_set_plrmin, sa_get_plrmin,
     "smallest peak-to-loudness ratio before the target counts as unreachable"},
};

static const sm_params sa_params = {"smartassist", sa_param_table,
                                    sizeof sa_param_table /
                                        sizeof *sa_param_table};

/* ------------------------------ output ---------------------------- */

/* `selector <words of text>`: the text is parsed like a message box
 * (numbers become floats); sentences contain no commas or semicolons. */
static void sa_out_text(t_smartassist *x, const char *selector,
                        const char *prefix, const char *text)
{
    t_binbuf *b = binbuf_new();
    char buf[SM_ASSIST_TEXT + 32];
    snprintf(buf, sizeof buf, "%s%s", prefix, text);
    binbuf_text(b, buf, strlen(buf));
    outlet_anything(x->x_out, gensym(selector), binbuf_getnatom(b),
                    binbuf_getvec(b));
    binbuf_free(b);
}

static void sa_out_floats(t_smartassist *x, const char *selector, int n,
                          const char *const *names, const double *v)
{
    t_atom a[8];
    for (int i = 0; i < n; i++) {
        SETSYMBOL(&a[2 * i], gensym(names[i]));
        SETFLOAT(&a[2 * i + 1], v[i]);
    }
    outlet_anything(x->x_out, gensym(selector), 2 * n, a);
}

static void sa_output(t_smartassist *x, const sm_assist_proposal *p, int apply)
{
    const sm_assistant *a = &x->x_core;
    char msg[SM_ASSIST_TEXT];
    for (int k = 0; k < SM_ASSIST_EQ_SLOTS; k++) {
        const sm_assist_eq *e = &p->eq[k];
        int ok = sm_assistant_eq_message(p, k, msg, sizeof msg) == 0;
        if (e->active && ok)
            sa_out_text(x, "proposal", "eq ", msg + 3);
        if (e->active || e->locked || k < 2)
            sa_out_text(x, "explain", "", p->explain_eq[k]);
        if (apply && ok)
            sa_out_text(x, "chain", "", msg);
    }
    if (sm_assistant_comp_message(a, p, msg, sizeof msg) == 0) {
        sa_out_text(x, "proposal", "multiband ", msg);
        if (apply)
            sa_out_text(x, "chain", "", msg);
    }
    sa_out_text(x, "explain", "", p->explain_multiband);
    if (sm_assistant_gain_message(a, p, msg, sizeof msg) == 0) {
        sa_out_text(x, "proposal", "loudness ", msg);
        if (apply)
            sa_out_text(x, "chain", "", msg);
    }
    sa_out_text(x, "explain", "", p->explain_loudness);
    static const char *const pnames[] = {"integrated", "truepeak", "plr"};
    double pv[3] = {p->predicted_lufs, p->predicted_tp_dbtp,
                    p->predicted_plr_db};
    sa_out_floats(x, "predicted", 3, pnames, pv);
    sa_out_text(x, "explain", "", p->explain_predicted);
    t_atom v;
    SETFLOAT(&v, p->unreachable ? 0 : 1);
    outlet_anything(x->x_out, gensym("reachable"), 1, &v);
    SETFLOAT(&v, p->distance_db);
    outlet_anything(x->x_out, gensym("distance"), 1, &v);
}

static void smartassist_bang(t_smartassist *x)
{
    if (x->x_mode == MODE_FREEZE) {
        /* frozen: repeat the settings in force, send nothing to the chain */
        if (x->x_have_last)
            sa_output(x, &x->x_last, 0);
        return;
    }
    sm_assistant_propose(&x->x_core, &x->x_last);
    x->x_have_last = 1;
    sa_output(x, &x->x_last, x->x_mode == MODE_APPLY);
}

static void smartassist_tick(t_smartassist *x)
{
    smartassist_bang(x);
    if (x->x_interval_ms > 0)
        clock_delay(x->x_clock, x->x_interval_ms);
}

/* ----------------------------- inputs ----------------------------- */

static int sa_frozen(t_smartassist *x)
{
    return x->x_mode == MODE_FREEZE;
}

static int sa_floats(t_smartassist *x, const char *what, int argc,
                     const t_atom *argv, int need, double *v)
{
    if (argc < need) {
        pd_error(x, "smartassist: %s needs %d number%s, got %d", what, need,
                 need > 1 ? "s" : "", argc);
        return 0;
    }
    for (int i = 0; i < need; i++) {
        if (argv[i].a_type != A_FLOAT) {
            pd_error(x, "smartassist: %s: argument %d is not a number", what,
                     i + 1);
            return 0;
        }
        v[i] = atom_getfloat(&argv[i]);
    }
    return 1;
}

static void smartassist_spectrum(t_smartassist *x, t_symbol *s, int argc,
                                 t_atom *argv)
{
    double v[SM_ASSIST_BANDS];
    (void)s;
    if (!sa_floats(x, "spectrum", argc, argv, SM_ASSIST_BANDS, v) ||
        sa_frozen(x))
        return;
    sm_assistant_set_spectrum(&x->x_core, v, SM_ASSIST_BANDS);
}

static void smartassist_curve(t_smartassist *x, t_symbol *s, int argc,
                              t_atom *argv)
{
    double v[SM_ASSIST_BANDS];
    (void)s;
    if (argc == 0 || (argc == 1 && argv[0].a_type == A_SYMBOL &&
                      !strcmp(argv[0].a_w.w_symbol->s_name, "default"))) {
        sm_assistant_set_curve(&x->x_core, NULL, 0);
        return;
    }
    if (sa_floats(x, "curve", argc, argv, SM_ASSIST_BANDS, v))
        sm_assistant_set_curve(&x->x_core, v, SM_ASSIST_BANDS);
}

/* one number (the first: truepeak sends the maximum, then each channel) */
static void sa_one(t_smartassist *x, const char *what, int argc,
                   const t_atom *argv, void (*set)(sm_assistant *, double))
{
    double v;
    if (sa_floats(x, what, argc, argv, 1, &v) && !sa_frozen(x))
        set(&x->x_core, v);
}

static void smartassist_target(t_smartassist *x, t_symbol *s, int argc,
                               t_atom *argv)
{
    double v[2];
    (void)s;
    if (!sa_floats(x, "target <lufs> <truepeak dBTP>", argc, argv, 2, v))
        return;
    v[0] = sm_check_range(x, "smartassist", "target", v[0], -70, 0, "LUFS");
    v[1] = sm_check_range(x, "smartassist", "target truepeak", v[1], -20, 0,
                          "dBTP");
    sm_assistant_set_target(&x->x_core, v[0], v[1]);
}

static void smartassist_amount(t_smartassist *x, int argc, t_atom *argv)
{
    if (argc >= 1 && argv[0].a_type == A_SYMBOL) {
        const char *m = argv[0].a_w.w_symbol->s_name;
        for (int i = 0; i < SM_ASSIST_MODULES; i++)
            if (!strcmp(m, module_names[i])) {
                double v;
                char what[40];
                snprintf(what, sizeof what, "amount %s", m);
                if (!sa_floats(x, what, argc - 1, argv + 1, 1, &v))
                    return;
                v = sm_check_range(x, "smartassist", what, v, 0, 1, "");
                sm_assistant_set_module_amount(&x->x_core, i, v);
                return;
            }
        pd_error(x,
                 "smartassist: amount: no module '%s' (a number 0 to 1, or "
                 "eq, multiband or loudness and a number)",
                 m);
        return;
    }
    sm_params_message(&sa_params, x, gensym("amount"), argc, argv);
}

/* lock names and the core's lock bits */
static unsigned sa_lock_bits(const char *name)
{
    static const struct {
        const char *name;
        unsigned bits;
    } names[] = {
        {"eq", 0xfu},
        {"eq1", 1u << SM_ASSIST_LOCK_EQ1},
        {"eq2", 1u << SM_ASSIST_LOCK_EQ2},
        {"eq3", 1u << SM_ASSIST_LOCK_EQ3},
        {"eq4", 1u << SM_ASSIST_LOCK_EQ4},
        {"ratio", 1u << SM_ASSIST_LOCK_RATIO},
        {"threshold", 1u << SM_ASSIST_LOCK_THRESHOLD},
        {"comp",
         (1u << SM_ASSIST_LOCK_RATIO) | (1u << SM_ASSIST_LOCK_THRESHOLD)},
        {"gain", 1u << SM_ASSIST_LOCK_GAIN},
        {"all", (1u << SM_ASSIST_LOCKS) - 1},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(name, names[i].name))
            return names[i].bits;
    return 0;
}

static void sa_lock(t_smartassist *x, const char *what, int on, int argc,
                    t_atom *argv)
{
    unsigned bits = argc >= 1 && argv[0].a_type == A_SYMBOL
                        ? sa_lock_bits(argv[0].a_w.w_symbol->s_name)
                        : 0;
    if (!bits) {
        pd_error(x,
                 "smartassist: %s needs a parameter: eq, eq1..eq4, ratio, "
                 "threshold, comp, gain or all",
                 what);
        return;
    }
    for (int l = 0; l < SM_ASSIST_LOCKS; l++)
        if (bits & (1u << l))
            sm_assistant_set_lock(&x->x_core, l, on);
}

static void smartassist_mode(t_smartassist *x, int argc, t_atom *argv)
{
    if (argc >= 1 && argv[0].a_type == A_SYMBOL)
        for (int m = 0; m < 3; m++)
            if (!strcmp(argv[0].a_w.w_symbol->s_name, mode_names[m])) {
                x->x_mode = m;
                return;
            }
    pd_error(x, "smartassist: mode needs suggest, apply or freeze");
}

static void smartassist_reset(t_smartassist *x)
{
    sm_assistant_reset(&x->x_core);
    x->x_have_last = 0;
}

static void smartassist_print(t_smartassist *x)
{
    const sm_assistant *a = &x->x_core;
    post("smartassist: inlets 0~, outlets 0~ + info");
    sm_params_print(&sa_params, x);
    post("smartassist: mode %s", mode_names[x->x_mode]);
    post("smartassist: module amounts eq %g multiband %g loudness %g",
         a->module_amount[0], a->module_amount[1], a->module_amount[2]);
    post("smartassist: target %g LUFS %g dBTP, curve %s", a->target_lufs,
         a->target_tp_dbtp,
         a->have_curve ? "given" : "built-in -3.5 dB/oct (provisional)");
    post("smartassist: locks eq1 %d eq2 %d eq3 %d eq4 %d ratio %d threshold "
         "%d gain %d",
         (int)(a->locks & 1), (int)(a->locks >> 1 & 1),
         (int)(a->locks >> 2 & 1), (int)(a->locks >> 3 & 1),
         (int)(a->locks >> 4 & 1), (int)(a->locks >> 5 & 1),
         (int)(a->locks >> 6 & 1));
}

static void smartassist_anything(t_smartassist *x, t_symbol *s, int argc,
                                 t_atom *argv)
{
    /* the other reports of analyze~ and lufs~: connected straight in, so
     * silently ignored */
    static const char *const ignored[] = {"momentary",
                                          "shortterm",
                                          "maxmomentary",
                                          "maxshortterm",
                                          "samplepeak",
                                          "psr",
                                          "piece",
                                          "side",
                                          "tilt",
                                          "centroid",
                                          "correlation",
                                          "width",
                                          "balance",
                                          "rms",
                                          "peak",
                                          "crest",
                                          "dc",
                                          "latency",
                                          NULL};
    const char *n = s->s_name;
    for (int i = 0; ignored[i]; i++)
        if (!strcmp(n, ignored[i]))
            return;
    if (!strcmp(n, "integrated"))
        sa_one(x, n, argc, argv, sm_assistant_set_integrated);
    else if (!strcmp(n, "range"))
        sa_one(x, n, argc, argv, sm_assistant_set_lra);
    else if (!strcmp(n, "truepeak"))
        sa_one(x, n, argc, argv, sm_assistant_set_truepeak);
    else if (!strcmp(n, "plr"))
        sa_one(x, n, argc, argv, sm_assistant_set_plr);
    else if (!strcmp(n, "amount"))
        smartassist_amount(x, argc, argv);
    else if (!strcmp(n, "lock") || !strcmp(n, "unlock"))
        sa_lock(x, n, n[0] == 'l', argc, argv);
    else if (!strcmp(n, "mode"))
        smartassist_mode(x, argc, argv);
    else if (!sm_params_message(&sa_params, x, s, argc, argv))
        pd_error(x, "smartassist: no method for '%s'", n);
}

/* ------------------------ life cycle ------------------------------ */

static void *smartassist_new(t_symbol *s, int argc, t_atom *argv)
{
    (void)s;
    int nch; /* -ch is accepted like every smartmaster object's, unused */
    t_smartassist *x = (t_smartassist *)pd_new(smartassist_class);
    sm_assistant_init(&x->x_core);
    x->x_clock = NULL;
    sm_params_defaults(&sa_params, x);
    sm_params_creation(&sa_params, x, &nch, argc, argv);
    x->x_clock = clock_new(x, (t_method)smartassist_tick);
    if (x->x_interval_ms > 0)
        clock_delay(x->x_clock, x->x_interval_ms);
    x->x_out = outlet_new(&x->x_obj, 0);
    return x;
}

static void smartassist_free(t_smartassist *x)
{
    clock_free(x->x_clock);
    sm_assistant_free(&x->x_core);
}

SM_EXPORT void smartassist_setup(void)
{
    smartassist_class =
        class_new(gensym("smartassist"), SM_NEWMETHOD(smartassist_new),
                  (t_method)smartassist_free, sizeof(t_smartassist),
                  CLASS_DEFAULT, A_GIMME, 0);
    class_addbang(smartassist_class, smartassist_bang);
    class_addmethod(smartassist_class, (t_method)smartassist_spectrum,
                    gensym("spectrum"), A_GIMME, 0);
    class_addmethod(smartassist_class, (t_method)smartassist_curve,
                    gensym("curve"), A_GIMME, 0);
    class_addmethod(smartassist_class, (t_method)smartassist_target,
                    gensym("target"), A_GIMME, 0);
    class_addmethod(smartassist_class, (t_method)smartassist_reset,
                    gensym("reset"), 0);
    class_addmethod(smartassist_class, (t_method)smartassist_reset,
                    gensym("clear"), 0);
    class_addmethod(smartassist_class, (t_method)smartassist_print,
                    gensym("print"), 0);
    class_addanything(smartassist_class, smartassist_anything);
}
