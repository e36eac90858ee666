#!/usr/bin/env python3
"""Train the bundled default model from the shared corpus, reproducibly (fixed seed and split): phase 1
trains from scratch with early stopping, phase 2 trains the best phase-1 model on at a quarter of the
learning rate.

Every 10th file of each collection (in sorted order) is held out as a test set and never trained on;
the file list is written next to the model so `djai-live evaluate` can be repeated on exactly those files.

    python scripts/train_default_model.py --corpus ../shared/corpus --out djai_live/data/default_model.keras
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

COLLECTIONS = ("bach", "oneills", "essen", "piano")
DEFAULT_SETTINGS = dict(model_type="gru", n_layers=2, n_units=256, sequence_length_i=64, sequence_length_o=10,
                        batch_size=128, learning_rate=0.003, dropout=0.3)
TRANSPOSE = 5  # random transposition of each training window by up to +-5 semitones
FINE_TUNE_RATE = 0.25  # phase 2: the best model of phase 1 trained on at a quarter of the learning rate


def split_corpus(corpus: Path) -> tuple[list[str], list[str]]:
    from djai_live.corpus import scan_midi_files

    train, test = [], []
    for collection in COLLECTIONS:
        files = scan_midi_files(corpus / collection)
        test += files[::10]
        train += [f for i, f in enumerate(files) if i % 10]
    return train, test


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "corpus")
    parser.add_argument("--out", type=Path, default=Path("djai_live/data/default_model.keras"))
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fine-tune-only", type=Path, default=None, metavar="MODEL",
                        help="skip phase 1 and fine-tune this phase-1 model")
    parser.add_argument("--fine-tune-epochs", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")

    from djai_live.config import DjaiConfig
    from djai_live.training import train

    train_files, test_files = split_corpus(args.corpus)
    manifest = args.out.with_name(args.out.stem + ".test_files.txt")
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text("".join(str(Path(f).relative_to(args.corpus)) + "\n" for f in test_files))
    config = DjaiConfig(**DEFAULT_SETTINGS)
    with tempfile.TemporaryDirectory() as cache:  # a cold cache: the run reproduces from the MIDI files alone
        phase1 = args.fine_tune_only
        if phase1 is None:
            phase1 = args.out.with_name(args.out.stem + ".phase1.keras")
            result = train(train_files, config, phase1, epochs=args.epochs, patience=4, transpose=TRANSPOSE,
                           seed=args.seed, cache_dir=Path(cache), verbose=2)
            print(f"phase 1: {result.epochs_run} epochs -> {phase1}")
        tuned = config.replace(learning_rate=config.learning_rate * FINE_TUNE_RATE)
        result = train(train_files, tuned, args.out, epochs=args.fine_tune_epochs, patience=3, transpose=TRANSPOSE,
                       seed=args.seed + 1, cache_dir=Path(cache), init_from=phase1, verbose=2)
    print(f"wrote {result.path} after {result.epochs_run} fine-tuning epochs; held-out files listed in {manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
