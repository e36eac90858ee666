"""The OSC edge, with python-osc: a UDP listener that parses datagrams, and the replies."""
from __future__ import annotations

import logging
import math
import socket
import struct
import sys
import threading
import time
from typing import NamedTuple
from collections.abc import Callable

from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket, ParseError
from pythonosc.parsing.osc_types import write_float, write_int, write_string
from pythonosc.udp_client import SimpleUDPClient

from .events import (AllNotesOff, ErrorRaised, Event, KeyChanged, NoteEnded, NoteStarted, Phrase, PhraseDrawn,
                     PortChanged, Reply, SettingChanged)
from .realtime import request_realtime

log = logging.getLogger(__name__)


SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux's; Python's socket module does not name it
KERNEL_STAMP = struct.Struct("ll")                        # struct timespec
ANCILLARY_SPACE = socket.CMSG_SPACE(KERNEL_STAMP.size) if hasattr(socket, "CMSG_SPACE") else 0
OFFSET_REFRESH_S = 1.0   # how often the wall clock's offset from the monotonic one is measured again
STAMP_TRUST_S = 0.5      # a kernel stamp further back than this (or ahead of now) is not believed


class KernelArrivals:
    """When each datagram reached the machine: the kernel's stamp (SO_TIMESTAMPNS, Linux), not when the
    listener's thread got to it, so a thread held back by the interpreter lock or a busy CPU keeps the
    performer's timing. The stamp is on the wall clock; it is put on ``time.monotonic`` by an offset
    measured again every second, and a stamp that lands in the future or far in the past (the wall
    clock was stepped) gives way to the time the thread read it."""

    def __init__(self, sock: socket.socket) -> None:
        self.enabled = sys.platform.startswith("linux")
        if self.enabled:
            try:
                sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            except OSError:
                self.enabled = False
        self._offset, self._measured = 0.0, -math.inf

    def arrival(self, ancillary: list, now: float) -> float:
        if not self.enabled:
            return now
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= KERNEL_STAMP.size:
                if now - self._measured > OFFSET_REFRESH_S:
                    self._offset, self._measured = wall_to_monotonic(), now
                seconds, nanoseconds = KERNEL_STAMP.unpack(payload[:KERNEL_STAMP.size])
                stamped = seconds + nanoseconds * 1e-9 + self._offset
                return stamped if now - STAMP_TRUST_S <= stamped <= now else now
        return now


def wall_to_monotonic() -> float:
    """What to add to a wall-clock (CLOCK_REALTIME) time to get ``time.monotonic``: the tightest of a few
    paired reads."""
    best = (math.inf, 0.0)
    for _ in range(8):
        before = time.monotonic()
        wall = time.clock_gettime(time.CLOCK_REALTIME)
        after = time.monotonic()
        if after - before < best[0]:
            best = (after - before, (before + after) / 2.0 - wall)
    return best[1]


class OscListener:
    """Receives datagrams on a thread; every message goes to ``on_message(address, args, arrival)``.

    Undecodable datagrams go to ``on_error(text)``; the listener itself never stops on bad input.
    """

    def __init__(self, host: str, port: int, on_message: Callable[[str, list, float], None],
                 on_error: Callable[[str], None], realtime_priority: int | None = None) -> None:
        self.on_message, self.on_error = on_message, on_error
        self.realtime_priority = realtime_priority
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        try:
            self.socket.bind((host, port))
        except OSError as error:
            self.socket.close()
            raise OSError(f"cannot listen for OSC on {host}:{port}: {error.strerror or error} "
                          "(is another djai-live or program using that port? try --osc-port)") from None
        self.socket.settimeout(0.2)
        self.arrivals = KernelArrivals(self.socket)
        self.address = self.socket.getsockname()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="djai-osc", daemon=True)

    def start(self) -> OscListener:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():  # (a daemon whose start failed never started it)
            self._thread.join(timeout=2.0)
        self.socket.close()

    def _run(self) -> None:
        if self.realtime_priority is not None:
            request_realtime(self.realtime_priority)
        while not self._stop.is_set():
            try:
                if self.arrivals.enabled:
                    data, ancillary, _, sender = self.socket.recvmsg(65536, ANCILLARY_SPACE)
                else:   # (Windows has no recvmsg)
                    (data, sender), ancillary = self.socket.recvfrom(65536), []
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                continue
            arrival = self.arrivals.arrival(ancillary, time.monotonic())
            try:
                messages = OscPacket(data).messages
            except (ParseError, Exception) as error:  # python-osc raises more than ParseError on junk
                self.on_error(f"malformed OSC packet of {len(data)} bytes from {sender[0]}:{sender[1]} "
                              f"({type(error).__name__}: {error})")
                continue
            for timed in messages:
                self.on_message(timed.message.address, list(timed.message.params), arrival)


