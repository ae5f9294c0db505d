"""Independent measurements for judging the smart master's output: the
system's libebur128 through ctypes (not the library's own lufs~, which
links the same library in histogram mode and quantises block loudness to
0.1 dB), and the spectral distance of the research notes' §7.7 computed
with numpy on the gated long-term average spectrum."""
import ctypes
import ctypes.util

import numpy as np

# libebur128's modes (ebur128.h)
_M, _S, _I, _LRA, _SP, _TP = 1, 3, 5, 11, 17, 49

_lib = None


def _ebur128():
    global _lib
    if _lib is None:
        name = ctypes.util.find_library("ebur128") or "libebur128.so.1"
        lib = ctypes.CDLL(name)
        vp, dp = ctypes.c_void_p, ctypes.POINTER(ctypes.c_double)
        lib.ebur128_init.restype = vp
        lib.ebur128_init.argtypes = [ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
        lib.ebur128_destroy.argtypes = [ctypes.POINTER(vp)]
        lib.ebur128_add_frames_float.argtypes = [vp, ctypes.POINTER(ctypes.c_float),
                                                 ctypes.c_size_t]
        for f in ("ebur128_loudness_global", "ebur128_loudness_range",
                  "ebur128_loudness_momentary"):
            getattr(lib, f).argtypes = [vp, dp]
        for f in ("ebur128_true_peak", "ebur128_sample_peak"):
            getattr(lib, f).argtypes = [vp, ctypes.c_uint, dp]
        _lib = lib
    return _lib


class _State:
    def __init__(self, nch, sr, mode):
        self.lib = _ebur128()
        self.st = self.lib.ebur128_init(nch, int(sr), mode)
        assert self.st, "ebur128_init failed"

    def add(self, frames):
        """frames: (n, nch) float32, C-contiguous."""
        self.lib.ebur128_add_frames_float(
            self.st, frames.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), len(frames))

    def get(self, name, *chan):
        v = ctypes.c_double()
        rc = getattr(self.lib, "ebur128_" + name)(self.st, *chan, ctypes.byref(v))
        assert rc == 0, "ebur128_%s: error %d" % (name, rc)
        return v.value

    def close(self):
        p = ctypes.c_void_p(self.st)
        self.lib.ebur128_destroy(ctypes.byref(p))


def _frames(x):
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    return np.ascontiguousarray(x.T, dtype=np.float32)


def measure(x, sr):
    """{integrated, range, truepeak, samplepeak, plr} of channels x
    (channels x frames): BS.1770-4 / EBU R128 by libebur128 (true peak 4x
    oversampled at 48 kHz), exact (not histogram) mode."""
    fr = _frames(x)
    st = _State(fr.shape[1], sr, _I | _LRA | _TP)
    try:
        st.add(fr)
        i = st.get("loudness_global")
        lra = st.get("loudness_range")
        tp = max(st.get("true_peak", c) for c in range(fr.shape[1]))
        sp = max(st.get("sample_peak", c) for c in range(fr.shape[1]))
    finally:
        st.close()
    tp_db = 20 * np.log10(max(tp, 1e-30))
    return {"integrated": i, "range": lra, "truepeak": tp_db,
            "samplepeak": 20 * np.log10(max(sp, 1e-30)), "plr": tp_db - i}


def gated_blocks(x, sr):
    """Start frames of the 400 ms blocks (75 % overlap) that pass the
    BS.1770 gates (absolute -70 LUFS, relative -10 LU), as libebur128 reads
    each block's momentary loudness; and the block length."""
    fr = _frames(x)
    hop = int(sr) // 10
    st = _State(fr.shape[1], sr, _I)
    blocks = []
    try:
        for k in range(len(fr) // hop):
            st.add(np.ascontiguousarray(fr[k * hop:(k + 1) * hop]))
            if k >= 3:
                blocks.append(((k - 3) * hop, st.get("loudness_momentary")))
        integ = st.get("loudness_global")
    finally:
        st.close()
    return [s for s, m in blocks if m > -70 and m > integ - 10], 4 * hop


# 1/3-octave bands from 40 Hz to 16 kHz (IEC base-10 centres)
CENTRES_HZ = np.array([1000 * 10 ** (k / 10) for k in range(-14, 13)])


def ltas_db(x, sr):
    """Gated long-term average spectrum of the mid signal in 1/3-octave
    bands (dB, arbitrary reference): the power spectra of the blocks that
    pass the loudness gates, averaged."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    mid = 0.5 * (x[0] + x[-1])
    starts, n = gated_blocks(x, sr)
    assert starts, "no block passes the gates"
    w = np.hanning(n)
    p = np.zeros(n // 2 + 1)
    for s in starts:
        p += np.abs(np.fft.rfft(mid[s:s + n] * w)) ** 2
    f = np.fft.rfftfreq(n, 1.0 / sr)
    return np.array([10 * np.log10(np.sum(p[(f >= c * 2 ** (-1 / 6)) & (f < c * 2 ** (1 / 6))])
                                   + 1e-30) for c in CENTRES_HZ])


def target_curve_db(slope_db_oct=-3.5):
    """A straight tilt through 0 dB at 1 kHz (1/3-octave band levels)."""
    return slope_db_oct * np.log2(CENTRES_HZ / 1000.0)


def spectral_distance(x, sr, curve=None):
    """D = sqrt(mean_b (delta_b - mean delta)^2), delta_b = L_b - T_b over the
    bands 40 Hz - 16 kHz (research notes §7.7); returns (D, delta - mean)."""
    t = target_curve_db() if curve is None else np.asarray(curve)
    d = ltas_db(x, sr) - t
    d = d - d.mean()
    return float(np.sqrt(np.mean(d ** 2))), d
