"""The Max package max_patches/djai_live/: laid out as Max packages are, every box with the inlets and outlets
Max 8/9 gives it, lint-clean, what the build script makes, and only addresses and settings the daemon knows."""
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from djai_live import __version__
from djai_live.live.protocol import INBOUND, OUTBOUND
from djai_live.live.settings import MODES, LiveSettings
from tests.peer import need_module

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "max_patches" / "djai_live"
ABSTRACTIONS = sorted((PACKAGE / "patchers").glob("*.maxpat"))
EVERY_PATCH = sorted([*PACKAGE.glob("*/*.maxpat"), *PACKAGE.glob("*/*.maxhelp")])


def args_count(text: str) -> int:
    return len([word for word in text.split()[1:] if not word.startswith("@")])


# (inlets, outlets) of each Max object the patches use, as Max 8/9 saves them. Read from .maxpat/.maxhelp
# files saved by Max (Cycling74/n4m-examples, Cycling74/ease, Cycling74/percolate and others found by content
# search), e.g. "route kick snare hat" 4/4 and "route start complete" 3/3 (n4m-examples express.maxpat and
# freesound-sequencer.maxpat: Max 8 gives [route] one inlet per argument plus one, not two), "makenote 100 50 1"
# 4/3 (a channel argument adds an inlet and an outlet), "uzi 100" 2/3 (ease.maxhelp), "transport" 2/9.
MAX_OBJECTS = {
    "notein": lambda text: (1, 3),
    "noteout": lambda text: (3, 0),
    "ctlout": lambda text: (3, 0),
    "makenote": lambda text: (4, 3) if args_count(text) >= 3 else (3, 2),
    "pack": lambda text: (max(2, args_count(text)), 1),
    "pak": lambda text: (max(2, args_count(text)), 1),
    "unpack": lambda text: (1, max(2, args_count(text))),
    "prepend": lambda text: (1, 1),
    "route": lambda text: (args_count(text) + 1, args_count(text) + 1),
    "t": lambda text: (1, max(1, args_count(text))),
    "uzi": lambda text: (2, 3),
    "udpsend": lambda text: (1, 0),
    "udpreceive": lambda text: (1, 1),
    "patcherargs": lambda text: (1, 2),
    "print": lambda text: (1, 0),
    "metro": lambda text: (2, 1),
    "transport": lambda text: (2, 9),   # bars beats units resolution tempo timesig-num timesig-denom ticks state
    # the Max for Live device's: from devices Max saved (Ableton/maxdevtools maxdiff/tests/test_files/Test.amxd
    # and cpu-reporter/CPU Reporter.amxd), midiparse and midiformat from Max 8 patches found by content search
    "midiin": lambda text: (1, 1),
    "midiout": lambda text: (1, 0),
    "midiparse": lambda text: (1, 8),
    "midiformat": lambda text: (7, 2),
    "live.thisdevice": lambda text: (1, 3),
    "live.path": lambda text: (1, 3),
    "live.observer": lambda text: (2, 2),
    "change": lambda text: (1, 3),
    "sel": lambda text: (args_count(text) + 1, args_count(text) + 1),   # "sel 0 1" 3/3 (CPU Reporter.amxd)
}
UI_OBJECTS = {"message": (2, 1), "comment": (1, 0), "flonum": (1, 2), "number": (1, 2), "umenu": (1, 3),
              "kslider": (2, 2), "button": (1, 1), "toggle": (1, 1), "inlet": (0, 1), "outlet": (1, 0),
              "live.dial": (1, 2), "live.numbox": (1, 2), "live.menu": (1, 3), "live.text": (1, 2),
              "live.comment": (1, 0)}


def walk(patcher: dict):
    """Every box of a patcher and of its subpatchers (help files keep their tabs in [p NAME] boxes)."""
    for entry in patcher["boxes"]:
        box = entry["box"]
        yield box
        if "patcher" in box:
            yield from walk(box["patcher"])


def ports_of(patcher: dict) -> tuple[int, int]:
    classes = [entry["box"]["maxclass"] for entry in patcher["boxes"]]
    return classes.count("inlet"), classes.count("outlet")


ABSTRACTION_PORTS = {path.stem: ports_of(json.loads(path.read_text())["patcher"]) for path in ABSTRACTIONS}


def expected_ports(box: dict) -> tuple[int, int]:
    if box["maxclass"] != "newobj":
        assert box["maxclass"] in UI_OBJECTS, f"{box['maxclass']} is not in the test's table: add it from a Max file"
        return UI_OBJECTS[box["maxclass"]]
    name = box["text"].split()[0]
    if name == "p":
        return ports_of(box["patcher"])
    if name in ABSTRACTION_PORTS:
        return ABSTRACTION_PORTS[name]
    assert name in MAX_OBJECTS, f"{name} is not in the test's table: add it from a file Max saved"
    return MAX_OBJECTS[name](box["text"])


