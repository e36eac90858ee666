"""The djai-live command, run as a user runs it: a subprocess."""
import json
import subprocess
import sys

import pytest

from djai_live.tensorflow_import import STARTUP_NOISE
from tests.conftest import write_bad_midi_files


def djai_live(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "djai_live.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


def test_generate_is_reproducible_and_writes_midi_plot_and_audio(tmp_path, chorale):
    import shutil

    outputs = []
    for name in ("a", "b"):
        audio = ["--wav", tmp_path / f"{name}.wav"] if name == "a" and shutil.which("fluidsynth") else []
        result = djai_live("generate", "--prompt", chorale, "--length", 12, "--seed", 5, "--out",
                           tmp_path / f"{name}.mid", "--plot", tmp_path / f"{name}.png", *audio)
        assert result.returncode == 0, result.stderr
        assert "12 notes" in result.stdout
        outputs.append((tmp_path / f"{name}.mid").read_bytes())
    assert outputs[0] == outputs[1]
    assert (tmp_path / "a.png").stat().st_size > 1000
    if shutil.which("fluidsynth"):
        assert (tmp_path / "a.wav").read_bytes()[:4] == b"RIFF"

    from djai_live.corpus import read_midi_notes

    piece = read_midi_notes(tmp_path / "a.mid")
    assert [t.name for t in piece.tracks] == ["prompt", "djai_live"]
    assert len(piece.tracks[1]) == 12


def test_train_then_evaluate_json(tmp_path, pattern_dir, corpus_dir):
    model = tmp_path / "cli.keras"
    result = djai_live("train", pattern_dir, "-o", model, "--units", 16, "--layers", 1, "--epochs", 2,
                       "--sequence-length-i", 16, "--batch-size", 16, "--loss-weights", "pitch=1,dt=0.5",
                       "--transpose", 2, "--lr-patience", 1, "--no-cache")
    assert result.returncode == 0, result.stderr
    assert not STARTUP_NOISE.search(result.stderr), result.stderr  # TensorFlow's start-up lines kept out
    assert model.exists() and model.with_name("cli.training.png").exists()
    assert "learning_rate" in model.with_name("cli.training.csv").read_text().splitlines()[0]  # --lr-patience on
    result = djai_live("evaluate", corpus_dir / "essen", "--model", model, "--json",
                       "--baseline-from", corpus_dir / "oneills")
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout.strip().splitlines()[-1])
    assert scores["notes"] > 0 and 0 <= scores["pitch_accuracy"] <= 1 and scores["pitch_nll"] > 0
    assert "markov3_pitch_accuracy" in scores
    assert scores["average_transpositions"] == 0
    result = djai_live("evaluate", corpus_dir / "essen", "--model", model, "--json", "--max-files", 1,
                       "--average-transpositions", 1)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["average_transpositions"] == 1
    assert "averaged over transpositions -1..+1" in result.stdout


