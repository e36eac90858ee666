"""A prepared corpus: note events extracted once, in parallel, into compact shards plus a manifest.

Layout of a prepared directory::

    manifest.json      one entry per MIDI file: size, mtime, SHA-256, shard, track lengths, or why it was skipped
    shard-<id>.npz     the notes of many files: one NOTE_DTYPE array and per-track offsets, programs and names

A file whose size and modification time are unchanged is not even hashed again; a file whose content is
already in the store (copied, renamed, touched) is not parsed again. So adding ten files to a corpus parses
ten files. Shards are written atomically and the manifest is rewritten atomically after each shard, so an
interrupted run keeps everything finished before it. A lock file serialises writers.

Training streams the shards one at a time (see :mod:`djai_live.streaming`), so its memory does not grow
with the corpus.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .files import atomic_path
from .midi_files import EXTRACTOR_VERSION, reading
from .notes import NOTE_DTYPE, Piece, Track, sort_notes

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SHARD_NOTES = 250_000  # about 6 MB of notes per shard: small enough to stream, big enough to read fast
_HASH_CHUNK = 1 << 20


class PreparedCorpusError(Exception):
    """A prepared directory that cannot be used (damaged shard, other drum setting)."""

    def __init__(self, message: str, shard: str | None = None) -> None:
        super().__init__(message)
        self.shard = shard


@dataclass
class FileEntry:
    """What the store knows about one MIDI file."""

    size: int
    mtime_ns: int
    sha256: str
    shard: str | None = None          # None: the file was skipped, see ``reason``
    reason: str | None = None
    track_lengths: list[int] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return self.shard is not None

    @property
    def note_count(self) -> int:
        return sum(self.track_lengths)


@dataclass
class UpdateReport:
    """What one :meth:`PreparedCorpus.update` did."""

    parsed: int = 0
    reused: int = 0
    removed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason), old and new

    def log(self, logger: logging.Logger = log) -> None:
        for path, reason in self.skipped:
            logger.warning("skipped %s: %s", path, reason)
        logger.info("prepared corpus: %d files parsed, %d reused, %d skipped, %d removed",
                    self.parsed, self.reused, len(self.skipped), self.removed)


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class PreparedCorpus:
    """A directory of shards and a manifest; see the module documentation."""

    def __init__(self, directory: str | os.PathLike, include_drums: bool = False) -> None:

        self.directory = Path(directory)
        self.include_drums = include_drums
        self.extractor = EXTRACTOR_VERSION
        self.files: dict[str, FileEntry] = {}
        self._read_manifest()

    @classmethod
    def open_existing(cls, directory: str | os.PathLike) -> PreparedCorpus:
        """A store made by ``djai-live prepare``, with the drum setting it was made with.

        Raises:
            PreparedCorpusError: no manifest, or one that cannot be read.
        """
        manifest = Path(directory) / MANIFEST
        try:
            include_drums = bool(json.loads(manifest.read_text()).get("include_drums", False))
        except FileNotFoundError:
            raise PreparedCorpusError(f"{directory}: not a prepared corpus (no {MANIFEST})") from None
        except (OSError, ValueError, AttributeError) as error:
            raise PreparedCorpusError(f"{manifest}: unreadable manifest ({error})") from None
        return cls(directory, include_drums)

    @staticmethod
    def is_prepared(directory: str | os.PathLike) -> bool:
        return (Path(directory) / MANIFEST).is_file()

    # -- reading --------------------------------------------------------------------------------------

    @property
    def usable_files(self) -> list[str]:
        return sorted(path for path, entry in self.files.items() if entry.usable)

    @property
    def skipped(self) -> list[tuple[str, str]]:
        return sorted((path, entry.reason or "") for path, entry in self.files.items() if not entry.usable)

    def track_lengths(self, paths: Iterable[str]) -> list[list[int]]:
        return [self.files[path].track_lengths for path in paths if self.files[path].usable]

    def shards_of(self, paths: Iterable[str]) -> dict[str, list[str]]:
        """The usable files among ``paths``, grouped by the shard that holds them."""
        groups: dict[str, list[str]] = {}
        for path in paths:
            entry = self.files.get(path)
            if entry is not None and entry.shard is not None:  # usable
                groups.setdefault(entry.shard, []).append(path)
        return groups

    def read_shard(self, shard: str, paths: Iterable[str]) -> list[Piece]:
        """The pieces of ``paths`` (all held by ``shard``), in the order given.

        Raises:
            PreparedCorpusError: the shard is missing or damaged (run prepare again).
        """
        wanted = list(paths)
        try:
            with np.load(self.directory / shard, allow_pickle=False) as data:
                notes, starts = data["notes"], data["track_start"]
                shas, meta, names = data["track_sha"], data["track_meta"], data["track_name"]
        except Exception as error:  # np.load raises many types for damaged zips
            raise PreparedCorpusError(f"{self.directory / shard}: unreadable shard ({error}); "
                                      f"run `djai-live prepare` again", shard) from None
        by_sha: dict[str, list[int]] = {}
        for row, sha in enumerate(shas):
            by_sha.setdefault(str(sha), []).append(row)
        pieces = []
        for path in wanted:
            rows = by_sha.get(self.files[path].sha256, [])
            tracks = tuple(Track(notes=sort_notes(notes[starts[row]:starts[row + 1]]), index=int(meta[row, 0]),
                                 program=int(meta[row, 1]), name=str(names[row])) for row in rows)
            pieces.append(Piece(path=path, tracks=tracks))
        return pieces

    def pieces(self, paths: Iterable[str]) -> Iterator[Piece]:
        """The pieces of the usable files among ``paths``, one shard in memory at a time."""
        for shard, members in self.shards_of(paths).items():
            yield from self.read_shard(shard, members)

    def forget_shard(self, shard: str) -> None:
        """Drop a damaged shard: its files are parsed again by the next :meth:`update`."""
        with self._locked():
            self._read_manifest()
            self.files = {path: entry for path, entry in self.files.items() if entry.shard != shard}
            self._write_manifest()
            (self.directory / shard).unlink(missing_ok=True)

    # -- writing --------------------------------------------------------------------------------------

    def update(self, files: Iterable[str], workers: int | None = None, progress: bool = False,
               prune: bool = False) -> UpdateReport:
        """Bring the store up to date with ``files``: parse only what it has not seen.

        Args:
            files: MIDI file paths, stored as given (make them absolute for a store shared by projects).
            workers: processes to parse with; default: chosen by the work
                (:func:`~djai_live.midi_files.reading_workers`).
            progress: show a progress bar on stderr.
            prune: forget files that are not in ``files`` and delete shards nobody needs any more.
        """
        files = list(dict.fromkeys(str(f) for f in files))
        report = UpdateReport()
        with self._locked():
            self._read_manifest()  # another process may have added files since we opened the store
            known_by_sha = {entry.sha256: entry for entry in self.files.values()}
            to_parse: list[tuple[str, FileEntry]] = []
            first_of_content: dict[str, str] = {}            # sha -> the first new path with that content
            duplicates: list[tuple[str, FileEntry]] = []
            for path in files:
                try:
                    stat = os.stat(path)
                    entry = self.files.get(path)
                    if entry is not None and (entry.size, entry.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
                        report.reused += 1
                        continue
                    sha = file_sha256(path)
                except OSError as error:
                    self.files.pop(path, None)
                    report.skipped.append((path, f"cannot open: {error.strerror or error}"))
                    continue
                twin = known_by_sha.get(sha)
                if twin is not None:
                    self.files[path] = FileEntry(stat.st_size, stat.st_mtime_ns, sha, twin.shard, twin.reason,
                                                 list(twin.track_lengths))
                    report.reused += 1
                elif sha in first_of_content:
                    duplicates.append((path, FileEntry(stat.st_size, stat.st_mtime_ns, sha)))
                else:
                    first_of_content[sha] = path
                    to_parse.append((path, FileEntry(stat.st_size, stat.st_mtime_ns, sha)))
            self._parse(to_parse, workers, progress, report)
            for path, entry in duplicates:  # the same bytes under another name: parsed once, stored once
                original = self.files.get(first_of_content[entry.sha256])
                if original is not None:
                    entry.shard, entry.reason = original.shard, original.reason
                    entry.track_lengths = list(original.track_lengths)
                    self.files[path] = entry
                    report.reused += 1
            if prune:
                keep = set(files)
                for path in [p for p in self.files if p not in keep]:
                    del self.files[path]
                    report.removed += 1
            self._write_manifest()
            if prune:
                self._delete_unused_shards()
        wanted = set(files)
        report.skipped += [(path, entry.reason or "") for path, entry in sorted(self.files.items())
                           if path in wanted and not entry.usable]
        return report

    def _parse(self, jobs: list[tuple[str, FileEntry]], workers: int | None, progress: bool,
               report: UpdateReport) -> None:
        if not jobs:
            return

        entries = dict(jobs)
        pending: list[Piece] = []
        pending_notes = 0
        with reading(list(entries), self.include_drums, workers, progress, "preparing MIDI") as results:
            for result in results:
                if isinstance(result, Piece):
                    pending.append(result)
                    pending_notes += result.note_count
                    report.parsed += 1
                    if pending_notes >= SHARD_NOTES:
                        self._flush(pending, entries)
                        pending, pending_notes = [], 0
                else:
                    path, reason = result
                    entry = entries[path]
                    entry.reason = reason
                    self.files[path] = entry
                    report.parsed += 1
            self._flush(pending, entries)

    def _flush(self, pieces: list[Piece], entries: dict[str, FileEntry]) -> None:
        """Write one shard for ``pieces``, then record them in the manifest (both atomically)."""
        if not pieces:
            return
        shard = f"shard-{uuid.uuid4().hex[:16]}.npz"
        unique, seen = [], set()
        for piece in pieces:  # a shard holds each content once: readers find a file's tracks by its hash
            if entries[piece.path].sha256 not in seen:
                seen.add(entries[piece.path].sha256)
                unique.append(piece)
        tracks = [(entries[piece.path].sha256, track) for piece in unique for track in piece.tracks]
        lengths = np.array([len(track) for _, track in tracks], dtype=np.int64)
        arrays = dict(
            notes=np.concatenate([track.notes for _, track in tracks]).astype(NOTE_DTYPE),
            track_start=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            track_sha=np.array([sha for sha, _ in tracks], dtype="U64"),
            track_meta=np.array([[track.index, track.program] for _, track in tracks], dtype=np.int64),
            track_name=np.array([track.name for _, track in tracks], dtype=str),
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.directory / shard) as temporary, open(temporary, "wb") as handle:
            # The ignore: numpy's stub takes **arrays for its allow_pickle flag too.
            np.savez(handle, **arrays)  # type: ignore[arg-type]
        for piece in pieces:
            entry = entries[piece.path]
            entry.shard = shard
            entry.track_lengths = [len(track) for track in piece.tracks]
            self.files[piece.path] = entry
        self._write_manifest()

    def _delete_unused_shards(self) -> None:
        used = {entry.shard for entry in self.files.values() if entry.shard}
        for shard in self.directory.glob("shard-*.npz"):
            if shard.name not in used:
                shard.unlink(missing_ok=True)

    # -- manifest -------------------------------------------------------------------------------------

    def _read_manifest(self) -> None:
        path = self.directory / MANIFEST
        if not path.exists():
            self.files = {}
            return
        try:
            data = json.loads(path.read_text())
            if data.get("format") != FORMAT_VERSION or data.get("extractor") != self.extractor:
                log.warning("%s was made by another version of djai_live: preparing again", path)
                self.files = {}
                return
            if bool(data.get("include_drums")) != self.include_drums:
                raise PreparedCorpusError(
                    f"{self.directory}: prepared with include_drums={bool(data.get('include_drums'))}, "
                    f"but include_drums={self.include_drums} was asked for; use another directory")
            self.files = {p: FileEntry(**entry) for p, entry in data["files"].items()}
        except PreparedCorpusError:
            raise
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
            log.warning("%s is damaged (%s): preparing again", path, error)
            self.files = {}

    def _write_manifest(self) -> None:
        data = {"format": FORMAT_VERSION, "extractor": self.extractor, "include_drums": self.include_drums,
                "files": {path: vars(entry) for path, entry in sorted(self.files.items())}}
        self.directory.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.directory / MANIFEST) as temporary:
            temporary.write_text(json.dumps(data, separators=(",", ":")))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
