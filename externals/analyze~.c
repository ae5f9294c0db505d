/* analyze~ - 1/3-octave spectrum (mid and side), percentiles of the mid
 * bands' short-term levels, tilt, centroid, stereo image and per-channel
 * levels, averaged through a BS.1770-style gate.
 *
 * Glue only: the analysis lives in dsp/spectrum.c (FFT, bands, gate,
 * averages, with dsp/bandstats.c for the per-band level percentiles) and
 * dsp/levels.c (rms, peak, crest, dc). The perform routine
 * feeds both and counts samples; a clock sends the readings and fills the
 * display arrays. Files are read and written in message methods. */
#include "dsp/levels.h"
#include "dsp/numerics.h"
#include "dsp/spectrum.h"
#include "shared/params.h"
#include "shared/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define NB SM_SPECTRUM_BANDS

static t_class *analyze_tilde_class;

typedef struct _analyze_tilde {
    t_object x_obj;
    t_float x_f;
    int x_nch;
    double x_sr; /* rate the analyser was made for, 0 before dsp */
    int x_ok;    /* the analyser exists */
    /* parameters as set (the analyser is rebuilt from them) */
    int x_size, x_hop, x_gate;
    double x_average;
    double x_floor; /* lowest band level reported (display floor) */
    sm_spectrum x_spec;
    sm_levels x_lev;
    sm_report x_report;
    t_canvas *x_canvas; /* for file names relative to the patch */
    t_symbol *x_array, *x_sidearray;
    int x_array_missing, x_sidearray_missing; /* reported once */
    t_sample *x_in[SM_MAXCH];
    t_outlet *x_out;
} t_analyze_tilde;

static void analyze_tilde_rebuild(t_analyze_tilde *x);

/* ------------------------- parameters ----------------------------- */

/* The nearest power of two within the allowed sizes. */
static int power_of_two(double v)
{
    int p = SM_SPECTRUM_MINSIZE;
    while (p < SM_SPECTRUM_MAXSIZE && v >= 1.5 * p)
        p *= 2;
    return p;
}

static void analyze_set_size(void *z, double v)
{
    t_analyze_tilde *x = z;
    int p = power_of_two(v);
    if (p != (int)v)
        post("analyze~: size %g is not a power of two, using %d", v, p);
    if (p == x->x_size)
        return;
    x->x_size = p;
    analyze_tilde_rebuild(x);
}

static double analyze_get_size(const void *z)
{
    return ((const t_analyze_tilde *)z)->x_size;
}

static void analyze_set_hop(void *z, double v)
{
    t_analyze_tilde *x = z;
    if ((int)v == x->x_hop)
        return;
    x->x_hop = (int)v;
    analyze_tilde_rebuild(x);
}

static double analyze_get_hop(const void *z)
{
    return ((const t_analyze_tilde *)z)->x_hop;
}

static void analyze_set_average(void *z, double v)
{
    t_analyze_tilde *x = z;
    x->x_average = v;
    if (x->x_ok) {
        sm_spectrum_set_average(&x->x_spec, v);
        sm_levels_set_average(&x->x_lev, v);
    }
}

static double analyze_get_average(const void *z)
{
    return ((const t_analyze_tilde *)z)->x_average;
}

static void analyze_set_gate(void *z, double v)
{
    t_analyze_tilde *x = z;
    x->x_gate = v != 0;
    if (x->x_ok)
        sm_spectrum_set_gate(&x->x_spec, x->x_gate);
}

static double analyze_get_gate(const void *z)
{
    return ((const t_analyze_tilde *)z)->x_gate;
}

static void analyze_set_floor(void *z, double v)
{
    ((t_analyze_tilde *)z)->x_floor = v;
}

static double analyze_get_floor(const void *z)
{
    return ((const t_analyze_tilde *)z)->x_floor;
}

static void analyze_set_interval(void *z, double v)
{
    sm_report_set_interval(&((t_analyze_tilde *)z)->x_report, v);
}