def test_the_package_is_laid_out_as_max_packages_are():
    assert (PACKAGE / "package-info.json").is_file()
    assert {path.stem for path in ABSTRACTIONS} == {"djai.live", "djai.live.midiout"}
    for abstraction in ABSTRACTIONS:
        assert (PACKAGE / "help" / f"{abstraction.stem}.maxhelp").is_file(), f"no help patch for {abstraction.stem}"
    assert list((PACKAGE / "extras").glob("*.maxpat")), "no launch patch in extras/"
    # the old top-level copies are gone: one place to edit, one place to install from
    assert not list((ROOT / "max_patches").glob("*.maxpat"))


def test_each_abstraction_has_a_reference_page_naming_every_message_it_takes():
    for abstraction in ABSTRACTIONS:
        page = ElementTree.parse(PACKAGE / "docs" / f"{abstraction.stem}.maxref.xml").getroot()
        assert page.tag == "c74object" and page.get("name") == abstraction.stem
        assert page.findtext("digest")
    methods = {m.get("name") for m in ElementTree.parse(PACKAGE / "docs" / "djai.live.maxref.xml").iter("method")}
    control = next(text for text in texts(PACKAGE / "patchers" / "djai.live.maxpat") if text.startswith("route set"))
    assert set(control.split()[1:]) <= methods


def test_package_info_names_the_package_and_its_launch_patch():
    info = json.loads((PACKAGE / "package-info.json").read_text())
    assert info["name"] == PACKAGE.name
    assert info["version"] == __version__
    assert (PACKAGE / "extras" / info["homepatcher"]).is_file()
    assert re.fullmatch(r"\d+(\.\d+)*", info["max_version_min"])
    assert set(info["os"]) == {"macintosh", "windows"}
    assert info["description"] and info["author"]


def port_mistakes(patcher: dict) -> list[str]:
    """Boxes saved with other inlet or outlet counts than Max gives them, and lines to ports that do not exist."""
    mistakes, by_id = [], {}
    for entry in patcher["boxes"]:
        box = entry["box"]
        by_id[box["id"]] = box
        label = box.get("text", box["maxclass"])
        saved, expected = (box["numinlets"], box["numoutlets"]), expected_ports(box)
        if saved != expected:
            mistakes.append(f"{label}: saved with {saved} inlets/outlets, Max gives it {expected}")
        if len(box.get("outlettype", [])) != box["numoutlets"]:
            mistakes.append(f"{label}: {len(box.get('outlettype', []))} outlet types for {box['numoutlets']} outlets")
        if "patcher" in box:
            mistakes += port_mistakes(box["patcher"])
    for entry in patcher["lines"]:
        (source, outlet), (destination, inlet) = entry["patchline"]["source"], entry["patchline"]["destination"]
        if outlet >= by_id[source]["numoutlets"]:
            mistakes.append(f"{by_id[source].get('text')} has no outlet {outlet}")
        if inlet >= by_id[destination]["numinlets"]:
            mistakes.append(f"{by_id[destination].get('text')} has no inlet {inlet}")
    return mistakes


