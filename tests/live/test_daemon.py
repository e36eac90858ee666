"""`djai-live serve` as a subprocess, over real UDP on loopback."""
import math
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from pythonosc.udp_client import SimpleUDPClient

from tests.support.osc import OscPeer, free_udp_port, perform, running_daemon, sounding_at_host


def play_phrase(peer, pitches=(60, 62, 64, 65, 67, 65, 64, 62), gap=0.06):
    """A performer's phrase in real time: the pauses are the music (note lengths), not synchronization."""
    for pitch in pitches:
        peer.send("/djai/note", float(pitch), 90.0)  # as Pd sends them: floats
        time.sleep(gap)
        peer.send("/djai/note", pitch, 0)
        time.sleep(0.01)


def note_pairs(peer):
    ons = [(t, args[0]) for t, _, args in peer.messages("/djai/note")]
    offs = [(t, args[0]) for t, _, args in peer.messages("/djai/note_off")]
    return ons, offs


@pytest.mark.daemon_args("--phrase-gap-ms", "1000", "--seed", "1")
def test_call_and_response_over_osc(peer_and_daemon):
    peer, _ = peer_and_daemon
    peer.send("/djai/ping")
    peer.wait_for("/djai/pong")
    play_phrase(peer)
    (_, _, phrase), = peer.wait_for("/djai/phrase")
    phrase_id, count = phrase[:2]
    assert count == 10 and len(phrase) == 2 + 4 * count
    notes = [phrase[2 + 4 * i: 6 + 4 * i] for i in range(count)]
    assert notes[0][0] == 0.0 and all(0 <= pitch <= 127 for _, pitch, _, _ in notes)
    peer.wait_for("/djai/note_off", count, timeout=30)
    ons, offs = note_pairs(peer)
    assert [p for _, p in ons] == [n[1] for n in notes]
    assert sorted(p for _, p in offs) == sorted(p for _, p in ons)


@pytest.mark.daemon_args("--mode", "manual", "--length", "4")
def test_bad_input_gets_errors_and_the_daemon_keeps_serving(peer_and_daemon):
    peer, _ = peer_and_daemon
    peer.send("/djai/generate")
    peer.wait_for("/djai/error")  # nothing heard yet
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    raw.sendto(b"\x00\x01garbage", ("127.0.0.1", peer.client._port))
    raw.sendto(os.urandom(64), ("127.0.0.1", peer.client._port))
    for address, args in [("/djai/note", (300, 90)), ("/djai/note", (float("nan"), 90)), ("/djai/note", ("x",)),
                          ("/djai/set", ("mode", "loop")), ("/djai/set", ("tempo", 1)), ("/djai/what", ())]:
        peer.send(address, *args)
    # the first error (generate) and one for each of the 8 bad inputs: the OSC edge refuses what does not
    # parse at once, the settings' errors come from the engine thread, so they may arrive in any order
    errors = peer.wait_for("/djai/error", 1 + 8)
    text = " | ".join(args[0] for _, _, args in errors)
    for fragment in ("pitch must be 0-127", "finite", "mode must be one of", "unknown parameter",
                     "unknown address", "malformed OSC packet"):
        assert fragment in text
    peer.send("/djai/set", "length", 6.0)
    perform(peer, (60, 64, 67))
    # A count of one, sent as a float: an answer of several notes may hold one pitch twice at one onset,
    # which the daemon plays as one note (merge_unisons), so its length is not always the count asked for.
    peer.send("/djai/generate", 1.0)
    (_, _, phrase), = peer.wait_for("/djai/phrase")
    assert phrase[1] == 1  # the count, not the length of 6 set above
    values = peer.status()
    assert values["mode"] == "manual" and values["length"] == 6 and values["rejected"] >= 8
    assert values["notes_in"] == 3 and values["phrases_out"] == 1


@pytest.mark.daemon_args("--mode", "manual", "--length", "12", "--tempo-bpm", "60")
def test_sigterm_mid_phrase_ends_every_note_and_exits_zero(peer_and_daemon):
    peer, process = peer_and_daemon
    play_phrase(peer, (60, 62, 64))
    peer.send("/djai/generate")
    peer.wait_for("/djai/phrase")
    peer.wait_for("/djai/note", 2, timeout=20)  # mid-phrase: some notes sounded, more to come
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 0
    ons, _ = note_pairs(peer)
    try:  # the daemon has exited: its last datagrams are on their way; a stuck note never comes
        peer.wait_for("/djai/note_off", len(ons), timeout=5)
    except AssertionError:
        pass  # reported below, with the notes left sounding
    ons, offs = note_pairs(peer)
    (_, _, phrase), = peer.messages("/djai/phrase")
    assert len(ons) < phrase[1], "the whole phrase played before SIGTERM; the test proves nothing"
    assert not sounding_at_host(peer.messages(), all_notes_off=False), "stuck notes after SIGTERM"
    assert peer.messages()[-1][1] == "/djai/all_notes_off"


