"""dyneq~ in real Pd (batch mode).

Expected values are computed here, independently of the C code:
- static responses from the RBJ "Audio EQ Cookbook" analog prototypes H(s)
  (proto_db), evaluated at s = j f / f0;
- dynamic gains from the static curve of a compressor with hard knee,
  written out again (curve_db): the band's level is the peak amplitude in
  dBFS of a sine at its centre;
- M/S: mid = (L + R) / 2, side = (L - R) / 2; a band on one of them leaves
  the other untouched.
Gains of sine components are read off an FFT over a whole number of periods
(frequencies on exact bins), so a multi-sine measures many points at once.
"""
import re

import numpy as np

import pdrun
from signals import db

SR = 48000
RNG = np.random.default_rng(11)


def proto_db(kind, f, f0, q=0.707, gain=0.0):
    A = 10 ** (gain / 40)
    s = 1j * np.asarray(f, dtype=float) / f0
    sa = np.sqrt(A)
    if kind == "bell":
        h = (s * s + s * A / q + 1) / (s * s + s / (A * q) + 1)
    elif kind == "lowshelf":
        h = A * (s * s + sa / q * s + A) / (A * s * s + sa / q * s + 1)
    elif kind == "highshelf":
        h = A * (A * s * s + sa / q * s + 1) / (s * s + sa / q * s + A)
    elif kind == "lowpass":
        h = 1 / (s * s + s / q + 1)
    elif kind == "highpass":
        h = s * s / (s * s + s / q + 1)
    else:
        h = (s * s + 1) / (s * s + s / q + 1)
    return 20 * np.log10(np.abs(h))


def curve_db(level, t, r, rng):
    """cutabove: -(1 - 1/r) dB per dB over the threshold, at most rng."""
    return max(-rng, -(1 - 1 / r) * max(level - t, 0.0))


def multisine(freqs, n, level_db=-30.0):
    t = np.arange(n) / SR
    ph = RNG.uniform(0, 2 * np.pi, len(freqs))
    a = 10 ** (level_db / 20)
    return sum(a * np.sin(2 * np.pi * f * t + p) for f, p in zip(freqs, ph))


def bin_gains_db(y, x, freqs, start, n=SR):
    """Output/input gain at each frequency over y[start:start+n] (1 Hz
    bins: integer frequencies fall on bins exactly)."""
    Y = np.fft.rfft(y[start:start + n])
    X = np.fft.rfft(x[start:start + n])
    k = np.round(np.asarray(freqs) * n / SR).astype(int)
    return 20 * np.log10(np.abs(Y[k]) / np.abs(X[k]))


