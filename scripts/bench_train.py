#!/usr/bin/env python3
"""Training at scale: preprocessing, training throughput and peak memory, each against a baseline of the
same run.

1. Preprocessing: the original's music21 parse against `djai-live prepare` serial, with a process pool,
   and an incremental update after adding 10 files (files/s, notes/s, speed-up over music21).
2. Training throughput (windows/s and scored notes/s, timed after a warm-up so tracing is not counted):
   - the original design, rebuilt here as djalgo's djai had it: every 40-note slice of every track
     (stride 1), pitch/duration/offset min-max scaled as floats, GRU 5x64, 30 notes in, 10 regressed out
     by mean squared error, RMSprop, `from_tensor_slices(...).batch(32)`;
   - djai_live at the original's configuration (GRU 5x64, 30 notes of context, batch 32), then with
     XLA, and with batches of 256 and 1024, with and without XLA;
   - djai_live's default model (GRU 2x256, 64 notes of context, batch 128);
   - the ceiling of that configuration on this machine: a bare Keras GRU 5x64 over the original's 30-step
     windows (no embeddings, one head, batch 256), as is, with ``unroll=True``, and with ``unroll`` and XLA,
     against the original's rate and the 5x target.
   A "window" is one training sequence; "notes/s" counts the next-note targets trained on (the original
   scores 10 per window, djai_live every position).
3. Peak memory (max RSS of a fresh process) of one training epoch on a prepared corpus and on a corpus
   10 times larger (the same files transposed by 1..9 semitones, so every copy is a distinct file).

    python scripts/bench_train.py --corpus ../shared/corpus/bach --files 100
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ORIGINAL = dict(model_type="gru", n_layers=5, n_units=64, sequence_length_i=30, sequence_length_o=10,
                batch_size=32, learning_rate=0.005, dropout=0.2)


def rate_line(label: str, count: float, seconds: float, unit: str, extra: str = "") -> float:
    rate = count / seconds
    print(f"  {label:<46} {rate:10.1f} {unit}/s {extra}")
    return rate


# -- 1. preprocessing -------------------------------------------------------------------------------------

def bench_prepare(files: list[str], workdir: Path, workers: int) -> dict[str, float]:
    from djai_live.prepared import PreparedCorpus

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_read import music21_notes

    print(f"preprocessing {len(files)} files")
    rates = {}
    try:
        import music21  # noqa: F401

        started = time.perf_counter()
        notes = sum(music21_notes(path) for path in files)
        seconds = time.perf_counter() - started
        rates["music21"] = rate_line("original: music21 parse", len(files), seconds, "files",
                                     f"({notes / seconds:.0f} notes/s)")
    except ImportError:
        print("  music21 is not installed: no baseline (pip install music21)")
    for label, count in (("serial", 1), (f"{workers} processes", workers)):
        store_dir = workdir / f"prepared-{count}"
        started = time.perf_counter()
        store = PreparedCorpus(store_dir)
        store.update(files, workers=count)
        seconds = time.perf_counter() - started
        notes = sum(entry.note_count for entry in store.files.values())
        rates[label] = rate_line(f"djai_live prepare, {label}", len(files), seconds, "files",
                                 f"({notes / seconds:.0f} notes/s)")
    extra = files[-10:]
    store_dir = workdir / "prepared-incremental"
    PreparedCorpus(store_dir).update(files[:-10], workers=workers)
    started = time.perf_counter()
    report = PreparedCorpus(store_dir).update(files, workers=workers)
    seconds = time.perf_counter() - started
    print(f"  adding {len(extra)} files to a prepared corpus of {len(files) - 10}: {report.parsed} parsed, "
          f"{report.reused} reused, {seconds:.2f} s")
    if "music21" in rates:
        for label in rates:
            if label != "music21":
                print(f"  speed-up over music21, {label}: {rates[label] / rates['music21']:.1f}x")
    return rates


# -- 2. training throughput -------------------------------------------------------------------------------

def original_training_data(store, files: list[str], length_i: int, length_o: int) -> tuple[np.ndarray, tuple]:
    """The original's arrays: every (i + o)-note slice, 3 min-max scaled float features, split in/out."""
    total = length_i + length_o
    slices = []
    for piece in store.pieces(files):
        for track in piece.tracks:
            notes = track.notes
            if len(notes) < total:
                continue
            features = np.stack([notes["pitch"].astype(np.float32), notes["duration"].astype(np.float32),
                                 np.diff(notes["onset"], prepend=notes["onset"][:1]).astype(np.float32)], 1)
            for start in range(len(notes) - total + 1):
                slices.append(features[start:start + total])
    data = np.stack(slices)
    low, high = data.min(axis=(0, 1)), data.max(axis=(0, 1))
    low[0], high[0] = 0, 127
    data = (data - low) / np.maximum(high - low, 1e-9)
    inputs = data[:, :length_i]
    outputs = data[:, length_i:]
    return inputs, (outputs[:, :, 0:1], outputs[:, :, 1:2], outputs[:, :, 2:3])


