"""Sampling next-note tokens from logits: temperature, nucleus (top-p) and constraints."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .scales import Scale


@dataclass
class SamplingSettings:
    """How generated notes are drawn. ``temperature`` 0 means always the most likely value."""

    temperature: float = 1.0
    top_p: float = 0.95
    pitch_min: int = 0
    pitch_max: int = 127
    scale: Scale | None = None   # None or chromatic: every pitch class
    max_leap: int = 0            # semitones from the previous note; 0: no limit

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if not (np.isfinite(self.temperature) and 0.0 <= self.temperature <= 10.0):
            raise ValueError(f"temperature must be between 0 and 10, got {self.temperature!r}")
        if not (np.isfinite(self.top_p) and 0.0 < self.top_p <= 1.0):
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p!r}")
        for name in ("pitch_min", "pitch_max"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value <= 127:
                raise ValueError(f"{name} must be an integer 0-127, got {value!r}")
        if self.pitch_min > self.pitch_max:
            raise ValueError(f"pitch_min ({self.pitch_min}) is above pitch_max ({self.pitch_max})")
        if isinstance(self.max_leap, bool) or not isinstance(self.max_leap, (int, np.integer)) \
                or not 0 <= self.max_leap <= 127:
            raise ValueError(f"max_leap must be an integer 0-127 (0: no limit), got {self.max_leap!r}")
        mask = self.pitch_mask()
        if mask is not None and not mask.any():
            assert self.scale is not None  # the range alone always holds a pitch (pitch_min <= pitch_max)
            raise ValueError(f"no pitch of {self.scale.describe()} lies in {self.pitch_min}-{self.pitch_max}")

    @cached_property
    def allowed_pitches(self) -> np.ndarray | None:
        """:meth:`pitch_mask`, computed once (settings are not changed after creation)."""
        return self.pitch_mask()

    def pitch_mask(self) -> np.ndarray | None:
        """Pitches allowed by the range and the scale, as a boolean vector, or None when all are."""
        scale = self.scale if self.scale is not None and not self.scale.is_chromatic else None
        if self.pitch_min == 0 and self.pitch_max == 127 and scale is None:
            return None
        mask = np.zeros(128, dtype=bool)
        mask[self.pitch_min:self.pitch_max + 1] = True
        if scale is not None:
            mask &= scale.mask()
        return mask

    def allowed_after(self, previous_pitch: int | None) -> np.ndarray | None:
        """:attr:`allowed_pitches` narrowed to ``max_leap`` around the previous pitch. When no allowed
        pitch lies that close (a range or scale far away), the leap limit gives way, never the scale."""
        allowed = self.allowed_pitches
        if not self.max_leap or previous_pitch is None:
            return allowed
        near = np.zeros(128, dtype=bool)
        near[max(0, previous_pitch - self.max_leap):previous_pitch + self.max_leap + 1] = True
        narrowed = near if allowed is None else near & allowed
        return narrowed if narrowed.any() else allowed


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities from logits along the last axis (overflow-free)."""
    exp = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


def sample_index(logits: np.ndarray, rng: np.random.Generator, temperature: float = 1.0, top_p: float = 1.0,
                 allowed: np.ndarray | None = None) -> int:
    """Draw one index from logits after masking, temperature and nucleus truncation.

    This runs for every head of every generated note on the live path, so it is written for few NumPy
    calls: unnormalized weights, one sort only when top-p truncates, and an inverse-CDF draw (a tenth of
    the cost of ``rng.choice``; the same distribution).
    """
    if allowed is not None:
        logits = np.where(allowed, logits, -np.inf)
    if temperature == 0.0:
        return int(logits.argmax())
    weights = np.exp((logits - logits.max()) * (1.0 / temperature), dtype=np.float64)
    if top_p < 1.0:
        if weights.sum() * top_p <= 1.0:
            return int(weights.argmax())  # the most likely value (weight 1) alone reaches top_p: the nucleus is it
        order = np.argsort(-weights, kind="stable")
        cumulative = np.cumsum(weights[order])
        kept = int(np.searchsorted(cumulative, top_p * cumulative[-1])) + 1  # the smallest set reaching top_p
        drawn = int(np.searchsorted(cumulative[:kept], rng.random() * cumulative[kept - 1], side="right"))
        return int(order[min(drawn, kept - 1)])
    cumulative = np.cumsum(weights)
    return int(min(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"), len(cumulative) - 1))
