"""The public OSC contract: addresses, argument checks, and the :class:`~.commands.Command` they become.

Integer arguments also arrive as floats from Pd and Max: integral floats are accepted. Everything else
that is malformed (wrong type, NaN/inf, out of range, missing or extra arguments, unknown address) raises
:class:`ProtocolError` with a message that names the address and the problem.
"""
from __future__ import annotations

import math
from typing import Any
from collections.abc import Sequence

from .commands import Command

PREFIX = "/djai/"

INBOUND = {
    "/djai/note": "pitch velocity [channel]: note-on; velocity 0 is a note-off",
    "/djai/note_on": "pitch velocity [channel]: note-on",
    "/djai/note_off": "pitch [channel]: note-off",
    "/djai/generate": "[count]: answer now from the current buffer",
    "/djai/set": "name value: change a live parameter (scale: NAME [ROOT], or custom and pitch classes)",
    "/djai/tempo": "bpm: the host's tempo (with clock osc)",
    "/djai/beat": "bar beat: the host's position, 1-based as Max's transport reports it (with clock osc)",
    "/djai/capabilities": "answered by /djai/capabilities with the model's facts and every parameter's range",
    "/djai/reset": "forget the buffer",
    "/djai/panic": "cancel everything pending, end every note ever sent (then /djai/all_notes_off) and "
                   "forget the performer's held keys",
    "/djai/load": "NAME_OR_PATH: swap to a bundled model or a model file in --models-dir, between answers; "
                  "answered by /djai/loaded or /djai/error",
    "/djai/ping": "answered by /djai/pong",
    "/djai/status": "answered by /djai/status with name/value pairs",
    "/djai/learn": "NAME|off: bind the next MIDI control change to a parameter or action (kept in the --midi-map "
                   "file); answered by /djai/learn NAME, then /djai/learned when a control arrives",
}
OUTBOUND = {
    "/djai/phrase": "phrase_id count, then per note: onset_ms pitch velocity duration_ms",
    "/djai/note": "pitch velocity duration_ms channel, at each generated note's onset",
    "/djai/note_off": "pitch channel, at each generated note's end",
    "/djai/all_notes_off": "no arguments: silence every note on every channel (after panic's note-offs, on "
                           "shutdown and at start-up)",
    "/djai/loaded": "name, once a model asked for by /djai/load answers",
    "/djai/midi_port": "in|out gone|back NAME: a watched MIDI port's device went away or is connected again",
    "/djai/error": "message, for each rejected message (rate-limited)",
    "/djai/pong": "the answer to /djai/ping",
    "/djai/status": "name value pairs: model, mode, parameters, counters, clock, tempo, beat, key",
    "/djai/capabilities": "name value pairs: model facts, parameters with kind and range, scales, grids, clocks",
    "/djai/key": "the scale answers keep to, as atoms: root and name ('D' 'major'), or 'custom' and its pitch "
                 "classes; when it changes and after /djai/status",
    "/djai/key_words": "the same as one symbol with a space ('D major'), for hosts that show it as text",
    "/djai/set": "name value: the acknowledgement of a /djai/set, with the value stored (on/off as 1/0, a scale "
                 "as words)",
    "/djai/reset": "the acknowledgement of /djai/reset",
    "/djai/learn": "NAME or off: the acknowledgement of /djai/learn (waiting for a control change, or no longer)",
    "/djai/learned": "name cc channel: the control change learn bound to a parameter or action",
    "/djai/handover": "1|0: the hand-over pedal went down (the daemon's turn) or up (the performer's)",
    "/djai/transport": "stop|pause|start|continue: the host's transport was followed (CC 123/120, MIDI Stop, "
                       "Start, Continue)",
}


class ProtocolError(ValueError):
    """A message that breaks the OSC contract."""


