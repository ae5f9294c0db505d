"""lufs~ loaded in real Pd (batch mode), fed synthesized EBU test signals
(Tech 3341 cases 1-6 and 9-23, Tech 3342 cases 1-4).

Expected values and tolerances are those of EBU Tech 3341 (V3/V4, Table 1)
and Tech 3342 (Table 1); others are derived analytically in each test."""
import os

import numpy as np

import pdrun
from signals import tones, tp_sine, tp_burst, oversampled_peak, db

SR = 48000


def measure(chans, sr=SR, flags="", at=(), end=("bang",), block=64, name="lufs"):
    path = os.path.join(pdrun.OUT, name + ".wav")
    pdrun.write_wav(path, chans, sr)
    obj = "smartmaster/lufs~ -ch %d %s" % (len(chans), flags)
    res = pdrun.play_through(path, len(chans), obj, sr=sr, block=block, at=at,
                             end=end, name=name)
    os.unlink(path)
    assert pdrun.done(res), "Pd did not finish: " + res.log[-500:]
    assert not res.errors(), res.errors()
    return res


def last(res, sel):
    r = res.reports("OUT", sel)
    assert r, "no %s report" % sel
    return r[-1]


def near(value, expected, tol, what):
    assert abs(value - expected) <= tol, "%s: %.3f, expected %.3f +- %g" % (
        what, value, expected, tol)


def after_mark(res, sel, mark_ms):
    """Values of every `sel` report printed after `MARK: mark_ms`."""
    lines = [w for w in res.lines if w.startswith("OUT: " + sel + " ") or
             w.startswith("MARK:")]
    return [float(w.split()[2]) for w in lines[lines.index("MARK: %g" % mark_ms) + 1:]
            if w.startswith("OUT:")]


def stereo(x):
    return [x, x]


def test_ebu3341_cases_1_2_momentary_shortterm_integrated():
    for case, level in ((1, -23.0), (2, -33.0)):
        res = measure(stereo(tones([(20, level)])), name="c%d" % case)
        for sel in ("momentary", "shortterm", "integrated"):
            near(last(res, sel)[0], level, 0.1, "case %d %s" % (case, sel))


def test_ebu3341_cases_3_4_5_integrated_with_gating():
    cases = {3: [(10, -36), (60, -23), (10, -36)],
             4: [(10, -72), (10, -36), (60, -23), (10, -36), (10, -72)],
             5: [(20, -26), (20.1, -20), (20, -26)]}
    for case, seg in cases.items():
        res = measure(stereo(tones(seg)), name="c%d" % case)
        near(last(res, "integrated")[0], -23.0, 0.1, "case %d integrated" % case)


def test_ebu3341_case_6_five_channels():
    # L, R -28; C -24; Ls, Rs -30 dBFS; default 5-channel weights
    chans = [tones([(20, l)]) for l in (-28, -28, -24, -30, -30)]
    res = measure(chans, name="c6")
    near(last(res, "integrated")[0], -23.0, 0.1, "case 6 integrated")


def test_ebu3341_case_9_shortterm_constant():
    seg = [(1.34, -20), (1.66, -30)] * 5
    res = measure(stereo(tones(seg)), flags="-interval 10",
                  at=[(3000, "bang")], name="c9")
    after = after_mark(res, "shortterm", 3000)
    assert len(after) > 1000, len(after)
    for v in after:
        near(v, -23.0, 0.1, "case 9 short-term after 3 s")


def test_ebu3341_case_12_momentary_constant():
    seg = [(0.18, -20), (0.22, -30)] * 25
    res = measure(stereo(tones(seg)), flags="-interval 5",
                  at=[(1000, "bang")], name="c12")
    after = after_mark(res, "momentary", 1000)
    assert len(after) > 1500, len(after)
    for v in after:
        near(v, -23.0, 0.1, "case 12 momentary after 1 s")


def test_ebu3341_case_13_max_momentary_of_bursts():
    # file-based meters: each of 20 files read from a reset meter
    for i in range(20):
        x = tones([(i * 0.02, None), (0.4, -23), (1.0, None)])
        res = measure(stereo(x), name="c13-%d" % i)
        near(last(res, "maxmomentary")[0], -23.0, 0.1, "case 13 file %d" % (i + 1))


def test_ebu3341_case_14_live_momentary_every_block():
    seg = []
    for i in range(20):
        seg += [(i * 0.02, None), (0.4, -38.0 + i), (0.4 - i * 0.02, None)]
    res = measure(stereo(tones(seg)), flags="-interval 0", name="c14")
    m = [v[0] for v in res.reports("OUT", "momentary")]
    per_unit = int(0.8 * SR / 64)  # one report per 64-sample block
    assert len(m) >= 20 * per_unit - 2, len(m)
    for i in range(20):
        unit = m[i * per_unit:(i + 1) * per_unit]
        near(max(unit), -38.0 + i, 0.1, "case 14 tone %d" % (i + 1))


