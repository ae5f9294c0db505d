/* loudness.c - EBU R128 loudness meter on libebur128. See loudness.h. */
#include "loudness.h"
#include "numerics.h"

#include <ebur128.h>
#include <stdlib.h>
#include <string.h>

#define EBUR_MODE (EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_HISTOGRAM)
#define LUFS_OFFSET (-0.691) /* BS.1770: L = -0.691 + 10 log10(energy) */

static double energy_to_lufs(double e)
{
    return e > 0.0 ? sm_power_to_db(e) + LUFS_OFFSET : SM_FLOOR_DB;
}

static double lufs_or_floor(double l)
{
    return l > SM_FLOOR_DB ? l : SM_FLOOR_DB; /* also maps -HUGE_VAL */
}

/* The shortest sub-block, in ms, that holds a whole number of frames and
 * divides 400 and 3000 ms; 10 ms (rounded down to whole frames) when the
 * rate allows none. libebur128 sizes its window as samplerate * ms / 1000
 * with the same integer arithmetic, so sub-block and query always agree. */
static unsigned long pick_sub_ms(unsigned long sr)
{
    static const unsigned long candidates[] = {1, 2, 4, 5, 8, 10};
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++)
        if (sr * candidates[i] % 1000 == 0)
            return candidates[i];
    return 10;
}

/* Every channel enters libebur128 with weight 1: the BS.1770 channel
 * weights are applied as gains while interleaving (libebur128's own default
 * map would weight channels 4 and 5 a second time). */
static ebur128_state *new_state(const sm_loudness *m)
{
    ebur128_state *st =
        ebur128_init((unsigned)m->nch, m->samplerate, EBUR_MODE);
    for (int c = 0; st && c < m->nch; c++)
        ebur128_set_channel(st, (unsigned)c, EBUR128_LEFT);
    return st;
}

static void clear_measurements(sm_loudness *m)
{
    m->sub_fill = m->sub_pos = m->bin_count = m->bin_pos = 0;
    memset(m->sub_energy, 0, sizeof(double) * m->sub_per_s);
    m->m_sum = m->s_sum = m->max_m = m->max_s = 0.0;
    for (int c = 0; c < SM_LOUDNESS_MAXCH; c++)
        m->tp_set[c] = m->sp_set[c] = 0.0f;
    m->tp_piece = 0.0f;
    m->tp_skip = 0;
    memset(m->tp_bins, 0, sizeof m->tp_bins);
    m->piece_active = 0;
    m->pieces_done = 0;
    /* the detector keeps its history: a reset during a steady signal must
     * not read the jump from an empty history as a peak */
    for (int c = 0; c < m->nch; c++)
        m->tp.peak[c] = 0.0f;
}

int sm_loudness_init(sm_loudness *m, int nch, double samplerate)
{
    memset(m, 0, sizeof *m);
    if (nch < 1 || nch > SM_LOUDNESS_MAXCH || !(samplerate >= 1000.0) ||
        samplerate > 1e6)
        return -1;
    m->nch = nch;
    m->samplerate = (unsigned long)samplerate;
    m->sub_ms = pick_sub_ms(m->samplerate);
    m->sub_frames = (int)(m->samplerate * m->sub_ms / 1000);
    m->sub_per_m = (int)(400 / m->sub_ms);
    m->sub_per_s = (int)(3000 / m->sub_ms);
    m->sub_per_bin = (int)(100 / m->sub_ms);
    m->interleaved = malloc(sizeof(float) * m->sub_frames * nch);
    m->sub_energy = malloc(sizeof(double) * m->sub_per_s);
    m->set = new_state(m);
    if (!m->interleaved || !m->sub_energy || !m->set ||
        sm_truepeak_init(&m->tp, nch, samplerate, 0, 0) != 0) {
        sm_loudness_free(m);
        return -1;
    }
    for (int c = 0; c < nch; c++)
        m->gain[c] = 1.0f;
    if (nch == 5 || nch == 6) { /* L R C Ls Rs, or L R C LFE Ls Rs */
        m->gain[nch - 2] = m->gain[nch - 1] = (float)sqrt(1.41);
        if (nch == 6)
            m->gain[3] = 0.0f;
    }
    clear_measurements(m);
    return 0;
}

void sm_loudness_free(sm_loudness *m)
{
    if (m->set)
        ebur128_destroy(&m->set);
    if (m->piece)
        ebur128_destroy(&m->piece);
    free(m->interleaved);
    free(m->sub_energy);
    sm_truepeak_free(&m->tp);
    memset(m, 0, sizeof *m);
}

