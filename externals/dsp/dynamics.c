/* dynamics.c - compressor gain computer and detector. See dynamics.h. */
#include "dynamics.h"
#include "smooth.h"

void sm_ballistics_set(sm_ballistics *b, double attack_ms, double release_ms,
                       double samplerate)
{
    b->attack = sm_onepole_coef(attack_ms, samplerate);
    b->release = sm_onepole_coef(release_ms, samplerate);
}
