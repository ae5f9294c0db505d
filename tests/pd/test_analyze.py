"""analyze~ loaded in real Pd (batch mode), fed known signals.

Expected values are analytic (sine power A^2/2, band powers of noise built
here from chosen FFT magnitudes, mid/side identities, BS.1770 gate
arithmetic) or the issue's tolerances; none comes from the object's output.
Level convention (spectrum.h): a band reads 10 log10 of the mean square of
the signal inside it, so a sine of amplitude A reads 20 log10(A) - 3.01 dB.
"""
import os

import numpy as np

import pdrun

SR = 48000
SINE_DB = -10 * np.log10(2)  # a sine's power re its squared amplitude
NOMINAL = [20, 25, 31.5, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400,
           500, 630, 800, 1000, 1250, 1600, 2000, 2500, 3150, 4000, 5000,
           6300, 8000, 10000, 12500, 16000, 20000]
CENTRE = [1000 * 10 ** ((b - 17) / 10) for b in range(31)]
EDGES = [(c * 10 ** -0.05, c * 10 ** 0.05) for c in CENTRE]


def analyse(chans, sr=SR, flags="", at=(), end=("bang",), block=64,
            name="analyze"):
    path = os.path.join(pdrun.OUT, name + ".wav")
    pdrun.write_wav(path, chans, sr)
    obj = "smartmaster/analyze~ -ch %d -interval 60000 %s" % (len(chans), flags)
    res = pdrun.play_through(path, len(chans), obj, sr=sr, block=block, at=at,
                             end=end, name=name)
    os.unlink(path)
    assert pdrun.done(res), "Pd did not finish: " + res.log[-500:]
    assert not res.errors(), res.errors()
    return res


def last(res, sel):
    r = res.reports("OUT", sel)
    assert r, "no %s report:\n%s" % (sel, res.log[-800:])
    return r[-1]


def near(value, expected, tol, what):
    assert abs(value - expected) <= tol, "%s: %.4f, expected %.4f +- %g" % (
        what, value, expected, tol)


def sine(freq, amp, secs, sr=SR, phase=0.0):
    t = np.arange(int(secs * sr)) / sr
    return amp * np.sin(2 * np.pi * freq * t + phase)


def periodic_noise(kind, sr=SR, periods=2.0, seed=1, log2n=20):
    """Cosines on the 2^log2n grid from 10 Hz to 0.999 Nyquist, power per
    component 1/f (pink) or constant (white), random phases, RMS 0.1,
    looped. Returns (signal, exact band powers of the signal)."""
    rng = np.random.default_rng(seed)
    n = 2 ** log2n
    f = np.fft.rfftfreq(n, 1 / sr)
    keep = (f >= 10) & (f <= 0.999 * sr / 2)
    p = np.where(keep, 1 / np.maximum(f, 1) if kind == "pink" else 1.0, 0.0)
    p *= 0.01 / np.sum(p / 2)  # sum of A^2/2 = 0.01
    X = np.sqrt(p) * np.exp(2j * np.pi * rng.uniform(size=len(f))) * n / 2
    x = np.fft.irfft(X, n)
    bands = [np.sum(p[(f >= lo) & (f < hi)] / 2) for lo, hi in EDGES]
    return np.tile(x, int(np.ceil(periods)))[:int(periods * n)], np.array(bands)


# ------------------------------------------------------------- spectrum

