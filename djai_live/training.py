"""Training: prepared corpus -> streamed windows -> tf.data -> Keras fit, with checkpoints that survive
Ctrl-C and crashes, on one device or distributed with tf.distribute.

While training, the best model so far (by validation loss) is always on disk at the output path, written
atomically; ``<output>.checkpoint/`` holds the last epoch's full state for ``--resume``.
"""
from __future__ import annotations

import contextlib
import csv
import hashlib
import logging
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from .config import FROM_SCRATCH, DjaiConfig
from .corpus import NoUsableDataError, default_cache_dir, prepared_store
from .distribute import fix_keras_multi_worker, is_chief, make_strategy, worker_scratch_dir
from .lr_schedules import choose_lr_schedule
from .model import build_model, compile_model, save_model
from .prepared import PreparedCorpus
from .streaming import WindowStream

log = logging.getLogger(__name__)

DEFAULT_LR_PATIENCE = 2    # the plateau schedule without an lr_patience
WARMUP_STEPS = 10          # cosine: batches over which the rate rises to its peak
LR_FLOOR = 0.02            # cosine: the rate at the end, as a share of the peak
LR_REDUCTION_FACTOR = 0.5  # --lr-patience: the learning rate is halved when the validation loss stalls
LR_MIN_DELTA = 1e-4        # ... that is, when it has not beaten its best by more than this
MIN_LEARNING_RATE = 1e-6


