"""The original djalgo ``djai`` API, as a thin layer over the djai_live pipeline.

The notebook calls of the original run unchanged::

    from djai_live import djai
    files = djai.scan_midi_files("midi/")
    manager = djai.ModelManager(sequence_length_i=30, sequence_length_o=10, num_instruments=1,
                                model_type="gru", n_layers=5, n_units=64, dropout=0.1, batch_size=32,
                                learning_rate=0.005, loss_weights=None)
    history = manager.fit(files, epochs=5)
    manager.save("x.keras")
    manager = djai.ModelManager.load("x.keras")
    manager.generate(files[0], length=10)   # [[(pitch, duration, offset), ...]] per instrument

``fit`` continues from the manager's current weights. On a manager made by ``load`` (a trained model, or
"default" for the bundled one) it fine-tunes: the base's architecture and encoding stay, the fine-tuning
defaults of :data:`djai_live.finetune.FINE_TUNE` apply to what is not given, and the model records its base::

    manager = djai.ModelManager.load("default")
    manager.fit(my_files)                   # about a minute; max_minutes=... to change that
    manager.save("mine.keras")

Durations and offsets are in quarter notes, as music21 gave them in the original.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .config import FROM_SCRATCH, DjaiConfig
from .corpus import load_corpus, read_midi_notes
from .corpus import scan_midi_files as _scan
from .encoding import Codec, tokens_to_array
from .finetune import FINE_TUNE, fine_tune_config
from .generation import Generator, check_prompt_length
from .lr_schedules import choose_lr_schedule
from .runtime import make_runtime
from .sampling import SamplingSettings
from .windows import Windows, cut_windows

try:
    from .model import PositionalEncoding, build_model, load_model, save_model
    from .training import train
except ImportError as error:  # the light install: no TensorFlow/Keras
    if (error.name or "").split(".")[0] not in ("tensorflow", "keras"):
        raise
    raise ImportError("djai_live.djai (ModelManager: fit, save, load) needs TensorFlow and Keras, which the light "
                      "install leaves out: pip install 'djai-live[train]' (in a clone: python3 -m pip install "
                      "'.[train]')", name=error.name) from None

__all__ = ["scan_midi_files", "DataProcessor", "ModelManager", "PositionalEncoding"]

# The original djai's fit: 5 epochs, so that its notebook calls take as long as they did (the rest is a run from
# scratch).
ORIGINAL_FIT = FROM_SCRATCH.replace(epochs=5)

def scan_midi_files(directory: str | os.PathLike, max_files: int | None = None) -> list[str]:
    """All MIDI files below ``directory`` (recursive, .mid/.midi in any case), sorted."""
    return _scan(directory, max_files)

class DataProcessor:
    """Turns MIDI files into the model's training windows, as the original's DataProcessor did."""

    def __init__(self, midi_files: Sequence[str] | None = None, sequence_length_i: int = 30,
                 sequence_length_o: int = 10, num_instruments: int = 1, n_instruments: int | None = None,
                 config: DjaiConfig | None = None) -> None:
        self.midi_files = list(midi_files or [])
        self.config = config or DjaiConfig(sequence_length_i=sequence_length_i, sequence_length_o=sequence_length_o,
                                           num_instruments=n_instruments or num_instruments)
        self.codec = Codec(self.config)

    def extract_features(self, midi_file: str) -> list[np.ndarray]:
        """The (n, 6) token arrays (pitch, dt, duration, velocity, instrument, interval) of one file."""
        sequences = self.codec.sequences(read_midi_notes(midi_file, self.config.include_drums))
        return [tokens_to_array(seq) for seq in sequences]

    def process_midi_files(self, midi_files: Sequence[str] | None = None) -> Windows:
        """Windows of ``sequence_length_i`` notes and their next notes, unreadable files skipped."""
        corpus = load_corpus(midi_files or self.midi_files, self.config.include_drums)
        corpus.report_skipped()
        sequences = [tokens_to_array(seq) for piece in corpus.pieces for seq in self.codec.sequences(piece)]
        return cut_windows(sequences, self.config.sequence_length_i)

class ModelManager:
    """Builds, trains, saves, loads and samples a djai_live model with the original's arguments."""

    def __init__(self, sequence_length_i: int = 30, sequence_length_o: int = 10, num_instruments: int = 1,
                 model_type: str = "gru", n_layers: int = 2, n_units: int = 128, dropout: float = 0.1,
                 batch_size: int = 32, learning_rate: float = 0.001, n_heads: int = 4,
                 loss_weights: dict[str, float] | None = None, n_instruments: int | None = None,
                 config: DjaiConfig | None = None) -> None:
        self.config = config or DjaiConfig(
            sequence_length_i=sequence_length_i, sequence_length_o=sequence_length_o,
            num_instruments=n_instruments or num_instruments, model_type=model_type, n_layers=n_layers,
            n_units=n_units, dropout=dropout, batch_size=batch_size, learning_rate=learning_rate,
            n_heads=n_heads, loss_weights=_known_heads(loss_weights))
        self.model = build_model(self.config)
        self._generator: Generator | None = None
        self._source: str | None = None  # the model file load() read: fit() fine-tunes from it

    def fit(self, midi_files: Sequence[str], epochs: int | None = None, validation_split: float | None = None,
            seed: int = 0, learning_rate: float | None = None, max_minutes: float | None = None, **kwargs):
        """Train on MIDI files, continuing from the current weights; returns the Keras History.

        A manager made by :meth:`load` fine-tunes its model: the batch size, ``epochs``, ``validation_split``,
        ``learning_rate``, ``max_minutes`` and the ``train`` settings ``transpose``, ``lr_schedule``,
        ``lr_patience``, ``patience`` and ``freeze`` default to :data:`~djai_live.finetune.FINE_TUNE`, and the
        config records the base (``fine_tuned_from``). Otherwise the defaults are the original's
        (:data:`ORIGINAL_FIT`: 5 epochs, 10% held out, the manager's learning rate, no time limit). Other keyword
        arguments go to :func:`djai_live.training.train`.
        """
        config = self.config
        if self._source is not None:  # fine-tuning
            run = FINE_TUNE.run
            config = config.replace(**FINE_TUNE.config_changes,
                                    fine_tuned_from=fine_tune_config(self._source).fine_tuned_from)
            kwargs["lr_schedule"] = choose_lr_schedule(kwargs.get("lr_schedule"), kwargs.get("lr_patience"),
                                                       run.lr_schedule)
            for name in ("transpose", "lr_patience", "patience", "freeze"):
                kwargs.setdefault(name, getattr(run, name))
        else:
            run = ORIGINAL_FIT
        epochs = epochs if epochs is not None else run.epochs
        validation_split = validation_split if validation_split is not None else run.validation_split
        max_minutes = max_minutes if max_minutes is not None else run.max_minutes
        if learning_rate is not None:
            config = config.replace(learning_rate=learning_rate)
        with tempfile.TemporaryDirectory() as scratch:
            result = train(midi_files, config, Path(scratch) / "model.keras", epochs=epochs,
                           validation_split=validation_split, seed=seed, plot=False, init_from=self.model,
                           max_minutes=max_minutes, **kwargs)
        self.model, self.config = result.model, result.config
        self._source = None  # a later fit continues from these weights; the record of the base stays
        self._generator = None
        return result.history

    def save(self, path: str | os.PathLike) -> None:
        save_model(self.model, self.config, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> ModelManager:
        model, config = load_model(path)
        manager = cls.__new__(cls)
        manager.config, manager.model, manager._generator = config, model, None
        manager._source = str(path)
        return manager

    def generate(self, midi_file: str, length: int | None = None, temperature: float = 1.0, top_p: float = 0.95,
                 seed: int | None = None) -> list[list[tuple[int, float, float]]]:
        """Continue the last ``sequence_length_i`` notes of a MIDI file.

        Returns one list per instrument of ``(pitch, duration, offset)`` tuples, durations and offsets in
        quarter notes from the start of the prompt file.

        Raises:
            PromptTooShortError: the prompt has fewer notes than :func:`~djai_live.generation.min_prompt_notes`.
        """
        piece = read_midi_notes(midi_file, self.config.include_drums)
        notes = piece.merged_notes(self.config.num_instruments) if self.config.num_instruments > 1 \
            else piece.tracks[0].notes
        check_prompt_length(len(notes), self.config, f"{midi_file}: the prompt")
        if self._generator is None:
            self._generator = Generator(make_runtime(self.model, self.config), self.config)
        generated = self._generator.continue_notes(notes, length or self.config.sequence_length_o, seed=seed,
                                                   settings=SamplingSettings(temperature, top_p))
        return [[(int(n["pitch"]), float(n["duration"]), float(n["onset"]))
                 for n in generated[generated["instrument"] == instrument]]
                for instrument in range(self.config.num_instruments)]

def _known_heads(loss_weights: dict[str, float] | None) -> dict[str, float] | None:
    """The original's weights named 'offset' and 'time_delta' map to our dt head; 'is_rest' has no head."""
    if not loss_weights:
        return None
    aliases = {"offset": "dt", "time_delta": "dt", "time": "dt"}
    mapped = {aliases.get(name, name): float(weight) for name, weight in loss_weights.items()}
    return {name: weight for name, weight in mapped.items()
            if name in ("pitch", "dt", "duration", "velocity", "instrument")}

