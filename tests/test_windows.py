"""Chords in a random order (shuffle_simultaneous): the same chords, the same times, any voice first."""
import numpy as np

from djai_live.config import DjaiConfig
from djai_live.corpus import read_midi_notes
from djai_live.encoding import MAX_INTERVAL, Codec, tokens_to_array
from djai_live.windows import shuffle_simultaneous


def chords(tokens: np.ndarray) -> list[list[tuple]]:
    """The notes of each chord (a note with dt bin 0 joins the chord before it): pitch, duration,
    velocity, instrument (dt and the interval input depend on the order)."""
    groups: list[list[tuple]] = []
    for row in tokens:
        if row[1] != 0 or not groups:
            groups.append([])
        groups[-1].append(tuple(int(row[i]) for i in (0, 2, 3, 4)))
    return groups


def test_chords_keep_their_notes_and_times_in_a_new_order_with_intervals_recomputed(chorale):
    codec = Codec(DjaiConfig(num_instruments=4))
    tokens = tokens_to_array(codec.encode(read_midi_notes(chorale).merged_notes(4)))
    rng = np.random.default_rng(0)
    shuffled = shuffle_simultaneous(tokens, rng)
    assert [sorted(c) for c in chords(shuffled)] == [sorted(c) for c in chords(tokens)]
    assert np.array_equal(shuffled[:, 1], tokens[:, 1])  # each chord's dt stays on its first note
    expected = np.clip(np.diff(shuffled[:, 0]), -MAX_INTERVAL, MAX_INTERVAL) + MAX_INTERVAL
    assert np.array_equal(shuffled[1:, 5], expected) and shuffled[0, 5] == tokens[0, 5]
    # sorted, the lowest note always comes first; shuffled, every voice leads some chords
    assert all(c[0][0] == min(note[0] for note in c) for c in chords(tokens))
    assert {c[0][3] for c in chords(shuffled) if len(c) >= 4} == {0, 1, 2, 3}
    assert not np.array_equal(shuffle_simultaneous(tokens, rng), shuffled)  # a fresh order each time


def test_a_sequence_without_chords_is_unchanged():
    tokens = np.array([[60, 3, 2, 5, 0, 24], [62, 4, 2, 5, 0, 26], [59, 3, 2, 5, 0, 21]], np.int32)
    assert np.array_equal(shuffle_simultaneous(tokens, np.random.default_rng(1)), tokens)
