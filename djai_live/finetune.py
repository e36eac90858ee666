"""Fine-tuning: a new model that starts from a trained one's weights, encoding and architecture.

The base model fixes everything its weights depend on (the architecture and the note encoding); only training
knobs (learning rate, batch size, dropout, loss weights, transposition, ...) may differ. The new model file
records where it came from in ``DjaiConfig.fine_tuned_from``: the base as it was named, the SHA-256 of its file,
and the base's own record, so a chain of fine-tunes can be traced back.

:data:`FINE_TUNE` holds the defaults for a small folder of the user's pieces, measured with
``scripts/bench_finetune.py`` (docs/finetuning.md).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

from .config import DjaiConfig
from .model_files import read_config, resolve_model_path

# Config fields that the base model's weights and encoding fix, with the train flag that sets each
# (None: no flag; a caller of the Python API can still try to change it).
ARCHITECTURE_FLAGS: dict[str, str | None] = {
    "model_type": "--model-type",
    "n_layers": "--layers",
    "n_units": "--units",
    "n_heads": "--heads",
    "num_instruments": "--instruments",
    "sequence_length_i": "--sequence-length-i",
    "sequence_length_o": "--sequence-length-o",
    "pitch_embedding": None,
    "time_embedding": None,
    "velocity_embedding": None,
    "time_bins": None,
    "velocity_bins": None,
    "tempo_bpm": None,
    "version": None,
}


class FineTuneConflict(ValueError):
    """A setting that would change what the base model's weights depend on."""

    def __init__(self, field: str, given: Any, base_value: Any, base: str) -> None:
        flag = ARCHITECTURE_FLAGS.get(field) or field
        super().__init__(f"{flag} {given} conflicts with --from {base}: that model has {field}={base_value!r}, "
                         f"and a fine-tuned model keeps its base's architecture and encoding (leave {flag} out)")
        self.field, self.given, self.base_value = field, given, base_value


@dataclass(frozen=True)
class FineTuneSettings:
    """Training settings for a fine-tune on a small folder (a handful to a few dozen pieces)."""

    learning_rate: float      # the peak of the schedule
    batch_size: int
    lr_schedule: str          # lr_schedules.LR_SCHEDULES
    lr_patience: int | None   # plateau schedule: halve the rate after this many epochs without a better loss
    transpose: int            # random transposition, +- semitones
    validation_split: float   # share of files held out (at least one when there are two or more)
    patience: int             # early stopping
    epochs: int
    max_minutes: float | None  # the whole run, reading included
    freeze: tuple[str, ...]   # layer groups kept fixed (training.FREEZABLE)


FINE_TUNE = FineTuneSettings(learning_rate=0.006, batch_size=16, lr_schedule="cosine", lr_patience=None, transpose=6,
                             validation_split=0.1, patience=8, epochs=100, max_minutes=1.0, freeze=())


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def fine_tune_config(base: str | os.PathLike, **changes: Any) -> DjaiConfig:
    """The config of a model fine-tuned from ``base`` ("default", a bundled name or a path) with training
    settings ``changes`` (DjaiConfig fields). A change to an architecture or encoding field that differs from
    the base's value raises :class:`FineTuneConflict`; the same value is accepted.

    Raises:
        FineTuneConflict: a change the base's weights cannot follow.
        ModelFileError: the base model file is missing or not a djai_live model.
    """
    path = resolve_model_path(base)
    config = read_config(path)
    for field, value in changes.items():
        if field in ARCHITECTURE_FLAGS and value != getattr(config, field):
            raise FineTuneConflict(field, value, getattr(config, field), str(base))
    record = {"model": str(base), "sha256": file_sha256(path), "base": config.fine_tuned_from}
    return config.replace(**changes, fine_tuned_from=record)


def describe_origin(config: DjaiConfig) -> str:
    """One line on where a model's weights started: "trained from scratch" or its chain of bases."""
    record = config.fine_tuned_from
    if record is None:
        return "trained from scratch"
    chain = []
    while record is not None:
        chain.append(f"{record['model']} (sha256 {record['sha256'][:12]})")
        record = record.get("base")
    return "fine-tuned from " + " <- ".join(chain)
