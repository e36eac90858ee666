"""Writing notes to MIDI files, piano-roll pictures and (through FluidSynth) audio."""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .files import atomic_path


def write_midi(parts: Sequence[tuple[str, np.ndarray]], path: str | os.PathLike, tempo_bpm: float = 120.0,
               program: int = 0, time_signature: tuple[int, int] | None = None) -> Path:
    """Write named note arrays (times in beats) as tracks of one MIDI file, atomically, with a time signature
    when one is given."""
    import pretty_midi

    seconds_per_beat = 60.0 / tempo_bpm
    midi = pretty_midi.PrettyMIDI(initial_tempo=tempo_bpm)
    if time_signature is not None:
        midi.time_signature_changes.append(pretty_midi.TimeSignature(time_signature[0], time_signature[1], 0.0))
    for name, notes in parts:
        for instrument_id in np.unique(notes["instrument"]) if len(notes) else []:
            track = pretty_midi.Instrument(program=program,
                                           name=name if instrument_id == 0 else f"{name} {instrument_id}")
            for note in notes[notes["instrument"] == instrument_id]:
                start = float(note["onset"]) * seconds_per_beat
                end = start + max(float(note["duration"]), 1e-3) * seconds_per_beat
                track.notes.append(pretty_midi.Note(int(note["velocity"]), int(note["pitch"]), start, end))
            midi.instruments.append(track)
    with atomic_path(path) as temporary:
        midi.write(str(temporary))
    return Path(path)


PLOT_FORMATS = (".png", ".pdf", ".svg")
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def note_name(pitch: int) -> str:
    """Scientific pitch notation, middle C (60) = C4."""
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def plot_path(path: str | os.PathLike) -> Path:
    """Where :func:`plot_piano_roll` writes: the path itself when it names an image format, else with .png."""
    path = Path(path)
    return path if path.suffix.lower() in PLOT_FORMATS else path.with_name(path.name + ".png")


def plot_piano_roll(parts: Sequence[tuple[str, np.ndarray]], path: str | os.PathLike, title: str = "") -> Path:
    """A piano roll, one colour per part (for example the prompt and the continuation); returns the file written
    (see :func:`plot_path`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    path = plot_path(path)
    figure, axis = plt.subplots(figsize=(12, 4.5))
    colours = ["#9a9a9a", "#d9480f", "#1971c2", "#2f9e44", "#ae3ec9"]
    legend = []
    for (name, notes), colour in zip(parts, colours * 4):
        for note in notes:
            axis.add_patch(plt.Rectangle((float(note["onset"]), float(note["pitch"]) - 0.4),
                                         max(float(note["duration"]), 0.05), 0.8, color=colour))
        legend.append(Patch(color=colour, label=name))
    every: np.ndarray = np.concatenate([notes for _, notes in parts]) if parts else np.zeros(0)
    if len(every):
        low, high = int(every["pitch"].min()) - 2, int(every["pitch"].max()) + 2
        axis.set_xlim(float(every["onset"].min()) - 0.5, float((every["onset"] + every["duration"]).max()) + 0.5)
        axis.set_ylim(low, high)
        # Ticks on the Cs and Gs in the range read as notes, never as fractional pitches.
        ticks = [p for p in range(max(low, 0), min(high, 127) + 1) if p % 12 in (0, 7)] or [low + 2]
        axis.set_yticks(ticks, [note_name(p) for p in ticks])
    axis.set(xlabel="beats", ylabel="pitch", title=title)
    axis.grid(alpha=0.25)
    # Outside the axes, so the legend never covers notes (the first generated ones sit at the top right).
    axis.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


class FluidSynthMissingError(RuntimeError):
    """The fluidsynth program is not installed."""


class FluidSynthError(RuntimeError):
    """FluidSynth ran but did not render the file."""


def find_fluidsynth() -> str:
    """The fluidsynth program's path.

    Raises:
        FluidSynthMissingError: it is not installed.
    """
    program = shutil.which("fluidsynth")
    if program is None:
        raise FluidSynthMissingError("--wav needs the FluidSynth program: install it (Debian/Ubuntu: "
                                     "apt-get install fluidsynth; macOS: brew install fluid-synth)")
    return program


def bundled_soundfont() -> Path:
    """pretty_midi's small General MIDI soundfont."""
    import pretty_midi

    return Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"


def render_wav(midi_path: str | os.PathLike, wav_path: str | os.PathLike, soundfont: str | os.PathLike | None = None,
               sample_rate: int = 44100) -> Path:
    """Render a MIDI file to WAV with the FluidSynth command line (no audio device needed).

    Raises:
        FluidSynthMissingError: the fluidsynth program is not installed.
        FluidSynthError: FluidSynth failed.
    """
    program = find_fluidsynth()
    soundfont = Path(soundfont) if soundfont else bundled_soundfont()
    command = [program, "-ni", "-q", "-r", str(sample_rate), "-F", str(wav_path), str(soundfont), str(midi_path)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if completed.returncode != 0 or not Path(wav_path).exists():
        raise FluidSynthError(f"fluidsynth failed ({completed.returncode}): {completed.stderr.strip()[-500:]}")
    return Path(wav_path)
