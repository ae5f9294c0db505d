/* bands.c - per-band parameter messages. See bands.h. */
#include "bands.h"

#include <math.h>
#include <string.h>

const sm_band_param *sm_bands_find(const sm_bands *b, const char *name)
{
    for (int i = 0; i < b->count; i++)
        if (!strcmp(b->table[i].name, name))
            return &b->table[i];
    return NULL;
}

static void describe(const sm_band_param *q, char *buf, size_t size)
{
    if (q->choices) {
        size_t used = 0;
        buf[0] = 0;
        for (int i = 0; q->choices[i] && used + 1 < size; i++)
            used += snprintf(buf + used, size - used, "%s%s", i ? "|" : "",
                             q->choices[i]);
    } else if (q->kind == SM_TOGGLE)
        snprintf(buf, size, "0 or 1");
    else
        snprintf(buf, size, "%g to %g%s%s", q->min, q->max, *q->unit ? " " : "",
                 q->unit);
}

/* Checks one value atom for band `band` (0-based) and applies it. */
static void apply(const sm_bands *b, void *owner, const sm_band_param *q,
                  int band, const t_atom *a)
{
    char range[160], what[64];
    describe(q, range, sizeof range);
    snprintf(what, sizeof what, "band %d %s", band + 1, q->name);
    if (q->choices) {
        const char *word = a->a_type == A_SYMBOL ? a->a_w.w_symbol->s_name : "";
        for (int i = 0; q->choices[i]; i++)
            if (!strcmp(q->choices[i], word)) {
                q->set(owner, band, i);
                return;
            }
        char got[64];
        atom_string(a, got, sizeof got);
        pd_error(owner, "%s: %s: '%s' is not one of %s", b->classname, what,
                 got, range);
        return;
    }
    if (a->a_type != A_FLOAT) {
        pd_error(owner, "%s: %s needs a number (%s)", b->classname, what,
                 range);
        return;
    }
    double v = atom_getfloat(a);
    if (q->kind == SM_TOGGLE) {
        if (v != 0.0 && v != 1.0) {
            pd_error(owner, "%s: %s %g is not 0 or 1, using %d", b->classname,
                     what, v, v != 0.0 && v == v);
            v = v != 0.0 && v == v;
        }
    } else {
        v = sm_check_range(owner, b->classname, what, v, q->min, q->max,
                           q->unit);
        if (q->kind == SM_INTEGER && v != floor(v))
            v = floor(v + 0.5);
    }
    q->set(owner, band, v);
}

void sm_bands_defaults(const sm_bands *b, void *owner)
{
    for (int band = 0; band < b->maxbands; band++)
        for (int i = 0; i < b->count; i++)
            b->table[i].set(owner, band, b->table[i].def);
}

/* Applies `<param> <value>` pairs from argv to one band (or all: band -1). */
static void apply_pairs(const sm_bands *b, void *owner, int band, int argc,
                        const t_atom *argv)
{
    int n = b->nbands(owner);
    for (int i = 0; i < argc; i += 2) {
        if (argv[i].a_type != A_SYMBOL) {
            pd_error(owner,
                     "%s: band: expected a parameter name, got a "
                     "number",
                     b->classname);
            return;
        }
        const sm_band_param *q = sm_bands_find(b, argv[i].a_w.w_symbol->s_name);
        if (!q) {
            pd_error(owner, "%s: band: unknown parameter '%s'", b->classname,
                     argv[i].a_w.w_symbol->s_name);
            continue;
        }
        if (i + 1 >= argc) {
            char range[160];
            describe(q, range, sizeof range);
            pd_error(owner, "%s: band %s needs a value (%s)", b->classname,
                     q->name, range);
            return;
        }
        if (band >= 0)
            apply(b, owner, q, band, &argv[i + 1]);
        else
            for (int k = 0; k < n; k++)
                apply(b, owner, q, k, &argv[i + 1]);
    }
}

void sm_bands_message(const sm_bands *b, void *owner, int argc,
                      const t_atom *argv)
{
    int n = b->nbands(owner);
    if (argc < 1 || argv[0].a_type != A_FLOAT) {
        pd_error(owner,
                 "%s: band needs a band number (1 to %d), then "
                 "<parameter> <value> pairs",
                 b->classname, n);
        return;
    }
    double v = atom_getfloat(&argv[0]);
    if (!(v >= 1 && v <= n) || v != floor(v)) {
        pd_error(owner, "%s: band %g does not exist (1 to %d)", b->classname, v,
                 n);
        return;
    }
    if (argc < 3) {
        const sm_band_param *q =
            argc == 2 && argv[1].a_type == A_SYMBOL
                ? sm_bands_find(b, argv[1].a_w.w_symbol->s_name)
                : NULL;
        char range[160];
        if (q) {
            describe(q, range, sizeof range);
            pd_error(owner, "%s: band %g %s needs a value (%s)", b->classname,
                     v, q->name, range);
        } else
            pd_error(owner, "%s: band %g: needs <parameter> <value> pairs",
                     b->classname, v);
        return;
    }
    apply_pairs(b, owner, (int)v - 1, argc - 1, argv + 1);
}