def is_validation_file(path: str, fraction: float) -> bool:
    """A stable split by file name, so the same file is in the same split on every run and machine."""
    digest = hashlib.sha1(Path(path).name.encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < fraction


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
    out_of_time: bool = False  # stopped by max_minutes


def train(files: Sequence[str] | None, config: DjaiConfig, output: str | Path,
          epochs: int = FROM_SCRATCH.epochs, validation_split: float = FROM_SCRATCH.validation_split,
          transpose: int = FROM_SCRATCH.transpose, patience: int = FROM_SCRATCH.patience, resume: bool = False,
          seed: int = 0, cache_dir="default", prepared: PreparedCorpus | None = None, distribute: str = "none",
          jit_compile: bool | str = "auto", init_from: str | Path | None = None, verbose: int | None = None,
          plot: bool = True, lr_patience: int | None = FROM_SCRATCH.lr_patience, shuffle_chords: bool = False,
          callbacks: Sequence[keras.callbacks.Callback] = (), max_minutes: float | None = FROM_SCRATCH.max_minutes,
          freeze: Sequence[str] = FROM_SCRATCH.freeze, clock: Callable[[], float] = time.monotonic,
          lr_schedule: str | None = None) -> TrainResult:
    """Train a model on MIDI files and write the best one (by validation loss) to ``output``.

    The run settings (``epochs`` to ``lr_schedule``) are the fields of :class:`~djai_live.config.TrainSettings`
    and default to a run from scratch (:data:`~djai_live.config.FROM_SCRATCH`), as ``djai-live train`` does:
    ``train(files, DjaiConfig(), out)`` trains what ``djai-live train FOLDER -o out`` does, and
    ``train(files, config, out, **settings.to_dict())`` runs any other :class:`~djai_live.config.TrainSettings`.

    The files are prepared first (parsed once, see :mod:`djai_live.prepared`) into ``cache_dir``
    ("default": :func:`default_cache_dir`; None: a temporary directory), or taken from ``prepared``, a
    store made by ``djai-live prepare`` (``files`` None: all its usable files). Windows then stream from
    the shards, so memory does not grow with the corpus. ``distribute`` is "none", "mirrored" or
    "multi-worker" (see :mod:`djai_live.distribute`). ``init_from`` starts from the weights of a model
    file of the same architecture (to fine-tune, for example at a lower learning rate). ``lr_patience``
    halves the learning rate each time the validation loss has not improved for that many epochs (None:
    a constant rate); set it below ``patience`` so the lower rates get their chance before stopping.
    ``shuffle_chords`` puts the notes that start together in a random order in every window, so that any
    voice can come first (what accompaniment needs: the performer's note arrives before the chord it
    belongs to). ``callbacks`` are added to Keras'.
    ``init_from`` may also be a Keras model (its current weights). ``max_minutes`` ends the run that many
    minutes after the call, reading included, at the end of the batch that crosses it (the best model so far
    stays at ``output``); ``clock`` is the time source it uses, in seconds. ``freeze`` names layer-name prefixes
    whose weights stay fixed (see :data:`FREEZABLE`).
    ``lr_schedule`` is one of :data:`~djai_live.lr_schedules.LR_SCHEDULES`: "constant", "plateau" (halve the
    rate after ``lr_patience`` stalled epochs) or "cosine" (a short warm-up, then down to a fiftieth of the rate
    along a half cosine that ends when the run does: at ``max_minutes`` or after ``epochs``, whichever comes
    first). None: "plateau" when ``lr_patience`` is given, else ``FROM_SCRATCH.lr_schedule`` ("constant").

    Raises:
        NoUsableDataError: no file could be read, or the readable ones hold too few notes.
    """
    started = clock()
    output = Path(output)
    lr_schedule = choose_lr_schedule(lr_schedule, lr_patience, default=FROM_SCRATCH.lr_schedule)
    strategy = make_strategy(distribute)
    chief = is_chief(strategy)
    if not chief:  # other workers write their copies where they cannot clash with the chief's files
        output = worker_scratch_dir(strategy) / output.name
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

    with contextlib.ExitStack() as cleanup:
        store, usable = _prepare(files, config, cache_dir, prepared, cleanup)
        use_few_threads_per_op()  # after reading: a folder with nothing to read is refused without starting TF
        train_files, validation_files = split_files(usable, validation_split)
        if validation_split > 0 and not validation_files:
            log.warning("%d readable file%s: too few to hold one out for validation, so early stopping and the "
                        "model kept follow the training loss", len(usable), "" if len(usable) == 1 else "s")
        elif validation_files:
            log.info("validating on %d of %d files", len(validation_files), len(usable))
        if config.num_instruments > 1 and config.instrument_ranges is None:
            config = config.replace(instrument_ranges=instrument_ranges(store, train_files, config.num_instruments))
            log.info("instrument ranges in the training data: %s", config.instrument_ranges)
        train_stream = WindowStream(store, train_files, config, shuffle=True, seed=seed, shuffle_chords=shuffle_chords)
        validation_stream = WindowStream(store, validation_files, config, shuffle=False, seed=seed,
                                         shuffle_chords=shuffle_chords)
        if len(train_stream) == 0:
            raise NoUsableDataError(f"the {len(usable)} readable files hold no track of two or more notes")
        notes = sum(store.files[path].note_count for path in usable)
        log.info("training on %d notes from %d files: %d training windows, %d validation windows",
                 notes, len(usable), len(train_stream), len(validation_stream))
        if strategy.num_replicas_in_sync > 1:
            log.info("distributed over %d replicas (%s)", strategy.num_replicas_in_sync, distribute)

        keras.utils.set_random_seed(seed)
        with strategy.scope():
            model = build_model(config)
            if init_from is not None and not (resume and (backup / "state").exists()):
                if isinstance(init_from, keras.Model):
                    model.set_weights(init_from.get_weights())
                else:
                    model.load_weights(init_from)
            freeze_layers(model, freeze)
            compile_model(model, config, jit_compile=jit_compile)  # after freezing: trainable flags count at compile
        if distribute == "multi-worker":
            fix_keras_multi_worker(model)
        backup.mkdir(parents=True, exist_ok=True)
        saved_config.write_text(config.to_json())
        train_data = train_stream.dataset(transpose=transpose, seed=seed)
        build_training_state(model, train_data)
        validation_data = validation_stream.dataset() if len(validation_stream) else None
        monitor = "val_loss" if validation_data is not None else "loss"
        saver = SaveBest(config, output, monitor)
        curve_csv = output.with_name(output.stem + ".training.csv")
        if resume and curve_csv.exists() and output.exists():
            saver.best = best_logged(curve_csv, monitor)  # a resumed run only replaces the model if it improves
        callbacks = [*callbacks,
            keras.callbacks.BackupAndRestore(str(backup / "state"), delete_checkpoint=False),
            keras.callbacks.EarlyStopping(monitor=monitor, patience=patience),
            keras.callbacks.CSVLogger(str(curve_csv), append=resume and curve_csv.exists()),
            saver,
        ]
        limit = None
        if max_minutes is not None:
            limit = TimeLimit(60.0 * max_minutes, clock, started)
            callbacks.append(limit)
        if lr_schedule == "plateau":
            callbacks.insert(1, keras.callbacks.ReduceLROnPlateau(monitor=monitor, factor=LR_REDUCTION_FACTOR,
                                                                  patience=lr_patience or DEFAULT_LR_PATIENCE,
                                                                  min_lr=MIN_LEARNING_RATE, min_delta=LR_MIN_DELTA,
                                                                  verbose=1 if chief else 0))
        elif lr_schedule == "cosine":
            callbacks.insert(0, CosineToEnd(config.learning_rate, math.ceil(len(train_stream) / config.batch_size),
                                            epochs, limit.seconds if limit else None, clock, started))
        if verbose is None:
            verbose = 1 if sys.stdout.isatty() else 2
        interrupted = False
        history = None
        try:
            history = model.fit(train_data, validation_data=validation_data, epochs=epochs, callbacks=callbacks,
                                shuffle=False, verbose=verbose if chief else 0)
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
    if plot and chief and curve_csv.exists():
        try:
            plot_training_curve(curve_csv, output.with_name(output.stem + ".training.png"))
        except (OSError, ValueError) as error:  # the model is on disk: a curve that cannot be drawn is no failure
            log.warning("could not plot the training curve from %s: %s", curve_csv, error)
    return TrainResult(model=model, config=config, path=output, history=history,
                       epochs_run=saver.epochs_seen, interrupted=interrupted,
                       out_of_time=bool(limit and limit.reached))


def _prepare(files: Sequence[str] | None, config: DjaiConfig, cache_dir, prepared: PreparedCorpus | None,
             cleanup: contextlib.ExitStack) -> tuple[PreparedCorpus, list[str]]:
    """The store to stream from and the usable files in it, reporting every file that was skipped."""
    if prepared is not None:
        if prepared.include_drums != config.include_drums:
            raise NoUsableDataError(f"{prepared.directory} was prepared with include_drums="
                                    f"{prepared.include_drums}, the model asks for {config.include_drums}")
        wanted = list(files) if files is not None else list(prepared.files)
        missing = [path for path in wanted if path not in prepared.files]
        if missing:
            raise NoUsableDataError(f"{len(missing)} files are not in {prepared.directory}, "
                                    f"for example {missing[0]}; run `djai-live prepare` again")
        store = prepared
        skipped = [(path, prepared.files[path].reason or "") for path in wanted if not prepared.files[path].usable]
        for path, reason in skipped:
            log.warning("skipped %s: %s", path, reason)
    else:
        if cache_dir is None:
            cache_dir = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="djai_live_prepared_"))
        elif cache_dir == "default":
            cache_dir = default_cache_dir()
        store = prepared_store(cache_dir, config.include_drums)
        wanted = [os.path.abspath(path) for path in files or []]
        report = store.update(wanted, progress=sys.stderr.isatty())
        report.log(log)
        skipped = report.skipped
    usable = [path for path in wanted if path in store.files and store.files[path].usable]
    if not usable:
        raise NoUsableDataError(f"none of the {len(skipped)} files could be read")
    if skipped:
        log.warning("skipped %d of %d files", len(skipped), len(wanted))
    return store, usable


