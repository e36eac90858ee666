"""Note events: the common currency between MIDI files, the model and the live daemon."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NOTE_DTYPE = np.dtype([
    ("pitch", np.int16),
    ("velocity", np.int16),
    ("onset", np.float64),      # beats (quarter notes) from the start of the piece
    ("duration", np.float64),   # beats
    ("instrument", np.int16),   # index of the track among the file's non-drum tracks
])


def empty_notes(count: int = 0) -> np.ndarray:
    return np.zeros(count, dtype=NOTE_DTYPE)


def make_notes(pitch, velocity, onset, duration, instrument=0) -> np.ndarray:
    """Build a note array from columns, sorted by (onset, pitch) as everywhere in djai_live."""
    pitch = np.asarray(pitch)
    notes = empty_notes(len(pitch))
    notes["pitch"] = pitch
    notes["velocity"] = velocity
    notes["onset"] = onset
    notes["duration"] = duration
    notes["instrument"] = instrument
    return sort_notes(notes)


def sort_notes(notes: np.ndarray) -> np.ndarray:
    return notes[np.lexsort((notes["pitch"], notes["onset"]))]


@dataclass(frozen=True)
class Track:
    """The notes of one MIDI track, sorted by (onset, pitch)."""

    notes: np.ndarray
    index: int
    program: int = 0
    name: str = ""

    def __len__(self) -> int:
        return len(self.notes)


@dataclass(frozen=True)
class Piece:
    """The non-drum (by default) tracks of one MIDI file."""

    path: str
    tracks: tuple[Track, ...]

    @property
    def note_count(self) -> int:
        return sum(len(track) for track in self.tracks)

    def merged_notes(self, num_instruments: int) -> np.ndarray:
        """All tracks in one sequence; instrument ids above the model's range share its last slot."""
        if not self.tracks:
            return empty_notes()
        notes = np.concatenate([track.notes for track in self.tracks])
        notes["instrument"] = np.minimum(notes["instrument"], num_instruments - 1)
        return sort_notes(notes)
