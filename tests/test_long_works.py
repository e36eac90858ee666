"""Long works at a fine tick resolution are read; files with a corrupt time are still refused."""
import mido
import numpy as np
import pytest

from djai_live.midi_files import MAX_BEATS, MidiReadError, read_midi_notes


def onsets_by_mido(path) -> list[float]:
    """Every note-on's time in beats, straight from the ticks (the ground truth, with no rescaling)."""
    midi = mido.MidiFile(path)
    onsets = []
    for track in midi.tracks:
        tick = 0
        for message in track:
            tick += message.time
            if message.type == "note_on" and message.velocity > 0:
                onsets.append(tick / midi.ticks_per_beat)
    return sorted(onsets)


def test_a_long_valid_work_past_pretty_midis_tick_limit_is_read(data_dir):
    path = data_dir / "long" / "Gloria_18.mid"
    midi = mido.MidiFile(path)
    assert max(sum(m.time for m in track) for track in midi.tracks) + 1 > 1e7  # pretty_midi refuses it alone
    piece = read_midi_notes(path)
    onsets = np.sort(np.concatenate([track.notes["onset"] for track in piece.tracks]))
    assert np.allclose(onsets, onsets_by_mido(path), atol=1e-9)
    assert len(piece.tracks) == 4 and onsets[-1] > 900  # beats: the file is long, not corrupt


def write_notes(path, ticks_per_beat: int, gap_beats: float) -> None:
    """Two notes of one beat, the second ``gap_beats`` after the first."""
    midi = mido.MidiFile(ticks_per_beat=ticks_per_beat)
    track = mido.MidiTrack()
    beat = ticks_per_beat
    track += [mido.Message("note_on", note=60, velocity=80, time=0),
              mido.Message("note_off", note=60, velocity=0, time=beat),
              mido.Message("note_on", note=62, velocity=80, time=round(gap_beats * beat) - beat),
              mido.Message("note_off", note=62, velocity=0, time=beat)]
    midi.tracks.append(track)
    midi.save(path)


def test_a_synthetic_long_file_keeps_its_times_in_beats(tmp_path):
    path = tmp_path / "long.mid"
    write_notes(path, ticks_per_beat=30_000, gap_beats=700.5)  # last tick 21,045,000
    notes = read_midi_notes(path).tracks[0].notes
    assert notes["onset"].tolist() == [0.0, 700.5]
    assert np.allclose(notes["duration"], 1.0)


def test_a_corrupt_time_is_still_refused(tmp_path):
    path = tmp_path / "corrupt.mid"
    write_notes(path, ticks_per_beat=96, gap_beats=MAX_BEATS * 2)  # a delta time no music has
    with pytest.raises(MidiReadError, match="corrupt time"):
        read_midi_notes(path)
