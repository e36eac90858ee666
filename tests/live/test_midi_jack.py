"""Real MIDI ports: the daemon on JACK (dummy driver, no sound card) with a separate rtmidi peer.

CI installs jackd2, so this runs there; it is skipped only where no JACK server can be started.
"""
import time

import pytest

from djai_live.live.midi import MidiPortError, bytes_to_command, list_ports
from tests.support.osc import OscPeer, free_udp_port, running_daemon


def find(names, fragment):
    matches = [name for name in names if fragment in name]
    assert matches, f"{fragment!r} not in {names}"
    return matches[0]


def test_notes_in_and_out_through_jack_ports(jack_server):
    import mido

    backend = mido.Backend("mido.backends.rtmidi/UNIX_JACK")
    reply_port = free_udp_port()
    with running_daemon("--midi-api", "jack", "--midi-in", "virtual", "--midi-out", "virtual", "--mode", "every",
                        "--every-n", "4", "--length", "6", "--tempo-bpm", "300", reply_port=reply_port) as (_, port):
        received = []
        listener = backend.open_input(find(backend.get_input_names(), "djai_live out"),
                                      callback=lambda message: received.append((time.monotonic(), message)))
        player = backend.open_output(find(backend.get_output_names(), "djai_live in"))
        peer = OscPeer(port, listen_port=reply_port)
        heard(peer, lambda *data: player.send(mido.Message.from_bytes(list(data))), 48)  # the path is open
        peer.send("/djai/reset")  # and the every-n count starts again
        peer.wait_for("/djai/reset")
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
    sending, receiving = printed.stdout.split("Ports that receive MIDI")
    assert sending.startswith("Ports that send MIDI (djai-live can listen to them: --midi-in NAME):")
    assert "probe_sends" in sending and "probe_hears" in receiving


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

    from tests.support.osc import OscPeer

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
            # the last tick was beat 95/24; on a loaded machine the ticks may reach the daemon late, so wait
            # until it has counted them (it never does if it drops or miscounts them); its beat then goes on at
            # the tempo until the status was made
            last_beat = (len(sent) - 1) / 24
            values = peer.wait_for_status(lambda v: v["beat"] >= last_beat - 0.5)
            asked_after = time.monotonic() - sent[-1]
            assert values["running"] == 1
            assert values["tempo"] == pytest.approx(sent_tempo(sent), rel=0.25), (values["tempo"], sent_tempo(sent))
            assert values["beat"] <= last_beat + asked_after * values["tempo"] / 60 + 0.5

            host.send(mido.Message("stop"))
            values = peer.wait_for_status(lambda v: v["running"] == 0)
            assert values["beat"] == -1.0                   # stopped: no beat to place answers on
            host.send(mido.Message("songpos", pos=32))      # sixteenth 32: beat 8
            host.send(mido.Message("continue"))
            sent = []
            send_clock(host, 24 * 2, 80.0, sent)
            last_beat = 8 + (len(sent) - 1) / 24
            values = peer.wait_for_status(lambda v: v["beat"] >= last_beat - 0.5)
            asked_after = time.monotonic() - sent[-1]
            assert values["running"] == 1
            # where the host is now, give or take half a beat (not merely past it: the beat runs on at the tempo)
            assert abs(values["beat"] - (last_beat + asked_after * values["tempo"] / 60)) < 0.5, values
            assert values["tempo"] == pytest.approx(sent_tempo(sent), rel=0.25), (values["tempo"], sent_tempo(sent))
        finally:
            host.close()
            peer.close()


def test_missing_ports_are_explained(jack_server):
    from djai_live.live.midi import open_output

    with pytest.raises(MidiPortError, match="no MIDI output port matches 'nonexistent'"):
        open_output("nonexistent", "jack")


