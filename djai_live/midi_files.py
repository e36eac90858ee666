"""Reading MIDI files into note events: scanning folders, parsing with pretty_midi (long works included),
saying why a file cannot be used, and parsing many files serially or in a process pool.

This module knows nothing of caches or prepared corpora: :mod:`djai_live.prepared` and
:mod:`djai_live.corpus` build on it.
"""
from __future__ import annotations

import gc
import logging
import os
import warnings
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .notes import Piece, Track, make_notes

log = logging.getLogger(__name__)

MIDI_SUFFIXES = (".mid", ".midi")
# 2: long works with a fine tick resolution are read (rescaled ticks); 3: a take's answer tracks are left out
# and its chords read on one onset
EXTRACTOR_VERSION = "3"

# pretty_midi refuses files whose last tick is past 1e7 as "likely corrupt", because it allocates a float per
# tick. Long valid works with a fine resolution pass that (24 Palestrina Credos and Glorias: 10,080 ticks a beat,
# about 1,200 beats). We judge by length in beats instead, and rescale the ticks of a long file below the limit.
MAX_TICKS = 5_000_000        # ticks handed to pretty_midi at most (40 MB for its tick-to-time table)
MAX_BEATS = 100_000          # longer is a corrupt delta time, not music (about 14 hours at 120 bpm)


# The tracks of a recorded take (djai_live.live.takes) that hold the daemon's answers: left out when a file is
# read, so training on takes learns the performer's music.
ANSWER_TRACK_PREFIX = "djai_live answer"
TAKE_NAME = "djai_live take"   # the name of a take's first track
CHORD_S = 0.03                 # in a take, notes starting this close to a chord's first are that chord


class MidiReadError(Exception):
    """A MIDI file that cannot be used, with the reason in words."""

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


def scan_midi_files(directory: str | os.PathLike, max_files: int | None = None) -> list[str]:
    """All ``.mid``/``.midi`` files (any case) below ``directory``, recursively, sorted.

    Raises:
        FileNotFoundError: the directory does not exist.
        NotADirectoryError: the path is not a directory.
    """
    root = Path(directory)
    if not root.exists():
        raise FileNotFoundError(f"no such directory: {root}")
    if not root.is_dir():
        raise NotADirectoryError(f"not a directory: {root}")
    files = sorted(str(p) for p in root.rglob("*") if p.suffix.lower() in MIDI_SUFFIXES and p.is_file())
    if max_files is not None:
        if max_files < 0:
            raise ValueError(f"max_files must be >= 0, got {max_files}")
        files = files[:max_files]
    return files


def _beats_at(times: np.ndarray, tempo_times: np.ndarray, tempi: np.ndarray) -> np.ndarray:
    """Convert seconds to beats through a piecewise-constant tempo map."""
    segment_beats = np.diff(tempo_times) * tempi[:-1] / 60.0
    start_beats = np.concatenate([[0.0], np.cumsum(segment_beats)])
    segment = np.clip(np.searchsorted(tempo_times, times, side="right") - 1, 0, len(tempi) - 1)
    return start_beats[segment] + (times - tempo_times[segment]) * tempi[segment] / 60.0


