"""Note values a score writes: durations split into plain, dotted and double-dotted values; the meter of a file."""
import numpy as np
import pytest

from djai_live.notation import bar_beats, is_note_value, midi_time_signature, next_barline, split_into_values, \
    written_values
from djai_live.notes import make_notes


@pytest.mark.parametrize("beats, pieces", [(1.25, [1.0, 0.25]), (1.5, [1.5]), (1.75, [1.75]), (2.25, [2.0, 0.25]),
                                           (2.75, [2.0, 0.75]), (5.0, [4.0, 1.0]), (0.25, [0.25])])
def test_a_duration_becomes_note_values_longest_first(beats, pieces):
    assert split_into_values(beats, 0.25) == pieces
    assert all(is_note_value(piece) for piece in pieces)


def test_written_values_split_a_note_into_values_that_follow_each_other():
    notes = make_notes([60, 62], 80, [0.0, 1.25], [1.25, 1.0])
    written = written_values(notes, 0.25)
    assert written["pitch"].tolist() == [60, 60, 62]
    assert written["onset"].tolist() == [0.0, 1.0, 1.25] and written["duration"].tolist() == [1.0, 0.25, 1.0]


def test_bars_and_barlines_follow_the_meter():
    assert bar_beats((6, 8)) == 3.0 and bar_beats((2, 2)) == 4.0 and bar_beats((3, 4)) == 3.0
    assert next_barline(7.5, (3, 4)) == 9.0 and next_barline(9.0, (3, 4)) == 9.0


def test_the_meter_of_a_midi_file_and_its_default(data_dir, tmp_path):
    assert midi_time_signature(data_dir / "corpus" / "oneills" / "0001-0050_018.mid") == (6, 8)
    import pretty_midi

    plain = pretty_midi.PrettyMIDI()
    plain.instruments.append(pretty_midi.Instrument(0))
    plain.instruments[0].notes.append(pretty_midi.Note(80, 60, 0.0, 0.5))
    plain.write(str(tmp_path / "plain.mid"))
    assert midi_time_signature(tmp_path / "plain.mid") == (4, 4)
    assert np.isclose(bar_beats(midi_time_signature(tmp_path / "plain.mid")), 4.0)
