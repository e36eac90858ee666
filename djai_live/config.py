"""One config object for the whole pipeline: encoding, model shape and training knobs.

It is stored inside every model file (``djai_config.json`` in the ``.keras`` zip) and restored on load,
so a model file alone is enough to generate, evaluate or serve.

The training defaults are defined here once: :class:`DjaiConfig`'s defaults are the model that
``djai-live train FOLDER`` and ``training.train(files, DjaiConfig())`` both build from scratch, and
:class:`TrainSettings`' defaults how both run it. Fine-tuning (``djai_live.finetune.FINE_TUNE``) names only
what it changes from these.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

MODEL_TYPES = ("gru", "lstm", "transformer")
HEAD_NAMES = ("pitch", "dt", "duration", "velocity", "instrument")
MAX_TRANSPOSITION_SPREAD = 6  # up to a tritone either way, the keys training transposes to
CONFIG_VERSION = 2  # 2: notes carry the interval input


def musical_time_bins(lowest_octave: int = -6, highest_octave: int = 4) -> list[float]:
    """Bin centres for times in beats: 0, then a log-spaced ladder of musical values.

    Each octave ``2**k`` holds 1, 5/4, 4/3 (triplets), 3/2 (dotted) and 7/4 (double dotted) times
    ``2**k``, so common note values decode exactly while the ladder stays roughly log-spaced
    (neighbours differ by 12-25%).
    """
    steps = (1.0, 1.25, 4.0 / 3.0, 1.5, 1.75)
    centres = [0.0]
    for octave in range(lowest_octave, highest_octave + 1):
        centres.extend(step * 2.0**octave for step in steps)
    return centres


def _is_pitch_range(pair: object) -> bool:
    """A [low, high] pair of MIDI pitches, low <= high."""
    return (isinstance(pair, (list, tuple)) and len(pair) == 2
            and all(isinstance(v, int) and 0 <= v <= 127 for v in pair) and pair[0] <= pair[1])


def uniform_velocity_bins(count: int = 8) -> list[float]:
    width = 127.0 / count
    return [round(width * (i + 0.5), 3) for i in range(count)]


@dataclass
class DjaiConfig:
    """Every setting that a model file must carry to be used on its own.

    Times are in beats (quarter notes); live input in seconds is converted with ``tempo_bpm``.
    """

    sequence_length_i: int = 64
    sequence_length_o: int = 10
    num_instruments: int = 1
    model_type: str = "gru"
    n_layers: int = 2
    n_units: int = 192
    dropout: float = 0.2
    batch_size: int = 128
    learning_rate: float = 0.003
    n_heads: int = 4
    loss_weights: dict[str, float] | None = None
    pitch_embedding: int = 64
    time_embedding: int = 16
    velocity_embedding: int = 8
    time_bins: list[float] = field(default_factory=musical_time_bins)
    velocity_bins: list[float] = field(default_factory=uniform_velocity_bins)
    tempo_bpm: float = 120.0
    include_drums: bool = False
    # Inference only: average the prediction over the context transposed by -N..+N semitones
    # (djai_live.transposition); 0 is the model alone. Costs 2N+1 views per note.
    average_transpositions: int = 0
    # Where the weights started, for a fine-tuned model (djai_live.finetune): {"model": the base as given,
    # "sha256": of its file, "base": the base's own record or None}. None: trained from scratch.
    fine_tuned_from: dict[str, Any] | None = None
    # Per instrument, the [lowest, highest] pitch it plays in the training data (1st to 99th percentile;
    # filled by training for several instruments): live accompaniment keeps each voice in its register.
    instrument_ranges: list[list[int]] | None = None
    # Inference only: the sampling temperature `serve` starts with when --temperature is not given (None: the
    # live default, 1.0). A model whose samples at 1.0 are too free stores what its benchmark chose.
    live_temperature: float | None = None
    version: int = CONFIG_VERSION

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first setting that is out of range."""
        positive_ints = ("sequence_length_i", "sequence_length_o", "num_instruments", "n_layers",
                         "n_units", "batch_size", "n_heads", "pitch_embedding", "time_embedding",
                         "velocity_embedding")
        for name in positive_ints:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        spread = self.average_transpositions
        if isinstance(spread, bool) or not isinstance(spread, int) or not 0 <= spread <= MAX_TRANSPOSITION_SPREAD:
            raise ValueError(f"average_transpositions must be an integer in 0..{MAX_TRANSPOSITION_SPREAD}, "
                             f"got {spread!r}")
        if self.instrument_ranges is not None:
            ranges = self.instrument_ranges
            if not isinstance(ranges, list) or len(ranges) != self.num_instruments or not all(
                    _is_pitch_range(r) for r in ranges):
                raise ValueError(f"instrument_ranges must be one [low, high] pitch pair (0-127, low <= high) per "
                                 f"instrument ({self.num_instruments}), got {ranges!r}")
        if self.live_temperature is not None and not 0.0 <= float(self.live_temperature) <= 10.0:
            raise ValueError(f"live_temperature must be in 0..10 (the live range), got {self.live_temperature!r}")
        if self.model_type not in MODEL_TYPES:
            raise ValueError(f"model_type must be one of {', '.join(MODEL_TYPES)}, got {self.model_type!r}")
        if not 0.0 <= float(self.dropout) < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if not float(self.learning_rate) > 0.0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate!r}")
        if not float(self.tempo_bpm) > 0.0:
            raise ValueError(f"tempo_bpm must be > 0, got {self.tempo_bpm!r}")
        if self.model_type == "transformer" and self.n_units % self.n_heads:
            raise ValueError(f"n_units ({self.n_units}) must be divisible by n_heads ({self.n_heads}) "
                             "for a transformer")
        for name in ("time_bins", "velocity_bins"):
            bins = getattr(self, name)
            if len(bins) < 2 or any(later <= earlier for earlier, later in zip(bins, bins[1:])):
                raise ValueError(f"{name} must be at least two increasing values, got {bins!r}")
        if self.time_bins[0] != 0.0:
            raise ValueError("time_bins must start at 0 (simultaneous onsets)")
        origin = self.fine_tuned_from
        if origin is not None and not (isinstance(origin, dict) and isinstance(origin.get("model"), str)
                                       and isinstance(origin.get("sha256"), str)):
            raise ValueError(f"fine_tuned_from must be None or a record with 'model' and 'sha256', got {origin!r}")
        if self.loss_weights is not None:
            unknown = set(self.loss_weights) - set(HEAD_NAMES)
            if unknown:
                raise ValueError(f"loss_weights has unknown heads {sorted(unknown)}; heads are {HEAD_NAMES}")
            for head, weight in self.loss_weights.items():
                if not float(weight) >= 0.0:
                    raise ValueError(f"loss weight of {head} must be >= 0, got {weight!r}")

    @property
    def head_names(self) -> tuple[str, ...]:
        """The output heads of a model built from this config, in order."""
        return HEAD_NAMES if self.num_instruments > 1 else HEAD_NAMES[:-1]

    def head_loss_weights(self) -> dict[str, float]:
        weights = {name: 1.0 for name in self.head_names}
        weights.update({k: float(v) for k, v in (self.loss_weights or {}).items() if k in weights})
        return weights

    def replace(self, **changes: Any) -> DjaiConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DjaiConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown config keys {sorted(unknown)}")
        version = data.get("version", CONFIG_VERSION)
        if version < CONFIG_VERSION:
            raise ValueError(f"config version {version} uses an older note encoding than this djai_live "
                             f"({CONFIG_VERSION}); retrain the model with this version")
        if version > CONFIG_VERSION:
            raise ValueError(f"config version {version} is newer than this djai_live understands "
                             f"({CONFIG_VERSION}); upgrade djai-live")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> DjaiConfig:
        return cls.from_dict(json.loads(text))


@dataclass(frozen=True)
class TrainSettings:
    """How a training run goes, as against the model it trains (:class:`DjaiConfig`): the settings a model
    file does not keep. The defaults are a run from scratch, for ``training.train`` and ``djai-live train``
    alike.
    """

    epochs: int = 50                 # the most epochs
    validation_split: float = 0.1    # share of files held out (at least one when there are two or more)
    patience: int = 5                # early stopping, in epochs without a better validation loss
    lr_schedule: str = "constant"    # lr_schedules.LR_SCHEDULES
    lr_patience: int | None = None   # plateau schedule: halve the rate after this many stalled epochs
    transpose: int = 0               # random transposition, +- semitones
    max_minutes: float | None = None  # the whole run, reading included; None: no limit
    freeze: tuple[str, ...] = ()     # layer groups kept fixed (training.FREEZABLE)

    def replace(self, **changes: Any) -> TrainSettings:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The settings as ``training.train``'s keyword arguments."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


FROM_SCRATCH = TrainSettings()
