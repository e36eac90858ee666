"""``djai-live generate``: continue a MIDI prompt with a model (live path: no TensorFlow)."""
from __future__ import annotations

import argparse
from pathlib import Path

from .options import (CommandError, HelpFormatter, add_model_flag, add_transposition_flag, existing_file, integer,
                      non_negative, non_negative_int, output_file, pitch, positive_int, probability)


def add_parser(commands, parents: list[argparse.ArgumentParser]) -> None:
    generate = commands.add_parser("generate", parents=parents, formatter_class=HelpFormatter,
                                   help="continue a MIDI prompt with a model")
    add_model_flag(generate)
    generate.add_argument("--prompt", type=existing_file, required=True,
                          help="MIDI file whose last notes are continued")
    generate.add_argument("--track", type=_track, default=None,
                          help="prompt track index, or 'all' (default: 0 for one-instrument models, else all)")
    generate.add_argument("--length", type=positive_int, default=None,
                          help="notes to generate (default: the model's sequence_length_o)")
    generate.add_argument("--temperature", type=non_negative, default=1.0)
    generate.add_argument("--top-p", type=probability, default=0.95)
    generate.add_argument("--pitch-min", type=pitch, default=0)
    generate.add_argument("--pitch-max", type=pitch, default=127)
    generate.add_argument("--scale", nargs="+", default=None, metavar=("NAME", "ROOT"),
                          help="keep pitches in a scale: NAME [ROOT] (major, minor, dorian, ..., chromatic), "
                          "or 'custom' and pitch classes 0-11")
    generate.add_argument("--max-leap", type=non_negative_int, default=0,
                          help="largest interval between notes, semitones (0: no limit)")
    add_transposition_flag(generate, None, "default: as the model file says")
    generate.add_argument("--seed", type=integer, default=None, help="same seed, same output")
    generate.add_argument("--out", type=output_file, required=True, help="MIDI file to write")
    generate.add_argument("--plot", type=output_file, default=None,
                          help="also write a piano roll (PNG, or .pdf/.svg by the name's suffix)")
    generate.add_argument("--wav", type=output_file, default=None, help="also render audio with FluidSynth")
    generate.add_argument("--soundfont", type=existing_file, default=None,
                          help="SF2 for --wav (default: pretty_midi's GM)")
    generate.set_defaults(run=run)


def _track(text: str) -> str:
    if text == "all" or (text.isdigit() and int(text) < 1000):
        return text
    raise argparse.ArgumentTypeError(f"expected a track index (0, 1, ...) or 'all', got {text!r}")


def prompt_notes(prompt: Path, track: str | None, num_instruments: int, include_drums: bool):
    """The notes of ``track`` (an index, or 'all'; None: 0 for one instrument, else all) and words for which."""
    from ..corpus import read_midi_notes

    piece = read_midi_notes(prompt, include_drums)
    if track is None:
        track = "all" if num_instruments > 1 else "0"
    if track == "all":
        return piece.merged_notes(num_instruments), "all tracks"
    index = int(track)
    if index >= len(piece.tracks):
        raise CommandError(f"{prompt}: no track {track!r}; it has tracks 0-{len(piece.tracks) - 1} "
                           "(non-drum, with notes) or use --track all")
    return piece.tracks[index].notes, f"track {index}"


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..generation import Generator, check_prompt_length
    from ..midi_out import find_fluidsynth, plot_piano_roll, render_wav, write_midi
    from ..runtime import single_threaded_blas
    from ..sampling import SamplingSettings
    from ..scales import parse_scale

    if args.pitch_min > args.pitch_max:
        raise CommandError(f"--pitch-min {args.pitch_min} is above --pitch-max {args.pitch_max}")
    try:
        scale = parse_scale(args.scale) if args.scale else None
        settings = SamplingSettings(args.temperature, args.top_p, args.pitch_min, args.pitch_max, scale,
                                    args.max_leap)
    except ValueError as error:
        raise CommandError(str(error)) from None
    if args.wav:
        find_fluidsynth()  # before any file is written
    single_threaded_blas()
    generator = Generator.from_file(args.model, args.average_transpositions)
    config = generator.config
    notes, which = prompt_notes(args.prompt, args.track, config.num_instruments, config.include_drums)
    check_prompt_length(len(notes), config, f"{args.prompt} ({which})")
    length = args.length or config.sequence_length_o
    seed = args.seed if args.seed is not None else int(np.random.default_rng().integers(2**31))
    context = notes[-config.sequence_length_i:]
    continuation = generator.continue_notes(notes, length, seed=seed, settings=settings)
    parts = [("prompt", context), ("djai_live", continuation)]
    write_midi(parts, args.out, tempo_bpm=config.tempo_bpm)
    print(f"wrote {args.out}: {len(continuation)} notes continuing the last {len(context)} notes of "
          f"{args.prompt} ({which}), seed {seed}")
    if args.plot:
        written = plot_piano_roll(parts, args.plot, title=f"{args.prompt.name}: prompt and continuation "
                                  f"(seed {seed})")
        print(f"wrote {written}")
    if args.wav:
        render_wav(args.out, args.wav, args.soundfont)
        print(f"wrote {args.wav}")
    return 0
