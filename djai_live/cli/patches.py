"""``djai-live patches``: where the Max package, the Pd abstractions and the MuseScore plugin are installed, and
copies of them where Max, Pd or MuseScore will find them."""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from .options import CommandError, HelpFormatter

MAX_PACKAGE = "djai_live"
PD_FOLDER = "pd"
MUSESCORE_FOLDER = "musescore"
MUSESCORE_COPY = "djai_live_musescore"   # MuseScore finds plugins in the subfolders of its Plugins folder


def patches_root() -> Path:
    """The installed patches (``djai_live.patches``), or ``max_patches/`` of a source checkout.

    Raises:
        CommandError: neither is there (a broken install).
    """
    import importlib.util

    spec = importlib.util.find_spec("djai_live.patches")
    candidates = [Path(location) for location in (spec.submodule_search_locations or [])] if spec else []
    candidates.append(Path(__file__).resolve().parents[2] / "max_patches")
    for root in candidates:
        if (root / MAX_PACKAGE / "package-info.json").is_file() and (root / PD_FOLDER).is_dir() \
                and (root / MUSESCORE_FOLDER / "djai_live.qml").is_file():
            return root
    raise CommandError("the patches are missing from this install; reinstall djai-live")


def add_parser(commands, parents: list[argparse.ArgumentParser]) -> None:
    patches = commands.add_parser("patches", parents=parents, formatter_class=HelpFormatter,
                                  help="show where the Max package, Pd abstractions and MuseScore plugin are, or "
                                  "copy them",
                                  description="Without options, print where the Max package, the Pd abstractions "
                                  "and the MuseScore plugin are installed. --copy-to puts a copy of the Max package in "
                                  "Max's Packages folder (e.g. ~/Documents/Max\\ 9/Packages); --pd-to puts a copy of "
                                  "the Pd abstractions in a folder of Pd's (e.g. ~/Documents/Pd/externals); "
                                  "--musescore-to puts a copy of the MuseScore plugin in MuseScore's Plugins folder "
                                  "(e.g. ~/Documents/MuseScore3/Plugins). A folder that does not exist yet is made.")
    patches.add_argument("--copy-to", type=Path, default=None, metavar="FOLDER",
                         help="copy the Max package into FOLDER (as djai_live/), replacing an earlier copy")
    patches.add_argument("--pd-to", type=Path, default=None, metavar="FOLDER",
                         help="copy the Pd abstractions into FOLDER (as djai_live_pd/), replacing an earlier copy")
    patches.add_argument("--musescore-to", type=Path, default=None, metavar="FOLDER",
                         help=f"copy the MuseScore plugin into FOLDER (as {MUSESCORE_COPY}/), replacing an earlier "
                         "copy")
    patches.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root = patches_root()
    max_package, pd_folder, musescore = root / MAX_PACKAGE, root / PD_FOLDER, root / MUSESCORE_FOLDER
    if args.copy_to is None and args.pd_to is None and args.musescore_to is None:
        print(f"Max package:      {max_package}\n    copy it into Max's Packages folder (Documents/Max 9/Packages), "
              f"restart Max, then Extras > djai_live\n    (djai-live patches --copy-to ~/Documents/Max\\ 9/Packages)\n"
              f"Pd abstractions:  {pd_folder}\n    add it to Pd's path (File > Preferences > Path), then "
              f"[djai_live 9000 9001]\n    (or copy it: djai-live patches --pd-to ~/Documents/Pd/externals)\n"
              f"MuseScore plugin: {musescore}\n    copy it into MuseScore's Plugins folder, enable it in Plugins > "
              f"Plugin Manager, then Plugins > djai_live\n    (djai-live patches --musescore-to "
              f"~/Documents/MuseScore3/Plugins)")
        return 0
    for target, source, name in ((args.copy_to, max_package, MAX_PACKAGE), (args.pd_to, pd_folder, "djai_live_pd"),
                                 (args.musescore_to, musescore, MUSESCORE_COPY)):
        if target is not None:
            _copy(source, target.expanduser(), name)
    return 0


def _copy(source: Path, target: Path, name: str) -> None:
    destination = target / name
    try:
        if not target.is_dir():
            target.mkdir(parents=True)
            print(f"made {target}")
        if destination.exists():
            shutil.rmtree(destination)
        shutil.copytree(source, destination)
    except OSError as error:
        raise CommandError(f"cannot copy {source} to {destination}: {error.strerror or error}") from None
    print(f"copied {destination}")
