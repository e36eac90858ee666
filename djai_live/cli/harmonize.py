"""``djai-live harmonize``: a melody in, the melody and the model's other voices out (live path: no TensorFlow)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..live.grid import GRIDS
from .options import (CommandError, HelpFormatter, existing_file, integer, non_negative, non_negative_int,
                      output_file, pitch, positive, positive_int, positive_int_up_to, probability)

MAX_CANDIDATES = 64


def add_parser(commands, parents: list[argparse.ArgumentParser]) -> None:
    harmonize = commands.add_parser("harmonize", parents=parents, formatter_class=HelpFormatter,
                                    help="harmonize a melody with a multi-instrument model (offline)")
    harmonize.add_argument("melody", type=existing_file, metavar="IN",
                           help="MIDI file with the melody, or .json of notes (its --json form)")
    harmonize.add_argument("-o", "--out", type=output_file, required=True,
                           help="MIDI file to write: the melody, then one track per voice")
    harmonize.add_argument("--json", type=json_target, default=None, metavar="PATH",
                           help="also write the same notes as JSON (onsets and durations in beats); - for stdout")
    harmonize.add_argument("--model", default="chorale",
                           help="a model of several instruments: file, or bundled name (default chorale)")
    which = harmonize.add_mutually_exclusive_group()
    which.add_argument("--track", type=_track, default=None,
                       help="the melody's track index among the file's non-drum tracks, or a JSON IN's part "
                       "(default 0)")
    which.add_argument("--channel", type=_channel, default=None,
                       help="take the melody from every note on this MIDI channel (1-16) instead")
    harmonize.add_argument("--voice", type=non_negative_int, default=0,
                           help="which of the model's instruments the melody is (default 0: the soprano)")
    harmonize.add_argument("--temperature", type=non_negative, default=None,
                           help="sampling temperature (default: the model's live_temperature, else 1.0)")
    harmonize.add_argument("--top-p", type=probability, default=0.95)
    harmonize.add_argument("--scale", nargs="+", default=None, metavar=("NAME", "ROOT"),
                           help="keep every voice in a scale: NAME [ROOT], or 'custom' and pitch classes")
    harmonize.add_argument("--key", choices=("off", "auto"), default="off",
                           help="auto: the scale follows the key estimated from the melody")
    harmonize.add_argument("--pitch-min", type=pitch, default=0)
    harmonize.add_argument("--pitch-max", type=pitch, default=127)
    harmonize.add_argument("--max-leap", type=non_negative_int, default=0,
                           help="largest step of a voice, semitones (0: no limit)")
    harmonize.add_argument("--voice-leading", choices=("strict", "loose", "off"), default="strict",
                           help="the voice-leading rules kept, as serve's voice_leading (docs/harmonizer.md)")
    harmonize.add_argument("--candidates", type=positive_int_up_to(MAX_CANDIDATES), default=8,
                           help="draws of each stretch between melody notes, the best kept (1: as live)")
    harmonize.add_argument("--beam", type=positive_int_up_to(MAX_CANDIDATES), default=1,
                           help="harmonizations kept after each stretch, each drawn --candidates times (1-64)")
    harmonize.add_argument("--grid", choices=GRIDS, default="none",
                           help="onsets and durations of the voices on this grid (1/8: eighth notes)")
    harmonize.add_argument("--notation", action="store_true",
                           help="with a straight --grid: each voice's duration one note value (plain, dotted, "
                           "double-dotted), others split into values, re-struck (what a score plugin writes)")
    harmonize.add_argument("--tempo-bpm", type=_tempo, default=None,
                           help="tempo of the simulated performance and of OUT (default: IN's first tempo)")
    harmonize.add_argument("--seed", type=integer, default=0, help="same seed, same harmony")
    harmonize.set_defaults(run=run)


def _channel(text: str) -> int:
    value = positive_int(text)
    if value > 16:
        raise argparse.ArgumentTypeError(f"a MIDI channel is 1-16, got {text!r}")
    return value


def _track(text: str) -> int:
    value = non_negative_int(text)
    if value >= 1000:
        raise argparse.ArgumentTypeError(f"expected a track index (0, 1, ...), got {text!r}")
    return value


def _tempo(text: str) -> float:
    value = positive(text)
    if not 20.0 <= value <= 400.0:
        raise argparse.ArgumentTypeError(f"must be 20-400 BPM, got {text!r}")
    return value


def json_target(text: str) -> str | Path:
    return text if text == "-" else output_file(text)


def first_tempo(path: Path) -> float | None:
    """The file's first tempo in BPM, or None when it sets none."""
    import mido

    from ..notes_json import NotesJsonError, is_json_input, read_notes_json

    if is_json_input(path):
        try:
            return read_notes_json(path).tempo_bpm
        except NotesJsonError:
            return None  # reading the melody reports the file itself

    try:
        midi = mido.MidiFile(str(path))
    except (OSError, ValueError, EOFError, KeyError, IndexError):
        return None  # read_melody reports the file itself
    for track in midi.tracks:
        for message in track:
            if message.type == "set_tempo":
                return float(mido.tempo2bpm(message.tempo))
    return None