def test_sine_levels_in_their_bands():
    """Sines in every band from 20 Hz up, up to 1/12 octave off the band
    centres (so anywhere between FFT bins), one octave apart so that each
    band holds one: each reads 20 log10(A) - 3.01 dB within the issue's
    0.2 dB, at 44.1, 48 and 96 kHz and block sizes 1, 64 and 4096; the side
    of identical channels is silent. (tests/unit/test_spectrum.c also puts
    sines exactly on and half-way between bins.)"""
    for sr, block in ((48000, 64), (44100, 1), (96000, 4096)):
        for group in range(3):
            bands = list(range(group, 31, 3))
            x = np.zeros(int(4 * sr))
            amps = {}
            for i, b in enumerate(bands):
                f = CENTRE[b] * 2 ** (((i % 5) - 2) / 24)  # -1/12..+1/12 octave
                if f > 0.45 * sr:
                    continue
                amps[b] = 0.2 * 10 ** (-3 * (b % 4) / 20)
                x += sine(f, amps[b], 4, sr, phase=b)
            res = analyse([x, x], sr=sr, block=block, at=[(1500, "reset")],
                          name="sines")
            mid, side = last(res, "spectrum"), last(res, "side")
            assert len(mid) == 31 and len(side) == 31
            for b, a in amps.items():
                near(mid[b], 20 * np.log10(a) + SINE_DB, 0.2,
                     "%g Hz: sine in band %g" % (sr, NOMINAL[b]))
            assert all(v == -150 for v in side), side


def test_pink_flat_white_tilt():
    """Pink noise (equal power per band): flat within +-0.5 dB and tilt
    0 +- 0.1 dB/oct; white noise: tilt +3.01 +- 0.1 dB/oct. Noise built here
    with exact band powers, both channels the same (mid = the noise)."""
    pink, pbands = periodic_noise("pink")
    res = analyse([pink, pink], name="pink")
    mid = np.array(last(res, "spectrum"))
    expect = 10 * np.log10(pbands)
    assert np.ptp(expect) < 0.05  # the signal itself is flat
    dev = mid - np.mean(mid)
    assert np.max(np.abs(dev)) <= 0.5, "pink not flat: %s" % np.round(dev, 2)
    assert np.max(np.abs(mid - expect)) <= 0.25, np.round(mid - expect, 2)
    near(last(res, "tilt")[0], 0.0, 0.1, "pink tilt")
    white, wbands = periodic_noise("white", seed=2)
    res = analyse([white, white], name="white")
    near(last(res, "tilt")[0], 10 * np.log10(2), 0.1, "white tilt")
    mid = np.array(last(res, "spectrum"))
    assert np.max(np.abs(mid - 10 * np.log10(wbands))) <= 0.25


def test_centroid():
    x = sine(1000, 0.3, 3)
    res = analyse([x, x], name="centroid")
    near(last(res, "centroid")[0], 1000, 1.0, "centroid of a 1 kHz sine")


# ------------------------------------------------------------- stereo

def test_correlation_width_balance():
    white, _ = periodic_noise("white", periods=0.5, seed=3)
    other, _ = periodic_noise("white", periods=0.5, seed=4)
    res = analyse([white, white], name="ident")
    near(last(res, "correlation")[0], 1.0, 1e-4, "identical correlation")
    assert last(res, "width")[0] == -150, "mono width is not the floor"
    near(last(res, "balance")[0], 0.0, 1e-3, "identical balance")
    res = analyse([white, -white], name="inv")
    near(last(res, "correlation")[0], -1.0, 1e-4, "inverted correlation")
    assert last(res, "width")[0] == 150
    res = analyse([white, other], name="indep")
    assert abs(last(res, "correlation")[0]) < 0.05, last(res, "correlation")
    near(last(res, "width")[0], 0.0, 0.3, "independent width")
    res = analyse([white, 0.5 * white], name="half")
    near(last(res, "balance")[0], 20 * np.log10(2), 0.01, "balance L +6 dB")
    near(last(res, "width")[0], 20 * np.log10(0.25 / 0.75), 0.01,
         "width of R = L/2")
    # a one-channel object: its own mid, silent side, width at the floor;
    # `floor` raises what empty bands read
    res = analyse([white], flags="-floor -90", name="mono")
    assert last(res, "width")[0] == -150
    near(last(res, "correlation")[0], 1.0, 1e-4, "mono correlation")
    assert all(v == -90 for v in last(res, "side")), last(res, "side")
    assert all(v > -90 for v in last(res, "spectrum"))


