import numpy as np
import pytest

from djai_live.sampling import SamplingSettings, sample_index


def test_temperature_zero_is_argmax():
    logits = np.array([0.1, 3.0, 2.9, -1.0])
    rng = np.random.default_rng(0)
    assert all(sample_index(logits, rng, temperature=0.0) == 1 for _ in range(20))


def test_top_p_keeps_only_the_nucleus():
    probabilities = np.array([0.5, 0.3, 0.15, 0.05])
    rng = np.random.default_rng(0)
    draws = {sample_index(np.log(probabilities), rng, 1.0, top_p=0.75) for _ in range(500)}
    assert draws == {0, 1}


def test_frequencies_follow_the_distribution_at_temperature_one():
    probabilities = np.array([0.6, 0.3, 0.1])
    rng = np.random.default_rng(1)
    counts = np.bincount([sample_index(np.log(probabilities), rng) for _ in range(6000)], minlength=3)
    assert np.allclose(counts / 6000, probabilities, atol=0.03)


def test_pitch_range_is_never_left():
    settings = SamplingSettings(pitch_min=60, pitch_max=64)
    rng = np.random.default_rng(2)
    logits = np.zeros(128)
    logits[30] = 50.0  # the model strongly prefers a pitch outside the range
    draws = {sample_index(logits, rng, 1.5, 1.0, settings.pitch_mask()) for _ in range(300)}
    assert draws <= set(range(60, 65))


@pytest.mark.parametrize("kwargs", [{"temperature": -1}, {"temperature": float("nan")}, {"top_p": 0},
                                    {"top_p": 1.5}, {"pitch_min": 70, "pitch_max": 60}, {"pitch_max": 128}])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        SamplingSettings(**kwargs)


def test_a_value_that_fills_the_nucleus_alone_is_always_drawn_and_otherwise_not():
    rng = np.random.default_rng(3)
    peaked = np.log(np.array([0.96, 0.02, 0.02]))
    assert {sample_index(peaked, rng, 1.0, top_p=0.95) for _ in range(200)} == {0}
    spread = np.log(np.array([0.90, 0.05, 0.05]))  # 0.90 < top_p: the nucleus holds more than the argmax
    assert len({sample_index(spread, rng, 1.0, top_p=0.95) for _ in range(400)}) > 1
