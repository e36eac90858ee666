"""Host clocks with fake times: MIDI clock tempo and phase under jitter, OSC tempo and beat."""
import numpy as np
import pytest

from djai_live.live.clock import ClockError, FreeClock, MidiClock, OscClock, make_clock
from djai_live.live.grid import grid_step, snap, start_beat


def send_ticks(clock, start_time, bpm, ticks, rng, jitter_s=0.002):
    period = 60.0 / bpm / 24
    times = start_time + np.arange(ticks) * period
    for t in times:
        clock.feed("clock", float(t + rng.uniform(-jitter_s, jitter_s)))
    return float(times[-1]) + period


def test_midi_clock_tempo_and_phase_survive_two_ms_of_jitter():
    rng = np.random.default_rng(0)
    clock = MidiClock()
    assert clock.position(0.0) is None  # nothing yet
    clock.feed("start", 10.0)
    end = send_ticks(clock, 10.0, 120.0, 24 * 8, rng)
    position = clock.position(end)
    assert abs(position.bpm - 120.0) < 0.5
    # the true beat at `end` is 8 exactly; phase error in milliseconds at 120 BPM (500 ms per beat)
    assert abs(position.beat - 8.0) * 500.0 < 1.0
    assert abs(position.time_of(9.0, end) - (end + 0.5)) < 0.002


def test_midi_clock_follows_a_tempo_change_within_one_bar():
    rng = np.random.default_rng(1)
    clock = MidiClock()
    clock.feed("start", 0.0)
    change = send_ticks(clock, 0.0, 120.0, 24 * 8, rng)
    end = send_ticks(clock, change, 90.0, 24 * 4, rng)  # one bar at the new tempo
    position = clock.position(end)
    assert abs(position.bpm - 90.0) < 0.5
    assert abs(position.beat - 12.0) * (60_000 / 90) < 2.0


def test_midi_stop_start_and_song_position():
    rng = np.random.default_rng(2)
    clock = MidiClock()
    clock.feed("start", 0.0)
    end = send_ticks(clock, 0.0, 100.0, 48, rng)
    clock.feed("stop", end)
    assert clock.position(end) is None
    clock.feed("songpos", end, 16)        # sixteenth 16 = beat 4
    clock.feed("continue", end + 1.0)
    end = send_ticks(clock, end + 1.0, 100.0, 24, rng, jitter_s=0.0)
    assert abs(clock.position(end).beat - 5.0) < 0.01


def test_osc_clock_from_tempo_and_beats_and_from_beats_alone():
    clock = OscClock(lambda: 4)
    assert clock.position(1.0) is None
    clock.set_tempo(90.0, 1.0)
    clock.set_beat(3, 1, 2.0)            # bar 3, beat 1 = beat 8 since song start
    assert clock.position(2.0).beat == pytest.approx(8.0)
    assert clock.position(2.0 + 60 / 90).beat == pytest.approx(9.0)
    guessing = OscClock(lambda: 3)
    for i in range(4):                  # beats every 0.4 s: 150 BPM
        guessing.set_beat(1 + i // 3, 1 + i % 3, 5.0 + 0.4 * i)
    position = guessing.position(5.0 + 0.4 * 3 + 0.2)
    assert position.bpm == pytest.approx(150.0)
    assert position.beat == pytest.approx(3.5)


def test_free_clock_knows_nothing_and_unknown_sources_are_named():
    assert FreeClock().position(1.0) is None
    with pytest.raises(ClockError, match="unknown clock 'ableton'"):
        make_clock("ableton")


def test_link_clock_joins_a_session_with_its_tempo():
    pytest.importorskip("link")
    clock = make_clock("link", bpm=133.0)
    try:
        first = clock.position(0.0 + __import__("time").monotonic())
        assert first.bpm == pytest.approx(133.0)
    finally:
        clock.close()


@pytest.mark.parametrize("grid, step", [("1/4", 1.0), ("1/8", 0.5), ("1/16", 0.25), ("1/8t", 1 / 3),
                                        ("1/32", 0.125), ("none", None)])
def test_grid_steps(grid, step):
    assert grid_step(grid) == (pytest.approx(step) if step else None)


def test_snap_with_and_without_swing():
    onsets, durations = snap(np.array([0.0, 0.26, 0.49, 0.8]), np.array([0.1, 0.3, 0.0, 1.1]), 0.25)
    assert onsets.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert durations.tolist() == [0.25, 0.25, 0.25, 1.0]
    swung, _ = snap(np.array([0.0, 0.25, 0.5, 0.75]), np.ones(4), 0.25, swing=2 / 3)
    assert swung == pytest.approx([0.0, 0.25 + 0.25 / 3, 0.5, 0.75 + 0.25 / 3])


def test_start_positions():
    assert start_beat(5.2, "beat", 4, None) == 6.0
    assert start_beat(5.2, "bar", 4, None) == 8.0
    assert start_beat(8.0, "bar", 4, None) == 8.0
    assert start_beat(5.2, "none", 4, 0.25) == pytest.approx(5.25)
    assert start_beat(5.2, "none", 4, None) == 5.2


def test_lost_ticks_keep_the_phase():
    rng = np.random.default_rng(4)
    clock = MidiClock()
    clock.feed("start", 0.0)
    period = 60.0 / 120.0 / 24
    times = np.arange(24 * 8) * period + rng.uniform(-0.002, 0.002, 24 * 8)
    lost = set(rng.choice(np.arange(30, 24 * 8), 12, replace=False).tolist())
    for i, t in enumerate(times):
        if i not in lost:
            clock.feed("clock", float(t))
    end = 24 * 8 * period
    position = clock.position(end)
    assert abs(position.beat - 8.0) * 500.0 < 1.5
    assert abs(position.bpm - 120.0) < 0.5


def test_halving_the_tempo_is_a_tempo_change_not_lost_ticks():
    rng = np.random.default_rng(5)
    clock = MidiClock()
    clock.feed("start", 0.0)
    change = send_ticks(clock, 0.0, 120.0, 24 * 4, rng)
    end = send_ticks(clock, change, 60.0, 24 * 4, rng)
    position = clock.position(end)
    assert abs(position.bpm - 60.0) < 0.5
    assert abs(position.beat - 8.0) * 1000.0 < 2.0


def test_a_tick_lost_right_after_a_late_one_keeps_the_phase():
    clock = MidiClock()
    clock.feed("start", 0.0)
    period = 60.0 / 120.0 / 24
    times = list(np.arange(24 * 6) * period)
    times[60] += 0.4 * period          # late enough to be off the fit
    del times[61]                      # and the next one lost
    for t in times:
        clock.feed("clock", float(t))
    end = 24 * 6 * period
    assert abs(clock.position(end).beat - 6.0) * 500.0 < 1.0


def test_a_stall_that_delays_a_few_ticks_by_a_period_keeps_the_phase():
    for late in (1, 2, 3, 5):
        clock = MidiClock()
        clock.feed("start", 0.0)
        period = 60.0 / 120.0 / 24
        times = list(np.arange(24 * 8) * period)
        for k in range(60, 60 + late):
            times[k] += 0.95 * period  # delivered about a period late, then the driver catches up
        for t in times:
            clock.feed("clock", float(t))
        assert abs(clock.position(24 * 8 * period).beat - 8.0) * 500.0 < 1.0, late
