"""The one command type every edge feeds the daemon: OSC (:mod:`.protocol`), the MIDI input (:mod:`.midi`),
the model loader, and the edges to come. An edge parses its own wire format into a :class:`Command`; the
daemon's command path (:mod:`.conductor`) validates what is left (a setting's value) and dispatches it by
one table, so every edge gets the same checks, acknowledgements and errors.
"""
from __future__ import annotations

from dataclasses import dataclass

# kind -> what its arguments are. Every kind here has one handler in the conductor's table (a test checks).
KINDS = {
    "note_on": "pitch velocity channel",
    "note_off": "pitch channel",
    "generate": "[count]",
    "set": "name value...",
    "tempo": "bpm",
    "beat": "bar beat",
    "capabilities": "[audience]: the edge that alone hears the answer (none: every edge)",
    "reset": "",
    "panic": "",
    "load": "name or path",
    "ping": "",
    "status": "[audience]: the edge that alone hears the answer (none: every edge)",
    "record": "on|off: keep takes (needs serve --record DIR)",
    "adapt": "[seconds]: fine-tune the model playing on the takes, in the background, and swap it in",
    "swap": "name generator: a model the loader has loaded, to swap in between answers",
    "load_failed": "name reason: a model the loader could not load",
    "handover": "held: the hand-over pedal down (1) or up (0)",
    "stop": "stop now: the daemon's notes end, what it planned is dropped",
    "transport": "stop|pause|start|continue: the host's transport (CC 123/120, MIDI Stop/Start/Continue)",
    "learn": "name or off: bind the next control change to a parameter or action",
    "learned": "name cc channel: the control change learn bound (from the MIDI edge)",
}
NOTE_KINDS = ("note_on", "note_off")  # the rest are control commands: their own lane, served first
DRAW_BOUND_SETTINGS = ("mode", "clock")  # they replace the policy or the clock an answer being drawn is using


@dataclass(frozen=True)
class Command:
    kind: str   # one of KINDS
    args: tuple = ()

    @property
    def is_note(self) -> bool:
        return self.kind in NOTE_KINDS

    @property
    def served_mid_draw(self) -> bool:
        """Whether it may be served between the model steps of an answer being drawn (a knob turned meanwhile
        is acknowledged at once): a set of anything but DRAW_BOUND_SETTINGS. The answer keeps the sampling
        settings it began with; the next one has the new values."""
        return self.kind == "set" and bool(self.args) and self.args[0] not in DRAW_BOUND_SETTINGS
