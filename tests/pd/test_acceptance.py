"""Acceptance criteria of the smart master (research notes smart-mastering.md
§7.7) on a synthetic corpus, through the command line
(`smartmaster in.wav -o out.wav --target spotify --smart --json ...`).

Corpus, generated here with numpy (short: 10-15 s each): pink noise tilted
-1.5, +1.5, -3 and +3 dB/octave relative to the built-in target curve
(-3.5 dB/octave through 1 kHz, externals/dsp/assistant.h), a drum loop, a
logarithmic sine sweep and an excerpt of the demo song rendered by
examples/render-demo.pd.

Everything is judged with independent tools (tests/lib/refmeter.py): the
system's libebur128 through ctypes (exact mode) for loudness, loudness range
and true peak, the BS.1770 Annex 2 meter and the 16x reference of
tests/lib/signals.py, and the gated long-term spectrum computed with numpy
for the spectral distance D of §7.7. The expected values are the criteria's
numbers, never the library's own readings."""
import concurrent.futures
import json
import os
import re
import subprocess
import sys

import numpy as np

import pdrun
import refmeter
from signals import bs1770_peak_4x, reference_peak_16x

SR = 48000
CLI = os.path.join(pdrun.ROOT, "smartmaster")
TARGET, TARGET_LUFS, CEILING = "spotify", -14.0, -1.0
PLR_MIN = 8.0
EQ_CUT_DB, EQ_BOOST_DB = -6.0, 4.0  # §7.4: each EQ correction clamped to [-6, +4] dB
TILTED = ("pink-1.5", "pink+1.5", "pink-3", "pink+3")
HALF = ("pink-1.5", "pink+1.5")  # also mastered at amount 0.5


# ------------------------------------------------------------- corpus

def _shaped_noise(n, slope_db_oct, seed):
    """Two independent Gaussian noises whose 1/3-octave band levels fall by
    slope_db_oct per octave (pink noise: 0) from 20 Hz to 20 kHz, with a
    4th-order roll-off below 25 Hz (no energy where no speaker plays)."""
    rng = np.random.default_rng(seed)
    f = np.fft.rfftfreq(n, 1.0 / SR)
    fc = np.clip(f, 20.0, 20000.0)
    # band level slope s <=> power spectral density slope s - 3 dB/oct
    g = 10 ** ((slope_db_oct - 3.0) * np.log2(fc / 1000.0) / 20)
    g *= (f / 25.0) ** 4 / np.sqrt(1 + (f / 25.0) ** 8)
    return [np.fft.irfft(np.fft.rfft(rng.normal(size=n)) * g, n) for _ in range(2)]


def tilted_pink(rel_db_oct, seed, secs=10.0):
    """Stereo noise with the target curve's slope plus rel_db_oct, partly
    correlated (side 10 dB under mid)."""
    a, b = _shaped_noise(int(SR * secs), -3.5 + rel_db_oct, seed)
    return np.array([a + 0.3 * b, a - 0.3 * b])


def drum_loop(secs=10.0, seed=2):
    """Kick, snare and hats on a 16th grid at 120 BPM, varying velocity."""
    rng = np.random.default_rng(seed)
    n = int(SR * secs)
    x = np.zeros((2, n))
    step = int(SR * 60 / 120 / 4)
    k = np.arange(int(0.4 * SR))
    kick = np.sin(2 * np.pi * np.cumsum(50 + 100 * np.exp(-k / (0.03 * SR))) / SR) * \
        np.exp(-k / (0.15 * SR))
    s = np.arange(int(0.25 * SR))
    snare = (0.5 * np.sin(2 * np.pi * 190 * s / SR) + 0.6 * rng.normal(size=len(s))) * \
        np.exp(-s / (0.06 * SR))
    h = np.arange(int(0.06 * SR))
    hat = 0.35 * np.diff(np.concatenate([[0.0], rng.normal(size=len(h))])) * \
        np.exp(-h / (0.012 * SR))
    for i, pos in enumerate(range(0, n, step)):
        vel = 0.8 + 0.2 * rng.random()
        parts = []
        if i % 16 in (0, 8, 10):
            parts.append((kick, 1.0, 1.0))
        if i % 16 in (4, 12):
            parts.append((snare, 0.8, 0.9))
        parts.append((hat, 0.5, 0.3) if i % 2 == 0 else (hat, 0.25, 0.4))
        for sig, gl, gr in parts:
            m = min(len(sig), n - pos)
            x[0, pos:pos + m] += gl * vel * sig[:m]
            x[1, pos:pos + m] += gr * vel * sig[:m]
    return x


