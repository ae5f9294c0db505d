/* mbcomp~ - multiband compressor: 1 to 6 bands on Linkwitz-Riley crossovers
 * that sum flat; with one band, the mixing compressor.
 *
 * Glue only: the DSP lives in dsp/multiband.c (crossover.c, compressor.c).
 * Inlets: N signals, then N sidechain signals with -sidechain. Outlets: N
 * signals, then the info outlet (gr, level, latency). */
#include "dsp/multiband.h"
#include "dsp/numerics.h"
#include "shared/bands.h"
#include "shared/params.h"
#include "shared/report.h"

#include <math.h>
#include <string.h>

#define MAXBANDS SM_XOVER_MAXBANDS
#define XOVER_LO 20.0
#define XOVER_HI 20000.0
/* neighbouring crossovers at least 1/3 octave apart */
#define XOVER_SPACING 1.2599210498948732

static t_class *mbcomp_tilde_class;

typedef struct _mbcomp_tilde {
    t_object x_obj;
    t_float x_f;
    int x_nch, x_nbands, x_sidechain;
    int x_ok; /* the engine exists */
    double x_sr;
    sm_mbcomp x_mb;
    double x_link, x_mix; /* per cent */
    int x_bypass, x_ms, x_use_key;
    double x_xover[MAXBANDS - 1];
    int x_latency_due;
    sm_report x_report;
    t_clock *x_latclock;
    t_sample *x_in[SM_MAXCH], *x_key[SM_MAXCH], *x_out[SM_MAXCH];
    t_outlet *x_info;
} t_mbcomp_tilde;

/* ----------------------------- global parameters ------------------------ */

static void mb_set_link(void *z, double v)
{
    t_mbcomp_tilde *x = z;
    x->x_link = v;
    if (x->x_ok)
        sm_mbcomp_set_link(&x->x_mb, v / 100.0);
}
static double mb_get_link(const void *z)
{
    return ((const t_mbcomp_tilde *)z)->x_link;
}

static void mb_set_mix(void *z, double v)
{
    t_mbcomp_tilde *x = z;
    x->x_mix = v;
    if (x->x_ok)
        sm_mbcomp_set_mix(&x->x_mb, v / 100.0);
}
static double mb_get_mix(const void *z)
{
    return ((const t_mbcomp_tilde *)z)->x_mix;
}

static void mb_set_bypass(void *z, double v)
{
    t_mbcomp_tilde *x = z;
    x->x_bypass = v != 0;
    if (x->x_ok)
        sm_mbcomp_set_bypass(&x->x_mb, x->x_bypass);
}
static double mb_get_bypass(const void *z)
{
    return ((const t_mbcomp_tilde *)z)->x_bypass;
}

static void mb_set_interval(void *z, double v)
{
    sm_report_set_interval(&((t_mbcomp_tilde *)z)->x_report, v);
}
static double mb_get_interval(const void *z)
{
    return ((const t_mbcomp_tilde *)z)->x_report.interval_ms;
}

static const sm_param mb_param_table[] = {
    {"link", "percent", SM_REAL, 0, 100, 100, mb_set_link, mb_get_link,
     "stereo link: 0 each channel alone, 100 all follow the loudest"},
    {"mix", "percent", SM_REAL, 0, 100, 100, mb_set_mix, mb_get_mix,
     "parallel compression: 0 dry (the crossover sum), 100 all wet"},
    {"bypass", "", SM_TOGGLE, 0, 1, 0, mb_set_bypass, mb_get_bypass,
     "1 crossfades to the untouched input"},
    {"interval", "ms", SM_REAL, 0, 60000, 100, mb_set_interval, mb_get_interval,
     "report period (0: every DSP block)"},
};

static const sm_params mb_params = {
    "mbcomp~", mb_param_table, sizeof mb_param_table / sizeof *mb_param_table};

/* ------------------------------ band parameters ------------------------- */

