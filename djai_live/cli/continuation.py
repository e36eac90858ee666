"""``djai-live continue``: the bars (or notes) after a piece, in its meter, on a grid a score writes (live path:
no TensorFlow)."""
from __future__ import annotations

import argparse
import sys

from ..live.grid import GRIDS
from .harmonize import first_tempo, json_target
from .options import (CommandError, HelpFormatter, add_model_flag, existing_file, integer, non_negative,
                      output_file, positive_int_up_to, probability)

MAX_BARS = 256
MAX_NOTES = 4096
STRAIGHT_GRIDS = tuple(grid for grid in GRIDS if grid != "none" and not grid.endswith("t"))


def add_parser(commands, parents: list[argparse.ArgumentParser]) -> None:
    continuing = commands.add_parser("continue", parents=parents, formatter_class=HelpFormatter,
                                     help="continue a piece for N bars or N notes, on a grid, in its meter",
                                     description="Continue IN (MIDI, or JSON of notes as harmonize --json "
                                     "writes) from the first barline after it, in its meter, every onset and "
                                     "duration a whole number of grid steps; a model of several instruments "
                                     "continues every instrument.")
    continuing.add_argument("piece", type=existing_file, metavar="IN",
                            help="MIDI file, or .json of notes (parts of onset_beats and duration_beats)")
    continuing.add_argument("-o", "--out", type=output_file, required=True,
                            help="MIDI file to write: each instrument's music given, then its continuation")
    continuing.add_argument("--json", type=json_target, default=None, metavar="PATH",
                            help="also write the continuation as JSON (onsets and durations in beats); - for stdout")
    add_model_flag(continuing)
    length = continuing.add_mutually_exclusive_group()
    length.add_argument("--bars", type=positive_int_up_to(MAX_BARS), default=None,
                        help="bars to continue (default 4)")
    length.add_argument("--notes", type=positive_int_up_to(MAX_NOTES), default=None,
                        help="instead: notes to continue, all instruments")
    continuing.add_argument("--grid", choices=tuple(g for g in GRIDS if g != "none"), default="1/16",
                            help="every onset and duration a whole number of these steps")
    continuing.add_argument("--notation", action="store_true",
                            help="each duration one note value (plain, dotted, double-dotted): others are split "
                            "into values, re-struck (what a score plugin writes without ties inside a bar)")
    continuing.add_argument("--track", type=_track, default=None,
                            help="a MIDI IN's track index, or 'all' (default: 0 for one-instrument models, else all)")
    continuing.add_argument("--temperature", type=non_negative, default=None,
                            help="sampling temperature (default: the model's live_temperature, else 1.0)")
    continuing.add_argument("--top-p", type=probability, default=0.95)
    continuing.add_argument("--seed", type=integer, default=0, help="same seed, same continuation")
    continuing.set_defaults(run=run)


def _track(text: str) -> str:
    if text == "all" or (text.isdigit() and int(text) < 1000):
        return text
    raise argparse.ArgumentTypeError(f"expected a track index (0, 1, ...) or 'all', got {text!r}")


def _given_music(args: argparse.Namespace, num_instruments: int):
    """The notes of IN, its meter, tempo and end (None where IN does not say), and names for its instruments."""
    import numpy as np

    from ..notation import midi_time_signature
    from ..notes import sort_notes
    from ..notes_json import is_json_input, read_notes_json
    from .generate import prompt_notes

    if is_json_input(args.piece):
        if args.track is not None:
            raise CommandError("--track is for a MIDI IN; a JSON IN gives its instruments in each part")
        document = read_notes_json(args.piece)
        notes = sort_notes(np.concatenate(document.parts))
        notes["instrument"] = np.minimum(notes["instrument"], num_instruments - 1)
        return notes, document.time_signature, document.tempo_bpm, document.end_beats, "all parts"
    notes, which = prompt_notes(args.piece, args.track, num_instruments, False)
    return notes, midi_time_signature(args.piece), first_tempo(args.piece), None, which


def run(args: argparse.Namespace) -> int:
    import time

    import numpy as np

    from ..continuation import continue_piece
    from ..generation import Generator
    from ..live.grid import grid_step
    from ..midi_out import write_midi
    from ..notation import DEFAULT_TIME_SIGNATURE, bar_beats, written_values
    from ..notes_json import notes_as_json, write_json
    from ..runtime import single_threaded_blas
    from ..sampling import SamplingSettings

    started = time.perf_counter()
    step = grid_step(args.grid)
    assert step is not None  # "none" is not among the choices
    if args.notation and args.grid not in STRAIGHT_GRIDS:
        raise CommandError(f"--notation writes plain and dotted values: it needs a straight grid "
                           f"({', '.join(STRAIGHT_GRIDS)}), not {args.grid}")
    single_threaded_blas()
    generator = Generator.from_file(args.model)
    config = generator.config
    notes, meter, tempo, given_end, which = _given_music(args, config.num_instruments)
    meter = meter or DEFAULT_TIME_SIGNATURE
    bar = bar_beats(meter)
    if abs(bar / step - round(bar / step)) > 1e-6:
        raise CommandError(f"a bar of {meter[0]}/{meter[1]} is not a whole number of {args.grid} steps: "
                           "choose a finer --grid")
    tempo = tempo or 120.0
    temperature = args.temperature if args.temperature is not None else (
        config.live_temperature if config.live_temperature is not None else 1.0)
    settings = SamplingSettings(temperature, args.top_p)
    bars = args.bars if args.bars is not None or args.notes is not None else 4
    continuation = continue_piece(generator, notes, meter, step, bars=bars, notes=args.notes, settings=settings,
                                  seed=args.seed, given_end=given_end)
    if args.notation:
        continuation.parts = {i: written_values(part, step) for i, part in continuation.parts.items()}
    names = [f"instrument {i}" for i in range(config.num_instruments)]
    tracks = []
    for instrument, part in sorted(continuation.parts.items()):
        given = notes[notes["instrument"] == instrument]
        if len(given) or len(part):
            track = np.concatenate([given, part])
            track["instrument"] = 0  # one track each
            tracks.append((names[instrument], track))
    write_midi(tracks, args.out, tempo_bpm=tempo, time_signature=meter)
    if args.json is not None:
        write_json({"model": str(args.model), "tempo_bpm": tempo, "grid": args.grid, "seed": args.seed,
                    "time_signature": list(meter), "start_beats": continuation.start_beats,
                    "end_beats": continuation.end_beats,
                    "parts": [{"instrument": i, "name": names[i], "melody": False, "notes": notes_as_json(part)}
                              for i, part in sorted(continuation.parts.items())]}, args.json)
    seconds = time.perf_counter() - started
    length = f"{args.notes} notes" if args.notes is not None else f"{bars} bar{'s' if bars != 1 else ''}"
    print(f"wrote {args.out}: {continuation.note_count} notes continuing {args.piece} ({which}) for {length} of "
          f"{meter[0]}/{meter[1]} from beat {continuation.start_beats:g} on a {args.grid} grid (seed {args.seed}, "
          f"{seconds:.2f} s)", file=sys.stderr if args.json == "-" else sys.stdout)
    return 0
