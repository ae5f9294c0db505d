"""Robustness sweep: applies itself to every external the build installs.

Each class describes itself through its `print` message (the shared
parameter table): `name: inlets N~, outlets M~ + info` and one line per
parameter, `name: param value unit [lo to hi unit] help`. From that the
sweep creates the object with no, bad and every documented flag; sends
every parameter valid, out-of-range, wrong-type and missing values plus the
common messages; and plays silence, DC, full-scale noise, +40 dBFS, NaN,
Inf and denormals at 44.1/48/96/192 kHz with block sizes 1, 64 and 4096.
Pass: no crash, a clear error line (naming the class and the parameter) for
every bad value, and no NaN/Inf on any outlet once finite input resumes."""
import os
import re

import numpy as np

import pdrun

COMMON = ["bang", "reset", "clear", "print"]


def describe(cls):
    """(signal inlets, signal outlets, [(param, lo, hi, kind)]) from print."""
    p = pdrun.Patch()
    p.send_at_load(p.obj("smartmaster/%s" % cls), "print")
    p.quit_at_load()
    res = pdrun.run_patch(p.text(), name="describe")
    ins = outs = None
    params = []
    bands = {}
    for ln in res.lines:
        mm = re.match(r"%s: band 1 (\w+) (\S+).*\[(0 or 1|(\S+) to (\S+?)( \S+)?|([\w.|-]+))\]"
                      % re.escape(cls), ln)
        if mm:
            if mm.group(7):
                bands[mm.group(1)] = ("choice", mm.group(7).split("|"))
            elif mm.group(3) == "0 or 1":
                bands[mm.group(1)] = ("toggle", (0.0, 1.0))
            else:
                bands[mm.group(1)] = ("real", (float(mm.group(4)), float(mm.group(5))))
            continue
        if ln.startswith("%s: band " % cls):
            continue  # the other bands: the same parameters as band 1
        mm = re.match(r"%s: inlets (\d+)~, outlets (\d+)~ \+ info" % re.escape(cls), ln)
        if mm:
            ins, outs = int(mm.group(1)), int(mm.group(2))
        mm = re.match(r"%s: (\w+) (\S+).*\[(0 or 1|(\S+) to (\S+?))( \S+)?\]" % re.escape(cls), ln)
        if mm:
            if mm.group(3) == "0 or 1":
                params.append((mm.group(1), 0.0, 1.0, "toggle"))
            else:
                params.append((mm.group(1), float(mm.group(4)), float(mm.group(5)), "real"))
    assert ins is not None, "%s: print gave no 'inlets' line: %s" % (cls, res.log[-300:])
    return ins, outs, params, bands


def bad_values(lo, hi, kind):
    span = max(hi - lo, 1.0)
    vals = [hi + 10 * span, lo - 10 * span]
    if kind == "toggle":
        vals = [2, -1, 0.5]
    return vals


def create_variants(params):
    """(creation arguments, must it report an error?)"""
    v = [("", False), ("-ch 1", False), ("-ch 8", False), ("-ch 0", True),
         ("-ch 99", True), ("-ch foo", True), ("-ch", True), ("foo", True),
         ("1 2 3", True), ("-nosuchflag 3", True)]
    for name, lo, hi, kind in params:
        v.append(("-%s %g" % (name, (lo + hi) / 2 if kind != "toggle" else 1), False))
        for b in bad_values(lo, hi, kind):
            v.append(("-%s %g" % (name, b), True))
        v.append(("-%s foo" % name, True))
        v.append(("-%s" % name, True))
    return v


def band_variants(bands):
    """`band 1 <param> ...` with valid and bad values, a missing value and a
    band that does not exist."""
    v = []
    for name, (kind, spec) in sorted(bands.items()):
        if kind == "choice":
            v += [("band 1 %s %s" % (name, spec[0]), False),
                  ("band 1 %s nosuchword" % name, True)]
            good = spec[0]
        else:
            lo, hi = spec
            good = "%g" % ((lo + hi) / 2 if kind == "real" else 1)
            v += [("band 1 %s %s" % (name, good), False),
                  ("band 1 %s foo" % name, True)]
            v += [("band 1 %s %g" % (name, b), True) for b in bad_values(lo, hi, kind)]
        v += [("band 1 %s" % name, True), ("band 99 %s %s" % (name, good), True)]
    return v


def message_variants(params):
    v = [(m, False) for m in COMMON]
    v += [("interval 50", False), ("nosuchmessage 1", True)]
    for name, lo, hi, kind in params:
        v.append(("%s %g" % (name, hi if kind != "toggle" else 0), False))
        v.append(("%s %g" % (name, lo), False))
        for b in bad_values(lo, hi, kind):
            v.append(("%s %g" % (name, b), True))
        v.append(("%s foo" % name, True))
        v.append(("%s" % name, True))
    return v


