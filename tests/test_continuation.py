"""continue_piece: the model's notes after a piece, from the next barline, in bars or a number of notes."""
import numpy as np
import pytest

from djai_live.continuation import continue_piece
from djai_live.corpus import read_midi_notes
from djai_live.generation import Generator, PromptTooShortError
from djai_live.sampling import SamplingSettings


@pytest.fixture(scope="module")
def default_model():
    return Generator.from_file("default")


def test_bars_fill_from_the_next_barline_and_the_same_seed_gives_the_same_notes(default_model, corpus_dir):
    prompt = read_midi_notes(corpus_dir / "essen" / "altdeu10_019.mid").tracks[0].notes
    first = continue_piece(default_model, prompt, (3, 4), 0.25, bars=3, seed=5)
    again = continue_piece(default_model, prompt, (3, 4), 0.25, bars=3, seed=5)
    assert np.array_equal(first.parts[0], again.parts[0])
    assert first.start_beats == 24.0 and first.end_beats == 33.0
    notes = first.parts[0]
    assert len(notes) and (notes["onset"] >= 24.0).all() and (notes["onset"] + notes["duration"] <= 33.0).all()
    assert first.drawn >= len(notes)


def test_a_number_of_notes_and_a_given_end_after_the_last_note(default_model, corpus_dir):
    prompt = read_midi_notes(corpus_dir / "oneills" / "0001-0050_001.mid").tracks[0].notes
    continuation = continue_piece(default_model, prompt, (2, 4), 0.5, notes=20, seed=1,
                                  settings=SamplingSettings(temperature=0.8), given_end=60.0)
    assert continuation.note_count == 20 and continuation.start_beats == 60.0
    assert continuation.end_beats == float((continuation.parts[0]["onset"] + continuation.parts[0]["duration"]).max())


def test_a_prompt_too_short_and_a_length_twice_given_are_refused(default_model, corpus_dir):
    prompt = read_midi_notes(corpus_dir / "essen" / "altdeu10_019.mid").tracks[0].notes
    with pytest.raises(PromptTooShortError, match="has 3 notes"):
        continue_piece(default_model, prompt[:3], (4, 4), 0.25, bars=1)
    with pytest.raises(ValueError, match="bars or notes"):
        continue_piece(default_model, prompt, (4, 4), 0.25, bars=1, notes=3)
