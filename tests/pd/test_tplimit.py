"""tplimit~ in real Pd: the ceiling holds on stress signals (judged by a
16x band-limited reference and a 4x BS.1770-style meter written for the
tests, not by the limiter's own detector), latency, transparency,
distortion, click-free parameter moves, dither."""
import numpy as np

import pdrun
from signals import (bs1770_peak_4x, db, reference_peak_16x,
                     sine_fit_residual_db, tp_sine)

RNG = np.random.default_rng(7)


def limit(chans, flags="", sr=48000, at=(), tail_ms=20, block=64):
    y, res = pdrun.render(chans, "smartmaster/tplimit~ -ch %d %s" % (len(chans), flags),
                          len(chans), sr=sr, at=at, end=("bang",), tail_ms=tail_ms,
                          block=block, name="tplimit")
    assert not res.errors(), res.errors()
    return y, res


def overs(res):
    o = res.reports("OUT", "over")
    assert o, "no over report"
    return o[-1]


def one_pole_highpass(x, freq, sr):
    """Pd's [hip~]: y[n] = w[n] - w[n-1], w[n] = x[n] + c w[n-1]."""
    c = 1 - 2 * np.pi * freq / sr
    w = np.zeros(len(x) + 1)
    for i, v in enumerate(x):
        w[i + 1] = v + c * w[i]
    return w[1:] - w[:-1]


