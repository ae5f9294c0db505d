"""Pd tests of the mixing abstractions: [smartmaster/mixstrip~] (pan law,
fader, polarity, mute, solo, high-pass, pre/post-fader send, meter) and
[smartmaster/mixbus~] (sum of strips, master fader).

Expected values are analytic: the sin/cos pan law gives cos(pi/4) =
-3.0103 dB per side at centre, a fader of g dB scales by 10^(g/20), a
second-order Butterworth high-pass at fc attenuates f by
10 log10(1 + (fc/f)^4) dB. Levels are RMS over the steady end of each
run, compared with the RMS of the input computed here."""
import os

import numpy as np

import pdrun

SR = 48000
PAN_C = 20 * np.log10(np.cos(np.pi / 4))  # -3.0103 dB


def sine(f, seconds, amp=0.5):
    t = np.arange(int(seconds * SR)) / SR
    return amp * np.sin(2 * np.pi * f * t)


def db(x, ref):
    rx = np.sqrt(np.mean(np.asarray(x, dtype=np.float64) ** 2))
    rr = np.sqrt(np.mean(np.asarray(ref, dtype=np.float64) ** 2))
    return 20 * np.log10(max(rx, 1e-30) / rr)


def run(objs, wires, inputs, n_rec, seconds, at=(), name="mix"):
    """A patch with `objs` (object texts, index 0..), `wires` (a, outlet,
    b, inlet) between them, `inputs` played from arrays into (obj, inlet)
    pairs: inputs = [(array, [(obj, inlet), ...]), ...], `n_rec` recorded
    (obj, outlet) pairs, timed messages at = [(ms, obj, inlet, text)]
    (0 ms: right after playback starts). The info outlet of object 0 is
    printed as OUT. Returns (recorded arrays, Result)."""
    frames = int(round(seconds * SR))
    os.makedirs(pdrun.OUT, exist_ok=True)
    wav_in = os.path.join(pdrun.OUT, name + "-in.wav")
    wav_out = os.path.join(pdrun.OUT, name + "-out.wav")
    if os.path.exists(wav_out):
        os.unlink(wav_out)
    pdrun.write_wav(wav_in, [a for a, _ in inputs], SR)
    sub = pdrun.Patch()
    idx = [sub.obj(t) for t in objs]
    for a, o, b, i in wires:
        sub.connect(idx[a], o, idx[b], i)
    go = sub.obj("r go")
    for c, (_, dests) in enumerate(inputs):
        tp = sub.obj("tabplay~ in%d" % c)
        sub.connect(go, 0, tp, 0)
        for b, i in dests:
            sub.connect(tp, 0, idx[b], i)
    for k, (b, o) in enumerate(n_rec):
        tw = sub.obj("tabwrite~ out%d" % k)
        sub.connect(go, 0, tw, 0)
        sub.connect(idx[b], o, tw, 0)
    for k, (ms, b, i, m) in enumerate(at):
        r = sub.obj("r msg%d" % k)
        mm = sub.obj("list trim")
        sub.connect(r, 0, mm, 0)
        sub.connect(mm, 0, idx[b], i)
    pr = sub.obj("print OUT")
    sub.connect(idx[0], objs_info_outlet(objs[0]), pr, 0)
    p = pdrun.Patch()
    for c in range(len(inputs)):
        p.table("in%d" % c)
    for k in range(len(n_rec)):
        p.table("out%d" % k, frames)
    lb = p.obj("loadbang")
    rd = p.msg("read -resize %s %s" % (os.path.basename(wav_in),
                                       " ".join("in%d" % c for c in range(len(inputs)))))
    sf = p.obj("soundfiler")
    p.connect(lb, 0, rd, 0)
    p.connect(rd, 0, sf, 0)
    start = p.msg("\\; pd dsp 1 \\; go bang")
    p.connect(sf, 0, start, 0)
    rgo = p.obj("r go")
    for k, (ms, b, i, m) in enumerate(at):
        d = p.obj("delay %g" % ms)
        p.connect(rgo, 0, d, 0)
        mk = p.msg("\\; msg%d list %s" % (k, m))
        p.connect(d, 0, mk, 0)
    wait = p.obj("delay %g" % (1000.0 * (frames + 128) / SR))
    p.connect(rgo, 0, wait, 0)
    wr = p.msg("write -wave -bytes 4 %s %s" % (
        os.path.basename(wav_out), " ".join("out%d" % k for k in range(len(n_rec)))))
    p.connect(wait, 0, wr, 0)
    sf2 = p.obj("soundfiler")
    p.connect(wr, 0, sf2, 0)
    pdrun.quit_after(p, wait)
    res = pdrun.run_patch(pdrun.with_subpatch(p, sub), sr=SR, name=name)
    os.unlink(wav_in)
    assert pdrun.done(res), "Pd did not finish: " + res.log[-800:]
    assert not res.errors(), "errors: %s" % res.errors()[:5]
    y, _ = pdrun.read_wav(wav_out)
    os.unlink(wav_out)
    return y, res