def test_levels_per_channel():
    """rms, peak, crest and dc per channel: ch 1 a sine at fs/8 whose crests
    fall on samples, ch 2 DC 0.25 plus a 0.1 sine."""
    n = 3 * SR
    s = np.sin(2 * np.pi * np.arange(n) / 8 + np.pi / 2)
    res = analyse([0.5 * s, 0.25 + 0.1 * s], name="levels")
    rms, peak = last(res, "rms"), last(res, "peak")
    crest, dc = last(res, "crest"), last(res, "dc")
    near(rms[0], 10 * np.log10(0.125), 0.01, "rms ch 1")
    near(rms[1], 10 * np.log10(0.0625 + 0.005), 0.01, "rms ch 2")
    near(peak[0], 20 * np.log10(0.5), 0.001, "peak ch 1")
    near(peak[1], 20 * np.log10(0.35), 0.001, "peak ch 2")
    near(crest[0], 10 * np.log10(2), 0.01, "crest of a sine")
    near(dc[0], 0.0, 1e-4, "dc ch 1")
    near(dc[1], 0.25, 1e-4, "dc ch 2")


# ------------------------------------------------------------- gate, average

def test_gate_keeps_silence_out():
    """6 s of a sine then 6 s of silence: gated, the spectrum is the sine's
    (frames around the drop may lower it by up to 10 log10(6/6.285) =
    0.2 dB); `gate 0` counts the silent frames: about -3 dB."""
    x = np.concatenate([sine(1000, 0.1, 6), np.zeros(6 * SR)])
    want = 20 * np.log10(0.1) + SINE_DB
    res = analyse([x, x], end=("bang", "gate 0", "bang"), name="gate")
    specs = res.reports("OUT", "spectrum")
    gated, ungated = specs[-2][17], specs[-1][17]
    assert want - 0.25 <= gated <= want + 0.02, (gated, want)
    lag = 0.2 + 2048 / SR  # frames not yet counted at the end
    near(ungated, want + 10 * np.log10(6 / (12 - lag)), 0.05, "ungated")


def test_exponential_average():
    """`average 0.5`: 20 time constants after a 10 dB step the old level is
    gone; with `average 0` (since reset) both halves count."""
    x = np.concatenate([sine(1000, 0.1, 4), sine(1000, 0.1 / np.sqrt(10), 10)])
    res = analyse([x, x], flags="-average 0.5 -gate 0", name="avg")
    near(last(res, "spectrum")[17], 20 * np.log10(0.1 / np.sqrt(10)) + SINE_DB,
         0.01, "exponential average after 20 tau")
    res = analyse([x, x], flags="-gate 0", name="avg0")
    lag = 0.2 + 2048 / SR
    want = 20 * np.log10(0.1) + SINE_DB + \
        10 * np.log10((4 + 0.1 * (10 - lag)) / (14 - lag))
    near(last(res, "spectrum")[17], want, 0.05, "infinite average")


def test_size_and_hop():
    """Other sizes and hops measure the same sines; a size that is not a
    power of two is rounded (a note, not an error); print shows it."""
    x = sine(25, 0.2, 5) + sine(1000, 0.1, 5)
    for flags in ("-size 16384 -hop 2048", "-size 1024", "-hop 4096"):
        res = analyse([x, x], flags=flags, at=[(2000, "reset")], name="size")
        mid = last(res, "spectrum")
        near(mid[1], 20 * np.log10(0.2) + SINE_DB, 0.2, "25 Hz, " + flags)
        near(mid[17], 20 * np.log10(0.1) + SINE_DB, 0.2, "1 kHz, " + flags)
    res = analyse([x, x], flags="-size 3000", end=("print",), name="size")
    assert "analyze~: size 3000 is not a power of two, using 2048" in res.lines
    assert any(ln.startswith("analyze~: size 2048 samples [") for ln in res.lines)
    assert "analyze~: inlets 2~, outlets 0~ + info" in res.lines


