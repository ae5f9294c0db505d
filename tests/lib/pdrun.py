"""Run real Pd in batch mode on generated patches and read what it printed.

Pd 0.53 exits 0 even when objects fail to create, so every run is judged by
its log: `couldn't create`, `error:` lines and crashes are reported to the
caller, which decides what they mean for its test.
"""
import os
import struct
import subprocess
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "out")
STAGE = os.path.join(OUT, "stage")
LIB = os.path.join(STAGE, "smartmaster")


def stage():
    """Installs the library into tests/out/stage, as a user would."""
    os.makedirs(OUT, exist_ok=True)
    subprocess.run(["make", "-s", "install", "PDLIBDIR=" + STAGE], cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL)
    return LIB


def externals():
    """Class names of every external the build installed."""
    return sorted(f[:-len(".pd_linux")] for f in os.listdir(LIB)
                  if f.endswith(".pd_linux"))


class Result:
    def __init__(self, code, log, timed_out=False):
        self.code = code
        self.log = log
        self.lines = log.splitlines()
        self.timed_out = timed_out

    @property
    def crashed(self):
        return self.timed_out or self.code not in (0,)

    def printed(self, prefix):
        """Values of lines `prefix: ...` as lists of words."""
        out = []
        for ln in self.lines:
            if ln.startswith(prefix + ": "):
                out.append(ln[len(prefix) + 2:].split())
        return out

    def reports(self, prefix, selector):
        """Float values of every `selector v...` message printed by prefix."""
        return [[float(v) for v in w[1:]] for w in self.printed(prefix)
                if w and w[0] == selector]

    def errors(self):
        return [ln for ln in self.lines
                if ln.startswith("error:") or "couldn't create" in ln
                or ln.startswith("verbose(")]


def run_patch(text, sr=48000, timeout=120, args=(), wrapper=(), name="test"):
    """Writes a patch and runs it in pd -batch. The patch must quit itself."""
    os.makedirs(OUT, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix=name + "-", suffix=".pd", dir=OUT)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    cmd = list(wrapper) + ["pd", "-nogui", "-batch", "-noprefs", "-nosound",
                           "-stderr", "-r", str(int(sr)), "-path", STAGE]
    cmd += list(args) + ["-open", path]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, cwd=OUT)
        res = Result(p.returncode, p.stdout.decode("utf-8", "replace"))
    except subprocess.TimeoutExpired as e:
        res = Result(-1, (e.output or b"").decode("utf-8", "replace"), True)
    os.unlink(path)
    return res


def open_patch(path, seconds=1.0, timeout=60):
    """Opens an existing patch with DSP on for a while, then quits."""
    ms = int(seconds * 1000)
    text = ("#N canvas 0 0 400 300 12;\n"
            "#X obj 10 10 loadbang;\n"
            "#X msg 10 40 \\; pd dsp 1 \\; pd open %s %s;\n"
            "#X obj 10 70 delay %d;\n"
            "#X msg 10 100 \\; pd quit;\n"
            "#X connect 0 0 1 0;\n#X connect 0 0 2 0;\n#X connect 2 0 3 0;\n"
            % (os.path.basename(path), os.path.dirname(os.path.abspath(path)), ms))
    return run_patch(text, timeout=timeout, name="open")


def write_wav(path, chans, sr):
    """Float32 WAV from a list of equal-length arrays (NaN and Inf kept)."""
    data = np.stack([np.asarray(c, dtype=np.float32) for c in chans], axis=1)
    nch = data.shape[1]
    raw = data.tobytes()
    hdr = b"RIFF" + struct.pack("<I", 36 + len(raw)) + b"WAVE"
    hdr += b"fmt " + struct.pack("<IHHIIHH", 16, 3, nch, int(sr),
                                 int(sr) * 4 * nch, 4 * nch, 32)
    hdr += b"data" + struct.pack("<I", len(raw))
    with open(path, "wb") as f:
        f.write(hdr + raw)


class Patch:
    """Builds a Pd patch file object by object; returns object indices."""

    def __init__(self):
        self.items = []
        self.conns = []

    def obj(self, text, kind="obj"):
        n = len(self.items)
        self.items.append("#X %s %d %d %s;" % (kind, 10 + 7 * (n % 40), 10 + 22 * n, text))
        return n

    def msg(self, text):
        return self.obj(text, "msg")

    def table(self, name, size=1):
        return self.obj("table %s %d" % (name, size))

    def connect(self, a, outlet, b, inlet):
        self.conns.append("#X connect %d %d %d %d;" % (a, outlet, b, inlet))

    def send_at_load(self, target, message):
        """Sends `message` to object `target` when the patch loads."""
        lb = self.obj("loadbang")
        m = self.msg(message.replace(";", "\\;"))
        self.connect(lb, 0, m, 0)
        self.connect(m, 0, target, 0)

    def quit_at_load(self):
        lb = self.obj("loadbang")
        q = self.msg("\\; pd quit")
        self.connect(lb, 0, q, 0)

    def text(self):
        return "#N canvas 0 0 600 400 12;\n" + "\n".join(self.items + self.conns) + "\n"