def sweep(secs=10.0, f1=40.0, f2=16000.0):
    """Exponential sine sweep (equal time per octave), 20 ms fades."""
    t = np.arange(int(SR * secs)) / SR
    span = secs / np.log(f2 / f1)
    y = np.sin(2 * np.pi * f1 * span * (np.exp(t / span) - 1))
    n = int(0.02 * SR)
    w = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
    y[:n] *= w
    y[-n:] *= w[::-1]
    return np.array([y, y])


def demo_excerpt(start=20.0, secs=15.0):
    """15 s of the demo song as examples/render-demo.pd renders it."""
    path = os.path.join(pdrun.OUT, "acc-demo-full.wav")
    cmd = ["pd", "-nogui", "-batch", "-noprefs", "-nosound", "-stderr", "-r", str(SR),
           "-path", pdrun.STAGE, "-open", os.path.join(pdrun.ROOT, "examples", "render-demo.pd"),
           "-send", "smartmaster-demo write %s" % path]
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    x, sr = pdrun.read_wav(path)
    assert sr == SR
    return x[:, int(start * SR):int((start + secs) * SR)]


def at_lufs(x, lufs):
    return x * 10 ** ((lufs - refmeter.measure(x, SR)["integrated"]) / 20)


def corpus():
    """{name: stereo signal}, at various input loudnesses (quiet and hot)."""
    return {"pink-1.5": at_lufs(tilted_pink(-1.5, 1), -20),
            "pink+1.5": at_lufs(tilted_pink(1.5, 3), -20),
            "pink-3": at_lufs(tilted_pink(-3.0, 4), -22),
            "pink+3": at_lufs(tilted_pink(3.0, 5), -12),
            "drums": at_lufs(drum_loop(), -18),
            "sweep": at_lufs(sweep(), -20),
            "demo": demo_excerpt()}


# ------------------------------------------------------------- runs

def cli(*args):
    env = dict(os.environ, SMARTMASTER_PATH=pdrun.STAGE)
    p = subprocess.run([CLI] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=600, cwd=pdrun.OUT, env=env)
    assert p.returncode == 0, "smartmaster %s failed:\n%s%s" % (
        " ".join(args), p.stdout.decode(), p.stderr.decode()[-2000:])
    return p.stdout.decode()


def master(src, out, *extra):
    js = out[:-4] + ".json"
    text = cli(src, "-o", out, "--target", TARGET, "--smart", "--json", js, *extra)
    with open(js) as f:
        rep = json.load(f)
    y, sr = pdrun.read_wav(out)
    assert sr == SR
    return {"text": text, "json": rep, "y": y}


_RESULTS = {}
_FAILED = []


def results():
    """Masters every corpus item (and its master again, and the tilted
    noises at amount 0.5), two at a time; measured once for all tests."""
    if _FAILED:
        raise AssertionError("the corpus runs failed: " + _FAILED[0])
    if not _RESULTS:
        try:
            _RESULTS.update(_run_corpus())
        except AssertionError as e:
            _FAILED.append(str(e))
            raise
        _print_table(_RESULTS)
    return _RESULTS


