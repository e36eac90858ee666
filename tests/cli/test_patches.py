"""`djai-live patches`: the Max package, the Pd abstractions and the MuseScore plugin travel with the install and
copy out whole."""
import fnmatch
import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_patches_are_found_and_copied_where_max_and_pd_look(tmp_path):
    shown = subprocess.run([sys.executable, "-m", "djai_live", "patches"], capture_output=True, text=True,
                           timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "Max package:" in shown.stdout and "Pd abstractions:" in shown.stdout and "MuseScore plugin:" in shown.stdout
    max_packages, pd_externals = tmp_path / "Max 9" / "Packages", tmp_path / "Pd" / "externals"
    musescore_plugins = tmp_path / "MuseScore3" / "Plugins"
    copied = subprocess.run([sys.executable, "-m", "djai_live", "patches", "--copy-to", str(max_packages),
                             "--pd-to", str(pd_externals), "--musescore-to", str(musescore_plugins)],
                            capture_output=True, text=True, timeout=60)
    assert copied.returncode == 0, copied.stderr
    assert f"made {max_packages}" in copied.stdout          # folders that were not there yet are made
    info = json.loads((max_packages / "djai_live" / "package-info.json").read_text())
    assert info["name"] == "djai_live"
    for path in ("djai_live/patchers/djai.live.maxpat", "djai_live/help/djai.live.maxhelp",
                 "djai_live/extras/djai_live.maxpat"):
        assert (max_packages / path).stat().st_size > 100, path
    for path in ("djai_live_pd/djai_live.pd", "djai_live_pd/djai_live-help.pd"):
        assert (pd_externals / path).stat().st_size > 100, path
    assert sorted(p.name for p in max_packages.iterdir()) == ["djai_live"]      # each host gets its own only
    assert sorted(p.name for p in pd_externals.iterdir()) == ["djai_live_pd"]
    assert sorted(p.name for p in (musescore_plugins / "djai_live_musescore").iterdir()) == [
        "djai_live.js", "djai_live.qml", "djai_live_continue.qml", "djai_live_harmonize.qml"]
    assert sorted(p.name for p in musescore_plugins.iterdir()) == ["djai_live_musescore"]


def test_the_install_ships_every_file_of_the_musescore_plugin():
    """pyproject's package data names every file of max_patches/musescore (the light install has no other copy)."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "djai_live.patches"]
    files = [p.relative_to(ROOT / "max_patches").as_posix() for p in (ROOT / "max_patches" / "musescore").iterdir()]
    assert files and all(any(fnmatch.fnmatch(name, pattern) for pattern in patterns) for name in files), files


def test_a_folder_that_cannot_be_made_is_one_line(tmp_path):
    (tmp_path / "a_file").write_text("")
    result = subprocess.run([sys.executable, "-m", "djai_live", "patches", "--copy-to", str(tmp_path / "a_file" / "x")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "cannot copy" in result.stderr and "Traceback" not in result.stderr
