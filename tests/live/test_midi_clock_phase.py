"""The host's beat is the daemon's beat, timed as a user hears it: `djai-live serve` and a MIDI clock master
each run as their own process over JACK, and the daemon's notes are timed where they arrive, by the kernel
stamps of an OSC host. A phase error of one tick (21 ms at 120 BPM) fails these tests; how close it comes
under jitter is measured by scripts/bench_clock.py."""
from __future__ import annotations

import subprocess
import time
from contextlib import contextmanager

import numpy as np
import pytest

from tests.support.midi_clock import ClockProcess, answer_onsets, answer_starts, nearest_ms
from tests.support.osc import OscPeer, free_udp_port, running_daemon

BPM = 120.0
TICK_MS = 60_000.0 / BPM / 24
SERVE = ("--midi-api", "jack", "--clock", "midi", "--quantize-start", "beat", "--grid", "1/16", "--mode", "manual",
         "--interrupt", "off", "--length", "4", "--no-realtime")


def play_answers(peer: OscPeer, clock: ClockProcess, answers: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Start the clock a moment from now, ask for an answer every 1.2 s once it runs; (where each answer
    was placed vs the nearest host beat, every note vs the nearest host sixteenth) in ms. An answer's place
    is judged from all its notes (:func:`answer_starts`), so a note the loaded machine held up on its way
    does not read as a phase error, while a beat counted a tick late (every note late) does."""
    for pitch in (62, 64, 66, 67):
        peer.send("/djai/note", pitch, 90)
        peer.send("/djai/note", pitch, 0)
    start = time.monotonic() + 1.0
    clock.play(start)
    time.sleep(max(0.0, start + 1.0 - time.monotonic()))
    for _ in range(answers):
        peer.send("/djai/generate")
        time.sleep(1.2)
    clock.wait(30)
    ticks = clock.ticks
    _, every = answer_onsets(peer.messages(), start, clock.end)
    placed = answer_starts(peer.messages(), start, clock.end)
    assert len(placed) >= answers - 1, f"answers heard: {len(placed)}; {peer.messages()[-10:]}"
    return nearest_ms(placed, ticks[::24]), nearest_ms(every, ticks[::6])


def assert_on_the_beat(placed: np.ndarray, every: np.ndarray) -> None:
    # A tick off is 20.8 ms; the bounds leave room for a loaded CI machine, not for a tick.
    assert np.all(np.abs(placed) < TICK_MS / 2), f"answers vs their beats (ms): {np.round(placed, 1)}"
    assert abs(float(np.median(every))) < 5.0, f"every note vs its sixteenth (ms): {np.round(every, 1)}"


@contextmanager
def clock_and_daemon(clock: ClockProcess, midi_in: str, connect: tuple[str, str] | None = None):
    """The clock process open, `serve` listening to ``midi_in`` (a port ``connect`` joins, when given, as a
    patchbay would), and an OSC host on its replies; yields the host."""
    clock.open()
    reply_port = free_udp_port()
    try:
        with running_daemon(*SERVE, "--midi-in", midi_in, reply_port=reply_port) as (_, port):
            if connect is not None:
                subprocess.run(["jack_connect", *connect], check=True, capture_output=True, timeout=10)
            peer = OscPeer(port, listen_port=reply_port)
            try:
                yield peer
            finally:
                peer.close()
    finally:
        clock.close()


@pytest.mark.parametrize("lost_after_start", [0, 2])
def test_a_clock_named_at_start_even_with_ticks_lost_after_start(jack_server, lost_after_start):
    clock = ClockProcess(f"{BPM:g}:10", client="HostClock", skip=lost_after_start, seed=lost_after_start)
    with clock_and_daemon(clock, "HostClock") as peer:
        assert_on_the_beat(*play_answers(peer, clock))


def test_a_virtual_port_the_host_connects_to(jack_server):
    clock = ClockProcess(f"{BPM:g}:10", client="HostClock")
    with clock_and_daemon(clock, "virtual", connect=("HostClock:out", "djai_live:djai_live in")) as peer:
        assert_on_the_beat(*play_answers(peer, clock))


def test_after_the_device_comes_back_the_phase_waits_for_the_next_start(jack_server):
    """A clock device unplugged while playing and plugged back: ticks were missed, so the daemon says the
    beat is unknown (and answers off the host's beats) until the next Start, then is on the beat again."""
    first = ClockProcess(f"{BPM:g}:6", client="HostClock")
    with clock_and_daemon(first, "HostClock") as peer:
        first.play(time.monotonic() + 0.5)
        time.sleep(1.5)
        first.close()                                     # unplugged mid-song
        peer.wait_for("/djai/midi_port", 1, timeout=10)
        again = ClockProcess(f"{BPM:g}:10", client="HostClock").open()
        try:
            deadline = time.monotonic() + 10
            while not any("unknown" in str(args[0]) for _, _, args in peer.messages("/djai/error")):
                assert time.monotonic() < deadline, f"no word of the lost phase: {peer.messages('/djai/error')}"
                time.sleep(0.05)
            assert peer.status()["beat"] == -1.0
            peer.clear()
            assert_on_the_beat(*play_answers(peer, again))
        finally:
            again.close()


def test_an_answer_is_placed_by_all_its_notes_so_one_held_up_note_is_not_a_late_phase():
    def answer(start: float, late: list[float]) -> list[tuple[float, str, list]]:
        """An answer of four sixteenths due from ``start`` (s), each note heard ``late`` s after its time."""
        offsets = [0.0, 125.0, 250.0, 375.0]   # sixteenths at 120 BPM, ms into the phrase
        notes = [v for i, o in enumerate(offsets) for v in (o + 50.0, 60 + i, 90, 100.0)]
        phrase = (start - 0.05, "/djai/phrase", [1, 4, *notes])
        return [phrase] + [(start + o / 1000.0 + extra, "/djai/note", [60 + i, 90, 0.1, 1])
                           for i, (o, extra) in enumerate(zip(offsets, late))]

    tick = TICK_MS / 1000.0
    on_time = answer(10.0, [0.0, 0.001, 0.0, 0.001])
    first_held_up = answer(12.0, [tick, 0.0, 0.001, 0.0])
    phase_a_tick_late = answer(14.0, [tick, tick, tick + 0.001, tick])
    placed = answer_starts(on_time + first_held_up + phase_a_tick_late, 0.0, 20.0)
    assert np.allclose(placed - [10.0, 12.0, 14.0], [0.0005, 0.0, tick], atol=0.0006)
    off_the_beat = np.abs(nearest_ms(placed, np.arange(0.0, 20.0, 0.5)))
    assert (off_the_beat < TICK_MS / 2).tolist() == [True, True, False]