int sm_bands_message_all(const sm_bands *b, void *owner, t_symbol *sel,
                         int argc, const t_atom *argv)
{
    const sm_band_param *q = sm_bands_find(b, sel->s_name);
    if (!q)
        return 0;
    if (argc < 1) {
        char range[160];
        describe(q, range, sizeof range);
        pd_error(owner, "%s: %s needs a value (%s)", b->classname, q->name,
                 range);
        return 1;
    }
    for (int k = 0; k < b->nbands(owner); k++)
        apply(b, owner, q, k, &argv[0]);
    return 1;
}

/* Band 1 in full, one parameter a line with its range and help (the form
 * the robustness sweep reads); the other bands one line each. */
void sm_bands_print(const sm_bands *b, const void *owner)
{
    for (int i = 0; i < b->count; i++) {
        const sm_band_param *q = &b->table[i];
        char range[160], value[64];
        describe(q, range, sizeof range);
        double v = q->get(owner, 0);
        if (q->choices)
            snprintf(value, sizeof value, "%s", q->choices[(int)v]);
        else
            snprintf(value, sizeof value, "%g%s%s", v, *q->unit ? " " : "",
                     q->unit);
        post("%s: band 1 %s %s [%s] %s", b->classname, q->name, value, range,
             q->help);
    }
    for (int band = 1; band < b->nbands(owner); band++) {
        char line[640];
        size_t used = 0;
        line[0] = 0;
        for (int i = 0; i < b->count && used + 1 < sizeof line; i++) {
            const sm_band_param *q = &b->table[i];
            double v = q->get(owner, band);
            if (q->choices)
                used += snprintf(line + used, sizeof line - used, "%s%s %s",
                                 i ? ", " : "", q->name, q->choices[(int)v]);
            else
                used += snprintf(line + used, sizeof line - used, "%s%s %g%s%s",
                                 i ? ", " : "", q->name, v, *q->unit ? " " : "",
                                 q->unit);
        }
        post("%s: band %d: %s", b->classname, band + 1, line);
    }
}

/* ------------------------- creation flags ------------------------- */

static int is_flag(const t_atom *a)
{
    return a->a_type == A_SYMBOL && a->a_w.w_symbol->s_name[0] == '-';
}

void sm_bands_creation(const sm_bands *b, const sm_params *p, void *owner,
                       int argc, const t_atom *argv, int *nbands,
                       sm_band_flags *f)
{
    f->size = argc + 1;
    f->rest = (t_atom *)getbytes(sizeof(t_atom) * f->size);
    f->flags = (t_atom *)getbytes(sizeof(t_atom) * f->size);
    f->nrest = f->nflags = 0;
    for (int i = 0; i < argc; i++) {
        const char *flag =
            is_flag(&argv[i]) ? argv[i].a_w.w_symbol->s_name + 1 : NULL;
        int has_value = i + 1 < argc && !is_flag(&argv[i + 1]);
        const sm_band_param *q = flag ? sm_bands_find(b, flag) : NULL;
        if (flag && !strcmp(flag, "bands")) {
            if (!has_value || argv[i + 1].a_type != A_FLOAT) {
                pd_error(owner, "%s: -bands needs a number of bands (1 to %d)",
                         b->classname, b->maxbands);
                i += has_value;
                continue;
            }
            double v =
                sm_check_range(owner, b->classname, "-bands",
                               atom_getfloat(&argv[++i]), 1, b->maxbands, "");
            *nbands = (int)(v + 0.5);
        } else if (q && !sm_params_find(p, flag)) {
            if (!has_value) {
                pd_error(owner, "%s: -%s needs a value", b->classname, flag);
                continue;
            }
            SETSYMBOL(&f->flags[f->nflags], gensym(flag));
            f->flags[f->nflags + 1] = argv[++i];
            f->nflags += 2;
        } else
            f->rest[f->nrest++] = argv[i];
    }
}

void sm_bands_creation_apply(const sm_bands *b, void *owner,
                             const sm_band_flags *f)
{
    for (int i = 0; i < f->nflags; i += 2)
        sm_bands_message_all(b, owner, f->flags[i].a_w.w_symbol, 1,
                             &f->flags[i + 1]);
}

void sm_bands_creation_free(sm_band_flags *f)
{
    freebytes(f->rest, sizeof(t_atom) * f->size);
    freebytes(f->flags, sizeof(t_atom) * f->size);
    f->rest = f->flags = NULL;
}
