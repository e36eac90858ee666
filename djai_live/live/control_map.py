"""The MIDI mapping file (``serve --midi-map FILE``, or ``[midi_map]`` in the ``serve --config`` file): which
control change, program change or pad drives which live parameter or action.

    [cc]                       # control change -> live parameter
    temperature = 21           # CC 21 on any channel
    top_p = { cc = 22, channel = 2, min = 0.5, max = 1.0 }
    mode = 23                  # a choice: split evenly over 0-127
    [program]                  # program change -> what it does
    0 = "load default"
    1 = "set mode accompany"
    [actions]                  # momentary controls
    handover = 67              # held: the daemon's turn
    [pads]                     # notes on one channel as buttons
    channel = 10
    36 = "generate"

The ranges come from :data:`~.settings.LiveSettings.RANGES`, the table ``/djai/capabilities`` reports, so a
parameter added there can be mapped with no change here. Each bad entry is one :class:`MapProblem` (the
mapping is read whole, the rest serves); learn writes a binding back with :func:`save_binding`, in place,
comments kept (tomlkit), atomically (a temporary file renamed over the old one).
"""
from __future__ import annotations

import os
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable
from typing import Any

from ..scales import SCALES, Scale
from .settings import LiveSettings

# Momentary controls and what each does: handover while held, the rest when pressed (value >= 64).
ACTIONS = {
    "handover": "held: the daemon's turn (answers at once, or carries on playing); released: the performer's",
    "generate": "answer now",
    "stop": "stop now: the daemon's notes end and what it planned is dropped",
    "panic": "as /djai/panic",
    "reset": "as /djai/reset",
}
MOMENTARY = tuple(action for action in ACTIONS if action != "handover")
DEFAULT_HANDOVER_CC = 67  # the soft pedal, as EleutherAI's Aria demo uses
TABLES = ("cc", "program", "actions", "pads")
CHANNEL_MODE_FIRST = 120  # CCs 120-127 are channel mode messages (all sound off, all notes off...), not knobs


class MapError(ValueError):
    """A mapping file that cannot be read at all (missing, not TOML)."""


@dataclass(frozen=True)
class MapProblem:
    """One bad entry, said in one line; the entry is left out and the rest of the mapping serves."""
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Binding:
    """One control change bound to a parameter or an action. ``channel`` 0: any channel."""
    target: str
    cc: int
    channel: int = 0
    low: float | None = None    # numbers: the value CC 0 gives (default: the parameter's low end)
    high: float | None = None   # ... and CC 127
    root: str | None = None     # scale: the root its names are played on

    def describe(self) -> str:
        words = f"cc {self.cc} channel {self.channel or 'any'}"
        if self.low is not None:
            words += f" {self.low:g}-{self.high:g}"
        if self.root is not None:
            words += f" root {self.root}"
        return words


@dataclass
class ControlMap:
    """What the mapping says, checked: control changes, programs, pads. Replaced whole, never changed in
    place, once the MIDI threads read it (see :class:`~.controls.MidiControls`)."""
    bindings: dict[tuple[int, int], Binding] = field(default_factory=dict)  # (channel or 0, cc) -> binding
    programs: dict[int, tuple[str, ...]] = field(default_factory=dict)    # program -> command words
    pads: dict[int, str] = field(default_factory=dict)                     # note -> action
    pad_channel: int = 10
    source: Path | None = None        # the file learn writes back to
    table_path: tuple[str, ...] = ()  # where in that file: () for a map file, ("midi_map",) in a config file

    def binding_for(self, channel: int, cc: int) -> Binding | None:
        return self.bindings.get((channel, cc)) or self.bindings.get((0, cc))

    def cc_of(self, target: str) -> Binding | None:
        """The control a parameter or action is bound to (the first, when several are)."""
        return next((binding for binding in self.bindings.values() if binding.target == target), None)

    def with_binding(self, binding: Binding) -> ControlMap:
        """A copy with ``binding`` in place of whatever that control or that target was bound to."""
        kept = {key: old for key, old in self.bindings.items()
                if old.target != binding.target and key != (binding.channel, binding.cc)}
        kept[(binding.channel, binding.cc)] = binding
        return ControlMap(kept, dict(self.programs), dict(self.pads), self.pad_channel, self.source,
                          self.table_path)

    def pairs(self) -> list[tuple[str, str]]:
        """What /djai/status and /djai/capabilities list: ``map:NAME`` and how it is reached."""
        pairs = [(f"map:{binding.target}", binding.describe()) for binding in self.bindings.values()]
        pairs += [(f"map:program {program}", " ".join(words)) for program, words in sorted(self.programs.items())]
        pairs += [(f"map:pad {note}", f"{action} channel {self.pad_channel}")
                  for note, action in sorted(self.pads.items())]
        return pairs


    def model_problems(self, check_mode: Callable[[str], None], error: type[Exception]) -> list[MapProblem]:
        """Controls that reach a mode the model cannot play (accompany with a model of one instrument): said
        at start-up; turned there, the conductor rejects them like any /djai/set."""
        where = str(self.source or "the MIDI map")
        problems = []
        mapped = [(f"[cc] mode (cc {binding.cc})", choices_of("mode") or ())
                  for binding in self.bindings.values() if binding.target == "mode"]
        mapped += [(f"[program] {program}", (words[2],)) for program, words in self.programs.items()
                   if words[:2] == ("set", "mode")]
        for place, modes in mapped:
            for mode in modes:
                try:
                    check_mode(mode)
                except error as reason:
                    problems.append(MapProblem(f"{where} {place}", f"this model cannot play {mode} ({reason}); "
                                               f"sent there, it is rejected with /djai/error"))
        return problems