def test_note_bytes_become_commands_and_other_messages_are_ignored():
    import mido

    def command(message):
        return bytes_to_command(message.bytes())

    assert command(mido.Message("control_change", control=1, value=3)) is None
    assert command(mido.Message("pitchwheel", pitch=100)) is None
    assert command(mido.Message("note_on", note=60, velocity=0, channel=2)).args == (60, 3)
    assert command(mido.Message("note_on", note=61, velocity=90, channel=15)).args == (61, 90, 16)
    assert command(mido.Message("note_off", note=62, velocity=40, channel=0)).args == (62, 1)
    assert bytes_to_command([0x90, 200, 90]) is None      # a data byte out of range: a driver's garbage
    assert bytes_to_command([0x90, 60]) is None           # cut short


def heard(peer, send, pitch: int, tries: int = 20) -> None:
    """Play a note until the daemon says it heard it: JACK can lose what is sent in the first cycles
    after a connection is made, more so on a loaded machine."""
    def notes_in() -> int:
        peer.clear()
        peer.send("/djai/status")
        (_, _, status), = peer.wait_for("/djai/status")
        return dict(zip(status[::2], status[1::2]))["notes_in"]

    before = notes_in()
    for _ in range(tries):
        send(0x90, pitch, 90)
        send(0x80, pitch, 0)
        deadline = time.monotonic() + 1.0  # /djai/status can overtake a note: ask again before playing again
        while time.monotonic() < deadline:
            if notes_in() > before:
                return
    raise AssertionError(f"the daemon never heard note {pitch} from the keyboard")


