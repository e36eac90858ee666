"""``djai-live prepare``: extract the notes of a MIDI folder once, into shards to train on."""
from __future__ import annotations

import argparse
import logging
import os
import sys

from .corpus_files import midi_files
from .options import CommandError, HelpFormatter, existing_dir, output_dir, positive_int

log = logging.getLogger("djai_live")


def add_parser(commands, parents: list[argparse.ArgumentParser]) -> None:
    prepare = commands.add_parser("prepare", parents=parents, formatter_class=HelpFormatter,
                                  help="extract the notes of a MIDI folder once, into shards to train on",
                                  description="Parse every MIDI file of MIDI_DIR into compact shards with a "
                                  "manifest. Run it again after adding files: only new or changed files are "
                                  "parsed. Then `djai-live train CACHE -o MODEL.keras`.")
    prepare.add_argument("midi_dir", type=existing_dir, help="folder of .mid/.midi files (searched recursively)")
    prepare.add_argument("-o", "--output", type=output_dir, required=True, metavar="CACHE",
                         help="directory for the shards and manifest (created or updated)")
    prepare.add_argument("--workers", type=positive_int, default=None,
                         help="parsing processes (default: chosen by the work, up to the CPUs)")
    prepare.add_argument("--max-files", type=positive_int, default=None)
    prepare.add_argument("--include-drums", action="store_true")
    prepare.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..prepared import PreparedCorpus, PreparedCorpusError

    files = [os.path.abspath(path) for path in midi_files(args.midi_dir, args.max_files)]
    if not files:
        raise CommandError(f"no .mid or .midi files in {args.midi_dir}")
    try:
        store = PreparedCorpus(args.output, include_drums=args.include_drums)
        report = store.update(files, workers=args.workers, progress=sys.stderr.isatty(), prune=True)
    except PreparedCorpusError as error:
        raise CommandError(str(error)) from None
    for path, reason in report.skipped:
        log.warning("skipped %s: %s", path, reason)
    usable = len(store.usable_files)
    notes = sum(entry.note_count for entry in store.files.values())
    print(f"prepared {args.output}: {usable} files, {notes} notes ({report.parsed} parsed now, {report.reused} "
          f"unchanged, {len(report.skipped)} skipped, {report.removed} removed)")
    if not usable:
        raise CommandError(f"none of the {len(files)} files in {args.midi_dir} could be read")
    return 0
