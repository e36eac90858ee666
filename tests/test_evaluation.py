import numpy as np
import pytest

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


def test_averaged_transpositions_score_what_the_runtime_predicts(tiny_model, corpus_dir):
    """evaluate with --average-transpositions must score the mixture the daemon samples from."""
    from djai_live.encoding import Codec, tokens_to_array
    from djai_live.runtime import make_runtime

    model, config = load_model(tiny_model)
    config = config.replace(average_transpositions=2)
    corpus = load_corpus([str(corpus_dir / "essen" / "altdeu10_000.mid")], cache_dir=None)
    result = evaluate_model(model, config, corpus)
    runtime = make_runtime(model, config)
    nll, correct, notes = 0.0, 0, 0
    for track in corpus.pieces[0].tracks:
        tokens = tokens_to_array(Codec(config).encode(track.notes))
        for window, positions, targets in scoring_windows(tokens, config.sequence_length_i):
            state = runtime.initial_state()
            for position, token in enumerate(window):
                logits, state = runtime.step(token, state)
                if position in positions:
                    target = int(targets[list(positions).index(position), 0])
                    nll -= logits["pitch"][target]
                    correct += int(np.argmax(logits["pitch"]) == target)
                    notes += 1
    assert result.notes == notes
    assert result.heads["pitch"].correct == correct
    assert result.heads["pitch"].nll_sum / notes == pytest.approx(nll / notes, abs=1e-4)
    alone = evaluate_model(model, config.replace(average_transpositions=0), corpus)
    assert alone.heads["pitch"].nll_sum != pytest.approx(result.heads["pitch"].nll_sum)  # the views mattered


def test_a_model_of_several_instruments_is_scored_on_merged_tracks_and_per_instrument(chorale):
    from djai_live.config import DjaiConfig
    from djai_live.model import build_model

    config = DjaiConfig(num_instruments=4, n_units=16, n_layers=1, sequence_length_i=16)
    model = build_model(config, seed=0)
    corpus = load_corpus([str(chorale)], cache_dir=None)
    result = evaluate_model(model, config, corpus).as_dict()
    piece = corpus.pieces[0]
    assert result["notes"] == piece.note_count - 1  # one sequence of all the tracks
    per = result["per_instrument"]
    assert sorted(per) == ["0", "1", "2", "3"]
    assert sum(scores["notes"] for scores in per.values()) == result["notes"]
    # the per-instrument figures are a breakdown of the overall ones
    assert sum(s["pitch_accuracy"] * s["notes"] for s in per.values()) / result["notes"] == \
        pytest.approx(result["pitch_accuracy"])
    assert sum(s["pitch_nll"] * s["notes"] for s in per.values()) / result["notes"] == \
        pytest.approx(result["pitch_nll"])
    assert np.isfinite(result["instrument_nll"]) and 0 <= result["instrument_accuracy"] <= 1
    merged = piece.merged_notes(4)
    assert per["3"]["notes"] == int((merged["instrument"][1:] == 3).sum())  # tracks above 3 share the last slot
