"""[smartmaster/smartmaster~] and masterchain~'s width stage in real Pd.

Expected values come from outside the patches: bit-for-bit comparison with a
bare [masterchain~] (or with the chain patched by hand from the externals),
mid/side levels and 1/3-octave spectra computed here with numpy, the delay
of an impulse measured on the output. Criteria D1/D2 and B1 (latency) of
research notes smart-mastering.md §7.7."""
import os

import numpy as np

import pdrun

SR = 48000


def render(obj, chans, at=(), name="smab"):
    y, res = pdrun.render(chans, obj, 2, sr=SR, at=at, tail_ms=20, name=name,
                          msg_inlet=2)
    assert not res.errors(), res.errors()[:10]
    return y, res


def tilted_noise(seconds, slope_db_oct, rms, seed):
    """Stereo noise whose 1/3-octave band levels rise by slope_db_oct per
    octave (0 = pink, +3 = white); L and R share the mid, plus a quieter
    independent side so the stereo path is exercised."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    f = np.fft.rfftfreq(n, 1.0 / SR)
    f[0] = f[1]
    shape = f ** ((slope_db_oct / (10 * np.log10(2)) - 1) / 2)  # amplitude

    def one():
        x = np.fft.irfft(np.fft.rfft(rng.standard_normal(n)) * shape, n)
        return x / np.sqrt(np.mean(x ** 2))

    m, s = one(), 0.3 * one()
    return [rms * (m + s), rms * (m - s)]


def third_octave_levels(x, lo=40.0, hi=16000.0):
    """(centres, band levels in dB) of x from lo to hi Hz, by FFT power."""
    p = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    f = np.fft.rfftfreq(len(x), 1.0 / SR)
    centres = 1000.0 * 2.0 ** (np.arange(-15, 14) / 3.0)
    centres = centres[(centres >= lo) & (centres <= hi)]
    lv = [10 * np.log10(np.sum(p[(f >= c * 2 ** (-1 / 6)) & (f < c * 2 ** (1 / 6))]) + 1e-30)
          for c in centres]
    return centres, np.array(lv)


def tilt_db_oct(x):
    c, lv = third_octave_levels(x)
    return np.polyfit(np.log2(c), lv, 1)[0]


def out_words(res, selector):
    return [w for w in res.printed("OUT") if w and w[0] == selector]


def ms_db(a, b):
    return 20 * np.log10(np.sqrt(np.mean(a ** 2)) / np.sqrt(np.mean(b ** 2)))


# ------------------------------------------------------- masterchain~ width

OLD_CHAIN = """#N canvas 0 0 600 400 12;
#X obj 10 10 inlet~;
#X obj 100 10 inlet~;
#X obj 200 10 inlet;
#X obj 10 100 *~;
#X obj 100 100 *~;
#X obj 200 70 line~;
#X obj 300 10 loadbang;
#X msg 200 40 1 20;
#X obj 10 150 smartmaster/dyneq~ -ch 2;
#X obj 10 200 smartmaster/mbcomp~ -ch 2;
#X msg 300 170 ratio 1;
#X obj 10 250 smartmaster/tplimit~ -ch 2;
#X obj 10 300 outlet~;
#X obj 100 300 outlet~;
#X obj 200 300 outlet;
#X connect 0 0 3 0;
#X connect 1 0 4 0;
#X connect 5 0 3 1;
#X connect 5 0 4 1;
#X connect 6 0 7 0;
#X connect 7 0 5 0;
#X connect 6 0 10 0;
#X connect 10 0 9 0;
#X connect 3 0 8 0;
#X connect 4 0 8 1;
#X connect 8 0 9 0;
#X connect 8 1 9 1;
#X connect 9 0 11 0;
#X connect 9 1 11 1;
#X connect 11 0 12 0;
#X connect 11 1 13 0;
"""


def test_width_0_leaves_the_chain_bit_identical():
    """The chain as it was before the width stage and the 8 bands (patched
    here by hand from the externals: gain, 4-band dyneq~, mbcomp~ at ratio
    1, tplimit~) and masterchain~ at width 0 give the same samples; so does
    masterchain~ brought back to 0 dB after -6 dB, once the glide is over."""
    x = tilted_noise(1.0, 0.0, 0.1, 1)
    with open(os.path.join(pdrun.OUT, "smab-oldchain~.pd"), "w") as f:
        f.write(OLD_CHAIN)
    old, _ = render("smab-oldchain~", x, name="smab-old")
    now, _ = render("smartmaster/masterchain~", x, name="smab-now")
    assert np.array_equal(old, now), "width 0: %d samples differ" % np.sum(old != now)
    back, _ = render("smartmaster/masterchain~", x,
                     at=[(0, "width -6"), (300, "width 0")], name="smab-back")
    k = int(0.4 * SR)  # the glide back ends 350 ms in
    assert not np.array_equal(back[:, :k], now[:, :k]), "width -6 did nothing"
    assert np.array_equal(back[:, k:], now[:, k:]), "width back at 0 is not exact"


def test_width_scales_the_side_and_keeps_the_mid():
    x = tilted_noise(1.0, 0.0, 0.1, 2)
    ref, _ = render("smartmaster/masterchain~", x, name="smab-w0")
    k = int(0.2 * SR)  # after the 50 ms glide
    for db, expect in ((-6, -6.0), (3, 3.0), (12, 6.0), (-30, -24.0)):
        y, res = render("smartmaster/masterchain~", x, at=[(0, "width %g" % db)],
                        name="smab-w")
        mid, side = (y[0] + y[1]) / 2, (y[0] - y[1]) / 2
        mid0, side0 = (ref[0] + ref[1]) / 2, (ref[0] - ref[1]) / 2
        got = ms_db(side[k:], side0[k:])
        assert abs(got - expect) < 0.01, "width %g: side %.3f dB, expected %.1f" % (db, got, expect)
        err = ms_db(mid[k:] - mid0[k:], mid0[k:])
        assert err < -100, "width %g changed the mid: error %.1f dB" % (db, err)
        msgs = [" ".join(w) for w in res.printed("masterchain~")]
        if db != expect:
            assert any(("width %g" % db) in m and "-24 to 6 dB" in m and
                       m.endswith("using %g" % expect) for m in msgs), msgs
        else:
            assert not msgs, msgs
    # a glide, not a jump: 25 ms into the 50 ms glide the side gain is about
    # halfway from 1 to 0.5 (the chain's latency shifts it by 2 ms)
    y, _ = render("smartmaster/masterchain~", x, at=[(100, "width -6")], name="smab-w")
    a = int(0.125 * SR)
    seg = slice(a, a + 96)
    ratio = np.sum((y[0] - y[1])[seg] * (ref[0] - ref[1])[seg]) / np.sum((ref[0] - ref[1])[seg] ** 2)
    assert 0.6 < ratio < 0.9, "side gain 25-27 ms into the glide: %.3f" % ratio


# ----------------------------------------------------------- smartmaster~

def test_suggest_mode_is_bit_identical_to_masterchain():
    """D2: in suggest mode (the default) the assistant proposes but nothing
    reaches the chain: the output equals a bare masterchain~'s sample for
    sample, with proposals made during the run."""
    x = tilted_noise(3.0, 3.0, 0.05, 3)
    bare, _ = render("smartmaster/masterchain~", x, name="smab-bare")
    y, res = render("smartmaster/smartmaster~", x, at=[(1000, "bang"), (2000, "bang")],
                    name="smab-sugg")
    props = out_words(res, "proposal")
    assert any(w[1] == "eq" for w in props), props  # it did propose EQ
    assert not out_words(res, "chain"), out_words(res, "chain")
    assert np.array_equal(y, bare), "suggest mode: %d samples differ" % np.sum(y != bare)


def test_suggest_mode_on_the_demo_song():
    """D2 on music: the demo song through smartmaster~ (suggest mode, a
    proposal made 8 s in) and through a bare masterchain~ side by side in
    one patch: the same samples."""
    frames = 10 * SR
    p = pdrun.Patch()
    for k in range(4):
        p.table("o%d" % k, frames)
    song = p.obj("smartmaster/sm-demosong")
    L, R = p.obj("*~ 1"), p.obj("*~ 1")
    for o in range(8):
        p.connect(song, o, L if o % 2 == 0 else R, 0)
    sm = p.obj("smartmaster/smartmaster~")
    mc = p.obj("smartmaster/masterchain~")
    for i, s in enumerate((L, R)):
        p.connect(s, 0, sm, i)
        p.connect(s, 0, mc, i)
    tw = [p.obj("tabwrite~ o%d" % k) for k in range(4)]
    for k in range(2):
        p.connect(sm, k, tw[k], 0)
        p.connect(mc, k, tw[2 + k], 0)
    pr = p.obj("route proposal")
    p.connect(sm, 2, pr, 0)
    pp = p.obj("print PROPOSAL")
    p.connect(pr, 0, pp, 0)
    lb = p.obj("loadbang")
    st = p.msg("\\; pd dsp 1")
    p.connect(lb, 0, st, 0)
    pl = p.msg("play")
    p.connect(lb, 0, pl, 0)
    p.connect(pl, 0, song, 0)
    for t in tw:
        p.connect(lb, 0, t, 0)
    d1 = p.obj("delay 8000")
    p.connect(lb, 0, d1, 0)
    bg = p.msg("bang")
    p.connect(d1, 0, bg, 0)
    p.connect(bg, 0, sm, 2)
    d2 = p.obj("delay %g" % (1000.0 * (frames + 128) / SR))
    p.connect(lb, 0, d2, 0)
    wav = os.path.join(pdrun.OUT, "smab-song.wav")
    wr = p.msg("write -wave -bytes 4 %s o0 o1 o2 o3" % os.path.basename(wav))
    p.connect(d2, 0, wr, 0)
    sf = p.obj("soundfiler")
    p.connect(wr, 0, sf, 0)
    pdrun.quit_after(p, d2)
    res = pdrun.run_patch(p.text(), name="smab-song", timeout=300)
    assert pdrun.done(res), res.log[-800:]
    assert not res.errors(), res.errors()[:10]
    assert res.printed("PROPOSAL"), "no proposal was made"
    y, _ = pdrun.read_wav(wav)
    os.unlink(wav)
    assert np.max(np.abs(y[2])) > 0.01, "the song did not play"
    assert np.array_equal(y[:2], y[2:]), "%d samples differ" % np.sum(y[:2] != y[2:])


def test_user_chain_message_reaches_the_chain_exactly():
    """`chain <message>` is the chain's own message: the same output as
    masterchain~ given it directly."""
    x = tilted_noise(1.5, 0.0, 0.05, 4)
    eq = "eq band 1 type lowshelf freq 120 q 0.7 gain 3 on 1"
    bare, _ = render("smartmaster/masterchain~", x, at=[(0, eq), (0, "width -3")],
                     name="smab-bare")
    y, _ = render("smartmaster/smartmaster~", x,
                  at=[(0, "chain " + eq), (0, "chain width -3"), (700, "bang")],
                  name="smab-user")
    assert np.array_equal(y, bare), "%d samples differ" % np.sum(y != bare)


def test_apply_moves_the_tilt_toward_the_target():
    """Apply mode: white noise (+3 dB/oct against pink) is far brighter than
    the built-in target (-3.5 dB/oct): the applied EQ must tilt the output
    down, measured here on the 1/3-octave spectrum."""
    x = tilted_noise(3.5, 3.0, 0.05, 5)
    y, res = render("smartmaster/smartmaster~", x,
                    at=[(0, "mode apply"), (0, "amount loudness 0"), (1500, "bang")],
                    name="smab-apply")
    chain = [" ".join(w[1:]) for w in out_words(res, "chain")]
    assert any(c.startswith("eq band") and "on 1" in c for c in chain), chain
    k = int(2.0 * SR)
    t_in = tilt_db_oct((x[0] + x[1])[k:] / 2)
    t_out = tilt_db_oct((y[0] + y[1])[k:] / 2)
    assert t_out < t_in - 0.5, "tilt in %.2f, out %.2f dB/oct" % (t_in, t_out)


def test_user_setting_locks_the_parameter():
    """A user's `chain eq band 1 ...` locks slot 1: in apply mode the
    assistant proposes and sends other bands but never band 1 (without the
    lock it does, on the same signal)."""
    x = tilted_noise(3.0, 3.0, 0.05, 6)
    at = [(0, "mode apply"), (1000, "bang"), (2000, "bang")]
    _, free = render("smartmaster/smartmaster~", x, at=at, name="smab-free")
    chain = [" ".join(w[1:]) for w in out_words(free, "chain")]
    assert any(c.startswith("eq band 1 ") for c in chain), chain
    user = "chain eq band 1 type lowshelf freq 100 q 0.7 gain 3 on 1"
    _, res = render("smartmaster/smartmaster~", x, at=[(0, user)] + at, name="smab-lock")
    chain = [" ".join(w[1:]) for w in out_words(res, "chain")]
    assert any(c.startswith("eq band") for c in chain), chain
    assert not any(c.startswith("eq band 1 ") for c in chain), chain
    props = [" ".join(w[1:]) for w in out_words(res, "proposal")]
    assert not any("eq band 1 " in p for p in props), props


def test_amount_0_apply_is_neutral():
    """D1: amount 0 in apply mode sends neutral settings (gains 0, ratio 1,
    bands off): the output equals the default masterchain~'s exactly."""
    x = tilted_noise(3.0, 3.0, 0.05, 7)
    bare, _ = render("smartmaster/masterchain~", x, name="smab-bare")
    y, res = render("smartmaster/smartmaster~", x,
                    at=[(0, "amount 0"), (0, "mode apply"), (1000, "bang"), (2000, "bang")],
                    name="smab-zero")
    assert out_words(res, "chain"), "nothing was applied"
    assert np.array_equal(y, bare), "amount 0: %d samples differ" % np.sum(y != bare)


