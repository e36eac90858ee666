"""MIDI ports that follow their devices: a thread that looks at the port names twice a second.

- A device connected to by name (``--midi-in NAME``, ``--midi-out NAME``) that disappears is reported
  once; when a port by that name is back, ours is connected to it again.
- When the MIDI server itself went away and came back (a JACK restart, the ALSA sequencer reloaded), our
  ports went with it: they are made again, virtual or connected, under the same names.

The watcher reads the names through two port-less clients of its own ('djai_live watch'). Where our own
ports show in those lists (JACK, ALSA), a list that lacks them tells that our clients died with the
server; the watcher's clients are then made afresh until the server answers (libjack's complaints on
the way go through :mod:`.jack_log`). A device unplugged and plugged back within one look (0.5 s) is not
noticed: no USB device re-enumerates that fast.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from .midi import CLIENT_NAME, MidiInput, MidiOutput, MidiPort, MidiPortError, _delete

log = logging.getLogger(__name__)
POLL_S = 0.5
WATCH_CLIENT = f"{CLIENT_NAME} watch"


class PortWatcher:
    """Watches our ports; ``tell(state, port, text)`` hears each change, with state 'gone', 'back' or
    'recreated' (called on the watcher's thread)."""

    def __init__(self, ports: list[MidiPort], tell: Callable[[str, MidiPort, str], None],
                 poll_s: float = POLL_S) -> None:
        self.ports = [port for port in ports if port is not None]
        self.tell = tell
        self.poll_s = poll_s
        self.gone: dict[str, bool] = {port.name: False for port in self.ports}
        self._probe_in = self._probe_out = None
        self._server_lost = False
        self._fresh = False  # the watcher's clients were made in this look
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="djai-ports", daemon=True)

    def start(self) -> "PortWatcher":
        if self.ports:
            self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)
        self._drop_probes()

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.poll()
            except Exception:  # the watcher must outlive whatever a backend throws at it
                log.exception("while watching the MIDI ports; carrying on")

    # --- one look -------------------------------------------------------------------------------------
    def poll(self) -> None:
        listing = self._listing()
        if listing is None:
            self._lose_server("the MIDI server does not answer")
            return
        outputs, inputs = listing  # device ports our input connects to, and our output's
        if self._own_ports_visible() and not self._own_ports_listed(outputs, inputs):
            if self._server_lost or self._probes_are_fresh:
                self._server_lost = True
                self._recreate_all(outputs, inputs)
            else:  # our clients or the watcher's may be stale: look again with fresh ones
                self._drop_probes()
            return
        self._server_lost = False
        for port in self.ports:
            if not port.virtual:
                self._follow(port, outputs if isinstance(port, MidiInput) else inputs)

    def _follow(self, port: MidiPort, names: list[str]) -> None:
        try:
            device = port.match(names)
        except MidiPortError as error:
            if not self.gone[port.name]:
                self.gone[port.name] = True
                self.tell("gone", port, f"MIDI {port.direction} {port.device or port.wanted!r} is gone "
                          f"({error}); {port.name!r} reconnects when it is back")
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

    def _recreate_all(self, outputs: list[str], inputs: list[str]) -> None:
        """The server came back without our ports: make them again (devices not back yet wait)."""
        for port in self.ports:
            names = outputs if isinstance(port, MidiInput) else inputs
            if not port.virtual:
                try:
                    port.match(names)
                except MidiPortError:
                    port.close()
                    if not self.gone[port.name]:
                        self.gone[port.name] = True
                        self.tell("gone", port, f"the MIDI server is back but {port.device or port.wanted!r} "
                                  f"is not yet; {port.name!r} reconnects when it is")
                    continue
            try:
                port.open()
            except MidiPortError as error:
                log.warning("making %r again failed: %s; trying again", port.name, error)
                continue
            self.gone[port.name] = False
            self.tell("recreated", port, f"the MIDI server is back: {port.describe()} made again")
        if all(port.is_open for port in self.ports):
            self._server_lost = False

    def _lose_server(self, reason: str) -> None:
        if not self._server_lost:
            self._server_lost = True
            for port in self.ports:
                self.gone[port.name] = True
                self.tell("gone", port, f"{reason}: {port.describe()} is silent until it is back")

    # --- the watcher's own clients ------------------------------------------------------------------------
    @property
    def _probes_are_fresh(self) -> bool:
        return self._fresh

    def _listing(self) -> tuple[list[str], list[str]] | None:
        """(output port names, input port names) as the watcher's clients see them; None when no client
        can be made (the server is down)."""
        self._fresh = False
        if self._probe_in is None:
            import rtmidi

            try:
                api = self.ports[0].current_api()
                self._probe_in = rtmidi.MidiIn(api, WATCH_CLIENT)
                self._probe_out = rtmidi.MidiOut(api, WATCH_CLIENT)
            except Exception as error:
                log.debug("no watcher client: %s", error)
                self._drop_probes()
                return None
            self._fresh = True
        try:
            return self._probe_in.get_ports(), self._probe_out.get_ports()
        except Exception as error:
            log.debug("listing MIDI ports: %s", error)
            self._drop_probes()
            return None

    def _drop_probes(self) -> None:
        for probe in (self._probe_in, self._probe_out):
            if probe is not None:
                _delete(probe)
        self._probe_in = self._probe_out = None

    def _own_ports_visible(self) -> bool:
        """JACK and ALSA list our own ports to every client; CoreMIDI and Windows do not list ports that
        connect rather than publish, so there the lists say nothing about our clients' health."""
        return self.ports[0].backend_lists_own_ports()

    def _own_ports_listed(self, outputs: list[str], inputs: list[str]) -> bool:
        for port in self.ports:
            names = inputs if isinstance(port, MidiInput) else outputs  # our input is an input port
            if port.is_open and not any(f"{CLIENT_NAME}:{port.name}" in name or name == port.name
                                        for name in names):
                return False
        return True


__all__ = ["PortWatcher", "MidiInput", "MidiOutput"]
