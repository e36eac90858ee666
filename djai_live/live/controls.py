"""MIDI controls: control changes, program changes and pads turned into the same commands OSC sends, on the
MIDI input's own thread, and the values that changed sent back as control changes (feedback).

Nothing here validates a value or changes a setting: a CC becomes ``Command("set", (name, value))`` with the
value scaled from 0-127, and the conductor checks it, stores it and acknowledges it exactly as it does an
OSC ``/djai/set``. So a CC and an OSC message get the same checks, answers and errors.

The mapping is read by the MIDI threads and replaced whole by learn (on the engine thread), so no lock: a
thread reads either the old map or the new one.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from .commands import Command
from .control_map import CHANNEL_MODE_FIRST, ControlMap, control_value, value_for
from .events import Event, SettingChanged
from .midi import ALL_NOTES_OFF, ALL_SOUND_OFF, CONTROL_CHANGE, NOTE_OFF, NOTE_ON, bytes_to_command

log = logging.getLogger(__name__)
PROGRAM_CHANGE = 0xC0
HELD = 64  # a pedal or a button is down from this value up


class MidiControls:
    """The mapping in use, learn's wait for the next control, and the commands MIDI bytes become."""

    def __init__(self, control_map: ControlMap | None = None) -> None:
        self.map = control_map or ControlMap()
        self.learning: str | None = None  # the parameter or action the next control change is bound to
        self._learn_lock = threading.Lock()  # two inputs (--midi-in, --midi-control): one of them learns

    def command_for(self, data: Sequence[int]) -> Command | None:
        """The MIDI input's translation: a control first, else a note (as :func:`~.midi.bytes_to_command`)."""
        command = self.control_command(data)
        if command is not None:
            return command
        if len(data) == 3 and data[0] & 0xF0 in (NOTE_ON, NOTE_OFF) and (data[0] & 0x0F) + 1 == self.map.pad_channel \
                and data[1] in self.map.pads:
            return None  # a pad's release (or its velocity-0 note-on): not a note either
        return bytes_to_command(data)

    def control_command(self, data: Sequence[int]) -> Command | None:
        """The command of a control change, program change or pad; None for anything else (a controller
        port's other notes are not music)."""
        if not data or any(byte > 127 for byte in data[1:]):
            return None
        status, channel = data[0] & 0xF0, (data[0] & 0x0F) + 1
        if status == CONTROL_CHANGE and len(data) == 3:
            return self._control_change(data[1], data[2], channel)
        if status == PROGRAM_CHANGE and len(data) >= 2:
            words = self.map.programs.get(data[1])
            return program_command(words) if words is not None else None
        if status == NOTE_ON and len(data) == 3 and data[2] > 0 and channel == self.map.pad_channel:
            action = self.map.pads.get(data[1])
            return Command(action) if action is not None else None
        return None

    def _control_change(self, cc: int, value: int, channel: int) -> Command | None:
        if cc in (ALL_NOTES_OFF, ALL_SOUND_OFF):
            return Command("transport", ("stop",))  # what a host sends every instrument when it stops
        if cc >= CHANNEL_MODE_FIRST:
            return None
        if self.learning is not None:
            with self._learn_lock:
                learning, self.learning = self.learning, None  # the knob's next values are values
            if learning is not None:
                return Command("learned", (learning, cc, channel))
        binding = self.map.binding_for(channel, cc)
        if binding is None:
            return None
        if binding.target == "handover":
            return Command("handover", (value >= HELD,))
        if binding.target in ("generate", "stop", "panic", "reset"):
            return Command(binding.target) if value >= HELD else None
        value_set = value_for(binding, value)
        if binding.target == "scale":
            return Command("set", ("scale", value_set) + ((binding.root,) if binding.root is not None else ()))
        return Command("set", (binding.target, value_set))


def program_command(words: tuple[str, ...]) -> Command:
    """A program change's words (checked when the map was read) as a command."""
    if words[0] == "load":
        return Command("load", (words[1],))
    if words[0] == "set":
        return Command("set", (words[1], *(_number_or_word(word) for word in words[2:])))
    return Command(words[0])


def _number_or_word(word: str) -> object:
    for kind in (int, float):
        try:
            return kind(word)
        except ValueError:
            pass
    return word


class ControlFeedback:
    """The event stream's subscriber that sends a changed parameter back as its control change (inline: one
    message into the driver's buffer), so motorised faders and LED rings follow whatever changed it."""

    def __init__(self, controls: MidiControls, send: Callable[..., None]) -> None:
        self.controls, self.send = controls, send
        # What each control was last sent: a value that would not move the fader is not sent again, so an
        # output routed back into an input echoes a change once, never round and round.
        self.sent: dict[tuple[int, int], int] = {}

    def __call__(self, event: Event) -> None:
        if type(event) is not SettingChanged:
            return
        binding = self.controls.map.cc_of(event.name)
        if binding is None:
            return
        value = control_value(binding, event.value)
        control = (max(binding.channel, 1), binding.cc)
        if value is not None and self.sent.get(control) != value:
            self.sent[control] = value
            self.send((CONTROL_CHANGE | (control[0] - 1), binding.cc, value))
