import numpy as np

from djai_live.corpus import load_corpus, scan_midi_files
from djai_live.evaluation import evaluate_model, fit_markov, scoring_windows
from djai_live.model import load_model


def test_every_note_after_the_first_is_scored_with_at_most_l_previous_notes():
    tokens = np.arange(12 * 6).reshape(12, 6)
    windows = scoring_windows(tokens, length=4)
    targets = np.concatenate([t for _, _, t in windows])
    assert np.array_equal(targets[:, 0], tokens[1:, 0])
    for window, positions, target in windows:
        assert len(window) <= 4
        for position, row in zip(positions, target):
            index = int(row[0]) // 6
            history = window[:position + 1]
            assert np.array_equal(history, tokens[max(0, index - len(history)):index])
            assert len(history) == min(4, index)


def test_scored_note_count_and_markov_side_by_side(tiny_model, corpus_dir):
    model, config = load_model(tiny_model)
    corpus = load_corpus(scan_midi_files(corpus_dir / "essen"), cache_dir=None)
    expected = sum(len(track) - 1 for piece in corpus.pieces for track in piece.tracks)
    markov = fit_markov(load_corpus(scan_midi_files(corpus_dir / "oneills"), cache_dir=None), (2, 3))
    result = evaluate_model(model, config, corpus, markov).as_dict()
    assert result["notes"] == expected
    for key in ("pitch_accuracy", "pitch_nll", "dt_nll", "duration_nll", "markov2_pitch_accuracy",
                "markov3_pitch_nll"):
        assert np.isfinite(result[key])
    assert 0 <= result["pitch_accuracy"] <= 1
