"""MIDI ports that follow their devices: a thread that looks at the port names twice a second.

- A device connected to by name (``--midi-in NAME``, ``--midi-out NAME``) that disappears is reported
  once; when a port by that name is back, ours is connected to it again.
- On JACK, when the server goes away our ports go with it: every client of ours is closed at once (see
  :mod:`.jack` for why it must be all of them, first), and when a server answers again the ports are
  made again, virtual or connected, under the same names.

The names come from a port-less client of the watcher's own ('djai_live watch'). A device unplugged and
plugged back within one look (0.5 s) is not noticed: no USB device re-enumerates that fast.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from .jack import JACK_PORT_IS_INPUT, JACK_PORT_IS_OUTPUT, JackServer
from .midi import CLIENT_NAME, MidiInput, MidiPort, MidiPortError, delete_client

log = logging.getLogger(__name__)
POLL_S = 0.5
WATCH_CLIENT = f"{CLIENT_NAME} watch"


class JackLister:
    """Port names from JACK, and whether the server is still there."""

    def __init__(self) -> None:
        self.server = JackServer(WATCH_CLIENT)

    def lost(self) -> bool:
        """The server shut down under our client (known at once, from libjack's shutdown callback)."""
        return self.server.is_open and self.server.gone.is_set()

    def listing(self) -> tuple[list[str], list[str]] | None:
        if not self.server.connected and not self.server.open():
            return None
        return self.server.midi_ports(JACK_PORT_IS_OUTPUT), self.server.midi_ports(JACK_PORT_IS_INPUT)

    def delivery_s(self) -> float:
        """How late, on average, JACK stamps a message: half a process cycle (see DriverTimeline)."""
        cycle = self.server.cycle_s()
        return cycle / 2.0 if cycle else 0.0

    def close(self) -> None:
        self.server.close()


class RtmidiLister:
    """Port names from any other backend (ALSA, CoreMIDI, Windows), through two rtmidi clients."""

    def __init__(self, api: int) -> None:
        self.api = api
        self._in: Any = None   # rtmidi clients, made on the first listing
        self._out: Any = None

    def lost(self) -> bool:
        return False

    def delivery_s(self) -> float:
        return 0.0  # ALSA and CoreMIDI stamp a message when it arrives

    def listing(self) -> tuple[list[str], list[str]] | None:
        import rtmidi

        try:
            if self._in is None:
                self._in, self._out = rtmidi.MidiIn(self.api, WATCH_CLIENT), rtmidi.MidiOut(self.api, WATCH_CLIENT)
            return self._in.get_ports(), self._out.get_ports()
        except Exception as error:
            log.debug("listing MIDI ports: %s", error)
            self.close()
            return None

    def close(self) -> None:
        for client in (self._in, self._out):
            if client is not None:
                delete_client(client)
        self._in = self._out = None


class PortWatcher:
    """Watches our ports; ``tell(state, port, text)`` hears each change, with state 'gone', 'back' or
    'recreated' (called on the watcher's thread)."""

    def __init__(self, ports: list[MidiPort | None], tell: Callable[[str, MidiPort, str], None],
                 poll_s: float = POLL_S) -> None:
        import rtmidi

        self.ports = [port for port in ports if port is not None]
        self.tell = tell
        self.poll_s = poll_s
        self.gone: dict[str, bool] = {port.name: False for port in self.ports}
        self.server_lost = False
        api = self.ports[0].current_api() if self.ports else rtmidi.API_UNSPECIFIED
        self.lister = JackLister() if api == rtmidi.API_UNIX_JACK else RtmidiLister(api)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="djai-ports", daemon=True)

    def start(self) -> PortWatcher:
        if self.ports:
            # The watcher's JACK client exists from the start, so that a server that goes away is always
            # heard (its shutdown callback) before any new client of ours is made.
            self.lister.listing()
            self._set_delivery()
            self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)
        self.lister.close()

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.poll()
            except Exception:  # the watcher must outlive whatever a backend throws at it
                log.exception("while watching the MIDI ports; carrying on")

    def poll(self) -> None:
        """One look: follow the devices, or notice the server's end or return."""
        if self.lister.lost():
            self._lose_server("the JACK server went away")
            return
        listing = self.lister.listing()
        if listing is None:
            if not isinstance(self.lister, RtmidiLister):
                self._lose_server("no JACK server answers")
            return
        outputs, inputs = listing  # ports that send (our input's devices), ports that receive (our output's)
        self.server_lost = False
        self._set_delivery()  # (a server restarted, or its buffer size changed)
        for port in self.ports:
            if not port.virtual:
                self._follow(port, outputs if isinstance(port, MidiInput) else inputs)
            elif not port.is_open:  # the server is back: make our virtual port again
                try:
                    port.open()
                except MidiPortError as error:
                    log.warning("making %r again failed: %s; trying again", port.name, error)
                    continue
                self.gone[port.name] = False
                self.tell("back", port, f"the MIDI server is back: {port.describe()} made again")

    def _follow(self, port: MidiPort, names: list[str]) -> None:
        try:
            device = port.match(names)
        except MidiPortError:
            if not self.gone[port.name]:
                self.gone[port.name] = True
                self.tell("gone", port, f"MIDI {port.direction} {port.device or port.wanted!r} is gone; "
                          f"{port.name!r} reconnects when it is back")
            return
        if not self.gone[port.name] and port.is_open:
            return
        try:
            port.reconnect() if port.is_open else port.open()
        except MidiPortError as error:
            log.warning("MIDI %s %r is back but connecting failed: %s; trying again", port.direction, device, error)
            return
        self.gone[port.name] = False
        self.tell("back", port, f"MIDI {port.direction} {port.device!r} is back: {port.name!r} connected again")

    def _set_delivery(self) -> None:
        delivery_s = self.lister.delivery_s()
        for port in self.ports:
            if isinstance(port, MidiInput):
                port.timeline.delivery_s = delivery_s

    def _lose_server(self, reason: str) -> None:
        """Close every client of ours, the watcher's first (libjack must see none left before a new one)."""
        if self.server_lost:
            return
        self.server_lost = True
        self.lister.close()
        for port in self.ports:
            port.close()
            self.gone[port.name] = True
            self.tell("gone", port, f"{reason}: {port.describe()} is silent until it is back")
