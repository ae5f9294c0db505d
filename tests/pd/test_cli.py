"""The command line: `smartmaster in.wav -o out.wav --target NAME` masters a
file in pd -batch; the result is judged with the test suite's own meters
(a 16x reference and a BS.1770 Annex 2 meter for true peak) and with the
loudness report (lufs~, itself checked against EBU Tech 3341 elsewhere)."""
import os
import subprocess

import numpy as np

import pdrun
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