def wait_notes_in(peer, count: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        peer.clear()
        peer.send("/djai/status")
        (_, _, status), = peer.wait_for("/djai/status")
        if dict(zip(status[::2], status[1::2]))["notes_in"] >= count:
            return
    raise AssertionError(f"the daemon did not hear {count} notes")


def wait_states(peer, expected: set, timeout: float = 10.0) -> None:
    """Until /djai/midi_port has told each (direction, state) in ``expected``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if expected <= {tuple(m[2][:2]) for m in peer.messages("/djai/midi_port")}:
            return
        time.sleep(0.01)
    raise AssertionError(f"waited for {expected}; got {peer.messages('/djai/midi_port')}")


def test_devices_unplugged_and_back_are_followed_and_panic_leaves_the_synth_silent(jack_server):
    """Keyboard and synth are other processes' JACK ports: killed mid-note (unplugged), started again under
    the same names (plugged back). The daemon says so both times, connects again by name, answers the
    keyboard again, and a panic ends at the synth every note ever sent, the one whose note-off went
    nowhere (cut off by the unplugging) included."""
    from tests.support.osc import OscPeer
    from tests.live.jack_devices import Device, Synth, jack_port_names, sounding_after

    synth, keyboard = Synth("test_synth").plug(), Device("keyboard", "test_kbd").plug()
    reply_port = free_udp_port()
    try:
        with running_daemon("--midi-api", "jack", "--midi-in", "test_kbd", "--midi-out", "test_synth", "--mode",
                            "every", "--every-n", "1", "--length", "4", "--tempo-bpm", "30",
                            reply_port=reply_port) as (_, port):
            peer = OscPeer(port, listen_port=reply_port)
            names = jack_port_names()
            assert ":djai_live in" in names and ":djai_live out" in names and "RtMidi" not in names
            heard(peer, keyboard.send, 60)
            synth.wait_for(lambda received: sounding_after(received))  # the answer sounds (2 s a note)
            before = list(synth.messages)
            synth.unplug()
            keyboard.unplug()
            wait_states(peer, {("in", "gone"), ("out", "gone")})
            assert any("test_synth" in m[2][0] for m in peer.messages("/djai/error"))
            peer.clear()
            synth, keyboard = Synth("test_synth").plug(), Device("keyboard", "test_kbd").plug()
            wait_states(peer, {("in", "back"), ("out", "back")})
            heard(peer, keyboard.send, 62)
            synth.wait_for(lambda received: any(m[0] == 0x90 and m[2] > 0 for m in received))  # a new answer
            assert sounding_after(before), "nothing was cut off by the unplugging; the test proves nothing"
            peer.send("/djai/panic")
            synth.wait_for(lambda received: sum(1 for m in received if m[:2] == (0xB0, 120)) >= 1)
            ever_sent = {(m[0] & 0x0F, m[1]) for m in before + synth.messages if m[0] & 0xF0 == 0x90 and m[2]}
            ended = {(m[0] & 0x0F, m[1]) for m in synth.messages if m[0] & 0xF0 == 0x80}
            assert ever_sent <= ended  # the old synth's stuck note would have ended too
            assert not sounding_after(before + synth.messages)
            assert (0xB0, 123, 0) in synth.messages
    finally:
        synth.close()
        keyboard.close()


def test_the_ports_come_back_after_the_jack_server_restarts(jack_server):
    from tests.support.osc import OscPeer
    from tests.live.jack_devices import Synth, jack_port_names

    reply_port = free_udp_port()
    synth = Synth("test_synth2").plug()
    try:
        with running_daemon("--midi-api", "jack", "--midi-in", "virtual", "--midi-out", "test_synth2",
                            "--mode", "manual", "--length", "3", "--tempo-bpm", "300", reply_port=reply_port) \
                as (process, port):
            peer = OscPeer(port, listen_port=reply_port)
            synth.unplug()
            jack_server.restart()
            wait_states(peer, {("in", "gone"), ("out", "gone")})
            peer.clear()
            synth = Synth("test_synth2").plug()
            wait_states(peer, {("in", "back"), ("out", "back")})
            assert ":djai_live in" in jack_port_names()
            for pitch in (60, 64, 67):
                peer.send("/djai/note", pitch, 90)
                peer.send("/djai/note", pitch, 0)
            wait_notes_in(peer, 3)  # /djai/generate travels in the control lane: it would overtake them
            peer.send("/djai/generate")
            synth.wait_for(lambda received: sum(1 for m in received if m[0] == 0x80) >= 3)
            peer.send("/djai/ping")
            peer.wait_for("/djai/pong")
        assert process.returncode == 0
    finally:
        synth.close()


def test_jack_input_keeps_every_tick_while_the_interpreter_is_busy(jack_server):
    """rtmidi calls a callback from JACK's process thread, which would then wait for the interpreter lock;
    while another thread holds it (a model step), JACK's cycles overrun and their messages are lost. The
    lock is held here by a C call that sleeps (no CPU taken, so nothing else is starved): every tick must
    still arrive, stamped at its time."""
    import ctypes
    import threading

    import numpy as np

    from djai_live.live.midi import MidiInput
    from tests.support.midi_clock import ClockProcess

    clock = ClockProcess("120:4", client="BusyClock", jitter_ms=0.0).open()
    heard: list[tuple[str, float]] = []
    port = MidiInput("BusyClock", "jack", lambda command: None, lambda kind, when, value: heard.append((kind, when)))
    holding = ctypes.PyDLL(None)  # PyDLL: the interpreter lock stays held during the call
    stop = threading.Event()

    def hold_the_lock() -> None:
        while not stop.is_set():
            holding.usleep(30_000)   # 30 ms with the lock: more than 20 JACK cycles
            time.sleep(0.005)

    try:
        port.open()
        time.sleep(0.3)
        busy = threading.Thread(target=hold_the_lock, daemon=True)
        busy.start()
        clock.play(time.monotonic() + 0.3)
        clock.wait(30)
        time.sleep(0.3)
        stop.set()
        busy.join(2)
    finally:
        port.close()
        clock.close()
    kinds = [kind for kind, _ in heard]
    assert kinds[0] == "start" and kinds[-1] == "stop" and kinds.count("clock") == 96, kinds
    spacing = np.diff([when for kind, when in heard if kind == "clock"]) * 1000.0
    assert abs(float(np.median(spacing)) - 60_000 / 120 / 24) < 0.5      # stamped in JACK's thread, not late
