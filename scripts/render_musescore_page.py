#!/usr/bin/env python3
"""The picture of docs/musescore.md, rendered by MuseScore itself: bwv133.6's soprano (16 bars, D major) over
three empty staves, harmonized by the plugin in headless MuseScore 3 with the real ``djai-live`` (seed 0), the
saved score rendered with ``mscore3 -o page.png`` (which names the first page page-1.png) on a white page.

    python scripts/render_musescore_page.py                 # writes docs/musescore.png
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench_musescore import MELODY  # noqa: E402
from tests.support.musescore import melody_events, run_plugin, write_score  # noqa: E402

PICTURE = ROOT / "docs" / "musescore.png"
D_MAJOR = 2      # sharps
OPAQUE_PNG = "[export]\npng\\useTransparency=false\n"   # MuseScore 3's preference, as its settings file says it


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="render_musescore_") as name:
        folder = Path(name)
        score = write_score(folder / "chorale.mscx", [melody_events(MELODY), [], [], []], sharps=D_MAJOR,
                            clefs=["G", "G", "G8vb", "F"])
        saved = folder / "harmonized.mscx"
        done = run_plugin("djai_live.qml", score, {"DJAI_LIVE_ACTION": "harmonize", "DJAI_LIVE_SAVE": str(saved),
                                                   "DJAI_LIVE_COMMAND": f"{sys.executable} -m djai_live"}, folder)
        report = [line for line in done.output.splitlines() if "djai_live:" in line]
        if done.returncode != 0 or not saved.exists():
            sys.exit(f"render_musescore_page: the plugin did not save a score:\n{done.output}")
        environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(folder),
                       "XDG_RUNTIME_DIR": str(folder)}
        # MuseScore's PNGs are transparent by default: black notation on a dark page (GitHub's dark theme, a
        # viewer's dark background) would not read, so the picture is rendered on white (MuseScore's own setting)
        preferences = folder / ".config" / "MuseScore" / "MuseScore3.ini"
        preferences.parent.mkdir(parents=True)
        preferences.write_text(OPAQUE_PNG)
        subprocess.run(["mscore3", "-r", "80", "-o", str(folder / "page.png"), str(saved)], check=True,
                       capture_output=True, env=environment, timeout=120)
        shutil.copyfile(folder / "page-1.png", PICTURE)   # mscore3 numbers the pages it renders
    print("\n".join(report))
    print(f"wrote {PICTURE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