static double analyze_get_interval(const void *z)
{
    return ((const t_analyze_tilde *)z)->x_report.interval_ms;
}

static const sm_param analyze_param_table[] = {
    {"size", "samples", SM_INTEGER, SM_SPECTRUM_MINSIZE, SM_SPECTRUM_MAXSIZE,
     4096, analyze_set_size, analyze_get_size,
     "FFT size, a power of two (others are rounded); restarts the analysis"},
    {"hop", "samples", SM_INTEGER, 0, SM_SPECTRUM_MAXSIZE, 0, analyze_set_hop,
     analyze_get_hop,
     "samples between frames (0: size/4; at most size); restarts the "
     "analysis"},
    {"average", "s", SM_REAL, 0, 3600, 0, analyze_set_average,
     analyze_get_average,
     "time constant of the exponential average (0: everything since reset)"},
    {"gate", "", SM_TOGGLE, 0, 1, 1, analyze_set_gate, analyze_get_gate,
     "1 keeps silence (-70 LUFS) and passages 10 LU under the average "
     "loudness out of the spectra and the stereo image"},
    {"floor", "dB", SM_REAL, SM_FLOOR_DB, 0, SM_FLOOR_DB, analyze_set_floor,
     analyze_get_floor,
     "band levels below this read this (the bottom of a display)"},
    {"interval", "ms", SM_REAL, 0, 60000, 100, analyze_set_interval,
     analyze_get_interval, "report period (0: every DSP block)"},
};

static const sm_params analyze_params = {"analyze~", analyze_param_table,
                                         sizeof analyze_param_table /
                                             sizeof *analyze_param_table};

/* The analyser, rebuilt when the size, the hop or the sample rate change
 * (allocates: message domain or dsp method only). */
static void analyze_tilde_rebuild(t_analyze_tilde *x)
{
    if (x->x_sr <= 0.0)
        return; /* DSP has not run: dsp builds it */
    if (x->x_ok) {
        sm_spectrum_free(&x->x_spec);
        x->x_ok = 0;
    }
    int hop = x->x_hop > 0 ? (x->x_hop < x->x_size ? x->x_hop : x->x_size) : 0;
    if (sm_levels_init(&x->x_lev, x->x_nch, x->x_sr) != 0 ||
        sm_spectrum_init(&x->x_spec, x->x_nch, x->x_sr, x->x_size, hop) != 0) {
        pd_error(x,
                 "analyze~: cannot analyse at %g Hz with size %d "
                 "(out of memory, or KissFFT missing?)",
                 x->x_sr, x->x_size);
        return;
    }
    x->x_ok = 1;
    sm_spectrum_set_average(&x->x_spec, x->x_average);
    sm_spectrum_set_gate(&x->x_spec, x->x_gate);
    sm_levels_set_average(&x->x_lev, x->x_average);
}

/* -------------------------- reports ------------------------------- */

/* Writes 31 band levels into a Pd array (resized to 31 points if needed).
 * A missing array is reported once until it appears again. */
static void write_array(t_analyze_tilde *x, t_symbol *name, int *missing,
                        const double *v)
{
    if (!name)
        return;
    t_garray *a = (t_garray *)pd_findbyclass(name, garray_class);
    int n = 0;
    t_word *vec = NULL;
    if (!a || !garray_getfloatwords(a, &n, &vec)) {
        if (!*missing)
            pd_error(x,
                     "analyze~: array '%s' not found (or not a float "
                     "array): band levels not written",
                     name->s_name);
        *missing = 1;
        return;
    }
    *missing = 0;
    if (n != NB) {
        garray_resize_long(a, NB);
        if (!garray_getfloatwords(a, &n, &vec) || n != NB)
            return;
    }
    for (int b = 0; b < NB; b++)
        vec[b].w_float = (t_float)v[b];
    garray_redraw(a);
}

