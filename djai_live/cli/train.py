"""``djai-live train``: train a model on a folder of MIDI files or a prepared corpus (needs the [train] extra)."""
from __future__ import annotations

import argparse
from pathlib import Path

from .corpus_files import midi_files
from .extras import require_training_stack
from .options import (CommandError, HelpFormatter, add_transposition_flag, existing_dir, fraction, integer,
                      loss_weights, output_file, positive, positive_int, semitones)


def add_parser(commands, parents: list[argparse.ArgumentParser]) -> None:
    train = commands.add_parser("train", parents=parents, formatter_class=HelpFormatter,
                                help="train a model on a folder of MIDI files (needs the [train] extra)")
    train.add_argument("midi_dir", type=existing_dir,
                       help="folder of .mid/.midi files (searched recursively), or a folder made by `prepare`")
    train.add_argument("-o", "--output", type=output_file, required=True, help="model file to write (.keras)")
    train.add_argument("--sequence-length-i", type=positive_int, default=64, help="notes of context")
    train.add_argument("--sequence-length-o", type=positive_int, default=10, help="notes per answer")
    train.add_argument("--model-type", choices=("gru", "lstm", "transformer"), default="gru")
    train.add_argument("--layers", type=positive_int, default=2)
    train.add_argument("--units", type=positive_int, default=192)
    train.add_argument("--dropout", type=fraction, default=0.2)
    train.add_argument("--heads", type=positive_int, default=4, help="attention heads (transformer)")
    train.add_argument("--batch-size", type=positive_int, default=128)
    train.add_argument("--learning-rate", type=positive, default=0.003)
    train.add_argument("--epochs", type=positive_int, default=50)
    train.add_argument("--instruments", type=positive_int, default=1,
                       help="instrument slots (tracks beyond the last share it); 1 learns each track alone")
    train.add_argument("--loss-weights", type=loss_weights, default=None,
                       help="per-head loss weights, e.g. 'pitch=1,dt=0.5,duration=0.5,velocity=0.2'")
    train.add_argument("--validation-split", type=fraction, default=0.1, help="fraction of files held out")
    train.add_argument("--patience", type=positive_int, default=5, help="early-stopping patience in epochs")
    train.add_argument("--lr-patience", type=positive_int, default=None, metavar="EPOCHS",
                       help="halve the learning rate after EPOCHS epochs without a better validation loss "
                            "(default: a constant rate)")
    train.add_argument("--transpose", type=semitones, default=0, metavar="SEMITONES",
                       help="augment by random transposition up to +-SEMITONES (0: off)")
    add_transposition_flag(train, 0, "stored in the model file for generate and evaluate")
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


def run(args: argparse.Namespace) -> int:
    require_training_stack("train")
    from ..tensorflow_import import import_tensorflow_quietly

    import_tensorflow_quietly()
    from ..config import DjaiConfig
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
    try:
        config = DjaiConfig(sequence_length_i=args.sequence_length_i, sequence_length_o=args.sequence_length_o,
                            num_instruments=args.instruments, model_type=args.model_type, n_layers=args.layers,
                            n_units=args.units, dropout=args.dropout, n_heads=args.heads,
                            batch_size=args.batch_size, learning_rate=args.learning_rate,
                            loss_weights=args.loss_weights, include_drums=include_drums,
                            average_transpositions=args.average_transpositions)
    except ValueError as error:
        raise CommandError(str(error)) from None
    from ..distribute import DistributeError, split_cpu

    try:
        split_cpu(args.cpu_devices)  # before anything starts TensorFlow's runtime
        from ..training import train

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