def stress_signals(sr):
    """(name, channels, drive dB) for the signals the issue lists."""
    n = sr  # one second each
    t = np.arange(n) / sr
    out = []
    out.append(("fs/4 sine at 45 deg, +3 dBTP", [tp_sine(0.25, 1.41, 45.0, sr)] * 2, 0))
    for ratio, ph in ((1 / 6, 30.0), (1 / 8, 22.5)):
        s = tp_sine(ratio, 1.0, ph, sr)
        out.append(("fs/%d sine, worst phase, +6 dB" % round(1 / ratio), [s, s], 6))
    for f in (100.0, 1000.0, 5000.0):
        sq = np.where(np.sin(2 * np.pi * f * t) >= 0, 1.0, -1.0)
        out.append(("naive square %g Hz" % f, [sq, sq], 6))
    # hard-clipped drums: kick (falling sweep) and snare (noise burst)
    drums = np.zeros(n)
    for start in range(0, n - sr // 4, sr // 4):
        k = np.arange(sr // 4)
        kick = np.sin(2 * np.pi * (50 + 100 * np.exp(-k / (0.02 * sr))) * k / sr) * np.exp(-k / (0.1 * sr))
        snare = RNG.uniform(-1, 1, sr // 4) * np.exp(-k / (0.05 * sr))
        drums[start:start + sr // 4] += 2.5 * kick + (1.5 * snare if (start // (sr // 4)) % 2 else 0)
    drums = np.clip(drums, -1, 1)
    out.append(("hard-clipped drums", [drums, np.roll(drums, 17)], 6))
    noise = np.clip(RNG.normal(0, 0.5, n), -1, 1)
    out.append(("hard-clipped noise", [noise, RNG.permutation(noise)], 6))
    out.append(("full-scale noise", [RNG.uniform(-1, 1, n), RNG.uniform(-1, 1, n)], 0))
    crest = np.concatenate([np.zeros(n // 2), np.cos(2 * np.pi * 997 * t[:n // 2])])
    out.append(("sine from its crest after silence", [crest, crest], 6))
    clicks = np.zeros(n)
    clicks[::sr // 10] = 1.0
    clicks[sr // 20::sr // 10] = -1.0
    out.append(("isolated full-scale clicks", [clicks, clicks], 0))
    # hats: noise bursts high-passed twice at 6 kHz (Pd's hip~), energy up
    # to fs/2 where true-peak detection is hardest
    hats = np.zeros(n)
    beat = sr // 8
    k = np.arange(beat)
    env = np.minimum(k / (0.0005 * sr), 1) * np.maximum(0, 1 - k / (0.05 * sr)) ** 2
    for start in range(0, n - beat, beat):
        hats[start:start + beat] = RNG.uniform(-1, 1, beat) * env
    hats = 3 * one_pole_highpass(one_pole_highpass(hats, 6000.0, sr), 6000.0, sr)
    out.append(("bright hats", [hats, 0.6 * hats], 6))
    one = np.sin(2 * np.pi * 440 * t)
    out.append(("over in one channel only", [one, 0.05 * RNG.uniform(-1, 1, n)], 6))
    return out


def music(sr, secs=4.0):
    """Music-like test signal: kick, snare, bass line, chords, hats."""
    n = int(sr * secs)
    t = np.arange(n) / sr
    beat = int(sr * 0.5)
    k = np.arange(beat)
    kick = np.sin(2 * np.pi * (45 + 120 * np.exp(-k / (0.015 * sr))) * k / sr) * np.exp(-k / (0.15 * sr))
    snare = RNG.normal(0, 0.4, beat) * np.exp(-k / (0.06 * sr))
    x = np.zeros(n)
    for i, s in enumerate(range(0, n - beat, beat)):
        x[s:s + beat] += kick + (snare if i % 2 else 0)
    bass = 0.3 * np.sin(2 * np.pi * 55 * t * (1 + (t % 2 > 1) * 0.5))
    chord = 0.08 * sum(np.sin(2 * np.pi * f * t) for f in (261.6, 329.6, 392.0, 523.3))
    hats = RNG.normal(0, 0.05, n) * (np.sin(2 * np.pi * 8 * t) > 0.7)
    x = 0.6 * (x + bass + chord) + hats
    left = x + 0.02 * RNG.normal(0, 1, n)
    right = np.roll(x, 11) + 0.02 * RNG.normal(0, 1, n)
    return [left / np.max(np.abs(left)), right / np.max(np.abs(right))]


def check_ceiling(chans, out, res, ceiling, what):
    c = 10 ** (ceiling / 20)
    for k, y in enumerate(out):
        sp = np.max(np.abs(y))
        assert sp <= c * (1 + 1e-6), "%s ch %d: sample peak %.4f dBFS over %g" % (
            what, k, db(sp), ceiling)
        tp4 = db(bs1770_peak_4x(y))
        assert tp4 <= ceiling + 0.001, "%s ch %d: 4x meter %.4f dBTP over %g" % (
            what, k, tp4, ceiling)
        tp16 = db(reference_peak_16x(y))
        assert tp16 <= ceiling + 0.1, "%s ch %d: 16x reference %.4f dBTP over %g + 0.1" % (
            what, k, tp16, ceiling)
    assert overs(res)[0] == 0, "%s: self-check counted overs %s" % (what, overs(res))


def test_ceiling_holds_on_stress_signals():
    for sr in (44100, 48000, 96000):
        for name, chans, drive in stress_signals(sr):
            out, res = limit(chans, "-gain %g" % drive, sr=sr)
            check_ceiling(chans, out, res, -1.0, "%s at %d Hz" % (name, sr))


def test_ceiling_holds_on_music_driven_6_to_20_db():
    for sr in (44100, 48000):
        x = music(sr)
        for drive in (6, 12, 20):
            out, res = limit(x, "-gain %g -ceiling -1" % drive, sr=sr)
            check_ceiling(x, out, res, -1.0, "music +%d dB at %d Hz" % (drive, sr))
            gr = min(v[0] for v in res.reports("OUT", "gr"))
            assert gr < -drive / 2, "music +%d dB: gain reduction only %.1f dB" % (drive, gr)
    out, res = limit(music(48000), "-gain 12 -ceiling -0.3 -link 0")
    check_ceiling(None, out, res, -0.3, "music, link 0, ceiling -0.3")


def test_latency_reported_equals_measured_delay():
    x = np.zeros(9600)
    x[3000] = 0.25
    for sr in (44100, 48000, 96000):
        for flags in ("", "-bypass 1", "-lookahead 5"):
            out, res = limit([x, x], flags, sr=sr)
            lat = res.reports("OUT", "latency")
            assert lat, "no latency report"
            delay = int(np.argmax(np.abs(out[0]))) - 3000
            assert lat[0][0] == delay, "%s at %d: reported %s, measured %d" % (
                flags, sr, lat[0], delay)
            assert abs(lat[0][1] - 1000.0 * delay / sr) < 1e-3
            if flags == "" and sr == 48000:
                assert lat[0][1] <= 2.0, "default latency %.3f ms > 2 ms" % lat[0][1]


def test_transparent_below_the_ceiling():
    n = 48000
    t = np.arange(n) / 48000
    x = 10 ** (-3 / 20) * np.sin(2 * np.pi * 1000 * t) * np.minimum(1, t * 50)
    noise = 0.2 * RNG.uniform(-1, 1, n)
    out, res = limit([x, noise], "")
    lat = int(res.reports("OUT", "latency")[0][0])
    for k, ref in enumerate((x, noise)):
        diff = out[k][lat:lat + n] - ref
        assert np.max(np.abs(diff)) < 1e-6, "ch %d differs by %.1f dBFS" % (
            k, db(np.max(np.abs(diff))))
    # once limiting has released, the output is again identical
    loud = np.concatenate([4 * x[:12000], np.tile(x[24000:48000], 6)])
    out, res = limit([loud, loud], "")
    tail = out[0][lat + 140000:lat + 150000] - loud[140000:150000]
    assert np.max(np.abs(tail)) < 1e-6, "not transparent after release: %.1f dBFS" % db(
        np.max(np.abs(tail)))


def test_distortion_of_limited_sines():
    sr = 48000
    for freq, limit_db in ((1000.0, -100.0), (100.0, -60.0)):
        t = np.arange(3 * sr) / sr
        c = 10 ** (-1 / 20)
        x = c * 10 ** (6 / 20) * np.sin(2 * np.pi * freq * t)
        out, res = limit([x, x], "-ceiling -1")
        steady = out[0][sr:3 * sr]
        thd = sine_fit_residual_db(steady, freq, sr)
        assert thd < limit_db, "%g Hz: THD+N %.1f dB (limit %g)" % (freq, thd, limit_db)
        peak = db(reference_peak_16x(out[0]))
        assert -1.1 < peak <= -0.9, "%g Hz: level %.3f dBTP, expected the ceiling" % (freq, peak)


def hf_energy_db(y, sr, start, stop, cutoff=6000.0):
    """Largest energy above `cutoff` Hz in 10 ms Hann windows, dB re full
    scale. A click (a step in the waveform or its slope) spreads energy
    over the whole spectrum; a smooth gain change of a 100 Hz sine keeps it
    below a few hundred Hz."""
    n = int(0.01 * sr)
    w = np.hanning(n)
    f = np.fft.rfftfreq(n, 1 / sr)
    worst = -300.0
    for a in range(start, stop - n, n // 2):
        spec = np.abs(np.fft.rfft(y[a:a + n] * w)) / (w.sum() / 2)
        e = np.sqrt(np.sum(spec[f > cutoff] ** 2))
        worst = max(worst, 20 * np.log10(e + 1e-30))
    return worst


def test_parameter_moves_are_click_free():
    sr = 48000
    t = np.arange(4 * sr) / sr
    x = 0.9 * np.sin(2 * np.pi * 100 * t)
    moves = [(500, "ceiling -6"), (900, "gain 6"), (1300, "release 5"),
             (1700, "ceiling -0.5"), (2100, "bypass 1"), (2500, "bypass 0"),
             (2900, "link 0"), (3300, "gain -6"), (3600, "lookahead 4")]
    out, res = limit([x, x], "", at=moves)
    # what a click looks like in this measure: the same sine with its gain
    # stepping by 1 dB from one sample to the next (about -50 dB)
    step = x.copy()
    step[2 * sr + sr // 400:] *= 10 ** (-1 / 20)  # at a crest
    click = hf_energy_db(step, sr, sr // 4, 4 * sr)
    moved = hf_energy_db(out[0], sr, sr // 4, 4 * sr)
    # a limiter reaches new gain reduction with its attack (the lookahead,
    # 1.4 ms): that is a fast fade, not a click, and stays 20 dB below one
    assert moved < click - 20, "parameter moves leave %.1f dB above 6 kHz, a " \
        "1 dB gain step %.1f dB" % (moved, click)


def test_dither_rounds_to_16_bits_and_keeps_the_ceiling():
    x = music(48000, 2.0)
    out, res = limit(x, "-gain 10 -dither 16")
    for y in out:
        q = y * 32768
        assert np.max(np.abs(q - np.round(q))) < 1e-3, "not on the 16-bit grid"
        assert np.max(np.abs(y)) <= 10 ** (-1 / 20)
        assert db(bs1770_peak_4x(y)) <= -1.0 + 0.001
    # dither is there: silence in, +-1 LSB noise out
    out, res = limit([np.zeros(48000), np.zeros(48000)], "-dither 16")
    lsb = np.round(out[0][5000:] * 32768)
    assert set(np.unique(lsb)) <= {-1, 0, 1} and np.std(lsb) > 0.3, np.unique(lsb)


def test_over_counter_stays_zero_while_the_ceiling_moves():
    # lowering the ceiling while limiting: each output step is judged
    # against the ceiling its gain was computed for
    x = tp_sine(0.25, 1.41, 45.0, 48000, 3.0)
    out, res = limit([x, x], "", at=[(1000, "ceiling -3"), (2000, "ceiling -6")])
    assert overs(res)[0] == 0, "over %s" % overs(res)
    tail = out[0][int(2.2 * 48000):int(3.0 * 48000)]
    assert db(np.max(np.abs(tail))) <= -6.0, "sample peak %.3f dBFS" % db(np.max(np.abs(tail)))


def test_output_independent_of_block_size():
    # the limiter works on a fixed 64-sample grid of the stream: Pd's block
    # size (1, 64, 2048) must not change one output sample, while limiting
    # (music +12 dB, linked and unlinked) and the ceiling holds in each
    x = music(48000, 1.5)
    for flags in ("-gain 12", "-gain 12 -link 0"):
        outs = []
        for block in (1, 64, 2048):
            out, res = limit(x, flags, block=block)
            check_ceiling(x, out, res, -1.0, "%s block %d" % (flags, block))
            outs.append(out)
        for out, block in zip(outs[1:], (64, 2048)):
            for k in range(2):
                n = min(len(out[k]), len(outs[0][k]))
                assert np.array_equal(out[k][:n], outs[0][k][:n]), \
                    "%s: block %d differs from block 1 (ch %d)" % (flags, block, k)
