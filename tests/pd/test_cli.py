"""The command line: `smartmaster in.wav -o out.wav --target NAME` masters a
file in pd -batch; the result is judged with the test suite's own meters
(a 16x reference and a BS.1770 Annex 2 meter for true peak) and with the
loudness report (lufs~, itself checked against EBU Tech 3341 elsewhere); the
closed loop and the reports by libebur128 through ctypes (tests/lib/refmeter.py)."""
import json
import os
import re
import subprocess

import numpy as np

import pdrun
import refmeter
from signals import bs1770_peak_4x, db, reference_peak_16x

ROOT = pdrun.ROOT
CLI = os.path.join(ROOT, "smartmaster")


def run(*args):
    p = subprocess.run([CLI] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=600, cwd=pdrun.OUT)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def song(sr=48000, secs=12.0, level=0.1):
    """A quiet music-like stereo file: kick, bass, chords, noisy hats."""
    rng = np.random.default_rng(11)
    n = int(sr * secs)
    t = np.arange(n) / sr
    beat = sr // 2
    k = np.arange(beat)
    kick = np.sin(2 * np.pi * (50 + 90 * np.exp(-k / (0.02 * sr))) * k / sr) * np.exp(-k / (0.12 * sr))
    x = np.zeros(n)
    for s in range(0, n - beat, beat):
        x[s:s + beat] += kick
    x += 0.4 * np.sin(2 * np.pi * 55 * t) + 0.15 * sum(
        np.sin(2 * np.pi * f * t) for f in (220, 277.2, 329.6))
    x += 0.1 * rng.normal(0, 1, n) * (np.sin(2 * np.pi * 4 * t) > 0.5)
    x *= level / np.max(np.abs(x))
    return [x, np.roll(x, 7)]


def loudness(path):
    p = subprocess.run([os.path.join(ROOT, "examples", "loudness-report"), path],
                       stdout=subprocess.PIPE, timeout=300)
    for ln in p.stdout.decode().splitlines():
        if "integrated loudness" in ln:
            return float(ln.split()[2])
    raise AssertionError("no loudness report: " + p.stdout.decode())


def test_masters_a_file_to_the_target():
    src = os.path.join(pdrun.OUT, "cli-in.wav")
    out = os.path.join(pdrun.OUT, "cli-out.wav")
    pdrun.write_wav(src, song(), 48000)
    for target, lufs, ceiling in (("spotify", -14.0, -1.0), ("ebu", -23.0, -1.0)):
        code, so, se = run(src, "-o", out, "--target", target, "--bits", "24")
        assert code == 0, se + so
        assert "written" in so, so
        y, sr = pdrun.read_wav(out)
        assert sr == 48000 and y.shape[1] == len(song()[0]), y.shape
        for ch in y:
            tp16 = db(reference_peak_16x(ch))
            tp4 = db(bs1770_peak_4x(ch))
            assert tp4 <= ceiling + 0.001, "%s: BS.1770 meter %.3f dBTP" % (target, tp4)
            assert tp16 <= ceiling + 0.1, "%s: 16x reference %.3f dBTP" % (target, tp16)
        got = loudness(out)
        assert abs(got - lufs) <= 1.0, "%s: %.2f LUFS, target %.1f" % (target, got, lufs)
    # the report file holds the same report
    rep = os.path.join(pdrun.OUT, "cli-report.txt")
    code, so, se = run(src, "-o", out, "--target", "spotify", "--report", rep)
    assert code == 0, se
    text = open(rep).read()
    assert text.strip() == so.strip(), (text, so)
    for words in ("integrated loudness", "loudness range", "true peak", "PLR",
                  "limiter gain reduction"):
        assert words in text, words
    # the input is untouched
    x, _ = pdrun.read_wav(src)
    assert np.allclose(x[0], np.asarray(song()[0], dtype=np.float32)), "input changed"