def quit_after(p, trigger):
    """When object `trigger` fires: print `DONE: 1` and quit Pd."""
    fin = p.msg("1")
    p.connect(trigger, 0, fin, 0)
    pq = p.obj("print DONE")
    p.connect(fin, 0, pq, 0)
    q = p.obj("delay 0")
    p.connect(trigger, 0, q, 0)
    qm = p.msg("\\; pd quit")
    p.connect(q, 0, qm, 0)


def with_subpatch(p, sub, name="dut"):
    """The patch text of p with `sub` as one more object, [pd name]."""
    text = p.text().rstrip("\n").split("\n")
    subtext = ["#N canvas 0 0 450 300 %s 0;" % name] + sub.items + sub.conns + \
              ["#X restore 400 10 pd %s;" % name]
    n_parent = len(p.items)
    return "\n".join(text[:1 + n_parent] + subtext + text[1 + n_parent:]) + "\n"


def _load_and_schedule(p, wav, nch, at):
    """Parent-patch part shared by play_through and render: load the WAV
    into tables in0.., start DSP and playback (`go`), send the timed
    messages to `tomsg` with `MARK: <ms>` printed at the same logical time.
    Returns the [r go] object."""
    lb = p.obj("loadbang")
    rd = p.msg("read -resize -maxsize 1e+09 %s %s" % (
        os.path.basename(wav), " ".join("in%d" % c for c in range(nch))))
    sf = p.obj("soundfiler")
    p.connect(lb, 0, rd, 0)
    p.connect(rd, 0, sf, 0)
    start = p.msg("\\; pd dsp 1 \\; go bang")
    p.connect(sf, 0, start, 0)
    rgo = p.obj("r go")
    for ms, m in at:
        d = p.obj("delay %g" % ms)
        p.connect(rgo, 0, d, 0)
        mk = p.msg("\\; marker %g \\; tomsg %s" % (ms, m))
        p.connect(d, 0, mk, 0)
    rmk = p.obj("r marker")
    pmk = p.obj("print MARK")
    p.connect(rmk, 0, pmk, 0)
    return rgo


def play_through(wav, nch, obj, sr=48000, block=64, at=(), end=("bang",),
                 signal_outs=0, capture=0, timeout=300, name="play", wrapper=()):
    """Plays a WAV (nch channels) into `obj` (e.g. "smartmaster/lufs~ -ch 2"),
    printing its info outlet as `OUT: ...`.

    at:  (ms, message) pairs sent to the object that long after playback starts
         (markers `MARK: <ms>` are printed at the same logical time);
    end: messages sent to the object when playback ends;
    signal_outs: number of signal outlets to wire (the info outlet is the
         next one); capture: if > 0, the last `capture` samples of each
         signal outlet are printed as `SIG<k>: ...` after playback.
    The object runs inside a subpatch with [block~ block]. The run ends with
    `DONE: 1` when the patch quit normally."""
    p = Patch()
    sub = Patch()
    blk = sub.obj("block~ %d" % block)
    go = sub.obj("r go")
    dut = sub.obj(obj)
    tomsg = sub.obj("r tomsg")
    sub.connect(tomsg, 0, dut, 0)
    pr = sub.obj("print OUT")
    sub.connect(dut, signal_outs, pr, 0)
    for c in range(nch):
        tp = sub.obj("tabplay~ in%d" % c)
        sub.connect(go, 0, tp, 0)
        sub.connect(tp, 0, dut, c)
        if c == 0:
            done = sub.obj("s done")
            sub.connect(tp, 1, done, 0)
    for k in range(signal_outs if capture else 0):
        tw = sub.obj("tabwrite~ out%d" % k)
        sub.connect(dut, k, tw, 0)
        rc = sub.obj("r capture")
        sub.connect(rc, 0, tw, 0)
    del blk
    # parent
    for c in range(nch):
        p.table("in%d" % c)
    for k in range(signal_outs if capture else 0):
        p.table("out%d" % k, capture)
    _load_and_schedule(p, wav, nch, at)
    rdone = p.obj("r done")
    # capture the last block(s) just before the end: start tabwrite~ `capture`
    # samples before the file ends is awkward; capture right after instead,
    # while the object keeps running on silence-free tails is not wanted, so
    # callers append their own tail to the file and we capture at the end.
    endmsg = "\\; capture bang" if capture else ""
    for m in end:
        endmsg += " \\; tomsg %s" % m
    em = p.msg(endmsg.lstrip(" "))
    p.connect(rdone, 0, em, 0)
    dl = p.obj("delay %g" % (1000.0 * (capture + 2 * block) / sr + 1))
    p.connect(rdone, 0, dl, 0)
    fin = p.msg(("\\; sigdump bang " if capture else "") + "\\; finish bang")
    p.connect(dl, 0, fin, 0)
    for k in range(signal_outs if capture else 0):
        rs = p.obj("r sigdump")
        ag = p.obj("array get out%d" % k)
        ps = p.obj("print SIG%d" % k)
        p.connect(rs, 0, ag, 0)
        p.connect(ag, 0, ps, 0)
    quit_after(p, p.obj("r finish"))
    return run_patch(with_subpatch(p, sub), sr=sr, timeout=timeout, name=name,
                     wrapper=wrapper)