def test_reported_latency_is_measured_and_ab_is_aligned():
    """The latency smartmaster~ reports (masterchain~'s) is the delay of an
    impulse through the bypassed chain, and A of the A/B (the input) comes
    out with the same delay."""
    x = np.zeros(SR)
    x[SR // 2] = 0.5
    y, res = render("smartmaster/smartmaster~", [x, x], at=[(0, "chain bypass 1")],
                    name="smab-lat")
    lat = res.reports("OUT", "latency")
    assert lat, "no latency report"
    measured = int(np.argmax(np.abs(y[0]))) - SR // 2
    assert lat[-1][0] == measured, "reported %s, measured %d" % (lat[-1], measured)
    y, res = render("smartmaster/smartmaster~", [x, x],
                    at=[(0, "ab 1"), (0, "ab select a")], name="smab-lat")
    assert int(np.argmax(np.abs(y[0]))) - SR // 2 == measured, \
        "A delayed by %d, chain %d" % (int(np.argmax(np.abs(y[0]))) - SR // 2, measured)


def test_reset_measures_afresh():
    """`reset` (and `learn`) restart the input analysis too: after 2 s of
    bright noise, a reset, then 2 s of dark noise, the proposal's spectral
    distance is the one of the dark noise alone (the bright part
    forgotten), not the distance of the mixture (without the reset)."""
    bright = tilted_noise(2.0, 6.0, 0.05, 8)
    dark = tilted_noise(2.0, -6.0, 0.05, 9)
    x = [np.concatenate([b, d]) for b, d in zip(bright, dark)]

    def distance(chans, at, when):
        _, res = render("smartmaster/smartmaster~", chans, at=at + [(when, "bang")],
                        name="smab-reset")
        d = res.reports("OUT", "distance")
        assert d, "no distance report"
        return d[-1][0]

    alone = distance(dark, [], 1900)
    fresh = distance(x, [(2000, "reset")], 3900)
    mixed = distance(x, [], 3900)
    assert abs(fresh - alone) < 0.5, "after reset %.2f dB, dark alone %.2f" % (fresh, alone)
    learnt = distance(x, [(2000, "learn 10")], 3900)
    assert abs(learnt - alone) < 0.5, "learning %.2f dB, dark alone %.2f" % (learnt, alone)
    assert abs(mixed - alone) > 2, "the mixture %.2f dB is not distinct (%.2f)" % (mixed, alone)


def test_reference_add_starts_the_mix_analysis_afresh():
    """A reference (noise tilted +3 dB/oct re pink) is played, taken with
    `reference add`, then the mix (pink noise): the tonal distance the
    assistant reports must be that of the mix alone against the reference,
    as numpy measures it (about 3 dB/oct over 40 Hz..16 kHz), not that of the
    mixture of both, which is much smaller."""
    a = tilted_noise(6.0, 3.0, 0.05, 11)
    b = tilted_noise(6.0, 0.0, 0.05, 12)
    x = [np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]])]
    _, res = render("smartmaster/smartmaster~", x,
                    at=[(6000, "reference add"), (11990, "bang")], name="smab-ref")
    d = [w for w in out_words(res, "distance")]
    assert d, res.log[-800:]
    got = float(d[-1][1])
    _, la = third_octave_levels(a[0] + a[1])
    _, lb = third_octave_levels(b[0] + b[1])
    delta = lb - la
    expect = np.sqrt(np.mean((delta - delta.mean()) ** 2))
    assert abs(got - expect) < 0.15 * expect, "distance %.2f dB, mix alone %.2f dB" % (got, expect)