int sm_loudness_reset(sm_loudness *m)
{
    if (!m->interleaved)
        return -1;
    ebur128_state *fresh = new_state(m);
    if (!fresh)
        return -1; /* keep measuring into the old state */
    ebur128_destroy(&m->set);
    m->set = fresh;
    if (m->piece)
        ebur128_destroy(&m->piece);
    clear_measurements(m);
    return 0;
}

void sm_loudness_set_weight(sm_loudness *m, int ch, double weight)
{
    if (ch >= 0 && ch < m->nch)
        m->gain[ch] = (float)sqrt(sm_clamp(weight, 0.0, SM_LOUDNESS_MAXWEIGHT));
}

double sm_loudness_weight(const sm_loudness *m, int ch)
{
    return ch >= 0 && ch < m->nch ? (double)m->gain[ch] * m->gain[ch] : 0.0;
}

void sm_loudness_set_paused(sm_loudness *m, int paused)
{
    m->paused = paused != 0;
}

double sm_loudness_update_ms(const sm_loudness *m)
{
    return (double)m->sub_frames * 1000.0 / (double)m->samplerate;
}

/* A sub-block is complete: fetch its energy and move the running sums. */
static void end_subblock(sm_loudness *m)
{
    double l, e = 0.0;
    if (ebur128_loudness_window(m->set, m->sub_ms, &l) == EBUR128_SUCCESS &&
        l > -HUGE_VAL)
        e = pow(10.0, (l - LUFS_OFFSET) / 10.0);

    int n = m->sub_per_s, pos = m->sub_pos;
    int leaving_m =
        pos - m->sub_per_m < 0 ? pos - m->sub_per_m + n : pos - m->sub_per_m;
    m->m_sum += e - m->sub_energy[leaving_m];
    m->s_sum += e - m->sub_energy[pos];
    m->sub_energy[pos] = e;
    if (++pos == n) {
        /* Re-add from scratch once per 3 s so that rounding cannot drift
         * (a loud passage must not leave a residue in the silence after). */
        double s = 0.0, ms = 0.0;
        for (int i = 0; i < n; i++)
            s += m->sub_energy[i];
        for (int i = n - m->sub_per_m; i < n; i++)
            ms += m->sub_energy[i];
        m->s_sum = s;
        m->m_sum = ms;
        pos = 0;
    }
    m->sub_pos = pos;
    if (m->m_sum < 0.0)
        m->m_sum = 0.0;
    if (m->s_sum < 0.0)
        m->s_sum = 0.0;
    double em = m->m_sum / m->sub_per_m, es = m->s_sum / m->sub_per_s;
    m->max_m = em > m->max_m ? em : m->max_m;
    m->max_s = es > m->max_s ? es : m->max_s;

    if (++m->bin_count == m->sub_per_bin) { /* next 100 ms true-peak bin */
        m->bin_count = 0;
        m->bin_pos = (m->bin_pos + 1) % SM_LOUDNESS_PSR_BINS;
        m->tp_bins[m->bin_pos] = 0.0f;
    }
}

/* Copies frames [off, off + k) into the interleaved buffer, weighted and
 * with non-finite samples silenced. */
static void interleave(sm_loudness *m, const float *const *in, int off, int k)
{
    int nch = m->nch;
    for (int c = 0; c < nch; c++) {
        const float *x = in[c] + off;
        float *y = m->interleaved + c, g = m->gain[c];
        for (int i = 0; i < k; i++)
            y[i * nch] = sm_sanitize(x[i]) * g;
    }
}

static float sample_peak(const float *x, int n)
{
    float pk = 0.0f;
    for (int i = 0; i < n; i++) {
        float a = fabsf(sm_sanitize(x[i]));
        pk = a > pk ? a : pk;
    }
    return pk;
}

/* Peaks of one block. The interpolated signal lags the input by the
 * detector's delay; each reading also takes the sample peak, so the true
 * peak is never below the sample peak, not even for the newest samples.
 * Right after a mark, the detector's first outputs still describe the
 * previous piece: they count for the whole set only. */
