import numpy as np
import pytest

from djai_live.config import DjaiConfig
from djai_live.transposition import ViewMixer, transpose_pitches, view_shifts


def test_views_run_from_minus_n_to_plus_n_and_pitches_stay_in_range():
    assert view_shifts(2).tolist() == [-2, -1, 0, 1, 2]
    assert transpose_pitches(np.array([0, 60, 127]), 3).tolist() == [3, 63, 127]
    assert transpose_pitches(np.array([0, 60, 127]), -3).tolist() == [0, 57, 124]


def test_each_view_is_transposed_back_before_mixing():
    mixer = ViewMixer(2)
    # A perfectly key-invariant model: the view that heard the context s semitones higher predicts 60 + s.
    logits = np.full((5, 128), -30.0)
    for view, shift in enumerate(mixer.shifts):
        logits[view, 60 + shift] = 30.0
    mixed = mixer.mix({"pitch": logits})["pitch"]
    assert int(np.argmax(mixed)) == 60
    assert np.exp(mixed[60]) == pytest.approx(1.0)


def test_the_mixture_is_the_mean_of_the_views_probabilities_and_sums_to_one():
    rng = np.random.default_rng(0)
    mixer = ViewMixer(1)
    logits = {"pitch": rng.normal(0, 2, (3, 4, 128)), "dt": rng.normal(0, 2, (3, 4, 56))}
    mixed = mixer.mix(logits)
    for head, values in mixed.items():
        assert values.shape == logits[head].shape[1:]
        assert np.allclose(np.exp(values).sum(axis=-1), 1.0)
    views = np.exp(logits["dt"]) / np.exp(logits["dt"]).sum(axis=-1, keepdims=True)
    assert np.allclose(np.exp(mixed["dt"]), views.mean(axis=0))
    # pitch 100 of the mixture: view -1 gave it as 99, view 0 as 100, view +1 as 101
    pitch = np.exp(logits["pitch"]) / np.exp(logits["pitch"]).sum(axis=-1, keepdims=True)
    expected = (pitch[0, :, 99] + pitch[1, :, 100] + pitch[2, :, 101]) / 3
    total = np.stack([pitch[0, :, :127].sum(-1), pitch[1].sum(-1), pitch[2, :, 1:].sum(-1)]).mean(axis=0)
    assert np.allclose(np.exp(mixed["pitch"][:, 100]), expected / total)  # renormalized: no pitch beyond 0..127


def test_spread_zero_is_the_model_alone():
    logits = np.random.default_rng(1).normal(0, 1, (1, 128))
    mixed = ViewMixer(0).mix({"pitch": logits})["pitch"]
    assert np.allclose(mixed, logits[0] - np.log(np.exp(logits[0]).sum()))


@pytest.mark.parametrize("spread", [-1, 7, 1.5, True])
def test_out_of_range_spreads_are_refused(spread):
    with pytest.raises(ValueError, match="average_transpositions"):
        DjaiConfig(average_transpositions=spread)
