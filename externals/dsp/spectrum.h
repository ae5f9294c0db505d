/* spectrum.h - 1/3-octave spectrum analyser (mid and side) on KissFFT, with
 * tilt, centroid and stereo image, averaged through a BS.1770-style gate.
 *
 * Bands: the 31 one-third-octave bands of IEC 61260-1 (base 10) from 20 Hz
 * to 20 kHz: exact centres 1000 * 10^((b - 17) / 10) Hz, edges a factor
 * 10^(1/20) either side, so the bands tile 17.8 Hz to 22.4 kHz without gap.
 * Labels are the nominal frequencies (20, 25, 31.5, ... 20000).
 *
 * Level convention: a band reads its power, 10 log10 of the mean square of
 * the part of the signal inside the band, in dB re full scale. A sine of
 * amplitude A reads 20 log10(A) - 3.01 dB in its band (a full-scale sine
 * -3.01 dB), the same value as its RMS level in levels.h, and the powers of
 * all bands add up to the mean square of the signal (less what lies outside
 * 17.8 Hz - 22.4 kHz). Silence reads SM_FLOOR_DB (-150).
 *
 * Mid and side: M = (L + R) / 2, S = (L - R) / 2 of the first two channels
 * (stereo.h); a mono input (1 channel) is its own mid with a silent side.
 * Channels after the second are not part of the spectra.
 *
 * Resolution at low frequencies: the 20 Hz band is 4.6 Hz wide, narrower
 * than one bin of a 4096-point FFT at 48 kHz (11.7 Hz). The bands are
 * therefore measured in groups ("paths"). A path's bins are D times finer
 * than the full-rate FFT's, D the smallest power of two that gives each of
 * its bands at least SM_SPECTRUM_MINBINS bins; its frames are D times
 * longer. At 48 kHz and size 4096: 315 Hz and up at the full rate, 160-250
 * Hz D = 2, 80-125 Hz D = 4, 40-63 Hz D = 8, 20-31.5 Hz D = 16 (0.73 Hz
 * bins, 1.4 s frames). A path reads the signal decimated as far as its
 * bands allow - to a rate still 16 times its top band edge - and runs a
 * correspondingly smaller FFT (size * D / decimation, at least 256 points),
 * so the slow paths cost little. The decimators are a cascade of 5-tap
 * binomial half-band filters shared by all paths (response cos^4(pi f /
 * rate) per stage, divided out of each bin exactly); the 16-fold margin
 * keeps what aliases into a path's bands more than 80 dB down. Every path
 * overlaps its frames like the full rate (hop / size) and the paths' frames
 * are staggered, so no DSP block pays for more than about one path's FFTs.
 *
 * Within a path a band's power is the sum of its bins' powers (Hann window,
 * divided by N sum(w^2), bins counted twice except DC and Nyquist), each bin
 * taken for the fraction of its width [k - 1/2, k + 1/2] that lies inside
 * the band. A sine at least 1/12 octave inside its band edges therefore reads
 * its level within 0.1 dB at any position between bins (0.09 dB at worst
 * in tests/unit/test_spectrum.c, 44.1-192 kHz, sizes 1024-65536); a sine on
 * a band edge splits its power between the two bands.
 *
 * Tilt: least-squares slope of the mid band levels (dB) against log2 of the
 * band centre, over 31.5 Hz - 16 kHz (bands 2..29) where they lie below
 * Nyquist: 0 dB/octave for pink noise, +3.01 for white noise.
 * Centroid: power-weighted mean frequency of the full-rate mid spectrum.
 *
 * Gate and averages: see ltas.h. Every frame is keyed by the loudness of the
 * audio it analysed: the mean K-weighted power (BS.1770; the channel sum is
 * 2 (M^2 + S^2) = L^2 + R^2 for two channels, M^2 for one) of the full-rate
 * frames centred within its span, which is the frame's effective length
 * (half its size, in input samples) but at least the 400 ms of a BS.1770
 * block, centred on the frame. A frame therefore waits until the audio 200
 * ms (or half a span) after its centre has been measured: readings lag by
 * that much. With the gate on, frames at or below -70 LUFS and frames more
 * than 10 LU under the (gated) mean of the averaging window do not count; a
 * frame that straddles a drop into silence counts for what it holds.
 *
 * Level distributions (bandstats.h): each mid band's short-term level, the
 * mean of its path's frame powers over the frames that span about 400 ms
 * (round(0.4 s / frame period), at least one frame: a slow path whose own
 * frames are longer than that uses them as they are), is counted once per
 * frame of its path, keyed and gated like the averages (the key of the
 * window's middle frame, the averages' relative threshold), since reset or
 * clear; `average` does not apply to them. sm_spectrum_percentiles reads
 * them on the same dB scale as the band levels.
 *
 * Real time: everything is allocated in init; process never allocates,
 * locks or prints, and runs the FFTs at hop boundaries. Non-finite input
 * samples count as silence.
 */