def done(res):
    return any(ln.startswith("DONE: 1") for ln in res.lines)


def read_wav(path):
    """(channels x frames float array, sample rate) from a float32 or PCM WAV."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", path
    pos, fmt, raw = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", body[:16])
        elif cid == b"data":
            raw = body
        pos += 8 + size + (size & 1)
    tag, nch, sr, _, _, bits = fmt
    if bits == 32 and tag in (3, 0xfffe):
        x = np.frombuffer(raw, dtype="<f4")
    elif bits == 16:
        x = np.frombuffer(raw, dtype="<i2") / 32768.0
    elif bits == 24:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        x = ((b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8) / 8388608.0
    else:
        raise AssertionError("unsupported WAV format %s/%s" % (tag, bits))
    return x.reshape(-1, nch).T.astype(np.float64), sr


def render(chans, obj, n_out, sr=48000, block=64, at=(), end=(), tail_ms=0,
           name="render", timeout=300, msg_inlet=0):
    """Plays `chans` (arrays) into the inlets of `obj` in real Pd and records
    its first n_out signal outlets for the length of the input plus tail_ms.
    The info outlet (outlet n_out) prints as `OUT: ...`; `at` sends
    (ms, message) pairs to the object's inlet msg_inlet, `end` messages
    when playback ends.
    Returns (outputs as an n_out x frames array, Result)."""
    nch = len(chans)
    frames = len(chans[0]) + int(round(tail_ms * sr / 1000.0))
    wav = os.path.join(OUT, name + "-in.wav")
    out = os.path.join(OUT, name + "-out.wav")
    write_wav(wav, chans, sr)
    if os.path.exists(out):
        os.unlink(out)
    sub = Patch()
    sub.obj("block~ %d" % block)
    go = sub.obj("r go")
    dut = sub.obj(obj)
    rm = sub.obj("r tomsg")
    sub.connect(rm, 0, dut, msg_inlet)
    pr = sub.obj("print OUT")
    sub.connect(dut, n_out, pr, 0)
    for c in range(nch):
        tp = sub.obj("tabplay~ in%d" % c)
        sub.connect(go, 0, tp, 0)
        sub.connect(tp, 0, dut, c)
        if c == 0:
            d = sub.obj("s done")
            sub.connect(tp, 1, d, 0)
    for k in range(n_out):
        tw = sub.obj("tabwrite~ out%d" % k)
        sub.connect(go, 0, tw, 0)
        sub.connect(dut, k, tw, 0)
    p = Patch()
    for c in range(nch):
        p.table("in%d" % c)
    for k in range(n_out):
        p.table("out%d" % k, frames)
    rgo = _load_and_schedule(p, wav, nch, at)
    rdone = p.obj("r done")
    if end:
        em = p.msg(" ".join("\\; tomsg %s" % m for m in end).lstrip())
        p.connect(rdone, 0, em, 0)
    # the recording runs `frames` samples from the start: wait for it
    wait = p.obj("delay %g" % (1000.0 * (frames + 2 * block) / sr))
    p.connect(rgo, 0, wait, 0)
    wr = p.msg("write -wave -bytes 4 %s %s" % (
        os.path.basename(out), " ".join("out%d" % k for k in range(n_out))))
    p.connect(wait, 0, wr, 0)
    sf2 = p.obj("soundfiler")
    p.connect(wr, 0, sf2, 0)
    quit_after(p, wait)
    res = run_patch(with_subpatch(p, sub), sr=sr, timeout=timeout, name=name)
    os.unlink(wav)
    assert done(res), "Pd did not finish: " + res.log[-500:]
    y, _ = read_wav(out)
    os.unlink(out)
    return y, res