def read_midi_notes(path: str | os.PathLike, include_drums: bool = False) -> Piece:
    """Extract the notes of one MIDI file, per track, times in beats.

    Raises:
        MidiReadError: the file is missing, empty, not MIDI, truncated, or holds no usable notes.
    """
    import mido
    import pretty_midi  # imported here so that scanning and the CLI's help stay fast

    path = str(path)
    try:
        size = os.path.getsize(path)
    except OSError as error:
        raise MidiReadError(path, f"cannot open: {error.strerror or error}") from None
    if size == 0:
        raise MidiReadError(path, "empty file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pretty_midi warns about harmless type-0 quirks
            parsed = mido.MidiFile(path)
            last_tick = max((sum(message.time for message in track) for track in parsed.tracks), default=0)
            if last_tick / parsed.ticks_per_beat > MAX_BEATS:
                raise MidiReadError(path, f"not a readable MIDI file (its last event is {last_tick} ticks = "
                                          f"{last_tick / parsed.ticks_per_beat:.0f} beats in: a corrupt time)")
            if last_tick >= MAX_TICKS:
                rescale_ticks(parsed, last_tick)
            midi = pretty_midi.PrettyMIDI(mido_object=parsed)
            take = any(message.type == "track_name" and message.name == TAKE_NAME
                       for message in (parsed.tracks[0] if parsed.tracks else ()))
    except MidiReadError:
        raise
    except Exception as error:  # pretty_midi/mido raise many types for broken data
        raise MidiReadError(path, _explain_failure(path, error)) from None
    tempo_times, tempi = midi.get_tempo_changes()
    if len(tempi) == 0:
        tempo_times, tempi = np.array([0.0]), np.array([120.0])
    tracks: list[Track] = []
    answers = 0
    for instrument in midi.instruments:
        if instrument.is_drum and not include_drums:
            continue
        if instrument.name.startswith(ANSWER_TRACK_PREFIX) and instrument.notes:
            answers += 1   # a recorded take's daemon part: the performer's music is what is learned
            continue
        index = len(tracks)
        if not instrument.notes:
            continue
        raw = np.array([(n.pitch, n.velocity, n.start, n.end) for n in instrument.notes], dtype=np.float64)
        if take:
            raw[:, 2] = played_together(raw[:, 2])
        onsets = _beats_at(raw[:, 2], tempo_times, tempi)
        ends = _beats_at(raw[:, 3], tempo_times, tempi)
        notes = make_notes(raw[:, 0], raw[:, 1], onsets, np.maximum(ends - onsets, 0.0), index)
        tracks.append(Track(notes=notes, index=index, program=instrument.program, name=instrument.name))
    if not tracks:
        if answers:
            raise MidiReadError(path, f"a take with only the daemon's notes (tracks named '{ANSWER_TRACK_PREFIX} "
                                      "...'): nobody played in it")
        raise MidiReadError(path, "no notes" + ("" if include_drums else " outside drum tracks"))
    return Piece(path=path, tracks=tuple(tracks))


def played_together(starts: np.ndarray) -> np.ndarray:
    """Onsets (seconds) of a played part with each chord on one onset: a note that starts within CHORD_S of
    the first note of a chord belongs to it. A performer's chord is spread over a few to tens of
    milliseconds, and the encoding's simultaneous bin is a few milliseconds wide (under 4 ms at 120 BPM), so
    read as played a chord would teach the model arpeggios."""
    order = np.argsort(starts, kind="stable")
    together = starts.copy()
    chord_start = -np.inf
    for i in order:
        if starts[i] - chord_start > CHORD_S:
            chord_start = starts[i]
        together[i] = chord_start
    return together


def rescale_ticks(midi, last_tick: int) -> None:
    """Coarsen a long file's ticks in place so that its last tick is below MAX_TICKS, times in beats unchanged.

    The factor divides the resolution where it can (exact times); otherwise times move by under half a new tick.
    Absolute times are rounded, not deltas, so rounding errors do not add up along a track.
    """
    needed = -(-(last_tick + 1) // MAX_TICKS)
    factor = next((k for k in range(needed, 2 * needed + 1) if midi.ticks_per_beat % k == 0), needed)
    for track in midi.tracks:
        absolute, previous = 0, 0
        for message in track:
            absolute += message.time
            scaled = round(absolute / factor)
            message.time, previous = scaled - previous, scaled
    midi.ticks_per_beat = midi.ticks_per_beat / factor if midi.ticks_per_beat % factor else \
        midi.ticks_per_beat // factor


def _describe(error: Exception) -> str:
    """An exception in words, never empty: a truncated file raises a bare EOFError."""
    if isinstance(error, EOFError):
        return "the file ends in the middle of a track: truncated or cut short"
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _explain_failure(path: str, error: Exception) -> str:
    """Words for why pretty_midi failed; a file mido can read but that holds nothing gets a plain reason."""
    import mido

    try:
        midi = mido.MidiFile(path)
    except Exception as mido_error:
        return f"not a readable MIDI file ({_describe(mido_error if isinstance(mido_error, EOFError) else error)})"
    if not midi.tracks:
        return "no notes: a MIDI header with no tracks"
    if not any(message.type == "note_on" for track in midi.tracks for message in track):
        return "no notes"
    return f"not a readable MIDI file ({_describe(error)})"


def _read_or_reason(args: tuple[str, bool]) -> Piece | tuple[str, str]:
    path, include_drums = args
    try:
        return read_midi_notes(path, include_drums)
    except MidiReadError as error:
        return (error.path, error.reason)


# Starting a pool costs about 0.05-0.1 s here (workers fork from a parent that has pretty_midi loaded);
# serial parsing reads roughly 70 KB of MIDI a second on one core. Measured on folk tunes of about 0.9 KB
# (best of 3, idle 2-core machine): 8 files (7 KB) 0.095 s serially vs 0.145 s in a pool of two; 16 files
# (15 KB) 0.22 s vs 0.15 s. Below about 12 KB of MIDI a pool cannot win.
POOL_MIN_BYTES = 12 * 1024
POOL_MIN_FILES = 8


def reading_workers(files: Sequence[str]) -> int:
    """How many processes to parse ``files`` with: one per CPU (at most 8) when the total size promises
    more serial work than a pool's start-up costs, else 1."""
    cpus = min(os.cpu_count() or 1, 8)
    if cpus < 2 or len(files) < POOL_MIN_FILES:
        return 1
    total = 0
    for path in files:
        try:
            total += os.path.getsize(path)
        except OSError:
            continue  # reported with its reason when it is read
        if total >= POOL_MIN_BYTES:
            return cpus
    return 1


@contextmanager
def reading(files: Sequence[str], include_drums: bool = False, workers: int | None = None, progress: bool = False,
            label: str = "reading MIDI") -> Iterator[Iterable[Piece | tuple[str, str]]]:
    """The pieces of ``files`` in order, each a Piece or (path, reason) for a file that cannot be used;
    parsed in a process pool when the work pays for starting one (see :func:`reading_workers`), else serially."""
    jobs = [(path, include_drums) for path in files]
    if workers is None:
        workers = reading_workers(files)
    if workers > 1:
        # The workers are forked. Garbage left in this process (a TensorFlow dataset iterator after training,
        # say) would be collected in a worker, where the threads its destructor waits for do not exist: the
        # worker hangs. So the garbage is collected here first, and a worker never collects what it inherits.
        gc.collect()
        with ProcessPoolExecutor(max_workers=workers, initializer=gc.freeze) as pool:
            yield _with_progress(pool.map(_read_or_reason, jobs, chunksize=8), len(jobs), progress, label)
    else:
        yield _with_progress(map(_read_or_reason, jobs), len(jobs), progress, label)


def _with_progress(iterable: Iterable, total: int, enabled: bool, label: str) -> Iterable:
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=label, unit="file", leave=False)
