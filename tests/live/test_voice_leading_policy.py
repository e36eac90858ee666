"""Voice leading in the accompaniment, with an injected clock and a scripted runtime whose unconstrained
harmonization would break the rules."""
import numpy as np
import pytest

from djai_live.live.settings import LiveSettings, SettingError
from djai_live.voice_leading import count_voice_leading
from tests.live.test_accompany import make

SOPRANO_ALTO_BASS = [[60, 81], [53, 74], [36, 62]]


def harmonize_line(line, preferred, voice_leading, ranges, instruments, first_voice=None, settings=None):
    """The soprano ``line`` (one note a beat at 120 BPM), the scripted model preferring pitch
    ``preferred(soprano)`` for every voice; returns each voice's notes (soprano first) and the accompanist."""
    settings = settings or LiveSettings(mode="accompany")
    settings.set("voice_leading", voice_leading)
    accompanist, engine, runtime, output, clock = make(settings, ranges=ranges, instruments=instruments)
    runtime.prefer("dt", 0, 30.0)  # chords: every voice with the soprano
    if first_voice is not None:
        runtime.prefer("instrument", first_voice, 30.0)
    start = clock.now
    for pitch in line:
        runtime.preferences["pitch"] = {preferred(pitch): 12.0}
        accompanist.heard_note_on(pitch, 90, 1, clock.now)
        clock.now += 0.45
        engine.note_off(pitch, 1, now=clock.now)
        clock.now += 0.05
    voices = [notes_of([(start + 0.5 * i, pitch, 450.0) for i, pitch in enumerate(line)])]
    for channel in range(2, instruments + 1):
        voices.append(notes_of([(t, p, d) for t, p, _, d, c in output.started if c == channel]))
    return voices, accompanist


def notes_of(played):
    notes = np.zeros(len(played), dtype=[("onset", "f8"), ("duration", "f8"), ("pitch", "i4")])
    for i, (time, pitch, duration_ms) in enumerate(played):
        notes[i] = (time, duration_ms / 1000.0, pitch)
    return notes


LINE = [67, 69, 71, 72, 74, 72, 71, 69, 67, 65, 64, 62]


@pytest.mark.parametrize("voice_leading", ["loose", "strict"])
def test_a_harmonization_that_would_cross_gets_none(voice_leading):
    ranges = [[55, 81], [40, 76]]  # a bass that can reach above the melody
    crossing = count_voice_leading(harmonize_line(LINE, lambda s: s + 4, "off", ranges, 2)[0])
    assert crossing.share("crossed") > 0.9  # what the model alone plays: the bass over the melody
    kept, _ = harmonize_line(LINE, lambda s: s + 4, voice_leading, ranges, 2)
    count = count_voice_leading(kept)
    assert count.chords == len(LINE) and count.crossed == 0


@pytest.mark.parametrize("voice_leading", ["loose", "strict"])
def test_a_harmonization_in_parallel_octaves_gets_none(voice_leading):
    ranges = [[55, 81], [36, 62]]
    doubled = count_voice_leading(harmonize_line(LINE, lambda s: s - 12, "off", ranges, 2)[0])
    assert doubled.parallels == len(LINE) - 1  # the bass an octave under the melody all the way
    count = count_voice_leading(harmonize_line(LINE, lambda s: s - 12, voice_leading, ranges, 2)[0])
    assert count.chords == len(LINE) and count.parallels == 0


@pytest.mark.parametrize("voice_leading", ["loose", "strict"])
def test_a_harmonization_spaced_wide_gets_none(voice_leading):
    # the alto first, on the pitch 14 semitones under the soprano: wider than an octave
    wide = count_voice_leading(harmonize_line(LINE, lambda s: s - 14, "off", SOPRANO_ALTO_BASS, 3, 1)[0])
    assert wide.share("spaced") > 0.5  # (the lowest melody notes put that pitch under the alto register)
    count = count_voice_leading(harmonize_line(LINE, lambda s: s - 14, voice_leading, SOPRANO_ALTO_BASS, 3, 1)[0])
    assert count.chords == len(LINE) and count.spaced == 0 and count.crossed == 0 and count.parallels == 0


def test_strict_keeps_neighbouring_voices_off_each_others_pitch_loose_lets_them_double():
    # every voice wants the same pitch, a fourth under the soprano
    unisons = count_voice_leading(harmonize_line(LINE, lambda s: s - 5, "loose", SOPRANO_ALTO_BASS, 3)[0])
    assert unisons.unisons >= 3  # (not every chord: moving on together would be parallel unisons)
    count = count_voice_leading(harmonize_line(LINE, lambda s: s - 5, "strict", SOPRANO_ALTO_BASS, 3)[0])
    assert count.chords == len(LINE) and count.unisons == 0 and count.crossed == 0


@pytest.mark.parametrize("voice_leading", ["loose", "strict"])
def test_when_every_pitch_breaks_a_rule_the_rules_give_way_and_the_voice_still_plays(voice_leading):
    # the performer plays under the whole bass register: every bass pitch crosses the melody
    low_line = [40, 42, 43, 45]
    voices, accompanist = harmonize_line(low_line, lambda s: s + 12, voice_leading, [[38, 84], [50, 62]], 2)
    assert len(voices[1]) == len(low_line)  # one bass note per melody note, none skipped
    assert all(50 <= p <= 62 for p in voices[1]["pitch"])  # the register never gives way
    assert accompanist.voicing.relaxed >= len(low_line)


def test_the_rules_that_can_be_kept_are_kept_while_another_gives_way():
    # the melody under the alto's register: crossing must give way, the alto still avoids parallels
    # with the bass and unisons with it
    line = [50, 52, 53, 55, 57]
    voices, accompanist = harmonize_line(line, lambda s: s - 12, "strict", [[40, 96], [60, 74], [36, 62]], 3)
    assert len(voices[1]) == len(line) and len(voices[2]) == len(line)
    assert accompanist.voicing.relaxed > 0
    count = count_voice_leading(voices[1:])  # alto and bass alone
    assert count.crossed == 0 and count.unisons == 0 and count.parallels == 0


def test_voice_leading_is_a_live_setting():
    settings = LiveSettings(mode="accompany")
    assert settings.voice_leading == "loose"
    assert settings.set("voice_leading", "strict") == "strict"
    with pytest.raises(SettingError, match="voice_leading must be one of strict, loose, off"):
        settings.set("voice_leading", "on")
    assert settings.voice_leading == "strict"
