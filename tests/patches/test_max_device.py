"""The Max for Live MIDI effect max_patches/djai_live/devices/djai_live.amxd: parsed back as Live reads a
device (chunks of a 4-letter tag and a little-endian size: ampf with the device type, meta, ptch with the
patcher JSON; the layout of the MIDI effect in Ableton/maxdevtools' test files), and its patcher passing
the same box checks as the Max package's patches."""
import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from djai_live.live.protocol import INBOUND, OUTBOUND
from djai_live.live.settings import LiveSettings
from tests.patches.test_max_patches import PACKAGE, ROOT, port_mistakes, walk
from tests.peer import need_module

DEVICE = PACKAGE / "devices" / "djai_live.amxd"
DEVICE_TYPES = {b"aaaa": "audio effect", b"mmmm": "MIDI effect", b"iiii": "instrument"}


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The file's chunks, read as Ableton's maxdiff reads a device: tag, little-endian size, data."""
    found, offset = [], 0
    while offset < len(data):
        assert offset + 8 <= len(data), f"a chunk header cut short at byte {offset}"
        tag, size = data[offset:offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        assert offset + 8 + size <= len(data), f"chunk {tag!r} runs past the end of the file"
        found.append((tag, data[offset + 8:offset + 8 + size]))
        offset += 8 + size
    return found


def patcher_of(data: bytes) -> dict:
    parts = dict(chunks(data))
    return json.loads(parts[b"ptch"].rstrip(b"\0"))["patcher"]


def test_the_device_is_a_midi_effect_in_the_layout_max_saves():
    parts = chunks(DEVICE.read_bytes())
    assert [tag for tag, _ in parts] == [b"ampf", b"meta", b"ptch"]
    (_, device_type), (_, meta), (_, payload) = parts
    assert DEVICE_TYPES.get(device_type) == "MIDI effect" and len(meta) == 4
    assert payload.endswith(b"}\n\0")  # the JSON, a newline and a NUL, as in Max's own files
    patcher = json.loads(payload[:-1])["patcher"]
    assert patcher["project"]["amxdtype"] == int.from_bytes(b"mmmm", "big")  # the type again, as a number
    assert patcher["appversion"]["major"] >= 8 and patcher["openinpresentation"] == 1


def test_the_check_refuses_a_wrong_type_and_a_cut_file():
    data = DEVICE.read_bytes()
    assert DEVICE_TYPES.get(dict(chunks(data.replace(b"mmmm", b"aaaa", 1)))[b"ampf"]) == "audio effect"
    with pytest.raises(AssertionError, match="past the end"):
        chunks(data[:-10])


def test_every_box_has_the_ports_max_gives_it_and_every_line_fits():
    patcher = patcher_of(DEVICE.read_bytes())
    assert not port_mistakes(patcher)
    ids = [entry["box"]["id"] for entry in patcher["boxes"]]
    assert len(ids) == len(set(ids))


def test_py2max_lint_finds_no_errors(tmp_path):
    py2max = need_module("py2max", install="pip install py2max")
    from py2max.lint import ERROR, lint

    path = tmp_path / "device.maxpat"
    path.write_text(json.dumps({"patcher": patcher_of(DEVICE.read_bytes())}))
    assert not [str(f) for f in lint(py2max.Patcher.from_file(path)) if f.severity == ERROR]


def test_its_parameters_are_live_parameters_within_the_daemons_ranges():
    patcher = patcher_of(DEVICE.read_bytes())
    live = {box["varname"]: box for box in walk(patcher) if box["maxclass"].startswith("live.")
            and box.get("parameter_enable")}
    assert {"temperature", "length", "mode", "scale", "root", "grid", "model", "panic"} <= set(live)
    assert set(patcher["parameters"]) == {box["id"] for box in live.values()}  # Live lists them, by id
    for name, box in live.items():
        value = box["saved_attribute_attributes"]["valueof"]
        assert value["parameter_longname"] == name and box.get("presentation") == 1
        if name in LiveSettings.RANGES and "parameter_enum" not in value:
            kind, low, high = LiveSettings.RANGES[name]
            assert low <= value["parameter_mmin"] <= value["parameter_mmax"] <= high, name
        elif name in LiveSettings.RANGES and isinstance(LiveSettings.RANGES[name][0], tuple):
            assert set(value["parameter_enum"]) <= set(LiveSettings.RANGES[name][0]), name


def texts(patcher: dict) -> list[str]:
    return [box.get("text", "") for box in walk(patcher) if box["maxclass"] not in ("comment", "live.comment")]


def test_it_sends_only_what_the_daemon_takes_and_follows_lives_transport():
    patcher = patcher_of(DEVICE.read_bytes())
    words = texts(patcher)
    boxes = {box["id"]: box for box in walk(patcher)}
    lines = [(e["patchline"]["source"], e["patchline"]["destination"]) for e in patcher["lines"]]
    bridge = "djai.live 9000 9001"
    to_bridge = [boxes[s].get("text", "") for (s, _), (d, inlet) in lines if boxes[d].get("text") == bridge
                 and inlet == 1]
    assert len(to_bridge) >= 10
    for text in to_bridge:  # each a message the bridge's right inlet takes, each setting a real one
        split = text.split()
        assert split[0] in ("prepend", "set", "panic", "status"), text
        if split[0] == "prepend":
            assert split[1] in ("set", "load", "beat", "tempo"), text
            assert split[1] != "set" or split[2] in LiveSettings.RANGES, text
        if split[0] == "set":
            assert split[1] in LiveSettings.RANGES, text
    for text in words:
        if text.startswith("route"):
            assert set(w for w in text.split()[1:] if w.startswith("/djai/")) <= set(OUTBOUND), text
        assert set(re.findall(r"/djai/\w+", text)) <= set(OUTBOUND) | set(INBOUND), text

    def wired(source: str, outlet: int, destination: str, inlet: int) -> bool:
        return any(boxes[s].get("text", boxes[s]["maxclass"]) == source and o == outlet
                   and boxes[d].get("text", boxes[d]["maxclass"]) == destination and i == inlet
                   for (s, o), (d, i) in lines)

    assert wired("midiin", 0, "midiparse", 0) and wired("midiparse", 0, bridge, 0)  # the track's notes out
    assert wired("midiin", 0, "midiout", 0)                      # and on to the instrument
    assert wired("midiformat", 0, "midiout", 0)                  # the daemon's notes into the track
    assert wired("makenote 100 500 1", 2, "midiformat", 6)       # each on its own channel
    assert wired("live.observer", 0, "change", 0) and wired("sel 0", 0, "panic", 0)  # Live stops: panic
    assert "property is_playing" in words and "set clock osc" in words
    assert wired("prepend beat", 0, bridge, 1) and wired("prepend tempo", 0, bridge, 1)
    assert wired("123 0", 0, "midiformat", 2) and wired("120 0", 0, "midiformat", 2)


def test_the_committed_device_is_what_the_build_script_makes(tmp_path):
    need_module("py2max", install="pip install py2max")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_max_patches.py"), "--out-dir", str(tmp_path)],
                   check=True, capture_output=True)
    assert (tmp_path / PACKAGE.name / "devices" / DEVICE.name).read_bytes() == DEVICE.read_bytes()


def test_the_device_ships_with_the_package():
    assert Path(DEVICE).is_file()
    assert "djai_live/*/*" in (ROOT / "pyproject.toml").read_text()  # package data: devices/ included
