"""``djai-live train``: train a model on a folder of MIDI files or a prepared corpus (needs the [train] extra)."""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from ..config import FROM_SCRATCH, MODEL_TYPES, DjaiConfig, TrainSettings
from ..finetune import ARCHITECTURE_FLAGS, FINE_TUNE, fine_tune_config
from ..lr_schedules import LR_SCHEDULES, choose_lr_schedule
from .corpus_files import midi_files
from .extras import require_training_stack
from .options import (CommandError, HelpFormatter, existing_dir, existing_file, fraction, integer, loss_weights,
                      output_file, positive, positive_int, semitones, transposition_spread)


# Every flag that sets a DjaiConfig field, by its argparse dest, with the field. The other training flags set
# the TrainSettings field of their own name. Every one defaults to None so that _settings() can tell a flag given
# from one left out: left out, it takes the from-scratch default (DjaiConfig(), FROM_SCRATCH), or with --from the
# base model's value for a config field and FINE_TUNE's for what a fine-tune changes.
ARCHITECTURE = {flag.lstrip("-").replace("-", "_"): field for field, flag in ARCHITECTURE_FLAGS.items() if flag}
CONFIG_FLAGS = {**ARCHITECTURE, **{name: name for name in ("dropout", "batch_size", "learning_rate", "loss_weights",
                                                            "average_transpositions")}}
RUN_FLAGS = tuple(f.name for f in dataclasses.fields(TrainSettings))
BASE_VALUE = "the base model's"


def _config_help(text: str, dest: str) -> str:
    """``text`` with the flag's two defaults: DjaiConfig's from scratch, with --from the base model's or the
    fine-tune's change."""
    field = CONFIG_FLAGS[dest]
    fine_tune = FINE_TUNE.config_changes.get(field, BASE_VALUE)
    return f"{text} (default {getattr(DjaiConfig(), field)}; with --from: {fine_tune})"


def _run_help(text: str, name: str) -> str:
    """``text`` with the run setting's defaults from scratch and with --from."""
    scratch, fine_tune = _shown(getattr(FROM_SCRATCH, name)), _shown(getattr(FINE_TUNE.run, name))
    return f"{text} (default {scratch}; with --from: {fine_tune})"


def _shown(value: object) -> object:
    """A default as the flag would take it: no limit or no groups as "none", groups as rnn,embeddings."""
    if isinstance(value, tuple):
        return ",".join(value) or "none"
    return "none" if value is None else value


def add_parser(commands, parents: list[argparse.ArgumentParser]) -> None:
    train = commands.add_parser("train", parents=parents, formatter_class=HelpFormatter,
                                help="train a model on a folder of MIDI files, from scratch or fine-tuning a "
                                     "trained one with --from (needs the [train] extra)")
    train.add_argument("midi_dir", type=existing_dir,
                       help="folder of .mid/.midi files (searched recursively), or a folder made by `prepare`")
    train.add_argument("-o", "--output", type=output_file, required=True, help="model file to write (.keras)")
    train.add_argument("--from", dest="base", type=base_model, default=None, metavar="MODEL",
                       help="fine-tune: start from this model's weights, encoding and architecture ('default' or "
                            "a .keras file); architecture flags must then match it, training flags apply")
    train.add_argument("--sequence-length-i", type=positive_int, default=None,
                       help=_config_help("notes of context", "sequence_length_i"))
    train.add_argument("--sequence-length-o", type=positive_int, default=None,
                       help=_config_help("notes per answer", "sequence_length_o"))
    train.add_argument("--model-type", choices=MODEL_TYPES, default=None,
                       help=_config_help("network family", "model_type"))
    train.add_argument("--layers", type=positive_int, default=None, help=_config_help("layers", "layers"))
    train.add_argument("--units", type=positive_int, default=None, help=_config_help("units per layer", "units"))
    train.add_argument("--dropout", type=fraction, default=None, help=_config_help("dropout", "dropout"))
    train.add_argument("--heads", type=positive_int, default=None,
                       help=_config_help("attention heads (transformer)", "heads"))
    train.add_argument("--batch-size", type=positive_int, default=None,
                       help=_config_help("windows per batch", "batch_size"))
    train.add_argument("--learning-rate", type=positive, default=None,
                       help=_config_help("Adam's learning rate", "learning_rate"))
    train.add_argument("--epochs", type=positive_int, default=None, help=_run_help("most epochs", "epochs"))
    train.add_argument("--max-minutes", type=positive, default=None, metavar="M",
                       help=_run_help("stop M minutes after starting, reading included, at the end of a batch; the "
                                      "best model so far is kept", "max_minutes"))
    train.add_argument("--instruments", type=positive_int, default=None,
                       help=_config_help("instrument slots (tracks beyond the last share it); 1 learns each track "
                                         "alone", "instruments"))
    train.add_argument("--shuffle-chords", action="store_true",
                       help="notes that start together come in a random order in every window, so any instrument "
                            "may come first (for serve --mode accompany)")
    train.add_argument("--loss-weights", type=loss_weights, default=None,
                       help="per-head loss weights, e.g. 'pitch=1,dt=0.5,duration=0.5,velocity=0.2' "
                            "(default: all 1; with --from: the base model's)")
    train.add_argument("--validation-split", type=fraction, default=None,
                       help=_run_help("fraction of files held out (at least one file when there are two or more)",
                                      "validation_split"))
    train.add_argument("--patience", type=positive_int, default=None,
                       help=_run_help("early-stopping patience in epochs", "patience"))
    train.add_argument("--lr-schedule", choices=LR_SCHEDULES, default=None,
                       help=_run_help("learning rate over the run: constant; plateau (halve it after --lr-patience "
                                      "epochs without a better validation loss); cosine (a 10-batch warm-up, then "
                                      "down to 2%% along a half cosine that ends with the run: at --max-minutes or "
                                      "after --epochs); plateau when only --lr-patience is given", "lr_schedule"))
    train.add_argument("--lr-patience", type=positive_int, default=None, metavar="EPOCHS",
                       help="plateau schedule: halve the learning rate after EPOCHS epochs without a better "
                            "validation loss (default 2; gives --lr-schedule plateau when that is left out)")
    train.add_argument("--transpose", type=semitones, default=None, metavar="SEMITONES",
                       help=_run_help("augment by random transposition up to +-SEMITONES (0: off)", "transpose"))
    train.add_argument("--freeze", type=freeze_groups, default=None, metavar="PARTS",
                       help=_run_help("keep these layers' weights fixed: rnn (the recurrent or attention body), "
                                      "embeddings, both as rnn,embeddings, or none", "freeze"))
    train.add_argument("--average-transpositions", type=transposition_spread, metavar="N", default=None,
                       help=_config_help("average each prediction over the context transposed by -N..+N semitones "
                                         "(2N+1 model steps per note; 0: the model alone); stored in the model file "
                                         "for generate and evaluate", "average_transpositions"))
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