def amp_db(y, f, start, n=SR // 2):
    seg = y[start:start + n]
    t = (start + np.arange(len(seg))) / SR
    m = np.stack([np.sin(2 * np.pi * f * t), np.cos(2 * np.pi * f * t)], 1)
    c = np.linalg.lstsq(m, seg, rcond=None)[0]
    return db(np.hypot(*c))


def reports(res, sel="gr"):
    return res.reports("OUT", sel)


def no_errors(res):
    assert not res.errors(), res.errors()


def print_lines(args="", msgs=()):
    p = pdrun.Patch()
    o = p.obj(("smartmaster/dyneq~ " + args).strip())
    for m in list(msgs) + ["print"]:
        p.send_at_load(o, m)
    p.quit_at_load()
    return pdrun.run_patch(p.text(), name="dyneq-print")


# ------------------------------------------------------------------ tests

def test_print_flags_and_band_messages():
    res = print_lines("-ch 2 -bands 3 -ratio 2 -threshold -24 -type lowshelf",
                      ["band 2 type notch freq 500 q 4", "gain -3",
                       "band 3 channels M sidechain ext direction boostbelow"])
    no_errors(res)
    assert "dyneq~: inlets 3~, outlets 2~ + info" in res.lines, res.log[:300]
    text = "\n".join(res.lines)
    assert "dyneq~: band 1 type lowshelf [" in text
    assert "dyneq~: band 1 ratio 2 [1 to 100]" in text
    assert "dyneq~: band 1 gain -3 dB" in text
    assert re.search(r"band 2: type notch, freq 500 Hz, q 4, gain -3 dB, "
                     r"threshold -24 dB, ratio 2", text), text
    assert re.search(r"band 3: type lowshelf, .*direction boostbelow, "
                     r"sidechain ext, channels M", text), text
    assert "band 4" not in text
    # bad creation and messages: clear errors, object still made
    res = print_lines("-bands 12 -freq 50000 -type wobble -q",
                      ["band 9 gain 1", "band 1 channels X", "band 1 ratio",
                       "band 2 attack -5"])
    errs = res.errors()
    assert not any("couldn't create" in e for e in errs)
    for want in ("-bands 12 is out of range", "freq 50000 is out of range",
                 "'wobble' is not one of", "-q needs a value",
                 "band 9 does not exist", "'X' is not one of linked|L|R|M|S",
                 "band 1 ratio needs a value", "band 2 attack -5 is out of range"):
        assert any(want in e for e in errs), (want, errs)
    assert "dyneq~: inlets 3~, outlets 2~ + info" in res.lines
    assert "dyneq~: band 8: " in "\n".join(res.lines)  # clamped to 8 bands


def test_mixing_eq_matches_prototypes():
    """Four static bands in series (ratio 1: the mixing EQ) against the
    product of their analog prototypes, within 0.1 dB up to 10 kHz."""
    freqs = [31, 47, 80, 150, 333, 700, 1201, 2500, 3100, 4400, 6007, 8000,
             9000, 10000, 13000, 16000]
    n = 3 * SR
    x = multisine(freqs, n)
    msgs = ["band 1 type highpass freq 40 q 0.9",
            "band 2 type lowshelf freq 160 gain 5 q 0.6",
            "band 3 type bell freq 2500 q 3 gain -7",
            "band 4 type highshelf freq 9000 gain 4"]
    y, res = pdrun.render([x, -x, 0 * x], "smartmaster/dyneq~ -ch 2 -bands 4",
                          2, at=[(0, m) for m in msgs], name="dyneq-mix")
    no_errors(res)
    got = bin_gains_db(y[0], x, freqs, SR)
    want = (proto_db("highpass", freqs, 40, 0.9) +
            proto_db("lowshelf", freqs, 160, 0.6, 5) +
            proto_db("bell", freqs, 2500, 3, -7) +
            proto_db("highshelf", freqs, 9000, 0.707, 4))
    err = np.abs(got - want)
    below = np.array(freqs) <= 10000
    assert err[below].max() < 0.1, list(zip(freqs, got.round(3), want.round(3)))
    # above 10 kHz the matched design stays close too (no cramping)
    assert err.max() < 0.5, list(zip(freqs, err.round(3)))
    # both channels alike (the right one carries -x)
    got_r = bin_gains_db(-y[1], x, freqs, SR)
    assert np.abs(got_r - got).max() < 1e-3


def test_dynamic_band_follows_curve_and_reports_gr():
    """A de-esser: a 6 kHz band cutting above -30 dBFS at ratio 4. Sines at
    its centre at several levels; a quiet one leaves the static EQ."""
    levels = [-45, -24, -12, -6]
    seg = SR // 2
    f = 6000
    x = np.concatenate([10 ** (l / 20) * np.sin(2 * np.pi * f * np.arange(seg) / SR)
                        for l in levels])
    obj = ("smartmaster/dyneq~ -ch 1 -bands 2 -interval 10 -threshold -30 "
           "-ratio 4 -range 12 -attack 2 -release 40")
    y, res = pdrun.render([x, 0 * x], obj, 1,
                          at=[(0, "band 1 freq 6000 q 2"), (0, "band 2 ratio 1")],
                          end=("bang",), name="dyneq-curve")
    no_errors(res)
    for i, l in enumerate(levels):
        want = curve_db(l, -30, 4, 12)
        got = amp_db(y[0], f, i * seg + seg // 2, seg // 2) - l
        assert abs(got - want) < 0.5, (l, got, want)
    # the reports: last one during the loudest segment
    gr = reports(res)
    assert gr and all(len(g) == 2 for g in gr)
    assert abs(gr[-1][0] - curve_db(-6, -30, 4, 12)) < 0.5, gr[-1]
    assert gr[-1][1] == 0
    # the reports follow the level: the first segment (below threshold) is 0
    assert gr[5][0] == 0


def test_sidechain_inlet_ducks_bass_under_kick():
    """A 60 Hz bass, a band at 60 Hz keyed by the sidechain inlet (a kick:
    60 Hz bursts). Kick on: the bass drops by the range; kick off: back."""
    n = 2 * SR
    t = np.arange(n) / SR
    bass = 0.3 * np.sin(2 * np.pi * 60 * t)
    gate = ((t % 0.5) < 0.25).astype(float)
    kick = 0.8 * gate * np.sin(2 * np.pi * 60 * t)
    obj = "smartmaster/dyneq~ -ch 2 -bands 1"
    y, res = pdrun.render([bass, bass, kick], obj, 2,
                          at=[(0, "band 1 freq 60 q 0.7 sidechain ext "
                                  "threshold -30 ratio 20 range 9 attack 1 "
                                  "release 20")], name="dyneq-duck")
    no_errors(res)
    for k in range(1, 4):  # later bursts, steady parts of each half
        on = amp_db(y[0], 60, int((0.5 * k + 0.1) * SR), SR // 10)
        off = amp_db(y[0], 60, int((0.5 * k + 0.35) * SR), SR // 10)
        assert abs(on - (db(0.3) - 9)) < 0.5, (k, on)
        assert abs(off - db(0.3)) < 0.5, (k, off)
    assert np.abs(y[0] - y[1]).max() < 1e-6  # linked


def test_mid_side_and_left_right_bands():
    """A band on M leaves a side signal alone and vice versa; L and R bands
    leave the other channel bit for bit."""
    n = SR
    t = np.arange(n) / SR
    mid = 0.2 * np.sin(2 * np.pi * 1000 * t)
    side = 0.2 * np.sin(2 * np.pi * 3000 * t)
    left, right = mid + side, mid - side
    msgs = ["band 1 freq 1000 gain -12 channels S",  # nothing at 1 kHz in S
            "band 2 freq 3000 gain -12 channels S"]  # side's 3 kHz cut
    y, res = pdrun.render([left, right, 0 * t], "smartmaster/dyneq~ -bands 2", 2,
                          at=[(0, m) for m in msgs], name="dyneq-ms")
    no_errors(res)
    m_out, s_out = (y[0] + y[1]) / 2, (y[0] - y[1]) / 2
    start = SR // 2
    assert abs(amp_db(m_out, 1000, start) - db(0.2)) < 0.02
    want = -12 + proto_db("bell", 3000, 1000, 0.707, -12)  # both bands
    assert abs(amp_db(s_out, 3000, start) - (db(0.2) + want)) < 0.05
    assert np.abs(m_out - mid).max() < 1e-6  # the side bands left mid alone
    msgs = ["band 1 freq 1000 gain 6 channels L", "band 2 channels R gain 0"]
    y, res = pdrun.render([left, right, 0 * t], "smartmaster/dyneq~ -bands 2", 2,
                          at=[(0, m) for m in msgs], name="dyneq-lr")
    no_errors(res)
    assert np.array_equal(y[1], right.astype(np.float32).astype(float))
    assert abs(amp_db(y[0], 1000, start) - (db(0.2) + 6)) < 0.05


def test_solo_bypass_and_block_sizes():
    n = SR
    x = 0.3 * RNG.uniform(-1, 1, n)
    base = ["band 1 freq 2000 q 2 gain 6", "band 2 freq 200 ratio 3 threshold -40"]
    outs = {}
    for block in (1, 64, 4096):
        y, res = pdrun.render([x, x, 0 * x], "smartmaster/dyneq~ -bands 2", 2,
                              block=block, at=[(0, m) for m in base],
                              name="dyneq-blk")
        no_errors(res)
        outs[block] = y[0]
    assert np.abs(outs[1] - outs[64]).max() < 1e-5
    assert np.abs(outs[4096] - outs[64]).max() < 1e-5
    # bypass: the input itself once the fade is over
    y, res = pdrun.render([x, x, 0 * x], "smartmaster/dyneq~ -bands 2", 2,
                          at=[(0, m) for m in base] + [(500, "bypass 1")],
                          name="dyneq-byp")
    no_errors(res)
    tail = slice(int(0.6 * SR), n)
    assert np.array_equal(y[0][tail], x[tail].astype(np.float32).astype(float))
    # solo band 1: a 0 dB band-pass at 2 kHz (sine at the centre passes
    # whole, one at 500 Hz drops as the band-pass's -17.6 dB)
    t = np.arange(n) / SR
    s = 0.1 * np.sin(2 * np.pi * 2000 * t) + 0.1 * np.sin(2 * np.pi * 500 * t)
    y, res = pdrun.render([s, s, 0 * s], "smartmaster/dyneq~ -bands 2", 2,
                          at=[(0, m) for m in base] + [(0, "band 1 solo 1")],
                          name="dyneq-solo")
    no_errors(res)
    assert abs(amp_db(y[0], 2000, SR // 2) - db(0.1)) < 0.05
    bp = -10 * np.log10(1 + 4 * (0.25 - 4) ** 2)  # Q 2 band-pass at f0 / 4
    assert abs(amp_db(y[0], 500, SR // 2) - (db(0.1) + bp)) < 0.5


def test_response_array():
    """`response <array> lo hi` draws the bands' magnitude in dB."""
    p = pdrun.Patch()
    p.table("resp", 16)
    o = p.obj("smartmaster/dyneq~ -bands 2")
    for m in ["band 1 freq 1000 q 1.5 gain 9", "band 2 type highpass freq 80",
              "response resp 20 20000"]:
        p.send_at_load(o, m)
    lb = p.obj("loadbang")
    ag = p.obj("array get resp")
    pr = p.obj("print RESP")
    p.connect(lb, 0, ag, 0)
    p.connect(ag, 0, pr, 0)
    p.quit_at_load()
    res = pdrun.run_patch(p.text(), name="dyneq-resp")
    no_errors(res)
    vals = np.array([float(v) for v in res.printed("RESP")[0]])
    f = 20 * 1000 ** (np.arange(16) / 15)
    want = proto_db("bell", f, 1000, 1.5, 9) + proto_db("highpass", f, 80)
    assert np.abs(vals - want).max() < 0.1, list(zip(f.round(), vals, want.round(2)))
    # a missing array is a clear error
    res = print_lines("", ["response nosucharray"])
    assert any("no float array named 'nosucharray'" in e for e in res.errors())
