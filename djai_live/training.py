"""Training: corpus -> windows -> tf.data -> Keras fit, with checkpoints that survive Ctrl-C and crashes.

While training, the best model so far (by validation loss) is always on disk at the output path, written
atomically; ``<output>.checkpoint/`` holds the last epoch's full state for ``--resume``.
"""
from __future__ import annotations

import csv
import hashlib
import logging
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import keras
import numpy as np

from .config import DjaiConfig
from .corpus import Corpus, NoUsableDataError, load_corpus  # noqa: F401 (NoUsableDataError is re-exported)
from .encoding import FEATURES, Codec, tokens_to_array
from .model import build_model, compile_model, save_model

log = logging.getLogger(__name__)


@dataclass
class Windows:
    """Training windows: inputs (N, L, 6), next-note targets (N, L, 6) and a (N, L) mask of real notes."""

    inputs: np.ndarray
    targets: np.ndarray
    mask: np.ndarray

    def __len__(self) -> int:
        return len(self.inputs)


def cut_windows(sequences: Sequence[np.ndarray], length: int, stride: int | None = None) -> Windows:
    """Cut (n, 6) token sequences into windows of ``length`` inputs plus the next note as target.

    Sequences shorter than a window are padded at the end; padded positions have mask 0.
    """
    stride = stride or length
    inputs, targets, masks = [], [], []
    for tokens in sequences:
        n = len(tokens)
        if n < 2:
            continue
        last_start = max(0, n - 1 - length)
        starts = list(range(0, last_start + 1, stride))
        if starts[-1] != last_start:
            starts.append(last_start)
        for start in starts:
            chunk = tokens[start:start + length + 1]
            real = len(chunk) - 1
            window = np.zeros((length + 1, len(FEATURES)), np.int32)
            window[:len(chunk)] = chunk
            mask = np.zeros(length, np.float32)
            mask[:real] = 1.0
            inputs.append(window[:-1])
            targets.append(window[1:])
            masks.append(mask)
    if not inputs:
        empty = np.zeros((0, length, len(FEATURES)), np.int32)
        return Windows(empty, empty.copy(), np.zeros((0, length), np.float32))
    return Windows(np.stack(inputs), np.stack(targets), np.stack(masks))


