"""Transposition averaging: a model's prediction averaged over copies of its context transposed by
-N..+N semitones, each copy's pitch distribution transposed back.

A model trained with random transposition has learned each key separately and imperfectly; the mixture
of its views is more even-handed across keys and scores better on unseen music (measured on the default
model: README). The same functions serve the NumPy runtime (live path, generation) and Keras evaluation,
so ``evaluate`` scores exactly what the daemon samples from.
"""
from __future__ import annotations

import numpy as np

from .sampling import softmax


def view_shifts(spread: int) -> np.ndarray:
    """The semitone shifts of the views: -spread..spread (0 is the untransposed view)."""
    return np.arange(-spread, spread + 1, dtype=np.int64)


def transpose_pitches(pitches: np.ndarray, shift: int | np.ndarray) -> np.ndarray:
    """Pitch tokens moved by ``shift`` semitones (an array: one shift per row), held inside 0..127 (the interval
    input is unchanged)."""
    return np.clip(pitches + shift, 0, 127)


def transpose_tokens(tokens: np.ndarray, shift: int) -> np.ndarray:
    """A copy of (..., 6) note tokens with the pitch column moved by ``shift`` semitones."""
    moved = tokens.copy()
    moved[..., 0] = transpose_pitches(moved[..., 0], shift)
    return moved


class ViewMixer:
    """Mixes per-view logits (views first) into the log-probabilities of the averaged prediction."""

    def __init__(self, spread: int) -> None:
        """``spread`` as DjaiConfig.average_transpositions, which validates it."""
        self.shifts = view_shifts(spread)
        # View v heard the context s_v semitones higher, so its class q is the untransposed pitch q - s_v.
        source = np.arange(128)[None, :] + self.shifts[:, None]
        self.pitch_source = np.clip(source, 0, 127)
        self.pitch_valid = ((source >= 0) & (source <= 127)).astype(np.float64)

    def mix(self, logits: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """``logits[head]`` has shape (views, ..., classes); returns log-probabilities (..., classes)."""
        mixed = {}
        for head, values in logits.items():
            probs = softmax(np.asarray(values, np.float64))
            if head == "pitch":
                shape = (len(self.shifts),) + (1,) * (probs.ndim - 2) + (128,)
                source = np.broadcast_to(self.pitch_source.reshape(shape), probs.shape)
                probs = np.take_along_axis(probs, source, axis=-1) * self.pitch_valid.reshape(shape)
            mixture = probs.sum(axis=0)
            # A view's pitch mass beyond 0..127 has no untransposed pitch: the rest is renormalized.
            with np.errstate(divide="ignore"):  # a class no view gives any mass gets log 0 = -inf
                mixed[head] = np.log(mixture / mixture.sum(axis=-1, keepdims=True))
        return mixed