static sm_comp *band(void *z, int k)
{
    return sm_mbcomp_band(&((t_mbcomp_tilde *)z)->x_mb, k);
}
static const sm_comp *cband(const void *z, int k)
{
    return &((const t_mbcomp_tilde *)z)->x_mb.comp[k];
}

#define BAND_SETGET(name, setter, field)                                       \
    static void mb_set_##name(void *z, int k, double v)                        \
    {                                                                          \
        setter(band(z, k), v);                                                 \
    }                                                                          \
    static double mb_get_##name(const void *z, int k)                          \
    {                                                                          \
        return cband(z, k)->field;                                             \
    }

BAND_SETGET(threshold, sm_comp_set_threshold_db, set.threshold_db)
BAND_SETGET(ratio, sm_comp_set_ratio, set.ratio)
BAND_SETGET(knee, sm_comp_set_knee_db, set.knee_db)
BAND_SETGET(attack, sm_comp_set_attack_ms, attack_ms)
BAND_SETGET(release, sm_comp_set_release_ms, release_ms)
BAND_SETGET(makeup, sm_comp_set_makeup_db, makeup_db)
BAND_SETGET(window, sm_comp_set_window_ms, window_ms)
BAND_SETGET(range, sm_comp_set_range_db, set.range_db)

static void mb_set_automakeup(void *z, int k, double v)
{
    sm_comp_set_automakeup(band(z, k), v != 0);
}
static double mb_get_automakeup(const void *z, int k)
{
    return cband(z, k)->automakeup;
}
static void mb_set_upward(void *z, int k, double v)
{
    sm_comp_set_upward(band(z, k), v != 0);
}
static double mb_get_upward(const void *z, int k)
{
    return cband(z, k)->upward;
}
static void mb_set_detector(void *z, int k, double v)
{
    sm_comp_set_detector(band(z, k), v != 0 ? SM_DETECT_RMS : SM_DETECT_PEAK);
}
static double mb_get_detector(const void *z, int k)
{
    return cband(z, k)->detector == SM_DETECT_RMS;
}
static void mb_set_solo(void *z, int k, double v)
{
    sm_mbcomp_set_solo(&((t_mbcomp_tilde *)z)->x_mb, k, v != 0);
}
static double mb_get_solo(const void *z, int k)
{
    return ((const t_mbcomp_tilde *)z)->x_mb.solo[k];
}
static void mb_set_mute(void *z, int k, double v)
{
    sm_mbcomp_set_mute(&((t_mbcomp_tilde *)z)->x_mb, k, v != 0);
}
static double mb_get_mute(const void *z, int k)
{
    return ((const t_mbcomp_tilde *)z)->x_mb.mute[k];
}
static void mb_set_band_bypass(void *z, int k, double v)
{
    sm_mbcomp_set_band_bypass(&((t_mbcomp_tilde *)z)->x_mb, k, v != 0);
}
static double mb_get_band_bypass(const void *z, int k)
{
    return ((const t_mbcomp_tilde *)z)->x_mb.bypass[k];
}

static const char *const detector_words[] = {"peak", "rms", NULL};