def test_fails_cleanly_on_bad_arguments():
    src = os.path.join(pdrun.OUT, "cli-in.wav")
    pdrun.write_wav(src, song(secs=2.0), 48000)
    cases = [((os.path.join(pdrun.OUT, "nosuch.wav"), "-o", "x.wav"), "No such file"),
             ((src, "-o", "x.wav", "--target", "nosuchplatform"), "unknown target"),
             ((src, "-o", "/nonexistent-dir/x.wav"), "cannot write"),
             ((src, "-o", src), "overwrite the input"),
             ((src,), "no output file")]
    for args, words in cases:
        code, so, se = run(*args)
        assert code == 2, (args, code, so, se)
        assert words in se, (args, se)
        assert "Traceback" not in se, se
    text = os.path.join(pdrun.OUT, "notsound.wav")
    with open(text, "w") as f:
        f.write("hello")
    code, so, se = run(text, "-o", "y.wav")
    assert code == 2 and "not a WAV" in se, se


def test_file_names_with_spaces_and_commas():
    # Pd messages split on spaces and end at commas: the scripts must not
    # hand such names to Pd
    src = os.path.join(pdrun.OUT, "my mix, v2.wav")
    out = os.path.join(pdrun.OUT, "my master; final.wav")
    pdrun.write_wav(src, song(secs=4.0), 48000)
    code, so, se = run(src, "-o", out, "--target", "spotify")
    assert code == 0 and os.path.exists(out), se + so
    assert abs(loudness(out) - -14.0) <= 1.0


def band_energy_db(x, sr, lo, hi):
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / sr)
    return 10 * np.log10(np.sum(spec[(f >= lo) & (f < hi)]) + 1e-30)


def test_smart_mode_proposes_explains_and_applies_eq():
    # white noise is far brighter than any mastering target curve: the
    # assistant must cut the highs and lift the lows, say so, and the
    # master must show it (compared with the plain master of the same file)
    rng = np.random.default_rng(5)
    x = 0.05 * rng.uniform(-1, 1, 8 * 48000)
    src = os.path.join(pdrun.OUT, "cli-white.wav")
    plain = os.path.join(pdrun.OUT, "cli-white-plain.wav")
    smart = os.path.join(pdrun.OUT, "cli-white-smart.wav")
    pdrun.write_wav(src, [x, x], 48000)
    code, so, se = run(src, "-o", plain, "--target", "spotify")
    assert code == 0, se
    code, so, se = run(src, "-o", smart, "--target", "spotify", "--smart")
    assert code == 0, se
    assert "high shelf" in so and "low shelf" in so and "because" in so, so
    a, _ = pdrun.read_wav(plain)
    b, _ = pdrun.read_wav(smart)
    tilt_plain = band_energy_db(a[0], 48000, 5000, 16000) - band_energy_db(a[0], 48000, 40, 100)
    tilt_smart = band_energy_db(b[0], 48000, 5000, 16000) - band_energy_db(b[0], 48000, 40, 100)
    assert tilt_smart < tilt_plain - 6, (tilt_plain, tilt_smart)
    assert db(bs1770_peak_4x(b[0])) <= -1.0 + 0.001
    assert abs(loudness(smart) - -14.0) <= 1.0


# ------------------------------------------------- the closed loop, the reports

def cli_env(*args, env_stage=True):
    """Runs the script on the suite's staged library (as run() does on the
    script's own build) and returns (code, stdout, stderr)."""
    env = dict(os.environ, SMARTMASTER_PATH=pdrun.STAGE) if env_stage else None
    p = subprocess.run([CLI] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=600, cwd=pdrun.OUT, env=env)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def master_json(src, out, *args):
    js = out[:-4] + ".json"
    code, so, se = cli_env(src, "-o", out, "--json", js, *args)
    assert code == 0, se + so
    with open(js) as f:
        text = f.read()
    rep = json.loads(text)  # strict JSON: no NaN
    assert "NaN" not in text and "Infinity" not in text
    y, sr = pdrun.read_wav(out)
    return rep, so, y, sr


def constraint(rep, name):
    return [c for c in rep["constraints"] if c["name"] == name][0]


