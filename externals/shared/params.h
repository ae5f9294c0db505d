/* params.h - one table of parameters per class, used for creation flags,
 * messages, range checks, error messages and `print`.
 *
 * A parameter is set by a message of its name with one number
 * (`interval 50`) or by a creation flag (`-interval 50`). A value outside
 * the range is reported with pd_error, naming the object, the parameter,
 * the value and the range, then clamped; the object keeps working. */
#ifndef SM_PARAMS_H
#define SM_PARAMS_H

#include "smartmaster.h"

typedef enum {
    SM_REAL,    /* any number in [min, max] */
    SM_INTEGER, /* whole numbers: others are reported and rounded */
    SM_TOGGLE   /* 0 or 1 */
} sm_param_kind;

typedef struct sm_param {
    const char *name; /* message and flag name, e.g. "interval" */
    const char *unit; /* shown in errors and print: "ms", "dB", "" */
    sm_param_kind kind;
    double min, max, def;
    void (*set)(void *owner, double value); /* gets a checked value */
    double (*get)(const void *owner);
    const char *help; /* one line for print */
} sm_param;

typedef struct sm_params {
    const char *classname; /* e.g. "lufs~", used in every message */
    const sm_param *table;
    int count;
} sm_params;

/* Sets every parameter to its default. */
void sm_params_defaults(const sm_params *p, void *owner);

/* If `sel` names a parameter, checks the arguments, sets it and returns 1;
 * otherwise returns 0. */
int sm_params_message(const sm_params *p, void *owner, t_symbol *sel, int argc,
                      const t_atom *argv);

/* Parses creation arguments: `-ch N` (if nch is not NULL: 1..SM_MAXCH,
 * default 2) and `-<param> <value>` for every parameter. Unknown flags and
 * stray atoms are reported and skipped. */
void sm_params_creation(const sm_params *p, void *owner, int *nch, int argc,
                        const t_atom *argv);

/* The parameter called `name`, or NULL. */
const sm_param *sm_params_find(const sm_params *p, const char *name);

/* Posts every parameter with its value, unit, range and help line. */
void sm_params_print(const sm_params *p, const void *owner);

/* Checks that a float message argument lies in [lo, hi]: reports and clamps
 * otherwise. `what` names the parameter. For messages that are not plain
 * parameters (lists, per-channel values). */
double sm_check_range(const void *owner, const char *classname,
                      const char *what, double v, double lo, double hi,
                      const char *unit);

#endif