# ------------------------------------------------------------- level percentiles

def switching_tone(a_hi, hi_s, a_lo, lo_s, secs, freq=1000.0, sr=SR):
    """A freq sine at amplitude a_hi for hi_s seconds, then a_lo for lo_s,
    repeated, with 10 ms raised-cosine changes (nothing splashes out of its
    band). Returns the signal and its amplitude envelope."""
    t = np.arange(int(secs * sr)) / sr
    ph = np.mod(t, hi_s + lo_s)
    ramp = 0.01
    u = np.where(ph < hi_s, 1.0, 0.0)
    up = ph < ramp
    u[up] = 0.5 - 0.5 * np.cos(np.pi * ph[up] / ramp)
    down = (ph >= hi_s) & (ph < hi_s + ramp)
    u[down] = 0.5 + 0.5 * np.cos(np.pi * (ph[down] - hi_s) / ramp)
    env = a_lo + (a_hi - a_lo) * u
    return env * np.sin(2 * np.pi * freq * t), env


def short_term_db(x, start_s, end_s, sr=SR, hop=1024):
    """numpy reference: mean square over 400 ms windows centred every hop
    samples from start_s to end_s, in dB (all of a 1 kHz tone lies in its
    band, so this is its band's short-term level)."""
    c = np.cumsum(np.concatenate([[0.0], x.astype(float) ** 2]))
    half = int(0.2 * sr)
    centres = np.arange(int(start_s * sr), int(end_s * sr) - half, hop)
    centres = centres[centres >= half]
    return 10 * np.log10((c[centres + half] - c[centres - half]) / (2 * half))


def test_band_percentiles():
    """p10 p50 p80 p95: percentiles of each mid band's 400 ms level, on the
    spectrum's dB scale. A steady sine reads one level at every percentile,
    the spectrum's (within the 0.25 dB histogram bins); a 1 kHz tone 2 s at
    A, 2 s 12 dB lower: p10 the low level, p80 and p95 the high one, p50
    the median of numpy's 400 ms levels (the mean power (h + l)/2 by the
    symmetry of the halves); 40 dB lower instead: the gate keeps the quiet
    part out, `gate 0` lets it in. Bands under `floor` read it."""
    x = sine(1000, 0.1, 4) + sine(25, 0.2, 4)
    res = analyse([x, x], flags="-floor -90", at=[(1500, "reset")],
                  name="pct-steady")
    mid = last(res, "spectrum")
    pct = {k: last(res, k) for k in ("p10", "p50", "p80", "p95")}
    assert all(len(v) == 31 for v in pct.values()), pct
    sels = [w[0] for w in res.printed("OUT") if w]
    assert sels[:6] == ["spectrum", "side", "p10", "p50", "p80", "p95"], sels
    for b, a in ((17, 0.1), (1, 0.2)):
        for k, v in pct.items():
            near(v[b], 20 * np.log10(a) + SINE_DB, 0.3, "%s of a sine" % k)
            near(v[b], mid[b], 0.3, "%s vs the spectrum" % k)
    # bands under the display floor read it, as in the spectrum
    empty = [b for b in range(31) if mid[b] == -90]
    assert len(empty) > 10, mid
    assert all(pct[k][b] == -90 for k in pct for b in empty), pct
    # switching tone: reset after 9 s of warm-up (mid-plateau), 40 s counted
    hi, lo = 0.3, 0.3 * 10 ** (-12 / 20)
    x, _ = switching_tone(hi, 2.0, lo, 2.0, 9.0 + 40.0)
    res = analyse([x, x], at=[(9000, "reset")], name="pct-switch")
    ref = short_term_db(x, 9.0 + 0.2, 49.0 - 0.45)
    want = {k: np.percentile(ref, q) for k, q in
            (("p10", 10), ("p50", 50), ("p80", 80), ("p95", 95))}
    got = {k: last(res, k)[17] for k in want}
    h_db, l_db = 20 * np.log10(hi) + SINE_DB, 20 * np.log10(lo) + SINE_DB
    near(want["p10"], l_db, 0.01, "numpy p10 (plateau)")  # the reference
    near(want["p95"], h_db, 0.01, "numpy p95 (plateau)")
    near(want["p50"], 10 * np.log10((10 ** (h_db / 10) + 10 ** (l_db / 10)) / 2),
         0.6, "numpy median vs the mean power")
    for k in ("p10", "p80", "p95"):
        near(got[k], want[k], 0.3, "switching tone " + k)
    near(got["p50"], want["p50"], 0.6, "switching tone p50")
    assert l_db + 1 < got["p50"] < h_db - 1, got
    # a quiet part 40 dB down is under the relative gate
    lo = 0.3 * 10 ** (-40 / 20)
    x, _ = switching_tone(hi, 3.0, lo, 1.0, 24.0)
    res = analyse([x, x], end=("bang", "gate 0", "bang"), name="pct-gate")
    gated, ungated = res.reports("OUT", "p10")[-2:]
    l_db = 20 * np.log10(lo) + SINE_DB
    assert gated[17] > h_db - 11.5, "gated p10 %.2f: quiet part in" % gated[17]
    near(ungated[17], l_db, 0.3, "ungated p10: the quiet part")


