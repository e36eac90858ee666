"""The job `/djai/adapt` runs in a process of its own: the takes cut into pieces of a few training windows,
then `djai-live train` on those pieces, from the model playing.

Why pieces: a set is often one long take (the daemon's answers keep the silence that would end a take from
coming), and training holds whole files out for validation. On one file it holds out nothing, so nothing
stops it and a minute of training learns the take by heart (on 10 minutes of Palestrina played as one take,
the held-out pitch NLL rose by 0.15 nats: scripts/bench_takes.py). Cut into pieces, a tenth of them
validates and early stopping keeps the model that generalizes.

Why by voice: a model that reads each track as a sequence of its own (the bundled default) learns from each
voice apart, so a piece is cut from one voice: WINDOWS_A_PIECE whole windows of it. Cut from the voices
together, a piece of 256 notes of a five-voice take held about 50 notes a voice, one window each, a fifth
of it padding, and no note saw more than 50 before it where the daemon plays with 64.

    python -m djai_live.adapt_takes TAKES --from MODEL -o OUT.keras --max-minutes M
"""
from __future__ import annotations

import argparse
import logging
import shutil
import sys
from pathlib import Path

import numpy as np

from .config import DjaiConfig
from .midi_files import MidiReadError, read_midi_notes, scan_midi_files
from .model_files import ModelFileError, read_config, resolve_model_path
from .midi_out import write_midi

log = logging.getLogger(__name__)

SEGMENT_NOTES = 256    # notes a piece of several voices together (a model that reads them as one sequence):
# several training windows each (pieces of 32 beats, about 40 notes, made the held-out NLL 0.88 nats worse)
WINDOWS_A_PIECE = 4    # a piece of one voice: this many whole training windows of sequence_length_i notes
ADAPTED_FOLDER = "adapted"


def is_take(path: Path, takes: Path) -> bool:
    """A file of the takes folder, not one of what adapting made there (models, pieces: under adapted/)."""
    return ADAPTED_FOLDER not in path.relative_to(takes).parts[:-1]


def cut(notes: np.ndarray, size: int = SEGMENT_NOTES) -> list[np.ndarray]:
    """Notes (in onset order) in pieces of about ``size``, each cut where an onset begins (a chord stays
    whole); a last piece shorter than half of that joins the one before."""
    new_onset = np.r_[True, np.diff(notes["onset"]) > 0]
    cuts, since = [0], 0
    for i in range(1, len(notes)):
        since += 1
        if since >= size and new_onset[i]:
            cuts.append(i)
            since = 0
    if len(cuts) > 1 and len(notes) - cuts[-1] < size // 2:
        cuts.pop()
    return [notes[a:b] for a, b in zip(cuts, cuts[1:] + [len(notes)])]


def segment_takes(takes: Path, into: Path, voice_notes: int | None = None) -> tuple[int, int]:
    """Each take's performer part cut into pieces, as MIDI files in ``into``; returns (takes read, pieces
    written). With ``voice_notes`` (a model that reads each track apart), each voice is cut on its own into
    pieces of about that many notes, one track a piece; else the voices are cut together into pieces of about
    SEGMENT_NOTES, a track a voice as they were. Takes that cannot be read are skipped, and said."""
    into.mkdir(parents=True, exist_ok=True)
    read = written = 0
    for path in scan_midi_files(takes):
        if not is_take(Path(path), takes):
            continue
        try:
            piece = read_midi_notes(path)
        except MidiReadError as error:
            log.warning("skipped %s", error)
            continue
        read += 1
        notes = piece.merged_notes(len(piece.tracks))   # instrument: the track (a channel of the performer's)
        if not len(notes):
            continue
        if voice_notes is not None:
            parts = [part for track in np.unique(notes["instrument"])
                     for part in cut(notes[notes["instrument"] == track], voice_notes)]
        else:
            parts = cut(notes)
        for number, part in enumerate(parts):
            start = float(part["onset"][0])
            tracks = []
            for track in np.unique(part["instrument"]):
                voice = part[part["instrument"] == track].copy()
                voice["onset"] -= start
                voice["instrument"] = 0
                tracks.append((f"performer {track}", voice))
            write_midi(tracks, into / f"{Path(path).stem}-{number:04d}.mid")   # one track each, as they were
            written += 1
    return read, written


def voice_piece_notes(config: DjaiConfig) -> int | None:
    """Notes a piece of one voice, for a model that reads each track apart (None: it reads them together)."""
    if config.num_instruments > 1:
        return None
    return WINDOWS_A_PIECE * config.sequence_length_i + 1   # (a window's inputs, and the last one's target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m djai_live.adapt_takes", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("takes", type=Path)
    parser.add_argument("--from", dest="base", required=True)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--max-minutes", type=float, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    pieces = args.output.with_name(args.output.stem + ".pieces")
    try:
        try:
            voice_notes = voice_piece_notes(read_config(resolve_model_path(args.base)))
        except ModelFileError as error:
            print(f"--from {args.base}: {error}", file=sys.stderr)
            return 1
        read, written = segment_takes(args.takes, pieces, voice_notes)
        if not written:
            print(f"no notes of the performer in the {read} take(s) of {args.takes}", file=sys.stderr)
            return 1
        log.info("%d take(s) cut into %d pieces of about %d notes%s", read, written, voice_notes or SEGMENT_NOTES,
                 " of one voice" if voice_notes else "")
        from .cli import main as djai_live

        return djai_live(["train", str(pieces), "--from", args.base, "-o", str(args.output),
                          "--max-minutes", f"{args.max_minutes:.4f}", "--no-cache"])
    finally:
        shutil.rmtree(pieces, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
