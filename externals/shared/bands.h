/* bands.h - per-band parameters: `band <n> <param> <value> [<param>
 * <value> ...]`, and the same parameter without a band number for every
 * band at once (`threshold -20`). Values are checked like sm_params: a bad
 * value is reported with pd_error, naming the object, band, parameter,
 * value and range, then clamped.
 *
 * A parameter is either a number (SM_REAL, SM_INTEGER, SM_TOGGLE) or one of
 * a list of words (choices: `type bell`), passed to the setter as the
 * word's index. */
#ifndef SM_BANDS_H
#define SM_BANDS_H

#include "params.h"

typedef struct sm_band_param {
    const char *name;
    const char *unit;
    sm_param_kind kind;
    double min, max, def;
    void (*set)(void *owner, int band, double value);
    double (*get)(const void *owner, int band);
    const char *help;
    const char *const *choices; /* NULL-terminated words, or NULL */
} sm_band_param;

typedef struct sm_bands {
    const char *classname;
    const sm_band_param *table;
    int count;
    int (*nbands)(const void *owner); /* bands in use now */
    int maxbands;                     /* bands the object can have */
} sm_bands;

/* Sets every parameter of bands 0..maxbands-1 to its default. */
void sm_bands_defaults(const sm_bands *b, void *owner);

/* `band <n> <param> <value> ...` (argc/argv after the selector). */
void sm_bands_message(const sm_bands *b, void *owner, int argc,
                      const t_atom *argv);

/* If `sel` is a band parameter, sets it for every band and returns 1. */
int sm_bands_message_all(const sm_bands *b, void *owner, t_symbol *sel,
                         int argc, const t_atom *argv);

/* The band parameter called `name`, or NULL. */
const sm_band_param *sm_bands_find(const sm_bands *b, const char *name);

/* Creation flags of a class with bands, split from the rest: `-bands N`
 * (1..maxbands, stored in *nbands) and band parameters given as flags
 * (`-threshold -20` sets every band) are taken here; a flag that names one
 * of the class's global parameters `p` stays global. Everything else is
 * copied to `rest` (for the class's own flags and sm_params_creation).
 * The band flags are applied with sm_bands_creation_apply once the bands
 * exist. Owns its memory until sm_bands_creation_free. */
typedef struct sm_band_flags {
    int nrest, nflags;
    t_atom *rest;  /* argc atoms */
    t_atom *flags; /* pairs: parameter name, value */
    int size;      /* atoms allocated for each */
} sm_band_flags;

void sm_bands_creation(const sm_bands *b, const sm_params *p, void *owner,
                       int argc, const t_atom *argv, int *nbands,
                       sm_band_flags *f);
void sm_bands_creation_apply(const sm_bands *b, void *owner,
                             const sm_band_flags *f);
void sm_bands_creation_free(sm_band_flags *f);

/* Posts band 1 as `<class>: band 1 <param> <value> <unit> [<range>] <help>`
 * lines, and each other band in use as one line of its values. */
void sm_bands_print(const sm_bands *b, const void *owner);

#endif
