"""Continuing a sequence of notes with a trained model, one sampled note at a time."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .config import DjaiConfig
from .encoding import FEATURES, SIMULTANEOUS, Codec, interval_token, tokens_to_array
from .notes import empty_notes
from .sampling import SamplingSettings, sample_index

if TYPE_CHECKING:  # for the annotation only: from_file imports the runtime when it loads a model
    from .runtime import Runtime


class PromptTooShortError(ValueError):
    """A prompt with fewer notes than generation needs."""


MIN_PROMPT_NOTES = 8  # two bars of quarter notes: fewer tells the model too little to continue in style


def min_prompt_notes(config: DjaiConfig) -> int:
    """The fewest prompt notes offline generation accepts (the CLI and the djai API share this rule)."""
    return min(MIN_PROMPT_NOTES, config.sequence_length_i)


def check_prompt_length(count: int, config: DjaiConfig, what: str = "the prompt") -> None:
    """Raises PromptTooShortError when ``count`` notes are too few to continue."""
    needed = min_prompt_notes(config)
    if count < needed:
        raise PromptTooShortError(f"{what} has {count} note{'s' if count != 1 else ''}; generation needs at "
                                  f"least {needed} (the model reads up to {config.sequence_length_i})")


@dataclass
class Generator:
    """A model's runtime and codec, ready to continue note sequences."""

    runtime: Runtime
    config: DjaiConfig

    def __post_init__(self) -> None:
        self.codec = Codec(self.config)

    @classmethod
    def from_file(cls, path=None, average_transpositions: int | None = None) -> Generator:
        """Load a model file's weights straight into the NumPy runtime (TensorFlow is not imported).
        ``average_transpositions`` overrides the model's own setting (None keeps it).

        Raises:
            ModelFileError: the file is missing, damaged, or not a djai_live model.
            ValueError: ``average_transpositions`` is out of range.
        """
        from .model_files import StoredModel, read_config, resolve_model_path
        from .runtime import make_runtime

        path = resolve_model_path(path)
        config = read_config(path)
        if average_transpositions is not None:
            config = config.replace(average_transpositions=average_transpositions)
        return cls(make_runtime(StoredModel(path), config), config)

    def context_tokens(self, notes: np.ndarray) -> np.ndarray:
        """The (n, 6) tokens of the last ``sequence_length_i`` notes, the model's view of a prompt."""
        window = notes[-self.config.sequence_length_i:]
        return tokens_to_array(self.codec.encode(window))

    def sample_token(self, logits: dict[str, np.ndarray], rng: np.random.Generator, settings: SamplingSettings,
                     previous_pitch: int | None, instrument: int | None = None) -> np.ndarray:
        token = np.zeros(len(FEATURES), np.int64)
        token[0] = sample_index(logits["pitch"], rng, settings.temperature, settings.top_p,
                                settings.allowed_after(previous_pitch))
        token[5] = interval_token(int(token[0]), previous_pitch)
        for column, head in ((1, "dt"), (2, "duration"), (3, "velocity")):
            token[column] = sample_index(logits[head], rng, settings.temperature, settings.top_p)
        if instrument is not None:
            token[4] = instrument
        elif "instrument" in logits:
            token[4] = sample_index(logits["instrument"], rng, settings.temperature, settings.top_p)
        return token

    @staticmethod
    def _redraw_unison(token: np.ndarray, logits: dict[str, np.ndarray], rng: np.random.Generator,
                       settings: SamplingSettings, previous_pitch: int | None, at_onset: set[tuple[int, int]]) -> None:
        """A pitch drawn twice at one onset on one instrument is a zero-length note and a retrigger when
        played (and merged into one note, so an answer of N would have fewer). The pitch is drawn again
        without the pitches already sounding at that onset; the other heads are kept, and when no pitch
        is left the note stays as drawn (the phrase merges it)."""
        allowed = settings.allowed_after(previous_pitch)
        allowed = np.ones(128, dtype=bool) if allowed is None else allowed.copy()
        allowed[[pitch for voice, pitch in at_onset if voice == int(token[4])]] = False
        if not allowed.any():
            return
        token[0] = sample_index(logits["pitch"], rng, settings.temperature, settings.top_p, allowed)
        token[5] = interval_token(int(token[0]), previous_pitch)

    def continue_from_state(self, logits: dict[str, np.ndarray], state, count: int, rng: np.random.Generator,
                            settings: SamplingSettings, previous_pitch: int | None, start_onset: float = 0.0,
                            instrument: int | None = None,
                            between_steps: Callable[[], object] | None = None) -> np.ndarray:
        """Sample ``count`` notes after a primed state whose last note had ``previous_pitch``; onsets
        accumulate from ``start_onset`` (beats). ``between_steps`` is called after each model step (the
        daemon serves a knob's new value there, rather than after the whole answer)."""
        tokens = np.zeros((count, len(FEATURES)), np.int64)
        at_onset: set[tuple[int, int]] = set()   # (instrument, pitch) of the notes drawn at the current onset
        for i in range(count):
            token = self.sample_token(logits, rng, settings, previous_pitch, instrument)
            if i == 0 or token[1] != SIMULTANEOUS:
                at_onset.clear()
            elif (int(token[4]), int(token[0])) in at_onset:
                self._redraw_unison(token, logits, rng, settings, previous_pitch, at_onset)
            at_onset.add((int(token[4]), int(token[0])))
            tokens[i] = token
            previous_pitch = int(tokens[i, 0])
            if i + 1 < count:
                logits, state = self.runtime.step(tokens[i], state)
                if between_steps is not None:
                    between_steps()
        return self.codec.decode({name: tokens[:, j] for j, name in enumerate(FEATURES)}, start_onset)

    def continue_notes(self, notes: np.ndarray, count: int, seed: int | None = None,
                       settings: SamplingSettings | None = None, instrument: int | None = None) -> np.ndarray:
        """Generate ``count`` notes continuing the last ``sequence_length_i`` of ``notes``.

        Raises:
            PromptTooShortError: ``notes`` is empty.
        """
        if len(notes) == 0:
            raise PromptTooShortError("the prompt has no notes to continue")
        if count < 0:
            raise ValueError(f"length must be >= 0, got {count}")
        if count == 0:
            return empty_notes()
        settings = settings or SamplingSettings()
        logits, state = self.runtime.prime(self.context_tokens(notes))
        rng = np.random.default_rng(seed)
        return self.continue_from_state(logits, state, count, rng, settings, int(notes["pitch"][-1]),
                                        float(notes["onset"][-1]), instrument)
