"""Runs smartmaster abstractions in real Pd (pd -batch) and records them.

pdrun.render plays WAV files into an object's signal inlets; abstractions
such as [sm-demosong] have none, and [abcompare~] takes its messages in a
signal inlet, so this helper builds its own patch: optional input arrays
played into the first inlets, every signal outlet recorded into an array
for a fixed length, the arrays written to a float WAV and read back, the
info outlet printed as `OUT: ...`.
"""
import os

import numpy as np

import pdrun


def record(obj, n_out, seconds, inputs=(), at=(), sr=48000, block=64,
           name="abs", timeout=300, info=True):
    """Runs `obj` (e.g. "smartmaster/sm-demosong") for `seconds` of audio.

    inputs: arrays played into signal inlets 0.. from the start;
    at:     (ms, message) pairs sent into the first inlet (0 = at the start,
            in the same logical time as the recording starts);
    n_out:  signal outlets recorded; the info outlet (outlet n_out) prints
            as `OUT: ...` when info is true.
    Returns (n_out x frames float array, pdrun.Result)."""
    frames = int(round(seconds * sr))
    os.makedirs(pdrun.OUT, exist_ok=True)
    wav_in = os.path.join(pdrun.OUT, name + "-in.wav")
    wav_out = os.path.join(pdrun.OUT, name + "-out.wav")
    if os.path.exists(wav_out):
        os.unlink(wav_out)
    if inputs:
        pdrun.write_wav(wav_in, inputs, sr)

    sub = pdrun.Patch()
    sub.obj("block~ %d" % block)
    go = sub.obj("r go")
    dut = sub.obj(obj)
    tomsg = sub.obj("r tomsg")
    sub.connect(tomsg, 0, dut, 0)
    if info:
        pr = sub.obj("print OUT")
        sub.connect(dut, n_out, pr, 0)
    for c in range(len(inputs)):
        tp = sub.obj("tabplay~ in%d" % c)
        sub.connect(go, 0, tp, 0)
        sub.connect(tp, 0, dut, c)
    for k in range(n_out):
        tw = sub.obj("tabwrite~ out%d" % k)
        sub.connect(go, 0, tw, 0)
        sub.connect(dut, k, tw, 0)

    p = pdrun.Patch()
    for c in range(len(inputs)):
        p.table("in%d" % c)
    for k in range(n_out):
        p.table("out%d" % k, frames)
    lb = p.obj("loadbang")
    start = p.msg("\\; pd dsp 1 \\; go bang")
    if inputs:
        rd = p.msg("read -resize -maxsize 1e+09 %s %s" % (
            os.path.basename(wav_in), " ".join("in%d" % c for c in range(len(inputs)))))
        sf = p.obj("soundfiler")
        p.connect(lb, 0, rd, 0)
        p.connect(rd, 0, sf, 0)
        p.connect(sf, 0, start, 0)
    else:
        p.connect(lb, 0, start, 0)
    rgo = p.obj("r go")
    for ms, m in at:
        d = p.obj("delay %g" % ms)
        p.connect(rgo, 0, d, 0)
        mk = p.msg("\\; tomsg %s" % m)
        p.connect(d, 0, mk, 0)
    wait = p.obj("delay %g" % (1000.0 * (frames + 2 * block) / sr))
    p.connect(rgo, 0, wait, 0)
    if n_out:
        wr = p.msg("write -wave -bytes 4 %s %s" % (
            os.path.basename(wav_out), " ".join("out%d" % k for k in range(n_out))))
        p.connect(wait, 0, wr, 0)
        sf2 = p.obj("soundfiler")
        p.connect(wr, 0, sf2, 0)
    pdrun.quit_after(p, wait)
    res = pdrun.run_patch(pdrun.with_subpatch(p, sub), sr=sr, timeout=timeout, name=name)
    if inputs and os.path.exists(wav_in):
        os.unlink(wav_in)
    assert pdrun.done(res), "Pd did not finish: " + res.log[-800:]
    if n_out == 0:
        return np.zeros((0, frames)), res
    y, _ = pdrun.read_wav(wav_out)
    os.unlink(wav_out)
    return y, res