static void read_all(t_analyze_tilde *x, sm_spectrum_readings *s,
                     sm_levels_readings *l)
{
    if (x->x_ok) {
        sm_spectrum_read(&x->x_spec, s);
        sm_levels_read(&x->x_lev, l);
        for (int b = 0; b < NB; b++) {
            s->mid_db[b] =
                s->mid_db[b] < x->x_floor ? x->x_floor : s->mid_db[b];
            s->side_db[b] =
                s->side_db[b] < x->x_floor ? x->x_floor : s->side_db[b];
        }
        return;
    }
    memset(s, 0, sizeof *s);
    memset(l, 0, sizeof *l);
    for (int b = 0; b < NB; b++)
        s->mid_db[b] = s->side_db[b] = x->x_floor;
    s->width_db = SM_FLOOR_DB;
    for (int c = 0; c < SM_LEVELS_MAXCH; c++)
        l->rms_db[c] = l->peak_db[c] = SM_FLOOR_DB;
}

/* Percentiles of the mid bands' short-term (400 ms) levels, as reported:
 * p10, p50, p80 and p95 (dynamic EQ and multiband rules of the smart
 * assistant: spread P95 - P50, threshold P80). */
#define NPCT 4
static const double pct_q[NPCT] = {0.10, 0.50, 0.80, 0.95};
static const char *const pct_names[NPCT] = {"p10", "p50", "p80", "p95"};

/* The percentiles, limited to the display floor like the band levels. */
static void read_percentiles(t_analyze_tilde *x, double *pct)
{
    if (x->x_ok)
        sm_spectrum_percentiles(&x->x_spec, pct_q, NPCT, pct);
    for (int i = 0; i < NPCT * NB; i++)
        pct[i] = !x->x_ok || pct[i] < x->x_floor ? x->x_floor : pct[i];
}

static void analyze_tilde_report(t_analyze_tilde *x)
{
    sm_spectrum_readings s;
    sm_levels_readings l;
    double pct[NPCT * NB];
    int n = x->x_nch;
    read_all(x, &s, &l);
    read_percentiles(x, pct);
    sm_outlet_floats(x->x_out, "spectrum", NB, s.mid_db);
    sm_outlet_floats(x->x_out, "side", NB, s.side_db);
    for (int i = 0; i < NPCT; i++)
        sm_outlet_floats(x->x_out, pct_names[i], NB, pct + i * NB);
    sm_outlet_floats(x->x_out, "tilt", 1, &s.tilt_db_oct);
    sm_outlet_floats(x->x_out, "centroid", 1, &s.centroid_hz);
    sm_outlet_floats(x->x_out, "correlation", 1, &s.correlation);
    sm_outlet_floats(x->x_out, "width", 1, &s.width_db);
    sm_outlet_floats(x->x_out, "balance", 1, &s.balance_db);
    sm_outlet_floats(x->x_out, "rms", n, l.rms_db);
    sm_outlet_floats(x->x_out, "peak", n, l.peak_db);
    sm_outlet_floats(x->x_out, "crest", n, l.crest_db);
    sm_outlet_floats(x->x_out, "dc", n, l.dc);
    write_array(x, x->x_array, &x->x_array_missing, s.mid_db);
    write_array(x, x->x_sidearray, &x->x_sidearray_missing, s.side_db);
}

static void analyze_tilde_tick(t_analyze_tilde *x)
{
    analyze_tilde_report(x);
}

static void analyze_tilde_bang(t_analyze_tilde *x)
{
    analyze_tilde_report(x);
}

/* -------------------------- messages ------------------------------ */

static void analyze_tilde_reset(t_analyze_tilde *x)
{
    if (x->x_ok) {
        sm_spectrum_reset(&x->x_spec);
        sm_levels_reset(&x->x_lev);
    }
}

static void analyze_tilde_clear(t_analyze_tilde *x)
{
    if (x->x_ok) {
        sm_spectrum_clear(&x->x_spec);
        sm_levels_reset(&x->x_lev);
    }
}

/* `array name` / `sidearray name`: where the band levels go at each report;
 * no name stops writing. */
