#!/usr/bin/env python3
"""From the menu to the notes in the score: the MuseScore plugin harmonizing and continuing a 16-bar selection
(bwv133.6's soprano, 60 notes, 4/4 at 100 BPM; one of the chorale model's held-out chorales) in the real
MuseScore 3, headless (``QT_QPA_PLATFORM=offscreen mscore3 -p``), with the real ``djai-live`` command.

The figure is the plugin's own: from its onRun (where a click on its menu item lands) to the notes written into
the score and laid out (``curScore.endCmd()`` returned): the melody read, the JSON written, the command run
(Python's start, the model's load, the harmony), its answer read and the notes written. MuseScore's own start
and the score's load, which come before the menu in a user's session, are not in it; the whole ``mscore3``
process's wall time is shown beside it.

    python scripts/bench_musescore.py                  # 3 runs each: harmonize, continue 4 bars, continue 16 bars
    python scripts/bench_musescore.py --runs 5
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.musescore import melody_events, read_score, run_plugin, write_score  # noqa: E402


MELODY = ROOT / "tests" / "data" / "corpus" / "bach" / "bwv133.6.mid"
GOAL_S = 5.0
REPORT = re.compile(r"djai_live: (\w+): (\d+) notes written .*\((\d+) ms from the menu to the notes, (\d+) ms of it")


def measure(folder: Path, action: str, staves: int, bars: int, runs: int) -> None:
    melody = melody_events(MELODY)
    score = write_score(folder / f"{action}.mscx", [melody] + [[] for _ in range(staves - 1)])
    (folder / ".djai_live_musescore.json").write_text(json.dumps({"bars": bars}))
    menu, command, whole, notes = [], [], [], 0
    for run in range(runs):
        saved = folder / f"{action}_{bars}_{run}_saved.mscx"
        started = time.perf_counter()
        done = run_plugin("djai_live.qml", score, {"DJAI_LIVE_ACTION": action, "DJAI_LIVE_SAVE": str(saved),
                                                   "DJAI_LIVE_COMMAND": f"{sys.executable} -m djai_live"}, folder)
        whole.append(time.perf_counter() - started)
        found = REPORT.search(done.output)
        if done.returncode != 0 or not found:
            sys.exit(f"bench_musescore: the plugin did not report writing notes:\n{done.output}")
        notes = int(found.group(2))
        menu.append(int(found.group(3)) / 1000.0)
        command.append(int(found.group(4)) / 1000.0)
        written = sum(len(staff) for staff in read_score(saved).staves)
        assert written > len([e for e in melody if e[0] is not None]), "the saved score holds no new notes"
    what = f"{action} 16 bars" if action == "harmonize" else f"continue 16 bars by {bars}"
    print(f"{what:<28} {notes:>5} notes  menu to notes median {statistics.median(menu):.2f} s, "
          f"max {max(menu):.2f} s (command {statistics.median(command):.2f} s; whole mscore3 run "
          f"{statistics.median(whole):.2f} s)  goal <= {GOAL_S:g} s: {'met' if max(menu) <= GOAL_S else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_musescore_") as name:
        folder = Path(name)
        measure(folder, "harmonize", 4, 4, args.runs)
        measure(folder, "continue", 1, 4, args.runs)
        measure(folder, "continue", 1, 16, args.runs)


if __name__ == "__main__":
    main()
