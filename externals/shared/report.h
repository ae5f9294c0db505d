/* report.h - periodic reports from a signal object, and `selector values`
 * messages on its info outlet.
 *
 * The perform routine only counts samples and, when a report is due, sets a
 * clock; the clock's tick (outside DSP) builds and sends the messages. */
#ifndef SM_REPORT_H
#define SM_REPORT_H

#include "smartmaster.h"

typedef struct sm_report {
    t_clock *clock;
    double interval_ms; /* 0: after every DSP block */
    double samplerate;
    double due_in; /* samples until the next report */
} sm_report;

void sm_report_init(sm_report *r, void *owner, t_method tick);
void sm_report_free(sm_report *r);
void sm_report_set_interval(sm_report *r, double ms);
void sm_report_set_samplerate(sm_report *r, double sr);

/* From perform: n samples have passed. */
static inline void sm_report_advance(sm_report *r, int n)
{
    r->due_in -= n;
    if (r->due_in <= 0.0) {
        double period = r->interval_ms * r->samplerate / 1000.0;
        r->due_in += period;
        if (r->due_in <= 0.0) /* a block longer than the period */
            r->due_in = period;
        clock_delay(r->clock, 0);
    }
}

/* Sends `selector v0 v1 ...` on an outlet. */
void sm_outlet_floats(t_outlet *out, const char *selector, int n,
                      const double *v);

#endif
