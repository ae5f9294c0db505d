"""smartassist's dynamics rules in real Pd (dsp/assist_dynamics.c): the
band level percentiles measured by [smartmaster/analyze~] go into
[smartmaster/smartassist] in apply mode, its chain messages into a real
[smartmaster/mbcomp~] or [smartmaster/dyneq~ -bands 8], and the same signal
is played through them again. What is checked is what the proposals are
for, measured on the processors themselves:

  - multiband: the mean gain reduction mbcomp~ reports (`gr`, every DSP
    block) over the programme is within 1 dB of the reduction smartassist
    predicted and set as make-up, in every band it compresses; bands it
    leaves alone report none;
  - dynamic EQ: on a programme whose 3150 Hz band is steady except for a
    few loud bursts, dyneq~'s band 7 cuts the bursts (the P95 level) and
    leaves the steady part (the P50 level) alone.

The test signals are built here from Gaussian noise whose band levels
follow designed distributions; the expected rule outcomes (which bands,
which region) follow from those designs, the numbers from the measurement.
"""
import math
import os
import re

import numpy as np

import pdrun

SR = 48000


def band_noise(rng, n, lo, hi, tilt=0.0):
    """Gaussian noise with power only in lo..hi Hz (power slope `tilt`
    dB/oct relative to white), unit RMS."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / SR)
    g = np.where((f >= lo) & (f < hi), 1.0, 0.0)
    g[1:] *= (np.maximum(f[1:], 1.0) / 1000.0) ** (tilt / (20 * math.log10(2)))
    x = np.fft.irfft(spec * g, n)
    return x / np.sqrt(np.mean(x ** 2))


def segment_gains(rng, n, seg_s, levels_db):
    """Per-sample gain: segments of seg_s seconds at the given levels (dB)
    in random order, 5 ms ramps between them (no clicks in the bands)."""
    seg = int(seg_s * SR)
    order = rng.permutation(levels_db)
    g = np.repeat(10 ** (np.asarray(order) / 20.0), seg)[:n]
    g = np.concatenate([g, np.full(n - len(g), g[-1])])
    k = int(0.005 * SR)
    return np.convolve(np.pad(g, (k // 2, k - 1 - k // 2), mode="edge"),
                       np.ones(k) / k, mode="valid")


def two_pass(chans, name, sa_msgs, dut, keep, lufs=False):
    """(keep None: dut is masterchain~: every chain message to its message
    inlet, `comp interval 0`, its reports prefixed.)"""
    """Pass 1: the stereo signal into analyze~ -> smartassist. At its end:
    analyze~ reports, sa_msgs then `mode apply, bang` to smartassist, whose
    chain messages (through [route chain]) starting with `keep` (eq or
    comp, stripped) reach `dut`; then pass 2: the signal again through the
    dut, which reports every DSP block. With lufs, [smartmaster/lufs~] also
    measures pass 1 (its `range` reaches smartassist). Prints: SA
    (smartassist), DUT (the dut's info outlet), PASS2 (marker). Returns the
    result."""
    wav = os.path.join(pdrun.OUT, name + ".wav")
    pdrun.write_wav(wav, chans, SR)
    p = pdrun.Patch()
    p.table("in0")
    p.table("in1")
    rgo = pdrun._load_and_schedule(p, wav, 2, [])
    ana = p.obj("smartmaster/analyze~ -ch 2")
    sa = p.obj("smartmaster/smartassist")
    d = p.obj(dut)
    lu = p.obj("smartmaster/lufs~ -ch 2") if lufs else None
    for c in range(2):
        tp = p.obj("tabplay~ in%d" % c)
        p.connect(rgo, 0, tp, 0)
        p.connect(tp, 0, ana, c)
        if lu is not None:
            p.connect(tp, 0, lu, c)
        p.connect(tp, 0, d, c)
        if c == 0:
            cnt = p.obj("f")
            inc = p.obj("+ 1")
            p.connect(tp, 1, cnt, 0)
            p.connect(cnt, 0, inc, 0)
            p.connect(inc, 0, cnt, 1)
            sel = p.obj("sel 0 1")
            p.connect(cnt, 0, sel, 0)
    # end of pass 1: measure, propose, apply, play again
    t = p.obj("t b b b b b")
    p.connect(sel, 0, t, 0)
    p.connect(t, 4, ana, 0)  # bang: reports (spectrum, p10 ... p95 ...)
    p.connect(ana, 0, sa, 0)
    if lu is not None:
        p.connect(t, 3, lu, 0)
        rr = p.obj("route range")  # only the loudness range: drive stays 0
        p.connect(lu, 0, rr, 0)
        pre = p.msg("range \\$1")
        p.connect(rr, 0, pre, 0)
        p.connect(pre, 0, sa, 0)
    m = p.msg(" \\, ".join(list(sa_msgs) + ["mode apply", "bang"]))
    p.connect(t, 2, m, 0)
    p.connect(m, 0, sa, 0)
    rc = p.obj("route chain")
    p.connect(sa, 0, rc, 0)
    if keep is None:
        p.connect(rc, 0, d, 2)
    else:
        rt = p.obj("route " + keep)
        p.connect(rc, 0, rt, 0)
        p.connect(rt, 0, d, 0)
    psa = p.obj("print SA")
    p.connect(sa, 0, psa, 0)
    iv = p.msg("interval 0" if keep else "comp interval 0")
    p.connect(t, 1, iv, 0)
    p.connect(iv, 0, d, 0 if keep else 2)
    mk = p.msg("1")
    p.connect(t, 1, mk, 0)
    pm = p.obj("print PASS2")
    p.connect(mk, 0, pm, 0)
    again = p.msg("\\; go bang")
    p.connect(t, 0, again, 0)
    pd_ = p.obj("print DUT")
    p.connect(d, 2, pd_, 0)
    dl = p.obj("delay 1")
    p.connect(sel, 1, dl, 0)
    pdrun.quit_after(p, dl)
    res = pdrun.run_patch(p.text(), name=name, timeout=240)
    os.unlink(wav)
    assert pdrun.done(res), res.log[-800:]
    assert not res.errors(), res.errors()
    return res


def pass2_reports(res, selector):
    """Rows of the dut's `selector` reports printed during pass 2."""
    rows, on = [], False
    for ln in res.lines:
        if ln.startswith("PASS2: "):
            on = True
        elif on and ln.startswith("DUT: " + selector + " "):
            rows.append([float(v) for v in ln.split()[1 + len(selector.split()):]])
    return np.array(rows)


def sa_words(res, sel):
    return [w[1:] for w in res.printed("SA") if w and w[0] == sel]


def multiband_programme(secs=30):
    """Lows (40-100 Hz) and highs (7-14 kHz) swing by 18 and 14 dB from
    second to second, the mids (150-6000 Hz, pink) stay within 2 dB."""
    rng = np.random.default_rng(11)
    n = secs * SR
    low = band_noise(rng, n, 40, 100) * segment_gains(rng, n, 1.0, np.linspace(-9, 9, secs))
    mid = band_noise(rng, n, 150, 6000, tilt=-3.0) * segment_gains(
        rng, n, 1.0, np.linspace(-1, 1, secs))
    high = band_noise(rng, n, 7000, 14000) * segment_gains(
        rng, n, 1.0, np.linspace(-7, 7, secs))
    return 10 ** (-24 / 20) * low + 10 ** (-24 / 20) * mid + 10 ** (-30 / 20) * high


def check_multiband(res, n, ratio_want, selector="gr"):
    """The low and high bands of masterchain~'s 4-band mbcomp~ (120 / 1000 /
    6000 Hz) compress, the two middle bands do not; in each compressing band
    mbcomp~'s measured mean gain reduction (its `gr`, every DSP block, over
    the whole programme) is within 1 dB of the prediction (the make-up).
    Returns the bands' explained loudness ranges and a report line."""
    props = [w for w in sa_words(res, "proposal") if w[0] == "multiband"]
    assert len(props) == 4, props
    gr = pass2_reports(res, selector)
    assert gr.shape[0] > 0.9 * n / 64 and gr.shape[1] == 4, gr.shape
    measured = -gr.mean(axis=0)
    explains = [" ".join(w) for w in sa_words(res, "explain")]
    report, ranges = [], []
    for k, w in enumerate(props):
        assert w[1:4] == ["comp", "band", str(k + 1)], w
        makeup = float(w[w.index("makeup") + 1])
        ratio = float(w[w.index("ratio") + 1])
        report.append("band %d: ratio %g predicted %.2f measured %.2f dB" %
                      (k + 1, ratio, makeup, measured[k]))
        e = [x for x in explains if "band %d (" % (k + 1) in x][0]
        ranges.append(float(re.search(r"loudness range ([-0-9.]+) LU", e).group(1)))
        if k in (0, 3):
            assert ratio == ratio_want and makeup > 0.3, (w, explains)
            assert abs(measured[k] - makeup) < 1.0, report
            assert any(x.startswith("multiband: %.1f dB average gain reduction in band %d"
                                    % (makeup, k + 1)) for x in explains), explains
        else:
            assert ratio == 1 and makeup == 0, (w, explains)
            assert measured[k] < 0.01, report
    return ranges, "; ".join(report)


def test_multiband_predicted_gain_reduction_is_what_mbcomp_does():
    """Amount 0.5 (ratio 1.5), no loudness range known: the band ranges are
    the 400 ms ranges themselves, against the default target of 8 LU."""
    x = multiband_programme()
    res = two_pass([x, x], "adyn-mb", ["amount 0.5", "amount loudness 0", "amount eq 0"],
                   "smartmaster/mbcomp~ -ch 2", "comp")
    ranges, report = check_multiband(res, len(x), 1.5)
    print("     " + report)


def test_multiband_on_the_loudness_range_scale():
    """The same with lufs~'s loudness range: the band ranges are rescaled
    to it (smaller: 3 s levels swing less than 400 ms ones), so the target
    is set to 3 LU; amount 1 (ratio 2). The rescaled ranges keep the
    design's order: lows (18 dB swing) > highs (14) > mids (2)."""
    x = multiband_programme()
    res = two_pass([x, x], "adyn-mbl", ["amount 1", "amount loudness 0", "amount eq 0", "lra 3"],
                   "smartmaster/mbcomp~ -ch 2", "comp", lufs=True)
    ranges, report = check_multiband(res, len(x), 2.0)
    assert ranges[0] > ranges[3] > max(ranges[1], ranges[2]), ranges
    print("     " + report + " (band ranges %s LU)" % ranges)


def test_multiband_through_masterchain_with_its_eq():
    """The whole chain: [smartmaster/masterchain~] takes every proposal
    (tonal EQ included, drive 0). The tonal EQ sits before mbcomp~ and the
    thresholds are solved on the equalised levels: the measured mean
    reductions must still match the predictions within 1 dB."""
    x = multiband_programme()
    res = two_pass([x, x], "adyn-mc", ["amount 0.5", "amount loudness 0"],
                   "smartmaster/masterchain~", None)
    eq = [w for w in sa_words(res, "proposal") if w[0] == "eq"]
    assert eq, "the test means the EQ to be in front of mbcomp~"
    ranges, report = check_multiband(res, len(x), 1.5, selector="comp gr")
    print("     " + report + " (with %d EQ bands)" % len(eq))


def test_dyneq_cuts_the_bursts_and_leaves_the_steady_part():
    """Pink noise plus a 1/3-octave noise at 3150 Hz, 6 dB above the pink
    in that band, steady except for three 1.2 s bursts 12 dB louder (12 % of
    the time): P95 - P50 of the 3150 Hz band is about 11 dB, 5 over the
    provisional 6 dB spread, so one dynamic band goes there (harshness).
    During the bursts dyneq~ must cut (mean gain change below -1 dB, at least
    half the static curve's estimate); during the steady part (the P50
    level, here also the P80) it must stay within 0.3 dB of nothing."""
    rng = np.random.default_rng(5)
    secs = 30
    n = secs * SR
    base = band_noise(rng, n, 40, 16000, tilt=-3.0)
    lo, hi = 1000 * 10 ** (5 / 10 - 0.05), 1000 * 10 ** (5 / 10 + 0.05)
    harsh = band_noise(rng, n, lo, hi)
    # the pink's power in the 3150 Hz band (a -3 dB/oct tilt on white: equal
    # power per band, 1/28.3 of it over the 25.6 bands from 40 Hz to 16 kHz)
    pink_band_db = 10 * math.log10(0.1 / math.log10(16000 / 40))
    env = np.ones(n)
    starts = [4.0, 13.5, 22.0]
    for s0 in starts:
        a, b = int(s0 * SR), int((s0 + 1.2) * SR)
        env[a:b] = 10 ** (12 / 20)
    k = int(0.005 * SR)
    env = np.convolve(np.pad(env, (k // 2, k - 1 - k // 2), mode="edge"),
                      np.ones(k) / k, mode="valid")
    g_h = 10 ** ((pink_band_db + 6) / 20)
    x = 10 ** (-20 / 20) * (base + g_h * env * harsh)
    res = two_pass([x, x], "adyn-deq", ["amount 1", "amount loudness 0"],
                   "smartmaster/dyneq~ -ch 2 -bands 8", "eq")
    props = [w for w in sa_words(res, "proposal") if w[0] == "dyneq"]
    assert len(props) == 1, (props, sa_words(res, "explain"))
    w = props[0]
    assert w[1:8] == ["eq", "band", "7", "type", "bell", "freq", "3162"], w
    thr = float(w[w.index("threshold") + 1])
    rng_db = float(w[w.index("range") + 1])
    assert rng_db == 6.0, w
    explain = [" ".join(e) for e in sa_words(res, "explain") if e[1:3] == ["eq:", "band"]]
    assert explain and "harshness" in explain[0], explain
    gr = pass2_reports(res, "gr")
    assert gr.shape[0] > 0.9 * n / 64 and gr.shape[1] == 8, gr.shape
    g7 = gr[:, 6]
    t = np.arange(len(g7)) * 64.0 / SR
    in_burst = np.zeros(len(g7), bool)
    steady = np.ones(len(g7), bool)
    for s0 in starts:
        in_burst |= (t >= s0 + 0.05) & (t < s0 + 1.2)
        steady &= (t < s0 - 0.05) | (t >= s0 + 1.2 + 0.5)  # 5 releases
    steady &= t >= 0.5
    burst_gr = -g7[in_burst].mean()
    steady_gr = -g7[steady].mean()
    # the static curve's estimate: the bursts 12 dB over the steady band,
    # the threshold 6.1 dB over its P80 (the steady level; the margin of
    # assist_dynamics.h, its property tested in test_assist_dynamics.c):
    # (12 - 6.1) x (1 - 1/2), within the range
    est = min(rng_db, (12 - 6.1) * 0.5)
    print("     dyneq band 7 threshold %g dB: bursts %.2f dB (static estimate "
          "%.2f), steady %.2f dB" % (thr, burst_gr, est, steady_gr))
    assert burst_gr > 1.0 and burst_gr > 0.5 * est, (burst_gr, est)
    assert steady_gr < 0.3, steady_gr
    # no other band moves
    assert np.abs(gr[:, [0, 1, 2, 3, 4, 5, 7]]).max() < 1e-6


def test_amount_zero_sends_neutral_dynamics():
    """Amount 0: both dynamic EQ slots off and every mbcomp~ band neutral,
    whatever the measurements say."""
    p = pdrun.Patch()
    o = p.obj("smartmaster/smartassist")
    pr = p.obj("print OUT")
    p.connect(o, 0, pr, 0)
    flat = [-40.0] * 31
    msgs = []
    for name, off in zip(("p10", "p50", "p80", "p95"), (-10, 0, 2, 14)):
        msgs.append(name + " " + " ".join("%g" % (v + off) for v in flat))
    p.send_at_load(o, " \\, ".join(msgs + ["crest 12", "range 20", "mode apply",
                                           "amount 0", "bang"]))
    p.quit_at_load()
    res = pdrun.run_patch(p.text(), name="adyn-zero")
    assert not res.errors(), res.errors()
    chain = [" ".join(w[1:]) for w in res.printed("OUT") if w[0] == "chain"]
    assert "eq band 7 on 0" in chain and "eq band 8 on 0" in chain, chain
    for k in (1, 2, 3, 4):
        assert "comp band %d ratio 1 makeup 0" % k in chain, chain
    # and at amount 1 the same data asks for both kinds
    p = pdrun.Patch()
    o = p.obj("smartmaster/smartassist")
    pr = p.obj("print OUT")
    p.connect(o, 0, pr, 0)
    p.send_at_load(o, " \\, ".join(msgs + ["crest 12", "range 20", "bang"]))
    p.quit_at_load()
    res = pdrun.run_patch(p.text(), name="adyn-one")
    props = [w[1:] for w in res.printed("OUT") if w[0] == "proposal"]
    assert any(w[0] == "dyneq" and w[3] == "7" for w in props), props
    assert any(w[0] == "multiband" and "threshold" in w for w in props), props


def test_bad_percentile_messages_are_reported():
    p = pdrun.Patch()
    o = p.obj("smartmaster/smartassist")
    p.send_at_load(o, "p50 1 2 3 \\, p95 foo \\, crest \\, crest bar \\, lock nothing")
    p.quit_at_load()
    res = pdrun.run_patch(p.text(), name="adyn-bad")
    errs = res.errors()
    for word in ("p50", "p95", "crest", "lock"):
        assert any(word in e and "smartassist" in e for e in errs), (word, errs)


def test_locks_keep_dynamics_untouched():
    """`lock comp` (ratio and threshold): no mbcomp~ message at all;
    `lock eq7`: no message for dyneq~ band 7, and the explanation says so;
    `lock ratio` alone: the bands keep their thresholds, without a ratio."""
    flat = [-40.0] * 31
    msgs = []
    for name, off in zip(("p10", "p50", "p80", "p95"), (-10, 0, 2, 14)):
        msgs.append(name + " " + " ".join("%g" % (v + off) for v in flat))

    def run(extra):
        p = pdrun.Patch()
        o = p.obj("smartmaster/smartassist")
        pr = p.obj("print OUT")
        p.connect(o, 0, pr, 0)
        p.send_at_load(o, " \\, ".join(msgs + ["range 20", "mode apply"] + extra +
                                       ["bang"]))
        p.quit_at_load()
        res = pdrun.run_patch(p.text(), name="adyn-lock")
        assert not res.errors(), res.errors()
        return ([" ".join(w[1:]) for w in res.printed("OUT") if w[0] == "chain"],
                [" ".join(w[1:]) for w in res.printed("OUT") if w[0] == "explain"])

    chain, explain = run(["lock comp", "lock eq7"])
    assert not any(c.startswith("comp") for c in chain), chain
    assert not any(c.startswith("eq band 7") for c in chain), chain
    assert any(c.startswith("eq band 8 type bell") for c in chain), chain
    assert any("band 7 is locked" in e for e in explain), explain
    assert any(e.startswith("multiband: locked by the user") for e in explain), explain
    chain, _ = run(["lock ratio"])
    comp = [c for c in chain if c.startswith("comp")]
    assert len(comp) == 4 and all("ratio" not in c and "threshold" in c for c in comp), comp


def test_reference_sets_the_dynamics_targets():
    """A reference with the mix's own band statistics (`reference add`):
    nothing stands out against it, so no dynamic band and no compression;
    at `match dynamics 0` the built-in targets are back."""
    flat = [-40.0] * 31
    msgs = []
    for name, off in zip(("p10", "p50", "p80", "p95"), (-10, 0, 2, 14)):
        msgs.append(name + " " + " ".join("%g" % (v + off) for v in flat))

    def run(extra):
        p = pdrun.Patch()
        o = p.obj("smartmaster/smartassist")
        pr = p.obj("print OUT")
        p.connect(o, 0, pr, 0)
        p.send_at_load(o, " \\, ".join(msgs + ["range 20", "reference add", "reset"] +
                                       msgs + ["range 20"] + extra + ["bang"]))
        p.quit_at_load()
        res = pdrun.run_patch(p.text(), name="adyn-ref")
        assert not res.errors(), res.errors()
        return [w[1:] for w in res.printed("OUT") if w[0] == "proposal"]

    props = run([])
    assert not any(w[0] == "dyneq" for w in props), props
    assert all(w[4:6] == ["ratio", "1"] for w in props if w[0] == "multiband"), props
    props = run(["match dynamics 0"])
    assert any(w[0] == "dyneq" for w in props), props
    assert any(w[0] == "multiband" and "threshold" in w for w in props), props
