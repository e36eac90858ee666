"""The shipped Max and Pd patches: valid files, lint-clean, real ports, and only addresses the daemon knows."""
import json
import re
from pathlib import Path

import pytest

from djai_live.live.protocol import INBOUND, OUTBOUND
from tests.peer import need_module

ROOT = Path(__file__).resolve().parents[2]
MAX_PATCHES = sorted((ROOT / "max_patches").glob("*.maxpat"))
PD_PATCH = ROOT / "max_patches" / "pd" / "djai_live.pd"


def args_count(text: str) -> int:
    return len(text.split()) - 1


# (inlets, outlets) of each Max object used, from the Max reference; some depend on the arguments.
REFERENCE = {
    "notein": lambda text: (1, 3),
    "noteout": lambda text: (3, 0),
    "makenote": lambda text: (3, 2),
    "pack": lambda text: (max(2, args_count(text)), 1),
    "unpack": lambda text: (1, max(2, args_count(text))),
    "prepend": lambda text: (1, 1),
    "route": lambda text: (2, args_count(text) + 1),
    "udpsend": lambda text: (1, 0),
    "udpreceive": lambda text: (1, 1),
    "print": lambda text: (1, 0),
    "inlet": lambda text: (0, 1),
    "outlet": lambda text: (1, 0),
    "pak": lambda text: (max(2, args_count(text)), 1),
    "metro": lambda text: (2, 1),
    "transport": lambda text: (2, 9),   # bars beats units resolution tempo timesig-num timesig-denom ticks state
}
UI_REFERENCE = {"message": (2, 1), "comment": (1, 0), "flonum": (1, 2), "number": (1, 2), "umenu": (1, 3),
                "kslider": (2, 2), "inlet": (0, 1), "outlet": (1, 0)}


def boxes(patch: dict) -> list[dict]:
    return [entry["box"] for entry in patch["patcher"]["boxes"]]


def expected_ports(box: dict) -> tuple[int, int]:
    if box["maxclass"] == "newobj":
        name = box["text"].split()[0]
        assert name in REFERENCE, f"{name} is not in the test's reference table: add it from the Max reference"
        return REFERENCE[name](box["text"])
    assert box["maxclass"] in UI_REFERENCE, f"{box['maxclass']} is not in the test's reference table"
    return UI_REFERENCE[box["maxclass"]]


def test_there_are_a_main_patch_and_an_abstraction():
    assert {p.name for p in MAX_PATCHES} >= {"djai_live.maxpat", "djai.live.maxpat"}


@pytest.mark.parametrize("path", MAX_PATCHES, ids=lambda p: p.name)
def test_patch_is_json_with_unique_ids_and_real_ports(path):
    patch = json.loads(path.read_text())
    by_id = {}
    for box in boxes(patch):
        assert box["id"] not in by_id, f"duplicate id {box['id']}"
        by_id[box["id"]] = box
        assert (box["numinlets"], box["numoutlets"]) == expected_ports(box), box.get("text", box["maxclass"])
    for entry in patch["patcher"]["lines"]:
        (source, outlet), (destination, inlet) = entry["patchline"]["source"], entry["patchline"]["destination"]
        assert outlet < by_id[source]["numoutlets"], f"{by_id[source].get('text')} has no outlet {outlet}"
        assert inlet < by_id[destination]["numinlets"], f"{by_id[destination].get('text')} has no inlet {inlet}"


@pytest.mark.parametrize("path", MAX_PATCHES, ids=lambda p: p.name)
def test_py2max_lint_finds_no_errors(path):
    py2max = need_module("py2max", install="pip install py2max")
    from py2max.lint import ERROR, lint

    findings = lint(py2max.Patcher.from_file(path))
    assert not [str(f) for f in findings if f.severity == ERROR]


@pytest.mark.parametrize("path", MAX_PATCHES, ids=lambda p: p.name)
def test_every_osc_address_exists_in_the_daemon(path):
    texts = [box.get("text", "") for box in boxes(json.loads(path.read_text())) if box["maxclass"] != "comment"]
    for text in texts:
        addresses = re.findall(r"/djai/\w+", text)
        if text.startswith("route"):
            assert set(addresses) <= set(OUTBOUND), text
        else:
            assert set(addresses) <= set(INBOUND), text
    assert any("/djai/note" in t for t in texts)


def test_committed_patches_are_what_the_build_script_makes(tmp_path):
    import subprocess
    import sys

    need_module("py2max", install="pip install py2max")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_max_patches.py"), "--out-dir", str(tmp_path)],
                   check=True, capture_output=True)
    for path in MAX_PATCHES:
        assert json.loads((tmp_path / path.name).read_text()) == json.loads(path.read_text()), \
            f"{path.name} differs from scripts/build_max_patches.py's output: rebuild it"


def test_pd_patch_addresses_exist_in_the_daemon():
    lines = PD_PATCH.read_text().splitlines()
    sent = {"/djai/" + m for line in lines for m in re.findall(r"oscformat djai (\w+)", line)}
    routed = {"/djai/" + w for line in lines if "route note" in line
              for w in line.split("route", 1)[1].strip(" ;").split()}
    assert sent and sent <= set(INBOUND)
    assert routed and routed <= set(OUTBOUND)
