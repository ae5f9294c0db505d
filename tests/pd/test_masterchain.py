"""masterchain~ in real Pd: its reported total latency is the measured
delay, a target sets the ceiling, and a neutral chain passes audio through
unchanged apart from the delay and the crossover allpass."""
import numpy as np

import pdrun
from signals import bs1770_peak_4x, db


def chain(chans, args="", at=(), sr=48000):
    y, res = pdrun.render(chans, "smartmaster/masterchain~ " + args, 2, sr=sr,
                          at=at, end=(), tail_ms=20, name="chain", msg_inlet=2)
    assert not res.errors(), res.errors()
    return y, res


def test_reported_latency_is_the_measured_delay():
    for sr in (44100, 48000):
        x = np.zeros(sr // 2)
        x[1000] = 0.5
        # bypassed, every stage is a pure delay of its reported latency
        y, res = chain([x, x], at=[(0, "bypass 1")], sr=sr)
        lat = [v for v in res.reports("OUT", "latency")]
        assert lat, "no latency report"
        measured = int(np.argmax(np.abs(y[0]))) - 1000
        assert lat[-1][0] == measured, "reported %s, measured %d" % (lat[-1], measured)
        assert abs(lat[-1][1] - 1000.0 * measured / sr) < 1e-3


def test_target_sets_the_ceiling():
    sr = 48000
    t = np.arange(sr) / sr
    x = 1.5 * np.sin(2 * np.pi * 997 * t)
    y, res = chain([x, x], "ebu")
    tp = db(bs1770_peak_4x(y[0]))
    assert tp <= -1.0, "EBU target: true peak %.3f dBTP" % tp
    target = [w for w in res.printed("OUT") if w[:2] == ["target", "truepeak"]]
    assert target and float(target[-1][2]) == -1.0, target
    y, res = chain([x, x], "atsc")
    assert db(bs1770_peak_4x(y[0])) <= -2.0, "ATSC target: %.3f" % db(bs1770_peak_4x(y[0]))


def test_distance_to_the_target():
    # a steady 997 Hz stereo sine at -20 dBFS reads -20 LUFS (EBU Tech 3341
    # case 1 convention); with the EBU target (-23) the distance is +3 LU
    sr = 48000
    t = np.arange(4 * sr) / sr
    x = 10 ** (-20 / 20) * np.sin(2 * np.pi * 997 * t)
    y, res = chain([x, x], "ebu", at=[(3900, "bang")])
    d = res.reports("OUT", "distance")
    assert d, "no distance report"
    assert abs(d[-1][0] - 3.0) <= 0.2, "distance %.2f LU, expected +3" % d[-1][0]
