"""djai_live.musescore_staves (and `djai-live add-staves`): new staves with another staff's bars, on scores written
as MuseScore writes them; the plugin's use of it in real MuseScore is in tests/patches/test_musescore_plugin.py."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from djai_live.cli import main
from djai_live.musescore_staves import NewStaff, ScoreFileError, add_staves
from tests.support.musescore import DIVISION, read_score, write_score


def test_new_staves_take_the_bars_key_and_meter_of_the_staff_named(tmp_path):
    source = write_score(tmp_path / "in.mscx", [[(67, DIVISION * 3)] * 4, []], time_signature=(6, 8), sharps=-3)
    tree = ET.parse(source)
    tree.getroot().find("Score").findall("Staff")[0].findall("Measure")[0].set("len", "3/8")   # a pickup bar
    tree.write(source)
    out = tmp_path / "out.mscx"
    assert add_staves(source, out, [NewStaff("Tenor", "G8vb"), NewStaff("Bass", "F")], like=1) == 4
    score = ET.parse(out).getroot().find("Score")
    staves = score.findall("Staff")
    assert [s.get("id") for s in staves] == ["1", "2", "3", "4"]
    assert [p.findtext("trackName") for p in score.findall("Part")][2:] == ["Tenor", "Bass"]
    assert [p.findtext("Staff/defaultClef") for p in score.findall("Part")][2:] == ["G8vb", "F"]
    for added in staves[2:]:
        measures = added.findall("Measure")
        assert len(measures) == len(staves[0].findall("Measure"))
        assert measures[0].get("len") == "3/8"
        assert measures[0].findtext("voice/KeySig/accidental") == "-3"
        assert measures[0].findtext("voice/TimeSig/sigN") == "6" and measures[0].findtext("voice/TimeSig/sigD") == "8"
        assert [m.findtext("voice/Rest/duration") for m in measures] == ["3/8"] + ["6/8"] * (len(measures) - 1)
        assert not added.findall(".//Chord")
    assert read_score(out).staves[:2] == read_score(source).staves   # nothing else changed


def test_add_staves_command_writes_the_file_and_bad_input_is_one_line(tmp_path, capsys):
    source = write_score(tmp_path / "in.mscx", [[(60, DIVISION * 4)]])
    out = tmp_path / "out.mscx"
    assert main(["add-staves", str(source), "-o", str(out), "--staff", "Alto", "--staff", "Bass:F"]) == 0
    assert len(read_score(out).staves) == 3
    (tmp_path / "junk.mscx").write_text("not xml")
    assert main(["add-staves", str(tmp_path / "junk.mscx"), "-o", str(out), "--staff", "A"]) == 1
    assert "junk.mscx: not a readable MuseScore file" in capsys.readouterr().err
    assert main(["add-staves", str(source), "-o", str(out), "--staff", "A", "--like", "2"]) == 1
    assert "there is no staff 2 (the score has 1)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["add-staves", str(source), "-o", str(out), "--staff", "A:Q"])
    assert "unknown clef 'Q'" in capsys.readouterr().err


def test_a_staff_needs_a_name_and_a_known_clef():
    assert NewStaff.parse("Voice 2:G8vb") == NewStaff("Voice 2", "G8vb")
    assert NewStaff.parse("Alto") == NewStaff("Alto", "G")
    for bad in (":F", "Alto:X"):
        with pytest.raises(ValueError):
            NewStaff.parse(bad)


def test_a_file_that_is_not_a_score_is_refused(tmp_path: Path):
    other = tmp_path / "other.xml"
    other.write_text("<html><Score/></html>")
    with pytest.raises(ScoreFileError, match="not a MuseScore score"):
        add_staves(other, tmp_path / "o.mscx", [NewStaff("A")], like=1)