def example_map_path() -> Path:
    """The example map that ships with the package (``--midi-map example``)."""
    return Path(__file__).resolve().parents[1] / "data" / "midi_map.toml"


def parameter_names() -> list[str]:
    return list(LiveSettings.RANGES)


def numeric_range(name: str) -> tuple[float, float] | None:
    """(low, high) of a number parameter, None for a choice, on/off or the scale."""
    kind, low, high = LiveSettings.RANGES[name]
    if kind not in (int, float):
        return None
    return float(low), float(high)  # type: ignore[arg-type]  # (RANGES mixes rows of every kind)


def choices_of(name: str) -> tuple[str, ...] | None:
    """The words a choice parameter splits 0-127 into (the scale's names for scale), None for the rest."""
    kind = LiveSettings.RANGES[name][0]
    if kind is Scale:
        return tuple(SCALES)
    return kind if isinstance(kind, tuple) else None


def read_map_file(path: Path) -> tuple[ControlMap, list[MapProblem]]:
    """A mapping file, checked. Raises MapError when it cannot be read as TOML at all."""
    data = load_toml(path)
    control_map, problems = parse_map(data, str(path))
    control_map.source = path
    return control_map, problems


def load_toml(path: Path) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        return tomllib.loads(path.read_text())
    except OSError as error:
        raise MapError(f"{path}: cannot read the MIDI map ({error.strerror or error})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise MapError(f"{path}: not valid TOML ({error})") from None


def parse_map(data: dict, where: str) -> tuple[ControlMap, list[MapProblem]]:
    """The mapping's tables, each entry checked against the parameters' ranges and the actions."""
    control_map, problems = ControlMap(), []
    for table in data:
        if table not in TABLES:
            problems.append(MapProblem(where, f"unknown table [{table}]; use {', '.join(f'[{t}]' for t in TABLES)}"))
    for name, entry in _table(data, "cc", where, problems).items():
        _add(control_map, _cc_binding(name, entry, f"{where} [cc] {name}", problems), f"{where} [cc] {name}", problems)
    actions = _table(data, "actions", where, problems)
    for name, entry in actions.items():
        place = f"{where} [actions] {name}"
        if name not in ACTIONS:
            problems.append(MapProblem(place, f"unknown action; actions: {', '.join(ACTIONS)}"))
            continue
        if entry is False:
            continue  # (handover = false: no pedal at all)
        control = _control(entry, place, problems)
        if control is not None:
            _add(control_map, Binding(name, *control), place, problems)
    if "handover" not in actions and control_map.binding_for(0, DEFAULT_HANDOVER_CC) is None:
        control_map.bindings[(0, DEFAULT_HANDOVER_CC)] = Binding("handover", DEFAULT_HANDOVER_CC)
    for key, words in _table(data, "program", where, problems).items():
        place = f"{where} [program] {key}"
        program = _number_key(key, place, problems)
        if program is not None:
            command = program_words(words, place, problems)
            if command is not None:
                control_map.programs[program] = command
    pads = dict(_table(data, "pads", where, problems))
    channel = pads.pop("channel", 10)
    if not _is_int(channel) or not 1 <= channel <= 16:
        problems.append(MapProblem(f"{where} [pads] channel", f"must be a MIDI channel 1-16, got {channel!r}"))
    else:
        control_map.pad_channel = channel
    for key, action in pads.items():
        place = f"{where} [pads] {key}"
        note = _number_key(key, place, problems)
        if note is None:
            continue
        if action not in ACTIONS or action == "handover":
            problems.append(MapProblem(place, f"a pad triggers one of {', '.join(MOMENTARY)}, got {action!r}"))
            continue
        control_map.pads[note] = action
    return control_map, problems


def program_words(words: object, place: str, problems: list[MapProblem]) -> tuple[str, ...] | None:
    """A program change's command: an action, 'load MODEL' or 'set NAME VALUE...'."""
    if not isinstance(words, str) or not words.split():
        problems.append(MapProblem(place, f"expected an action, 'load MODEL' or 'set NAME VALUE', got {words!r}"))
        return None
    split = tuple(words.split())
    if split[0] in ACTIONS and split[0] != "handover" and len(split) == 1:
        return split
    if split[0] == "load" and len(split) == 2:
        return split
    if split[0] == "set" and len(split) >= 3:
        if split[1] not in LiveSettings.RANGES:
            problems.append(MapProblem(place, f"unknown parameter {split[1]!r}; known: {', '.join(parameter_names())}"))
            return None
        return split
    problems.append(MapProblem(place, f"expected an action ({', '.join(MOMENTARY)}), "
                               f"'load MODEL' or 'set NAME VALUE', got {words!r}"))
    return None


def _table(data: dict, name: str, where: str, problems: list[MapProblem]) -> dict:
    table = data.get(name, {})
    if not isinstance(table, dict):
        problems.append(MapProblem(where, f"[{name}] must be a table, got {table!r}"))
        return {}
    return table


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number_key(key: str, place: str, problems: list[MapProblem]) -> int | None:
    if not key.isdigit() or not 0 <= int(key) <= 127:
        problems.append(MapProblem(place, "the key must be a number 0-127"))
        return None
    return int(key)


def _control(entry: object, place: str, problems: list[MapProblem]) -> tuple[int, int] | None:
    """(cc, channel) of ``21`` or ``{ cc = 21, channel = 2 }``."""
    fields_: dict[str, Any] = entry if isinstance(entry, dict) else {"cc": entry}
    cc: Any = fields_.get("cc")
    channel: Any = fields_.get("channel", 0)
    if not _is_int(cc) or not 0 <= cc < CHANNEL_MODE_FIRST:
        problems.append(MapProblem(place, f"cc must be a control number 0-{CHANNEL_MODE_FIRST - 1}, got {cc!r} "
                                   f"(120-127 are channel mode messages)"))
        return None
    if not _is_int(channel) or not 0 <= channel <= 16:
        problems.append(MapProblem(place, f"channel must be 1-16 (0 or none: any), got {channel!r}"))
        return None
    return cc, channel


def _cc_binding(name: str, entry: object, place: str, problems: list[MapProblem]) -> Binding | None:
    if name not in LiveSettings.RANGES:
        problems.append(MapProblem(place, f"unknown parameter; known: {', '.join(parameter_names())}"))
        return None
    control = _control(entry, place, problems)
    if control is None:
        return None
    fields_: dict[str, Any] = entry if isinstance(entry, dict) else {}
    unknown = set(fields_) - {"cc", "channel", "min", "max", "root"}
    if unknown:
        problems.append(MapProblem(place, f"unknown keys {sorted(unknown)}; use cc, channel, min, max, root"))
        return None
    kind = LiveSettings.RANGES[name][0]
    root = fields_.get("root")
    if root is not None:
        if kind is not Scale:
            problems.append(MapProblem(place, "root is for scale only"))
            return None
        try:
            Scale.named("major", root)
        except ValueError as error:
            problems.append(MapProblem(place, f"root: {error}"))
            return None
        root = str(root)
    bounds = numeric_range(name)
    if bounds is None:
        if "min" in fields_ or "max" in fields_:
            problems.append(MapProblem(place, f"min and max are for numbers; {name} is split evenly over 0-127"))
            return None
        return Binding(name, *control, root=root)
    low, high = bounds
    low_mapped, high_mapped = fields_.get("min", low), fields_.get("max", high)
    for word, value in (("min", low_mapped), ("max", high_mapped)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            problems.append(MapProblem(place, f"{word} must be within {name}'s range {low:g}-{high:g}, got {value!r}"))
            return None
    return Binding(name, *control, low=float(low_mapped), high=float(high_mapped))


def _add(control_map: ControlMap, binding: Binding | None, place: str, problems: list[MapProblem]) -> None:
    if binding is None:
        return
    taken = control_map.bindings.get((binding.channel, binding.cc))
    if taken is not None:
        problems.append(MapProblem(place, f"cc {binding.cc} on channel {binding.channel or 'any'} is already "
                                   f"{taken.target}'s"))
        return
    control_map.bindings[(binding.channel, binding.cc)] = binding


# --- values both ways ---------------------------------------------------------------------------------
def value_for(binding: Binding, value: int) -> object:
    """What a control's 0-127 sets: numbers scale linearly onto the range, choices split it evenly, on/off
    at 64."""
    kind, low, high = LiveSettings.RANGES[binding.target]
    choices = choices_of(binding.target)
    if choices is not None:
        return choices[min(value * len(choices) // 128, len(choices) - 1)]
    if kind is bool:
        return int(value >= 64)
    assert binding.low is not None and binding.high is not None  # (numbers always have both, see _cc_binding)
    scaled = binding.low + (binding.high - binding.low) * value / 127.0
    return round(scaled) if kind is int else scaled


def control_value(binding: Binding, stored: object) -> int | None:
    """The 0-127 a stored value is sent back as (feedback): the middle of a choice's share; None when the
    value has no place on this control (a custom scale, a number outside a narrowed min/max)."""
    kind = LiveSettings.RANGES[binding.target][0]
    choices = choices_of(binding.target)
    if choices is not None:
        word = stored.name if isinstance(stored, Scale) else stored
        if word not in choices:
            return None
        index = choices.index(word)
        return min(127, (index * 128 + 64) // len(choices))
    if kind is bool:
        return 127 if stored else 0
    assert binding.low is not None and binding.high is not None
    if not isinstance(stored, (int, float)) or binding.high == binding.low:
        return None
    fraction = (float(stored) - binding.low) / (binding.high - binding.low)
    return round(fraction * 127) if 0.0 <= fraction <= 1.0 else None


# --- learn's write-back -------------------------------------------------------------------------------
_write_lock = threading.Lock()


def save_binding(path: Path, table_path: tuple[str, ...], binding: Binding) -> None:
    """Write one learned binding into the mapping file, keeping the rest of it as the user wrote it, and
    atomically: a crash mid-write leaves the old file whole. Raises OSError or MapError."""
    import tomlkit

    with _write_lock:
        try:
            document = tomlkit.parse(path.read_text()) if path.exists() else tomlkit.document()
        except tomlkit.exceptions.ParseError as error:
            raise MapError(f"{path}: not valid TOML ({error})") from None
        table = document
        for key in table_path:
            table = table.setdefault(key, tomlkit.table())
        section = "actions" if binding.target in ACTIONS else "cc"
        other = "cc" if section == "actions" else "actions"
        if other in table and binding.target in table[other]:
            del table[other][binding.target]
        entries = table.setdefault(section, tomlkit.table())
        for name in [name for name, entry in entries.items() if name != binding.target
                     and _entry_control(entry) == (binding.cc, binding.channel)]:
            del entries[name]  # the control learned is this target's now
        kept = entries.get(binding.target)
        if isinstance(kept, dict):  # min, max and root as the user wrote them; the control is the new one
            kept["cc"] = binding.cc
            if binding.channel:
                kept["channel"] = binding.channel
            elif "channel" in kept:
                del kept["channel"]
        elif binding.channel:
            inline = tomlkit.inline_table()
            inline.update({"cc": binding.cc, "channel": binding.channel})
            entries[binding.target] = inline
        else:
            entries[binding.target] = binding.cc
        text = tomlkit.dumps(document)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            if path.exists():
                os.chmod(temporary, path.stat().st_mode & 0o777)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _entry_control(entry: Any) -> tuple[Any, Any] | None:
    if isinstance(entry, dict):
        return entry.get("cc"), entry.get("channel", 0)
    return (int(entry), 0) if isinstance(entry, int) else None