static void update_peaks(sm_loudness *m, const float *const *in, int n)
{
    float blockpeak = 0.0f, piecepeak = 0.0f;
    int skip = m->tp_skip < n ? m->tp_skip : n;
    for (int c = 0; c < m->nch; c++)
        m->tp.peak[c] = 0.0f;
    if (skip > 0) {
        sm_truepeak_process(&m->tp, in, skip);
        for (int c = 0; c < m->nch; c++) {
            blockpeak = m->tp.peak[c] > blockpeak ? m->tp.peak[c] : blockpeak;
            if (m->tp.peak[c] > m->tp_set[c])
                m->tp_set[c] = m->tp.peak[c];
            m->tp.peak[c] = 0.0f;
        }
        m->tp_skip -= skip;
    }
    const float *rest[SM_LOUDNESS_MAXCH] = {0};
    for (int c = 0; c < m->nch; c++)
        rest[c] = in[c] + skip;
    sm_truepeak_process(&m->tp, rest, n - skip);
    for (int c = 0; c < m->nch; c++) {
        float sp = sample_peak(in[c], n);
        float p = m->tp.peak[c] > sp ? m->tp.peak[c] : sp;
        m->sp_set[c] = sp > m->sp_set[c] ? sp : m->sp_set[c];
        m->tp_set[c] = p > m->tp_set[c] ? p : m->tp_set[c];
        piecepeak = p > piecepeak ? p : piecepeak;
    }
    blockpeak = piecepeak > blockpeak ? piecepeak : blockpeak;
    m->tp_piece = piecepeak > m->tp_piece ? piecepeak : m->tp_piece;
    if (blockpeak > m->tp_bins[m->bin_pos])
        m->tp_bins[m->bin_pos] = blockpeak;
}

void sm_loudness_process(sm_loudness *m, const float *const *in, int n)
{
    if (!m->set || m->paused || n <= 0)
        return;

    update_peaks(m, in, n);

    /* loudness, cut at sub-block boundaries */
    for (int off = 0; off < n;) {
        int k = m->sub_frames - m->sub_fill;
        if (k > n - off)
            k = n - off;
        interleave(m, in, off, k);
        ebur128_add_frames_float(m->set, m->interleaved, (size_t)k);
        if (m->piece_active)
            ebur128_add_frames_float(m->piece, m->interleaved, (size_t)k);
        off += k;
        m->sub_fill += k;
        if (m->sub_fill == m->sub_frames) {
            m->sub_fill = 0;
            end_subblock(m);
        }
    }
}

static double integrated_of(ebur128_state *st)
{
    double l = -HUGE_VAL;
    if (ebur128_loudness_global(st, &l) != EBUR128_SUCCESS)
        return SM_FLOOR_DB;
    return lufs_or_floor(l);
}

static double range_of(ebur128_state *st)
{
    double lra = 0.0;
    if (ebur128_loudness_range(st, &lra) != EBUR128_SUCCESS || !(lra >= 0.0))
        return 0.0;
    return lra;
}

void sm_loudness_read(const sm_loudness *m, sm_loudness_readings *r)
{
    memset(r, 0, sizeof *r);
    if (!m->set) {
        r->momentary = r->shortterm = r->integrated = SM_FLOOR_DB;
        r->maxmomentary = r->maxshortterm = SM_FLOOR_DB;
        r->truepeak = r->samplepeak = SM_FLOOR_DB;
        return;
    }
    r->momentary = energy_to_lufs(m->m_sum / m->sub_per_m);
    r->shortterm = energy_to_lufs(m->s_sum / m->sub_per_s);
    r->maxmomentary = energy_to_lufs(m->max_m);
    r->maxshortterm = energy_to_lufs(m->max_s);
    r->integrated = integrated_of(m->set);
    r->range = range_of(m->set);
    float tp = 0.0f, sp = 0.0f, recent = 0.0f;
    for (int c = 0; c < m->nch; c++) {
        r->truepeak_ch[c] = sm_amp_to_db(m->tp_set[c]);
        r->samplepeak_ch[c] = sm_amp_to_db(m->sp_set[c]);
        tp = m->tp_set[c] > tp ? m->tp_set[c] : tp;
        sp = m->sp_set[c] > sp ? m->sp_set[c] : sp;
    }
    r->truepeak = sm_amp_to_db(tp);
    r->samplepeak = sm_amp_to_db(sp);
    for (int b = 0; b < SM_LOUDNESS_PSR_BINS; b++)
        recent = m->tp_bins[b] > recent ? m->tp_bins[b] : recent;
    r->plr = r->integrated > SM_FLOOR_DB ? r->truepeak - r->integrated : 0.0;
    r->psr = (r->shortterm > SM_FLOOR_DB && recent > 0.0f)
                 ? sm_amp_to_db(recent) - r->shortterm
                 : 0.0;
}

int sm_loudness_mark(sm_loudness *m, sm_loudness_piece *p)
{
    if (!m->set)
        return -1;
    ebur128_state *src = m->piece_active ? m->piece : m->set;
    p->number = ++m->pieces_done;
    p->integrated = integrated_of(src);
    p->range = range_of(src);
    p->truepeak = sm_amp_to_db(m->tp_piece);

    ebur128_state *fresh = new_state(m);
    if (!fresh)
        return -1;
    if (m->piece)
        ebur128_destroy(&m->piece);
    m->piece = fresh;
    m->piece_active = 1;
    m->tp_piece = 0.0f;
    m->tp_skip = (int)sm_truepeak_delay(&m->tp);
    return 0;
}