def original_model(length_i: int, length_o: int, layers: int, units: int, dropout: float, learning_rate: float):
    import keras

    inputs = keras.Input((length_i, 3))
    x = inputs
    for _ in range(layers):
        x = keras.layers.GRU(units, return_sequences=True, dropout=dropout)(x)
    x = x[:, -length_o:]
    outputs = [keras.layers.Dense(1, name=name)(x) for name in ("pitch", "duration", "tick_delta")]
    model = keras.Model(inputs, outputs)
    schedule = keras.optimizers.schedules.ExponentialDecay(learning_rate, 10_000, 0.96, staircase=True)
    model.compile(optimizer=keras.optimizers.RMSprop(schedule), loss=["mse", "mse", "mse"])
    return model


def timed_fit(model, dataset, steps: int, windows_per_step: int, warm_up: int = 5) -> float:
    """Seconds per window over ``steps`` steps, after ``warm_up`` steps (enough to see every batch shape,
    so neither tracing nor XLA compilation is timed)."""
    model.fit(dataset, epochs=1, steps_per_epoch=warm_up, verbose=0)
    started = time.perf_counter()
    model.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0)
    return (time.perf_counter() - started) / (steps * windows_per_step)


def bench_training(store, files: list[str], seconds_each: float) -> dict[str, float]:
    import keras
    import tensorflow as tf

    from djai_live.config import DjaiConfig
    from djai_live.model import build_model, compile_model
    from djai_live.streaming import WindowStream

    print(f"training throughput on {len(files)} prepared files (about {seconds_each:.0f} s each)")
    rates = {}

    inputs, outputs = original_training_data(store, files, ORIGINAL["sequence_length_i"], ORIGINAL["sequence_length_o"])
    keras.utils.set_random_seed(0)
    model = original_model(ORIGINAL["sequence_length_i"], ORIGINAL["sequence_length_o"], ORIGINAL["n_layers"],
                           ORIGINAL["n_units"], ORIGINAL["dropout"], ORIGINAL["learning_rate"])
    dataset = tf.data.Dataset.from_tensor_slices((inputs, outputs)).batch(ORIGINAL["batch_size"]).repeat()
    probe = timed_fit(model, dataset, 20, ORIGINAL["batch_size"])
    steps = max(20, int(seconds_each / (probe * ORIGINAL["batch_size"])))
    per_window = timed_fit(model, dataset, steps, ORIGINAL["batch_size"])
    rates["original"] = rate_line("original design, GRU 5x64, 30->10, batch 32", 1, per_window, "windows",
                                  f"({ORIGINAL['sequence_length_o'] / per_window:.0f} notes/s)")

    runs = [("djai_live, original config (GRU 5x64, L=30, batch 32)", dict(ORIGINAL), False),
            ("djai_live, original config, batch 32, XLA", dict(ORIGINAL), True),
            ("djai_live, original config, batch 256", dict(ORIGINAL, batch_size=256), False),
            ("djai_live, original config, batch 256, XLA", dict(ORIGINAL, batch_size=256), True),
            ("djai_live, original config, batch 1024", dict(ORIGINAL, batch_size=1024), False),
            ("djai_live, original config, batch 1024, XLA", dict(ORIGINAL, batch_size=1024), True),
            ("djai_live default model (GRU 2x256, L=64, batch 128)",
             dict(model_type="gru", n_layers=2, n_units=256, sequence_length_i=64, batch_size=128,
                  dropout=0.3, learning_rate=0.003), "auto")]
    for label, settings, jit in runs:
        config = DjaiConfig(**settings)
        stream = WindowStream(store, files, config, shuffle=True)
        real_notes = float(sum(chunk[2].sum() for chunk in stream.chunks())) / max(len(stream), 1)
        dataset = stream.dataset(transpose=5).repeat()
        keras.utils.set_random_seed(0)
        model = build_model(config)
        compile_model(model, config, jit_compile=jit)
        epoch_steps = -(-len(stream) // config.batch_size)
        probe = timed_fit(model, dataset, 10, config.batch_size, warm_up=epoch_steps + 2)
        steps = max(10, int(seconds_each / (probe * config.batch_size)))
        per_window = timed_fit(model, dataset, steps, config.batch_size)
        rates[label] = rate_line(label, 1, per_window, "windows", f"({real_notes / per_window:.0f} notes/s)")
    rates.update(bench_bare_gru(inputs, seconds_each))
    for label, rate in rates.items():
        if label != "original":
            print(f"  {label}: {rate / rates['original']:.1f}x the original's windows/s")
    print(f"  (5x the original would be {5 * rates['original']:.0f} windows/s)")
    return rates


def bench_bare_gru(inputs: np.ndarray, seconds_each: float) -> dict[str, float]:
    """The most a GRU 5x64 over 30 steps trains at here: nothing but the recurrent stack and one head."""
    import keras
    import tensorflow as tf

    rates = {}
    length = inputs.shape[1]
    targets = np.random.default_rng(0).integers(0, 128, size=(len(inputs), length)).astype(np.int32)
    dataset = tf.data.Dataset.from_tensor_slices((inputs.astype(np.float32), targets)).batch(256).repeat()
    for label, unroll, jit in (("bare Keras GRU 5x64, 30 steps, batch 256", False, False),
                               ("the same, unroll=True", True, False),
                               ("the same, unroll=True and XLA", True, True)):
        keras.utils.set_random_seed(0)
        x = features = keras.Input((length, inputs.shape[2]))
        for _ in range(5):
            x = keras.layers.GRU(64, return_sequences=True, unroll=unroll)(x)
        model = keras.Model(features, keras.layers.Dense(128)(x))
        model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      jit_compile=jit)
        probe = timed_fit(model, dataset, 5, 256)
        per_window = timed_fit(model, dataset, max(5, int(seconds_each / (probe * 256))), 256)
        rates[label] = rate_line(label, 1, per_window, "windows")
    return rates


