"""The MuseScore plugin (max_patches/musescore) in the real MuseScore 3 from Debian, headless: scores written by
hand, the plugin run with ``mscore3 -p``, the saved score read back note for note and compared with what the
real djai-live command answered (a wrapper keeps a copy of its JSON)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from djai_live.generation import Generator
from djai_live.notation import is_note_value
from tests.peer import need_executables
from tests.support.musescore import (DIVISION, export_score, key_signature_glyphs, melody_events, read_score,
                                     recording_command, run_plugin, write_score)

need_executables("mscore3", install="apt-get install musescore3")

DATA = Path(__file__).parents[1] / "data" / "corpus"
GRID_TICKS = DIVISION // 4          # the plugin asks for a 1/16 grid
D_MAJOR = 2                         # sharps: bwv133.6's key
CHORALE_CLEFS = ["G", "G", "G8vb", "F"]


def as_notes(events: list[tuple]) -> list[tuple[int, int, int]]:
    found, tick = [], 0
    for pitch, ticks in events:
        if pitch is not None:
            found.append((pitch, tick, ticks))
        tick += ticks
    return found


def staff_notes(score, staff: int) -> list[tuple[int, int, int]]:
    return [(n.pitch, n.tick, n.ticks) for n in score.staves[staff]]


def answer_notes(part: dict, origin: int = 0) -> list[tuple[int, int, int]]:
    return [(n["pitch"], origin + round(n["onset_beats"] * DIVISION), round(n["duration_beats"] * DIVISION))
            for n in part["notes"]]


def recorded(folder: Path, kind: str) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(folder.glob(f"*_{kind}.json"))]


@pytest.fixture(scope="module")
def chorale_ranges():
    return Generator.from_file("chorale").config.instrument_ranges


@pytest.fixture(scope="module")
def harmonized(tmp_path_factory):
    """A 16-bar chorale melody (bwv133.6's soprano, D major) over three empty staves, harmonized by the plugin."""
    folder = tmp_path_factory.mktemp("harmonized")
    melody = melody_events(DATA / "bach" / "bwv133.6.mid")
    score = write_score(folder / "score.mscx", [melody, [], [], []], sharps=D_MAJOR, clefs=CHORALE_CLEFS)
    saved = folder / "saved.mscx"
    run = run_plugin("djai_live.qml", score, {"DJAI_LIVE_ACTION": "harmonize", "DJAI_LIVE_SAVE": str(saved),
                                              "DJAI_LIVE_COMMAND": recording_command(folder / "record")}, folder)
    return melody, run, saved, folder / "record"


def test_harmonize_writes_the_commands_voices_into_the_three_empty_staves_note_for_note(harmonized, chorale_ranges):
    melody, run, saved, record = harmonized
    assert run.returncode == 0 and "djai_live: harmonize:" in run.output, run.output
    assert "djai_live: error" not in run.output
    score = read_score(saved)
    assert len(score.staves) == 4 and score.measures == [16, 16, 16, 16]
    assert staff_notes(score, 0) == as_notes(melody)            # the melody untouched
    [answer] = recorded(record, "answer")
    voices = [part for part in answer["parts"] if not part["melody"]]
    assert [part["instrument"] for part in voices] == [1, 2, 3]
    for staff, part in enumerate(voices, start=1):
        written = staff_notes(score, staff)
        assert written == answer_notes(part)                     # the round trip, tied notes joined
        assert len(written) >= len(as_notes(melody)) // 2
        low, high = chorale_ranges[part["instrument"]]
        assert all(low <= pitch <= high for pitch, _, _ in written), (staff, low, high)
        assert all(tick % GRID_TICKS == 0 and ticks % GRID_TICKS == 0 for _, tick, ticks in written)
        assert all(is_note_value(ticks / DIVISION) for _, _, ticks in written)
    assert score.chords == [0, 0, 0, 0] and score.other_voices == [0, 0, 0, 0]
    # a voice held across a barline is written tied: the score reads it as one note longer than its first bar
    bar = 4 * DIVISION
    assert any(tick // bar != (tick + ticks - 1) // bar for part in voices for _, tick, ticks in answer_notes(part))


def test_the_key_signature_stays_on_every_staff_of_every_system_and_the_melody_keeps_its_spelling(harmonized):
    # what a reader of the harmonized score sees: MuseScore's own rendering and reading of the saved file
    melody, _, saved, _ = harmonized
    systems = key_signature_glyphs(export_score(saved, saved.parent / "rendered.svg"), staves=4)
    assert len(systems) >= 2 and systems == [[D_MAJOR] * 4] * len(systems), systems
    [exported] = export_score(saved, saved.parent / "exported.musicxml")
    soprano = ET.parse(exported).getroot().find("part")
    assert soprano is not None
    assert [key.findtext("fifths") for key in soprano.iter("key")] == [str(D_MAJOR)]
    spelled = {(note.findtext("pitch/step"), note.findtext("pitch/alter"), note.findtext("accidental"))
               for note in soprano.iter("note") if note.find("pitch") is not None}
    sharps_in_melody = {pitch % 12 for pitch, _, _ in as_notes(melody)} & {6, 1}
    assert sharps_in_melody == {6, 1}                               # F sharp and C sharp, as the key says
    # every F and C of the melody is sharp by the key alone: no natural, no accidental of its own
    assert {spelling for spelling in spelled if spelling[0] in "FC"} == {("F", "1", None), ("C", "1", None)}, spelled


def test_a_score_musescore_wrote_itself_is_harmonized_with_its_key_on_every_system(tmp_path):
    # users' scores are MuseScore's own files (full header, style, tpcs), not the tests' hand-written ones
    melody = melody_events(DATA / "bach" / "bwv133.6.mid")
    written = write_score(tmp_path / "by_hand.mscx", [melody, [], [], []], sharps=D_MAJOR, clefs=CHORALE_CLEFS)
    [score] = export_score(written, tmp_path / "by_musescore.mscx")
    assert "<Style>" in score.read_text()
    saved = tmp_path / "saved.mscx"
    run = run_plugin("djai_live.qml", score, {"DJAI_LIVE_ACTION": "harmonize", "DJAI_LIVE_SAVE": str(saved),
                                              "DJAI_LIVE_COMMAND": recording_command(tmp_path / "record")}, tmp_path)
    assert run.returncode == 0 and "written in staves 2, 3, 4" in run.output, run.output
    back = read_score(saved)
    assert staff_notes(back, 0) == as_notes(melody) and all(back.staves[1:])
    systems = key_signature_glyphs(export_score(saved, tmp_path / "rendered.svg"), staves=4)
    assert len(systems) >= 2 and systems == [[D_MAJOR] * 4] * len(systems), systems


def test_the_melody_sent_is_the_scores_and_the_request_says_its_meter_and_end(harmonized):
    melody, _, _, record = harmonized
    [request] = recorded(record, "request")
    assert request["time_signature"] == [4, 4] and request["end_beats"] == 64
    assert abs(request["tempo_bpm"] - 100) < 0.01
    sent = answer_notes(request["parts"][0])
    # MuseScore 3.2's plugin API shows no ties: a melody note tied over a barline is sent as its written pieces
    assert sum(ticks for _, _, ticks in sent) == sum(ticks for _, _, ticks in as_notes(melody))
    assert {tick for _, tick, _ in as_notes(melody)} <= {tick for _, tick, _ in sent}


def test_a_staff_with_the_users_notes_is_left_as_it_is(tmp_path):
    melody = melody_events(DATA / "bach" / "bwv133.6.mid")[:20]
    mine = [(48, DIVISION * 2), (None, DIVISION * 2), (50, DIVISION * 4)]
    score = write_score(tmp_path / "score.mscx", [melody, [], mine, []], measures=6)
    saved = tmp_path / "saved.mscx"
    run = run_plugin("djai_live.qml", score, {"DJAI_LIVE_ACTION": "harmonize", "DJAI_LIVE_SAVE": str(saved),
                                              "DJAI_LIVE_COMMAND": recording_command(tmp_path / "record")}, tmp_path)
    assert run.returncode == 0 and "staff 3 has notes of yours there: left as it is" in run.output, run.output
    back = read_score(saved)
    assert staff_notes(back, 2) == as_notes(mine)
    assert staff_notes(back, 0) == as_notes(melody)
    [answer] = recorded(tmp_path / "record", "answer")
    voices = [part for part in answer["parts"] if not part["melody"]]
    assert staff_notes(back, 1) == answer_notes(voices[0]) and staff_notes(back, 3) == answer_notes(voices[2])


def staff_clefs(saved: Path) -> list[str]:
    parts = ET.parse(saved).getroot().find("Score").findall("Part")
    return [part.findtext("Staff/defaultClef") or "G" for part in parts]


@pytest.mark.parametrize("given", [1, 2], ids=["melody-alone", "one-staff-below"])
def test_voices_with_no_staff_get_new_staves_in_a_copy_of_the_score(tmp_path, given):
    melody = melody_events(DATA / "bach" / "bwv133.6.mid")[:40]
    score = write_score(tmp_path / "score.mscx", [melody] + [[]] * (given - 1), sharps=D_MAJOR,
                        clefs=["G"] * given)
    before = score.read_bytes()
    saved = tmp_path / "saved.mscx"
    run = run_plugin("djai_live.qml", score, {"DJAI_LIVE_ACTION": "harmonize", "DJAI_LIVE_SAVE": str(saved),
                                              "DJAI_LIVE_COMMAND": recording_command(tmp_path / "record")}, tmp_path)
    assert run.returncode == 0 and "written in staves 2, 3, 4 of a copy of the score with " \
        f"{4 - given} staves added" in run.output, run.output
    assert score.read_bytes() == before                              # the user's file untouched
    back = read_score(saved)
    assert len(back.staves) == 4 and len(set(back.measures)) == 1
    assert staff_notes(back, 0) == as_notes(melody)
    [answer] = recorded(tmp_path / "record", "answer")
    voices = [part for part in answer["parts"] if not part["melody"]]
    for staff, part in enumerate(voices, start=1):
        assert staff_notes(back, staff) == answer_notes(part)        # note for note, in the new staves too
    assert staff_clefs(saved) == ["G"] * given + CHORALE_CLEFS[given:]   # alto treble, tenor 8vb, bass F
    systems = key_signature_glyphs(export_score(saved, tmp_path / "rendered.svg"), staves=4)
    assert systems and systems == [[D_MAJOR] * 4] * len(systems), systems


@pytest.mark.parametrize("source, meter", [("oneills/0001-0050_018.mid", (6, 8)),
                                           ("essen/altdeu10_019.mid", (3, 4))], ids=["6-8", "3-4"])
def test_continue_adds_four_bars_in_the_meter_on_the_grid(tmp_path, source, meter):
    melody = melody_events(DATA / source)
    bar = meter[0] * 4 * DIVISION // meter[1]
    length = sum(ticks for _, ticks in melody)
    bars = -(-length // bar)
    score = write_score(tmp_path / "score.mscx", [melody], time_signature=meter)
    saved = tmp_path / "saved.mscx"
    run = run_plugin("djai_live.qml", score, {"DJAI_LIVE_ACTION": "continue", "DJAI_LIVE_SAVE": str(saved),
                                              "DJAI_LIVE_COMMAND": recording_command(tmp_path / "record")}, tmp_path)
    assert run.returncode == 0 and "djai_live: continue:" in run.output, run.output
    back = read_score(saved)
    assert back.measures == [bars + 4] and back.time_signatures == [meter]
    [answer] = recorded(tmp_path / "record", "answer")
    assert answer["time_signature"] == list(meter) and answer["start_beats"] * DIVISION == bars * bar
    written = staff_notes(back, 0)
    assert written[:len(as_notes(melody))] == as_notes(melody)     # what was there stays
    added = written[len(as_notes(melody)):]
    assert added and added == answer_notes(answer["parts"][0])
    assert all(bars * bar <= tick and tick + ticks <= (bars + 4) * bar for _, tick, ticks in added)
    assert all(tick % GRID_TICKS == 0 and ticks % GRID_TICKS == 0 for _, tick, ticks in added)


def test_a_failing_command_shows_its_own_error(tmp_path):
    (tmp_path / ".djai_live_musescore.json").write_text(json.dumps({"harmonize_model": "no_such_model"}))
    score = write_score(tmp_path / "score.mscx", [melody_events(DATA / "bach" / "bwv133.6.mid")[:12], []])
    run = run_plugin("djai_live.qml", score, {"DJAI_LIVE_ACTION": "harmonize",
                                              "DJAI_LIVE_COMMAND": recording_command(tmp_path / "record")}, tmp_path)
    assert "djai_live: error: `" in run.output and "harmonize` failed (exit 1)" in run.output, run.output
    assert "djai-live harmonize: error:" in run.output and "no_such_model" in run.output


@pytest.mark.parametrize("case", ["no selection", "rests only", "a chord", "no djai-live", "bad action"])
def test_bad_input_is_a_clear_message(tmp_path, case):
    melody = [(67, DIVISION), (69, DIVISION), (71, DIVISION * 2)] * 4
    staves, plugin = [melody, []], "djai_live.qml"
    env = {"DJAI_LIVE_ACTION": "harmonize", "DJAI_LIVE_COMMAND": recording_command(tmp_path / "record")}
    if case == "no selection":
        plugin = "djai_live_harmonize.qml"
        del env["DJAI_LIVE_ACTION"]
        expected = "Select the melody first"
    elif case == "rests only":
        staves = [[(None, DIVISION * 4)] * 2, []]
        expected = "The selection has no notes in staff 1 (only rests)"
    elif case == "a chord":
        staves = [melody[:4] + [((64, 67), DIVISION)] + melody[4:], []]
        expected = "There is a chord at bar 2, beat 2 of staff 1: the melody must be one note at a time"
    elif case == "no djai-live":
        env["DJAI_LIVE_COMMAND"] = str(tmp_path / "no" / "djai-live")
        expected = "Cannot run `" + env["DJAI_LIVE_COMMAND"] + "`"
    else:
        env["DJAI_LIVE_ACTION"] = "harmonise"
        expected = "DJAI_LIVE_ACTION must be harmonize or continue, got harmonise"
    score = write_score(tmp_path / "score.mscx", staves)
    run = run_plugin(plugin, score, env, tmp_path)
    assert f"djai_live: error: {expected}" in run.output, run.output
    assert not (tmp_path / "record").exists() or case == "no djai-live"     # nothing ran for the score's faults


def test_the_settings_plugin_opens_without_acting_or_any_qml_error(tmp_path):
    score = write_score(tmp_path / "score.mscx", [[(67, DIVISION)] * 8, []])
    run = run_plugin("djai_live.qml", score, {}, tmp_path)
    assert run.returncode == 0, run.output
    assert "djai_live:" not in run.output and "Error" not in run.output and ".qml:" not in run.output, run.output
