"""What a score can write: the meter of a MIDI file, bar lengths, and note values.

A score writes a duration as one note value (plain, dotted or double-dotted: a quarter, a dotted eighth, ...)
or as several tied. A notation program's plugin can write one value a note and lets the program tie it where
it crosses a barline, but (MuseScore 3's plugin API) cannot tie two values inside a bar; ``written_values``
splits the other durations into values that follow each other, re-struck, so what the plugin writes is what
the command said.
"""
from __future__ import annotations

import math
import os

import numpy as np

DEFAULT_TIME_SIGNATURE = (4, 4)
# One note value in beats (quarter notes): breve to 64th, plain, dotted (x 1.5) and double-dotted (x 1.75).
NOTE_VALUES = tuple(sorted({base * dots for base in (8.0, 4.0, 2.0, 1.0, 0.5, 0.25, 0.125, 0.0625)
                            for dots in (1.0, 1.5, 1.75)}, reverse=True))


def midi_time_signature(path: str | os.PathLike) -> tuple[int, int]:
    """The first time signature of a MIDI file, else 4/4 (what a MIDI file without one means)."""
    import mido

    try:
        midi = mido.MidiFile(os.fspath(path))
    except (OSError, ValueError, EOFError, KeyError, IndexError):
        return DEFAULT_TIME_SIGNATURE  # the note reader reports the file itself
    for track in midi.tracks:
        for message in track:
            if message.type == "time_signature":
                return int(message.numerator), int(message.denominator)
    return DEFAULT_TIME_SIGNATURE


def bar_beats(time_signature: tuple[int, int]) -> float:
    """A bar's length in beats (quarter notes): 3/4 -> 3, 6/8 -> 3, 2/2 -> 4."""
    numerator, denominator = time_signature
    return numerator * 4.0 / denominator


def next_barline(beat: float, time_signature: tuple[int, int]) -> float:
    """The first barline at or after ``beat`` (bars counted from beat 0)."""
    bar = bar_beats(time_signature)
    return math.ceil(beat / bar - 1e-9) * bar


def is_note_value(beats: float) -> bool:
    return any(abs(beats - value) < 1e-6 for value in NOTE_VALUES)


def split_into_values(beats: float, step: float) -> list[float]:
    """``beats`` (a whole number of grid steps) as note values, longest first, each a whole number of steps."""
    pieces: list[float] = []
    left = beats
    while left > 1e-6:
        fitting = [value for value in NOTE_VALUES
                   if value <= left + 1e-6 and abs(value / step - round(value / step)) < 1e-6]
        value = fitting[0] if fitting else left
        pieces.append(value)
        left -= value
    return pieces


def written_values(notes: np.ndarray, step: float) -> np.ndarray:
    """Each note whose duration is not one note value split into values that follow each other (re-struck),
    longest first: 5/16 becomes a quarter and a sixteenth. Durations must be whole numbers of ``step``."""
    pieces = []
    for note in notes:
        onset = float(note["onset"])
        for value in split_into_values(float(note["duration"]), step):
            piece = note.copy()
            piece["onset"], piece["duration"] = onset, value
            pieces.append(piece)
            onset += value
    return np.array(pieces, dtype=notes.dtype) if pieces else notes[:0].copy()