# -- 3. peak memory ---------------------------------------------------------------------------------------

def transposed_copies(files: list[str], target: Path, copies: int) -> list[str]:
    """The files, plus each file transposed by 1..copies-1 semitones: a corpus `copies` times larger."""
    import mido

    written = []
    for index, path in enumerate(files):
        midi = mido.MidiFile(path)
        for shift in range(copies):
            for track in midi.tracks:
                for message in track:
                    if message.type in ("note_on", "note_off") and message.channel != 9:
                        message.note = min(127, max(0, message.note + (1 if shift else 0)))
            out = target / f"{index:05d}_{shift}.mid"
            midi.save(out)
            written.append(str(out))
    return written


def memory_of_training(prepared: Path) -> float:
    """Max RSS in MB of a fresh process that trains one epoch on ``prepared``."""
    code = ("import resource, sys, json\n"
            "from djai_live.config import DjaiConfig\n"
            "from djai_live.prepared import PreparedCorpus\n"
            "from djai_live.training import train\n"
            "store = PreparedCorpus.open_existing(sys.argv[1])\n"
            "config = DjaiConfig(model_type='gru', n_layers=2, n_units=128, sequence_length_i=64, batch_size=128)\n"
            "train(None, config, sys.argv[2], epochs=1, prepared=store, verbose=0, plot=False)\n"
            "print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))\n")
    with tempfile.TemporaryDirectory() as scratch:
        result = subprocess.run([sys.executable, "-c", code, str(prepared), str(Path(scratch) / "m.keras")],
                                capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    if result.returncode:
        raise RuntimeError(result.stderr[-2000:])
    return float(result.stdout.strip().splitlines()[-1])


def bench_memory(files: list[str], workdir: Path, workers: int) -> tuple[float, float]:
    from djai_live.prepared import PreparedCorpus

    print("peak memory of one training epoch (GRU 2x128, L=64), fresh process each")
    results = []
    for copies in (1, 10):
        corpus = workdir / f"corpus-x{copies}"
        corpus.mkdir()
        copied = transposed_copies(files, corpus, copies)
        store = PreparedCorpus(workdir / f"prepared-x{copies}")
        store.update(copied, workers=workers)
        notes = sum(entry.note_count for entry in store.files.values())
        megabytes = memory_of_training(store.directory)
        print(f"  {copies:>2}x corpus: {len(copied):6d} files {notes:9d} notes   peak RSS {megabytes:8.1f} MB")
        results.append(megabytes)
    print(f"  10x corpus / 1x corpus peak memory: {results[1] / results[0]:.2f}")
    return results[0], results[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path,
                        default=Path(__file__).resolve().parents[1] / "tests" / "data" / "corpus")
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seconds", type=float, default=20.0, help="timed training per configuration")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: prepare,train,memory")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from djai_live.corpus import scan_midi_files
    from djai_live.prepared import PreparedCorpus

    files = [os.path.abspath(f) for f in scan_midi_files(args.corpus, args.files)]
    if len(files) < 11:
        print(f"need at least 11 MIDI files in {args.corpus}", file=sys.stderr)
        return 1
    skip = set(filter(None, args.skip.split(",")))
    print(f"{len(files)} files from {args.corpus}, {os.cpu_count()} CPUs")
    workdir = Path(tempfile.mkdtemp(prefix="djai_live_bench_train_"))
    try:
        if "prepare" not in skip:
            bench_prepare(files, workdir, args.workers)
        if "train" not in skip:
            store = PreparedCorpus(workdir / "prepared-train")
            store.update(files, workers=args.workers)
            bench_training(store, store.usable_files, args.seconds)
        if "memory" not in skip:
            bench_memory(files, workdir, args.workers)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
