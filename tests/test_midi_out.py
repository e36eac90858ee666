import shutil
import wave

import numpy as np
import pytest

from djai_live.corpus import read_midi_notes
from djai_live.midi_out import FluidSynthMissingError, plot_piano_roll, render_wav, write_midi
from djai_live.notes import make_notes
from tests.peer import need_executables


def test_written_midi_reads_back_in_beats(tmp_path):
    notes = make_notes([60, 64, 67], [90, 80, 70], [0.0, 0.5, 1.0], [0.5, 0.5, 2.0])
    path = write_midi([("melody", notes)], tmp_path / "out.mid", tempo_bpm=90)
    piece = read_midi_notes(path)
    back = piece.tracks[0].notes
    assert piece.tracks[0].name == "melody"
    assert back["pitch"].tolist() == [60, 64, 67]
    assert np.allclose(back["onset"], [0.0, 0.5, 1.0], atol=1e-3)
    assert np.allclose(back["duration"], [0.5, 0.5, 2.0], atol=1e-3)


def test_piano_roll_is_a_png(tmp_path):
    notes = make_notes([60, 62], [90, 90], [0.0, 1.0], [1.0, 1.0])
    path = plot_piano_roll([("prompt", notes), ("answer", notes)], tmp_path / "roll.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fluidsynth_renders_audio(tmp_path):
    need_executables("fluidsynth", install="apt-get install fluidsynth")
    notes = make_notes([60, 64, 67], [100] * 3, [0.0, 0.5, 1.0], [0.5, 0.5, 1.0])
    midi = write_midi([("chord", notes)], tmp_path / "x.mid")
    wav = render_wav(midi, tmp_path / "x.wav")
    with wave.open(str(wav)) as audio:
        frames = audio.readframes(audio.getnframes())
        assert audio.getnframes() > audio.getframerate() * 0.9  # at least the 1.5 beats of music, roughly
    assert any(frames[i] for i in range(0, len(frames), 97))  # not silence


def test_missing_fluidsynth_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(FluidSynthMissingError, match="apt-get install fluidsynth"):
        render_wav(tmp_path / "x.mid", tmp_path / "x.wav")