def test_apply_ramps_without_clicks():
    """Apply mode commits with ramps: a steady 1 kHz sine through
    smartmaster~, proposals applied 1.5 s in (EQ at its clamps, multiband,
    width; the drive left out: 'amount loudness 0'). The output changes
    level and colour, but a step would spread energy over the whole band:
    above 4 kHz the 200 ms around the change must hold less than -80 dB of
    the sine's power (measured -93 dB; a step of the same size leaves about
    -50 dB there)."""
    n = int(3.0 * SR)
    t = np.arange(n) / SR
    s = 0.1 * np.sin(2 * np.pi * 1000 * t)
    y, res = render("smartmaster/smartmaster~", [s, s],
                    at=[(0, "mode apply"), (0, "amount loudness 0"), (1500, "bang")],
                    name="smab-ramp")
    chain = [" ".join(w[1:]) for w in out_words(res, "chain")]
    assert any(c.startswith("eq band") and "on 1" in c for c in chain), chain
    k0, k1 = int(1.4 * SR), int(1.6 * SR)
    seg = y[0][k0:k1] * np.hanning(k1 - k0)
    p = np.abs(np.fft.rfft(seg)) ** 2
    f = np.fft.rfftfreq(k1 - k0, 1.0 / SR)
    high = 10 * np.log10(np.sum(p[f > 4000]) / np.sum(p))
    before = y[0][int(1.0 * SR):int(1.4 * SR)]
    after = y[0][int(2.5 * SR):]
    change = 20 * np.log10(np.sqrt(np.mean(after ** 2)) / np.sqrt(np.mean(before ** 2)))
    assert abs(change) > 1.0, "the proposals changed the level by only %.2f dB" % change
    assert high < -80, "energy above 4 kHz around the change: %.1f dB" % high
    # the same test on a hard step of the same size shows it can fail
    step = s.copy()
    step[int(1.5 * SR):] *= 10 ** (change / 20)
    ps = np.abs(np.fft.rfft(step[k0:k1] * np.hanning(k1 - k0))) ** 2
    assert 10 * np.log10(np.sum(ps[f > 4000]) / np.sum(ps)) > -80