def test_ebu3341_cases_15_to_19_true_peak():
    cases = {15: (0.25, 0.5, 0.0, -6.0), 16: (0.25, 0.5, 45.0, -6.0),
             17: (1 / 6, 0.5, 60.0, -6.0), 18: (0.125, 0.5, 67.5, -6.0),
             19: (0.25, 1.41, 45.0, 3.0)}
    for case, (ratio, amp, phase, expected) in cases.items():
        x = tp_sine(ratio, amp, phase)
        res = measure(stereo(x), name="c%d" % case)
        tp = last(res, "truepeak")[0]
        assert expected - 0.4 <= tp <= expected + 0.2, "case %d: %.3f dBTP" % (case, tp)
        # and against the analytic peak of the sine (20 log10 amp), within the
        # 4x worst-case under-read at this frequency
        under = -db(np.cos(np.pi * ratio / 4))
        ref = db(amp)
        assert ref - under - 0.02 <= tp <= ref + 0.02, "case %d: %.3f vs %.3f" % (
            case, tp, ref)
        near(last(res, "samplepeak")[0], db(np.max(np.abs(x))), 0.001,
             "case %d sample peak" % case)


def test_ebu3341_cases_20_to_23_true_peak_bursts():
    for case, offset in ((20, 0), (21, 1), (22, 2), (23, 3)):
        x = tp_burst(offset)
        res = measure(stereo(x), name="c%d" % case)
        tp = last(res, "truepeak")[0]
        assert -0.4 <= tp <= 0.2, "case %d: %.3f dBTP" % (case, tp)
        ref = db(oversampled_peak(x))
        near(tp, ref, 0.2, "case %d vs 16x reference" % case)


def test_ebu3342_cases_1_to_4_loudness_range():
    cases = {1: ([(20, -20), (20, -30)], 10), 2: ([(20, -20), (20, -15)], 5),
             3: ([(20, -40), (20, -20)], 20),
             4: ([(20, -50), (20, -35), (20, -20), (20, -35), (20, -50)], 15)}
    for case, (seg, lra) in cases.items():
        res = measure(stereo(tones(seg)), name="lra%d" % case)
        near(last(res, "range")[0], lra, 1.0, "Tech 3342 case %d" % case)


def test_sample_rates_and_block_sizes():
    for sr in (44100, 96000, 192000):
        x = tones([(6, -23)], sr=sr)
        res = measure(stereo(x), sr=sr, name="sr%d" % sr)
        for sel in ("momentary", "shortterm", "integrated"):
            near(last(res, sel)[0], -23.0, 0.1, "%d Hz %s" % (sr, sel))
    x = tones([(4, -23)])
    for block in (1, 4096):
        res = measure(stereo(x), block=block, name="blk%d" % block)
        for sel in ("maxmomentary", "maxshortterm", "integrated"):
            near(last(res, sel)[0], -23.0, 0.1, "block %d %s" % (block, sel))


def test_measurement_survives_dsp_rebuild():
    # 5 s at -13 dBFS then 5 s at -33: gated integrated is -13. Had the
    # rebuild at 5 s restarted the measurement, it would read -33.
    x = tones([(5, -13), (5, -33)])
    res = measure(stereo(x), at=[(5000, "bang"), (5001, "bang")],
                  name="rebuild",
                  end=("bang",))
    near(last(res, "integrated")[0], -13.0, 0.1, "without rebuild")
    res = measure(stereo(x), name="rebuild2",
                  at=[(5000, "bang \\; pd-dut obj 10 300 osc~ 1 \\; pd-dut "
                              "obj 10 330 *~ 0")])
    near(last(res, "integrated")[0], -13.0, 0.1, "after a rebuild")
    near(last(res, "maxmomentary")[0], -13.0, 0.1, "max momentary after a rebuild")


def test_interval_sets_report_rate():
    x = tones([(3, -23)])
    res = measure(stereo(x), flags="-interval 100", end=(), name="iv")
    n = len(res.reports("OUT", "momentary"))
    assert 29 <= n <= 31, n
    res = measure(stereo(tones([(1, -23)])), flags="-interval 0", end=(), name="iv0")
    # one report per block while the file plays, plus the few blocks that
    # run between the end of the file and quitting
    n = len(res.reports("OUT", "momentary"))
    assert SR // 64 <= n <= SR // 64 + 4, n


