import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from djai_live.config import DjaiConfig
from djai_live.corpus import read_midi_notes, scan_midi_files
from djai_live.encoding import Codec, TimeCodec, array_to_tokens, tokens_to_array
from djai_live.notes import make_notes

CODEC = Codec(DjaiConfig())


@given(st.lists(st.integers(0, len(CODEC.time) - 1), min_size=1, max_size=50))
def test_time_bins_decode_and_encode_back_to_themselves(bins):
    assert np.array_equal(CODEC.time.encode(CODEC.time.decode(bins)), bins)


@given(st.floats(0.0, 64.0, allow_nan=False))
@example(1 / 128)  # exactly half the smallest step
@example(1 / 64)
def test_time_quantization_is_close_in_the_log_domain(value):
    decoded = float(CODEC.time.decode(CODEC.time.encode([value]))[0])
    smallest = CODEC.time.centres[1]
    if value < smallest / 2:
        assert decoded == 0.0  # simultaneous onsets
    elif value < smallest:
        assert decoded == smallest  # between "simultaneous" and the smallest step: the smallest step
    elif value <= CODEC.time.centres[-1]:
        assert abs(np.log(decoded / value)) <= np.log(1.25) / 2 + 1e-9  # neighbours differ by <= 25%
    else:
        assert decoded == CODEC.time.centres[-1]


def test_time_codec_is_monotonic():
    values = np.linspace(0, 20, 2000)
    assert np.all(np.diff(TimeCodec(DjaiConfig().time_bins).encode(values)) >= 0)


@settings(max_examples=50)
@given(st.lists(st.tuples(st.integers(0, 127), st.integers(1, 127), st.integers(0, 7), st.integers(1, 8)),
                min_size=1, max_size=40))
def test_notes_on_a_sixteenth_grid_round_trip(rows):
    pitch, velocity, gap, length = (np.array(c) for c in zip(*rows))
    onsets = np.cumsum(gap * 0.25)
    notes = make_notes(pitch, velocity, onsets, length * 0.25)
    decoded = CODEC.decode(CODEC.encode(notes), start_onset=float(notes["onset"][0]))
    assert np.array_equal(decoded["pitch"], notes["pitch"])
    assert np.allclose(decoded["onset"], notes["onset"])
    assert np.allclose(decoded["duration"], notes["duration"])
    assert np.all(np.abs(decoded["velocity"] - notes["velocity"]) <= 8)


def test_real_corpus_files_round_trip(corpus_dir):
    for path in scan_midi_files(corpus_dir):
        for track in read_midi_notes(path).tracks:
            notes = track.notes
            tokens = CODEC.encode(notes)
            decoded = CODEC.decode(tokens, start_onset=float(notes["onset"][0]))
            assert np.array_equal(decoded["pitch"], notes["pitch"]), path
            # corpus rhythms are common note values, which the bins hold exactly
            assert np.allclose(decoded["onset"], notes["onset"], atol=1e-6), path
            assert np.array_equal(array_to_tokens(tokens_to_array(tokens))["dt"], tokens["dt"])


def test_instruments_beyond_the_model_share_its_last_slot():
    notes = make_notes([60, 62, 64], [90] * 3, [0, 1, 2], [1] * 3, instrument=[0, 3, 7])
    tokens = Codec(DjaiConfig(num_instruments=4)).encode(notes)
    assert list(tokens["instrument"]) == [0, 3, 3]