def test_closed_loop_reaches_the_target_within_0_2_lu():
    # judged by libebur128 (not the library's lufs~): quiet and hot inputs,
    # plain and smart, two targets
    import test_acceptance as acc
    drums = acc.at_lufs(acc.drum_loop(secs=6.0), -30.0)  # peaky: the limiter must work
    dark = acc.at_lufs(acc.tilted_pink(-3.0, 9, secs=6.0), -20.0)  # big EQ moves
    cases = [("quiet", song(secs=8.0, level=0.1), "spotify", ()),
             ("hot", song(secs=8.0, level=0.99), "ebu", ()),
             ("drums", drums, "spotify", ()),
             ("dark", dark, "apple", ("--smart",))]
    targets = {"spotify": (-14.0, -1.0), "ebu": (-23.0, -1.0), "apple": (-16.0, -1.0),
               "cd": (-9.0, -0.3)}
    for what, x, target, extra in cases:
        src = os.path.join(pdrun.OUT, "cli-loop-%s.wav" % what)
        out = os.path.join(pdrun.OUT, "cli-loop-%s-%s.wav" % (what, target))
        pdrun.write_wav(src, x, 48000)
        rep, so, y, sr = master_json(src, out, "--target", target, *extra)
        lufs, ceiling = targets[target]
        m = refmeter.measure(y, sr)
        assert abs(m["integrated"] - lufs) <= 0.2, (what, target, m, rep["passes"])
        assert m["truepeak"] <= ceiling + 1e-3, (what, target, m)
        # what the report says it achieved is what the file measures
        assert abs(rep["achieved"]["integrated"] - m["integrated"]) <= 0.1, (rep["achieved"], m)
        assert constraint(rep, "loudness")["met"] and constraint(rep, "truepeak")["met"], \
            rep["constraints"]
        assert len(rep["passes"]) <= 5, rep["passes"]
        # the search's safeguards: bounded gain
        assert all(abs(p["gain_db"]) <= 24.0 for p in rep["passes"])


def test_json_report_matches_the_text_report():
    src = os.path.join(pdrun.OUT, "cli-json-in.wav")
    out = os.path.join(pdrun.OUT, "cli-json-out.wav")
    pdrun.write_wav(src, song(secs=8.0), 48000)
    rep, so, y, sr = master_json(src, out, "--smart")
    for key in ("input", "target", "before", "after", "proposals", "explanations", "applied",
                "passes", "achieved", "constraints", "constraints_met", "output"):
        assert key in rep, key
    assert rep["target"]["integrated"] == -14.0 and rep["target"]["truepeak"] == -1.0
    assert rep["target"]["plr_min"] == 8.0
    assert rep["smart"] is True and rep["amount"] == 1.0
    # before: the input's loudness and analyze~'s spectrum; after: the master's
    assert len(rep["before"]["analysis"]["spectrum"]) == 31
    measured = refmeter.measure(song(secs=8.0), 48000)["integrated"]
    assert abs(rep["before"]["integrated"] - measured) < 0.2, (rep["before"], measured)
    # every proposal is explained, and every one is applied except the drive
    # (the loop sets the gain), whatever the assistant proposes
    applied = rep["applied"]["chain"]
    assert rep["proposals"], rep
    assert not [m for m in applied if m.split()[0] == "gain"], applied
    # dynamics thresholds move with the loop's gain (dyneq~ and mbcomp~ come
    # after it; the assistant placed them for the drive it proposed)
    shift = rep["applied"]["gain_db"] - rep["applied"]["assistant_drive_db"]
    assert abs(rep["applied"]["threshold_shift_db"] - shift) < 1e-9

    def split_threshold(m):
        w = m.split()
        if "threshold" not in w:
            return m, None
        i = w.index("threshold") + 1
        return " ".join(w[:i] + w[i + 1:]), float(w[i])

    for p in rep["proposals"]:
        assert p["explain"], p
        if p["module"] != "loudness":
            assert p["applied"] and p["chain"] in applied, (p, applied)
            rest_p, t_p = split_threshold(p["proposal"])
            rest_c, t_c = split_threshold(p["chain"])
            assert rest_p.endswith(rest_c), p
            if t_p is not None:
                lo, hi = (-80, 0) if rest_c.startswith("comp") else (-100, 20)
                assert abs(t_c - max(lo, min(hi, t_p + shift))) < 1e-3, (p, shift)
    # the text report says the same
    assert "constraints:" in so and "smart proposals" in so, so
    for c in rep["constraints"]:
        assert re.search(r"\n    %s +%s " % (c["name"], "met" if c["met"] else "NOT MET"), so), \
            (c, so)
    assert "%.1f" % rep["achieved"]["integrated"] in so
    assert rep["constraints_met"] is True, rep["constraints"]