def check_one(cls, args, message, expect_error):
    """Creates the object, sends one message, quits; checks the error lines."""
    p = pdrun.Patch()
    o = p.obj(("smartmaster/%s %s" % (cls, args)).strip())
    if message:
        p.send_at_load(o, message)
    p.quit_at_load()
    res = pdrun.run_patch(p.text(), name="sweep-msg")
    what = "%s [%s] %s" % (cls, args, message or "")
    assert res.code == 0 and not res.timed_out, "%s: Pd crashed (%s)" % (what, res.code)
    assert not any("couldn't create" in ln for ln in res.lines), "%s: couldn't create" % what
    errs = [ln for ln in res.lines if ln.startswith("error:")]
    if expect_error:
        words = (message or args).split()
        word = words[0].lstrip("-")
        if word == "band" and len(words) > 2 and words[1] != "99":
            word = words[2]  # the error names the band's parameter
        assert any(cls in e for e in errs), "%s: no error line naming %s: %s" % (what, cls, errs)
        if word not in ("foo", "1", "nosuchflag", "nosuchmessage"):
            assert any(word in e for e in errs), "%s: error does not name %s: %s" % (what, word, errs)
    else:
        assert not errs, "%s: unexpected error %s" % (what, errs)


def stress_signal(sr):
    """0.2 s each: silence, DC, full-scale noise, +40 dBFS noise, NaN, +-Inf,
    denormals; then 0.5 s of finite noise (recovery)."""
    rng = np.random.default_rng(1)
    n = int(0.2 * sr)
    parts = [np.zeros(n), np.full(n, 0.5), rng.uniform(-1, 1, n),
             100 * rng.uniform(-1, 1, n), np.full(n, np.nan),
             np.where(np.arange(n) % 2, np.inf, -np.inf),
             np.full(n, 1e-40)]
    resume = 0.25 * rng.uniform(-1, 1, int(0.5 * sr))
    return np.concatenate(parts + [resume]), 1.4


def check_stress(cls, ins, outs, params, sr, block, messages):
    x, resume_at = stress_signal(sr)
    wav = os.path.join(pdrun.OUT, "stress-%s-%d.wav" % (cls.strip("~"), sr))
    pdrun.write_wav(wav, [x] * ins, sr)
    at = [(resume_at * 1000 * i / len(messages), m) for i, m in enumerate(messages)]
    at.append((resume_at * 1000 + 50, "bang"))
    # -ch counts the main channels: the signal outlets of a processor (its
    # sidechain inlets come on top), the inlets of a meter
    res = pdrun.play_through(wav, ins, "smartmaster/%s -ch %d" % (cls, outs or ins), sr=sr,
                             block=block, at=at, end=("bang",), signal_outs=outs,
                             capture=256 if outs else 0, timeout=600, name="stress")
    what = "%s at %d Hz, block %d" % (cls, sr, block)
    assert pdrun.done(res), "%s: Pd did not finish (crash?) code %s: %s" % (
        what, res.code, res.log[-400:])
    # everything printed after the recovery point must be finite
    mark = "MARK: %g" % (resume_at * 1000 + 50)
    assert mark in res.lines, "%s: no recovery marker" % what
    tail = res.lines[res.lines.index(mark):]
    bad = [ln for ln in tail if (ln.startswith("OUT:") or ln.startswith("SIG"))
           and re.search(r"\b(-?nan|-?inf)\b", ln)]
    assert not bad, "%s: non-finite output after finite input resumed: %s" % (what, bad[:3])
    assert any(ln.startswith("OUT:") for ln in tail), "%s: no report after recovery" % what
    if outs:
        sig = [ln for ln in tail if ln.startswith("SIG")]
        assert len(sig) == outs, "%s: outputs not captured" % what


def sweep_class(cls, quick=False):
    """Yields (test name, callable) for one class."""
    ins, outs, params, bands = describe(cls)
    for args, err in create_variants(params):
        yield ("sweep %s create [%s]" % (cls, args),
               lambda a=args, e=err: check_one(cls, a, None, e))
    for msg, err in message_variants(params):
        yield ("sweep %s message '%s'" % (cls, msg),
               lambda m=msg, e=err: check_one(cls, "", m, e))
    for msg, err in band_variants(bands):
        yield ("sweep %s message '%s'" % (cls, msg),
               lambda m=msg, e=err: check_one(cls, "", m, e))
    # during the stress run every message is sent too, valid or not
    messages = [m for m, _ in message_variants(params) + band_variants(bands)
                if m != "print"]
    if ins == 0:
        return  # a control object: no signal to stress it with
    rates = (48000,) if quick else (44100, 48000, 96000, 192000)
    blocks = (64,) if quick else (1, 64, 4096)
    for sr in rates:
        for block in blocks:
            yield ("sweep %s stress %d Hz block %d" % (cls, sr, block),
                   lambda s=sr, b=block: check_stress(cls, ins, outs, params, s, b, messages))
