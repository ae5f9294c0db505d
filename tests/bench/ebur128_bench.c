/* ebur128_bench.c - libebur128 alone, used the way a loudness meter uses it:
 * a comparison point for lufs~ in `make bench`.
 *
 *   ebur128_bench [-t] IN.wav
 *
 * Reads a 32-bit float WAV (the format gen_workload writes) into memory,
 * then, timed by the process CPU clock, feeds it to libebur128 in 64-frame
 * chunks (Pd's block) in histogram mode with M, S, I and LRA; every 100 ms
 * it reads momentary and short-term loudness (and with -t, true peak of
 * every channel, EBUR128_MODE_TRUE_PEAK); at the end integrated loudness
 * and loudness range. Loading the file is not timed.
 *
 * Prints one line: cpu=<seconds> audio=<seconds> x=<x-realtime> I=.. LRA=..
 * M=.. S=.. TP=.. sum=.. (the readings keep the work from being optimised away
 * and let the caller check that every tool measured the same audio). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c99 */

#include <ebur128.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK 64

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

/* Reads a RIFF WAVE file of 32-bit IEEE float samples (format tag 3, or
 * WAVE_FORMAT_EXTENSIBLE with the float sub-format). Returns the
 * interleaved samples, or NULL with a message. */
static float *read_wav(const char *path, unsigned *nch, unsigned long *sr,
                       size_t *frames)
{
    FILE *f = fopen(path, "rb");
    unsigned char h[12], ck[8], fmt[40];
    float *data = NULL;
    int have_fmt = 0;
    if (!f) {
        perror(path);
        return NULL;
    }
    if (fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) ||
        memcmp(h + 8, "WAVE", 4)) {
        fprintf(stderr, "%s: not a RIFF WAVE file\n", path);
        goto fail;
    }
    while (fread(ck, 1, 8, f) == 8) {
        uint32_t size = get32(ck + 4);
        if (!memcmp(ck, "fmt ", 4)) {
            if (size < 16 || size > sizeof fmt ||
                fread(fmt, 1, size, f) != size)
                goto bad;
            unsigned tag = get16(fmt);
            if (tag == 0xFFFE && size >= 26)
                tag = get16(fmt + 24); /* sub-format GUID starts with it */
            *nch = get16(fmt + 2);
            *sr = get32(fmt + 4);
            if (tag != 3 || get16(fmt + 14) != 32 || *nch < 1 || *sr < 1) {
                fprintf(stderr, "%s: only 32-bit float WAV is supported\n",
                        path);
                goto fail;
            }
            have_fmt = 1;
        } else if (!memcmp(ck, "data", 4)) {
            if (!have_fmt)
                goto bad;
            *frames = size / (4 * *nch);
            size_t n = *frames * *nch;
            unsigned char *raw = malloc(n * 4);
            if (!raw) {
                fprintf(stderr, "%s: out of memory\n", path);
                goto fail;
            }
            if (fread(raw, 4, n, f) != n) {
                free(raw);
                goto bad;
            }
            data = (float *)raw; /* converted in place, little-endian */
            for (size_t i = 0; i < n; i++) {
                uint32_t u = get32(raw + 4 * i);
                memcpy(&data[i], &u, 4);
            }
            fclose(f);
            return data;
        } else {
            if (fseek(f, (long)size + (size & 1), SEEK_CUR) != 0)
                goto bad;
        }
    }
bad:
    fprintf(stderr, "%s: truncated or malformed WAV\n", path);
fail:
    fclose(f);
    return NULL;
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    int truepeak = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-t"))
            truepeak = 1;
        else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: %s [-t] IN.wav\n", argv[0]);
        return 2;
    }
    unsigned nch = 0;
    unsigned long sr = 0;
    size_t frames = 0;
    float *x = read_wav(path, &nch, &sr, &frames);
    if (!x)
        return 1;

    int mode = EBUR128_MODE_M | EBUR128_MODE_S | EBUR128_MODE_I |
               EBUR128_MODE_LRA | EBUR128_MODE_HISTOGRAM;
    if (truepeak)
        mode |= EBUR128_MODE_TRUE_PEAK;
    size_t report = sr / 10; /* 100 ms */
    double m = -HUGE_VAL, s = -HUGE_VAL, tp = 0.0, integrated, range;
    double sum = 0.0; /* of every reading, so that none is dead code */

    double t0 = cpu_seconds();
    ebur128_state *st = ebur128_init(nch, sr, mode);
    if (!st) {
        fprintf(stderr, "ebur128_init failed\n");
        return 1;
    }
    size_t since = 0;
    for (size_t pos = 0; pos < frames; pos += CHUNK) {
        size_t k = frames - pos < CHUNK ? frames - pos : CHUNK;
        if (ebur128_add_frames_float(st, x + pos * nch, k) != EBUR128_SUCCESS) {
            fprintf(stderr, "ebur128_add_frames_float failed\n");
            return 1;
        }
        since += k;
        if (since >= report) {
            since -= report;
            ebur128_loudness_momentary(st, &m);
            ebur128_loudness_shortterm(st, &s);
            if (isfinite(m + s))
                sum += m + s;
            if (truepeak)
                for (unsigned c = 0; c < nch; c++) {
                    double p;
                    ebur128_true_peak(st, c, &p);
                    tp = p > tp ? p : tp;
                }
        }
    }
    ebur128_loudness_global(st, &integrated);
    ebur128_loudness_range(st, &range);
    double cpu = cpu_seconds() - t0;
    ebur128_destroy(&st);

    double audio = (double)frames / sr;
    printf("cpu=%.6f audio=%.3f x=%.2f I=%.2f LRA=%.2f M=%.2f S=%.2f "
           "TP=%.2f sum=%.6g\n",
           cpu, audio, audio / cpu, integrated, range, m, s,
           truepeak && tp > 0.0 ? 20.0 * log10(tp) : -HUGE_VAL, sum);
    free(x);
    return 0;
}
