"""Test signals synthesized from their published descriptions
(EBU Tech 3341 and 3342), plus stress signals for the robustness sweep."""
import numpy as np


def tones(segments, sr=48000, freq=1000.0):
    """A phase-continuous sine whose peak level steps through
    [(seconds, dBFS or None for silence), ...]."""
    parts = []
    n0 = 0
    for secs, db in segments:
        n = int(round(secs * sr))
        t = (n0 + np.arange(n)) / sr
        amp = 0.0 if db is None else 10 ** (db / 20)
        parts.append(amp * np.sin(2 * np.pi * freq * t))
        n0 += n
    return np.concatenate(parts)


def fade(x, sr, ms=10.0):
    """Raised-cosine fade in and out."""
    n = int(sr * ms / 1000)
    w = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
    y = x.copy()
    y[:n] *= w
    y[-n:] *= w[::-1]
    return y


def tp_sine(freq_ratio, amp, phase_deg, sr=48000, secs=1.0):
    """EBU Tech 3341 cases 15-19: sine at fs*freq_ratio with the given phase
    at sample 0, 10 ms fades."""
    n = np.arange(int(sr * secs))
    x = amp * np.sin(2 * np.pi * freq_ratio * n + np.radians(phase_deg))
    return fade(x, sr)


def tp_burst(offset, sr=48000, secs=0.5):
    """EBU Tech 3341 cases 20-23: an fs/6 sine at 0.5 holding one period of
    fs/4 at 1.0, synthesized at 4 fs, low-passed at fs/2 and decimated with
    `offset` (0..3) samples. Its true peak is 0 dBTP (the burst's crest)."""
    up = 4 * sr
    n = int(secs * up)
    carrier_period = 24  # fs/6 at 4 fs
    burst_period = 16    # fs/4 at 4 fs
    start = (n // 2) // carrier_period * carrier_period  # positive zero crossing
    t = np.arange(n)
    x = 0.5 * np.sin(2 * np.pi * t / carrier_period)
    after = t >= start + burst_period
    x[after] = 0.5 * np.sin(2 * np.pi * (t[after] - start - burst_period) / carrier_period)
    b = (t >= start) & (t < start + burst_period)
    x[b] = 1.0 * np.sin(2 * np.pi * (t[b] - start) / burst_period)
    x = fade(x, up)
    # windowed-sinc low-pass at fs/2 (of the target rate)
    m = 511
    k = np.arange(m) - (m - 1) / 2
    h = np.sinc(k / 4) / 4 * np.blackman(m)
    h /= h.sum()
    y = np.convolve(x, h, mode="same")
    return y[offset::4]


def oversampled_peak(x, factor=16):
    """Reference true peak: FFT (periodic sinc) interpolation of the whole
    signal, factor times finer. Independent of the detector under test."""
    n = len(x)
    X = np.fft.rfft(x)
    Y = np.zeros(n * factor // 2 + 1, dtype=complex)
    Y[:len(X)] = X
    y = np.fft.irfft(Y, n * factor) * factor
    return float(np.max(np.abs(y)))


def db(x):
    return 20 * np.log10(x)


def _pad(x, n=4096):
    return np.concatenate([np.zeros(n), np.asarray(x, dtype=np.float64), np.zeros(n)])


def _polyphase_peak(x, phases):
    """Largest |value| of x interpolated by a taps x factor polyphase
    matrix (column p gives the signal p/factor of a step later)."""
    taps = phases.shape[0]
    xp = np.concatenate([np.zeros(taps), np.asarray(x, dtype=np.float64), np.zeros(taps)])
    windows = np.lib.stride_tricks.sliding_window_view(xp, taps)[:, ::-1]
    return float(np.max(np.abs(windows @ phases)))


def _kaiser_sinc_phases(factor, taps, beta):
    n = factor * taps
    centre = factor * (taps // 2)
    i = np.arange(n)
    h = np.sinc((i - centre) / factor) * np.kaiser(n + 1, beta)[:n]
    phases = h.reshape(taps, factor)
    return phases / phases.sum(axis=0)


def reference_peak_16x(x):
    """Reference true-peak meter for the tests: 16x oversampling with a long
    interpolation filter (Kaiser-windowed sinc, 64 taps per phase, 1024 in
    all, -6 dB at fs/2), i.e. an oversampling reconstruction as a very good
    DAC does it: flat within 0.01 dB to 0.47 fs. (An ideal brick-wall
    interpolation would also give full weight to content right at fs/2,
    which no reconstruction filter passes.) Independent of the detectors
    under test."""
    return _polyphase_peak(x, _kaiser_sinc_phases(16, 64, 8.0))


# ITU-R BS.1770-4 Annex 2: the order-48, 4-phase interpolating filter as
# printed in the Recommendation (phases 2 and 3 are 1 and 0 reversed).
_BS1770_P0 = [0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000,
              -0.0594482421875, 0.1373291015625, 0.9721679687500, -0.1022949218750,
              0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500]
_BS1770_P1 = [-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250,
              -0.1665039062500, 0.4650878906250, 0.7797851562500, -0.2003173828125,
              0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375]


def bs1770_peak_4x(x):
    """True peak as a BS.1770-4 Annex 2 meter reads it (4x, the printed
    48-tap filter), written for the tests."""
    phases = np.array([_BS1770_P0, _BS1770_P1, _BS1770_P1[::-1], _BS1770_P0[::-1]]).T
    return _polyphase_peak(x, phases)


def sine_fit_residual_db(y, freq, sr):
    """THD+N of a steady sine: least-squares fit of the fundamental (and DC)
    and the residual's RMS relative to the fundamental's, in dB."""
    t = np.arange(len(y)) / sr
    A = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t),
                  np.ones_like(t)], axis=1)
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    fit = A @ coef
    res = y - fit
    fund = np.hypot(coef[0], coef[1]) / np.sqrt(2)
    return 20 * np.log10(np.sqrt(np.mean(res ** 2)) / fund)
