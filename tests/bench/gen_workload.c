/* gen_workload.c - the fixed benchmark workload for `make bench`.
 *
 *   gen_workload OUT.wav SECONDS
 *
 * Writes a deterministic music-like stereo signal at 48 kHz as a 32-bit
 * float WAV: a kick and a snare on a 120 BPM grid, hi-hats panned left and
 * right, a pad of pink noise through a slowly sweeping low-pass, a chord of
 * three sines and a bass line changing every bar, all under a section
 * envelope (loud choruses, quieter verses, a near-silent breakdown) so that
 * gating and loudness range have something to do, through a gentle
 * saturation as on a mastered mix. The sample peak is
 * normalised to -0.3 dBFS: near full scale, never clipping (the true peak
 * may lie a little above, as on real masters).
 *
 * The same arguments give the same file, bit for bit, on every machine with
 * IEEE doubles: only a fixed-seed xorshift generator and sin/exp are used. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SR 48000
#define PI 3.14159265358979323846
#define PEAK_DB (-0.3)

typedef struct rng {
    uint64_t s;
} rng;

/* white noise in [-1, 1) */
static double noise(rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (double)(r->s >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

/* Paul Kellet's economy pink-noise filter */
typedef struct pink {
    double b0, b1, b2;
} pink;

static double pink_run(pink *p, double w)
{
    p->b0 = 0.99765 * p->b0 + w * 0.0990460;
    p->b1 = 0.96300 * p->b1 + w * 0.2965164;
    p->b2 = 0.57000 * p->b2 + w * 1.0526913;
    return (p->b0 + p->b1 + p->b2 + w * 0.1848) * 0.25;
}

/* Chamberlin state-variable filter */
typedef struct svf {
    double lp, bp;
} svf;

static void svf_run(svf *f, double x, double fc, double q, double *lp,
                    double *bp, double *hp)
{
    double g = 2.0 * sin(PI * fc / SR);
    double h = x - f->lp - q * f->bp;
    f->bp += g * h;
    f->lp += g * f->bp;
    *lp = f->lp;
    *bp = f->bp;
    *hp = h;
}

/* section gains in dB, one per 8 bars (16 s) */
static const double sections[] = {-6,  -2, 0, -9, -4, 0,  -1, -30,
                                  -12, -3, 0, -5, -1, -8, 0,  -20};
#define NSECTIONS (sizeof sections / sizeof *sections)

/* A minor, F, C, G: three chord tones and a bass root each */
static const double chords[4][4] = {{220.00, 261.63, 329.63, 55.00},
                                    {174.61, 220.00, 261.63, 43.65},
                                    {261.63, 329.63, 392.00, 65.41},
                                    {196.00, 246.94, 293.66, 49.00}};

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = v & 255;
    p[1] = (v >> 8) & 255;
    p[2] = (v >> 16) & 255;
    p[3] = (v >> 24) & 255;
}

static void put16(unsigned char *p, unsigned v)
{
    p[0] = v & 255;
    p[1] = (v >> 8) & 255;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s OUT.wav SECONDS\n", argv[0]);
        return 2;
    }
    long seconds = atol(argv[2]);
    if (seconds < 1 || seconds > 3600) {
        fprintf(stderr, "gen_workload: SECONDS must be 1..3600\n");
        return 2;
    }
    size_t frames = (size_t)seconds * SR;
    float *buf = malloc(sizeof(float) * 2 * frames);
    if (!buf) {
        fprintf(stderr, "gen_workload: out of memory\n");
        return 1;
    }

    rng r = {0x9E3779B97F4A7C15ull};
    pink pc = {0, 0, 0}, pl = {0, 0, 0}, pr = {0, 0, 0};
    svf padl = {0, 0}, padr = {0, 0}, snf = {0, 0};
    double hat_lp = 0.0;
    double gain = 0.0, kick_ph = 0.0, ph[4] = {0, 0, 0, 0};
    const double beat = SR / 2.0; /* 120 BPM */
    double peak = 0.0;

    for (size_t i = 0; i < frames; i++) {
        double t = (double)i / SR;
        /* section envelope, smoothed (time constant 0.4 s); a fade in
         * after half a second of digital silence, a fade out at the end */
        size_t sec = (size_t)(t / 16.0) % NSECTIONS;
        double target = pow(10.0, sections[sec] / 20.0);
        if (t < 0.5)
            target = 0.0;
        if (t > (double)seconds - 2.0)
            target = 0.0;
        gain += (target - gain) * (1.0 / (0.4 * SR));

        /* rhythm: position within the beat and the bar */
        double ib = fmod((double)i, beat);
        long nbeat = (long)((double)i / beat);
        double tb = ib / SR; /* seconds since the beat */

        /* kick: falling pitch, every beat */
        double kf = 48.0 + 110.0 * exp(-tb / 0.025);
        kick_ph += 2.0 * PI * kf / SR;
        if (kick_ph > 2.0 * PI)
            kick_ph -= 2.0 * PI;
        if (ib == 0.0)
            kick_ph = 0.0;
        double kick = sin(kick_ph) * exp(-tb / 0.16);

        /* snare on beats 2 and 4: band-passed noise and a 190 Hz body */
        double w = noise(&r), lp, bp, hp;
        svf_run(&snf, w, 2500.0, 0.8, &lp, &bp, &hp);
        double snare = 0.0;
        if (nbeat % 2 == 1)
            snare =
                (0.9 * bp + 0.5 * sin(2.0 * PI * 190.0 * tb)) * exp(-tb / 0.08);

        /* hats on every eighth, alternating sides */
        double ie = fmod((double)i, beat / 2.0) / SR;
        long neighth = (long)((double)i / (beat / 2.0));
        double hw = noise(&r);
        hat_lp += (hw - hat_lp) * 0.55; /* one-pole low-pass near 6 kHz */
        double hat = 0.35 * (hw - hat_lp) * exp(-ie / 0.03);
        double hatl = neighth % 2 ? 0.8 * hat : 0.3 * hat;
        double hatr = neighth % 2 ? 0.3 * hat : 0.8 * hat;

        /* pad: common and independent pink noise, low-pass sweeping
         * 300 Hz .. 5 kHz over 23 s */
        double common = pink_run(&pc, noise(&r));
        double nl = 0.6 * common + 0.4 * pink_run(&pl, noise(&r));
        double nr = 0.6 * common + 0.4 * pink_run(&pr, noise(&r));
        double fc =
            300.0 * pow(5000.0 / 300.0, 0.5 - 0.5 * cos(2.0 * PI * t / 23.0));
        double padl_o, padr_o;
        svf_run(&padl, nl, fc, 0.7, &padl_o, &bp, &hp);
        svf_run(&padr, nr, fc, 0.7, &padr_o, &bp, &hp);

        /* chord and bass, one chord per bar of 4 beats, each note with a
         * short attack and a slow decay */
        const double *ch = chords[(nbeat / 4) % 4];
        double tbar = fmod((double)i, 4.0 * beat) / SR;
        double nenv = (1.0 - exp(-tbar / 0.01)) * (0.4 + 0.6 * exp(-tbar));
        double tone[4];
        for (int k = 0; k < 4; k++) {
            ph[k] += 2.0 * PI * ch[k] / SR;
            if (ph[k] > 2.0 * PI)
                ph[k] -= 2.0 * PI;
            tone[k] = sin(ph[k]) * nenv;
        }
        double chordl = 0.10 * tone[0] + 0.07 * tone[1] + 0.04 * tone[2];
        double chordr = 0.04 * tone[0] + 0.07 * tone[1] + 0.10 * tone[2];
        double bass = 0.30 * tone[3] * (0.5 + 0.5 * exp(-tb / 0.2));

        double mid = 0.55 * kick + 0.30 * snare + bass;
        /* a gentle tanh saturation, as on a mastered mix */
        double l = tanh(2.0 * gain * (mid + hatl + 0.5 * padl_o + chordl));
        double rr = tanh(2.0 * gain * (mid + hatr + 0.5 * padr_o + chordr));
        buf[2 * i] = (float)l;
        buf[2 * i + 1] = (float)rr;
        if (fabs(l) > peak)
            peak = fabs(l);
        if (fabs(rr) > peak)
            peak = fabs(rr);
    }

    float scale = (float)(pow(10.0, PEAK_DB / 20.0) / peak);
    for (size_t i = 0; i < 2 * frames; i++)
        buf[i] *= scale;

    /* RIFF WAVE, IEEE float, with the cbSize field and a fact chunk */
    unsigned char h[58];
    uint32_t data = (uint32_t)(frames * 2 * sizeof(float));
    memcpy(h, "RIFF", 4);
    put32(h + 4, 50 + data);
    memcpy(h + 8, "WAVEfmt ", 8);
    put32(h + 16, 18);
    put16(h + 20, 3); /* WAVE_FORMAT_IEEE_FLOAT */
    put16(h + 22, 2);
    put32(h + 24, SR);
    put32(h + 28, SR * 2 * 4);
    put16(h + 32, 2 * 4);
    put16(h + 34, 32);
    put16(h + 36, 0);
    memcpy(h + 38, "fact", 4);
    put32(h + 42, 4);
    put32(h + 46, (uint32_t)frames);
    memcpy(h + 50, "data", 4);
    put32(h + 54, data);

    /* little-endian samples */
    unsigned char *out = (unsigned char *)buf;
    for (size_t i = 0; i < 2 * frames; i++) {
        uint32_t u;
        memcpy(&u, &buf[i], 4);
        put32(out + 4 * i, u);
    }

    FILE *f = fopen(argv[1], "wb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    if (fwrite(h, 1, sizeof h, f) != sizeof h ||
        fwrite(out, 1, data, f) != data || fclose(f) != 0) {
        perror(argv[1]);
        return 1;
    }
    free(buf);
    return 0;
}