# ------------------------------------------------------------- arrays, files

def patch_with_arrays(wav, obj, msgs_at_end, tables=("mid", "side")):
    """Plays a stereo WAV into obj with [table]s present; sends
    msgs_at_end to the object after playback and prints the tables."""
    p = pdrun.Patch()
    for t in tables:
        p.table("%s 5" % t)
    p.table("in0")
    p.table("in1")
    lb = p.obj("loadbang")
    rd = p.msg("read -resize %s in0 in1" % wav)
    sf = p.obj("soundfiler")
    p.connect(lb, 0, rd, 0)
    p.connect(rd, 0, sf, 0)
    on = p.msg("\\; pd dsp 1 \\; go bang")
    p.connect(sf, 0, on, 0)
    go = p.obj("r go")
    t0, t1 = p.obj("tabplay~ in0"), p.obj("tabplay~ in1")
    dut = p.obj(obj)
    p.connect(go, 0, t0, 0)
    p.connect(go, 0, t1, 0)
    p.connect(t0, 0, dut, 0)
    p.connect(t1, 0, dut, 1)
    pr = p.obj("print OUT")
    p.connect(dut, 0, pr, 0)
    tail = p.msg(" \\, ".join(msgs_at_end))
    p.connect(t0, 1, tail, 0)
    p.connect(tail, 0, dut, 0)
    for t in tables:
        ag = p.obj("array get %s" % t)
        pa = p.obj("print %s" % t.upper())
        p.connect(t0, 1, ag, 0)
        p.connect(ag, 0, pa, 0)
    q = p.msg("\\; pd quit")
    p.connect(t0, 1, q, 0)
    return pdrun.run_patch(p.text(), name="arrays")