def test_plr_constraint_backs_off_and_says_why():
    # a loud target with a high PLR minimum: at -9 LUFS under a -0.3 dBTP
    # ceiling the PLR can be at most 8.7 dB, so with --plr-min 10 the loop
    # must stop about 1.3 LU short, keep PLR >= 10 and say why
    src = os.path.join(pdrun.OUT, "cli-plr-in.wav")
    out = os.path.join(pdrun.OUT, "cli-plr-out.wav")
    pdrun.write_wav(src, song(secs=8.0, level=0.5), 48000)
    rep, so, y, sr = master_json(src, out, "--target", "cd", "--plr-min", "10")
    m = refmeter.measure(y, sr)
    assert m["plr"] >= 10.0 - 0.1, m
    assert m["truepeak"] <= -0.3 + 1e-3 + 0.005, m  # libebur128's own interpolator
    assert -0.3 - 10.0 - 1.0 <= m["integrated"] <= -0.3 - 10.0 + 0.2, m
    loud = constraint(rep, "loudness")
    assert not loud["met"], loud
    for words in ("PLR would be", "< 10", "--plr-min", "this master"):
        assert words in loud["reason"], loud
    assert "NOT MET" in so and "--plr-min" in so, so
    assert constraint(rep, "plr")["met"]


def test_programme_plr_below_the_minimum_is_reported_not_limited():
    # a steady sine has a PLR of about 3 dB: no loudness change can raise
    # it, the loop must not back off for it, and the report says so
    t = np.arange(6 * 48000) / 48000
    x = 0.05 * np.sin(2 * np.pi * 440 * t)
    src = os.path.join(pdrun.OUT, "cli-sine.wav")
    out = os.path.join(pdrun.OUT, "cli-sine-out.wav")
    pdrun.write_wav(src, [x, x], 48000)
    rep, so, y, sr = master_json(src, out)
    m = refmeter.measure(y, sr)
    assert abs(m["integrated"] - -14.0) <= 0.2, m
    plr = constraint(rep, "plr")
    assert not plr["met"] and "own PLR" in plr["reason"], plr
    assert constraint(rep, "loudness")["met"]


def test_limiting_cap_backs_off_and_says_why():
    # full-scale clicks over quiet noise: -14 LUFS would need far more than
    # 8 dB of limiting; the loop stays within 8 dB and says so
    rng = np.random.default_rng(3)
    n = 6 * 48000
    x = 0.003 * rng.normal(size=n)
    x[::12000] = 0.99
    src = os.path.join(pdrun.OUT, "cli-clicks.wav")
    out = os.path.join(pdrun.OUT, "cli-clicks-out.wav")
    pdrun.write_wav(src, [x, x], 48000)
    rep, so, y, sr = master_json(src, out)
    assert rep["achieved"]["limiter_gr_db"] <= 8.0 + 1e-6, rep["achieved"]
    loud = constraint(rep, "loudness")
    assert not loud["met"] and "limiting the search accepts" in loud["reason"], loud
    m = refmeter.measure(y, sr)
    assert m["integrated"] < -14.0 - 1.0 and m["truepeak"] <= -1.0 + 1e-3, m