# Exit 2: refused while parsing (argparse's usage error); exit 1: failed while running. One line either way.
@pytest.mark.parametrize("args, code, message", [
    (["train", "{bad}", "-o", "{tmp}/m.keras", "--epochs", "1"], 1, "none of the 5 files could be read"),
    (["train", "{tmp}/missing", "-o", "{tmp}/m.keras"], 2, "no such directory"),
    (["generate", "--model", "{tmp}/missing.keras", "--prompt", "{chorale}", "--out", "{tmp}/o.mid"], 1,
     "no such model file"),
    (["generate", "--prompt", "{bad}/text.mid", "--out", "{tmp}/o.mid"], 1, "not a readable MIDI file"),
    (["generate", "--prompt", "{chorale}", "--track", "9", "--out", "{tmp}/o.mid"], 1, "no track '9'"),
    (["generate", "--prompt", "{chorale}", "--out", "{tmp}"], 2, "is a directory, not a file name"),
    (["generate", "--prompt", "{chorale}", "--out", "{chorale}/x.mid"], 2, "is a file, not a folder"),
    (["generate", "--prompt", "{chorale}", "--out", "{tmp}/nowhere/x.mid"], 2, "does not exist"),
    (["generate", "--prompt", "{short}", "--out", "{tmp}/o.mid"], 1, "generation needs at least 8"),
    (["generate", "--prompt", "{chorale}", "--out", "{tmp}/o.mid", "--pitch-min", "80", "--pitch-max", "60"], 1,
     "--pitch-min 80 is above --pitch-max 60"),
    (["prepare", "{bad}", "-o", "{tmp}/prepared"], 1, "none of the 5 files"),
    (["train", "{chorale_dir}", "-o", "{tmp}/m.keras", "--distribute", "multi-worker"], 1, "needs TF_CONFIG"),
    (["evaluate", "{chorale_dir}", "--markov-orders", "x", "--baseline-from", "{chorale_dir}"], 2,
     "expected orders 1-8"),
    (["evaluate", "{chorale_dir}", "--markov-orders", "2"], 1, "give both"),
    (["serve", "--config", "{tmp}/missing.toml"], 1, "cannot read the config file"),
    (["serve", "--config", "{bad}/text.mid"], 1, "not valid TOML"),
    (["serve", "--scale", "lydian_dominant"], 1, "unknown scale"),
    (["serve", "--instrument-map", "1:0,33:1"], 1, "channel is 1-16"),
    (["serve", "--osc-port", "99999"], 2, "argument --osc-port: must be a UDP port 1-65535"),
    (["serve", "--reply-port", "99999"], 2, "argument --reply-port: must be a UDP port 1-65535"),
    (["serve", "--reply-host", "bogus.invalid"], 2, "argument --reply-host: cannot resolve host"),
])
def test_bad_input_is_one_line_without_traceback(tmp_path, chorale, args, code, message):
    bad = tmp_path / "bad"
    write_bad_midi_files(bad)
    short = tmp_path / "short.mid"
    _write_notes(short, 3)
    args = [a.format(bad=bad, tmp=tmp_path, chorale=chorale, chorale_dir=chorale.parent, short=short)
            for a in args]
    result = djai_live(*args)
    assert (result.returncode, message in result.stderr) == (code, True), result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1


def _write_notes(path, count):
    import pretty_midi

    midi = pretty_midi.PrettyMIDI()
    track = pretty_midi.Instrument(0)
    track.notes = [pretty_midi.Note(80, 60 + i, i * 0.5, i * 0.5 + 0.4) for i in range(count)]
    midi.instruments.append(track)
    midi.write(str(path))


def test_argument_errors_use_usage_messages(tmp_path, chorale):
    result = djai_live("generate", "--prompt", chorale, "--out", tmp_path / "o.mid", "--top-p", "2")
    assert result.returncode == 2 and "must be in (0, 1]" in result.stderr


def test_generate_names_the_plot_it_wrote_and_checks_fluidsynth_before_writing(tmp_path, chorale):
    import os

    result = djai_live("generate", "--prompt", chorale, "--length", 4, "--out", tmp_path / "o.mid",
                       "--plot", tmp_path / "roll")
    assert result.returncode == 0, result.stderr
    assert f"wrote {tmp_path / 'roll.png'}" in result.stdout and (tmp_path / "roll.png").exists()
    no_fluidsynth = {**os.environ, "PATH": str(tmp_path / "empty-bin")}
    result = subprocess.run([sys.executable, "-m", "djai_live.cli", "generate", "--prompt", str(chorale), "--out",
                             str(tmp_path / "w.mid"), "--wav", str(tmp_path / "w.wav")],
                            capture_output=True, text=True, timeout=120, env=no_fluidsynth)
    assert result.returncode == 1 and "--wav needs the FluidSynth program" in result.stderr
    assert not (tmp_path / "w.mid").exists()