static const sm_band_param mb_band_table[] = {
    {"threshold", "dB", SM_REAL, -80, 0, -20, mb_set_threshold,
     mb_get_threshold, "level where compression starts", NULL},
    {"ratio", "", SM_REAL, 1, 100, 2, mb_set_ratio, mb_get_ratio,
     "dB in per dB out above the threshold (below it with upward 1)", NULL},
    {"knee", "dB", SM_REAL, 0, 30, 6, mb_set_knee, mb_get_knee,
     "soft-knee width, centred on the threshold", NULL},
    {"attack", "ms", SM_REAL, 0.1, 1000, 10, mb_set_attack, mb_get_attack,
     "time constant of a rising level (63 % of the gain change)", NULL},
    {"release", "ms", SM_REAL, 1, 5000, 100, mb_set_release, mb_get_release,
     "time constant of a falling level", NULL},
    {"makeup", "dB", SM_REAL, -24, 24, 0, mb_set_makeup, mb_get_makeup,
     "gain after compression", NULL},
    {"automakeup", "", SM_TOGGLE, 0, 1, 0, mb_set_automakeup, mb_get_automakeup,
     "1 adds half the reduction of a 0 dBFS level to the make-up", NULL},
    {"detector", "", SM_REAL, 0, 1, 0, mb_set_detector, mb_get_detector,
     "level detector: peak (instantaneous) or rms (over window)",
     detector_words},
    {"window", "ms", SM_REAL, 1, 1000, 10, mb_set_window, mb_get_window,
     "averaging time of the rms detector", NULL},
    {"upward", "", SM_TOGGLE, 0, 1, 0, mb_set_upward, mb_get_upward,
     "1 compresses upward: lifts levels below the threshold", NULL},
    {"range", "dB", SM_REAL, 0, 48, 12, mb_set_range, mb_get_range,
     "most gain the upward mode adds", NULL},
    {"solo", "", SM_TOGGLE, 0, 1, 0, mb_set_solo, mb_get_solo,
     "1 hears soloed bands only", NULL},
    {"mute", "", SM_TOGGLE, 0, 1, 0, mb_set_mute, mb_get_mute,
     "1 silences the band", NULL},
    {"bypass", "", SM_TOGGLE, 0, 1, 0, mb_set_band_bypass, mb_get_band_bypass,
     "1 passes the band uncompressed", NULL},
};

#define NBANDPARAMS ((int)(sizeof mb_band_table / sizeof *mb_band_table))

static int mb_nbands(const void *z)
{
    return ((const t_mbcomp_tilde *)z)->x_nbands;
}

static const sm_bands mb_bands = {"mbcomp~", mb_band_table, NBANDPARAMS,
                                  mb_nbands, MAXBANDS};

/* ------------------------------- crossovers ----------------------------- */

/* Checks a whole set of crossover frequencies at once (v[i] for crossover
 * i, every entry filled; given[i] marks those the user just sent): each in
 * range, then increasing by at least 1/3 octave; reports and clamps. Done
 * on the whole set so that moving several crossovers together works in
 * any order. */
static void check_xovers(t_mbcomp_tilde *x, double *v, const int *given)
{
    int n = x->x_nbands - 1;
    char what[32];
    for (int i = 0; i < n; i++)
        if (given[i]) {
            snprintf(what, sizeof what, "xover %d", i + 1);
            v[i] = sm_check_range(x, "mbcomp~", what, v[i], XOVER_LO, XOVER_HI,
                                  "Hz");
        }
    /* spacing: upward from the lowest, then downward from the top */
    for (int i = 1; i < n; i++)
        if (v[i] < v[i - 1] * XOVER_SPACING * (1 - 1e-9)) {
            double c = v[i - 1] * XOVER_SPACING;
            if (given[i] || given[i - 1])
                pd_error(x,
                         "mbcomp~: xover %d %g Hz is less than 1/3 octave "
                         "above xover %d (%g Hz), using %g Hz",
                         i + 1, v[i], i, v[i - 1], c);
            v[i] = c;
        }
    for (int i = n - 1; i >= 0; i--) {
        double hi = i == n - 1 ? XOVER_HI : v[i + 1] / XOVER_SPACING;
        if (v[i] > hi * (1 + 1e-9)) {
            pd_error(x,
                     "mbcomp~: xover %d %g Hz leaves no room for the "
                     "crossovers above it, using %g Hz",
                     i + 1, v[i], hi);
            v[i] = hi;
        }
    }
}

static void apply_xovers(t_mbcomp_tilde *x, const double *v, int glide)
{
    for (int i = 0; i < x->x_nbands - 1; i++) {
        if (v[i] != x->x_xover[i] && x->x_ok)
            sm_mbcomp_set_xover(&x->x_mb, i, v[i], glide);
        x->x_xover[i] = v[i];
    }
}

