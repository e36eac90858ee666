"""Real MIDI ports: the daemon on JACK (dummy driver, no sound card) with a separate rtmidi peer.

CI installs jackd2, so this runs there; it is skipped only where no JACK server can be started.
"""
import time

import pytest

from djai_live.live.midi import MidiPortError, list_ports, message_to_command
from tests.live.conftest import free_udp_port, running_daemon


def find(names, fragment):
    matches = [name for name in names if fragment in name]
    assert matches, f"{fragment!r} not in {names}"
    return matches[0]


def test_notes_in_and_out_through_jack_ports(jack_server):
    import mido

    backend = mido.Backend("mido.backends.rtmidi/UNIX_JACK")
    with running_daemon("--midi-api", "jack", "--midi-in", "virtual", "--midi-out", "virtual", "--mode", "every",
                        "--every-n", "4", "--length", "6", "--tempo-bpm", "300", reply_port=free_udp_port()):
        received = []
        listener = backend.open_input(find(backend.get_input_names(), "djai_live out"),
                                      callback=lambda message: received.append((time.monotonic(), message)))
        player = backend.open_output(find(backend.get_output_names(), "djai_live in"))
        for pitch in (60, 62, 64, 65):
            player.send(mido.Message("note_on", note=pitch, velocity=90))
            time.sleep(0.05)  # paced: JACK drops unpaced floods
            player.send(mido.Message("note_off", note=pitch))
            time.sleep(0.01)
        player.send(mido.Message("control_change", control=64, value=127))  # ignored safely
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and sum(m.type == "note_off" for _, m in received) < 6:
            time.sleep(0.05)
        player.close()
        listener.close()
    ons = [m for _, m in received if m.type == "note_on" and m.velocity > 0]
    offs = [m for _, m in received if m.type == "note_off" or (m.type == "note_on" and m.velocity == 0)]
    assert len(ons) == 6 and len(offs) == 6, f"received: {[m for _, m in received]}"
    assert sorted(m.note for m in ons) == sorted(m.note for m in offs)
    assert all(m.channel == 0 for m in ons)  # channel_out 1


def test_ports_lists_the_jack_ports(jack_server):
    """Another program's ports, each on the side djai-live would open it from: its output is one of our
    inputs, its input one of our outputs; `djai-live ports` prints both."""
    import subprocess
    import sys

    import mido

    backend = mido.Backend("mido.backends.rtmidi/UNIX_JACK")
    their_out = backend.open_output("probe_sends", virtual=True, client_name="djai_probe")
    their_in = backend.open_input("probe_hears", virtual=True, client_name="djai_probe")
    try:
        inputs, outputs = list_ports("jack")
        printed = subprocess.run([sys.executable, "-m", "djai_live.cli", "ports", "--midi-api", "jack"],
                                 capture_output=True, text=True, timeout=60)
    finally:
        their_out.close()
        their_in.close()
    assert [name for name in inputs if "probe_sends" in name] and not [n for n in inputs if "probe_hears" in n]
    assert [name for name in outputs if "probe_hears" in name] and not [n for n in outputs if "probe_sends" in n]
    assert printed.returncode == 0, printed.stderr
    listed_inputs, listed_outputs = printed.stdout.split("MIDI outputs:")
    assert "probe_sends" in listed_inputs and "probe_hears" in listed_outputs


def send_clock(port, ticks: int, bpm: float, sent: list) -> None:
    """MIDI clock as a host sends it: 24 ticks a beat, each on its due time (pacing, not synchronization)."""
    import mido

    period = 60.0 / bpm / 24
    start = time.monotonic()
    for i in range(ticks):
        due = start + i * period
        while time.monotonic() < due:
            time.sleep(0.001)
        port.send(mido.Message("clock"))
        sent.append(time.monotonic())


def sent_tempo(sent: list) -> float:
    """The tempo the ticks really went out at (a least-squares line: a loaded sender is late now and then)."""
    import numpy as np

    slope = np.polyfit(np.arange(len(sent)), np.asarray(sent), 1)[0]
    return 60.0 / (slope * 24)


def test_midi_clock_through_a_real_port_start_stop_and_song_position(jack_server):
    """Start, clock, Stop, Song Position and Continue from another client over a JACK port: the daemon
    takes its tempo from the ticks and counts its beat from them and the song position. (How closely it
    follows, under jitter and loss, is measured by scripts/bench_clock.py; the bounds here only tell the
    clock's tempo from the default 120 BPM and one beat from the next, whatever the load.)"""
    import mido

    from tests.live.conftest import OscPeer

    backend = mido.Backend("mido.backends.rtmidi/UNIX_JACK")
    reply_port = free_udp_port()
    with running_daemon("--midi-api", "jack", "--midi-in", "virtual", "--clock", "midi", "--mode", "manual",
                        reply_port=reply_port) as (_, port):
        peer = OscPeer(port, listen_port=reply_port)
        host = backend.open_output(find(backend.get_output_names(), "djai_live in"))
        try:
            values = peer.status()
            assert values["clock"] == "midi" and values["running"] == 0 and values["beat"] == -1.0
            sent = []
            host.send(mido.Message("start"))
            send_clock(host, 24 * 4, 180.0, sent)          # four beats at 180 BPM
            values = peer.status()
            asked_after = time.monotonic() - sent[-1]
            assert values["running"] == 1
            assert values["tempo"] == pytest.approx(sent_tempo(sent), rel=0.25), (values["tempo"], sent_tempo(sent))
            # the last tick was beat 95/24; the beat goes on at the tempo until the status was made
            last_beat = (len(sent) - 1) / 24
            assert last_beat - 0.5 <= values["beat"] <= last_beat + asked_after * values["tempo"] / 60 + 0.5

            host.send(mido.Message("stop"))
            values = peer.wait_for_status(lambda v: v["running"] == 0)
            assert values["beat"] == -1.0                   # stopped: no beat to place answers on
            host.send(mido.Message("songpos", pos=32))      # sixteenth 32: beat 8
            host.send(mido.Message("continue"))
            sent = []
            send_clock(host, 24 * 2, 80.0, sent)
            values = peer.status()
            asked_after = time.monotonic() - sent[-1]
            assert values["running"] == 1
            last_beat = 8 + (len(sent) - 1) / 24
            assert last_beat - 0.5 <= values["beat"] <= last_beat + asked_after * values["tempo"] / 60 + 0.5
            assert values["tempo"] == pytest.approx(sent_tempo(sent), rel=0.25), (values["tempo"], sent_tempo(sent))
        finally:
            host.close()
            peer.close()


def test_missing_ports_are_explained(jack_server):
    from djai_live.live.midi import open_output

    with pytest.raises(MidiPortError, match="no MIDI output port matches 'nonexistent'"):
        open_output("nonexistent", "jack")


def test_other_midi_messages_are_ignored():
    import mido

    assert message_to_command(mido.Message("control_change", control=1, value=3)) is None
    assert message_to_command(mido.Message("pitchwheel", pitch=100)) is None
    assert message_to_command(mido.Message("note_on", note=60, velocity=0, channel=2)).args == (60, 3)
