"""The `djai-live` command line: prepare, train, generate, evaluate, serve and ports."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Sequence

log = logging.getLogger("djai_live")


class CommandError(Exception):
    """An error to show the user as one line, without a traceback."""


def _loss_weights(text: str) -> dict[str, float]:
    try:
        if text.lstrip().startswith("{"):
            weights = json.loads(text)
        else:
            weights = {}
            for part in filter(None, (p.strip() for p in text.split(","))):
                name, value = part.split("=")
                weights[name.strip()] = float(value)
        return {str(k): float(v) for k, v in weights.items()}
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"expected NAME=WEIGHT pairs like 'pitch=1,dt=0.5', got {text!r}") from None


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0.0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def _transposition_spread(text: str) -> int:
    from .config import MAX_TRANSPOSITION_SPREAD

    value = int(text)
    if not 0 <= value <= MAX_TRANSPOSITION_SPREAD:
        raise argparse.ArgumentTypeError(f"must be 0-{MAX_TRANSPOSITION_SPREAD} semitones, got {text}")
    return value


def _add_transposition_flag(parser: argparse.ArgumentParser, default: int | None, note: str) -> None:
    parser.add_argument("--average-transpositions", type=_transposition_spread, metavar="N", default=default,
                        help="average each prediction over the context transposed by -N..+N semitones (2N+1 "
                             "model steps per note; 0: the model alone); " + note)


def _pitch(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 127:
        raise argparse.ArgumentTypeError(f"must be a MIDI pitch 0-127, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="djai-live", description="A real-time neural co-improviser.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    prepare = commands.add_parser("prepare", help="extract the notes of a MIDI folder once, into shards to train on",
                                  description="Parse every MIDI file of MIDI_DIR (in parallel) into compact shards "
                                  "with a manifest. Run it again after adding files: only new or changed files "
                                  "are parsed. Then `djai-live train CACHE -o MODEL.keras`.")
    prepare.add_argument("midi_dir", type=Path, help="folder of .mid/.midi files (searched recursively)")
    prepare.add_argument("-o", "--output", type=Path, required=True, metavar="CACHE",
                         help="directory for the shards and manifest (created or updated)")
    prepare.add_argument("--workers", type=_positive_int, default=None, help="parsing processes (default: CPUs)")
    prepare.add_argument("--max-files", type=_positive_int, default=None)
    prepare.add_argument("--include-drums", action="store_true")

    train = commands.add_parser("train", help="train a model on a folder of MIDI files")
    train.add_argument("midi_dir", type=Path,
                       help="folder of .mid/.midi files (searched recursively), or a folder made by `prepare`")
    train.add_argument("-o", "--output", type=Path, required=True, help="model file to write (.keras)")
    train.add_argument("--sequence-length-i", type=_positive_int, default=64, help="notes of context (default 64)")
    train.add_argument("--sequence-length-o", type=_positive_int, default=10, help="notes per answer (default 10)")
    train.add_argument("--model-type", choices=("gru", "lstm", "transformer"), default="gru")
    train.add_argument("--layers", type=_positive_int, default=2)
    train.add_argument("--units", type=_positive_int, default=192)
    train.add_argument("--dropout", type=float, default=0.2)
    train.add_argument("--heads", type=_positive_int, default=4, help="attention heads (transformer)")
    train.add_argument("--batch-size", type=_positive_int, default=128)
    train.add_argument("--learning-rate", type=float, default=0.003)
    train.add_argument("--epochs", type=_positive_int, default=50)
    train.add_argument("--instruments", type=_positive_int, default=1,
                       help="instrument slots (tracks beyond the last share it); 1 learns each track alone")
    train.add_argument("--loss-weights", type=_loss_weights, default=None,
                       help="per-head loss weights, e.g. 'pitch=1,dt=0.5,duration=0.5,velocity=0.2'")
    train.add_argument("--validation-split", type=float, default=0.1, help="fraction of files held out")
    train.add_argument("--patience", type=_positive_int, default=5, help="early-stopping patience in epochs")
    train.add_argument("--lr-patience", type=_positive_int, default=None, metavar="EPOCHS",
                       help="halve the learning rate after EPOCHS epochs without a better validation loss "
                            "(default: a constant rate)")
    train.add_argument("--transpose", type=int, default=0, metavar="SEMITONES",
                       help="augment by random transposition up to +-SEMITONES (0: off)")
    _add_transposition_flag(train, 0, "stored in the model file for generate and evaluate")
    train.add_argument("--resume", action="store_true", help="continue an interrupted run from its checkpoint")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--max-files", type=_positive_int, default=None)
    train.add_argument("--include-drums", action="store_true")
    train.add_argument("--cache-dir", type=Path, default=None,
                       help="where prepared notes are kept between runs (default ~/.cache/djai_live)")
    train.add_argument("--no-cache", action="store_true", help="prepare into a temporary folder, keep nothing")
    train.add_argument("--distribute", choices=("none", "mirrored", "multi-worker"), default="none",
                       help="tf.distribute: mirrored = every GPU (or logical CPU device) of this machine; "
                       "multi-worker = the cluster in TF_CONFIG (default none)")
    train.add_argument("--cpu-devices", type=_positive_int, default=1, metavar="N",
                       help="show the CPU as N logical devices, to mirror on a machine without GPUs")
    train.add_argument("--jit", choices=("auto", "on", "off"), default="auto",
                       help="XLA compilation of the training step (auto: Keras' choice, off on CPUs)")

    generate = commands.add_parser("generate", help="continue a MIDI prompt with a model")
    generate.add_argument("--model", default="default", help="model file, or 'default' for the bundled one")
    generate.add_argument("--prompt", type=Path, required=True, help="MIDI file whose last notes are continued")
    generate.add_argument("--track", default=None,
                          help="prompt track index, or 'all' (default: 0 for one-instrument models, else all)")
    generate.add_argument("--length", type=_positive_int, default=None, help="notes to generate "
                          "(default: the model's sequence_length_o)")
    generate.add_argument("--temperature", type=_non_negative, default=1.0)
    generate.add_argument("--top-p", type=_probability, default=0.95)
    generate.add_argument("--pitch-min", type=_pitch, default=0)
    generate.add_argument("--pitch-max", type=_pitch, default=127)
    generate.add_argument("--scale", nargs="+", default=None, metavar=("NAME", "ROOT"),
                          help="keep pitches in a scale: NAME [ROOT] (major, minor, dorian, ..., chromatic), "
                          "or 'custom' and pitch classes 0-11")
    generate.add_argument("--max-leap", type=int, default=0, help="largest interval between notes, semitones "
                          "(0: no limit)")
    _add_transposition_flag(generate, None, "default: as the model file says")
    generate.add_argument("--seed", type=int, default=None, help="same seed, same output")
    generate.add_argument("--out", type=Path, required=True, help="MIDI file to write")
    generate.add_argument("--plot", type=Path, default=None, help="also write a piano-roll PNG")
    generate.add_argument("--wav", type=Path, default=None, help="also render audio with FluidSynth")
    generate.add_argument("--soundfont", type=Path, default=None, help="SF2 for --wav (default: pretty_midi's GM)")

    evaluate = commands.add_parser("evaluate", help="score next-note predictions on a folder of MIDI files")
    evaluate.add_argument("midi_dir", type=Path)
    evaluate.add_argument("--model", default="default")
    _add_transposition_flag(evaluate, None, "default: as the model file says")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    evaluate.add_argument("--baseline-from", type=Path, default=None, metavar="TRAIN_DIR",
                          help="also fit Markov pitch models on this folder and score them side by side")
    evaluate.add_argument("--markov-orders", default="2,3,4", help="orders of the Markov baselines")
    evaluate.add_argument("--max-files", type=_positive_int, default=None)
    evaluate.add_argument("--files-from", type=Path, default=None,
                          help="only the files listed (one path per line, relative to MIDI_DIR)")
    _add_serve_parser(commands)
    ports = commands.add_parser("ports", help="list MIDI input and output ports")
    ports.add_argument("--midi-api", choices=("alsa", "jack", "coremidi", "windows"), default=None)
    return parser


def _add_serve_parser(commands) -> None:
    from .live.settings import LiveSettings
    from .scales import Scale

    serve = commands.add_parser("serve", help="run the live co-improviser (OSC and/or MIDI)",
                                description="Listen to a performer over OSC and/or MIDI and answer in real time. "
                                "Every /djai/set parameter is also a flag here.")
    serve.add_argument("--model", default="default", help="model file, or 'default' for the bundled one")
    _add_transposition_flag(serve, 0, "default 0 whatever the model file says: on a small CPU each view "
                            "costs answer latency (README)")
    serve.add_argument("--osc-host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; "
                       "anything else exposes the daemon to the network)")
    serve.add_argument("--osc-port", type=int, default=9000)
    serve.add_argument("--reply-host", default="127.0.0.1")
    serve.add_argument("--reply-port", type=int, default=9001)
    serve.add_argument("--no-osc", action="store_true", help="MIDI only")
    serve.add_argument("--midi-in", default=None, help="input port name (or part of it), or 'virtual'")
    serve.add_argument("--midi-out", default=None, help="output port name (or part of it), or 'virtual'")
    serve.add_argument("--midi-api", choices=("alsa", "jack", "coremidi", "windows"), default=None,
                       help="MIDI backend (default: the platform's)")
    serve.add_argument("--seed", type=int, default=None, help="fix the sampling for reproducible sessions")
    serve.add_argument("--prepare-answers", type=_on_off, default=True, metavar="{on,off}",
                       help="draw the next answer while the performer is between notes, so a request finds it "
                       "ready (default on)")
    serve.add_argument("--config", type=Path, default=None, metavar="LIVE.toml",
                       help="read flags from a TOML file: a [serve] table of flag names (flags given here win) "
                       "and [[instrument]] tables (index, in_channels, out_channel)")
    serve.add_argument("--instrument-map", default=None, metavar="CH:INST,...",
                       help="which model instrument each input MIDI channel plays, e.g. 1:0,2:1,10:2")
    serve.add_argument("--output-map", default=None, metavar="INST:CH,...",
                       help="the MIDI channel each generated instrument plays on (default: the channel it is "
                       "heard on, else channel_out)")
    defaults = LiveSettings()
    for name, (kind, low, high) in LiveSettings.RANGES.items():
        flag = "--" + name.replace("_", "-")
        if kind is bool:
            serve.add_argument(flag, type=_on_off, default=None, metavar="{on,off}",
                               help=f"live parameter {name} (default {'on' if getattr(defaults, name) else 'off'})")
        elif isinstance(kind, tuple):
            serve.add_argument(flag, choices=kind, default=None, help=f"live parameter {name} (default "
                               f"{getattr(defaults, name)})")
        elif kind is Scale:
            serve.add_argument(flag, nargs="+", default=None, metavar="WORD",
                               help="live parameter scale: NAME [ROOT] (major C, dorian D, ...), or custom and "
                               "pitch classes 0-11 (default chromatic)")
        else:
            serve.add_argument(flag, type=float if kind is float else int, default=None,
                               help=f"live parameter {name}, {low}-{high} (default {getattr(defaults, name)})")


def _on_off(text: str) -> bool:
    if text.lower() in ("on", "true", "1", "yes"):
        return True
    if text.lower() in ("off", "false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected on or off, got {text!r}")


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else logging.DEBUG if verbose > 1 else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if verbose < 2:  # tf.distribute logs every collective at INFO
        logging.getLogger("tensorflow").setLevel(logging.WARNING)


def _files(midi_dir: Path, max_files: int | None, files_from: Path | None = None) -> list[str]:
    from .corpus import scan_midi_files

    try:
        if files_from is not None:
            names = [line.strip() for line in files_from.read_text().splitlines() if line.strip()]
            return [str(midi_dir / name) for name in names][:max_files]
        return scan_midi_files(midi_dir, max_files)
    except (FileNotFoundError, NotADirectoryError, OSError) as error:
        raise CommandError(str(error)) from None


def run_prepare(args: argparse.Namespace) -> int:
    from .prepared import PreparedCorpus, PreparedCorpusError

    files = [os.path.abspath(path) for path in _files(args.midi_dir, args.max_files)]
    if not files:
        raise CommandError(f"no .mid or .midi files in {args.midi_dir}")
    try:
        store = PreparedCorpus(args.output, include_drums=args.include_drums)
        report = store.update(files, workers=args.workers, progress=sys.stderr.isatty(), prune=True)
    except PreparedCorpusError as error:
        raise CommandError(str(error)) from None
    for path, reason in report.skipped:
        log.warning("skipped %s: %s", path, reason)
    usable = len(store.usable_files)
    notes = sum(entry.note_count for entry in store.files.values())
    print(f"prepared {args.output}: {usable} files, {notes} notes ({report.parsed} parsed now, {report.reused} "
          f"unchanged, {len(report.skipped)} skipped, {report.removed} removed)")
    if not usable:
        raise CommandError(f"none of the {len(files)} files in {args.midi_dir} could be read")
    return 0


def run_train(args: argparse.Namespace) -> int:
    from .config import DjaiConfig
    from .prepared import PreparedCorpus, PreparedCorpusError

    if args.output.suffix != ".keras":
        raise CommandError(f"the model file must end in .keras: {args.output}")
    prepared, files = None, None
    if PreparedCorpus.is_prepared(args.midi_dir):
        try:
            prepared = PreparedCorpus.open_existing(args.midi_dir)
        except PreparedCorpusError as error:
            raise CommandError(str(error)) from None
        files = sorted(prepared.files)[:args.max_files]
        include_drums = prepared.include_drums
    else:
        files = _files(args.midi_dir, args.max_files)
        if not files:
            raise CommandError(f"no .mid or .midi files in {args.midi_dir}")
        include_drums = args.include_drums
    try:
        config = DjaiConfig(sequence_length_i=args.sequence_length_i, sequence_length_o=args.sequence_length_o,
                            num_instruments=args.instruments, model_type=args.model_type, n_layers=args.layers,
                            n_units=args.units, dropout=args.dropout, n_heads=args.heads,
                            batch_size=args.batch_size, learning_rate=args.learning_rate,
                            loss_weights=args.loss_weights, include_drums=include_drums,
                            average_transpositions=args.average_transpositions)
    except ValueError as error:
        raise CommandError(str(error)) from None
    from .distribute import DistributeError, split_cpu

    try:
        split_cpu(args.cpu_devices)  # before anything starts TensorFlow's runtime
        from .training import train

        cache_dir = None if args.no_cache else (args.cache_dir or "default")
        jit = {"auto": "auto", "on": True, "off": False}[args.jit]
        result = train(files, config, args.output, epochs=args.epochs, validation_split=args.validation_split,
                       transpose=args.transpose, patience=args.patience, resume=args.resume, seed=args.seed,
                       cache_dir=cache_dir, prepared=prepared, distribute=args.distribute, jit_compile=jit,
                       lr_patience=args.lr_patience)
    except (DistributeError, PreparedCorpusError) as error:
        raise CommandError(str(error)) from None
    if result.interrupted:
        print(f"interrupted after {result.epochs_run} epoch(s); best model so far: {result.path}")
        return 130
    print(f"wrote {result.path} ({result.epochs_run} epochs); curve: "
          f"{result.path.with_name(result.path.stem + '.training.png')}")
    return 0


def _prompt_notes(prompt: Path, track: str | None, num_instruments: int, include_drums: bool):
    from .corpus import read_midi_notes

    piece = read_midi_notes(prompt, include_drums)
    if track is None:
        track = "all" if num_instruments > 1 else "0"
    if track == "all":
        return piece.merged_notes(num_instruments), "all tracks"
    try:
        index = int(track)
        chosen = piece.tracks[index]
    except (ValueError, IndexError):
        raise CommandError(f"{prompt}: no track {track!r}; it has tracks 0-{len(piece.tracks) - 1} "
                           "(non-drum, with notes) or use --track all") from None
    return chosen.notes, f"track {index}"


def run_generate(args: argparse.Namespace) -> int:
    import numpy as np

    from .generation import Generator
    from .midi_out import plot_piano_roll, render_wav, write_midi
    from .runtime import single_threaded_blas
    from .sampling import SamplingSettings

    from .scales import parse_scale

    try:
        scale = parse_scale(args.scale) if args.scale else None
        settings = SamplingSettings(args.temperature, args.top_p, args.pitch_min, args.pitch_max, scale,
                                    args.max_leap)
    except ValueError as error:
        raise CommandError(str(error)) from None
    single_threaded_blas()
    generator = Generator.from_file(args.model, args.average_transpositions)
    config = generator.config
    notes, which = _prompt_notes(args.prompt, args.track, config.num_instruments, config.include_drums)
    length = args.length or config.sequence_length_o
    seed = args.seed if args.seed is not None else int(np.random.default_rng().integers(2**31))
    context = notes[-config.sequence_length_i:]
    continuation = generator.continue_notes(notes, length, seed=seed, settings=settings)
    parts = [("prompt", context), ("djai_live", continuation)]
    write_midi(parts, args.out, tempo_bpm=config.tempo_bpm)
    print(f"wrote {args.out}: {len(continuation)} notes continuing the last {len(context)} notes of "
          f"{args.prompt} ({which}), seed {seed}")
    if args.plot:
        plot_piano_roll(parts, args.plot, title=f"{args.prompt.name}: prompt and continuation (seed {seed})")
        print(f"wrote {args.plot}")
    if args.wav:
        render_wav(args.out, args.wav, args.soundfont)
        print(f"wrote {args.wav}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from .corpus import load_corpus
    from .evaluation import evaluate_model, fit_markov
    from .model import load_model

    model, config = load_model(args.model)
    if args.average_transpositions is not None:
        config = config.replace(average_transpositions=args.average_transpositions)
    files = _files(args.midi_dir, args.max_files, args.files_from)
    corpus = load_corpus(files, include_drums=config.include_drums, progress=sys.stderr.isatty())
    corpus.report_skipped(log)
    if not corpus.pieces:
        raise CommandError(f"no readable MIDI file in {args.midi_dir}")
    markov = None
    if args.baseline_from is not None:
        try:
            orders = [int(o) for o in args.markov_orders.split(",") if o.strip()]
        except ValueError:
            raise CommandError(f"--markov-orders takes integers like 2,3,4, got {args.markov_orders!r}") from None
        training = load_corpus(_files(args.baseline_from, None), include_drums=config.include_drums)
        training.report_skipped(log)
        if not training.pieces:
            raise CommandError(f"no readable MIDI file in {args.baseline_from}")
        markov = fit_markov(training, orders)
    result = evaluate_model(model, config, corpus, markov).as_dict()
    result["model"] = str(args.model)
    result["average_transpositions"] = config.average_transpositions
    print(f"{result['notes']} notes scored in {result['files']} files ({result['skipped_files']} skipped)"
          + (f"; predictions averaged over transpositions -{config.average_transpositions}.."
             f"+{config.average_transpositions}" if config.average_transpositions else ""))
    print(f"{'predictor':<12} {'head':<9} {'accuracy':>9} {'NLL (nats)':>11}")
    for head in ("pitch", "dt", "duration", "velocity"):
        print(f"{'model':<12} {head:<9} {result[head + '_accuracy']:>9.4f} {result[head + '_nll']:>11.4f}")
    for key in sorted(k for k in result if k.startswith("markov") and k.endswith("_accuracy")):
        order = key.split("_")[0]
        print(f"{order:<12} {'pitch':<9} {result[key]:>9.4f} {result[order + '_pitch_nll']:>11.4f}")
    if args.json:
        print(json.dumps(result))
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from .live.daemon import ServeOptions, serve
    from .live.settings import LiveSettings, SettingError
    from .model_files import read_config, resolve_model_path

    config = read_config(resolve_model_path(args.model))
    settings = LiveSettings(length=config.sequence_length_o)
    try:
        for name in LiveSettings.RANGES:
            value = getattr(args, name)
            if value is not None:
                settings.set(name, *(value if isinstance(value, list) else [value]))
    except SettingError as error:
        raise CommandError(str(error)) from None
    if args.no_osc and not (args.midi_in or args.midi_out):
        raise CommandError("--no-osc needs --midi-in and/or --midi-out, or there is nothing to listen to")
    from .live.instruments import InstrumentMap, InstrumentMapError

    try:
        instruments = InstrumentMap.from_tables(args.instrument_tables or [], str(args.config)) \
            if getattr(args, "instrument_tables", None) else InstrumentMap()
        flags = InstrumentMap.parse(args.instrument_map, args.output_map)
    except InstrumentMapError as error:
        raise CommandError(str(error)) from None
    instruments.inputs.update(flags.inputs)
    instruments.outputs.update(flags.outputs)
    if (instruments.inputs or instruments.outputs) and config.num_instruments < 2:
        log.warning("the model has one instrument: the instrument map and output map are ignored")
    options = ServeOptions(model=args.model, osc=not args.no_osc, osc_host=args.osc_host, osc_port=args.osc_port,
                           reply_host=args.reply_host, reply_port=args.reply_port, midi_in=args.midi_in,
                           midi_out=args.midi_out, midi_api=args.midi_api, seed=args.seed, instruments=instruments,
                           prepare_answers=args.prepare_answers,
                           average_transpositions=args.average_transpositions)
    try:
        return serve(options, settings)
    except OSError as error:
        raise CommandError(str(error)) from None


def run_ports(args: argparse.Namespace) -> int:
    from .live.midi import list_ports

    inputs, outputs = list_ports(args.midi_api)
    print("MIDI inputs:" + ("".join(f"\n  {name}" for name in inputs) or " none"))
    print("MIDI outputs:" + ("".join(f"\n  {name}" for name in outputs) or " none"))
    return 0


COMMANDS = {"prepare": run_prepare, "train": run_train, "generate": run_generate, "evaluate": run_evaluate, "serve": run_serve,
            "ports": run_ports}


def _config_file_args(argv: list[str]) -> tuple[list[str], list | None]:
    """``serve --config FILE``: the file's [serve] table as flags placed before the command line's own
    (so those win), and its [[instrument]] tables.

    Raises:
        CommandError: the file is missing, not TOML, or names an unknown flag.
    """
    if "serve" not in argv or "--config" not in argv:
        return argv, None
    position = argv.index("--config")
    if position + 1 >= len(argv):
        return argv, None  # argparse reports the missing value
    path = Path(argv[position + 1])
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text())
    except OSError as error:
        raise CommandError(f"{path}: cannot read the config file ({error.strerror or error})") from None
    except tomllib.TOMLDecodeError as error:
        raise CommandError(f"{path}: not valid TOML ({error})") from None
    unknown_tables = set(data) - {"serve", "instrument"}
    if unknown_tables:
        raise CommandError(f"{path}: unknown tables {sorted(unknown_tables)}; use [serve] and [[instrument]]")
    serve_parser = next(action for action in build_parser()._subparsers._group_actions[0].choices.values()
                        if action.prog.endswith(" serve"))
    known = {option.lstrip("-").replace("-", "_"): action for action in serve_parser._actions
             for option in action.option_strings if option.startswith("--")}
    flags: list[str] = []
    for key, value in data.get("serve", {}).items():
        action = known.get(key)
        if action is None or key in ("config", "help"):
            raise CommandError(f"{path}: [serve] has no flag {key!r}; see `djai-live serve --help`")
        flag = action.option_strings[-1]
        if action.nargs == 0:
            if value is True:
                flags.append(flag)
        elif isinstance(value, list):
            flags += [flag, *map(str, value)]
        elif isinstance(value, bool):
            flags += [flag, "on" if value else "off"]
        else:
            flags += [flag, str(value)]
    command = argv.index("serve")
    return argv[:command + 1] + flags + argv[command + 1:], data.get("instrument")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        argv, instrument_tables = _config_file_args(argv)
    except CommandError as error:
        print(f"djai-live serve: error: {error}", file=sys.stderr)
        return 1
    args = parser.parse_args(argv)
    args.instrument_tables = instrument_tables
    _configure_logging(args.verbose, args.quiet)
    from .corpus import MidiReadError, NoUsableDataError
    from .generation import PromptTooShortError
    from .live.clock import ClockError
    from .live.midi import MidiPortError
    from .midi_out import FluidSynthMissingError
    from .model_files import ModelFileError

    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("djai-live: interrupted", file=sys.stderr)
        return 130
    except (CommandError, MidiReadError, NoUsableDataError, PromptTooShortError, FluidSynthMissingError,
            MidiPortError, ClockError) as error:
        print(f"djai-live {args.command}: error: {error}", file=sys.stderr)
        return 1
    except ModelFileError as error:
        print(f"djai-live {args.command}: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