def _run_corpus():
    items = corpus()
    jobs = {}
    for name, x in items.items():
        src = os.path.join(pdrun.OUT, "acc-%s.wav" % name)
        pdrun.write_wav(src, x, SR)
        jobs[name] = src

    def judge(x, y):
        """Independent measurements of an input and its master."""
        return {"in": refmeter.measure(x, SR), "out": refmeter.measure(y, SR),
                "D_in": refmeter.spectral_distance(x, SR)[0],
                "D_out": refmeter.spectral_distance(y, SR)[0],
                "tp4": max(20 * np.log10(bs1770_peak_4x(c)) for c in y),
                "tp16": max(20 * np.log10(reference_peak_16x(c)) for c in y),
                "sp": max(np.max(np.abs(c)) for c in y)}

    def full(name):
        src = jobs[name]
        out = os.path.join(pdrun.OUT, "acc-%s-master.wav" % name)
        first = master(src, out)
        again = master(out, os.path.join(pdrun.OUT, "acc-%s-again.wav" % name))
        return name, dict(judge(items[name], first["y"]), first=first, again=again)

    def half(name):
        out = os.path.join(pdrun.OUT, "acc-%s-half.wav" % name)
        return name, refmeter.spectral_distance(master(jobs[name], out, "--amount", "0.5")["y"],
                                                SR)[0]

    res = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        fulls = [pool.submit(full, n) for n in items]
        halves = [pool.submit(half, n) for n in HALF]
        for f in fulls:
            name, r = f.result()
            res[name] = r
        for f in halves:
            name, d = f.result()
            res[name]["D_half"] = d
    return res


def eq_gains(chain):
    """{band: static gain dB} of the active `eq band n ...` messages (the
    static part: a dynamic band's gain is 0 and its effect is judged by its
    measured mean gain change)."""
    out = {}
    for m in chain:
        w = m.split()
        if len(w) < 3 or w[0] != "eq" or w[1] != "band":
            continue
        kv = dict(zip(w[3::2], w[4::2]))
        if kv.get("on") == "0":
            continue
        out[int(float(w[2]))] = float(kv.get("gain", 0.0))
    return out


BEYOND = "a second pass would propose up to"


def beyond_reach(r):
    """The dB the first run said a second pass would still propose (the mix
    is further from the target than the clamped EQ reaches), or None."""
    for e in r["first"]["json"]["explanations"]:
        if BEYOND in e:
            return float(e.split(BEYOND)[1].split()[0])
    return None


def rerun_numbers(r):
    j = r["again"]["json"]
    eq = eq_gains(j["applied"]["chain"])
    eq_max = max([abs(v) for v in eq.values()] or [0.0])
    gr = j["achieved"]["multiband_mean_gr_db"] or [0.0]
    dyn = j["achieved"].get("dynamic_eq_mean_gr_db") or [0.0]
    proposed = j["applied"]["assistant_drive_db"]
    return (eq_max, max(gr), max(dyn), j["applied"]["gain_db"],
            0.0 if proposed is None else proposed)


def _print_table(res):
    print("     %-9s %7s %6s %6s %6s %6s %6s %6s %6s %6s %6s %6s | %6s %6s %6s %6s %6s %s" % (
        "item", "I_in", "I_err", "TP", "16x", "PLRin", "PLR", "LRAin", "LRA",
        "D_in", "D_out", "D_0.5", "reEQ", "reGR", "reDyn", "reDrv", "reProp", ""))
    for name, r in res.items():
        eq_max, gr, dyn, drive, proposed = rerun_numbers(r)
        said = beyond_reach(r)
        print("     %-9s %7.2f %+6.3f %6.2f %6.2f %6.1f %6.1f %6.1f %6.1f %6.2f %6.2f %6s | "
              "%6.2f %6.2f %6.2f %+6.2f %+6.2f %s" % (
                  name, r["in"]["integrated"], r["out"]["integrated"] - TARGET_LUFS,
                  r["out"]["truepeak"], r["tp16"], r["in"]["plr"], r["out"]["plr"],
                  r["in"]["range"], r["out"]["range"], r["D_in"], r["D_out"],
                  "%.2f" % r["D_half"] if "D_half" in r else "-", eq_max, gr,
                  dyn, drive + 0.0, proposed + 0.0,
                  "beyond reach (said %.1f dB)" % said if said is not None else ""))
    sys.stdout.flush()


# ------------------------------------------------------------- criteria

