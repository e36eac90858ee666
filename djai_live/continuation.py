"""Continuing a piece for a score (`djai-live continue`): the model's notes after the music given, from the next
barline, for a number of bars or of notes, each instrument one note at a time, every onset and duration on a grid.

The model continues with :meth:`~.generation.Generator.continue_notes` (the sampler ``generate`` uses), in
chunks until the bars are filled or the notes counted. Its timing is kept, moved by the distance from the end
of the music given to the barline the continuation starts on; each instrument's notes are then put on the grid
as ``harmonize --grid`` puts its voices (:func:`~.harmonize.snap_to_grid`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .generation import Generator, check_prompt_length
from .harmonize import snap_to_grid
from .notation import bar_beats, next_barline
from .notes import sort_notes
from .sampling import SamplingSettings

CHUNK_NOTES = 32             # notes drawn at a time while the bars are not yet filled
MAX_NOTES_PER_BEAT = 16      # a model that keeps drawing notes on one onset stops here, bars filled or not


@dataclass
class Continuation:
    """The continuation's notes by instrument (``NOTE_DTYPE``, beats of the music given), and where it lies."""

    parts: dict[int, np.ndarray]
    start_beats: float
    end_beats: float            # the last bar's end for --bars, the last note's end for --notes
    drawn: int                  # notes the model drew (some fall before the start or on one grid point)

    @property
    def note_count(self) -> int:
        return sum(len(notes) for notes in self.parts.values())


def continue_piece(generator: Generator, prompt: np.ndarray, time_signature: tuple[int, int], step: float,
                   bars: int | None = None, notes: int | None = None, settings: SamplingSettings | None = None,
                   seed: int = 0, given_end: float | None = None) -> Continuation:
    """Continue ``prompt`` (``NOTE_DTYPE``, beats; its instruments the model's) for ``bars`` bars or ``notes``
    notes in ``time_signature``, on a grid of ``step`` beats, from the first barline at or after the prompt's
    end (or ``given_end``, when the music given ends later than its last note).

    Raises:
        PromptTooShortError: the prompt has too few notes for the model.
        ValueError: neither or both of ``bars`` and ``notes``.
    """
    if (bars is None) == (notes is None):
        raise ValueError("give bars or notes, not both or neither")
    config = generator.config
    check_prompt_length(len(prompt), config)
    prompt = sort_notes(prompt.copy())
    prompt["instrument"] = np.minimum(prompt["instrument"], config.num_instruments - 1)
    prompt_end = float((prompt["onset"] + prompt["duration"]).max())
    start = next_barline(max(prompt_end, given_end or 0.0), time_signature)
    shift = start - prompt_end
    end = start + bars * bar_beats(time_signature) if bars is not None else np.inf
    most = int(MAX_NOTES_PER_BEAT * (end - start)) if bars is not None else 4 * (notes or 0) + CHUNK_NOTES
    drawn = prompt[:0].copy()
    parts: dict[int, np.ndarray] = {}
    chunk = 0
    while True:
        count = CHUNK_NOTES if bars is not None else max(CHUNK_NOTES, (notes or 0) - _count(parts))
        chunk_seed = int(np.random.SeedSequence([seed, chunk]).generate_state(1)[0])
        more = generator.continue_notes(np.concatenate([prompt, drawn]), count, seed=chunk_seed, settings=settings)
        drawn = np.concatenate([drawn, more])
        chunk += 1
        parts = _arranged(drawn, shift, start, end, step, config.num_instruments)
        if bars is not None and (len(more) and float(more["onset"].max()) + shift >= end or len(drawn) >= most):
            break
        if notes is not None and (_count(parts) >= notes or len(drawn) >= most):
            break
    if notes is not None:
        parts = _first_notes(parts, notes)
        ends = [float((p["onset"] + p["duration"]).max()) for p in parts.values() if len(p)]
        end = max(ends, default=start)
    return Continuation(parts, start, float(end), len(drawn))


def _count(parts: dict[int, np.ndarray]) -> int:
    return sum(len(notes) for notes in parts.values())


def _arranged(drawn: np.ndarray, shift: float, start: float, end: float, step: float, instruments: int
              ) -> dict[int, np.ndarray]:
    """The drawn notes moved to the start, each instrument on the grid one note at a time, inside [start, end)."""
    moved = drawn.copy()
    moved["onset"] += shift
    parts = {}
    for instrument in range(instruments):
        mine = moved[moved["instrument"] == instrument]
        mine = snap_to_grid(mine[np.argsort(mine["onset"], kind="stable")], step) if len(mine) else mine
        mine = mine[(mine["onset"] >= start - 1e-9) & (mine["onset"] < end - 1e-9)]
        if len(mine):
            mine["duration"] = np.minimum(mine["duration"], end - mine["onset"])
        parts[instrument] = mine
    return parts


def _first_notes(parts: dict[int, np.ndarray], count: int) -> dict[int, np.ndarray]:
    """The first ``count`` notes of all instruments together, by onset."""
    merged = sort_notes(np.concatenate(list(parts.values())))[:count]
    return {instrument: merged[merged["instrument"] == instrument] for instrument in parts}