static t_symbol *array_name(t_analyze_tilde *x, const char *what, int argc,
                            t_atom *argv)
{
    if (argc < 1)
        return NULL;
    if (argv[0].a_type != A_SYMBOL) {
        pd_error(x, "analyze~: %s needs an array name (or nothing, to stop)",
                 what);
        return NULL;
    }
    if (argc > 1)
        pd_error(x, "analyze~: %s: extra arguments ignored", what);
    return atom_getsymbol(argv);
}

static void analyze_tilde_array(t_analyze_tilde *x, t_symbol *s, int argc,
                                t_atom *argv)
{
    (void)s;
    x->x_array = array_name(x, "array", argc, argv);
    x->x_array_missing = 0;
}

static void analyze_tilde_sidearray(t_analyze_tilde *x, t_symbol *s, int argc,
                                    t_atom *argv)
{
    (void)s;
    x->x_sidearray = array_name(x, "sidearray", argc, argv);
    x->x_sidearray_missing = 0;
}

/* `write file`: the averaged spectrum as plain text, one band per line
 * (centre Hz, mid dB, side dB) after `#` comment lines. */
static void analyze_tilde_write(t_analyze_tilde *x, t_symbol *file)
{
    char path[MAXPDSTRING];
    sm_spectrum_readings s;
    sm_levels_readings l;
    if (!*file->s_name) {
        pd_error(x, "analyze~: write needs a file name");
        return;
    }
    if (!x->x_ok) {
        pd_error(x,
                 "analyze~: write %s: nothing measured yet (DSP has not "
                 "run)",
                 file->s_name);
        return;
    }
    canvas_makefilename(x->x_canvas, file->s_name, path, MAXPDSTRING);
    FILE *f = sys_fopen(path, "w");
    if (!f) {
        pd_error(x, "analyze~: write %s: %s", path, strerror(errno));
        return;
    }
    read_all(x, &s, &l);
    fprintf(f, "# smartmaster analyze~ spectrum: 1/3-octave band power in dB "
               "re full scale (a full-scale sine reads -3.01 dB in its "
               "band)\n");
    fprintf(f,
            "# sample rate %g Hz, size %d, hop %d, average %g s (0: since "
            "reset), gate %d, tilt %.3f dB/octave\n",
            x->x_sr, x->x_spec.size, x->x_spec.hop, x->x_average, x->x_gate,
            s.tilt_db_oct);
    fprintf(f, "# band centre (Hz), mid (dB), side (dB)\n");
    for (int b = 0; b < NB; b++)
        fprintf(f, "%g %.3f %.3f\n", sm_spectrum_nominal_hz(b), s.mid_db[b],
                s.side_db[b]);
    if (sys_fclose(f) != 0)
        pd_error(x, "analyze~: write %s: %s", path, strerror(errno));
}

/* Parses one data line: `centre mid [side]`. Returns the count read. */
static int parse_line(const char *line, double *hz, double *mid, double *side)
{
    int got = sscanf(line, "%lf %lf %lf", hz, mid, side);
    if (got == 2)
        *side = SM_FLOOR_DB;
    return got;
}

static int is_blank_or_comment(const char *line)
{
    while (*line == ' ' || *line == '\t')
        line++;
    return *line == '#' || *line == '\n' || *line == '\r' || *line == 0;
}

/* Reads a file written by `write` (or by hand: 31 lines of centre, mid and
 * optionally side levels). Returns 0, or -1 after reporting the problem. */
