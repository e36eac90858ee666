#!/usr/bin/env python3
"""Reading MIDI: djai_live's reader against the original djai's music21 path, measured in the same run.

Prints files/s and notes/s for: the original path (music21.converter.parse and a walk over its notes, as
djalgo's djai did), djai_live serial (pretty_midi, no cache), djai_live with a process pool (no cache),
and djai_live from its content-keyed cache; and each one's speed-up over the original.

    pip install music21   # only for the baseline
    python scripts/bench_read.py --corpus ../shared/corpus/bach --files 100
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def music21_notes(path: str) -> int:
    """The original's extraction: parse with music21, then collect every note's pitch/duration/offset."""
    import music21

    score = music21.converter.parse(path)
    count = 0
    for part in score.parts:
        for element in part.flatten().notes:
            _ = (element.pitches, element.duration.quarterLength, element.offset)
            count += 1
    return count


def timed(label: str, function, files: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    notes = function(files)
    seconds = time.perf_counter() - started
    print(f"{label:<34} {len(files) / seconds:9.1f} files/s {notes / seconds:11.0f} notes/s "
          f"({seconds * 1000 / len(files):6.2f} ms/file)")
    return len(files) / seconds, notes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path,
                        default=Path(__file__).resolve().parents[1] / "tests" / "data" / "corpus" / "bach")
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    from djai_live.corpus import load_corpus, scan_midi_files

    files = scan_midi_files(args.corpus, args.files)
    if not files:
        print(f"no MIDI files in {args.corpus}", file=sys.stderr)
        return 1
    print(f"{len(files)} files from {args.corpus}, {os.cpu_count()} CPUs")
    rates = {}
    try:
        import music21  # noqa: F401

        rates["music21"], _ = timed("original (music21)", lambda fs: sum(music21_notes(f) for f in fs), files)
    except ImportError:
        print("music21 is not installed: no baseline measured in this run (pip install music21)")
    rates["serial"], _ = timed("djai_live serial, no cache",
                               lambda fs: load_corpus(fs, cache_dir=None, workers=1).note_count, files)
    rates["pool"], _ = timed(f"djai_live {args.workers} processes, no cache",
                             lambda fs: load_corpus(fs, cache_dir=None, workers=args.workers).note_count, files)
    from djai_live.midi_files import reading_workers

    chosen = reading_workers(files)
    rates["auto"], _ = timed(f"djai_live as chosen ({chosen} process{'es' if chosen > 1 else ''})",
                             lambda fs: load_corpus(fs, cache_dir=None).note_count, files)
    best = max(rates["serial"], rates["pool"])
    print(f"chosen against the better of serial and pool: {rates['auto'] / best:.2f}x "
          f"(serial/pool: {rates['serial'] / rates['pool']:.2f}x)")
    with tempfile.TemporaryDirectory() as cache:
        load_corpus(files, cache_dir=cache, workers=args.workers)
        rates["cached"], _ = timed("djai_live from cache",
                                   lambda fs: load_corpus(fs, cache_dir=cache, workers=1).note_count, files)
    if "music21" in rates:
        for name in ("serial", "pool", "cached"):
            print(f"speed-up over music21, {name}: {rates[name] / rates['music21']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