@pytest.mark.daemon_args("--mode", "manual", "--length", "8", "--tempo-bpm", "60")
def test_panic_and_interrupting_end_sounding_notes(peer_and_daemon):
    peer, _ = peer_and_daemon
    perform(peer, (60, 62, 64))
    peer.send("/djai/generate")
    peer.wait_for("/djai/note", 1)
    peer.send("/djai/panic")
    peer.wait_for("/djai/all_notes_off")
    ons, _ = note_pairs(peer)
    assert len(ons) < 8 and not sounding_at_host(peer.messages(), all_notes_off=False)
    peer.clear()
    peer.send("/djai/generate")
    peer.wait_for("/djai/note", 1)
    perform(peer, (70,))  # the performer plays again: the rest of the answer is dropped
    peer.barrier()
    ons, offs = note_pairs(peer)
    assert len(ons) == len(offs) and len(ons) < 8


@pytest.mark.daemon_args("--mode", "manual")
def test_a_flood_over_udp_is_absorbed(peer_and_daemon):
    peer, _ = peer_and_daemon
    peer.send("/djai/capabilities")
    (_, _, capabilities), = peer.wait_for("/djai/capabilities")
    length = dict(zip(capabilities[::2], capabilities[1::2]))["sequence_length_i"]
    pairs = 3000
    for i in range(pairs):  # every note-on with its own note-off, as fast as Python sends
        peer.send("/djai/note", 40 + i % 40, 80)
        peer.send("/djai/note", 40 + i % 40, 0)
    deadline = time.monotonic() + 10
    while not peer.messages("/djai/pong"):  # the kernel may drop datagrams of a flood: ask until answered
        assert time.monotonic() < deadline, "the daemon stopped answering after the flood"
        peer.send("/djai/ping")
        time.sleep(0.25)  # polling interval
    peer.send("/djai/set", "length", 3)
    peer.send("/djai/generate")
    (_, _, phrase), = peer.wait_for("/djai/phrase", timeout=20)
    assert phrase[1] == 3
    values = peer.status()
    assert 0 < values["notes_in"] <= pairs and values["dropped"] >= 0
    assert values["notes_in"] + values["dropped"] <= 2 * pairs  # nothing counted twice
    assert values["buffer"] <= 2 * length + 1


