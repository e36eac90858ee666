"""A host's side over real UDP: run `djai-live serve` as a subprocess, send it OSC, and record what it
answers with the kernel's arrival stamp of each datagram (SO_TIMESTAMPNS), so a receiver thread that is
busy or descheduled does not blur the timing. Stamps are given on ``time.monotonic``'s clock, the one
every process of the machine shares, so they compare with a clock sender's schedule."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

from pythonosc.osc_packet import OscPacket
from pythonosc.udp_client import SimpleUDPClient

# the daemon's own reading of kernel stamps: one piece of code for both sides
from djai_live.live.osc import KERNEL_STAMP, SO_TIMESTAMPNS, wall_to_monotonic


def assert_each_note_ends_once(events) -> None:
    """``events``: ("on" | "off", key) in time order. Each note-on is closed by one note-off of its key before
    that key sounds again, and nothing is left sounding."""
    sounding = set()
    for kind, key in events:
        if kind == "on":
            assert key not in sounding, f"note-on {key} while it still sounds"
            sounding.add(key)
        else:
            assert key in sounding, f"note-off {key} without a note-on"
            sounding.remove(key)
    assert not sounding, f"stuck notes: {sounding}"


_HANDED_OUT: set[int] = set()


def free_udp_port() -> int:
    """A UDP port nothing holds now and that this process has not handed out before: the probe socket is
    closed before the caller binds the port, so two calls in a row could otherwise get the same one (a
    daemon's OSC port equal to its host's reply port: "Address already in use")."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


class NoReply(AssertionError):
    """The daemon did not answer in time (a test failure; a benchmark may count it instead)."""


