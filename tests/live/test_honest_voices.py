"""Honest voices in the accompaniment, with an injected clock and a scripted runtime: no flam (a voice is not
struck again within NO_FLAM_S of its note-on), duration_ms as announced is the note's length unless the
performer's next note ends it, and no note-off and note-on of one pitch at one instant."""
import pytest

from djai_live.live.accompany import NO_FLAM_S
from djai_live.live.settings import LiveSettings
from tests.live.test_accompany import bin_of, make

TWO_VOICES = [[55, 81], [36, 62]]


def test_a_voice_struck_a_moment_before_the_performers_note_keeps_its_note():
    accompanist, engine, runtime, output, clock = make(LiveSettings(mode="accompany", wait_ms=0), TWO_VOICES,
                                                       instruments=2)
    runtime.prefer("dt", 0, 9.0)                     # the bass with every performer's note,
    runtime.prefer("dt", bin_of(engine, 0.5), 6.0)   # then moving on by itself half a beat later
    runtime.prefer("duration", bin_of(engine, 0.5), 6.0)
    for pitch in (72, 74, 76, 77, 79, 77, 76, 74):
        accompanist.heard_note_on(pitch, 90, 1, clock.now)
        plan = accompanist.band.plan
        if plan is not None:  # the bass moves on by itself; the performer follows 16 ms after it
            clock.now = plan.play_at
            accompanist.due(clock.now)
            clock.now += 0.016
        else:
            clock.now += 0.25
        engine.note_off(pitch, 1, now=clock.now - 0.001)
    starts = [time for time, *_ in output.started]
    assert len(starts) >= 8
    assert min(b - a for a, b in zip(starts, starts[1:])) >= 0.03 == NO_FLAM_S  # the goal: none within 30 ms


@pytest.mark.parametrize("ranges", [TWO_VOICES, [[60, 81], [53, 74], [36, 62]]], ids=["two voices", "three"])
def test_a_voices_note_lasts_the_duration_it_announced_under_a_held_melody_note(ranges):
    # the model wants long notes and quick moves: no move, of the voice itself or of a chord the daemon
    # begins (the other voices joining it), cuts a sounding note
    accompanist, engine, runtime, output, clock = make(LiveSettings(mode="accompany"), ranges,
                                                       instruments=len(ranges))
    runtime.prefer("duration", bin_of(engine, 1.0), 9.0)  # notes of one or two beats, ending apart
    runtime.prefer("duration", bin_of(engine, 2.0), 9.0)
    runtime.prefer("dt", 0, 7.0)
    runtime.prefer("dt", bin_of(engine, 0.25), 7.0)
    accompanist.heard_note_on(72, 90, 1, clock.now)  # held for eight beats (4 s at 120 BPM)
    end = clock.now + 4.0
    while accompanist.next_deadline() is not None and accompanist.next_deadline() <= end:
        clock.now = accompanist.next_deadline()
        accompanist.due(clock.now)
    for channel in range(2, len(ranges) + 1):
        notes = [(time, duration_ms) for time, _, _, duration_ms, on in output.started if on == channel]
        assert len(notes) >= 2
        for (start, duration_ms), (following, _) in zip(notes, notes[1:]):
            assert following >= start + duration_ms / 1000.0 - 1e-9  # never cut by the voice's next note
    assert not output.ended  # so no note-off before its time


def test_the_performers_next_note_may_end_a_voices_note():
    accompanist, engine, runtime, output, clock = make(LiveSettings(mode="accompany"), TWO_VOICES, instruments=2)
    runtime.prefer("duration", bin_of(engine, 4.0), 9.0)
    runtime.prefer("dt", 0, 9.0)
    accompanist.heard_note_on(72, 90, 1, clock.now)
    first = output.started[-1]
    clock.now += 0.5
    runtime.preferences["pitch"] = {first[1] - 2: 12.0}
    accompanist.heard_note_on(74, 90, 1, clock.now)
    assert output.started[-1][0] == clock.now and output.ended == [(first[1], 2)]


@pytest.mark.parametrize("voice_leading", ["off", "loose"])
def test_a_voice_on_the_pitch_it_still_sounds_holds_it_instead_of_an_off_and_on_at_one_instant(voice_leading):
    settings = LiveSettings(mode="accompany", voice_leading=voice_leading)
    accompanist, engine, runtime, output, clock = make(settings, TWO_VOICES, instruments=2)
    runtime.prefer("duration", bin_of(engine, 4.0), 9.0)
    runtime.prefer("dt", 0, 9.0)
    runtime.prefer("pitch", 48, 12.0)  # the bass wants C under E, F and G: a pedal
    for pitch in (64, 65, 67):
        accompanist.heard_note_on(pitch, 90, 1, clock.now)
        runtime.preferences["duration"] = {bin_of(engine, 1.0): 9.0}  # the first note (4 beats) outlasts the next
        clock.now += 0.5
    bass = [pitch for _, pitch, _, _, channel in output.started if channel == 2]
    assert bass == [48]   # struck once, held on
    assert output.ended == [] and (48, 2) in output.sounding
    assert [int(t[0]) for t in runtime.steps].count(48) == 3  # the model still hears it in every chord