def _settings(args: argparse.Namespace, include_drums: bool) -> tuple[DjaiConfig, TrainSettings]:
    """The DjaiConfig and the run settings: flags given, else the base's and the fine-tuning defaults with
    --from, else the from-scratch defaults.

    Raises:
        CommandError: an architecture flag that differs from the base model's, or a value out of range.
    """
    given = {name: value for name, value in vars(args).items() if value is not None}
    config_given = {field: given[dest] for dest, field in CONFIG_FLAGS.items() if dest in given}
    try:
        if args.base is not None:
            config = fine_tune_config(args.base, include_drums=include_drums,
                                      **{**FINE_TUNE.config_changes, **config_given})
            run_defaults = FINE_TUNE.run
        else:
            config = DjaiConfig(include_drums=include_drums, **config_given)
            run_defaults = FROM_SCRATCH
    except ValueError as error:  # FineTuneConflict among them
        raise CommandError(str(error)) from None
    try:
        schedule = choose_lr_schedule(given.get("lr_schedule"), given.get("lr_patience"), run_defaults.lr_schedule)
    except ValueError as error:
        raise CommandError(f"{error} (--lr-patience goes with --lr-schedule plateau)") from None
    run_given = {name: given[name] for name in RUN_FLAGS if name in given}
    return config, run_defaults.replace(**{**run_given, "lr_schedule": schedule})


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
              ", ".join(f"{name}={value}" for name, value in settings.to_dict().items()))
    from ..tensorflow_import import import_tensorflow_quietly

    import_tensorflow_quietly()  # after the checks above, so that a refused flag is refused at once
    from ..distribute import DistributeError, split_cpu

    try:
        split_cpu(args.cpu_devices)  # before anything starts TensorFlow's runtime
        from ..training import train

        cache_dir = None if args.no_cache else (args.cache_dir or "default")
        jit: bool | str = "auto" if args.jit == "auto" else args.jit == "on"
        init_from = resolve_model_path(args.base) if args.base is not None else None
        result = train(files, config, args.output, resume=args.resume, seed=args.seed, cache_dir=cache_dir,
                       prepared=prepared, distribute=args.distribute, jit_compile=jit, init_from=init_from,
                       shuffle_chords=args.shuffle_chords, **settings.to_dict())
    except (DistributeError, PreparedCorpusError) as error:
        raise CommandError(str(error)) from None
    if result.interrupted:
        print(f"interrupted after {result.epochs_run} epoch(s); best model so far: {result.path}")
        return 130
    if result.out_of_time:
        print(f"stopped at the time limit (--max-minutes {settings.max_minutes:g})")
    print(f"wrote {result.path} ({result.epochs_run} epochs); curve: "
          f"{result.path.with_name(result.path.stem + '.training.png')}")
    return 0
