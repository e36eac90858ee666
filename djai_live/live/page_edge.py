"""The live page's edge inside the daemon (`serve --ui`): the page's server runs in a child process
(:mod:`.page_server`), and this is all of it the daemon holds.

- The daemon binds the page's port here (at start, with the other inputs: a port in use fails before any
  note is sent) and hands the listening socket to the child.
- One *queued* subscriber of the event stream (its own thread and bounded queue, dropping the oldest)
  turns each event into a JSON line down the link to the child; when the child is slow the thread waits
  on the socket and the queue drops, and no note ever waits.
- One thread reads the pages' commands up the link and puts them on the one command path: each parsed by
  the OSC contract's parser, then :meth:`Daemon.submit`, the same path, checks and acknowledgements as
  OSC; what the page could not send (bad JSON, a flood) is rejected as any edge's bad input is.

Both threads ask for real-time scheduling (one below the daemon's helper threads, ``helper_priority``) when
the daemon does: their work is bounded (a line encoded or parsed, then a blocking socket call, which lets
go of the interpreter lock), and a thread at normal priority that the browsers' load preempts while it
holds that lock makes the notes wait behind it (scripts/bench_page.py: answer latency p99 6.5 ms with
these two at normal priority, 1.4 ms with the browsers alone).
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .commands import Command
from .events import (AllNotesOff, ErrorRaised, Event, EventStream, KeyChanged, NoteEnded, NoteHeard, NotePlanned,
                     NoteReleased, NoteStarted, PhraseDrawn, PortChanged, Reply, SettingChanged, Subscription)
from .page_server import LOOPBACK_HOSTS, PAGE_QUEUE, TOKEN_VARIABLE, WILDCARD_HOSTS, bind_page_socket
from .protocol import ProtocolError, parse
from .realtime import request_realtime

log = logging.getLogger(__name__)
AUDIENCE = "page"  # the Reply audience of the pages' own asks: OSC does not hear them
ASKS = ("status", "capabilities")  # what the page's server may ask for, answered to the pages alone
# The forwarder waits this long after an event, then sends all that came in one write: the page's work comes
# after the notes that event brings, not while they are drawn (see BatchSubscription).
LINGER_S = 0.005


def _json_value(value: object) -> object:
    """A stored setting as the page shows it: a scale in words, everything else as JSON has it."""
    describe = getattr(value, "describe", None)
    return describe() if describe is not None else value


def page_message(event: Event, now: float) -> dict | None:
    """What the page receives for an event; times are on the daemon's monotonic clock (seconds), ``now``
    is when it is sent (the page maps the daemon's clock onto its own with it). None: nothing to show."""
    if isinstance(event, NoteHeard):
        return {"type": "heard", "pitch": event.pitch, "velocity": event.velocity, "channel": event.channel,
                "at": event.at, "now": now}
    if isinstance(event, NoteReleased):   # (the page takes a release as a heard note of velocity 0)
        return {"type": "heard", "pitch": event.pitch, "velocity": 0, "channel": event.channel,
                "at": event.at, "now": now}
    if isinstance(event, NoteStarted):
        return {"type": "note_on", "pitch": event.pitch, "velocity": event.velocity, "channel": event.channel,
                "voice": event.voice, "duration_ms": event.duration_ms, "now": now}
    if isinstance(event, NoteEnded):
        return {"type": "note_off", "pitch": event.pitch, "channel": event.channel, "voice": event.voice, "now": now}
    if isinstance(event, AllNotesOff):
        return {"type": "all_notes_off", "now": now}
    if isinstance(event, PhraseDrawn):
        phrase = event.phrase
        anchor = phrase.anchor if phrase.anchor is not None else now  # None: it plays from when it is drawn
        return {"type": "drawn", "id": phrase.phrase_id, "now": now,
                "notes": [{"at": anchor + note.onset_ms / 1000.0, "pitch": note.pitch, "velocity": note.velocity,
                           "duration_ms": note.duration_ms, "channel": note.channel, "voice": note.voice}
                          for note in phrase.notes]}
    if isinstance(event, NotePlanned):
        return {"type": "planned", "now": now, "notes": [
            {"at": event.at, "pitch": event.pitch, "velocity": event.velocity, "duration_ms": event.duration_ms,
             "channel": event.channel, "voice": event.voice}]}
    if isinstance(event, SettingChanged):
        return {"type": "set", "name": event.name, "value": _json_value(event.value), "now": now}
    if isinstance(event, KeyChanged):
        return {"type": "key", "words": event.words, "now": now}
    if isinstance(event, ErrorRaised):
        return {"type": "error", "message": event.message, "now": now}
    if isinstance(event, PortChanged):
        return {"type": "port", "direction": event.direction, "state": event.state, "name": event.name, "now": now}
    if isinstance(event, Reply):
        if event.audience not in ("", AUDIENCE):
            return None
        return {"type": "reply", "kind": event.kind, "values": list(event.values), "now": now}
    return None


class PageEdge:
    def __init__(self, host: str, port: int, stream: EventStream, submit: Callable[[Command], None],
                 reject: Callable[[str], None], models_dir: Path, helper_priority: int | None = None) -> None:
        """``helper_priority``: the daemon's helper threads' real-time priority (None: not asked for); the
        page's two threads run one below it."""
        self.host, self.stream, self.submit, self.reject, self.models_dir = host, stream, submit, reject, models_dir
        self.listening = bind_page_socket(host, port)
        self.port = self.listening.getsockname()[1]
        self.token = None if host in LOOPBACK_HOSTS else secrets.token_urlsafe(24)
        self.link, self._child_link = socket.socketpair()
        self.process: subprocess.Popen | None = None
        self.realtime_priority = helper_priority - 1 if helper_priority is not None else None
        self._forwarding = False
        self.subscription: Subscription | None = None
        self._reader = threading.Thread(target=self._read, name="djai-page-commands", daemon=True)

    @property
    def url(self) -> str:
        shown = "127.0.0.1" if self.host in WILDCARD_HOSTS else (f"[{self.host}]" if ":" in self.host else self.host)
        return f"http://{shown}:{self.port}/" + (f"?token={self.token}" if self.token else "")

    def start(self) -> PageEdge:
        if self.host not in LOOPBACK_HOSTS:
            log.warning("the page listens on %s, not only on this machine: it asks for the token of the ready "
                        "line", self.host)
        fds = (self.listening.fileno(), self._child_link.fileno())
        command = [sys.executable, "-m", "djai_live.live.page_server", "--listen-fd", str(fds[0]), "--link-fd",
                   str(fds[1]), "--host", self.host, "--models-dir", str(self.models_dir),
                   "--log-level", logging.getLevelName(logging.getLogger("djai_live").getEffectiveLevel())]
        self.process = subprocess.Popen(command, pass_fds=fds, env={**os.environ, TOKEN_VARIABLE: self.token or ""})
        log.info("live page on %s", self.url)
        self.listening.close()  # the child's now
        self._child_link.close()
        self.subscription = self.stream.subscribe_batches(self._forward, PAGE_QUEUE, name="page", linger_s=LINGER_S)
        self._reader.start()
        return self

    def close(self) -> None:
        try:
            self.link.shutdown(socket.SHUT_RDWR)  # the child sees the end; a forward waiting on it returns
        except OSError:
            pass
        if self.subscription is not None:
            self.stream.unsubscribe(self.subscription)
        if self.process is not None:
            try:
                self.process.wait(2.0)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.link.close()
        self.listening.close()

    def _forward(self, events: list[Event]) -> None:
        """The subscriber's thread: the events the page shows, down the link in one write (waits while the
        child is behind)."""
        if not self._forwarding:  # the subscription's thread, on its first events
            self._forwarding = True
            if self.realtime_priority is not None:
                request_realtime(self.realtime_priority)
        now = time.monotonic()
        lines = [json.dumps(message).encode() + b"\n" for message in (page_message(event, now) for event in events)
                 if message is not None]
        if lines:
            try:
                self.link.sendall(b"".join(lines))
            except OSError:
                pass  # the page's server is gone: nothing to tell

    def _read(self) -> None:
        if self.realtime_priority is not None:
            request_realtime(self.realtime_priority)
        with self.link.makefile("rb") as lines:
            for line in lines:
                try:
                    self._take(json.loads(line))
                except (ValueError, KeyError, TypeError, AttributeError) as error:  # the child is ours: a bug
                    log.warning("page: unreadable message from the page's server (%s): %r", error, line[:200])
        if self.process is not None and self.process.poll() is not None and self.process.returncode != 0:
            log.warning("the page's server ended (exit status %d); the daemon plays on without it",
                        self.process.returncode)

    def _take(self, message: dict) -> None:
        if "command" in message:
            try:
                self.submit(parse(message["command"]["address"], message["command"]["args"]))
            except ProtocolError as error:
                self.reject(str(error))
        elif "reject" in message:
            self.reject(str(message["reject"]))
        elif message.get("ask") in ASKS:
            self.submit(Command(message["ask"], (AUDIENCE,)))