def test_pause_holds_measurements():
    x = tones([(4, -20), (4, -30)])
    res = measure(stereo(x), at=[(4000, "pause 1")], name="pause")
    # only the -20 dBFS part was integrated; without the pause the gated
    # mean of both halves would read 10 log10((0.01 + 0.001) / 2) = -22.6
    near(last(res, "integrated")[0], -20.0, 0.1, "integrated")
    near(last(res, "momentary")[0], -20.0, 0.1, "momentary held")


def gated_integrated(segments, sr=SR):
    """BS.1770-4 gated loudness of a stepped 1 kHz stereo tone, computed
    from the definition: the tone's loudness equals its peak level in dBFS
    (the K-weighting is 0 dB-referenced at 1 kHz, EBU Tech 3341 case 1), so
    each sample carries energy 10^(level/10); 400 ms blocks every 100 ms,
    absolute gate -70 LUFS, relative gate -10 LU."""
    e = np.concatenate([np.full(int(round(s * sr)), 0.0 if l is None else 10 ** (l / 10))
                        for s, l in segments])
    block, hop = int(0.4 * sr), int(0.1 * sr)
    z = np.array([e[i:i + block].mean() for i in range(0, len(e) - block + 1, hop)])
    z = z[z > 10 ** (-7.0)]
    rel = 10 * np.log10(z.mean()) - 10
    return 10 * np.log10(z[z > 10 ** (rel / 10)].mean())


def test_mark_reports_pieces_and_the_whole_set():
    seg = [(6, -20), (1, None), (5, -26)]
    res = measure(stereo(tones(seg)), at=[(6500, "mark")], end=("mark", "bang"),
                  name="mark")
    pieces = res.reports("OUT", "piece")
    assert len(pieces) == 2, pieces
    assert pieces[0][0] == 1 and pieces[1][0] == 2
    near(pieces[0][1], -20.0, 0.1, "piece 1 integrated")
    near(pieces[1][1], -26.0, 0.1, "piece 2 integrated")
    near(pieces[0][3], -20.0, 0.05, "piece 1 true peak")
    near(pieces[1][3], -26.0, 0.05, "piece 2 true peak")
    near(last(res, "integrated")[0], gated_integrated(seg), 0.1,
         "whole set integrated")


def test_weights_and_silence():
    x = tones([(5, -23)])
    z = np.zeros_like(x)
    res = measure([x, z], name="w1")
    near(last(res, "integrated")[0], -23.0 - 10 * np.log10(2), 0.1, "one channel")
    res = measure([x, z], at=[(0, "weights 2 0")], name="w2")
    near(last(res, "integrated")[0], -23.0, 0.1, "dual mono weight 2")
    res = measure([z, z], name="silence")
    for sel in ("momentary", "shortterm", "integrated", "truepeak", "samplepeak"):
        assert last(res, sel)[0] == -150, (sel, last(res, sel))
    assert last(res, "range")[0] == 0 and last(res, "plr")[0] == 0


def test_reset_during_a_steady_tone_keeps_true_peak_right():
    # an fs/4 sine at 45 degrees (EBU Tech 3341 case 16: -6.0 dBTP) with a
    # reset in the middle: the reading after the reset is the tone's own
    x = tp_sine(0.25, 0.5, 45.0, secs=4.0)
    res = measure(stereo(x), at=[(2000, "reset")], name="resettp")
    tp = last(res, "truepeak")[0]
    assert -6.4 <= tp <= -5.8, "true peak after reset %.3f dBTP" % tp
    near(tp, db(0.5), 0.02, "true peak after reset vs the sine's peak")


def test_ebu3341_case_10_max_shortterm_of_bursts():
    # file-based meters: 20 files, each read from a reset meter
    for i in range(20):
        x = tones([(i * 0.15, None), (3.0, -23), (1.0, None)])
        res = measure(stereo(x), name="c10-%d" % i)
        near(last(res, "maxshortterm")[0], -23.0, 0.1, "case 10 file %d" % (i + 1))


def test_ebu3341_case_11_live_shortterm():
    # live meters: 20 tones stepping up by 1 dB, each in its own 6 s unit;
    # the short-term maximum within each unit is the tone's level
    seg = []
    for i in range(20):
        seg += [(i * 0.15, None), (3.0, -38.0 + i), (3.0 - i * 0.15, None)]
    res = measure(stereo(tones(seg)), flags="-interval 10", name="c11")
    s = [v[0] for v in res.reports("OUT", "shortterm")]
    per_unit = 600  # reports per 6 s unit at 10 ms
    assert len(s) >= 20 * per_unit - 5, len(s)
    for i in range(20):
        near(max(s[i * per_unit:(i + 1) * per_unit]), -38.0 + i, 0.1,
             "case 11 tone %d" % (i + 1))