def objs_info_outlet(text):
    return 2 if "mixbus~" in text else 3


def strip(args="", msgs=(), x=None, seconds=0.6, rec=(0, 1, 2)):
    """One strip: x into its signal inlet, msgs (text) at 0 ms, returns
    L, R, send (the last 0.25 s, after every 20 ms glide) and the Result."""
    x = sine(1000, seconds) if x is None else x
    at = [(0, 0, 1, m) for m in msgs]
    y, res = run(["smartmaster/mixstrip~ " + args], [], [(x, [(0, 0)])],
                 [(0, k) for k in rec], seconds, at=at, name="strip")
    n = int(0.25 * SR)
    return [c[-n:] for c in y], x[-n:], res


def test_mixing_pan_law_centre_and_hard_left():
    (L, R, _), x, _ = strip()
    assert abs(db(L, x) - PAN_C) < 0.05, db(L, x)
    assert abs(db(R, x) - PAN_C) < 0.05, db(R, x)
    (L, R, _), x, _ = strip("0 -1")
    assert abs(db(L, x)) < 0.05, db(L, x)
    assert db(R, x) < -100, db(R, x)
    # pan 0.5 by message: cos / sin of 3 pi / 8
    (L, R, _), x, _ = strip(msgs=["pan 0.5"])
    a = 0.75 * np.pi / 2
    assert abs(db(L, x) - 20 * np.log10(np.cos(a))) < 0.05
    assert abs(db(R, x) - 20 * np.log10(np.sin(a))) < 0.05


def test_mixing_fader_level():
    for g in (-6.0, 6.0, -20.0):
        (L, R, _), x, _ = strip(msgs=["fader %g" % g])
        assert abs(db(L, x) - (PAN_C + g)) < 0.05, (g, db(L, x))
        assert abs(db(R, x) - (PAN_C + g)) < 0.05, (g, db(R, x))
    # argument, and the floor: -72 dB or less is silence
    (L, _, _), x, _ = strip("-12")
    assert abs(db(L, x) - (PAN_C - 12)) < 0.05
    (L, _, _), x, _ = strip(msgs=["fader -80"])
    assert db(L, x) < -140


def test_mixing_trim_and_polarity():
    (L, _, _), x, _ = strip(msgs=["trim -6"])
    assert abs(db(L, x) - (PAN_C - 6)) < 0.05
    (L, _, _), x, _ = strip(msgs=["polarity 1"])
    c = np.corrcoef(L, x)[0, 1]
    assert c < -0.999, c
    assert abs(db(L, x) - PAN_C) < 0.05
    (L, _, _), x, _ = strip(msgs=["polarity 0"])
    assert np.corrcoef(L, x)[0, 1] > 0.999


