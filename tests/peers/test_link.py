"""Ableton Link: the daemon joins a session that another Link peer on this machine started, and agrees
with it on tempo and beat phase (Link discovers peers by multicast, which works on loopback here)."""
import subprocess
import sys
import time

import pytest

from tests.support.osc import OscPeer, free_udp_port, running_daemon
from tests.peer import need_module

need_module("link", install="pip install LinkPython-extern")

QUANTUM = 4.0  # beats; the peer below and the daemon's Link clock both use a bar of 4

PEER = """
import sys, time, link
session = link.Link(97.0)
session.enabled = True
print("ready", flush=True)
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    state = session.captureSessionState()
    before = time.monotonic()
    link_now = session.clock().micros()
    after = time.monotonic()   # Link's time was read somewhere in [before, after]
    print(f"{(before + after) / 2!r} {state.tempo()!r} {state.beatAtTime(link_now, 4.0)!r} {session.numPeers()} "
          f"{(after - before) / 2!r}", flush=True)
    time.sleep(0.05)  # sampling interval
"""


def peer_samples(log) -> list[tuple[float, ...]]:
    """(monotonic time, tempo, beat, peers, +- uncertainty of that time) per sample of the peer."""
    return [tuple(map(float, line.split())) for line in log.read_text().splitlines()[1:] if line.strip()]


def test_daemon_joins_a_link_session_and_agrees_on_tempo_and_phase(tmp_path):
    log = tmp_path / "peer.txt"
    with open(log, "w") as output:
        peer = subprocess.Popen([sys.executable, "-c", PEER, "30"], stdout=output, text=True)
    try:
        deadline = time.monotonic() + 10
        while "ready" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        reply_port = free_udp_port()
        with running_daemon("--clock", "link", "--tempo-bpm", "120", reply_port=reply_port) as (_, port):
            osc = OscPeer(port, listen_port=reply_port)
            try:
                agreed = None
                deadline = time.monotonic() + 15
                while agreed is None and time.monotonic() < deadline:  # Link needs a moment to find its peer
                    time.sleep(0.3)  # polling interval
                    osc.received.clear()
                    asked = time.monotonic()
                    osc.send("/djai/status")
                    (answered, _, status), = osc.wait_for("/djai/status")[-1:]
                    values = dict(zip(status[::2], status[1::2]))
                    latest = peer_samples(log)[-1]
                    if values["link_peers"] >= 1 and latest[3] >= 1 and abs(values["tempo"] - latest[1]) < 1e-3:
                        agreed = (asked, answered, values)
            finally:
                osc.close()
        assert agreed is not None, "the daemon and the peer never agreed on a tempo"
    finally:
        peer.kill()
        peer.wait()
    asked, answered, values = agreed
    # which tempo wins when sessions meet is Link's choice; both must then share it and the beat phase
    mono, tempo, beat, _, uncertain = min(peer_samples(log), key=lambda sample: abs(sample[0] - asked))
    assert values["tempo"] == pytest.approx(tempo, abs=1e-3)
    expected = beat + (asked - mono) * tempo / 60.0   # the peer's beat when the daemon was asked
    # the daemon read its beat between asking and answering; the peer's sample is as uncertain as it says
    window = (answered - asked) * tempo / 60.0
    slack = uncertain * tempo / 60.0 + 0.01
    # Link aligns the phase within its quantum (a bar of 4 beats), not the beat count: the daemon joined
    # a session whose count it did not start, so compare beats modulo the quantum
    offset = (values["beat"] - expected + 2.0) % QUANTUM - 2.0
    assert -slack <= offset <= window + slack, (values["beat"], expected, window, slack)
