"""The MIDI edge, with python-rtmidi (and mido to decode): port lookup, our ports, input and output.

Our ports are always named 'djai_live in' and 'djai_live out' (client 'djai_live'), whether virtual or
connected to a device, so a patchbay shows who they are. A port connected to a device can be reopened
when the device comes back (see :mod:`.ports`, which watches them).
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .commands import Command
from .events import AllNotesOff, Event, NoteEnded, NoteStarted

log = logging.getLogger(__name__)
PortT = TypeVar("PortT", bound="MidiPort")

APIS = {"alsa": "LINUX_ALSA", "jack": "UNIX_JACK", "coremidi": "MACOSX_CORE", "windows": "WINDOWS_MM"}
VIRTUAL = "virtual"
IN_NAME = "djai_live in"
OUT_NAME = "djai_live out"
CONTROL_NAME = "djai_live control"
OWN_NAMES = (IN_NAME, OUT_NAME, CONTROL_NAME)
CLIENT_NAME = "djai_live"
CONTROL_CHANGE, NOTE_ON, NOTE_OFF = 0xB0, 0x90, 0x80
ALL_SOUND_OFF, ALL_NOTES_OFF = 120, 123


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


def rtmidi_api(api: str | None) -> int:
    """The python-rtmidi API constant for an API name (None: the platform's first)."""
    import rtmidi

    if api is None:
        return rtmidi.API_UNSPECIFIED
    if api not in APIS:
        raise MidiPortError(f"unknown MIDI API {api!r}; choose one of {', '.join(APIS)}")
    return getattr(rtmidi, f"API_{APIS[api]}")


def _find(names: list[str], wanted: str, direction: str) -> str:
    if wanted in names:
        return wanted
    matches = [name for name in names if wanted.lower() in name.lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise MidiPortError(f"no MIDI {direction} port matches {wanted!r}; available: {names or 'none'}")
    raise MidiPortError(f"MIDI {direction} port {wanted!r} is ambiguous: {matches}")


def bytes_to_command(data: Sequence[int]) -> Command | None:
    """Note-on and note-off bytes become commands (channels 1-16); everything else, and a message with a
    data byte out of range (a driver's garbage), is ignored."""
    if len(data) < 3 or data[1] > 127 or data[2] > 127:
        return None
    kind, channel = data[0] & 0xF0, (data[0] & 0x0F) + 1
    if kind == NOTE_ON and data[2] > 0:
        return Command("note_on", (data[1], data[2], channel))
    if kind in (NOTE_ON, NOTE_OFF):
        return Command("note_off", (data[1], channel))
    return None


REALTIME = {0xF8: "clock", 0xFA: "start", 0xFB: "continue", 0xFC: "stop"}  # status byte -> kind
POLL_S = 0.0005  # how often the JACK input's queue is read (see MidiInput) while no music comes in ...
POLL_BUSY_S = 0.0001  # ... and while it does: for BUSY_FOR_S after each note or control (a knob is turned in
BUSY_FOR_S = 0.25     # a stream of CCs, a phrase in a stream of notes): 9% of a core then against 6% idle
# (scripts/bench_midi_reader.py)
SONG_POSITION = 0xF2  # then the position in sixteenth notes, 14 bits, low 7 first
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
        # How long after it was sent the driver stamps a message, on average. JACK hands a client the
        # messages of a cycle at the start of the next one, and rtmidi stamps them then, so a message is
        # stamped between 0 and one cycle after it was sent: half a cycle late on average (measured in
        # scripts/bench_clock.py: 0.65-0.73 ms with 64-frame cycles at 48 kHz, whose half is 0.67 ms).
        self.delivery_s = 0.0

    def stamp(self, delta: float, arrival: float) -> float:
        self.elapsed += max(float(delta), 0.0)
        self.offsets.append(arrival - self.elapsed)
        return self.elapsed + min(self.offsets) - self.delivery_s


class MidiPort:
    """One of our two ports: 'djai_live in' or 'djai_live out', virtual (``wanted == 'virtual'``) or
    connected to the device whose name contains ``wanted``. :meth:`open` (again) makes a fresh rtmidi
    client, so it also serves after the MIDI server restarted."""

    direction = "input"   # what kind of device port this one connects to, for messages
    name = IN_NAME

    def __init__(self, wanted: str, api: str | None) -> None:
        self.wanted = wanted
        self.api = api
        self.device: str | None = None  # the full name of the device port connected to
        self.api_id: int | None = None  # the rtmidi API the port was opened with
        self._rt = None
        self._lock = threading.Lock()   # opening, closing and sending never overlap

    @property
    def virtual(self) -> bool:
        return self.wanted == VIRTUAL

    def _new_client(self):
        raise NotImplementedError

    def _attach(self, rt) -> None:
        """Set up a freshly opened rtmidi port (an input's callback)."""

    def match(self, names: list[str]) -> str:
        """The device port to connect to among ``names``: the one connected before when it is back (ALSA
        may give a replugged device another client number, so that suffix is ignored), else the one
        ``wanted`` names; never one of our own ports. Raises MidiPortError when none or several match."""
        own = tuple(f":{name}" for name in OWN_NAMES)
        names = [name for name in names if not name.endswith(own)
                 and not _without_client_number(name).endswith(own)]
        if self.device is not None:
            base = _without_client_number(self.device)
            for name in names:
                if name == self.device or _without_client_number(name) == base:
                    return name
        return _find(names, self.wanted, self.direction)

    def open(self: PortT) -> PortT:
        """Open the port on a new rtmidi client (any older one is closed first, so that the new client
        gets the name 'djai_live' again); raises MidiPortError with the reason."""
        self.close()
        try:
            rt = self._new_client()
        except MidiPortError:
            raise
        except Exception as error:
            raise MidiPortError(_explain(error, self.api)) from None
        try:
            device = self._connect(rt)
        except Exception:
            delete_client(rt)
            raise
        with self._lock:
            self._rt, self.device, self.api_id = rt, device, rt.get_current_api()
        return self

    def reconnect(self) -> None:
        """Connect again on the same client, to the device that came back; raises MidiPortError."""
        with self._lock:
            rt = self._rt
            if rt is None:
                raise MidiPortError(f"{self.name} is closed")
            rt.close_port()
            self.device = self._connect(rt)

    def _connect(self, rt) -> str | None:
        try:
            if self.virtual:
                rt.open_virtual_port(self.name)
                device = None
            else:
                names = rt.get_ports()
                device = self.match(names)
                rt.open_port(names.index(device), self.name)
            self._attach(rt)
            return device
        except MidiPortError:
            raise
        except Exception as error:
            raise MidiPortError(_explain(error, self.api)) from None

    def device_names(self) -> list[str]:
        """The device ports this port could connect to, as its own client sees them now."""
        with self._lock:
            return self._rt.get_ports() if self._rt is not None else []

    def close(self) -> None:
        with self._lock:
            old, self._rt = self._rt, None
        if old is not None:
            delete_client(old)

    @property
    def is_open(self) -> bool:
        return self._rt is not None

    def current_api(self) -> int:
        """The rtmidi API in use (the one asked for until the port has been opened)."""
        return self.api_id if self.api_id is not None else rtmidi_api(self.api)

    def backend_lists_own_ports(self) -> bool:
        """Whether every client sees our own ports (JACK, ALSA), connected or virtual."""
        import rtmidi

        return self.current_api() in (rtmidi.API_UNIX_JACK, rtmidi.API_LINUX_ALSA)

    def describe(self) -> str:
        return f"'{self.name}'" + (" (virtual)" if self.virtual else f" <-> '{self.device or self.wanted}'")


def _without_client_number(name: str) -> str:
    """ALSA names end with 'client:port' numbers ('USB Keyboard:USB Keyboard MIDI 1 20:0')."""
    head, _, tail = name.rpartition(" ")
    return head if head and ":" in tail and tail.replace(":", "").isdigit() else name


def delete_client(rt) -> None:
    try:
        rt.close_port()
        rt.delete()
    except Exception as error:  # a client of a server that is gone: nothing left to free cleanly
        log.debug("closing a MIDI client: %s", error)


class MidiInput(MidiPort):
    """'djai_live in': commands go to ``on_command``, and MIDI clock, Start/Stop/Continue and Song
    Position to ``on_realtime(kind, time, position)`` with the driver's timestamps (see
    :class:`DriverTimeline`).

    On JACK, messages are read from rtmidi's own queue by a thread of ours, every POLL_S, rather than by
    a callback: rtmidi calls a callback from JACK's process thread, which then waits for the interpreter
    lock, and while any thread of the daemon holds it (a model step) JACK's cycle overruns and the
    messages of that cycle are lost: clock ticks (a beat counted ticks late) and notes. Read from the
    queue, their timestamps are still taken in JACK's thread, so only their delivery waits (at most
    POLL_S). Other backends (ALSA, CoreMIDI) call back from a thread of their own, which may wait safely.
    """

    direction = "input"
    name = IN_NAME

    def __init__(self, wanted: str, api: str | None, on_command: Callable[[Command], None],
                 on_realtime: Callable[[str, float, int | None], None] | None = None,
                 realtime_priority: int | None = None,
                 to_command: Callable[[Sequence[int]], Command | None] = bytes_to_command) -> None:
        super().__init__(wanted, api)
        self.on_command, self.on_realtime = on_command, on_realtime
        self.to_command = to_command  # notes only, or the MIDI controls' translation (see .controls)
        self.timeline = DriverTimeline()
        self.realtime_priority = realtime_priority
        self._reader: threading.Thread | None = None
        self._stop_reading = threading.Event()

    def _new_client(self):
        import rtmidi

        return rtmidi.MidiIn(rtmidi_api(self.api), CLIENT_NAME)

    def _attach(self, rt) -> None:
        import rtmidi

        rt.ignore_types(sysex=False, timing=False, active_sense=True)  # clock ticks are wanted
        delivery_s = self.timeline.delivery_s
        self.timeline = DriverTimeline()  # a new client's deltas start again
        self.timeline.delivery_s = delivery_s
        if rt.get_current_api() != rtmidi.API_UNIX_JACK:
            rt.set_callback(self._callback)
        elif self._reader is None or not self._reader.is_alive():
            self._stop_reading.clear()
            self._reader = threading.Thread(target=self._read, name="djai-midi-in", daemon=True)
            self._reader.start()

    def _read(self) -> None:
        """The JACK reader: every message waiting in rtmidi's queue, then a nap: POLL_BUSY_S while notes or
        controls keep coming, else POLL_S (clock ticks do not count: their times are the driver's, so a
        later read does not move them)."""
        if self.realtime_priority is not None:
            from .realtime import request_realtime

            request_realtime(self.realtime_priority)
        last_music = -BUSY_FOR_S
        while not self._stop_reading.is_set():
            with self._lock:
                event = self._rt.get_message() if self._rt is not None else None
            if event is None:
                time.sleep(POLL_BUSY_S if time.monotonic() - last_music < BUSY_FOR_S else POLL_S)
                continue
            if event[0] and event[0][0] < 0xF0:
                last_music = time.monotonic()
            try:
                self._callback(event)
            except Exception:  # the reader must outlive whatever a handler throws
                log.exception("while handling MIDI input %r; carrying on", event)

    def close(self) -> None:
        self._stop_reading.set()
        reader = self._reader
        if reader is not None and reader is not threading.current_thread():
            reader.join(timeout=1.0)
        self._reader = None
        super().close()

    def _callback(self, event, data=None) -> None:
        """One message with rtmidi's delta time: raw bytes, no mido, nothing lazy (on a driver's thread,
        whatever waits here delays every message after it)."""
        payload, delta = event
        arrival = time.monotonic()
        if not payload:
            return
        when = self.timeline.stamp(delta, arrival) if delta is not None else arrival
        status = payload[0]
        if status >= 0xF0:
            if self.on_realtime is None:
                return
            kind = REALTIME.get(status)
            if kind is not None:
                self.on_realtime(kind, when, None)
            elif status == SONG_POSITION and len(payload) == 3 and payload[1] < 128 and payload[2] < 128:
                self.on_realtime("songpos", when, payload[1] | (payload[2] << 7))
            return
        command = self.to_command(payload)
        if command is not None:
            if log.isEnabledFor(logging.DEBUG):
                log.debug("MIDI in: %s %s", command.kind, command.args)
            self.on_command(command)


class ControlInput(MidiInput):
    """'djai_live control' (``--midi-control``): a separate controller's port; only its mapped controls
    count, its other notes are not music."""

    name = CONTROL_NAME


class MidiOutput(MidiPort):
    """'djai_live out'. Sends while the port is being reopened are dropped, not queued: a note played
    late is worse than a note not played (a panic after the device is back ends what is left)."""

    direction = "output"
    name = OUT_NAME

    def _new_client(self):
        import rtmidi

        return rtmidi.MidiOut(rtmidi_api(self.api), CLIENT_NAME)

    def send_bytes(self, *messages: tuple[int, ...]) -> None:
        with self._lock:
            if self._rt is None:
                return
            for message in messages:
                self._rt.send_message(message)


def open_output(name: str, api: str | None) -> MidiOutput:
    """Open 'djai_live out': virtual, or connected to the input port ``name`` names."""
    return MidiOutput(name, api).open()


class MidiSink:
    """The MIDI output's subscription to the event stream (inline: a send into the driver's buffer): notes
    and all-notes-off as raw bytes, no message objects on the hot path; every other event has no MIDI form."""

    def __init__(self, port: MidiOutput) -> None:
        self.port = port
        self._send: dict[type, Callable[[Any], None]] = {NoteStarted: self._note_on, NoteEnded: self._note_off,
                                                         AllNotesOff: self._all_notes_off}

    def __call__(self, event: Event) -> None:
        send = self._send.get(type(event))
        if send is not None:
            send(event)

    def _note_on(self, event: NoteStarted) -> None:
        self.port.send_bytes((NOTE_ON | (event.channel - 1), event.pitch, event.velocity))

    def _note_off(self, event: NoteEnded) -> None:
        self.port.send_bytes((NOTE_OFF | (event.channel - 1), event.pitch, 0))

    def _all_notes_off(self, event: AllNotesOff) -> None:
        """A note-off for every pitch ever sent, then All Notes Off (CC 123) and All Sound Off (CC 120,
        which also cuts release tails) on each channel: a synth that ignores one still gets the other."""
        self.port.send_bytes(*((NOTE_OFF | (channel - 1), pitch, 0)
                               for channel, pitches in event.ever_sent.items() for pitch in pitches))
        self.port.send_bytes(*((CONTROL_CHANGE | (channel - 1), control, 0)
                               for channel in event.channels for control in (ALL_NOTES_OFF, ALL_SOUND_OFF)))