def test_arrays():
    """`array` / `sidearray` (and the creation flags) write the band levels
    into Pd arrays, resized to 31 points; a missing array is an error once,
    and the object keeps reporting."""
    x = sine(1000, 0.1, 3)
    y = sine(250, 0.05, 3)
    wav = os.path.join(pdrun.OUT, "arrays.wav")
    pdrun.write_wav(wav, [x + y, x - y], SR)
    res = patch_with_arrays(wav, "smartmaster/analyze~ -array mid",
                            ["sidearray side", "bang"])
    assert not res.errors(), res.errors()
    mid = [float(v) for v in res.printed("MID")[-1]]
    side = [float(v) for v in res.printed("SIDE")[-1]]
    assert len(mid) == 31 and len(side) == 31
    assert np.allclose(mid, last(res, "spectrum"), atol=1e-3)
    assert np.allclose(side, last(res, "side"), atol=1e-3)
    near(mid[17], 20 * np.log10(0.1) + SINE_DB, 0.2, "1 kHz in the mid array")
    near(side[11], 20 * np.log10(0.05) + SINE_DB, 0.2, "250 Hz in the side array")
    res = patch_with_arrays(wav, "smartmaster/analyze~ -array nosuch -interval 50",
                            ["bang"], tables=())
    errs = [ln for ln in res.lines if ln.startswith("error:")]
    assert len(errs) == 1 and "nosuch" in errs[0] and "analyze~" in errs[0], errs
    assert len(res.reports("OUT", "spectrum")) > 5
    os.unlink(wav)


def test_write_and_read_a_curve():
    """`write` saves the spectrum as text beside the patch; `read` sends it
    back as `target` / `targetside`; bad and missing files are errors."""
    name = "analyze-test-curve.txt"
    path = os.path.join(pdrun.OUT, name)  # the test patches live there
    if os.path.exists(path):
        os.unlink(path)
    x = sine(1000, 0.1, 3)
    y = sine(100, 0.05, 3)
    res = analyse([x + y, x - y], end=("bang", "write " + name), name="write")
    assert os.path.exists(path), "write did not save beside the patch"
    rows = [ln.split() for ln in open(path) if ln.strip() and ln[0] != "#"]
    assert len(rows) == 31 and all(len(r) == 3 for r in rows)
    assert [float(r[0]) for r in rows] == NOMINAL
    mid = last(res, "spectrum")
    assert np.allclose([float(r[1]) for r in rows], mid, atol=1e-3)
    assert np.allclose([float(r[2]) for r in rows], last(res, "side"), atol=1e-3)
    res = analyse([x, x], end=("read " + name,), name="read")
    assert np.allclose(last(res, "target"), mid, atol=1e-3)
    near(last(res, "targetside")[7], 20 * np.log10(0.05) + SINE_DB, 0.2,
         "side 100 Hz read back")
    # a short file, a wrong band or a missing file: one error naming it
    for text, word in (("# not enough\n20 -10 -20\n25 -11\n", "2 bands"),
                       ("20 -10\n26 -10\n", "line 2"),
                       ("20 nan -10\n", "line 1"),
                       (None, "not found")):
        if text is None:
            msg = "read no-such-curve.txt"
        else:
            msg = "read " + name
            with open(path, "w") as f:
                f.write(text)
        p = pdrun.Patch()
        o = p.obj("smartmaster/analyze~")
        p.send_at_load(o, msg)
        p.quit_at_load()
        r = pdrun.run_patch(p.text(), name="readbad")
        errs = [ln for ln in r.lines if ln.startswith("error:")]
        assert len(errs) == 1 and word in errs[0], errs
    os.unlink(path)


def test_reset_forgets_frames_reaching_back_before_it():
    """After `reset`, no frame whose window holds earlier audio counts: a
    loud 1 kHz sine before the reset leaves nothing in the 1 kHz band (nor
    in its percentiles) when only a quiet 200 Hz sine follows."""
    loud = sine(1000, 0.5, 10)
    quiet = sine(200, 0.02, 10)
    res = analyse([np.concatenate([loud, quiet])], at=[(10000, "reset")],
                  name="reset")
    spec, p95 = last(res, "spectrum"), last(res, "p95")
    b1k, b200 = CENTRE.index(1000), 10
    assert spec[b1k] < -140 and p95[b1k] < -140, (spec[b1k], p95[b1k])
    near(spec[b200], 20 * np.log10(0.02) + SINE_DB, 0.1, "200 Hz band")