def is_validation_file(path: str, fraction: float) -> bool:
    """A stable split by file name, so the same file is in the same split on every run and machine."""
    digest = hashlib.sha1(Path(path).name.encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < fraction


def corpus_sequences(corpus: Corpus, config: DjaiConfig, validation_split: float
                     ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    codec = Codec(config)
    train, validation = [], []
    for piece in corpus.pieces:
        target = validation if is_validation_file(piece.path, validation_split) else train
        target.extend(tokens_to_array(seq) for seq in codec.sequences(piece))
    if validation_split > 0 and not validation and len(train) > 1:
        validation.append(train.pop())  # tiny corpora: still keep something to validate on
    return train, validation


def make_dataset(windows: Windows, config: DjaiConfig, shuffle: bool, transpose: int = 0, seed: int = 0):
    """A tf.data pipeline of (inputs, targets, sample weights) dicts, batched and prefetched."""
    import tensorflow as tf

    heads = config.head_names
    data = tf.data.Dataset.from_tensor_slices((windows.inputs, windows.targets, windows.mask))
    if shuffle:
        data = data.shuffle(min(len(windows), 50_000), seed=seed, reshuffle_each_iteration=True)
    data = data.batch(config.batch_size)

    def to_dicts(inputs, targets, mask):
        if transpose:
            inputs, targets = _random_transposition(inputs, targets, mask, transpose)
        x = {name: inputs[:, :, i] for i, name in enumerate(FEATURES)}
        y = {name: targets[:, :, FEATURES.index(name)] for name in heads}
        w = {name: mask for name in heads}
        return x, y, w

    return data.map(to_dicts, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def _random_transposition(inputs, targets, mask, semitones: int):
    """Shift each window's pitches by a random interval that keeps every real note inside 0-127."""
    import tensorflow as tf

    real = mask > 0
    pitches = tf.concat([inputs[:, :, 0], targets[:, :, 0]], axis=1)
    both = tf.concat([real, real], axis=1)
    highest = tf.reduce_max(tf.where(both, pitches, 0), axis=1)
    lowest = tf.reduce_min(tf.where(both, pitches, 127), axis=1)
    low = tf.maximum(-semitones, -lowest)
    high = tf.minimum(semitones, 127 - highest)
    shift = low + tf.cast(tf.floor(tf.random.uniform(tf.shape(low)) * tf.cast(high - low + 1, tf.float32)), tf.int32)
    shift = tf.minimum(shift, high)[:, None]
    offset = tf.stack([shift] + [tf.zeros_like(shift)] * (len(FEATURES) - 1), axis=-1)
    return inputs + offset * tf.cast(real, tf.int32)[:, :, None], targets + offset * tf.cast(real, tf.int32)[:, :, None]


def checkpoint_dir(output: Path) -> Path:
    return output.with_name(output.name + ".checkpoint")


@dataclass
class TrainResult:
    model: object
    config: DjaiConfig
    path: Path
    history: object
    epochs_run: int
    interrupted: bool = False


def train(files: Sequence[str], config: DjaiConfig, output: str | Path, epochs: int = 50,
          validation_split: float = 0.1, transpose: int = 0, patience: int = 5, resume: bool = False,
          seed: int = 0, cache_dir="default", verbose: int | None = None, plot: bool = True) -> TrainResult:
    """Train a model on MIDI files and write the best one (by validation loss) to ``output``.

    Raises:
        NoUsableDataError: no file could be read, or the readable ones hold too few notes.
    """
    output = Path(output)
    backup = checkpoint_dir(output)
    saved_config = backup / "config.json"
    if resume and saved_config.exists():
        stored = DjaiConfig.from_json(saved_config.read_text())
        if stored != config:
            log.warning("--resume: continuing with the settings the interrupted run started with")
        config = stored
    elif resume:
        log.warning("--resume: no checkpoint in %s, starting from scratch", backup)
    elif backup.exists():
        shutil.rmtree(backup)

    corpus = load_corpus(files, include_drums=config.include_drums, cache_dir=cache_dir,
                         progress=sys.stderr.isatty())
    corpus.report_skipped(log)
    if not corpus.pieces:
        raise NoUsableDataError(f"none of the {len(corpus.skipped)} files could be read")
    train_sequences, validation_sequences = corpus_sequences(corpus, config, validation_split)
    train_windows = cut_windows(train_sequences, config.sequence_length_i)
    validation_windows = cut_windows(validation_sequences, config.sequence_length_i)
    if len(train_windows) == 0:
        raise NoUsableDataError(f"the {len(corpus.pieces)} readable files hold no track of two or more notes")
    log.info("training on %d notes from %d files: %d training windows, %d validation windows",
             corpus.note_count, len(corpus.pieces), len(train_windows), len(validation_windows))

    keras.utils.set_random_seed(seed)
    model = build_model(config)
    compile_model(model, config)
    backup.mkdir(parents=True, exist_ok=True)
    saved_config.write_text(config.to_json())
    train_data = make_dataset(train_windows, config, shuffle=True, transpose=transpose, seed=seed)
    validation_data = make_dataset(validation_windows, config, shuffle=False) if len(validation_windows) else None
    monitor = "val_loss" if validation_data is not None else "loss"
    saver = SaveBest(config, output, monitor)
    curve_csv = output.with_name(output.stem + ".training.csv")
    if resume and curve_csv.exists() and output.exists():
        saver.best = best_logged(curve_csv, monitor)  # a resumed run only replaces the model if it improves
    callbacks = [
        keras.callbacks.BackupAndRestore(str(backup / "state"), delete_checkpoint=False),
        keras.callbacks.EarlyStopping(monitor=monitor, patience=patience),
        keras.callbacks.CSVLogger(str(curve_csv), append=resume and curve_csv.exists()),
        saver,
    ]
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    interrupted = False
    history = None
    try:
        history = model.fit(train_data, validation_data=validation_data, epochs=epochs, callbacks=callbacks,
                            shuffle=False, verbose=verbose)
    except KeyboardInterrupt:
        interrupted = True
        log.warning("interrupted: the best model so far is in %s; continue with --resume", output)
    if saver.best_weights is not None:
        model.set_weights(saver.best_weights)
    elif np.isfinite(saver.best) and output.exists():
        model.load_weights(output)  # no epoch beat the best before the interruption: that one stays
    elif not interrupted:
        save_model(model, config, output)
    if not interrupted:
        shutil.rmtree(backup, ignore_errors=True)
    if plot and curve_csv.exists():
        plot_training_curve(curve_csv, output.with_name(output.stem + ".training.png"))
    return TrainResult(model=model, config=config, path=output, history=history,
                       epochs_run=saver.epochs_seen, interrupted=interrupted)


class SaveBest(keras.callbacks.Callback):
    """Writes the model atomically each time the monitored loss improves, and remembers its weights."""

    def __init__(self, config: DjaiConfig, output: Path, monitor: str) -> None:
        super().__init__()
        self.config, self.output, self.monitor = config, output, monitor
        self.best = np.inf
        self.best_weights = None
        self.epochs_seen = 0

    def on_epoch_end(self, epoch, logs=None) -> None:
        self.epochs_seen += 1
        value = (logs or {}).get(self.monitor)
        if value is None or not np.isfinite(value) or value >= self.best:
            return
        self.best = value
        self.best_weights = self.model.get_weights()
        save_model(self.model, self.config, self.output)


def best_logged(csv_path: Path, monitor: str) -> float:
    """The best (lowest) value of ``monitor`` in Keras' CSV log, or infinity."""
    with open(csv_path, newline="") as handle:
        values = [float(row[monitor]) for row in csv.DictReader(handle) if row.get(monitor)]
    finite = [v for v in values if np.isfinite(v)]
    return min(finite) if finite else np.inf


def plot_training_curve(csv_path: Path, png_path: Path) -> Path:
    """Plot loss and pitch accuracy per epoch from Keras' CSV log."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(csv_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    epochs = [int(row["epoch"]) + 1 for row in rows]
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(10, 4))
    for key, label in (("loss", "training"), ("val_loss", "validation")):
        if rows and key in rows[0]:
            loss_axis.plot(epochs, [float(row[key]) for row in rows], marker=".", label=label)
    for key, label in (("pitch_accuracy", "training"), ("val_pitch_accuracy", "validation")):
        if rows and key in rows[0]:
            accuracy_axis.plot(epochs, [float(row[key]) for row in rows], marker=".", label=label)
    loss_axis.set(title="loss (all heads, weighted)", xlabel="epoch")
    accuracy_axis.set(title="next-pitch accuracy", xlabel="epoch")
    for axis in (loss_axis, accuracy_axis):
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(png_path, dpi=100)
    plt.close(figure)
    return png_path
