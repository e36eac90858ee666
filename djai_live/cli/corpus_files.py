"""The MIDI files a command works on: a folder searched recursively, or a list of files relative to it."""
from __future__ import annotations

from pathlib import Path

from .options import CommandError


def midi_files(midi_dir: Path, max_files: int | None, files_from: Path | None = None) -> list[str]:
    from ..corpus import scan_midi_files

    try:
        if files_from is not None:
            names = [line.strip() for line in files_from.read_text().splitlines() if line.strip()]
            return [str(midi_dir / name) for name in names][:max_files]
        return scan_midi_files(midi_dir, max_files)
    except (FileNotFoundError, NotADirectoryError, OSError) as error:
        raise CommandError(str(error)) from None