def test_mixing_mute_and_solo_of_another_strip():
    (L, R, S), x, _ = strip(msgs=["send 0", "mute 1"])
    assert db(L, x) < -140 and db(R, x) < -140 and db(S, x) < -140
    # two strips: soloing strip 1 silences strip 0; unsolo restores it
    x = sine(1000, 0.9)
    y, _ = run(["smartmaster/mixstrip~", "smartmaster/mixstrip~"], [],
               [(x, [(0, 0), (1, 0)])], [(0, 0), (1, 0)], 0.9,
               at=[(100, 1, 1, "solo 1"), (500, 1, 1, "solo 0")], name="solo")
    n = int(0.1 * SR)
    a0 = y[0][int(0.35 * SR):int(0.35 * SR) + n]
    a1 = y[1][int(0.35 * SR):int(0.35 * SR) + n]
    b0 = y[0][-n:]
    ref = x[:n]
    assert db(a0, ref) < -140, db(a0, ref)
    assert abs(db(a1, ref) - PAN_C) < 0.05
    assert abs(db(b0, ref) - PAN_C) < 0.05


def test_mixing_hpf_100():
    f30 = sine(30, 1.0)
    (L, _, _), x, _ = strip(msgs=["hpf 100"], x=f30, seconds=1.0)
    att = PAN_C - db(L, x)
    expect = 10 * np.log10(1 + (100 / 30.0) ** 4)   # Butterworth, 20.9 dB
    assert att > 10, att
    assert abs(att - expect) < 1.5, (att, expect)
    (L, _, _), x, _ = strip(msgs=["hpf 100"])
    assert abs(db(L, x) - PAN_C) < 0.1, db(L, x)
    # hpf 0: off again, 30 Hz passes
    (L, _, _), x, _ = strip(msgs=["hpf 100", "hpf 0"], x=f30, seconds=1.0)
    assert abs(db(L, x) - PAN_C) < 0.1, db(L, x)


def test_mixing_send_pre_and_post():
    # post (default): after the fader, before the pan: fader -12 -> -12 dB
    (_, _, S), x, _ = strip(msgs=["send 0", "fader -12", "pan 1"])
    assert abs(db(S, x) + 12) < 0.05, db(S, x)
    # pre: after the compressor, the fader does not count
    (_, _, S), x, _ = strip(msgs=["send -3", "fader -12", "sendpre 1"])
    assert abs(db(S, x) + 3) < 0.05, db(S, x)
    # send level at load is -inf
    (_, _, S), x, _ = strip()
    assert db(S, x) < -140


def test_mixing_strip_reports_meter_eq_comp():
    _, x, res = strip(msgs=["eq band 1 type bell freq 1000 gain -6 on 1"], seconds=1.0)
    sel = {(w[0], w[1]) for w in res.printed("OUT") if len(w) > 1}
    for k in (("meter", "momentary"), ("meter", "truepeak"), ("eq", "gr"), ("comp", "gr")):
        assert k in sel, (k, sorted(sel)[:20])
    tp = [float(w[3]) for w in res.printed("OUT") if w[:2] == ["meter", "truepeak"]][-1]
    # a 0.5 sine through a -6 dB bell at its centre, then the -3 dB pan
    assert abs(tp - (20 * np.log10(0.5) - 6 + PAN_C)) < 0.3, tp


def test_mixing_bus_sums_strips_and_applies_fader():
    x1 = sine(1000, 0.6, 0.25)
    x2 = sine(1000, 0.6, 0.25)
    objs = ["smartmaster/mixbus~", "smartmaster/mixstrip~ 0 -1", "smartmaster/mixstrip~ 0 -1"]
    wires = [(1, 0, 0, 0), (1, 1, 0, 1), (2, 0, 0, 0), (2, 1, 0, 1)]
    y, _ = run(objs, wires, [(x1, [(1, 0)]), (x2, [(2, 0)])], [(0, 0), (0, 1)], 0.6, name="bus")
    n = int(0.25 * SR)
    ref = (x1 + x2)[:n]
    assert abs(db(y[0][-n:], ref)) < 0.05, db(y[0][-n:], ref)
    assert db(y[1][-n:], ref) < -100
    y, _ = run(objs, wires, [(x1, [(1, 0)]), (x2, [(2, 0)])], [(0, 0)], 0.6,
               at=[(0, 0, 2, "fader -6")], name="bus")
    assert abs(db(y[0][-n:], ref) + 6) < 0.05, db(y[0][-n:], ref)
