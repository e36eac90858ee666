"""Fine-tuning: a new model that starts from a trained one's weights, encoding and architecture.

The base model fixes everything its weights depend on (the architecture and the note encoding); only training
knobs (learning rate, batch size, dropout, loss weights, transposition, ...) may differ. The new model file
records where it came from in ``DjaiConfig.fine_tuned_from``: the base as it was named, the SHA-256 of its file,
and the base's own record, so a chain of fine-tunes can be traced back.

:data:`FINE_TUNE` holds the defaults for a small folder of the user's pieces, measured with
``scripts/bench_finetune.py`` (docs/finetuning.md): only the settings that differ from a run from scratch
(:class:`~djai_live.config.DjaiConfig` and :class:`~djai_live.config.TrainSettings`).
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from collections.abc import Mapping

from .config import FROM_SCRATCH, DjaiConfig, TrainSettings
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
class FineTuneDefaults:
    """What a fine-tune does by default: the base model's config with ``config_changes`` set over it, trained
    with the run settings ``run``. Made by :meth:`differing_from_scratch` from only what differs from a run
    from scratch, so the two sets cannot drift apart."""

    config_changes: Mapping[str, Any]  # DjaiConfig fields set over the base model's
    run: TrainSettings
    changed: frozenset[str]            # every field named, in either part

    @classmethod
    def differing_from_scratch(cls, **changes: Any) -> FineTuneDefaults:
        """The scratch defaults (DjaiConfig's training fields, :data:`FROM_SCRATCH`) with ``changes``.

        Raises:
            ValueError: a change to no setting, to an architecture field (the base's weights fix those), or one
                that equals the scratch default (it would say a difference that is not there).
        """
        config_fields = {f.name for f in dataclasses.fields(DjaiConfig)}
        run_fields = {f.name for f in dataclasses.fields(TrainSettings)}
        scratch_config = DjaiConfig()
        for name, value in changes.items():
            if name in ARCHITECTURE_FLAGS or name not in config_fields | run_fields:
                raise ValueError(f"{name} is not a training setting a fine-tune can change")
            scratch = getattr(FROM_SCRATCH, name) if name in run_fields else getattr(scratch_config, name)
            if value == scratch:
                raise ValueError(f"{name}={value!r} is the from-scratch default already")
        return cls(config_changes=MappingProxyType({k: v for k, v in changes.items() if k in config_fields}),
                   run=FROM_SCRATCH.replace(**{k: v for k, v in changes.items() if k in run_fields}),
                   changed=frozenset(changes))


# A fine-tune on a small folder (a handful to a few dozen pieces) differs from a run from scratch in these
# settings only; the rest are the base model's (architecture, encoding, dropout, loss weights) or the scratch
# run's (validation split, no frozen layers). Each was measured with scripts/bench_finetune.py on Palestrina's
# masses (docs/finetuning.md, "Defaults with --from").
FINE_TUNE = FineTuneDefaults.differing_from_scratch(
    # The cosine's peak: 0.003 / 0.006 / 0.01 scored 1.486 / 1.478-1.480 / 1.494 nats on unseen masses.
    learning_rate=0.006,
    # 20 pieces hold about 170 windows: batches of 16 give 11 updates an epoch where 128 give 2.
    batch_size=16,
    # A 10-batch warm-up keeps Adam's first steps from shaking trained weights, and a half cosine that ends at
    # the time limit: 1.478 nats, against 1.503-1.509 for halving after 2 stalled epochs in the same minute.
    lr_schedule="cosine",
    # A minute's cosine run is about 20 epochs; with 4, the noise of a 2-file validation stopped it after 12-16,
    # before the rate had come down (1.493 nats, against 1.474 with 8).
    patience=8,
    # +-6 semitones scored 1.590 nats on unseen masses, +-3 (with a 0.2 split) 1.625.
    transpose=6,
    # "Your own style in a minute": about 75 s wall in all; the time limit, not the epochs, ends the run.
    max_minutes=1.0,
    epochs=100,
)


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