def test_a1_integrated_loudness():
    # A1: |I_out - I_target| <= 0.5 LU for every item (the loop aims at 0.2)
    bad = []
    for name, r in results().items():
        err = r["out"]["integrated"] - TARGET_LUFS
        if abs(err) > 0.5:
            bad.append("%s: %.2f LUFS" % (name, r["out"]["integrated"]))
        loud = [c for c in r["first"]["json"]["constraints"] if c["name"] == "loudness"][0]
        assert loud["met"], (name, loud)
    assert not bad, bad


def test_a1_goal_within_0_2_lu():
    # the loop's own aim (issue 8): 0.2 LU, judged independently
    bad = ["%s: %+.3f LU" % (n, r["out"]["integrated"] - TARGET_LUFS)
           for n, r in results().items() if abs(r["out"]["integrated"] - TARGET_LUFS) > 0.2]
    assert not bad, bad


def test_a2_true_peak():
    # A2: true peak <= ceiling on BS.1770 4x meters (libebur128 and the
    # Annex 2 filter), <= ceiling + 0.2 dB on the 16x reference, sample peak
    # <= ceiling (one 24-bit step of dither allowed)
    bad = []
    for name, r in results().items():
        if r["out"]["truepeak"] > CEILING + 1e-3:
            bad.append("%s: libebur128 %.3f dBTP" % (name, r["out"]["truepeak"]))
        if r["tp4"] > CEILING + 1e-3:
            bad.append("%s: BS.1770 4x %.3f dBTP" % (name, r["tp4"]))
        if r["tp16"] > CEILING + 0.2:
            bad.append("%s: 16x %.3f dBTP" % (name, r["tp16"]))
        if r["sp"] > 10 ** (CEILING / 20) + 2.0 ** -23:
            bad.append("%s: sample peak %.4f dBFS" % (name, 20 * np.log10(r["sp"])))
    assert not bad, bad


def _c1(names):
    """C1 at amount 1: D_out <= 0.5 D_in (or <= 1 dB when D_in <= 2 dB); at
    amount a = 0.5: D_out <= (1 - 0.5 a) D_in + 0.2 dB; no EQ correction
    beyond its clamp (§7.4: [-6, +4] dB). A mix further from the target than
    the clamped filters reach cannot be halved: for it the first report must
    say so, the master must still be closer to the target, and no further
    from it than the assistant predicted (+0.5 dB)."""
    bad = []
    for name, r in results().items():
        if name not in names:
            continue
        d_in, d_out = r["D_in"], r["D_out"]
        for band, g in eq_gains(r["first"]["json"]["applied"]["chain"]).items():
            if not EQ_CUT_DB - 1e-6 <= g <= EQ_BOOST_DB + 1e-6:
                bad.append("%s: eq band %d gain %.2f dB beyond [-6, +4]" % (name, band, g))
        if beyond_reach(r) is not None:
            predicted = r["first"]["json"]["assistant_report"]["predicted"]["distance_after_db"]
            if not d_out < d_in or d_out > predicted + 0.5:
                bad.append("%s (beyond reach): D_in %.2f D_out %.2f, predicted %.2f"
                           % (name, d_in, d_out, predicted))
            continue
        limit = 1.0 if d_in <= 2.0 else 0.5 * d_in
        if d_out > limit:
            bad.append("%s: D_in %.2f D_out %.2f > %.2f" % (name, d_in, d_out, limit))
        if "D_half" in r and r["D_half"] > 0.75 * d_in + 0.2:
            bad.append("%s: amount 0.5: D %.2f > %.2f" % (name, r["D_half"], 0.75 * d_in + 0.2))
    return bad


def test_c1_spectral_match_tilted_noise():
    # the target curve's own shape, tilted: +-1.5 dB/oct is within the
    # EQ's reach, +-3 dB/oct (13 dB across 40 Hz - 16 kHz) is not
    bad = _c1(TILTED)
    assert not bad, bad


def test_c1_spectral_match_programmes():
    # the drum loop, the sweep and the demo song: jagged or steep spectra
    # that four clamped filters may not halve (the sweep's flat band
    # levels are 30 dB of tilt away from the target across 40 Hz - 16 kHz)
    bad = _c1([n for n in results() if n not in TILTED])
    assert not bad, bad


