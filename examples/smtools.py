"""Shared helpers of smartmaster's command-line scripts: reading sound
file headers, finding the built library, running Pd in batch mode."""
import os
import struct
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


class Failure(Exception):
    """An error for the user: printed without a traceback."""


def sound_info(path):
    """(sample rate, channels, frames) from a WAV or AIFF header."""
    try:
        f = open(path, "rb")
    except OSError as e:
        raise Failure("%s: %s" % (path, e.strerror))
    with f:
        head = f.read(12)
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            fmt = None
            while True:
                ck = f.read(8)
                if len(ck) < 8:
                    break
                cid, size = ck[:4], struct.unpack("<I", ck[4:])[0]
                if cid == b"fmt ":
                    fmt = f.read(size)
                    nch, sr = struct.unpack("<HI", fmt[2:8])
                    align = struct.unpack("<H", fmt[12:14])[0]
                    if size & 1:
                        f.seek(1, 1)
                    continue
                if cid == b"data" and fmt:
                    return sr, nch, size // max(align, 1)
                f.seek(size + (size & 1), 1)
        if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
            while True:
                ck = f.read(8)
                if len(ck) < 8:
                    break
                cid, size = ck[:4], struct.unpack(">I", ck[4:])[0]
                if cid == b"COMM":
                    comm = f.read(size)
                    nch = struct.unpack(">h", comm[:2])[0]
                    frames = struct.unpack(">I", comm[2:6])[0]
                    exp = struct.unpack(">H", comm[8:10])[0] & 0x7fff
                    mant = struct.unpack(">Q", comm[10:18])[0]
                    return round(mant * 2.0 ** (exp - 16383 - 63)), nch, frames
                f.seek(size + (size & 1), 1)
    raise Failure("%s: not a WAV or AIFF file" % path)


def library_path():
    path = os.environ.get("SMARTMASTER_PATH")
    if path:
        return path
    stage = os.path.join(ROOT, "build", "stage")
    subprocess.run(["make", "-s", "-C", ROOT, "install", "PDLIBDIR=" + stage],
                   check=True, stdout=subprocess.DEVNULL)
    return stage




def run_pd(patch, sr, sends, on_line=None):
    """Runs a patch in pd -batch with `-send` messages; calls on_line for
    every line Pd prints; returns Pd's exit status."""
    cmd = ["pd", "-nogui", "-batch", "-noprefs", "-nosound", "-stderr",
           "-r", str(int(sr)), "-path", library_path(), "-open", patch]
    for s in sends:
        cmd += ["-send", s]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for raw in p.stdout:
        if on_line:
            on_line(raw.decode("utf-8", "replace").rstrip("\n"))
    return p.wait()


def read_targets(path):
    """Delivery targets from abstractions/targets.txt:
    {name: (integrated LUFS, max true peak dBTP, tolerance LU, note)}."""
    targets = {}
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as e:
        raise Failure("%s: %s" % (path, e.strerror))
    for ln in lines:
        body, _, note = ln.partition("#")
        words = body.replace(";", " ").split()
        if not words:
            continue
        if len(words) < 4:
            raise Failure("%s: cannot read the line '%s'" % (path, ln.strip()))
        try:
            targets[words[0]] = (float(words[1]), float(words[2]), float(words[3]),
                                 note.strip())
        except ValueError:
            raise Failure("%s: cannot read the line '%s'" % (path, ln.strip()))
    return targets
