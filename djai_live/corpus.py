"""MIDI corpora for training and evaluation: many files read once (through a prepared store, so a file is
parsed again only when it changes), with every unreadable file reported with its reason and skipped.

Reading single files lives in :mod:`djai_live.midi_files`; its public names are re-exported here.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .midi_files import (EXTRACTOR_VERSION, MIDI_SUFFIXES, MidiReadError, read_midi_notes,  # noqa: F401
                         reading, reading_workers, scan_midi_files)
from .notes import Piece
from .prepared import PreparedCorpus, PreparedCorpusError

log = logging.getLogger(__name__)


class NoUsableDataError(Exception):
    """Nothing in the given files could be trained on."""


def default_cache_dir() -> Path:
    """Where ``train`` and ``evaluate`` keep prepared notes: $DJAI_LIVE_CACHE, else ~/.cache/djai_live."""
    base = os.environ.get("DJAI_LIVE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "djai_live")
    return Path(base) / "prepared"


def prepared_store(cache_dir: str | os.PathLike, include_drums: bool):
    """The shared prepared corpus under ``cache_dir`` for this drum setting."""
    return PreparedCorpus(Path(cache_dir) / ("with-drums" if include_drums else "no-drums"), include_drums)


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
