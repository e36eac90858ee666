#!/usr/bin/env python3
"""Train the bundled default model from the shared corpus, reproducibly (fixed seed and split).

One run from scratch: batches of 32 windows (four times the updates per epoch of batches of 128, which
is what made the difference on this CPU), the learning rate halved whenever the validation loss has not
improved for 2 epochs, early stopping after 5. The model file predicts with transposition averaging
over -1..+1 semitones (``average_transpositions``, used by evaluate, generate and serve alike).

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
                        batch_size=32, learning_rate=0.002, dropout=0.3,
                        average_transpositions=1)  # predictions averaged over -1..+1 semitones (README)
TRANSPOSE = 5  # random transposition of each training window by up to +-5 semitones
EPOCHS, PATIENCE, LR_PATIENCE = 60, 5, 2


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
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run from its checkpoint")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")

    from djai_live.config import DjaiConfig
    from djai_live.training import train

    train_files, test_files = split_corpus(args.corpus)
    manifest = args.out.with_name(args.out.stem + ".test_files.txt")
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text("".join(str(Path(f).relative_to(args.corpus)) + "\n" for f in test_files))
    with tempfile.TemporaryDirectory() as cache:  # a cold cache: the run reproduces from the MIDI files alone
        result = train(train_files, DjaiConfig(**DEFAULT_SETTINGS), args.out, epochs=args.epochs, patience=PATIENCE,
                       lr_patience=LR_PATIENCE, transpose=TRANSPOSE, seed=args.seed, cache_dir=Path(cache),
                       resume=args.resume, verbose=2)
    print(f"wrote {result.path} after {result.epochs_run} epochs; held-out files listed in {manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