#ifndef SM_SPECTRUM_H
#define SM_SPECTRUM_H

#include "bandstats.h"
#include "ltas.h"

#define SM_SPECTRUM_BANDS 31
#define SM_SPECTRUM_MINSIZE 1024
#define SM_SPECTRUM_MAXSIZE 65536
#define SM_SPECTRUM_MAXPATHS 12       /* bins up to 2^11 times finer */
#define SM_SPECTRUM_MAXSTAGES 16      /* decimation up to 2^16 */
#define SM_SPECTRUM_LOG2MAX 16        /* log2 of SM_SPECTRUM_MAXSIZE */
#define SM_SPECTRUM_MINPATHSIZE 256   /* smallest FFT of a decimated path */
#define SM_SPECTRUM_ALIAS_MARGIN 16.0 /* path rate / its top band edge */
#define SM_SPECTRUM_MINBINS 6.0       /* bins per band, at least */
#define SM_SPECTRUM_CHUNK 256         /* samples per inner pass of process */
#define SM_SPECTRUM_MAXOVERLAP 64     /* hop is at least size / 64 */
#define SM_SPECTRUM_TILT_LO 2         /* 31.5 Hz */
#define SM_SPECTRUM_TILT_HI 29        /* 16 kHz */

/* A frame waiting for the loudness around it to be measured. */
typedef struct sm_spectrum_pending {
    double centre, half; /* input samples: the span that keys the gate */
    double *record;      /* its values (the path's own bands) */
} sm_spectrum_pending;

/* One stage of the shared decimator chain (it makes the next rate). */
typedef struct sm_spectrum_stage {
    float hist_m[4], hist_s[4]; /* last 4 inputs */
    int phase;                  /* 1 when the next input makes an output */
} sm_spectrum_stage;

/* A group of bands measured on one FFT: the signal at samplerate / 2^level
 * through a ring of the last `size` mid and side samples, and the frames
 * waiting for their gate key. */
typedef struct sm_spectrum_path {
    int res;                   /* bins 2^res times finer than the full rate's */
    int level;                 /* decimation 2^level */
    int size, hop;             /* FFT size and hop at that rate */
    int band_lo, band_hi;      /* bands [band_lo, band_hi) measured here */
    void *fft;                 /* kiss_fftr_cfg of `size` (shared) */
    const float *window;       /* periodic Hann of `size` (shared) */
    double sumw2;              /* sum of the window's squares */
    float *ring_m, *ring_s;    /* size each */
    int pos;                   /* next write position */
    int countdown;             /* samples until the next frame */
    long long count;           /* samples received since clear */
    long long reset_count;     /* count at the last reset (0: none) */
    double half;               /* half-span of the gate key, input samples */
    sm_spectrum_pending *pend; /* FIFO of pend_cap */
    double *pend_store;        /* pend_cap records */
    int pend_cap, pend_head, pend_count;
} sm_spectrum_path;

/* Bins of one band: weight[i] multiplies |X[k0 + i]|^2. */
typedef struct sm_spectrum_band {
    int path; /* -1: above Nyquist */
    int k0, nk;
    float *weight;
} sm_spectrum_band;

typedef struct sm_spectrum_readings {
    double mid_db[SM_SPECTRUM_BANDS], side_db[SM_SPECTRUM_BANDS];
    double tilt_db_oct;                       /* 0 while no frame counts */
    double centroid_hz;                       /* 0 while no frame counts */
    double correlation, width_db, balance_db; /* see stereo.h */
    double frames; /* full-rate frames that count (weighted) */
} sm_spectrum_readings;