/* `xover <n> <Hz> [<n> <Hz> ...]` */
static void mbcomp_tilde_xover(t_mbcomp_tilde *x, t_symbol *s, int argc,
                               t_atom *argv)
{
    (void)s;
    int n = x->x_nbands - 1;
    if (n < 1) {
        pd_error(x, "mbcomp~: xover: one band has no crossover (create with "
                    "-bands 2 or more)");
        return;
    }
    if (argc < 2 || argc % 2) {
        pd_error(x,
                 "mbcomp~: xover needs <n> <Hz> pairs (n 1 to %d, %g to %g "
                 "Hz)",
                 n, XOVER_LO, XOVER_HI);
        return;
    }
    double v[MAXBANDS - 1];
    int given[MAXBANDS - 1] = {0};
    memcpy(v, x->x_xover, sizeof v);
    for (int i = 0; i < argc; i += 2) {
        if (argv[i].a_type != A_FLOAT || argv[i + 1].a_type != A_FLOAT) {
            pd_error(x, "mbcomp~: xover needs numbers: <n> <Hz> (n 1 to %d)",
                     n);
            return;
        }
        double k = atom_getfloat(&argv[i]);
        if (!(k >= 1 && k <= n) || k != floor(k)) {
            pd_error(x, "mbcomp~: xover %g does not exist (1 to %d)", k, n);
            return;
        }
        v[(int)k - 1] = atom_getfloat(&argv[i + 1]);
        given[(int)k - 1] = 1;
    }
    check_xovers(x, v, given);
    apply_xovers(x, v, 1);
}

/* ------------------------------- messages ------------------------------- */

static void mbcomp_tilde_band(t_mbcomp_tilde *x, t_symbol *s, int argc,
                              t_atom *argv)
{
    (void)s;
    sm_bands_message(&mb_bands, x, argc, argv);
}

static void set_mode(t_mbcomp_tilde *x, const t_atom *a)
{
    const char *w = a && a->a_type == A_SYMBOL ? a->a_w.w_symbol->s_name : "";
    if (!strcmp(w, "lr") || !strcmp(w, "ms")) {
        x->x_ms = !strcmp(w, "ms");
        if (x->x_ok)
            sm_mbcomp_set_ms(&x->x_mb, x->x_ms);
        return;
    }
    char got[64] = "nothing";
    if (a)
        atom_string(a, got, sizeof got);
    pd_error(x, "mbcomp~: mode '%s' is not lr or ms (left/right or mid/side)",
             got);
}

static void mbcomp_tilde_mode(t_mbcomp_tilde *x, t_symbol *s, int argc,
                              t_atom *argv)
{
    (void)s;
    set_mode(x, argc ? argv : NULL);
}

static void mbcomp_tilde_sidechain(t_mbcomp_tilde *x, t_symbol *s, int argc,
                                   t_atom *argv)
{
    (void)s;
    if (!x->x_sidechain) {
        pd_error(x, "mbcomp~: sidechain: no sidechain inlets (create with "
                    "-sidechain)");
        return;
    }
    if (argc < 1 || argv[0].a_type != A_FLOAT) {
        pd_error(x, "mbcomp~: sidechain needs 0 (key from the input) or 1 "
                    "(key from the sidechain inlets)");
        return;
    }
    double v = atom_getfloat(argv);
    if (v != 0 && v != 1)
        pd_error(x, "mbcomp~: sidechain %g is not 0 or 1, using %d", v,
                 v != 0 && v == v);
    x->x_use_key = v != 0 && v == v;
    if (x->x_ok)
        sm_mbcomp_set_use_key(&x->x_mb, x->x_use_key);
}

static void mbcomp_tilde_report(t_mbcomp_tilde *x)
{
    double level[MAXBANDS], gr[MAXBANDS];
    int n = x->x_nbands;
    if (x->x_ok)
        sm_mbcomp_meters(&x->x_mb, level, gr);
    else
        for (int k = 0; k < n; k++)
            level[k] = SM_FLOOR_DB, gr[k] = 0;
    sm_outlet_floats(x->x_info, "gr", n, gr);
    sm_outlet_floats(x->x_info, "level", n, level);
}

