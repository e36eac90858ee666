"""`djai-live evaluate`: how well a model predicts the next note of music it has not seen.

Protocol: for every non-drum track of every file, notes sorted by (onset, pitch); every note after the
first is scored, the model seeing up to ``sequence_length_i`` previous notes of the same track.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .config import DjaiConfig
from .corpus import Corpus
from .encoding import FEATURES, Codec, tokens_to_array
from .markov import MarkovPitchModel
from .transposition import ViewMixer, transpose_tokens

SCORED_HEADS = ("pitch", "dt", "duration", "velocity")


@dataclass
class HeadScore:
    correct: int = 0
    nll_sum: float = 0.0

    def add(self, log_probs: np.ndarray, targets: np.ndarray) -> None:
        self.correct += int((log_probs.argmax(axis=-1) == targets).sum())
        self.nll_sum -= float(np.take_along_axis(log_probs, targets[:, None], axis=-1).sum())


@dataclass
class Evaluation:
    notes: int = 0
    files: int = 0
    skipped: int = 0
    heads: dict[str, HeadScore] = field(default_factory=lambda: {h: HeadScore() for h in SCORED_HEADS})
    baselines: dict[int, HeadScore] = field(default_factory=dict)

    def as_dict(self) -> dict:
        result: dict = {"notes": self.notes, "files": self.files, "skipped_files": self.skipped}
        for head, score in self.heads.items():
            result[f"{head}_accuracy"] = score.correct / self.notes if self.notes else None
            result[f"{head}_nll"] = score.nll_sum / self.notes if self.notes else None
        for order, score in self.baselines.items():
            result[f"markov{order}_pitch_accuracy"] = score.correct / self.notes if self.notes else None
            result[f"markov{order}_pitch_nll"] = score.nll_sum / self.notes if self.notes else None
        return result


def scoring_windows(tokens: np.ndarray, length: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Windows that score notes 1..n-1 of one track, each seeing at most ``length`` previous notes.

    Returns (window tokens, positions whose outputs are scored, targets) triples. The first window
    scores every note whose whole history fits in it; each later note gets its own sliding window.
    """
    n = len(tokens)
    if n < 2:
        return []
    first = tokens[:min(n - 1, length)]
    windows = [(first, np.arange(len(first)), tokens[1:len(first) + 1])]
    for target in range(length + 1, n):
        windows.append((tokens[target - length:target], np.array([length - 1]), tokens[target:target + 1]))
    return windows


def evaluate_model(model, config: DjaiConfig, corpus: Corpus, markov: dict[int, MarkovPitchModel] | None = None,
                   batch_size: int = 512) -> Evaluation:
    """Score a Keras model (and optional Markov baselines) on every track of a corpus; with
    ``config.average_transpositions``, as the runtime predicts: averaged over transposed views."""
    from .model import keras_log_probs

    codec = Codec(config)
    length = config.sequence_length_i
    mixer = ViewMixer(config.average_transpositions) if config.average_transpositions else None
    result = Evaluation(files=len(corpus.pieces), skipped=len(corpus.skipped))
    result.baselines = {order: HeadScore() for order in (markov or {})}
    pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def flush() -> None:
        if not pending:
            return
        batch = np.zeros((len(pending), length, len(FEATURES)), np.int32)
        for i, (window, _, _) in enumerate(pending):
            batch[i, :len(window)] = window
        views = []  # per transposed view: each head's log-probabilities at the scored positions only
        for shift in mixer.shifts if mixer else (0,):
            view = transpose_tokens(batch, int(shift)) if shift else batch
            log_probs = keras_log_probs(model, view, batch_size=batch_size)
            views.append({head: np.concatenate([log_probs[head][i, positions]
                                                for i, (_, positions, _) in enumerate(pending)])
                          for head in SCORED_HEADS})
        scored = mixer.mix({head: np.stack([view[head] for view in views]) for head in SCORED_HEADS}) \
            if mixer else views[0]
        for head in SCORED_HEADS:
            column = FEATURES.index(head)
            targets = np.concatenate([targets[:, column] for _, _, targets in pending])
            result.heads[head].add(scored[head], targets)
        pending.clear()

    for piece in corpus.pieces:
        for track in piece.tracks:
            tokens = tokens_to_array(codec.encode(track.notes))
            result.notes += max(0, len(tokens) - 1)
            pending.extend(scoring_windows(tokens, length))
            if len(pending) >= 4 * batch_size:
                flush()
            for order, baseline in (markov or {}).items():
                score_markov(baseline, tokens[:, 0], length, result.baselines[order])
    flush()
    return result


def score_markov(model: MarkovPitchModel, pitches: Sequence[int], context: int, score: HeadScore) -> None:
    if len(pitches) < 2:
        return
    log_probs = np.log(np.stack([model.distribution(pitches[max(0, i - context):i]) for i in range(1, len(pitches))]))
    score.add(log_probs, np.asarray(pitches[1:]))


def fit_markov(corpus: Corpus, orders: Sequence[int] = (2, 3, 4)) -> dict[int, MarkovPitchModel]:
    sequences = [track.notes["pitch"] for piece in corpus.pieces for track in piece.tracks]
    return {order: MarkovPitchModel(order).fit(sequences) for order in orders}