def test_a_flood_drops_the_oldest_notes_counts_them_and_serves_control_messages(tiny_model, monkeypatch):
    """While the engine is busy, a flood through the OSC edge fills the note lane: the oldest notes are
    dropped and counted in /djai/status, control messages are still served, and what is left is played."""
    import threading

    from djai_live.generation import Generator
    from djai_live.live.daemon import Daemon, ServeOptions
    from djai_live.live.settings import LiveSettings
    from tests.support.osc import OscPeer, free_udp_port

    reply_port = free_udp_port()
    capacity = 64
    daemon = Daemon(ServeOptions(osc=True, osc_port=free_udp_port(), reply_port=reply_port, queue_size=capacity,
                                 seed=1, prepare_answers=False),
                    LiveSettings(mode="manual", length=3), Generator.from_file(tiny_model))
    busy, release = threading.Event(), threading.Event()
    note_on = daemon.listening.note_on

    def first_note_keeps_the_engine_busy(*args, **kwargs):
        if not busy.is_set():
            busy.set()
            assert release.wait(10)
        return note_on(*args, **kwargs)

    monkeypatch.setattr(daemon.listening, "note_on", first_note_keeps_the_engine_busy)
    daemon.start()
    peer = OscPeer(daemon.listener.address[1], listen_port=reply_port)
    try:
        daemon._on_osc("/djai/note", [30, 90], time.monotonic())   # the OSC edge's callback, as the listener calls it
        assert busy.wait(10)
        pairs = 500
        for i in range(pairs):
            daemon._on_osc("/djai/note", [40 + i % 40, 80], time.monotonic())
            daemon._on_osc("/djai/note", [40 + i % 40, 0], time.monotonic())
        daemon._on_osc("/djai/status", [], time.monotonic())     # control messages are never pushed out
        release.set()
        (_, _, status), = peer.wait_for("/djai/status")
        values = dict(zip(status[::2], status[1::2]))
        assert values["dropped"] == 2 * pairs - capacity           # exactly the notes beyond the lane's capacity
        values = peer.wait_for_status(lambda v: v["notes_in"] == 1 + capacity // 2)  # the newest 32 pairs
        # 30 closed as lost
        assert values["held"] == 0 and values["buffer"] <= daemon.generator.config.sequence_length_i
        peer.send("/djai/generate")
        (_, _, phrase), = peer.wait_for("/djai/phrase")
        assert phrase[1] == 3
    finally:
        release.set()
        peer.close()
        daemon.stop()


@pytest.mark.daemon_args("--mode", "manual", "--length", "8", "--clock", "osc", "--quantize-start", "beat",
                         "--grid", "1/16", "--scale", "D", "dorian", "--seed", "2")
def test_osc_clock_places_answers_on_the_hosts_beats_in_its_scale(peer_and_daemon):
    peer, _ = peer_and_daemon
    peer.send("/djai/capabilities")
    (_, _, capabilities), = peer.wait_for("/djai/capabilities")
    facts = dict(zip(capabilities[::2], capabilities[1::2]))
    assert facts["sequence_length_i"] > 0 and "osc" in facts["clocks"].split()
    assert facts["param:grid"].startswith("choice") and "dorian" in facts["scales"].split()
    perform(peer, (62, 64, 65, 67))
    peer.send("/djai/tempo", 100.0)
    beat_sent = time.monotonic()
    peer.send("/djai/beat", 1, 1)             # beat 0 now; 600 ms per beat
    peer.barrier()
    beat_known = time.monotonic()             # the daemon took beat 0 between beat_sent and now
    generate_sent = time.monotonic()
    peer.send("/djai/generate")
    (phrase_arrived, _, phrase), = peer.wait_for("/djai/phrase")
    onsets = phrase[2::4]
    pitches = phrase[3::4]
    assert {p % 12 for p in pitches} <= {2, 4, 5, 7, 9, 11, 0}
    # Onsets count from a moment between the request and the phrase's arrival here; beat 0 fell between
    # beat_sent and beat_known. However loaded the machine, some whole beat lies in what that allows.
    earliest = generate_sent + onsets[0] / 1000.0 - beat_known
    latest = phrase_arrived + onsets[0] / 1000.0 - beat_sent
    assert math.floor(latest / 0.6 + 1e-3) * 0.6 >= earliest - 1e-3, (earliest, latest)  # the first note on a beat
    for onset in onsets:
        sixteenths = (onset - onsets[0]) / 150.0
        assert abs(sixteenths - round(sixteenths)) < 1e-3
    values = peer.status()
    assert values["clock"] == "osc" and values["tempo"] == 100.0 and values["sounding_scale"] == "D dorian"
    assert values["beat"] > 0


def test_a_config_file_sets_flags_and_the_command_line_wins(tmp_path):
    from tests.support.osc import OscPeer, free_udp_port, running_daemon

    config = tmp_path / "live.toml"
    config.write_text('[serve]\nmode = "manual"\nlength = 5\nscale = ["dorian", "D"]\ninterrupt = false\n'
                      'temperature = 0.5\n\n[[instrument]]\nindex = 0\nin_channels = [2]\nout_channel = 3\n')
    reply_port = free_udp_port()
    with running_daemon("--config", str(config), "--temperature", "0.7", reply_port=reply_port) as (_, port):
        peer = OscPeer(port, listen_port=reply_port)
        try:
            values = peer.status()
        finally:
            peer.close()
    assert values["mode"] == "manual" and values["length"] == 5 and values["scale"] == "D dorian"
    assert values["interrupt"] == 0 and values["temperature"] == pytest.approx(0.7)


def test_a_phrase_playing_when_the_host_slows_down_keeps_to_the_hosts_beats(tiny_model):
    from djai_live.generation import Generator
    from djai_live.live.clock import OscClock
    from djai_live.live.daemon import Daemon, ServeOptions
    from djai_live.live.settings import LiveSettings

    settings = LiveSettings(mode="manual", length=8, clock="osc", quantize_start="beat", grid="1/8")
    daemon = Daemon(ServeOptions(osc=False, seed=1), settings, Generator.from_file(tiny_model))
    host = daemon.listening.host_clock
    assert isinstance(host, OscClock)
    start = time.monotonic()
    host.set_tempo(120.0, start)
    host.set_beat(1, 1, start)                       # beat 0 now, a beat every 0.5 s
    policy = daemon.conductor.policy
    for pitch in (60, 62, 64, 65):                   # (the scheduler is not started: notes stay pending)
        policy.heard_note_on(pitch, 90, 1, time.monotonic())
        policy.heard_note_off(pitch, 1, time.monotonic())
    policy.generate(None)
    planned = sorted(event[0] for event in daemon.scheduler._events)
    beats_planned = [(t - start) * 2.0 for t in planned]          # at 120 BPM
    daemon.playback.follow_host()
    assert sorted(event[0] for event in daemon.scheduler._events) == planned   # same tempo: nothing moves

    change = time.monotonic()
    beat_at_change = host.position(change).beat
    host.set_tempo(60.0, change)
    daemon.playback.follow_host()
    retimed = sorted(event[0] for event in daemon.scheduler._events)
    for beat, when in zip(beats_planned, retimed):  # each event on its beat, beats now a second apart
        assert when == pytest.approx(change + (beat - beat_at_change) * 1.0, abs=0.002)

    jump = time.monotonic()               # the host's beat moves a 1/24 beat on (a clock recounted)
    beat_at_jump = host.position(jump).beat
    host.set_beat(1, 1 + beat_at_jump + 1 / 24, jump)
    daemon.playback.follow_host()
    shifted = sorted(event[0] for event in daemon.scheduler._events)
    for before, after in zip(retimed, shifted):  # a 1/24 beat at 60 BPM: each event 41.7 ms earlier
        assert before - after == pytest.approx(1.0 / 24, abs=0.002)
    daemon.scheduler.close()


def test_a_slow_preparation_widens_the_berth_kept_before_due_notes(tiny_model, monkeypatch):
    from djai_live.generation import Generator
    from djai_live.live.commands import Command
    from djai_live.live.daemon import Daemon, ServeOptions
    from djai_live.live.policy import PREPARE_CLEARANCE_S
    from djai_live.live.settings import LiveSettings

    daemon = Daemon(ServeOptions(osc=False, seed=1), LiveSettings(mode="manual"), Generator.from_file(tiny_model))
    policy = daemon.conductor.policy
    assert policy.clearance_s() == PREPARE_CLEARANCE_S
    real_prepare = policy.prepare

    def slow_prepare():  # as a large model (or transposition averaging) would take
        time.sleep(0.03)
        return real_prepare()

    monkeypatch.setattr(policy, "prepare", slow_prepare)
    daemon.start()
    try:
        daemon.submit(Command("note_on", (60, 90, 1)))
        daemon.submit(Command("note_off", (60, 1)))
        deadline = time.monotonic() + 5.0
        while policy.clearance_s() == PREPARE_CLEARANCE_S and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        daemon.stop()
    assert policy.clearance_s() >= 0.06  # twice the 30 ms the preparation took


@pytest.mark.daemon_args("-v", "--mode", "manual", "--length", "3", "--seed", "2")
def test_settings_and_reset_are_acknowledged_and_verbose_logs_phrases_and_settings(peer_and_daemon):
    peer, process = peer_and_daemon
    peer.send("/djai/set", "length", 6.0)
    peer.send("/djai/set", "interrupt", "off")
    peer.send("/djai/set", "scale", "major", "D")
    peer.send("/djai/set", "length", 999)  # refused: no acknowledgement, an error
    peer.send("/djai/reset")
    acks = [args for _, _, args in peer.wait_for("/djai/set", 3)]
    assert acks == [["length", 6], ["interrupt", 0], ["scale", "D major"]]
    peer.wait_for("/djai/reset")
    assert "length must be" in peer.wait_for("/djai/error")[0][2][0]
    play_phrase(peer, (62, 66, 69))
    peer.send("/djai/generate")
    (_, _, phrase), = peer.wait_for("/djai/phrase")
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 0
    log = process.stderr.read()
    assert "set length = 6" in log and "set scale = D major" in log
    pitches = " ".join(str(int(pitch)) for pitch in phrase[3::4])
    assert f"phrase {phrase[0]}: {phrase[1]} notes ({pitches})" in log
    assert "DEBUG" not in log  # -v is not -vv


def wait_until(deadline: float) -> None:
    """For a fault that must happen while notes are due: wait until the performance reaches ``deadline``."""
    while time.monotonic() < deadline:
        time.sleep(min(0.05, max(deadline - time.monotonic(), 0.0)))


def phrase_end(arrival: float, phrase: list) -> float:
    notes = [phrase[2 + 4 * i: 6 + 4 * i] for i in range(phrase[1])]
    return arrival + max(onset + duration for onset, _, _, duration in notes) / 1000.0


def test_a_host_whose_listener_was_away_is_silenced_by_panic():
    """The listener closes while a note sounds (a patch reopened): its note-off is lost. Back, the host
    asks for panic, and every note it heard ends, though the daemon believed nothing sounded."""
    reply_port = free_udp_port()
    with running_daemon("--mode", "manual", "--length", "3", "--tempo-bpm", "60", reply_port=reply_port) \
            as (_, port):
        peer = OscPeer(port, listen_port=reply_port)
        play_phrase(peer, (60, 62, 64))
        peer.send("/djai/generate")
        (arrival, _, phrase), = peer.wait_for("/djai/phrase")
        peer.wait_for("/djai/note")
        peer.close()  # the listener goes away mid-note
        heard = peer.messages()
        wait_until(phrase_end(arrival, phrase) + 0.2)  # the daemon sent the rest to nobody
        back = OscPeer(port, listen_port=reply_port)
        try:
            assert sounding_at_host(heard), "nothing was left sounding; the test proves nothing"
            back.send("/djai/panic")
            back.wait_for("/djai/all_notes_off")
            assert not sounding_at_host(heard + back.messages(), all_notes_off=False)
        finally:
            back.close()


def test_a_new_daemon_silences_what_a_killed_one_left_sounding():
    reply_port = free_udp_port()
    host = OscPeer(free_udp_port(), listen_port=reply_port)
    try:
        with running_daemon("--mode", "manual", "--length", "6", "--tempo-bpm", "40",
                            reply_port=reply_port) as (process, port):
            host.client = SimpleUDPClient("127.0.0.1", port)
            play_phrase(host, (60, 62, 64))
            host.send("/djai/generate")
            host.wait_for("/djai/note")
            process.kill()  # SIGKILL: no chance to end anything
            process.wait(10)
        assert sounding_at_host(host.messages()), "nothing was left sounding; the test proves nothing"
        host.clear()
        with running_daemon("--mode", "manual", reply_port=reply_port):
            host.wait_for("/djai/all_notes_off")  # sent at start-up, before it says it is ready
    finally:
        host.close()


def test_a_second_daemon_that_cannot_start_sends_nothing_to_the_host():
    """A mistaken second launch on the ports a playing daemon holds: it says why it cannot run and leaves
    without a note-off or an all-notes-off, so the set playing goes on."""
    reply_port = free_udp_port()
    with running_daemon("--mode", "manual", reply_port=reply_port) as (_, port):
        host = OscPeer(port, listen_port=reply_port)
        try:
            host.barrier()
            host.clear()
            second = subprocess.run([sys.executable, "-m", "djai_live.cli", "serve", "--osc-port", str(port),
                                     "--reply-port", str(reply_port)], capture_output=True, text=True, timeout=120)
            assert second.returncode != 0
            assert f"cannot listen for OSC on 127.0.0.1:{port}" in second.stderr
            time.sleep(0.3)
            host.barrier()  # the first daemon still answers...
            assert [address for _, address, _ in host.messages()] == ["/djai/pong"]  # ...and nothing else came
        finally:
            host.close()


def test_a_model_swapped_mid_phrase_drops_no_note_and_answers_next(tiny_model, tmp_path):
    import shutil

    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(tiny_model, models / "tiny.keras")
    (models / "broken.keras").write_bytes(b"PK\x03\x04 not really")
    reply_port = free_udp_port()
    with running_daemon("--mode", "manual", "--length", "6", "--tempo-bpm", "200", "--models-dir", str(models),
                        reply_port=reply_port) as (_, port):
        peer = OscPeer(port, listen_port=reply_port)
        try:
            play_phrase(peer, (60, 62, 64))
            peer.send("/djai/generate")
            peer.wait_for("/djai/note")
            peer.send("/djai/load", "tiny")  # while the answer plays
            peer.wait_for("/djai/loaded")
            peer.wait_for("/djai/note_off", 6, timeout=20)  # the answer playing went on to its end
            ons, offs = note_pairs(peer)
            assert len(ons) == 6 and sorted(p for _, p in ons) == sorted(p for _, p in offs)
            peer.send("/djai/generate")
            assert len(peer.wait_for("/djai/phrase", 2)) == 2  # the next answer: from the new model
            peer.send("/djai/capabilities")
            (_, _, facts), = peer.wait_for("/djai/capabilities")
            facts = dict(zip(facts[::2], facts[1::2]))
            assert facts["model"] == "tiny" and facts["sequence_length_i"] == 16
            for bad, reason in (("broken", "broken.keras"), ("../elsewhere.keras", "outside the models folder"),
                                ("none", "no model 'none'")):
                peer.send("/djai/load", bad)
                (_, _, (text,)), = [m for m in peer.wait_for("/djai/error") if bad in m[2][0]]
                assert reason in text and "still playing 'tiny'" in text
                peer.clear()
        finally:
            peer.close()


def test_notes_waiting_behind_a_panic_are_dropped_with_it_and_do_not_play_after_the_silence(tiny_model):
    """The control lane is served first, so a panic overtakes the notes that came before it; they go with it."""
    from djai_live.generation import Generator
    from djai_live.live.commands import Command
    from djai_live.live.daemon import Daemon, ServeOptions
    from djai_live.live.settings import LiveSettings

    daemon = Daemon(ServeOptions(osc=False, seed=1), LiveSettings(mode="manual"), Generator.from_file(tiny_model))
    for pitch in (60, 62, 64):            # queued while the engine is busy (not started yet, here)
        daemon.submit(Command("note_on", (pitch, 90, 1)))
    daemon.submit(Command("panic"))
    daemon.submit(Command("note_on", (67, 90, 1)))   # played after the panic: kept
    daemon.start()
    try:
        deadline = time.monotonic() + 5.0
        while len(daemon.queue) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
    finally:
        daemon.stop()
    assert [note.pitch for note in daemon.listening.notes] == [67]


def test_a_setting_waiting_behind_a_long_answer_is_served_between_its_steps_in_order(tiny_model):
    """A knob turned while a 64-note answer is drawn is acknowledged before the answer is out, not after it;
    the answer keeps the temperature it began with; a mode change (it replaces the policy the draw is using)
    waits for the draw, and nothing queued after it overtakes it."""
    from djai_live.generation import Generator
    from djai_live.live.commands import Command
    from djai_live.live.daemon import Daemon, ServeOptions
    from djai_live.live.events import PhraseDrawn, SettingChanged
    from djai_live.live.settings import LiveSettings

    daemon = Daemon(ServeOptions(osc=False, seed=1, prepare_answers=False), LiveSettings(mode="manual", length=64),
                    Generator.from_file(tiny_model))
    events: list = []
    daemon.stream.subscribe_inline(events.append)
    drawn_with: list[float] = []
    sample_token = daemon.generator.sample_token
    daemon.generator.sample_token = lambda logits, rng, settings, *rest: (
        drawn_with.append(settings.temperature), sample_token(logits, rng, settings, *rest))[1]
    now = time.monotonic()
    for pitch in (60, 62, 64, 65):   # the engine thread is not started: the test takes its place
        daemon.conductor.dispatch(Command("note_on", (pitch, 90, 1)), now)
        daemon.conductor.dispatch(Command("note_off", (pitch, 1)), now)
    for command in (Command("generate"), Command("set", ("temperature", 1.3)), Command("set", ("mode", "phrase")),
                    Command("set", ("top_p", 0.8))):
        daemon.submit(command)
    daemon.conductor.dispatch(*daemon.queue.get(0))   # the answer: the temperature is served between its steps
    order = [(type(e).__name__, getattr(e, "name", None)) for e in events
             if isinstance(e, (PhraseDrawn, SettingChanged))]
    assert order == [("SettingChanged", "temperature"), ("PhraseDrawn", None)]
    assert daemon.settings.temperature == 1.3 and set(drawn_with) == {1.0} and len(drawn_with) >= 64
    assert len(daemon.queue) == 2 and daemon.settings.mode == "manual"   # the mode, and top_p behind it, wait
    while (item := daemon.queue.get(0)) is not None:
        daemon.conductor.dispatch(*item)
    assert [e.name for e in events if isinstance(e, SettingChanged)] == ["temperature", "mode", "top_p"]
