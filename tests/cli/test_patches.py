"""`djai-live patches`: the Max package and the Pd abstractions travel with the install and copy out whole."""
import json
import subprocess
import sys


def test_patches_are_found_and_copied_where_max_and_pd_look(tmp_path):
    shown = subprocess.run([sys.executable, "-m", "djai_live", "patches"], capture_output=True, text=True,
                           timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "Max package:" in shown.stdout and "Pd abstractions:" in shown.stdout
    copied = subprocess.run([sys.executable, "-m", "djai_live", "patches", "--copy-to", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert copied.returncode == 0, copied.stderr
    info = json.loads((tmp_path / "djai_live" / "package-info.json").read_text())
    assert info["name"] == "djai_live"
    for path in ("djai_live/patchers/djai.live.maxpat", "djai_live/help/djai.live.maxhelp",
                 "djai_live/extras/djai_live.maxpat", "djai_live_pd/djai_live.pd", "djai_live_pd/djai_live-help.pd"):
        assert (tmp_path / path).stat().st_size > 100, path


def test_copying_into_a_missing_folder_is_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "djai_live", "patches", "--copy-to", str(tmp_path / "nope")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "no such folder" in result.stderr and "Traceback" not in result.stderr
