"""The Pure Data abstractions in max_patches/pd/: what the build script makes, and only addresses and settings
the daemon knows. (tests/peers/test_pure_data.py runs them in a real Pd.)"""
import re
import subprocess
import sys
from pathlib import Path

from djai_live.live.protocol import INBOUND, OUTBOUND
from djai_live.live.settings import MODES, LiveSettings

ROOT = Path(__file__).resolve().parents[2]
PD_DIR = ROOT / "max_patches" / "pd"
PATCHES = sorted(PD_DIR.glob("*.pd"))


def boxes(path: Path) -> list[str]:
    """The text of every object and message box (Pd escapes $ , ; with a backslash in the file)."""
    found = []
    for line in path.read_text().split(";\n"):
        match = re.match(r"#X (obj|msg) \d+ \d+ ?(.*)", line)
        if match:
            found.append(match.group(2).replace("\\", ""))
    return found


def test_committed_patches_are_what_the_build_script_makes(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_pd_patches.py"), "--out-dir", str(tmp_path)],
                   check=True, capture_output=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [p.name for p in PATCHES]
    for path in PATCHES:
        assert (tmp_path / path.name).read_text() == path.read_text(), \
            f"{path.name} differs from scripts/build_pd_patches.py's output: rebuild it"


def test_the_abstraction_sends_and_routes_only_addresses_the_daemon_knows():
    texts = boxes(PD_DIR / "djai_live.pd")
    sent = {"/djai/" + m.group(1) for text in texts if (m := re.fullmatch(r"oscformat djai (\w+)", text))}
    assert {"/djai/note", "/djai/set", "/djai/load", "/djai/panic", "/djai/reset", "/djai/generate"} <= sent
    assert sent <= set(INBOUND)
    assert "route note note_off all_notes_off" in texts
    routed = {"/djai/" + word for text in texts if text.startswith("route note") for word in text.split()[1:]}
    assert routed <= set(OUTBOUND)


def test_help_patches_set_only_real_settings_and_show_only_real_answers():
    for path in PD_DIR.glob("*-help.pd"):
        for text in boxes(path):
            words = text.split()
            if words[:1] == ["set"] and len(words) > 2:
                assert words[1] in LiveSettings.RANGES, text
                if words[1] == "mode":
                    assert words[2] in MODES, text
            if words[:2] == ["route", "loaded"]:
                assert {"/djai/" + word for word in words[1:]} <= set(OUTBOUND), text
