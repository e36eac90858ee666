"""Live parameters: what `/djai/set NAME VALUE` and the matching `serve` flags change."""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from ..scales import CHROMATIC, Scale, ScaleError, parse_scale
from .clock import CLOCK_SOURCES
from .grid import GRIDS, QUANTIZE_STARTS
from .policy import DEFAULT_MODE, POLICIES

MODES = tuple(POLICIES)  # each mode is played by the policy the table names
KEY_MODES = ("off", "auto")
VOICE_LEADING_MODES = ("strict", "loose", "off")  # see djai_live.live.voicing


class SettingError(ValueError):
    """A live parameter that does not exist or a value out of its range."""


@dataclass
class LiveSettings:
    temperature: float = 1.0
    top_p: float = 0.95
    length: int = 10
    mode: str = DEFAULT_MODE
    phrase_gap_ms: float = 600.0
    every_n: int = 4
    pitch_min: int = 0
    pitch_max: int = 127
    channel_out: int = 1            # MIDI channel 1-16 of generated notes
    channel_in: int = 0             # 0: listen to every channel, else only this one (1-16)
    interrupt: bool = True          # the performer playing again drops the rest of a sounding answer
    tempo_bpm: float = 120.0        # converts seconds to the model's beats when no host clock gives a tempo
    velocity_scale: float = 1.0
    scale: Scale = field(default=CHROMATIC)   # generated pitches stay in it
    key: str = "off"                # auto: the scale follows the key estimated from the performer's notes
    max_leap: int = 0               # largest interval between generated notes, semitones; 0: no limit
    clock: str = "free"             # where tempo and beat come from
    quantize_start: str = "none"    # with a clock: answers start on the next beat or bar
    grid: str = "none"              # with a clock: onsets and durations snap to this grid
    swing: float = 0.5              # 0.5 straight; 0.66 triplet swing (every second grid point later)
    beats_per_bar: int = 4
    clock_latency_ms: float = 0.0   # how late the host's clock reaches us: answers are placed this much earlier
    carry_on_beats: float = 0.0     # accompany: beats it goes on after the performer stops (0: it rests)
    wait_ms: float = 10.0           # accompany: how long a note planned for the next chord waits for the performer
    voice_leading: str = "loose"    # accompany: the voices keep order, spacing, no parallels (strict: no unisons)

    # name -> (kind, low, high); kind is int, float, bool or a tuple of choices
    RANGES = {
        "temperature": (float, 0.0, 10.0), "top_p": (float, 0.01, 1.0), "length": (int, 1, 128),
        "mode": (MODES, None, None), "phrase_gap_ms": (float, 20.0, 60_000.0), "every_n": (int, 1, 128),
        "pitch_min": (int, 0, 127), "pitch_max": (int, 0, 127), "channel_out": (int, 1, 16),
        "channel_in": (int, 0, 16), "interrupt": (bool, None, None), "tempo_bpm": (float, 20.0, 400.0),
        "velocity_scale": (float, 0.0, 2.0), "scale": (Scale, None, None), "key": (KEY_MODES, None, None),
        "max_leap": (int, 0, 127), "clock": (CLOCK_SOURCES, None, None),
        "quantize_start": (QUANTIZE_STARTS, None, None), "grid": (GRIDS, None, None),
        "swing": (float, 0.5, 0.75), "beats_per_bar": (int, 1, 16),
        "clock_latency_ms": (float, -100.0, 250.0), "carry_on_beats": (float, 0.0, 32.0),
        "wait_ms": (float, 0.0, 250.0), "voice_leading": (VOICE_LEADING_MODES, None, None),
    }

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def set(self, name: str, *values) -> object:
        """Validate and apply one parameter; returns the stored value. ``scale`` takes several values
        (NAME [ROOT], or custom and pitch classes); every other parameter exactly one.

        Raises:
            SettingError: unknown name, wrong type, or value out of range (the setting is unchanged).
        """
        if name not in self.RANGES:
            raise SettingError(f"unknown parameter {name!r}; known: {', '.join(self.names())}")
        kind, low, high = self.RANGES[name]
        if kind is Scale:
            try:
                stored = values[0] if len(values) == 1 and isinstance(values[0], Scale) else parse_scale(values)
                self._check_range(stored, self.pitch_min, self.pitch_max)
            except ScaleError as error:
                raise SettingError(f"scale: {error}") from None
            self.scale = stored
            return stored
        if len(values) != 1:
            raise SettingError(f"{name} takes one value, got {len(values)}")
        stored = coerce(name, values[0], kind, low, high)
        if name == "pitch_min" and stored > self.pitch_max or name == "pitch_max" and stored < self.pitch_min:
            raise SettingError(f"{name}={stored} would put pitch_min above pitch_max "
                               f"({self.pitch_min if name == 'pitch_max' else stored} > "
                               f"{stored if name == 'pitch_max' else self.pitch_max})")
        if name in ("pitch_min", "pitch_max"):
            low_pitch, high_pitch = (stored, self.pitch_max) if name == "pitch_min" else (self.pitch_min, stored)
            self._check_range(self.scale, low_pitch, high_pitch)
        setattr(self, name, stored)
        return stored

    @staticmethod
    def _check_range(scale: Scale, pitch_min: int, pitch_max: int) -> None:
        if not scale.mask()[pitch_min:pitch_max + 1].any():
            raise SettingError(f"no pitch of {scale.describe()} lies in {pitch_min}-{pitch_max}")

    def items(self) -> list[tuple[str, object]]:
        """Name/value pairs as the OSC status sends them (the scale as words)."""
        return [(name, getattr(self, name).describe() if name == "scale" else getattr(self, name))
                for name in self.names()]


def coerce(name: str, value, kind, low, high):
    """Accept what Max and Pd send: integral floats for ints, 0/1 for booleans, strings for choices."""
    if isinstance(kind, tuple):
        if not isinstance(value, str) or value not in kind:
            raise SettingError(f"{name} must be one of {', '.join(kind)}, got {value!r}")
        return value
    if isinstance(value, bool):
        value = int(value)
    if kind is bool:
        if isinstance(value, str) and value.lower() in ("true", "false", "on", "off"):
            return value.lower() in ("true", "on")
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        raise SettingError(f"{name} must be 0 or 1, got {value!r}")
    if not isinstance(value, (int, float)):
        raise SettingError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise SettingError(f"{name} must be finite, got {value!r}")
    if kind is int:
        if value != int(value):
            raise SettingError(f"{name} must be an integer, got {value!r}")
        value = int(value)
    else:
        value = float(value)
    if not low <= value <= high:
        raise SettingError(f"{name} must be between {low} and {high}, got {value!r}")
    return value