class OscPeer:
    """A host's side of the contract: sends to the daemon, records everything it answers, with times.

    ``daemon_port`` may be given later (:meth:`to`), for a host that binds its reply port before the
    daemon it talks to is started; ``timeout`` is how long each wait lasts unless told otherwise."""

    def __init__(self, daemon_port: int | None = None, listen_port: int = 0, timeout: float = 10.0) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.kernel_stamps = sys.platform.startswith("linux")
        if self.kernel_stamps:
            self.socket.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.socket.bind(("127.0.0.1", listen_port))
        self.socket.settimeout(0.05)
        self._to_monotonic = wall_to_monotonic()
        self.port = self.socket.getsockname()[1]
        self.client = SimpleUDPClient("127.0.0.1", daemon_port) if daemon_port is not None else None
        self.timeout = timeout
        self.received: list[tuple[float, str, list]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, ancillary, _, _ = self.socket.recvmsg(65536, socket.CMSG_SPACE(KERNEL_STAMP.size))
            except (TimeoutError, OSError):
                continue
            now = time.monotonic()
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    seconds, nanoseconds = KERNEL_STAMP.unpack(payload[:KERNEL_STAMP.size])
                    now = seconds + nanoseconds * 1e-9 + self._to_monotonic
            for timed in OscPacket(data).messages:
                with self._lock:
                    self.received.append((now, timed.message.address, list(timed.message.params)))

    def send(self, address: str, *args) -> None:
        self.client.send_message(address, list(args))

    def messages(self, address: str | None = None) -> list[tuple[float, str, list]]:
        with self._lock:
            return [m for m in self.received if address is None or m[1] == address]

    def to(self, daemon_port: int) -> OscPeer:
        """Send to the daemon on ``daemon_port`` from now on."""
        self.client = SimpleUDPClient("127.0.0.1", daemon_port)
        return self

    def wait_for(self, address: str, count: int = 1, timeout: float | None = None) -> list:
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages(address)
            if len(found) >= count:
                return found
            time.sleep(0.01)
        raise NoReply(f"waited {timeout}s for {count} x {address}; got {self.messages()}")

    def status(self, timeout: float | None = None) -> dict:
        """Ask for /djai/status and return its name/value pairs as a dict."""
        before = len(self.messages("/djai/status"))
        self.send("/djai/status")
        status = self.wait_for("/djai/status", before + 1, timeout)[before][2]
        return dict(zip(status[::2], status[1::2]))

    def wait_for_status(self, condition, timeout: float | None = None) -> dict:
        """Poll /djai/status until ``condition(values)`` holds (e.g. every note sent was handled)."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            values = self.status(timeout)
            if condition(values):
                return values
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {timeout}s for a status that satisfies the condition; last: {values}")
            time.sleep(0.02)  # polling interval, not synchronization: the condition decides

    def barrier(self, timeout: float | None = None) -> None:
        """Return once the replies to every control message sent before (set, generate, status, ...) have
        arrived: control messages are handled in order, /djai/pong comes after their replies on the same
        socket, and loopback UDP keeps the order. (Notes travel in their own lane, which control messages
        overtake: to know notes were handled, wait for the status counters instead.)"""
        before = len(self.messages("/djai/pong"))
        self.send("/djai/ping")
        self.wait_for("/djai/pong", before + 1, timeout)

    def clear(self) -> None:
        with self._lock:
            self.received.clear()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(1)
        self.socket.close()


def perform(peer: OscPeer, pitches, channel: int = 1) -> None:
    """Notes as a performer's host sends them (Pd's floats), then wait until the daemon has taken each one:
    notes travel in their own lane, which a following control message (/djai/generate) would overtake."""
    before = peer.status()["notes_in"]
    for pitch in pitches:
        peer.send("/djai/note", float(pitch), 90.0, float(channel))
        peer.send("/djai/note", float(pitch), 0.0, float(channel))
    peer.wait_for_status(lambda values: values["notes_in"] == before + len(pitches) and values["held"] == 0)


def sounding_at_host(messages: list[tuple[float, str, list]], all_notes_off: bool = True) -> set[tuple[int, int]]:
    """(pitch, channel) a host still sounds after these replies, as the Max and Pd patches play them:
    /djai/note starts a note, /djai/note_off ends it (if it sounds), /djai/all_notes_off ends all
    (unless ``all_notes_off`` is False: a host that ignores it)."""
    sounding: set[tuple[int, int]] = set()
    for _, address, args in sorted(messages, key=lambda message: message[0]):
        if address == "/djai/note":
            sounding.add((int(args[0]), int(args[3])))
        elif address == "/djai/note_off":
            sounding.discard((int(args[0]), int(args[1])))
        elif address == "/djai/all_notes_off" and all_notes_off:
            sounding.clear()
    return sounding


class DrainedOutput:
    """A child's output pipe read all along by a thread of its own, so that a daemon that logs a lot never
    blocks on a full pipe (64 KiB: a long benchmark's log) and stops answering; ``read()`` gives all of it
    once the child has closed it (it has exited), as the pipe's own ``read()`` would."""

    def __init__(self, pipe) -> None:
        self._chunks: list[str] = []
        self._thread = threading.Thread(target=lambda: self._chunks.extend(iter(lambda: pipe.read(4096), "")),
                                        name="daemon-stderr", daemon=True)
        self._thread.start()

    def read(self) -> str:
        self._thread.join(10)
        return "".join(self._chunks)


@contextmanager
def running_daemon(*extra: str, reply_port: int, model: str = "default", ready_timeout: float = 60.0):
    port = free_udp_port()
    command = [sys.executable, "-m", "djai_live.cli", "serve", "--model", model, "--osc-port", str(port),
               "--reply-port", str(reply_port), *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    process.stderr = DrainedOutput(process.stderr)  # type: ignore[assignment]
    try:
        deadline = time.monotonic() + ready_timeout
        line = ""
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if "djai-live ready" in line or process.poll() is not None:
                break
        if "djai-live ready" not in line:
            said = process.stderr.read() if process.poll() is not None else line
            raise AssertionError(f"daemon did not start: {said}")
        process.stdout = DrainedOutput(process.stdout)  # type: ignore[assignment]  # as stderr: never a full pipe
        yield process, port
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


