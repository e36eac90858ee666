"""Encoding note events as model tokens and back: the one codec used by training, generation and live.

A note becomes six integers: pitch (0-127), the bin of the time since the previous onset, the bin of its
duration, the bin of its velocity, its instrument, and the interval from the previous note's pitch
(clipped to two octaves; an input only: it lets a recurrent model see melodic motion, which is the same in
every key, instead of having to learn it from absolute pitches). Times are quantized to the nearest bin centre in
the log domain (the first bin, 0, holds simultaneous onsets); decoding returns the bin centres.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import DjaiConfig
from .notes import Piece, empty_notes

FEATURES = ("pitch", "dt", "duration", "velocity", "instrument", "interval")
MAX_INTERVAL = 24
INTERVAL_CLASSES = 2 * MAX_INTERVAL + 1
SIMULTANEOUS = 0  # the dt token of a note at the previous note's onset (TimeCodec's bin 0: "zero")


def interval_token(pitch: int, previous_pitch: int | None) -> int:
    """The interval input of a note: semitones from the previous note, clipped, offset to 0..48."""
    if previous_pitch is None:
        return MAX_INTERVAL
    return int(min(max(pitch - previous_pitch, -MAX_INTERVAL), MAX_INTERVAL)) + MAX_INTERVAL


class TimeCodec:
    """Quantizes non-negative times (beats) to the bins of a config, and back."""

    def __init__(self, centres: list[float]) -> None:
        self.centres = np.asarray(centres, dtype=np.float64)
        log_centres = np.log(self.centres[1:])
        self._log_edges = (log_centres[1:] + log_centres[:-1]) / 2.0
        self._zero_below = self.centres[1] / 2.0

    def __len__(self) -> int:
        return len(self.centres)

    def encode(self, values) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        safe = np.maximum(values, self._zero_below)
        bins = 1 + np.searchsorted(self._log_edges, np.log(safe))
        return np.where(values < self._zero_below, 0, bins).astype(np.int32)

    def decode(self, bins) -> np.ndarray:
        return self.centres[np.asarray(bins)]


class VelocityCodec:
    """Velocities 1-127 to uniform bins (nearest centre), and back."""

    def __init__(self, centres: list[float]) -> None:
        self.centres = np.asarray(centres, dtype=np.float64)
        self._edges = (self.centres[1:] + self.centres[:-1]) / 2.0

    def __len__(self) -> int:
        return len(self.centres)

    def encode(self, values) -> np.ndarray:
        return np.searchsorted(self._edges, np.asarray(values, dtype=np.float64)).astype(np.int32)

    def decode(self, bins) -> np.ndarray:
        return np.clip(np.rint(self.centres[np.asarray(bins)]), 1, 127).astype(np.int16)


@dataclass
class Codec:
    """Encodes note arrays to token columns and decodes them back, following one config."""

    config: DjaiConfig

    def __post_init__(self) -> None:
        self.time = TimeCodec(self.config.time_bins)
        self.velocity = VelocityCodec(self.config.velocity_bins)

    @property
    def vocab_sizes(self) -> dict[str, int]:
        return {"pitch": 128, "dt": len(self.time), "duration": len(self.time),
                "velocity": len(self.velocity), "instrument": self.config.num_instruments,
                "interval": INTERVAL_CLASSES}

    def encode(self, notes: np.ndarray, previous_onset: float | None = None,
               previous_pitch: int | None = None) -> dict[str, np.ndarray]:
        """Token columns for sorted notes; the first note's dt and interval count from ``previous_onset``
        and ``previous_pitch`` (0 and no interval when None)."""
        onsets = notes["onset"]
        pitches = notes["pitch"].astype(np.int32)
        before = pitches[:1] if previous_pitch is None else np.array([previous_pitch], np.int32)
        intervals = np.clip(np.diff(pitches, prepend=before[:1] if len(pitches) else before), -MAX_INTERVAL,
                            MAX_INTERVAL) + MAX_INTERVAL
        first = onsets[:1] if previous_onset is None else np.array([previous_onset])
        dt = np.diff(onsets, prepend=first[:1] if len(onsets) else first)
        return {
            "pitch": notes["pitch"].astype(np.int32),
            "dt": self.time.encode(dt),
            "duration": self.time.encode(notes["duration"]),
            "velocity": self.velocity.encode(notes["velocity"]),
            "instrument": np.minimum(notes["instrument"], self.config.num_instruments - 1).astype(np.int32),
            "interval": intervals.astype(np.int32),
        }

    def decode(self, tokens: dict[str, np.ndarray], start_onset: float = 0.0) -> np.ndarray:
        """Notes from token columns; onsets accumulate the decoded dt from ``start_onset``."""
        count = len(tokens["pitch"])
        notes = empty_notes(count)
        notes["pitch"] = tokens["pitch"]
        notes["onset"] = start_onset + np.cumsum(self.time.decode(tokens["dt"]))
        notes["duration"] = self.time.decode(tokens["duration"])
        notes["velocity"] = self.velocity.decode(tokens["velocity"])
        notes["instrument"] = tokens.get("instrument", np.zeros(count, dtype=np.int32))
        return notes

    def sequences(self, piece: Piece) -> list[dict[str, np.ndarray]]:
        """The token sequences a piece contributes: one per track, or one merged for several instruments."""
        if self.config.num_instruments > 1:
            return [self.encode(piece.merged_notes(self.config.num_instruments))]
        return [self.encode(track.notes) for track in piece.tracks]


def stack_tokens(sequences: list[dict[str, np.ndarray]]) -> np.ndarray:
    """Token dicts to one (N, 6) int32 array, columns in FEATURES order."""
    return np.stack([np.concatenate([seq[name] for seq in sequences]) for name in FEATURES], axis=1) \
        if sequences else np.zeros((0, len(FEATURES)), np.int32)


def tokens_to_array(tokens: dict[str, np.ndarray]) -> np.ndarray:
    return np.stack([np.asarray(tokens[name], dtype=np.int32) for name in FEATURES], axis=1)


def array_to_tokens(array: np.ndarray) -> dict[str, np.ndarray]:
    return {name: array[:, i] for i, name in enumerate(FEATURES)}
