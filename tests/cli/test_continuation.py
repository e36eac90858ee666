"""`djai-live continue` on real corpus files, as a user runs it: the bars after the piece in its meter, every onset
and duration a whole number of grid steps, the JSON the same notes as the MIDI file, bad input one clear line."""
import json
import subprocess
import sys
from pathlib import Path

import mido
import numpy as np
import pytest

from djai_live.corpus import read_midi_notes
from djai_live.notation import is_note_value

CORPUS = Path(__file__).parents[1] / "data" / "corpus"
METERS = [(CORPUS / "oneills" / "0001-0050_018.mid", (6, 8)), (CORPUS / "essen" / "altdeu10_019.mid", (3, 4)),
          (CORPUS / "oneills" / "0001-0050_001.mid", (2, 4)), (CORPUS / "bach" / "bwv1.6.mid", (4, 4))]


def djai_live(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "djai_live.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


def time_signatures(path: Path) -> list[tuple[int, int]]:
    return [(m.numerator, m.denominator) for track in mido.MidiFile(str(path)).tracks for m in track
            if m.type == "time_signature"]


def on_grid(values, step: float) -> bool:
    scaled = np.asarray(values, dtype=float) / step
    return bool(np.allclose(scaled, np.round(scaled), atol=1e-6))


@pytest.mark.parametrize("path, meter", METERS, ids=lambda v: v.stem if isinstance(v, Path) else f"{v[0]}-{v[1]}")
def test_the_bars_after_a_piece_are_in_its_meter_and_on_the_grid(tmp_path, path, meter):
    out, as_json = tmp_path / "c.mid", tmp_path / "c.json"
    result = djai_live("continue", path, "-o", out, "--json", as_json, "--bars", 4, "--grid", "1/16", "--seed", 3)
    assert result.returncode == 0, result.stderr
    assert f"for 4 bars of {meter[0]}/{meter[1]}" in result.stdout
    bar = meter[0] * 4 / meter[1]
    given = read_midi_notes(path).tracks[0].notes
    given_end = float((given["onset"] + given["duration"]).max())
    document = json.loads(as_json.read_text())
    assert document["time_signature"] == list(meter)
    start, end = document["start_beats"], document["end_beats"]
    assert start >= given_end - 1e-6 and start % bar == 0 and start - given_end < bar   # the next barline
    assert end == start + 4 * bar
    [part] = document["parts"]
    onsets = np.array([n["onset_beats"] for n in part["notes"]])
    durations = np.array([n["duration_beats"] for n in part["notes"]])
    assert len(onsets) >= 4
    assert on_grid(onsets, 0.25) and on_grid(durations, 0.25) and (durations >= 0.25).all()   # no 0.37-beat notes
    assert (onsets >= start).all() and (onsets + durations <= end + 1e-9).all()
    assert (onsets[1:] >= onsets[:-1] + durations[:-1] - 1e-9).all()                        # one note at a time
    # the MIDI file: the piece given, then the same continuation, in the same meter
    assert time_signatures(out)[:1] == [meter]
    written = read_midi_notes(out).tracks[0].notes
    tail = written[written["onset"] >= start - 1e-6]
    assert tail["pitch"].tolist() == [n["pitch"] for n in part["notes"]]
    np.testing.assert_allclose(tail["onset"], onsets, atol=1e-3)
    assert len(written) - len(tail) == len(given)


def test_a_number_of_notes_and_a_coarser_grid(tmp_path):
    out = tmp_path / "c.mid"
    result = djai_live("continue", METERS[0][0], "-o", out, "--notes", 12, "--grid", "1/8", "--json", "-")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)           # the JSON alone on stdout, the report on stderr
    assert "wrote" in result.stderr and document["grid"] == "1/8"
    notes = document["parts"][0]["notes"]
    assert len(notes) == 12
    assert on_grid([n["onset_beats"] for n in notes], 0.5) and on_grid([n["duration_beats"] for n in notes], 0.5)


def test_notation_makes_every_duration_one_note_value(tmp_path):
    as_json = tmp_path / "c.json"
    result = djai_live("continue", METERS[1][0], "-o", tmp_path / "c.mid", "--json", as_json, "--bars", 8,
                       "--notation", "--temperature", 1.2)
    assert result.returncode == 0, result.stderr
    durations = [n["duration_beats"] for n in json.loads(as_json.read_text())["parts"][0]["notes"]]
    assert durations and all(is_note_value(d) for d in durations)


def test_a_model_of_several_instruments_continues_every_instrument(tmp_path):
    as_json = tmp_path / "c.json"
    chorale = CORPUS / "bach" / "bwv119.9.mid"
    result = djai_live("continue", chorale, "-o", tmp_path / "c.mid", "--json", as_json, "--model", "chorale",
                       "--bars", 2)
    assert result.returncode == 0, result.stderr
    parts = json.loads(as_json.read_text())["parts"]
    assert [part["instrument"] for part in parts] == [0, 1, 2, 3]
    assert all(len(part["notes"]) >= 2 for part in parts)
    assert len(read_midi_notes(tmp_path / "c.mid").tracks) == 4


def test_json_in_with_its_meter_and_end(tmp_path):
    notes = [{"pitch": 60 + i % 5, "velocity": 80, "onset_beats": i * 0.5, "duration_beats": 0.5} for i in range(16)]
    given = tmp_path / "in.json"
    given.write_text(json.dumps({"parts": [{"instrument": 0, "notes": notes}], "time_signature": [3, 4],
                                 "end_beats": 9}))
    as_json = tmp_path / "c.json"
    result = djai_live("continue", given, "-o", tmp_path / "c.mid", "--json", as_json, "--bars", 1)
    assert result.returncode == 0, result.stderr
    document = json.loads(as_json.read_text())
    assert document["time_signature"] == [3, 4] and document["start_beats"] == 9 and document["end_beats"] == 12


def test_bad_input_is_one_clear_line(tmp_path):
    empty, text, bad_json = tmp_path / "empty.mid", tmp_path / "notes.mid", tmp_path / "notes.json"
    empty.write_bytes(b"")
    text.write_text("not a MIDI file\n")
    bad_json.write_text(json.dumps({"parts": [{"notes": [{"pitch": 200, "onset_beats": 0, "duration_beats": 1}]}]}))
    cases = [(tmp_path / "missing.mid", 2, "no such file"), (empty, 1, "empty file"),
             (text, 1, "not a readable MIDI file"), (bad_json, 1, "part 0, note 0: \"pitch\" must be 0-127")]
    for path, code, message in cases:
        result = djai_live("continue", path, "-o", tmp_path / "c.mid")
        assert result.returncode == code and message in result.stderr and str(path.name) in result.stderr, \
            (path, result.stderr)
        assert "Traceback" not in result.stderr and not (tmp_path / "c.mid").exists()
    short = tmp_path / "short.json"
    short.write_text(json.dumps({"parts": [{"notes": [{"pitch": 60, "onset_beats": 0, "duration_beats": 1}]}]}))
    result = djai_live("continue", short, "-o", tmp_path / "c.mid")
    assert result.returncode == 1 and "has 1 note; generation needs at least 8" in result.stderr
    result = djai_live("continue", METERS[0][0], "-o", tmp_path / "c.mid", "--grid", "1/8t", "--notation")
    assert result.returncode == 1 and "--notation" in result.stderr and "straight grid" in result.stderr
    result = djai_live("continue", METERS[0][0], "-o", tmp_path / "c.mid", "--bars", 2, "--notes", 3)
    assert result.returncode == 2 and "not allowed with argument" in result.stderr