@pytest.mark.parametrize("path", EVERY_PATCH, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_box_has_the_ports_max_gives_it_and_every_line_fits(path):
    patch = json.loads(path.read_text())
    assert patch["patcher"]["appversion"]["major"] >= 8
    assert not port_mistakes(patch["patcher"])
    for patcher in [patch["patcher"], *(box["patcher"] for box in walk(patch["patcher"]) if "patcher" in box)]:
        own = [entry["box"]["id"] for entry in patcher["boxes"]]
        assert len(own) == len(set(own)), f"duplicate ids in {path.name}"


def test_the_check_catches_a_route_saved_with_two_inlets():
    # the bug the table exists for: [route a b c] saved with 2 inlets, where Max 8/9 gives it 4 (and 4 outlets)
    route = {"id": "obj-1", "maxclass": "newobj", "text": "route a b c", "numinlets": 2, "numoutlets": 4,
             "outlettype": ["", "", "", ""]}
    assert port_mistakes({"boxes": [{"box": route}], "lines": []}) == \
        ["route a b c: saved with (2, 4) inlets/outlets, Max gives it (4, 4)"]
    makenote = {"id": "obj-2", "maxclass": "newobj", "text": "makenote 100 500 1", "numinlets": 3, "numoutlets": 2,
                "outlettype": ["", ""]}
    assert port_mistakes({"boxes": [{"box": makenote}], "lines": []})


@pytest.mark.parametrize("path", EVERY_PATCH, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_py2max_lint_finds_no_errors(path):
    py2max = need_module("py2max", install="pip install py2max")
    from py2max.lint import ERROR, lint

    findings = lint(py2max.Patcher.from_file(path))
    assert not [str(f) for f in findings if f.severity == ERROR]


def texts(path: Path) -> list[str]:
    patcher = json.loads(path.read_text())["patcher"]
    return [box.get("text", "") for box in walk(patcher) if box["maxclass"] != "comment"]


def test_the_abstraction_sends_and_routes_only_addresses_the_daemon_knows():
    bridge = texts(PACKAGE / "patchers" / "djai.live.maxpat")
    for text in bridge:
        addresses = re.findall(r"/djai/\w+", text)
        assert set(addresses) <= set(OUTBOUND if text.startswith("route") else INBOUND), text
    sent = {a for text in bridge if not text.startswith("route") for a in re.findall(r"/djai/\w+", text)}
    # every control the open issues add is there: a model swap, and notes, note-offs and all-notes-off routed
    assert {"/djai/note", "/djai/set", "/djai/load", "/djai/panic", "/djai/reset", "/djai/generate"} <= sent
    assert "route /djai/note /djai/note_off /djai/all_notes_off" in bridge


@pytest.mark.parametrize("path", [p for p in EVERY_PATCH if "patchers" not in p.parts], ids=lambda p: p.name)
def test_patches_set_only_real_settings_and_modes(path):
    for text in texts(path):
        words = text.split()
        if words[:2] == ["prepend", "set"] and len(words) > 2:     # [prepend set NAME] before a control
            assert words[2] in LiveSettings.RANGES, text
        elif words[:1] == ["set"]:                                  # [set NAME VALUE( message boxes
            assert words[1] in LiveSettings.RANGES, text
            if words[1] == "mode":
                assert words[2] in MODES, text
        if words[:1] == ["route"]:
            assert set(w for w in words[1:] if w.startswith("/djai/")) <= set(OUTBOUND), text
    menus = [box for box in walk(json.loads(path.read_text())["patcher"]) if box["maxclass"] == "umenu"]
    for menu in menus:
        items = [item for item in menu.get("items", []) if item != ","]
        if "phrase" in items:
            assert set(items) == set(MODES), items   # the mode menu offers every mode, accompany included


def test_the_player_sends_each_note_on_its_own_channel_and_silences_all_channels():
    patch = json.loads((PACKAGE / "patchers" / "djai.live.midiout.maxpat").read_text())["patcher"]
    boxes = {box["id"]: box for box in walk(patch)}
    lines = [(e["patchline"]["source"], e["patchline"]["destination"]) for e in patch["lines"]]

    def wired(source_text: str, outlet: int, destination_text: str, inlet: int) -> bool:
        return any(boxes[s].get("text", boxes[s]["maxclass"]) == source_text and o == outlet
                   and boxes[d].get("text", boxes[d]["maxclass"]) == destination_text and i == inlet
                   for (s, o), (d, i) in lines)

    # the channel rides through makenote, so its own note-off goes where the note went
    assert wired("unpack 0 0 0 0", 3, "makenote 100 500 1", 3)
    assert wired("makenote 100 500 1", 2, "noteout", 2)
    assert wired("unpack 0 0", 1, "noteout", 2)
    # all notes off: makenote's held notes end (stop), and CC 123 / CC 120 go to channels 1-16
    assert wired("t b b", 1, "stop", 0) and wired("stop", 0, "makenote 100 500 1", 0)
    assert wired("t b b", 0, "uzi 16", 0) and wired("uzi 16", 2, "t i i", 0)
    for controller in ("t 0 120 i", "t 0 123 i"):
        assert all(wired(controller, k, "ctlout", k) for k in range(3))


def test_committed_package_is_what_the_build_script_makes(tmp_path):
    need_module("py2max", install="pip install py2max")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_max_patches.py"), "--out-dir", str(tmp_path)],
                   check=True, capture_output=True)
    built = sorted(p.relative_to(tmp_path / PACKAGE.name) for p in (tmp_path / PACKAGE.name).rglob("*") if p.is_file())
    # (the .amxd is binary: compared byte for byte below)
    committed = sorted(p.relative_to(PACKAGE) for p in PACKAGE.rglob("*") if p.is_file())
    assert built == committed
    for relative in committed:
        built_file, committed_file = tmp_path / PACKAGE.name / relative, PACKAGE / relative
        if relative.suffix == ".xml":
            same = built_file.read_text() == committed_file.read_text()
        elif relative.suffix == ".amxd":
            same = built_file.read_bytes() == committed_file.read_bytes()
        else:
            same = json.loads(built_file.read_text()) == json.loads(committed_file.read_text())
        assert same, f"{relative} differs from scripts/build_max_patches.py's output: rebuild it"
