"""An order-k Markov model of pitch with Witten-Bell back-off: the n-gram baseline for `evaluate`."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import numpy as np


class MarkovPitchModel:
    """P(pitch | up to k previous pitches), interpolating orders k..0 with Witten-Bell weights.

    The order-0 model is add-one smoothed over all 128 pitches, so every pitch has a non-zero
    probability and the negative log-likelihood is always finite.
    """

    def __init__(self, order: int = 3) -> None:
        if order < 0:
            raise ValueError(f"order must be >= 0, got {order}")
        self.order = order
        self.counts: list[dict[tuple, Counter]] = [defaultdict(Counter) for _ in range(order + 1)]

    def fit(self, sequences: Iterable[Sequence[int] | np.ndarray]) -> MarkovPitchModel:
        for sequence in sequences:
            pitches = [int(p) for p in sequence]
            for i, pitch in enumerate(pitches):
                for k in range(self.order + 1):
                    if i - k < 0:
                        break
                    self.counts[k][tuple(pitches[i - k:i])][pitch] += 1
        return self

    def distribution(self, history: Sequence[int] | np.ndarray) -> np.ndarray:
        """Probabilities of the 128 pitches after ``history`` (only its last ``order`` pitches matter)."""
        unigram = self.counts[0].get((), Counter())
        total = sum(unigram.values())
        probabilities = np.ones(128) / (total + 128)
        for pitch, count in unigram.items():
            probabilities[pitch] += count / (total + 128)
        history = [int(p) for p in history]
        for k in range(1, self.order + 1):
            if len(history) < k:
                break
            following = self.counts[k].get(tuple(history[len(history) - k:]))
            if not following:
                break
            seen, distinct = sum(following.values()), len(following)
            lower_weight = distinct / (seen + distinct)
            probabilities = probabilities * lower_weight
            for pitch, count in following.items():
                probabilities[pitch] += count / (seen + distinct)
        return probabilities
