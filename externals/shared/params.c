/* params.c - parameter tables: flags, messages, checks, print. */
#include "params.h"

#include <math.h>
#include <string.h>

const sm_param *sm_params_find(const sm_params *p, const char *name)
{
    for (int i = 0; i < p->count; i++)
        if (!strcmp(p->table[i].name, name))
            return &p->table[i];
    return NULL;
}

static void describe_range(const sm_param *q, char *buf, size_t size)
{
    if (q->kind == SM_TOGGLE)
        snprintf(buf, size, "0 or 1");
    else
        snprintf(buf, size, "%g to %g%s%s", q->min, q->max, *q->unit ? " " : "",
                 q->unit);
}

double sm_check_range(const void *owner, const char *classname,
                      const char *what, double v, double lo, double hi,
                      const char *unit)
{
    if (v >= lo && v <= hi)
        return v;
    double c = v < lo ? lo : hi;
    if (v != v) /* NaN typed in or sent: fall back to the low end */
        c = lo;
    pd_error((void *)owner,
             "%s: %s %g is out of range (%g to %g%s%s), using %g", classname,
             what, v, lo, hi, *unit ? " " : "", unit, c);
    return c;
}

/* Checks and applies one value. */
static void apply(const sm_params *p, void *owner, const sm_param *q, double v)
{
    char range[96];
    describe_range(q, range, sizeof range);
    if (q->kind == SM_TOGGLE) {
        if (v != 0.0 && v != 1.0) {
            pd_error(owner, "%s: %s %g is not 0 or 1, using %d", p->classname,
                     q->name, v, v != 0.0 && v == v);
            v = v != 0.0 && v == v;
        }
    } else {
        v = sm_check_range(owner, p->classname, q->name, v, q->min, q->max,
                           q->unit);
        if (q->kind == SM_INTEGER && v != floor(v)) {
            pd_error(owner, "%s: %s %g is not a whole number, using %g",
                     p->classname, q->name, v, floor(v + 0.5));
            v = floor(v + 0.5);
        }
    }
    q->set(owner, v);
}

static void complain_value(const sm_params *p, const void *owner,
                           const sm_param *q, const char *how)
{
    char range[96];
    describe_range(q, range, sizeof range);
    pd_error((void *)owner, "%s: %s %s (expected one number, %s)", p->classname,
             q->name, how, range);
}

void sm_params_defaults(const sm_params *p, void *owner)
{
    for (int i = 0; i < p->count; i++)
        p->table[i].set(owner, p->table[i].def);
}

int sm_params_message(const sm_params *p, void *owner, t_symbol *sel, int argc,
                      const t_atom *argv)
{
    const sm_param *q = sm_params_find(p, sel->s_name);
    if (!q)
        return 0;
    if (argc < 1)
        complain_value(p, owner, q, "needs a value");
    else if (argv[0].a_type != A_FLOAT)
        complain_value(p, owner, q, "got a symbol");
    else {
        if (argc > 1)
            pd_error(owner, "%s: %s: extra arguments ignored", p->classname,
                     q->name);
        apply(p, owner, q, atom_getfloat(&argv[0]));
    }
    return 1;
}

void sm_params_creation(const sm_params *p, void *owner, int *nch, int argc,
                        const t_atom *argv)
{
    if (nch)
        *nch = 2;
    for (int i = 0; i < argc; i++) {
        if (argv[i].a_type != A_SYMBOL ||
            argv[i].a_w.w_symbol->s_name[0] != '-') {
            char buf[80];
            atom_string(&argv[i], buf, sizeof buf);
            pd_error(owner,
                     "%s: stray argument '%s' ignored (arguments are "
                     "flags such as -ch 2)",
                     p->classname, buf);
            continue;
        }
        const char *flag = argv[i].a_w.w_symbol->s_name + 1;
        int has_value = i + 1 < argc && argv[i + 1].a_type == A_FLOAT;
        if (nch && !strcmp(flag, "ch")) {
            if (!has_value) {
                pd_error(owner, "%s: -ch needs a channel count (1 to %d)",
                         p->classname, SM_MAXCH);
                continue;
            }
            double v = atom_getfloat(&argv[++i]);
            v = sm_check_range(owner, p->classname, "-ch", v, 1, SM_MAXCH, "");
            *nch = (int)floor(v + 0.5);
            continue;
        }
        const sm_param *q = sm_params_find(p, flag);
        if (!q) {
            pd_error(owner, "%s: unknown flag -%s ignored", p->classname, flag);
            continue;
        }
        if (!has_value) {
            complain_value(p, owner, q, "flag needs a value");
            continue;
        }
        apply(p, owner, q, atom_getfloat(&argv[++i]));
    }
}

void sm_params_print(const sm_params *p, const void *owner)
{
    for (int i = 0; i < p->count; i++) {
        const sm_param *q = &p->table[i];
        char range[96];
        describe_range(q, range, sizeof range);
        post("%s: %s %g%s%s [%s] %s", p->classname, q->name, q->get(owner),
             *q->unit ? " " : "", q->unit, range, q->help);
    }
}