def instrument_ranges(store: PreparedCorpus, files: Sequence[str], num_instruments: int,
                      coverage: float = 0.98) -> list[list[int]]:
    """Each instrument's register in ``files``: the pitches between the percentiles that hold ``coverage``
    of its notes (all pitches for an instrument that never plays)."""
    pitches: list[list[np.ndarray]] = [[] for _ in range(num_instruments)]
    for piece in store.pieces(files):
        notes = piece.merged_notes(num_instruments)
        for instrument in range(num_instruments):
            pitches[instrument].append(notes["pitch"][notes["instrument"] == instrument])
    tail = (1.0 - coverage) / 2.0 * 100.0
    ranges = []
    for parts in pitches:
        played = np.concatenate(parts) if parts else np.zeros(0)
        if len(played) == 0:
            ranges.append([0, 127])
            continue
        low, high = np.percentile(played, [tail, 100.0 - tail])
        ranges.append([int(np.floor(low)), int(np.ceil(high))])
    return ranges


def split_files(files: Sequence[str], validation_split: float) -> tuple[list[str], list[str]]:
    """Training and validation files, by a stable hash of each file's name."""
    train_files = [path for path in files if not is_validation_file(path, validation_split)]
    validation_files = [path for path in files if is_validation_file(path, validation_split)]
    if validation_split > 0 and not validation_files and len(train_files) > 1:
        validation_files.append(train_files.pop())  # tiny corpora: still keep something to validate on
    return train_files, validation_files


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