static void mbcomp_tilde_tick(t_mbcomp_tilde *x)
{
    mbcomp_tilde_report(x);
}
static void mbcomp_tilde_bang(t_mbcomp_tilde *x)
{
    mbcomp_tilde_report(x);
}

static void mbcomp_tilde_latency_tick(t_mbcomp_tilde *x)
{
    double v[2] = {0, 0}; /* IIR crossovers: no delay */
    sm_outlet_floats(x->x_info, "latency", 2, v);
}

static void mbcomp_tilde_reset(t_mbcomp_tilde *x)
{
    double l[MAXBANDS], g[MAXBANDS];
    if (x->x_ok) /* restart the meters */
        sm_mbcomp_meters(&x->x_mb, l, g);
}

static void mbcomp_tilde_clear(t_mbcomp_tilde *x)
{
    if (x->x_ok)
        sm_mbcomp_clear(&x->x_mb);
}

static void mbcomp_tilde_print(t_mbcomp_tilde *x)
{
    int n = x->x_nch;
    post("mbcomp~: inlets %d~, outlets %d~ + info",
         n * (x->x_sidechain ? 2 : 1), n);
    sm_params_print(&mb_params, x);
    post("mbcomp~: bands %d (creation flag -bands, 1 to 6), mode %s "
         "(lr|ms), sidechain %s",
         x->x_nbands, x->x_ms ? "ms" : "lr",
         !x->x_sidechain ? "none (create with -sidechain)"
                         : (x->x_use_key ? "1 (keyed by inlets after the "
                                           "signal inlets)"
                                         : "0 (keyed by the input)"));
    if (x->x_nbands > 1) {
        char buf[256];
        size_t used = 0;
        buf[0] = 0;
        for (int i = 0; i < x->x_nbands - 1 && used + 1 < sizeof buf; i++)
            used += snprintf(buf + used, sizeof buf - used, "%s%d: %g Hz",
                             i ? ", " : "", i + 1, x->x_xover[i]);
        post("mbcomp~: xover %s (xover <n> <Hz>, %g to %g Hz, at least 1/3 "
             "octave apart)",
             buf, XOVER_LO, XOVER_HI);
    }
    post("mbcomp~: band parameters: band <n> <param> <value> ...; without "
         "the band number (and as creation flags, -threshold -30) they set "
         "every band");
    sm_bands_print(&mb_bands, x);
    if (!x->x_ok)
        post("mbcomp~: no engine (out of memory at creation): output is "
             "silent");
}

static void mbcomp_tilde_anything(t_mbcomp_tilde *x, t_symbol *s, int argc,
                                  t_atom *argv)
{
    if (sm_params_message(&mb_params, x, s, argc, argv))
        return;
    if (sm_bands_message_all(&mb_bands, x, s, argc, argv))
        return;
    pd_error(x, "mbcomp~: no method for '%s'", s->s_name);
}

/* ---------------------------------- DSP --------------------------------- */

static t_int *mbcomp_tilde_perform(t_int *w)
{
    t_mbcomp_tilde *x = (t_mbcomp_tilde *)w[1];
    int n = (int)w[2];
    if (x->x_ok)
        sm_mbcomp_process(&x->x_mb, (const float *const *)x->x_in,
                          x->x_sidechain ? (const float *const *)x->x_key
                                         : NULL,
                          (float *const *)x->x_out, n);
    else
        for (int c = 0; c < x->x_nch; c++)
            memset(x->x_out[c], 0, sizeof(t_sample) * n);
    sm_report_advance(&x->x_report, n);
    return w + 3;
}