static int read_curve(t_analyze_tilde *x, FILE *f, const char *path,
                      double *mid, double *side)
{
    char line[512];
    int b = 0, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (is_blank_or_comment(line))
            continue;
        double hz;
        if (b >= NB) {
            pd_error(x, "analyze~: read %s: line %d: more than %d bands", path,
                     lineno, NB);
            return -1;
        }
        if (parse_line(line, &hz, &mid[b], &side[b]) < 2 ||
            !sm_isfinite((float)mid[b]) || !sm_isfinite((float)side[b])) {
            pd_error(x,
                     "analyze~: read %s: line %d: expected 'centre-Hz "
                     "mid-dB [side-dB]' (finite numbers)",
                     path, lineno);
            return -1;
        }
        double want = sm_spectrum_nominal_hz(b);
        if (!(fabs(hz - want) <= 0.03 * want)) {
            pd_error(x,
                     "analyze~: read %s: line %d: band %d should be at "
                     "%g Hz, not %g",
                     path, lineno, b + 1, want, hz);
            return -1;
        }
        b++;
    }
    if (b < NB) {
        pd_error(x,
                 "analyze~: read %s: %d bands, expected %d (20 Hz to 20 "
                 "kHz)",
                 path, b, NB);
        return -1;
    }
    return 0;
}

/* `read file`: sends the curve as `target <31 mid levels>` and
 * `targetside <31 side levels>`. */
static void analyze_tilde_read(t_analyze_tilde *x, t_symbol *file)
{
    char dir[MAXPDSTRING], path[2 * MAXPDSTRING + 2], *name;
    double mid[NB], side[NB];
    if (!*file->s_name) {
        pd_error(x, "analyze~: read needs a file name");
        return;
    }
    int fd =
        canvas_open(x->x_canvas, file->s_name, "", dir, &name, MAXPDSTRING, 1);
    if (fd < 0) {
        pd_error(x,
                 "analyze~: read %s: file not found (beside the patch or "
                 "on Pd's path)",
                 file->s_name);
        return;
    }
    sys_close(fd);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = sys_fopen(path, "r");
    if (!f) {
        pd_error(x, "analyze~: read %s: %s", path, strerror(errno));
        return;
    }
    int bad = read_curve(x, f, path, mid, side);
    sys_fclose(f);
    if (bad)
        return;
    sm_outlet_floats(x->x_out, "target", NB, mid);
    sm_outlet_floats(x->x_out, "targetside", NB, side);
}

static void analyze_tilde_print(t_analyze_tilde *x)
{
    post("analyze~: inlets %d~, outlets 0~ + info", x->x_nch);
    sm_params_print(&analyze_params, x);
    post("analyze~: array %s, sidearray %s",
         x->x_array ? x->x_array->s_name : "(none)",
         x->x_sidearray ? x->x_sidearray->s_name : "(none)");
    if (!x->x_ok) {
        post("analyze~: DSP has not run yet");
        return;
    }
    startpost("analyze~: sample rate %g Hz, hop %d; bin spacing per band "
              "(Hz):",
              x->x_sr, x->x_spec.hop);
    for (int b = 0; b < NB; b++)
        startpost(" %.3g", sm_spectrum_band_bin_hz(&x->x_spec, b));
    endpost();
}

static void analyze_tilde_anything(t_analyze_tilde *x, t_symbol *s, int argc,
                                   t_atom *argv)
{
    if (!sm_params_message(&analyze_params, x, s, argc, argv))
        pd_error(x, "analyze~: no method for '%s'", s->s_name);
}

/* ----------------------------- DSP -------------------------------- */

static t_int *analyze_tilde_perform(t_int *w)
{
    t_analyze_tilde *x = (t_analyze_tilde *)w[1];
    int n = (int)w[2];
    if (x->x_ok) {
        const float *const *in = (const float *const *)x->x_in;
        sm_spectrum_process(&x->x_spec, in, n);
        sm_levels_process(&x->x_lev, in, n);
    }
    sm_report_advance(&x->x_report, n);
    return w + 3;
}

static void analyze_tilde_dsp(t_analyze_tilde *x, t_signal **sp)
{
    double sr = sp[0]->s_sr;
    /* A graph rebuild (any patch edit while audio runs) calls dsp again:
     * keep the analysis unless the sample rate really changed. */
    if (!x->x_ok || sr != x->x_sr) {
        x->x_sr = sr;
        analyze_tilde_rebuild(x);
        sm_report_set_samplerate(&x->x_report, sr);
    }
    for (int c = 0; c < x->x_nch; c++)
        x->x_in[c] = sp[c]->s_vec;
    dsp_add(analyze_tilde_perform, 2, x, (t_int)sp[0]->s_n);
}