typedef struct sm_spectrum {
    int nch, size, hop, npaths, nstages;
    double samplerate;
    double average_s;
    int gate;
    sm_spectrum_path path[SM_SPECTRUM_MAXPATHS];
    sm_spectrum_stage stage[SM_SPECTRUM_MAXSTAGES];
    sm_spectrum_band band[SM_SPECTRUM_BANDS];
    /* per FFT size 2^k: KissFFT configuration and window (NULL if unused) */
    void *fft_of[SM_SPECTRUM_LOG2MAX + 1];
    float *window_of[SM_SPECTRUM_LOG2MAX + 1];
    float *frame;             /* 2 size: windowed mid and side, FFT inputs */
    float *bins;              /* size + 2: N/2 + 1 complex outputs (re, im) */
    float *kweight;           /* size/2 + 1: K-weighting, scaled (full rate) */
    float *binhz;             /* size/2 + 1: bin frequency times 2 or 1 */
    float *bincount;          /* size/2 + 1: 2, or 1 for DC and Nyquist */
    float *bandweights;       /* storage behind band[].weight */
    float *chunk_m, *chunk_s; /* SM_SPECTRUM_CHUNK each */
    /* gate: K-weighted powers of the full-rate frames */
    double *kp_hist; /* the last hist_len frames */
    int hist_len;
    long long frames0;    /* full-rate frames since clear */
    long long first_end0; /* input sample at which frame 0 ended */
    double *record;       /* the frame being measured */
    sm_ltas avg;
    sm_bandstats stats; /* short-term level distributions of the mid bands */
} sm_spectrum;

/* Centre frequency of band b (0..30): exact, and nominal (the label). */
double sm_spectrum_centre_hz(int b);
double sm_spectrum_nominal_hz(int b);
/* Lower (upper 0) or upper (upper 1) edge of band b. */
double sm_spectrum_edge_hz(int b, int upper);

/* size: a power of two in SM_SPECTRUM_MINSIZE..MAXSIZE; hop 1..size, raised
 * to size / SM_SPECTRUM_MAXOVERLAP if smaller (other values: size / 4).
 * nch 1..8. Returns 0, or -1 on bad arguments,
 * allocation failure or when KissFFT is missing (state then empty: process
 * does nothing and read gives silence). Infinite averaging, gate on. */
int sm_spectrum_init(sm_spectrum *s, int nch, double samplerate, int size,
                     int hop);
void sm_spectrum_free(sm_spectrum *s);

/* Restarts the averages (keeps the audio history, so frames continue). */
void sm_spectrum_reset(sm_spectrum *s);
/* Also forgets the audio history: the next frames wait for full rings. */
void sm_spectrum_clear(sm_spectrum *s);

/* seconds > 0: exponential time constant; 0: since reset. Keeps the past. */
void sm_spectrum_set_average(sm_spectrum *s, double seconds);
void sm_spectrum_set_gate(sm_spectrum *s, int on);

void sm_spectrum_process(sm_spectrum *s, const float *const *in, int n);

/* Reads the averages (not from the audio thread while it may run process;
 * costs about 40k additions). */
void sm_spectrum_read(const sm_spectrum *s, sm_spectrum_readings *r);

/* Percentiles q[i] (0..1) of each mid band's short-term levels in dB, on
 * the scale of mid_db, gated as the averages are (gate on or off):
 * out_db[i * SM_SPECTRUM_BANDS + b]. Bands without levels (above Nyquist,
 * or nothing counted yet) read SM_FLOOR_DB. Same thread rule as read;
 * costs about 31 x 641 x (nq + 2) operations. */
void sm_spectrum_percentiles(const sm_spectrum *s, const double *q, int nq,
                             double *out_db);

/* How the path that measures band b reads the signal: its decimation (0:
 * the band lies above Nyquist), FFT size and bin spacing in Hz. */
int sm_spectrum_band_decimation(const sm_spectrum *s, int b);
int sm_spectrum_band_fft_size(const sm_spectrum *s, int b);
double sm_spectrum_band_bin_hz(const sm_spectrum *s, int b);

/* Least-squares slope in dB per octave of levels[lo..hi] against log2 of
 * the band centres. */
double sm_spectrum_tilt(const double *levels_db, int lo, int hi);

#endif