static void mbcomp_tilde_dsp(t_mbcomp_tilde *x, t_signal **sp)
{
    double sr = sp[0]->s_sr;
    int n = x->x_nch, nin = n * (x->x_sidechain ? 2 : 1);
    /* a graph rebuild calls dsp again: keep the state unless the rate
     * changed */
    if (sr != x->x_sr) {
        if (x->x_ok)
            sm_mbcomp_set_samplerate(&x->x_mb, sr);
        sm_report_set_samplerate(&x->x_report, sr);
        x->x_sr = sr;
        clock_delay(x->x_latclock, 0);
    }
    for (int c = 0; c < n; c++) {
        x->x_in[c] = sp[c]->s_vec;
        if (x->x_sidechain)
            x->x_key[c] = sp[n + c]->s_vec;
        x->x_out[c] = sp[nin + c]->s_vec;
    }
    dsp_add(mbcomp_tilde_perform, 2, x, (t_int)sp[0]->s_n);
}

/* ------------------------------ life cycle ------------------------------ */

/* Creation flags of mbcomp~'s own: -sidechain, -xover <f1> <f2> ...,
 * -mode lr|ms (-bands and the band parameters are taken by
 * sm_bands_creation). The rest (-ch, -link, -mix, -bypass, -interval and
 * anything unknown) goes to sm_params_creation. */
typedef struct creation {
    int sidechain, nxover, has_mode;
    double xover[MAXBANDS - 1 + 8];
    t_atom mode;
    int nrest;
    t_atom rest[128];
} creation;

static void parse_creation(t_mbcomp_tilde *x, creation *cr, int argc,
                           const t_atom *argv)
{
    memset(cr, 0, sizeof *cr);
    for (int i = 0; i < argc; i++) {
        const char *f =
            argv[i].a_type == A_SYMBOL ? argv[i].a_w.w_symbol->s_name : "";
        int has_value = i + 1 < argc;
        if (!strcmp(f, "-sidechain"))
            cr->sidechain = 1;
        else if (!strcmp(f, "-xover")) {
            cr->nxover = 0;
            while (i + 1 < argc && argv[i + 1].a_type == A_FLOAT) {
                double v = atom_getfloat(&argv[++i]);
                if (cr->nxover < (int)(sizeof cr->xover / sizeof *cr->xover))
                    cr->xover[cr->nxover++] = v;
            }
            if (!cr->nxover)
                pd_error(x, "mbcomp~: -xover needs frequencies in Hz, one per "
                            "crossover");
        } else if (!strcmp(f, "-mode")) {
            if (!has_value) {
                pd_error(x, "mbcomp~: -mode needs lr or ms");
                continue;
            }
            cr->mode = argv[++i];
            cr->has_mode = 1;
        } else if (cr->nrest < (int)(sizeof cr->rest / sizeof *cr->rest))
            cr->rest[cr->nrest++] = argv[i];
    }
}

