"""`djai-live harmonize` on real chorales, as a user runs it (a subprocess) and in-process for the details:
the melody comes back note for note, every voice in its register, one note at a time, on the grid."""
import json
import subprocess
import sys
from pathlib import Path

import mido
import numpy as np
import pytest

from djai_live.corpus import read_midi_notes
from djai_live.generation import Generator
from djai_live.harmonize import HarmonizeError, harmonize, read_melody, snap_to_grid
from djai_live.live.settings import LiveSettings

BACH = Path(__file__).parents[1] / "data" / "corpus" / "bach"
CHORALES = [BACH / "bwv119.9.mid", BACH / "bwv133.6.mid"]  # four tracks, soprano first


def djai_live(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "djai_live.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def chorale_model():
    return Generator.from_file("chorale")


def one_at_a_time(notes):
    return bool(np.all(notes["onset"][1:] >= notes["onset"][:-1] + notes["duration"][:-1] - 1e-6))


@pytest.mark.parametrize("path", CHORALES, ids=lambda p: p.stem)
def test_the_melody_comes_back_note_for_note_and_every_voice_keeps_its_register(tmp_path, path):
    out, as_json = tmp_path / "h.mid", tmp_path / "h.json"
    result = djai_live("harmonize", path, "-o", out, "--json", as_json, "--grid", "1/8")
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout and "Traceback" not in result.stderr
    melody = read_midi_notes(path).tracks[0].notes
    written = read_midi_notes(out)
    assert [t.name for t in written.tracks] == ["melody", "voice 1", "voice 2", "voice 3"]
    back = written.tracks[0].notes
    assert np.array_equal(back["pitch"], melody["pitch"])
    np.testing.assert_allclose(back["onset"], melody["onset"], atol=1e-3)
    np.testing.assert_allclose(back["duration"], melody["duration"], atol=1e-3)
    ranges = Generator.from_file("chorale").config.instrument_ranges
    document = json.loads(as_json.read_text())
    parts = {part["instrument"]: part for part in document["parts"]}
    assert parts[0]["melody"] and [n["pitch"] for n in parts[0]["notes"]] == melody["pitch"].tolist()
    for instrument in (1, 2, 3):
        notes = written.tracks[instrument].notes
        low, high = ranges[instrument]
        assert len(notes) >= len(melody) // 2
        assert notes["pitch"].min() >= low and notes["pitch"].max() <= high
        assert (notes["duration"] > 0).all() and one_at_a_time(notes)
        on_grid = np.concatenate([notes["onset"], notes["duration"]]) * 2
        np.testing.assert_allclose(on_grid, np.round(on_grid), atol=1e-3)  # eighth notes
        # the JSON holds the same notes as the MIDI file
        listed = parts[instrument]["notes"]
        assert [n["pitch"] for n in listed] == notes["pitch"].tolist()
        np.testing.assert_allclose([n["onset_beats"] for n in listed], notes["onset"], atol=1e-3)
        np.testing.assert_allclose([n["duration_beats"] for n in listed], notes["duration"], atol=1e-3)


def test_the_same_seed_gives_the_same_harmony_and_voice_leading_is_kept(chorale_model):
    melody = read_melody(CHORALES[1])
    settings = LiveSettings(temperature=0.5, voice_leading="strict")
    first = harmonize(chorale_model, melody, settings, candidates=4, seed=3)
    again = harmonize(chorale_model, melody, settings, candidates=4, seed=3)
    for instrument in (1, 2, 3):
        assert np.array_equal(first.parts[instrument], again.parts[instrument])
    from djai_live.voice_leading import count_voice_leading

    count = count_voice_leading([first.parts[i] for i in range(4)])
    assert count.chords > 30
    assert count.crossed <= count.chords * 0.05 and count.parallels <= max(2, count.changes * 0.05)


def test_more_candidates_score_at_least_as_well_by_the_models_own_measure(chorale_model):
    melody = read_melody(CHORALES[0])
    settings = LiveSettings(temperature=0.5)
    one = harmonize(chorale_model, melody, settings, candidates=1, seed=0)
    eight = harmonize(chorale_model, melody, settings, candidates=8, seed=0)
    assert eight.stretches == one.stretches == len(np.unique(melody["onset"]))
    assert eight.score > one.score  # each stretch keeps its best of 8 (the first of which is not the live draw)


def test_a_melody_on_a_channel_is_taken_from_that_channel_alone(tmp_path):
    soprano = read_midi_notes(CHORALES[0]).tracks[0].notes
    path = tmp_path / "two_channels.mid"
    midi = mido.MidiFile(type=0, ticks_per_beat=480)
    track = mido.MidiTrack()
    events = []
    for note in soprano:
        events += [(round(note["onset"] * 480), 1,
                    mido.Message("note_on", channel=2, note=int(note["pitch"]), velocity=80)),
                   (round((note["onset"] + note["duration"]) * 480), 0,
                    mido.Message("note_off", channel=2, note=int(note["pitch"])))]
    events += [(i * 960, 1, mido.Message("note_on", channel=0, note=40, velocity=80)) for i in range(8)]
    events += [(i * 960 + 480, 0, mido.Message("note_off", channel=0, note=40)) for i in range(8)]
    now = 0
    for tick, _, message in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(message.copy(time=tick - now))
        now = tick
    midi.tracks.append(track)
    midi.save(path)
    melody = read_melody(path, channel=3)
    assert melody["pitch"].tolist() == soprano["pitch"].tolist()
    np.testing.assert_allclose(melody["onset"], soprano["onset"], atol=1e-3)
    with pytest.raises(HarmonizeError, match="no notes on channel 5"):
        read_melody(path, channel=5)


def test_snapping_to_a_grid_keeps_one_note_at_a_time_and_no_note_shorter_than_a_step():
    notes = np.zeros(4, dtype=[("pitch", "i2"), ("velocity", "i2"), ("onset", "f8"), ("duration", "f8"),
                               ("instrument", "i2")])
    notes["pitch"] = [60, 62, 64, 65]
    notes["onset"] = [0.0, 0.37, 0.49, 1.1]     # the second and third land on 0.5: the later is kept
    notes["duration"] = [0.37, 0.12, 0.5, 0.05]
    snapped = snap_to_grid(notes, 0.5)
    assert snapped["pitch"].tolist() == [60, 64, 65]
    assert snapped["onset"].tolist() == [0.0, 0.5, 1.0] and snapped["duration"].tolist() == [0.5, 0.5, 0.5]


@pytest.mark.parametrize("args, message", [
    (["--track", "7"], "no track 7; it has tracks 0-3"),
    (["--model", "default"], "needs a model of several instruments"),
    (["--voice", "4"], "the melody's instrument must be 0-3"),
    (["--scale", "lydian_dominant"], "unknown scale"),
    (["--pitch-min", "90", "--pitch-max", "80"], "pitch_min"),
])
def test_bad_input_is_one_clear_error(tmp_path, args, message):
    result = djai_live("harmonize", CHORALES[0], "-o", tmp_path / "h.mid", *args)
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "h.mid").exists()


