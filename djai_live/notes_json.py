"""Notes as JSON, for programs that call ``harmonize`` and ``continue`` (a notation program's plugin): the form
both commands write with ``--json``, and the one they read as IN when its name ends in ``.json``.

A document is an object with ``parts``, each ``{"instrument": i, "name": ..., "notes": [...]}``, every note
``{"pitch", "velocity", "onset_beats", "duration_beats"}`` (beats are quarter notes from the start). Read as
input it may also carry ``time_signature`` ``[numerator, denominator]``, ``tempo_bpm`` and ``end_beats``
(where the music given ends, when that is after its last note: a selection ending in rests).
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .files import atomic_path
from .notes import empty_notes, make_notes


class NotesJsonError(ValueError):
    """A JSON file of notes that cannot be used: which file and what is wrong, in words."""

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        super().__init__(f"{path}: {reason}")


@dataclass
class NotesDocument:
    """The parts of a JSON notes file (``NOTE_DTYPE``, beats), in the order given, and what it says of the music."""

    parts: list[np.ndarray]
    time_signature: tuple[int, int] | None = None
    tempo_bpm: float | None = None
    end_beats: float | None = None


def notes_as_json(notes: np.ndarray) -> list[dict]:
    """One part's notes in the JSON form (onsets and durations in beats, rounded to a millionth)."""
    return [{"pitch": int(n["pitch"]), "velocity": int(n["velocity"]), "onset_beats": round(float(n["onset"]), 6),
             "duration_beats": round(float(n["duration"]), 6)} for n in notes]


def write_json(document: dict, target: str | os.PathLike) -> None:
    """Write ``document`` to ``target`` atomically (a reader never sees half of it), or to stdout for "-"."""
    text = json.dumps(document, indent=1)
    if str(target) == "-":
        print(text, flush=True)
        return
    with atomic_path(target) as temporary:
        temporary.write_text(text + "\n")


def is_json_input(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() == ".json"


def read_notes_json(path: str | os.PathLike) -> NotesDocument:
    """Read a JSON notes file.

    Raises:
        NotesJsonError: the file is missing, empty, not JSON, or not of the form above (naming the field).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise NotesJsonError(path, f"cannot read: {getattr(error, 'strerror', None) or error}") from None
    if not text.strip():
        raise NotesJsonError(path, "empty file")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotesJsonError(path, f"not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(document, dict) or not isinstance(document.get("parts"), list):
        raise NotesJsonError(path, "expected an object with a list of \"parts\"")
    parts = [_part_notes(path, index, part) for index, part in enumerate(document["parts"])]
    if not any(len(notes) for notes in parts):
        raise NotesJsonError(path, "no notes in any part")
    return NotesDocument(parts, _time_signature(path, document.get("time_signature")),
                         _optional_number(path, document, "tempo_bpm", 20.0, 400.0),
                         _optional_number(path, document, "end_beats", 0.0, 1e6))


def _part_notes(path, index: int, part) -> np.ndarray:
    if not isinstance(part, dict) or not isinstance(part.get("notes"), list):
        raise NotesJsonError(path, f"part {index} is not an object with a list of \"notes\"")
    instrument = part.get("instrument", index)
    if not isinstance(instrument, int) or isinstance(instrument, bool) or not 0 <= instrument < 128:
        raise NotesJsonError(path, f"part {index}: \"instrument\" must be a whole number 0-127, got {instrument!r}")
    columns: list[tuple[int, int, float, float]] = []
    for number, note in enumerate(part["notes"]):
        where = f"part {index}, note {number}"
        if not isinstance(note, dict):
            raise NotesJsonError(path, f"{where} is not an object")
        pitch, velocity = note.get("pitch"), note.get("velocity", 80)
        onset, duration = note.get("onset_beats"), note.get("duration_beats")
        if not isinstance(pitch, int) or isinstance(pitch, bool) or not 0 <= pitch <= 127:
            raise NotesJsonError(path, f"{where}: \"pitch\" must be 0-127, got {pitch!r}")
        if not isinstance(velocity, int) or isinstance(velocity, bool) or not 0 <= velocity <= 127:
            raise NotesJsonError(path, f"{where}: \"velocity\" must be 0-127, got {velocity!r}")
        beats = [_beats(path, where, name, value) for name, value in (("onset_beats", onset),
                                                                        ("duration_beats", duration))]
        if beats[1] <= 0:
            raise NotesJsonError(path, f"{where}: \"duration_beats\" must be > 0, got {duration!r}")
        columns.append((pitch, velocity, beats[0], beats[1]))
    if not columns:
        notes = empty_notes()
        notes["instrument"] = instrument
        return notes
    pitch_column, velocity_column, onset_column, duration_column = zip(*columns)
    return make_notes(pitch_column, velocity_column, onset_column, duration_column, instrument)


def _beats(path, where: str, name: str, value) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) \
            or not 0 <= value <= 1e6:
        raise NotesJsonError(path, f"{where}: \"{name}\" must be a number of beats >= 0, got {value!r}")
    return float(value)


def _time_signature(path, value) -> tuple[int, int] | None:
    if value is None:
        return None
    if (not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, int) for v in value)
            or not 1 <= value[0] <= 64 or value[1] not in (1, 2, 4, 8, 16, 32, 64)):
        raise NotesJsonError(path, f"\"time_signature\" must be [numerator 1-64, denominator a power of two], "
                                   f"got {value!r}")
    return value[0], value[1]


def _optional_number(path, document: dict, name: str, low: float, high: float) -> float | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
        raise NotesJsonError(path, f"\"{name}\" must be a number {low:g}-{high:g}, got {value!r}")
    return float(value)