class _Encoded(NamedTuple):
    dgram: bytes


NOTE_HEAD = write_string("/djai/note") + write_string(",iifi")
NOTE_OFF_HEAD = write_string("/djai/note_off") + write_string(",ii")


def acknowledged_value(value: object) -> object:
    """A stored setting as /djai/set echoes it: on/off as 1/0 (Max and Pd toggles), a scale in words."""
    if isinstance(value, bool):
        return int(value)
    describe = getattr(value, "describe", None)
    return describe() if describe is not None else value


class OscReplies:
    """Everything the daemon sends over OSC: its subscription to the event stream, inline (python-osc's
    socket is non-blocking, so a send never waits; a datagram the kernel refuses is dropped and logged)."""

    def __init__(self, host: str, port: int, errors_per_second: float = 20.0) -> None:
        self.client = SimpleUDPClient(host, port)
        self.target = (host, port)
        self._lock = threading.Lock()
        self._error_budget = errors_per_second
        self._error_rate = errors_per_second
        self._error_time = time.monotonic()
        self.errors_suppressed = 0
        self._send_event = {
            NoteStarted: lambda e: self.note_on(e.pitch, e.velocity, e.duration_ms, e.channel),
            NoteEnded: lambda e: self.note_off(e.pitch, e.channel),
            AllNotesOff: lambda e: self.all_notes_off(e.ever_sent, e.channels),
            PhraseDrawn: lambda e: self.phrase(e.phrase),
            SettingChanged: lambda e: self.send("/djai/set", e.name, acknowledged_value(e.value)),
            KeyChanged: self._key,
            ErrorRaised: lambda e: self.error(e.message),
            PortChanged: lambda e: self.send("/djai/midi_port", e.direction, e.state, e.name),
            Reply: lambda e: self.send("/djai/" + e.kind, *e.values) if not e.audience else None,
        }  # NotePlanned and NoteHeard have no OSC message: the accompaniment's note is sent when it sounds

    def __call__(self, event: Event) -> None:
        send = self._send_event.get(type(event))
        if send is not None:
            send(event)

    def _key(self, event: KeyChanged) -> None:
        self.send("/djai/key", *event.atoms)
        self.send("/djai/key_words", event.words)

    def send(self, address: str, *args) -> None:
        builder = OscMessageBuilder(address)
        for arg in args:
            builder.add_arg(arg)
        self._send_datagram(address, builder.build().dgram)

    def error(self, message: str) -> bool:
        """Send /djai/error unless over the rate limit; returns whether it was sent."""
        with self._lock:
            now = time.monotonic()
            self._error_budget = min(self._error_rate, self._error_budget + (now - self._error_time) * self._error_rate)
            self._error_time = now
            if self._error_budget < 1.0:
                self.errors_suppressed += 1
                return False
            self._error_budget -= 1.0
        self.send("/djai/error", message[:900])
        return True

    def phrase(self, phrase: Phrase) -> None:
        args: list = [phrase.phrase_id, len(phrase.notes)]
        for note in phrase.notes:
            args += [round(note.onset_ms, 3), note.pitch, note.velocity, round(note.duration_ms, 3)]
        self.send("/djai/phrase", *args)

    def note_on(self, pitch: int, velocity: int, duration_ms: float, channel: int) -> None:
        self._send_datagram("/djai/note", NOTE_HEAD + write_int(pitch) + write_int(velocity)
                            + write_float(round(duration_ms, 3)) + write_int(channel))

    def note_off(self, pitch: int, channel: int) -> None:
        self._send_datagram("/djai/note_off", NOTE_OFF_HEAD + write_int(pitch) + write_int(channel))

    def _send_datagram(self, address: str, datagram: bytes) -> None:
        """Send one datagram. Notes come here encoded by hand from python-osc's own type writers: its
        message builder parses every message it builds back again, a tenth of a millisecond on the way to
        each note."""
        with self._lock:
            try:
                # UDPClient.send sends whatever has a .dgram (its annotation names only its own types)
                self.client.send(_Encoded(datagram))  # type: ignore[arg-type]
            except OSError as error:  # nobody listening, network down: never fatal
                log.debug("OSC send %s failed: %s", address, error)

    def all_notes_off(self, ever_sent: dict[int, tuple[int, ...]], channels: tuple[int, ...]) -> None:
        """A /djai/note_off for every pitch ever sent, then /djai/all_notes_off with no argument: the host
        silences every channel (it cannot know which an earlier daemon, killed before it could say, used)."""
        for channel, pitches in ever_sent.items():
            for pitch in pitches:
                self.send("/djai/note_off", pitch, channel)
        self.send("/djai/all_notes_off")
