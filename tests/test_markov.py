import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from djai_live.markov import MarkovPitchModel


@given(st.lists(st.lists(st.integers(40, 90), min_size=1, max_size=30), min_size=1, max_size=5),
       st.lists(st.integers(0, 127), max_size=5), st.integers(0, 4))
def test_distributions_are_proper_and_never_zero(sequences, history, order):
    probabilities = MarkovPitchModel(order).fit(sequences).distribution(history)
    assert probabilities.shape == (128,)
    assert np.isclose(probabilities.sum(), 1.0)
    assert probabilities.min() > 0


def test_deterministic_continuations_are_learned():
    model = MarkovPitchModel(2).fit([[60, 62, 64, 60, 62, 64, 60, 62, 64]])
    assert int(np.argmax(model.distribution([60, 62]))) == 64
    assert int(np.argmax(model.distribution([62, 64]))) == 60


def test_backs_off_to_lower_orders_for_unseen_histories():
    model = MarkovPitchModel(3).fit([[60, 62, 64, 65, 67]])
    unseen = model.distribution([10, 11, 64])  # (10, 11, 64) never seen; (64,) was followed by 65
    assert int(np.argmax(unseen)) == 65
