"""``python -m tests.support.record_djai_live FOLDER COMMAND ARGS...``: run the real djai-live command line with
ARGS and keep copies of its IN and of its --json answer in FOLDER (the plugin deletes its own temporary files), so
a test can compare the score the plugin wrote with what the command said."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from djai_live.cli import main


def record(folder: Path, args: list[str]) -> int:
    code = main(args)
    if args[0] not in ("harmonize", "continue"):
        return code   # add-staves: its score is read back from the saved copy
    folder.mkdir(parents=True, exist_ok=True)
    count = len(list(folder.glob("*_answer.json")))
    shutil.copyfile(args[1], folder / f"{count}_{args[0]}_request.json")
    if code == 0 and "--json" in args:
        shutil.copyfile(args[args.index("--json") + 1], folder / f"{count}_{args[0]}_answer.json")
    return code


if __name__ == "__main__":
    sys.exit(record(Path(sys.argv[1]), sys.argv[2:]))