/* ------------------------ life cycle ------------------------------ */

/* Takes `-array name` and `-sidearray name` out of the creation arguments
 * (the parameter table holds numbers only); returns the remaining count. */
static int take_array_flags(t_analyze_tilde *x, int argc, t_atom *argv)
{
    int out = 0;
    for (int i = 0; i < argc; i++) {
        t_symbol *flag = argv[i].a_type == A_SYMBOL ? argv[i].a_w.w_symbol : 0;
        int is_mid = flag && !strcmp(flag->s_name, "-array");
        int is_side = flag && !strcmp(flag->s_name, "-sidearray");
        if (!is_mid && !is_side) {
            argv[out++] = argv[i];
            continue;
        }
        if (i + 1 >= argc || argv[i + 1].a_type != A_SYMBOL) {
            pd_error(x, "analyze~: %s needs an array name", flag->s_name);
            continue;
        }
        t_symbol *name = atom_getsymbol(&argv[++i]);
        if (is_mid)
            x->x_array = name;
        else
            x->x_sidearray = name;
    }
    return out;
}

static void *analyze_tilde_new(t_symbol *s, int argc, t_atom *argv)
{
    (void)s;
    t_analyze_tilde *x = (t_analyze_tilde *)pd_new(analyze_tilde_class);
    x->x_canvas = canvas_getcurrent();
    sm_report_init(&x->x_report, x, (t_method)analyze_tilde_tick);
    sm_params_defaults(&analyze_params, x);
    argc = take_array_flags(x, argc, argv);
    sm_params_creation(&analyze_params, x, &x->x_nch, argc, argv);
    for (int c = 1; c < x->x_nch; c++)
        inlet_new(&x->x_obj, &x->x_obj.ob_pd, &s_signal, &s_signal);
    x->x_out = outlet_new(&x->x_obj, 0);
    return x;
}

static void analyze_tilde_free(t_analyze_tilde *x)
{
    sm_report_free(&x->x_report);
    if (x->x_ok)
        sm_spectrum_free(&x->x_spec);
}

SM_EXPORT void analyze_tilde_setup(void)
{
    analyze_tilde_class =
        class_new(gensym("analyze~"), SM_NEWMETHOD(analyze_tilde_new),
                  (t_method)analyze_tilde_free, sizeof(t_analyze_tilde),
                  CLASS_DEFAULT, A_GIMME, 0);
    CLASS_MAINSIGNALIN(analyze_tilde_class, t_analyze_tilde, x_f);
    class_addmethod(analyze_tilde_class, (t_method)analyze_tilde_dsp,
                    gensym("dsp"), A_CANT, 0);
    class_addbang(analyze_tilde_class, analyze_tilde_bang);
    class_addmethod(analyze_tilde_class, (t_method)analyze_tilde_reset,
                    gensym("reset"), 0);
    class_addmethod(analyze_tilde_class, (t_method)analyze_tilde_clear,
                    gensym("clear"), 0);
    class_addmethod(analyze_tilde_class, (t_method)analyze_tilde_array,
                    gensym("array"), A_GIMME, 0);
    class_addmethod(analyze_tilde_class, (t_method)analyze_tilde_sidearray,
                    gensym("sidearray"), A_GIMME, 0);
    class_addmethod(analyze_tilde_class, (t_method)analyze_tilde_write,
                    gensym("write"), A_DEFSYM, 0);
    class_addmethod(analyze_tilde_class, (t_method)analyze_tilde_read,
                    gensym("read"), A_DEFSYM, 0);
    class_addmethod(analyze_tilde_class, (t_method)analyze_tilde_print,
                    gensym("print"), 0);
    class_addanything(analyze_tilde_class, analyze_tilde_anything);
}
