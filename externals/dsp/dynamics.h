/* dynamics.h - the gain computer and level detector of a feed-forward
 * compressor (Giannoulis, Massberg & Reiss, "Digital Dynamic Range
 * Compressor Design - A Tutorial and Analysis", JAES 60(6), 2012), shared by
 * every object that compresses or expands.
 *
 * Levels are in dB. The gain computer maps an input level to an output
 * level through a threshold, a ratio and a soft knee of width knee_db; the
 * detector smooths the resulting gain change with separate attack and
 * release time constants ("smooth branching" peak detector, log domain).
 */
#ifndef SM_DYNAMICS_H
#define SM_DYNAMICS_H

/* Static curve: gain change in dB (<= 0 for downward compression) for an
 * input level x_db. ratio >= 1 compresses above the threshold; knee_db >= 0
 * is the width of the quadratic knee centred on the threshold. */
static inline double sm_gain_computer_db(double x_db, double threshold_db,
                                         double ratio, double knee_db)
{
    double over = x_db - threshold_db;
    double slope = 1.0 / ratio - 1.0; /* gain change per dB over */
    if (2.0 * over <= -knee_db) /* also a hard knee exactly at threshold */
        return 0.0;
    if (2.0 * over >= knee_db)
        return slope * over;
    double k = over + knee_db / 2.0; /* inside the knee */
    return slope * k * k / (2.0 * knee_db);
}

/* Smooth branching detector on the gain change: falls (more gain
 * reduction) with the attack time constant, recovers with the release. */
typedef struct sm_ballistics {
    double attack, release; /* one-pole coefficients */
    double state;           /* current gain change, dB */
} sm_ballistics;

void sm_ballistics_set(sm_ballistics *b, double attack_ms, double release_ms,
                       double samplerate);

static inline double sm_ballistics_process(sm_ballistics *b, double gain_db)
{
    double a = gain_db < b->state ? b->attack : b->release;
    b->state = a * b->state + (1.0 - a) * gain_db;
    if (b->state > -1e-12 && b->state < 1e-12) /* no denormal tail */
        b->state = 0.0;
    if (!(b->state > -1e6)) /* NaN or -Inf got in: recover at once */
        b->state = 0.0;
    return b->state;
}

#endif