def test_a_file_that_is_not_midi_is_one_clear_error(tmp_path):
    bad = tmp_path / "text.mid"
    bad.write_text("not a MIDI file")
    result = djai_live("harmonize", bad, "-o", tmp_path / "h.mid")
    assert result.returncode == 1 and "text.mid" in result.stderr and "Traceback" not in result.stderr


def test_a_json_melody_with_its_end_gives_voices_that_stop_there_in_note_values(tmp_path):
    from djai_live.notation import is_note_value

    soprano = read_midi_notes(CHORALES[1]).tracks[0].notes[:16]
    end = float(np.ceil((soprano["onset"][-1] + soprano["duration"][-1]) / 4) * 4)
    given = tmp_path / "melody.json"
    given.write_text(json.dumps({"parts": [{"instrument": 0, "notes": [
        {"pitch": int(n["pitch"]), "velocity": 80, "onset_beats": float(n["onset"]),
         "duration_beats": float(n["duration"])} for n in soprano]}], "end_beats": end, "tempo_bpm": 90}))
    as_json = tmp_path / "h.json"
    result = djai_live("harmonize", given, "-o", tmp_path / "h.mid", "--json", as_json, "--grid", "1/16", "--notation")
    assert result.returncode == 0, result.stderr
    document = json.loads(as_json.read_text())
    assert document["tempo_bpm"] == 90
    melody, *voices = document["parts"]
    assert [n["pitch"] for n in melody["notes"]] == soprano["pitch"].tolist()
    for voice in voices:
        assert voice["notes"] and all(n["onset_beats"] + n["duration_beats"] <= end + 1e-9 for n in voice["notes"])
        assert all(is_note_value(n["duration_beats"]) for n in voice["notes"])
    result = djai_live("harmonize", given, "-o", tmp_path / "h.mid", "--channel", "2")
    assert result.returncode == 1 and "--channel is for a MIDI IN" in result.stderr