def messages(obj, msgs, wait_ms=50, name="absmsg", timeout=60, outlet=True):
    """Sends `msgs` (one after another, in one logical time) into `obj`'s
    first inlet and returns the printed outlet messages as lists of words
    (outlet 0, if the object has one: outlet=False for the meter faces),
    together with the Result."""
    p = pdrun.Patch()
    lb = p.obj("loadbang")
    dut = p.obj(obj)
    if outlet:
        pr = p.obj("print OUT")
        p.connect(dut, 0, pr, 0)
    d = p.obj("delay 10")
    p.connect(lb, 0, d, 0)
    for m in msgs:
        mm = p.msg(m)
        p.connect(d, 0, mm, 0)
        p.connect(mm, 0, dut, 0)
    d2 = p.obj("delay %g" % (10 + wait_ms))
    p.connect(lb, 0, d2, 0)
    pdrun.quit_after(p, d2)
    res = pdrun.run_patch(p.text(), timeout=timeout, name=name)
    assert pdrun.done(res), "Pd did not finish: " + res.log[-800:]
    return res.printed("OUT"), res


# ------------------------------------------------------------ loudness

def k_weight(x, sr):
    """ITU-R BS.1770-4 K-weighting (pre-filter shelf + RLB high-pass),
    coefficients derived for any sample rate from the analogue prototypes
    (the same derivation as libebur128 and pyloudnorm), computed here
    independently of the library under test."""
    from math import pi, tan
    # stage 1: high shelf
    f0, G, Q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    K = tan(pi * f0 / sr)
    Vh = 10.0 ** (G / 20.0)
    Vb = Vh ** 0.4996667741545416
    a0 = 1.0 + K / Q + K * K
    b1 = [(Vh + Vb * K / Q + K * K) / a0, 2.0 * (K * K - Vh) / a0,
          (Vh - Vb * K / Q + K * K) / a0]
    a1 = [1.0, 2.0 * (K * K - 1.0) / a0, (1.0 - K / Q + K * K) / a0]
    # stage 2: high-pass
    f0, Q = 38.13547087602444, 0.5003270373238773
    K = tan(pi * f0 / sr)
    b2 = [1.0, -2.0, 1.0]
    a2 = [1.0, 2.0 * (K * K - 1.0) / (1.0 + K / Q + K * K),
          (1.0 - K / Q + K * K) / (1.0 + K / Q + K * K)]
    return _biquad(_biquad(np.asarray(x, dtype=np.float64), b1, a1), b2, a2)


def _biquad(x, b, a):
    """Direct form I biquad (numpy has no IIR filter and scipy may be
    missing): a plain loop over Python floats."""
    b0, b1, b2 = (float(v) for v in b)
    a1, a2 = float(a[1]), float(a[2])
    out = []
    x1 = x2 = y1 = y2 = 0.0
    for v in np.asarray(x, dtype=np.float64).tolist():
        y = b0 * v + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
        x2, x1, y2, y1 = x1, v, y1, y
        out.append(y)
    return np.array(out)


def loudness(chans, sr):
    """Ungated loudness (LUFS) of a stationary stretch: -0.691 + 10 log10
    of the summed mean squares of the K-weighted channels. (For steady
    signals the gates of BS.1770 change nothing.)"""
    p = sum(np.mean(k_weight(c, sr) ** 2) for c in chans)
    return -0.691 + 10.0 * np.log10(max(p, 1e-30))


def integrated(chans, sr):
    """Gated integrated loudness per ITU-R BS.1770-4 (400 ms blocks, 75 %
    overlap, -70 LUFS absolute and -10 LU relative gates)."""
    z = [k_weight(c, sr) ** 2 for c in chans]
    n = int(0.4 * sr)
    hop = n // 4
    blocks = []
    for s in range(0, len(z[0]) - n + 1, hop):
        blocks.append(sum(np.mean(zc[s:s + n]) for zc in z))
    blocks = np.array(blocks)
    lk = -0.691 + 10 * np.log10(np.maximum(blocks, 1e-30))
    b = blocks[lk > -70]
    if len(b) == 0:
        return -150.0
    rel = -0.691 + 10 * np.log10(np.mean(b)) - 10
    b = blocks[(lk > -70) & (lk > rel)]
    return -0.691 + 10 * np.log10(np.mean(b))
