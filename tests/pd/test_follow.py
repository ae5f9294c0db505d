"""smartassist's live mode in real Pd (batch, faster than real time):
[smartmaster/masterchain~] + [smartmaster/analyze~] + [smartmaster/smartassist]
patched together as a live set-up, `mode follow` and `learn`.

Acceptance test A3 (research notes §7.7): after a 60 s learn on steady
material, the short-term loudness of the OUTPUT is within +-1 LU of the
target 90 % of the time, the drive never moves faster than the set slew and
there are no true-peak overs. In follow mode the leveller owns the drive
from the start, also during the learn (so the drive never jumps); the
learn's EQ and multiband proposal lands when the window ends. The output is measured independently:
libebur128 (through ctypes) for the short-term loudness, the limiter's own
`over` count and the 16x reference meter of tests/lib/signals.py for the
peaks. The drive and EQ are read from the `chain` messages smartassist
sends, each stamped with its Pd logical time.

The leveller must never react to silence or breaks: a 10 s silence and a
10 s break 30 dB down (the relative gate, 20 LU below the integrated) and a
break only 12 dB down with a `brake` level above it must not raise the
drive; without the brake, the same shallow break does (so the test can
tell)."""
import ctypes
import math
import os

import numpy as np

import pdrun
from signals import _kaiser_sinc_phases, db

SR = 48000
TARGET = -14.0  # smartassist's default target, spotify's
CEILING = -1.0  # spotify's true-peak ceiling, masterchain~ spotify


# ------------------------------------------------------------ material

