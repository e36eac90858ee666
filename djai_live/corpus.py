"""Reading MIDI corpora: scanning folders, extracting note events with pretty_midi, caching them.

Unreadable files never raise out of :func:`load_corpus`: each is reported with its reason and skipped.
"""
from __future__ import annotations

import logging
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from .notes import Piece, Track, make_notes

log = logging.getLogger(__name__)

MIDI_SUFFIXES = (".mid", ".midi")
EXTRACTOR_VERSION = "2"  # 2: long works with a fine tick resolution are read (rescaled ticks)

# pretty_midi refuses files whose last tick is past 1e7 as "likely corrupt", because it allocates a float per
# tick. Long valid works with a fine resolution pass that (24 Palestrina Credos and Glorias: 10,080 ticks a beat,
# about 1,200 beats). We judge by length in beats instead, and rescale the ticks of a long file below the limit.
MAX_TICKS = 5_000_000        # ticks handed to pretty_midi at most (40 MB for its tick-to-time table)
MAX_BEATS = 100_000          # longer is a corrupt delta time, not music (about 14 hours at 120 bpm)


class NoUsableDataError(Exception):
    """Nothing in the given files could be trained on."""


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
    except MidiReadError:
        raise
    except Exception as error:  # pretty_midi/mido raise many types for broken data
        raise MidiReadError(path, _explain_failure(path, error)) from None
    tempo_times, tempi = midi.get_tempo_changes()
    if len(tempi) == 0:
        tempo_times, tempi = np.array([0.0]), np.array([120.0])
    tracks = []
    for instrument in midi.instruments:
        if instrument.is_drum and not include_drums:
            continue
        index = len(tracks)
        if not instrument.notes:
            continue
        raw = np.array([(n.pitch, n.velocity, n.start, n.end) for n in instrument.notes], dtype=np.float64)
        onsets = _beats_at(raw[:, 2], tempo_times, tempi)
        ends = _beats_at(raw[:, 3], tempo_times, tempi)
        notes = make_notes(raw[:, 0], raw[:, 1], onsets, np.maximum(ends - onsets, 0.0), index)
        tracks.append(Track(notes=notes, index=index, program=instrument.program, name=instrument.name))
    if not tracks:
        raise MidiReadError(path, "no notes" + ("" if include_drums else " outside drum tracks"))
    return Piece(path=path, tracks=tuple(tracks))


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


def default_cache_dir() -> Path:
    """Where ``train`` and ``evaluate`` keep prepared notes: $DJAI_LIVE_CACHE, else ~/.cache/djai_live."""
    base = os.environ.get("DJAI_LIVE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "djai_live")
    return Path(base) / "prepared"


def prepared_store(cache_dir: str | os.PathLike, include_drums: bool):
    """The shared prepared corpus under ``cache_dir`` for this drum setting."""
    from .prepared import PreparedCorpus

    return PreparedCorpus(Path(cache_dir) / ("with-drums" if include_drums else "no-drums"), include_drums)


def _read_or_reason(args: tuple[str, bool]) -> Piece | tuple[str, str]:
    path, include_drums = args
    try:
        return read_midi_notes(path, include_drums)
    except MidiReadError as error:
        return (error.path, error.reason)


@dataclass
class Corpus:
    """The pieces that could be read, and the files that could not, with their reasons."""

    pieces: list[Piece] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def note_count(self) -> int:
        return sum(piece.note_count for piece in self.pieces)

    def report_skipped(self, logger: logging.Logger = log) -> None:
        for path, reason in self.skipped:
            logger.warning("skipped %s: %s", path, reason)
        if self.skipped:
            logger.warning("skipped %d of %d files", len(self.skipped), len(self.skipped) + len(self.pieces))


def load_corpus(files: Iterable[str], include_drums: bool = False, cache_dir: Path | None | str = "default",
                workers: int | None = None, progress: bool = False) -> Corpus:
    """Read many MIDI files (in a process pool when there are many), skipping unreadable ones.

    Args:
        files: paths of MIDI files.
        include_drums: keep drum tracks.
        cache_dir: where extracted notes are kept as a prepared corpus (see :mod:`djai_live.prepared`);
            "default" for :func:`default_cache_dir`, None to parse everything and keep nothing.
        workers: processes to parse with; default: one per CPU, serial for small corpora.
        progress: show a progress bar on stderr.
    """
    files = list(files)
    if cache_dir == "default":
        cache_dir = default_cache_dir()
    corpus = Corpus()
    if cache_dir is not None:
        from .prepared import PreparedCorpusError

        store = prepared_store(cache_dir, include_drums)
        absolute = {path: os.path.abspath(path) for path in files}
        for attempt in range(3):
            report = store.update(absolute.values(), workers=workers, progress=progress)
            try:
                by_absolute = {piece.path: piece for piece in store.pieces(absolute.values())}
                break
            except PreparedCorpusError as error:  # a damaged shard is rebuilt, not fatal
                if error.shard is None or attempt == 2:
                    raise
                log.warning("%s; parsing its files again", error)
                store.forget_shard(error.shard)
        given = {absolute_path: path for path, absolute_path in absolute.items()}
        corpus.skipped = [(given.get(path, path), reason) for path, reason in report.skipped]
        for path in files:
            piece = by_absolute.get(absolute[path])
            if piece is not None:
                corpus.pieces.append(Piece(path=path, tracks=piece.tracks))
        return corpus
    with reading(files, include_drums, workers, progress) as results:
        for result in results:
            if isinstance(result, Piece):
                corpus.pieces.append(result)
            else:
                corpus.skipped.append(result)
    return corpus


# Starting a pool (fork, then pretty_midi imported in each worker) costs about 0.3 s; serial parsing reads
# roughly 0.25 MB of MIDI a second on one core. Below about a second of serial work the pool cannot win:
# 150 small folk tunes (134 KB) took 0.56 s serially and 0.80 s in a pool of two (scripts/bench_read.py).
POOL_MIN_BYTES = 256 * 1024
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
        with ProcessPoolExecutor(max_workers=workers) as pool:
            yield _with_progress(pool.map(_read_or_reason, jobs, chunksize=8), len(jobs), progress, label)
    else:
        yield _with_progress(map(_read_or_reason, jobs), len(jobs), progress, label)


def _with_progress(iterable: Iterable, total: int, enabled: bool, label: str) -> Iterable:
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=label, unit="file", leave=False)