def test_within_reach_items_exist():
    # the corpus must keep items the EQ can fully correct, or C1 and C3
    # would only ever be judged on their beyond-reach branch
    inside = [n for n, r in results().items() if beyond_reach(r) is None]
    assert {"pink-1.5", "pink+1.5"} <= set(inside), inside


def test_c2_dynamics_kept():
    # C2: PLR_out >= 8 dB and LRA_out >= LRA_in - 3 LU. A programme whose own
    # PLR is under 8 dB (the sweep) may stay under it if the master does not
    # lower it, and then the report must say the constraint is not met and
    # why (the limiter is not to blame).
    bad = []
    for name, r in results().items():
        plr_in, plr_out = r["in"]["plr"], r["out"]["plr"]
        cons = {c["name"]: c for c in r["first"]["json"]["constraints"]}
        if plr_out < PLR_MIN:
            if plr_in >= PLR_MIN or plr_out < plr_in - 0.5:
                bad.append("%s: PLR %.1f -> %.1f dB" % (name, plr_in, plr_out))
            if plr_out < PLR_MIN - 0.1 and (cons["plr"]["met"] or
                                            "own PLR" not in cons["plr"]["reason"]):
                bad.append("%s: PLR %.1f < 8 not reported with its reason: %s"
                           % (name, plr_out, cons["plr"]))
        elif plr_out >= PLR_MIN + 0.1 and not cons["plr"]["met"]:
            bad.append("%s: PLR %.1f but the report says not met: %s"
                       % (name, plr_out, cons["plr"]))
        if r["out"]["range"] < r["in"]["range"] - 3.0:
            bad.append("%s: LRA %.1f -> %.1f LU" % (name, r["in"]["range"], r["out"]["range"]))
    assert not bad, bad


def test_c3_idempotence():
    # C3: the smart master of its own master proposes almost nothing: every
    # static EQ correction < 1 dB, every dynamic EQ band and multiband band
    # a mean gain change < 1 dB, drive change < 0.5 dB. This holds within
    # the EQ's reach. A mix beyond it (said in the first report) gets the
    # rest proposed again by design (the clamps); there the second pass
    # must propose no more than the first said it would (+1 dB).
    bad = []
    for name, r in results().items():
        eq_max, gr, dyn, drive, proposed = rerun_numbers(r)
        said = beyond_reach(r)
        if said is not None:
            if eq_max > said + 1.0:
                bad.append("%s: beyond reach, said %.1f dB, second pass %.2f dB"
                           % (name, said, eq_max))
            continue
        if eq_max >= 1.0:
            bad.append("%s: EQ %.2f dB (%s)" % (name, eq_max, "; ".join(
                m for m in r["again"]["json"]["applied"]["chain"] if m.startswith("eq"))))
        if gr >= 1.0:
            bad.append("%s: multiband mean GR %.2f dB" % (name, gr))
        if dyn >= 1.0:
            bad.append("%s: dynamic EQ mean gain change %.2f dB" % (name, dyn))
        if abs(drive) >= 0.5 or abs(proposed) >= 0.5:
            bad.append("%s: drive %+.2f dB (the assistant proposed %+.2f dB)"
                       % (name, drive, proposed))
    assert not bad, bad


def test_json_report_is_complete():
    # the machine-readable report holds what the text report says
    r = results()["pink-1.5"]["first"]
    j = r["json"]
    for key in ("before", "after", "target", "proposals", "explanations", "applied",
                "passes", "achieved", "constraints"):
        assert key in j, key
    assert j["target"]["integrated"] == TARGET_LUFS and j["target"]["truepeak"] == CEILING
    assert j["proposals"] and all(p["explain"] for p in j["proposals"]), j["proposals"]
    assert abs(j["achieved"]["integrated"] - j["after"]["integrated"]) < 1e-9
    assert re.search(r"constraints:\n(    \S+ +met .*\n){4}", r["text"]), r["text"]