def test_rerun_on_its_own_master_keeps_the_drive():
    # the drive part of idempotence (acceptance C3): a master already on
    # target needs (and gets) almost no gain on a second run, and the
    # assistant proposes almost none
    src = os.path.join(pdrun.OUT, "cli-idem-in.wav")
    one = os.path.join(pdrun.OUT, "cli-idem-1.wav")
    two = os.path.join(pdrun.OUT, "cli-idem-2.wav")
    pdrun.write_wav(src, song(secs=8.0), 48000)
    master_json(src, one)
    rep, so, y, sr = master_json(one, two)
    assert abs(rep["applied"]["gain_db"]) < 0.5, rep["passes"]
    assert len(rep["passes"]) == 1, rep["passes"]
    rep, so, y, sr = master_json(one, two, "--smart")
    assert rep["applied"]["assistant_drive_db"] is not None
    assert abs(rep["applied"]["assistant_drive_db"]) < 0.5, rep["applied"]


def test_reference_sets_the_tone():
    # pink noise shaped like the built-in target (-3.5 dB/oct) needs no EQ;
    # with a reference 3 dB/oct brighter and tone matched, the master leans
    # toward the reference; with every match amount 0 it does not
    import test_acceptance as acc
    src = os.path.join(pdrun.OUT, "cli-ref-in.wav")
    ref = os.path.join(pdrun.OUT, "cli-ref-bright.wav")
    pdrun.write_wav(src, acc.at_lufs(acc.tilted_pink(0.0, 7, secs=6.0), -20), 48000)
    pdrun.write_wav(ref, acc.at_lufs(acc.tilted_pink(3.0, 8, secs=6.0), -12), 48000)
    curve = refmeter.ltas_db(pdrun.read_wav(ref)[0], 48000)
    x, _ = pdrun.read_wav(src)
    d_in = refmeter.spectral_distance(x, 48000, curve)[0]
    out1 = os.path.join(pdrun.OUT, "cli-ref-out1.wav")
    rep1, so1, y1, _ = master_json(src, out1, "--reference", ref, "--match", "tone=1")
    d1 = refmeter.spectral_distance(y1, 48000, curve)[0]
    out0 = os.path.join(pdrun.OUT, "cli-ref-out0.wav")
    zero = [a for m in ("tone", "side", "width", "dynamics", "loudness")
            for a in ("--match", m + "=0")]
    rep0, so0, y0, _ = master_json(src, out0, "--reference", ref, *zero)
    d0 = refmeter.spectral_distance(y0, 48000, curve)[0]
    assert d1 <= 0.6 * d_in, (d_in, d1)
    assert d0 >= 0.8 * d_in, (d_in, d0)
    assert rep1["references"][0]["file"] == ref
    assert abs(rep1["references"][0]["integrated"] - -12.0) < 0.2, rep1["references"]
    assert "references: cli-ref-bright.wav" in so1, so1
    assert rep1["match"] == {"tone": 1.0}
    # the loudness stays the delivery target's (loudness match 0 by default)
    assert abs(refmeter.measure(y1, 48000)["integrated"] - -14.0) <= 0.2


def test_smart_options_fail_cleanly():
    src = os.path.join(pdrun.OUT, "cli-in.wav")
    pdrun.write_wav(src, song(secs=2.0), 48000)
    out = os.path.join(pdrun.OUT, "cli-bad.wav")
    cases = [(("--amount", "2"), "--amount"),
             (("--match", "tone=2", "--reference", src), "--match tone=2"),
             (("--match", "colour=1", "--reference", src), "ASPECT"),
             (("--match", "tone=1"), "needs at least one --reference"),
             (("--reference", os.path.join(pdrun.OUT, "nosuch.wav")), "No such file"),
             (("--plr-min", "-3"), "--plr-min"),
             (("--json", "/nonexistent-dir/r.json"), "cannot write")]
    for args, words in cases:
        code, so, se = cli_env(src, "-o", out, *args)
        assert code == 2, (args, code, so, se)
        assert words in se, (args, se)
        assert "Traceback" not in se, se
