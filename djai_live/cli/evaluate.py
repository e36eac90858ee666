"""``djai-live evaluate``: score next-note predictions on a folder of MIDI files (needs the [train] extra)."""
from __future__ import annotations

import argparse
import json
import logging
import sys

from .corpus_files import midi_files
from .extras import require_training_stack
from .options import (CommandError, HelpFormatter, add_model_flag, add_transposition_flag, existing_dir,
                      existing_file, markov_orders, positive_int)

log = logging.getLogger("djai_live")
DEFAULT_MARKOV_ORDERS = [2, 3, 4]


def add_parser(commands, parents: list[argparse.ArgumentParser]) -> None:
    evaluate = commands.add_parser("evaluate", parents=parents, formatter_class=HelpFormatter,
                                   help="score next-note predictions on a folder of MIDI files "
                                   "(needs the [train] extra)")
    evaluate.add_argument("midi_dir", type=existing_dir)
    add_model_flag(evaluate)
    add_transposition_flag(evaluate, None, "default: as the model file says")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    evaluate.add_argument("--baseline-from", type=existing_dir, default=None, metavar="TRAIN_DIR",
                          help="also fit Markov pitch models on this folder and score them side by side")
    evaluate.add_argument("--markov-orders", type=markov_orders, default=None, metavar="ORDERS",
                          help="orders of the Markov baselines of --baseline-from (default 2,3,4)")
    evaluate.add_argument("--max-files", type=positive_int, default=None)
    evaluate.add_argument("--files-from", type=existing_file, default=None,
                          help="only the files listed (one path per line, relative to MIDI_DIR)")
    evaluate.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.markov_orders is not None and args.baseline_from is None:
        raise CommandError("--markov-orders sets the baselines of --baseline-from TRAIN_DIR; give both")
    require_training_stack("evaluate")
    from ..tensorflow_import import import_tensorflow_quietly

    import_tensorflow_quietly()
    from ..corpus import load_corpus
    from ..evaluation import evaluate_model, fit_markov
    from ..model import load_model

    model, config = load_model(args.model)
    if args.average_transpositions is not None:
        config = config.replace(average_transpositions=args.average_transpositions)
    files = midi_files(args.midi_dir, args.max_files, args.files_from)
    corpus = load_corpus(files, include_drums=config.include_drums, progress=sys.stderr.isatty())
    corpus.report_skipped(log)
    if not corpus.pieces:
        raise CommandError(f"no readable MIDI file in {args.midi_dir}")
    markov = None
    if args.baseline_from is not None:
        training = load_corpus(midi_files(args.baseline_from, None), include_drums=config.include_drums)
        training.report_skipped(log)
        if not training.pieces:
            raise CommandError(f"no readable MIDI file in {args.baseline_from}")
        markov = fit_markov(training, args.markov_orders or DEFAULT_MARKOV_ORDERS)
    result = evaluate_model(model, config, corpus, markov).as_dict()
    result["model"] = str(args.model)
    result["average_transpositions"] = config.average_transpositions
    print(f"{result['notes']} notes scored in {result['files']} files ({result['skipped_files']} skipped)"
          + (f"; predictions averaged over transpositions -{config.average_transpositions}.."
             f"+{config.average_transpositions}" if config.average_transpositions else ""))
    print(f"{'predictor':<12} {'head':<9} {'accuracy':>9} {'NLL (nats)':>11}")
    for head in ("pitch", "dt", "duration", "velocity"):
        print(f"{'model':<12} {head:<9} {result[head + '_accuracy']:>9.4f} {result[head + '_nll']:>11.4f}")
    if "instrument_accuracy" in result:
        print(f"{'model':<12} {'instrument':<9} {result['instrument_accuracy']:>9.4f} "
              f"{result['instrument_nll']:>11.4f}")
        for instrument, scores in result["per_instrument"].items():
            if scores["notes"]:
                print(f"{'instrument ' + instrument:<12} {'pitch':<9} {scores['pitch_accuracy']:>9.4f} "
                      f"{scores['pitch_nll']:>11.4f}  ({scores['notes']} notes)")
    for key in sorted(k for k in result if k.startswith("markov") and k.endswith("_accuracy")):
        order = key.split("_")[0]
        print(f"{order:<12} {'pitch':<9} {result[key]:>9.4f} {result[order + '_pitch_nll']:>11.4f}")
    if args.json:
        print(json.dumps(result))
    return 0
