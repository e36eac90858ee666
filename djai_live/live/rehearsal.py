"""Rehearsals: the accompaniment's answers to the performer's likeliest next notes, drawn ahead.

A rehearsal is what :meth:`.accompany.Accompaniment.heard_note` would compute for one possible note (its
model steps and its draws), done on a copy of the band while nothing is due; when the performer then plays
that note, the chord goes out with no model step on the way.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..sampling import softmax
from .band import DT, DURATION, INSTRUMENT, PITCH, VELOCITY

ANTICIPATED_NOTES = 40        # possible next performer notes rehearsed at most, likeliest first
ANTICIPATED_MASS = 0.98       # ... or until they hold this much of the model's probability


@dataclass
class Rehearsal:
    """What :meth:`~.accompany.Accompaniment.heard_note` computes for one possible note, done ahead."""
    folds: list = field(default_factory=list)   # (token, logits, state) of each note folded, in order
    draws: list = field(default_factory=list)   # the tokens drawn, in order
    rng_state: Any = None                       # the random generator after those draws


class Abandoned(Exception):
    """A rehearsal stopped because a note has come (see :meth:`~.accompany.Accompaniment.rehearse`)."""


def rehearsal_key(token: np.ndarray) -> tuple:
    """What of the performer's note a rehearsal was made for (the interval follows from the context)."""
    return int(token[PITCH]), int(token[DT]), int(token[DURATION]), int(token[VELOCITY]), int(token[INSTRUMENT])


def likeliest_next_notes(logits: dict, low: int, high: int) -> list[tuple[int, int]]:
    """(pitch, time bin) of the performer's likeliest next notes: the model's pitch distribution in the
    performer's register (``low``..``high``) times its distribution of the time since the chord, likeliest
    first."""
    pitch = softmax(np.asarray(logits["pitch"], np.float64))[low:high + 1]
    dt = softmax(np.asarray(logits["dt"], np.float64))
    dt[0] = 0.0  # the performer's note after the chord, not in it
    joint = np.outer(pitch / max(pitch.sum(), 1e-12), dt / max(dt.sum(), 1e-12)).ravel()
    order = np.argsort(joint)[::-1][:ANTICIPATED_NOTES]
    kept = order[:int(np.searchsorted(np.cumsum(joint[order]), ANTICIPATED_MASS)) + 1]
    return [(low + int(i) // len(dt), int(i) % len(dt)) for i in kept]
