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