def _read_melody(args: argparse.Namespace):
    """The melody of IN (a MIDI file's track or channel, or a JSON file's part: ``--track``, default 0) and
    where the music given ends when IN says so (a JSON ``end_beats``: the voices stop there)."""
    from ..harmonize import HarmonizeError, read_melody
    from ..notes_json import is_json_input, read_notes_json

    if not is_json_input(args.melody):
        return read_melody(args.melody, args.track, args.channel), None
    if args.channel is not None:
        raise CommandError("--channel is for a MIDI IN; a JSON IN gives the melody as a part (--track)")
    document = read_notes_json(args.melody)
    index = args.track or 0
    if index >= len(document.parts) or not len(document.parts[index]):
        raise HarmonizeError(f"{args.melody}: no notes in part {index} (it has {len(document.parts)} parts)")
    melody = document.parts[index].copy()
    melody["instrument"] = 0
    return melody, document.end_beats


def _cut_at(notes, end: float | None):
    """A voice's notes up to ``end`` beats: later ones left out, one sounding there cut."""
    import numpy as np

    if end is None:
        return notes
    kept = notes[notes["onset"] < end - 1e-9].copy()
    kept["duration"] = np.minimum(kept["duration"], end - kept["onset"])
    return kept


def run(args: argparse.Namespace) -> int:
    import time

    from ..generation import Generator
    from ..harmonize import HarmonizeError, harmonize, snap_to_grid
    from ..live.grid import grid_step
    from ..live.settings import LiveSettings, SettingError
    from ..midi_out import write_midi
    from ..notation import written_values
    from ..notes_json import write_json
    from ..runtime import single_threaded_blas
    from ..voice_leading import count_voice_leading, instrument_order

    started = time.perf_counter()
    step = grid_step(args.grid)
    if args.notation and (step is None or args.grid.endswith("t")):
        raise CommandError(f"--notation writes plain and dotted values: it needs a straight --grid (1/4, 1/8, "
                           f"1/16, 1/32), not {args.grid}")
    single_threaded_blas()
    generator = Generator.from_file(args.model)
    config = generator.config
    tempo = args.tempo_bpm or first_tempo(args.melody) or 120.0
    settings = LiveSettings()
    try:
        temperature = args.temperature if args.temperature is not None else (
            config.live_temperature if config.live_temperature is not None else 1.0)
        for name, value in (("temperature", temperature), ("top_p", args.top_p), ("pitch_min", args.pitch_min),
                            ("pitch_max", args.pitch_max), ("max_leap", args.max_leap), ("key", args.key),
                            ("voice_leading", args.voice_leading), ("tempo_bpm", min(max(tempo, 20.0), 400.0))):
            settings.set(name, value)
        if args.scale:
            settings.set("scale", *args.scale)
    except SettingError as error:
        raise CommandError(str(error)) from None
    try:
        melody, end = _read_melody(args)
        harmony = harmonize(generator, melody, settings, args.voice, args.candidates, args.seed, args.beam)
    except HarmonizeError as error:
        raise CommandError(str(error)) from None
    for instrument in harmony.parts:
        if instrument != args.voice:
            voice = snap_to_grid(harmony.parts[instrument], step) if step is not None else harmony.parts[instrument]
            voice = _cut_at(voice, end)
            harmony.parts[instrument] = written_values(voice, step) if args.notation and step else voice
    names = [("melody" if i == args.voice else f"voice {i}") for i in range(config.num_instruments)]
    parts = []
    for instrument, notes in sorted(harmony.parts.items()):
        track = notes.copy()
        track["instrument"] = 0  # one track each
        parts.append((names[instrument], track))
    write_midi(parts, args.out, tempo_bpm=tempo)
    if args.json is not None:
        write_json({"model": str(args.model), "tempo_bpm": tempo, "grid": args.grid, "seed": args.seed,
                    **harmony.as_json(names)}, args.json)
    order = instrument_order(config.num_instruments, config.instrument_ranges)
    count = count_voice_leading([harmony.parts[i] for i in order], 0.03 * tempo / 60.0)  # 30 ms: one chord
    voices = sum(len(notes) for i, notes in harmony.parts.items() if i != args.voice)
    seconds = time.perf_counter() - started
    report = (f"wrote {args.out}: {len(melody)} melody notes and {voices} notes in {config.num_instruments - 1} "
              f"voices ({args.candidates} candidates a stretch, seed {args.seed}, {seconds:.2f} s); "
              f"parallels {count.parallels}, crossed {count.crossed}, spaced {count.spaced} and unisons "
              f"{count.unisons} of {count.chords} chords")
    print(report, file=sys.stderr if args.json == "-" else sys.stdout)
    return 0
