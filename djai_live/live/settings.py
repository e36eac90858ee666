"""Live parameters: what `/djai/set NAME VALUE` and the matching `serve` flags change."""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

MODES = ("phrase", "every", "manual")


class SettingError(ValueError):
    """A live parameter that does not exist or a value out of its range."""


@dataclass
class LiveSettings:
    temperature: float = 1.0
    top_p: float = 0.95
    length: int = 10
    mode: str = "phrase"
    phrase_gap_ms: float = 600.0
    every_n: int = 4
    pitch_min: int = 0
    pitch_max: int = 127
    channel_out: int = 1            # MIDI channel 1-16 of generated notes
    channel_in: int = 0             # 0: listen to every channel, else only this one (1-16)
    interrupt: bool = True          # the performer playing again drops the rest of a sounding answer
    tempo_bpm: float = 120.0        # converts the performer's seconds to the model's beats
    velocity_scale: float = 1.0

    # name -> (kind, low, high); kind is int, float, bool or a tuple of choices
    RANGES = {
        "temperature": (float, 0.0, 10.0), "top_p": (float, 0.01, 1.0), "length": (int, 1, 128),
        "mode": (MODES, None, None), "phrase_gap_ms": (float, 20.0, 60_000.0), "every_n": (int, 1, 128),
        "pitch_min": (int, 0, 127), "pitch_max": (int, 0, 127), "channel_out": (int, 1, 16),
        "channel_in": (int, 0, 16), "interrupt": (bool, None, None), "tempo_bpm": (float, 20.0, 400.0),
        "velocity_scale": (float, 0.0, 2.0),
    }

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def set(self, name: str, value) -> object:
        """Validate and apply one parameter; returns the stored value.

        Raises:
            SettingError: unknown name, wrong type, or value out of range (the setting is unchanged).
        """
        if name not in self.RANGES:
            raise SettingError(f"unknown parameter {name!r}; known: {', '.join(self.names())}")
        kind, low, high = self.RANGES[name]
        stored = coerce(name, value, kind, low, high)
        if name == "pitch_min" and stored > self.pitch_max or name == "pitch_max" and stored < self.pitch_min:
            raise SettingError(f"{name}={stored} would put pitch_min above pitch_max "
                               f"({self.pitch_min if name == 'pitch_max' else stored} > "
                               f"{stored if name == 'pitch_max' else self.pitch_max})")
        setattr(self, name, stored)
        return stored

    def items(self) -> list[tuple[str, object]]:
        return [(name, getattr(self, name)) for name in self.names()]


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
