"""The conductor's handlers for steering from a DAW and a controller: the hand-over pedal, stop now, the
host's transport, and MIDI learn. They sit in the conductor's one table (see :meth:`handlers`), on the
engine thread, like every other command's.

Learn: ``/djai/learn NAME`` arms :class:`~.controls.MidiControls`, whose MIDI thread turns the next
control change into a ``learned`` command; here it is bound (the map replaced whole), acknowledged, and
written back to the mapping file on a thread of its own (a disk must not hold the engine thread).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import replace
from collections.abc import Callable
from typing import TYPE_CHECKING

from .control_map import ACTIONS, Binding, MapError, numeric_range, save_binding
from .controls import MidiControls
from .events import ErrorRaised, Reply
from .policy import PolicyError
from .settings import LiveSettings

if TYPE_CHECKING:
    from .conductor import Conductor

log = logging.getLogger(__name__)
TRANSPORT = ("stop", "pause", "start", "continue")  # stop: CC 123/120; pause: MIDI Stop; start/continue: go on


class Steering:
    """What the mapping, the pedal and the transport ask of the conductor."""

    def __init__(self, conductor: Conductor, controls: MidiControls | None = None) -> None:
        self.conductor = conductor
        self.controls = controls or MidiControls()

    def handlers(self) -> dict[str, Callable[[tuple, float], None]]:
        return {"handover": self._handover, "stop": self._stop, "transport": self._transport,
                "learn": self._learn, "learned": self._learned}

    def _handover(self, args: tuple, arrival: float) -> None:
        held = bool(args[0])
        conductor = self.conductor
        if held == conductor.policy.daemon_turn:
            return  # a pedal sends its value again and again while held
        try:
            conductor.policy.take_turn(held)
        except PolicyError as error:
            conductor.reject(f"handover: {error}")
            return
        log.info("handover: the %s's turn", "daemon" if held else "performer")
        conductor.publish(Reply("handover", (int(held),)))

    def _stop(self, args: tuple, arrival: float) -> None:
        ended = self.conductor.policy.rest()
        log.info("stop: %d sounding note(s) ended, the plan dropped", ended)

    def _transport(self, args: tuple, arrival: float) -> None:
        """The host's transport: stop (CC 123/120) and pause (MIDI Stop) end what sounds and drop what is
        planned; pause also keeps anything new from sounding until start or continue."""
        kind, conductor = args[0], self.conductor
        if kind in ("stop", "pause"):
            if kind == "pause":
                conductor.playback.transport_stopped = True
            ended = conductor.policy.rest()
            log.info("transport %s: %d sounding note(s) ended, the plan dropped", kind, ended)
        else:
            conductor.playback.transport_stopped = False
            log.info("transport %s: playing again", kind)
        conductor.publish(Reply("transport", (kind,)))

    def _learn(self, args: tuple, arrival: float) -> None:
        name = args[0]
        if name == "off":
            self.controls.learning = None
            self.conductor.publish(Reply("learn", ("off",)))
            return
        if name not in LiveSettings.RANGES and name not in ACTIONS:
            self.conductor.reject(f"/djai/learn: unknown parameter or action {name!r}; parameters: "
                                  f"{', '.join(LiveSettings.RANGES)}; actions: {', '.join(ACTIONS)}")
            return
        self.controls.learning = name
        self.conductor.publish(Reply("learn", (name,)))  # waiting for a control change

    def _learned(self, args: tuple, arrival: float) -> None:
        name, cc, channel = args
        controls = self.controls
        before = controls.map.cc_of(name)
        bounds = numeric_range(name) if name in LiveSettings.RANGES else None
        binding = replace(before, cc=cc, channel=channel) if before is not None else \
            Binding(name, cc, channel, *(bounds or (None, None)))
        controls.map = controls.map.with_binding(binding)
        log.info("learn: %s is cc %d on channel %d", name, cc, channel)
        self.conductor.publish(Reply("learned", (name, cc, channel)))
        source = controls.map.source
        if source is None:
            self.conductor.reject(f"/djai/learn {name}: bound to cc {cc}, but no --midi-map file was given to "
                                  "keep it in; it lasts until the daemon stops")
            return
        table_path = controls.map.table_path
        threading.Thread(target=self._save, args=(source, table_path, binding), name="djai-map-save",
                         daemon=True).start()

    def _save(self, source, table_path: tuple[str, ...], binding: Binding) -> None:
        try:
            save_binding(source, table_path, binding)
        except (OSError, MapError) as error:
            message = f"/djai/learn {binding.target}: could not write {source}: {error}"
            log.warning("%s", message)
            self.conductor.publish(ErrorRaised(message))
            return
        log.info("learn: %s written to %s", binding.target, source)
