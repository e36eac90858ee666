#!/usr/bin/env python3
"""Fine-tuning on a style the default model never saw: Palestrina masses, split by mass.

For 20 pieces and for 5 pieces of the training masses, side by side on a fixed sample of movements from
held-out masses (pitch accuracy, pitch NLL in nats, wall time of the training command):

- the default model as it is;
- `djai-live train DIR -o ft.keras --from default` (no other flag), timed as a user sees it: a fresh process,
  start-up and reading included, an empty note cache;
- a model trained from scratch on the same pieces given the same wall time (`--max-minutes` = the fine-tune's
  wall time; its start-up comes on top, in its favour): `train`'s architecture defaults (GRU 2x192) with the
  fine-tune's small-folder training settings (batches of 16, rate 0.003, +-6 semitones, lr halved after 2
  stalled epochs), scored with the same transposition averaging (-1..+1) as the others; `train`'s own
  defaults (batches of 128) manage only a few updates in that time;
- each --variant: the fine-tune on the first size with those extra flags (for example "--freeze rnn"), timed
  the same way;
- the fine-tuned model on a sample of the default model's own test files: how much of the old style it keeps.

Every model is scored as its file says (the default model and its fine-tunes average over transpositions
-1..+1, as `evaluate`, `generate` and `serve` do). Run it on a quiet machine, as it measures wall time:

    nice -n 10 python3 scripts/bench_finetune.py --corpus ../shared/corpus

Extra train flags for the fine-tune (to compare settings) go after --finetune-flags, e.g.
``--finetune-flags="--freeze rnn"``.
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HELD_OUT_EVERY = 4  # every 4th mass (by name) is held out
SCRATCH_FLAGS = ["--batch-size", "16", "--learning-rate", "0.003", "--transpose", "6", "--lr-patience", "2",
                 "--patience", "4", "--validation-split", "0.1", "--average-transpositions", "1"]


def split_by_mass(palestrina: Path) -> tuple[list[Path], list[Path]]:
    """(training pool, held-out files): whole masses on either side, none split between them."""
    by_mass: dict[str, list[Path]] = {}
    with open(palestrina / "masses.tsv", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            path = palestrina / row["file"]
            if path.exists():
                by_mass.setdefault(row["mass"], []).append(path)
    masses = sorted(by_mass)
    held = {mass for i, mass in enumerate(masses) if i % HELD_OUT_EVERY == 0}
    pool = sorted(p for mass in masses if mass not in held for p in by_mass[mass])
    held_out = sorted(p for mass in held for p in by_mass[mass])
    print(f"{len(masses)} masses: {len(masses) - len(held)} for training ({len(pool)} files), "
          f"{len(held)} held out ({len(held_out)} files)")
    return pool, held_out


def size_list(text: str) -> list[int]:
    """``--sizes``: training set sizes, comma separated (the largest decides how many pieces are drawn)."""
    return [int(size) for size in text.split(",")]


def sample_pieces(corpus: Path, training: int, evaluation: int, seed: int) -> tuple[list[Path], list[Path]]:
    """(training pieces, held-out movements scored), drawn with ``seed`` from :func:`split_by_mass`."""
    pool, held_out = split_by_mass(corpus / "palestrina")
    rng = random.Random(seed)
    chosen = rng.sample(pool, training)
    return chosen, sorted(rng.sample(held_out, min(evaluation, len(held_out))))


def link_folder(files: list[Path], folder: Path) -> Path:
    folder.mkdir(parents=True)
    for path in files:
        (folder / path.name).symlink_to(path.resolve())
    return folder


def run_train(folder: Path, output: Path, flags: list[str], cache: Path) -> tuple[float, str]:
    """Run `train` in a fresh process with an empty note cache; (wall seconds, last line of its output)."""
    shutil.rmtree(cache, ignore_errors=True)
    env = dict(os.environ, DJAI_LIVE_CACHE=str(cache), TF_CPP_MIN_LOG_LEVEL="2")
    command = [sys.executable, "-m", "djai_live", "-q", "train", str(folder), "-o", str(output), *flags]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{shlex.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    lines = (done.stdout.strip().splitlines() or [""])
    return wall, " | ".join(lines)


def score(model_path: str, files: list[Path]) -> dict:
    from djai_live.corpus import load_corpus
    from djai_live.evaluation import evaluate_model
    from djai_live.model import load_model

    model, config = load_model(model_path)
    corpus = load_corpus([str(p) for p in files], cache_dir=None)
    result = evaluate_model(model, config, corpus).as_dict()
    result["average_transpositions"] = config.average_transpositions
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--sizes", type=size_list, default="20,5", help="training set sizes, comma separated")
    parser.add_argument("--eval-files", type=int, default=10, help="held-out movements scored (a fixed sample)")
    parser.add_argument("--old-style-files", type=int, default=8,
                        help="files of the default model's test list scored for the old style")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--finetune-flags", default="", help="extra train flags for the fine-tune")
    parser.add_argument("--no-scratch", action="store_true", help="skip the from-scratch runs")
    parser.add_argument("--variant", action="append", default=[], metavar="FLAGS",
                        help="also fine-tune on the first size with these extra flags (repeatable)")
    parser.add_argument("--keep-models", type=Path, metavar="DIR",
                        help="copy the trained models to DIR (for scripts/finetune_checks.py)")
    args = parser.parse_args()

    from djai_live.tensorflow_import import import_tensorflow_quietly

    import_tensorflow_quietly()
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # evaluate's retracing notices, not results
    chosen, evaluation = sample_pieces(args.corpus, max(args.sizes), args.eval_files, args.seed)
    listing = Path(__file__).resolve().parent.parent / "djai_live" / "data" / "default_model.test_files.txt"
    old_files = [args.corpus / line.strip() for line in listing.read_text().splitlines() if line.strip()]
    old_sample = sorted(random.Random(args.seed).sample(old_files, min(args.old_style_files, len(old_files))))
    print(f"scored on {len(evaluation)} held-out movements (seed {args.seed}) and {len(old_sample)} of the default "
          f"model's {len(old_files)} test files; fine-tune flags: --from default {args.finetune_flags}")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")

    work = Path(tempfile.mkdtemp(prefix="bench_finetune_"))
    rows = []
    try:
        started = time.perf_counter()
        base = score("default", evaluation)
        print(f"default model scored in {time.perf_counter() - started:.0f} s")
        rows.append(("default model, as is", "-", base, None, ""))
        base_old = score("default", old_sample)
        for size in args.sizes:
            folder = link_folder(chosen[:size], work / f"pieces_{size}")
            tuned = work / f"finetuned_{size}.keras"
            wall, said = run_train(folder, tuned, ["--from", "default", *shlex.split(args.finetune_flags)],
                                   work / "cache")
            print(f"{size} pieces, fine-tune: {wall:.1f} s: {said}")
            rows.append((f"fine-tuned on {size}", size, score(str(tuned), evaluation), wall, ""))
            rows[-1] = rows[-1][:4] + (score(str(tuned), old_sample),)
            if size == args.sizes[0]:
                for number, flags in enumerate(args.variant):
                    variant = work / f"variant_{number}.keras"
                    variant_wall, said = run_train(folder, variant, ["--from", "default", *shlex.split(flags)],
                                                   work / "cache")
                    print(f"{size} pieces, fine-tune {flags}: {variant_wall:.1f} s: {said}")
                    rows.append((f"  ... {flags}", size, score(str(variant), evaluation), variant_wall, None))
            if not args.no_scratch:
                scratch = work / f"scratch_{size}.keras"
                scratch_wall, said = run_train(folder, scratch, ["--max-minutes", f"{wall / 60:.4f}", *SCRATCH_FLAGS],
                                               work / "cache")
                print(f"{size} pieces, from scratch: {scratch_wall:.1f} s: {said}")
                rows.append((f"from scratch on {size}", size, score(str(scratch), evaluation), scratch_wall, ""))
        if args.keep_models:
            args.keep_models.mkdir(parents=True, exist_ok=True)
            for model in work.glob("*.keras"):
                shutil.copy2(model, args.keep_models / model.name)
            print(f"models kept in {args.keep_models}")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"{'model':<24} {'views':>5} {'held-out acc':>12} {'NLL (nats)':>10} {'vs default':>10} {'wall s':>7}"
          f" {'old-style acc':>13} {'old NLL':>8}")
    print(f"{'':<24} {'':>5} {'':>12} {'':>10} {'':>10} {'':>7} {base_old['pitch_accuracy']:>13.3f}"
          f" {base_old['pitch_nll']:>8.3f}  <- default model on its own test files")
    for label, _, result, wall, old in rows:
        views = 2 * result["average_transpositions"] + 1
        delta = result["pitch_nll"] - base["pitch_nll"]
        old_text = f" {old['pitch_accuracy']:>13.3f} {old['pitch_nll']:>8.3f}" if old else ""
        print(f"{label:<24} {views:>5} {result['pitch_accuracy']:>12.3f} {result['pitch_nll']:>10.3f}"
              f" {delta:>+10.3f} {wall if wall is not None else float('nan'):>7.1f}{old_text}")
    for size in args.sizes:
        tuned = next(r for r in rows if r[0] == f"fine-tuned on {size}")
        scratch = next((r for r in rows if r[0] == f"from scratch on {size}"), None)
        text = f"{size} pieces: fine-tune {tuned[2]['pitch_nll'] - base['pitch_nll']:+.3f} nats vs the default model"
        if scratch:
            text += f", {tuned[2]['pitch_nll'] - scratch[2]['pitch_nll']:+.3f} nats vs from scratch"
        print(text + f"; wall {tuned[3]:.0f} s (goal for 20: <= 90 s, <= -0.20 and <= -0.25 nats)")
    print(f"{base['notes']} held-out notes scored; load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
