"""``djai-live train``: train a model on a folder of MIDI files or a prepared corpus (needs the [train] extra)."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..lr_schedules import LR_SCHEDULES, choose_lr_schedule
from .corpus_files import midi_files
from .extras import require_training_stack
from .options import (CommandError, HelpFormatter, existing_dir, existing_file, fraction, integer, loss_weights,
                      output_file, positive, positive_int, semitones, transposition_spread)


# Defaults when training from scratch. Every flag defaults to None so that run() can tell a flag given from one
# left out: with --from, left-out architecture flags take the base model's values and left-out training flags
# the fine-tuning defaults (djai_live.finetune.FINE_TUNE); given architecture flags must match the base.
SCRATCH = dict(sequence_length_i=64, sequence_length_o=10, model_type="gru", layers=2, units=192, dropout=0.2,
               heads=4, batch_size=128, learning_rate=0.003, epochs=50, instruments=1, validation_split=0.1,
               patience=5, lr_schedule="constant", lr_patience=None, transpose=0, average_transpositions=0,
               max_minutes=None, freeze=None)
# Flags that name a model's architecture or encoding (config field for each), fixed by --from.
ARCHITECTURE = {"sequence_length_i": "sequence_length_i", "sequence_length_o": "sequence_length_o",
                "model_type": "model_type", "layers": "n_layers", "units": "n_units", "heads": "n_heads",
                "instruments": "num_instruments"}
FINE_TUNING_NOTE = "; with --from: "


def _help(text: str, scratch, fine_tune: str) -> str:
    return f"{text} (default {scratch}{FINE_TUNING_NOTE}{fine_tune})"


def add_parser(commands, parents: list[argparse.ArgumentParser]) -> None:
    from ..finetune import FINE_TUNE

    train = commands.add_parser("train", parents=parents, formatter_class=HelpFormatter,
                                help="train a model on a folder of MIDI files, from scratch or fine-tuning a "
                                     "trained one with --from (needs the [train] extra)")
    train.add_argument("midi_dir", type=existing_dir,
                       help="folder of .mid/.midi files (searched recursively), or a folder made by `prepare`")
    train.add_argument("-o", "--output", type=output_file, required=True, help="model file to write (.keras)")
    train.add_argument("--from", dest="base", type=base_model, default=None, metavar="MODEL",
                       help="fine-tune: start from this model's weights, encoding and architecture ('default' or "
                            "a .keras file); architecture flags must then match it, training flags apply")
    base = "the base model's"
    train.add_argument("--sequence-length-i", type=positive_int, default=None,
                       help=_help("notes of context", SCRATCH["sequence_length_i"], base))
    train.add_argument("--sequence-length-o", type=positive_int, default=None,
                       help=_help("notes per answer", SCRATCH["sequence_length_o"], base))
    train.add_argument("--model-type", choices=("gru", "lstm", "transformer"), default=None,
                       help=_help("network family", SCRATCH["model_type"], base))
    train.add_argument("--layers", type=positive_int, default=None, help=_help("layers", SCRATCH["layers"], base))
    train.add_argument("--units", type=positive_int, default=None,
                       help=_help("units per layer", SCRATCH["units"], base))
    train.add_argument("--dropout", type=fraction, default=None, help=_help("dropout", SCRATCH["dropout"], base))
    train.add_argument("--heads", type=positive_int, default=None,
                       help=_help("attention heads (transformer)", SCRATCH["heads"], base))
    train.add_argument("--batch-size", type=positive_int, default=None,
                       help=_help("windows per batch", SCRATCH["batch_size"], FINE_TUNE.batch_size))
    train.add_argument("--learning-rate", type=positive, default=None,
                       help=_help("Adam's learning rate", SCRATCH["learning_rate"], FINE_TUNE.learning_rate))
    train.add_argument("--epochs", type=positive_int, default=None,
                       help=_help("most epochs", SCRATCH["epochs"], FINE_TUNE.epochs))
    train.add_argument("--max-minutes", type=positive, default=None, metavar="M",
                       help=_help("stop M minutes after starting, reading included, at the end of a batch; the "
                                  "best model so far is kept", "none", FINE_TUNE.max_minutes))
    train.add_argument("--instruments", type=positive_int, default=None,
                       help=_help("instrument slots (tracks beyond the last share it); 1 learns each track alone",
                                  SCRATCH["instruments"], base))
    train.add_argument("--shuffle-chords", action="store_true",
                       help="notes that start together come in a random order in every window, so any instrument "
                            "may come first (for serve --mode accompany)")
    train.add_argument("--loss-weights", type=loss_weights, default=None,
                       help="per-head loss weights, e.g. 'pitch=1,dt=0.5,duration=0.5,velocity=0.2' "
                            "(default: all 1; with --from: the base model's)")
    train.add_argument("--validation-split", type=fraction, default=None,
                       help=_help("fraction of files held out (at least one file when there are two or more)",
                                  SCRATCH["validation_split"], FINE_TUNE.validation_split))
    train.add_argument("--patience", type=positive_int, default=None,
                       help=_help("early-stopping patience in epochs", SCRATCH["patience"], FINE_TUNE.patience))
    train.add_argument("--lr-schedule", choices=LR_SCHEDULES, default=None,
                       help=_help("learning rate over the run: constant; plateau (halve it after --lr-patience "
                                  "epochs without a better validation loss); cosine (a 10-batch warm-up, then down "
                                  "to 2%% along a half cosine that ends with the run: at --max-minutes or after "
                                  "--epochs)", "constant, or plateau with --lr-patience",
                                  f"{FINE_TUNE.lr_schedule}, or plateau with --lr-patience"))
    train.add_argument("--lr-patience", type=positive_int, default=None, metavar="EPOCHS",
                       help="plateau schedule: halve the learning rate after EPOCHS epochs without a better "
                            "validation loss (default 2; gives --lr-schedule plateau when that is left out)")
    train.add_argument("--transpose", type=semitones, default=None, metavar="SEMITONES",
                       help=_help("augment by random transposition up to +-SEMITONES (0: off)",
                                  SCRATCH["transpose"], FINE_TUNE.transpose))
    train.add_argument("--freeze", type=freeze_groups, default=None, metavar="PARTS",
                       help=_help("keep these layers' weights fixed: rnn (the recurrent or attention body), "
                                  "embeddings, both as rnn,embeddings, or none", "none",
                                  ",".join(FINE_TUNE.freeze) or "none"))
    train.add_argument("--average-transpositions", type=transposition_spread, metavar="N", default=None,
                       help=_help("average each prediction over the context transposed by -N..+N semitones "
                                  "(2N+1 model steps per note; 0: the model alone); stored in the model file for "
                                  "generate and evaluate", SCRATCH["average_transpositions"], base))
    train.add_argument("--resume", action="store_true", help="continue an interrupted run from its checkpoint")
    train.add_argument("--seed", type=integer, default=0)
    train.add_argument("--max-files", type=positive_int, default=None)
    train.add_argument("--include-drums", action="store_true")
    train.add_argument("--cache-dir", type=Path, default=None,
                       help="where prepared notes are kept between runs (default ~/.cache/djai_live)")
    train.add_argument("--no-cache", action="store_true", help="prepare into a temporary folder, keep nothing")
    train.add_argument("--distribute", choices=("none", "mirrored", "multi-worker"), default="none",
                       help="tf.distribute: mirrored = every GPU (or logical CPU device) of this machine; "
                       "multi-worker = the cluster in TF_CONFIG")
    train.add_argument("--cpu-devices", type=positive_int, default=1, metavar="N",
                       help="show the CPU as N logical devices, to mirror on a machine without GPUs")
    train.add_argument("--jit", choices=("auto", "on", "off"), default="auto",
                       help="XLA compilation of the training step (auto: Keras' choice, off on CPUs)")
    train.set_defaults(run=run)


def base_model(text: str) -> str:
    """'default' or an existing file; its contents are checked when the command runs (ModelFileError)."""
    if text == "default":
        return text
    existing_file(text)
    return text


def freeze_groups(text: str) -> tuple[str, ...]:
    groups = tuple(part.strip() for part in text.split(",") if part.strip())
    if groups == ("none",):
        return ()
    allowed = ("rnn", "embeddings")
    if not groups or any(group not in allowed for group in groups):
        raise argparse.ArgumentTypeError(f"expected none, rnn, embeddings or rnn,embeddings, got {text!r}")
    return groups


def _settings(args: argparse.Namespace, include_drums: bool):
    """The DjaiConfig and the training settings: flags given, else the base's and fine-tuning defaults with
    --from, else the scratch defaults.

    Raises:
        CommandError: an architecture flag that differs from the base model's.
    """
    from ..config import DjaiConfig
    from ..finetune import FINE_TUNE, FineTuneConflict, fine_tune_config

    given = {name: value for name, value in vars(args).items() if value is not None}
    training = dict(learning_rate=args.learning_rate, dropout=args.dropout, batch_size=args.batch_size,
                    loss_weights=args.loss_weights, average_transpositions=args.average_transpositions)
    if args.base is not None:
        changes = {field: given[flag] for flag, field in ARCHITECTURE.items() if flag in given}
        changes.update({field: value for field, value in training.items() if value is not None})
        changes["learning_rate"] = given.get("learning_rate", FINE_TUNE.learning_rate)
        changes["batch_size"] = given.get("batch_size", FINE_TUNE.batch_size)
        try:
            config = fine_tune_config(args.base, include_drums=include_drums, **changes)
        except FineTuneConflict as error:
            raise CommandError(str(error)) from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        defaults = {"epochs": FINE_TUNE.epochs, "validation_split": FINE_TUNE.validation_split,
                    "patience": FINE_TUNE.patience, "lr_schedule": FINE_TUNE.lr_schedule,
                    "lr_patience": FINE_TUNE.lr_patience,
                    "transpose": FINE_TUNE.transpose, "max_minutes": FINE_TUNE.max_minutes, "freeze": FINE_TUNE.freeze}
    else:
        value = {name: given.get(name, default) for name, default in SCRATCH.items()}
        try:
            config = DjaiConfig(sequence_length_i=value["sequence_length_i"],
                                sequence_length_o=value["sequence_length_o"], num_instruments=value["instruments"],
                                model_type=value["model_type"], n_layers=value["layers"], n_units=value["units"],
                                dropout=value["dropout"], n_heads=value["heads"], batch_size=value["batch_size"],
                                learning_rate=value["learning_rate"], loss_weights=args.loss_weights,
                                include_drums=include_drums, average_transpositions=value["average_transpositions"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        defaults = {name: SCRATCH[name] for name in ("epochs", "validation_split", "patience", "lr_schedule",
                                                     "lr_patience", "transpose", "max_minutes", "freeze")}
    try:
        defaults["lr_schedule"] = choose_lr_schedule(given.get("lr_schedule"), given.get("lr_patience"),
                                                     defaults["lr_schedule"])
    except ValueError as error:
        raise CommandError(f"{error} (--lr-patience goes with --lr-schedule plateau)") from None
    run_settings = {name: given.get(name, default) for name, default in defaults.items()}
    run_settings["freeze"] = tuple(run_settings["freeze"] or ())
    return config, run_settings


def run(args: argparse.Namespace) -> int:
    require_training_stack("train")
    from ..model_files import resolve_model_path
    from ..prepared import PreparedCorpus, PreparedCorpusError

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
        files = midi_files(args.midi_dir, args.max_files)
        if not files:
            raise CommandError(f"no .mid or .midi files in {args.midi_dir}")
        include_drums = args.include_drums
    config, settings = _settings(args, include_drums)
    if args.base is not None:
        from ..finetune import describe_origin

        print(describe_origin(config) + "; training flags: " +
              ", ".join(f"{name}={value}" for name, value in settings.items()))
    from ..tensorflow_import import import_tensorflow_quietly

    import_tensorflow_quietly()  # after the checks above, so that a refused flag is refused at once
    from ..distribute import DistributeError, split_cpu

    try:
        split_cpu(args.cpu_devices)  # before anything starts TensorFlow's runtime
        from ..training import train

        cache_dir = None if args.no_cache else (args.cache_dir or "default")
        jit = {"auto": "auto", "on": True, "off": False}[args.jit]
        init_from = resolve_model_path(args.base) if args.base is not None else None
        result = train(files, config, args.output, resume=args.resume, seed=args.seed, cache_dir=cache_dir,
                       prepared=prepared, distribute=args.distribute, jit_compile=jit, init_from=init_from,
                       shuffle_chords=args.shuffle_chords, **settings)
    except (DistributeError, PreparedCorpusError) as error:
        raise CommandError(str(error)) from None
    if result.interrupted:
        print(f"interrupted after {result.epochs_run} epoch(s); best model so far: {result.path}")
        return 130
    if result.out_of_time:
        print(f"stopped at the time limit (--max-minutes {settings['max_minutes']:g})")
    print(f"wrote {result.path} ({result.epochs_run} epochs); curve: "
          f"{result.path.with_name(result.path.stem + '.training.png')}")
    return 0
