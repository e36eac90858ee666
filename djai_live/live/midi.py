"""The MIDI edge, with mido over python-rtmidi: port lookup, virtual ports, input and output."""
from __future__ import annotations

import logging
import time
from collections import deque
from typing import Callable

from .engine import Phrase
from .protocol import Command

log = logging.getLogger(__name__)

APIS = {"alsa": "LINUX_ALSA", "jack": "UNIX_JACK", "coremidi": "MACOSX_CORE", "windows": "WINDOWS_MM"}
VIRTUAL = "virtual"
VIRTUAL_IN_NAME = "djai_live in"
VIRTUAL_OUT_NAME = "djai_live out"
CLIENT_NAME = "djai_live"


class MidiPortError(RuntimeError):
    """A MIDI backend or port that cannot be opened, explained."""


def backend(api: str | None = None):
    """The mido backend for an rtmidi API name (alsa, jack, coremidi, windows), or the platform's."""
    import mido

    if api is None:
        return mido.Backend("mido.backends.rtmidi")
    if api not in APIS:
        raise MidiPortError(f"unknown MIDI API {api!r}; choose one of {', '.join(APIS)}")
    return mido.Backend(f"mido.backends.rtmidi/{APIS[api]}")


def _explain(error: Exception, api: str | None) -> str:
    text = str(error)
    if "JACK" in text or api == "jack":
        return f"{text} (is a JACK server running? start one, e.g. `jackd -d dummy`, or pick --midi-api)"
    if "ALSA" in text:
        return f"{text} (no ALSA sequencer here? on Linux without /dev/snd/seq use --midi-api jack)"
    return text


def list_ports(api: str | None = None) -> tuple[list[str], list[str]]:
    """(input names, output names) of the backend."""
    try:
        chosen = backend(api)
        return chosen.get_input_names(), chosen.get_output_names()
    except MidiPortError:
        raise
    except Exception as error:
        raise MidiPortError(_explain(error, api)) from None


def _find(names: list[str], wanted: str, direction: str) -> str:
    if wanted in names:
        return wanted
    matches = [name for name in names if wanted.lower() in name.lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise MidiPortError(f"no MIDI {direction} port matches {wanted!r}; available: {names or 'none'}")
    raise MidiPortError(f"MIDI {direction} port {wanted!r} is ambiguous: {matches}")


def message_to_command(message) -> Command | None:
    """note_on/note_off become commands (channels 1-16); everything else is ignored."""
    if message.type == "note_on":
        if message.velocity == 0:
            return Command("note_off", (message.note, message.channel + 1))
        return Command("note_on", (message.note, message.velocity, message.channel + 1))
    if message.type == "note_off":
        return Command("note_off", (message.note, message.channel + 1))
    return None


REALTIME = ("clock", "start", "stop", "continue", "songpos")
TIMELINE_WINDOW = 96  # messages (4 beats of clock) over which the least-delayed arrival anchors the timeline


class DriverTimeline:
    """Arrival times of MIDI messages from the driver's own timestamps rather than from when Python got
    to them: rtmidi passes the time since the previous message, measured in its driver thread (JACK's
    process cycle, the ALSA sequencer's queue), so a callback delayed by the GIL or a busy CPU keeps
    its true time. The sum of those deltas is mapped onto ``time.monotonic`` by the least-delayed
    recent arrival."""

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.offsets: deque[float] = deque(maxlen=TIMELINE_WINDOW)

    def stamp(self, delta: float, arrival: float) -> float:
        self.elapsed += max(float(delta), 0.0)
        self.offsets.append(arrival - self.elapsed)
        return self.elapsed + min(self.offsets)


def open_input(name: str, api: str | None, on_command: Callable[[Command], None],
               on_realtime: Callable[[str, float, int | None], None] | None = None):
    """Open an input port (``virtual`` creates 'djai_live in'); commands go to ``on_command``, and MIDI
    clock, Start/Stop/Continue and Song Position to ``on_realtime(kind, time, position)`` with the
    driver's timestamps (see :class:`DriverTimeline`)."""
    chosen = backend(api)
    timeline = DriverTimeline()

    def callback(message, delta: float | None = None) -> None:
        arrival = time.monotonic()
        when = timeline.stamp(delta, arrival) if delta is not None else arrival
        if message.type in REALTIME:
            if on_realtime is not None:
                on_realtime(message.type, when, getattr(message, "pos", None))
            return
        try:
            command = message_to_command(message)
        except Exception as error:  # a malformed message from a driver must not kill the callback thread
            log.warning("ignored MIDI message %r: %s", message, error)
            return
        if command is not None:
            on_command(command)

    try:
        if name == VIRTUAL:
            port = chosen.open_input(VIRTUAL_IN_NAME, virtual=True, callback=callback, client_name=CLIENT_NAME)
        else:
            port = chosen.open_input(_find(chosen.get_input_names(), name, "input"), callback=callback)
    except MidiPortError:
        raise
    except Exception as error:
        raise MidiPortError(_explain(error, api)) from None
    _keep_driver_timestamps(port, callback)
    return port


def _keep_driver_timestamps(port, callback) -> None:
    """mido drops the delta time rtmidi gives each message; read it from rtmidi directly where the port
    is an rtmidi one (mido's ``_rt``), else keep mido's callback and arrival times."""
    import mido

    raw = getattr(port, "_rt", None)
    if raw is None or not hasattr(raw, "set_callback"):
        return

    def with_delta(event, data=None) -> None:
        payload, delta = event
        try:
            message = mido.Message.from_bytes(payload)
        except ValueError:
            return
        callback(message, delta)

    raw.set_callback(with_delta)


def open_output(name: str, api: str | None):
    chosen = backend(api)
    try:
        if name == VIRTUAL:
            return chosen.open_output(VIRTUAL_OUT_NAME, virtual=True, client_name=CLIENT_NAME)
        return chosen.open_output(_find(chosen.get_output_names(), name, "output"))
    except MidiPortError:
        raise
    except Exception as error:
        raise MidiPortError(_explain(error, api)) from None


class MidiSink:
    """Generated notes to a MIDI output port (a NoteSink)."""

    def __init__(self, port) -> None:
        import mido

        self.port = port
        self._message = mido.Message

    def phrase(self, phrase: Phrase) -> None:
        """MIDI has no phrase message: the notes go out one by one."""

    def note_on(self, pitch: int, velocity: int, duration_ms: float, channel: int) -> None:
        self.port.send(self._message("note_on", note=pitch, velocity=velocity, channel=channel - 1))

    def note_off(self, pitch: int, channel: int) -> None:
        self.port.send(self._message("note_off", note=pitch, velocity=0, channel=channel - 1))
