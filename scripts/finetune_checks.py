#!/usr/bin/env python3
"""Three checks on a finished fine-tune, on bench_finetune.py's held-out movements.

Each asks whether something done *after* training lowers the held-out pitch NLL:

- mixing the fine-tune's weights with its base's (WiSE-FT: ``alpha * tuned + (1 - alpha) * base``; 1 is the
  fine-tune, above 1 goes further from the base);
- dividing the pitch logits by a calibration temperature (below 1 sharper, above 1 flatter);
- averaging over more transpositions than the model file says (``average_transpositions``), the base model
  beside it, since both gain from more views.

Make the model with the bench, on its 20 pieces, then check it:

    python3 scripts/bench_finetune.py --corpus ../shared/corpus --sizes 20 --no-scratch --keep-models /tmp/kept
    python3 scripts/finetune_checks.py /tmp/kept/finetuned_20.keras --corpus ../shared/corpus
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_finetune import sample_pieces, size_list


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", type=Path, help="a fine-tuned model (its base is the one its file records)")
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--eval-files", type=int, default=10, help="as bench_finetune.py")
    parser.add_argument("--sizes", type=size_list, default="20,5",
                        help="as bench_finetune.py (it draws the held-out sample after the training pieces)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--alphas", default="0.8,0.9,1,1.1,1.25")
    parser.add_argument("--temperatures", default="0.9,1,1.1,1.2")
    parser.add_argument("--spreads", default="1,2,3", help="transposition spreads to average over")
    args = parser.parse_args()

    from djai_live.tensorflow_import import import_tensorflow_quietly

    import_tensorflow_quietly()
    from djai_live.corpus import load_corpus
    from djai_live.evaluation import evaluate_model
    from djai_live.model import load_model
    from djai_live.model_files import resolve_model_path

    _, evaluation = sample_pieces(args.corpus, max(args.sizes), args.eval_files, args.seed)
    corpus = load_corpus([str(p) for p in evaluation], cache_dir=None)
    tuned, config = load_model(args.model)
    if config.fine_tuned_from is None:
        sys.exit(f"{args.model} was trained from scratch: these checks compare a fine-tune with its base")
    base, base_config = load_model(resolve_model_path(config.fine_tuned_from["model"]))

    def nll(model, model_config) -> str:
        result = evaluate_model(model, model_config, corpus).as_dict()
        return f"accuracy {result['pitch_accuracy']:.3f}  NLL {result['pitch_nll']:.3f}"

    print(f"{len(evaluation)} held-out movements (seed {args.seed}); {args.model}, its own views: "
          f"{nll(tuned, config)}")
    tuned_weights, base_weights = tuned.get_weights(), base.get_weights()
    for alpha in (float(a) for a in args.alphas.split(",")):
        tuned.set_weights([alpha * t + (1 - alpha) * b for b, t in zip(base_weights, tuned_weights)])
        print(f"weights {alpha:g} x fine-tune + {1 - alpha:g} x base: {nll(tuned, config)}")
    tuned.set_weights(tuned_weights)
    head = tuned.get_layer("pitch_logits")
    kernel, bias = head.get_weights()
    for temperature in (float(t) for t in args.temperatures.split(",")):
        head.set_weights([kernel / temperature, bias / temperature])
        print(f"pitch logits / {temperature:g}: {nll(tuned, config)}")
    head.set_weights([kernel, bias])
    for spread in (int(s) for s in args.spreads.split(",")):
        print(f"averaged over -{spread}..+{spread}: "
              f"fine-tune {nll(tuned, config.replace(average_transpositions=spread))}; "
              f"base {nll(base, base_config.replace(average_transpositions=spread))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
