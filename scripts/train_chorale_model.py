#!/usr/bin/env python3
"""Train the bundled four-voice chorale model (``--model chorale``) from the Bach chorales, reproducibly.

Instruments are the tracks in order: soprano 0, alto 1, tenor 2, bass 3. Only the chorales written as
exactly those four tracks are used (269 of 299; the others open with horns, trumpets or strings, which
would take the soprano's slot). The notes that start together come in a random order in every window,
a fresh one every epoch (``shuffle_chords``): live, the performer's soprano reaches the model before the
alto, tenor and bass that sound with it, so the model must not rely on chords arriving lowest note first.

Every 10th usable file (in sorted order) is held out as a test set and never trained on; the list is
written next to the model (``chorale_model.test_files.txt``) for `djai-live evaluate` and
``scripts/bench_accompany.py``. Training stops early, or after ``--max-minutes`` of wall time (this
shared 2-core CPU), keeping the best model by validation loss; ``--resume`` continues a crashed run.

    nice -n 10 python scripts/train_chorale_model.py --corpus ../shared/corpus
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

VOICES = 4  # soprano, alto, tenor, bass
SETTINGS = dict(model_type="gru", n_layers=2, n_units=192, sequence_length_i=64, sequence_length_o=12,
                num_instruments=VOICES, batch_size=32, learning_rate=0.002, dropout=0.3)
TRANSPOSE = 5  # random transposition of each training window by up to +-5 semitones
EPOCHS, PATIENCE, LR_PATIENCE, MAX_MINUTES = 200, 6, 2, 32.0


def four_voice_files(corpus: Path) -> list[str]:
    """The chorales in ``corpus/bach`` written as exactly four tracks (S, A, T, B), sorted."""
    from djai_live.corpus import MidiReadError, read_midi_notes, scan_midi_files

    usable = []
    for path in scan_midi_files(corpus / "bach"):
        try:
            if len(read_midi_notes(path).tracks) == VOICES:
                usable.append(path)
        except MidiReadError as error:
            logging.warning("skipped %s", error)
    return usable


def split(files: list[str]) -> tuple[list[str], list[str]]:
    return [f for i, f in enumerate(files) if i % 10], files[::10]


def time_limit(minutes: float):
    """A Keras callback that ends training after the epoch that passes ``minutes`` of wall time."""
    import keras

    class TimeLimit(keras.callbacks.Callback):
        def on_train_begin(self, logs=None) -> None:
            self.start = time.monotonic()

        def on_epoch_end(self, epoch, logs=None) -> None:
            if time.monotonic() - self.start > minutes * 60.0:
                logging.info("time limit of %.0f minutes reached after epoch %d", minutes, epoch + 1)
                self.model.stop_training = True

    return TimeLimit()


def write_ranges(model: Path, train_files: list[str]) -> int:
    """Store in ``model`` the ranges training measures on the files it trains on (after the validation
    split), for a model trained before djai_live stored them."""
    from djai_live.corpus import prepared_store
    from djai_live.model_files import read_config, write_config
    from djai_live.training import instrument_ranges, split_files

    config = read_config(model)
    train_files = [os.path.abspath(f) for f in train_files]  # as train() keys its store
    with tempfile.TemporaryDirectory() as cache:
        store = prepared_store(cache, include_drums=False)
        store.update(train_files)
        fitted, _ = split_files([f for f in train_files if f in store.files and store.files[f].usable], 0.1)
        ranges = instrument_ranges(store, fitted, config.num_instruments)
    write_config(model, config.replace(instrument_ranges=ranges))
    print(f"{model}: instrument ranges {ranges}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "corpus")
    parser.add_argument("--out", type=Path, default=Path("djai_live/data/chorale_model.keras"))
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--max-minutes", type=float, default=MAX_MINUTES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run from its checkpoint")
    parser.add_argument("--write-ranges", action="store_true",
                        help="only store the voices' ranges (as training measures them) in an existing --out")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")

    from djai_live.config import DjaiConfig
    from djai_live.training import train

    train_files, test_files = split(four_voice_files(args.corpus))
    if args.write_ranges:
        return write_ranges(args.out, train_files)
    manifest = args.out.with_name(args.out.stem + ".test_files.txt")
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text("".join(str(Path(f).relative_to(args.corpus)) + "\n" for f in test_files))
    with tempfile.TemporaryDirectory() as cache:  # a cold cache: the run reproduces from the MIDI files alone
        result = train(train_files, DjaiConfig(**SETTINGS), args.out, epochs=args.epochs, patience=PATIENCE,
                       lr_patience=LR_PATIENCE, transpose=TRANSPOSE, seed=args.seed, cache_dir=Path(cache),
                       resume=args.resume, verbose=2, shuffle_chords=True,
                       callbacks=[time_limit(args.max_minutes)])
    print(f"wrote {result.path} after {result.epochs_run} epochs; held-out files listed in {manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