def integer(address: str, name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProtocolError(f"{address}: {name} must be a number, got {type(value).__name__} {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ProtocolError(f"{address}: {name} must be finite, got {value!r}")
    if value != int(value):
        raise ProtocolError(f"{address}: {name} must be an integer, got {value!r}")
    value = int(value)
    if not low <= value <= high:
        raise ProtocolError(f"{address}: {name} must be {low}-{high}, got {value}")
    return value


def number(address: str, name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProtocolError(f"{address}: {name} must be a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value) or not low <= value <= high:
        raise ProtocolError(f"{address}: {name} must be {low:g}-{high:g}, got {value!r}")
    return float(value)


def _numbers_only(address: str, args: Sequence, names: Sequence[str]) -> None:
    """A wrong type is named as such, before any complaint about how many arguments came."""
    for position, value in enumerate(args):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            name = names[position] if position < len(names) else f"argument {position + 1}"
            raise ProtocolError(f"{address}: {name} must be a number, got {type(value).__name__} {value!r}")


def _arity(address: str, args: Sequence, low: int, high: int, usage: str) -> None:
    if not low <= len(args) <= high:
        raise ProtocolError(f"{address}: expected {usage}, got {len(args)} argument(s)")


def parse(address: str, args: Sequence[Any]) -> Command:
    """Turn one OSC message into a command, or raise ProtocolError."""
    if address in ("/djai/note", "/djai/note_on"):
        _numbers_only(address, args, ("pitch", "velocity", "channel"))
        _arity(address, args, 2, 3, "pitch velocity [channel]")
        pitch = integer(address, "pitch", args[0], 0, 127)
        velocity = integer(address, "velocity", args[1], 0, 127)
        channel = integer(address, "channel", args[2], 1, 16) if len(args) > 2 else 1
        if velocity == 0:
            return Command("note_off", (pitch, channel))
        return Command("note_on", (pitch, velocity, channel))
    if address == "/djai/note_off":
        _numbers_only(address, args, ("pitch", "channel"))
        _arity(address, args, 1, 2, "pitch [channel]")
        return Command("note_off", (integer(address, "pitch", args[0], 0, 127),
                                    integer(address, "channel", args[1], 1, 16) if len(args) > 1 else 1))
    if address == "/djai/generate":
        _numbers_only(address, args, ("count",))
        _arity(address, args, 0, 1, "[count]")
        return Command("generate", (integer(address, "count", args[0], 1, 128),) if args else ())
    if address == "/djai/set":
        _arity(address, args, 2, 14, "name value (scale: NAME [ROOT] or custom PC...)")
        if not isinstance(args[0], str):
            raise ProtocolError(f"{address}: the parameter name must be a string, got {args[0]!r}")
        return Command("set", tuple(args))
    if address == "/djai/tempo":
        _numbers_only(address, args, ("bpm",))
        _arity(address, args, 1, 1, "bpm")
        return Command("tempo", (number(address, "bpm", args[0], 20.0, 400.0),))
    if address == "/djai/beat":
        _numbers_only(address, args, ("bar", "beat"))
        _arity(address, args, 2, 2, "bar beat")
        return Command("beat", (number(address, "bar", args[0], -1e6, 1e6),
                                number(address, "beat", args[1], 0.0, 64.0)))
    if address == "/djai/load":
        _arity(address, args, 1, 1, "a model name or path")
        if not isinstance(args[0], str) or not args[0].strip():
            raise ProtocolError(f"{address}: the model must be a non-empty string, got {args[0]!r}")
        return Command("load", (args[0].strip(),))
    if address == "/djai/learn":
        _arity(address, args, 1, 1, "a parameter or action name, or off")
        if not isinstance(args[0], str) or not args[0].strip():
            raise ProtocolError(f"{address}: the name must be a non-empty string, got {args[0]!r}")
        return Command("learn", (args[0].strip(),))
    if address in ("/djai/reset", "/djai/panic", "/djai/ping", "/djai/status", "/djai/capabilities"):
        _arity(address, args, 0, 0, "no arguments")
        return Command(address[len(PREFIX):])
    raise ProtocolError(f"unknown address {address!r}; known: {', '.join(sorted(INBOUND))}")