class TimeLimit(keras.callbacks.Callback):
    """Stops training at the end of the first batch that ends ``seconds`` after ``started`` on ``clock``.

    Keras then still validates the partial epoch and calls the epoch-end callbacks, so SaveBest judges it.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic,
                 started: float | None = None) -> None:
        super().__init__()
        self.seconds, self.clock = seconds, clock
        self.started = clock() if started is None else started
        self.reached = False

    def on_train_batch_end(self, batch, logs=None) -> None:
        if self.reached:
            return
        elapsed = self.clock() - self.started
        if elapsed >= self.seconds:
            self.reached = True
            self.model.stop_training = True
            log.info("time limit: stopping after %.2f minutes (max_minutes %g); the best model so far is kept",
                     elapsed / 60.0, self.seconds / 60.0)


class CosineToEnd(keras.callbacks.Callback):
    """The learning rate of every batch: up from a tenth to ``peak`` over the first WARMUP_STEPS batches, then
    down to LR_FLOOR x ``peak`` along a half cosine that reaches its end when the run does.

    How far the run has gone is the larger of the batches done out of ``epochs`` x ``steps_per_epoch`` and,
    with a time limit, the time since the first batch out of the time left then (``seconds`` after
    ``started`` on ``clock``): a minute's fine-tune decays by the clock, a run without a limit by its epochs.
    The warm-up keeps Adam's first, poorly estimated steps from shaking a trained model's weights. Each
    epoch's log (and so the CSV) records the rate its last batch ran at.
    """

    def __init__(self, peak: float, steps_per_epoch: int, epochs: int, seconds: float | None = None,
                 clock: Callable[[], float] = time.monotonic, started: float | None = None) -> None:
        super().__init__()
        self.peak, self.seconds, self.clock = peak, seconds, clock
        self.steps_per_epoch, self.steps = max(1, steps_per_epoch), max(1, steps_per_epoch * epochs)
        self.started = clock() if started is None else started
        self.first_batch: float | None = None
        self.epoch = 0
        self.batches_this_run = 0
        self.rate = peak

    def progress(self, step: int) -> float:
        """How far the run has gone, 0 to 1, at its ``step``-th batch."""
        done = step / self.steps
        if self.seconds is not None:
            now = self.clock()
            if self.first_batch is None:
                self.first_batch = now
            left = self.started + self.seconds - self.first_batch
            done = max(done, (now - self.first_batch) / left if left > 0 else 1.0)
        return min(1.0, done)

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self.epoch = epoch  # after --resume, the epoch Keras restored

    def on_train_batch_begin(self, batch, logs=None) -> None:
        progress = self.progress(self.epoch * self.steps_per_epoch + batch)
        decay = LR_FLOOR + (1.0 - LR_FLOOR) * 0.5 * (1.0 + math.cos(math.pi * progress))
        warm = min(1.0, 0.1 + 0.9 * self.batches_this_run / WARMUP_STEPS)
        self.rate = self.peak * decay * warm
        self.model.optimizer.learning_rate.assign(self.rate)
        self.batches_this_run += 1

    def on_epoch_end(self, epoch, logs=None) -> None:
        if logs is not None:
            logs["learning_rate"] = self.rate


# At most this many cores: one thread per op (measured on 2 cores, see use_few_threads_per_op).
FEW_CORES = 4


def use_few_threads_per_op() -> None:
    """On a machine with few cores, run each TensorFlow op on one thread and independent ops side by side.

    A recurrent step's ops are small: splitting each over the cores costs more in hand-overs than it gains. On
    this 2-core machine a training step of the default model (GRU 2x256, 64 notes) took 125 ms with one thread
    per op and two ops at a time, against 225 ms with TensorFlow's choice (batches of 16; 800 against 1,000 ms
    for batches of 128). Larger machines keep TensorFlow's choice, as do settings made before (the
    TF_NUM_INTRAOP_THREADS and TF_NUM_INTEROP_THREADS variables) and runs in a process whose TensorFlow runtime
    has already started, where the setting can no longer change.
    """
    import tensorflow as tf

    cores = os.cpu_count() or 1
    if cores > FEW_CORES or "TF_NUM_INTRAOP_THREADS" in os.environ or "TF_NUM_INTEROP_THREADS" in os.environ:
        return
    if tf.config.threading.get_intra_op_parallelism_threads():
        return
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(cores)
    except RuntimeError:  # the runtime has started (an earlier model in this process): it keeps its threads
        log.debug("TensorFlow's runtime has started: its thread settings stay as they are")


def build_training_state(model: keras.Model, data) -> None:
    """Create the optimizer's, the metrics' and the losses' variables before ``fit``.

    Left to ``fit``, Keras creates them while TensorFlow traces the training step, and TensorFlow then traces
    the step a second time: about 6 s of a one-minute fine-tune on 2 cores. A model made under a distribution
    strategy is left alone: Keras builds it itself, inside the strategy's scope, which this call would be
    outside of. It is Keras' private method, so a Keras without it simply traces twice.
    """
    if getattr(model, "_distribute_strategy", None) is not None:
        return
    build = getattr(model, "_symbolic_build", None)
    if build is not None:
        build(data_batch=data.element_spec)


# Layer groups that can be frozen while fine-tuning, by the prefixes of their names in model.build_model.
FREEZABLE = {
    "embeddings": ("pitch_embedding", "dt_embedding", "duration_embedding", "velocity_embedding",
                   "interval_embedding", "input_projection"),
    "rnn": ("rnn_", "attention_", "ffn_"),  # the recurrent (or transformer) body and its norms
}


def freeze_layers(model: keras.Model, groups: Sequence[str]) -> None:
    """Mark the layers of the named :data:`FREEZABLE` groups untrainable (before compiling)."""
    for group in groups:
        if group not in FREEZABLE:
            raise ValueError(f"cannot freeze {group!r}; choose from {', '.join(FREEZABLE)}")
        for layer in model.layers:
            if layer.name.startswith(FREEZABLE[group]):
                layer.trainable = False


def logged_value(text: str | None) -> float:
    """A number from Keras' CSV log, NaN where there is none: CSVLogger writes "NA" for a column an epoch did
    not log (every val_ column of a run without validation, which it adds all the same)."""
    if text is None:
        return math.nan
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def best_logged(csv_path: Path, monitor: str) -> float:
    """The best (lowest) value of ``monitor`` in Keras' CSV log, or infinity."""
    with open(csv_path, newline="") as handle:
        values = [logged_value(row.get(monitor)) for row in csv.DictReader(handle)]
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
    for axis, curves in ((loss_axis, (("loss", "training"), ("val_loss", "validation"))),
                         (accuracy_axis, (("pitch_accuracy", "training"), ("val_pitch_accuracy", "validation")))):
        for key, label in curves:
            values = [logged_value(row.get(key)) for row in rows]
            if any(np.isfinite(values)):  # a run without validation logs its val_ columns as "NA"
                axis.plot(epochs, values, marker=".", label=label)
    halved = False
    if rows and "learning_rate" in rows[0]:  # the plateau schedule: mark the epochs that ran at half the rate
        rates = [logged_value(row["learning_rate"]) for row in rows]
        for epoch, before, after in zip(epochs[1:], rates, rates[1:]):
            if math.isclose(after, before * LR_REDUCTION_FACTOR, rel_tol=1e-4):
                halved = True
                for axis in (loss_axis, accuracy_axis):
                    axis.axvline(epoch, color="grey", linestyle=":", linewidth=1)
    loss_axis.set(title="loss (all heads, weighted; dotted: learning rate halved)"
                  if halved else "loss (all heads, weighted)", xlabel="epoch")
    accuracy_axis.set(title="next-pitch accuracy", xlabel="epoch")
    for axis in (loss_axis, accuracy_axis):
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(png_path, dpi=100)
    plt.close(figure)
    return png_path
