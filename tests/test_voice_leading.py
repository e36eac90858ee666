"""Counting voice leading as a theory teacher would, and the rules as the accompaniment's pitch masks."""
from pathlib import Path

import numpy as np
import pytest

from djai_live.corpus import read_midi_notes
from djai_live.voice_leading import (VoiceLeadingRules, count_chords, count_voice_leading, instrument_order,
                                     parallels_between, sounding_chords)

CORPUS_DIR = Path(__file__).parent / "data" / "corpus"


def voice(*notes):
    """(onset, duration, pitch) triples as a voice's notes."""
    array = np.zeros(len(notes), dtype=[("onset", "f8"), ("duration", "f8"), ("pitch", "i4")])
    for i, note in enumerate(notes):
        array[i] = note
    return array


def test_chords_are_read_at_every_onset_where_every_voice_sounds():
    soprano = voice((0, 1, 72), (1, 1, 74))
    bass = voice((0, 0.5, 48), (0.5, 0.25, 50), (1.5, 0.5, 47))  # silent from 0.75 to 1.5
    assert sounding_chords([soprano, bass]) == [(72, 48), (72, 50), (74, 47)]


def test_a_note_ends_at_the_voices_next_onset():
    soprano = voice((0, 4, 72), (1, 1, 74))  # announced 4 beats long, cut by the next note
    bass = voice((0, 2, 48), (1.5, 1, 50))
    assert sounding_chords([soprano, bass]) == [(72, 48), (74, 48), (74, 50)]


def test_onsets_a_moment_apart_are_one_chord_when_asked():
    soprano = voice((0, 1, 72), (1, 1, 74))
    bass = voice((0.01, 1.0, 60), (1.01, 1, 62))  # a live chord: the bass arrives 10 ms after the melody
    assert count_voice_leading([soprano, bass]).parallels == 0  # read one voice at a time: no parallel motion
    assert sounding_chords([soprano, bass], together=0.05) == [(72, 60), (74, 62)]
    assert count_voice_leading([soprano, bass], together=0.05).parallels == 1


@pytest.mark.parametrize("before, after, expected", [
    ((72, 60), (74, 62), 1),    # parallel octaves
    ((67, 60), (69, 62), 1),    # parallel fifths
    ((79, 60), (81, 62), 1),    # compound fifths count as fifths
    ((72, 60), (74, 74), 1),    # octave to unison, the same way: still parallel octaves
    ((72, 60), (74, 48), 0),    # contrary motion to an octave: fine
    ((72, 60), (72, 60), 0),    # no motion
    ((72, 60), (74, 60), 0),    # oblique
    ((67, 60), (68, 62), 0),    # a fifth to a diminished fifth is not a parallel fifth
    ((72, 64, 55, 48), (74, 65, 57, 50), 2),  # S-B octaves and T-B fifths; A-T 9 -> 8 no
])
def test_parallels_are_two_voices_moving_the_same_way_from_a_perfect_interval_to_the_same(before, after, expected):
    assert parallels_between(before, after) == expected


def test_crossing_spacing_and_unisons_are_counted_per_chord_and_parallels_per_change():
    count = count_chords([(72, 67, 64, 48), (72, 67, 64, 48), (74, 76, 64, 48), (74, 60, 57, 48), (72, 60, 60, 50)])
    assert count.chords == 5 and count.changes == 3  # the repeated chord is no change
    assert count.crossed == 1            # 74 above 76 is an alto over the soprano
    assert count.spaced == 1             # 74-60: more than an octave between soprano and alto
    assert count.unisons == 1            # alto and tenor on 60
    assert count.parallels == 0
    wide_bass = count_chords([(72, 67, 64, 36)])  # the lowest pair may lie further apart
    assert wide_bass.spaced == 0


def test_bachs_chorales_keep_the_rules_almost_always():
    chorales = sorted((CORPUS_DIR / "bach").glob("*.mid"))
    assert chorales
    total = None
    for path in chorales:
        piece = read_midi_notes(path)
        if len(piece.tracks) != 4:
            continue
        count = count_voice_leading([track.notes for track in piece.tracks])
        total = count if total is None else (total.add(count) or total)
    assert total is not None and total.chords > 100
    assert total.parallels_per_100_changes < 3 and total.share("crossed") < 0.06 and total.share("spaced") < 0.06


def test_the_rules_mask_the_pitches_that_break_them():
    rules = VoiceLeadingRules([0, 1, 2])  # soprano, alto, bass
    now, before = {0: 74, 2: 50}, {0: 72, 1: 65, 2: 48}
    broken = rules.breaks(1, now, before)
    assert broken["crossing"][75] and broken["crossing"][49] and not broken["crossing"][62]
    assert broken["unison"][74] and broken["unison"][50] and not broken["unison"][62]
    assert broken["spacing"][61] and not broken["spacing"][62]       # S-A at most an octave
    # the alto was a fifth under the soprano (65/72), which rose to 74: rising to 67 (or to a fifth over
    # it, 81, 93, ...) is parallel fifths; falling to 55 is contrary. With the bass (48 -> 50), a fourth: nothing.
    assert set(np.flatnonzero(broken["parallels"])) == {67, 81, 93, 105, 117}
    broken_bass = VoiceLeadingRules([0, 1, 2]).breaks(2, {0: 74, 1: 62}, {0: 72, 1: 60, 2: 60})
    # rising to 62: octaves with the soprano (72 -> 74) and unisons with the alto (60 -> 62); falling: contrary
    assert set(np.flatnonzero(broken_bass["parallels"])) == {62, 74, 86, 98, 110, 122}
    assert not broken_bass["spacing"].any()  # alto-bass is the lowest pair


def test_the_order_of_voices_follows_the_registers_the_model_stores():
    assert instrument_order(4, [[60, 81], [53, 74], [48, 69], [36, 62]]) == [0, 1, 2, 3]
    assert instrument_order(2, [[36, 60], [60, 84]]) == [1, 0]   # a bass line as instrument 0
    assert instrument_order(3, None) == [0, 1, 2]