def programme(secs, seed=1):
    """Steady stereo material: noise falling 3.5 dB/oct (close to the
    built-in target curve, so the EQ has little to do) under a 120 BPM drum
    pattern (kick on 1 and 3, snare on 2 and 4, closed hats on eighths).
    The noise is a 2^19-sample (10.9 s) loop, filtered circularly so that
    it repeats seamlessly: FFTs of the whole length are slow."""
    rng = np.random.default_rng(seed)
    n = int(secs * SR)
    period = 1 << 19
    f = np.fft.rfftfreq(period, 1.0 / SR)
    g = np.zeros_like(f)
    # white noise has +3 dB/oct band levels; an amplitude gain f^k adds
    # 6.02 k dB/oct
    k = (-3.5 - 3.0) / (20 * math.log10(2))
    g[1:] = (np.maximum(f[1:], 20.0) / 1000.0) ** k

    def noise():
        return np.fft.irfft(np.fft.rfft(rng.standard_normal(period)) * g, period)
    common = noise()
    reps = -(-n // period)
    bed = []
    for _ in range(2):
        x = 0.7 * common + 0.5 * noise()  # partly correlated, like a mix
        bed.append(np.tile(x / np.sqrt(np.mean(x ** 2)), reps)[:n])
    beat = SR // 2  # 120 BPM
    t = np.arange(int(0.4 * SR)) / SR
    kick = np.sin(2 * np.pi * (50 * t + 60 * (1 - np.exp(-t / 0.03)) * 0.03)) * \
        np.exp(-t / 0.15)
    snare = rng.standard_normal(len(t)) * np.exp(-t / 0.08)
    snare = np.diff(snare, prepend=0.0) * 0.7 + 0.3 * snare
    hat = rng.standard_normal(int(0.05 * SR))
    hat = np.diff(hat, prepend=0.0) * np.exp(-np.arange(len(hat)) / (0.01 * SR))
    bar = np.zeros(4 * beat + len(t))  # one bar, then tiled
    for b in range(4):
        at = b * beat
        bar[at:at + len(t)] += kick if b % 2 == 0 else 0.8 * snare
        for e in (0, beat // 2):
            bar[at + e:at + e + len(hat)] += 0.25 * hat
    bar[:len(t)] += bar[4 * beat:]  # the last hit's tail wraps around
    drums = np.tile(bar[:4 * beat], -(-n // (4 * beat)))[:n]
    return [0.35 * c + 0.6 * drums for c in bed]


# ------------------------------------------------------------ libebur128

class Ebur128:
    """libebur128 through ctypes: an independent meter (the same library
    lufs~ uses, but called here on the rendered file, not through Pd)."""
    M, S, I, TP = 1, 3, 5, (1 << 5) | (1 << 4) | 1

    def __init__(self, nch, sr, truepeak=False):
        lib = ctypes.CDLL("libebur128.so.1")
        lib.ebur128_init.restype = ctypes.c_void_p
        lib.ebur128_init.argtypes = [ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
        lib.ebur128_add_frames_double.argtypes = [
            ctypes.c_void_p, ctypes.POINTER(ctypes.c_double), ctypes.c_size_t]
        for fn in ("ebur128_loudness_shortterm", "ebur128_loudness_global"):
            getattr(lib, fn).argtypes = [ctypes.c_void_p,
                                         ctypes.POINTER(ctypes.c_double)]
        lib.ebur128_true_peak.argtypes = [ctypes.c_void_p, ctypes.c_uint,
                                          ctypes.POINTER(ctypes.c_double)]
        lib.ebur128_destroy.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        self.lib, self.nch = lib, nch
        mode = self.S | self.I | (self.TP if truepeak else 0)
        self.st = ctypes.c_void_p(lib.ebur128_init(nch, sr, mode))
        assert self.st.value, "ebur128_init failed"

    def add(self, frames):
        """frames: nch x n"""
        inter = np.ascontiguousarray(np.asarray(frames, dtype=np.float64).T)
        self.lib.ebur128_add_frames_double(
            self.st, inter.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
            inter.shape[0])

    def _get(self, fn, *args):
        v = ctypes.c_double()
        assert getattr(self.lib, fn)(self.st, *args, ctypes.byref(v)) == 0, fn
        return v.value

    def shortterm(self):
        return self._get("ebur128_loudness_shortterm")

    def integrated(self):
        return self._get("ebur128_loudness_global")

    def truepeak(self):
        return max(self._get("ebur128_true_peak", c) for c in range(self.nch))

    def __del__(self):
        if getattr(self, "st", None) is not None and self.st.value:
            self.lib.ebur128_destroy(ctypes.byref(self.st))


def shortterm_series(y, hop_s=0.1):
    """(times, short-term LUFS) every hop_s seconds of a stereo signal."""
    m = Ebur128(y.shape[0], SR)
    hop = int(round(hop_s * SR))
    ts, vs = [], []
    for i in range(0, y.shape[1] - hop + 1, hop):
        m.add(y[:, i:i + hop])
        ts.append((i + hop) / SR)
        vs.append(m.shortterm())
    return np.array(ts), np.array(vs)


def integrated(chans):
    m = Ebur128(len(chans), SR)
    m.add(np.array(chans))
    return m.integrated()


def truepeak_4x(y):
    """libebur128's true peak (4x) of the whole output, dBTP."""
    m = Ebur128(y.shape[0], SR, truepeak=True)
    m.add(y)
    return db(m.truepeak())


def truepeak_16x(y, ceiling, margin_db=4.0):
    """The 16x reference meter of tests/lib/signals.py (reference_peak_16x:
    the same filter, the same zero padding), evaluated at the 16 points of
    both sample intervals next to every sample within margin_db of the
    ceiling: on minutes of audio at once it is too slow. An inter-sample
    peak more than 4 dB above both its neighbours needs strong content above
    fs/4 (a sine at fs/4 peaks 3 dB above its samples at worst), which this
    material does not have; libebur128's 4x meter reads the whole file as
    well. dBTP."""
    phases = _kaiser_sinc_phases(16, 64, 8.0).astype(np.float32)
    taps = phases.shape[0]
    near = 10 ** ((ceiling - margin_db) / 20)
    worst = 0.0
    for c in y:
        xp = np.concatenate([np.zeros(taps), c, np.zeros(taps)]).astype(np.float32)
        idx = np.nonzero(np.abs(c) >= near)[0]
        if len(idx) == 0:
            continue
        # row j of the reference's window matrix (signals._polyphase_peak)
        # interpolates from sample j - taps/2 - 1 of c to the next one: rows
        # n + taps/2 and n + taps/2 + 1 cover both intervals of sample n
        rows = np.unique((idx[:, None] + taps // 2 + np.arange(0, 2)[None, :]).ravel())
        rows = rows[rows <= len(xp) - taps]
        for part in np.array_split(rows, 1 + len(rows) // 200000):
            win = xp[part[:, None] + np.arange(taps)[None, :]][:, ::-1]
            worst = max(worst, float(np.max(np.abs(win @ phases))))
    return db(max(worst, 1e-30))


# ------------------------------------------------------------ the set-up

def live(chans, messages, name, tail_s=0.0, at=()):
    """Plays chans through masterchain~ (spotify), with analyze~ on the
    input and smartassist fed by both; smartassist's `chain` messages go to
    the chain's message inlet and are printed as `CHAIN: <ms> <message>`
    (ms: logical time since playback started); `messages` go to smartassist
    when playback starts, `at` (ms, message) pairs that long after. On
    `state learning` the patch resets analyze~ and
    the chain's meters, as smartmaster~ does.
    Returns (output 2 x frames, Result)."""
    frames = len(chans[0]) + int(tail_s * SR)
    wav = os.path.join(pdrun.OUT, name + "-in.wav")
    out = os.path.join(pdrun.OUT, name + "-out.wav")
    pdrun.write_wav(wav, chans, SR)
    if os.path.exists(out):
        os.unlink(out)
    p = pdrun.Patch()
    for c in range(2):
        p.table("in%d" % c)
        p.table("out%d" % c, frames)
    rgo = pdrun._load_and_schedule(p, wav, 2, [])
    mc = p.obj("smartmaster/masterchain~ spotify")
    ana = p.obj("smartmaster/analyze~ -ch 2")
    sa = p.obj("smartmaster/smartassist")
    for c in range(2):
        tp = p.obj("tabplay~ in%d" % c)
        p.connect(rgo, 0, tp, 0)
        p.connect(tp, 0, mc, c)
        p.connect(tp, 0, ana, c)
        tw = p.obj("tabwrite~ out%d" % c)
        p.connect(rgo, 0, tw, 0)
        p.connect(mc, c, tw, 0)
    # the chain's reports: in/out/limit/latency to the assistant (the
    # target and distance reports are the chain's own business)
    flt = p.obj("route target distance eq comp")
    p.connect(mc, 2, flt, 0)
    p.connect(flt, 4, sa, 0)
    p.connect(ana, 0, sa, 0)
    lim = p.obj("route limit")
    p.connect(mc, 2, lim, 0)
    over = p.obj("route over")
    p.connect(lim, 0, over, 0)
    pov = p.obj("print OVER")
    p.connect(over, 0, pov, 0)
    # smartassist's output
    rt = p.obj("route chain state leveller")
    p.connect(sa, 0, rt, 0)
    tm = p.obj("timer")
    p.connect(rgo, 0, tm, 0)
    tr = p.obj("t a b")
    p.connect(rt, 0, tr, 0)
    p.connect(tr, 0, mc, 2)
    p.connect(tr, 1, tm, 1)
    lp = p.obj("list prepend")
    p.connect(tm, 0, lp, 1)
    p.connect(tr, 0, lp, 0)
    pc = p.obj("print CHAIN")
    p.connect(lp, 0, pc, 0)
    ps = p.obj("print STATE")
    p.connect(rt, 1, ps, 0)
    pl = p.obj("print LEVELLER")
    p.connect(rt, 2, pl, 0)
    # learning starts: fresh analysis and meters
    lr = p.obj("route learning")
    p.connect(rt, 1, lr, 0)
    one = p.msg("1")
    zero = p.msg("0")
    p.connect(lr, 0, one, 0)
    p.connect(lr, 1, zero, 0)
    ch = p.obj("change")
    p.connect(one, 0, ch, 0)
    p.connect(zero, 0, ch, 0)
    sel = p.obj("sel 1")
    p.connect(ch, 0, sel, 0)
    rs = p.msg("reset")
    p.connect(sel, 0, rs, 0)
    p.connect(rs, 0, ana, 0)
    p.connect(rs, 0, mc, 2)
    if messages:
        m = p.msg(" \\, ".join(messages))
        p.connect(rgo, 0, m, 0)
        p.connect(m, 0, sa, 0)
    for ms, message in at:
        d = p.obj("delay %g" % ms)
        p.connect(rgo, 0, d, 0)
        m = p.msg(message)
        p.connect(d, 0, m, 0)
        p.connect(m, 0, sa, 0)
    wait = p.obj("delay %g" % (1000.0 * (frames + 128) / SR))
    p.connect(rgo, 0, wait, 0)
    wr = p.msg("write -wave -bytes 4 %s out0 out1" % os.path.basename(out))
    p.connect(wait, 0, wr, 0)
    sf = p.obj("soundfiler")
    p.connect(wr, 0, sf, 0)
    pdrun.quit_after(p, wait)
    res = pdrun.run_patch(p.text(), sr=SR, timeout=300, name=name)
    os.unlink(wav)
    assert pdrun.done(res), "Pd did not finish: " + res.log[-800:]
    assert not res.errors(), res.errors()
    y, _ = pdrun.read_wav(out)
    os.unlink(out)
    return y, res


def chain_messages(res):
    """[(seconds, [words])] of every chain message, in order."""
    return [(float(w[0]) / 1000.0, w[1:]) for w in res.printed("CHAIN")]


def gains(res):
    return [(t, float(w[1])) for t, w in chain_messages(res) if w[0] == "gain"]


def max_slew(g):
    """Largest |change| / time between consecutive gain messages. Pd prints
    6 significant digits: 5e-5 dB over 0.25 s is why the tests allow the
    slew + 0.1 %."""
    worst = 0.0
    for (t0, g0), (t1, g1) in zip(g, g[1:]):
        assert t1 > t0, "two gain messages at %.3f s" % t1
        worst = max(worst, abs(g1 - g0) / (t1 - t0))
    return worst


def drive_at(g, t):
    """The drive in force at time t (the last gain message at or before)."""
    v = 0.0
    for tt, gg in g:
        if tt <= t + 1e-9:
            v = gg
    return v


def check_eq_steps(res, after):
    """Every EQ message after the learn moves a band's gain by <= 0.5 dB at
    its frequency; a band changes frequency only from 0 dB."""
    band = {}
    for t, w in chain_messages(res):
        if w[:2] != ["eq", "band"]:
            continue
        k = w[2]
        on = w[w.index("on") + 1] == "1"
        gain = float(w[w.index("gain") + 1]) if on else 0.0
        freq = w[w.index("freq") + 1] if "freq" in w else None
        if t > after and k in band:
            g0, f0 = band[k]
            if freq is not None and f0 is not None and freq != f0:
                assert g0 == 0.0, "band %s moved %s -> %s Hz at %+g dB (t %.1f)" % (
                    k, f0, freq, g0, t)
                g0 = 0.0
            assert abs(gain - g0) <= 0.5 + 1e-6, \
                "band %s stepped %+g -> %+g dB at %.1f s" % (k, g0, gain, t)
        band[k] = (gain, freq if freq is not None else band.get(k, (0, None))[1])
    return band


# ------------------------------------------------------------ A3

def test_follow_a3_steady_material():
    """mode follow, learn 60 s, then 120 s more; the material 8 dB under
    the target. The leveller follows from the start (slew-limited, so the
    drive never jumps); the learn's EQ and multiband proposal lands at 60 s,
    the re-proposals after it move the EQ 0.5 dB at most."""
    learn, follow = 60.0, 120.0
    x = programme(learn + follow, seed=1)
    gain_in = TARGET - 8.0 - integrated(x)
    x = [c * 10 ** (gain_in / 20) for c in x]
    level_in = integrated(x)
    assert abs(level_in - (TARGET - 8)) < 0.05, level_in
    y, res = live(x, ["mode follow", "learn %g" % learn], "follow-a3")

    states = [w for w in res.printed("STATE")]
    assert states[0] == ["follow"] and states[1] == ["learning", "60"], states[:3]
    assert ["follow"] in states[2:], states[-3:]
    # the learn's proposal reaches the chain when the window ends, without
    # a gain message: in follow mode the leveller owns the drive throughout
    msgs = chain_messages(res)
    assert msgs, "no chain message: " + res.log[-1500:]
    t_commit = min(t for t, w in msgs if w[0] == "eq")
    assert abs(t_commit - learn) < 0.01, t_commit
    assert not [t for t, w in msgs if w[0] != "gain" and t < learn - 0.01], msgs[:5]
    # the leveller: 4 messages a second at most, the slew kept all along
    g = gains(res)
    assert g, "the leveller never moved the drive"
    slew = max_slew([(0.0, 0.0)] + g)
    assert slew <= 1.0 + 1e-3, "drive slew %.4f dB/s above 1 dB/s" % slew
    rate = len(g) / (learn + follow)
    assert rate <= 4.0 + 1e-9, rate
    g_commit = drive_at(g, learn)
    assert 6.0 < g_commit < 16.0, g_commit  # ~8 dB short of the target
    check_eq_steps(res, after=t_commit + 0.01)

    # the output, measured independently
    ts, st = shortterm_series(y)
    sel = ts > learn
    within = np.mean(np.abs(st[sel] - TARGET) <= 1.0)
    overs = [[float(v) for v in w] for w in res.printed("OVER")]
    assert overs, "no limiter report"
    tp4 = truepeak_4x(y)
    tp16 = truepeak_16x(y, CEILING)
    print("     A3: short-term within +-1 LU %.1f %% of the time after the learn "
          "(median %.2f LUFS), drive %.2f dB at the learn's end, %.2f at the "
          "end, max slew %.3f dB/s, "
          "%d messages, limiter overs %d, true peak %.2f dBTP (4x) %.2f (16x)"
          % (100 * within, np.median(st[sel]), g_commit, g[-1][1], slew,
             len(g), int(overs[-1][0]), tp4, tp16))
    assert within >= 0.9, "short-term within +-1 LU only %.1f %% of the time" % (
        100 * within)
    assert overs[-1][0] == 0, "limiter overs: %s" % overs[-1]
    assert tp16 <= CEILING + 0.2, "16x true peak %.2f dBTP" % tp16


# ------------------------------------------------------------ breaks

def with_breaks(secs, breaks, seed=2):
    """programme() with (start, end, gain dB or None for silence) spans."""
    x = programme(secs, seed=seed)
    gain_in = TARGET - 6.0 - integrated(x)
    x = [c * 10 ** (gain_in / 20) for c in x]
    for a, b, gdb in breaks:
        i, j = int(a * SR), int(b * SR)
        for c in x:
            c[i:j] *= 0.0 if gdb is None else 10 ** (gdb / 20)
    return x


def rise_during(g, a, b):
    """How far above the drive at time a it goes during [a, b]."""
    d0 = drive_at(g, a)
    inside = [gg for tt, gg in g if a < tt <= b]
    return max([0.0] + [v - d0 for v in inside])


def test_follow_never_reacts_to_silence_or_breaks():
    """Learn 20 s at -20 LUFS (6 dB short), follow, with 10 s of silence at
    60 s and a break 30 dB down at 90 s. The material drops 2 dB at 30 s:
    that is followed; the silence and the break are not. The leveller
    holds through both and for the 3 s after each."""
    spans = [(30, 120, -2.0), (60, 70, None), (90, 100, -30.0)]
    x = with_breaks(120, spans)
    y, res = live(x, ["mode follow", "learn 20"], "follow-breaks")
    g = gains(res)
    assert g, res.log[-1500:]
    slew = max_slew([(0.0, 0.0)] + g)
    assert slew <= 1.0 + 1e-3, "slew %.4f dB/s" % slew
    held = [w for w in res.printed("LEVELLER")]
    assert ["silent"] in held and ["break"] in held, held
    # one leveller step decided before a break may land in its first
    # 250 ms; in steady following it is tiny
    for a, b in ((60, 73), (90, 103)):
        r = rise_during(g, a, b)
        assert r <= 0.02, "drive rose %.3f dB in %g..%g s" % (r, a, b)
    # the step down at 30 s was followed (the drive rose before 60 s)
    assert drive_at(g, 59.9) > drive_at(g, 30.0) + 1.0, (drive_at(g, 30), drive_at(g, 59.9))
    # no re-proposal while silent or in the break
    eqt = [t for t, w in chain_messages(res) if w[0] == "eq"]
    assert not [t for t in eqt if 60.5 < t < 70 or 90.5 < t < 100], eqt
    print("     breaks: drive %.2f dB before the silence, %.2f after; %.2f before "
          "the break, %.2f after" % (drive_at(g, 60), drive_at(g, 73),
                                     drive_at(g, 90), drive_at(g, 103)))


def test_follow_brake_holds_shallow_breaks():
    """A break only 12 dB down is above the relative gate (20 LU): the
    leveller lifts it, unless the brake level is above it. brake -22 LUFS:
    the output sits at -14, the break at about -26."""
    spans = [(50, 60, -12.0)]
    x = with_breaks(70, spans, seed=3)
    rises = []
    for msgs in (["mode follow", "learn 20"],
                 ["brake -22", "mode follow", "learn 20"]):
        y, res = live(x, msgs, "follow-brake")
        g = gains(res)
        slew = max_slew([(0.0, 0.0)] + g)
        assert slew <= 1.0 + 1e-3, "slew %.4f dB/s %s" % (slew, msgs)
        rises.append(rise_during(g, 50, 60))
    print("     brake: drive rise in a 12 dB break %.2f dB without brake, "
          "%.3f dB with brake -22" % tuple(rises))
    assert rises[0] > 2.0, "without the brake the leveller should lift it: %s" % rises
    assert rises[1] <= 0.02, "with the brake it rose %.3f dB" % rises[1]


def test_learn_in_apply_mode_freezes_and_suggest_sends_nothing():
    """learn in apply mode: one commit at the end, then freeze (no more
    chain messages); in suggest mode: proposals, no chain messages. Also
    bad learn arguments are reported."""
    x = programme(8.0, seed=4)
    x = [c * 0.3 for c in x]
    y, res = live(x, ["mode apply", "learn 3"], "learn-apply")
    ts = [t for t, w in chain_messages(res)]
    assert ts and all(abs(t - 3.0) < 0.01 for t in ts), ts
    assert any(w[0] == "gain" for t, w in chain_messages(res))
    st = res.printed("STATE")
    assert st[0] == ["apply"] and st[1] == ["learning", "3"] and ["learning", "1"] in st, st
    assert st[-1] == ["freeze"], st
    # the mode chosen while learning counts; the window still ends on time
    y, res = live(x, ["learn 3"], "learn-apply", at=[(1100, "mode apply")])
    ts = [t for t, w in chain_messages(res)]
    assert ts and all(abs(t - 3.0) < 0.01 for t in ts), ts
    assert res.printed("STATE")[-1] == ["freeze"], res.printed("STATE")
    y, res = live(x, ["learn 2.5"], "learn-suggest")
    assert not chain_messages(res), chain_messages(res)
    st = res.printed("STATE")
    assert st[0] == ["learning", "3"] and st[-1] == ["suggest"], st
    p = pdrun.Patch()
    o = p.obj("smartmaster/smartassist")
    p.send_at_load(o, "learn foo \\, learn 0 \\, learn 99999 \\, mode loud \\, "
                      "out \\, in 3 \\, tau 1 \\, slew 50 \\, brake 3 \\, follow 0 \\, print")
    p.quit_at_load()
    res = pdrun.run_patch(p.text(), name="learn-bad")
    errs = res.errors()
    for word in ("learn", "mode", "out", "in", "tau", "slew", "brake", "follow"):
        assert any("smartassist" in e and word in e for e in errs), (word, errs)
    assert any("leveller" in ln for ln in res.lines), res.log[-800:]


def test_chain_reports_prefixed_in_out_limit():
    """masterchain~'s `in <report>` is the same as the report unprefixed;
    `out` and `limit` reports feed the leveller only (no proposal change,
    no error)."""
    def run(msgs):
        p = pdrun.Patch()
        o = p.obj("smartmaster/smartassist")
        pr = p.obj("print OUT")
        p.connect(o, 0, pr, 0)
        p.send_at_load(o, " \\, ".join(["mode apply"] + msgs + ["bang"]))
        p.quit_at_load()
        res = pdrun.run_patch(p.text(), name="prefix")
        assert not res.errors(), res.errors()
        return [w for w in res.printed("OUT") if w[0] in ("chain", "proposal")]
    plain = run(["integrated -20", "truepeak -8 -8 -8", "range 5", "plr 12"])
    prefixed = run(["in integrated -20", "in truepeak -8 -8 -8", "in range 5",
                    "in plr 12", "out momentary -30", "out shortterm -31",
                    "out integrated -29", "out truepeak -2 -2 -2",
                    "limit gr 0", "limit over 0 0"])
    assert plain == prefixed, (plain, prefixed)
    assert ["chain", "gain", "6"] in plain, plain
