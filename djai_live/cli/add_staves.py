"""``djai-live add-staves``: empty staves added at the bottom of a MuseScore score (.mscx), each with the bars of
a given staff; what the MuseScore plugin runs when a harmonization has more voices than the score has staves
(live path: no TensorFlow)."""
from __future__ import annotations

import argparse

from .options import HelpFormatter, existing_file, output_file, positive_int


def add_parser(commands, parents: list[argparse.ArgumentParser]) -> None:
    adding = commands.add_parser("add-staves", parents=parents, formatter_class=HelpFormatter,
                                 help="add empty staves below a MuseScore score's last staff (.mscx)",
                                 description="Write SCORE with new staves below its last one, each with the bars "
                                 "of staff --like (their lengths, key and time signatures, repeats) and a full-bar "
                                 "rest in each bar; nothing else in the score changes. The MuseScore plugin runs "
                                 "it when a harmonization has more voices than the score has staves.")
    adding.add_argument("score", type=existing_file, metavar="SCORE", help="a MuseScore 3 score, uncompressed (.mscx)")
    adding.add_argument("-o", "--out", type=output_file, required=True, help=".mscx to write (atomically)")
    adding.add_argument("--like", type=positive_int, default=1,
                        help="the staff (1-based) whose bars, key and meter the new staves take (default 1)")
    adding.add_argument("--staff", type=_staff, action="append", required=True, metavar="NAME[:CLEF]",
                        help="a staff to add, in order: its name and clef (G, G8vb, F, C3, C4; default G); "
                        "repeat for several")
    adding.set_defaults(run=run)


def _staff(text: str):
    from ..musescore_staves import NewStaff

    try:
        return NewStaff.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    from ..musescore_staves import add_staves

    count = add_staves(args.score, args.out, args.staff, args.like)
    print(f"wrote {args.out}: {len(args.staff)} staves added below staff {count - len(args.staff)} "
          f"({', '.join(staff.name for staff in args.staff)}), each with the bars of staff {args.like}")
    return 0