static void *mbcomp_tilde_new(t_symbol *s, int argc, t_atom *argv)
{
    (void)s;
    t_mbcomp_tilde *x = (t_mbcomp_tilde *)pd_new(mbcomp_tilde_class);
    creation cr;
    sm_report_init(&x->x_report, x, (t_method)mbcomp_tilde_tick);
    x->x_latclock = clock_new(x, (t_method)mbcomp_tilde_latency_tick);
    sm_band_flags flags;
    x->x_nbands = 4;
    sm_bands_creation(&mb_bands, &mb_params, x, argc, argv, &x->x_nbands,
                      &flags);
    parse_creation(x, &cr, flags.nrest, flags.rest);
    x->x_sidechain = cr.sidechain;
    x->x_use_key = cr.sidechain;
    sm_params_defaults(&mb_params, x);
    sm_params_creation(&mb_params, x, &x->x_nch, cr.nrest, cr.rest);

    double sr = sys_getsr() > 0 ? sys_getsr() : 48000;
    x->x_ok = sm_mbcomp_init(&x->x_mb, x->x_nch, x->x_nbands, x->x_sidechain,
                             sr) == 0;
    if (!x->x_ok)
        pd_error(x, "mbcomp~: out of memory: the object outputs silence");
    x->x_sr = 0; /* dsp sets the real rate */
    /* push the global settings, then the bands, then the flags */
    mb_set_link(x, x->x_link);
    mb_set_mix(x, x->x_mix);
    mb_set_bypass(x, x->x_bypass);
    if (x->x_ok) {
        sm_bands_defaults(&mb_bands, x);
        double v[MAXBANDS - 1];
        int given[MAXBANDS - 1] = {0};
        sm_xover_defaults(x->x_nbands, v);
        if (cr.nxover) {
            if (cr.nxover != x->x_nbands - 1)
                pd_error(x,
                         "mbcomp~: -xover needs %d frequencies for %d bands, "
                         "got %d",
                         x->x_nbands - 1, x->x_nbands, cr.nxover);
            for (int i = 0; i < cr.nxover && i < x->x_nbands - 1; i++) {
                v[i] = cr.xover[i];
                given[i] = 1;
            }
        }
        check_xovers(x, v, given);
        for (int i = 0; i < x->x_nbands - 1; i++)
            x->x_xover[i] = v[i] + 1; /* force apply_xovers to set them */
        apply_xovers(x, v, 0);
        sm_bands_creation_apply(&mb_bands, x, &flags);
        if (cr.has_mode)
            set_mode(x, &cr.mode);
        sm_mbcomp_set_use_key(&x->x_mb, x->x_use_key);
    }
    sm_bands_creation_free(&flags);

    for (int c = 1; c < x->x_nch * (x->x_sidechain ? 2 : 1); c++)
        inlet_new(&x->x_obj, &x->x_obj.ob_pd, &s_signal, &s_signal);
    for (int c = 0; c < x->x_nch; c++)
        outlet_new(&x->x_obj, &s_signal);
    x->x_info = outlet_new(&x->x_obj, 0);
    return x;
}

static void mbcomp_tilde_free(t_mbcomp_tilde *x)
{
    sm_report_free(&x->x_report);
    clock_free(x->x_latclock);
    if (x->x_ok)
        sm_mbcomp_free(&x->x_mb);
}

SM_EXPORT void mbcomp_tilde_setup(void)
{
    mbcomp_tilde_class =
        class_new(gensym("mbcomp~"), SM_NEWMETHOD(mbcomp_tilde_new),
                  (t_method)mbcomp_tilde_free, sizeof(t_mbcomp_tilde),
                  CLASS_DEFAULT, A_GIMME, 0);
    CLASS_MAINSIGNALIN(mbcomp_tilde_class, t_mbcomp_tilde, x_f);
    class_addmethod(mbcomp_tilde_class, (t_method)mbcomp_tilde_dsp,
                    gensym("dsp"), A_CANT, 0);
    class_addbang(mbcomp_tilde_class, mbcomp_tilde_bang);
    class_addmethod(mbcomp_tilde_class, (t_method)mbcomp_tilde_reset,
                    gensym("reset"), 0);
    class_addmethod(mbcomp_tilde_class, (t_method)mbcomp_tilde_clear,
                    gensym("clear"), 0);
    class_addmethod(mbcomp_tilde_class, (t_method)mbcomp_tilde_print,
                    gensym("print"), 0);
    class_addmethod(mbcomp_tilde_class, (t_method)mbcomp_tilde_band,
                    gensym("band"), A_GIMME, 0);
    class_addmethod(mbcomp_tilde_class, (t_method)mbcomp_tilde_xover,
                    gensym("xover"), A_GIMME, 0);
    class_addmethod(mbcomp_tilde_class, (t_method)mbcomp_tilde_mode,
                    gensym("mode"), A_GIMME, 0);
    class_addmethod(mbcomp_tilde_class, (t_method)mbcomp_tilde_sidechain,
                    gensym("sidechain"), A_GIMME, 0);
    class_addanything(mbcomp_tilde_class, mbcomp_tilde_anything);
}
