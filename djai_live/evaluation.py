"""`djai-live evaluate`: how well a model predicts the next note of music it has not seen.

Protocol: for every non-drum track of every file, notes sorted by (onset, pitch); every note after the
first is scored, the model seeing up to ``sequence_length_i`` previous notes of the same track. A model of
several instruments sees each file as it was trained on it: all tracks in one sequence, each note tagged
with its instrument; it is also scored per instrument (of the note predicted) and on the instrument head.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

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
    markov_notes: int = 0  # the baselines score each track alone: as many as notes for one instrument
    files: int = 0
    skipped: int = 0
    heads: dict[str, HeadScore] = field(default_factory=lambda: {h: HeadScore() for h in SCORED_HEADS})
    baselines: dict[int, HeadScore] = field(default_factory=dict)
    # several instruments: the pitch of the notes of each instrument, and how many there are
    per_instrument: dict[int, HeadScore] = field(default_factory=dict)
    instrument_notes: dict[int, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        result: dict = {"notes": self.notes, "files": self.files, "skipped_files": self.skipped}
        for head, score in self.heads.items():
            result[f"{head}_accuracy"] = score.correct / self.notes if self.notes else None
            result[f"{head}_nll"] = score.nll_sum / self.notes if self.notes else None
        if self.per_instrument:
            result["per_instrument"] = {
                str(i): {"notes": self.instrument_notes[i],
                         "pitch_accuracy": (score.correct / self.instrument_notes[i]
                                            if self.instrument_notes[i] else None),
                         "pitch_nll": score.nll_sum / self.instrument_notes[i] if self.instrument_notes[i] else None}
                for i, score in sorted(self.per_instrument.items())}
        for order, score in self.baselines.items():
            count = self.markov_notes
            result[f"markov{order}_pitch_accuracy"] = score.correct / count if count else None
            result[f"markov{order}_pitch_nll"] = score.nll_sum / count if count else None
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
    heads = SCORED_HEADS + (("instrument",) if config.num_instruments > 1 else ())
    if config.num_instruments > 1:
        result.heads["instrument"] = HeadScore()
        result.per_instrument = {i: HeadScore() for i in range(config.num_instruments)}
        result.instrument_notes = {i: 0 for i in range(config.num_instruments)}
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
                          for head in heads})
        scored = mixer.mix({head: np.stack([view[head] for view in views]) for head in heads}) \
            if mixer else views[0]
        every = np.concatenate([targets for _, _, targets in pending])
        for head in heads:
            result.heads[head].add(scored[head], every[:, FEATURES.index(head)])
        for instrument, score in result.per_instrument.items():
            mine = every[:, FEATURES.index("instrument")] == instrument
            result.instrument_notes[instrument] += int(mine.sum())
            if mine.any():
                score.add(scored["pitch"][mine], every[mine, FEATURES.index("pitch")])
        pending.clear()

    for piece in corpus.pieces:
        for tokens in map(tokens_to_array, codec.sequences(piece)):  # per track, or merged (instruments)
            result.notes += max(0, len(tokens) - 1)
            pending.extend(scoring_windows(tokens, length))
            if len(pending) >= 4 * batch_size:
                flush()
        for track in piece.tracks:  # the Markov baselines predict each melody on its own
            result.markov_notes += max(0, len(track) - 1)
            for order, baseline in (markov or {}).items():
                score_markov(baseline, track.notes["pitch"], length, result.baselines[order])
    flush()
    return result


def score_markov(model: MarkovPitchModel, pitches: Sequence[int] | np.ndarray, context: int,
                 score: HeadScore) -> None:
    if len(pitches) < 2:
        return
    log_probs = np.log(np.stack([model.distribution(pitches[max(0, i - context):i]) for i in range(1, len(pitches))]))
    score.add(log_probs, np.asarray(pitches[1:]))


def fit_markov(corpus: Corpus, orders: Sequence[int] = (2, 3, 4)) -> dict[int, MarkovPitchModel]:
    sequences = [track.notes["pitch"] for piece in corpus.pieces for track in piece.tracks]
    return {order: MarkovPitchModel(order).fit(sequences) for order in orders}
