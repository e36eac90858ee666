"""Training windows: fixed-length slices of token sequences with the next note as target at every position."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .encoding import FEATURES, MAX_INTERVAL

_DT, _PITCH, _INTERVAL = FEATURES.index("dt"), FEATURES.index("pitch"), FEATURES.index("interval")


@dataclass
class Windows:
    """Training windows: inputs (N, L, 6), next-note targets (N, L, 6) and a (N, L) mask of real notes."""

    inputs: np.ndarray
    targets: np.ndarray
    mask: np.ndarray

    def __len__(self) -> int:
        return len(self.inputs)


def cut_windows(sequences: Sequence[np.ndarray], length: int, stride: int | None = None) -> Windows:
    """Cut (n, 6) token sequences into windows of ``length`` inputs plus the next note as target.

    Sequences shorter than a window are padded at the end; padded positions have mask 0.
    """
    stride = stride or length
    inputs, targets, masks = [], [], []
    for tokens in sequences:
        n = len(tokens)
        if n < 2:
            continue
        last_start = max(0, n - 1 - length)
        starts = list(range(0, last_start + 1, stride))
        if starts[-1] != last_start:
            starts.append(last_start)
        for start in starts:
            chunk = tokens[start:start + length + 1]
            real = len(chunk) - 1
            window = np.zeros((length + 1, len(FEATURES)), np.int32)
            window[:len(chunk)] = chunk
            mask = np.zeros(length, np.float32)
            mask[:real] = 1.0
            inputs.append(window[:-1])
            targets.append(window[1:])
            masks.append(mask)
    if not inputs:
        empty = np.zeros((0, length, len(FEATURES)), np.int32)
        return Windows(empty, empty.copy(), np.zeros((0, length), np.float32))
    return Windows(np.stack(inputs), np.stack(targets), np.stack(masks))


def window_count(sequence_length: int, length: int, stride: int | None = None) -> int:
    """How many windows :func:`cut_windows` makes from one sequence, without making them."""
    stride = stride or length
    if sequence_length < 2:
        return 0
    last_start = max(0, sequence_length - 1 - length)
    return last_start // stride + 1 + (1 if last_start % stride else 0)


def shuffle_simultaneous(tokens: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A copy of an (n, 6) token sequence with the notes of every chord (onsets in dt bin 0) in random order.

    Sorted by (onset, pitch), a chord always arrives lowest note first, and a model learns that order:
    live, the performer's note (say the soprano) reaches it first, which it never saw in training. Each
    chord keeps its place in the sequence; the dt column stays as it was by position (the chord's first
    note carries the time since the previous chord, the others 0) and the interval input is recomputed
    for the new order.
    """
    if len(tokens) < 2:
        return tokens.copy()
    starts = tokens[:, _DT] != 0
    starts[0] = True
    chord = np.cumsum(starts)
    order = np.lexsort((rng.random(len(tokens)), chord))
    shuffled = tokens[order]
    shuffled[:, _DT] = tokens[:, _DT]
    shuffled[0, _INTERVAL] = tokens[0, _INTERVAL]  # counted from before the sequence: not from this chord
    steps = np.diff(shuffled[:, _PITCH])
    shuffled[1:, _INTERVAL] = np.clip(steps, -MAX_INTERVAL, MAX_INTERVAL) + MAX_INTERVAL
    return shuffled
