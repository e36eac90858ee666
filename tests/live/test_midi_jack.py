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
    inputs, outputs = list_ports("jack")
    assert isinstance(inputs, list) and isinstance(outputs, list)


def test_missing_ports_are_explained(jack_server):
    from djai_live.live.midi import open_output

    with pytest.raises(MidiPortError, match="no MIDI output port matches 'nonexistent'"):
        open_output("nonexistent", "jack")


def test_other_midi_messages_are_ignored():
    import mido

    assert message_to_command(mido.Message("control_change", control=1, value=3)) is None
    assert message_to_command(mido.Message("pitchwheel", pitch=100)) is None
    assert message_to_command(mido.Message("note_on", note=60, velocity=0, channel=2)).args == (60, 3)
